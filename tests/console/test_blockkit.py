from __future__ import annotations

from typing import Any

import pytest

from bot.console.blockkit import interactive_elements, validate_blocks, validate_view


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": md(text), **extra}


def button(text: str = "Go", action_id: str = "go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": action_id, **extra}


def modal(blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": plain("Title"), "blocks": blocks or [], **extra}


def test_valid_blocks_have_no_errors() -> None:
    blocks = [
        {"type": "header", "text": plain("Inbox")},
        section("*bold*", fields=[md("a"), md("b")], accessory=button()),
        {"type": "divider"},
        {
            "type": "context",
            "elements": [md("ctx"), {"type": "image", "image_url": "https://x/y.png", "alt_text": "y"}],
        },
        {
            "type": "actions",
            "elements": [button("Take", "take"), button("Release", "release", style="danger")],
        },
        {"type": "image", "image_url": "https://x/y.png", "alt_text": "pic"},
    ]
    assert validate_blocks(blocks) == []


@pytest.mark.parametrize(
    ("blocks", "surface", "expected"),
    [
        ([section()] * 51, "message", "must provide at most 50 items [json-pointer:/blocks]"),
        ([section()] * 101, "modal", "must provide at most 100 items [json-pointer:/blocks]"),
        ([section()] * 101, "home", "must provide at most 100 items [json-pointer:/blocks]"),
        (
            [section("x" * 3001)],
            "message",
            "must be at most 3000 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "section", "fields": [md("f")] * 11}],
            "message",
            "must provide at most 10 items [json-pointer:/blocks/0/fields]",
        ),
        (
            [{"type": "section", "fields": [md("y" * 2001)]}],
            "message",
            "must be at most 2000 characters [json-pointer:/blocks/0/fields/0/text]",
        ),
        (
            [{"type": "header", "text": plain("h" * 151)}],
            "message",
            "must be at most 150 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "header", "text": md("h")}],
            "message",
            "must be plain_text [json-pointer:/blocks/0/text/type]",
        ),
        (
            [{"type": "actions", "elements": [button("b" * 76)]}],
            "message",
            "must be at most 75 characters [json-pointer:/blocks/0/elements/0/text/text]",
        ),
        (
            [{"type": "actions", "elements": [{**button(), "text": md("Go")}]}],
            "message",
            "must be plain_text [json-pointer:/blocks/0/elements/0/text/type]",
        ),
        (
            [{"type": "actions", "elements": [button(action_id="a" * 256)]}],
            "message",
            "must be at most 255 characters [json-pointer:/blocks/0/elements/0/action_id]",
        ),
        (
            [section(block_id="b" * 256)],
            "message",
            "must be at most 255 characters [json-pointer:/blocks/0/block_id]",
        ),
        (
            [section(block_id="same"), section(block_id="same")],
            "message",
            "block_id 'same' already exists [json-pointer:/blocks/1/block_id]",
        ),
        (
            [{"type": "actions", "elements": [button(), button()]}],
            "message",
            "action_id 'go' already exists [json-pointer:/blocks/0/elements/1/action_id]",
        ),
        (
            [{"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(26)]}],
            "message",
            "must provide at most 25 items [json-pointer:/blocks/0/elements]",
        ),
        ([{"type": "sectionz"}], "message", "unsupported type 'sectionz' [json-pointer:/blocks/0/type]"),
        ([{"type": "section"}], "message", "must provide either text or fields [json-pointer:/blocks/0]"),
        ([section("")], "message", "must be at least 1 character [json-pointer:/blocks/0/text/text]"),
        (
            [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
            "message",
            "must be one of plain_text, mrkdwn [json-pointer:/blocks/0/text/type]",
        ),
    ],
)
def test_each_limit(blocks: list[dict[str, Any]], surface: Any, expected: str) -> None:
    assert expected in validate_blocks(blocks, surface)


def test_limits_at_the_boundary_are_fine() -> None:
    assert validate_blocks([section("x" * 3000)] * 50) == []
    assert validate_blocks([{"type": "header", "text": plain("h" * 150)}]) == []
    assert validate_blocks([{"type": "actions", "elements": [button("b" * 75, "a" * 255)]}]) == []
    assert validate_blocks([section(block_id=f"b{i}") for i in range(100)], "modal") == []


def test_action_ids_may_repeat_across_blocks_like_slack() -> None:
    blocks = [{"type": "actions", "elements": [button()]}, {"type": "actions", "elements": [button()]}]
    assert validate_blocks(blocks) == []


def test_view_limits() -> None:
    inputs = [
        {"type": "input", "label": plain("Name"), "element": {"type": "plain_text_input", "action_id": "n"}}
    ]
    assert validate_view(modal(inputs, submit=plain("Save"))) == []
    assert validate_view(modal(title=plain("t" * 25))) == [
        "must be at most 24 characters [json-pointer:/view/title/text]"
    ]
    assert validate_view(modal(submit=plain("s" * 25))) == [
        "must be at most 24 characters [json-pointer:/view/submit/text]"
    ]
    assert validate_view(modal(close=md("Close"))) == ["must be plain_text [json-pointer:/view/close/type]"]
    assert validate_view(modal(private_metadata="m" * 3001)) == [
        "must be at most 3000 characters [json-pointer:/view/private_metadata]"
    ]
    assert validate_view(modal(callback_id="c" * 256)) == [
        "must be at most 255 characters [json-pointer:/view/callback_id]"
    ]
    assert validate_view(modal(inputs)) == [
        "must provide submit when the view has input blocks [json-pointer:/view/submit]"
    ]
    assert validate_view(modal([{**inputs[0], "label": md("Name")}], submit=plain("Save"))) == [
        "must be plain_text [json-pointer:/view/blocks/0/label/type]"
    ]
    assert validate_view({"type": "home", "blocks": [section()] * 100}) == []


def test_select_and_overflow_options() -> None:
    option = {"text": plain("o"), "value": "v"}
    overflow = {"type": "overflow", "action_id": "o", "options": [option] * 6}
    assert "must provide between 1 and 5 items [json-pointer:/blocks/0/accessory/options]" in validate_blocks(
        [section(accessory=overflow)]
    )
    select = {"type": "static_select", "action_id": "s", "options": [{"text": md("o"), "value": "v"}]}
    assert validate_blocks([{"type": "actions", "elements": [select]}]) == [
        "must be plain_text [json-pointer:/blocks/0/elements/0/options/0/text/type]"
    ]


def test_interactive_elements_are_numbered_in_reading_order() -> None:
    blocks = [
        section(accessory=button("A", "a")),
        {
            "type": "actions",
            "elements": [button("B", "b"), {"type": "overflow", "action_id": "c", "options": []}],
        },
        {"type": "input", "label": plain("x"), "element": {"type": "plain_text_input", "action_id": "x"}},
    ]
    found = interactive_elements(blocks)
    assert [(e.number, e.action_id, e.type) for e in found] == [
        (1, "a", "button"),
        (2, "b", "button"),
        (3, "c", "overflow"),
    ]
