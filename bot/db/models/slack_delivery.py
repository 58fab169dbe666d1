from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class SlackDelivery(TeamScoped, Base):
    """One row per request Slack delivered, so a retry or a replay of it is acknowledged and not redone.

    Slack retries an Events API delivery (same `event_id`) when the first answer was slow, and anyone who
    captured a signed request can resend it unchanged within the five minutes its signature stays valid.
    A unique row rather than a process-local set, so it holds across web processes and restarts; rows are
    only needed until `expires_at` (after it Slack no longer retries and the signature has gone stale).
    """

    __tablename__ = "slack_deliveries"
    __table_args__ = (
        UniqueConstraint("team_id", "key"),
        Index("ix_slack_deliveries_expires_at", "expires_at"),
    )

    # Not indexed alone (TeamScoped indexes it): the unique (team_id, key) index leads with it, and this is
    # the busiest insert there is (every request Slack sends), so an index less is work less on each.
    team_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))  # "event:<event_id>" or "signature:<sha256 of it>"
    expires_at: Mapped[datetime]
