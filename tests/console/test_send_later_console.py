"""Send later in the console, as a new user tries it against the sandbox: `--at` shows *Schedule*, the
send form's date and time field schedules too, `/sms scheduled` lists both and *Cancel* cancels one."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import ScheduledSend, ScheduledStatus
from tests.console.test_app import console
from tests.databases import fresh_database
from tests.e2e.conftest import ALWAYS, Harness, _harness


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[Harness]:
    with fresh_database("sqlite", tmp_path) as url:
        async with _harness(url, send_window=ALWAYS) as harness:
            yield harness


def number_of(out: str, label: str, after: str) -> str:
    tail = out[out.rindex(after) :]
    found = re.search(rf"\[(\d+)\] {re.escape(label)}", tail)
    assert found, f"no {label} after {after!r}"
    return found.group(1)


async def _rows(slack: Harness) -> list[ScheduledSend]:
    async with slack.container.sessions() as session:
        return list((await session.execute(select(ScheduledSend).order_by(ScheduledSend.id))).scalars())


async def test_schedule_list_and_cancel_from_the_console(slack: Harness) -> None:
    picked = (datetime.now() + timedelta(hours=5)).replace(second=0, microsecond=0)
    # The send form's answers: keep the sender, keep the number, no template, the message, the time.
    answers = f"\n\n\nFrom the form\n{picked:%Y-%m-%d %H:%M}\n"
    shell, out = console(slack, answers)
    assert await shell.run_line("as @agent")
    assert await shell.run_line('/sms send +1 415 555 0101 See you tomorrow --at "in 3h"')
    text = out.getvalue()
    assert "Schedule this SMS?" in text and "Goes out at" in text
    assert await shell.run_line(number_of(text, "Schedule", "Schedule this SMS?"))
    assert "Scheduled: your SMS to +1 415-555-0101 goes out at" in out.getvalue()
    assert await shell.run_line("/sms send +1 415 555 0101")
    assert "Send later (optional)" in out.getvalue()
    rows = await _rows(slack)
    assert [r.text for r in rows] == ["See you tomorrow", "From the form"]
    assert rows[1].send_at == picked.astimezone().astimezone(rows[1].send_at.tzinfo)
    assert await shell.run_line("/sms scheduled")
    listing = out.getvalue()[out.getvalue().rindex("Your scheduled SMS") :]
    assert "See you tomorrow" in listing and "From the form" in listing
    assert await shell.run_line(number_of(out.getvalue(), "Cancel", "Your scheduled SMS"))
    assert "Cancelled: nothing was sent to +1 415-555-0101" in out.getvalue()
    assert [r.status for r in await _rows(slack)] == [ScheduledStatus.CANCELLED, ScheduledStatus.PENDING]
