"""A lazy async pager shared by every provider client.

A list call returns an `AsyncPager` at once, without any request; pages are fetched one at a time as the
caller iterates::

    async for log in zoom.contact_center.sms.list(from_=date(2024, 1, 1), to=date(2024, 3, 31)):
        ...                                       # items, fetching further pages lazily
    async for page in pager.pages():              # whole pages (with totals, tokens, ...)
        ...
    first_50 = await pager.collect(limit=50)      # stops fetching once it has 50 items

Each iteration starts again from the first page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Generic, TypeVar

__all__ = ["AsyncPager", "cursor_pages"]

PageT = TypeVar("PageT")
ItemT = TypeVar("ItemT")
CursorT = TypeVar("CursorT")


class AsyncPager(Generic[PageT, ItemT]):
    """An `AsyncIterator` over the items of every page, fetching pages only when needed.

    Args:
        pages: a factory returning a fresh async iterator of pages (usually an async generator function).
        items: extracts the items from one page, in order.
    """

    def __init__(
        self,
        pages: Callable[[], AsyncIterator[PageT]],
        items: Callable[[PageT], Iterable[ItemT]],
    ) -> None:
        self._pages = pages
        self._items = items

    def pages(self) -> AsyncIterator[PageT]:
        """Iterate whole pages (each as the provider's page model), from the first."""
        return self._pages()

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self._iter_items()

    async def _iter_items(self) -> AsyncIterator[ItemT]:
        pages = self._pages()
        try:
            async for page in pages:
                for item in self._items(page):
                    yield item
        finally:
            await _aclose(pages)

    async def first_page(self) -> PageT | None:
        """Fetch only the first page (``None`` when there is none)."""
        pages = self._pages()
        try:
            async for page in pages:
                return page
            return None
        finally:
            await _aclose(pages)

    async def collect(self, limit: int | None = None) -> list[ItemT]:
        """All items as a list, or the first `limit` (fetching no page past the one holding the last)."""
        if limit is not None and limit < 0:
            raise ValueError("limit must be 0 or more")
        collected: list[ItemT] = []
        if limit == 0:
            return collected
        items = self._iter_items()
        try:
            async for item in items:
                collected.append(item)
                if limit is not None and len(collected) >= limit:
                    break
        finally:
            await _aclose(items)
        return collected


async def _aclose(iterator: AsyncIterator[object]) -> None:
    """Close an async generator left part-way (so its `finally` blocks run now, not at garbage collection)."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


def cursor_pages(
    fetch: Callable[[CursorT | None], Awaitable[PageT]],
    next_cursor: Callable[[PageT, CursorT | None], CursorT | None],
) -> Callable[[], AsyncIterator[PageT]]:
    """Build a page factory for cursor pagination.

    `fetch(None)` gets the first page; `next_cursor(page, cursor)` returns the cursor of the following page,
    or ``None`` when `page` was the last.
    """

    async def pages() -> AsyncIterator[PageT]:
        cursor: CursorT | None = None
        while True:
            page = await fetch(cursor)
            yield page
            cursor = next_cursor(page, cursor)
            if cursor is None:
                return

    return pages
