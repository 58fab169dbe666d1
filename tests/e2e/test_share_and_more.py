"""The "Look up number" message shortcut, the Share button and the /calls "More" button, end to end."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

from bot.console.emulator import Message
from bot.services.demo import TEAM_ID
from bot.slack import ids
from bot.slack.lookup.jobs import SHARED
from bot.slack.signing import sign_value, verify_value
from tests.e2e.conftest import Harness


def _text(message: object) -> str:
    return str(getattr(message, "text", "")) + json.dumps(
        getattr(message, "blocks", message), ensure_ascii=False
    )


def _reply(slack: Harness, user: str) -> Message:
    """The newest answer to `user` that is not a command's "…⏳" ack (a fast follow-up can post through
    the response_url before the driver has shown the ack, so `last_response` may be the ack)."""
    for message in reversed(slack.emulator.ephemerals(user=user)):
        if not message.text.endswith("⏳"):
            return message
    raise AssertionError(f"no answer to {user}")


def _types(message: Message) -> list[str]:
    return [str(b.get("type")) for b in message.blocks]


async def _lookup(slack: Harness, number: str = "+14155550101", user: str = "U0SUPER") -> Message:
    await slack.driver.command("/lookup", number, user=user)
    await slack.driver.settle()
    answer = _reply(slack, user)
    assert "Lookup:" in _text(answer) and "actions" in _types(answer)
    return answer


# ------------------------------------------------------------------------- message shortcut


async def test_message_shortcut_looks_up_the_first_number(slack: Harness) -> None:
    response = await slack.driver.message_shortcut(
        ids.SHORTCUT_LOOKUP_NUMBER,
        "Customer asked for a call back on (415) 555-0101, or else +1 415 555 0100.",
        user="U0SUPER",
        author="U0AGENT",
    )
    assert response.status == 200
    await slack.driver.settle()
    answer = _reply(slack, "U0SUPER")
    assert "Lookup: +1 415-555-0101" in _text(answer)
    said = [m.text for m in slack.emulator.ephemerals(user="U0SUPER")]
    assert said == [answer.text]  # no "Looking up… ⏳" left above the answer


async def test_message_shortcut_without_a_number_says_so(slack: Harness) -> None:
    await slack.driver.message_shortcut(
        ids.SHORTCUT_LOOKUP_NUMBER, "Order 1234567 ships on 2026-10-01.", user="U0SUPER"
    )
    await slack.driver.settle()
    answer = slack.driver.last_response("U0SUPER")
    assert answer is not None and "I found no phone number in that message" in answer.text
    assert not slack.emulator.channel_messages("C0DEMO")[1:]  # nothing posted for everyone


async def test_message_shortcut_for_someone_not_linked(slack: Harness) -> None:
    slack.emulator.add_user("U0NEW", "newbie")
    await slack.driver.message_shortcut(ids.SHORTCUT_LOOKUP_NUMBER, "+14155550100", user="U0NEW")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0NEW")
    assert answer is not None and "not linked" in answer.text


# ---------------------------------------------------------------------------------- share


def _cursor(answer: Message, cursor: dict[str, Any]) -> None:
    """What the Share button's value needs to be for an ephemeral result (see share.py)."""
    for block in answer.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == ids.ACTION_SHARE:
                element["value"] = sign_value(ids.ACTION_SHARE, json.dumps(cursor))  # as the server signs


async def test_share_button_on_a_lookup_result_posts_it_to_the_channel(slack: Harness) -> None:
    answer = await _lookup(slack)
    await slack.driver.click(answer, ids.ACTION_SHARE, user="U0SUPER")
    await slack.driver.settle()
    shared = slack.driver.last_message("C0DEMO")
    assert shared is not None and "Shared by <@U0SUPER>" in _text(shared)


async def test_share_of_a_private_result_without_a_cursor_says_how(slack: Harness) -> None:
    answer = await _lookup(slack)
    for block in answer.blocks:  # a button without a cursor, as on messages from before cursors
        for element in block.get("elements") or []:
            if element.get("action_id") == ids.ACTION_SHARE:
                element["value"] = sign_value(ids.ACTION_SHARE, "share")
    await slack.driver.click(answer, ids.ACTION_SHARE, user="U0SUPER")
    await slack.driver.settle()
    told = slack.driver.last_response("U0SUPER")
    assert told is not None and "--share" in told.text
    assert slack.driver.last_message("C0DEMO") is None


async def test_share_posts_the_result_once_without_buttons(slack: Harness) -> None:
    answer = await _lookup(slack)
    _cursor(answer, {"k": "lookup", "n": "+14155550101", "r": ""})
    element = slack.driver.find_element(answer, action_id=ids.ACTION_SHARE)
    first = slack.driver.block_actions_payload(answer, element, user="U0SUPER")
    second = slack.driver.block_actions_payload(answer, element, user="U0SUPER")
    assert (await slack.driver.send_payload(first)).status == 200
    assert (await slack.driver.send_payload(second)).status == 200  # a double click
    await slack.driver.settle()
    posted = slack.emulator.channel_messages("C0DEMO")
    assert len(posted) == 1, [m.text for m in posted]
    shared = posted[0]
    assert "Lookup: +1 415-555-0101" in _text(shared)
    assert "Shared by <@U0SUPER>" in _text(shared)
    assert "actions" not in _types(shared)
    # The private original stays as it was; the person is told as `--share` tells them.
    assert "Lookup: +1 415-555-0101" in _text(answer) and "actions" in _types(answer)
    told = slack.driver.last_response("U0SUPER")
    assert told is not None and told.text == SHARED


async def test_share_of_a_calls_page(slack: Harness) -> None:
    await slack.driver.command("/calls", "+14155550100", user="U0SUPER")
    await slack.driver.settle()
    answer = _reply(slack, "U0SUPER")
    _cursor(answer, {"k": "calls", "n": "+14155550100", "r": "", "o": 0})
    await slack.driver.click(answer, ids.ACTION_SHARE, user="U0SUPER")
    await slack.driver.settle()
    shared = slack.driver.last_message("C0DEMO")
    assert shared is not None and "Calls: +1 415-555-0100" in _text(shared)
    assert "Shared by <@U0SUPER>" in _text(shared) and "actions" not in _types(shared)
    assert "Calls: +1 415-555-0100" in _text(answer)  # the private copy is kept


async def test_share_of_a_message_everyone_sees_copies_its_blocks(slack: Harness) -> None:
    answer = await _lookup(slack)
    # A result posted for everyone (e.g. a digest) carries its blocks in the click payload.
    posted = await slack.container.slack.chat_postMessage(
        channel="C0DEMO", text=answer.text, blocks=answer.blocks
    )
    original = slack.emulator.message("C0DEMO", str(posted["ts"]))
    assert original is not None
    await slack.driver.click(original, ids.ACTION_SHARE, user="U0AGENT")
    await slack.driver.settle()
    shared = slack.driver.last_message("C0DEMO")
    assert shared is not None and shared is not original
    assert [b for b in _types(shared) if b != "context"] == [
        b for b in _types(original) if b not in ("context", "actions")
    ]
    assert "Shared by <@U0AGENT>" in _text(shared)
    told = slack.driver.last_response("U0AGENT")
    assert told is not None and told.text == SHARED


async def test_share_by_someone_not_linked_is_denied(slack: Harness) -> None:
    answer = await _lookup(slack)
    _cursor(answer, {"k": "lookup", "n": "+14155550101", "r": ""})
    slack.emulator.add_user("U0NEW", "newbie")
    await slack.driver.click(answer, ids.ACTION_SHARE, user="U0NEW")
    await slack.driver.settle()
    assert slack.driver.last_message("C0DEMO") is None
    assert ("U0NEW", "access.denied", "denied") in await slack.audit_actions()


# ----------------------------------------------------------------------------------- more


async def _more_calls(slack: Harness, number: str, extra: int) -> None:
    """The demo world has 3 calls per number; add some so /calls has a second page."""
    await slack.container.providers.for_team(TEAM_ID)  # builds the in-process sandbox
    world = slack.container.sandbox.app.state.world
    template = next(c for c in world.voice_calls if c.consumer_number == number)
    for i in range(extra):
        start = template.start_time - timedelta(hours=i + 1)
        world.voice_calls.append(
            dataclasses.replace(
                template,
                engagement_id=f"extra-{i:04d}",
                start_time=start,
                end_time=start + timedelta(seconds=template.total_duration),
            )
        )


async def test_more_replaces_the_page_with_the_next_one_once(slack: Harness) -> None:
    await _more_calls(slack, "+14155550100", 12)
    await slack.driver.command("/calls", "+14155550100 30d", user="U0SUPER")
    await slack.driver.settle()
    page = _reply(slack, "U0SUPER")
    assert "Calls 1–10 of 15" in _text(page)
    element = slack.driver.find_element(page, action_id=ids.ACTION_CALLS_MORE)
    value = verify_value(ids.ACTION_CALLS_MORE, element.element["value"])  # signed by the server
    assert value is not None
    cursor = json.loads(value)
    assert {k: cursor[k] for k in "nro"} == {"n": "+14155550100", "r": "30d", "o": 10}
    first = slack.driver.block_actions_payload(page, element, user="U0SUPER")
    second = slack.driver.block_actions_payload(page, element, user="U0SUPER")
    await slack.driver.send_payload(first)
    await slack.driver.send_payload(second)  # a double click fetches once
    await slack.driver.settle()
    assert "Calls 11–15 of 15" in _text(page)  # replaced in place
    assert ids.ACTION_CALLS_MORE not in json.dumps(page.blocks)
    assert page.edits == 1
    assert len(slack.emulator.ephemerals(user="U0SUPER")) == 1  # the one page, no ack left behind


async def test_previous_goes_back_and_share_after_more_shares_the_page_shown(slack: Harness) -> None:
    await _more_calls(slack, "+14155550100", 12)
    await slack.driver.command("/calls", "+14155550100 30d", user="U0SUPER")
    await slack.driver.settle()
    page = _reply(slack, "U0SUPER")
    assert ids.ACTION_CALLS_PREVIOUS not in json.dumps(page.blocks)  # nothing before the first page
    await slack.driver.click(page, ids.ACTION_CALLS_MORE, user="U0SUPER")
    await slack.driver.settle()
    assert "Calls 11–15 of 15" in _text(page)
    await slack.driver.click(page, ids.ACTION_CALLS_PREVIOUS, user="U0SUPER")
    await slack.driver.settle()
    assert "Calls 1–10 of 15" in _text(page)  # back, in place
    await slack.driver.click(page, ids.ACTION_CALLS_MORE, user="U0SUPER")  # and forth again
    await slack.driver.settle()
    assert "Calls 11–15 of 15" in _text(page) and page.edits == 3
    await slack.driver.click(page, ids.ACTION_SHARE, user="U0SUPER")
    await slack.driver.settle()
    shared = slack.driver.last_message("C0DEMO")
    assert shared is not None and "Calls 11–15 of 15" in _text(shared)  # what the person saw
    assert "Shared by <@U0SUPER>" in _text(shared)
    assert "Calls 11–15 of 15" in _text(page) and "actions" in _types(page)  # private copy kept
    told = slack.driver.last_response("U0SUPER")
    assert told is not None and told.text == SHARED


async def test_share_flag_and_share_button_say_the_same(slack: Harness) -> None:
    await slack.driver.command("/calls", "+14155550100 --share", user="U0SUPER")
    await slack.driver.settle()
    told_by_flag = slack.driver.last_response("U0SUPER")
    assert told_by_flag is not None and told_by_flag.is_ephemeral
    shared = slack.driver.last_message("C0DEMO")
    assert shared is not None and "Shared by <@U0SUPER>" in _text(shared)
    answer = await _lookup(slack)
    await slack.driver.click(answer, ids.ACTION_SHARE, user="U0SUPER")
    await slack.driver.settle()
    told_by_button = slack.driver.last_response("U0SUPER")
    assert told_by_button is not None
    assert told_by_flag.text == told_by_button.text == SHARED


async def test_more_with_a_stale_value_says_so(slack: Harness) -> None:
    await _more_calls(slack, "+14155550100", 12)
    await slack.driver.command("/calls", "+14155550100", user="U0SUPER")
    await slack.driver.settle()
    page = _reply(slack, "U0SUPER")
    for block in page.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == ids.ACTION_CALLS_MORE:
                element["value"] = sign_value(ids.ACTION_CALLS_MORE, "not json")
    await slack.driver.click(page, ids.ACTION_CALLS_MORE, user="U0SUPER")
    await slack.driver.settle()
    told = slack.driver.last_response("U0SUPER")
    assert told is not None and "out of date" in told.text
