from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class NumberContact(TeamScoped, Base):
    """A number a Slack user had a conversation with, kept after the thread is transferred or resolved.

    Agents may read the history of numbers they have or had a conversation with; LiveVox forgets a thread
    from the agent's view the moment it moves, so Switchboard remembers what it saw (one row per user and
    number, `last_seen_at` refreshed). Numbers texted through Switchboard are already in `sms_messages`.
    """

    __tablename__ = "number_contacts"
    __table_args__ = (UniqueConstraint("team_id", "slack_user_id", "number"),)

    slack_user_id: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(20))  # E.164
    source: Mapped[str] = mapped_column(String(16))  # "livevox_thread"
    thread_id: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[datetime]
