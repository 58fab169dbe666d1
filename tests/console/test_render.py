from __future__ import annotations

from typing import Any

from bot.console.emulator import Message, View
from bot.console.render import mrkdwn, render_blocks, render_message, render_view


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


THREAD_CARD: list[dict[str, Any]] = [
    {"type": "header", "text": plain("Inbox: +1 415 555 0100")},
    {
        "type": "section",
        "text": md("*Kavya* wrote: <https://x.test/t/1|open thread> &lt;3 &amp; more, ask <@U0SUPER>"),
    },
    {
        "type": "section",
        "fields": [md("*Status*\nopen"), md("*Agent*\n<@U0AGENT>"), md("*Provider*"), md("LiveVox")],
    },
    {
        "type": "context",
        "elements": [md("last reply 5m ago"), {"type": "image", "image_url": "u", "alt_text": "lv"}],
    },
    {"type": "divider"},
    {"type": "image", "image_url": "https://x.test/i.png", "alt_text": "chart"},
    {
        "type": "actions",
        "block_id": "row",
        "elements": [
            {"type": "button", "action_id": "take", "text": plain("Take"), "style": "primary"},
            {"type": "button", "action_id": "release", "text": plain("Release")},
            {"type": "button", "action_id": "transfer", "text": plain("Transfer…"), "style": "danger"},
            {
                "type": "static_select",
                "action_id": "to",
                "placeholder": plain("Agent"),
                "options": [option("1", "Ann"), option("2", "Bo")],
            },
        ],
    },
    {
        "type": "section",
        "text": md("More"),
        "accessory": {
            "type": "overflow",
            "action_id": "more",
            "options": [option("r", "Mark read"), option("u", "Unread")],
        },
    },
]

THREAD_CARD_TEXT = """\
== Inbox: +1 415 555 0100 ==
*Kavya* wrote: open thread (https://x.test/t/1) <3 & more, ask @U0SUPER
*Status*     *Agent*
open         @U0AGENT
*Provider*   LiveVox
[last reply 5m ago · [image: lv]]
────────────────────────────────────────
[image: chart]
[1] Take  [2] Release  [3] Transfer…  [4] Agent ▾: 4.1 Ann  4.2 Bo
More
  [5] ⋯: 5.1 Mark read  5.2 Unread"""


def test_message_blocks_golden() -> None:
    rendered = render_blocks(THREAD_CARD, color=False)
    assert rendered.text == THREAD_CARD_TEXT
    assert {n: e.action_id for n, e in rendered.targets.items()} == {
        1: "take",
        2: "release",
        3: "transfer",
        4: "to",
        5: "more",
    }
    assert rendered.targets[1].block_id == "row"


def test_colour_only_when_asked() -> None:
    coloured = render_blocks(THREAD_CARD, color=True).text
    assert (
        "\x1b[1m== Inbox" in coloured and "\x1b[32mTake\x1b[0m" in coloured and "\x1b[31mTransfer" in coloured
    )
    assert "\x1b[" not in render_blocks(THREAD_CARD, color=False).text


def test_mrkdwn() -> None:
    assert (
        mrkdwn("<https://a.test|A> <https://b.test> <mailto:x@y.z|mail>")
        == "A (https://a.test) https://b.test mail (mailto:x@y.z)"
    )
    assert (
        mrkdwn("<@U123> <@U9|sam> <#C1|general> <#C2> <!here> <!subteam^S1|@ops>")
        == "@U123 @sam #general #C2 @here @ops"
    )
    assert mrkdwn("a &lt;b&gt; &amp;amp; *kept* _it_ `code`") == "a <b> &amp; *kept* _it_ `code`"


def test_message_without_blocks_attachments_and_files() -> None:
    message = Message(
        channel="C0DEMO",
        ts="1.0",
        text="plain <@U1>",
        blocks=[],
        user="U0BOT",
        source="chat.postMessage",
        attachments=[{"text": "legacy"}],
        files=[{"name": "r.csv", "title": "Report"}],
    )
    assert render_message(message, color=False).text == "plain @U1\n| legacy\n[file: Report]"
    assert render_message({"text": "dict &amp; ok"}, color=False).text == "dict & ok"


def test_modal_golden() -> None:
    view = View(
        "V1",
        "U0AGENT",
        {
            "type": "modal",
            "title": plain("Send SMS"),
            "submit": plain("Send"),
            "close": plain("Cancel"),
            "blocks": [
                {"type": "section", "text": md("To *+1 415 555 0100*")},
                {
                    "type": "input",
                    "block_id": "template",
                    "label": plain("Template"),
                    "hint": plain("From the provider"),
                    "element": {
                        "type": "static_select",
                        "action_id": "t",
                        "options": [option("a", "Reminder"), option("b", "Follow-up")],
                    },
                },
                {
                    "type": "input",
                    "block_id": "note",
                    "optional": True,
                    "label": plain("Note"),
                    "element": {"type": "plain_text_input", "action_id": "n", "initial_value": "hi"},
                },
                {
                    "type": "input",
                    "block_id": "agent",
                    "dispatch_action": True,
                    "label": plain("Agent"),
                    "element": {"type": "users_select", "action_id": "u"},
                },
            ],
        },
    )
    rendered = render_view(view, color=False)
    assert rendered.text == (
        "=== Send SMS ===\n"
        "To *+1 415 555 0100*\n"
        "Template [static_select]\n"
        "    1) Reminder  2) Follow-up\n"
        "    From the provider\n"
        "Note (optional) [plain_text_input]\n"
        "    = hi\n"
        "[1] Agent [users_select]\n"
        "<Send> <Cancel>"
    )
    assert rendered.targets[1].action_id == "u"


def test_home_view() -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": md("Hi")}]}
    assert render_view(home, color=False).text == "=== App Home ===\nHi"
