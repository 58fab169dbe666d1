"""The "More" button of /calls: the next page replaces the one shown (the calls follow-up does the work)."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.db.models import Role
from bot.slack import ids
from bot.slack.guards import allowed
from bot.slack.reply import respond

STALE = "That list is out of date; run `/calls <number>` again."


def parse_more(value: str | None) -> tuple[str, str | None, int] | None:
    """(number, range, offset) from the button's `{"n", "r", "o"}`, or None when it is not one."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    number, range_text, offset = data.get("n"), data.get("r"), data.get("o")
    if not isinstance(number, str) or not number.startswith("+"):
        return None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        return None
    return number, (str(range_text) if range_text else None), offset


async def calls_more(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
    await ack()
    response_url = str(body.get("response_url") or "")
    if not response_url:
        return
    ok, denial = await allowed(context, Role.AGENT, "/calls")
    if not ok:
        await respond(response_url, {"text": denial}, replace_original=False)
        return
    action = (body.get("actions") or [{}])[0]
    cursor = parse_more(action.get("value"))
    if cursor is None:
        await respond(response_url, {"text": STALE}, replace_original=False)
        return
    number, range_text, offset = cursor
    container = context["container"]
    identity = context["identity"]
    where = body.get("container") or {}
    channel_id = str(where.get("channel_id") or "")
    if not await container.once(
        identity.team_id, f"calls_more:{channel_id}:{where.get('message_ts')}:{offset}"
    ):
        return  # a double click: the first one fetches the page
    await container.defer(
        "calls",
        {
            "team_id": identity.team_id,
            "user_id": identity.user_id,
            "channel_id": channel_id,
            "response_url": response_url,
            "share": False,
            "number": number,
            "range": range_text,
            "offset": offset,
        },
    )


def register(app: AsyncApp) -> None:
    app.action(ids.ACTION_CALLS_MORE)(calls_more)
