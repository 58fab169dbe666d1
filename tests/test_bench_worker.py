"""bench.worker_throughput runs (tiny sizes) and measures what it says; timing is `make bench`'s business."""

from __future__ import annotations

from bench import worker_throughput


async def test_worker_throughput_benchmark_answers_every_lookup_completely() -> None:
    result = await worker_throughput.run(concurrency=100, lookups=3, latency_ms=100)
    assert result["lookups"] == 3 and result["incomplete_answers"] == 0
    assert result["heavy_calls_per_lookup"] == 2.0  # counted off the provider-call metrics
    floor = result["floor_s"]
    assert isinstance(floor, float) and floor >= result["single_lookup_s"]
    assert isinstance(result["completion_s"], float) and result["completion_s"] > 0
