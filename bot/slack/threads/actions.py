"""The buttons of a /threads card (and the list's paging).

Each handler checks who clicked, then hands the LiveVox work to a follow-up (`bot.slack.threads.jobs`),
acking once it is stored (`bot.slack.jobs.accept`). Transfer… and Resolve… open their modal at once,
since a trigger_id lives only 3 seconds; the transfer modal's agent list is filled in afterwards with
`views.update`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.errors import InputError
from bot.jobs.contract import Envelope, Job
from bot.services.identity import Identity
from bot.services.inbox import NO_LOGIN
from bot.services.term_codes import offered
from bot.slack import ids
from bot.slack.guards import requires
from bot.slack.jobs import accept, fill_in, from_body
from bot.slack.outcome import failure
from bot.slack.payloads import keep
from bot.slack.sms.modal import open_send_modal
from bot.slack.text import error_text, escape
from bot.slack.threads.blocks import (
    PAGE_ACTIONS,
    ListState,
    ModalContext,
    ThreadRef,
    resolve_modal,
    transfer_loading,
)
from bot.slack.threads.jobs import (
    HistoryJob,
    KeptModal,
    MarkJob,
    ReleaseJob,
    TakeJob,
    ThreadsJob,
    TransferAgentsJob,
)

log = logging.getLogger(__name__)

WHAT = "Working SMS threads"
STATE_CHANGES = (
    ids.ACTION_THREAD_TAKE,
    ids.ACTION_THREAD_RELEASE,
    ids.ACTION_THREAD_READ,
    ids.ACTION_THREAD_UNREAD,
)
MODAL_FAILED = "Slack did not open the form in time; please click the button again."


async def _tell(respond: AsyncRespond | None, text: str) -> None:
    """A refusal or a failure of a click, as a new private message marked as such (bot/slack/outcome.py)."""
    if respond is not None:
        await respond(**failure(text), response_type="ephemeral", replace_original=False)


def _action(body: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (body.get("actions") or [{}])[0]
    return found


async def checked(
    ack: AsyncAck, body: dict[str, Any], context: dict[str, Any], respond: AsyncRespond | None
) -> ThreadRef | None:
    """The clicked card's thread as the button claims it (the role is checked where the listener is
    bound; whether this person may act on that thread is checked by the service when acting). A refusal
    is acked and told here; what goes on is acked by the caller."""
    identity: Identity = context["identity"]
    try:
        if identity.livevox_login:
            return ThreadRef.from_value(_action(body).get("value"))
        refusal = escape(NO_LOGIN)
    except InputError as error:
        refusal = error_text(error)
    await ack()
    await _tell(respond, refusal)
    return None


def _envelope(
    context: dict[str, Any], body: dict[str, Any], origin: str, *, once: str | None = None
) -> Envelope:
    return from_body(body, context["identity"], origin=origin, once=once)


def _change(action_id: str, envelope: Envelope, ref: ThreadRef) -> Job:
    if action_id == ids.ACTION_THREAD_TAKE:
        return TakeJob(envelope=envelope, ref=ref)
    if action_id == ids.ACTION_THREAD_RELEASE:
        return ReleaseJob(envelope=envelope, ref=ref)
    return MarkJob(envelope=envelope, ref=ref, read=action_id == ids.ACTION_THREAD_READ)


def _message_ts(body: dict[str, Any]) -> str:
    return str((body.get("container") or {}).get("message_ts", ""))


async def state_change(
    ack: AsyncAck, body: dict[str, Any], context: dict[str, Any], respond: AsyncRespond
) -> None:
    ref = await checked(ack, body, context, respond)
    if ref is None:
        return
    action_id = str(_action(body).get("action_id"))
    # The nonce is per rendering: a double click on one card does the work once, while the same button on
    # the re-rendered card (take → release → take) is a new request.
    key = f"{action_id}:{ref.thread_id}:{_message_ts(body)}:{ref.nonce}"
    if ref.alert:  # a channel's card: two people's clicks are two requests (the second is told it moved)
        key += f":{context['identity'].user_id}"
    envelope = _envelope(context, body, f"button:{action_id}", once=key)
    await accept(context["container"], _change(action_id, envelope, ref), ack)


async def _kept_modal_context(context: dict[str, Any], body: dict[str, Any], ref: ThreadRef) -> ModalContext:
    """The modal's context (with the verified response_url of this click), kept on the server; the
    modal's private_metadata carries only its token (see `bot.slack.payloads`)."""
    meta = ModalContext(
        ref=ref,
        response_url=str(body.get("response_url", "")),
        message_ts=_message_ts(body),
        channel_id=str((body.get("channel") or {}).get("id", "")),
    )
    identity: Identity = context["identity"]
    token = await keep(
        context["container"], identity.team_id, identity.user_id, KeptModal(raw=meta.to_metadata())
    )
    return replace(meta, token=token)


async def open_transfer(
    ack: AsyncAck,
    body: dict[str, Any],
    context: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    ref = await checked(ack, body, context, respond)
    if ref is None:
        return
    await ack()  # before views.open, a Slack call: the modal's agents come from a job (`fill_in`)
    meta = await _kept_modal_context(context, body, ref)
    try:
        opened = await client.views_open(trigger_id=body["trigger_id"], view=transfer_loading(meta))
    except Exception as error:
        log.warning("transfer modal not opened", extra={"error": type(error).__name__})
        await _tell(respond, MODAL_FAILED)
        return
    view_id = str(opened["view"]["id"])
    envelope = _envelope(context, body, "button:thread_transfer")
    job = TransferAgentsJob(envelope=envelope, view_id=view_id, meta=meta.to_metadata())
    await fill_in(context["container"], client, view_id, job)


async def open_resolve(
    ack: AsyncAck,
    body: dict[str, Any],
    context: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    ref = await checked(ack, body, context, respond)
    if ref is None:
        return
    await ack()
    meta = await _kept_modal_context(context, body, ref)
    container = context["container"]
    # The channel's term codes (else the workspace's): one short read, well inside the trigger's 3 s.
    codes = await offered(container.sessions, container.box, context["identity"].team_id, meta.channel_id)
    try:
        await client.views_open(trigger_id=body["trigger_id"], view=resolve_modal(meta, codes))
    except Exception as error:
        log.warning("resolve modal not opened", extra={"error": type(error).__name__})
        await _tell(respond, MODAL_FAILED)


async def reply(
    ack: AsyncAck,
    body: dict[str, Any],
    context: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    ref = await checked(ack, body, context, respond)
    if ref is None:
        return
    await ack()
    identity: Identity = context["identity"]
    await open_send_modal(
        client,
        str(body.get("trigger_id", "")),
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=str((body.get("channel") or {}).get("id", "")),
        number=ref.number,
        thread_id=ref.thread_id,
        account=ref.account,
        container=context["container"],
    )


async def history(
    ack: AsyncAck, body: dict[str, Any], context: dict[str, Any], respond: AsyncRespond
) -> None:
    ref = await checked(ack, body, context, respond)
    if ref is None:
        return
    envelope = _envelope(context, body, "button:thread_history")
    await accept(context["container"], HistoryJob(envelope=envelope, ref=ref), ack)


async def page(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any], respond: AsyncRespond) -> None:
    try:
        state = ListState.from_value(_action(body).get("value"))
    except InputError as error:
        await ack()
        await _tell(respond, error_text(error))
        return
    envelope = _envelope(context, body, "button:threads_page")
    job = ThreadsJob(envelope=envelope, channel_kind=state.kind, scope=state.scope, offset=state.offset)
    await accept(context["container"], job, ack)


def register(app: AsyncApp) -> None:
    agent = requires(Role.AGENT, WHAT)
    for action_id in STATE_CHANGES:
        app.action(action_id)(agent(state_change))
    app.action(ids.ACTION_THREAD_TRANSFER)(agent(open_transfer))
    app.action(ids.ACTION_THREAD_RESOLVE)(agent(open_resolve))
    app.action(ids.ACTION_THREAD_REPLY)(agent(reply))
    app.action(ids.ACTION_THREAD_HISTORY)(agent(history))
    for action_id in PAGE_ACTIONS:
        app.action(action_id)(agent(page))
