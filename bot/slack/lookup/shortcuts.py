"""Message shortcut "Look up number": the first phone number in a message, looked up like `/lookup`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.db.models import Role
from bot.slack import ids
from bot.slack.guards import requires
from bot.slack.jobs import accept, from_body
from bot.slack.lookup.jobs import LookupJob
from bot.slack.outcome import failure
from bot.slack.parsing import first_number
from bot.slack.reply import respond

NO_NUMBER = (
    "I found no phone number in that message. Numbers look like `+1 415 555 0100` or `(415) 555-0100`; "
    "you can also run `/lookup &lt;number&gt;`."
)


async def lookup_number(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
    response_url = str(body.get("response_url") or "")
    container = context["container"]
    identity = context["identity"]
    message = body.get("message") or {}
    number = first_number(str(message.get("text") or ""), container.settings.default_region)
    if number is None:
        await ack()
        await respond(response_url, failure(NO_NUMBER), replace_original=False)
        return
    # The same job as /lookup, answered through this response_url. No "Looking up… ⏳" first: a message
    # shortcut's response_url cannot replace what it posted, so a placeholder would stay under the answer.
    envelope = from_body(body, identity, origin="shortcut:lookup_number")
    await accept(container, LookupJob(envelope=envelope, number=number), ack)


def register(app: AsyncApp) -> None:
    app.message_shortcut(ids.SHORTCUT_LOOKUP_NUMBER)(requires(Role.AGENT, "Look up number")(lookup_number))
