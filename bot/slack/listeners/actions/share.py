"""The "Share in channel" button on /lookup, /sms logs and /calls results.

Slack sends the blocks of the clicked message only when the message is visible to everyone; for an
ephemeral result (what those commands answer) the payload has no `message`, and no API reads an ephemeral
message back. So:

- a non-ephemeral original: its blocks are posted to the channel as they are, minus the buttons, plus a
  "Shared by" line;
- an ephemeral original whose button value is a cursor (`{"k": "lookup"|"sms"|"calls", "n", "r", "o"}`):
  the same follow-up runs again with `share`, which renders the same blocks for the channel (with
  "Shared by", without buttons);
- otherwise the person is told to run the command again with `--share`.

A double click shares once (`container.once`, keyed by the clicked message).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.db.models import Role
from bot.slack import ids
from bot.slack.blocks import limits
from bot.slack.blocks.common import context as context_block
from bot.slack.guards import allowed
from bot.slack.reply import respond

log = logging.getLogger(__name__)

SHARED = "Shared ✓"
CANNOT = (
    "Slack does not send private results back to Switchboard, so this one cannot be shared from here; "
    "run the command again with `--share` to post it in the channel."
)
KINDS = {"lookup", "sms", "calls"}


def shareable_blocks(blocks: list[dict[str, Any]], user_id: str) -> list[dict[str, Any]]:
    """The message's blocks for the channel: no buttons (they would act for whoever clicks them there),
    a "Shared by" line last, within Slack's block limit."""
    kept: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "actions":
            continue
        copy = {k: v for k, v in block.items() if k != "accessory"}
        kept.append(copy)
    kept = kept[: limits.MESSAGE_BLOCKS - 1]
    kept.append(context_block(f"Shared by <@{user_id}>").to_dict())
    return kept


def parse_cursor(value: str | None) -> dict[str, Any] | None:
    """A share cursor from a button value, or None when the value is not one."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("k") not in KINDS or not isinstance(data.get("n"), str):
        return None
    if not str(data["n"]).startswith("+"):
        return None
    offset = data.get("o", 0)
    if not isinstance(offset, int) or offset < 0:
        return None
    return {"k": data["k"], "n": data["n"], "r": str(data.get("r") or "") or None, "o": offset}


async def share(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
    await ack()
    response_url = str(body.get("response_url") or "")
    if not response_url:
        return
    ok, denial = await allowed(context, Role.AGENT, "Share in channel")
    if not ok:
        await respond(response_url, {"text": denial}, replace_original=False)
        return
    container = context["container"]
    identity = context["identity"]
    where = body.get("container") or {}
    channel_id = str(where.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    message = body.get("message") or {}
    action = (body.get("actions") or [{}])[0]
    cursor = parse_cursor(action.get("value"))
    if not message.get("blocks") and cursor is None:
        await respond(response_url, {"text": CANNOT}, replace_original=False)
        return
    if not await container.once(identity.team_id, f"share:{channel_id}:{where.get('message_ts', '')}"):
        return  # a double click: the first one shares
    if message.get("blocks"):
        blocks = shareable_blocks(list(message["blocks"]), identity.user_id)
        await respond(response_url, {"blocks": blocks, "text": str(message.get("text") or "")}, share=True)
        await respond(response_url, {"text": SHARED}, replace_original=False)
        return
    assert cursor is not None
    await respond(response_url, {"text": SHARED})  # replaces the private original at once
    job: dict[str, Any] = {
        "team_id": identity.team_id,
        "user_id": identity.user_id,
        "channel_id": channel_id,
        "response_url": response_url,
        "share": True,
        "number": cursor["n"],
        "range": cursor["r"],
    }
    if cursor["k"] == "calls":
        await container.defer("calls", {**job, "offset": cursor["o"]})
    else:
        await container.defer("lookup", {**job, "calls": cursor["k"] == "lookup"})


def register(app: AsyncApp) -> None:
    app.action(ids.ACTION_SHARE)(share)
