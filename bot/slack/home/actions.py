"""The App Home's buttons: Refresh, Send SMS (blank) and My threads."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.services.identity import Identity
from bot.services.inbox import NO_LOGIN
from bot.slack import ids
from bot.slack.guards import allowed
from bot.slack.home.blocks import ACTION_HOME_SEND_BLANK, my_threads_modal
from bot.slack.home.events import publish_home
from bot.slack.home.jobs import HomeThreadsJob
from bot.slack.jobs import for_user
from bot.slack.sms.modal import open_send_modal


async def refresh(ack: AsyncAck, context: dict[str, Any]) -> None:
    await ack()
    await publish_home(context, context["identity"])


async def _notice(client: AsyncWebClient, trigger_id: str, text: str) -> None:
    """A Home click has no response_url: a small modal is how to answer it."""
    await client.views_open(
        trigger_id=trigger_id,
        view=my_threads_modal(problem=text, title="Switchboard"),
    )


async def send_blank(
    ack: AsyncAck, body: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    ok, text = await allowed(context, Role.AGENT, "Sending SMS")
    trigger_id = str(body.get("trigger_id", ""))
    if not ok:
        await _notice(client, trigger_id, text)
        return
    identity: Identity = context["identity"]
    # The Home tab has no channel; the SMS feature decides where its confirmation goes.
    await open_send_modal(
        client,
        trigger_id,
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=None,
        number=None,
        thread_id=None,
        account=None,
        container=context["container"],
    )


async def my_threads(
    ack: AsyncAck, body: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    trigger_id = str(body.get("trigger_id", ""))
    ok, text = await allowed(context, Role.AGENT, "Listing threads")
    identity: Identity = context["identity"]
    if not ok or not identity.livevox_login:
        await client.views_open(trigger_id=trigger_id, view=my_threads_modal(problem=text or NO_LOGIN))
        return
    opened = await client.views_open(trigger_id=trigger_id, view=my_threads_modal(loading=True))
    envelope = for_user(identity, "button:home_threads")
    await context["container"].defer(HomeThreadsJob(envelope=envelope, view_id=str(opened["view"]["id"])))


def register(app: AsyncApp) -> None:
    app.action(ids.ACTION_HOME_REFRESH)(refresh)
    app.action(ACTION_HOME_SEND_BLANK)(send_blank)
    app.action(ids.ACTION_HOME_THREADS)(my_threads)
