from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class OptOut(TeamScoped, Base):
    """A number the team must not text (one row per team and number): added by an admin or supervisor
    (`source` "manual", with their reason), or by Switchboard when the customer's own reply in a
    provider's history was an opt-out (`source` "history", with that message as evidence)."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    number: Mapped[str] = mapped_column(String(20))  # E.164
    source: Mapped[str] = mapped_column(String(16))  # manual | history
    added_by: Mapped[str] = mapped_column(String(32))  # a Slack user id, or "switchboard"
    reason: Mapped[str | None] = mapped_column(Text)
    evidence_text: Mapped[str | None] = mapped_column(Text)  # the customer's message, as the provider has it
    evidence_provider: Mapped[str | None] = mapped_column(String(40))
    evidence_at: Mapped[datetime | None]
