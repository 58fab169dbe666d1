"""Rate budgets: the in-process buckets and the Postgres one every process shares, held to the same rules.

The Postgres budget runs on the database clock, so its waits are compared with a tolerance for the time the
statements themselves take; the in-process one gets a fixed `now` and must be exact.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from sqlalchemy import event, text

from bot.db.rate_budget import PostgresRateBudget, bucket_key, rate_budget_for
from bot.db.session import create_engine
from bot.providers import RateBudget, RateKey, RateLimit, RateLimiterRegistry
from bot.providers._http import DailyBudgetExhausted
from tests.databases import fresh_postgres, postgres_available

needs_postgres = pytest.mark.skipif(not postgres_available(), reason="SWITCHBOARD_TEST_DATABASE_URL not set")

FIVE = RateLimit(per_second=5, margin=0.0)  # 0.2 s apart: easy numbers
NOW = 1_800_000_000.0
# How much earlier than its slot a Postgres reservation may return a wait: the statement itself takes
# time, more on a busy shared 2-core machine (never a later one: the upper bounds stay exact).
LATE = 0.25


def due_now(wait: float) -> bool:
    """A slot that is due at once: 0 in process; from Postgres up to LATE below 0 (the slot passed while
    its answer travelled back, and the budget says by how much rather than hiding it)."""
    return -LATE <= wait <= 1e-6


Reserve = Callable[[RateKey, RateLimit], Awaitable[float]]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if not postgres_available():
        pytest.skip("SWITCHBOARD_TEST_DATABASE_URL not set")
    with fresh_postgres() as url:
        yield url


@pytest.fixture
async def postgres_budget(postgres_url: str) -> AsyncIterator[PostgresRateBudget]:
    engine = create_engine(postgres_url)
    yield PostgresRateBudget(engine)
    await engine.dispose()


def key() -> RateKey:
    """A key of the test's own: the module shares one database."""
    return ("zoom", f"acct-{uuid.uuid4().hex[:8]}", "heavy")


@pytest.fixture(params=["memory", "postgres"])
async def reserve(request: pytest.FixtureRequest) -> AsyncIterator[Reserve]:
    if request.param == "memory":
        registry = RateLimiterRegistry()

        async def in_process(k: RateKey, limit: RateLimit) -> float:
            return await registry.reserve(k, limit, NOW)

        yield in_process
        return
    if not postgres_available():
        pytest.skip("SWITCHBOARD_TEST_DATABASE_URL not set")
    engine = create_engine(request.getfixturevalue("postgres_url"))
    budget = PostgresRateBudget(engine)

    async def shared(k: RateKey, limit: RateLimit) -> float:
        return await budget.reserve(k, limit, time.time())

    yield shared
    await engine.dispose()


async def test_reservations_are_spaced_by_the_rate(reserve: Reserve) -> None:
    k = key()
    waits = [await reserve(k, FIVE) for _ in range(6)]
    # Postgres: each statement runs a little later, so its wait is that much shorter (never longer).
    for n, wait in enumerate(waits):
        assert n * 0.2 - LATE <= wait <= n * 0.2 + 1e-6
    assert waits[-1] >= 5 * 0.2 - LATE  # spaced at all


async def test_the_margin_spaces_a_little_wider(reserve: Reserve) -> None:
    k = key()
    waits = [await reserve(k, RateLimit(per_second=5)) for _ in range(3)]
    assert 2 * 1.05 / 5 - LATE <= waits[2] <= 2 * 1.05 / 5 + 1e-6


async def test_a_burst_goes_out_at_once_and_no_window_holds_more(reserve: Reserve) -> None:
    """At most `burst` in any ``burst / rate`` seconds: 3 at once, the next 3 a window (0.6 s) later.
    (A token bucket would send the fourth at 0.2 s: four in one 0.6 s window, six in one second at 5/s.)"""
    k = key()
    limit = RateLimit(per_second=5, burst=3, margin=0.0)
    waits = [await reserve(k, limit) for _ in range(7)]
    assert all(due_now(wait) for wait in waits[:3]), waits
    for wait in waits[3:6]:
        assert 0.6 - LATE <= wait <= 0.6 + 1e-6
    assert 1.2 - LATE <= waits[6] <= 1.2 + 1e-6


async def test_a_whole_seconds_allowance_leaves_at_once_and_never_six_in_a_second(reserve: Reserve) -> None:
    """Zoom HEAVY (5/s) with burst 5: whatever the spacing of the asks, any one-second span holds <= 5."""
    k = key()
    limit = RateLimit(per_second=5, burst=5, margin=0.0)
    slots = [await reserve(k, limit) for _ in range(12)]
    assert all(due_now(slot) for slot in slots[:5]), slots
    for first in range(len(slots) - 5):
        assert slots[first + 5] - slots[first] >= 1.0 - LATE


async def test_keys_do_not_share(reserve: Reserve) -> None:
    first, second = key(), key()
    await reserve(first, FIVE)
    assert due_now(await reserve(second, FIVE))
    assert due_now(await reserve(("zoom", first[1], "medium"), FIVE))


async def test_the_daily_budget_is_counted_and_refused(reserve: Reserve) -> None:
    k = key()
    limit = RateLimit(per_second=None, per_day=3)
    for _ in range(3):
        assert due_now(await reserve(k, limit))
    with pytest.raises(DailyBudgetExhausted) as caught:
        await reserve(k, limit)
    assert 0 < caught.value.retry_after <= 86_400
    with pytest.raises(DailyBudgetExhausted):  # still refused; a refusal does not take a slot
        await reserve(k, limit)


async def test_a_refused_daily_reservation_leaves_the_rate_alone(reserve: Reserve) -> None:
    k = key()
    limit = RateLimit(per_second=5, per_day=2, margin=0.0)
    await reserve(k, limit)
    await reserve(k, limit)
    for _ in range(5):
        with pytest.raises(DailyBudgetExhausted):
            await reserve(k, limit)
    # The refusals took no slot: with the daily limit lifted, the next reservation gets the third slot.
    assert 0.4 - LATE <= await reserve(k, RateLimit(per_second=5, margin=0.0)) <= 0.4 + 1e-6


# ------------------------------------------------------------------------------------------ Postgres only


@needs_postgres
async def test_two_processes_budgets_share_one_row(postgres_url: str) -> None:
    """Two engines (as two processes have) interleaving reservations get one sequence of slots."""
    engines = [create_engine(postgres_url), create_engine(postgres_url)]
    first, second = (PostgresRateBudget(e) for e in engines)
    try:
        k = key()
        waits = []
        for n in range(8):
            budget = first if n % 2 == 0 else second
            waits.append(await budget.reserve(k, FIVE, time.time()))
        for n, wait in enumerate(waits):
            assert n * 0.2 - LATE <= wait <= n * 0.2 + 1e-6
        assert waits[-1] >= 7 * 0.2 - LATE
    finally:
        for engine in engines:
            await engine.dispose()


@needs_postgres
async def test_concurrent_reservations_each_get_their_own_slot(postgres_url: str) -> None:
    """Forty reservations at once over three engines: forty distinct slots, 0.2 s apart, none lost."""
    engines = [create_engine(postgres_url) for _ in range(3)]
    budgets = [PostgresRateBudget(e) for e in engines]
    try:
        k = key()

        async def one(n: int) -> float:
            wait = await budgets[n % 3].reserve(k, FIVE, time.time())
            return time.time() + wait  # when this caller would send

        sends = sorted(await asyncio.gather(*(one(n) for n in range(40))))
        gaps = [b - a for a, b in itertools.pairwise(sends)]
        # Slots are exact on the database clock; the client-side reading adds statement latency noise
        # (a busy machine delays some answers), so the span gets LATE and the typical gap is checked.
        assert 39 * 0.2 - LATE <= sends[-1] - sends[0] <= 39 * 0.2 + LATE
        assert statistics.median(gaps) == pytest.approx(0.2, abs=0.05)
        assert len(set(round(send, 3) for send in sends)) == 40  # forty distinct slots
    finally:
        for engine in engines:
            await engine.dispose()


@needs_postgres
async def test_a_burst_of_reservations_holds_only_a_few_connections(postgres_url: str) -> None:
    """Forty callers at once: the reservations queue for four connections instead of making the pool open
    a dozen (opening them made the first answers arrive after their slots: late sends, 429s)."""
    engine = create_engine(postgres_url)
    budget = PostgresRateBudget(engine)
    held = peak = 0

    def checkout(*_: object) -> None:
        nonlocal held, peak
        held += 1
        peak = max(peak, held)

    def checkin(*_: object) -> None:
        nonlocal held
        held -= 1

    event.listen(engine.sync_engine.pool, "checkout", checkout)
    event.listen(engine.sync_engine.pool, "checkin", checkin)
    try:
        k = key()
        waits = await asyncio.gather(*(budget.reserve(k, FIVE, time.time()) for _ in range(40)))
        assert 1 <= peak <= 4, peak
        assert 39 * 0.2 - LATE <= max(waits) <= 39 * 0.2 + 1e-6  # every caller still got its own slot
    finally:
        await engine.dispose()


@needs_postgres
async def test_a_new_utc_day_resets_the_daily_count(
    postgres_budget: PostgresRateBudget, postgres_url: str
) -> None:
    k = key()
    limit = RateLimit(per_second=None, per_day=1)
    await postgres_budget.reserve(k, limit, time.time())
    with pytest.raises(DailyBudgetExhausted):
        await postgres_budget.reserve(k, limit, time.time())
    engine = create_engine(postgres_url)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE rate_limit_buckets SET day = day - 1 WHERE key = :key"), {"key": bucket_key(k)}
        )
    await engine.dispose()
    assert due_now(await postgres_budget.reserve(k, limit, time.time()))


@needs_postgres
async def test_an_unreachable_database_falls_back_to_the_process(caplog: pytest.LogCaptureFixture) -> None:
    engine = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", connect_args={"connect_timeout": 1}
    )
    budget = PostgresRateBudget(engine, timeout=3.0)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.db.rate_budget"):
            k = key()
            waits = [await budget.reserve(k, FIVE, NOW) for _ in range(3)]
        assert waits == pytest.approx([0.0, 0.2, 0.4])  # the in-process bucket, on the caller's clock
        assert sum("unavailable" in r.getMessage() for r in caplog.records) == 1  # said once, not per call
    finally:
        await engine.dispose()


def test_the_budget_follows_the_database() -> None:
    assert rate_budget_for(create_engine("sqlite+aiosqlite:///:memory:")) is None
    shared = rate_budget_for(create_engine("postgresql+psycopg://postgres@127.0.0.1:1/x"))
    assert isinstance(shared, PostgresRateBudget)
    with pytest.raises(ValueError, match="Postgres"):
        PostgresRateBudget(create_engine("sqlite+aiosqlite:///:memory:"))
    budget: RateBudget = RateLimiterRegistry()  # the in-process one satisfies the same protocol
    assert budget is not None


def test_the_clock_offset_keeps_the_round_trip_with_the_least_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.db import rate_budget

    offset = rate_budget._ClockOffset()
    assert not offset.known
    offset.sample(database_now=1000.0, sent=10.0, received=10.2)  # 200 ms round trip: ±100 ms
    offset.sample(database_now=1000.5, sent=10.5, received=10.502)  # 2 ms: the better reading
    offset.sample(database_now=1001.3, sent=11.0, received=11.5)  # a slow answer does not replace it
    monkeypatch.setattr(time, "monotonic", lambda: 20.0)
    assert offset.database_now() == pytest.approx(1000.5 - 10.501 + 20.0)
    # After a minute any reading replaces it (clocks drift), even a worse one.
    offset.sample(database_now=2000.0, sent=80.0, received=80.1)
    assert offset.database_now() == pytest.approx(2000.0 - 80.05 + 20.0)
