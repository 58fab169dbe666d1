"""/switchboard end to end: help per role, whoami, link/unlink/audit, connect (modal), channel, and the
workspace lifecycle events."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.db.models import Provider, ProviderConnection, Workspace
from bot.db.repositories import ChannelMappingRepository, ConnectionRepository
from bot.services.demo import TEAM_ID
from bot.slack import ids
from bot.slack.admin import events as admin_events
from tests.e2e.conftest import Harness, MakeHarness

ADMIN_ONLY = ("/switchboard link", "/switchboard unlink", "/switchboard audit", "/switchboard connect")
ZOOM_SECRET = "zs-very-secret-value-7f3a9"  # made up: the tests look for it everywhere it must not be
ZOOM_FORM = {
    "account_id": "acct-123",
    "client_id": "client-456",
    "client_secret": ZOOM_SECRET,
    "plan": "business",
    "api_url": "https://api.zoom.us/v2",
    "token_url": "https://zoom.us/oauth/token",
}


def _text(message: object) -> str:
    return str(getattr(message, "text", "")) + json.dumps(
        getattr(message, "blocks", message), ensure_ascii=False
    )


def _body(response: Any) -> str:
    data = response.json()
    return json.dumps(data, ensure_ascii=False) if data is not None else str(response.body)


async def _answer(slack: Harness, user: str) -> str:
    await slack.driver.settle()
    message = slack.driver.last_response(user)
    assert message is not None
    return _text(message)


# ------------------------------------------------------------------------------------------ help


async def test_help_shows_an_agent_no_admin_lines(slack: Harness) -> None:
    response = await slack.driver.command("/switchboard", "help", user="U0AGENT")
    body = _body(response)
    assert "/switchboard whoami" in body and "/lookup &lt;number&gt;" in body
    for line in ADMIN_ONLY:
        assert line not in body, line
    assert "/switchboard channel" not in body
    assert "You are *agent*" in body


async def test_help_shows_an_admin_everything(slack: Harness) -> None:
    body = _body(await slack.driver.command("/switchboard", "help", user="U0ADMIN"))
    for line in (*ADMIN_ONLY, "/switchboard channel", "/switchboard whoami", "/calls &lt;number&gt;"):
        assert line in body, line
    bare = _body(await slack.driver.command("/switchboard", "", user="U0ADMIN"))
    assert "/switchboard connect" in bare


async def test_help_for_someone_not_linked_shows_only_open_commands(slack: Harness) -> None:
    slack.emulator.add_user("U0NEW", "newbie", real_name="New Person")
    body = _body(await slack.driver.command("/switchboard", "help", user="U0NEW"))
    assert "/switchboard whoami" in body
    assert "/lookup" not in body and "/switchboard link" not in body
    assert "not linked" in body


async def test_unknown_subcommand_answers_usage(slack: Harness) -> None:
    response = await slack.driver.command("/switchboard", "frobnicate now", user="U0AGENT")
    assert "I don't know `/switchboard frobnicate`" in response.body
    assert "/switchboard whoami" in response.body
    assert "/switchboard connect" not in response.body  # usage is per role too


# ------------------------------------------------------------------------------------- who am I


async def test_whoami_shows_role_and_provider_identities(slack: Harness) -> None:
    body = _body(await slack.driver.command("/switchboard", "whoami", user="U0AGENT"))
    assert "agent" in body and "700101" in body and "JRIVERA" in body
    slack.emulator.add_user("U0NEW", "newbie")
    assert "not linked" in _body(await slack.driver.command("/switchboard", "whoami", user="U0NEW"))


# -------------------------------------------------------------------------------- link & unlink


async def test_link_a_mentioned_user_as_slack_sends_it(slack: Harness) -> None:
    slack.emulator.add_user("U0NEW", "newbie", real_name="New Person")
    response = await slack.driver.command(
        "/switchboard", "link <@U0NEW|newbie> agent=700555 login=NEWBIE role=agent", user="U0ADMIN"
    )
    assert response.status == 200
    assert "Linked <@U0NEW> as *agent*" in await _answer(slack, "U0ADMIN")
    # The link takes effect at once (the identity cache is forgotten).
    body = _body(await slack.driver.command("/switchboard", "whoami", user="U0NEW"))
    assert "700555" in body and "NEWBIE" in body
    await slack.driver.command("/switchboard", "link <@U0NEW|newbie> role=supervisor", user="U0ADMIN")
    assert "Updated <@U0NEW> as *supervisor*" in await _answer(slack, "U0ADMIN")
    actions = await slack.audit_actions()
    assert ("U0ADMIN", "user.linked", "ok") in actions and ("U0ADMIN", "user.updated", "ok") in actions
    # A bare mention of someone linked changes nothing, and says so (not "Updated").
    await slack.driver.command("/switchboard", "link <@U0NEW|newbie>", user="U0ADMIN")
    said = await _answer(slack, "U0ADMIN")
    assert "is already linked as *supervisor*; nothing changed" in said and "Updated" not in said


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("link", "Usage: `/switchboard link @user"),
        ("link bob role=agent", "`bob` is not a Slack user"),
        ("link <@U0NEW|newbie> agent=abc", "agent= takes a LiveVox agent id (digits)"),
        ("link <@U0NEW|newbie> role=boss", "role= is agent, supervisor or admin"),
        ("link <@U0NEW|newbie> colour=blue", "is not one of agent=…"),
        ("link <@U0NEW|newbie> role=agent role=admin", "`role=` is given twice"),
        ("unlink", "Usage: `/switchboard unlink @user`"),
        ("unlink <@U0NEW|newbie> extra", "Usage: `/switchboard unlink @user`"),
    ],
)
async def test_bad_link_arguments_answer_usage(slack: Harness, text: str, expected: str) -> None:
    response = await slack.driver.command("/switchboard", text, user="U0ADMIN")
    assert expected in response.text  # a usage error is marked (blocks), so the ack is JSON
    await slack.driver.settle()
    assert not slack.emulator.response_posts  # nothing else happened


@pytest.mark.parametrize("text", ["link <@U0NEW|newbie> role=admin", "unlink <@U0SUPER|super>", "audit"])
async def test_non_admin_is_denied_and_it_is_audited(slack: Harness, text: str) -> None:
    response = await slack.driver.command("/switchboard", text, user="U0AGENT")
    assert "is for admins; you are agent." in response.body
    await slack.driver.settle()  # the denial is audited after the ack
    assert ("U0AGENT", "access.denied", "denied") in await slack.audit_actions()
    assert not slack.emulator.response_posts


async def test_unlink_removes_the_link(slack: Harness) -> None:
    await slack.driver.command("/switchboard", "unlink <@U0SUPER|super>", user="U0ADMIN")
    assert "Unlinked <@U0SUPER>" in await _answer(slack, "U0ADMIN")
    assert "not linked" in _body(await slack.driver.command("/switchboard", "whoami", user="U0SUPER"))
    await slack.driver.command("/switchboard", "unlink <@U0SUPER|super>", user="U0ADMIN")
    assert "is not linked" in await _answer(slack, "U0ADMIN")
    assert ("U0ADMIN", "user.unlinked", "ok") in await slack.audit_actions()


@pytest.mark.parametrize("text", ["link <@U0ADMIN|admin> role=agent", "unlink <@U0ADMIN|admin>"])
async def test_the_last_admin_cannot_demote_or_unlink_themselves(slack: Harness, text: str) -> None:
    await slack.driver.command("/switchboard", text, user="U0ADMIN")
    answer = await _answer(slack, "U0ADMIN")
    assert "This workspace's last admin stays an admin: make someone else an admin first." in answer
    assert "You are *admin*" in _body(await slack.driver.command("/switchboard", "help", user="U0ADMIN"))
    actions = [a for _, a, _ in await slack.audit_actions()]
    assert "user.unlinked" not in actions and actions.count("user.updated") == 0


async def test_an_admin_can_step_down_once_there_is_another(slack: Harness) -> None:
    await slack.driver.command("/switchboard", "link <@U0SUPER|super> role=admin", user="U0ADMIN")
    await slack.driver.settle()
    await slack.driver.command("/switchboard", "link <@U0ADMIN|admin> role=agent", user="U0ADMIN")
    assert "Updated <@U0ADMIN> as *agent*." in await _answer(slack, "U0ADMIN")
    # Now U0SUPER is the last admin: unlinking them is refused too.
    await slack.driver.command("/switchboard", "unlink <@U0SUPER|super>", user="U0SUPER")
    assert "last admin stays an admin" in await _answer(slack, "U0SUPER")


async def test_a_link_that_changes_nothing_is_not_audited(slack: Harness) -> None:
    before = await slack.audit_actions()
    await slack.driver.command("/switchboard", "link <@U0AGENT|agent> role=agent", user="U0ADMIN")
    await slack.driver.settle()
    assert await slack.audit_actions() == before


async def test_audit_lists_recent_events_and_filters_by_user(slack: Harness) -> None:
    await slack.driver.command("/lookup", "+1 212 555 0199", user="U0AGENT")  # denied → audited
    await slack.driver.settle()
    await slack.driver.command("/switchboard", "audit", user="U0ADMIN")
    everything = await _answer(slack, "U0ADMIN")
    assert "Audit trail" in everything and "user.linked" in everything and "access.denied" in everything
    await slack.driver.command("/switchboard", "audit <@U0AGENT|agent>", user="U0ADMIN")
    agent_only = await _answer(slack, "U0ADMIN")
    assert "Audit trail for <@U0AGENT>" in agent_only and "access.denied" in agent_only
    assert "user.linked" not in agent_only  # those were written by demo-seed
    await slack.driver.command("/switchboard", "audit nobody", user="U0ADMIN")
    assert "is not a Slack user" in slack.driver.requests[-1][1].body


async def _add_events(slack: Harness, count: int) -> None:
    from bot.db.repositories import AuditRepository

    async with slack.container.sessions() as session:
        repo = AuditRepository(session, TEAM_ID)
        for i in range(count):
            await repo.record("cli:test", f"test.event{i:02d}", target_type="workspace", target_id=TEAM_ID)
        await session.commit()


async def test_audit_pages_older_and_newer(slack: Harness) -> None:
    await _add_events(slack, 30)
    await slack.driver.command("/switchboard", "audit", user="U0ADMIN")
    await slack.driver.settle()
    first = slack.driver.last_response("U0ADMIN")
    assert first is not None
    text = _text(first)
    assert "test.event29" in text and "test.event10" in text and "test.event09" not in text  # 20 a page
    assert "Older →" in text and "Newer" not in text
    await slack.driver.click(first, action_id=ids.ACTION_AUDIT_OLDER, user="U0ADMIN")
    await slack.driver.settle()
    older = slack.driver.last_response("U0ADMIN")
    assert older is not None
    text = _text(older)
    assert "test.event09" in text and "test.event00" in text and "user.linked" in text  # demo-seed's rows
    assert "test.event10" not in text and "← Newer" in text and "Older →" not in text
    await slack.driver.click(older, action_id=ids.ACTION_AUDIT_NEWER, user="U0ADMIN")
    await slack.driver.settle()
    newer = slack.driver.last_response("U0ADMIN")
    assert newer is not None
    text = _text(newer)
    assert "test.event29" in text and "test.event10" in text and "test.event09" not in text


async def test_audit_buttons_are_for_admins(slack: Harness) -> None:
    await _add_events(slack, 30)
    await slack.driver.command("/switchboard", "audit", user="U0ADMIN")
    await slack.driver.settle()
    page = slack.driver.last_response("U0ADMIN")
    assert page is not None
    await slack.driver.click(page, action_id=ids.ACTION_AUDIT_OLDER, user="U0SUPER")
    await slack.driver.settle()
    assert ("U0SUPER", "access.denied", "denied") in await slack.audit_actions()


async def test_an_edited_audit_page_button_is_refused_and_audited(slack: Harness) -> None:
    from bot.db.repositories import AuditRepository

    await _add_events(slack, 30)
    await slack.driver.command("/switchboard", "audit <@U0AGENT|agent>", user="U0ADMIN")
    await slack.driver.command("/switchboard", "audit", user="U0ADMIN")
    await slack.driver.settle()
    page = slack.driver.last_response("U0ADMIN")
    assert page is not None
    element = slack.driver.find_element(page, action_id=ids.ACTION_AUDIT_OLDER)
    payload = slack.driver.block_actions_payload(page, element, user="U0ADMIN")
    payload["actions"][0]["value"] = json.dumps({"before": 10**9})  # unsigned: every event at once
    assert (await slack.driver.send_payload(payload)).status == 200
    await slack.driver.settle()
    async with slack.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=3)
    refused = next(e for e in events if e.action == "access.denied")
    assert refused.details["attempted"] == "button audit_older with an edited value"


async def test_audit_filters_by_action_user_and_number(slack: Harness) -> None:
    await slack.driver.command("/lookup", "+1 212 555 0199", user="U0AGENT")  # denied → audited
    await slack.driver.settle()
    await slack.driver.command("/switchboard", "audit action=access.denied", user="U0ADMIN")
    denied = await _answer(slack, "U0ADMIN")
    assert "access.denied" in denied and "user.linked" not in denied
    await slack.driver.command("/switchboard", "audit action=user", user="U0ADMIN")
    users = await _answer(slack, "U0ADMIN")
    assert "user.linked" in users and "access.denied" not in users
    await slack.driver.command("/switchboard", "audit +1 212 555 0199", user="U0ADMIN")
    by_number = await _answer(slack, "U0ADMIN")
    assert "numbers ending 0199" in by_number and "access.denied" in by_number
    assert "user.linked" not in by_number
    await slack.driver.command("/switchboard", "audit <@U0AGENT|agent> +1 415 555 0100", user="U0ADMIN")
    assert "Nothing recorded yet." in await _answer(slack, "U0ADMIN")
    for text, expected in [
        ("audit action=<!channel>", "action= takes an action"),
        ("audit <@U0AGENT> <@U0SUPER>", "one user at most"),
        ("audit +1 415 555 0100 please", "I don't understand `please`"),
    ]:
        assert expected in (await slack.driver.command("/switchboard", text, user="U0ADMIN")).body, text


async def test_access_denied_says_what_was_attempted(slack: Harness) -> None:
    from bot.db.repositories import AuditRepository

    await slack.driver.command("/switchboard", "link <@U0NEW|newbie> role=admin", user="U0AGENT")
    slack.emulator.add_user("U0NEW", "newbie")
    await slack.driver.shortcut(ids.SHORTCUT_SEND_SMS, user="U0NEW")
    await slack.driver.settle()
    async with slack.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=5)
    denied = [e for e in events if e.action == "access.denied"]
    by_actor = {e.actor: e for e in denied}
    link = by_actor["U0AGENT"]
    assert (link.target_type, link.target_id) == ("user", "U0NEW")
    assert link.details["attempted"] == "/switchboard link <@U0NEW|newbie> role=admin"
    assert by_actor["U0NEW"].details["attempted"] == "shortcut send_sms"
    await slack.driver.command("/switchboard", "audit action=access.denied", user="U0ADMIN")
    shown = await _answer(slack, "U0ADMIN")
    assert "`/switchboard link &lt;@U0NEW|newbie&gt; role=admin` → <@U0NEW>" in shown
    assert "`shortcut send_sms`" in shown


# -------------------------------------------------------------------------------------- connect


async def _open_connect(slack: Harness, provider: str = "zoom") -> Any:
    response = await slack.driver.command("/switchboard", f"connect {provider}", user="U0ADMIN")
    assert response.status == 200
    await slack.driver.settle()
    view = slack.driver.current_view("U0ADMIN")
    assert view is not None and view.callback_id == ids.VIEW_CONNECT
    return view


def _inputs(view: Any) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view.blocks if b["type"] == "input"}


async def test_connect_opens_a_modal_built_from_the_fields(live: Harness) -> None:
    view = await _open_connect(live, "zoom")
    assert view.title == "Connect Zoom"
    inputs = _inputs(view)
    assert list(inputs) == ["account_id", "client_id", "client_secret", "plan", "api_url", "token_url"]
    assert inputs["plan"]["element"]["type"] == "static_select"
    assert [o["value"] for o in inputs["plan"]["element"]["options"]] == ["pro", "business"]
    assert inputs["client_secret"]["element"]["type"] == "plain_text_input"
    assert "stored encrypted, never shown again" in inputs["client_secret"]["hint"]["text"].lower()
    assert "hint" not in inputs["account_id"]
    # Readable defaults (the environment's URLs) are filled in; credentials are not.
    assert inputs["api_url"]["element"]["initial_value"] == "https://api.zoom.us/v2"
    assert "initial_value" not in inputs["account_id"]["element"]
    view = await _open_connect(live, "livevox")
    inputs = _inputs(view)
    assert inputs["service_id"].get("optional") is True and not inputs["password"].get("optional")
    assert [o["value"] for o in inputs["environment"]["element"]["options"]] == ["NA3", "NA4", "NA5", "NA6"]


async def test_connect_stores_encrypted_and_confirms_without_echo(
    live: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.INFO)
    view = await _open_connect(live)
    response = await live.driver.submit(view, ZOOM_FORM)
    assert response.status == 200 and not response.errors
    await live.driver.settle()
    assert live.driver.current_view("U0ADMIN") is None  # closed
    confirmation = live.driver.last_response("U0ADMIN")
    assert confirmation is not None and confirmation.text == "Connected Zoom (credentials encrypted)."
    assert confirmation.channel == "C0DEMO"
    # Stored: settings readable, credentials only inside the encrypted blob.
    async with live.container.sessions() as session:
        row = (await session.execute(select(ProviderConnection))).scalar_one()
        assert row.provider is Provider.ZOOM and row.settings["plan"] == "business"
        assert ZOOM_SECRET not in row.credentials_encrypted and "acct-123" not in row.credentials_encrypted
        opened = ConnectionRepository(session, TEAM_ID, live.container.box).credentials(row)
        assert opened == {"account_id": "acct-123", "client_id": "client-456", "client_secret": ZOOM_SECRET}
    # Never echoed: not to Slack, not in a log line, not in the audit trail.
    for call in live.emulator.calls:
        assert ZOOM_SECRET not in json.dumps(call.args), call.method
    for message in live.emulator.messages:
        assert ZOOM_SECRET not in _text(message)
    ours = [r for r in caplog.records if r.name.startswith(("bot", "switchboard"))]
    assert ours, "expected at least our own log lines to be captured"
    for record in caplog.records:
        if record.levelno >= logging.INFO or record.name.startswith(("bot", "switchboard")):
            assert ZOOM_SECRET not in record.getMessage() + repr(record.__dict__), record.name
    assert ("U0ADMIN", "connection.created", "ok") in await live.audit_actions()
    from bot.db.repositories import AuditRepository

    async with live.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=5)
    assert all(ZOOM_SECRET not in json.dumps(e.details) for e in events)


async def test_reconnect_prefills_settings_but_never_secrets(live: Harness) -> None:
    await live.driver.submit(await _open_connect(live), ZOOM_FORM)
    await live.driver.settle()
    view = await _open_connect(live)
    inputs = _inputs(view)
    assert inputs["plan"]["element"]["initial_option"]["value"] == "business"
    assert "initial_value" not in inputs["client_secret"]["element"]
    assert ZOOM_SECRET not in json.dumps(view.data)
    assert "A connection exists" in json.dumps(view.blocks)
    # Secrets must be typed again: Slack itself refuses to submit without them.
    from bot.console.driver import MissingInput

    with pytest.raises(MissingInput):
        await live.driver.submit(view, {"account_id": "acct-123", "client_id": "client-456"})
    await live.driver.submit(view, {**ZOOM_FORM, "plan": "pro"})
    await live.driver.settle()
    assert ("U0ADMIN", "connection.updated", "ok") in await live.audit_actions()


async def test_connect_errors_land_on_the_right_block(live: Harness) -> None:
    view = await _open_connect(live)
    response = await live.driver.submit(view, {**ZOOM_FORM, "client_id": "   "})
    assert list(response.errors) == ["client_id"]
    assert "Client ID (client_id) is required" in response.errors["client_id"]
    assert live.driver.current_view("U0ADMIN") is not None  # still open, showing the error
    async with live.container.sessions() as session:
        assert (await session.execute(select(ProviderConnection))).first() is None


async def test_connect_is_for_admins(slack: Harness) -> None:
    response = await slack.driver.command("/switchboard", "connect zoom", user="U0SUPER")
    assert "is for admins; you are" in response.body
    await slack.driver.settle()
    assert slack.driver.current_view("U0SUPER") is None
    assert ("U0SUPER", "access.denied", "denied") in await slack.audit_actions()


async def test_connect_submission_by_a_non_admin_is_refused(live: Harness) -> None:
    view = await _open_connect(live)
    # The admin was demoted (by another admin) while the modal was open.
    await live.driver.command("/switchboard", "link <@U0SUPER|super> role=admin", user="U0ADMIN")
    await live.driver.settle()
    await live.driver.command("/switchboard", "link <@U0ADMIN|admin> role=agent", user="U0SUPER")
    await live.driver.settle()
    view = live.driver.current_view("U0ADMIN") or view
    response = await live.driver.submit(view, ZOOM_FORM)
    assert "is for admins; you are" in " ".join(response.errors.values())
    async with live.container.sessions() as session:
        assert (await session.execute(select(ProviderConnection))).first() is None


async def test_connect_in_sandbox_mode_says_nothing_changes(slack: Harness) -> None:
    response = await slack.driver.command("/switchboard", "connect zoom", user="U0ADMIN")
    assert "running on its sandbox providers" in response.body and "nothing was changed." in response.body
    await slack.driver.settle()
    assert slack.driver.current_view("U0ADMIN") is None  # no form that would store what is never used
    async with slack.container.sessions() as session:
        assert (await session.execute(select(ProviderConnection))).first() is None


async def test_a_connect_form_submitted_in_sandbox_mode_stores_nothing(slack: Harness, live: Harness) -> None:
    view = await _open_connect(live)  # opened while live, submitted to an app in sandbox mode
    payload = live.driver.view_submission_payload(view, ZOOM_FORM, user="U0ADMIN")
    response = await slack.driver.send_payload(payload)
    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "update" and "nothing was changed." in json.dumps(answer)
    async with slack.container.sessions() as session:
        assert (await session.execute(select(ProviderConnection))).first() is None


@pytest.mark.parametrize("text", ["connect", "connect teams", "connect zoom livevox"])
async def test_connect_needs_one_known_provider(slack: Harness, text: str) -> None:
    response = await slack.driver.command("/switchboard", text, user="U0ADMIN")
    assert "Usage: `/switchboard connect zoom|livevox|routee`" in response.body
    await slack.driver.settle()
    assert slack.driver.current_view("U0ADMIN") is None


@pytest.fixture
async def live(make_harness: MakeHarness) -> AsyncIterator[Harness]:
    """Live provider mode (no simulators): the registry builds clients from the stored connections."""
    async with make_harness(providers="live", secret_keys=Fernet.generate_key().decode()) as harness:
        yield harness


async def test_provider_registry_picks_up_a_new_connection(live: Harness) -> None:
    registry = live.container.providers
    assert (await registry.for_team(TEAM_ID)).zoom is None
    await live.driver.submit(await _open_connect(live), ZOOM_FORM)
    await live.driver.settle()
    first = await registry.for_team(TEAM_ID)
    assert first.zoom is not None
    assert await registry.for_team(TEAM_ID) is first  # cached while nothing changes
    await live.driver.submit(await _open_connect(live), {**ZOOM_FORM, "plan": "pro"})
    await live.driver.settle()
    second = await registry.for_team(TEAM_ID)
    assert second is not first and second.zoom is not None


# -------------------------------------------------------------------------------------- channel


async def test_channel_show_set_and_clear(slack: Harness) -> None:
    await slack.driver.command("/switchboard", "channel", user="U0ADMIN")
    shown = await _answer(slack, "U0ADMIN")
    assert "100915" in shown and "zAuCShvzvUJLY3ChLcTGBA" in shown and "14155550150" in shown
    billing = _queue_id(slack, "Billing")
    await slack.driver.command(
        "/switchboard",
        f"channel set inbox=100915 queues=zAuCShvzvUJLY3ChLcTGBA,{billing} sender=14155550151 alerts=off",
        user="U0ADMIN",
    )
    saved = await _answer(slack, "U0ADMIN")
    assert "Saved." in saved and "100915" in saved and "14155550151" in saved
    assert f"Customer Care (`zAuCShvzvUJLY3ChLcTGBA`), Billing (`{billing}`)" in saved
    async with slack.container.sessions() as session:
        row = await ChannelMappingRepository(session, TEAM_ID).get("C0DEMO")
    assert row is not None
    assert (row.livevox_service_id, row.zoom_queue_ids, row.sms_sender_code, row.alerts_enabled) == (
        "100915",
        ["zAuCShvzvUJLY3ChLcTGBA", billing],
        "14155550151",
        False,
    )
    await slack.driver.command("/switchboard", "channel set alerts=on", user="U0ADMIN")
    await slack.driver.settle()
    async with slack.container.sessions() as session:
        row = await ChannelMappingRepository(session, TEAM_ID).get("C0DEMO")
    assert row is not None and row.alerts_enabled is True and row.livevox_service_id == "100915"
    await slack.driver.command("/switchboard", "channel clear", user="U0ADMIN")
    assert "Removed the mapping of <#C0DEMO>" in await _answer(slack, "U0ADMIN")
    await slack.driver.command("/switchboard", "channel show", user="U0ADMIN")
    assert "is not mapped" in await _answer(slack, "U0ADMIN")
    await slack.driver.command("/switchboard", "channel clear", user="U0ADMIN")
    assert "no mapping to clear" in await _answer(slack, "U0ADMIN")
    actions = [a for _, a, _ in await slack.audit_actions()]
    assert actions.count("channel.mapped") == 2 and actions.count("channel.cleared") == 1


async def test_channel_set_maps_a_new_channel(slack: Harness) -> None:
    await slack.driver.command(
        "/switchboard", "channel set inbox=100915 sender=14155550152", user="U0ADMIN", channel="C0GENERAL"
    )
    assert "Mapped." in await _answer(slack, "U0ADMIN")
    async with slack.container.sessions() as session:
        row = await ChannelMappingRepository(session, TEAM_ID).get("C0GENERAL")
    # Alerts only when asked for (`alerts=on`): a mapping made for sending or digests never posts cards.
    assert row is not None and row.sms_sender_code == "14155550152" and row.alerts_enabled is False


async def test_channel_set_alert_reminders_and_their_errors(slack: Harness) -> None:
    await slack.driver.command(
        "/switchboard",
        "channel set alerts=on every=45s nudge=10m escalate=30m oncall=<!subteam^S0CARE|@care> "
        "supervisor=<@U0SUPER|super> hours=mon-fri,08:00-18:00,America/New_York",
        user="U0ADMIN",
    )
    saved = await _answer(slack, "U0ADMIN")
    assert "on, every 45s" in saved
    assert "nudge after 10m (<!subteam^S0CARE>)" in saved and "escalate after 30m (<@U0SUPER>)" in saved
    assert "mon–fri 08:00–18:00 America/New_York" in saved
    async with slack.container.sessions() as session:
        row = await ChannelMappingRepository(session, TEAM_ID).get("C0DEMO")
    assert row is not None
    assert (row.alerts_interval_seconds, row.nudge_seconds, row.escalate_seconds) == (45, 600, 1800)
    assert row.working_hours == {
        "days": [0, 1, 2, 3, 4],
        "start": "08:00",
        "end": "18:00",
        "tz": "America/New_York",
    }
    await slack.driver.command("/switchboard", "channel set nudge=off escalate=off", user="U0ADMIN")
    assert "*Reminders*\\noff" in await _answer(slack, "U0ADMIN")  # as json.dumps writes the newline
    for bad, said in (
        ("nudge=soon", "nudge= takes a wait like `10m`"),
        ("nudge=30s", "between 1 minute and 24 hours"),
        ("every=1s", "every= is between 10 seconds and 1 hour"),
        ("nudge=30m escalate=10m", "escalate= must be longer than nudge="),
        ("oncall=care", "oncall= takes a @user or @user-group"),
        ("hours=9-5", "hours= is like `mon-fri,08:00-18:00,America/New_York`"),
        ("hours=mon-fri,08:00-18:00,Mars/Base", "`Mars/Base` is not a time zone"),
        ("hours=mon-xyz,08:00-18:00", "days are mon, tue"),
        ("hours=25:00-26:00", "is not a time of day"),
    ):
        await slack.driver.command("/switchboard", f"channel set {bad}", user="U0ADMIN")
        answer = await _answer(slack, "U0ADMIN")
        assert said in answer, (bad, answer)


async def _mapping(slack: Harness, channel: str = "C0DEMO") -> tuple[object, ...] | None:
    async with slack.container.sessions() as session:
        row = await ChannelMappingRepository(session, TEAM_ID).get(channel)
    if row is None:
        return None
    return (row.livevox_service_id, row.livevox_inbox, row.zoom_queue_ids, row.sms_sender_code)


def _queue_id(slack: Harness, name: str) -> str:
    world = slack.container.sandbox.app.state.world
    return next(q.queue_id for q in world.queues.values() if q.name == name)


async def test_channel_set_takes_zoom_queues_by_name_and_shows_their_names(slack: Harness) -> None:
    billing = _queue_id(slack, "Billing")
    await slack.driver.command("/switchboard", 'channel set queues="customer care, Billing"', user="U0ADMIN")
    saved = await _answer(slack, "U0ADMIN")
    assert f"Customer Care (`zAuCShvzvUJLY3ChLcTGBA`), Billing (`{billing}`)" in saved
    assert "Zoom lists no queues" in saved  # where the names come from
    assert (await _mapping(slack) or ())[2] == ["zAuCShvzvUJLY3ChLcTGBA", billing]
    await slack.driver.command("/switchboard", "channel show", user="U0ADMIN")
    assert f"Billing (`{billing}`)" in await _answer(slack, "U0ADMIN")


async def test_channel_set_refuses_a_queue_zoom_does_not_know(slack: Harness) -> None:
    before = await _mapping(slack)
    await slack.driver.command("/switchboard", 'channel set queues="Billing,Front desk"', user="U0ADMIN")
    answer = await _answer(slack, "U0ADMIN")
    assert "Nothing was saved:" in answer
    assert (
        "queues=Front desk: no Zoom queue of that name or id had SMS or calls in the last 30 days" in answer
    )
    assert f"Billing ({_queue_id(slack, 'Billing')})" in answer  # the valid choices
    assert await _mapping(slack) == before


async def test_channel_set_saves_no_queues_when_zoom_cannot_say_which_there_are(slack: Harness) -> None:
    from bot.sandbox.faults import ProviderFaults

    await slack.container.providers.for_team(TEAM_ID)
    slack.container.sandbox.app.state.injectors["zoom"].config = ProviderFaults(error_rate=1.0)
    before = await _mapping(slack)
    await slack.driver.command("/switchboard", "channel set queues=Billing", user="U0ADMIN")
    answer = await _answer(slack, "U0ADMIN")
    assert "Nothing was saved:" in answer and "The queues could not be read to check queues=: Zoom" in answer
    assert await _mapping(slack) == before


async def test_help_says_where_queue_names_come_from(slack: Harness) -> None:
    await slack.driver.command("/switchboard", "help", user="U0ADMIN")
    assert "Zoom lists no queues" in await _answer(slack, "U0ADMIN")


async def test_channel_set_checks_inbox_and_sender_with_the_providers(slack: Harness) -> None:
    before = await _mapping(slack)
    await slack.driver.command(
        "/switchboard", "channel set inbox=999999 sender=12345 queues=abc", user="U0ADMIN"
    )
    answer = await _answer(slack, "U0ADMIN")
    assert "Nothing was saved:" in answer
    assert "inbox=999999 is not a LiveVox inbox of your team" in answer
    assert "100915 (Group - Customer Care)" in answer  # the valid choices, briefly
    assert "sender=12345 is not one of the LiveVox SMS codes" in answer and "`14155550150`" in answer
    assert await _mapping(slack) == before
    assert "channel.mapped" not in [a for _, a, _ in await slack.audit_actions()]


async def test_channel_set_refuses_everything_when_one_value_is_wrong(slack: Harness) -> None:
    before = await _mapping(slack)
    await slack.driver.command("/switchboard", "channel set inbox=100915 sender=99999", user="U0ADMIN")
    answer = await _answer(slack, "U0ADMIN")
    assert "sender=99999 is not one of the LiveVox SMS codes" in answer and "inbox=" not in answer
    assert await _mapping(slack) == before


async def test_channel_set_shows_the_new_inboxs_own_name(slack: Harness) -> None:
    async with slack.container.sessions() as session:
        await ChannelMappingRepository(session, TEAM_ID).upsert("C0DEMO", livevox_inbox="Old inbox name")
        await session.commit()
    await slack.driver.command("/switchboard", "channel set inbox=100915", user="U0ADMIN")
    saved = await _answer(slack, "U0ADMIN")
    assert "Group - Customer Care" in saved and "Old inbox name" not in saved
    assert (await _mapping(slack) or ())[1] == "Group - Customer Care"


async def test_channel_set_saves_nothing_when_livevox_cannot_check(slack: Harness) -> None:
    from bot.sandbox.faults import ProviderFaults

    await slack.container.providers.for_team(TEAM_ID)
    slack.container.sandbox.app.state.injectors["livevox"].config = ProviderFaults(error_rate=1.0)
    before = await _mapping(slack)
    await slack.driver.command("/switchboard", "channel set inbox=100915 sender=14155550150", user="U0ADMIN")
    answer = await _answer(slack, "U0ADMIN")
    assert "Nothing was saved:" in answer and "could not be listed to check inbox=" in answer
    assert await _mapping(slack) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("channel set inbox=abc", "inbox= takes a LiveVox service id (digits)"),
        ("channel set sender=TooLongSenderName", "sender= takes a numeric sender"),
        ("channel set sender=<!channel>", "sender= takes a numeric sender"),
        ("channel set queues=a;b", "queues= takes Zoom queue names or ids"),
        ("channel set queues=<!channel>", "queues= takes Zoom queue names or ids"),
        ("channel set alerts=maybe", "alerts= is on or off"),
        ("channel set colour=blue", "is not one of inbox=…"),
        ("channel set", "Usage: `/switchboard channel set"),
        ("channel wipe", "Usage: `/switchboard channel"),
        ("channel show please", "Usage: `/switchboard channel"),
    ],
)
async def test_channel_bad_arguments(slack: Harness, text: str, expected: str) -> None:
    response = await slack.driver.command("/switchboard", text, user="U0ADMIN")
    assert expected in response.text
    await slack.driver.settle()
    assert "channel.mapped" not in [a for _, a, _ in await slack.audit_actions()]


async def test_channel_is_for_admins(slack: Harness) -> None:
    response = await slack.driver.command("/switchboard", "channel clear", user="U0SUPER")
    assert "is for admins; you are" in response.body
    async with slack.container.sessions() as session:
        assert await ChannelMappingRepository(session, TEAM_ID).get("C0DEMO") is not None


# ------------------------------------------------------------------------------------ lifecycle


async def _workspace(slack: Harness) -> Workspace:
    async with slack.container.sessions() as session:
        return (await session.execute(select(Workspace).where(Workspace.team_id == TEAM_ID))).scalar_one()


async def test_app_uninstalled_marks_the_workspace(slack: Harness) -> None:
    assert (await _workspace(slack)).uninstalled_at is None
    response = await slack.driver.event("app_uninstalled")
    assert response.status == 200
    await slack.driver.settle()
    assert (await _workspace(slack)).uninstalled_at is not None
    assert ("slack", "workspace.uninstalled", "ok") in await slack.audit_actions()


async def test_tokens_revoked_marks_the_workspace_when_the_bot_token_goes(slack: Harness) -> None:
    await slack.driver.event("tokens_revoked", tokens={"oauth": ["U0ADMIN"], "bot": []})
    await slack.driver.settle()
    assert (await _workspace(slack)).uninstalled_at is None  # only a user token: nothing we use
    await slack.driver.event("tokens_revoked")  # the bot token
    await slack.driver.settle()
    assert (await _workspace(slack)).uninstalled_at is not None
    actions = [a for a in await slack.audit_actions() if a[1] == "workspace.tokens_revoked"]
    assert len(actions) == 2


async def test_the_apps_removal_is_recorded_before_slack_is_answered(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt acks an event before its listener runs: recorded after that, an uninstall was lost with a
    process that stopped in between. The record is slowed here so that an answer sent first shows."""
    record = admin_events.stop

    async def slow_stop(*args: Any, **kwargs: Any) -> list[str]:
        await asyncio.sleep(0.3)
        return await record(*args, **kwargs)

    monkeypatch.setattr(admin_events, "stop", slow_stop)
    response = await slack.driver.event("app_uninstalled")
    assert response.status == 200
    assert (await _workspace(slack)).uninstalled_at is not None  # before any settling: already recorded
    assert ("slack", "workspace.uninstalled", "ok") in await slack.audit_actions()


async def test_an_uninstall_the_database_could_not_record_is_done_on_slacks_retry_then_only_once(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database blinks while the event is recorded: it is answered 503 for Slack to deliver it again,
    and its claim went with the failed record, so the retry is done, not taken for a repeat."""
    record = admin_events.stop
    blinks: list[str] = []

    async def blink_once(*args: Any, **kwargs: Any) -> list[str]:
        if not blinks:
            blinks.append("blinked")
            raise OperationalError("UPDATE workspaces", {}, ConnectionRefusedError("refused"))
        return await record(*args, **kwargs)

    monkeypatch.setattr(admin_events, "stop", blink_once)
    envelope = slack.driver.event_envelope(slack.driver.build_event("app_uninstalled"))
    # Slack's first try two minutes ago, its retries a minute apart, each signed when it is sent.
    first_try = int(time.time()) - 120
    assert (await slack.driver.send_json(envelope, timestamp=first_try)).status == 503
    assert (await _workspace(slack)).uninstalled_at is None
    for n in (1, 2):  # the first retry records it; the second is a repeat
        retry = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_error"}
        response = await slack.driver.send_json(envelope, timestamp=first_try + 60 * n, headers=retry)
        assert response.status == 200 and response.body == ""
    await slack.driver.settle()
    assert (await _workspace(slack)).uninstalled_at is not None
    uninstalls = [a for a in await slack.audit_actions() if a[1] == "workspace.uninstalled"]
    assert uninstalls == [("slack", "workspace.uninstalled", "ok")]


async def test_single_token_mode_serves_only_the_tokens_workspace(slack: Harness) -> None:
    """One bot token (SLACK_BOT_TOKEN) is one workspace's. A request signed with the same secret from
    another workspace (the secret shared by a distributed app) is refused in words, and nothing is done
    or stored for that workspace with this one's token."""
    slack.driver.team_id = "T0OTHER"
    response = await slack.driver.command("/switchboard", "whoami", user="U0ADMIN")
    assert response.status == 200
    assert "serves one workspace only" in _body(response)
    home = await slack.driver.open_home("U0ADMIN")
    assert home.status == 200 and not home.body  # acked, so that Slack does not deliver it again
    await slack.driver.settle()
    assert not slack.emulator.calls_to("views.publish")
    async with slack.container.sessions() as session:
        rows = (await session.execute(select(Workspace.team_id))).scalars().all()
    assert "T0OTHER" not in rows
    slack.driver.team_id = TEAM_ID  # the token's own workspace is served as before
    assert "agent" in _body(await slack.driver.command("/switchboard", "whoami", user="U0AGENT"))
