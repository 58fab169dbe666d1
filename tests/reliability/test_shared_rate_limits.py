"""Three worker processes bursting at once share each provider account's rate limit through Postgres.

Real OS processes, each building its own Zoom client with the budget the container gives it on Postgres,
against ONE sandbox (`switchboard sandbox`, its own process, real HTTP), which enforces Zoom's documented
Pro limit (HEAVY: 5 requests/s, fixed one-second windows) with 429s. Clients do not retry, so every 429
counts. The control runs the same processes with per-process buckets (what they did before) and must
bounce: the test can fail.

Throughput: the slots are reserved up-front when the burst starts, so the rate the provider sees depends
only on the first and last sends of the schedule. A request that would leave more than the limit's slack
after its slot (a stalled event loop) takes a new slot rather than crowd the next window, which can cost
the burst one window at its end; over ~24 s that still leaves the rate above 90% of the allowance (~95%
is measured, with or without two CPU hogs running, see `bench.shared_rate_limits`).
"""

from __future__ import annotations

import time

import pytest

from bench.priority import sandbox_process
from bench.shared_rate_limits import PRO_HEAVY_PER_SECOND, burst
from tests.databases import fresh_postgres, postgres_available

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL")

CALLS_PER_PROCESS = 40  # 120 HEAVY calls at 5/s: ~24 s of sustained load


def test_three_bursting_workers_share_the_limit_and_use_it() -> None:
    with fresh_postgres() as url, sandbox_process() as sandbox:
        shared = burst(sandbox, url, budget="shared", calls=CALLS_PER_PROCESS)
        time.sleep(1.5)  # the sandbox's one-second window passes
        control = burst(sandbox, url, budget="local", calls=10)

    assert shared["responses_429"] == 0, shared
    assert shared["succeeded"] == 3 * CALLS_PER_PROCESS
    assert shared["per_process_succeeded"] == [CALLS_PER_PROCESS] * 3  # every process took part
    # The sandbox counts fixed one-second windows at arrival, as Zoom does: 0 x 429 above is the verdict.
    # Sends are scheduled at most 5 per 1.05 s, and one that would leave more than the 50 ms of slack late
    # takes a new slot. The sliding count (stricter than any fixed window, and read at the client, before
    # the request's last few milliseconds) is reported by the benchmark, not held.
    assert shared["send_rate_per_s"] <= PRO_HEAVY_PER_SECOND * 1.02, shared  # never above the allowance
    assert shared["send_rate_per_s"] >= PRO_HEAVY_PER_SECOND * 0.9, shared  # and uses it

    # Each process alone keeps to 5/s, so the three together send ~3x the allowance and bounce.
    assert control["responses_429"] >= 5, control
    assert control["send_rate_per_s"] > PRO_HEAVY_PER_SECOND * 1.5, control
