"""What every API area shares: one request path and one way to page."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime, tzinfo
from typing import Any, Protocol, TypeVar

import msgspec

from .._clock import GatewayClock
from .._dates import add_months, to_gateway, wire_minute
from .._operation import Operation
from .._paging import MAX_PAGE_SIZE, AsyncPaginator
from .._rules import PageIndex, PageSize
from ..errors import ValidationError
from ..models import ListData, Page

__all__ = ["Body", "Caller", "PagedBody", "Resource"]

T = TypeVar("T")


class Body(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Base of request bodies: fields left at their default (``None``) are not sent."""


class PagedBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    """A list request; the paginator fills in the page."""

    page_index: PageIndex | None = msgspec.field(default=None, name="pageIndex")
    page_size: PageSize | None = msgspec.field(default=None, name="pageSize")


P = TypeVar("P", bound=PagedBody)


class Caller(Protocol):
    """All a resource needs of the client: one call path and the gateway's clock (and, for
    workflows built on the public API such as ``sms.send_bulk``, the public client)."""

    clock: GatewayClock
    client: Any

    async def call(self, op: Operation[T], body: msgspec.Struct | None = None) -> T: ...


class Resource:
    """One API area (``client.sms``, ``client.contact``...), bound to a client's calls."""

    def __init__(self, calls: Caller) -> None:
        self._calls = calls
        self._clock = calls.clock
        # The call path itself rather than a method around it: one coroutine frame less on
        # every call (the per-call overhead is counted in instructions, see benchmarks/).
        self._call = calls.call

    @property
    def _tz(self) -> tzinfo:
        return self._clock.tz

    def _date(self, value: datetime | None, field: str) -> str | None:
        if value is None:
            return None
        return wire_minute(value, self._clock.tz, field)

    def _date_range(
        self, start: datetime | None, finish: datetime | None, *, max_months: int | None = None
    ) -> tuple[str | None, str | None]:
        """``start_date`` and ``finish_date`` for the wire, checked: in order, and at most
        ``max_months`` apart (an open end counts as now)."""
        tz = self._clock.tz
        first = None if start is None else to_gateway(start, tz, "start_date")
        last = None if finish is None else to_gateway(finish, tz, "finish_date")
        if first is not None and last is not None and first > last:
            raise ValidationError("start_date is after finish_date", field="start_date")
        too_long = (
            max_months is not None
            and first is not None
            and (last or self._server_now()) > add_months(first, max_months)
        )
        if too_long:
            raise ValidationError(
                f"the period may not exceed {max_months} months", field="finish_date"
            )
        return self._date(start, "start_date"), self._date(finish, "finish_date")

    def _server_now(self) -> datetime:
        """The gateway's current time, as its latest answer told it."""
        return self._clock.now()

    def _paginate(
        self,
        op: Operation[ListData[T]],
        body: P | Callable[[], P],
        *,
        page_size: int = MAX_PAGE_SIZE,
        page_index: int = 0,
        limit: int | None = None,
        key: Callable[[T], Hashable] | None = None,
        watermark: Callable[[T], int] | None = None,
        concurrency: int = 1,
    ) -> AsyncPaginator[T]:
        """A paginator that sends ``body`` with the page fields set, one request per page.

        ``body`` may be a function: it is called once, when the first page is fetched (for
        bounds that must be fixed when a walk begins, not when the paginator is made).
        ``watermark`` (a record's id, strictly descending along the list) makes walks exact
        while records are inserted; ``concurrency`` is the number of pages in flight at once.
        """
        resolved: list[P] = []

        async def fetch(index: int, size: int) -> Page[T]:
            if not resolved:
                resolved.append(body() if callable(body) else body)
            page_body = msgspec.structs.replace(resolved[0], page_index=index, page_size=size)
            data = await self._call(op, page_body)
            return Page(data.items or [], data.stats.total_record, index, size)

        return AsyncPaginator(
            fetch,
            page_size=page_size,
            page_index=page_index,
            limit=limit,
            key=key,
            watermark=watermark,
            concurrency=concurrency,
        )
