"""The job runner: typed jobs in, one procrastinate task per job kind, retries and recovery around them.

The runner knows nothing of Slack. Whoever owns the work (the Slack layer) installs it:

    runner.register(LookupJob, run_lookup)        # async def run_lookup(job: LookupJob, c: Container)
    runner.on_failure(tell_the_person)             # async def tell(job, failure, error, c)
    await runner.defer(LookupJob(envelope=..., number=...))  # once it is stored

`C` is the container handlers get (the composition root's `Container`); it reaches the worker as
procrastinate's `additional_context["container"]`, the one untyped hop, checked here once.

What happens to a job (see `bot.jobs.contract` for `Effect`):
- it succeeds: done;
- it raises: a READ job meeting a transient error is retried with backoff while its deadline allows,
  and so is a CHANGE job that met it before changing anything (it raises `NothingChanged`); otherwise
  the notifier is told (`Failure.ERROR`) and the job ends `failed`;
- its worker dies: `recover_stalled` (a periodic task) finds it by the worker's missing heartbeat; a READ
  job runs again, a CHANGE job ends `failed` and the notifier says "outcome unknown";
- its worker is stopped (SIGTERM): running jobs get the graceful timeout; a READ job cut short is
  retried, a CHANGE job cut short is reported as "outcome unknown".
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar, cast

import procrastinate
from procrastinate import exceptions as pexc
from procrastinate import retry as pretry
from procrastinate.jobs import DEFAULT_PRIORITY, Status
from procrastinate.jobs import Job as QueuedJob
from procrastinate.sql import queries as procrastinate_queries
from procrastinate.types import JobToDefer
from pydantic import ValidationError

from bot.db.liveness import LiveConnections
from bot.errors import InputError, NotFoundError
from bot.jobs.contract import Effect, Envelope, Failure, Job
from bot.jobs.retry import Backoff, NothingChanged, retry_after

log = logging.getLogger(__name__)

QUEUE = "slack"
RECOVERY_TASK = "sb:recover_stalled"
DEFER_BATCH = 200  # jobs stored by one INSERT at most
STORES_IN_FLIGHT = 3  # INSERTs of deferred jobs on their way at once (see `JobRunner.defer`)
DEFER_JOBS = procrastinate_queries["defer_jobs"]
# procrastinate's `defer_jobs` (its own versioned function: its triggers, events and NOTIFY), with the batch
# sent as one JSON document that Postgres turns into the function's array of composites. psycopg writes
# that array in Python, field by field with two rounds of escaping; one JSON string from pydantic and
# `json` costs a fraction of it, on the web process's busiest path (each deferred job of every /lookup).
DEFER_JOBS_JSON = """
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY(
    SELECT jsonb_populate_record(NULL::procrastinate_job_to_defer_v1, job.value)
    FROM jsonb_array_elements(%(jobs)s::jsonb) WITH ORDINALITY AS job(value, position)
    ORDER BY job.position
))) AS id
"""

C = TypeVar("C")
J = TypeVar("J", bound=Job)

Notifier = Callable[[Job, Failure, BaseException | None, C], Awaitable[None]]


class JobObserver:
    """Hooks for metrics; the default does nothing (`bot.jobs.metrics` provides the Prometheus one)."""

    def started(self, kind: str) -> None:
        """A job of `kind` began running."""

    def finished(self, kind: str, outcome: str, seconds: float) -> None:
        """outcome: succeeded | retried | failed | expired | unknown | unreadable | recovered."""


class _Retry(Exception):
    """Raised by the task wrapper to ask procrastinate for another attempt after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"retry in {delay:.1f}s")
        self.delay = delay


class _RetryWhenAsked(pretry.BaseRetryStrategy):
    """The runner decides (it knows the job's effect and deadline); procrastinate only schedules."""

    def get_retry_decision(self, *, exception: BaseException, job: QueuedJob) -> pretry.RetryDecision | None:
        if isinstance(exception, _Retry):
            at = datetime.now(UTC) + timedelta(seconds=max(exception.delay, 0.0))
            return pretry.RetryDecision(retry_at=at)
        return None


@dataclass(frozen=True)
class _Entry(Generic[C]):
    model: type[Job]
    handler: Callable[[Any, C], Awaitable[None]]


class JobRunner(Generic[C]):
    def __init__(
        self,
        app: procrastinate.App,
        *,
        queue: str = QUEUE,
        backoff: Backoff | None = None,
        observer: JobObserver | None = None,
    ) -> None:
        self.app = app
        self.queue = queue
        self.backoff = backoff or Backoff()
        self.observer = observer or JobObserver()
        self._entries: dict[str, _Entry[C]] = {}
        self._notifiers: list[Notifier[C]] = []
        self._gate: Callable[[Job, C], Awaitable[bool]] | None = None
        self._retry = _RetryWhenAsked()
        self._waiting: list[tuple[str | JobToDefer, asyncio.Future[int]]] = []
        self._storing: set[asyncio.Task[None]] = set()
        self._connections: LiveConnections | None = None  # on Postgres, made at the first store

    # ------------------------------------------------------------------------------ installing work

    def register(self, model: type[J], handler: Callable[[J, C], Awaitable[None]]) -> None:
        """Run `handler` for every deferred `model`. Registering the same pair again changes nothing."""
        kind = model.kind
        existing = self._entries.get(kind)
        if existing is not None:
            if existing.model is model and existing.handler is handler:
                return
            raise ValueError(
                f"job kind {kind!r} is registered twice ({existing.model.__name__}, {model.__name__})"
            )
        self._entries[kind] = _Entry(model, cast(Callable[[Any, C], Awaitable[None]], handler))

        async def task(context: procrastinate.JobContext, job: dict[str, Any]) -> None:
            await self._run(context, kind, job)

        task.__name__ = task.__qualname__ = f"run_{kind}"
        self.app.task(name=kind, queue=self.queue, pass_context=True, retry=self._retry)(task)

    def on_failure(self, notifier: Notifier[C]) -> None:
        """`notifier` tells the person when a job ends without doing its work (see `Failure`)."""
        if notifier not in self._notifiers:
            self._notifiers.append(notifier)

    def gate(self, check: Callable[[Job, C], Awaitable[bool]]) -> None:
        """`check` runs before each job: False drops the job unrun and untold (outcome `dropped`), as for
        a workspace that removed the app, whose work must stop wherever it waits, or a repeated click."""
        self._gate = check

    @property
    def kinds(self) -> dict[str, type[Job]]:
        return {kind: entry.model for kind, entry in self._entries.items()}

    # ---------------------------------------------------------------------------------- deferring

    def defer(self, job: Job, *, delay: float | None = None) -> asyncio.Future[int]:
        """Queue `job` (durable on Postgres): the future of its id, set once it is stored (await it). A job
        kind nobody registered is a bug, raised at once. `delay`: seconds before it may run (a follow-up that
        looks again later, e.g. for a delivery record).

        Jobs deferred while INSERTs are on their way to the database go together in the next one: under a
        burst of requests one statement stores many jobs, instead of each request paying a round trip, a
        commit and a pool checkout of its own (that work was a third of a busy web process's CPU). Up to
        `STORES_IN_FLIGHT` go at once: a slash command is acked once its job is stored
        (`bot.slack.commands.Invocation.accept`), and with one INSERT at a time each waited for the one
        ahead of it and its commit's flush too (+10–30% on /lookup's ack p99 at 50 in flight).
        """
        kind = job.kind
        entry = self._entries.get(kind)
        if entry is None or entry.model is not type(job):
            raise LookupError(f"no handler is registered for job kind {kind!r}")
        scheduled_at = datetime.now(UTC) + timedelta(seconds=delay) if delay else None
        queued: str | JobToDefer
        if isinstance(self.app.connector, procrastinate.PsycopgConnector):
            # The row procrastinate's own `defer` would store (Task.configure ▸ make_new_job ▸ JobManager),
            # written directly: those build and copy a Job (attrs `evolve`) three times per job, for the id
            # alone, which was a tenth of a busy web process's CPU under /lookup.
            queued = (
                f'{{"queue_name":{json.dumps(self.queue)},"task_name":{json.dumps(kind)},'
                f'"priority":{DEFAULT_PRIORITY},"lock":null,"queueing_lock":null,'
                f'"args":{{"job":{job.model_dump_json()}}},'
                f'"scheduled_at":{json.dumps(scheduled_at.isoformat()) if scheduled_at else "null"}}}'
            )
        else:  # the in-memory queue reads procrastinate's own query and rows
            queued = JobToDefer(
                queue_name=self.queue,
                task_name=kind,
                priority=DEFAULT_PRIORITY,
                lock=None,
                queueing_lock=None,
                args={"job": job.model_dump(mode="json")},
                scheduled_at=scheduled_at,
            )
        stored: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((queued, stored))
        if len(self._storing) < STORES_IN_FLIGHT:
            storing = asyncio.create_task(self._store_waiting(), name="switchboard-defer")
            self._storing.add(storing)
            storing.add_done_callback(self._storing.discard)
        return stored

    async def _store_waiting(self) -> None:
        connector = self.app.connector
        while self._waiting:
            batch, self._waiting = self._waiting[:DEFER_BATCH], self._waiting[DEFER_BATCH:]
            try:
                # No queueing locks are used, so there is no AlreadyEnqueued to map.
                if isinstance(connector, procrastinate.PsycopgConnector):
                    ids = await self._store_json(connector, [cast(str, queued) for queued, _ in batch])
                else:  # the in-memory queue reads procrastinate's own query and rows
                    rows = await connector.execute_query_all_async(
                        query=DEFER_JOBS, jobs=[queued for queued, _ in batch]
                    )
                    ids = [int(row["id"]) for row in rows]
                if len(ids) != len(batch):
                    raise RuntimeError(f"{len(batch)} jobs deferred, {len(ids)} stored")
            except Exception as error:  # each caller hears it (the database is away, most likely)
                for _, stored in batch:
                    if not stored.done():
                        stored.set_exception(error)
                continue
            for (_, stored), job_id in zip(batch, ids, strict=True):
                if not stored.done():
                    stored.set_result(job_id)

    async def _store_json(self, connector: procrastinate.PsycopgConnector, rows: list[str]) -> list[int]:
        """One batch, as one JSON document, on a connection of the stores' own (`LiveConnections`: the
        pool's checkout and procrastinate's cursor wrapper were a quarter of each batch's CPU). Durable
        when it returns: these connections keep Postgres's synchronous commit."""
        if self._connections is None:
            conninfo = connector.pool.conninfo
            if not isinstance(conninfo, str):  # bot.jobs.queue gives a string; psycopg_pool allows more
                raise TypeError("the queue's pool must be given its conninfo as a string")
            self._connections = LiveConnections(conninfo)
        async with self._connections.connection() as connection:
            cursor = await connection.execute(DEFER_JOBS_JSON, {"jobs": "[" + ",".join(rows) + "]"})
            return [int(row[0]) for row in await cursor.fetchall()]

    async def aclose(self) -> None:
        """Close the stores' own connections (the queue's pool is procrastinate's to close)."""
        if self._connections is not None:
            await self._connections.aclose()

    # ------------------------------------------------------------------------------------ running

    def _container(self, context: procrastinate.JobContext) -> C:
        container = (context.additional_context or {}).get("container")
        if container is None:
            raise RuntimeError("the worker was started without a container in its context")
        return cast(C, container)

    async def _run(self, context: procrastinate.JobContext, kind: str, raw: dict[str, Any]) -> None:
        container = self._container(context)
        entry = self._entries[kind]
        started = time.monotonic()
        self.observer.started(kind)
        try:
            job = entry.model.model_validate(raw)
        except ValidationError as error:
            log.error("job %s has an unreadable payload: %s", kind, error.errors(include_input=False))
            await self._notify_raw(raw, Failure.UNREADABLE, container)
            self.observer.finished(kind, "unreadable", time.monotonic() - started)
            return
        attempt = context.job.attempts if context.job is not None else 0
        if time.time() > job.expires_at:
            await self._notify(job, Failure.EXPIRED, None, container)
            self.observer.finished(kind, "expired", time.monotonic() - started)
            return
        dropped = False
        try:
            # Inside the try: a database blink while checking is a transient error like any other.
            if self._gate is not None and not await self._gate(job, container):
                dropped = True
            else:
                await entry.handler(job, container)
        except asyncio.CancelledError:
            # Stopped (shutdown after the graceful timeout): read-only work is done again elsewhere;
            # a change may have reached the provider, so it is never repeated and the person is told.
            if job.effect is Effect.READ:
                self.observer.finished(kind, "retried", time.monotonic() - started)
                raise _Retry(0) from None
            await self._notify(job, Failure.OUTCOME_UNKNOWN, None, container)
            self.observer.finished(kind, "unknown", time.monotonic() - started)
            raise
        except Exception as error:
            backoff = job.backoff or self.backoff
            retryable = job.effect is Effect.READ or isinstance(error, NothingChanged)
            delay = retry_after(error, attempt, backoff) if retryable else None
            # Retry only if another attempt as slow as this one still ends within the window.
            window = min(job.envelope.accepted_at + job.retry_window_seconds, job.expires_at)
            took = time.monotonic() - started
            if delay is not None and time.time() + delay + took < window:
                log.warning(
                    "job %s failed transiently (%s); retry %d in %.1f s",
                    kind,
                    type(error).__name__,
                    attempt + 1,
                    delay,
                )
                self.observer.finished(kind, "retried", time.monotonic() - started)
                raise _Retry(delay) from error
            if isinstance(error, InputError | NotFoundError):  # the request's, not a bug: no traceback
                log.warning("job %s refused its input: %s", kind, type(error).__name__)
            else:
                log.error("job %s failed: %s", kind, type(error).__name__, exc_info=error)
            await self._notify(job, Failure.ERROR, error, container)
            self.observer.finished(kind, "failed", time.monotonic() - started)
            raise
        if dropped:
            log.info("job %s dropped by its gate", kind)
            self.observer.finished(kind, "dropped", time.monotonic() - started)
            return
        self.observer.finished(kind, "succeeded", time.monotonic() - started)

    async def _notify(self, job: Job, failure: Failure, error: BaseException | None, container: C) -> None:
        for notifier in self._notifiers:
            try:
                await notifier(job, failure, error, container)
            except Exception:  # telling the person failed too (Slack down, URL expired): the log has it
                log.warning("failure notifier could not tell the person about %s", job.kind, exc_info=True)

    async def _notify_raw(self, raw: dict[str, Any], failure: Failure, container: C) -> None:
        """A payload that no longer fits its model still carries an envelope, usually: answer that."""
        try:
            envelope = Envelope.model_validate(raw.get("envelope"))
        except ValidationError:
            return
        await self._notify(_Unreadable(envelope=envelope), failure, None, container)

    # ---------------------------------------------------------------------------- stalled jobs

    def install_recovery(self, *, every_seconds: int, stalled_after: float) -> None:
        """A periodic task that recovers the jobs of dead workers (one run per tick across workers)."""
        if RECOVERY_TASK in self.app.tasks:
            return

        async def recover(container: C, timestamp: int) -> None:
            await self.recover_stalled(container, stalled_after=stalled_after)

        self.periodic(RECOVERY_TASK, every_seconds=every_seconds, handler=recover)

    def periodic(
        self, name: str, *, every_seconds: int, handler: Callable[[C, int], Awaitable[None]]
    ) -> None:
        """Run `handler(container, timestamp)` every `every_seconds` (rounded to a divisor of a minute):
        procrastinate defers one job per tick across every worker (its periodic defers are unique per
        task and timestamp), so a tick runs once however many workers there are. Idempotent per name."""
        if name in self.app.tasks:
            return

        async def tick(context: procrastinate.JobContext, timestamp: int) -> None:
            await handler(self._container(context), timestamp)

        every = _cron_seconds(every_seconds)
        cron = "* * * * *" if every >= 60 else f"* * * * * */{every}"
        task = self.app.task(name=name, queue=self.queue, pass_context=True)(tick)
        self.app.periodic(cron=cron, periodic_id=name)(task)

    async def recover_stalled(self, container: C, *, stalled_after: float) -> dict[str, int]:
        """Retry READ jobs of dead workers, end CHANGE ones as outcome unknown; returns counts."""
        counts = {"retried": 0, "unknown": 0, "expired": 0}
        stalled = await self.app.job_manager.get_stalled_jobs(
            queue=self.queue, seconds_since_heartbeat=stalled_after
        )
        for queued in stalled:
            entry = self._entries.get(queued.task_name)
            if entry is None:  # the recovery task itself, or a kind this process does not run
                continue
            raw = queued.task_kwargs.get("job")
            try:
                job = entry.model.model_validate(raw)
            except ValidationError:
                job = None
            if (
                job is not None
                and job.effect is Effect.READ
                and time.time() < job.expires_at
                and queued.attempts < (job.backoff or self.backoff).attempts
            ):
                if await self._claim(self.app.job_manager.retry_job(queued)):
                    log.warning("job %s of a dead worker is retried", queued.task_name)
                    counts["retried"] += 1
                    self.observer.finished(queued.task_name, "recovered", 0.0)
                continue
            if not await self._claim(
                self.app.job_manager.finish_job(queued, Status.FAILED, delete_job=False)
            ):
                continue  # another process got there first
            if job is None:
                await self._notify_raw(raw if isinstance(raw, dict) else {}, Failure.UNREADABLE, container)
                continue
            failure = Failure.OUTCOME_UNKNOWN if job.effect is Effect.CHANGE else Failure.EXPIRED
            log.warning("job %s of a dead worker ended: %s", queued.task_name, failure.value)
            outcome = "unknown" if failure is Failure.OUTCOME_UNKNOWN else "expired"
            counts[outcome] += 1
            self.observer.finished(queued.task_name, outcome, 0.0)
            await self._notify(job, failure, None, container)
        return counts

    @staticmethod
    async def _claim(operation: Awaitable[None]) -> bool:
        """Run a state transition of a `doing` job; False when another process already moved it."""
        try:
            await operation
        except pexc.ConnectorException as error:
            log.info("stalled job already handled elsewhere: %s", type(error).__name__)
            return False
        return True


class _Unreadable(Job):
    """Stands in for a job whose payload could not be read, so the notifier still gets an envelope."""

    kind = "sb:unreadable"


def _cron_seconds(seconds: int) -> int:
    """The nearest cron-friendly step (a divisor of 60), or 60."""
    for step in (1, 2, 3, 5, 10, 15, 20, 30):
        if seconds <= step:
            return step
    return 60
