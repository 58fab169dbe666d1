"""The shared request loop: retries, Retry-After, backoff, daily limits, sends, error mapping."""

from __future__ import annotations

import email.utils
import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.providers import RetryPolicy, errors
from bot.providers._http import parse_retry_after, seconds_until_utc_midnight
from bot.providers.livevox import LiveVoxClient
from bot.providers.livevox import errors as lv_errors
from bot.providers.routee import RouteeClient
from bot.providers.routee import errors as routee_errors
from bot.providers.zoom import ZoomClient
from bot.providers.zoom import errors as zoom_errors
from tests.providers.provider_support import FakeTime, Recorder, json_response, script

NO_LIMITS: dict[str, Any] = {"heavy": None, "medium": None, "light": None}
HISTORY_PAGE = {"next_page_token": "", "page_size": 30, "sms_histories": [{"message_id": "m1"}]}
SENT = {"trackingId": "t-1", "status": "Queued", "to": "+306948530920", "from": "Switchboard", "body": "hi"}


class MaxJitter(random.Random):
    """Full jitter always drawing the top of the range: makes backoff waits deterministic."""

    def uniform(self, a: float, b: float) -> float:
        return b


def zoom_with(api: Any, time: FakeTime, **kwargs: Any) -> tuple[ZoomClient, Recorder]:
    tokens = itertools.count(1)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return json_response(200, {"access_token": f"zoom-token-{next(tokens)}", "expires_in": 3600})
        result: httpx.Response = api(request)
        return result

    recorder = Recorder(handler, time)
    kwargs.setdefault("rate_limits", NO_LIMITS)
    kwargs.setdefault("rng", random.Random(7))
    client = ZoomClient(
        account_id="acct-1",
        client_id="client-1",
        client_secret="zoom-client-secret",
        http_client=recorder.client(),
        sleep=time.sleep,
        clock=time.clock,
        **kwargs,
    )
    return client, recorder


def routee_with(api: Any, time: FakeTime, **kwargs: Any) -> tuple[RouteeClient, Recorder]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return json_response(200, {"access_token": "routee-token", "expires_in": 3600})
        result: httpx.Response = api(request)
        return result

    recorder = Recorder(handler, time)
    client = RouteeClient(
        app_id="app-1",
        app_secret="routee-app-secret",
        http_client=recorder.client(),
        sleep=time.sleep,
        clock=time.clock,
        rate_limit=None,
        rng=random.Random(7),
        **kwargs,
    )
    return client, recorder


async def history(client: ZoomClient) -> list[Any]:
    return await client.phone.sms_sessions.get("sess-1").collect()


def api_requests(recorder: Recorder) -> list[httpx.Request]:
    return [r for r in recorder.requests if r.url.path != "/oauth/token"]


# -- connection errors


async def test_connection_errors_are_retried_with_backoff(fake_time: FakeTime) -> None:
    api = script(
        httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), json_response(200, HISTORY_PAGE)
    )
    zoom, recorder = zoom_with(api, fake_time)
    messages = await history(zoom)
    assert [m.message_id for m in messages] == ["m1"]
    assert len(api_requests(recorder)) == 3
    assert len(fake_time.sleeps) == 2


async def test_connection_errors_exhaust_the_retries(fake_time: FakeTime) -> None:
    zoom, recorder = zoom_with(
        script(httpx.ConnectError("down")), fake_time, retry=RetryPolicy(max_retries=2)
    )
    with pytest.raises(zoom_errors.Unavailable) as caught:
        await history(zoom)
    assert isinstance(caught.value, errors.Unavailable) and isinstance(caught.value, zoom_errors.ZoomError)
    assert len(api_requests(recorder)) == 3
    assert "Zoom" in str(caught.value)


async def test_read_timeout_on_a_read_is_retried(fake_time: FakeTime) -> None:
    zoom, recorder = zoom_with(script(httpx.ReadTimeout("slow"), json_response(200, HISTORY_PAGE)), fake_time)
    assert len(await history(zoom)) == 1
    assert len(api_requests(recorder)) == 2


# -- 408 / 429 / 5xx


async def test_429_408_and_5xx_are_retried_exactly(fake_time: FakeTime) -> None:
    api = script(
        json_response(429, {"code": 429, "message": "You have reached the maximum per-second rate limit."}),
        json_response(503, {"code": 503, "message": "busy"}),
        httpx.Response(408),
        json_response(500, {}),
        json_response(200, HISTORY_PAGE),
    )
    zoom, recorder = zoom_with(api, fake_time, retry=RetryPolicy(max_retries=4))
    assert len(await history(zoom)) == 1
    assert len(api_requests(recorder)) == 5
    assert len(fake_time.sleeps) == 4


async def test_5xx_that_never_ends_raises_unavailable_with_the_status(fake_time: FakeTime) -> None:
    zoom, recorder = zoom_with(script(httpx.Response(502, text="<html>bad gateway</html>")), fake_time)
    with pytest.raises(errors.Unavailable) as caught:
        await history(zoom)
    assert caught.value.status == 502
    assert len(api_requests(recorder)) == RetryPolicy().max_retries + 1


async def test_4xx_is_not_retried(fake_time: FakeTime) -> None:
    api = script(
        json_response(400, {"code": 300, "message": "The requested report exceeds the 1-month limit."})
    )
    zoom, recorder = zoom_with(api, fake_time)
    with pytest.raises(zoom_errors.InvalidRequest) as caught:
        await history(zoom)
    assert caught.value.code == 300 and caught.value.status == 400
    assert str(caught.value) == "The requested report exceeds the 1-month limit."
    assert len(api_requests(recorder)) == 1


@pytest.mark.parametrize("code", [1001, 1201])
async def test_zoom_404_codes_map_to_not_found(fake_time: FakeTime, code: int) -> None:
    zoom, _ = zoom_with(script(json_response(404, {"code": code, "message": "does not exist"})), fake_time)
    with pytest.raises(errors.NotFound) as caught:
        await history(zoom)
    assert isinstance(caught.value, zoom_errors.NotFound) and caught.value.code == code


async def test_zoom_validation_errors_keep_their_details(fake_time: FakeTime) -> None:
    body = {"code": 300, "message": "Validation Failed.", "errors": [{"field": "from", "message": "bad"}]}
    zoom, _ = zoom_with(script(json_response(400, body)), fake_time)
    with pytest.raises(errors.InvalidRequest) as caught:
        await history(zoom)
    assert caught.value.details == [{"field": "from", "message": "bad"}]


async def test_zoom_missing_scopes_is_an_auth_error(fake_time: FakeTime) -> None:
    zoom, recorder = zoom_with(
        script(json_response(400, {"code": 4700, "message": "Missing scopes"})), fake_time
    )
    with pytest.raises(errors.AuthError):
        await history(zoom)
    assert len(api_requests(recorder)) == 1


# -- Retry-After


async def test_retry_after_in_seconds(fake_time: FakeTime) -> None:
    api = script(json_response(429, {}, headers={"Retry-After": "7"}), json_response(200, HISTORY_PAGE))
    zoom, _ = zoom_with(api, fake_time)
    await history(zoom)
    assert fake_time.sleeps == [7.0]


async def test_retry_after_as_an_http_date(fake_time: FakeTime) -> None:
    when = email.utils.formatdate(fake_time.now + 12, usegmt=True)
    api = script(json_response(503, {}, headers={"Retry-After": when}), json_response(200, HISTORY_PAGE))
    zoom, _ = zoom_with(api, fake_time)
    await history(zoom)
    assert fake_time.sleeps == [pytest.approx(12.0, abs=1.0)]


async def test_retry_after_as_an_iso_date(fake_time: FakeTime) -> None:
    when = datetime.fromtimestamp(fake_time.now + 12, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    api = script(json_response(429, {}, headers={"Retry-After": when}), json_response(200, HISTORY_PAGE))
    zoom, _ = zoom_with(api, fake_time)  # 12 s fits in the default 20 s deadline
    await history(zoom)
    assert fake_time.sleeps == [pytest.approx(12.0, abs=1.0)]


async def test_retry_after_longer_than_the_cap_is_not_waited_for(fake_time: FakeTime) -> None:
    api = script(json_response(429, {"message": "slow down"}, headers={"Retry-After": "3600"}))
    zoom, recorder = zoom_with(api, fake_time, retry=RetryPolicy(retry_after_max=60))
    with pytest.raises(errors.RateLimited) as caught:
        await history(zoom)
    assert caught.value.retry_after == 3600.0 and caught.value.daily is False
    assert fake_time.sleeps == []
    assert len(api_requests(recorder)) == 1


def test_parse_retry_after_forms() -> None:
    now = 1_000_000.0
    assert parse_retry_after("5", now) == 5.0
    assert parse_retry_after(" 2.5 ", now) == 2.5
    assert parse_retry_after("-3", now) == 0.0
    assert parse_retry_after(email.utils.formatdate(now + 90, usegmt=True), now) == pytest.approx(90, abs=1)
    iso = datetime.fromtimestamp(now + 45, UTC).isoformat()
    assert parse_retry_after(iso, now) == pytest.approx(45, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 90, usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("nan", now) is None


# -- backoff


async def test_backoff_doubles_and_is_capped(fake_time: FakeTime) -> None:
    policy = RetryPolicy(max_retries=6, backoff_base=1.0, backoff_max=2.5)
    zoom, recorder = zoom_with(script(httpx.Response(500)), fake_time, retry=policy, rng=MaxJitter())
    with pytest.raises(errors.Unavailable):
        await history(zoom)
    assert fake_time.sleeps == [1.0, 2.0, 2.5, 2.5, 2.5, 2.5]
    assert len(api_requests(recorder)) == 7


async def test_backoff_uses_full_jitter_below_the_cap(fake_time: FakeTime) -> None:
    policy = RetryPolicy(max_retries=8, backoff_base=0.5, backoff_max=4.0)
    zoom, _ = zoom_with(script(httpx.ConnectError("down")), fake_time, retry=policy, rng=random.Random(1))
    with pytest.raises(errors.Unavailable):
        await history(zoom)
    assert len(fake_time.sleeps) == 8
    for attempt, delay in enumerate(fake_time.sleeps):
        assert 0.0 <= delay <= min(4.0, 0.5 * 2**attempt)
    assert len(set(fake_time.sleeps)) > 1  # jittered, not a fixed schedule


# -- daily limits


async def test_daily_limit_429_is_not_retried_and_waits_until_midnight_utc(fake_time: FakeTime) -> None:
    body = {"code": 429, "message": "You have reached the maximum daily rate limit for this API."}
    zoom, recorder = zoom_with(script(json_response(429, body)), fake_time)
    with pytest.raises(zoom_errors.RateLimited) as caught:
        await history(zoom)
    now = datetime.fromtimestamp(fake_time.now, UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    assert caught.value.daily is True
    assert caught.value.retry_after == pytest.approx((midnight - now).total_seconds())
    assert len(api_requests(recorder)) == 1 and fake_time.sleeps == []


async def test_daily_limit_is_also_recognised_from_the_header(fake_time: FakeTime) -> None:
    response = json_response(
        429, {"code": 429, "message": "Too many requests"}, {"X-RateLimit-Type": "Daily-limit"}
    )
    zoom, recorder = zoom_with(script(response), fake_time)
    with pytest.raises(errors.RateLimited) as caught:
        await history(zoom)
    assert caught.value.daily and len(api_requests(recorder)) == 1


def test_seconds_until_midnight() -> None:
    assert seconds_until_utc_midnight(datetime(2024, 6, 10, 23, 59, 0, tzinfo=UTC).timestamp()) == 60.0
    assert seconds_until_utc_midnight(datetime(2024, 6, 10, tzinfo=UTC).timestamp()) == 86400.0


# -- non-idempotent sends


async def test_send_is_not_repeated_after_a_read_timeout(fake_time: FakeTime) -> None:
    routee, recorder = routee_with(script(httpx.ReadTimeout("no answer")), fake_time)
    with pytest.raises(routee_errors.OutcomeUnknown) as caught:
        await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    assert isinstance(caught.value, errors.OutcomeUnknown) and isinstance(caught.value, errors.ProviderError)
    assert len(recorder.to("/sms")) == 1
    assert fake_time.sleeps == []


async def test_send_is_not_repeated_after_a_dropped_connection(fake_time: FakeTime) -> None:
    routee, recorder = routee_with(script(httpx.RemoteProtocolError("peer closed")), fake_time)
    with pytest.raises(errors.OutcomeUnknown):
        await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    assert len(recorder.to("/sms")) == 1


async def test_send_is_retried_after_a_connect_error(fake_time: FakeTime) -> None:
    routee, recorder = routee_with(script(httpx.ConnectError("refused"), json_response(200, SENT)), fake_time)
    sent = await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    assert sent.tracking_id == "t-1" and sent.status == "Queued"
    assert len(recorder.to("/sms")) == 2


async def test_send_is_retried_after_a_429(fake_time: FakeTime) -> None:
    routee, recorder = routee_with(
        script(json_response(429, {}, {"Retry-After": "1"}), json_response(200, SENT)), fake_time
    )
    await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    assert len(recorder.to("/sms")) == 2 and fake_time.sleeps == [1.0]


async def test_send_answered_5xx_is_outcome_unknown_and_not_repeated(fake_time: FakeTime) -> None:
    routee, recorder = routee_with(script(json_response(502, {})), fake_time)
    with pytest.raises(errors.OutcomeUnknown) as caught:
        await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    assert caught.value.status == 502
    assert len(recorder.to("/sms")) == 1


async def test_livevox_agent_send_is_not_repeated_after_a_read_timeout(fake_time: FakeTime) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/session/login"):
            return json_response(200, {"sessionId": "lv-session-1", "userId": 1, "clientId": 2})
        raise httpx.ReadTimeout("no answer", request=request)

    recorder = Recorder(handler, fake_time)
    livevox = LiveVoxClient(
        access_token="lv-access",
        client_name="acme",
        username="agent1",
        password="lv-password",
        agent=True,
        http_client=recorder.client(),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    with pytest.raises(lv_errors.OutcomeUnknown):
        await livevox.messages.send("13345094836", "4154164061", "hello", account="1213")
    assert len(recorder.to("/agent/message/send")) == 1


# -- lifecycle


async def test_a_passed_http_client_is_left_open_and_a_created_one_is_closed(fake_time: FakeTime) -> None:
    zoom, _ = zoom_with(script(json_response(200, HISTORY_PAGE)), fake_time)
    async with zoom as entered:
        assert entered is zoom
        await history(zoom)
    assert not zoom._http.is_closed
    await zoom._http.aclose()

    own = RouteeClient(app_id="a", app_secret="b")
    async with own:
        pass
    assert own._http.is_closed
    await own.aclose()  # idempotent


# -- unreadable 2xx answers


async def test_a_truncated_answer_to_a_read_is_retried(fake_time: FakeTime) -> None:
    truncated = httpx.Response(
        200, content=b'{"next_page_token": "", "sms_hist', headers={"Content-Type": "application/json"}
    )
    zoom, recorder = zoom_with(script(truncated, json_response(200, HISTORY_PAGE)), fake_time)
    assert len(await history(zoom)) == 1
    assert len(api_requests(recorder)) == 2


async def test_a_truncated_answer_to_a_send_is_outcome_unknown(fake_time: FakeTime) -> None:
    truncated = httpx.Response(
        200, content=b'{"trackingId": "t-', headers={"Content-Type": "application/json"}
    )
    routee, recorder = routee_with(script(truncated), fake_time)
    with pytest.raises(errors.OutcomeUnknown, match="could not be read"):
        await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    assert len(recorder.to("/sms")) == 1


async def test_an_empty_204_is_fine(fake_time: FakeTime) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/session/login"):
            return json_response(200, {"sessionId": "lv-session-1"})
        return httpx.Response(204)

    recorder = Recorder(handler, fake_time)
    livevox = LiveVoxClient(
        access_token="a",
        client_name="c",
        username="u",
        password="p",
        agent=True,
        http_client=recorder.client(),
    )
    await livevox.messages.mark_read("1", "2")
    assert len(recorder.requests) == 2


async def test_a_url_that_is_not_http_fails_at_once() -> None:
    routee = RouteeClient(app_id="a", app_secret="b", token_url="ftp://auth.example/token", rate_limit=None)
    with pytest.raises(routee_errors.RouteeError, match="not an http"):
        await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    await routee.aclose()
