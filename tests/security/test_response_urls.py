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
