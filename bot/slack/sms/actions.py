"""Buttons of sending SMS: Send / Cancel on the confirm card, and "Text this number" (lookup card, App
Home), which opens the send modal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.slack import ids
from bot.slack.guards import requires
from bot.slack.jobs import from_body
from bot.slack.payloads import keep, recall
from bot.slack.sms.blocks import (
    Outcome,
    cancelled_message,
    outcome_message,
    override_modal,
    scheduled_message,
)
from bot.slack.sms.jobs import Draft, OverrideContext, SmsConfirmJob, schedule
from bot.slack.sms.modal import open_send_modal

log = logging.getLogger(__name__)


async def _draft(body: dict[str, Any], context: AsyncBoltContext) -> Draft | None:
    """The draft the clicked card stands for, kept on the server for the person who previewed it."""
    action = (body.get("actions") or [{}])[0]
    identity = context["identity"]
    token = str(action.get("value") or "")
    return await recall(context["container"], identity.team_id, identity.user_id, token, Draft)


async def on_send(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    draft = await _draft(body, context)
    if draft is None:
        await respond(
            text="This card has expired (or is not yours); please start again with `/sms send`.",
            replace_original=False,
        )
        return
    container = context["container"]
    identity = context["identity"]
    # The first of Send / Cancel wins; a double click (or a retried delivery) does nothing more.
    if not await container.once(identity.team_id, f"sms-card:{draft.key}"):
        return
    await respond(**outcome_message(Outcome(draft.number, draft.text, None)), replace_original=True)
    envelope = from_body(body, identity, origin="button:send_confirm")
    await container.defer(SmsConfirmJob(envelope=envelope, draft=draft))


async def on_send_later(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    """*Send at 08:00 …* on a card refused only for quiet hours: the send, when their window opens."""
    await ack()
    draft = await _draft(body, context)
    if draft is None or draft.send_at is None:
        await respond(
            text="This card has expired (or is not yours); please start again with `/sms send`.",
            replace_original=False,
        )
        return
    container = context["container"]
    identity = context["identity"]
    if not await container.once(identity.team_id, f"sms-card:{draft.key}"):  # one intent, one send
        return
    envelope = from_body(body, identity, origin="button:send_later")
    # The card first: the send's own answer replaces it when it fires.
    await respond(**scheduled_message(draft.number, draft.send_at_words or ""), replace_original=True)
    await schedule(container, envelope, identity, draft)


async def on_override(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Override… on a refused card (admins): the modal asking for a reason and a confirmation."""
    await ack()
    draft = await _draft(body, context)
    if draft is None or not draft.overridable:
        await respond(
            text="This card has expired (or is not yours); please start again with `/sms send`.",
            replace_original=False,
        )
        return
    container = context["container"]
    identity = context["identity"]
    envelope = from_body(body, identity, origin="button:send_override")
    where = OverrideContext(draft=draft, response_url=envelope.response_url, channel_id=envelope.channel_id)
    token = await keep(container, identity.team_id, identity.user_id, where)
    await client.views_open(
        trigger_id=str(body.get("trigger_id", "")), view=override_modal(draft.number, draft.refusals, token)
    )


async def on_cancel(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    draft = await _draft(body, context)
    if draft is None:
        await respond(delete_original=True)
        return
    if not await context["container"].once(context["identity"].team_id, f"sms-card:{draft.key}"):
        return
    await respond(**cancelled_message(draft.number), replace_original=True)


async def on_text_number(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """ "Text this number" (value: the E.164 number; empty on App Home): the send modal, prefilled."""
    await ack()
    identity = context["identity"]
    channel = ((body.get("container") or {}).get("channel_id")) or (body.get("channel") or {}).get("id")
    action = (body.get("actions") or [{}])[0]
    await open_send_modal(
        client,
        str(body.get("trigger_id", "")),
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=channel or None,
        number=str(action.get("value") or "") or None,
        container=context["container"],
    )


SENDING = "Sending SMS"


def register(app: AsyncApp) -> None:
    app.action(ids.ACTION_SEND_CONFIRM)(requires(Role.AGENT, SENDING)(on_send))
    app.action(ids.ACTION_SEND_LATER)(requires(Role.AGENT, SENDING)(on_send_later))
    # Cancel needs no role: it only closes the person's own card (the draft is kept for them alone).
    app.action(ids.ACTION_SEND_CANCEL)(on_cancel)
    # Overriding Do-Not-Contact or quiet hours is an admin's call (checked again when it is sent).
    app.action(ids.ACTION_SEND_OVERRIDE)(requires(Role.ADMIN, "Overriding a send refusal")(on_override))
    app.action(ids.ACTION_HOME_SEND)(requires(Role.AGENT, SENDING)(on_text_number))
