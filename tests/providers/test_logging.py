"""One structured log line per call; never a secret, a token, a session id or a full phone number."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.providers import errors
from bot.providers.livevox import LiveVoxClient
from bot.providers.routee import RouteeClient, TrackingFilter
from bot.providers.zoom import ZoomClient
from tests.providers.provider_support import FakeTime, Recorder, json_response, script

SECRETS = [
    "zoom-client-secret",
    "zoom-access-token-value",
    "lv-access-token-value",
    "lv-password-value",
    "lv-session-id-value",
    "routee-app-secret",
    "routee-access-token-value",
]
PHONES = ["14155550100", "4155550100", "306948530920", "13345094836"]
FIELDS = ("provider", "operation", "method", "status", "duration_ms", "retries")


def record_text(record: logging.LogRecord) -> str:
    return record.getMessage() + " " + " ".join(f"{k}={v!r}" for k, v in record.__dict__.items())


def assert_clean(records: list[logging.LogRecord]) -> None:
    assert records
    for record in records:
        text = record_text(record)
        for secret in SECRETS:
            assert secret not in text, (secret, text)
        for phone in PHONES:
            assert phone not in text, (phone, text)
        for field in FIELDS:
            assert hasattr(record, field), (field, text)


def provider_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "switchboard.providers"]


async def test_zoom_logs(caplog: pytest.LogCaptureFixture, fake_time: FakeTime) -> None:
    caplog.set_level(logging.INFO)
    calls = iter([json_response(500, {}), json_response(200, {"sms_sessions": [{"session_id": "x"}]})])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return json_response(200, {"access_token": "zoom-access-token-value", "expires_in": 3600})
        if "phone_number" in request.url.params:
            return next(calls)
        return json_response(404, {"code": 1001, "message": "User does not exist: +1 415 555 0100."})

    zoom = ZoomClient(
        account_id="acct",
        client_id="cid",
        client_secret="zoom-client-secret",
        http_client=Recorder(handler).client(),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    await zoom.phone.sms_sessions.list(phone_number="+14155550100").collect()
    with pytest.raises(errors.NotFound):
        await zoom.contact_center.sms.list(consumer_number="+14155550100").collect()
    records = provider_records(caplog)
    assert_clean(records)
    by_operation = {r.operation: r for r in records}  # type: ignore[attr-defined]
    assert set(by_operation) == {"oauth.token", "phone.sms_sessions.list", "contact_center.sms.list"}
    ok = by_operation["phone.sms_sessions.list"]
    assert (ok.provider, ok.method, ok.status, ok.retries) == ("zoom", "GET", 200, 1)  # type: ignore[attr-defined]
    assert ok.levelno == logging.INFO and isinstance(ok.duration_ms, float)  # type: ignore[attr-defined]
    failed = by_operation["contact_center.sms.list"]
    assert failed.levelno == logging.WARNING and failed.status == 404  # type: ignore[attr-defined]
    assert failed.error == "NotFound" and failed.error_code == 1001  # type: ignore[attr-defined]
    assert "+•••••••0100" in failed.error_message  # type: ignore[attr-defined]
    assert len([r for r in records if r.operation == "phone.sms_sessions.list"]) == 1  # type: ignore[attr-defined]


async def test_livevox_logs(caplog: pytest.LogCaptureFixture, fake_time: FakeTime) -> None:
    caplog.set_level(logging.INFO)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/session/login"):
            return json_response(200, {"sessionId": "lv-session-id-value", "userId": 1})
        if request.url.path.endswith("/agent/message/send"):
            raise httpx.ReadTimeout("timed out", request=request)
        if request.url.path.endswith("/agent/messages"):
            return json_response(200, [{"id": "1", "message": "hi", "phone": "14155550100"}])
        return json_response(401, {"code": 401, "message": "Session lv-session-id-value expired"})

    livevox = LiveVoxClient(
        access_token="lv-access-token-value",
        client_name="acme",
        username="agent",
        password="lv-password-value",
        agent=True,
        http_client=Recorder(handler).client(),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    await livevox.messages.history(account="1213")
    with pytest.raises(errors.OutcomeUnknown):
        await livevox.messages.send("13345094836", "14155550100", "hello", account="1213")
    with pytest.raises(errors.AuthError) as caught:
        await livevox.sms.codes()
    records = provider_records(caplog)
    assert_clean(records)  # although the server's 401 message echoed the session id
    operations = {getattr(r, "operation", None) for r in records}
    assert operations >= {"session.login", "messages.history", "messages.send", "sms.codes"}
    assert caught.value.status == 401
    assert str(caught.value).endswith(": Session [redacted] expired")


async def test_routee_logs(caplog: pytest.LogCaptureFixture, fake_time: FakeTime) -> None:
    caplog.set_level(logging.DEBUG)
    token = json_response(200, {"access_token": "routee-access-token-value", "expires_in": 3600})
    api = script(
        json_response(400, {"code": "400005001", "developerMessage": "Invalid recipient 306948530920"}),
        json_response(
            200, {"totalPages": 1, "last": True, "content": [{"smsId": "1", "to": "+306948530920"}]}
        ),
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.routee.net":
            return token
        answer = api(request)
        assert isinstance(answer, httpx.Response)
        return answer

    routee = RouteeClient(
        app_id="app",
        app_secret="routee-app-secret",
        http_client=Recorder(handler).client(),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    with pytest.raises(errors.InvalidRequest):
        await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    now = datetime.fromtimestamp(fake_time.now, UTC)
    await routee.tracking.list(
        date_start=now - timedelta(days=1),
        date_end=now,
        filters=[TrackingFilter(field_name="to", search_term="+306948530920")],
    ).collect()
    assert_clean(provider_records(caplog))
