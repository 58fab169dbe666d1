"""Alerts in the console, as the README's walk-through does it: `inject inbound`, the card arrives, take it,
reply from it, the customer's next message lands in its thread, resolve it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.console.app import SandboxCommands
from bot.slack.alerts.jobs import tick
from tests.console.test_app import console
from tests.databases import fresh_database
from tests.e2e.conftest import Harness, _harness


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[Harness]:
    with fresh_database("sqlite", tmp_path) as url:
        async with _harness(url) as harness:
            harness.container.clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
            yield harness


def number_of(out: str, label: str, after: str) -> str:
    """The element number of the button `label` shown after the last `after` in the transcript."""
    tail = out[out.rindex(after) :]
    found = re.search(rf"\[(\d+)\] {re.escape(label)}", tail)
    assert found, f"no {label} after {after!r}"
    return found.group(1)


async def test_inject_take_reply_follow_and_resolve_from_the_console(slack: Harness) -> None:
    sandbox = SandboxCommands()
    sandbox.bind(slack.container)
    # What the send form and the resolve form will read: keep the sender and the number, no template,
    # the message, no send-later time; then the term code and the account.
    answers = "\n\n\nThanks, it ships today\n\n1001\n5501\n"
    shell, out = console(slack, answers, sandbox.commands)

    async def round_() -> None:
        assert isinstance(slack.container.clock, FakeClock)
        slack.container.clock.advance(seconds=31)
        await tick(slack.container)
        await slack.driver.settle()
        shell._show_changes()  # what the prompt's watcher prints while the console waits

    assert await shell.run_line("as @admin")
    assert await shell.run_line("/switchboard channel set alerts=on")
    await round_()
    assert await shell.run_line("as @agent")
    assert await shell.run_line(
        'inject inbound --from +14155550177 --inbox 100915 --text "Is my order shipped?"'
    )
    await round_()
    text = out.getvalue()
    assert "New SMS conversation" in text and ">Is my order shipped?" in text
    assert await shell.run_line(number_of(text, "Take", "Is my order shipped?"))
    assert "Taken by <@U0AGENT>" in out.getvalue() or "Taken by @agent" in out.getvalue()
    assert await shell.run_line(number_of(out.getvalue(), "Reply…", "Taken by"))
    assert "=== Send SMS ===" in out.getvalue()
    await round_()
    assert "via Switchboard" in out.getvalue() and "Thanks, it ships today" in out.getvalue()
    assert await shell.run_line('inject inbound --from +14155550177 --inbox 100915 --text "Great, thank you"')
    await round_()
    assert "thread" in out.getvalue() and "Great, thank you" in out.getvalue()
    assert await shell.run_line(number_of(out.getvalue(), "Resolve…", "Taken by"))
    assert "Resolved by" in out.getvalue()
