"""The send-SMS modal's listeners: live previews and its submission (opening it: `bot.slack.sms.modal`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.errors import InputError
from bot.jobs.contract import Claim, Envelope, Job
from bot.services.send_time import check_send_time
from bot.slack import ids
from bot.slack.guards import refuse_submission, requires
from bot.slack.jobs import UNAVAILABLE, accept
from bot.slack.payloads import recall
from bot.slack.sms.blocks import (
    BLOCK_SEGMENTS,
    BLOCK_TEMPLATE_PREVIEW,
    replace_blocks,
    segments_block,
)
from bot.slack.sms.jobs import (
    OpenModal,
    OverrideContext,
    SendModalContext,
    SmsComplianceJob,
    SmsConfirmJob,
    SmsSendJob,
    TemplatePreviewJob,
)
from bot.slack.sms.later import ScheduleFromFormJob

log = logging.getLogger(__name__)


class Malformed(Exception):
    """A submitted input whose state is not the shape Slack sends (the client edited it)."""

    def __init__(self, block_id: str) -> None:
        super().__init__(block_id)
        self.block_id = block_id


MALFORMED = "This input came back in a shape Switchboard cannot read; please fill it in again."


def _element(values: Any, block_action: tuple[str, str]) -> dict[str, Any]:
    """One input's submitted state ({} when absent); `Malformed` when it is not an object."""
    if not isinstance(values, dict):
        raise Malformed(block_action[0])
    block = values.get(block_action[0])
    if block is None:
        return {}
    element = block.get(block_action[1]) if isinstance(block, dict) else block
    if element is None:
        return {}
    if not isinstance(element, dict):
        raise Malformed(block_action[0])
    return element


def _value(values: Any, block_action: tuple[str, str]) -> str:
    """The submitted value of one input (a typed text or a selected option's value), or "";
    `Malformed` when its state is not what Slack sends."""
    element = _element(values, block_action)
    option = element.get("selected_option")
    if option is not None and not isinstance(option, dict):
        raise Malformed(block_action[0])
    if option:
        return str(option.get("value") or "")
    value = element.get("value")
    if value is not None and not isinstance(value, str | int | float):
        raise Malformed(block_action[0])
    return str(value or "")


def read_submission(view: dict[str, Any], region: str, now: datetime | None = None) -> dict[str, Any]:
    """Validate a submitted send modal; raises `FieldErrors` naming the block to mark. `send_at`: the
    picked time (epoch seconds), checked against `now`, or None to send now."""
    try:
        return _read_submission(view, region, now)
    except Malformed as error:  # an edited payload: the input is marked, nothing crashes
        raise FieldErrors({error.block_id: MALFORMED}) from error


def _read_submission(view: dict[str, Any], region: str, now: datetime | None) -> dict[str, Any]:
    from bot.services.segments import too_long
    from bot.slack.parsing import split_number

    state = view.get("state") or {}
    values = state.get("values", {}) if isinstance(state, dict) else None
    errors: dict[str, str] = {}
    raw_number = _value(values, ids.INPUT_RECIPIENT)
    number = ""
    try:
        number, rest = split_number(raw_number, region)
        if rest:
            errors[ids.INPUT_RECIPIENT[0]] = f"Only a phone number here, e.g. +1 415 555 0100 (not `{rest}`)."
    except InputError as error:
        errors[ids.INPUT_RECIPIENT[0]] = str(error).replace("`", "")
    template_id = _value(values, ids.INPUT_TEMPLATE)
    text = _value(values, ids.INPUT_MESSAGE).strip()
    if template_id and text:
        errors[ids.INPUT_MESSAGE[0]] = "Pick a template or write a message, not both: clear one of them."
    elif not template_id and not text:
        errors[ids.INPUT_MESSAGE[0]] = "Write a message (or pick a template)."
    elif text and (reason := too_long(text)):
        errors[ids.INPUT_MESSAGE[0]] = reason
    sender = _value(values, ids.INPUT_SENDER).strip()
    picked = _element(values, ids.INPUT_SEND_AT).get("selected_date_time")
    send_at: float | None = None
    if picked is not None:
        try:
            send_at = float(picked)
            check_send_time(datetime.fromtimestamp(send_at, UTC), now or datetime.now(UTC))
        except (TypeError, ValueError, OverflowError):
            errors[ids.INPUT_SEND_AT[0]] = "Pick a date and a time, or clear both to send now."
        except InputError as error:
            errors[ids.INPUT_SEND_AT[0]] = str(error).replace(
                " (or leave out `--at`)", " (or clear it to send now)"
            )
    if errors:
        raise FieldErrors(errors)
    return {
        "number": number,
        "template_id": template_id or None,
        "text": text or None,
        "sender": sender,
        "send_at": send_at,
    }


EXPIRED = "This form has expired; please open it again."


class FieldErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


async def on_submit(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    container = context["container"]
    identity = context["identity"]
    view = body["view"]
    try:
        fields = read_submission(view, container.settings.default_region, container.clock.now())
    except FieldErrors as error:
        await ack(response_action="errors", errors=error.errors)
        return
    # Channel, thread and account come from the server, for this person: the private_metadata that came
    # back is only the token naming them (an edited one names nothing).
    token = str(view.get("private_metadata") or "")
    meta = await recall(container, identity.team_id, identity.user_id, token, SendModalContext)
    if meta is None:  # another person's form, an edited private_metadata, or an expired form
        await refuse_submission(ack, body, context, "Sending SMS", field=ids.INPUT_RECIPIENT[0], text=EXPIRED)
        return
    # One form, one send: the key is the server's own record of this opened form (the token names it,
    # for this person), not view.id / view.hash, which the client can change. Its job claims it when it
    # runs, so a second submission of the form (redelivered, or with an edited view) sends nothing.
    key = f"modal:{token}"
    envelope = Envelope(
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=meta.channel_id,
        origin="view:send_sms",
        once=Claim(key=key),
    )
    send_at = fields.pop("send_at")
    job: Job
    if send_at is not None:  # a time was picked: scheduled (and told), not sent
        job = ScheduleFromFormJob(
            envelope=envelope,
            key=key,
            thread_id=meta.thread_id,
            account=meta.account,
            send_at=send_at,
            **fields,
        )
    else:
        job = SmsSendJob(envelope=envelope, key=key, thread_id=meta.thread_id, account=meta.account, **fields)
    # The modal closes once the job is stored; the outcome is told in the channel (or a DM).
    await accept(container, job, ack, unavailable=UNAVAILABLE)


async def on_override_submit(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """The override modal: a reason and the confirmation, then the card's send, once, with the override."""
    container = context["container"]
    identity = context["identity"]
    view = body["view"]
    state = view.get("state") or {}
    values = state.get("values", {}) if isinstance(state, dict) else None
    try:
        reason = _value(values, ids.INPUT_OVERRIDE_REASON).strip()
        options = _element(values, ids.INPUT_OVERRIDE_CONFIRM).get("selected_options") or []
        if not isinstance(options, list):
            raise Malformed(ids.INPUT_OVERRIDE_CONFIRM[0])
    except Malformed as error:
        await ack(response_action="errors", errors={error.block_id: MALFORMED})
        return
    confirmed = any(isinstance(o, dict) and o.get("value") == "confirm" for o in options)
    errors: dict[str, str] = {}
    if len(reason) < 5:
        errors[ids.INPUT_OVERRIDE_REASON[0]] = "Say why it must go out anyway (a few words at least)."
    if not confirmed:
        errors[ids.INPUT_OVERRIDE_CONFIRM[0]] = "Tick the confirmation to send it anyway."
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    token = str(view.get("private_metadata") or "")
    where = await recall(container, identity.team_id, identity.user_id, token, OverrideContext)
    if where is None:
        await refuse_submission(
            ack, body, context, "Overriding a send refusal", field=ids.INPUT_OVERRIDE_REASON[0], text=EXPIRED
        )
        return
    # The card's Send and this override are one intent: the first of them wins, once.
    envelope = Envelope(
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=where.channel_id,
        response_url=where.response_url,
        origin="view:send_override",
        once=Claim(key=f"sms-card:{where.draft.key}"),
    )
    job = SmsConfirmJob(envelope=envelope, draft=where.draft, override_reason=reason[:500])
    await accept(container, job, ack, unavailable=UNAVAILABLE)


async def on_message_typed(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
    """on_character_entered in the message box: the segment count follows the text (no provider call)."""
    await ack()
    action = (body.get("actions") or [{}])[0]
    text = str(action.get("value") or "")
    view = body.get("view") or {}
    update = replace_blocks(view, {BLOCK_SEGMENTS: segments_block(text)})
    await client.views_update(view_id=view["id"], view=update)


async def on_template_picked(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """A template was picked: its text and segment count are shown (the follow-up fetches the text)."""
    action = (body.get("actions") or [{}])[0]
    option = action.get("selected_option") or {}
    view = body.get("view") or {}
    identity = context["identity"]
    job = TemplatePreviewJob(
        envelope=Envelope(team_id=identity.team_id, user_id=identity.user_id, origin="modal:send_sms"),
        view_id=str(view.get("id") or ""),
        view=OpenModal.of(view),
        template_id=option.get("value") or None,
    )
    await accept(context["container"], job, ack)


async def on_number_entered(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Enter in the number box: the follow-up shows that number's DNC / opt-out warnings in the form.
    A text that is not a number is left for the submission to mark."""
    from bot.slack.parsing import split_number

    container = context["container"]
    action = (body.get("actions") or [{}])[0]
    try:
        number, rest = split_number(str(action.get("value") or ""), container.settings.default_region)
    except InputError:  # not a number: left for the submission to mark
        await ack()
        return
    if rest:
        await ack()
        return
    view = body.get("view") or {}
    identity = context["identity"]
    job = SmsComplianceJob(
        envelope=Envelope(team_id=identity.team_id, user_id=identity.user_id, origin="modal:send_sms"),
        view_id=str(view.get("id") or ""),
        view=OpenModal.of(view),
        number=number,
    )
    await accept(container, job, ack)


async def _in_send_modal(body: dict[str, Any]) -> bool:
    # The input ids are shared with other modals (a thread reply has a message box too).
    return bool((body.get("view") or {}).get("callback_id") == ids.VIEW_SEND_SMS)


def register(app: AsyncApp) -> None:
    app.view(ids.VIEW_SEND_SMS)(requires(Role.AGENT, "Sending SMS")(on_submit))
    app.view(ids.VIEW_SEND_OVERRIDE)(requires(Role.ADMIN, "Overriding a send refusal")(on_override_submit))
    # Typing only recounts segments in the open modal (no provider, no data): a denial per keystroke
    # would flood the person; the submission is what is checked.
    app.action(ids.INPUT_MESSAGE[1], matchers=[_in_send_modal])(on_message_typed)
    app.action(ids.INPUT_TEMPLATE[1], matchers=[_in_send_modal])(
        requires(Role.AGENT, "Sending SMS")(on_template_picked)
    )
    # The number's flags are read from LiveVox: agents and up, like the preview card.
    app.action(ids.INPUT_RECIPIENT[1], matchers=[_in_send_modal])(
        requires(Role.AGENT, "Sending SMS")(on_number_entered)
    )


__all__ = ["BLOCK_TEMPLATE_PREVIEW", "read_submission", "register"]
