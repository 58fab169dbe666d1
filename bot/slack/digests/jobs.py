"""Posting digests: the every-minute tick, the run job, run-now, and what the channel is told on failure.

The tick (a procrastinate periodic task: one run per tick across every worker) claims due slots in
`digest_runs` (`bot.services.digests.DigestScheduler`: the unique row per slot decides, however many
processes tick) and defers one `DigestRunJob` per group of runs that read the same data: the same
workspace, slot and schedule (two channels with the same digest cost the providers one read).

A run is posted once:
- the job moves its run PENDING -> RUNNING (`start_run`), so a second job for the same run does nothing;
- while it builds, it beats (`heartbeat_at`): a RUNNING run is taken over only when the beat stopped,
  which is a dead worker (procrastinate's recovery retries the job: it only reads until it posts);
- the message's ts is recorded the moment Slack answers, so a retry after that never posts again.

A run whose sections failed transiently (a provider down, a timeout) goes back to PENDING and the job is
retried with a slow backoff while the digest is still timely; once that is over the digest is posted
with the sections that worked, or, when none did, a short note says why ("Yesterday's digest could not be
built: Zoom was unavailable.").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from bot.db.models import DigestRunStatus, DigestSubscription
from bot.db.repositories.digests import (
    RunWithSubscription,
    beat,
    finish_run,
    manual_run,
    release_run,
    run_with_subscription,
    start_run,
)
from bot.db.session import transaction
from bot.jobs.contract import Effect, Envelope, Failure, Job
from bot.jobs.retry import Backoff
from bot.providers.errors import Unavailable
from bot.services.digest_content import DigestData, Period, build_digest_data
from bot.services.digest_schedule import LATE_WITHIN, Schedule, ScheduleError, parse_schedule
from bot.services.digests import DigestScheduler, DueRun

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner
    from bot.settings import Settings

log = logging.getLogger(__name__)

TICK_TASK = "sb:digest_tick"  # "sb:" tasks are housekeeping: `wait_idle` does not wait for them
SCHEDULE_USER = "USLACKBOT"  # who "asked" for a scheduled run (nobody: the schedule)
ALL_SECTIONS = ("sms", "calls", "threads", "delivery")


class DigestRunJob(Job):
    """Build and post the digest runs of one slot that read the same data (one run, for run-now)."""

    kind = "digest.run"
    effect: ClassVar[Effect] = Effect.READ  # it only reads until it posts, and posting is recorded at once
    tells_person: ClassVar[bool] = False  # the channel is told (`digest_failed`), not a person
    deadline_seconds: ClassVar[float] = LATE_WITHIN.total_seconds()
    # A provider down for a few minutes should not cost the morning digest: slow retries for 20 minutes.
    retry_window_seconds: ClassVar[float] = 20 * 60
    backoff: ClassVar[Backoff | None] = Backoff(attempts=7, base=5.0, cap=180.0)
    what: ClassVar[str] = "the digest"

    run_ids: tuple[int, ...]


class SectionsUnavailable(Unavailable):
    """A section's provider failed transiently: the run goes back to PENDING and the job is retried."""


def install(runner: JobRunner[Container]) -> None:
    runner.register(DigestRunJob, run_digests)
    runner.on_failure(digest_failed)


def install_periodic(runner: JobRunner[Container], settings: Settings) -> None:
    async def every_tick(container: Container, timestamp: int) -> None:
        await tick(container)

    runner.periodic(TICK_TASK, every_seconds=settings.digest_tick_seconds, handler=every_tick)


# ------------------------------------------------------------------------------------------ the tick


async def tick(container: Container) -> list[DigestRunJob]:
    """Claim what is due now (by the container's clock, not the cron timestamp: a fast test clock works
    the same) and defer its jobs; answers them (for tests)."""
    due = await DigestScheduler(container.sessions).tick(container.clock.now())
    jobs = jobs_for(due)
    for job in jobs:
        await container.defer(job)
    return jobs


def jobs_for(due: Sequence[DueRun]) -> list[DigestRunJob]:
    """One job per (workspace, slot, kind of run): runs of the same slot share one read of the data."""
    groups: dict[tuple[str, datetime, bool], list[DueRun]] = {}
    for run in due:
        groups.setdefault((run.team_id, run.slot, run.skipped), []).append(run)
    return [
        DigestRunJob(
            envelope=Envelope(
                team_id=team_id, user_id=SCHEDULE_USER, channel_id=runs[0].channel_id, origin="schedule"
            ),
            run_ids=tuple(run.run_id for run in runs),
        )
        for (team_id, _, _), runs in groups.items()
    ]


# ------------------------------------------------------------------------------------------ run-now


async def request_run_now(
    container: Container, envelope: Envelope, subscription: DigestSubscription
) -> DigestRunJob:
    """A run outside the schedule, for the period that ended at its latest slot, marked as such."""
    async with transaction(container.sessions) as session:
        run_id = await manual_run(session, subscription, now=container.clock.now())
    job = DigestRunJob(envelope=envelope, run_ids=(run_id,))
    await container.defer(job)
    return job


# ------------------------------------------------------------------------------------------ the run


@dataclass
class _Claimed:
    found: RunWithSubscription
    schedule: Schedule
    slot: datetime  # the slot whose period the digest covers

    @property
    def run_id(self) -> int:
        return self.found.run.id

    @property
    def subscription(self) -> DigestSubscription:
        return self.found.subscription


def sections_of(subscription: DigestSubscription) -> tuple[str, ...]:
    wanted = (subscription.scope or {}).get("sections")
    if not isinstance(wanted, list) or not wanted:
        return ALL_SECTIONS
    return tuple(s for s in ALL_SECTIONS if s in wanted)


async def run_digests(job: DigestRunJob, container: Container) -> None:
    now = container.clock.now()
    stale = timedelta(seconds=container.settings.worker_stalled_after_seconds)
    claimed: list[_Claimed] = []
    skipped: list[RunWithSubscription] = []
    for run_id in job.run_ids:
        async with transaction(container.sessions) as session:
            found = await run_with_subscription(session, run_id)
            if found is None:  # its subscription was removed since
                continue
            if found.run.status is DigestRunStatus.SKIPPED:
                if found.run.message_ts is None:
                    skipped.append(found)
                continue
            if found.run.message_ts is not None:  # posted by a job that died before it finished the row
                await finish_run(session, run_id, DigestRunStatus.POSTED, now=now)
                continue
            if not await start_run(session, run_id, now=now, stale_after=stale):
                continue  # another job has it, or it is done
        subscription = found.subscription
        try:
            schedule = parse_schedule(subscription.schedule.split(), subscription.timezone)
        except ScheduleError as error:
            async with transaction(container.sessions) as session:
                await finish_run(session, run_id, DigestRunStatus.FAILED, now=now, error=str(error))
            continue
        slot = (
            schedule.previous_slot(found.run.scheduled_for) if found.run.manual else found.run.scheduled_for
        )
        claimed.append(_Claimed(found, schedule, slot))
    for found in skipped:
        await _post_skipped(container, found)
    if not claimed:
        return
    async with _beating(container, [c.run_id for c in claimed]):
        built = await _build(container, job, claimed)
        for item, data in built:
            await _post(container, item, data)


async def _build(
    container: Container, job: DigestRunJob, claimed: list[_Claimed]
) -> list[tuple[_Claimed, DigestData]]:
    providers = await container.providers.for_team(job.envelope.team_id)
    results: list[tuple[_Claimed, DigestData]] = []
    for item in claimed:
        start, end = item.schedule.period(item.slot)
        before_start, before_end = item.schedule.previous_period(item.slot)
        data = await build_digest_data(
            providers,
            container.sessions,
            job.envelope.team_id,
            Period(start, end),
            Period(before_start, before_end),
        )
        results.append((item, data))
    failing = [
        section.name
        for _, data in results
        for section in (data.sms, data.calls, data.delivery, data.threads)
        if section.transient
    ]
    if failing and time.time() < job.envelope.accepted_at + job.retry_window_seconds:
        # Back to PENDING so the retried job can claim them again; the runner decides when.
        async with transaction(container.sessions) as session:
            for item in claimed:
                await release_run(session, item.run_id)
        raise SectionsUnavailable("digest", f"{', '.join(sorted(set(failing)))} unavailable")
    return results


@contextlib.asynccontextmanager
async def _beating(container: Container, run_ids: list[int]) -> AsyncIterator[None]:
    """Refresh the runs' heartbeat while the job works (a third of the stalled-worker timeout)."""
    every = max(0.5, container.settings.worker_stalled_after_seconds / 3)

    async def loop() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                async with transaction(container.sessions) as session:
                    for run_id in run_ids:
                        await beat(session, run_id, now=container.clock.now())
            except Exception:  # a missed beat only risks a takeover after the stalled timeout
                log.warning("digest heartbeat failed", exc_info=True)

    task = asyncio.create_task(loop(), name="digest-heartbeat")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _post(container: Container, item: _Claimed, data: DigestData) -> None:
    raise NotImplementedError  # filled in when the rendering lands


async def _post_skipped(container: Container, found: RunWithSubscription) -> None:
    raise NotImplementedError  # filled in when the rendering lands


async def digest_failed(
    job: Job, failure: Failure, error: BaseException | None, container: Container
) -> None:
    """The runner's notifier for digests: the run is marked failed and the channel gets a short note."""
    if not isinstance(job, DigestRunJob):
        return
    raise NotImplementedError  # filled in when the rendering lands
