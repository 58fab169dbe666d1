"""The job queue and its in-process worker.

On Postgres, jobs are rows in procrastinate's tables: a job deferred after `ack()` survives a restart of
the web process and runs in `switchboard worker`. On the embedded SQLite default, procrastinate's
in-memory connector and a worker inside the web process keep `make run` dependency-free; such jobs die
with the process, which is the trade the embedded mode makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import procrastinate
from procrastinate.testing import InMemoryConnector
from sqlalchemy.engine import make_url

from bot.jobs.tasks import install

log = logging.getLogger(__name__)

QUEUE = "slack"


def _conninfo(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_job_app(database_url: str) -> procrastinate.App:
    connector: procrastinate.BaseConnector
    if database_url.startswith("postgresql"):
        connector = procrastinate.PsycopgConnector(conninfo=_conninfo(database_url))
    else:
        connector = InMemoryConnector()
    app = procrastinate.App(connector=connector)
    install(app)
    return app


def is_in_memory(app: procrastinate.App) -> bool:
    return isinstance(app.connector, InMemoryConnector)


class Worker:
    """Runs a procrastinate worker as a task of the current event loop, with the container as context."""

    def __init__(self, app: procrastinate.App, context: dict[str, Any], *, concurrency: int = 8) -> None:
        self._app = app
        self._context = context
        self._concurrency = concurrency
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(
            self._app.run_worker_async(
                queues=[QUEUE],
                concurrency=self._concurrency,
                wait=True,
                install_signal_handlers=False,
                additional_context=self._context,
                fetch_job_polling_interval=0.05 if is_in_memory(self._app) else 2.0,
                delete_jobs="successful",
                name="in-process",
            ),
            name="switchboard-worker",
        )

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def wait_idle(self, within: float = 30.0) -> None:
        """Until no job is waiting or running (tests and the console settle on this)."""
        async with asyncio.timeout(within):
            while await pending_jobs(self._app):  # noqa: ASYNC110  (the queue is in the database: poll it)
                await asyncio.sleep(0.02)


async def pending_jobs(app: procrastinate.App) -> int:
    connector = app.connector
    if isinstance(connector, InMemoryConnector):
        return sum(1 for job in connector.jobs.values() if job["status"] in {"todo", "doing"})
    rows = await connector.execute_query_all_async(
        "SELECT count(*) AS n FROM procrastinate_jobs "
        "WHERE status IN ('todo', 'doing') AND queue_name = %(queue)s",
        queue=QUEUE,
    )
    return int(rows[0]["n"])


@contextlib.asynccontextmanager
async def opened(app: procrastinate.App) -> AsyncIterator[procrastinate.App]:
    async with app.open_async():
        yield app
