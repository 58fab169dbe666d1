"""The work of Workflow Builder steps, after the `function_executed` event was acked.

Each job carries the step's `function_execution_id`; it acts as the person the listener chose (the
workflow's "Run as" person, else the workspace's workflow service user), whose role and links apply
exactly as in Slack, and ends the step with `functions.completeSuccess` (outputs) or
`functions.completeError` (a readable reason). A job that fails or dies on the way is ended by
`step_failed` (installed as the runner's notifier), so a step never hangs in the workflow. Every run is
audited as `workflow.<step>`.
"""

from __future__ import annotations

import html
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from slack_sdk.errors import SlackApiError

from bot.db.models import Role, SmsStatus
from bot.errors import InputError
from bot.jobs.contract import Effect, Failure, Job
from bot.phones import mask, mask_all
from bot.providers.errors import ProviderError
from bot.services.access import AccessDenied, NumberAccess
from bot.services.compliance import ComplianceState
from bot.services.failures import describe
from bot.services.identity import Identity
from bot.services.inbox import LIVEVOX, InboxService, InboxUnavailable
from bot.services.scheduled_sends import ScheduleRequest
from bot.services.sms import Route, SendRequest, SendResult, SmsService, choose_route
from bot.services.sms_delivery import followed
from bot.services.time_range import parse_range
from bot.slack.jobs import failure_text, for_user
from bot.slack.sms import later
from bot.slack.sms.jobs import SmsDeliveryJob, _send
from bot.slack.text import pretty_number
from bot.slack.workflows.steps import ASSIGN_THREAD, LOOKUP_NUMBER, SEND_SMS

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner

log = logging.getLogger(__name__)

# Slack's answers when the execution was completed already (a repeated job, a redelivered event).
ALREADY_ENDED = frozenset({"execution_not_in_running_state", "function_execution_not_found"})

ActingAs = Literal["runner", "service"]


class StepJob(Job):
    """Base of the steps' jobs: the execution to complete and how the acting person was chosen."""

    kind = "sb:workflow_step"  # a base, never deferred itself
    step: ClassVar[str]
    # Told to the workflow (functions.completeError, `step_failed`), not to a person.
    tells_person: ClassVar[bool] = False
    # A workflow waits on the step, nobody watches it: a little longer than a person would.
    retry_window_seconds: ClassVar[float] = 30.0
    execution_id: str
    workflow_execution_id: str | None = None
    acting_as: ActingAs = "runner"

    def describe(self) -> str:
        return f"the workflow step “{self.step}”"


class SendSmsStep(StepJob):
    kind = "workflow_send_sms"
    step: ClassVar[str] = SEND_SMS
    effect: ClassVar[Effect] = Effect.CHANGE
    number: str  # E.164
    text: str | None = None
    template_id: str | None = None
    sender: str | None = None
    send_at: float | None = None  # epoch seconds: scheduled for then (send later), not sent now

    def describe(self) -> str:
        return f"the workflow's SMS to {pretty_number(self.number)}"

    def when_unknown(self) -> str:
        return f"/sms logs {self.number} shows whether it arrived."


class LookupNumberStep(StepJob):
    kind = "workflow_lookup_number"
    step: ClassVar[str] = LOOKUP_NUMBER
    number: str
    range: str | None = None


class AssignThreadStep(StepJob):
    kind = "workflow_assign_thread"
    step: ClassVar[str] = ASSIGN_THREAD
    effect: ClassVar[Effect] = Effect.CHANGE
    thread_id: str
    assignee: str  # a Slack user id
    channel_kind: str = "SMS"

    def when_unknown(self) -> str:
        return "/threads shows where the thread is now."


class StepDelivery(SmsDeliveryJob):
    """The delivery check of a step's SMS: it settles the outbox row and the audit; nobody is told (the
    step ended with what the provider said when it accepted the message)."""

    kind = "workflow_sms_delivery"
    tells_person: ClassVar[bool] = False


def install(runner: JobRunner[Container]) -> None:
    from bot.slack.sms.jobs import follow_delivery

    runner.register(SendSmsStep, send_sms)
    runner.register(LookupNumberStep, lookup_number)
    runner.register(AssignThreadStep, assign_thread)
    runner.register(StepDelivery, follow_delivery)
    runner.on_failure(step_failed)


# ------------------------------------------------------------------------------------ ending a step


def plain(text: str) -> str:
    """Slack shows a step's error as plain text: no mrkdwn entities."""
    return html.unescape(text).replace("`", "")


async def complete(container: Container, job: StepJob, outputs: dict[str, Any]) -> None:
    """End the step with its outputs and audit the run."""
    await _audit(container, job, "ok", outputs)
    try:
        slack = await container.slack_for(job.envelope.team_id)  # the workspace's own token (OAuth mode)
        await slack.functions_completeSuccess(function_execution_id=job.execution_id, outputs=outputs)
    except SlackApiError as error:
        if error.response.get("error") not in ALREADY_ENDED:
            raise
        log.info("workflow step already ended", extra={"step": job.step})


async def refuse(container: Container, job: StepJob, reason: str, *, outcome: str = "refused") -> None:
    """End the step with a readable reason (nothing was done, or it did not work) and audit the run."""
    reason = plain(reason)
    await _audit(container, job, outcome, {"reason": reason})
    await end_with_error(container, job.envelope.team_id, job.execution_id, reason)


async def end_with_error(container: Container, team_id: str, execution_id: str, reason: str) -> None:
    try:
        slack = await container.slack_for(team_id)
        await slack.functions_completeError(function_execution_id=execution_id, error=reason)
    except SlackApiError as error:
        if error.response.get("error") not in ALREADY_ENDED:
            raise
        log.info("workflow step already ended")


async def _audit(container: Container, job: StepJob, outcome: str, details: dict[str, Any]) -> None:
    envelope = job.envelope
    # The audit trail keeps numbers masked, as everywhere else (a reason may quote the number).
    safe = {k: mask_all(v) if isinstance(v, str) else v for k, v in details.items()}
    await container.audit.record(
        envelope.team_id,
        envelope.user_id,
        f"workflow.{job.step}",
        target_type="function_execution",
        target_id=job.execution_id,
        outcome=outcome,
        details={
            "workflow_execution_id": job.workflow_execution_id,
            "acting_as": job.acting_as,
            **safe,
        },
    )


async def step_failed(job: Job, failure: Failure, error: BaseException | None, container: Container) -> None:
    """The runner's notifier for steps: the workflow hears why (never left waiting on the step)."""
    if not isinstance(job, StepJob):
        return
    outcome = "unknown" if failure is Failure.OUTCOME_UNKNOWN else "failed"
    await refuse(container, job, failure_text(job, failure, error), outcome=outcome)


# -------------------------------------------------------------------------------------- who acts


def _not_allowed(job: StepJob, identity: Identity) -> str:
    who = "the person running this step" if job.acting_as == "runner" else "the workflow service user"
    if not identity.linked:
        return (
            f"Switchboard cannot run this step: {who} is not linked to Switchboard. An admin can link "
            "them with /switchboard link @them agent=<LiveVox agent id> role=agent."
        )
    assert identity.role is not None
    return f"Switchboard's workflow steps are for agents and above; {who} is {identity.role.value}."


async def acting(container: Container, job: StepJob) -> Identity | None:
    """The person the step acts as, or None once the step was refused (audited as a denial too)."""
    envelope = job.envelope
    identity = await container.identities.current(envelope.team_id, envelope.user_id)
    if identity.may(Role.AGENT):
        return identity
    await container.audit.denied(
        envelope.team_id,
        envelope.user_id,
        f"workflow step {job.step}",
        required=Role.AGENT.value,
        attempted=f"workflow step {job.step} ({job.acting_as})",
    )
    await refuse(container, job, _not_allowed(job, identity), outcome="denied")
    return None


# -------------------------------------------------------------------------------------- send_sms


def _compliance_refusal(number: str, restricted: ComplianceState) -> str | None:
    if restricted.do_not_contact or restricted.do_not_contact_today:
        return (
            f"Not sent: LiveVox lists {pretty_number(number)} as Do-Not-Contact. A workflow sends without "
            "anyone confirming, so such numbers are refused."
        )
    if restricted.opted_out:
        return (
            f"Not sent: the contact at {pretty_number(number)} opted out of SMS. A workflow sends without "
            "anyone confirming, so such numbers are refused."
        )
    return None


SENT = (SmsStatus.ACCEPTED, SmsStatus.DELIVERED, SmsStatus.BLOCKED, SmsStatus.UNDELIVERED)


async def send_sms(job: SendSmsStep, container: Container) -> None:
    """The same send as `/sms send` (`bot.slack.sms.jobs._send`: role, provider, template and sender
    checks, the outbox's exactly-once), keyed by the step's execution id, after a compliance check that a
    person would have seen on the preview card."""
    identity = await acting(container, job)
    if identity is None:
        return
    providers = await container.providers.for_team(identity.team_id)
    sms = SmsService(container.sessions, container.audit)
    key = f"workflow:{job.execution_id}"
    if await sms.existing(identity.team_id, key) is None:  # a repeat reports the first outcome below
        compliance = await sms.compliance(providers, identity, job.number)
        if reason := _compliance_refusal(job.number, compliance.state):
            await refuse(container, job, reason)
            return
    if job.send_at is not None:
        await _schedule(container, job, identity)
        return
    result = await _send(
        container,
        identity,
        SendRequest(
            number=job.number,
            idempotency_key=key,
            text=job.text,
            template_id=job.template_id,
            sender=job.sender,
        ),
    )
    if isinstance(result, str):  # refused before anything was sent (role, template, sender, provider)
        await refuse(container, job, result)
        return
    row = await sms.existing(identity.team_id, key)
    status = row.status if row is not None else result.status
    if status not in SENT:
        await refuse(container, job, _not_sent(job, result, status), outcome=status.value)
        return
    outputs: dict[str, Any] = {
        "outbox_id": row.id if row is not None else 0,
        "status": status.value,
        "provider": result.route.provider_name,
    }
    message_id = (row.provider_message_id if row is not None else None) or result.provider_message_id
    if message_id:
        outputs["provider_message_id"] = str(message_id)
    await complete(container, job, outputs)
    if status is SmsStatus.ACCEPTED and not result.repeated:
        await _follow(container, job, result.route, key)


async def _schedule(container: Container, job: SendSmsStep, identity: Identity) -> None:
    """A "send at" to come: the same send later as `/sms send --at` (one row per execution, moved out of
    the recipient's quiet hours, checked again when it fires, the person it runs as told then). The step
    ends now, with status `scheduled` and when it goes."""
    assert job.send_at is not None
    providers = await container.providers.for_team(identity.team_id)
    try:
        route = choose_route(providers, identity)
        scheduled = await later.schedule(
            container,
            for_user(identity, "workflow:send_sms"),
            identity,
            ScheduleRequest(
                key=f"workflow:{job.execution_id}",
                number=job.number,
                at=datetime.fromtimestamp(job.send_at, UTC),
                origin="workflow:send_sms",
                text=job.text,
                template_id=job.template_id,
                sender=job.sender,
            ),
        )
    except InputError as error:
        await refuse(container, job, str(error))
        return
    row = scheduled.row
    await complete(
        container,
        job,
        {
            "outbox_id": 0,  # no SMS yet: the outbox row is made when it is sent
            "status": "scheduled",
            "provider": route.provider_name,
            "scheduled_id": row.id,
            "scheduled_for": int(row.send_at.timestamp()),
        },
    )


def _not_sent(job: SendSmsStep, result: SendResult, status: SmsStatus) -> str:
    reason = result.reason or ""
    if status is SmsStatus.UNKNOWN:
        return (
            f"{reason} The SMS may or may not have been sent; it will not be sent again. "
            f"/sms logs {job.number} shows whether it arrived."
        ).strip()
    if status is SmsStatus.PENDING:
        return "An earlier run of this step is still sending this SMS; it will not be sent twice."
    return f"Not sent: {reason}" if reason else "Not sent: the provider refused the SMS."


async def _follow(container: Container, job: SendSmsStep, route: Route, key: str) -> None:
    """Settle the outbox row from the provider's delivery record later (App Home, /sms logs)."""
    settings = container.settings
    if not followed(route) or settings.sms_delivery_checks <= 0:
        return
    follow_up = StepDelivery(
        envelope=job.envelope.model_copy(update={"accepted_at": time.time()}), key=key, route=route
    )
    try:
        await container.defer(follow_up, delay=settings.sms_delivery_first_check_seconds)
    except Exception:  # the step is done; only the row's later update could not be queued
        log.warning("workflow delivery check not queued", exc_info=True)


# --------------------------------------------------------------------------------- lookup_number


async def lookup_number(job: LookupNumberStep, container: Container) -> None:
    """`/lookup`'s timeline, counted: the same access rule (an agent sees the numbers they talked to)."""
    identity = await acting(container, job)
    if identity is None:
        return
    providers = await container.providers.for_team(identity.team_id)
    span = parse_range(job.range)
    access = NumberAccess(container.sessions, container.audit, container.history)
    try:
        threads = await access.check(providers, identity, job.number, what=f"workflow step {job.step}")
    except AccessDenied as error:
        await refuse(container, job, str(error), outcome="denied")
        return
    report = await container.history.lookup(providers, identity, job.number, span, threads=threads)
    events = report.events
    state = report.compliance
    outputs: dict[str, Any] = {
        "sms_inbound": sum(1 for e in events if e.kind == "sms" and e.direction == "inbound"),
        "sms_outbound": sum(1 for e in events if e.kind == "sms" and e.direction == "outbound"),
        "calls": sum(1 for e in events if e.kind == "call"),
        "open_threads": len(report.threads),
        "do_not_contact": state.do_not_contact or state.do_not_contact_today,
        "opted_out": state.opted_out,
        "flags_known": state.known,
        "incomplete": any(source.state in ("failed", "skipped") for source in report.sources),
    }
    last = max((e.at for e in events if e.at is not None), default=None)
    if last is not None:
        outputs["last_contact"] = int(last.timestamp())
    log.info("workflow lookup done", extra={"number": mask(job.number)})
    await complete(container, job, outputs)


# --------------------------------------------------------------------------------- assign_thread


async def assign_thread(job: AssignThreadStep, container: Container) -> None:
    """Take the thread (the assignee is the one running the step) or transfer it to the assignee's
    linked LiveVox agent, through `InboxService` as the thread cards do (access checked on LiveVox's data)."""
    identity = await acting(container, job)
    if identity is None:
        return
    providers = await container.providers.for_team(identity.team_id)
    service = InboxService(container.audit, contacts=container.contacts)
    try:
        if job.assignee == identity.user_id:
            await service.take(providers, identity, job.thread_id, job.channel_kind)
            action, agent_id = "taken", identity.livevox_agent_id
        else:
            assignee = await container.identities.current(identity.team_id, job.assignee)
            if not assignee.livevox_agent_id:
                await refuse(
                    container,
                    job,
                    "Not assigned: that person has no LiveVox agent linked in Switchboard. An admin can "
                    "link them with /switchboard link @them agent=<LiveVox agent id>.",
                )
                return
            agent_id = assignee.livevox_agent_id
            await service.transfer(providers, identity, job.thread_id, agent_id, job.channel_kind)
            action = "transferred"
    except (InboxUnavailable, AccessDenied) as error:
        await refuse(
            container, job, str(error), outcome="denied" if isinstance(error, AccessDenied) else "refused"
        )
        return
    except ProviderError as error:  # LiveVox refused or failed: said in words, never retried (a change)
        await refuse(container, job, f"Not assigned: {describe(LIVEVOX, error)}", outcome="failed")
        return
    await complete(container, job, {"thread_id": job.thread_id, "action": action, "agent_id": str(agent_id)})
