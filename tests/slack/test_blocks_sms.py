"""The SMS blocks: valid Block Kit within Slack's limits, and outside text shown literally."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.console.blockkit import validate_blocks, validate_view
from bot.db.models import SmsStatus
from bot.slack import ids
from bot.slack.activity import status_words
from bot.slack.sms.blocks import (
    BLOCK_SEGMENTS,
    BLOCK_TEMPLATE_PREVIEW,
    Choice,
    ModalState,
    Outcome,
    Preview,
    cancelled_message,
    codes_message,
    compliance_block,
    outcome_message,
    preview_message,
    replace_blocks,
    segments_block,
    send_modal,
    template_preview,
    templates_message,
)

NASTY = "<!channel> <@U123> <https://x|y> & < >"
ESCAPED = "&lt;!channel&gt; &lt;@U123&gt; &lt;https://x|y&gt; &amp; &lt; &gt;"


def _dump(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def _no_raw(payload: Any) -> None:
    """No Slack control sequence of the nasty text survives in any mrkdwn."""
    text = _dump(payload)
    for raw in ("<!channel>", "<@U123>", "<https://x|y>"):
        assert raw not in text


def test_preview_card_is_valid_and_escapes_the_body() -> None:
    card = Preview(
        number="+14155550100", sender="14155550150", text=NASTY, provider="LiveVox", warnings=["⚠ DNC"]
    )
    payload = preview_message(card, '{"k":"abc"}')
    assert validate_blocks(payload["blocks"], "message") == []
    assert ESCAPED in _dump(payload["blocks"])
    _no_raw(payload["blocks"])
    buttons = [e for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [ids.ACTION_SEND_CONFIRM, ids.ACTION_SEND_CANCEL]


@pytest.mark.parametrize("status", [None, *SmsStatus])
@pytest.mark.parametrize("checking", [False, True])
def test_outcome_cards_are_valid_and_escaped(status: SmsStatus | None, checking: bool) -> None:
    outcome = Outcome(
        "+14155550100",
        NASTY,
        status,
        provider="LiveVox",
        reference=NASTY,
        reason=f"detail {NASTY}",
        raw=NASTY,
        checking=checking,
    )
    payload = outcome_message(outcome)
    assert validate_blocks(payload["blocks"], "message") == []
    _no_raw(payload)
    assert not any(b["type"] == "actions" for b in payload["blocks"])


def test_only_a_delivery_record_makes_a_card_say_delivered() -> None:
    accepted = _dump(outcome_message(Outcome("+14155550100", "hi", SmsStatus.ACCEPTED, "LiveVox", "1")))
    assert "Accepted by LiveVox, not confirmed yet" in accepted and "/sms logs +14155550100" in accepted
    assert "Delivered" not in accepted and "Sent" not in accepted
    checking = _dump(
        outcome_message(Outcome("+14155550100", "hi", SmsStatus.ACCEPTED, "LiveVox", checking=True))
    )
    assert "checking" in checking and "Delivered" not in checking
    blocked = Outcome(
        "+14155550103",
        "hi",
        SmsStatus.BLOCKED,
        "LiveVox",
        reason="the recipient has opted out of SMS",
        raw="SMS MT Blocked (Opt-Out)",
    )
    text = _dump(outcome_message(blocked))
    assert "Blocked by LiveVox: the recipient has opted out of SMS" in text
    assert "SMS MT Blocked (Opt-Out)" in text  # the provider's own words, kept in the context line


def test_status_words() -> None:
    assert status_words(SmsStatus.ACCEPTED) == "accepted, not confirmed yet"
    assert status_words(SmsStatus.BLOCKED, "the number is on the Do-Not-Contact list") == (
        "blocked: the number is on the Do-Not-Contact list"
    )
    assert all(status_words(status) for status in SmsStatus)


def test_compliance_block_is_the_same_on_the_card_and_in_the_form() -> None:
    warnings = ["LiveVox flags this number *Do not contact* (DNC); it will likely be blocked."]
    card = compliance_block(warnings)
    form = compliance_block(warnings, form=True, number="+14155550102")
    assert card is not None and form is not None and card.to_dict() == form.to_dict()
    assert compliance_block([]) is None  # the card: nothing to say
    clean = compliance_block([], form=True, number="+14155550100")
    assert clean is not None and "No Do-Not-Contact" in _dump(clean.to_dict())
    unknown = compliance_block(None, form=True)
    assert unknown is not None and "press Enter" in _dump(unknown.to_dict())


def test_cancelled_card() -> None:
    payload = cancelled_message("+14155550100")
    assert validate_blocks(payload["blocks"], "message") == [] and "Cancelled" in _dump(payload)


def test_long_body_is_clipped_within_limits() -> None:
    card = Preview(number="+14155550100", sender=None, text="&" * 1600, provider="Routee")
    payload = preview_message(card, "x")
    assert validate_blocks(payload["blocks"], "message") == []


def _state(**extra: Any) -> ModalState:
    return ModalState(
        token="kept-token",
        number="+14155550100",
        codes=[Choice("14155550150", "14155550150 · Long_Code"), Choice("14155550151", "Toll free")],
        default_code="14155550151",
        templates=[Choice(str(i), f"Template {NASTY} {i}" * 5) for i in range(150)],
        template_texts={"3": NASTY},
        **extra,
    )


def test_loading_modal_is_valid_and_prefilled() -> None:
    view = send_modal(ModalState(number="+14155550100", message=NASTY))
    assert validate_view(view) == []
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert "Loading" in _dump(view)
    assert blocks[ids.INPUT_RECIPIENT[0]]["element"]["initial_value"] == "+1 415-555-0100"
    assert blocks[ids.INPUT_MESSAGE[0]]["element"]["initial_value"] == NASTY  # plain text input: literal
    assert ids.INPUT_SENDER[0] not in blocks


def test_filled_modal_is_valid_with_many_templates() -> None:
    view = send_modal(_state(template_id="3"))
    assert validate_view(view) == []
    assert view["callback_id"] == ids.VIEW_SEND_SMS
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[ids.INPUT_SENDER[0]]["element"]["initial_option"]["value"] == "14155550151"
    assert len(blocks[ids.INPUT_TEMPLATE[0]]["element"]["options"]) == 100
    assert ESCAPED in _dump(blocks[BLOCK_TEMPLATE_PREVIEW])
    _no_raw(blocks[BLOCK_TEMPLATE_PREVIEW])
    # Only the token of the context kept on the server: no channel, thread or account to edit.
    assert view["private_metadata"] == "kept-token"


def test_modal_without_codes_has_a_typed_sender() -> None:
    view = send_modal(ModalState(codes=[], templates=[], default_code="SWITCH", notice=f"Oops {NASTY}"))
    assert validate_view(view) == []
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[ids.INPUT_SENDER[0]]["element"]["type"] == "plain_text_input"
    assert ids.INPUT_TEMPLATE[0] not in blocks
    _no_raw(view["blocks"])


def test_replace_blocks_keeps_the_rest() -> None:
    view = send_modal(_state())
    opened = {**view, "id": "V1", "hash": "h", "state": {"values": {}}}
    updated = replace_blocks(
        opened, {BLOCK_SEGMENTS: segments_block("ł" * 71), BLOCK_TEMPLATE_PREVIEW: template_preview("hi")}
    )
    assert validate_view(updated) == []
    assert "id" not in updated and "state" not in updated
    assert "71 characters · 2 segments · emoji or special characters: 67 per segment (UCS-2)" in _dump(
        updated
    )
    assert len(updated["blocks"]) == len(view["blocks"])


def test_lists_are_valid_and_escaped() -> None:
    rows = [(str(i), f"name {NASTY}", f"text {NASTY}", "14155550150") for i in range(80)]
    payload = templates_message(rows)
    assert validate_blocks(payload["blocks"], "message") == []
    _no_raw(payload["blocks"])
    codes = codes_message([(f"1415555{i:04d}", f"desc {NASTY}") for i in range(300)], "14155550001")
    assert validate_blocks(codes["blocks"], "message") == [] and "default in this channel" in _dump(codes)
    _no_raw(codes["blocks"])
    assert "no SMS templates" in _dump(templates_message([]))
