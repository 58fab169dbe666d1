"""App Home's "Add digest" button (admins): the digest modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.slack.digests.manage import open_digest_modal
from bot.slack.digests.manage_blocks import ACTION_DIGEST_ADD
from bot.slack.guards import requires


async def on_add(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
) -> None:
    await ack()
    await open_digest_modal(
        client,
        str(body.get("trigger_id", "")),
        container=context["container"],
        identity=context["identity"],
        channel_id=None,  # App Home has no channel: the person picks one
        origin="home",
    )


def register(app: AsyncApp) -> None:
    # App Home shows the Digests section to admins only; the button says so too.
    app.action(ACTION_DIGEST_ADD)(requires(Role.ADMIN, "Adding digests from App Home")(on_add))
