from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped
from bot.db.models.enums import DigestRunStatus, string_enum


class DigestSubscription(TeamScoped, Base):
    """A scheduled digest posted to a channel (cron schedule in the subscription's time zone)."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "name"),)

    channel_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), default="daily")
    schedule: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_by: Mapped[str | None] = mapped_column(String(32))


class DigestRun(TeamScoped, Base):
    """One run of a subscription for one scheduled slot: unique, so a slot is never posted twice."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("subscription_id", "scheduled_for"),)

    subscription_id: Mapped[int] = mapped_column(ForeignKey("digest_subscriptions.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime]
    status: Mapped[DigestRunStatus] = mapped_column(
        string_enum(DigestRunStatus, "digest_run_status"), default=DigestRunStatus.PENDING
    )
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    # Posted after its slot (missed while everything was down, within the late window): the post says so.
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Asked for with `digest run-now`: outside the schedule (its `scheduled_for` is when it was asked),
    # so it neither counts as the schedule's last slot nor stands in for one.
    manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Refreshed while a worker builds and posts the run: another job may take a RUNNING run over only once
    # this is older than a dead worker's heartbeat (a slow digest is not mistaken for a dead one).
    heartbeat_at: Mapped[datetime | None]
