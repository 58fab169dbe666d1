"""Provider rate-limit budgets shared by every process of a deployment, kept in Postgres.

Each process used to keep its own token buckets, so N workers together sent N times a provider account's
documented rate. `PostgresRateBudget` keeps one row per (provider, account, rate class) in
`rate_limit_buckets` and takes a request's slot with ONE atomic upsert, a GCRA ("generic cell rate
algorithm") reservation:

* ``tat`` (theoretical arrival time) is when the budget is next free, in epoch seconds on the DATABASE
  clock: the processes' clocks may disagree by more than the spacing between two requests.
* a reservation moves ``tat`` to ``max(tat, now) + spacing`` and answers ``wait = max(0, tat - burst *
  spacing - now)`` from the new ``tat``; the caller sleeps that long, then sends. Concurrent reservations
  from any number of processes serialise on the row lock of ``INSERT … ON CONFLICT DO UPDATE`` (no
  SELECT … FOR UPDATE round trip), and each gets the next slot, so the budget is shared exactly.
* the same statement counts the UTC day's requests for labels with a daily limit (Zoom HEAVY): past the
  limit ``tat`` is left alone and the caller gets `DailyBudgetExhausted`, so the daily budget is shared too.

`now` inside the statement is ``clock_timestamp()`` read in the ``DO UPDATE`` clause, i.e. after the row
lock is held, so a reservation that queued behind others is not computed from a stale instant.

If Postgres cannot be reached (or does not answer within `timeout`), reservations fall back to an
in-process bucket with a warning: provider calls keep working during a database outage, at the cost of
the budget being per process until it returns.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.providers import RateBudget, RateKey, RateLimit, RateLimiterRegistry
from bot.providers._http import DailyBudgetExhausted, seconds_until_utc_midnight

__all__ = ["PostgresRateBudget", "rate_budget_for"]

log = logging.getLogger(__name__)

# The whole reservation in one statement. `now` is epoch seconds of clock_timestamp() (extract() gives
# numeric since Postgres 14, hence the casts). In RETURNING, `b` is the row as this statement wrote it.
# `b.day_count >= NULL` (no daily limit) is NULL, so the CASE takes the ELSE branch.
_RESERVE = text(
    """
    INSERT INTO rate_limit_buckets AS b (key, tat, day, day_count)
    VALUES (
        :key,
        extract(epoch FROM clock_timestamp())::double precision + :spacing,
        (clock_timestamp() AT TIME ZONE 'UTC')::date,
        1
    )
    ON CONFLICT (key) DO UPDATE SET
        tat = CASE
            WHEN b.day = EXCLUDED.day AND b.day_count >= CAST(:per_day AS integer) THEN b.tat
            ELSE greatest(b.tat, extract(epoch FROM clock_timestamp())::double precision) + :spacing
        END,
        day_count = CASE WHEN b.day = EXCLUDED.day THEN b.day_count + 1 ELSE 1 END,
        day = EXCLUDED.day
    RETURNING
        greatest(0.0, b.tat - :burst_span - extract(epoch FROM clock_timestamp())::double precision) AS wait,
        b.day_count AS day_count,
        extract(epoch FROM clock_timestamp())::double precision AS now
    """
)


def bucket_key(key: RateKey) -> str:
    return "|".join(key)


class PostgresRateBudget:
    """A `RateBudget` shared by every process connected to the same Postgres database.

    Args:
        engine: the app's engine; reservations run on it in autocommit (one statement, nothing to hold).
        timeout: seconds a reservation may take before the in-process fallback is used for it.
    """

    def __init__(self, engine: AsyncEngine, *, timeout: float = 2.0) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("PostgresRateBudget needs a Postgres engine (else the in-process one)")
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._timeout = timeout
        self._fallback = RateLimiterRegistry()
        self._degraded = False

    async def reserve(self, key: RateKey, limit: RateLimit, now: float) -> float:
        """Take one slot of `key`'s budget; seconds to wait before sending (`now`: only for the fallback)."""
        if limit.rate is None and limit.per_day is None:
            return 0.0
        rate = limit.rate
        spacing = 0.0 if rate is None else 1.0 / rate
        params = {
            "key": bucket_key(key),
            "spacing": spacing,
            "burst_span": limit.burst * spacing,
            "per_day": limit.per_day,
        }
        try:
            async with asyncio.timeout(self._timeout), self._engine.connect() as connection:
                row = (await connection.execute(_RESERVE, params)).one()
        except (TimeoutError, DBAPIError, SQLAlchemyError, OSError) as error:
            if not self._degraded:
                log.warning(
                    "Shared provider rate budget unavailable (%s): this process limits itself alone "
                    "until the database answers again",
                    type(error).__name__,
                )
                self._degraded = True
            return await self._fallback.reserve(key, limit, now)
        if self._degraded:
            log.warning("Shared provider rate budget available again")
            self._degraded = False
        if limit.per_day is not None and int(row.day_count) > limit.per_day:
            raise DailyBudgetExhausted(seconds_until_utc_midnight(float(row.now)))
        return float(row.wait)


def rate_budget_for(engine: AsyncEngine) -> RateBudget | None:
    """The budget a deployment on `engine` shares: Postgres-backed on Postgres; None (in-process) otherwise.

    SQLite is the embedded, single-process default, where the in-process buckets are already the whole budget.
    """
    return PostgresRateBudget(engine) if engine.dialect.name == "postgresql" else None
