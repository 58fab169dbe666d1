from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint, false
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
    # Team setting: agents may read every number's history, not only numbers they had a conversation with.
    agents_see_all_numbers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
