"""One number finder for every entry point: a message shortcut finds what the slash commands accept,
numbers outside the default region included (written with their country code)."""

from __future__ import annotations

import json

from bot.slack import ids
from tests.e2e.conftest import Harness

UK = "please text +44 7700 900876 today"


async def test_text_this_number_finds_a_number_outside_the_default_region(slack: Harness) -> None:
    response = await slack.driver.message_shortcut(ids.SHORTCUT_TEXT_NUMBER, UK)
    assert response.status == 200
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    recipient = next(b for b in view.blocks if b.get("block_id") == ids.INPUT_RECIPIENT[0])
    assert recipient["element"]["initial_value"] == "+44 7700 900876"


async def test_look_up_number_finds_a_number_outside_the_default_region(slack: Harness) -> None:
    await slack.driver.message_shortcut(ids.SHORTCUT_LOOKUP_NUMBER, UK, user="U0SUPER")
    await slack.driver.settle()
    said = " ".join(m.text for m in slack.emulator.ephemerals(user="U0SUPER"))
    assert "+44 7700 900876" in said and "found no phone number" not in said


async def test_the_slash_command_accepts_the_same_number(slack: Harness) -> None:
    # What the shortcut found, the command reads the same way (one finder).
    await slack.driver.command("/lookup", "+44 7700 900876", user="U0SUPER")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0SUPER")
    assert answer is not None
    assert "+44 7700 900876" in answer.text + json.dumps(answer.blocks, ensure_ascii=False)


async def test_free_text_digits_are_still_not_numbers(slack: Harness) -> None:
    await slack.driver.message_shortcut(
        ids.SHORTCUT_TEXT_NUMBER, "Order 1234567 ships on 2026-10-01 for $4155.50."
    )
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None and "found no phone number" in answer.text
