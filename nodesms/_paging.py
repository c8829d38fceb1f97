"""AsyncPaginator: one page with ``await``, every item with ``async for``, pages ahead in flight.

A walk trusts the gateway no further than it can check. Every page is checked against what was
asked and against the total the gateway reported: a page larger than asked, a short page that
is not the last one (a gateway that caps ``pageSize``), the same page again at another index (a
gateway that ignores ``pageIndex``) or a run of pages that bring nothing new is a
:class:`~nodesms.ResponseError`, so a walk never loops forever and never ends early in silence.

Walks whose records carry a *watermark* (``/sms/list``: the package id, newest first) are exact
under any insert rate: what was inserted since the first page shifts the later pages by as many
records as the total grew, so each page is asked for where the next record now is, records at
or above the last one yielded are dropped, and a page that starts past the next record (a gap)
is fetched again from the right place.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Hashable, Sequence
from typing import Generic, TypeVar

import msgspec

from ._rules import PAGE_SIZE_MAX, PAGE_SIZE_MIN, PageIndex, PageSize, conform
from .errors import ResponseError, ValidationError
from .models import Page

__all__ = ["AsyncPaginator", "PageFetcher", "check_page_args"]

T = TypeVar("T")

PageFetcher = Callable[[int, int], Awaitable[Page[T]]]
"""``fetch(page_index, page_size)`` → one page."""

MAX_PAGE_SIZE = PAGE_SIZE_MAX
MIN_PAGE_SIZE = PAGE_SIZE_MIN
MAX_CONCURRENCY = 32

# Pages in a row that bring nothing new before the walk gives up on the gateway. Under heavy
# inserts a page may legitimately hold only records already yielded (it is then asked again
# from where the records now are); a gateway that ignores pageIndex does it every time.
_MAX_STALLED_PAGES = 4

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


def check_page_args(
    page_size: int, page_index: int, limit: int | None, concurrency: int = 1
) -> None:
    """Validate paging arguments before anything is sent."""
    conform(page_size, PageSize, "page_size")
    conform(page_index, PageIndex, "page_index")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValidationError("must be an int >= 0", field="limit")
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise ValidationError(f"must be an int from 1 to {MAX_CONCURRENCY}", field="concurrency")


_fingerprint_encoder = msgspec.msgpack.Encoder()


class AsyncPaginator(Generic[T]):
    """The result of every list method.

    - ``await paginator`` (or ``await paginator.first_page()``) fetches the first page, a
      :class:`~nodesms.Page` (with ``limit``, cut to at most ``limit`` items).
    - ``async for item in paginator`` walks every item across pages.
    - ``async for page in paginator.pages()`` walks pages.

    While you work on one page the next ``concurrency`` pages are already being fetched (one by
    default; with ``concurrency=k`` up to ``k`` at once, once the first page has told the
    total), so memory stays at about ``concurrency + 1`` pages whatever the total and network
    time overlaps with your work. Items are always yielded in order. Nothing is requested until
    you await or iterate.

    Raises (while walking):
        ResponseError: the gateway's pages contradict themselves: a page larger than asked, a
            short page before the end (it caps ``pageSize``), a page repeated at another
            index (it ignores ``pageIndex``), or pages that bring nothing new.
    """

    def __init__(
        self,
        fetch: PageFetcher[T],
        *,
        page_size: int = MAX_PAGE_SIZE,
        page_index: int = 0,
        limit: int | None = None,
        key: Callable[[T], Hashable] | None = None,
        watermark: Callable[[T], int] | None = None,
        concurrency: int = 1,
    ) -> None:
        check_page_args(page_size, page_index, limit, concurrency)
        if limit is not None and limit < page_size and page_index == 0:
            # Never fetch more than the caller will look at. (Not with a page_index: that
            # counts in pages of the size the caller gave.)
            page_size = max(MIN_PAGE_SIZE, limit)
        self._fetch = fetch
        self._page_size = page_size
        self._page_index = page_index
        self._limit = limit
        self._key = key
        self._watermark = watermark
        self._concurrency = concurrency

    def __await__(self) -> Generator[object, None, Page[T]]:
        return self._first_page().__await__()

    async def _first_page(self) -> Page[T]:
        page = await self._fetch(self._page_index, self._page_size)
        _check_size(page, self._page_size)
        limit = self._limit
        if limit is not None and len(page.items) > limit:
            page = Page(page.items[:limit], page.total, page.page_index, page.page_size)
        return page

    async def first_page(self) -> Page[T]:
        """Fetch the first page only (the same as ``await paginator``)."""
        return await self

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield pages in order, fetching the next ones while the caller handles the current.

        Each page holds only items not yielded before. With ``limit``, the last page is cut
        so that no more than ``limit`` items are yielded.
        """
        remaining = self._limit
        if remaining == 0:
            return
        size, fetch, key, mark = self._page_size, self._fetch, self._key, self._watermark
        pending: deque[tuple[int, asyncio.Future[Page[T]]]] = deque()
        next_index = self._page_index
        first_total: int | None = None
        rank = self._page_index * size  # position of the next item to yield, in the first view
        low: int | None = None  # the watermark of the last item yielded
        seen: set[Hashable] = set()  # without a watermark: the previous page's keys
        fingerprints: dict[int, int] = {}
        stalled = 0

        def schedule(total: int, shift: int) -> None:
            nonlocal next_index
            width = self._concurrency
            end = total if remaining is None else min(total, rank + shift + remaining)
            while len(pending) < width and next_index >= 0 and next_index * size < end:
                pending.append((next_index, asyncio.ensure_future(fetch(next_index, size))))
                next_index += 1

        def restart_at(index: int) -> None:
            nonlocal next_index
            for _, future in pending:
                future.cancel()
            pending.clear()
            next_index = index

        pending.append((next_index, asyncio.ensure_future(fetch(next_index, size))))
        next_index += 1
        yielded_a_page = False
        try:
            while pending:
                index, future = pending.popleft()
                page = await future
                _check_size(page, size)
                if first_total is None:
                    first_total = page.total
                shift = page.total - first_total if mark is not None else 0
                _check_fingerprint(fingerprints, page, key, index * size - shift)
                items: Sequence[T] = page.items
                reaches_end = index * size + len(items) >= page.total
                gap = False
                if mark is not None:
                    # The page starts at this position of the first view; past the next item
                    # to yield, records were missed: ask again.
                    gap = index * size - shift > rank
                    items = () if gap else _below(items, mark, low)
                elif key is not None:
                    fresh = [item for item in items if key(item) not in seen]
                    seen = {key(item) for item in page.items}
                    items = fresh if len(fresh) != len(items) else items
                if gap or not (items or reaches_end):
                    stalled += 1
                    if stalled >= _MAX_STALLED_PAGES:
                        raise ResponseError(
                            f"{stalled} pages in a row brought no new record (the gateway "
                            "ignores pageIndex, or the list changes faster than it can be "
                            "walked)",
                            http_status=None,
                        )
                    if mark is not None:
                        # Ask again where the next record is now, by the freshest total.
                        restart_at((rank + shift) // size)
                    schedule(page.total, shift)
                    continue
                stalled = 0
                if remaining is not None:
                    items = items[:remaining]
                    remaining -= len(items)
                rank += len(items)
                if mark is not None and items:
                    low = mark(items[-1])
                if reaches_end or remaining == 0:
                    restart_at(-1)
                else:
                    if mark is not None and not pending:
                        # Where the next page must start now that the list may have grown.
                        next_index = (rank + shift) // size
                    schedule(page.total, shift)
                    if pending:
                        await _let_request_out()
                if items or not yielded_a_page:
                    if items is not page.items:
                        page = Page(items, page.total, page.page_index, page.page_size)
                    yielded_a_page = True
                    yield page
        finally:
            for _, future in pending:
                future.cancel()
            for _, future in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await future

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


def _check_size(page: Page[T], size: int) -> None:
    """A page holds at most what was asked, and fewer only at the end of the list."""
    count = len(page.items)
    if count > size:
        raise ResponseError(
            f"the gateway answered {count} records for pageSize={size}", http_status=None
        )
    if count < size and page.page_index * size + count < page.total:
        raise ResponseError(
            f"the gateway answered {count} records for pageSize={size} on page "
            f"{page.page_index} while it reports {page.total} in all: it caps the page "
            f"size; pass page_size={max(MIN_PAGE_SIZE, count)} or less",
            http_status=None,
        )


def _check_fingerprint(
    fingerprints: dict[int, int],
    page: Page[T],
    key: Callable[[T], Hashable] | None,
    position: int,
) -> None:
    """Refuse a page whose records are exactly those of a page at another position.

    ``position`` is where the page starts in the walk's first view of the list (its index
    times the page size, less what was inserted above since): the same records at two
    positions mean the gateway ignores ``pageIndex``.
    """
    if not page.items:
        return
    if key is not None:
        fingerprint = hash(tuple(key(item) for item in page.items))
    else:
        fingerprint = hash(_fingerprint_encoder.encode(page.items))
    first_seen = fingerprints.setdefault(fingerprint, position)
    if first_seen != position:
        raise ResponseError(
            f"the gateway answered page {page.page_index} with records it gave for another "
            "page: it ignores pageIndex",
            http_status=None,
        )


def _below(items: Sequence[T], mark: Callable[[T], int], low: int | None) -> Sequence[T]:
    """The items under the watermark ``low`` (those at or above it were yielded already),
    checking that the page comes strictly descending."""
    start = 0
    previous: int | None = None
    for item in items:
        value = mark(item)
        if previous is not None and value >= previous:
            raise ResponseError(
                "the gateway does not list the records newest first (an id repeats or rises "
                "within a page); the walk cannot be kept exact",
                http_status=None,
            )
        if low is not None and value >= low:
            start += 1
        previous = value
    return items[start:] if start else items
