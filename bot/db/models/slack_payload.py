from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class SlackPayload(TeamScoped, Base):
    """State behind a button or a modal, kept on the server: Slack only carries `token` back and forth.

    A button value or `private_metadata` is editable by the client, so it is never the data itself
    (a Send button used to carry its whole draft): it is this row's token, checked against the person
    who may use it and its expiry.
    """

    __tablename__ = "slack_payloads"
    __table_args__ = (UniqueConstraint("team_id", "token"),)

    token: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str] = mapped_column(String(32))  # the only person who may use it
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime]
