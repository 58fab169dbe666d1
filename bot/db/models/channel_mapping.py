from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint, false
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
    # Off until asked for (`alerts=on`): a channel is never flooded by an upgrade or a mapping alone.
    alerts_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How often the followed inbox is read for new conversations (the poller's interval for it).
    alerts_interval_seconds: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # Who turned the alerts on last (a Slack user id, or `cli:<name>`): told if Switchboard stops them.
    alerts_by: Mapped[str | None] = mapped_column(String(64))
    # Why and when Switchboard turned the alerts off by itself: Slack refused a card for good (the app was
    # removed from the channel, it was archived or deleted). Cleared when the alerts are turned on again.
    alerts_stopped: Mapped[str | None] = mapped_column(String(300))
    alerts_stopped_at: Mapped[datetime | None]
    # Response-time reminders: after this long unanswered the holder (or `on_duty`) is nudged, after
    # `escalate_seconds` the `supervisor` is mentioned; None: no reminder. Mentions are Slack mrkdwn
    # (`<@U…>` or `<!subteam^S…>`), checked when set.
    nudge_seconds: Mapped[int | None] = mapped_column(Integer)
    escalate_seconds: Mapped[int | None] = mapped_column(Integer)
    on_duty: Mapped[str | None] = mapped_column(String(64))
    supervisor: Mapped[str | None] = mapped_column(String(64))
    # When reminders may be given ({"days": [0..6], "start": "08:00", "end": "18:00", "tz": …}); None: always.
    working_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The channel's own LiveVox term codes ([{"id": "...", "name": "..."}]); None: the connection's.
    term_codes: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
