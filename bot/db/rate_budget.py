"""Provider rate-limit budgets shared by every process of a deployment, kept in Postgres.

Each process used to keep its own budgets, so N workers together sent N times a provider account's
documented rate. `PostgresRateBudget` keeps one row per (provider, account, rate class) in
`rate_limit_buckets` and takes a request's slot with ONE atomic upsert, the same sliding-window log as the
in-process `RateWindow` ("at most `burst` requests in any ``burst / rate`` seconds"):

* ``slots`` holds the last `burst` send slots, in epoch seconds on the DATABASE clock (the processes'
  clocks may disagree by more than the spacing between two requests);
* a reservation's slot is the latest of now, the last slot, and the `burst`-th last slot plus the window;
  it is appended (the list trimmed to `burst`) and returned: the earliest instant the caller may send. The
  caller sleeps until then (the slot less the database's now, see `_ClockOffset`), then sends. Concurrent
  reservations from any number of processes serialise on the row lock of ``INSERT … ON CONFLICT DO
  UPDATE`` (no SELECT … FOR UPDATE round trip), and each gets the next slot, so the budget is shared exactly.
* the same statement counts the UTC day's requests for labels with a daily limit (Zoom HEAVY): past the
  limit the slots are left alone and the caller gets `DailyBudgetExhausted`, so the daily budget is shared.

`now` inside the statement is ``clock_timestamp()`` read in the ``DO UPDATE`` clause, i.e. after the row
lock is held, so a reservation that queued behind others is not computed from a stale instant; it is read
once per reservation (the slot expression appears once), so the stored and returned slot agree.

If Postgres cannot be reached (or does not answer within `timeout`), reservations fall back to an
in-process budget with a warning: provider calls keep working during a database outage, at the cost of
the budget being per process until it returns.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.providers import RateBudget, RateKey, RateLimit, RateLimiterRegistry
from bot.providers._http import DailyBudgetExhausted, seconds_until_utc_midnight

__all__ = ["PostgresRateBudget", "rate_budget_for"]

log = logging.getLogger(__name__)

# The whole reservation in one statement. `now` is epoch seconds of clock_timestamp() (extract() gives
# numeric since Postgres 14, hence the casts). In RETURNING, `b` is the row as this statement wrote it.
# `b.day_count >= NULL` (no daily limit) is NULL, so the CASE takes the ELSE branch; greatest() ignores
# the NULL of a log that is not full yet. JSON indexes are 0-based, ORDINALITY 1-based.
_RESERVE = text(
    """
    INSERT INTO rate_limit_buckets AS b (key, slots, day, day_count)
    VALUES (
        :key,
        json_build_array(extract(epoch FROM clock_timestamp())::double precision),
        (clock_timestamp() AT TIME ZONE 'UTC')::date,
        1
    )
    ON CONFLICT (key) DO UPDATE SET
        slots = CASE
            WHEN b.day = EXCLUDED.day AND b.day_count >= CAST(:per_day AS integer) THEN b.slots
            ELSE (
                SELECT json_agg(kept.slot ORDER BY kept.n)
                FROM jsonb_array_elements(
                    b.slots::jsonb || to_jsonb(greatest(
                        extract(epoch FROM clock_timestamp())::double precision,
                        (b.slots ->> (json_array_length(b.slots) - 1))::double precision,
                        CASE WHEN json_array_length(b.slots) >= :burst
                            THEN (b.slots ->> (json_array_length(b.slots) - :burst))::double precision
                                + :window
                        END
                    ))
                ) WITH ORDINALITY AS kept(slot, n)
                WHERE kept.n > json_array_length(b.slots) + 1 - :burst
            )
        END,
        day_count = CASE WHEN b.day = EXCLUDED.day THEN b.day_count + 1 ELSE 1 END,
        day = EXCLUDED.day
    RETURNING
        (b.slots ->> (json_array_length(b.slots) - 1))::double precision AS slot,
        b.day_count AS day_count,
        extract(epoch FROM clock_timestamp())::double precision AS now
    """
)
_NOW = text("SELECT extract(epoch FROM clock_timestamp())::double precision")
_IN_FLIGHT = 4
"""Reservations one process has at the database at once; the rest queue for them (each takes ~1 ms).

Without a cap a burst of callers (40 lookups' calls at once) each checked out a connection, and the pool
opened ten more for one-statement reservations: the first answers came back up to 100 ms after their
slots, so those requests left late enough to crowd the next window (a 429), or had to take new slots."""
_OFFSET_MAX_AGE = 60.0
"""Seconds a clock-offset sample is trusted before any newer one replaces it (clocks drift, slowly)."""


class _ClockOffset:
    """The database clock minus this process's monotonic clock, from the round trip with the least delay.

    A reservation's slot is an instant on the database clock. Sleeping "slot - database now" from when the
    answer ARRIVES adds the answer's delay to the send, and that delay varies: in a burst of three
    processes, connections being opened and a busy event loop made it up to ~100 ms for some answers and
    ~1 ms for others, so two sends went out 104 ms apart instead of 210 ms (6 in one second against Zoom's
    5). With the offset every send is scheduled at its slot whenever its answer arrived; the error is half
    the best round trip seen (well under a millisecond on a LAN). A monotonic local clock, so a wall-clock
    step (NTP) on this machine cannot move the schedule.
    """

    def __init__(self) -> None:
        self._offset: float | None = None
        self._rtt = float("inf")
        self._at = float("-inf")

    @property
    def known(self) -> bool:
        return self._offset is not None

    def sample(self, database_now: float, sent: float, received: float) -> None:
        """One reading of the database clock taken between `sent` and `received` (monotonic seconds)."""
        rtt = received - sent
        if rtt <= self._rtt or received - self._at > _OFFSET_MAX_AGE:
            self._offset = database_now - (sent + received) / 2.0
            self._rtt, self._at = rtt, received

    def database_now(self) -> float:
        assert self._offset is not None, "sample() first"
        return time.monotonic() + self._offset


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
        self._clock = _ClockOffset()
        self._calibrating = False
        self._in_flight = asyncio.Semaphore(_IN_FLIGHT)

    async def reserve(self, key: RateKey, limit: RateLimit, now: float) -> float:
        """Take one slot of `key`'s budget; seconds to wait before sending (`now`: only for the fallback)."""
        if limit.rate is None and limit.per_day is None:
            return 0.0
        params = {
            "key": bucket_key(key),
            "burst": limit.burst,
            "window": limit.window or 0.0,  # no per-second limit: only the day is counted
            "per_day": limit.per_day,
        }
        try:
            async with asyncio.timeout(self._timeout), self._in_flight, self._engine.connect() as connection:
                if not self._clock.known and not self._calibrating:
                    await self._calibrate(connection)
                sent = time.monotonic()
                row = (await connection.execute(_RESERVE, params)).one()
                self._clock.sample(float(row.now), sent, time.monotonic())
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
        # Not clipped at 0: an answer that arrived after its slot says how late the caller already is.
        return float(row.slot) - self._clock.database_now()

    async def _calibrate(self, connection: AsyncConnection) -> None:
        """A few bare readings of the database clock, so the first slots are already scheduled precisely."""
        self._calibrating = True
        try:
            for _ in range(3):
                sent = time.monotonic()
                database_now = (await connection.execute(_NOW)).scalar_one()
                self._clock.sample(float(database_now), sent, time.monotonic())
        finally:
            self._calibrating = False


def rate_budget_for(engine: AsyncEngine) -> RateBudget | None:
    """The budget a deployment on `engine` shares: Postgres-backed on Postgres; None (in-process) otherwise.

    SQLite is the embedded, single-process default, where the in-process buckets are already the whole budget.
    """
    return PostgresRateBudget(engine) if engine.dialect.name == "postgresql" else None
