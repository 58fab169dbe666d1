"""The connect modal's submission: store the connection (credentials encrypted), confirm without echoing.

Unlike other listeners this one writes before `ack()`: the modal can only show a field error in the ack
itself, and the write is one short transaction. Nothing here defers to the job queue, so the submitted
credentials never land in a job payload, and nothing logs a submitted value.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Provider, Role
from bot.db.session import transaction
from bot.errors import InputError
from bot.services.admin import AdminService
from bot.services.connection_fields import FIELDS
from bot.slack import ids
from bot.slack.admin.commands import connected_text, in_sandbox, sandbox_text
from bot.slack.admin.connect_blocks import field_for_error, submitted_values
from bot.slack.guards import refused_view, requires

log = logging.getLogger(__name__)


def _metadata(view: dict[str, Any]) -> tuple[Provider | None, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
        return Provider(str(data.get("provider", ""))), str(data.get("channel") or "")
    except (ValueError, TypeError, AttributeError):
        return None, ""


async def submit_connect(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
) -> None:
    view: dict[str, Any] = body.get("view") or {}
    provider, channel = _metadata(view)
    if provider is None:
        await ack()  # a view we did not build this way: close it rather than keep the user stuck
        log.warning("connect modal without a provider in its metadata")
        return
    first_block = FIELDS[provider][0].key
    container = context["container"]
    if in_sandbox(container):  # a form opened before a restart into sandbox mode: store nothing, say so
        await ack(response_action="update", view=refused_view(sandbox_text(provider)))
        return
    identity = context["identity"]
    values = submitted_values(provider, (view.get("state") or {}).get("values") or {})
    try:
        async with transaction(container.sessions) as session:
            _, created = await AdminService(
                session, identity.team_id, actor=identity.user_id, box=container.box
            ).connect(provider, values)
    except InputError as error:
        block = field_for_error(provider, str(error)) or first_block
        await ack(response_action="errors", errors={block: str(error)})
        return
    await ack()
    # Provider name and outcome only: the submitted values stay out of every log line.
    log.info("connection saved", extra={"provider": provider.value, "new_connection": created})
    text = connected_text(provider)
    try:
        await client.chat_postEphemeral(channel=channel or identity.user_id, user=identity.user_id, text=text)
    except SlackApiError:  # not in that channel (any more): tell them in the app's DM instead
        await client.chat_postMessage(channel=identity.user_id, text=text)


def register(app: AsyncApp) -> None:
    app.view(ids.VIEW_CONNECT)(requires(Role.ADMIN, "/switchboard connect")(submit_connect))
