"""Submitting the resolve modal: term code and account are checked here, the resolve itself runs in a
follow-up that updates the card the modal was opened from."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.db.models import Role
from bot.errors import InputError
from bot.slack import ids
from bot.slack.blocks.threads import ModalContext
from bot.slack.guards import allowed

WHAT = "Resolving a thread"


def text_value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    return str(state.get("value") or "").strip()


async def submit_resolve(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
    view: dict[str, Any] = body["view"]
    code_block, code_action = ids.INPUT_TERM_CODE
    account_block, account_action = ids.INPUT_ACCOUNT
    ok, text = await allowed(context, Role.AGENT, WHAT)
    if not ok:
        await ack(response_action="errors", errors={code_block: text[:150]})
        return
    code = text_value(view, code_block, code_action)
    account = text_value(view, account_block, account_action)
    errors = {}
    if not code.isdigit():
        errors[code_block] = "A term code is a number, e.g. 1001."
    if not account:
        errors[account_block] = "LiveVox needs the customer's account to resolve a thread."
    try:
        meta = ModalContext.from_metadata(view.get("private_metadata", ""))
    except InputError as error:
        errors[code_block] = str(error)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    container = context["container"]
    identity = context["identity"]
    if not await container.once(identity.team_id, f"{ids.VIEW_RESOLVE}:{meta.ref.thread_id}:{view['id']}"):
        return
    await container.defer(
        "thread_action",
        {
            "team_id": identity.team_id,
            "user_id": identity.user_id,
            "response_url": meta.response_url,
            "action": "resolve",
            "ref": meta.ref.as_dict(),
            "account": account,
            "term_code": int(code),
        },
    )


def register(app: AsyncApp) -> None:
    app.view(ids.VIEW_RESOLVE)(submit_resolve)
