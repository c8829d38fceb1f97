"""FakeGateway /sms/* creation semantics: validation, credit, duplicates, states, cancel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from conftest import GatewayFactory

from nodesms.enums import ItemState, Operator, PackageState
from nodesms.testing import FakeGateway
from nodesms.testing._params import normalize_number, operator_of

pytestmark = pytest.mark.anyio

NUMBERS = ["905321234567", "905441234567", "905551234567", "905101234567"]


def one_to_many(**extra: Any) -> dict[str, Any]:
    body = {
        "type": 1,
        "sendingType": 1,
        "sender": "NODESMS",
        "title": "Kampanya",
        "content": "Merhaba",
        "numbers": NUMBERS,
        "encoding": 0,
    }
    body.update(extra)
    return body


def minute(gw: FakeGateway, delta: timedelta) -> str:
    return (gw.now + delta).strftime("%Y-%m-%d %H:%M")


def test_number_normalisation_and_operators() -> None:
    for raw in ("+90 532 123 45 67", "05321234567", "5321234567", 905321234567, "00905321234567"):
        assert normalize_number(raw) == "905321234567", raw
    for raw in ("90212123456", "12345", "abc", "", True, "902121234567", None):
        assert normalize_number(raw) is None, raw
    assert normalize_number("4915112345678") == "4915112345678"
    assert operator_of("905321234567") == Operator.TURKCELL
    assert operator_of("905441234567") == Operator.VODAFONE
    assert operator_of("905051234567") == Operator.TURK_TELEKOM
    assert operator_of("905551234567") == Operator.TURK_TELEKOM
    assert operator_of("905101234567") == Operator.NETGSM
    assert operator_of("905991234567") == Operator.TURKCELL


async def test_create_single_one_to_many_and_many_to_many(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    single = await api.ok(
        "/sms/create",
        {"sendingType": 0, "sender": "ACME", "title": "t", "content": "Tek", "number": 5321234567},
    )
    many = await api.ok("/sms/create", one_to_many())
    personal = await api.ok(
        "/sms/create",
        {
            "sendingType": 2,
            "sender": "TEST",
            "title": "n-n",
            "numbers": [
                {"nr": "905321234567", "msg": "Ayşe hanım merhaba", "xid": "a-1"},
                {"nr": 905441234567, "msg": "x" * 161},
            ],
            "encoding": 1,
        },
    )
    assert [single["pkgID"], many["pkgID"], personal["pkgID"]] == [100001, 100002, 100003]
    assert list(gw.package(100001).numbers) == ["905321234567"]
    pkg = gw.package(100003)
    assert pkg.messages == ["Ayşe hanım merhaba", "x" * 161]
    assert pkg.xids == ["a-1", None]
    assert (pkg.total, pkg.r_count) == (1 + 2, 2)
    assert gw.credit == 100_000 - 1 - 4 - 3


async def test_credit_is_charged_by_parts_times_recipients(gateway: GatewayFactory) -> None:
    gw, api = await gateway(credit=19)
    # 161 GSM characters: two parts; Turkish "ş" in UCS-2: 71 units, two parts.
    await api.ok("/sms/create", one_to_many(content="a" * 161))
    assert gw.credit == 19 - 2 * 4
    await api.ok("/sms/create", one_to_many(content="ş" * 71, encoding=2))
    assert gw.credit == 19 - 8 - 8
    reply = await api.fail("/sms/create", one_to_many(content="short"))
    assert (reply.status, reply.err["code"]) == (417, "ERR_USER_CREDIT_REQUIRED")
    assert gw.credit == 3
    assert len(gw.packages) == 2


async def test_text_the_encoding_cannot_carry_is_replaced_like_production(
    gateway: GatewayFactory,
) -> None:
    gw, api = await gateway()
    sent = await api.ok("/sms/create", one_to_many(content="Şükran ✓", encoding=0))
    assert gw.package(sent["pkgID"]).content == "Sükran ?"  # ü is in the GSM alphabet
    sent = await api.ok("/sms/create", one_to_many(content="Şükran ✓ ok", encoding=1))
    assert gw.package(sent["pkgID"]).content == "Şükran ? ok"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"sender": "NOPE"}, "ERR_INVALID_SMS_SENDER"),
        ({"sender": "YENIBASLIK"}, "ERR_INVALID_SMS_SENDER"),
        ({"numbers": []}, "ERR_EMPTY_SMS_PACKAGE"),
        ({"numbers": ["12", "902121234567"]}, "ERR_EMPTY_SMS_PACKAGE"),
        ({"validity": 59}, "ERR_INVALID_PARAM"),
        ({"validity": 1441}, "ERR_INVALID_PARAM"),
        ({"validity": "abc"}, "ERR_INVALID_PARAM"),
        ({"encoding": 3}, "ERR_INVALID_PARAM"),
        ({"content": ""}, "ERR_INVALID_PARAM"),
        ({"customID": "a b"}, "ERR_INVALID_PARAM"),
        ({"customID": "x" * 101}, "ERR_INVALID_PARAM"),
        ({"sendingDate": "2020-01-01 10:00"}, "ERR_INVALID_SMS_SENDING_DATE"),
        ({"sendingDate": "tomorrow"}, "ERR_INVALID_PARAM"),
        (
            {"periodicSettings": {"periodType": 0, "interval": 1, "amount": 1500}},
            "ERR_INVALID_PARAM",
        ),
        (
            {"periodicSettings": {"periodType": 0, "interval": 0, "amount": 1000}},
            "ERR_INVALID_PARAM",
        ),
        ({"periodicSettings": {"periodType": 0, "amount": 1000}}, "ERR_INVALID_PARAM"),
        ({"periodicSettings": {"periodType": 9}}, "ERR_INVALID_PARAM"),
        ({"pushSettings": {"url": "ftp://x"}}, "ERR_INVALID_PARAM"),
    ],
)
async def test_create_validation(gateway: GatewayFactory, body: dict[str, Any], code: str) -> None:
    gw, api = await gateway()
    reply = await api.fail("/sms/create", one_to_many(**body))
    assert reply.err["code"] == code
    assert reply.status == 400
    assert gw.packages == []
    assert gw.credit == 100_000


async def test_validity_bounds_and_defaults(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    otp = {"number": "905321234567", "sender": "NODESMS", "content": "Kod 1"}
    for bad in (2, 7, 60):
        reply = await api.fail("/sms/create-otp", {**otp, "validity": bad})
        assert reply.err["code"] == "ERR_INVALID_PARAM"
    first = await api.ok("/sms/create-otp", {**otp, "validity": 3})
    second = await api.ok("/sms/create-otp", otp)
    third = await api.ok("/sms/create", one_to_many(validity=60))
    fourth = await api.ok("/sms/create", one_to_many(content="other"))
    assert [gw.package(d["pkgID"]).validity for d in (first, second, third, fourth)] == [
        3,
        6,
        60,
        1440,
    ]
    assert gw.package(first["pkgID"]).type == 0


async def test_periodic_settings_are_stored(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    once = {"periodType": 0, "interval": 2, "amount": 3000}
    data = await api.ok("/sms/create", one_to_many(periodicSettings=once))
    assert gw.package(data["pkgID"]).periodic == once
    data = await api.ok("/sms/create", one_to_many(content="b", periodicSettings={"periodType": 4}))
    assert gw.package(data["pkgID"]).periodic == {"periodType": 4}


async def test_custom_id_is_unique_per_user(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    await api.ok("/sms/create", one_to_many(customID="job-1.a"))
    reply = await api.fail("/sms/create", one_to_many(customID="job-1.a", content="different"))
    assert (reply.status, reply.err["code"]) == (409, "ERR_SMS_PKG_CUSTOM_ID_DUPLICATION")
    otp = {"number": "905321234567", "sender": "NODESMS", "content": "1", "customID": "job-1.a"}
    reply = await api.fail("/sms/create-otp", otp)
    assert reply.err["code"] == "ERR_SMS_PKG_CUSTOM_ID_DUPLICATION"
    assert gw.package_by_custom_id("job-1.a") is gw.packages[0]
    assert len(gw.packages) == 1


async def test_custom_id_duplicate_wins_over_content_duplicate(gateway: GatewayFactory) -> None:
    _, api = await gateway()
    await api.ok("/sms/create", one_to_many(customID="c1"))
    reply = await api.fail("/sms/create", one_to_many(customID="c1"))
    assert reply.err["code"] == "ERR_SMS_PKG_CUSTOM_ID_DUPLICATION"


async def test_same_content_to_same_numbers_within_30_minutes(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    await api.ok("/sms/create", one_to_many())
    reply = await api.fail("/sms/create", one_to_many(numbers=list(reversed(NUMBERS))))
    assert (reply.status, reply.err["code"]) == (409, "ERR_SMS_PKG_DUPLICATION")
    await api.ok("/sms/create", one_to_many(numbers=NUMBERS[:3]))
    await api.ok("/sms/create", one_to_many(content="Merhaba!"))
    await gw.advance(1799)
    assert (await api.fail("/sms/create", one_to_many())).err["code"] == "ERR_SMS_PKG_DUPLICATION"
    await gw.advance(1)
    await api.ok("/sms/create", one_to_many())
    otp = {"number": "905321234567", "sender": "NODESMS", "content": "Kod 1"}
    await api.ok("/sms/create-otp", otp)
    await api.ok("/sms/create-otp", otp)  # OTPs are not checked


async def test_duplicate_check_can_be_switched_off(gateway: GatewayFactory) -> None:
    gw, api = await gateway(duplicate_window=None)
    await api.ok("/sms/create", one_to_many())
    await api.ok("/sms/create", one_to_many())
    assert len(gw.packages) == 2


async def test_lifecycle_on_the_manual_clock(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    pkg_id = (await api.ok("/sms/create", one_to_many()))["pkgID"]
    pkg = gw.package(pkg_id)
    await gw.advance(0)
    assert pkg.state == PackageState.QUEUEING
    assert set(pkg.item_states_list()) == {ItemState.WAITING}
    await gw.advance(1)
    assert pkg.state == PackageState.SENDING
    assert set(pkg.item_states_list()) == {ItemState.SENDING}
    await gw.advance(1.5)
    assert pkg.state == PackageState.SENT
    assert set(pkg.item_states_list()) == {ItemState.SENT}
    await gw.advance(2)
    assert pkg.state == PackageState.PARTLY_REPORTED
    assert pkg.item_states_list().count(ItemState.DELIVERED) == 1
    assert pkg.delivered == 1
    await gw.advance(3)
    assert pkg.state == PackageState.COMPLETED
    assert set(pkg.item_states_list()) == {ItemState.DELIVERED}
    assert (pkg.total, pkg.credit, pkg.delivered, pkg.undelivered) == (4, 4, 4, 0)


async def test_undelivered_and_expired_shares_are_deterministic(gateway: GatewayFactory) -> None:
    results = []
    for _ in range(2):
        gw, api = await gateway(undelivered_rate=0.3, expired_rate=0.2, seed=7)
        numbers = [f"9053200{i:05d}" for i in range(400)]
        pkg_id = (await api.ok("/sms/create", one_to_many(numbers=numbers)))["pkgID"]
        await gw.advance(30)
        pkg = gw.package(pkg_id)
        states = pkg.item_states_list()
        results.append(states)
        assert pkg.state == PackageState.COMPLETED
        undelivered = states.count(ItemState.UNDELIVERED)
        expired = states.count(ItemState.EXPIRED)
        assert 80 < undelivered < 160
        assert 40 < expired < 120
        assert pkg.undelivered == undelivered + expired
        assert pkg.delivered == states.count(ItemState.DELIVERED)
    assert results[0] == results[1]


async def test_scheduled_package_waits_for_its_sending_date(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    when = minute(gw, timedelta(minutes=10))
    pkg_id = (await api.ok("/sms/create", one_to_many(sendingDate=when)))["pkgID"]
    pkg = gw.package(pkg_id)
    assert pkg.scheduled
    assert pkg.state == PackageState.WAITING
    await gw.advance(9 * 60)
    assert pkg.state == PackageState.WAITING
    await gw.advance(2 * 60 + 30)
    assert pkg.state == PackageState.COMPLETED
    listed = (await api.ok("/sms/list", {"ids": [pkg_id]}))["list"][0]
    assert listed["isScheculed"] == 1
    assert listed["sendingDate"] == when.replace(" ", "T") + ":00"


async def test_sending_date_in_the_current_minute_is_immediate(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    data = await api.ok("/sms/create", one_to_many(sendingDate=minute(gw, timedelta(0))))
    assert not gw.package(data["pkgID"]).scheduled


async def test_cancel_until_sending_starts_refunds_credit(gateway: GatewayFactory) -> None:
    gw, api = await gateway(credit=100)
    later = one_to_many(sendingDate=minute(gw, timedelta(hours=2)), customID="sched-1")
    scheduled = (await api.ok("/sms/create", later))["pkgID"]
    queued = (await api.ok("/sms/create", one_to_many(content="now")))["pkgID"]
    assert gw.credit == 92
    assert (await api.ok("/sms/cancel", {"customID": "sched-1"})) == {"status": 1}
    pkg = gw.package(scheduled)
    assert pkg.state == PackageState.CANCELLED
    assert set(pkg.item_states_list()) == {ItemState.CANCELLED}
    assert (gw.credit, pkg.credit) == (96, 0)
    reply = await api.fail("/sms/cancel", {"id": scheduled})
    assert (reply.status, reply.err["code"]) == (409, "ERR_SMS_PKG_NOT_CHANGEABLE")
    await gw.advance(1)
    reply = await api.fail("/sms/cancel", {"uuid": gw.package(queued).uuid})
    assert reply.err["code"] == "ERR_SMS_PKG_NOT_CHANGEABLE"
    assert gw.credit == 96
    await gw.advance(3 * 3600)
    assert pkg.state == PackageState.CANCELLED
    reply = await api.fail("/sms/cancel", {"id": 999})
    assert (reply.status, reply.err["code"]) == (404, "ERR_SMS_PKG_NOT_FOUND")
    assert (await api.fail("/sms/cancel", {})).err["code"] == "ERR_INVALID_PARAM"


async def test_cancel_works_by_get_query(gateway: GatewayFactory) -> None:
    _, api = await gateway()
    pkg_id = (await api.ok("/sms/create", one_to_many()))["pkgID"]
    reply = await api.call("/sms/cancel", method="GET", params={"id": str(pkg_id)})
    assert reply.data == {"status": 1}


async def test_otp_and_trust_date(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    body = {"number": 905321234567, "sender": "NODESMS", "content": "Kod: 1", "encoding": "0"}
    data = await api.ok("/sms/create-otp", {**body, "trustDate": "2024-01-02 03:04:05"})
    assert gw.package(data["pkgID"]).trust_date is not None
    reply = await api.fail("/sms/create-otp", {**body, "trustDate": "2024-01-02 03:04"})
    assert reply.err["code"] == "ERR_INVALID_PARAM"
    assert (await api.fail("/sms/create-otp", {**body, "number": "1"})).status == 400


async def test_kvkk_fills_the_tags_and_requires_them(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    body = {
        "number": {"nr": "905321234567", "cfs": {"FIRST_NAME": "Ayşe", "LAST_NAME": "Kaya"}},
        "sender": "NODESMS",
        "content": "Merhaba FIRST_NAME LAST_NAME, onay: SHORT_LINK",
        "encoding": 1,
    }
    data = await api.ok("/sms/create-kvkk", body)
    text = gw.package(data["pkgID"]).messages[0]
    assert text.startswith("Merhaba Ayşe Kaya, onay: https://")
    assert "SHORT_LINK" not in text
    no_link = {**body, "content": "Merhaba FIRST_NAME"}
    assert (await api.fail("/sms/create-kvkk", no_link)).err["code"] == "ERR_INVALID_PARAM"
    no_last = {**body, "number": {"nr": "905321234567", "cfs": {"FIRST_NAME": "A"}}}
    assert (await api.fail("/sms/create-kvkk", no_last)).err["code"] == "ERR_INVALID_PARAM"
    assert len(gw.packages) == 1


async def test_recreate_only_final_packages(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    pkg_id = (await api.ok("/sms/create", one_to_many()))["pkgID"]
    body = {"id": pkg_id, "title": "Tekrar", "includeNewNumbers": False}
    assert (await api.fail("/sms/recreate", body)).err["code"] == "ERR_SMS_PKG_NOT_CHANGEABLE"
    await gw.advance(30)
    again = (await api.ok("/sms/recreate", body))["pkgID"]
    new = gw.package(again)
    old = gw.package(pkg_id)
    assert (new.title, list(new.numbers), new.content) == ("Tekrar", NUMBERS, "Merhaba")
    assert new.state == PackageState.QUEUEING
    assert gw.credit == 100_000 - 8
    reply = await api.fail("/sms/recreate", {"uuid": old.uuid, "title": "x"})
    assert reply.err["code"] == "ERR_INVALID_PARAM"
    reply = await api.fail("/sms/recreate", {"id": 5, "title": "x", "includeNewNumbers": True})
    assert reply.err["code"] == "ERR_SMS_PKG_NOT_FOUND"


async def test_list_sender(gateway: GatewayFactory) -> None:
    _, api = await gateway(senders={"ACME": 1, "OLD": 3, "NEWONE": 0})
    data = await api.ok("/sms/list-sender", {})
    assert data["stats"]["totalRecord"] == 3
    assert {(s["title"], s["status"]) for s in data["list"]} == {
        ("ACME", 1),
        ("OLD", 3),
        ("NEWONE", 0),
    }
    assert (await api.ok("/sms/list-sender", {"status": 1}))["list"][0]["title"] == "ACME"
    assert (await api.ok("/sms/list-sender", {"keyword": "new"}))["list"][0]["title"] == "NEWONE"
    reply = await api.fail("/sms/create", one_to_many(sender="OLD"))
    assert reply.err["code"] == "ERR_INVALID_SMS_SENDER"
