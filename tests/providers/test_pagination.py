"""The generic pager: every record exactly once, in order, for any data set and page size; lazy fetching."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.providers._pagination import AsyncPager, cursor_pages
from bot.providers.zoom import ZoomClient
from tests.providers.provider_support import Recorder, json_response


def list_pager(data: list[Any], page_size: int, fetched: list[int]) -> AsyncPager[list[Any], Any]:
    async def fetch(cursor: int | None) -> list[Any]:
        offset = cursor or 0
        fetched.append(offset)
        await asyncio.sleep(0)
        return data[offset : offset + page_size]

    def next_cursor(page: list[Any], cursor: int | None) -> int | None:
        following = (cursor or 0) + page_size
        return following if len(page) == page_size and following < len(data) else None

    return AsyncPager(cursor_pages(fetch, next_cursor), lambda page: page)


@settings(max_examples=200, deadline=None)
@given(data=st.lists(st.integers() | st.text(max_size=3)), page_size=st.integers(min_value=1, max_value=40))
def test_pager_yields_every_record_exactly_once_in_order(data: list[Any], page_size: int) -> None:
    async def run() -> tuple[list[Any], list[list[Any]], list[int]]:
        fetched: list[int] = []
        pager = list_pager(data, page_size, fetched)
        items = [item async for item in pager]
        pages = [page async for page in pager.pages()]
        return items, pages, fetched

    items, pages, fetched = asyncio.run(run())
    assert items == data
    assert [item for page in pages for item in page] == data
    assert all(len(page) <= page_size for page in pages)
    expected_pages = max(1, -(-len(data) // page_size))
    assert len(fetched) == 2 * expected_pages


@settings(max_examples=100, deadline=None)
@given(
    data=st.lists(st.integers(), max_size=80),
    page_size=st.integers(min_value=1, max_value=15),
    limit=st.integers(min_value=0, max_value=100),
)
def test_collect_with_a_limit_fetches_no_page_it_does_not_need(
    data: list[int], page_size: int, limit: int
) -> None:
    fetched: list[int] = []
    collected = asyncio.run(list_pager(data, page_size, fetched).collect(limit=limit))
    assert collected == data[:limit]
    if limit == 0:
        needed = 0
    elif limit >= len(data):
        needed = max(1, -(-len(data) // page_size))  # every page (at least one, possibly empty)
    else:
        needed = -(-limit // page_size)  # up to the page holding item number `limit`
    assert len(fetched) == needed


@settings(max_examples=60, deadline=None)
@given(count=st.integers(min_value=0, max_value=120), page_size=st.integers(min_value=1, max_value=100))
def test_zoom_pages_through_any_data_set(count: int, page_size: int) -> None:
    """The same property through ZoomClient's next_page_token pager over HTTP."""
    records = [{"session_id": f"s{n}"} for n in range(count)]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return json_response(200, {"access_token": "zoom-token", "expires_in": 3600})
        size = int(request.url.params["page_size"])
        offset = int(request.url.params.get("next_page_token", "0"))
        following = offset + size
        return json_response(
            200,
            {
                "next_page_token": str(following) if following < count else "",
                "page_size": size,
                "sms_sessions": records[offset:following],
            },
        )

    async def run() -> list[str | None]:
        recorder = Recorder(handler)
        async with ZoomClient(
            account_id=f"acct-{random.random()}",
            client_id="c",
            client_secret="s",
            http_client=recorder.client(),
            rate_limits={"medium": None},
        ) as zoom:
            return [s.session_id async for s in zoom.phone.sms_sessions.list(page_size=page_size)]

    assert asyncio.run(run()) == [f"s{n}" for n in range(count)]


async def test_pager_is_lazy_and_restartable() -> None:
    fetched: list[int] = []
    pager = list_pager(list(range(10)), 3, fetched)
    assert fetched == []
    iterator = aiter(pager)
    assert await anext(iterator) == 0
    assert fetched == [0]
    assert await pager.first_page() == [0, 1, 2]
    assert [x async for x in pager] == list(range(10))
    assert (
        await AsyncPager(cursor_pages(_empty, lambda page, cursor: None), lambda page: page).collect() == []
    )


async def _empty(cursor: object) -> list[int]:
    return []
