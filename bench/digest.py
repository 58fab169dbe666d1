"""How long a digest over a busy month takes against its floor, and how its memory grows with the data.

The simulators run in a separate process (`python -m bot sandbox`, a world with a busy last month:
`--month-sms` Contact Center SMS engagements and `--month-calls` voice calls), so neither their CPU nor
their memory is the bench's. The Zoom simulator enforces its per-second limit (`zoom:rate_limit=R`, every
label) and the bench's Zoom client is configured with the same R, as a deployment is with its plan's.

speed: one digest (every section) over the last 30 days, with the 30 days before as the previous period,
read through real HTTP. Every response is recorded (an httpx hook): pages per provider and rate label, and
429s (must be 0). floor = pages ÷ allowed rate, per rate bucket (Zoom HEAVY: the SMS and call lists share
it; Zoom MEDIUM: Phone SMS; LiveVox; Routee), each from this run's own page counts and the rates the
simulator (and, where lower, the client) allows. A provider's floor is its slowest bucket's; as providers
are read concurrently, the digest's floor is the slowest provider's, not their sum (both are reported, and
each provider's first and last response time, which show they overlapped). ratio = wall ÷ floor.

memory: the same digest with tracemalloc around the aggregation (in this process only), at 1× and at 10×
the month's data (limits off in both: pages per second do not change what is held at once); goal ≤ 1.2×.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import emit
from bench.priority import sandbox_process
from bot.db.migrate import upgrade
from bot.db.session import create_engine
from bot.providers import DEFAULT_DEADLINE, LiveVoxClient, RateLimit, RouteeClient, ZoomClient
from bot.providers.livevox.client import DEFAULT_RATE_LIMIT as LIVEVOX_CLIENT_LIMIT
from bot.sandbox import credentials
from bot.sandbox.livevox import DEFAULT_RATE_LIMIT as LIVEVOX_SANDBOX_RATE
from bot.sandbox.world import DEMO
from bot.services.digest_content import DigestData, DigestRequest, Period, build_digests
from bot.services.digest_schedule import Every
from bot.services.providers import Providers

GOAL_RATIO = 1.10
GOAL_MEMORY = 1.2
ZOOM_RATE = 20  # requests per second per label the Zoom simulator allows (and the client is told)
ROUTEE_SANDBOX_RATE = 100  # the Routee simulator's default
MONTH = timedelta(days=30)
ZONE = ZoneInfo("America/New_York")
TEAM = "TBENCH"

# Rate buckets by request path (the simulator's labels).
BUCKETS = {
    "/zoom/v2/contact_center/sms": "zoom HEAVY",
    "/zoom/v2/contact_center/voice_calls": "zoom HEAVY",
}


def _bucket(path: str) -> str | None:
    if path in BUCKETS:
        return BUCKETS[path]
    if path.startswith("/zoom/v2/phone/"):
        return "zoom MEDIUM"
    if path.startswith("/livevox/sms/"):
        return "livevox"
    if path.startswith("/routee/connect/"):
        return "routee"
    return None  # logins and tokens: not pages


@dataclass
class Seen:
    """Every response received, by rate bucket, and when each provider answered first and last."""

    started: float = field(default_factory=time.perf_counter)
    pages: Counter[str] = field(default_factory=Counter)
    too_many: int = 0
    spans: dict[str, list[float]] = field(default_factory=dict)

    async def __call__(self, response: httpx.Response) -> None:
        path = response.request.url.path
        if response.status_code == 429:
            self.too_many += 1
        bucket = _bucket(path)
        if bucket is not None and response.status_code == 200:
            self.pages[bucket] += 1
        provider = path.split("/")[1]
        at = time.perf_counter() - self.started
        span = self.spans.setdefault(provider, [at, at])
        span[1] = at


@contextlib.contextmanager
def simulators(month_sms: int, month_calls: int, faults: str) -> Iterator[str]:
    """`switchboard sandbox` with a month of `month_sms` SMS and `month_calls` calls, in its own process."""
    with sandbox_process(
        "--faults", faults, "--month-sms", str(month_sms), "--month-calls", str(month_calls)
    ) as base:
        yield base


@contextlib.asynccontextmanager
async def outbox() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """An empty outbox (a fresh SQLite file): the Delivery section reads it too."""
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        upgrade(url)
        engine = create_engine(url)
        try:
            yield async_sessionmaker(engine, expire_on_commit=False)
        finally:
            await engine.dispose()


def _providers(
    base: str, http: httpx.AsyncClient, zoom_rate: int | None, *, traced: bool = False
) -> Providers:
    limit = RateLimit(per_second=zoom_rate) if zoom_rate else None
    # Under tracemalloc every allocation is slower, and on a busy machine a call and its rate waits can
    # outlast the 20 s a call is given: the memory run measures memory, so its calls have no deadline.
    deadline = None if traced else DEFAULT_DEADLINE
    zoom = ZoomClient(
        account_id=credentials.ZOOM_ACCOUNT_ID,
        client_id=credentials.ZOOM_CLIENT_ID,
        client_secret=credentials.ZOOM_CLIENT_SECRET,
        api_url=f"{base}/zoom/v2",
        token_url=f"{base}/zoom/oauth/token",
        rate_limits={"heavy": limit, "medium": limit, "light": limit},
        http_client=http,
        deadline=deadline,
    )
    livevox = LiveVoxClient(
        access_token=credentials.LIVEVOX_ACCESS_TOKEN,
        client_name=credentials.LIVEVOX_CLIENT_NAME,
        username=DEMO.agent_login,
        password=credentials.LIVEVOX_PASSWORD,
        agent=True,
        base_url=f"{base}/livevox",
        http_client=http,
        deadline=deadline,
    )
    routee = RouteeClient(
        app_id=credentials.ROUTEE_APP_ID,
        app_secret=credentials.ROUTEE_APP_SECRET,
        api_url=f"{base}/routee/connect",
        token_url=f"{base}/routee/auth/oauth/token",
        http_client=http,
        deadline=deadline,
    )
    return Providers(team_id=TEAM, zoom=zoom, livevox=livevox, routee=routee, _http=http)


def _periods() -> tuple[Period, Period]:
    # The sandbox's world is anchored at today's 00:00 UTC (its busy month ends 30 minutes before).
    anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return Period(anchor - MONTH, anchor), Period(anchor - 2 * MONTH, anchor - MONTH)


async def _digest(base: str, zoom_rate: int | None, *, traced: bool) -> tuple[DigestData, Seen, float, int]:
    """One digest of every section; (data, what was seen, wall seconds, traced peak bytes or 0)."""
    current, previous = _periods()
    seen = Seen()
    async with outbox() as sessions, httpx.AsyncClient(timeout=60, event_hooks={"response": [seen]}) as http:
        providers = _providers(base, http, zoom_rate, traced=traced)
        if traced:
            tracemalloc.start()
        seen.started = started = time.perf_counter()
        (data,) = await build_digests(
            providers,
            sessions,
            TEAM,
            current,
            previous,
            requests=[DigestRequest()],
            zone=ZONE,
            every=Every.WEEK,
        )
        wall = time.perf_counter() - started
        peak = 0
        if traced:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        await providers.aclose()
    for section in (data.sms, data.calls, data.delivery, data.threads):
        if section.error:
            raise RuntimeError(f"{section.name}: {section.error}")
    return data, seen, wall, peak


def _floors(pages: Counter[str], zoom_rate: int) -> dict[str, float]:
    """Seconds each rate bucket needs at least: its pages ÷ the rate allowed (the lower of the simulator's
    and the client's, where the client keeps a guessed limit of its own)."""
    livevox_rate = min(LIVEVOX_SANDBOX_RATE, LIVEVOX_CLIENT_LIMIT.per_second or LIVEVOX_SANDBOX_RATE)
    rates = {
        "zoom HEAVY": zoom_rate,
        "zoom MEDIUM": zoom_rate,
        "livevox": livevox_rate,
        "routee": ROUTEE_SANDBOX_RATE,
    }
    return {bucket: pages[bucket] / rate for bucket, rate in rates.items()}


async def speed(month_sms: int, month_calls: int, zoom_rate: int) -> dict[str, Any]:
    with simulators(month_sms, month_calls, f"zoom:rate_limit={zoom_rate}") as base:
        data, seen, wall, _ = await _digest(base, zoom_rate, traced=False)
    floors = _floors(seen.pages, zoom_rate)
    by_provider: dict[str, float] = {}
    for bucket, seconds in floors.items():
        provider = bucket.split()[0]
        by_provider[provider] = max(by_provider.get(provider, 0.0), seconds)
    floor = max(by_provider.values())
    sms, calls = data.sms.current, data.calls.current
    assert sms is not None and calls is not None
    return {
        "benchmark": "digest",
        "month_sms_engagements": sms.sources["Zoom Contact Center"],
        "month_calls": calls.total,
        "zoom_rate_per_second": zoom_rate,
        "pages": dict(seen.pages),
        "floor_by_bucket_s": {k: round(v, 3) for k, v in floors.items()},
        "floor_by_provider_s": {k: round(v, 3) for k, v in by_provider.items()},
        "floor_s": round(floor, 3),
        "floor_sum_s": round(sum(by_provider.values()), 3),
        "wall_s": round(wall, 3),
        "ratio": round(wall / floor, 3) if floor else None,
        "responses_429": seen.too_many,
        "provider_span_s": {k: [round(first, 3), round(last, 3)] for k, (first, last) in seen.spans.items()},
    }


async def memory(month_sms: int, month_calls: int) -> dict[str, Any]:
    peaks: dict[str, int] = {}
    records: dict[str, int] = {}
    for label, scale in (("1x", 1), ("10x", 10)):
        with simulators(month_sms * scale, month_calls * scale, "zoom:rate_limit=0,daily_limit=0") as base:
            if scale == 1:
                # Once untraced first: the modules a digest imports lazily (anyio's backend, SQLAlchemy's
                # compiled statements) would otherwise count in the 1× run alone and flatter the ratio.
                await _digest(base, None, traced=False)
            data, _, _, peak = await _digest(base, None, traced=True)
        sms, calls = data.sms.current, data.calls.current
        assert sms is not None and calls is not None
        peaks[label] = peak
        records[label] = sms.sources["Zoom Contact Center"] + calls.total
    return {
        "benchmark": "digest_memory",
        "records": records,
        "peak_bytes": peaks,
        "memory_ratio": round(peaks["10x"] / peaks["1x"], 3),
    }


async def main(
    month_sms: int = 30_500,
    month_calls: int = 30_500,
    *,
    zoom_rate: int = ZOOM_RATE,
    memory_sms: int = 3_000,
    memory_calls: int = 3_000,
) -> dict[str, Any]:
    timed = await speed(month_sms, month_calls, zoom_rate)
    emit({"detail": timed})
    grown = await memory(memory_sms, memory_calls)
    emit({"detail": grown})
    summary: dict[str, Any] = {
        "summary": "digest",
        "goal_ratio": GOAL_RATIO,
        "goal_memory_ratio": GOAL_MEMORY,
        "ratio": timed["ratio"],
        "floor_s": timed["floor_s"],
        "floor_sum_s": timed["floor_sum_s"],
        "wall_s": timed["wall_s"],
        "responses_429": timed["responses_429"],
        "memory_ratio": grown["memory_ratio"],
    }
    summary["goal_met"] = bool(
        timed["ratio"] is not None
        and timed["ratio"] <= GOAL_RATIO
        and timed["responses_429"] == 0
        and grown["memory_ratio"] <= GOAL_MEMORY
    )
    emit(summary)
    return {"speed": timed, "memory": grown, "summary": summary}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--month-sms", type=int, default=30_500, help="Contact Center SMS in the month")
    parser.add_argument("--month-calls", type=int, default=30_500, help="voice calls in the month")
    parser.add_argument("--zoom-rate", type=int, default=ZOOM_RATE, help="Zoom requests/s per label")
    parser.add_argument(
        "--memory-sms", type=int, default=3_000, help="the memory run's 1× (10× is ten times)"
    )
    parser.add_argument("--memory-calls", type=int, default=3_000)
    args = parser.parse_args()
    asyncio.run(
        main(
            args.month_sms,
            args.month_calls,
            zoom_rate=args.zoom_rate,
            memory_sms=args.memory_sms,
            memory_calls=args.memory_calls,
        )
    )
