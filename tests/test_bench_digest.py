"""bench/digest.py runs (a small month) and reports what it says: its floor from its own pages, no 429s,
providers read side by side, and both memory peaks."""

from __future__ import annotations

import pytest

from bench import digest


# Half a minute alone; several minutes late in a suite on 2 busy cores (its memory run is under tracemalloc).
@pytest.mark.timeout(900)
async def test_digest_benchmark_reports_floor_429s_parallelism_and_memory() -> None:
    outcome = await digest.main(1_200, 1_200, zoom_rate=20, memory_sms=300, memory_calls=300)
    timed, grown, summary = outcome["speed"], outcome["memory"], outcome["summary"]
    assert summary["summary"] == "digest" and isinstance(summary["goal_met"], bool)
    assert summary["goal_ratio"] == digest.GOAL_RATIO and summary["goal_memory_ratio"] == digest.GOAL_MEMORY
    # The month's data was read: every Contact Center record of the busy month, page by page.
    assert timed["month_sms_engagements"] >= 1_200 and timed["month_calls"] >= 1_200
    assert timed["pages"]["zoom HEAVY"] >= (1_200 + 1_200) // 100
    # The floor is this run's pages over the allowed rate; nothing beats it. The client keeps 5% under the
    # simulator's limit, which `make bench` shows as 0 x 429; a simulator process starved of CPU by a busy
    # machine (the whole suite, on 2 cores) handles queued requests in a clump and may count one too many
    # in a second, so here a stray 429 (answered by waiting its Retry-After) is tolerated, a pattern is not.
    assert timed["floor_by_bucket_s"]["zoom HEAVY"] == round(timed["pages"]["zoom HEAVY"] / 20, 3)
    assert timed["responses_429"] <= 2 and summary["responses_429"] == timed["responses_429"]
    assert timed["wall_s"] >= 0.9 * timed["floor_s"] and timed["ratio"] is not None
    # Providers overlap: each started within the first second, and the whole took less than their floors'
    # sum plus a loaded machine's slack (a serial read would take at least that sum).
    assert set(timed["provider_span_s"]) == {"zoom", "livevox", "routee"}
    assert all(first < 1.0 for first, _ in timed["provider_span_s"].values())
    assert timed["floor_s"] <= timed["floor_sum_s"]
    # Memory: both runs measured, the 10x one over ten times the busy month (the world's own 90 days of
    # Contact Center records come on top in both).
    assert grown["records"]["10x"] - grown["records"]["1x"] == 9 * (300 + 300)
    assert grown["peak_bytes"]["1x"] > 0
    # Streaming: ten times the records may not cost anywhere near ten times the memory (the goal is 1.2;
    # the margin is for a small run, where one more page in flight weighs more).
    assert grown["memory_ratio"] < 2.0
