"""Item 2 (outside the listeners): respond() posts only to Slack's response_url host, or the emulator's
that SLACK_API_URL names; anything else is refused, logged without its path, and never contacted."""

from __future__ import annotations

import logging

import pytest

from bot.slack import reply
from tests.e2e.conftest import Harness
from tests.security.conftest import Sink

TOKEN_PATH = "/commands/T0DEMO/123/s3cr3tt0ken"


async def test_a_url_outside_slack_is_not_contacted(sink: Sink, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.slack.reply"):
        assert await reply.respond(sink.url + TOKEN_PATH, {"text": "hello"}) is False
    assert sink.received == []
    assert "refused" in caplog.text and "s3cr3tt0ken" not in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com" + TOKEN_PATH,  # not https
        "https://hooks.slack.com:8443" + TOKEN_PATH,
        "https://hooks.slack.com.evil.example" + TOKEN_PATH,
        "https://hooks.slack.com@evil.example" + TOKEN_PATH,
        "https://evil.example\\@hooks.slack.com" + TOKEN_PATH,
        "https://evil.example#@hooks.slack.com" + TOKEN_PATH,
        "https://hooks.slack.com\t" + TOKEN_PATH,
        "https://slack.com/api/chat.postMessage",
        "https://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "",
        "//hooks.slack.com" + TOKEN_PATH,
    ],
)
def test_only_slacks_response_host_is_trusted(url: str) -> None:
    assert not reply.is_slack_response_url(url)


def test_slacks_response_host_is_trusted() -> None:
    assert reply.is_slack_response_url("https://hooks.slack.com" + TOKEN_PATH)
    assert reply.is_slack_response_url("https://HOOKS.slack.com:443" + TOKEN_PATH)


def test_the_configured_emulator_is_trusted_but_not_slack_api_hosts() -> None:
    reply.trust_slack_api_url("https://slack.com/api/")  # the default: adds nothing
    assert not reply.is_slack_response_url("https://slack.com" + TOKEN_PATH)
    reply.trust_slack_api_url("http://127.0.0.1:3999/api/")
    assert reply.is_slack_response_url("http://127.0.0.1:3999/response/abc")
    assert not reply.is_slack_response_url("http://127.0.0.1:4000/response/abc")  # another port


async def test_the_app_answers_through_its_emulators_response_urls(slack: Harness, sink: Sink) -> None:
    """In the running app the emulator SLACK_API_URL names is trusted; a sink on another port is not."""
    assert reply.is_slack_response_url(slack.emulator.new_response_url("C0DEMO", "U0SUPER"))
    assert not reply.is_slack_response_url(sink.url + "/response/x")
    assert await reply.respond(sink.url + "/response/x", {"text": "x"}) is False
    assert sink.received == []


async def test_listeners_answer_only_to_slack_whatever_response_url_the_payload_names(
    slack: Harness, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    """Listeners that answer after their ack with the `respond` Bolt injects (`/switchboard access`
    does) get Switchboard's host-checked one: a response_url naming another host hears nothing."""
    payload = slack.driver.command_payload(
        "/switchboard",
        "access",
        user="U0ADMIN",
        channel="C0DEMO",
        response_url=sink.url + TOKEN_PATH,
        trigger_id="1.2.3",
    )
    with caplog.at_level(logging.WARNING, logger="bot.slack.reply"):
        assert (await slack.driver.send_form(payload)).status == 200
        await slack.driver.settle()
    assert sink.received == []
    assert "refused to post to a response_url outside Slack" in caplog.text
    assert "s3cr3tt0ken" not in caplog.text
    # The same command with Slack's (here the emulator's) response_url is answered there.
    await slack.driver.command("/switchboard", "access", user="U0ADMIN")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0ADMIN")
    assert answer is not None and "agents" in answer.text.lower()


async def test_a_click_that_answers_with_bolts_respond_is_held_to_slacks_host(
    slack: Harness, sink: Sink
) -> None:
    """The SMS preview's Cancel answers with the injected `respond` (delete the card), for anyone."""
    await slack.driver.command("/sms", "send +14155550100 hello there", user="U0AGENT")
    await slack.driver.settle()
    card = slack.driver.last_response("U0AGENT")
    assert card is not None
    element = slack.driver.find_element(card, action_id="sms_send_cancel")
    payload = slack.driver.block_actions_payload(card, element, user="U0AGENT")
    payload["response_url"] = sink.url + TOKEN_PATH
    assert (await slack.driver.send_payload(payload)).status == 200
    await slack.driver.settle()
    assert sink.received == []
