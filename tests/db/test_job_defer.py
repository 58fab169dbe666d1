"""The runner stores jobs as procrastinate's own `defer` stores them (bot/jobs/runner.py writes the batch
as one JSON document instead of psycopg's array of composites): the same columns, the arguments intact
whatever the text holds, each caller given the id of its own job, a delay kept, and the queue's NOTIFY."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import procrastinate
import psycopg
import pytest

from bot.jobs.contract import Envelope, Job
from bot.jobs.queue import create_job_app
from bot.jobs.runner import QUEUE, JobRunner
from tests.databases import fresh_postgres, postgres_available

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL")

AWKWARD = [
    "",
    'a "quoted" word',
    'back\\slash \\" both',
    "{braces}, (parens), commas",
    "  spaces\tand\nnewlines ",
    "NULL",
    "é ü 日本 \u2003em space 🙂",
    "'; DROP TABLE procrastinate_jobs; --",
]


class Echo(Job):
    kind = "test_echo"
    text: str
    n: int | None = None


async def _nothing(job: Echo, container: Any) -> None:
    return None


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url


@pytest.fixture
async def app(url: str) -> AsyncIterator[procrastinate.App]:
    app = create_job_app(url)
    async with app.open_async():
        yield app


def _envelope(text: str) -> Envelope:
    return Envelope(
        team_id="T0DEMO", user_id="U0SUPER", response_url=f"https://hooks.slack.com/x?{text}", origin="t"
    )


async def _rows(app: procrastinate.App) -> dict[int, dict[str, Any]]:
    found = await app.connector.execute_query_all_async(
        "SELECT id, queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at, status "
        "FROM procrastinate_jobs ORDER BY id"
    )
    return {int(row["id"]): row for row in found}


async def test_a_batch_is_stored_as_procrastinates_own_defer_stores_it(app: procrastinate.App) -> None:
    runner: JobRunner[Any] = JobRunner(app)
    runner.register(Echo, _nothing)
    jobs = [Echo(envelope=_envelope(text), text=text, n=i) for i, text in enumerate(AWKWARD)]
    # Deferred together: they go in one statement, and each caller must get its own job's id back.
    ids = await asyncio.gather(*(runner.defer(job) for job in jobs))
    own = await app.configure_task(name=Echo.kind, queue=QUEUE).defer_async(
        job=jobs[1].model_dump(mode="json")
    )
    rows = await _rows(app)
    assert len(set(ids)) == len(jobs) and own not in ids
    reference = {k: v for k, v in rows[own].items() if k != "id"}
    for job, job_id in zip(jobs, ids, strict=True):
        row = rows[job_id]
        assert row["args"] == {"job": job.model_dump(mode="json")}
        assert Echo.model_validate(row["args"]["job"]) == job
        assert {k: v for k, v in row.items() if k not in ("id", "args")} == {
            k: v for k, v in reference.items() if k != "args"
        }
    assert rows[ids[1]]["args"] == reference["args"]
    assert reference["status"] == "todo" and reference["scheduled_at"] is None


async def test_a_delay_is_kept_and_a_waiting_worker_is_woken(app: procrastinate.App, url: str) -> None:
    runner: JobRunner[Any] = JobRunner(app)
    runner.register(Echo, _nothing)
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as listener:
        await listener.execute(f'LISTEN "procrastinate_queue_v1#{QUEUE}"')
        before = datetime.now(UTC)
        later = await runner.defer(Echo(envelope=_envelope("later"), text="later"), delay=90)
        now = await runner.defer(Echo(envelope=_envelope("now"), text="now"))
        heard: list[int] = []
        async with asyncio.timeout(5):
            async for notice in listener.notifies():
                heard.append(int(json.loads(notice.payload)["job_id"]))
                if len(heard) == 2:
                    break
    rows = await _rows(app)
    scheduled = rows[later]["scheduled_at"]
    assert scheduled is not None and 85 <= (scheduled - before).total_seconds() <= 95
    assert rows[now]["scheduled_at"] is None
    assert sorted(heard) == sorted([later, now])
