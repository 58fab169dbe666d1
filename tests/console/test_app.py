"""The console on the real app (`switchboard shell`): signed requests to /slack/events, the embedded
SQLite database, the sandbox providers, the demo workspace."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import yaml
from sqlalchemy import select

from bot.console.app import ESCAPED_COMMANDS, FAILURE_MARKERS, SHORTCUTS
from bot.console.emulator import View
from bot.console.shell import Console, LocalCommand
from bot.db.models import Provider, SmsMessage
from bot.slack.admin.connect_blocks import connect_modal, submitted_values
from tests.databases import fresh_database
from tests.e2e.conftest import Harness, _harness

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = 'Hi Robert, following up on "your" bill, thanks'


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[Harness]:
    with fresh_database("sqlite", tmp_path) as url:
        async with _harness(url) as harness:
            yield harness


def console(
    slack: Harness, script: str = "", local_commands: Sequence[LocalCommand] = ()
) -> tuple[Console, io.StringIO]:
    """The console `switchboard shell` runs, on the harness; `script`: what modals it opens will read."""
    out = io.StringIO()
    shell = Console(
        slack.driver,
        slack.emulator,
        out=out,
        input_stream=io.StringIO(script),
        color=False,
        shortcuts=SHORTCUTS,
        escaped_commands=ESCAPED_COMMANDS,
        failure_markers=FAILURE_MARKERS,
        local_commands=local_commands,
    )
    return shell, out


def sent_payloads(slack: Harness) -> list[dict[str, object]]:
    return [
        json.loads(parse_qs(body)["payload"][0]) for body, _ in slack.driver.requests if "payload=" in body
    ]


async def test_the_send_form_sends_the_whole_message(slack: Harness) -> None:
    # sender (keep), number (keep), template (skip), a message over two lines with commas and quotes
    shell, out = console(slack, f"\n\n\n{MESSAGE}\\\nsecond, line\n\n")  # the last: no send-later time
    assert await shell.run_line("/sms send +1 415 555 0101")
    assert "Delivered to +1 415-555-0101" in out.getvalue()  # the delivery record, not "sent"
    async with slack.container.sessions() as session:
        bodies = (await session.scalars(select(SmsMessage.body))).all()
    assert bodies == [f"{MESSAGE}\nsecond, line"]


def test_the_connect_form_keeps_a_secret_with_a_comma_whole(slack: Harness) -> None:
    view = View("V1", "U0ADMIN", connect_modal(Provider.ROUTEE, channel_id="C0DEMO"))
    secret = 'se,cr"et\\x'
    state = slack.driver.view_state(
        view,
        {"app_id": "id, 1", "app_secret": secret, "api_url": "https://a.test", "token_url": "https://b.test"},
    )
    assert submitted_values(Provider.ROUTEE, state)["app_secret"] == secret
    assert submitted_values(Provider.ROUTEE, state)["app_id"] == "id, 1"


async def test_shortcuts_run_from_the_console(slack: Harness) -> None:
    shell, out = console(slack)
    assert await shell.run_line("shortcut lookup_number please call +1 415 555 0101, thanks")
    assert "== Lookup: +1 415-555-0101 ==" in out.getvalue()
    assert await shell.run_line("shortcut Text this number")  # on the message typed above
    assert "=== Send SMS ===" in out.getvalue()
    assert "    = +1 415-555-0101" in out.getvalue()
    assert await shell.run_line("shortcut send_sms")  # the global shortcut: the empty form
    kinds = [p["type"] for p in sent_payloads(slack)]
    assert kinds.count("message_action") == 2 and kinds.count("shortcut") == 1
    # what the console offers is what the manifest declares
    manifest = yaml.safe_load((ROOT / "app_manifest.yaml").read_text())
    declared = {(s["callback_id"], s["name"], s["type"]) for s in manifest["features"]["shortcuts"]}
    assert {(s.callback_id, s.name, s.kind) for s in SHORTCUTS} == declared
    escaped = {c["command"] for c in manifest["features"]["slash_commands"] if c.get("should_escape")}
    assert escaped == set(ESCAPED_COMMANDS)


async def test_at_names_and_hash_channels_reach_the_app_as_mentions(slack: Harness) -> None:
    shell, out = console(slack)
    assert await shell.run_line("as @admin")
    assert await shell.run_line("/switchboard audit @super")
    assert "is not a Slack user" not in out.getvalue()
    assert parse_qs(slack.driver.requests[-1][0])["text"][0] == "audit <@U0SUPER|super>"


async def test_a_thread_card_stays_clickable_after_history(slack: Harness) -> None:
    shell, out = console(slack)
    assert await shell.run_line("/threads")
    card = out.getvalue()
    assert "[6] History" in card
    assert await shell.run_line("6")
    assert "== Thread history ==" in out.getvalue()
    assert await shell.run_line("1")  # Take, on the first thread of the card
    assert "You took thread" in out.getvalue()


async def test_another_users_private_card_cannot_be_clicked(slack: Harness) -> None:
    shell, out = console(slack)
    assert await shell.run_line("/lookup +1 415 555 0101 7d")
    assert await shell.run_line("as @super")
    before = len(slack.driver.requests)
    assert not await shell.run_line("1")
    assert "private to @agent" in out.getvalue()
    assert len(slack.driver.requests) == before


@pytest.mark.parametrize(
    ("user", "line"),
    [
        ("agent", "/switchboard audit"),  # a role refusal
        ("agent", "/lookup +1 415 555 0100 7d 30d"),  # a usage error
        ("agent", "/switchboard frobnicate"),  # an unknown subcommand
        ("agent", "shortcut lookup_number no number here"),  # a shortcut that found nothing
    ],
)
async def test_errors_and_refusals_fail_the_line(slack: Harness, user: str, line: str) -> None:
    shell, _ = console(slack)
    assert await shell.run_line(f"as @{user}")
    assert not await shell.run_line(line)
    assert await shell.run_line("/switchboard whoami")  # and the next line starts afresh


async def test_step_runs_a_workflow_step_and_shows_its_outputs(slack: Harness) -> None:
    shell, out = console(slack)
    assert await shell.run_line("step")
    assert (
        "send_sms         Send an SMS: to [text] [template_id] [sender_code] [send_at] [run_as]"
        in out.getvalue()
    )
    assert await shell.run_line("step send_sms to=+1 415 555 0101 text=Hi Maria, your form is in")
    shown = out.getvalue()
    assert "step send_sms completed:\n  outbox_id: 1\n  status: accepted\n  provider: LiveVox\n" in shown
    assert "  provider_message_id: " in shown
    async with slack.container.sessions() as session:
        rows = (await session.scalars(select(SmsMessage))).all()
    # Run as the console's user ("Person who used this workflow"), with the message as typed.
    assert [(r.body, r.slack_user_id) for r in rows] == [("Hi Maria, your form is in", "U0AGENT")]

    assert await shell.run_line("step lookup_number number=+1 415 555 0102 range=7d")
    assert "step lookup_number completed:" in out.getvalue() and "  do_not_contact: true\n" in out.getvalue()


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("step send_sms to=+1 415 555 0102 text=hi", "! step send_sms failed: Not sent: LiveVox lists"),
        ("step send_sms text=hi", "! send_sms needs to"),
        ("step send_sms to=+14155550101 colour=red", "! send_sms has no input 'colour'"),
        ("step send_sms hello", "! give the inputs as name=value"),
        ("step fax to=1", "! no step 'fax'"),
        ("step send_sms to=+14155550101 text=hi run_as=none", "/switchboard workflow-user"),
        ("step assign_thread thread_id=1 assignee=@nobody", "! no user '@nobody' for assignee"),
    ],
)
async def test_a_step_that_is_refused_fails_the_line(slack: Harness, line: str, said: str) -> None:
    shell, out = console(slack)
    assert not await shell.run_line(line)
    assert said in out.getvalue()
