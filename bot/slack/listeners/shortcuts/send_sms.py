"""Global shortcut "Send SMS": the send modal, empty."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.slack import ids
from bot.slack.guards import allowed
from bot.slack.listeners.views.send_sms import open_send_modal


async def tell_denied(client: AsyncWebClient, user_id: str, channel_id: str | None, text: str) -> None:
    """A shortcut has no response_url of its own (global) or may be used anywhere: say it where we can."""
    if channel_id:
        await client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
    else:
        await client.chat_postMessage(channel=user_id, text=text)


async def on_shortcut(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    identity = context["identity"]
    ok, why = await allowed(context, Role.AGENT, "Sending SMS")
    if not ok:
        await tell_denied(client, identity.user_id, None, why)
        return
    await open_send_modal(
        client,
        str(body.get("trigger_id", "")),
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=None,  # a global shortcut has no channel: the outcome comes as a DM
        container=context["container"],
    )


def register(app: AsyncApp) -> None:
    app.shortcut(ids.SHORTCUT_SEND_SMS)(on_shortcut)
