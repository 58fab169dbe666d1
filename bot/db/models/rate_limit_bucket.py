from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base


class RateLimitBucket(Base):
    """The rate-limit budget of one provider account and rate class, shared by every process.

    Not team-scoped: a provider account's limit is the provider's, whichever workspaces use the account.
    Written only by `bot.db.rate_budget.PostgresRateBudget`, one atomic upsert per request.
    """

    __tablename__ = "rate_limit_buckets"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    """provider|account|label (`RateKey`)."""
    slots: Mapped[list[float]] = mapped_column(JSON)
    """The last `burst` send slots, epoch seconds on the database clock, oldest first (a sliding window)."""
    day: Mapped[date] = mapped_column(Date)
    """The UTC day (database clock) that `day_count` counts."""
    day_count: Mapped[int] = mapped_column(Integer)
    """Reservations asked for on `day`; above the label's daily limit they were refused."""
