"""`function_executed`: a workflow reached one of Switchboard's steps.

The listener only reads the inputs (no provider call), picks who the step acts as (the "Run as" person,
else the workspace's workflow service user, `bot.services.workflow_user`) and defers the step's durable
job (`bot.slack.workflows.jobs`), which completes it; the event is acked once that job is stored
(`accept`), so a web process that stops before then leaves Slack to deliver the event again. The job
claims the execution when it runs (`Envelope.once`), so a step delivered again is done once, and the
front door does not take a retried `function_executed` for a repeat (`bot.slack.app.delivery_key`).
Inputs that cannot be used end the step here, with a readable reason; that ending claims the execution
the same way, so an execution Slack delivers again (same execution id, new event id) ends once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.fail.async_fail import AsyncFail

from bot.errors import InputError
from bot.jobs.contract import Claim, Envelope
from bot.phones import mask_all, to_e164
from bot.services.inbox import CHANNEL_TYPES
from bot.services.send_time import check_send_time
from bot.services.sms import check_text
from bot.services.time_range import parse_range
from bot.services.workflow_user import WorkflowUsers
from bot.settings import Settings
from bot.slack.jobs import accept, error_words
from bot.slack.workflows import steps
from bot.slack.workflows.jobs import (
    ActingAs,
    AssignThreadStep,
    LookupNumberStep,
    SendSmsStep,
    StepJob,
    plain,
)

if TYPE_CHECKING:
    from bot.container import Container

log = logging.getLogger(__name__)

# A "send at" this close to now, before or after, is now (a workflow's clock and ours differ by seconds);
# one further back has passed and is refused, as `/sms send --at` refuses it.
NOW_SLACK_SECONDS = 60
SEND_NOW = "leave “Send at” empty to send now"
NOT_A_TIME = "give a Unix timestamp in seconds (not milliseconds) or an ISO date and time"
NO_ACTOR = (
    "Switchboard does not know whom to run this step as: set its “Run as” input to “Person who used "
    "this workflow”, or ask an admin to name the workspace's workflow user (/switchboard workflow-user "
    "@someone)."
)

Build = Callable[[Mapping[str, Any], Settings, dict[str, Any]], StepJob]


def runner_of(inputs: Mapping[str, Any]) -> str | None:
    """The "Run as" person (a user_context, which only Slack fills), if the workflow gave one."""
    run_as = inputs.get("run_as")
    if isinstance(run_as, Mapping):
        user = run_as.get("id")
        if isinstance(user, str) and user.strip():
            return user.strip()
    return None


async def actor_of(
    inputs: Mapping[str, Any], container: Container, team_id: str
) -> tuple[str, ActingAs] | None:
    """Who the step acts as: the "Run as" person, else the workspace's workflow service user (an admin's
    choice; in single-token mode SWITCHBOARD_WORKFLOW_USER until one is made); None when neither is
    there. The service user is read only when needed (one database read)."""
    runner = runner_of(inputs)
    if runner is not None:
        return runner, "runner"
    service = await WorkflowUsers.of(container.sessions, container.settings).current(team_id)
    if service.user_id:
        return service.user_id, "service"
    return None


# What the manifest calls each input (the words a workflow's author sees in Workflow Builder).
TITLES: dict[str, str] = {
    name: str(param["title"])
    for function in steps.FUNCTIONS.values()
    for name, param in function["input_parameters"].items()
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return "something else"


def _text(inputs: Mapping[str, Any], name: str) -> str | None:
    """A `string` input, stripped; None when empty. The manifest declares these as strings, so anything
    else (a list, an object, a number) is refused in words, never sent as its Python repr."""
    value = inputs.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(
            f"“{TITLES.get(name, name)}” must be text, not {_kind(value)}: "
            "give it a text value (a form's answer, a variable holding text)."
        )
    return value.strip() or None


def _send_at(value: Any) -> datetime | None:
    """A `slack#/types/timestamp` (epoch seconds); ISO text is read too (the console types it). Anything
    that names no instant (a millisecond epoch, a number past year 9999, NaN, a list) is refused in
    words."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    unreadable = InputError(f"“{str(value).strip()[:40]}” is not a time: {NOT_A_TIME}.")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise unreadable
    try:
        if isinstance(value, str):
            text = value.strip()
            try:
                seconds = float(text)
            except ValueError:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        else:
            seconds = float(value)
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        raise unreadable from None


def build_send_sms(inputs: Mapping[str, Any], settings: Settings, common: dict[str, Any]) -> StepJob:
    number = to_e164(_text(inputs, "to") or "", settings.default_region)
    text, template_id = _text(inputs, "text"), _text(inputs, "template_id")
    check_text(text, template_id)
    at = _send_at(inputs.get("send_at"))
    now = datetime.now(UTC)
    later: float | None = None
    # `--at`'s rules (`check_send_time`): a time to come, up to the send-later horizon, is scheduled; a
    # past one is refused (the scheduler would not send it that late either); about now is sent now.
    if at is not None and abs(at - now) > timedelta(seconds=NOW_SLACK_SECONDS):
        check_send_time(at, now, instead=SEND_NOW)
        later = at.timestamp()
    # The message exactly as the workflow gave it (spacing kept); only an all-blank one is refused above.
    raw = inputs.get("text")
    return SendSmsStep(
        **common,
        number=number,
        text=str(raw) if text else None,
        template_id=template_id,
        sender=_text(inputs, "sender_code"),
        send_at=later,
    )


def build_lookup(inputs: Mapping[str, Any], settings: Settings, common: dict[str, Any]) -> StepJob:
    number = to_e164(_text(inputs, "number") or "", settings.default_region)
    span = _text(inputs, "range")
    parse_range(span)  # a bad range ends the step now, in words
    return LookupNumberStep(**common, number=number, range=span)


def build_assign(inputs: Mapping[str, Any], settings: Settings, common: dict[str, Any]) -> StepJob:
    thread_id = _text(inputs, "thread_id")
    if not thread_id:
        raise InputError("Give the LiveVox thread id to assign.")
    assignee = _text(inputs, "assignee")
    if not assignee:
        raise InputError("Give the person to assign the thread to.")
    kind = CHANNEL_TYPES.get((_text(inputs, "channel_type") or "SMS").lower())
    if kind is None:
        raise InputError(f"The channel type must be one of {', '.join(CHANNEL_TYPES.values())}.")
    return AssignThreadStep(**common, thread_id=thread_id, assignee=assignee, channel_kind=kind)


BUILDERS: dict[str, Build] = {
    steps.SEND_SMS: build_send_sms,
    steps.LOOKUP_NUMBER: build_lookup,
    steps.ASSIGN_THREAD: build_assign,
}


def listener(step: str, build: Build) -> Callable[..., Any]:
    async def on_function_executed(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, fail: AsyncFail
    ) -> None:
        container = context["container"]
        event = body.get("event") or {}
        execution_id = str(event.get("function_execution_id") or "")
        team_id = context.team_id or context.enterprise_id or ""
        inputs = event.get("inputs") or {}
        try:
            actor = await actor_of(inputs, container, team_id)
        except Exception as error:  # the database is away, most likely: the workflow hears it, never waits
            log.warning("workflow step not started", exc_info=True, extra={"step": step})
            await ack()
            if await _first_end(container, team_id, step, execution_id):
                await fail(error_words(error))
            return
        if actor is None:
            await ack()
            await _refuse(container, fail, team_id, "workflow", step, execution_id, NO_ACTOR)
            return
        user_id, acting_as = actor
        # A step delivered again is done once: its job claims the execution when it runs.
        once = Claim(key=claim_key(execution_id))
        common = {
            "envelope": Envelope(team_id=team_id, user_id=user_id, origin=f"workflow:{step}", once=once),
            "execution_id": execution_id,
            "workflow_execution_id": event.get("workflow_execution_id"),
            "acting_as": acting_as,
        }
        try:
            job = build(inputs, container.settings, common)
            await accept(container, job, ack)  # acked once stored, so Slack redelivers a step never stored
        except InputError as error:
            await ack()
            await _refuse(container, fail, team_id, user_id, step, execution_id, str(error))
        except Exception as error:  # the database away, or inputs the job refuses: said, never a timeout
            log.warning("workflow step not started", exc_info=True, extra={"step": step})
            if ack.response is None:  # `accept` acks before it raises a failure to store
                await ack()
            if await _first_end(container, team_id, step, execution_id):
                await fail(error_words(error))

    on_function_executed.__name__ = on_function_executed.__qualname__ = f"on_{step}"
    return on_function_executed


def claim_key(execution_id: str) -> str:
    """The claim that ends an execution once: taken by its job when it runs (`Envelope.once`), or by the
    listener when it ends the step itself."""
    return f"workflow:{execution_id}"


async def _first_end(container: Container, team_id: str, step: str, execution_id: str) -> bool:
    """Whether this delivery is the one to end the step here: it claims the execution as its job would.
    False when an earlier delivery (or a job) did: Slack delivering it again must not end it again (its
    token is spent; `functions.completeError` would answer invalid_auth). A claim the database cannot
    take (it is away) still lets the step end: a second ending beats one that never comes."""
    try:
        first = await container.once(team_id, claim_key(execution_id))
    except Exception:
        log.warning("workflow step's claim not taken; ending it anyway", exc_info=True, extra={"step": step})
        return True
    if not first:
        log.info("workflow step ended already: a repeated delivery", extra={"step": step})
    return first


async def _refuse(
    container: Container, fail: AsyncFail, team_id: str, actor: str, step: str, execution_id: str, reason: str
) -> None:
    if not await _first_end(container, team_id, step, execution_id):
        return
    reason = plain(reason)
    with contextlib.suppress(Exception):  # the refusal stands even if the audit cannot be written
        await container.audit.record(
            team_id,
            actor,
            f"workflow.{step}",
            target_type="function_execution",
            target_id=execution_id,
            outcome="refused",
            details={"reason": mask_all(reason)},
        )
    await fail(reason)


def register(app: AsyncApp) -> None:
    for step, build in BUILDERS.items():
        # Acked by the listener once the step's job is stored (`accept`), not by Bolt before it runs.
        app.function(step, auto_acknowledge=False)(listener(step, build))
