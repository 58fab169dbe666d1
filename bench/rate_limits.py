"""Staying under a provider's rate limit instead of bouncing off it.

A burst of `--calls` concurrent HEAVY Zoom requests (Contact Center SMS logs) against the sandbox, which
enforces Zoom's documented Pro limit (5 requests/s for HEAVY) with 429s, in its own process (as a provider
is on a machine of its own: it counts arrivals without waiting on its client's event loop), over real HTTP.
measured: with the client's rate limiter (the default), how many 429s came back and the throughput.
floor: the same burst with the limiter switched off (what a naive client does).
ratio = throughput_with_limiter / 5 per second (1.0 = using the whole allowance; a short burst reads a
little above it, since a whole second's allowance leaves at once and no one-second window holds more).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date, timedelta

import httpx

from bench.common import emit
from bench.priority import sandbox_process
from bot.providers import RetryPolicy, ZoomClient, errors
from bot.providers._http import RateLimiterRegistry
from bot.sandbox import credentials

PRO_HEAVY_PER_SECOND = 5


async def _burst(sandbox: str, calls: int, *, limited: bool) -> dict[str, float]:
    statuses: list[int] = []

    async def record(response: httpx.Response) -> None:
        if "/contact_center/" in response.request.url.path:
            statuses.append(response.status_code)

    http = httpx.AsyncClient(event_hooks={"response": [record]}, timeout=30)
    zoom = ZoomClient(
        account_id=credentials.ZOOM_ACCOUNT_ID,
        client_id=credentials.ZOOM_CLIENT_ID,
        client_secret=credentials.ZOOM_CLIENT_SECRET,
        api_url=f"{sandbox}/zoom/v2",
        token_url=f"{sandbox}/zoom/oauth/token",
        http_client=http,
        rate_limits=None if limited else {"heavy": None},
        limiter_registry=RateLimiterRegistry(),  # a fresh bucket per run
        retry=RetryPolicy(max_retries=8, backoff_max=4.0),
    )
    today = date.today()

    async def one() -> bool:
        try:
            await zoom.contact_center.sms.list(
                from_=today - timedelta(days=7), to=today, page_size=10
            ).first_page()
        except errors.RateLimited:
            return False
        return True

    started = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(calls)))
    elapsed = time.perf_counter() - started
    await zoom.aclose()
    await http.aclose()
    return {
        "calls": calls,
        "succeeded": sum(results),
        "responses_429": sum(1 for s in statuses if s == 429),
        "requests": len(statuses),
        "seconds": round(elapsed, 3),
        "throughput_per_s": round(sum(results) / elapsed, 3),
    }


async def main(calls: int) -> dict[str, object]:
    with sandbox_process() as sandbox:
        naive = await _burst(sandbox, calls, limited=False)
        await asyncio.sleep(1.5)  # let the sandbox's one-second window pass
        limited = await _burst(sandbox, calls, limited=True)
    ratio = limited["throughput_per_s"] / PRO_HEAVY_PER_SECOND
    result: dict[str, object] = {
        "benchmark": "rate_limits",
        "without_limiter": naive,
        "with_limiter": limited,
    }
    emit({"detail": result})
    emit(
        {
            "summary": "rate_limits",
            "ratio_of_allowance": round(ratio, 3),
            "429s_with_limiter": limited["responses_429"],
            "429s_without_limiter": naive["responses_429"],
        }
    )
    result["ratio_of_allowance"] = ratio
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=40)
    asyncio.run(main(parser.parse_args().calls))
