"""Follow-ups of sending SMS: the preview card, the send itself, filling the send modal, the lists.

Each resolves who asked fresh from the database (a link may have changed since the click), talks to the
providers through `SmsService`, and answers through the response_url (cards) or the Web API (the
modal, and the outcome of a modal send: an ephemeral in the channel, or a DM).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, JsonValue
from slack_sdk.errors import SlackApiError

from bot.db.models import Role, SmsStatus
from bot.errors import InputError
from bot.jobs.contract import Effect, Envelope, Job
from bot.phones import mask
from bot.providers import errors
from bot.providers.livevox import words as livevox_words
from bot.services.access import AccessDenied
from bot.services.failures import describe
from bot.services.identity import Identity
from bot.services.providers import Providers
from bot.services.quiet_hours import QuietVerdict, recipient_time
from bot.services.scheduled_sends import ScheduledSends
from bot.services.send_guard import Override, Reason
from bot.services.send_time import parse_send_time
from bot.services.sms import (
    NO_PROVIDER,
    Compliance,
    Route,
    SendRequest,
    SendResult,
    SmsService,
    choose_route,
)
from bot.services.sms_delivery import NOT_FOLLOWED, DeliveryService, Verdict, followed
from bot.slack.commands import NOT_LINKED
from bot.slack.outcome import failure
from bot.slack.payloads import keep
from bot.slack.people import user_zone
from bot.slack.reply import respond
from bot.slack.sms.blocks import (
    BLOCK_COMPLIANCE,
    BLOCK_TEMPLATE_PREVIEW,
    Choice,
    ModalState,
    Outcome,
    Preview,
    codes_message,
    compliance_block,
    outcome_message,
    preview_message,
    replace_blocks,
    send_modal,
    template_preview,
    templates_message,
)
from bot.slack.text import error_text, pretty_number, when

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner
    from bot.settings import Settings

log = logging.getLogger(__name__)


class Draft(BaseModel):
    """A confirmed-but-not-sent message: what the Send button stands for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    number: str
    text: str
    sender: str | None = None
    channel_id: str | None = None
    # What the send guard refused on the card that an admin may override (`Reason` values), shown to them.
    overridable: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()
    # When it goes if scheduled (epoch seconds): where quiet hours moved the time asked for with `--at`
    # (`asked_at`), or the next allowed one when only quiet hours refused it now (*Send at …*).
    send_at: float | None = None
    asked_at: float | None = None


class OverrideContext(BaseModel):
    """An Override… click: the draft it overrides and the card's response_url (from the verified click),
    kept on the server; the override modal carries only the token naming it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    draft: Draft
    response_url: str | None = None
    channel_id: str | None = None


class SendModalContext(BaseModel):
    """Where a send modal was opened: the channel its outcome is told in and, for a reply, the LiveVox
    thread and account. Kept on the server (`bot.slack.payloads`); the modal's private_metadata carries
    only the token, so an edited one cannot point a send at another thread or channel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel_id: str | None = None
    thread_id: str | None = None
    account: str | None = None


class SmsPreviewJob(Job):
    """`/sms send <number> <text>`: the confirm card (recipient, sender, segments, warnings)."""

    kind = "sms_preview"
    what: ClassVar[str] = "your SMS preview"
    number: str
    text: str
    at: str | None = None  # `--at …` as typed: read in the person's Slack time zone


class SmsConfirmJob(Job):
    """Send clicked on the confirm card: send once and turn the card into the outcome."""

    kind = "sms_confirm"
    effect: ClassVar[Effect] = Effect.CHANGE
    draft: Draft
    override_reason: str | None = None  # an admin's override of what the card refused (the modal's reason)

    def describe(self) -> str:
        return f"sending your SMS to {pretty_number(self.draft.number)}"

    def when_unknown(self) -> str:
        return f"`/sms logs {self.draft.number}` shows whether it arrived."


class SmsSendJob(Job):
    """A submitted send modal: send once, then tell the person in the channel (ephemeral) or by DM."""

    kind = "sms_send"
    effect: ClassVar[Effect] = Effect.CHANGE
    key: str
    number: str
    text: str | None = None
    template_id: str | None = None
    sender: str | None = None
    thread_id: str | None = None
    account: str | None = None

    def describe(self) -> str:
        return f"sending your SMS to {pretty_number(self.number)}"

    def when_unknown(self) -> str:
        return f"`/sms logs {self.number}` shows whether it arrived."


class SmsModalJob(Job):
    """Fill the just-opened send modal with the sender codes, the default sender and the templates."""

    kind = "sms_modal"
    what: ClassVar[str] = "the send form"
    view_id: str
    token: str  # the modal's private_metadata (its `SendModalContext`), kept when the view is rebuilt
    number: str | None = None
    message: str | None = None


class OpenModal(BaseModel):
    """The send modal as it was when an input changed, to update in place (`replace_blocks`): Slack has
    no call to read a view back, so the follow-up gets the parts a `views.update` takes. Its blocks are
    the ones Switchboard built (and Slack echoed); private_metadata is only the token of its context."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = "modal"
    callback_id: str | None = None
    title: dict[str, JsonValue] | None = None
    submit: dict[str, JsonValue] | None = None
    close: dict[str, JsonValue] | None = None
    private_metadata: str | None = None
    blocks: list[dict[str, JsonValue]] = []

    @classmethod
    def of(cls, view: dict[str, Any]) -> OpenModal:
        return cls.model_validate({k: view.get(k) for k in cls.model_fields if view.get(k) is not None})

    def as_view(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class TemplatePreviewJob(Job):
    """A template picked in the send modal: its text and segments, in place."""

    kind = "sms_template_preview"
    what: ClassVar[str] = "the template preview"
    view_id: str
    view: OpenModal  # the modal as it was, to update in place
    template_id: str | None = None


class SmsComplianceJob(Job):
    """Enter pressed in the send modal's number box: that number's DNC / opt-out warnings, in place."""

    kind = "sms_modal_compliance"
    what: ClassVar[str] = "the Do-Not-Contact check"
    view_id: str
    view: OpenModal  # the modal as it was, to update in place
    number: str  # E.164


class SmsDeliveryJob(Job):
    """After a provider accepted an SMS: read its delivery record, again later with backoff while there is
    none, and tell the person what it says (the card, replaced through the response_url; the DM, updated;
    else a new ephemeral). Reading is safe to repeat; the outbox row and the audit move once."""

    kind = "sms_delivery"
    what: ClassVar[str] = "the delivery check of your SMS"
    key: str  # the outbox row's idempotency key
    route: Route
    look: int = 0  # looks done before this one
    thread_id: str | None = None  # LiveVox: the thread the message was found in
    dm_channel: str | None = None  # the outcome went as a DM: this message is updated
    dm_ts: str | None = None

    def after_failure(self) -> str:
        return (
            "Your SMS itself was accepted by the provider: do not send it again. "
            "`/sms logs <number>` shows its delivery record when the provider has one."
        )


class SmsTemplatesJob(Job):
    kind = "sms_templates"
    what: ClassVar[str] = "the SMS templates"


class SmsCodesJob(Job):
    kind = "sms_codes"
    what: ClassVar[str] = "the SMS codes"


def install(runner: JobRunner[Container]) -> None:
    runner.register(SmsPreviewJob, preview)
    runner.register(SmsConfirmJob, confirm)
    runner.register(SmsSendJob, send_from_modal)
    runner.register(SmsModalJob, fill_modal)
    runner.register(TemplatePreviewJob, template_preview_update)
    runner.register(SmsComplianceJob, modal_compliance)
    runner.register(SmsDeliveryJob, follow_delivery)
    runner.register(SmsTemplatesJob, list_templates)
    runner.register(SmsCodesJob, list_codes)
    # Send later builds on this module's send path, so its jobs are installed from here (imported late).
    from bot.slack.sms import later

    later.install(runner)


def install_periodic(runner: JobRunner[Container], settings: Settings) -> None:
    from bot.slack.sms import later

    later.install_periodic(runner, settings)


def service(container: Container) -> SmsService:
    return SmsService(container.sessions, container.audit, clock=container.clock)


# -------------------------------------------------------------------------------- /sms send <text>


async def preview(job: SmsPreviewJob, container: Container) -> None:
    """The confirm card of `/sms send <number> <text>`: recipient, sender, text, segments, warnings."""
    envelope = job.envelope
    url = envelope.response_url or ""
    identity: Identity = await container.identities.current(envelope.team_id, envelope.user_id)
    providers = await container.providers.for_team(envelope.team_id)
    sms = service(container)
    number, text = job.number, job.text
    try:
        route = choose_route(providers, identity)
    except InputError:
        await respond(url, {"text": NO_PROVIDER})
        return
    planned: tuple[datetime, QuietVerdict | None] | None = None
    asked = container.clock.now()
    if job.at:  # `--at`: read in the person's Slack time zone, moved out of the recipient's quiet hours
        slack = await container.slack_for(envelope.team_id)
        zone = await user_zone(slack, envelope.user_id)
        try:
            asked = parse_send_time(job.at, container.clock.now(), zone)
            planned = await ScheduledSends(container.sessions, container.clock).plan(
                envelope.team_id, number, asked
            )
        except InputError as error:
            await respond(url, failure(error_text(error)))
            return
    # A provider failing here is retried if transient, else told by the runner's notifier, in words.
    sender = await sms.resolve_sender(providers, identity, route, None, envelope.channel_id)
    compliance, verdict = await sms.check(providers, identity, number, at=planned[0] if planned else None)
    warnings = warnings_of(compliance, route)
    if not sender:
        await respond(
            url,
            {
                "text": "There is no sender code to send from; "
                "use the modal (`/sms send &lt;number&gt;`) to pick one."
            },
        )
        return
    refusals = tuple(r.sentence for r in verdict.shown)
    # An override sends now: a scheduled card offers none (it is checked again when it goes).
    may_override = sms.guard.may_override(identity) and planned is None
    overridable = verdict.overridable if may_override else frozenset()
    quiet = verdict.quiet
    later = (
        quiet
        if refusals
        and planned is None
        and quiet is not None
        and quiet.next_allowed is not None
        and all(r.reason is Reason.QUIET_HOURS for r in verdict.refusals)
        else None
    )
    if refusals:
        await sms.guard.refused(identity, verdict, stage="preview")
    send_at: datetime | None = planned[0] if planned else later.next_allowed if later else None
    draft = Draft(
        key=secrets.token_urlsafe(12),
        number=number,
        text=text,
        sender=sender,
        channel_id=envelope.channel_id,
        overridable=tuple(sorted(r.value for r in overridable)),
        refusals=refusals,
        send_at=send_at.timestamp() if send_at else None,
        asked_at=asked.timestamp() if planned else None,
    )
    # The Send button carries only a reference: the draft stays here, for this person, until the card
    # expires (a button value is editable by the client).
    token = await keep(container, envelope.team_id, envelope.user_id, draft)
    card = Preview(
        number=number,
        sender=sender,
        text=text,
        provider=route.label,
        warnings=warnings,
        compliance=compliance.state,
        refusals=refusals,
        notes=verdict.notes,
        overridable=bool(overridable),
        send_later=later.next_short() if later else None,
        scheduled_for=_scheduled_words(number, planned) if planned else None,
    )
    await respond(url, preview_message(card, token))


def _scheduled_words(number: str, planned: tuple[datetime, QuietVerdict | None]) -> str:
    """ "Goes out at 09:00 their time (…), Thu Dec 3 (<your time>)", and why when quiet hours moved it."""
    at, moved = planned
    words = f"Goes out at {recipient_time(number, at)} ({when(at)} for you)."
    if moved is not None:
        words += (
            f" The time you asked for is inside the recipient's quiet hours ({moved.window.describe()} "
            "their time), so it was moved to the next allowed time."
        )
    return words


async def compliance_warnings(
    sms: SmsService, providers: Providers, identity: Identity, route: Route, number: str
) -> list[str]:
    """What the preview card and the send form warn about a number (the same sentences in both): the
    guard's refusals and notes, and what could not be checked."""
    compliance, verdict = await sms.check(providers, identity, number)
    refused = [f"Will not be sent: {r.sentence}" for r in verdict.shown]
    return refused + list(verdict.notes) + warnings_of(compliance, route)


def warnings_of(compliance: Compliance, route: Route) -> list[str]:
    """The warning sentences of a number's compliance check, and what was not checked."""
    warnings = list(compliance.warnings)
    if not compliance.checked and not warnings:
        warnings.append(
            "Do-Not-Contact / opt-out are not checked for sends through Routee."
            if route is Route.ROUTEE
            else "Do-Not-Contact / opt-out could not be checked (you have no LiveVox agent login)."
        )
    return warnings


async def confirm(job: SmsConfirmJob, container: Container) -> None:
    """Send clicked: send once, turn the card into the outcome, and follow the delivery record."""
    envelope = job.envelope
    identity: Identity = await container.identities.current(envelope.team_id, envelope.user_id)
    draft = job.draft
    if envelope.response_url:  # the card has been claimed for this send (`Envelope.once`): it says so
        try:
            await respond(envelope.response_url, outcome_message(Outcome(draft.number, draft.text, None)))
        except Exception:  # only the placeholder: the send goes on, and its outcome replaces the card
            log.warning("could not turn the card into Sending…", exc_info=True)
    key = f"confirm:{draft.key}"
    override = (
        Override(job.override_reason, frozenset(Reason(r) for r in draft.overridable))
        if job.override_reason
        else None
    )
    result = await _send(
        container,
        identity,
        SendRequest(
            number=draft.number,
            idempotency_key=key,
            text=draft.text,
            sender=draft.sender,
            channel_id=draft.channel_id,
            override=override,
        ),
    )
    try:
        checking = _will_follow(container, result)
        # The card first: the follow-up replaces it, so it must not be able to arrive before it.
        await _answer(container, envelope, _outcome(result, checking=checking))
        if await _follow(container, envelope, result, key) is False:
            if checking:  # the check could not be queued after all: the card must not promise it
                await _answer(container, envelope, _outcome(result, checking=False))
            await _not_followed(container, identity, result, key)
    except Exception:

        async def again(payload: dict[str, Any]) -> None:
            await _answer(container, envelope, payload)

        await _after_send_broke(container, envelope, result, again)


async def _answer(container: Container, envelope: Envelope, payload: dict[str, Any]) -> None:
    """The card replaced through its response_url; when that has expired (a send scheduled for hours
    later), an ephemeral in the channel or a DM instead."""
    if envelope.response_url and await respond(envelope.response_url, payload):
        return
    await tell(container, envelope.team_id, envelope.user_id, envelope.channel_id, payload)


def _will_follow(container: Container, result: SendResult | str) -> bool:
    """Whether this outcome starts a delivery check (the provider accepted it, and reports delivery)."""
    return (
        not isinstance(result, str)
        and result.status is SmsStatus.ACCEPTED
        and not result.repeated
        and result.recorded  # a row left PENDING is never followed (the follow-up reads the row)
        and followed(result.route)
        and container.settings.sms_delivery_checks > 0
    )


def _outcome(result: SendResult | str, *, checking: bool = False) -> dict[str, Any]:
    """The first card after Send: never "delivered" before the provider's delivery record says so."""
    if isinstance(result, str):  # refused before any row was written
        return failure(result)
    reason = result.reason
    if result.status is SmsStatus.ACCEPTED and not checking and not reason:
        reason = NOT_FOLLOWED if not followed(result.route) else None
    return outcome_message(
        Outcome(
            number=result.number,
            text=result.text,
            status=result.status,
            provider=result.route.provider_name,
            reference=result.provider_message_id,
            reason=reason,
            checking=checking,
        )
    )


async def _follow(
    container: Container,
    envelope: Envelope,
    result: SendResult | str,
    key: str,
    *,
    dm: tuple[str, str] | None = None,
) -> bool | None:
    """Start following a message the provider just accepted: True when a delivery check is queued,
    False when there will be none (the provider reports nothing, or it could not be queued), None when
    there is nothing to follow (not accepted, or a repeat: the first run follows it)."""
    if isinstance(result, str) or result.status is not SmsStatus.ACCEPTED or result.repeated:
        return None
    if not _will_follow(container, result):
        return False
    follow_up = SmsDeliveryJob(
        envelope=envelope.model_copy(update={"accepted_at": time.time()}),
        key=key,
        route=result.route,
        dm_channel=dm[0] if dm else None,
        dm_ts=dm[1] if dm else None,
    )
    try:
        await container.defer(follow_up, delay=_wait_before(container, 0))
    except Exception:  # the send is done; only its check could not be queued (the database blinked)
        log.warning("delivery check not queued", exc_info=True)
        return False
    return True


def _wait_before(container: Container, look: int) -> float:
    """Seconds before look number `look` (from 0): the first wait, doubled each time."""
    return float(container.settings.sms_delivery_first_check_seconds * 2**look)


def _window_words(container: Container) -> str:
    """The whole time the record was looked for, in words."""
    settings = container.settings
    total = sum(_wait_before(container, n) for n in range(settings.sms_delivery_checks))
    if total >= 120:
        return f"{round(total / 60)} minutes"
    return f"{max(1, round(total))} seconds"


async def _not_followed(container: Container, identity: Identity, result: SendResult | str, key: str) -> None:
    """Accepted with no check to come: the outbox row and the audit say "not confirmed" now."""
    if (
        isinstance(result, str)
        or result.status is not SmsStatus.ACCEPTED
        or result.repeated
        or not result.recorded
    ):
        return
    tracker = DeliveryService(container.sessions, container.history)
    row = await tracker.row(identity.team_id, key)
    if row is not None:
        note = NOT_FOLLOWED if not followed(result.route) else "Its delivery could not be checked."
        await tracker.unconfirmed(identity.team_id, row, note, provider=result.route.value)


# ------------------------------------------------------------------------------ delivery follow-up


async def follow_delivery(job: SmsDeliveryJob, container: Container) -> None:
    """Read the delivery record once; settle the row and tell the person, or look again later."""
    envelope = job.envelope
    tracker = DeliveryService(container.sessions, container.history)
    row = await tracker.row(envelope.team_id, job.key)
    if row is None or row.status is not SmsStatus.ACCEPTED or row.status_reason:
        return  # settled already (a repeated follow-up), or not ours to follow
    identity: Identity = await container.identities.current(envelope.team_id, envelope.user_id)
    providers = await container.providers.for_team(envelope.team_id)
    provider = job.route.provider_name
    try:
        verdict = await tracker.check(providers, identity, row, job.route, thread_id=job.thread_id)
    except errors.ProviderError as error:  # this look failed; the next one may not
        log.warning("delivery check failed", extra={"error": type(error).__name__, "look": job.look})
        verdict = Verdict(SmsStatus.ACCEPTED)
    except Exception:
        # Not the runner's "something went wrong, please try again": the SMS was sent, and a person told
        # to try again sends it twice. The look counts as failed; the last one says "not confirmed yet".
        log.exception("delivery check broke", extra={"look": job.look})
        verdict = Verdict(SmsStatus.ACCEPTED)
    outcome = Outcome(
        number=row.to_number,
        text=row.body or "",
        status=verdict.status,
        provider=provider,
        reference=row.provider_message_id,
        reason=verdict.reason,
        raw=verdict.raw,
    )
    if verdict.final:
        if await tracker.settle(envelope.team_id, row, verdict, provider=job.route.value):
            await _show(container, job, outcome)
        return
    look = job.look + 1
    if look < container.settings.sms_delivery_checks:
        await tracker.looked(envelope.team_id, row)
        again = job.model_copy(
            update={
                "look": look,
                "thread_id": verdict.thread_id or job.thread_id,
                "envelope": envelope.model_copy(update={"accepted_at": time.time()}),
            }
        )
        await container.defer(again, delay=_wait_before(container, look))
        return
    note = f"{provider} had not reported its delivery after {_window_words(container)}."
    if await tracker.unconfirmed(envelope.team_id, row, note, provider=job.route.value):
        await _show(container, job, Outcome(**{**outcome.__dict__, "reason": note}))


async def _show(container: Container, job: SmsDeliveryJob, outcome: Outcome) -> None:
    """The card replaced (response_url), the DM updated, or else a new ephemeral in the channel."""
    if not job.tells_person:  # a workflow step's SMS: the outbox row and the audit are what it leaves
        return
    payload = outcome_message(outcome)
    envelope = job.envelope
    if envelope.response_url and await respond(envelope.response_url, payload, replace_original=True):
        return
    if job.dm_channel and job.dm_ts:
        try:
            slack = await container.slack_for(envelope.team_id)
            await slack.chat_update(channel=job.dm_channel, ts=job.dm_ts, **payload)
            return
        except SlackApiError as error:
            log.info("DM not updated", extra={"error": error.response.get("error")})
    await tell(container, envelope.team_id, envelope.user_id, envelope.channel_id, payload)


async def _send(container: Container, identity: Identity, request: SendRequest) -> SendResult | str:
    if not identity.may(Role.AGENT):
        await container.audit.denied(
            identity.team_id,
            identity.user_id,
            "send sms",
            required=Role.AGENT.value,
            target_type="phone",
            target_id=mask(request.number),
        )
        return NOT_LINKED
    providers = await container.providers.for_team(identity.team_id)
    try:
        return await service(container).send(providers, identity, request)
    except (InputError, AccessDenied) as error:  # refused before anything was sent: words, no retry
        return error_text(error)


# ---------------------------------------------------------------------------------- the send modal


async def send_from_modal(job: SmsSendJob, container: Container) -> None:
    """A submitted send modal: send, then tell the person in the channel (ephemeral) or by DM."""
    envelope = job.envelope
    identity: Identity = await container.identities.current(envelope.team_id, envelope.user_id)
    result = await _send(
        container,
        identity,
        SendRequest(
            number=job.number,
            idempotency_key=job.key,
            text=job.text,
            template_id=job.template_id,
            sender=job.sender or None,
            channel_id=envelope.channel_id,
            thread_id=job.thread_id,
            account=job.account,
        ),
    )
    try:
        checking = _will_follow(container, result)
        dm = await tell(
            container,
            envelope.team_id,
            envelope.user_id,
            envelope.channel_id,
            _outcome(result, checking=checking),
        )
        if await _follow(container, envelope, result, job.key, dm=dm) is False:
            if checking:  # the check could not be queued after all: the message must not promise it
                await tell(
                    container,
                    envelope.team_id,
                    envelope.user_id,
                    envelope.channel_id,
                    _outcome(result, checking=False),
                )
            await _not_followed(container, identity, result, job.key)
    except Exception:

        async def again(payload: dict[str, Any]) -> None:
            await tell(container, envelope.team_id, envelope.user_id, envelope.channel_id, payload)

        await _after_send_broke(container, envelope, result, again)


async def _after_send_broke(
    container: Container,
    envelope: Envelope,
    result: SendResult | str,
    answer: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Telling or following a send failed after the provider answered: never the runner's "please try
    again" (the customer would get it twice). The person is told the outcome once more (best effort);
    the error is logged, and the job ends (it is a change: never run again)."""
    log.exception("a send's aftermath failed", extra={"origin": envelope.origin})
    if isinstance(result, str):  # refused before anything was sent: the refusal is what was to be told
        payload = failure(result)
    else:
        payload = _outcome(
            replace(result, reason=result.reason or "Switchboard could not finish telling you how it went."),
            checking=False,
        )
    try:
        await answer(payload)
    except Exception:
        log.warning("the outcome of a send could not be told", exc_info=True)


async def tell(
    container: Container, team_id: str, user_id: str, channel_id: str | None, payload: dict[str, Any]
) -> tuple[str, str] | None:
    """An ephemeral in the channel the modal came from; a DM when there is none (or the bot is not in it).

    Returns the DM's (channel, ts), which can be updated later; an ephemeral cannot."""
    client = await container.slack_for(team_id)
    if channel_id:
        try:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, **payload)
            return None
        except SlackApiError as error:
            log.info("ephemeral refused, sending a DM", extra={"error": error.response.get("error")})
    posted = await client.chat_postMessage(channel=user_id, **payload)
    channel, ts = posted.get("channel"), posted.get("ts")
    return (str(channel), str(ts)) if channel and ts else None


async def fill_modal(job: SmsModalJob, container: Container) -> None:
    """Fill the just-opened send modal with the sender codes, the default sender and the templates."""
    envelope = job.envelope
    identity: Identity = await container.identities.current(envelope.team_id, envelope.user_id)
    providers = await container.providers.for_team(envelope.team_id)
    sms = service(container)
    state = ModalState(
        token=job.token,
        number=job.number,
        message=job.message,
    )
    try:
        route = choose_route(providers, identity)
    except InputError:
        route = None
        state.notice = NO_PROVIDER
    state.default_code = await sms.channel_sender(identity.team_id, envelope.channel_id)
    codes: list[Choice] = []
    templates: list[Choice] = []
    if route is not None and route is not Route.ROUTEE:
        try:
            for code in await sms.codes(providers, identity):
                kind = livevox_words.code_kind(code.description)
                label = f"{pretty_number(code.code)} · {kind}" if kind else pretty_number(code.code)
                codes.append(Choice(code.code, label))
            for template in await sms.templates(providers):
                name = template.description or (template.message or "")[:40] or f"Template {template.id}"
                templates.append(Choice(str(template.id), name))
                state.template_texts[str(template.id)] = template.message or ""
        except errors.ProviderError as error:
            log.warning("send modal: provider failed", extra={"error": type(error).__name__})
            state.notice = describe("LiveVox", error) + " You can still type a message."
    if state.default_code is None and codes:
        state.default_code = codes[0].value
    state.codes, state.templates = codes, templates
    if job.number and route is not None:
        # The same warnings as the preview card; a check that fails says so, the form still opens.
        state.warnings = await _form_warnings(sms, providers, identity, route, job.number)
    try:
        slack = await container.slack_for(job.envelope.team_id)
        await slack.views_update(view_id=job.view_id, view=send_modal(state))
    except SlackApiError as error:  # closed already, or never opened
        log.info("send modal not updated", extra={"error": error.response.get("error")})


async def _form_warnings(
    sms: SmsService, providers: Providers, identity: Identity, route: Route, number: str
) -> list[str]:
    try:
        return await compliance_warnings(sms, providers, identity, route, number)
    except errors.ProviderError as error:
        log.warning("send modal: compliance check failed", extra={"error": type(error).__name__})
        return ["LiveVox could not be asked about Do-Not-Contact / opt-out just now."]


async def modal_compliance(job: SmsComplianceJob, container: Container) -> None:
    """Enter in the modal's number box: check that number and show its warnings in place."""
    envelope = job.envelope
    identity: Identity = await container.identities.current(envelope.team_id, envelope.user_id)
    providers = await container.providers.for_team(envelope.team_id)
    try:
        route = choose_route(providers, identity)
    except InputError:
        return  # the form already says there is no provider
    warnings = await _form_warnings(service(container), providers, identity, route, job.number)
    block = compliance_block(warnings, form=True, number=job.number)
    assert block is not None
    try:
        slack = await container.slack_for(envelope.team_id)
        await slack.views_update(
            view_id=job.view_id, view=replace_blocks(job.view.as_view(), {BLOCK_COMPLIANCE: block})
        )
    except SlackApiError as error:
        log.info("compliance not shown", extra={"error": error.response.get("error")})


async def template_preview_update(job: TemplatePreviewJob, container: Container) -> None:
    """A template picked in the modal: its text and segments in place, and, before anything is sent,
    whether it sends from a sender code the person does not have."""
    envelope = job.envelope
    providers = await container.providers.for_team(envelope.team_id)
    sms = service(container)
    text: str | None = None
    problem: str | None = None
    if job.template_id:
        try:
            template = await sms.template(providers, job.template_id)
            text = template.message or ""
            identity: Identity = await container.identities.current(envelope.team_id, envelope.user_id)
            problem = await sms.template_sender_problem(providers, identity, template)
        except (errors.ProviderError, InputError) as error:
            text = f"(could not load the template: {error})"
    view = replace_blocks(job.view.as_view(), {BLOCK_TEMPLATE_PREVIEW: template_preview(text, problem)})
    try:
        slack = await container.slack_for(envelope.team_id)
        await slack.views_update(view_id=job.view_id, view=view)
    except SlackApiError as error:
        log.info("template preview not updated", extra={"error": error.response.get("error")})


# -------------------------------------------------------------------------------------- the lists


async def list_templates(job: SmsTemplatesJob, container: Container) -> None:
    url = job.envelope.response_url or ""
    providers = await container.providers.for_team(job.envelope.team_id)
    if providers.livevox is None:
        await respond(url, {"text": "LiveVox is not connected, so there are no templates."})
        return
    templates = await service(container).templates(providers)  # failures: the runner's notifier
    rows = [(str(t.id), t.description, t.message, t.sms_code) for t in templates]
    await respond(url, templates_message(rows))


async def list_codes(job: SmsCodesJob, container: Container) -> None:
    envelope = job.envelope
    url = envelope.response_url or ""
    identity: Identity = await container.identities.current(envelope.team_id, envelope.user_id)
    providers = await container.providers.for_team(envelope.team_id)
    if providers.livevox is None:
        await respond(url, {"text": "LiveVox is not connected, so there are no SMS codes."})
        return
    sms = service(container)
    codes = await sms.codes(providers, identity)  # failures: the runner's notifier
    default = await sms.channel_sender(identity.team_id, envelope.channel_id)
    await respond(url, codes_message([(c.code, c.description) for c in codes], default))
