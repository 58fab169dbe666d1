"""A call's total deadline: connect, read, the login or token fetch, retries and their waits together.

Hanging transports use the real event loop (a handler that never answers) with deadlines of a fraction of
a second; waits are checked on the fake clock, which moves only when the client sleeps or a handler
says time passed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from bot.providers import RateLimit, RateLimiterRegistry, RetryPolicy, errors
from bot.providers.livevox import LiveVoxClient
from bot.providers.livevox import errors as lv_errors
from bot.providers.routee import errors as routee_errors
from bot.providers.zoom import errors as zoom_errors
from bot.services.failures import describe
from tests.providers.provider_support import FakeTime, Recorder, json_response
from tests.providers.test_http import HISTORY_PAGE, MaxJitter, api_requests, history, routee_with, zoom_with

LOGIN = {"sessionId": "lv-session-1", "userId": 1, "clientId": 2}


async def _forever(request: httpx.Request) -> httpx.Response:
    await asyncio.Event().wait()  # a provider that accepted the connection and never answers
    raise AssertionError("unreachable")


def _livevox(recorder: Recorder, fake_time: FakeTime | None = None, **kwargs: Any) -> LiveVoxClient:
    timing: dict[str, Any] = {"sleep": fake_time.sleep, "clock": fake_time.clock} if fake_time else {}
    return LiveVoxClient(
        access_token="lv-access",
        client_name="acme",
        username="agent1",
        password="lv-password",
        agent=True,
        http_client=recorder.client(),
        rate_limit=None,
        **timing,
        **kwargs,
    )


async def test_a_hanging_read_ends_within_the_deadline_as_did_not_answer_in_time() -> None:
    zoom, recorder = zoom_with(_forever, FakeTime(), deadline=0.3)
    started = time.monotonic()
    with pytest.raises(zoom_errors.DeadlineExceeded) as caught:
        await history(zoom)
    assert time.monotonic() - started < 2.0
    assert isinstance(caught.value, errors.Unavailable) and isinstance(caught.value, TimeoutError)
    assert len(api_requests(recorder)) == 1
    assert describe("Zoom", caught.value) == "Zoom did not answer in time; try again in a minute."


async def test_a_send_that_hangs_after_sending_ends_outcome_unknown_and_is_not_sent_again() -> None:
    routee, recorder = routee_with(_forever, FakeTime(), deadline=0.3)
    started = time.monotonic()
    with pytest.raises(routee_errors.OutcomeUnknown) as caught:
        await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    assert time.monotonic() - started < 2.0
    assert len(recorder.to("/sms")) == 1
    assert "may or may not" in str(caught.value) and "0.3 s" in str(caught.value)
    assert "may or may not have gone through" in describe("Routee", caught.value)


async def test_a_hanging_login_counts_against_the_call_and_the_send_is_never_sent() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/session/login"):
            return await _forever(request)
        return json_response(200, {"id": 1})

    recorder = Recorder(handler)
    livevox = _livevox(recorder, deadline=0.3)
    started = time.monotonic()
    with pytest.raises(lv_errors.DeadlineExceeded):
        await livevox.messages.send("13345094836", "4154164061", "hello", account="1213")
    assert time.monotonic() - started < 2.0  # one deadline for login and send, not one each
    assert recorder.to("/agent/message/send") == []  # nothing was sent, so it is not "outcome unknown"


async def test_time_spent_logging_in_leaves_less_for_the_call(fake_time: FakeTime) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/session/login"):
            fake_time.advance(21)  # a login answered after 21 s of a 20 s budget
            return json_response(200, LOGIN)
        return json_response(200, [])

    recorder = Recorder(handler, fake_time)
    livevox = _livevox(recorder, fake_time)
    with pytest.raises(lv_errors.DeadlineExceeded, match="within 20 s"):
        await livevox.agent.channels()
    assert len(recorder.to("/session/login")) == 1
    assert [r for r in recorder.requests if not r.url.path.endswith("/session/login")] == []


async def test_retry_after_longer_than_what_remains_is_not_slept(fake_time: FakeTime) -> None:
    def slow_429(request: httpx.Request) -> httpx.Response:
        fake_time.advance(10)  # the 429 itself took 10 s: 10 s of the 20 s remain
        return json_response(429, {"message": "slow down"}, headers={"Retry-After": "15"})

    zoom, recorder = zoom_with(slow_429, fake_time)
    with pytest.raises(zoom_errors.RateLimited) as caught:
        await history(zoom)
    assert caught.value.retry_after == pytest.approx(15.0)  # the caller may tell the person when
    assert fake_time.sleeps == []
    assert len(api_requests(recorder)) == 1


async def test_retry_after_that_fits_is_still_honoured(fake_time: FakeTime) -> None:
    answers = iter([json_response(429, {}, headers={"Retry-After": "5"}), json_response(200, HISTORY_PAGE)])
    zoom, recorder = zoom_with(lambda request: next(answers), fake_time)
    assert len(await history(zoom)) == 1
    assert fake_time.sleeps == [5.0] and len(api_requests(recorder)) == 2


async def test_retries_stop_at_the_deadline_not_at_max_retries(fake_time: FakeTime) -> None:
    def refused_slowly(request: httpx.Request) -> httpx.Response:
        fake_time.advance(8)  # each connect attempt gives up after 8 s
        raise httpx.ConnectTimeout("slow", request=request)

    zoom, recorder = zoom_with(refused_slowly, fake_time, retry=RetryPolicy(max_retries=10), rng=MaxJitter())
    with pytest.raises(zoom_errors.DeadlineExceeded):
        await history(zoom)
    # 0 → 8 s, wait 0.5, 8.5 → 16.5 s, wait 1, 17.5 → 25.5 s: the next wait would end past 20 s.
    assert len(api_requests(recorder)) == 3
    assert fake_time.sleeps == [0.5, 1.0]


async def test_each_attempt_is_given_only_what_remains(fake_time: FakeTime) -> None:
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        fake_time.advance(15)
        return json_response(503, {})

    zoom, _ = zoom_with(handler, fake_time, rng=MaxJitter(), retry=RetryPolicy(backoff_base=0.5))
    with pytest.raises(zoom_errors.Unavailable):
        await history(zoom)
    first, second = seen
    # The HTTP client's own timeouts (httpx's 5 s) while they fit, then what is left: 20 - 15 - 0.5 s.
    assert first == {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    assert second == pytest.approx({"connect": 4.5, "read": 4.5, "write": 4.5, "pool": 4.5})


async def test_waiting_for_the_clients_own_rate_budget_does_not_count(fake_time: FakeTime) -> None:
    """The limiter's wait is Switchboard's pacing, not the provider being slow: the call still runs."""
    slow_lane = {"medium": RateLimit(per_second=0.04), "heavy": None, "light": None}  # one per 25 s
    zoom, recorder = zoom_with(
        lambda request: json_response(200, HISTORY_PAGE),
        fake_time,
        rate_limits=slow_lane,
        limiter_registry=RateLimiterRegistry(),
    )
    await history(zoom)
    await history(zoom)  # waits ~26 s for its slot, more than the whole 20 s deadline
    assert fake_time.sleeps == [pytest.approx(25 * 1.05)]
    assert len(api_requests(recorder)) == 2


async def test_no_deadline_when_asked_for_none(fake_time: FakeTime) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        fake_time.advance(60)
        return json_response(200, HISTORY_PAGE)

    zoom, _ = zoom_with(slow, fake_time, deadline=None)
    assert len(await history(zoom)) == 1


def test_a_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError, match="deadline"):
        zoom_with(lambda request: json_response(200, {}), FakeTime(), deadline=0)
