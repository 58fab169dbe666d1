from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped
from bot.db.models.enums import ScheduledStatus, string_enum


class ScheduledSend(TeamScoped, Base):
    """An SMS to send later (`/sms send … --at`, the send form's time, *Send at …* on a card refused for
    quiet hours, a workflow step): what to send, for whom, and when. The fire job only carries this row's
    id; what it sends is read here, so nothing from Slack's client decides it."""

    __tablename__ = "scheduled_sends"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    key: Mapped[str] = mapped_column(String(128))  # the intent (card, form, step run): one row, one send
    user_id: Mapped[str] = mapped_column(String(32))  # who scheduled it; it is sent as them
    channel_id: Mapped[str | None] = mapped_column(String(32))  # where they are told; None: a DM
    number: Mapped[str] = mapped_column(String(20))  # E.164
    text: Mapped[str | None] = mapped_column(Text)
    template_id: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(String(32))
    thread_id: Mapped[str | None] = mapped_column(String(64))  # a LiveVox thread being replied to
    account: Mapped[str | None] = mapped_column(String(64))
    send_at: Mapped[datetime] = mapped_column(index=True)
    asked_for: Mapped[datetime | None]  # the time asked for, when quiet hours moved it to `send_at`
    origin: Mapped[str] = mapped_column(String(40))  # "/sms send", "view:send_sms", "button:send_later", …
    status: Mapped[ScheduledStatus] = mapped_column(
        string_enum(ScheduledStatus, "scheduled_status"), default=ScheduledStatus.PENDING
    )
    outcome: Mapped[str | None] = mapped_column(Text)  # refused / cancelled: in words
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    fired_at: Mapped[datetime | None]
