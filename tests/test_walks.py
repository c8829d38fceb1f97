"""Walks that defend themselves, stay exact under inserts, and run pages concurrently.

The lying gateways are small aiohttp servers of our own on 127.0.0.1; the insert-rate walks run
against the embedded gateway.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import anyio
import pytest
from aiohttp import web
from hostile import web_server

import nodesms
from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio

ONCE = nodesms.RetryPolicy(max_attempts=1)


class PagingGateway:
    """``/sms/list`` and ``/sms/list-sender`` over ``records`` packages, newest (highest id)
    first, with ``lie`` free to change what a page holds, and latency; it counts requests and
    how many were in flight at once."""

    def __init__(
        self,
        records: int,
        *,
        delay: float = 0.0,
        lie: Callable[[int, int, list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
        total: Callable[[int], int] | None = None,
    ) -> None:
        self.ids = list(range(records, 0, -1))
        self.delay = delay
        self.lie = lie
        self.total = total
        self.requests: list[tuple[int, int]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.app = web.Application()
        self.app.router.add_post("/sms/list", self.page)
        self.app.router.add_post("/sms/list-sender", self.page)

    async def page(self, request: web.Request) -> web.Response:
        body = await request.json()
        index, size = int(body.get("pageIndex", 0)), int(body.get("pageSize", 1000))
        self.requests.append((index, size))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        chosen = self.ids[index * size : (index + 1) * size]
        if request.path.endswith("list-sender"):
            items = [{"title": f"S{i}", "status": 1} for i in chosen]
        else:
            items = [{"id": i} for i in chosen]
        if self.lie is not None:
            items = self.lie(index, size, items)
        total = self.total(len(self.requests)) if self.total else len(self.ids)
        answer = {"err": None, "data": {"stats": {"totalRecord": total}, "list": items}}
        return web.Response(body=json.dumps(answer).encode(), content_type="application/json")


async def walk(gateway: PagingGateway, **options: Any) -> list[int]:
    async with (
        web_server(gateway.app) as base_url,
        nodesms.Client(base_url, "u", "p", retry=ONCE) as client,
    ):
        with anyio.fail_after(60):  # a hang guard: a walk that loops forever fails here
            return [p.id async for p in client.sms.list(finish_date=NOW, **options)]


async def walk_senders(gateway: PagingGateway, **options: Any) -> list[str]:
    async with (
        web_server(gateway.app) as base_url,
        nodesms.Client(base_url, "u", "p", retry=ONCE) as client,
    ):
        with anyio.fail_after(60):
            return [s.title async for s in client.sms.list_sender(**options)]


NOW = datetime(2026, 1, 1, 12, 0)


# --- lying gateways --------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_gateway_that_ignores_page_index_is_caught_at_once(concurrency: int) -> None:
    def first_page_always(index: int, size: int, items: list[Any]) -> list[Any]:
        return [{"id": i} for i in range(5000, 5000 - size, -1)]

    gateway = PagingGateway(5000, lie=first_page_always)
    with pytest.raises(nodesms.ResponseError, match="ignores pageIndex"):
        await walk(gateway, page_size=100, concurrency=concurrency)
    assert len(gateway.requests) <= 1 + concurrency
    senders = PagingGateway(5000, lie=lambda i, s, items: [{"title": "S", "status": 1}] * s)
    with pytest.raises(nodesms.ResponseError, match="ignores pageIndex"):
        await walk_senders(senders, page_size=100, concurrency=concurrency)


async def test_a_gateway_that_ignores_page_index_while_growing_is_caught_in_a_few_requests() -> (
    None
):
    # Each answer is the top of a list that grows by 100 records per request: new records,
    # never the ones the walk asked for.
    newest = iter(range(10**6, 2 * 10**6))

    def fresh_top(index: int, size: int, items: list[Any]) -> list[Any]:
        return sorted(({"id": next(newest)} for _ in range(size)), key=lambda p: -p["id"])

    gateway = PagingGateway(5000, lie=fresh_top, total=lambda n: 5000 + 100 * n)
    with pytest.raises(nodesms.ResponseError):
        await walk(gateway, page_size=100)
    assert len(gateway.requests) <= 8


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_gateway_that_caps_page_size_is_caught_at_once(concurrency: int) -> None:
    gateway = PagingGateway(50_000, lie=lambda index, size, items: items[:500])
    with pytest.raises(nodesms.ResponseError, match="caps the page size") as caught:
        await walk(gateway, concurrency=concurrency)
    assert "page_size=500" in str(caught.value)
    assert len(gateway.requests) == 1
    with pytest.raises(nodesms.ResponseError, match="caps the page size"):
        await walk_senders(PagingGateway(50_000, lie=lambda i, s, items: items[:500]))


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_gateway_that_repeats_a_page_is_caught(concurrency: int) -> None:
    def repeat_page_one(index: int, size: int, items: list[Any]) -> list[Any]:
        if index == 2:
            return [{"id": i} for i in range(5000 - size, 5000 - 2 * size, -1)]
        return items

    gateway = PagingGateway(5000, lie=repeat_page_one)
    with pytest.raises(nodesms.ResponseError):
        await walk(gateway, page_size=100, concurrency=concurrency)
    assert len(gateway.requests) <= 3 + concurrency


async def test_a_page_larger_than_asked_is_caught() -> None:
    gateway = PagingGateway(5000, lie=lambda index, size, items: items + items[:1])
    with pytest.raises(nodesms.ResponseError, match="for pageSize=100"):
        await walk(gateway, page_size=100)


async def test_records_out_of_order_are_caught_not_silently_dropped() -> None:
    gateway = PagingGateway(500, lie=lambda index, size, items: list(reversed(items)))
    with pytest.raises(nodesms.ResponseError, match="newest first"):
        await walk(gateway, page_size=100)


async def test_an_honest_gateway_walks_whole_with_any_concurrency() -> None:
    for concurrency in (1, 2, 4, 8):
        gateway = PagingGateway(2345, delay=0.01)
        ids = await walk(gateway, page_size=100, concurrency=concurrency)
        assert ids == list(range(2345, 0, -1))
        assert len(gateway.requests) == 24  # no page twice, none too many
        senders = await walk_senders(PagingGateway(2345), page_size=100, concurrency=concurrency)
        assert senders == [f"S{i}" for i in range(2345, 0, -1)]


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_pages_in_flight_are_bounded_and_items_stay_in_order(concurrency: int) -> None:
    gateway = PagingGateway(3000, delay=0.05)
    async with (
        web_server(gateway.app) as base_url,
        nodesms.Client(base_url, "u", "p", retry=ONCE) as client,
    ):
        pages = client.sms.list(finish_date=NOW, page_size=100, concurrency=concurrency)
        seen: list[int] = []
        requested_while_working: list[int] = []
        async for page in pages.pages():
            await asyncio.sleep(0.12)  # the consumer's work: longer than one request
            requested_while_working.append(len(gateway.requests))
            seen.extend(p.id for p in page.items)
    assert seen == list(range(3000, 0, -1))
    # Memory: while the consumer holds page n, at most `concurrency` later pages were asked for.
    for page_number, requested in enumerate(requested_while_working):
        assert requested <= page_number + 1 + concurrency
    assert gateway.most_in_flight <= concurrency
    if concurrency > 1:
        assert gateway.most_in_flight > 1  # and they really were in flight together


async def test_concurrency_is_checked() -> None:
    async with nodesms.Client("http://127.0.0.1:9", "u", "p") as client:
        for bad in (0, -1, 33, 1.5, True, "4"):
            with pytest.raises(nodesms.ValidationError, match="concurrency"):
                client.sms.list(concurrency=bad)  # type: ignore[arg-type]


async def test_await_with_limit_gives_at_most_limit_items(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.seed_packages(25)
    page = await nodesms_client.sms.list(limit=5)
    assert len(page.items) == 5
    assert [p.id async for p in nodesms_client.sms.list(limit=5)] == [p.id for p in page.items]
    assert len((await nodesms_client.sms.list(limit=12, page_size=10)).items) == 10
    assert len((await nodesms_client.sms.list(limit=0)).items) == 0


# --- exact under inserts ---------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_walk_of_20000_with_2000_creates_between_pages_is_exact(
    concurrency: int, nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    originals = [p.id for p in nodesms_gateway.seed_packages(20_000)]
    seen: list[int] = []
    async for page in nodesms_client.sms.list(concurrency=concurrency).pages():
        seen.extend(p.id for p in page.items)
        nodesms_gateway.seed_packages(2000)  # created "now": inside the walk's time window
    assert len(seen) == len(set(seen)), "a package was yielded twice"
    assert set(originals) <= set(seen), "a package that existed when the walk began was missed"
    assert set(seen) <= set(originals)  # newer ones are not part of this walk
    assert len(seen) == 20_000
    assert len(nodesms_gateway.packages) >= 20_000 + 2000 * 19  # the inserts did happen


async def test_a_walk_stays_exact_under_a_steady_insert_rate(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    originals = {p.id for p in nodesms_gateway.seed_packages(10_000)}
    nodesms_gateway.set_latency("/sms/list", 0.02)
    inserted = 0

    async def insert() -> None:
        nonlocal inserted
        while True:  # ~50 packages every 10 ms: thousands per second
            nodesms_gateway.seed_packages(50)
            inserted += 50
            await asyncio.sleep(0.01)

    for concurrency in (1, 3):
        seen: list[int] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(insert)
            with anyio.fail_after(120):
                async for pkg in nodesms_client.sms.list(page_size=500, concurrency=concurrency):
                    seen.append(pkg.id)
            tg.cancel_scope.cancel()
        assert len(seen) == len(set(seen))
        assert originals <= set(seen)
        originals = {p.id for p in nodesms_gateway.packages}  # the next walk starts now
    assert inserted > 0
