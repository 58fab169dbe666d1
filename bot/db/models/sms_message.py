from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped
from bot.db.models.enums import Provider, SmsStatus, string_enum


class SmsMessage(TeamScoped, Base):
    """The outbox and audit of every SMS sent from Slack.

    A row is written `pending` before the provider is called, so nothing is lost and a retried click
    finds the same row by its idempotency key instead of sending twice.
    """

    __tablename__ = "sms_messages"
    __table_args__ = (UniqueConstraint("team_id", "idempotency_key"),)

    slack_user_id: Mapped[str] = mapped_column(String(32))
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(20))  # E.164
    template_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[Provider] = mapped_column(string_enum(Provider, "provider"))
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[SmsStatus] = mapped_column(string_enum(SmsStatus, "sms_status"), default=SmsStatus.PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    # The provider's delivery record in words ("the recipient opted out"), and when it was last read.
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_checked_at: Mapped[datetime | None]
    idempotency_key: Mapped[str] = mapped_column(String(100))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    thread_id: Mapped[str | None] = mapped_column(String(64))
