"""Button values are signed by the server, for their own action_id, and verified before any listener sees
them: a value edited by the client, moved to another button, or signed under a key no longer configured
is refused (answered, audited), and nothing is done on its behalf."""

from __future__ import annotations

import json

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
