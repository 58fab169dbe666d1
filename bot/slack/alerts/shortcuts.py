"""Message shortcut "Send as SMS": a message written in an alert card's Slack thread, sent to that
conversation's customer through the send modal (its preview, the compliance checks and the exactly-once
path of `/sms send`). Typing in the Slack thread never sends anything by itself: a slip must not reach a
customer."""

from __future__ import annotations

import html
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.db.repositories.alerts import card_thread
from bot.services.identity import Identity
from bot.slack import ids
from bot.slack.guards import requires
from bot.slack.outcome import failure
from bot.slack.reply import respond
from bot.slack.sms.modal import open_send_modal

NOT_IN_A_CARD = (
    "Send as SMS works on a message in the thread of an alert card (a new conversation Switchboard "
    "posted): it sends the message to that customer. To text a number written in a message, use "
    "*Text this number*."
)


def plain(text: str) -> str:
    """A Slack message's text as the customer should read it: Slack's escapes undone (`&amp;` → `&`)."""
    return html.unescape(text).strip()


async def send_as_sms(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    identity: Identity = context["identity"]
    container = context["container"]
    message = body.get("message") or {}
    channel = str((body.get("channel") or {}).get("id", ""))
    # A reply in a card's thread names the card by thread_ts; the card itself by its own ts.
    card_ts = str(message.get("thread_ts") or message.get("ts") or "")
    async with container.sessions() as session:
        row = await card_thread(session, identity.team_id, channel, card_ts) if channel and card_ts else None
    if row is None:
        await respond(str(body.get("response_url", "")), failure(NOT_IN_A_CARD), replace_original=False)
        return
    await open_send_modal(
        client,
        str(body.get("trigger_id", "")),
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=channel,
        number=row.number,
        thread_id=row.thread_id,
        account=(row.snapshot or {}).get("account"),
        message=plain(str(message.get("text") or "")) or None,
        container=container,
    )


def register(app: AsyncApp) -> None:
    app.shortcut(ids.SHORTCUT_SEND_AS_SMS)(requires(Role.AGENT, "Sending SMS")(send_as_sms))
