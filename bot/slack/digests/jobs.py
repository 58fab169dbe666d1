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

A channel the digest cannot post in any more (the bot was removed from it, it was deleted or made private
without the bot, or archived: Slack's `not_in_channel`, `channel_not_found`, `is_archived`) ends the run
FAILED at once, without retries, with why and how to fix it (`channel_gone`): `digest list` shows it, and
whoever ran it now is told. A scheduled run so refused also pauses its digest (every next slot would be
refused the same way), and whoever added it is told by DM how to fix it and resume. The other runs of the
job are posted as usual.
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

from slack_sdk.errors import SlackApiError

from bot.db.models import DigestRun, DigestRunStatus, DigestSubscription
from bot.db.repositories import ChannelMappingRepository
from bot.db.repositories.digests import (
    RunWithSubscription,
    beat,
    claim_note,
    finish_run,
    manual_run,
    record_post,
    release_run,
    run_with_subscription,
    start_run,
)
from bot.db.session import transaction
from bot.errors import InputError
from bot.jobs.contract import Effect, Envelope, Failure, Job
from bot.jobs.retry import Backoff, HeldElsewhere, is_database_outage
from bot.providers.errors import ProviderError, Unavailable
from bot.services.digest_admin import DigestAdmin
from bot.services.digest_content import DigestData, DigestRequest, Period, build_digests
from bot.services.digest_schedule import LATE_WITHIN, Schedule, ScheduleError, parse_schedule
from bot.services.digests import DigestScheduler, DueRun
from bot.services.failures import describe
from bot.services.send_guard import SWITCHBOARD_ACTOR
from bot.slack.digests.blocks import chart_title, digest_message, failure_note, skipped_note
from bot.slack.digests.chart import alt_text, volume_chart
from bot.slack.digests.post import post_digest
from bot.slack.jobs import PROVIDER_NAMES, missing_scope, tell_person
from bot.slack.outcome import failure as failed_answer
from bot.slack.posting import ARCHIVED, NOT_IN_CHANNEL, ChannelPacer, dm_actor, post_note

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
            envelope=for_scheduler(team_id, runs[0].channel_id, "schedule"),
            run_ids=tuple(run.run_id for run in runs),
        )
        for (team_id, _, _), runs in groups.items()
    ]


def for_scheduler(team_id: str, channel_id: str, origin: str) -> Envelope:
    """The envelope of work nobody asked for in person (the schedule): no response_url, no user."""
    return Envelope(team_id=team_id, user_id=SCHEDULE_USER, channel_id=channel_id, origin=origin)


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


def channel_gone(error: BaseException, subscription: DigestSubscription) -> str | None:
    """Why the digest cannot post in its channel and how to fix it, for the run's outcome (`digest list`
    shows it under the channel's name) and the person; None when `error` is not Slack saying so."""
    if not isinstance(error, SlackApiError):
        return None
    code = error.response.get("error")
    if code in NOT_IN_CHANNEL:
        # channel_not_found: deleted, or private and the bot was removed (it cannot see it); the same fix.
        return (
            "Switchboard is not in that channel any more; to have the digest posted there again, "
            "invite it back by typing `/invite @Switchboard` in the channel"
        )
    if code == ARCHIVED:
        return (
            "that channel is archived; unarchive it, or remove the digest with "
            f"`/switchboard digest remove {subscription.id}`"
        )
    return None


async def _cannot_post(
    container: Container, job: DigestRunJob, found: RunWithSubscription, reason: str
) -> None:
    """The run's channel refuses the digest: the run ends FAILED saying why (never retried: it would be
    refused the same way), and whoever ran it now is told, since the channel cannot tell them."""
    subscription, run = found.subscription, found.run
    log.warning(
        "digest not posted: its channel refuses it",
        extra={"subscription": subscription.id, "channel": subscription.channel_id},
    )
    scheduled = not run.manual or job.envelope.user_id == SCHEDULE_USER
    paused = False
    async with transaction(container.sessions) as session:
        await finish_run(session, run.id, DigestRunStatus.FAILED, now=container.clock.now(), error=reason)
        if scheduled:  # every next slot would be refused the same way until someone acts
            digests = DigestAdmin(session, subscription.team_id, actor=SWITCHBOARD_ACTOR)
            with contextlib.suppress(InputError):  # removed meanwhile: nothing to pause
                _, paused = await digests.pause(subscription.id)
    if scheduled:
        if paused:
            await _tell_paused(container, subscription, reason)
        return
    text = f"Digest {subscription.id} could not be posted in <#{subscription.channel_id}>: {reason}."
    try:
        await tell_person(container, job.envelope, failed_answer(text))
    except Exception:  # the run's outcome says it (`digest list`)
        log.warning("could not tell the person why the digest was not posted", exc_info=True)


async def _tell_paused(container: Container, subscription: DigestSubscription, reason: str) -> None:
    """Whoever added the digest is told, by DM, that it is paused and why: its channel cannot say it."""
    text = (
        f"⚠️ Digest {subscription.id} in <#{subscription.channel_id}> is paused: {reason}. Once that is "
        f"fixed, `/switchboard digest resume {subscription.id}` posts it again from its next time."
    )
    # `digest list` and the audit trail say it too.
    await dm_actor(container, subscription.team_id, subscription.created_by, failed_answer(text))


async def run_digests(job: DigestRunJob, container: Container) -> None:
    now = container.clock.now()
    stale = timedelta(seconds=container.settings.worker_stalled_after_seconds)
    claimed: list[_Claimed] = []
    skipped: list[RunWithSubscription] = []
    held: list[int] = []  # RUNNING under another job's fresh heartbeat
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
                if found.run.status is DigestRunStatus.RUNNING:
                    held.append(run_id)  # by a live job, or by a dead one whose beat is not stale yet
                continue  # or it is done
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
    if claimed:
        try:
            async with _beating(container, [c.run_id for c in claimed]):
                built = await _build(container, job, claimed)
                for item, data in built:
                    try:
                        await _post(container, item, data)
                    except SlackApiError as error:
                        reason = channel_gone(error, item.subscription)
                        if reason is None:
                            raise
                        await _cannot_post(container, job, item.found, reason)
        except BaseException:
            # Whatever stopped the job (a provider, Slack, the worker shutting down), its unposted runs
            # go back to PENDING: the retry claims them at once, or `digest_failed` ends them with a
            # note. Left RUNNING with a fresh heartbeat, a retry could only wait for them to go stale.
            async with transaction(container.sessions) as session:
                for item in claimed:
                    await release_run(session, item.run_id)
            raise
    if held:
        # A recovered job can start before its dead predecessor's heartbeat is stale: come back when it
        # would be (a live holder will have posted by then, and the retry finds nothing to do).
        raise HeldElsewhere(f"digest run {held[0]}", retry_after=stale.total_seconds())


async def _build(
    container: Container, job: DigestRunJob, claimed: list[_Claimed]
) -> list[tuple[_Claimed, DigestData]]:
    """Every claimed run's data, one provider read per period: runs of the same slot and schedule (two
    channels, or two scopes, of one workspace) are built together (`build_digests`)."""
    team_id = job.envelope.team_id
    providers = await container.providers.for_team(team_id)
    async with container.sessions() as session:
        mappings = {m.channel_id: m for m in await ChannelMappingRepository(session, team_id).list()}
    login = await _livevox_login(container, team_id, [c.subscription for c in claimed])
    groups: dict[tuple[datetime, str, str], list[_Claimed]] = {}
    for item in claimed:
        groups.setdefault((item.slot, item.schedule.text, item.subscription.timezone), []).append(item)
    results: list[tuple[_Claimed, DigestData]] = []
    for items in groups.values():
        schedule, slot = items[0].schedule, items[0].slot
        requests = []
        for item in items:
            mapping = mappings.get(item.subscription.channel_id)
            requests.append(
                DigestRequest.from_scope(
                    item.subscription.scope,
                    inbox=mapping.livevox_service_id if mapping is not None else None,
                    queues=list(mapping.zoom_queue_ids or []) if mapping is not None else [],
                )
            )
        built = await build_digests(
            providers,
            container.sessions,
            team_id,
            Period(*schedule.period(slot)),
            Period(*schedule.previous_period(slot)),
            requests=requests,
            zone=schedule.tz,
            every=schedule.every,
            livevox_login=login,
            now=container.clock.now(),
        )
        results.extend(zip(items, built, strict=True))
    failing = [
        section.name
        for _, data in results
        for section in (data.sms, data.calls, data.delivery, data.threads)
        if section.transient
    ]
    if failing and time.time() < job.envelope.accepted_at + job.retry_window_seconds:
        # The runs go back to PENDING (`run_digests`) and the runner decides when to try again.
        raise SectionsUnavailable("digest", f"{', '.join(sorted(set(failing)))} unavailable")
    return results


async def _livevox_login(
    container: Container, team_id: str, subscriptions: Sequence[DigestSubscription]
) -> str | None:
    """Whose LiveVox inboxes the threads are read from (LiveVox's thread methods are agent-only): the
    subscriber's own login when they have one, else the first linked agent's."""
    agents = await container.contacts.linked_agents(team_id)
    by_user = {a.user_id: a.livevox_login for a in agents}
    for subscription in subscriptions:
        if subscription.created_by and by_user.get(subscription.created_by):
            return by_user[subscription.created_by]
    return next((a.livevox_login for a in agents if a.livevox_login), None)


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


def _beating_now(run: DigestRun, now: datetime, container: Container) -> bool:
    beat = run.heartbeat_at or run.started_at
    stale = timedelta(seconds=container.settings.worker_stalled_after_seconds)
    return beat is not None and beat >= now - stale


def _pacer(container: Container, team_id: str) -> ChannelPacer:
    return ChannelPacer(team_id, container.rate_budget)


async def _post(container: Container, item: _Claimed, data: DigestData) -> None:
    subscription, run = item.subscription, item.found.run
    channel = subscription.channel_id
    sections = sections_of(subscription)
    wanted = [getattr(data, name) for name in sections]
    now = container.clock.now()
    if wanted and all(section.error for section in wanted):
        # Nothing to show: a short note saying why, instead of a digest of errors.
        reason = "; ".join(dict.fromkeys(section.error or "" for section in wanted))
        note = failure_note(schedule=subscription.schedule, zone=subscription.timezone, reason=reason)
        slack = await container.slack_for(subscription.team_id)
        ts = await post_note(slack, channel, note, _pacer(container, subscription.team_id))
        async with transaction(container.sessions) as session:
            await record_post(session, run.id, ts=ts, now=now)
            await finish_run(session, run.id, DigestRunStatus.FAILED, now=now, error=reason)
        return
    message = digest_message(
        data,
        title=f"{item.schedule.every.value.capitalize()} digest",
        schedule=subscription.schedule,
        zone=subscription.timezone,
        sections=sections,
        late=run.late,
        manual=run.manual,
    )
    title = chart_title(item.schedule.every)
    chart = volume_chart(data.volume, title=title) if data.volume else None

    async def posted(ts: str) -> None:
        async with transaction(container.sessions) as session:
            await record_post(session, run.id, ts=ts, now=container.clock.now())

    await post_digest(
        await container.slack_for(subscription.team_id),
        channel,
        message,
        chart=chart,
        filename=f"digest-{item.slot:%Y%m%d-%H%M}.png",
        alt_text=alt_text(data.volume, title=title),
        pace=_pacer(container, subscription.team_id),
        posted=posted,
    )
    async with transaction(container.sessions) as session:
        await finish_run(session, run.id, DigestRunStatus.POSTED, now=container.clock.now())


async def _post_skipped(container: Container, found: RunWithSubscription) -> None:
    subscription, run = found.subscription, found.run
    async with transaction(container.sessions) as session:
        if not await claim_note(session, run.id, now=container.clock.now()):
            return  # another job is noting it
    note = skipped_note(schedule=subscription.schedule, zone=subscription.timezone, slot=run.scheduled_for)
    slack = await container.slack_for(run.team_id)
    try:
        ts = await post_note(slack, subscription.channel_id, note, _pacer(container, run.team_id))
    except SlackApiError as error:
        if channel_gone(error, subscription) is None:
            raise
        log.warning("skipped digest not noted: its channel refuses it", extra={"run": run.id})
        return
    async with transaction(container.sessions) as session:
        await record_post(session, run.id, ts=ts, now=container.clock.now())


async def digest_failed(
    job: Job, failure: Failure, error: BaseException | None, container: Container
) -> None:
    """The runner's notifier for digests: each run not yet posted is marked failed and its channel gets a
    short note ("Yesterday's digest could not be built: Zoom was unavailable.")."""
    if not isinstance(job, DigestRunJob):
        return
    if isinstance(error, ProviderError):
        reason = describe(PROVIDER_NAMES.get(error.provider, error.provider), error)
    elif failure is Failure.EXPIRED:
        reason = "it could not be built in time"
    elif error is not None and is_database_outage(error):
        reason = "Switchboard could not reach its database"
    elif (lacking := missing_scope(error)) is not None:
        reason = lacking
    else:
        reason = "something went wrong on Switchboard's side (it has been logged)"
    reason = reason.split(";")[0]  # "…; try again in a minute" is not for a channel
    now = container.clock.now()
    for run_id in job.run_ids:
        async with transaction(container.sessions) as session:
            found = await run_with_subscription(session, run_id)
            if found is None or found.run.message_ts is not None:
                continue
            if found.run.status in (DigestRunStatus.POSTED, DigestRunStatus.SKIPPED):
                continue
            if found.run.status is DigestRunStatus.RUNNING and _beating_now(found.run, now, container):
                continue  # another job is building it (this one only waited for it)
            await finish_run(session, run_id, DigestRunStatus.FAILED, now=now, error=reason)
        subscription = found.subscription
        note = failure_note(schedule=subscription.schedule, zone=subscription.timezone, reason=reason)
        slack = await container.slack_for(job.envelope.team_id)
        pace = _pacer(container, job.envelope.team_id)
        try:
            ts = await post_note(slack, subscription.channel_id, note, pace)
        except SlackApiError as refused:
            gone = channel_gone(refused, subscription)
            if gone is None:
                raise
            await _cannot_post(container, job, found, gone)  # what is to be fixed first
            continue
        async with transaction(container.sessions) as session:
            await record_post(session, run_id, ts=ts, now=now)
