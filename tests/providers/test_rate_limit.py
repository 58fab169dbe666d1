"""Client-side rate limits: token buckets per (provider, account, label), shared across instances."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

import httpx
import pytest

from bot.providers import RateLimit, RateLimiterRegistry, RateWaitsExcluded, errors
from bot.providers._http import RateWindow
from bot.providers.livevox import LiveVoxClient
from bot.providers.zoom import ZoomClient
from tests.providers.provider_support import FakeTime, Recorder, json_response

PAGE = {"next_page_token": "", "sms": [{"engagement_id": "e"}]}


def zoom_recorder(time: FakeTime) -> Recorder:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return json_response(200, {"access_token": "zoom-token", "expires_in": 3600})
        return json_response(200, PAGE)

    return Recorder(handler, time)


def zoom(recorder: Recorder, time: FakeTime, account: str = "acct-1", **kwargs: Any) -> ZoomClient:
    return ZoomClient(
        account_id=account,
        client_id="c",
        client_secret="s",
        http_client=recorder.client(),
        sleep=time.sleep,
        clock=time.clock,
        rng=random.Random(1),
        **kwargs,
    )


def api_times(recorder: Recorder) -> list[float]:
    return [t for r, t in zip(recorder.requests, recorder.times, strict=True) if r.url.path != "/oauth/token"]


def max_in_any_window(times: list[float], width: float = 1.0) -> int:
    return max(sum(1 for t in times if start <= t < start + width) for start in times)


async def test_heavy_calls_stay_under_five_per_second_on_pro(fake_time: FakeTime) -> None:
    recorder = zoom_recorder(fake_time)
    client = zoom(recorder, fake_time)
    for _ in range(23):
        await client.contact_center.sms.list().collect()
    times = api_times(recorder)
    assert len(times) == 23
    assert max_in_any_window(times) <= 5
    # Five at once, then five more each window (1.05 s: the 5% margin): no slower than that needs.
    assert times[-1] - times[0] == pytest.approx((22 // 5) * 1.05)


async def test_medium_calls_on_business_allow_twenty_per_second(fake_time: FakeTime) -> None:
    recorder = zoom_recorder(fake_time)
    client = zoom(recorder, fake_time, plan="business")
    for _ in range(45):
        await client.phone.sms_sessions.list().collect()
    times = api_times(recorder)
    assert max_in_any_window(times) <= 20 and times[-1] - times[0] == pytest.approx((44 // 20) * 1.05)


async def test_two_clients_for_the_same_account_share_the_budget(fake_time: FakeTime) -> None:
    recorder = zoom_recorder(fake_time)
    first, second = zoom(recorder, fake_time), zoom(recorder, fake_time)
    other_account = zoom(recorder, fake_time, account="acct-2")
    for _ in range(10):
        await first.contact_center.sms.list().collect()
        await second.contact_center.voice_calls.list().collect()  # also HEAVY: same bucket
    times = api_times(recorder)
    assert max_in_any_window(times) <= 5 and len(times) == 20
    slept = len(fake_time.sleeps)
    await other_account.contact_center.sms.list().collect()  # another account: its own bucket
    assert len(fake_time.sleeps) == slept


async def test_overrides_and_a_private_registry(fake_time: FakeTime) -> None:
    recorder = zoom_recorder(fake_time)
    registry = RateLimiterRegistry()
    client = zoom(
        recorder,
        fake_time,
        rate_limits={"heavy": RateLimit(per_second=2, burst=2)},
        limiter_registry=registry,
    )
    for _ in range(10):
        await client.contact_center.sms.list().collect()
    times = api_times(recorder)
    assert times[1] == times[0]  # a burst of two
    assert max_in_any_window(times) <= 2  # no second, however placed, holds more than the rate
    assert times[-1] - times[0] == pytest.approx(8 * 1.05 / 2)  # 8 more at 2/s, less the 5% margin


async def test_client_side_daily_budget_raises_without_a_request(fake_time: FakeTime) -> None:
    recorder = zoom_recorder(fake_time)
    client = zoom(recorder, fake_time, rate_limits={"heavy": RateLimit(per_second=None, per_day=3)})
    for _ in range(3):
        await client.contact_center.sms.list().collect()
    with pytest.raises(errors.RateLimited) as caught:
        await client.contact_center.sms.list().collect()
    assert caught.value.daily is True and caught.value.retry_after is not None
    assert len(api_times(recorder)) == 3
    fake_time.advance(caught.value.retry_after + 1)  # a new UTC day
    await client.contact_center.sms.list().collect()
    assert len(api_times(recorder)) == 4


async def test_livevox_limit_is_configurable_and_defaults_to_a_guess(fake_time: FakeTime) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return json_response(200, {"sessionId": "s"})
        return json_response(200, {"listSmsCodes": []})

    recorder = Recorder(handler, fake_time)
    kwargs: dict[str, Any] = {
        "access_token": "a",
        "client_name": "c",
        "username": "u",
        "password": "p",
        "agent": True,
    }
    assert LiveVoxClient(**kwargs).rate_limits == {"default": RateLimit(per_second=20, burst=20)}
    assert LiveVoxClient(**kwargs, rate_limit=None).rate_limits == {"default": None}
    client = LiveVoxClient(
        **kwargs,
        rate_limit=RateLimit(per_second=4),
        http_client=recorder.client(),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    for _ in range(12):
        await client.sms.codes()
    times = recorder.times  # the login counts against the same budget
    assert max_in_any_window(times) <= 4 and len(times) == 13


def test_concurrent_reservations_are_spaced_evenly() -> None:
    bucket = RateWindow(RateLimit(per_second=5, margin=0.0))
    waits = [bucket.reserve(100.0) for _ in range(10)]
    assert waits == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8])
    assert bucket.reserve(103.0) == 0.0  # the debt is paid back over time


async def test_concurrent_callers_through_a_client_are_spaced(fake_time: FakeTime) -> None:
    """Twenty calls at once: five leave at once, five more each window; never six in one second."""
    scheduled: list[float] = []

    async def sleep(seconds: float) -> None:  # does not move the clock: all callers wait in parallel
        scheduled.append(fake_time.now + seconds)
        await asyncio.sleep(0)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return json_response(200, {"access_token": "zoom-token", "expires_in": 3600})
        return json_response(200, PAGE)

    recorder = Recorder(handler)
    client = ZoomClient(
        account_id="acct-c",
        client_id="c",
        client_secret="s",
        http_client=recorder.client(),
        sleep=sleep,
        clock=fake_time.clock,
    )
    await asyncio.gather(*(client.contact_center.sms.list().collect() for _ in range(20)))
    api_calls = sum(1 for r in recorder.requests if r.url.path != "/oauth/token")
    send_times = sorted([fake_time.now] * (api_calls - len(scheduled)) + scheduled)  # no wait: no sleep
    assert len(send_times) == 20
    assert max_in_any_window(send_times) <= 5
    assert send_times[-1] - send_times[0] == pytest.approx((19 // 5) * 1.05)


def test_rate_limit_validation() -> None:
    with pytest.raises(ValueError, match="per_second"):
        RateLimit(per_second=0)
    with pytest.raises(ValueError, match="burst"):
        RateLimit(per_second=1, burst=0)
    with pytest.raises(ValueError, match="per_day"):
        RateLimit(per_second=1, per_day=0)


def test_the_margin_keeps_headroom_below_the_documented_rate() -> None:
    # Spaced 0.21 s instead of 0.2 s: six sends span 1.05 s, so a provider's fixed one-second window
    # only sees a sixth when send-to-arrival jitter exceeds 50 ms.
    bucket = RateWindow(RateLimit(per_second=5))
    waits = [bucket.reserve(100.0) for _ in range(6)]
    assert waits == pytest.approx([0.0, 0.21, 0.42, 0.63, 0.84, 1.05])
    with pytest.raises(ValueError, match="margin"):
        RateLimit(per_second=5, margin=1.0)


def test_a_clock_that_went_back_does_not_make_callers_wait_for_it() -> None:
    """A wall-clock step back (or another clock reading the same budget) must not queue every call behind
    slots that lie in its future: the window starts afresh."""
    window = RateWindow(RateLimit(per_second=5, burst=5, margin=0.0))
    for _ in range(5):
        window.reserve(1_800_000_000.0)
    assert window.reserve(1_800_000_000.0) == pytest.approx(1.0)  # an honest queue still waits its turn
    assert window.reserve(1_700_000_000.0) == 0.0  # a year back: not a year's wait


async def test_a_request_that_wakes_too_late_for_its_slot_takes_another(
    fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    """Zoom HEAVY on Pro: five a window. Our call's slot is in the second window; while it sleeps, other
    callers take the rest of that window and all of the third. It wakes 300 ms late (a busy event loop):
    sent then, it would share one second with the whole third window (six: a 429). It takes a new slot."""
    registry = RateLimiterRegistry()
    recorder = zoom_recorder(fake_time)
    client = zoom(recorder, fake_time, limiter_registry=registry)
    key, limit = ("zoom", client._account_key, "heavy"), client._rate_limits["heavy"]
    others = [fake_time.now + await registry.reserve(key, limit, fake_time.now) for _ in range(5)]
    woken_late = False

    async def busy_sleep(seconds: float) -> None:
        nonlocal woken_late
        if not woken_late:  # the first sleep is our call's: the others queue meanwhile, then it wakes late
            others.extend(
                [fake_time.now + await registry.reserve(key, limit, fake_time.now) for _ in range(9)]
            )
            woken_late = True
            seconds += 0.3
        await fake_time.sleep(seconds)

    client._sleep = busy_sleep
    with caplog.at_level(logging.INFO, logger="switchboard.providers"):
        await client.contact_center.sms.list().first_page()
    (ours,) = api_times(recorder)
    assert max_in_any_window([*others, ours]) <= 5, sorted([*others, ours])
    assert ours == pytest.approx(others[0] + 3 * 1.05)  # the fourth window's first slot
    assert any("late for its send slot" in r.getMessage() for r in caplog.records)


async def test_a_late_wake_up_from_a_rate_wait_is_not_the_providers_time() -> None:
    """`RateWaitsExcluded` moves a time budget by the rate waits, and by a wake-up that came late because
    the event loop was busy: neither is the provider being slow."""
    # A 0.5 s budget, so that the 0.1 s sleep inside it may itself wake up to 0.4 s late on a busy machine.
    async with asyncio.timeout(0.5) as budget:
        with RateWaitsExcluded(budget) as waits:
            waits.waiting(0.1)
            # The loop blocked (on purpose) past the wait and past the budget's first deadline.
            time.sleep(0.7)  # noqa: ASYNC251
            waits.waited()
            await asyncio.sleep(0.1)  # still inside the budget: 0.1 s of the provider's 0.5 s used
    with pytest.raises(TimeoutError):  # without `waited` the same block is charged to the provider
        async with asyncio.timeout(0.5) as budget:
            with RateWaitsExcluded(budget) as waits:
                waits.waiting(0.1)
                time.sleep(0.7)  # noqa: ASYNC251
                await asyncio.sleep(0.1)
