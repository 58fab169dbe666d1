"""A command, a click or a form answered by a job is acked once its job is stored (`bot.slack.jobs.accept`):
an empty ack means the work is in the queue, so a web process dying just after it loses nothing. A database
that is away is said in the ack itself where an ack can say it; a store slower than Slack can wait for is
acked anyway and still answered. A click's once-claim is made by its job, so a click whose job was never
stored can be made again."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.console.emulator import Message
from bot.slack import ids
from bot.slack import jobs as slack_jobs
from tests.e2e.conftest import Harness

NUMBER = "+1 415 555 0100"
CLEAN = "+14155550100"


def _away_once(slack: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue's next INSERT meets a database that is away; the ones after it work."""
    connector = slack.container.queue.connector
    store = connector.execute_query_all_async
    failed: list[str] = []

    async def once_away(query: str, **arguments: Any) -> Any:
        if not failed:
            failed.append(query)
            raise OperationalError("INSERT INTO procrastinate_jobs", {}, ConnectionRefusedError("refused"))
        return await store(query, **arguments)

    monkeypatch.setattr(connector, "execute_query_all_async", once_away)


def _sent(slack: Harness, text: str) -> list[Any]:
    """Outbound LiveVox messages with exactly `text`, in the sandbox's world."""
    world = slack.container.sandbox.app.state.world
    return [m for m in world.lv_messages if m.direction == 2 and m.message == text]


async def _card(slack: Harness, text: str) -> Message:
    response = await slack.driver.command("/sms", f"send {CLEAN} {text}", user="U0AGENT")
    assert response.status == 200
    await slack.driver.settle()
    card = slack.driver.last_response("U0AGENT")
    assert card is not None and "Send this SMS?" in str(card.blocks)
    return card


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
    monkeypatch.setattr(slack_jobs, "STORE_BEFORE_ACK_SECONDS", 0.2)
    finished = _slow_store(slack, monkeypatch, 0.8)
    started = time.monotonic()
    response = await slack.driver.command("/lookup", NUMBER, user="U0SUPER")
    acked = time.monotonic()
    assert response.status == 200 and response.body.strip() == ""
    assert acked - started < 0.7 and not finished  # acked before the store was done
    await slack.driver.settle()
    answer = slack.driver.last_response("U0SUPER")
    assert finished and answer is not None and "Lookup" in str(answer.text)


async def test_a_click_is_acked_once_its_job_is_stored(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await _card(slack, "stored first")
    finished = _slow_store(slack, monkeypatch, 0.3)
    response = await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM, user="U0AGENT")
    acked = time.monotonic()
    assert response.status == 200
    assert finished and finished[0] <= acked  # the send's job was stored before Slack had its ack
    await slack.driver.settle()
    assert len(_sent(slack, "stored first")) == 1


async def test_a_send_click_whose_job_was_not_stored_is_told_and_can_be_made_again(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await _card(slack, "try me again")
    _away_once(slack, monkeypatch)
    response = await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM, user="U0AGENT")
    assert response.status == 200
    await slack.driver.settle()
    told = slack.driver.last_response("U0AGENT")
    assert told is not None and "can't reach its database" in str(told.text) + str(told.blocks)
    assert not _sent(slack, "try me again")
    # The card was not claimed by the click that stored nothing: clicking again sends, once.
    clicks = [
        slack.driver.block_actions_payload(
            card, slack.driver.find_element(card, action_id=ids.ACTION_SEND_CONFIRM), user="U0AGENT"
        )
        for _ in range(2)
    ]
    await asyncio.gather(*(slack.driver.send_payload(click) for click in clicks))
    await slack.driver.settle()
    assert len(_sent(slack, "try me again")) == 1
    outcome = slack.driver.last_response("U0AGENT")
    assert outcome is not None and "Delivered to +1 415-555-0100" in str(outcome.blocks)


async def test_a_form_whose_job_cannot_be_stored_says_so_in_the_modal(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = await slack.driver.command("/sms", "send +14155550101", user="U0AGENT")
    assert response.status == 200
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    _away_once(slack, monkeypatch)
    submitted = await slack.driver.submit(view, {ids.INPUT_MESSAGE[0]: "not lost"})
    assert submitted.status == 200 and submitted.json()["response_action"] == "update"
    assert "can't reach its database" in str(submitted.json()["view"]["blocks"])
    await slack.driver.settle()
    assert not _sent(slack, "not lost")


async def test_a_send_modal_whose_follow_up_cannot_be_stored_says_so_instead_of_loading_for_ever(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The modal opens at once (a trigger_id lives 3 s); its sender codes and templates come from a job.
    _away_once(slack, monkeypatch)
    response = await slack.driver.command("/sms", "send +14155550101", user="U0AGENT")
    assert response.status == 200
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None
    assert "can't reach its database" in str(view.blocks)
    assert view.callback_id != ids.VIEW_SEND_SMS  # nothing left to submit
    said = slack.driver.last_response("U0AGENT")  # told once, in the modal, not by a message on top
    assert said is None or "database" not in str(said.blocks) + said.text
    # Once the database answers again, the command works as ever.
    response = await slack.driver.command("/sms", "send +14155550101", user="U0AGENT")
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    assert "can't reach its database" not in str(view.blocks)


async def test_a_home_whose_follow_up_cannot_be_stored_says_so_instead_of_loading_for_ever(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    _away_once(slack, monkeypatch)
    response = await slack.driver.open_home("U0AGENT")
    assert response.status == 200
    await slack.driver.settle()
    home = slack.driver.home("U0AGENT")
    assert home is not None
    shown = str(home.data)
    assert "can't reach its database" in shown and "Loading your inbox" not in shown
    # Opened again with the database back, the Home loads as ever.
    await slack.driver.open_home("U0AGENT")
    await slack.driver.settle()
    home = slack.driver.home("U0AGENT")
    assert home is not None and "Personal SMS" in str(home.data)


async def test_a_my_threads_modal_whose_follow_up_cannot_be_stored_says_so(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await slack.driver.open_home("U0AGENT")
    await slack.driver.settle()
    home = slack.driver.home("U0AGENT")
    assert home is not None
    _away_once(slack, monkeypatch)
    await slack.driver.click(home, ids.ACTION_HOME_THREADS)
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None
    assert "can't reach its database" in str(view.blocks) and "Loading" not in str(view.blocks)
