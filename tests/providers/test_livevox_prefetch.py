"""LiveVoxClient: pages asked for together (`prefetch`) and the remembered inbox list (`max_age`)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.providers import RetryPolicy
from bot.providers.livevox import errors as lv_errors
from tests.providers.provider_support import FakeTime, json_response
from tests.providers.test_livevox import FakeLiveVox, paged

THREADS = "/livevox/sms/agent/thread/details"
MESSAGES = "/livevox/sms/agent/messages"
CHANNELS = "/livevox/sms/agent/channel"


async def test_prefetch_asks_for_the_next_page_before_the_current_one_is_answered() -> None:
    fake = FakeLiveVox()
    second_asked = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params["pagination"]
        if page == "1":
            # Answered only once page 2 is on its way: a one-at-a-time walk would wait here for ever.
            await asyncio.wait_for(second_asked.wait(), timeout=5)
            return json_response(200, [{"threadId": "1", "channel": "SMS"}])
        second_asked.set()
        return json_response(200, [])

    fake.routes[("GET", THREADS)] = handler
    lv = fake.client()
    threads = await lv.threads.list_all("94874", "SMS", personal=False, prefetch=2).collect()
    assert [t.thread_id for t in threads] == ["1"]
    assert sorted(c.url.params["pagination"] for c in fake.calls) == ["1", "2"]


async def test_a_failure_past_the_end_is_ignored_and_one_before_it_is_raised() -> None:
    fake = FakeLiveVox()

    def past_the_end(request: httpx.Request) -> httpx.Response:
        if request.url.params["pagination"] == "1":
            return json_response(200, [])
        return json_response(500, {"code": 500, "message": "boom"})

    fake.routes[("GET", MESSAGES)] = past_the_end
    lv = fake.client(retry=RetryPolicy(max_retries=0))
    assert await lv.messages.history_all(thread_id="t1", prefetch=2).collect() == []

    def before_the_end(request: httpx.Request) -> httpx.Response:
        if request.url.params["pagination"] == "2":
            return json_response(404, {"code": 404, "message": "Thread not found"})
        return json_response(200, [{"id": "m1", "message": "hi", "direction": "1"}])

    fake.routes[("GET", MESSAGES)] = before_the_end
    with pytest.raises(lv_errors.NotFound):
        await lv.messages.history_all(thread_id="t1", prefetch=2).collect()


async def test_prefetch_keeps_max_pages_and_the_repeated_page_stop() -> None:
    fake = FakeLiveVox()
    items = [{"id": str(n), "message": f"m{n}", "direction": "1"} for n in range(10)]
    fake.routes[("GET", MESSAGES)] = paged(items, 2)
    lv = fake.client()
    messages = await lv.messages.history_all(thread_id="t1", max_pages=3, prefetch=2).collect()
    assert [m.id for m in messages] == ["0", "1", "2", "3", "4", "5"] and len(fake.calls) == 3

    fake.recorder.requests.clear()
    fake.routes[("GET", MESSAGES)] = json_response(200, items[:2])  # the server ignores `pagination`
    assert len(await lv.messages.history_all(thread_id="t1", prefetch=3).collect()) == 2
    assert len(fake.calls) == 3


@settings(max_examples=30, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=40),
    size=st.integers(min_value=1, max_value=10),
    prefetch=st.integers(min_value=1, max_value=4),
)
def test_prefetch_yields_what_a_one_at_a_time_walk_yields(count: int, size: int, prefetch: int) -> None:
    async def run() -> tuple[list[int | str | None], int]:
        fake = FakeLiveVox()
        items = [{"threadId": str(n), "channel": "SMS"} for n in range(count)]
        fake.routes[("GET", THREADS)] = paged(items, size)
        async with fake.client() as lv:
            pager = lv.threads.list_all("94874", "SMS", prefetch=prefetch)
            return [t.thread_id async for t in pager], len(fake.calls)

    ids, calls = asyncio.run(run())
    assert ids == [str(n) for n in range(count)]
    pages_needed = -(-count // size) + 1  # the full pages and the empty one that ends the list
    assert pages_needed <= calls < pages_needed + prefetch  # at most prefetch - 1 asked past the end


async def test_channels_are_reused_within_max_age_only(fake_time: FakeTime) -> None:
    fake = FakeLiveVox(fake_time)
    listing = [{"channel": "SMS", "channelId": "94874", "channelName": "Personal SMS", "personal": True}]
    fake.routes[("GET", CHANNELS)] = json_response(200, listing)
    lv = fake.client(clock=fake_time.clock, sleep=fake_time.sleep)
    first = await lv.agent.channels(max_age=60)
    first.clear()  # a caller's list is its own: changing it does not change what is remembered
    assert [c.channel_id for c in await lv.agent.channels(max_age=60)] == ["94874"]
    assert len(fake.calls) == 1
    await lv.agent.channels()  # without max_age (inbox counts): always asked
    assert len(fake.calls) == 2
    fake_time.advance(61)
    await lv.agent.channels(max_age=60)
    assert len(fake.calls) == 3
    lv.agent.forget_channels()
    await lv.agent.channels(max_age=60)
    assert len(fake.calls) == 4 and len(fake.logins) == 1
