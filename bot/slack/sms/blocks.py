"""Blocks for sending SMS: the send modal, the confirm-then-send preview card and its outcomes, the lists
of templates and sender codes. Every outside text (SMS bodies, template text, provider messages) is
escaped; every list is fitted to Slack's limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    DateTimePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig

from bot.db.models import SmsStatus
from bot.providers.livevox import words as livevox_words
from bot.services.compliance import UNKNOWN, ComplianceState
from bot.services.segments import MAX_CHARS, count
from bot.slack import ids
from bot.slack.blocks import limits
from bot.slack.blocks.common import actions, button, context, fit, header, message, section, to_dicts
from bot.slack.blocks.compliance import flags_text
from bot.slack.text import clip, escape, pretty_number

# Blocks of the send modal that are rebuilt in place (live previews); ids.py holds the input ids.
BLOCK_LOADING = "sms_loading"
BLOCK_TEMPLATE_PREVIEW = "sms_template_preview"
BLOCK_SEGMENTS = "sms_segments"
BLOCK_PREVIEW_ACTIONS = "sms_preview_actions"
BLOCK_COMPLIANCE = "sms_compliance"
BLOCK_REFUSAL = "sms_refusal"

PREVIEW_CHARS = 2500  # a preview section leaves room for the surrounding words under SECTION_TEXT


@dataclass(frozen=True)
class Choice:
    """One option of a select: a value and what the user sees (outside text, plain_text)."""

    value: str
    label: str


@dataclass
class ModalState:
    """What the send modal shows. `codes`/`templates` None: still loading from the provider.

    `token` is the modal's private_metadata: it names the modal's context (channel, thread, account) kept
    on the server (`bot.slack.payloads`), since the client can edit private_metadata."""

    token: str = ""
    number: str | None = None
    message: str | None = None
    codes: list[Choice] | None = None
    default_code: str | None = None
    templates: list[Choice] | None = None
    template_texts: dict[str, str] = field(default_factory=dict)
    template_id: str | None = None
    notice: str | None = None  # e.g. "LiveVox did not answer: templates unavailable"
    # The number's Do-Not-Contact / opt-out warnings, as on the preview card; None: not checked (yet).
    warnings: list[str] | None = None

    def metadata(self) -> str:
        return self.token[: limits.PRIVATE_METADATA]


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit) or " ", emoji=True)


def _option(choice: Choice) -> Option:
    return Option(value=choice.value[:150], text=_plain(choice.label, limits.OPTION_TEXT))


def segments_line(text: str) -> str:
    if not text:
        return "Type a message to see its length and SMS segments."
    info = count(text)
    warn = " ⚠️ too long" if info.segments > 10 or len(text) > MAX_CHARS else ""
    return f"{info.describe()}{warn}"


def template_preview(text: str | None, problem: str | None = None) -> Block:
    """The picked template's text and length; `problem`: why it cannot be sent (a sender code the person
    does not have), said before anything is sent."""
    if text is None:
        return ContextBlock(
            block_id=BLOCK_TEMPLATE_PREVIEW,
            elements=[
                MarkdownTextObject(text="Pick a template to preview it, or type your own message below.")
            ],
        )
    quoted = escape(clip(text, PREVIEW_CHARS)).replace("\n", "\n>")
    refused = f"\n⛔ {escape(problem)}" if problem else ""
    return section(
        f"*Template preview*\n>{quoted}\n_{segments_line(text)}_{refused}", block_id=BLOCK_TEMPLATE_PREVIEW
    )


def compliance_block(
    warnings: Sequence[str] | None, *, form: bool = False, number: str | None = None
) -> Block | None:
    """A number's Do-Not-Contact / opt-out warnings: the one rendering of the preview card and the send
    form. The warnings are the service's sentences (`SmsService.compliance`, mrkdwn of our own).

    In the form (`form`, with the `number` checked) the block is always there, so a new check can replace
    it in place, and it says what is known when there is nothing to warn about; on the card it is None
    then. `warnings` None: not checked (yet)."""
    if warnings:
        return section("\n".join(f"⚠️ {warning}" for warning in warnings), block_id=BLOCK_COMPLIANCE)
    if not form:
        return None
    if number is None:
        placeholder = "Type the number and press Enter to check Do-Not-Contact and opt-out."
    elif warnings is None:
        placeholder = "Checking Do-Not-Contact and opt-out… ⏳"
    else:
        placeholder = f"✓ No Do-Not-Contact or opt-out flag on {escape(pretty_number(number))} at LiveVox."
    return ContextBlock(block_id=BLOCK_COMPLIANCE, elements=[MarkdownTextObject(text=placeholder)])


def send_modal(state: ModalState) -> dict[str, Any]:
    """The send modal (ids.VIEW_SEND_SMS) as a views.open/views.update payload."""
    blocks: list[Block] = []
    if state.codes is None or state.templates is None:
        blocks.append(
            ContextBlock(
                block_id=BLOCK_LOADING,
                elements=[MarkdownTextObject(text="Loading sender codes and templates… ⏳")],
            )
        )
    if state.notice:
        blocks.append(context(f"⚠️ {escape(state.notice)}"))
    if state.codes:
        chosen = next((c for c in state.codes if c.value == state.default_code), None)
        sender: Any = StaticSelectElement(
            action_id=ids.INPUT_SENDER[1],
            placeholder=_plain("Sender code", limits.OPTION_TEXT),
            options=[_option(c) for c in state.codes[: limits.OPTIONS]],
            initial_option=_option(chosen) if chosen else None,
        )
        blocks.append(
            InputBlock(block_id=ids.INPUT_SENDER[0], label=_plain("Send from", 100), element=sender)
        )
    elif state.codes is not None:
        # No code list from the provider (Routee, or LiveVox without codes): the sender is typed.
        blocks.append(
            InputBlock(
                block_id=ids.INPUT_SENDER[0],
                label=_plain("Send from (sender id or number)", 100),
                element=PlainTextInputElement(
                    action_id=ids.INPUT_SENDER[1], initial_value=state.default_code or None, max_length=16
                ),
            )
        )
    blocks.append(
        InputBlock(
            block_id=ids.INPUT_RECIPIENT[0],
            label=_plain("To (phone number)", 100),
            dispatch_action=True,  # Enter checks the number's Do-Not-Contact / opt-out flags
            element=PlainTextInputElement(
                action_id=ids.INPUT_RECIPIENT[1],
                initial_value=pretty_number(state.number) if state.number else None,
                placeholder=_plain("+1 415 555 0100", 150),
                max_length=40,
                dispatch_action_config=DispatchActionConfig(trigger_actions_on=["on_enter_pressed"]),
            ),
        )
    )
    flags = compliance_block(state.warnings, form=True, number=state.number or None)
    assert flags is not None
    blocks.append(flags)
    if state.templates:
        picked = next((t for t in state.templates if t.value == state.template_id), None)
        blocks.append(
            InputBlock(
                block_id=ids.INPUT_TEMPLATE[0],
                label=_plain("Template", 100),
                optional=True,
                dispatch_action=True,  # picking one updates the preview at once
                element=StaticSelectElement(
                    action_id=ids.INPUT_TEMPLATE[1],
                    placeholder=_plain("Pick a template…", limits.OPTION_TEXT),
                    options=[_option(t) for t in state.templates[: limits.OPTIONS]],
                    initial_option=_option(picked) if picked else None,
                ),
                hint=_plain("Use a template or write a message, not both.", 150),
            )
        )
        blocks.append(template_preview(state.template_texts.get(state.template_id or "")))
    blocks.append(
        InputBlock(
            block_id=ids.INPUT_MESSAGE[0],
            label=_plain("Message", 100),
            optional=True,
            dispatch_action=True,
            element=PlainTextInputElement(
                action_id=ids.INPUT_MESSAGE[1],
                multiline=True,
                initial_value=state.message or None,
                max_length=MAX_CHARS,
                dispatch_action_config=DispatchActionConfig(trigger_actions_on=["on_character_entered"]),
            ),
        )
    )
    blocks.append(segments_block(state.message or ""))
    blocks.append(
        InputBlock(
            block_id=ids.INPUT_SEND_AT[0],
            label=_plain("Send later", 100),  # Slack marks an optional input "(optional)" itself
            optional=True,
            element=DateTimePickerElement(action_id=ids.INPUT_SEND_AT[1]),
            hint=_plain(
                "Empty: it is sent now. A time (yours) inside the recipient's quiet hours moves to the next "
                "allowed one; it is checked again when it goes.",
                150,
            ),
        )
    )
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": ids.VIEW_SEND_SMS,
        "title": {"type": "plain_text", "text": "Send SMS"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": state.metadata(),
        "blocks": to_dicts(fit(blocks, limits.VIEW_BLOCKS)),
    }
    return view


def segments_block(text: str) -> Block:
    return ContextBlock(block_id=BLOCK_SEGMENTS, elements=[MarkdownTextObject(text=segments_line(text))])


def replace_blocks(view: dict[str, Any], replacements: dict[str, Block]) -> dict[str, Any]:
    """A views.update payload for an open view with the blocks of these block_ids replaced.

    Only the parts Slack accepts in an update are kept (not id, hash, state…); what the user has typed
    survives because the input blocks keep their block_id and action_id.
    """
    blocks = []
    for block in view.get("blocks", []):
        new = replacements.get(str(block.get("block_id", "")))
        blocks.append(new.to_dict() if new is not None else block)
    keys = ("type", "callback_id", "title", "submit", "close", "private_metadata", "blocks")
    return {k: v for k, v in {**view, "blocks": blocks}.items() if k in keys and v is not None}


# ---------------------------------------------------------------------------------- preview card


@dataclass(frozen=True)
class Preview:
    """Everything the confirm-then-send card shows."""

    number: str
    sender: str | None
    text: str
    provider: str  # "LiveVox agent", "LiveVox", "Routee"
    warnings: Sequence[str] = ()
    compliance: ComplianceState = UNKNOWN  # shown by the one flags renderer, as in /sms logs and /lookup
    refusals: Sequence[str] = ()  # the send guard's sentences: why it will not be sent (plain words)
    notes: Sequence[str] = ()  # the guard's notes (consent restored…), plain words
    overridable: bool = False  # an admin may override what refuses it (Override… instead of Send)
    send_later: str | None = None  # only quiet hours refuse it: "08:00 PST", offered instead of Send
    # `--at`: when it goes, in words (mrkdwn of our own, with a Slack date token): Schedule, not Send.
    scheduled_for: str | None = None


def preview_message(preview: Preview, token: str) -> dict[str, Any]:
    """The ephemeral card of `/sms send <number> <text>`: what will be sent, Send / Cancel."""
    info = count(preview.text)
    quoted = escape(clip(preview.text, PREVIEW_CHARS)).replace("\n", "\n>")
    blocks: list[Block] = [
        header(
            "This SMS will not be sent"
            if preview.refusals
            else "Schedule this SMS?"
            if preview.scheduled_for
            else "Send this SMS?"
        ),
        section(
            "",
            fields=[
                f"*To*\n{escape(pretty_number(preview.number))}",
                f"*From*\n{escape(pretty_number(preview.sender or '') or 'the default sender')}",
                f"*Via*\n{escape(preview.provider)}",
                f"*Length*\n{info.describe()}",
            ],
        ),
        section(f">{quoted}"),
    ]
    if flags := flags_text(preview.compliance):
        blocks.append(section(flags))
    warnings = compliance_block(preview.warnings)
    if warnings is not None:
        blocks.append(warnings)
    if preview.notes:
        blocks.append(section("\n".join(f"✅ {escape(note)}" for note in preview.notes)))
    if preview.refusals:
        blocks.append(refusal_block(preview.refusals))
        buttons = [button("Cancel", ids.ACTION_SEND_CANCEL, token)]
        if preview.overridable:
            buttons.insert(0, button("Override…", ids.ACTION_SEND_OVERRIDE, token, style="danger"))
        if preview.send_later:
            label = f"Send at {preview.send_later}"
            buttons.insert(0, button(label, ids.ACTION_SEND_LATER, token, style="primary"))
        blocks.append(actions(*buttons, block_id=BLOCK_PREVIEW_ACTIONS))
        return message(
            fit(blocks), f"Not sending to {pretty_number(preview.number)}: {escape(preview.refusals[0])}"
        )
    if preview.scheduled_for:
        blocks.append(section(f"🕗 {preview.scheduled_for}"))
        blocks.append(
            actions(
                button("Schedule", ids.ACTION_SEND_LATER, token, style="primary"),
                button("Cancel", ids.ACTION_SEND_CANCEL, token),
                block_id=BLOCK_PREVIEW_ACTIONS,
            )
        )
        return message(fit(blocks), f"Schedule this SMS to {pretty_number(preview.number)}?")
    blocks.append(
        actions(
            button("Send", ids.ACTION_SEND_CONFIRM, token, style="primary"),
            button("Cancel", ids.ACTION_SEND_CANCEL, token),
            block_id=BLOCK_PREVIEW_ACTIONS,
        )
    )
    return message(fit(blocks), f"Send this SMS to {pretty_number(preview.number)}?")


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def refusal_block(refusals: Sequence[str]) -> Block:
    """Why the guard will not send it: its sentences (outside text inside, escaped here)."""
    lines = "\n".join(f"⛔ {escape(capitalized(r))}" for r in refusals)
    return section(f"*Will not be sent*\n{lines}", block_id=BLOCK_REFUSAL)


def override_modal(number: str, refusals: Sequence[str], token: str) -> dict[str, Any]:
    """An admin's override of Do-Not-Contact / quiet hours: what is overridden, a reason, a confirmation."""
    lines = "\n".join(f"⛔ {escape(capitalized(r))}" for r in refusals)
    blocks: list[Block] = [
        section(f"*Send to {escape(pretty_number(number))} anyway?*\n{lines}"),
        InputBlock(
            block_id=ids.INPUT_OVERRIDE_REASON[0],
            label=_plain("Reason (kept in the audit trail)", limits.INPUT_LABEL),
            element=PlainTextInputElement(
                action_id=ids.INPUT_OVERRIDE_REASON[1], multiline=True, max_length=500, min_length=5
            ),
        ),
        InputBlock(
            block_id=ids.INPUT_OVERRIDE_CONFIRM[0],
            label=_plain("Confirmation", limits.INPUT_LABEL),
            element=CheckboxesElement(
                action_id=ids.INPUT_OVERRIDE_CONFIRM[1],
                options=[
                    Option(
                        value="confirm",
                        text=_plain("I am an admin and I take responsibility for sending it", 75),
                    )
                ],
            ),
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.VIEW_SEND_OVERRIDE,
        "title": {"type": "plain_text", "text": "Override and send"},
        "submit": {"type": "plain_text", "text": "Send anyway"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": token[: limits.PRIVATE_METADATA],
        "blocks": to_dicts(blocks),
    }


@dataclass(frozen=True)
class Outcome:
    """What the card says after Send: the outbox row's status and what is known about it.

    `checking`: a follow-up is reading the provider's delivery record, so an ACCEPTED card says it is
    being checked; otherwise an ACCEPTED card says it is not confirmed and how to check."""

    number: str  # E.164
    text: str
    status: SmsStatus | None  # None: being sent
    provider: str = ""  # "LiveVox", "Routee"
    reference: str | None = None  # the provider's message id
    reason: str | None = None  # failed / unknown: what happened; delivered…: the record in words
    raw: str | None = None  # the provider's own wording of the record ("SMS MT Blocked (Opt-Out)")
    checking: bool = False


def how_to_check(number: str) -> str:
    return f"`/sms logs {number}` shows what the providers have recorded."


def outcome_message(outcome: Outcome) -> dict[str, Any]:
    """The card after Send. Only a delivery record makes it say delivered; until then "accepted"."""
    pretty = escape(pretty_number(outcome.number))
    provider = escape(outcome.provider or "the provider")
    reason = escape(outcome.reason or "")
    status = outcome.status
    if status is None or status is SmsStatus.PENDING:
        title, fallback = f"⏳ Sending to {pretty}…", "Sending…"
    elif status is SmsStatus.ACCEPTED:
        fallback = f"Accepted by {provider}, not confirmed yet"
        if outcome.checking:
            title = f"📨 Accepted by {provider}, not confirmed yet: checking its delivery record… ⏳"
        else:
            why = f" {reason}" if reason else ""
            title = f"📨 Accepted by {provider}, not confirmed yet.{why} {how_to_check(outcome.number)}"
    elif status is SmsStatus.DELIVERED:
        title, fallback = f"✅ Delivered to {pretty}.", f"Delivered to {pretty}"
    elif status is SmsStatus.BLOCKED:
        because = f": {reason}" if reason else ""
        title = f"⛔ Blocked by {provider}{because}. It did not reach {pretty}."
        fallback = f"Blocked by {provider}{because}"
    elif status is SmsStatus.UNDELIVERED:
        because = f": {reason}" if reason else ""
        title = f"❌ Not delivered to {pretty}{because}."
        fallback = f"Not delivered{because}"
    elif status is SmsStatus.FAILED:
        detail = reason or "the provider refused it"
        title, fallback = f"❌ Failed: {detail}", f"Failed: {detail}"
    else:
        detail = reason or "the provider did not confirm the send."
        title = (
            f"❓ Outcome unknown: {detail} Switchboard will not re-send it: "
            f"`/sms logs {outcome.number}` shows whether it arrived."
        )
        fallback = f"Outcome unknown: {detail}"
    facts = [f"To {pretty}"]
    if outcome.reference:
        facts.append(f"{provider} id {escape(outcome.reference)}")
    if outcome.raw:
        facts.append(f"{provider} says “{escape(outcome.raw)}”")
    quoted = escape(clip(outcome.text, PREVIEW_CHARS)).replace("\n", "\n>")
    blocks: list[Block] = [section(title), section(f">{quoted}"), context(" · ".join(facts))]
    return message(blocks, fallback)


def cancelled_message(number: str) -> dict[str, Any]:
    return message([section(f"Cancelled: nothing was sent to {escape(pretty_number(number))}.")], "Cancelled")


# ----------------------------------------------------------------------------------------- lists


def templates_message(templates: Sequence[tuple[str, str | None, str | None, str | None]]) -> dict[str, Any]:
    """`/sms templates`: (id, description, text, sender code) of each template."""
    if not templates:
        return message([section("LiveVox has no SMS templates for this service.")], "No templates")
    blocks: list[Block] = [header(f"SMS templates ({len(templates)})")]
    for template_id, description, text, code in templates:
        name = f"*{escape(description)}*" if description else "_(no name)_"
        info = count(text or "")
        sender = f" · from {escape(pretty_number(code))}" if code else ""
        quoted = escape(clip(text or "", 600)).replace("\n", "\n>")
        blocks.append(section(f"{name} · id `{escape(template_id)}`{sender}\n>{quoted}\n_{info.describe()}_"))
    return message(fit(blocks), f"{len(templates)} SMS templates")


def codes_message(codes: Sequence[tuple[str, str | None]], default: str | None) -> dict[str, Any]:
    """`/sms codes`: the sender codes, the channel's default marked."""
    if not codes:
        return message([section("LiveVox has no SMS codes for this service.")], "No SMS codes")
    lines = []
    for code, description in codes[:200]:
        mark = " ⭐ default in this channel" if code == default else ""
        # The number as people read it; the code as LiveVox lists it, for `sender=` and templates.
        kind = livevox_words.code_kind(description)
        about = f" · {escape(kind)}" if kind else ""
        lines.append(f"• *{escape(pretty_number(code))}*{about} · code `{escape(code)}`{mark}")
    blocks: list[Block] = [header(f"SMS sender codes ({len(codes)})")]
    chunk: list[str] = []
    for line in lines:  # sections hold 3000 characters: split long lists over several
        if sum(len(x) + 1 for x in chunk) + len(line) > limits.SECTION_TEXT - 100:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return message(fit(blocks), f"{len(codes)} SMS codes")
