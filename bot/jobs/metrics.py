"""Job metrics: what the runner did (a `JobObserver`) and what waits in the queue (sampled per scrape).

The counters and the duration histogram live on prometheus_client's default registry (see `bot.metrics`).
The queue gauges are read from the queue itself when /metrics is scraped, so every process (web or
worker) reports the deployment's queue as the database holds it; `switchboard_job_queue_up` says whether
that read worked, so a database outage shows up as a gauge and never fails the scrape.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate.testing import InMemoryConnector
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.jobs.runner import QUEUE, JobObserver

log = logging.getLogger(__name__)

JOBS = Counter(
    "switchboard_jobs_total",
    "Job runs by kind and outcome: succeeded | retried | failed | expired | unknown | unreadable | "
    "recovered (a dead worker's job put back in the queue) | dropped (its workspace removed the app).",
    ["kind", "outcome"],
)
JOB_SECONDS = Histogram(
    "switchboard_job_seconds",
    "Duration of one job run (one attempt), by kind.",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)

# A scrape never waits longer than this for the queue's numbers (a slow or absent database).
QUEUE_SAMPLE_TIMEOUT = 2.0

# One row per (task, status) among waiting and running jobs: how many, and since when the oldest has been
# in that status (its last transition event; a todo job scheduled for later counts from its schedule).
_QUEUE_SQL = """
SELECT j.task_name, j.status::text AS status, count(*) AS n,
       EXTRACT(EPOCH FROM now() - min(
           CASE WHEN j.status = 'todo' THEN GREATEST(e.at, j.scheduled_at) ELSE e.at END
       )) AS oldest
FROM procrastinate_jobs j
LEFT JOIN LATERAL (
    SELECT max(ev.at) AS at FROM procrastinate_events ev
    WHERE ev.job_id = j.id AND ev.type IN ('deferred', 'started', 'deferred_for_retry', 'retried')
) e ON true
WHERE j.queue_name = %(queue)s AND j.status IN ('todo', 'doing')
GROUP BY j.task_name, j.status
"""
_TRANSITIONS = frozenset({"deferred", "started", "deferred_for_retry", "retried"})


class PrometheusJobObserver(JobObserver):
    """Counts job runs by kind and outcome and times them; stateless, so one per runner is fine."""

    def finished(self, kind: str, outcome: str, seconds: float) -> None:
        JOBS.labels(kind, outcome).inc()
        # A stalled job's recovery is not a run of it (seconds is 0 there): only real runs are timed.
        if outcome != "recovered" and seconds > 0:
            JOB_SECONDS.labels(kind).observe(seconds)


@dataclass
class QueueSnapshot:
    """The queue as one scrape saw it: counts and oldest ages by (kind, status), or `up=False`."""

    up: bool
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    oldest: dict[tuple[str, str], float] = field(default_factory=dict)
    seconds: float = 0.0


async def sample_queue(
    app: procrastinate.App, *, queue: str = QUEUE, within: float | None = None
) -> QueueSnapshot:
    """Read the queue's depth and ages; never raises (`up=False` when the database did not answer)."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(QUEUE_SAMPLE_TIMEOUT if within is None else within):
            snapshot = await _sample(app, queue)
    except Exception as error:  # a scrape reports the outage, it does not fail because of it
        log.warning("metrics: the job queue could not be read (%s)", type(error).__name__)
        snapshot = QueueSnapshot(up=False)
    snapshot.seconds = time.perf_counter() - started
    return snapshot


async def _sample(app: procrastinate.App, queue: str) -> QueueSnapshot:
    connector = app.connector
    if isinstance(connector, InMemoryConnector):
        return _sample_in_memory(connector, queue)
    rows = await connector.execute_query_all_async(_QUEUE_SQL, queue=queue)
    snapshot = QueueSnapshot(up=True)
    for row in rows:
        key = (str(row["task_name"]), str(row["status"]))
        snapshot.counts[key] = int(row["n"])
        snapshot.oldest[key] = max(0.0, float(row["oldest"] or 0.0))
    return snapshot


def _sample_in_memory(connector: InMemoryConnector, queue: str) -> QueueSnapshot:
    """The same numbers from procrastinate's in-memory connector (SQLite mode), read without awaiting."""
    snapshot = QueueSnapshot(up=True)
    now = datetime.now(UTC)
    for job in list(connector.jobs.values()):
        status = str(job["status"])
        if job["queue_name"] != queue or status not in {"todo", "doing"}:
            continue
        key = (str(job["task_name"]), status)
        snapshot.counts[key] = snapshot.counts.get(key, 0) + 1
        since = _entered(
            connector.events.get(job["id"], []), job["scheduled_at"] if status == "todo" else None
        )
        if since is not None:
            age = max(0.0, (now - since).total_seconds())
            snapshot.oldest[key] = max(snapshot.oldest.get(key, 0.0), age)
    return snapshot


def _entered(events: Iterable[Mapping[str, Any]], scheduled_at: datetime | None) -> datetime | None:
    moments = [event["at"] for event in events if event["type"] in _TRANSITIONS and event["at"] is not None]
    if scheduled_at is not None:
        moments.append(scheduled_at)
    return max(moments) if moments else None


class QueueCollector(Collector):
    """Gauges of one `QueueSnapshot`; `kinds` are reported at 0 when none of them waits, so a dashboard
    sees an empty queue as 0 rather than as a missing series."""

    def __init__(self, snapshot: QueueSnapshot, kinds: Iterable[str] = ()) -> None:
        self.snapshot = snapshot
        self.kinds = sorted(set(kinds))

    def collect(self) -> Iterator[Metric]:
        snapshot = self.snapshot
        up = GaugeMetricFamily(
            "switchboard_job_queue_up",
            "1 when this scrape could read the job queue (the database answered in time), else 0.",
        )
        up.add_metric([], 1.0 if snapshot.up else 0.0)
        took = GaugeMetricFamily(
            "switchboard_job_queue_sample_seconds", "How long reading the job queue took in this scrape."
        )
        took.add_metric([], snapshot.seconds)
        yield up
        yield took
        if not snapshot.up:
            return  # unknown is not zero: no depth is reported while the queue cannot be read
        depth = GaugeMetricFamily(
            "switchboard_job_queue_depth",
            "Jobs in the queue by kind and status: todo (waiting or due for a retry) | doing (running).",
            labels=["kind", "status"],
        )
        oldest = GaugeMetricFamily(
            "switchboard_job_queue_oldest_seconds",
            "Age of the oldest job in each status, by kind: how long it has waited (todo) or run (doing).",
            labels=["kind", "status"],
        )
        counts = dict(snapshot.counts)
        for kind in self.kinds:
            counts.setdefault((kind, "todo"), 0)
            counts.setdefault((kind, "doing"), 0)
        for (kind, status), count in sorted(counts.items()):
            depth.add_metric([kind, status], float(count))
            oldest.add_metric([kind, status], snapshot.oldest.get((kind, status), 0.0))
        yield depth
        yield oldest


async def queue_collector(app: procrastinate.App, kinds: Iterable[str] = ()) -> QueueCollector:
    """Sample the queue now and wrap it for `bot.metrics.exposition`."""
    return QueueCollector(await sample_queue(app), kinds)
