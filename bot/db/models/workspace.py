from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint, false, text
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
    # Team setting: when texts may go out, in the recipient's local time (`bot.services.quiet_hours`):
    # minutes after midnight [start, end), on the ISO weekdays listed ("1234567": Monday to Sunday).
    send_window_start: Mapped[int] = mapped_column(Integer, default=480, server_default=text("480"))
    send_window_end: Mapped[int] = mapped_column(Integer, default=1260, server_default=text("1260"))
    send_days: Mapped[str] = mapped_column(String(7), default="1234567", server_default="1234567")
    # Team setting: who a Workflow Builder step acts as when its workflow gives no "Run as" person
    # (`/switchboard workflow-user`): a Slack user id, "" once an admin turned it off, None while no admin
    # chose (then SWITCHBOARD_WORKFLOW_USER in single-token mode; nobody in OAuth mode).
    workflow_user_id: Mapped[str | None] = mapped_column(String(32))
