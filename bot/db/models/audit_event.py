from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class AuditEvent(TeamScoped, Base):
    """Who did what to which thread, mapping or connection, and how it ended. Never holds secrets."""

    __tablename__ = "audit_events"

    actor: Mapped[str] = mapped_column(String(32))  # Slack user id, or "cli:<os user>" for admin commands
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok | denied | failed
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
