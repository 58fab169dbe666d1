"""Button values are signed by the server, for their own action_id, and verified before any listener sees
them: a value edited by the client, moved to another button, or signed under a key no longer configured
is refused (answered, audited), and nothing is done on its behalf."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from bot.console.emulator import Message
from bot.crypto import CredentialBox, generate_key
from bot.db.repositories import AuditRepository
from bot.services.demo import TEAM_ID
from bot.slack import ids
from bot.slack.app import STALE_BUTTON
from bot.slack.signing import ValueSigner, sign_value, verify_value
from tests.e2e.conftest import Harness


async def _lookup(slack: Harness) -> Message:
    await slack.driver.command("/lookup", "+14155550101 30d", user="U0SUPER")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0SUPER")
    assert answer is not None and "Lookup" in answer.text
    return answer


async def _denials(slack: Harness) -> list[str]:
    async with slack.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=50)
    return [str((e.details or {}).get("required")) for e in events if e.action == "access.denied"]


def _share_value(answer: Message) -> str:
    for block in answer.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == ids.ACTION_SHARE:
                return str(element["value"])
    raise LookupError("no Share button")


async def _click_with(slack: Harness, answer: Message, value: str) -> None:
    element = slack.driver.find_element(answer, action_id=ids.ACTION_SHARE)
    payload = slack.driver.block_actions_payload(answer, element, user="U0SUPER")
    payload["actions"][0]["value"] = value
    assert (await slack.driver.send_payload(payload)).status == 200
    await slack.driver.settle()


async def test_values_carry_a_signature_for_their_action(slack: Harness) -> None:
    answer = await _lookup(slack)
    value = _share_value(answer)
    inner = verify_value(ids.ACTION_SHARE, value)
    assert inner is not None and json.loads(inner)["n"] == "+14155550101"
    assert verify_value(ids.ACTION_CALLS_MORE, value) is None  # not valid on another button


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v.replace("14155550101", "14155550102"),  # another number, same signature
        lambda v: json.dumps({"k": "lookup", "n": "+14155550102", "r": "", "o": 0}),  # unsigned JSON
        lambda v: v[:-1],  # cut
        lambda v: "s1." + "A" * 22 + "." + v.split(".", 2)[2],  # a made-up signature
        lambda v: "",  # empty
    ],
)
async def test_an_edited_value_is_refused_before_any_listener(slack: Harness, tamper: object) -> None:
    answer = await _lookup(slack)
    assert callable(tamper)
    before = len(await _denials(slack))
    await _click_with(slack, answer, tamper(_share_value(answer)))
    assert slack.driver.last_message("C0DEMO") is None  # nothing was shared
    told = slack.driver.last_response("U0SUPER")
    assert told is not None and told.text == STALE_BUTTON
    after = await _denials(slack)  # newest first
    assert len(after) == before + 1 and after[0] == "signed value"


@pytest.mark.parametrize(
    "tamper",
    [
        # Bolt routes by action_id whatever the click says it is: another type exempts nothing.
        lambda action: action.update(type="static_select", value='{"k": "calls", "n": "+14155550102"}'),
        lambda action: action.update(type="overflow", value="share"),
        lambda action: action.pop("value"),  # no value at all
        lambda action: action.update(value=None),
        lambda action: action.update(value=["s1.x"]),
    ],
)
async def test_a_click_that_leaves_its_signature_out_is_refused(slack: Harness, tamper: object) -> None:
    answer = await _lookup(slack)
    assert callable(tamper)
    before = len(await _denials(slack))
    element = slack.driver.find_element(answer, action_id=ids.ACTION_SHARE)
    payload = slack.driver.block_actions_payload(answer, element, user="U0SUPER")
    tamper(payload["actions"][0])
    assert (await slack.driver.send_payload(payload)).status == 200
    await slack.driver.settle()
    assert slack.driver.last_message("C0DEMO") is None  # nothing was shared
    told = slack.driver.last_response("U0SUPER")
    assert told is not None and told.text == STALE_BUTTON
    assert len(await _denials(slack)) == before + 1


async def test_a_share_posts_what_the_server_renders_not_the_message_the_click_carries(
    slack: Harness,
) -> None:
    """A click carries the message it was on (for a message in a channel or DM), which the client can
    edit: what is shared is the result rendered again from the signed cursor."""
    answer = await _lookup(slack)
    element = slack.driver.find_element(answer, action_id=ids.ACTION_SHARE)
    payload = slack.driver.block_actions_payload(answer, element, user="U0SUPER")
    forged = "<!channel> ✅ Delivered: reset your password at https://evil.example"
    payload["message"] = {
        "type": "message",
        "text": forged,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": forged}}],
    }
    assert (await slack.driver.send_payload(payload)).status == 200
    await slack.driver.settle()
    shared = slack.driver.last_message("C0DEMO")
    assert shared is not None
    posted = json.dumps(shared.blocks) + shared.text
    assert "evil.example" not in posted and "<!channel>" not in posted
    assert "Lookup: +1 415-555-0101" in posted and "Shared by <@U0SUPER>" in posted


async def test_a_button_without_a_value_is_signed_too(slack: Harness) -> None:
    """Refresh on App Home carries no value of its own, yet its click must still verify: a click with
    any value (or none) on an unsigned button would reach its listener."""
    from bot.slack.blocks.common import button

    element = button("Refresh", ids.ACTION_HOME_REFRESH).to_dict()
    assert verify_value(ids.ACTION_HOME_REFRESH, str(element["value"])) == ""


async def test_a_value_moved_from_another_button_is_refused(slack: Harness) -> None:
    answer = await _lookup(slack)
    moved = sign_value(ids.ACTION_CALLS_MORE, verify_value(ids.ACTION_SHARE, _share_value(answer)) or "")
    await _click_with(slack, answer, moved)
    assert slack.driver.last_message("C0DEMO") is None


async def test_a_value_signed_under_a_key_no_longer_configured_is_refused(slack: Harness) -> None:
    answer = await _lookup(slack)
    inner = verify_value(ids.ACTION_SHARE, _share_value(answer))
    assert inner is not None
    elsewhere = ValueSigner(CredentialBox([generate_key()]).signing_keys("slack-values"))
    await _click_with(slack, answer, elsewhere.sign(ids.ACTION_SHARE, inner))
    assert slack.driver.last_message("C0DEMO") is None


async def test_the_genuine_value_still_works(slack: Harness) -> None:
    answer = await _lookup(slack)
    await _click_with(slack, answer, _share_value(answer))
    shared = slack.driver.last_message("C0DEMO")
    assert shared is not None and "Shared by" in json.dumps(shared.blocks)


def test_keys_rotate_a_value_signed_by_the_old_key_verifies_with_both() -> None:
    old, new = generate_key(), generate_key()
    before = ValueSigner(CredentialBox([old]).signing_keys("slack-values"))
    after = ValueSigner(CredentialBox([new, old]).signing_keys("slack-values"))
    signed = before.sign("act", "value")
    assert after.verify("act", signed) == "value"  # rotation: the old key still verifies
    assert after.sign("act", "value") != signed  # the newest key signs
    assert ValueSigner(CredentialBox([new]).signing_keys("slack-values")).verify("act", signed) is None


async def test_a_refused_click_on_app_home_is_answered_in_a_dm(slack: Harness) -> None:
    """App Home has no response_url: the refusal reaches the person where every denial does."""
    payload = slack.driver.shortcut_payload(ids.SHORTCUT_SEND_SMS, user="U0AGENT")
    payload.update(
        type="block_actions",
        container={"type": "view", "view_id": "VHOME"},
        actions=[{"type": "button", "action_id": ids.ACTION_HOME_THREADS, "block_id": "home", "value": "x"}],
    )
    before = len(await _denials(slack))
    slack.emulator.latency["chat.postMessage"] = 2.0  # Slack slow to take the DM: the ack does not wait
    started = time.monotonic()
    assert (await slack.driver.send_payload(payload)).status == 200
    assert time.monotonic() - started < 1.5

    def dms_sent() -> list[Any]:
        return [
            c
            for c in slack.emulator.calls
            if c.method == "chat.postMessage" and c.args.get("channel") == "U0AGENT"
        ]

    for _ in range(100):  # the DM lands once Slack's 2 s are over
        if dms_sent():
            break
        await asyncio.sleep(0.05)
    await slack.driver.settle()
    dms = dms_sent()
    assert len(dms) == 1 and dms[0].args.get("text") == STALE_BUTTON
    assert len(await _denials(slack)) == before + 1
    assert slack.driver.current_view("U0AGENT") is None  # no threads were listed
