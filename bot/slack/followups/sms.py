"""Follow-ups of sending SMS: the preview card, the send itself, filling the send modal, the lists.

Each resolves who asked fresh from the database (a link may have changed since the click), talks to the
providers through `SmsService`, and answers through the response_url (cards) or the Web API (the
modal, and the outcome of a modal send: an ephemeral in the channel, or a DM).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import zlib
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.db.models import Role, SmsStatus
from bot.errors import InputError
from bot.jobs.tasks import followup
from bot.providers import errors
from bot.services.failures import describe
from bot.services.identity import Identity
from bot.services.sms import NO_PROVIDER, Route, SendRequest, SendResult, SmsService, choose_route
from bot.slack.blocks import limits
from bot.slack.blocks.sms import (
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
from bot.slack.commands import NOT_LINKED
from bot.slack.reply import respond
from bot.slack.text import error_text

log = logging.getLogger(__name__)


def service(container: Any) -> SmsService:
    return SmsService(container.sessions, container.audit)


# ------------------------------------------------------------------------------ the confirm token
# The Send button of an ephemeral card must carry the whole draft: Slack does not send an ephemeral
# message back with the click, and the draft must survive a restart of the process between preview
# and click. A button value holds 2000 characters; long drafts are compressed.


def pack_draft(draft: dict[str, Any]) -> str | None:
    """The button value for `draft`, or None when even compressed it does not fit."""
    raw = json.dumps(draft, ensure_ascii=False, separators=(",", ":"))
    if len(raw) <= limits.BUTTON_VALUE:
        return raw
    packed = "z" + base64.urlsafe_b64encode(zlib.compress(raw.encode(), 9)).decode()
    return packed if len(packed) <= limits.BUTTON_VALUE else None


def unpack_draft(value: str) -> dict[str, Any]:
    raw = zlib.decompress(base64.urlsafe_b64decode(value[1:])).decode() if value.startswith("z") else value
    data = json.loads(raw)
    if not isinstance(data, dict) or not data.get("k") or not data.get("n"):
        raise ValueError("not a send draft")
    return data


# -------------------------------------------------------------------------------- /sms send <text>


@followup("sms_preview")
async def preview(container: Any, job: dict[str, Any]) -> None:
    """The confirm card of `/sms send <number> <text>`: recipient, sender, text, segments, warnings."""
    identity: Identity = await container.identities.resolve(job["team_id"], job["user_id"])
    providers = await container.providers.for_team(job["team_id"])
    sms = service(container)
    number, text = job["number"], job["text"]
    try:
        route = choose_route(providers, identity)
    except InputError:
        await respond(job["response_url"], {"text": NO_PROVIDER})
        return
    try:
        sender = await sms.resolve_sender(providers, identity, route, None, job.get("channel_id"))
        compliance = await sms.compliance(providers, identity, number)
    except errors.ProviderError as error:
        log.warning("sms preview failed", extra={"error": type(error).__name__})
        await respond(job["response_url"], {"text": describe(route.provider_name, error)})
        return
    if not sender:
        await respond(
            job["response_url"],
            {
                "text": "There is no sender code to send from; "
                "use the modal (`/sms send <number>`) to pick one."
            },
        )
        return
    warnings = list(compliance.warnings)
    if not compliance.checked and route is not Route.ROUTEE and not warnings:
        warnings.append("Do-Not-Contact / opt-out could not be checked (you have no LiveVox agent login).")
    draft = {
        "k": secrets.token_urlsafe(12),
        "n": number,
        "t": text,
        "s": sender,
        "c": job.get("channel_id") or None,
    }
    token = pack_draft(draft)
    if token is None:
        await respond(
            job["response_url"],
            {"text": "This message is too long to confirm in a card; use the modal: `/sms send <number>`."},
        )
        return
    card = Preview(number=number, sender=sender, text=text, provider=route.label, warnings=warnings)
    await respond(job["response_url"], preview_message(card, token))


@followup("sms_confirm")
async def confirm(container: Any, job: dict[str, Any]) -> None:
    """Send clicked: send once and turn the card into the outcome."""
    identity: Identity = await container.identities.resolve(job["team_id"], job["user_id"])
    draft = job["draft"]
    result = await _send(
        container,
        identity,
        SendRequest(
            number=draft["n"],
            idempotency_key=f"confirm:{draft['k']}",
            text=draft["t"],
            sender=draft.get("s"),
            channel_id=draft.get("c"),
        ),
    )
    await respond(job["response_url"], _outcome(result))


def _outcome(result: SendResult | str) -> dict[str, Any]:
    if isinstance(result, str):  # refused before any row was written
        return {"text": result}
    if result.status is SmsStatus.SENT:
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


async def _send(container: Any, identity: Identity, request: SendRequest) -> SendResult | str:
    if not identity.may(Role.AGENT):
        await container.audit.denied(
            identity.team_id, identity.user_id, "send sms", required=Role.AGENT.value
        )
        return NOT_LINKED
    providers = await container.providers.for_team(identity.team_id)
    try:
        return await service(container).send(providers, identity, request)
    except InputError as error:
        return error_text(error)


# ---------------------------------------------------------------------------------- the send modal


@followup("sms_send")
async def send_from_modal(container: Any, job: dict[str, Any]) -> None:
    """A submitted send modal: send, then tell the person in the channel (ephemeral) or by DM."""
    identity: Identity = await container.identities.resolve(job["team_id"], job["user_id"])
    result = await _send(
        container,
        identity,
        SendRequest(
            number=job["number"],
            idempotency_key=job["key"],
            text=job.get("text"),
            template_id=job.get("template_id"),
            sender=job.get("sender") or None,
            channel_id=job.get("channel_id"),
            thread_id=job.get("thread_id"),
            account=job.get("account"),
        ),
    )
    await tell(container, job["user_id"], job.get("channel_id"), _outcome(result))


async def tell(container: Any, user_id: str, channel_id: str | None, payload: dict[str, Any]) -> None:
    """An ephemeral in the channel the modal came from; a DM when there is none (or the bot is not in it)."""
    client = container.slack
    if channel_id:
        try:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, **payload)
            return
        except SlackApiError as error:
            log.info("ephemeral refused, sending a DM", extra={"error": error.response.get("error")})
    await client.chat_postMessage(channel=user_id, **payload)


@followup("sms_modal")
async def fill_modal(container: Any, job: dict[str, Any]) -> None:
    """Fill the just-opened send modal with the sender codes, the default sender and the templates."""
    identity: Identity = await container.identities.resolve(job["team_id"], job["user_id"])
    providers = await container.providers.for_team(job["team_id"])
    sms = service(container)
    state = ModalState(
        channel_id=job.get("channel_id"),
        thread_id=job.get("thread_id"),
        account=job.get("account"),
        number=job.get("number"),
        message=job.get("message"),
    )
    try:
        route = choose_route(providers, identity)
    except InputError:
        route = None
        state.notice = NO_PROVIDER
    state.default_code = await sms.channel_sender(identity.team_id, state.channel_id)
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
        await container.slack.views_update(view_id=job["view_id"], view=send_modal(state))
    except SlackApiError as error:  # closed already, or never opened
        log.info("send modal not updated", extra={"error": error.response.get("error")})


@followup("sms_template_preview")
async def template_preview_update(container: Any, job: dict[str, Any]) -> None:
    """A template picked in the modal: show its text and segments in place."""
    providers = await container.providers.for_team(job["team_id"])
    text: str | None = None
    if job.get("template_id"):
        try:
            text = (await service(container).template(providers, str(job["template_id"]))).message or ""
        except (errors.ProviderError, InputError) as error:
            text = f"(could not load the template: {error})"
    view = replace_blocks(job["view"], {BLOCK_TEMPLATE_PREVIEW: template_preview(text)})
    try:
        await container.slack.views_update(view_id=job["view_id"], view=view)
    except SlackApiError as error:
        log.info("template preview not updated", extra={"error": error.response.get("error")})


# -------------------------------------------------------------------------------------- the lists


@followup("sms_templates")
async def list_templates(container: Any, job: dict[str, Any]) -> None:
    providers = await container.providers.for_team(job["team_id"])
    if providers.livevox is None:
        await respond(job["response_url"], {"text": "LiveVox is not connected, so there are no templates."})
        return
    try:
        templates = await service(container).templates(providers)
    except errors.ProviderError as error:
        await respond(job["response_url"], {"text": describe("LiveVox", error)})
        return
    rows = [(str(t.id), t.description, t.message, t.sms_code) for t in templates]
    await respond(job["response_url"], templates_message(rows))


@followup("sms_codes")
async def list_codes(container: Any, job: dict[str, Any]) -> None:
    identity: Identity = await container.identities.resolve(job["team_id"], job["user_id"])
    providers = await container.providers.for_team(job["team_id"])
    if providers.livevox is None:
        await respond(job["response_url"], {"text": "LiveVox is not connected, so there are no SMS codes."})
        return
    sms = service(container)
    try:
        codes = await sms.codes(providers, identity)
    except errors.ProviderError as error:
        await respond(job["response_url"], {"text": describe("LiveVox", error)})
        return
    default = await sms.channel_sender(identity.team_id, job.get("channel_id"))
    await respond(job["response_url"], codes_message([(c.code, c.description) for c in codes], default))
