"""A command answered by a job is acked once its job is stored (`Invocation.accept`): an empty ack means the
work is in the queue, so a web process dying just after it loses nothing. A database that is away is said
in the ack itself; a store slower than Slack can wait for is acked anyway and still answered."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.slack import commands
from tests.e2e.conftest import Harness

NUMBER = "+1 415 555 0100"


def _slow_store(slack: Harness, monkeypatch: pytest.MonkeyPatch, seconds: float) -> list[float]:
    """The queue's INSERT takes `seconds`; returns when each one finished (time.monotonic)."""
    connector = slack.container.queue.connector
    store = connector.execute_query_all_async
    finished: list[float] = []

    async def slow(query: str, **arguments: Any) -> Any:
        await asyncio.sleep(seconds)
        rows = await store(query, **arguments)
        finished.append(time.monotonic())
        return rows

    monkeypatch.setattr(connector, "execute_query_all_async", slow)
    return finished


async def test_the_ack_comes_once_the_job_is_stored(slack: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    finished = _slow_store(slack, monkeypatch, 0.3)
    response = await slack.driver.command("/lookup", NUMBER, user="U0SUPER")
    acked = time.monotonic()
    assert response.status == 200 and response.body.strip() == ""
    assert finished and finished[0] <= acked  # stored before Slack had its ack
    await slack.driver.settle()
    assert slack.driver.last_response("U0SUPER") is not None  # and answered, once stored


async def test_a_database_that_is_away_is_said_in_the_ack(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = slack.container.queue.connector

    async def away(query: str, **arguments: Any) -> Any:
        raise OperationalError("INSERT INTO procrastinate_jobs", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr(connector, "execute_query_all_async", away)
    posts = len(slack.emulator.response_posts)
    response = await slack.driver.command("/sms", "templates", user="U0AGENT")
    assert response.status == 200 and "can't reach its database" in response.body
    await slack.driver.settle()
    assert len(slack.emulator.response_posts) == posts  # one answer: the ack's, not a second by response_url


async def test_a_store_slower_than_slack_waits_is_acked_anyway_and_answered(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands, "STORE_BEFORE_ACK_SECONDS", 0.2)
    finished = _slow_store(slack, monkeypatch, 0.8)
    started = time.monotonic()
    response = await slack.driver.command("/lookup", NUMBER, user="U0SUPER")
    acked = time.monotonic()
    assert response.status == 200 and response.body.strip() == ""
    assert acked - started < 0.7 and not finished  # acked before the store was done
    await slack.driver.settle()
    answer = slack.driver.last_response("U0SUPER")
    assert finished and answer is not None and "Lookup" in str(answer.text)
