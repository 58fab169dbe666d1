"""Follow-ups of sending SMS: the preview card, the send itself, filling the send modal, the lists.

Each resolves who asked fresh from the database (a link may have changed since the click), talks to the
providers through `SmsService`, and answers through the response_url (cards) or the Web API (the
modal, and the outcome of a modal send: an ephemeral in the channel, or a DM).
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict
from slack_sdk.errors import SlackApiError

from bot.db.models import Role, SmsStatus
from bot.errors import InputError
from bot.jobs.contract import Effect, Job
from bot.providers import errors
from bot.services.access import AccessDenied
from bot.services.failures import describe
from bot.services.identity import Identity
from bot.services.sms import NO_PROVIDER, Route, SendRequest, SendResult, SmsService, choose_route
from bot.slack.commands import NOT_LINKED
from bot.slack.outcome import failure
from bot.slack.payloads import keep
from bot.slack.reply import respond
from bot.slack.sms.blocks import (
    BLOCK_TEMPLATE_PREVIEW,
    Choice,
    ModalState,
    Preview,
    codes_message,
    outcome_message,
    preview_message,
    replace_blocks,
    send_modal,
    template_preview,
    templates_message,
)
from bot.slack.text import error_text, pretty_number

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner

log = logging.getLogger(__name__)


class Draft(BaseModel):
    """A confirmed-but-not-sent message: what the Send button stands for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    number: str
    text: str
    sender: str | None = None
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


class SmsConfirmJob(Job):
    """Send clicked on the confirm card: send once and turn the card into the outcome."""

    kind = "sms_confirm"
    effect: ClassVar[Effect] = Effect.CHANGE
    draft: Draft

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


class TemplatePreviewJob(Job):
    """A template picked in the send modal: its text and segments, in place."""

    kind = "sms_template_preview"
    what: ClassVar[str] = "the template preview"
    view_id: str
    view: dict[str, Any]  # the modal as it was (type, callback_id, title, blocks…), to update in place
    template_id: str | None = None


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
    runner.register(SmsTemplatesJob, list_templates)
    runner.register(SmsCodesJob, list_codes)


def service(container: Container) -> SmsService:
    return SmsService(container.sessions, container.audit)


# -------------------------------------------------------------------------------- /sms send <text>


async def preview(job: SmsPreviewJob, container: Container) -> None:
    """The confirm card of `/sms send <number> <text>`: recipient, sender, text, segments, warnings."""
    envelope = job.envelope
    url = envelope.response_url or ""
    identity: Identity = await container.identities.resolve(envelope.team_id, envelope.user_id)
    providers = await container.providers.for_team(envelope.team_id)
    sms = service(container)
    number, text = job.number, job.text
    try:
        route = choose_route(providers, identity)
    except InputError:
        await respond(url, {"text": NO_PROVIDER})
        return
    # A provider failing here is retried if transient, else told by the runner's notifier, in words.
    sender = await sms.resolve_sender(providers, identity, route, None, envelope.channel_id)
    compliance = await sms.compliance(providers, identity, number)
    if not sender:
        await respond(
            url,
            {
                "text": "There is no sender code to send from; "
                "use the modal (`/sms send <number>`) to pick one."
            },
        )
        return
    warnings = list(compliance.warnings)
    if not compliance.checked and route is not Route.ROUTEE and not warnings:
        warnings.append("Do-Not-Contact / opt-out could not be checked (you have no LiveVox agent login).")
    draft = Draft(
        key=secrets.token_urlsafe(12), number=number, text=text, sender=sender, channel_id=envelope.channel_id
    )
    # The Send button carries only a reference: the draft stays here, for this person, until the card
    # expires (a button value is editable by the client).
    token = await keep(container, envelope.team_id, envelope.user_id, draft)
    card = Preview(number=number, sender=sender, text=text, provider=route.label, warnings=warnings)
    await respond(url, preview_message(card, token))


async def confirm(job: SmsConfirmJob, container: Container) -> None:
    """Send clicked: send once and turn the card into the outcome."""
    envelope = job.envelope
    identity: Identity = await container.identities.resolve(envelope.team_id, envelope.user_id)
    draft = job.draft
    result = await _send(
        container,
        identity,
        SendRequest(
            number=draft.number,
            idempotency_key=f"confirm:{draft.key}",
            text=draft.text,
            sender=draft.sender,
            channel_id=draft.channel_id,
        ),
    )
    await respond(envelope.response_url or "", _outcome(result))


def _outcome(result: SendResult | str) -> dict[str, Any]:
    if isinstance(result, str):  # refused before any row was written
        return failure(result)
    if result.status is SmsStatus.ACCEPTED:
        return outcome_message(
            result.number,
            result.text,
            "sent",
            f"{result.route.provider_name} id {result.provider_message_id}",
        )
    if result.status is SmsStatus.FAILED:
        return outcome_message(
            result.number, result.text, "failed", result.reason or "the provider refused it"
        )
    if result.status is SmsStatus.PENDING:
        return outcome_message(result.number, result.text, "sending", "")
    return outcome_message(
        result.number,
        result.text,
        "unknown",
        f"{result.reason or 'the provider did not confirm the send.'} Switchboard will not re-send it: "
        f"`/sms logs {result.number}` shows whether it arrived.",
    )


async def _send(container: Container, identity: Identity, request: SendRequest) -> SendResult | str:
    if not identity.may(Role.AGENT):
        await container.audit.denied(
            identity.team_id, identity.user_id, "send sms", required=Role.AGENT.value
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
    identity: Identity = await container.identities.resolve(envelope.team_id, envelope.user_id)
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
    await tell(container, envelope.user_id, envelope.channel_id, _outcome(result))


async def tell(container: Container, user_id: str, channel_id: str | None, payload: dict[str, Any]) -> None:
    """An ephemeral in the channel the modal came from; a DM when there is none (or the bot is not in it)."""
    client = container.slack
    if channel_id:
        try:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, **payload)
            return
        except SlackApiError as error:
            log.info("ephemeral refused, sending a DM", extra={"error": error.response.get("error")})
    await client.chat_postMessage(channel=user_id, **payload)


async def fill_modal(job: SmsModalJob, container: Container) -> None:
    """Fill the just-opened send modal with the sender codes, the default sender and the templates."""
    envelope = job.envelope
    identity: Identity = await container.identities.resolve(envelope.team_id, envelope.user_id)
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
                label = f"{code.code} · {code.description}" if code.description else code.code
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
    try:
        await container.slack.views_update(view_id=job.view_id, view=send_modal(state))
    except SlackApiError as error:  # closed already, or never opened
        log.info("send modal not updated", extra={"error": error.response.get("error")})


async def template_preview_update(job: TemplatePreviewJob, container: Container) -> None:
    """A template picked in the modal: show its text and segments in place."""
    providers = await container.providers.for_team(job.envelope.team_id)
    text: str | None = None
    if job.template_id:
        try:
            text = (await service(container).template(providers, job.template_id)).message or ""
        except (errors.ProviderError, InputError) as error:
            text = f"(could not load the template: {error})"
    view = replace_blocks(job.view, {BLOCK_TEMPLATE_PREVIEW: template_preview(text)})
    try:
        await container.slack.views_update(view_id=job.view_id, view=view)
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
    identity: Identity = await container.identities.resolve(envelope.team_id, envelope.user_id)
    providers = await container.providers.for_team(envelope.team_id)
    if providers.livevox is None:
        await respond(url, {"text": "LiveVox is not connected, so there are no SMS codes."})
        return
    sms = service(container)
    codes = await sms.codes(providers, identity)  # failures: the runner's notifier
    default = await sms.channel_sender(identity.team_id, envelope.channel_id)
    await respond(url, codes_message([(c.code, c.description) for c in codes], default))
