"""Small builders every surface uses, each respecting Slack's limits so that rendering never fails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack.blocks import limits
from bot.slack.signing import sign_value, signed_length
from bot.slack.text import clip


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clip(text, limits.HEADER_TEXT), emoji=True))


def section(
    mrkdwn: str, *, fields: Sequence[str] = (), accessory: Any = None, block_id: str | None = None
) -> SectionBlock:
    """A section of mrkdwn (callers escape outside text first); long text is clipped with a mark."""
    return SectionBlock(
        text=MarkdownTextObject(text=clip(mrkdwn, limits.SECTION_TEXT)) if mrkdwn else None,
        fields=[MarkdownTextObject(text=clip(f, limits.FIELD_TEXT)) for f in fields[: limits.SECTION_FIELDS]]
        or None,
        accessory=accessory,
        block_id=block_id,
    )


def context(*mrkdwn: str) -> ContextBlock:
    return ContextBlock(
        elements=[
            MarkdownTextObject(text=clip(m, limits.SECTION_TEXT)) for m in mrkdwn[: limits.CONTEXT_ELEMENTS]
        ]
    )


def divider() -> DividerBlock:
    return DividerBlock()


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, confirm: Any = None
) -> ButtonElement:
    # Signed for its action_id (verified before any listener sees it: bot.slack.payloads).
    signed = sign_value(action_id, value[: signed_length(limits.BUTTON_VALUE)])
    return ButtonElement(
        text=PlainTextObject(text=clip(text, limits.BUTTON_TEXT), emoji=True),
        action_id=action_id,
        value=signed or None,
        style=style,
        confirm=confirm,
    )


def actions(*buttons: ButtonElement, block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(buttons[: limits.ACTIONS_ELEMENTS]), block_id=block_id)


def fit(blocks: list[Block], limit: int = limits.MESSAGE_BLOCKS, *, note: str | None = None) -> list[Block]:
    """Keep at most `limit` blocks; when some are cut, the last kept block says so."""
    if len(blocks) <= limit:
        return blocks
    hidden = len(blocks) - (limit - 1)
    return [*blocks[: limit - 1], context(note or f"…and {hidden} more not shown here.")]


def to_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def message(blocks: Sequence[Block], text: str) -> dict[str, Any]:
    """A message payload: blocks plus the plain-text fallback Slack shows in notifications."""
    return {"blocks": to_dicts(blocks), "text": clip(text, 3000)}
