"""Delivery-report pushes from FakeGateway, and ``parse_push``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from conftest import GatewayFactory

from nodesms._push import PushItem, PushReport, parse_push
from nodesms.enums import ItemState, PackageState
from nodesms.errors import ValidationError

pytestmark = pytest.mark.anyio
IST = ZoneInfo("Europe/Istanbul")


@pytest.fixture
async def receiver(anyio_backend: str) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A local HTTP endpoint collecting the bodies POSTed to it."""
    bodies: list[bytes] = []

    async def collect(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook/{token}", collect)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/hook/s3cret", bodies
    finally:
        await runner.cleanup()


async def test_push_is_posted_when_all_items_are_final(
    gateway: GatewayFactory, receiver: tuple[str, list[bytes]]
) -> None:
    url, bodies = receiver
    gw, api = await gateway(undelivered_rate=0.5, seed=4)
    numbers = ["905321234567", "905441234567", "905551234567"]
    pkg_id = (
        await api.ok(
            "/sms/create",
            {
                "sendingType": 1,
                "sender": "NODESMS",
                "title": "t",
                "content": "x",
                "numbers": numbers,
                "pushSettings": {"url": url},
            },
        )
    )["pkgID"]
    await gw.advance(5)
    assert gw.package(pkg_id).state == PackageState.PARTLY_REPORTED
    assert await gw.drain_pushes() == []
    await gw.advance(10)
    records = await gw.drain_pushes()
    assert [(r.url, r.status, r.error) for r in records] == [(url, 200, None)]
    assert len(bodies) == 1
    report = parse_push(bodies[0])
    pkg = gw.package(pkg_id)
    assert report.pkg_id == pkg_id
    assert report.state is PackageState.COMPLETED
    assert (report.statistics.total, report.statistics.delivered) == (3, pkg.delivered)
    assert report.statistics.undelivered == pkg.undelivered
    assert [i.number for i in report.items] == numbers
    assert [i.status for i in report.items] == pkg.item_states_list()
    assert report.items[0].id == str(pkg.first_item_id)
    assert report.items[0].last_update is not None
    assert report.items[0].last_update.tzinfo is IST
    assert report.user_id == 1001


async def test_cancelled_package_is_pushed_too(
    gateway: GatewayFactory, receiver: tuple[str, list[bytes]]
) -> None:
    url, bodies = receiver
    gw, api = await gateway()
    later = (gw.now + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    body = {
        "number": "905321234567",
        "sender": "NODESMS",
        "content": "x",
        "sendingDate": later,
        "pushSettings": {"url": url},
    }
    pkg_id = (await api.ok("/sms/create", body))["pkgID"]
    await api.ok("/sms/cancel", {"id": pkg_id})
    await gw.drain_pushes()
    report = parse_push(bodies[0])
    assert report.state is PackageState.CANCELLED
    assert report.items[0].status is ItemState.CANCELLED


async def test_unreachable_push_url_is_recorded_not_raised(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    body = {
        "number": "905321234567",
        "sender": "NODESMS",
        "content": "x",
        "pushSettings": {"url": "http://127.0.0.1:9/closed"},
    }
    await api.ok("/sms/create-otp", body)
    await gw.advance(10)
    (record,) = await gw.drain_pushes()
    assert record.status is None
    assert record.error


def test_parse_push_is_lenient() -> None:
    body = (
        b'[{"pkg": {"id": "222961", "state": "6", "extra": 1,'
        b' "statistics": {"total": "2", "delivered": 1, "undelivered": 1}},'
        b' "items": [{"id": 12345678910, "nr": 905321234567, "status": "3",'
        b' "lastUpdate": "2021-05-04T01:38:26"},'
        b' {"id": "12345678911", "nr": "905441234567", "status": 9,'
        b' "lastUpdate": "2021-05-04T01:38:27.256070Z"},'
        b' {"id": "1", "nr": "1", "status": 4, "lastUpdate": null}],'
        b' "userID": "u-1", "more": true}]'
    )
    report = parse_push(body)
    assert isinstance(report, PushReport)
    assert report.pkg_id == 222961
    assert report.state is PackageState.COMPLETED
    first, second, third = report.items
    assert first == PushItem(
        id="12345678910",
        number="905321234567",
        status=ItemState.DELIVERED,
        last_update=datetime(2021, 5, 4, 1, 38, 26, tzinfo=IST),
    )
    assert second.status == 9
    assert second.status.name == "UNKNOWN_9"
    assert second.last_update == datetime(2021, 5, 4, 1, 38, 27, 256070, tzinfo=timezone.utc)
    assert second.last_update is not None
    assert second.last_update.tzinfo is IST
    assert third.last_update is None
    assert report.user_id == "u-1"
    assert parse_push(body.decode()[1:-1]) == report
    utc = parse_push(body, tz=timezone.utc)
    assert utc.items[0].last_update == datetime(2021, 5, 4, 1, 38, 26, tzinfo=timezone.utc)


def test_parse_push_minimal_body() -> None:
    report = parse_push(b'[{"pkg": {"id": 1, "state": 6}}]')
    assert (report.pkg_id, report.items, report.user_id) == (1, (), None)
    assert report.statistics.total == 0


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"{}",
        b'{"pkg": {"state": 6}}',
        b"[]",
        b'[{"pkg": {"id": 1, "state": 6}}, {"pkg": {"id": 2, "state": 6}}]',
        b'"text"',
        b'{"pkg": {"id": 1, "state": 6}, "items": [{"id": 1, "nr": 1, "status": 3,'
        b' "lastUpdate": "yesterday"}]}',
    ],
)
def test_parse_push_rejects_what_is_not_one_push(body: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_push(body)
