"""Item 13: logs are safe at every level. Phone numbers keep only their last four digits (timestamps and
ids untouched, tracebacks included), job dumps lose their response_urls, Bolt's request bodies never
appear, and a DEBUG run of the app end to end prints no token, secret or full number."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from bot.console.emulator import DEFAULT_TOKEN
from bot.logging import BOLT_LOGGER, JsonFormatter, MaskingFilter, TextFormatter, configure
from bot.phones import mask_all
from tests.e2e.conftest import Harness
from tests.security.conftest import post_raw


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("sent to +14155550123", "sent to +•••••••0123"),
        ("from +1 (415) 555-0199 at noon", "from +•••••••0199 at noon"),
        ("/lookup +1 415 555 0100 7d", "/lookup +•••••••0100 7d"),
        ("sessions?phone_number=14155550123&x=1", "sessions?phone_number=+•••••••0123&x=1"),
        ("call 415-555-0100 or (415) 555-0101", "call +•••••••0100 or +•••••••0101"),
        ("uk +44 20 7946 0958", "uk +•••••••0958"),
    ],
)
def test_numbers_keep_only_their_last_four_digits(text: str, masked: str) -> None:
    assert mask_all(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01 21:04:00,123 took 0.1234567 s",
        "event_time=1796152028 ts=1796152028.123456 at_ms=1796152028123",
        "user U0123456789 channel C0123456789 team T0DEMO job 12345678",
        "view V41PJSO2KRV trigger 1234567.8901234.abcdef",
    ],
)
def test_timestamps_and_ids_are_not_masked(text: str) -> None:
    assert mask_all(text) == text


def _record(name: str, msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": name, "levelname": "DEBUG", "msg": msg, "args": args, **extra})
    MaskingFilter().filter(record)
    return record


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()])
def test_tracebacks_are_masked(formatter: logging.Formatter) -> None:
    try:
        raise ValueError("provider refused +14155550123")
    except ValueError:
        record = _record("bot.test", "failed")
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "4155550123" not in line and "+•••••••0123" in line


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()])
def test_job_dumps_lose_response_urls_and_numbers(formatter: logging.Formatter) -> None:
    """procrastinate logs every job with its arguments, as `extra` and in a call string."""
    payload = {
        "response_url": "https://hooks.slack.com/commands/T0DEMO/1/s3cr3t",
        "number": "+14155550123",
        "user_id": "U0SUPER",
    }
    call = f"switchboard.followup[7](name='lookup', payload={payload!r})"
    record = _record(
        "procrastinate.worker", "Starting job %s", call, job={"id": 7, "task_kwargs": {"payload": payload}}
    )
    line = formatter.format(record)
    assert "s3cr3t" not in line and "4155550123" not in line
    assert "U0SUPER" in line  # only what is sensitive goes


@pytest.mark.parametrize("name", ["slack_bolt.AsyncRequestVerification", BOLT_LOGGER])
def test_bolt_messages_lose_request_bodies(name: str) -> None:
    record = _record(
        name,
        "Invalid request signature detected (signature: %s, timestamp: %s, body: %s)",
        "v0=abc",
        "now",
        "payload=%7B%22password%22%3A%22hunter2%22%7D",
    )
    assert "hunter2" not in record.getMessage() and "Invalid request signature" in record.getMessage()


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The app's own logging set-up at DEBUG (SWITCHBOARD_LOG_LEVEL=DEBUG), into a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    names = ("procrastinate", BOLT_LOGGER, "httpx", "httpcore", "alembic.runtime.plugins")
    levels = {name: logging.getLogger(name).level for name in names}
    configure("DEBUG")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_a_debug_run_prints_no_secret_or_full_number(slack: Harness, debug_log: io.StringIO) -> None:
    forged = "command=%2Flookup&text=%2B14155550177&password=hunter2&response_url=http%3A%2F%2F127.0.0.1%3A9"
    status, _ = await post_raw(
        slack,
        forged,
        {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": "now"},
    )
    assert status == 401
    assert (await slack.driver.command("/lookup", "+1 415 555 0100 7d", user="U0SUPER")).ok
    envelope = slack.driver.event_envelope(slack.driver.build_event("app_home_opened", user="U0SUPER"))
    await slack.driver.send_json(envelope)
    await slack.driver.settle()
    output = debug_log.getvalue()
    assert "DEBUG" in output  # it did log at DEBUG
    for secret in ("hunter2", "4155550177", "4155550100", "415-555-0100", DEFAULT_TOKEN):
        assert secret not in output, secret
    assert slack.driver.signing_secret not in output
    for line in output.splitlines():
        if "response_url" in line:
            assert "/response/" not in line, line
