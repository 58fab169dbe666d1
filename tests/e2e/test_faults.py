"""Provider faults end in a clear sentence in Slack: the healthy providers still answer, the failing ones
are named with `describe()`'s words, and no stack trace or exception name ever reaches Slack."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from bot.console.emulator import Message
from tests.e2e.conftest import Harness, MakeHarness

# What must never reach Slack: a trace, or the name of an exception class.
LEAKS = re.compile(
    r"Traceback|File \"|\b\w*(Error|Exception|Exhausted)\b|RateLimited|Unavailable\b|OutcomeUnknown|NotFound"
)

Faulty = Callable[[str], AbstractAsyncContextManager[Harness]]


@pytest.fixture
def faulty(make_harness: MakeHarness) -> Faulty:
    """A harness whose in-process sandbox injects `spec` (SWITCHBOARD_SANDBOX_FAULTS)."""

    def build(spec: str) -> AbstractAsyncContextManager[Harness]:
        return make_harness(sandbox_faults=spec, settle_timeout=40)

    return build


def _seen_by_slack(slack: Harness) -> str:
    """Everything the app sent to Slack: Web API calls, response_url posts and command acks."""
    parts = [json.dumps(call.args, ensure_ascii=False) for call in slack.emulator.calls]
    parts += [json.dumps(post.body, ensure_ascii=False) for post in slack.emulator.response_posts]
    parts += [answer.body for _, answer in slack.driver.requests]
    return "\n".join(parts)


def _reply(slack: Harness, user: str) -> Message:
    """The newest answer to `user` that is not a command's "…⏳" ack.

    A fast follow-up can post through the response_url before the driver has shown the command's
    ack, so `last_response` may be the ack."""
    for message in reversed(slack.emulator.ephemerals(user=user)):
        if not message.text.endswith("⏳"):
            return message
    raise AssertionError(f"no answer to {user}")


def _sources(slack: Harness, user: str) -> str:
    answer = _reply(slack, user)
    context = [b for b in answer.blocks if b["type"] == "context"]
    # The sources line is the last context before the buttons.
    return " ".join(e["text"] for b in context for e in b["elements"])


def _no_leaks(slack: Harness) -> None:
    seen = _seen_by_slack(slack)
    assert not LEAKS.search(seen), LEAKS.search(seen)


async def test_lookup_survives_a_zoom_429_storm(faulty: Faulty) -> None:
    async with faulty("zoom:burst_429=1000") as slack:
        await slack.driver.command("/lookup", "+14155550101 30d", user="U0SUPER")
        await slack.driver.settle()
        sources = _sources(slack, "U0SUPER")
        assert "✓ LiveVox" in sources and "✓ Routee" in sources
        for name in ("Zoom Contact Center SMS", "Zoom Contact Center calls"):
            wait = r"try again in (about \d+ s|a moment)\."
            # The sentence names its provider once (no "Zoom Contact Center SMS: Zoom Contact Center SMS is").
            assert re.search(rf"⚠️ {name} is rate-limiting requests right now; {wait}", sources), sources
            assert f"{name}: {name}" not in sources
        # Zoom Phone makes more sequential requests (token, sessions, then each session's messages), and
        # each 429 is retried after Retry-After: 1, so it may run into the history time limit first:
        # either describe() sentence is the right answer.
        assert re.search(
            r"⚠️ Zoom Phone (is rate-limiting requests right now|did not answer in time)", sources
        ), sources
        _no_leaks(slack)


async def test_lookup_survives_livevox_answering_500(faulty: Faulty) -> None:
    async with faulty("livevox:error_rate=1,error_status=500") as slack:
        await slack.driver.command("/lookup", "+14155550101 30d", user="U0SUPER")
        await slack.driver.settle()
        sources = _sources(slack, "U0SUPER")
        assert "✓ Zoom Contact Center SMS" in sources and "✓ Routee" in sources
        assert re.search(r"⚠️ LiveVox (is not answering properly right now|did not confirm)", sources), sources
        _no_leaks(slack)


async def test_lookup_by_an_agent_when_livevox_fails_still_answers(faulty: Faulty) -> None:
    """Agents' lookups first check their own LiveVox threads (followups/history.py)."""
    async with faulty("livevox:error_rate=1,error_status=500") as slack:
        await slack.driver.command("/lookup", "+14155550101 30d", user="U0AGENT")
        await slack.driver.settle()
        answer = _reply(slack, "U0AGENT")
        assert "LiveVox" in answer.text + json.dumps(answer.blocks)
        _no_leaks(slack)


async def test_lookup_names_a_slow_provider_and_keeps_the_rest(faulty: Faulty) -> None:
    async with faulty("routee:latency_ms=3000") as slack:
        slack.container.history.timeout = 1.5
        await slack.driver.command("/lookup", "+14155550101 30d", user="U0SUPER")
        await slack.driver.settle()
        sources = _sources(slack, "U0SUPER")
        assert "⚠️ Routee did not answer in time; try again in a minute." in sources
        assert "✓ Zoom Contact Center SMS" in sources and "✓ LiveVox" in sources
        _no_leaks(slack)


async def test_calls_with_zoom_failing_is_one_clear_sentence(faulty: Faulty) -> None:
    async with faulty("zoom:error_rate=1,error_status=503") as slack:
        await slack.driver.command("/calls", "+14155550100", user="U0SUPER")
        await slack.driver.settle()
        answer = _reply(slack, "U0SUPER")
        assert answer.text == (
            "Zoom Contact Center is not answering properly right now; try again in a minute."
        )
        _no_leaks(slack)


async def test_calls_after_the_daily_limit_says_when_it_resets(faulty: Faulty) -> None:
    # daily_limit=0 means "no limit" in the fault grammar, so the smallest budget is one HEAVY request:
    # the first /calls (7d: one month-window, so one request) uses it, the second meets Zoom's daily 429.
    async with faulty("zoom:daily_limit=1") as slack:
        await slack.driver.command("/calls", "+14155550100 7d", user="U0SUPER")
        await slack.driver.settle()
        first = _reply(slack, "U0SUPER")
        assert "Calls: +1 415-555-0100" in json.dumps(first.blocks)
        await slack.driver.command("/calls", "+14155550101 7d", user="U0SUPER")
        await slack.driver.settle()
        answer = _reply(slack, "U0SUPER")
        assert answer.text == "Zoom Contact Center's daily API limit is used up; it resets at midnight UTC."
        _no_leaks(slack)


async def test_a_send_whose_provider_hangs_is_answered_within_the_deadline(make_harness: MakeHarness) -> None:
    """A LiveVox that takes the send and never answers: the person hears "outcome unknown" once the call's
    deadline (SWITCHBOARD_PROVIDER_DEADLINE_SECONDS, 2 s here) is over, not after every timeout and retry,
    and the SMS is not sent again."""
    from bot.sandbox.faults import coerce_spec
    from bot.slack import ids

    async with make_harness(provider_deadline_seconds=2, settle_timeout=40) as slack:
        await slack.driver.command("/sms", "send +14155550100 hi", user="U0AGENT")
        await slack.driver.settle()  # the preview logged the agent in and checked the number
        card = slack.driver.last_response("U0AGENT")
        assert card is not None and "Send this SMS?" in card.text + json.dumps(card.blocks)
        assert slack.container.sandbox is not None
        injector = slack.container.sandbox.app.state.injectors["livevox"]
        injector.config = coerce_spec("livevox:latency_ms=600000").for_provider("livevox")  # ten minutes
        requests = injector.requests
        started = time.monotonic()
        await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM)
        await slack.driver.settle()
        elapsed = time.monotonic() - started
        outcome = slack.driver.last_response("U0AGENT")
        assert outcome is not None
        text = outcome.text + json.dumps(outcome.blocks, ensure_ascii=False)
        assert "Outcome unknown" in text and "may or may not have gone through" in text, text
        assert elapsed < 15, elapsed  # 2 s of deadline, with room for a busy machine; never ten minutes
        # The send went out once and was not repeated (the guard's reads before it are not sends).
        sends = [p for p in injector.paths[requests:] if p.endswith("/sms/agent/message/send")]
        assert sends == [sends[0]] and sends[0].startswith("POST"), injector.paths[requests:]
        _no_leaks(slack)
