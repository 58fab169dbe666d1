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
from bot.slack.guards import requires
from bot.slack.home.blocks import ACTION_HOME_SEND_BLANK, my_threads_modal
from bot.slack.home.events import publish_home
from bot.slack.home.jobs import HomeThreadsJob
from bot.slack.jobs import fill_in, for_user
from bot.slack.sms.modal import open_send_modal
from bot.slack.text import escape


async def refresh(ack: AsyncAck, context: dict[str, Any]) -> None:
    await ack()
    await publish_home(context, context["identity"])


async def send_blank(
    ack: AsyncAck, body: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    trigger_id = str(body.get("trigger_id", ""))
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
    identity: Identity = context["identity"]
    if not identity.livevox_login:
        await client.views_open(trigger_id=trigger_id, view=my_threads_modal(problem=escape(NO_LOGIN)))
        return
    opened = await client.views_open(trigger_id=trigger_id, view=my_threads_modal(loading=True))
    view_id = str(opened["view"]["id"])
    job = HomeThreadsJob(envelope=for_user(identity, "button:home_threads"), view_id=view_id)
    await fill_in(context["container"], client, view_id, job)


def register(app: AsyncApp) -> None:
    app.action(ids.ACTION_HOME_REFRESH)(refresh)
    app.action(ACTION_HOME_SEND_BLANK)(requires(Role.AGENT, "Sending SMS")(send_blank))
    app.action(ids.ACTION_HOME_THREADS)(requires(Role.AGENT, "Listing threads")(my_threads))
