"""FakeGateway reports: /sms/list, /sms/list-item, /sms/summary, /sms/inquiry-number."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from conftest import GatewayFactory

from nodesms.enums import PackageFilter
from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
ISO_FRACTION = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+$")


def create(content: str, **extra: Any) -> dict[str, Any]:
    body = {
        "sendingType": 1,
        "sender": "NODESMS",
        "title": "T",
        "content": content,
        "numbers": ["905321234567", "905441234567"],
        "encoding": 1,
    }
    body.update(extra)
    return body


def fmt(gw: FakeGateway, delta: timedelta = timedelta(0)) -> str:
    return (gw.now + delta).strftime("%Y-%m-%d %H:%M")


async def test_list_item_shape_matches_the_reference(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    await api.ok("/sms/create", create("İçerik", customID="c-1", encoding=1))
    await gw.advance(30)
    data = await api.ok("/sms/list", {})
    assert data["stats"] == {"totalRecord": 1}
    item = data["list"][0]
    assert set(item) == {
        "id",
        "customID",
        "type",
        "uuid",
        "error",
        "state",
        "title",
        "content",
        "senders",
        "encoding",
        "validity",
        "statistics",
        "isScheculed",
        "isScheduled",  # production sends both spellings
        "sendingDate",
        "processingDate",
        "processInfo",
    }
    assert item["id"] == 100001
    assert item["customID"] == "c-1"
    assert item["state"] == 6
    assert item["senders"] == ["NODESMS"]
    assert item["statistics"] == {
        "total": 2,
        "credit": 2,
        "rCount": 2,
        "delivered": 2,
        "undelivered": 0,
    }
    assert item["isScheculed"] == item["isScheduled"] == 0
    assert ISO.match(item["sendingDate"])
    assert ISO_FRACTION.match(item["processingDate"])
    assert ISO.match(item["processInfo"]["create"]["date"])
    assert item["processInfo"]["update"]["date"] > item["processInfo"]["create"]["date"]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", item["uuid"]
    )


async def test_list_is_newest_first_and_paged(gateway: GatewayFactory) -> None:
    _, api = await gateway()
    for i in range(25):
        await api.ok("/sms/create", create(f"m{i}"))
    first = await api.ok("/sms/list", {"pageSize": 10})
    assert first["stats"]["totalRecord"] == 25
    assert [p["id"] for p in first["list"]] == list(range(100025, 100015, -1))
    last = await api.ok("/sms/list", {"pageSize": 10, "pageIndex": 2})
    assert [p["id"] for p in last["list"]] == list(range(100005, 100000, -1))
    beyond = await api.ok("/sms/list", {"pageSize": 10, "pageIndex": 3})
    assert beyond == {"stats": {"totalRecord": 25}, "list": []}
    for bad in ({"pageSize": 9}, {"pageSize": 1001}, {"pageIndex": -1}):
        assert (await api.fail("/sms/list", bad)).err["code"] == "ERR_INVALID_PARAM"
    assert len((await api.ok("/sms/list", {}))["list"]) == 10


async def test_list_filters(gateway: GatewayFactory) -> None:
    _, api = await gateway()
    await api.ok("/sms/create", create("Kampanya indirim", customID="a"))
    await api.ok("/sms/create", create("Hatırlatma", sender="ACME", customID="b"))
    await api.ok("/sms/create", create("Başka kampanya"))

    async def ids(body: dict[str, Any]) -> list[int]:
        return [p["id"] for p in (await api.ok("/sms/list", body))["list"]]

    assert await ids({"keyword": "KAMPANYA"}) == [100003, 100001]
    assert await ids({"sender": "ACME"}) == [100002]
    assert await ids({"ids": [100001, 100003, 5]}) == [100003, 100001]
    assert await ids({"customIDs": ["b", "zzz"]}) == [100002]
    reply = await api.call("/sms/list", method="GET", params={"ids": "100001,100002"})
    assert [p["id"] for p in reply.data["list"]] == [100002, 100001]


async def test_status_filter_mapping(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    later = fmt(gw, timedelta(hours=1))
    done = (await api.ok("/sms/create", create("done")))["pkgID"]
    await gw.advance(20)
    cancelled = (await api.ok("/sms/create", create("cancel me")))["pkgID"]
    await api.ok("/sms/cancel", {"id": cancelled})
    processing = (await api.ok("/sms/create", create("processing")))["pkgID"]
    await gw.advance(1.5)
    scheduled = (await api.ok("/sms/create", create("later", sendingDate=later)))["pkgID"]
    periodic = (
        await api.ok("/sms/create", create("periodic", periodicSettings={"periodType": 1}))
    )["pkgID"]
    queued = (await api.ok("/sms/create", create("queued")))["pkgID"]

    async def ids(status: int) -> set[int]:
        return {p["id"] for p in (await api.ok("/sms/list", {"status": status}))["list"]}

    assert await ids(PackageFilter.ALL) == {
        done,
        cancelled,
        processing,
        scheduled,
        periodic,
        queued,
    }
    assert await ids(PackageFilter.QUEUED) == {periodic, queued}
    assert await ids(PackageFilter.PROCESSING) == {processing}
    assert await ids(PackageFilter.SCHEDULED) == {scheduled}
    assert await ids(PackageFilter.PERIODIC) == {periodic}
    assert await ids(PackageFilter.COMPLETED) == {done}
    assert await ids(PackageFilter.CANCELLED) == {cancelled}
    assert await ids(PackageFilter.FAILED) == set()
    assert (await api.fail("/sms/list", {"status": 8})).err["code"] == "ERR_INVALID_PARAM"


async def test_date_filters_include_the_whole_finish_minute(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    await gw.advance(60 - gw.now.second - gw.now.microsecond / 1e6 + 10)  # hh:mm:10
    first_minute = fmt(gw)
    early = (await api.ok("/sms/create", create("early")))["pkgID"]
    await gw.advance(40)  # hh:mm:50, same minute
    same = (await api.ok("/sms/create", create("same minute")))["pkgID"]
    await gw.advance(20)  # next minute
    late = (await api.ok("/sms/create", create("late")))["pkgID"]
    next_minute = fmt(gw)

    async def ids(body: dict[str, Any]) -> list[int]:
        return [p["id"] for p in (await api.ok("/sms/list", body))["list"]]

    assert await ids({"finishDate": first_minute}) == [same, early]
    assert await ids({"startDate": first_minute, "finishDate": first_minute}) == [same, early]
    assert await ids({"startDate": next_minute}) == [late]
    assert await ids({"startDate": first_minute, "finishDate": next_minute}) == [late, same, early]
    reply = await api.fail(
        "/sms/list", {"startDate": next_minute, "finishDate": "2000-01-01 00:00"}
    )
    assert reply.err["code"] == "ERR_INVALID_DATE_RANGE"
    assert (await api.fail("/sms/list", {"startDate": "2024-01-01"})).err[
        "code"
    ] == "ERR_INVALID_PARAM"


async def test_list_item_fields_filters_and_paging(gateway: GatewayFactory) -> None:
    gw, api = await gateway(undelivered_rate=0.5, seed=3)
    numbers = [f"90{prefix}{i:07d}" for prefix in ("532", "544", "555", "510") for i in range(5)]
    data = await api.ok(
        "/sms/create", create("x" * 170, numbers=numbers, customID="big", pushSettings=None)
    )
    pkg_id = data["pkgID"]
    before = await api.ok("/sms/list-item", {"pkgID": pkg_id, "pageSize": 10})
    row = before["list"][0]
    assert set(row) == {
        "id",
        "msg",
        "error",
        "credit",
        "state",
        "sender",
        "target",
        "setState",
        "sendingDate",
        "deliveryDate",
        "processingDate",
        "xid",
        "operator",
    }
    assert row["id"] == "12345678910"
    assert (row["credit"], row["state"], row["processingDate"], row["deliveryDate"]) == (
        2,
        0,
        None,
        None,
    )
    await gw.advance(30)
    after = await api.ok("/sms/list-item", {"customID": "big", "pageSize": 1000})
    assert after["stats"]["totalRecord"] == 20
    rows = after["list"]
    assert {r["operator"] for r in rows if r["target"].startswith("90544")} == {1}
    assert {r["operator"] for r in rows if r["target"].startswith("90510")} == {3}
    assert all(ISO_FRACTION.match(r["processingDate"]) for r in rows)
    # Only delivered items have a deliveryDate; undelivered ones leave it empty.
    assert all(ISO.match(r["deliveryDate"]) for r in rows if r["state"] == 3)
    assert all(r["deliveryDate"] is None for r in rows if r["state"] == 4)
    assert {r["setState"] for r in rows} == {6}
    assert {r["state"] for r in rows} == {3, 4}
    vodafone = await api.ok("/sms/list-item", {"pkgID": pkg_id, "operator": 1})
    assert vodafone["stats"]["totalRecord"] == 5
    undelivered = await api.ok("/sms/list-item", {"pkgID": pkg_id, "state": 4})
    assert undelivered["stats"]["totalRecord"] == sum(1 for r in rows if r["state"] == 4)
    target = await api.ok("/sms/list-item", {"pkgID": pkg_id, "target": "0555 000 00 03"})
    assert [r["target"] for r in target["list"]] == ["905550000003"]
    uuid = gw.package(pkg_id).uuid
    by_uuid = await api.ok("/sms/list-item", {"uuid": uuid, "pageSize": 10, "pageIndex": 1})
    assert [r["id"] for r in by_uuid["list"]] == [str(12345678920 + i) for i in range(10)]
    assert (await api.fail("/sms/list-item", {})).err["code"] == "ERR_INVALID_PARAM"
    assert (await api.fail("/sms/list-item", {"pkgID": 1})).err["code"] == "ERR_SMS_PKG_NOT_FOUND"


async def test_list_item_of_a_personalised_send(gateway: GatewayFactory) -> None:
    _, api = await gateway()
    numbers = [{"nr": "905321234567", "msg": "Sana özel", "xid": "x-9"}]
    data = await api.ok(
        "/sms/create", {"sendingType": 2, "sender": "ACME", "numbers": numbers, "encoding": 1}
    )
    row = (await api.ok("/sms/list-item", {"pkgID": data["pkgID"]}))["list"][0]
    assert (row["msg"], row["xid"]) == ("Sana özel", "x-9")


async def test_summary_is_computed_from_items(gateway: GatewayFactory) -> None:
    gw, api = await gateway(undelivered_rate=0.5, seed=11)
    numbers = [f"9053200{i:05d}" for i in range(20)]
    await api.ok("/sms/create", create("x" * 200, numbers=numbers))
    cancelled = (await api.ok("/sms/create", create("c")))["pkgID"]
    await api.ok("/sms/cancel", {"id": cancelled})
    await gw.advance(3)
    pending = await api.ok("/sms/summary", {"startDate": fmt(gw, timedelta(hours=-1))})
    assert pending == {
        "total": 40,
        "delivered": 0,
        "undelivered": 0,
        "pending": 40,
        "rCount": 20,
        "credit": 40,
    }
    await gw.advance(30)
    done = await api.ok("/sms/summary", {})
    pkg = gw.packages[0]
    assert done["delivered"] + done["undelivered"] == 40
    assert (done["delivered"], done["undelivered"]) == (pkg.delivered, pkg.undelivered)
    assert 0 < done["undelivered"] < 40
    assert done["pending"] == 0
    future = await api.ok("/sms/summary", {"startDate": fmt(gw, timedelta(days=1))})
    assert future["rCount"] == 0


async def test_inquiry_number(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    await api.ok("/sms/create", create("ilk"))
    await api.ok("/sms/create", create("ikinci", sender="ACME", numbers=["905441234567"]))
    await gw.advance(30)
    data = await api.ok("/sms/inquiry-number", {"gsm": "905441234567"})
    assert data["stats"]["totalRecord"] == 2
    newest = data["list"][0]
    assert set(newest) == {
        "userUUID",
        "username",
        "sender",
        "encoding",
        "validity",
        "sendingDate",
        "pkgID",
        "pkgType",
        "state",
        "msg",
        "operator",
        "deliveryDate",
    }
    assert (newest["pkgID"], newest["msg"], newest["operator"], newest["state"]) == (
        100002,
        "ikinci",
        1,
        3,
    )
    assert newest["username"] == gw.username
    only_acme = await api.ok("/sms/inquiry-number", {"gsm": "05441234567", "sender": "ACME"})
    assert only_acme["stats"]["totalRecord"] == 1
    old = await api.ok(
        "/sms/inquiry-number",
        {"gsm": "905441234567", "finishDate": fmt(gw, timedelta(days=-40))},
    )
    assert old["stats"]["totalRecord"] == 0
    too_long = {
        "gsm": "905441234567",
        "startDate": fmt(gw, timedelta(days=-100)),
        "finishDate": fmt(gw),
    }
    reply = await api.fail("/sms/inquiry-number", too_long)
    assert (reply.status, reply.err["code"]) == (400, "ERR_INVALID_DATE_RANGE")
    assert (await api.fail("/sms/inquiry-number", {"gsm": "123"})).err[
        "code"
    ] == "ERR_INVALID_PARAM"
