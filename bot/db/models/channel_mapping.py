from __future__ import annotations

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class ChannelMapping(TeamScoped, Base):
    """A Slack channel's provider scopes: which inbox it follows, which queues its digests cover."""

    __tablename__ = "channel_mappings"
    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    channel_id: Mapped[str] = mapped_column(String(32))
    livevox_service_id: Mapped[str | None] = mapped_column(String(32))
    livevox_inbox: Mapped[str | None] = mapped_column(String(100))
    zoom_queue_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    sms_sender_code: Mapped[str | None] = mapped_column(String(32))
    alerts_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # How often the followed inbox is read for new conversations (the poller's interval for it).
    alerts_interval_seconds: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # The channel's own LiveVox term codes ([{"id": "...", "name": "..."}]); None: the connection's.
    term_codes: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
