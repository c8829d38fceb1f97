"""Streaming pagination: consistent walks, one page ahead, await / async for / pages()."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

import nodesms
from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio


def list_requests(gw: FakeGateway) -> list[dict[str, object]]:
    return [dict(r.params) for r in gw.requests if r.operation == "/sms/list"]


async def test_await_gives_the_first_page(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.seed_packages(25)
    paginator = nodesms_client.sms.list(page_size=10)
    assert isinstance(paginator, nodesms.AsyncPaginator)
    assert nodesms_gateway.requests == []  # nothing is sent until awaited or iterated
    page = await paginator
    assert isinstance(page, nodesms.Page)
    assert (page.total, page.page_index, page.page_size, len(page.items)) == (25, 0, 10, 10)
    ids = [p.id for p in page.items]
    assert ids == sorted(ids, reverse=True)  # newest first


async def test_pages_limit_and_page_index(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.seed_packages(25)
    sizes = [len(p.items) async for p in nodesms_client.sms.list(page_size=10).pages()]
    assert sizes == [10, 10, 5]
    later = [
        p.page_index async for p in nodesms_client.sms.list(page_size=10, page_index=1).pages()
    ]
    assert later == [1, 2]
    limited = [p.id async for p in nodesms_client.sms.list(limit=12, page_size=10)]
    assert len(limited) == 12
    small = await nodesms_client.sms.list(limit=3)
    assert small.page_size == 10  # the smallest page the API allows
    assert [p.id async for p in nodesms_client.sms.list(limit=0)] == []


async def test_walk_is_consistent_while_packages_arrive(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    originals = {p.id for p in nodesms_gateway.seed_packages(2500)}
    seen: list[int] = []
    created = 0
    async for pkg in nodesms_client.sms.list(page_size=1000):
        seen.append(pkg.id)
        if len(seen) % 500 == 0 and created < 60:
            for _ in range(30):  # new packages land at the top and shift the pages
                await nodesms_client.sms.create(
                    sender="NODESMS", title="New", content=f"new {created}", number="05550000001"
                )
                created += 1
    assert created == 60
    assert len(seen) == len(set(seen)), "a package was yielded twice"
    assert originals <= set(seen), "a package that existed when the walk began was skipped"
    requests = list_requests(nodesms_gateway)
    assert len(requests) == 3
    assert len({r["finishDate"] for r in requests}) == 1  # the upper bound is pinned


async def test_next_page_is_requested_while_the_consumer_works(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.seed_packages(50)
    nodesms_gateway.set_latency("/sms/list", 0.15)
    overlapped = []
    async for page in nodesms_client.sms.list(page_size=10).pages():
        await anyio.sleep(0.15)  # the consumer's work on this page
        # Before the consumer asks for the next page, its request has already arrived.
        arrived = len(list_requests(nodesms_gateway))
        overlapped.append(arrived > page.page_index + 1 or page.page_index == 4)
    assert overlapped == [True] * 5
    assert len(list_requests(nodesms_gateway)) == 5  # and never more than one page ahead


async def test_breaking_out_of_a_walk_cancels_the_prefetch(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.seed_packages(30)
    nodesms_gateway.set_latency("/sms/list", 0.05)
    pages = nodesms_client.sms.list(page_size=10).pages()
    async for _page in pages:
        break
    await pages.aclose()  # type: ignore[attr-defined]
    assert len(list_requests(nodesms_gateway)) <= 2


async def test_walk_of_items_and_filters(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    numbers = [f"9055500{i:05d}" for i in range(35)]
    sent = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="Merhaba", numbers=numbers
    )
    items = [i async for i in nodesms_client.sms.list_item(pkg_id=sent.pkg_id, page_size=10)]
    assert sorted(i.target for i in items) == numbers
    assert len({i.id for i in items}) == 35
    by_custom_id = await nodesms_client.sms.list_item(custom_id=sent.custom_id)
    assert by_custom_id.total == 35
    found = await nodesms_client.sms.list(custom_ids=[sent.custom_id or ""])
    assert [p.id for p in found.items] == [sent.pkg_id]
    assert list_requests(nodesms_gateway)[-1]["customIDs"] == [sent.custom_id]


async def test_walks_follow_the_gateway_clock_not_the_clients(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    await nodesms_gateway.advance(6 * 3600)  # the gateway's clock now runs six hours ahead
    sent = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="after the jump", number="05550000001"
    )
    walked = [p.id async for p in nodesms_client.sms.list()]
    assert walked == [sent.pkg_id]
    (request,) = [r for r in nodesms_gateway.requests if r.operation == "/sms/list"]
    pinned = str(request.params["finishDate"])
    expected = nodesms_gateway.now + timedelta(minutes=1)
    assert pinned == expected.strftime("%Y-%m-%d %H:%M")


async def test_the_bound_is_pinned_when_the_walk_begins(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    paginator = nodesms_client.sms.list()  # made now, walked later
    await nodesms_gateway.advance(3600)
    sent = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="made before the walk", number="05550000001"
    )
    assert [p.id async for p in paginator] == [sent.pkg_id]


async def test_limit_with_page_index_counts_in_the_callers_pages(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    newest_first = sorted((p.id for p in nodesms_gateway.seed_packages(300)), reverse=True)
    taken = [p.id async for p in nodesms_client.sms.list(page_size=100, page_index=1, limit=20)]
    assert taken == newest_first[100:120]
    first = await nodesms_client.sms.list(page_size=100, limit=20)
    assert [p.id for p in first.items] == newest_first[:20]
