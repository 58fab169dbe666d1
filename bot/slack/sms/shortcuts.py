"""Global shortcut "Send SMS": the send modal, empty.

Message shortcut "Text this number": the first phone number in the message, in the send modal.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.slack import ids
from bot.slack.guards import requires
from bot.slack.outcome import failure
from bot.slack.parsing import first_number
from bot.slack.reply import respond
from bot.slack.sms.modal import open_send_modal


async def on_shortcut(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    identity = context["identity"]
    await open_send_modal(
        client,
        str(body.get("trigger_id", "")),
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=None,  # a global shortcut has no channel: the outcome comes as a DM
        container=context["container"],
    )


NO_NUMBER = (
    "I found no phone number in that message. Numbers look like `+1 415 555 0100` or `(415) 555-0100`."
)


async def on_message_shortcut(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    identity = context["identity"]
    container = context["container"]
    response_url = str(body.get("response_url", ""))
    message = body.get("message") or {}
    number = first_number(str(message.get("text") or ""), container.settings.default_region)
    if number is None:
        await respond(response_url, failure(NO_NUMBER), replace_original=False)
        return
    await open_send_modal(
        client,
        str(body.get("trigger_id", "")),
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=(body.get("channel") or {}).get("id"),
        number=number,
        container=container,
    )


def register(app: AsyncApp) -> None:
    app.shortcut(ids.SHORTCUT_SEND_SMS)(requires(Role.AGENT, "Sending SMS")(on_shortcut))
    app.shortcut(ids.SHORTCUT_TEXT_NUMBER)(requires(Role.AGENT, "Sending SMS")(on_message_shortcut))
