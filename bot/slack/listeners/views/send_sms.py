"""The send-SMS modal: opening it (from commands, shortcuts, buttons of other features), live previews,
and its submission.

`open_send_modal` is the entry point other features call. It opens the modal at once (a trigger_id lives
3 seconds) with what needs no provider call; the "sms_modal" follow-up then fetches sender codes and
templates and fills them in with views.update.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.errors import InputError
from bot.slack import ids
from bot.slack.blocks.sms import (
    BLOCK_SEGMENTS,
    BLOCK_TEMPLATE_PREVIEW,
    ModalState,
    read_metadata,
    replace_blocks,
    segments_block,
    send_modal,
)
from bot.slack.guards import allowed

log = logging.getLogger(__name__)


async def open_send_modal(
    client: AsyncWebClient,
    trigger_id: str,
    *,
    container: Any,
    team_id: str,
    user_id: str,
    channel_id: str | None,
    number: str | None = None,
    thread_id: str | None = None,
    account: str | None = None,
    message: str | None = None,
) -> None:
    """Open the send modal for `user_id`, prefilled with what is known; call it right after `ack()`.

    `number` is E.164 (or anything the user may edit), `thread_id`/`account` make the send a reply in a
    LiveVox thread. The sender codes and templates arrive a moment later (views.update), fetched by a
    follow-up job deferred on `container`.
    """
    state = ModalState(
        channel_id=channel_id, thread_id=thread_id, account=account, number=number, message=message
    )
    opened = await client.views_open(trigger_id=trigger_id, view=send_modal(state))
    view_id = str((opened.get("view") or {}).get("id", ""))
    await container.defer(
        "sms_modal",
        {
            "team_id": team_id,
            "user_id": user_id,
            "view_id": view_id,
            "channel_id": channel_id,
            "number": number,
            "thread_id": thread_id,
            "account": account,
            "message": message,
        },
    )


def _value(values: dict[str, Any], block_action: tuple[str, str]) -> str:
    """The submitted value of one input (a typed text or a selected option's value), or ""."""
    element = values.get(block_action[0], {}).get(block_action[1], {}) or {}
    option = element.get("selected_option")
    if option:
        return str(option.get("value") or "")
    return str(element.get("value") or "")


def read_submission(view: dict[str, Any], region: str) -> dict[str, Any]:
    """Validate a submitted send modal; raises `FieldErrors` naming the block to mark."""
    from bot.services.segments import too_long
    from bot.slack.parsing import split_number

    values = view.get("state", {}).get("values", {})
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
    if errors:
        raise FieldErrors(errors)
    return {"number": number, "template_id": template_id or None, "text": text or None, "sender": sender}


class FieldErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


async def on_submit(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    container = context["container"]
    identity = context["identity"]
    view = body["view"]
    ok, why = await allowed(context, Role.AGENT, "Sending SMS")
    if not ok:
        await ack(response_action="errors", errors={ids.INPUT_RECIPIENT[0]: why[:150]})
        return
    try:
        fields = read_submission(view, container.settings.default_region)
    except FieldErrors as error:
        await ack(response_action="errors", errors=error.errors)
        return
    await ack()  # the modal closes; the outcome is told in the channel (or a DM)
    key = f"modal:{view.get('id')}:{view.get('hash')}"
    if not await container.once(identity.team_id, key):  # Slack delivered the same submission again
        return
    meta = read_metadata(view.get("private_metadata"))
    await container.defer(
        "sms_send",
        {
            "team_id": identity.team_id,
            "user_id": identity.user_id,
            "key": key,
            "channel_id": meta["channel_id"],
            "thread_id": meta["thread_id"],
            "account": meta["account"],
            **fields,
        },
    )


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
    await ack()
    action = (body.get("actions") or [{}])[0]
    option = action.get("selected_option") or {}
    view = body.get("view") or {}
    await context["container"].defer(
        "sms_template_preview",
        {
            "team_id": context["identity"].team_id,
            "view_id": view.get("id"),
            "view": {k: view.get(k) for k in ("type", "callback_id", "title", "submit", "close", "blocks")}
            | {"private_metadata": view.get("private_metadata")},
            "template_id": option.get("value"),
        },
    )


async def _in_send_modal(body: dict[str, Any]) -> bool:
    # The input ids are shared with other modals (a thread reply has a message box too).
    return bool((body.get("view") or {}).get("callback_id") == ids.VIEW_SEND_SMS)


def register(app: AsyncApp) -> None:
    app.view(ids.VIEW_SEND_SMS)(on_submit)
    app.action(ids.INPUT_MESSAGE[1], matchers=[_in_send_modal])(on_message_typed)
    app.action(ids.INPUT_TEMPLATE[1], matchers=[_in_send_modal])(on_template_picked)


__all__ = ["BLOCK_TEMPLATE_PREVIEW", "open_send_modal", "read_submission", "register"]
