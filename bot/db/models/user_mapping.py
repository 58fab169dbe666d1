from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped
from bot.db.models.enums import Role, string_enum


class UserMapping(TeamScoped, Base):
    """Who a Slack user is to Switchboard: a role and their identities at the providers."""

    __tablename__ = "user_mappings"
    __table_args__ = (UniqueConstraint("team_id", "slack_user_id"),)

    slack_user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[Role] = mapped_column(string_enum(Role, "role"), default=Role.AGENT)
    livevox_agent_id: Mapped[str | None] = mapped_column(String(32))
    livevox_login: Mapped[str | None] = mapped_column(String(100))
    zoom_user_id: Mapped[str | None] = mapped_column(String(64))
