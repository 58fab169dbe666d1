"""/lookup and /calls end to end: ack first, the answer arrives through response_url."""

from __future__ import annotations

import logging
import time

import pytest

from tests.e2e.conftest import Harness, MakeHarness


def _text(message: object) -> str:
    import json

    return str(getattr(message, "text", "")) + json.dumps(
        getattr(message, "blocks", message), ensure_ascii=False
    )


async def test_lookup_acks_fast_then_answers_with_every_provider(slack: Harness) -> None:
    started = time.perf_counter()
    response = await slack.driver.command("/lookup", "(415) 555-0102 30d", user="U0AGENT")
    ack_seconds = time.perf_counter() - started
    assert response.status == 200
    # No placeholder: a slash command's response_url cannot replace its ack, which would stay under the
    # answer; the answer is the one message the person sees.
    assert response.body.strip() == ""
    assert ack_seconds < 1.0
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None
    text = _text(answer)
    assert "Lookup: +1 415-555-0102" in text
    assert "Do not contact" in text
    for provider in (
        "Zoom Contact Center SMS",
        "Zoom Contact Center calls",
        "Zoom Phone",
        "LiveVox",
        "Routee",
    ):
        assert f"✓ {provider}" in text, provider


async def test_lookup_bad_number_is_an_ephemeral_error(slack: Harness) -> None:
    response = await slack.driver.command("/lookup", "call-me-maybe", user="U0AGENT")
    assert response.status == 200
    assert "not a phone number" in response.body
    await slack.driver.settle()
    assert not [c for c in slack.emulator.calls if c.method.startswith("chat.")]


async def test_agent_cannot_look_up_a_number_without_a_conversation(slack: Harness) -> None:
    await slack.driver.command("/lookup", "+1 212 555 0199", user="U0AGENT")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    text = _text(answer)
    assert answer is not None and "You can see numbers you have or had a conversation with;" in text
    assert "+1 212 ••• 0199 is not one of them" in text and "0199" in text and "555" not in text
    assert "`/switchboard access agents=all`" in text
    assert ("U0AGENT", "access.denied", "denied") in await slack.audit_actions()


async def test_unlinked_user_is_told_how_to_get_linked(slack: Harness) -> None:
    slack.emulator.add_user("U0NEW", "newbie", real_name="New Person")
    response = await slack.driver.command("/lookup", "+14155550100", user="U0NEW")
    assert "not linked" in response.body and "/switchboard link" in response.body


async def test_bad_signature_and_stale_timestamp_do_nothing(slack: Harness) -> None:
    for option in ("bad_signature", "stale"):
        response = await slack.driver.command("/lookup", "+14155550100", user="U0SUPER", **{option: True})
        assert response.status == 401
    await slack.driver.settle()
    assert not slack.emulator.response_posts


async def test_bad_ranges_are_answered_at_once(slack: Harness) -> None:
    for text, says in (
        ("+14155550100 2026-02-30..2026-03-01", "does not exist"),
        ("+14155550100 400d", "longer than a year"),
        ("+14155550100 last tuesday", "after the number"),
    ):
        response = await slack.driver.command("/lookup", text, user="U0SUPER")
        assert response.status == 200 and says in response.body, (text, response.body)
    await slack.driver.settle()
    assert not slack.emulator.response_posts  # nothing was deferred


async def test_calls_pages_a_number_s_voice_calls(slack: Harness) -> None:
    response = await slack.driver.command("/calls", "+1 415 555 0100 90d", user="U0SUPER")
    assert response.status == 200 and response.body.strip() == ""
    await slack.driver.settle()
    answer = slack.driver.last_response("U0SUPER")
    assert answer is not None and "Calls: +1 415-555-0100" in _text(answer)
    assert "last 90 days · newest first" in _text(answer)  # the page states its range
    assert [m.text for m in slack.emulator.ephemerals(user="U0SUPER")] == [answer.text]


async def test_what_the_user_typed_is_escaped_when_echoed(slack: Harness) -> None:
    response = await slack.driver.command("/threads", "<!channel>", user="U0AGENT")
    assert "<!channel>" not in response.body and "&lt;!channel&gt;" in response.body


async def test_help_keeps_usage_placeholders_visible(slack: Harness) -> None:
    response = await slack.driver.command("/switchboard", "help", user="U0AGENT")
    assert "/sms send &lt;number&gt;" in response.body or "/lookup &lt;number&gt;" in response.body
    assert "<number>" not in response.body  # Slack would read it as a link and hide it


async def test_a_badly_signed_body_never_reaches_the_logs(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt logs the raw body of a request that fails verification at INFO; a connect form's would hold
    credentials. Outside DEBUG, Switchboard keeps Bolt at WARNING."""
    from bot.logging import configure

    configure("INFO")  # replaces the root handlers, caplog's too: put it back
    logging.getLogger().addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    async with make_harness() as slack:
        response = await slack.driver.command("/lookup", "SECRET-IN-BODY", user="U0SUPER", bad_signature=True)
        assert response.status == 401
    assert "SECRET-IN-BODY" not in caplog.text
    assert caplog.records  # the capture works: other INFO lines of the run are there
