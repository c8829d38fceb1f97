"""AsyncPaginator: one page with ``await``, every item with ``async for``, one page ahead."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Hashable, Sequence
from typing import Generic, TypeVar

from .errors import ValidationError
from .models import Page

__all__ = ["AsyncPaginator", "PageFetcher", "check_page_args"]

T = TypeVar("T")

PageFetcher = Callable[[int, int], Awaitable[Page[T]]]
"""``fetch(page_index, page_size)`` → one page."""

MAX_PAGE_SIZE = 1000
MIN_PAGE_SIZE = 10


# Loop turns that put a just-started request on the wire: the fetch task's first step buffers
# the headers and, before Python 3.12, aiohttp writes the body from a task of its own.
_SEND_TURNS = 3


async def _let_request_out() -> None:
    """Let the prefetch send its request before the consumer gets the current page.

    Otherwise it would only go out at the consumer's first ``await``, and a consumer that
    works on a page synchronously (a blocking database driver, CPU-bound processing) would
    get no overlap at all.
    """
    for _ in range(_SEND_TURNS):
        await asyncio.sleep(0)


def check_page_args(page_size: int, page_index: int, limit: int | None) -> None:
    """Validate paging arguments before anything is sent."""
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise ValidationError("must be an int", field="page_size")
    if not MIN_PAGE_SIZE <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(
            f"must be between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE}, got {page_size}",
            field="page_size",
        )
    if isinstance(page_index, bool) or not isinstance(page_index, int) or page_index < 0:
        raise ValidationError("must be an int >= 0", field="page_index")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValidationError("must be an int >= 0", field="limit")


class AsyncPaginator(Generic[T]):
    """The result of every list method.

    - ``await paginator`` (or ``await paginator.first_page()``) fetches the first page, a
      :class:`~nodesms.Page`.
    - ``async for item in paginator`` walks every item across pages.
    - ``async for page in paginator.pages()`` walks pages.

    While you work on one page the next one is already being fetched (at most one page ahead),
    so memory stays at about two pages whatever the total and network time overlaps with your
    work. Items that a concurrent insert pushes across a page boundary are not yielded twice.
    Nothing is requested until you await or iterate.
    """

    def __init__(
        self,
        fetch: PageFetcher[T],
        *,
        page_size: int = MAX_PAGE_SIZE,
        page_index: int = 0,
        limit: int | None = None,
        key: Callable[[T], Hashable] | None = None,
    ) -> None:
        check_page_args(page_size, page_index, limit)
        if limit is not None and limit < page_size and page_index == 0:
            # Never fetch more than the caller will look at. (Not with a page_index: that
            # counts in pages of the size the caller gave.)
            page_size = max(MIN_PAGE_SIZE, limit)
        self._fetch = fetch
        self._page_size = page_size
        self._page_index = page_index
        self._limit = limit
        self._key = key

    def __await__(self) -> Generator[object, None, Page[T]]:
        return self._fetch(self._page_index, self._page_size).__await__()

    async def first_page(self) -> Page[T]:
        """Fetch the first page only (the same as ``await paginator``)."""
        return await self

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield pages in order, fetching the next while the caller handles the current one.

        With ``limit``, the last page is cut so that no more than ``limit`` items are yielded.
        """
        remaining = self._limit
        if remaining == 0:
            return
        index, size = self._page_index, self._page_size
        pending: asyncio.Future[Page[T]] | None = asyncio.ensure_future(self._fetch(index, size))
        seen: set[Hashable] = set()
        try:
            while pending is not None:
                page = await pending
                pending = None
                has_next = page.has_next and (remaining is None or remaining > len(page.items))
                if has_next:
                    pending = asyncio.ensure_future(self._fetch(index + 1, size))
                    await _let_request_out()
                items: Sequence[T] = page.items
                if self._key is not None:
                    key = self._key
                    items = [item for item in items if key(item) not in seen]
                    seen = {key(item) for item in page.items}
                if remaining is not None:
                    items = items[:remaining]
                    remaining -= len(items)
                if items is not page.items:
                    page = Page(items, page.total, page.page_index, page.page_size)
                yield page
                index += 1
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending

    async def __aiter__(self) -> AsyncIterator[T]:
        pages = self.pages()
        try:
            async for page in pages:
                for item in page.items:
                    yield item
        finally:
            await pages.aclose()  # type: ignore[attr-defined]

    async def to_list(self) -> list[T]:
        """Collect every item (mind the memory on large reports; prefer ``async for``)."""
        return [item async for item in self]
