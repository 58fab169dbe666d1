"""Submitting the transfer modal: the chosen agent is handed to a follow-up that transfers the thread
and updates the card the modal was opened from (through the response_url kept in private_metadata)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.db.models import Role
from bot.errors import InputError
from bot.slack import ids
from bot.slack.blocks.threads import ModalContext
from bot.slack.guards import allowed

WHAT = "Transferring a thread"


def selected_option(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any] | None:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    option: dict[str, Any] | None = state.get("selected_option")
    return option


async def submit_transfer(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
    view: dict[str, Any] = body["view"]
    block_id, action_id = ids.INPUT_AGENT
    ok, text = await allowed(context, Role.AGENT, WHAT)
    if not ok:
        await ack(response_action="errors", errors={block_id: text[:150]})
        return
    option = selected_option(view, block_id, action_id)
    if not option or not option.get("value"):
        await ack(response_action="errors", errors={block_id: "Choose the agent to transfer to."})
        return
    try:
        meta = ModalContext.from_metadata(view.get("private_metadata", ""))
    except InputError as error:
        await ack(response_action="errors", errors={block_id: str(error)})
        return
    await ack()
    container = context["container"]
    identity = context["identity"]
    # A resubmission of the same modal (a double click on Transfer) transfers once.
    if not await container.once(identity.team_id, f"{ids.VIEW_TRANSFER}:{meta.ref.thread_id}:{view['id']}"):
        return
    name = str((option.get("text") or {}).get("text", "")).split(" (")[0].split(" · ")[0]
    await container.defer(
        "thread_action",
        {
            "team_id": identity.team_id,
            "user_id": identity.user_id,
            "response_url": meta.response_url,
            "action": "transfer",
            "ref": meta.ref.as_dict(),
            "agent_id": str(option["value"]),
            "agent_name": name or str(option["value"]),
        },
    )


def register(app: AsyncApp) -> None:
    app.view(ids.VIEW_TRANSFER)(submit_transfer)
