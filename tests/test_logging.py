from __future__ import annotations

import json
import logging

import pytest

from bot.logging import JsonFormatter, MaskingFilter, TextFormatter


def _record(msg: str, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "switchboard.test", "levelname": "INFO", "msg": msg, **extra})
    MaskingFilter().filter(record)
    return record


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()])
def test_phone_numbers_are_masked_and_secrets_redacted(formatter: logging.Formatter) -> None:
    record = _record(
        "sent to +14155550123",
        provider="zoom",
        url="/v2/phone/sms/sessions?phone_number=14155550199",
        access_token="eyJsecret",
        session_id="abc-session",
    )
    line = formatter.format(record)
    assert "4155550123" not in line and "4155550199" not in line
    assert "eyJsecret" not in line and "abc-session" not in line
    assert "+•••••••0123" in line
    assert "zoom" in line


def test_json_lines_are_json() -> None:
    payload = json.loads(JsonFormatter().format(_record("hello", operation="sms.list", status=200)))
    assert payload["msg"] == "hello" and payload["operation"] == "sms.list" and payload["status"] == 200
