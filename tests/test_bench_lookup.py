"""bench/lookup.py runs (one small latency) and reports what it says: structure, and caches that pay off."""

from __future__ import annotations

from bench import lookup


async def test_lookup_benchmark_reports_cold_and_warm_ratios() -> None:
    latency_ms = 100
    # rest: a rate window (1.05 s) passes between lookups, so the warm one does not queue behind the cold.
    outcome = await lookup.main([latency_ms], warm=1, repeats=1, rest=1.1)
    (result,) = outcome["results"]
    summary = outcome["summary"]
    assert summary["summary"] == "lookup" and summary["goal_warm_ratio"] == lookup.GOAL_WARM
    assert {f"{kind}_ratio_{latency_ms}ms" for kind in ("warm", "cold")} <= set(summary)
    assert isinstance(summary["goal_met"], bool)
    # Nothing answers faster than a provider does.
    assert result["floor_ms"] >= latency_ms and result["warm_ms"] >= result["floor_ms"]
    assert set(result["floor_by_provider_ms"]) == {"livevox", "zoom", "routee"}
    # Warm lookups skip the logins, tokens and the inbox list: fewer requests, and not slower (a round trip
    # of margin, so a busy machine does not make this flaky; the benchmark itself reports the real ratios).
    cold, warm = result["requests"]["cold"], result["requests"]["warm"]
    assert (
        warm["livevox"] < cold["livevox"] and warm["zoom"] < cold["zoom"] and warm["routee"] < cold["routee"]
    )
    assert result["warm_ms"] <= result["cold_ms"] + latency_ms
