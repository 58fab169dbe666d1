"""The provider connect modal (/switchboard connect), built from `bot.services.connection_fields.FIELDS`.

One input block per field, block_id and action_id both the field's key, so a submission's values and an
error from `AdminService.connect` map back to the block that shows them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.db.models import Provider
from bot.services.connection_fields import FIELDS, ConnectionField
from bot.slack import ids
from bot.slack.blocks import limits
from bot.slack.blocks.common import context, section
from bot.slack.text import clip, escape

PROVIDER_NAMES = {Provider.ZOOM: "Zoom", Provider.LIVEVOX: "LiveVox", Provider.ROUTEE: "Routee"}
ENCRYPTED_HINT = "Stored encrypted, never shown again."
ENCRYPTED_HINT_AGAIN = "Stored encrypted, never shown again; enter it again to keep this connection working."
VALUE_CHARS = 500  # no id, URL or token of these providers comes near; keeps pasted junk out


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=False)


def _select(field: ConnectionField, initial: str | None) -> StaticSelectElement:
    options = [Option(value=choice, text=_plain(choice, limits.OPTION_TEXT)) for choice in field.choices]
    chosen = next(
        (o for o, c in zip(options, field.choices, strict=True) if initial and c.lower() == initial.lower()),
        None,
    )
    return StaticSelectElement(action_id=field.key, options=options, initial_option=chosen)


def _text_input(field: ConnectionField, initial: str | None) -> PlainTextInputElement:
    return PlainTextInputElement(
        action_id=field.key,
        initial_value=initial[:VALUE_CHARS] if initial else None,
        max_length=VALUE_CHARS,
    )


def connect_modal(
    provider: Provider,
    *,
    channel_id: str,
    initial: Mapping[str, str] | None = None,
    existing: bool = False,
) -> dict[str, Any]:
    """The modal as a dict for views.open. `initial` must hold non-secret values only: the caller
    passes a connection's readable settings (or the environment's defaults), never a credential."""
    name = PROVIDER_NAMES[provider]
    values = dict(initial or {})
    blocks: list[Block] = [
        section(
            f"{'Update' if existing else 'Create'} this workspace's *{escape(name)}* connection. "
            "Credentials are encrypted before they are stored and are never shown again."
        )
    ]
    if existing:
        blocks.append(context("A connection exists: its settings are filled in; secrets must be re-entered."))
    for field in FIELDS[provider]:
        # Secrets are never prefilled, whatever the caller passed.
        start = None if field.secret else values.get(field.key)
        element = _select(field, start) if field.choices else _text_input(field, start)
        hint = (ENCRYPTED_HINT_AGAIN if existing else ENCRYPTED_HINT) if field.secret else None
        blocks.append(
            InputBlock(
                block_id=field.key,
                label=_plain(field.label, limits.INPUT_LABEL),
                element=element,
                hint=_plain(hint, limits.INPUT_LABEL) if hint else None,
                optional=not field.required,
            )
        )
    view = View(
        type="modal",
        callback_id=ids.VIEW_CONNECT,
        title=_plain(f"Connect {name}", limits.MODAL_TITLE),
        submit=_plain("Connect", limits.MODAL_BUTTON),
        close=_plain("Cancel", limits.MODAL_BUTTON),
        blocks=blocks,
        private_metadata=json.dumps({"provider": provider.value, "channel": channel_id}),
    )
    return view.to_dict()


def submitted_values(provider: Provider, state: Mapping[str, Any]) -> dict[str, str]:
    """The field values of a submission's `view.state.values` (empty inputs left out)."""
    values: dict[str, str] = {}
    for field in FIELDS[provider]:
        entry = (state.get(field.key) or {}).get(field.key) or {}
        if entry.get("type") == "static_select":
            value = (entry.get("selected_option") or {}).get("value")
        else:
            value = entry.get("value")
        if isinstance(value, str) and value:
            values[field.key] = value
    return values


def field_for_error(provider: Provider, message: str) -> str | None:
    """Which field (block_id) an `AdminService.connect` error is about, by the key it names."""
    keys = [field.key for field in FIELDS[provider]]
    for key in keys:  # "…: Client ID (client_id) is required"
        if f"({key})" in message:
            return key
    for key in keys:  # "…: plan must be one of …" / "…: client_secret is not valid"
        if f": {key} " in message:
            return key
    return None
