"""The job queue and the worker that runs it.

On Postgres, jobs are rows in procrastinate's tables: a job deferred after `ack()` survives a restart of
the web process and runs in `switchboard worker` (as many processes as you like). On the embedded SQLite
default, procrastinate's in-memory connector and a worker inside the web process keep `make run`
dependency-free; such jobs die with the process, which is the trade the embedded mode makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
import psycopg
from procrastinate import worker as pworker
from procrastinate.testing import InMemoryConnector
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from bot.db.liveness import check_quietly
from bot.jobs.runner import QUEUE

log = logging.getLogger(__name__)

POOL_TIMEOUT_SECONDS = 5.0


def _conninfo(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _configure(connection: psycopg.AsyncConnection[Any]) -> None:
    await connection.set_autocommit(True)  # (not in the pool's kwargs: procrastinate passes its own too)


def _pool(**options: Any) -> AsyncConnectionPool:
    """procrastinate's pool, with its check (a round trip per checkout) made quiet-first."""
    return AsyncConnectionPool(**(options | {"check": check_quietly}))


def create_job_app(database_url: str) -> procrastinate.App:
    connector: procrastinate.BaseConnector
    if database_url.startswith("postgresql"):
        # Enough connections for many concurrent jobs fetching and finishing at once.
        # The pool checks each connection it hands out, so one broken by a database outage is replaced,
        # not used (told by its socket, a round trip only when that is not quiet: bot/db/liveness.py);
        # `timeout`: while the database is away, deferring gives up after a few seconds (the person is
        # told) instead of the pool's default 30. Autocommit: each of procrastinate's queries is one
        # statement (a function call) of its own, so the commit the pool would send after each was one
        # more round trip for nothing (its LISTEN connection is autocommit already).
        connector = procrastinate.PsycopgConnector(
            conninfo=_conninfo(database_url),
            min_size=1,
            max_size=20,
            timeout=POOL_TIMEOUT_SECONDS,
            configure=_configure,
            pool_factory=_pool,
        )
    else:
        connector = InMemoryConnector()
    return procrastinate.App(connector=connector)


def is_in_memory(app: procrastinate.App) -> bool:
    return isinstance(app.connector, InMemoryConnector)


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 100
    heartbeat_seconds: float = 10.0
    stalled_after_seconds: float = 30.0
    shutdown_seconds: float = 30.0
    name: str = "switchboard"


class Worker:
    """A procrastinate worker as a task of the current event loop, restarted if it stops by itself.

    procrastinate stops a worker whose side task failed (its heartbeat, when the database went away):
    this supervisor starts it again with backoff, so work deferred after an outage is picked up without
    a restart. `stop()` drains: running jobs get `shutdown_seconds` to finish.
    """

    def __init__(self, app: procrastinate.App, context: dict[str, Any], options: WorkerOptions) -> None:
        self._app = app
        self._context = context
        self._options = options
        self._current: pworker.Worker | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def _build(self) -> pworker.Worker:
        options = self._options
        return pworker.Worker(
            app=self._app,
            queues=[QUEUE],
            name=options.name,
            concurrency=options.concurrency,
            wait=True,
            install_signal_handlers=False,  # the process owns its signals (see `bot.slack.runtime`)
            additional_context=self._context,
            fetch_job_polling_interval=0.05 if is_in_memory(self._app) else 1.0,
            delete_jobs="successful",
            update_heartbeat_interval=options.heartbeat_seconds,
            stalled_worker_timeout=options.stalled_after_seconds,
            shutdown_graceful_timeout=options.shutdown_seconds,
        )

    async def _supervise(self) -> None:
        pause = 0.5
        while not self._stopping.is_set():
            self._current = self._build()
            try:
                await self._current.run()  # type: ignore[no-untyped-call]
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database went away under it, most likely
                log.warning("job worker stopped (%s); restarting in %.1f s", type(error).__name__, pause)
            else:
                if self._stopping.is_set():
                    return
                log.warning("job worker stopped by itself; restarting in %.1f s", pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=pause)
            pause = min(pause * 2, 15.0)

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._supervise(), name="switchboard-worker")

    async def stop(self) -> None:
        """Stop taking jobs, let running ones finish (up to the shutdown timeout), then return."""
        if self._task is None:
            return
        self._stopping.set()
        if self._current is not None:
            self._current.stop()  # type: ignore[no-untyped-call]
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=self._options.shutdown_seconds + 5)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def wait_idle(self, within: float = 30.0) -> None:
        """Until no job is waiting or running (tests and the console settle on this)."""
        async with asyncio.timeout(within):
            while await pending_jobs(self._app):  # noqa: ASYNC110  (the queue is in the database: poll it)
                await asyncio.sleep(0.02)


IDLE_HORIZON = timedelta(seconds=60)
"""Work scheduled further ahead than this (an SMS to send tomorrow) does not keep the queue busy: idle
means nothing is due soon, so the console and the tests do not wait for tomorrow."""


async def pending_jobs(app: procrastinate.App) -> int:
    connector = app.connector
    if isinstance(connector, InMemoryConnector):
        horizon = datetime.now(UTC) + IDLE_HORIZON
        return sum(
            1
            for job in connector.jobs.values()
            if job["status"] in {"todo", "doing"}
            and not str(job["task_name"]).startswith("sb:")
            and (job["status"] == "doing" or (job.get("scheduled_at") or horizon) <= horizon)
        )
    rows = await connector.execute_query_all_async(
        "SELECT count(*) AS n FROM procrastinate_jobs "
        "WHERE status IN ('todo', 'doing') AND queue_name = %(queue)s AND task_name NOT LIKE 'sb:%%' "
        "AND (status = 'doing' OR scheduled_at IS NULL OR scheduled_at <= now() + %(horizon)s)",
        queue=QUEUE,
        horizon=IDLE_HORIZON,
    )
    return int(rows[0]["n"])
