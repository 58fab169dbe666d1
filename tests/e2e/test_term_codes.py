"""Term codes: optional when resolving (as in LiveVox, seed 001), configured by admins per workspace (on the
LiveVox connection) or per channel, offered by the Resolve form as a select, free entry (digits) otherwise."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet

from bot.db.models import Provider
from bot.db.repositories import ChannelMappingRepository, ConnectionRepository
from bot.services.admin import AdminService
from bot.services.demo import TEAM_ID
from bot.slack import ids
from tests.e2e.conftest import Harness, MakeHarness
from tests.e2e.test_threads import AGENT_ID, JAMES, click_card, dump, list_threads, open_thread

DEMO_CHANNEL = "<#C0DEMO|demo>"


async def _answer(slack: Harness, user: str = "U0ADMIN") -> str:
    await slack.driver.settle()
    message = slack.driver.last_response(user)
    assert message is not None
    return dump(message)


async def _open_resolve(slack: Harness) -> tuple[object, object]:
    message = await list_threads(slack)
    james = open_thread(slack, JAMES, AGENT_ID)
    await click_card(slack, message, james.thread_id, ids.ACTION_THREAD_RESOLVE)
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_RESOLVE
    return view, james


def _code_input(view: object) -> dict[str, object]:
    block: dict[str, object] = next(
        b
        for b in view.blocks
        if b.get("block_id") == ids.INPUT_TERM_CODE[0]  # type: ignore[attr-defined]
    )
    return block


async def test_a_thread_resolves_without_a_term_code(slack: Harness) -> None:
    view, james = await _open_resolve(slack)
    block = _code_input(view)
    assert block.get("optional") is True and block["element"]["type"] == "plain_text_input"  # type: ignore[index]
    response = await slack.driver.submit(view, {})  # type: ignore[arg-type]
    assert not response.errors
    await slack.driver.settle()
    assert james.resolved and james.term_code_id is None  # type: ignore[attr-defined]
    assert ("U0AGENT", "thread.resolved", "ok") in await slack.audit_actions()


async def test_free_entry_takes_digits_only(slack: Harness) -> None:
    view, james = await _open_resolve(slack)
    bad = await slack.driver.submit(view, {"term_code": "12a"})  # type: ignore[arg-type]
    assert "digits only" in bad.errors["term_code"] and not james.resolved  # type: ignore[attr-defined]
    response = await slack.driver.submit(view, {"term_code": "2002"})  # type: ignore[arg-type]
    assert not response.errors
    await slack.driver.settle()
    assert james.term_code_id == 2002  # type: ignore[attr-defined]


async def test_a_channels_term_codes_are_offered_as_a_select(slack: Harness) -> None:
    await slack.driver.command(
        "/switchboard", f'termcodes add 1001 "Paid in full" {DEMO_CHANNEL}', user="U0ADMIN"
    )
    assert "Added term code *Paid in full* (`1001`) for <#C0DEMO>." in await _answer(slack)
    await slack.driver.command(
        "/switchboard", f"termcodes add 1002 Call back later {DEMO_CHANNEL}", user="U0ADMIN"
    )
    listed = await _answer(slack)
    assert "`1001` Paid in full" in listed and "`1002` Call back later" in listed
    view, james = await _open_resolve(slack)
    element = _code_input(view)["element"]
    assert element["type"] == "static_select"  # type: ignore[index]
    assert [o["value"] for o in element["options"]] == ["1001", "1002"]  # type: ignore[index]
    assert element["options"][0]["text"]["text"] == "Paid in full (1001)"  # type: ignore[index]
    # A value the form did not offer (edited by the client) is refused.
    payload = slack.driver.view_submission_payload(view, {"term_code": "1001"}, user="U0AGENT")  # type: ignore[arg-type]
    payload["view"]["state"]["values"]["term_code"]["term_code_id"]["selected_option"]["value"] = "7777"
    forged = await slack.driver.send_payload(payload)
    assert "Choose one of the term codes offered" in forged.errors["term_code"]
    assert not james.resolved  # type: ignore[attr-defined]
    response = await slack.driver.submit(view, {"term_code": "1001"})  # type: ignore[arg-type]
    assert not response.errors
    await slack.driver.settle()
    assert james.term_code_id == 1001  # type: ignore[attr-defined]
    card = slack.driver.last_response("U0AGENT")
    assert card is not None and "with term code *Paid in full* `1001`" in dump(card)
    actions = [a for _, a, _ in await slack.audit_actions()]
    assert actions.count("termcode.added") == 2


async def test_removing_codes_and_bad_input(slack: Harness) -> None:
    await slack.driver.command("/switchboard", f"termcodes add 1001 Paid {DEMO_CHANNEL}", user="U0ADMIN")
    await slack.driver.settle()
    await slack.driver.command("/switchboard", f"termcodes remove 1001 {DEMO_CHANNEL}", user="U0ADMIN")
    assert "Removed term code *Paid* (`1001`) from <#C0DEMO>." in await _answer(slack)
    async with slack.container.sessions() as session:
        row = await ChannelMappingRepository(session, TEAM_ID).get("C0DEMO")
    assert row is not None and row.term_codes is None  # back to the workspace's (none): free entry
    await slack.driver.command("/switchboard", f"termcodes remove 1001 {DEMO_CHANNEL}", user="U0ADMIN")
    assert "Term code 1001 is not configured for that channel." in await _answer(slack)
    for text, expected in [
        ("termcodes add abc Paid", "A term code id is digits only, e.g. 1001, not `abc`."),
        ("termcodes add 1001", "Usage: `/switchboard termcodes"),
        ("termcodes wipe", "Usage: `/switchboard termcodes"),
        ("termcodes add 1001 Paid #billing", "Pick the channel from Slack's list"),
    ]:
        response = await slack.driver.command("/switchboard", text, user="U0ADMIN")
        assert expected in response.body, text
    # The workspace's own list lives on the LiveVox connection; the sandbox stores none.
    await slack.driver.command("/switchboard", "termcodes add 1001 Paid", user="U0ADMIN")
    assert "kept on its LiveVox connection, and there is none" in await _answer(slack)


async def test_termcodes_is_for_admins_and_in_their_help(slack: Harness) -> None:
    response = await slack.driver.command("/switchboard", "termcodes add 1 x", user="U0SUPER")
    assert "`/switchboard termcodes` is for admins; you are supervisor." in response.body
    await slack.driver.settle()
    assert ("U0SUPER", "access.denied", "denied") in await slack.audit_actions()
    help_text = (await slack.driver.command("/switchboard", "help", user="U0ADMIN")).body
    assert "/switchboard termcodes" in help_text
    assert (
        "/switchboard termcodes"
        not in (await slack.driver.command("/switchboard", "help", user="U0SUPER")).body
    )


@pytest.fixture
async def live(make_harness: MakeHarness) -> AsyncIterator[Harness]:
    async with make_harness(providers="live", secret_keys=Fernet.generate_key().decode()) as harness:
        yield harness


LIVEVOX_FORM = {
    "client_name": "ACME",
    "username": "api",
    "password": "pw-secret",
    "access_token": "tok",
    "agent": "false",
    "environment": "NA4",
}


async def test_workspace_term_codes_live_on_the_livevox_connection(live: Harness) -> None:
    async with live.container.sessions() as session:
        admin = AdminService(session, TEAM_ID, actor="test", box=live.container.box)
        await admin.connect(Provider.LIVEVOX, LIVEVOX_FORM)
        await session.commit()
    await live.driver.command("/switchboard", "termcodes add 3003 Wrong number", user="U0ADMIN")
    assert "Added term code *Wrong number* (`3003`) for this workspace." in await _answer(live)
    async with live.container.sessions() as session:
        row = await ConnectionRepository(session, TEAM_ID, live.container.box).get(Provider.LIVEVOX)
        assert row is not None and row.settings["term_codes"] == [{"id": "3003", "name": "Wrong number"}]
        # A reconnect (the form has no term codes) keeps them.
        await AdminService(session, TEAM_ID, actor="test", box=live.container.box).connect(
            Provider.LIVEVOX, LIVEVOX_FORM
        )
        await session.commit()
    await live.driver.command("/switchboard", "termcodes list", user="U0ADMIN")
    assert "`3003` Wrong number" in await _answer(live)
    assert json.dumps(LIVEVOX_FORM["password"]) not in json.dumps(live.emulator.messages[-1].blocks)
