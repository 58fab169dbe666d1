"""The benchmarks run (tiny sizes) and measure what they say: a smoke test so they never rot."""

from __future__ import annotations

from bench import ack_latency, lookup_fanout


async def test_ack_latency_benchmark_reports_a_ratio() -> None:
    result = await ack_latency.main(iterations=3)
    assert result["benchmark"] == "ack_latency"
    assert float(result["ratio_p50"]) > 0  # type: ignore[arg-type]
    lookup = result["lookup_ack"]
    assert isinstance(lookup, dict) and lookup["p50_ms"] < 3000  # Slack's deadline, with a wide margin


async def test_lookup_fans_out_concurrently() -> None:
    result = await lookup_fanout.main(latency_ms=60, rounds=1)
    # Sequentially the sources take their sum; concurrently the lookup must take clearly less.
    assert float(result["ratio"]) < 0.8  # type: ignore[arg-type]


async def test_client_limiter_stays_under_the_sandbox_rate_limit() -> None:
    from bench import rate_limits

    result = await rate_limits.main(calls=12)
    with_limiter, without = result["with_limiter"], result["without_limiter"]
    assert isinstance(with_limiter, dict) and isinstance(without, dict)
    assert with_limiter["succeeded"] == 12  # a stray bounce is retried (Retry-After), never lost
    # Timing claims, with margins a busy 2-core machine keeps: the limiter leaves 50 ms of slack per
    # one-second window, which a stall of the shared event loop (client and sandbox in one process) can
    # eat once; 0 x 429 is what `make bench` reports on a quiet machine.
    assert with_limiter["responses_429"] <= 1, with_limiter
    assert without["responses_429"] > with_limiter["responses_429"] + 1, without  # bounces off the limit
