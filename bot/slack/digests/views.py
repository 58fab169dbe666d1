"""The digest modal's submission: validated again on the server (the role by `requires`, every value by
`bot.services.digest_admin`), problems shown under their field, the digest stored before the ack (the
modal can show a field error only in the ack itself; the write is one short transaction)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.db.session import transaction
from bot.errors import InputError
from bot.services.digest_admin import DigestAdmin, DigestInputError, DigestListing
from bot.services.identity import Identity
from bot.slack.digests.manage import DigestModalContext, check_scope
from bot.slack.digests.manage_blocks import INPUT_CHANNEL, VIEW_DIGEST, added_text, field_block, read_modal
from bot.slack.guards import FIELD_ERROR_CHARS, refuse_submission, requires
from bot.slack.home.jobs import HomeJob
from bot.slack.jobs import for_user
from bot.slack.payloads import recall
from bot.slack.posting import not_a_member
from bot.slack.text import clip

log = logging.getLogger(__name__)

EXPIRED = "This form has expired; please open it again."
MANAGING = "Managing digests"


def _errors(block: str, text: str) -> dict[str, Any]:
    return {"response_action": "errors", "errors": {block: clip(text, FIELD_ERROR_CHARS)}}


async def on_submit(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    container = context["container"]
    identity: Identity = context["identity"]
    view: dict[str, Any] = body.get("view") or {}
    token = str(view.get("private_metadata") or "")
    meta = await recall(container, identity.team_id, identity.user_id, token, DigestModalContext)
    if meta is None:  # expired, or metadata edited by the client: it names nothing kept for this person
        await refuse_submission(ack, body, context, MANAGING, field=INPUT_CHANNEL[0], text=EXPIRED)
        return
    try:
        spec = read_modal(view)
        spec = await check_scope(container, identity, spec)
    except DigestInputError as error:
        await ack(**_errors(field_block(error), str(error)))
        return
    problem = await not_a_member(client, spec.channel_id)
    if problem is not None:
        await ack(**_errors(INPUT_CHANNEL[0], problem.plain))
        return
    now = datetime.now(UTC)
    try:
        async with transaction(container.sessions) as session:
            row = await DigestAdmin(session, identity.team_id, actor=identity.user_id).add(spec)
    except InputError as error:  # the same digest is on that channel already
        await ack(**_errors(INPUT_CHANNEL[0], str(error)))
        return
    await ack()
    text = added_text(DigestListing(row, spec.schedule, spec.schedule.next_slot(now), None))
    try:
        if not meta.channel_id:
            raise LookupError("opened outside a channel")
        await client.chat_postEphemeral(channel=meta.channel_id, user=identity.user_id, text=text)
    except (SlackApiError, LookupError):  # App Home, or a channel the bot is not in: the app's DM
        await client.chat_postMessage(channel=identity.user_id, text=text)
    if meta.origin == "home":  # its Digests section lists the new one
        await container.defer(HomeJob(envelope=for_user(identity, "view:digest_add")))


def register(app: AsyncApp) -> None:
    # The role is checked again at submission: it may have changed since the modal was opened.
    app.view(VIEW_DIGEST)(requires(Role.SUPERVISOR, MANAGING)(on_submit))
