from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class Workspace(TeamScoped, Base):
    """A Slack workspace (team) the app serves."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("team_id"),)

    name: Mapped[str] = mapped_column(String(200), default="")
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    # Set by app_uninstalled / tokens_revoked; a reinstall clears it.
    uninstalled_at: Mapped[datetime | None]
