"""Submitting the transfer modal: the chosen agent is handed to a follow-up that transfers the thread
and updates the card the modal was opened from (through the response_url kept on the server with the
modal; its private_metadata is only a token).

Submitting the resolve modal: the term code (optional; one of those offered, or digits where none are
configured) and the account are checked here, the resolve itself runs in a
follow-up that updates the card the modal was opened from.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.db.models import Role
from bot.errors import InputError
from bot.jobs.contract import Claim, Envelope
from bot.services.identity import Identity
from bot.services.term_codes import TermCode, check_chosen, offered, validate_term_code_id
from bot.slack import ids
from bot.slack.guards import refuse_submission, requires
from bot.slack.jobs import UNAVAILABLE, accept
from bot.slack.payloads import recall
from bot.slack.threads.blocks import ModalContext
from bot.slack.threads.jobs import KeptModal, ResolveJob, TransferJob

WHAT = "Transferring a thread"
STALE = "This form has expired; run `/threads` again."


async def _context(context: dict[str, Any], view: dict[str, Any]) -> ModalContext | None:
    """The modal's context, from the server: private_metadata is only the token that names it."""
    identity: Identity = context["identity"]
    token = str(view.get("private_metadata") or "")
    kept = await recall(context["container"], identity.team_id, identity.user_id, token, KeptModal)
    if kept is None:
        return None
    try:
        return ModalContext.from_metadata(kept.raw)
    except InputError:
        return None


def _envelope(identity: Identity, meta: ModalContext, origin: str, once: str) -> Envelope:
    # The response_url is the one kept on the server with the modal (from the verified click). `once`: a
    # resubmission of the same modal (a double click on its button) does the work once.
    return Envelope(
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=meta.channel_id or None,
        response_url=meta.response_url or None,
        origin=origin,
        once=Claim(key=once),
    )


def selected_option(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any] | None:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    option: dict[str, Any] | None = state.get("selected_option")
    return option


async def submit_transfer(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    view: dict[str, Any] = body["view"]
    block_id, action_id = ids.INPUT_AGENT
    option = selected_option(view, block_id, action_id)
    if not option or not option.get("value"):
        await ack(response_action="errors", errors={block_id: "Choose the agent to transfer to."})
        return
    meta = await _context(context, view)
    if meta is None:  # expired, another person's form, or an edited private_metadata: refused, audited
        await refuse_submission(ack, body, context, WHAT, field=block_id, text=STALE)
        return
    identity = context["identity"]
    name = str((option.get("text") or {}).get("text", "")).split(" (")[0].split(" · ")[0]
    once = f"{ids.VIEW_TRANSFER}:{meta.ref.thread_id}:{view['id']}"
    job = TransferJob(
        envelope=_envelope(identity, meta, "view:thread_transfer", once),
        ref=meta.ref,
        agent_id=str(option["value"]),
        agent_name=name or str(option["value"]),
    )
    await accept(context["container"], job, ack, unavailable=UNAVAILABLE)


WHAT_RESOLVE = "Resolving a thread"


def text_value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    return str(state.get("value") or "").strip()


async def submit_resolve(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    view: dict[str, Any] = body["view"]
    code_block, code_action = ids.INPUT_TERM_CODE
    account_block, account_action = ids.INPUT_ACCOUNT
    account = text_value(view, account_block, account_action)
    errors = {}
    meta = await _context(context, view)
    if not account:
        errors[account_block] = "LiveVox needs the customer's account to resolve a thread."
    if meta is None:  # the form is refused whatever else it holds, and audited
        await refuse_submission(ack, body, context, WHAT_RESOLVE, field=code_block, text=STALE)
        return
    container = context["container"]
    identity = context["identity"]
    # What the form offered is read again here: a select's value comes back from the client.
    offered_codes = await offered(container.sessions, container.box, identity.team_id, meta.channel_id)
    chosen = selected_option(view, code_block, code_action)
    typed = str((chosen or {}).get("value") or "") or text_value(view, code_block, code_action)
    term_code: TermCode | None = None
    if typed and offered_codes:
        term_code = check_chosen(typed, offered_codes)
        if term_code is None:
            errors[code_block] = "Choose one of the term codes offered (the list may have changed)."
    elif typed:
        try:
            term_code = TermCode(validate_term_code_id(typed), typed.strip())
        except InputError:
            errors[code_block] = "A term code id is digits only, e.g. 1001; or leave it empty."
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    once = f"{ids.VIEW_RESOLVE}:{meta.ref.thread_id}:{view['id']}"
    job = ResolveJob(
        envelope=_envelope(identity, meta, "view:thread_resolve", once),
        ref=meta.ref,
        account=account,
        term_code=int(term_code.id) if term_code else None,
        term_code_name=term_code.name if term_code and term_code.name != term_code.id else None,
    )
    await accept(container, job, ack, unavailable=UNAVAILABLE)


def register(app: AsyncApp) -> None:
    app.view(ids.VIEW_TRANSFER)(requires(Role.AGENT, WHAT)(submit_transfer))
    app.view(ids.VIEW_RESOLVE)(requires(Role.AGENT, WHAT_RESOLVE)(submit_resolve))
