"""The "More" and "Previous" buttons of /calls: the next (or previous) page replaces the one shown (the
calls follow-up does the work).

The "Share in channel" button on /lookup, /sms logs and /calls results.

Slack sends the blocks of the clicked message only when the message is visible to everyone; for an
ephemeral result (what those commands answer) the payload has no `message`, and no API reads an ephemeral
message back. So:

- a non-ephemeral original: its blocks are posted to the channel as they are, minus the buttons, plus a
  "Shared by" line;
- an ephemeral original whose button value is a cursor (`{"k": "lookup"|"sms"|"calls", "n", "r", "o"}`):
  the same follow-up runs again with `share`, which renders the same blocks for the channel (with
  "Shared by", without buttons);
- otherwise the person is told to run the command again with `--share`.

Either way the private copy stays as it is, and the person is told "Shared in the channel." as with
`--share`. A double click shares once (`container.once`, keyed by the clicked message and the rendering of
it that was shown: a page reached with *More* can be shared too).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.db.models import Role
from bot.jobs.contract import Job
from bot.slack import ids
from bot.slack.guards import requires
from bot.slack.jobs import accept, from_body
from bot.slack.lookup.jobs import CallsJob, LookupJob
from bot.slack.reply import respond

STALE = "That list is out of date; run `/calls &lt;number&gt;` again."


def parse_more(value: str | None) -> tuple[str, str | None, int] | None:
    """(number, range, offset) from the button's `{"n", "r", "o", "p"}`, or None when it is not one."""
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
    response_url = str(body.get("response_url") or "")
    action = (body.get("actions") or [{}])[0]
    cursor = parse_more(action.get("value"))
    if not response_url or cursor is None:
        await ack()
        if response_url:
            await respond(response_url, {"text": STALE}, replace_original=False)
        return
    number, range_text, offset = cursor
    container = context["container"]
    identity = context["identity"]
    where = body.get("container") or {}
    channel_id = str(where.get("channel_id") or "")
    # Keyed by the page shown ("p", new for each rendering): a double click fetches once, while going
    # back and forth (More, Previous, More) fetches each time.
    page_id = _page_id(action.get("value"))
    once = f"calls_more:{channel_id}:{where.get('message_ts')}:{page_id}:{offset}"
    envelope = from_body(body, identity, origin="button:calls_more", once=once)
    await accept(container, CallsJob(envelope=envelope, number=number, range=range_text, offset=offset), ack)


def _page_id(value: str | None) -> str:
    """The rendering a button was on (`"p"` of its value; "" on buttons from before page ids)."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return ""
    page_id = data.get("p") if isinstance(data, dict) else None
    return page_id[:32] if isinstance(page_id, str) else ""


log = logging.getLogger(__name__)

CANNOT = (
    "Slack does not send private results back to Switchboard, so this one cannot be shared from here; "
    "run the command again with `--share` to post it in the channel."
)
KINDS = {"lookup", "sms", "calls"}


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
    response_url = str(body.get("response_url") or "")
    container = context["container"]
    identity = context["identity"]
    where = body.get("container") or {}
    channel_id = str(where.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    action = (body.get("actions") or [{}])[0]
    cursor = parse_cursor(action.get("value"))
    # What is shared is rendered again from the (signed) cursor, never reposted from the click: the
    # message a click carries is the client's to edit, and the channel would read it as the bot's words.
    if not response_url or cursor is None:
        await ack()
        if response_url:
            await respond(response_url, {"text": CANNOT}, replace_original=False)
        return
    shown = f"{_page_id(action.get('value'))}:{cursor['o']}"
    once = f"share:{channel_id}:{where.get('message_ts', '')}:{shown}"  # a double click: the first one shares
    # The job posts the result for the channel and then says SHARED; the private copy is left alone.
    envelope = from_body(body, identity, origin="button:share", once=once)
    job: Job
    if cursor["k"] == "calls":
        job = CallsJob(
            envelope=envelope, number=cursor["n"], range=cursor["r"], offset=cursor["o"], share=True
        )
    else:
        job = LookupJob(
            envelope=envelope,
            number=cursor["n"],
            range=cursor["r"],
            calls=cursor["k"] == "lookup",
            share=True,
        )
    await accept(container, job, ack)


def register(app: AsyncApp) -> None:
    app.action(ids.ACTION_CALLS_MORE)(requires(Role.AGENT, "/calls")(calls_more))
    app.action(ids.ACTION_CALLS_PREVIOUS)(requires(Role.AGENT, "/calls")(calls_more))
    app.action(ids.ACTION_SHARE)(requires(Role.AGENT, "Share in channel")(share))
