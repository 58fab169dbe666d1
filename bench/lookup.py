"""How long a /lookup takes to answer, against the slowest provider's own latency.

For each provider latency (every provider slowed by the same `latency_ms`, injected in the sandbox), a fresh
app is booted, so no OAuth token, LiveVox session or inbox list is cached, and then:

- cold: a signed `/lookup` of one number, timed from sending the slash command until the answer reaches the
  emulated response_url (ack, job, every provider, blocks, the POST to response_url);
- warm: the same for other numbers right after, with tokens, the session and the inbox list in place (median);
- floor: one direct call to each provider through the app's own warmed clients (the fastest of a few per
  provider); the floor is the slowest provider's. No lookup can answer faster than its slowest provider.

ratio = completion / floor. The goal is warm ≤ 2.5×. The provider requests each lookup made are reported
too (`requests`), and `chains` says how many round trips deep each provider's work is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import booted, emit
from bot.console.driver import SlackDriver
from bot.console.emulator import SlackEmulator
from bot.providers.routee import TrackingFilter
from bot.services.demo import SUPERVISOR, TEAM_ID

COLD_NUMBER = "+1 415 555 0102"
WARM_NUMBERS = ("+1 415 555 0100", "+1 415 555 0101", "+1 415 555 0103")
GOAL_WARM = 2.5
REST_S = 1.0
CHAINS = {
    "livevox": "cold: login, inboxes, threads, messages (4); warm: threads, messages (2)",
    "zoom": "cold: token, then Phone sessions, messages (3); warm: 2. Contact Center lists: 1 each",
    "routee": "cold: token, tracking (2); warm: 1",
}


async def _answered(emulator: SlackEmulator, before: int) -> None:
    """Until a response_url post carrying the lookup's report arrives (polled every millisecond)."""
    seen = before
    while True:
        posts = emulator.response_posts
        for post in posts[seen:]:
            if "Lookup: " in json.dumps(post.body, ensure_ascii=False):
                return
        seen = len(posts)
        await asyncio.sleep(0.001)


def _requests(container: Any) -> dict[str, int]:
    """Requests each simulator has seen so far (none before the sandbox is first used)."""
    sandbox = container.sandbox
    injectors = sandbox.app.state.injectors if sandbox is not None and sandbox.started else {}
    return {name: injector.requests for name, injector in injectors.items()}


async def _timed_lookup(
    driver: SlackDriver,
    emulator: SlackEmulator,
    container: Any,
    number: str,
    *,
    limit_s: float,
    rest: float,
) -> tuple[float, dict[str, int]]:
    # One lookup's latency, not a burst's throughput: let the rate budgets refill first, as they do between
    # people's lookups (two HEAVY Zoom calls per lookup at 5/s would otherwise carry over into the next).
    await asyncio.sleep(rest)
    before, requests = len(emulator.response_posts), _requests(container)
    started = time.perf_counter()
    response = await driver.command("/lookup", f"{number} 30d", user=SUPERVISOR)
    assert response.status == 200, response.body
    async with asyncio.timeout(limit_s):
        await _answered(emulator, before)
    elapsed = time.perf_counter() - started
    after = _requests(container)
    await driver.settle()
    return elapsed, {name: after[name] - requests.get(name, 0) for name in after}


async def _floor(container: Any, repeats: int) -> dict[str, float]:
    """The fastest of `repeats` single requests to each provider (tokens and session already in place)."""
    identity = await container.identities.resolve(TEAM_ID, SUPERVISOR)
    providers = await container.providers.for_team(TEAM_ID)
    now = datetime.now(UTC)
    livevox = providers.livevox_agent(identity.livevox_login)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "livevox": lambda: livevox.agent.channels(),
        "zoom": lambda: providers.zoom.phone.sms_sessions.list(
            phone_number="+14155550100", from_=now - timedelta(days=29), to=now
        ).first_page(),
        "routee": lambda: providers.routee.tracking.list(
            date_start=now - timedelta(days=6),
            date_end=now,
            filters=[TrackingFilter(field_name="to", search_term="+14155550100")],
        ).first_page(),
    }

    async def fastest(call: Callable[[], Awaitable[object]]) -> float:
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            await call()
            best = min(best, time.perf_counter() - started)
        return best

    # Providers are timed side by side (each on its own): the floor is a property of each provider alone.
    times = await asyncio.gather(*(fastest(call) for call in calls.values()))
    return dict(zip(calls, times, strict=True))


async def measure(latency_ms: int, *, warm: int, repeats: int, rest: float) -> dict[str, Any]:
    limit_s = 30 + latency_ms / 1000 * 20
    async with booted(sandbox_faults=f"*:latency_ms={latency_ms}") as (driver, emulator, container):
        # Builds the workspace's clients (no token, session or inbox list yet) and the simulators: generating
        # the sandbox's world takes ~200 ms of CPU that no real deployment spends, so it stays out of cold.
        await container.providers.for_team(TEAM_ID)
        cold_s, cold_requests = await _timed_lookup(
            driver, emulator, container, COLD_NUMBER, limit_s=limit_s, rest=rest
        )
        warm_runs = [
            await _timed_lookup(driver, emulator, container, number, limit_s=limit_s, rest=rest)
            for number in (WARM_NUMBERS * warm)[:warm]
        ]
        floors = await _floor(container, repeats)
    warm_s = statistics.median(seconds for seconds, _ in warm_runs)
    floor_s = max(floors.values())
    return {
        "benchmark": "lookup",
        "latency_ms": latency_ms,
        "cold_ms": round(cold_s * 1000, 1),
        "warm_ms": round(warm_s * 1000, 1),
        "warm_all_ms": [round(seconds * 1000, 1) for seconds, _ in warm_runs],
        "floor_ms": round(floor_s * 1000, 1),
        "floor_by_provider_ms": {name: round(s * 1000, 1) for name, s in floors.items()},
        "cold_ratio": round(cold_s / floor_s, 2),
        "warm_ratio": round(warm_s / floor_s, 2),
        "requests": {"cold": cold_requests, "warm": warm_runs[0][1]},
        "rest_s": rest,
    }


async def main(
    latencies_ms: Sequence[int] = (100, 1000), *, warm: int = 3, repeats: int = 3, rest: float = REST_S
) -> dict[str, Any]:
    results = []
    for latency_ms in latencies_ms:
        result = await measure(latency_ms, warm=warm, repeats=repeats, rest=rest)
        emit({"detail": result})
        results.append(result)
    summary: dict[str, Any] = {"summary": "lookup", "goal_warm_ratio": GOAL_WARM}
    for result in results:
        summary[f"warm_ratio_{result['latency_ms']}ms"] = result["warm_ratio"]
        summary[f"cold_ratio_{result['latency_ms']}ms"] = result["cold_ratio"]
    summary["goal_met"] = all(float(r["warm_ratio"]) <= GOAL_WARM for r in results)
    emit({"detail": {"chains": CHAINS}})
    emit(summary)
    return {"results": results, "summary": summary}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=int, action="append", help="repeatable; default 100 and 1000")
    parser.add_argument("--warm", type=int, default=3, help="warm lookups per latency (median reported)")
    parser.add_argument("--repeats", type=int, default=3, help="direct calls per provider for the floor")
    args = parser.parse_args()
    asyncio.run(main(args.latency_ms or (100, 1000), warm=args.warm, repeats=args.repeats))
