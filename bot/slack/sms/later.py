"""Send later, in Slack: scheduling (the card's *Schedule* / *Send at …*, `/sms send … --at`, the send
form's time, a workflow step), the job that fires a scheduled send, `/sms scheduled` and its Cancel
buttons (also on the "Scheduled" card and App Home), and the sweeper.

The row (`bot.services.scheduled_sends`) is the promise; the fire job carries only its id. The job is
deferred for the row's time on procrastinate (durable on Postgres); if that defer is lost, the sweeper
fires the row a minute late. Firing claims the row once, then sends through the same path as Send
(the guard checks the number again, the outbox keys the send by the row), and tells the person.

Until the claim nothing has reached the provider, so a database blink before it is retried (the job
raises `NothingChanged`) and its failure is told to nobody: the row is still pending, and the sweeper
fires it. After the claim the job is a change, never repeated: one that ends without an answer (its
worker died) leaves its row UNKNOWN, off the lists, and the person is told the outcome is unknown.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from slack_sdk.models.blocks import Block

from bot.db.models import Role, ScheduledSend, ScheduledStatus
from bot.errors import InputError
from bot.jobs.contract import Effect, Envelope, Failure, Job
from bot.jobs.retry import NothingChanged
from bot.phones import mask
from bot.services.access import AccessDenied
from bot.services.identity import Identity
from bot.services.quiet_hours import QuietVerdict, recipient_time
from bot.services.scheduled_sends import MARGIN, SWEEP_GRACE, Scheduled, ScheduledSends, ScheduleRequest
from bot.services.send_guard import Reason, SendRefused
from bot.services.sms import SendRequest, SendResult
from bot.slack import ids
from bot.slack.blocks.common import actions, button, context, divider, fit, header, message, section
from bot.slack.commands import NOT_LINKED
from bot.slack.jobs import failure_text
from bot.slack.outcome import failure
from bot.slack.reply import respond

# sms.jobs installs this module's jobs from inside its `install`, so importing it here is no cycle.
from bot.slack.sms.jobs import _follow, _not_followed, _outcome, _will_follow, service, tell
from bot.slack.text import clip, duration, error_text, escape, pretty_number, when

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner
    from bot.settings import Settings

log = logging.getLogger(__name__)

LATE_LIMIT = timedelta(hours=1)
"""A send whose time passed this long ago (every worker was down) is not sent: a message meant for 9:00
may be wrong at noon. The person is told, and may schedule it again."""

EARLY = timedelta(minutes=5)
"""A job that fires this much before its row's time (the database's clock runs ahead of ours) waits for
it; one further ahead belongs to a row moved later, whose own job fires it."""

SWEEP_TASK = "sb:scheduled_sweep"
SWEEP_SECONDS = 60
LIST_ROWS = 25
HOME_ROWS = 5
TEXT_CHARS = 120

Where = Literal["card", "mine", "team", "home"]


class SmsScheduledJob(Job):
    """A scheduled send's time has come: claim its row, send once, tell the person who scheduled it."""

    kind = "sms_scheduled"
    effect: ClassVar[Effect] = Effect.CHANGE
    # A failure is told by `fire_failed`, which reads the row first: a pending one is the sweeper's.
    tells_person: ClassVar[bool] = False
    # Retries before the claim (`NothingChanged`) until the sweeper would fire the row anyway.
    retry_window_seconds: ClassVar[float] = SWEEP_GRACE.total_seconds()
    scheduled_id: int
    number: str  # for the failure note only: what is sent is read from the row

    def describe(self) -> str:
        return f"sending your scheduled SMS to {pretty_number(self.number)}"

    def when_unknown(self) -> str:
        return f"`/sms logs {self.number}` shows whether it arrived."


class ScheduledListJob(Job):
    """`/sms scheduled [team]`: the sends not gone yet, each with Cancel."""

    kind = "sms_scheduled_list"
    what: ClassVar[str] = "your scheduled SMS"
    team: bool = False


def install(runner: JobRunner[Container]) -> None:
    runner.register(SmsScheduledJob, fire)
    runner.register(ScheduledListJob, list_scheduled)
    runner.register(ScheduleFromFormJob, schedule_from_form)
    runner.on_failure(fire_failed)


def install_periodic(runner: JobRunner[Container], settings: Settings) -> None:
    async def every_tick(container: Container, timestamp: int) -> None:
        await sweep(container)

    runner.periodic(SWEEP_TASK, every_seconds=SWEEP_SECONDS, handler=every_tick)


def sends(container: Container) -> ScheduledSends:
    return ScheduledSends(container.sessions, container.clock)


# ------------------------------------------------------------------------------------- scheduling


async def schedule(
    container: Container, envelope: Envelope, identity: Identity, request: ScheduleRequest
) -> Scheduled:
    """Make the row (or find the one this intent made) and defer its fire job. InputError, in words,
    for a time in the past, too far ahead, or with no allowed time near it, and for what sending would
    refuse (the guard at the time it goes, audited; the text, a reply's number, the template's sender
    code): checked now as when it is sent (and again then)."""
    scheduled_sends = sends(container)
    if await scheduled_sends.existing(identity.team_id, request.key) is None:
        request = await _checked(container, identity, request)
    scheduled = await scheduled_sends.schedule(identity, request)
    if scheduled.created:
        await _defer_fire(container, envelope, scheduled.row)
    return scheduled


async def _checked(container: Container, identity: Identity, request: ScheduleRequest) -> ScheduleRequest:
    """The checks of sending, at the time the send would go (moved out of quiet hours)."""
    if not identity.may(Role.AGENT):
        return request  # the schedule refuses it, in words
    at, _ = await sends(container).plan(identity.team_id, request.number, request.at)
    providers = await container.providers.for_team(identity.team_id)
    send = SendRequest(
        number=request.number,
        idempotency_key=request.key,
        text=request.text,
        template_id=request.template_id,
        sender=request.sender,
        channel_id=request.channel_id,
        thread_id=request.thread_id,
        account=request.account,
    )
    try:
        checked = await service(container).check_later(providers, identity, send, at=at)
    except SendRefused as refused:  # audited by the guard; said as what it is: nothing was scheduled
        number = pretty_number(request.number)
        raise InputError(f"Not scheduled for {number}: {refused.verdict.sentence()}") from refused
    return replace(request, account=checked.account)


async def _defer_fire(container: Container, envelope: Envelope, row: ScheduledSend) -> None:
    delay = max(0.0, (row.send_at - container.clock.now()).total_seconds())
    fire_envelope = envelope.model_copy(update={"accepted_at": time.time() + delay})
    try:
        await container.defer(
            SmsScheduledJob(envelope=fire_envelope, scheduled_id=row.id, number=row.number), delay=delay
        )
    except Exception:  # the row is kept: the sweeper fires it a minute after its time
        log.warning("scheduled send not queued; the sweeper will fire it", exc_info=True)


def scheduled_card(row: ScheduledSend, moved: QuietVerdict | None = None) -> dict[str, Any]:
    """What the person sees once it is scheduled: when (their own time and the recipient's), that it is
    checked again then, and Cancel."""
    pretty = escape(pretty_number(row.number))
    lines = [
        f"🕗 Scheduled: your SMS to {pretty} goes out at {escape(recipient_time(row.number, row.send_at))} "
        f"({when(row.send_at)} for you), if it may be sent then: it is checked again, and you are told "
        "either way."
    ]
    if moved is not None and row.asked_for is not None:
        lines.append(
            f"⏰ You asked for {when(row.asked_for)}, which is inside the recipient's quiet hours "
            f"({escape(moved.window.describe())} their time), so it was moved to the next allowed time."
        )
    blocks: list[Block] = [
        section("\n".join(lines)),
        actions(_cancel_button(row, "card"), block_id="scheduled_actions"),
        context("`/sms scheduled` lists what you have scheduled."),
    ]
    return message(blocks, f"Scheduled for {recipient_time(row.number, row.send_at)}")


def _cancel_button(row: ScheduledSend, where: Where) -> Any:
    # The value names the row and the list it sits in; who may cancel it is checked on the row itself.
    return button("Cancel", ids.ACTION_SCHEDULED_CANCEL, f"{row.id}:{where}", style="danger")


# ------------------------------------------------------------------------------------------ firing


@dataclass(frozen=True)
class _Moved:
    at: datetime


async def fire(job: SmsScheduledJob, container: Container) -> None:
    """The row's time has come: claim it (once, however many jobs fire it), send, tell."""
    service = sends(container)
    try:
        row = await _claim(job, container, service)
    except Exception as error:  # nothing has reached the provider yet: a database blink is retried
        raise NothingChanged(error) from error
    if row is None:
        return
    envelope = _answering(job, row)
    late = container.clock.now() - row.send_at
    if late > LATE_LIMIT:
        words = _too_late(row, f"could not send it until {duration(late.total_seconds())} later")
        await service.settle(row, ScheduledStatus.REFUSED, words)
        await _tell(container, envelope, failure(words))
        return
    identity = await container.identities.current(row.team_id, row.user_id)
    try:
        result = await _send(container, identity, row)
    except BaseException:
        # The send may have reached the provider: the outbox row says; it is never sent again from here.
        await service.unknown(row.team_id, row.id)
        raise
    if isinstance(result, _Moved):
        moved = await service.move(row, result.at)
        if moved is not None:
            await _defer_fire(container, envelope, moved)
            words = (
                f"🕗 Moved: the team's sending hours do not allow texting "
                f"{escape(pretty_number(row.number))} "
                f"now, so your scheduled SMS goes out at {escape(recipient_time(row.number, result.at))}."
            )
            await _tell(container, envelope, message([section(words)], "Scheduled SMS moved"))
        return
    if isinstance(result, str):
        await service.settle(row, ScheduledStatus.REFUSED, result)
        await _tell(container, envelope, failure(result))
        return
    await service.settle(row, ScheduledStatus.SENT)
    key = _outbox_key(row)
    checking = _will_follow(container, result)
    dm = await _tell(container, envelope, _outcome(result, checking=checking))
    if await _follow(container, envelope, result, key, dm=dm) is False:
        if checking:
            await _tell(container, envelope, _outcome(result, checking=False))
        await _not_followed(container, identity, result, key)


async def _claim(job: SmsScheduledJob, container: Container, service: ScheduledSends) -> ScheduledSend | None:
    row = await service.claim(job.envelope.team_id, job.scheduled_id)
    if row is None:  # cancelled, fired already, moved to a later time (its own job fires it then)…
        waiting = await service.get(job.envelope.team_id, job.scheduled_id)
        early = waiting.send_at - container.clock.now() if waiting else None
        if waiting and waiting.status is ScheduledStatus.PENDING and early and early <= EARLY:
            await _defer_fire(container, job.envelope, waiting)  # …or early: the queue's clock is ahead
    return row


def _answering(job: SmsScheduledJob, row: ScheduledSend) -> Envelope:
    """Whoever deferred it (the sweeper included), the answer goes to the person who scheduled it."""
    return job.envelope.model_copy(update={"user_id": row.user_id, "channel_id": row.channel_id})


async def fire_failed(job: Job, ended: Failure, error: BaseException | None, container: Container) -> None:
    """The runner's notifier for fire jobs (after retries, or for a dead worker's): the row says what to
    tell. Pending or cancelled: nothing was sent and nobody is told (the sweeper fires a pending row a
    minute after its time, so "failed" would be followed by "sent"), unless the row is more than
    `LATE_LIMIT` late: it is given up and the sender told, once. Still sending: the job ended
    without an answer, so the row ends UNKNOWN (never fired again) and the person is told so. Sent or
    refused already: the failure came after, and the person hears what the row says, not "try again"."""
    if not isinstance(job, SmsScheduledJob):
        return
    service = sends(container)
    row = await service.get(job.envelope.team_id, job.scheduled_id)
    if row is None or row.status is ScheduledStatus.CANCELLED:
        return
    if row.status is ScheduledStatus.PENDING:
        # Not claimed: nothing went. The sweeper fires it again a minute on, unless its time is so long
        # gone that it would not be sent anyway: then it ends here, told once, not fired every minute.
        if container.clock.now() - row.send_at <= LATE_LIMIT:
            log.info(
                "scheduled send %s was not claimed when its job ended (%s)", job.scheduled_id, ended.value
            )
            return
        within = duration(LATE_LIMIT.total_seconds())
        words = _too_late(row, f"could not send it within {within} of that time")
        if await service.give_up(row.team_id, row.id, words):
            await _tell(container, _answering(job, row), failure(words))
        return
    if row.status is ScheduledStatus.SENDING:
        await service.unknown(row.team_id, row.id)
    text = failure_text(job, ended, error)
    if row.status is ScheduledStatus.SENT:
        # The send was made and recorded; what failed is telling about it (or following its delivery).
        # "Try again" would send it twice.
        text = (
            f"Your scheduled SMS to {pretty_number(row.number)} was handed to the provider, but Switchboard "
            f"could not finish telling you how it went. {job.when_unknown()}"
        )
    elif row.status is ScheduledStatus.REFUSED and row.outcome:
        text = row.outcome  # refused and recorded; telling it is what failed: say it again
    await _tell(container, _answering(job, row), failure(text))


def _outbox_key(row: ScheduledSend) -> str:
    return f"scheduled:{row.key}"


def _too_late(row: ScheduledSend, why: str) -> str:
    """A row given up for lateness: what it was, when it was due, why it did not go (`why` follows
    "and Switchboard …")."""
    return (
        f"Not sent to {pretty_number(row.number)}: it was due {when(row.send_at)}, and Switchboard {why}. "
        "Schedule it again if it should still go."
    )


async def _send(container: Container, identity: Identity, row: ScheduledSend) -> SendResult | str | _Moved:
    """Send the row as the person who scheduled it, through the guard. Quiet hours alone refusing it
    (the team's window changed since): the next allowed time instead."""
    if not identity.may(Role.AGENT):
        await container.audit.denied(
            identity.team_id,
            identity.user_id,
            "send sms",
            required=Role.AGENT.value,
            target_type="phone",
            target_id=mask(row.number),
        )
        return f"Not sent to {pretty_number(row.number)}: {NOT_LINKED}"
    providers = await container.providers.for_team(identity.team_id)
    request = SendRequest(
        number=row.number,
        idempotency_key=_outbox_key(row),
        text=row.text,
        template_id=row.template_id,
        sender=row.sender,
        channel_id=row.channel_id,
        thread_id=row.thread_id,
        account=row.account,
    )
    try:
        return await service(container).send(providers, identity, request)
    except SendRefused as refused:
        verdict = refused.verdict
        quiet = verdict.quiet
        only_quiet = all(r.reason is Reason.QUIET_HOURS for r in verdict.refusals)
        if only_quiet and quiet is not None and quiet.next_allowed is not None:
            return _Moved(quiet.next_allowed + MARGIN)
        return error_text(refused)
    except (InputError, AccessDenied) as error:  # refused before anything was sent
        return error_text(error)


async def _tell(container: Container, envelope: Envelope, payload: dict[str, Any]) -> tuple[str, str] | None:
    """The card it was scheduled from replaced while its response_url lives (30 minutes); after that an
    ephemeral in the channel, or a DM (whose (channel, ts) is returned, to update)."""
    if envelope.response_url and await respond(envelope.response_url, payload, replace_original=True):
        return None
    return await tell(container, envelope.team_id, envelope.user_id, envelope.channel_id, payload)


async def sweep(container: Container) -> int:
    """Fire the pending rows whose job is missing (a minute past their time); returns how many. A row
    sending for an hour lost its job too: it ends UNKNOWN (never fired again) and the person is told."""
    service = sends(container)
    found = await service.overdue()
    for team_id, row_id in found:
        row = await service.get(team_id, row_id)
        if row is None:
            continue
        await container.defer(SmsScheduledJob(envelope=_swept(row), scheduled_id=row.id, number=row.number))
    for team_id, row_id in await service.stuck():
        row = await service.get(team_id, row_id)
        if row is None or not await service.unknown(team_id, row_id):
            continue
        job = SmsScheduledJob(envelope=_swept(row), scheduled_id=row.id, number=row.number)
        await _tell(container, job.envelope, failure(failure_text(job, Failure.OUTCOME_UNKNOWN, None)))
    return len(found)


def _swept(row: ScheduledSend) -> Envelope:
    return Envelope(
        team_id=row.team_id, user_id=row.user_id, channel_id=row.channel_id, origin="sweep:scheduled"
    )


# ------------------------------------------------------------------------------------------ listing


def scheduled_lines(row: ScheduledSend, *, team: bool) -> str:
    """One send: when (the reader's time and the recipient's), to whom, what, and by whom."""
    what = escape(clip((row.text or "").replace("\n", " "), TEXT_CHARS)) if row.text else "_a template_"
    parts = [f"*{when(row.send_at)}* · to {escape(pretty_number(row.number))}"]
    if team:
        parts.append(f"by <@{row.user_id}>")
    if row.status is ScheduledStatus.SENDING:
        parts.append("_going out now_")
    line = " · ".join(parts) + f"\n>{what}\n_{escape(recipient_time(row.number, row.send_at))}_"
    if row.asked_for is not None:
        line += f" · _moved from {when(row.asked_for)} (quiet hours)_"
    return line


def scheduled_list(rows: list[ScheduledSend], *, team: bool) -> dict[str, Any]:
    title = "The team's scheduled SMS" if team else "Your scheduled SMS"
    if not rows:
        empty = "Nobody in the team has" if team else "You have"
        return message(
            [
                section(
                    f'{empty} no SMS scheduled. Add `--at "tomorrow 9am"` to `/sms send`, or pick a time '
                    "in the send form."
                )
            ],
            "No scheduled SMS",
        )
    where: Where = "team" if team else "mine"
    blocks: list[Block] = [header(f"{title} ({len(rows)})")]
    for row in rows[:LIST_ROWS]:
        accessory = _cancel_button(row, where) if row.status is ScheduledStatus.PENDING else None
        blocks.append(section(scheduled_lines(row, team=team), accessory=accessory))
    if len(rows) > LIST_ROWS:
        blocks.append(context(f"The soonest {LIST_ROWS} of {len(rows)} are shown."))
    blocks.append(context("Each is checked again (opt-outs, Do-Not-Contact, quiet hours) when it goes."))
    return message(fit(blocks), f"{len(rows)} scheduled SMS")


def home_scheduled(rows: list[ScheduledSend]) -> list[Block]:
    """The App Home's "Scheduled SMS" section: the person's own, soonest first."""
    if not rows:
        return []
    blocks: list[Block] = [divider(), header("Scheduled SMS")]
    for row in rows[:HOME_ROWS]:
        accessory = _cancel_button(row, "home") if row.status is ScheduledStatus.PENDING else None
        blocks.append(section(scheduled_lines(row, team=False), accessory=accessory))
    if len(rows) > HOME_ROWS:
        blocks.append(context(f"{len(rows) - HOME_ROWS} more: `/sms scheduled`."))
    return blocks


async def list_scheduled(job: ScheduledListJob, container: Container) -> None:
    envelope = job.envelope
    identity = await container.identities.current(envelope.team_id, envelope.user_id)
    url = envelope.response_url or ""
    try:
        rows = await sends(container).waiting(identity, team=job.team, limit=LIST_ROWS + 1)
    except InputError as error:
        await respond(url, failure(error_text(error)))
        return
    await respond(url, scheduled_list(list(rows), team=job.team))


# ------------------------------------------------------------------------------------- the form


class ScheduleFromFormJob(Job):
    """A send form submitted with a time: the row made (once per submission), the person told."""

    kind = "sms_schedule_form"
    what: ClassVar[str] = "scheduling your SMS"
    key: str
    number: str
    send_at: float  # epoch seconds, as the form's date and time picker gave it
    text: str | None = None
    template_id: str | None = None
    sender: str | None = None
    thread_id: str | None = None
    account: str | None = None


async def schedule_from_form(job: ScheduleFromFormJob, container: Container) -> None:
    envelope = job.envelope
    identity = await container.identities.current(envelope.team_id, envelope.user_id)
    request = ScheduleRequest(
        key=job.key,
        number=job.number,
        at=datetime.fromtimestamp(job.send_at, UTC),
        origin=envelope.origin,
        text=job.text,
        template_id=job.template_id,
        sender=job.sender or None,
        channel_id=envelope.channel_id,
        thread_id=job.thread_id,
        account=job.account,
    )
    try:
        scheduled = await schedule(container, envelope, identity, request)
    except (InputError, AccessDenied) as error:  # refused before anything was scheduled: in words
        await tell(
            container, envelope.team_id, envelope.user_id, envelope.channel_id, failure(error_text(error))
        )
        return
    await tell(
        container,
        envelope.team_id,
        envelope.user_id,
        envelope.channel_id,
        scheduled_card(scheduled.row, scheduled.moved),
    )
