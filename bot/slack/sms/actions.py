"""Buttons of sending SMS: Send / Cancel on the confirm card, and "Text this number" (lookup card, App
Home), which opens the send modal."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.errors import InputError
from bot.services.scheduled_sends import ScheduleRequest
from bot.slack import ids
from bot.slack.guards import requires
from bot.slack.home.jobs import HomeJob
from bot.slack.jobs import accept, for_user, from_body
from bot.slack.outcome import failure
from bot.slack.payloads import keep, recall
from bot.slack.sms import later
from bot.slack.sms.blocks import cancelled_message, override_modal
from bot.slack.sms.jobs import Draft, OverrideContext, SmsConfirmJob
from bot.slack.sms.modal import open_send_modal
from bot.slack.text import error_text

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
    draft = await _draft(body, context)
    if draft is None:
        await ack()
        await respond(
            text="This card has expired (or is not yours); please start again with `/sms send`.",
            replace_original=False,
        )
        return
    # The first of Send / Cancel wins; a double click (or a retried delivery) does nothing more. The job
    # claims the card when it runs (its first step turns the card into "Sending…").
    envelope = from_body(
        body, context["identity"], origin="button:send_confirm", once=f"sms-card:{draft.key}"
    )
    await accept(context["container"], SmsConfirmJob(envelope=envelope, draft=draft), ack)


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
    request = ScheduleRequest(
        key=f"card:{draft.key}",
        number=draft.number,
        # The time asked for: moved out of quiet hours again by the schedule, saying so on its card.
        at=datetime.fromtimestamp(draft.asked_at or draft.send_at, UTC),
        origin="/sms send --at" if draft.asked_at else "button:send_later",
        text=draft.text,
        sender=draft.sender,
        channel_id=draft.channel_id,
    )
    try:
        scheduled = await later.schedule(container, envelope, identity, request)
    except InputError as error:  # its time passed while the card was open, or no time is allowed
        await respond(**failure(error_text(error)), replace_original=True)
        return
    # The send's own answer replaces this card when it fires (while the response_url lives).
    await respond(**later.scheduled_card(scheduled.row, scheduled.moved), replace_original=True)


async def on_scheduled_cancel(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    """Cancel on a "Scheduled" card, in `/sms scheduled` or on App Home (value: "<row id>:<where>",
    signed). Who may cancel it is decided on the row: its author, or a supervisor."""
    await ack()
    container = context["container"]
    # Whose it is and who may cancel it are decided now, on the database's word (not a cached role).
    identity = await container.identities.current(context["identity"].team_id, context["identity"].user_id)
    action = (body.get("actions") or [{}])[0]
    raw_id, _, where = str(action.get("value") or "").partition(":")
    if not raw_id.isdigit():
        return
    try:
        row = await later.sends(container).cancel(identity, int(raw_id))
    except InputError as error:
        await respond(**failure(error_text(error)), replace_original=False)
        return
    if where in ("mine", "team"):
        rows = await later.sends(container).waiting(identity, team=where == "team", limit=later.LIST_ROWS + 1)
        await respond(**later.scheduled_list(list(rows), team=where == "team"), replace_original=True)
        await respond(**cancelled_message(row.number), replace_original=False)
    elif where == "home":  # the Home tab drawn again, without it
        await container.defer(HomeJob(envelope=for_user(identity, "button:scheduled_cancel")))
    else:
        await respond(**cancelled_message(row.number), replace_original=True)


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
    # Agents cancel their own; the row decides whose it is (a supervisor may cancel anyone's).
    app.action(ids.ACTION_SCHEDULED_CANCEL)(
        requires(Role.AGENT, "Cancelling a scheduled SMS")(on_scheduled_cancel)
    )
    # Cancel needs no role: it only closes the person's own card (the draft is kept for them alone).
    app.action(ids.ACTION_SEND_CANCEL)(on_cancel)
    # Overriding Do-Not-Contact or quiet hours is an admin's call (checked again when it is sent).
    app.action(ids.ACTION_SEND_OVERRIDE)(requires(Role.ADMIN, "Overriding a send refusal")(on_override))
    app.action(ids.ACTION_HOME_SEND)(requires(Role.AGENT, SENDING)(on_text_number))
