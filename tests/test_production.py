"""Production behaviours (REFERENCE.md, "Observed in production clients"), client and fake,
each through real sockets: the vendor document's own JSON examples, Turkish letters at
encoding 0, customIDs with ``_``, OTP sender approval, the undocumented endpoints, ``[]``
bodies, both ``isScheduled`` spellings, invalid numbers dropped from one-to-many packages,
empty ``deliveryDate`` on undelivered items, and both ways of answering errors."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from conftest import GatewayFactory

import nodesms
from nodesms import Client, Encoding, ItemState, Message, RetryPolicy
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

VENDOR_SENDER = "ALFANUMERIK BASLIK"  # the sender the vendor document's examples use


# -- the vendor document's JSON examples, as written ----------------------------------------


async def test_the_vendor_documents_json_examples_are_answered(gateway: GatewayFactory) -> None:
    gw, api = await gateway(senders=[VENDOR_SENDER], otp_senders=[VENDOR_SENDER])
    later = (gw.now + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    # /sms/create-otp: Turkish letters at encoding 0, validity 5, a trustDate.
    otp = await api.ok(
        "/sms/create-otp",
        {
            "number": 905591234567,
            "sender": VENDOR_SENDER,
            "content": "Doğrulama kodunuz: 123456",
            "encoding": 0,
            "validity": 5,
            "commercial": False,
            "customID": "a1b2c3",
            "trustDate": "2020-12-25 12:00:00",
        },
    )
    assert gw.package(otp["pkgID"]).content == "Dogrulama kodunuz: 123456"
    # /sms/create, the three sending types with the document's values (a sendingDate in the
    # future: the document's 2020 date is in the past of any clock now).
    single = {
        "type": 1,
        "sendingType": 0,
        "number": 905591234567,
        "sender": VENDOR_SENDER,
        "title": "Paket başlığı",
        "content": "Tekil sms gönderim testi.",
        "encoding": 0,
        "validity": 360,
        "sendingDate": later,
        "periodicSettings": {"periodType": 4},
        "commercial": False,
        "customID": "x4y5z6",
    }
    await api.ok("/sms/create", single)
    await api.ok(
        "/sms/create",
        {**single, "sendingType": 1, "number": None, "numbers": [905591234567, 905591234568],
         "customID": None, "sendingDate": None, "periodicSettings": None},
    )  # fmt: skip
    await api.ok(
        "/sms/create",
        {
            **single,
            "sendingType": 2,
            "number": None,
            "numbers": [
                {"nr": 905591234567, "msg": "A kişisine özel mesaj"},
                {"nr": 905591234568, "msg": "B kişisine özel mesaj"},
            ],
            "customID": None,
            "sendingDate": None,
            "periodicSettings": None,
        },
    )
    listed = await api.ok(
        "/sms/list",
        {
            "ids": [123, 456],
            "customIDs": ["a1b2c3", "x4y5z6"],
            "keyword": "test",
            "sender": VENDOR_SENDER,
            "status": 0,
            "startDate": "2020-12-25 12:00",
            "finishDate": "2020-12-25 12:00",
            "pageIndex": 0,
            "pageSize": 10,
        },
    )
    assert listed["list"] == []
    items = await api.ok("/sms/list-item", {"pkgID": otp["pkgID"], "pageIndex": 0, "pageSize": 10})
    assert items["stats"]["totalRecord"] == 1
    await api.ok("/sms/list-item", {"customID": "a1b2c3", "operator": 0, "state": 0})
    assert await api.ok("/sms/cancel", {"customID": "x4y5z6"}) == {"status": 1}
    assert not gw.requests[-1].params.get("err")


# -- text: explicit encodings replace, "auto" never changes a character ---------------------


def test_to_gsm_replaces_like_real_gateways() -> None:
    assert nodesms.to_gsm("çğıİşĞŞ") == "cgiIsGS"
    assert nodesms.to_gsm("ÇÖÜöü é à ñ") == "ÇÖÜöü é à ñ"  # in the GSM alphabet: kept
    assert nodesms.to_gsm("â ê î û") == "a e i u"  # other accents dropped
    assert nodesms.to_gsm("Привет 😀 “x”") == "?????? ? ?x?"  # anything else is ?
    assert nodesms.to_gsm("{[€]}") == "{[€]}"  # the extension table is carried
    assert nodesms.to_gsm("") == ""


async def test_explicit_default_replaces_and_counts_what_is_sent(
    nodesms_gateway: FakeGateway, nodesms_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nodesms")
    text = "Doğrulama kodunuz: 123456 ş" + "ı" * 140  # 167 characters, all GSM once replaced
    sent = await nodesms_client.sms.create_otp(
        number="905550000001", sender="NODESMS", content=text, encoding=Encoding.DEFAULT
    )
    pkg = nodesms_gateway.package(sent.pkg_id)
    wire = nodesms_gateway.requests[-1].params
    assert wire["content"] == pkg.content == nodesms.to_gsm(text)
    assert wire["encoding"] == 0
    assert pkg.parts == nodesms.segments(nodesms.to_gsm(text), Encoding.DEFAULT).parts == 2
    assert "replaced 142 characters" in caplog.text  # ğ, ş and 140 ı
    assert "Doğrulama" not in caplog.text  # message text is never logged


async def test_explicit_turkish_replaces_only_what_its_table_lacks(
    nodesms_gateway: FakeGateway, nodesms_client: Client
) -> None:
    sent = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="Şifre: 12 ✓", number="905550000001",
        encoding=Encoding.TURKISH,
    )  # fmt: skip
    assert nodesms_gateway.package(sent.pkg_id).content == "Şifre: 12 ?"
    personal = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="kişiye özel", encoding=Encoding.DEFAULT,
        messages=[Message("905550000001", "Ayşe ✓"), Message("905550000002", "Işıl")],
    )  # fmt: skip
    pkg = nodesms_gateway.package(personal.pkg_id)
    assert pkg.messages == ["Ayse ?", "Isil"]
    assert pkg.content == "kisiye özel"


async def test_auto_never_changes_a_character(
    nodesms_gateway: FakeGateway, nodesms_client: Client
) -> None:
    for text in ("Doğrulama kodunuz", "Привет 😀", "plain"):
        sent = await nodesms_client.sms.create_otp(
            number="905550000001", sender="NODESMS", content=text
        )
        assert nodesms_gateway.package(sent.pkg_id).content == text


# -- customIDs ---------------------------------------------------------------------------------


async def test_custom_ids_with_underscores_are_accepted_by_client_and_fake(
    nodesms_gateway: FakeGateway, nodesms_client: Client
) -> None:
    for custom_id in ("sms_20260101_0001", "montaj_TE-1235", "a.b_c-d"):
        sent = await nodesms_client.sms.create(
            sender="NODESMS", title="T", content=custom_id, number="905550000001",
            custom_id=custom_id,
        )  # fmt: skip
        assert nodesms_gateway.package(sent.pkg_id).custom_id == custom_id
    generated = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="y", number="905550000001"
    )
    assert re.fullmatch(r"[A-Za-z0-9-]{1,100}", generated.custom_id or "")


def test_custom_id_for_is_stable_valid_and_distinct() -> None:
    keys = ["rq:job:42", "rq:job:43", "3f2b1c9e-7d4a-4e0b-9c1d-2a5e8f6b7c0d", "/a/" * 200, "İzmir"]
    ids = [nodesms.custom_id_for(key) for key in keys]
    assert ids == [nodesms.custom_id_for(key) for key in keys]  # same key, same id
    assert len(set(ids)) == len(ids)
    for custom_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9-]{1,100}", custom_id), custom_id
    assert ids[0].startswith("rq-job-42-")
    with pytest.raises(nodesms.ValidationError):
        nodesms.custom_id_for("")


async def test_custom_id_for_makes_a_job_exactly_once_across_clients(
    nodesms_gateway: FakeGateway,
) -> None:
    for _ in range(2):  # a second process running the same job
        async with nodesms_gateway.client() as client:
            sent = await client.sms.create(
                sender="NODESMS", title="T", content="Sipariş", number="905550000001",
                custom_id=nodesms.custom_id_for("rq:job:42"),
            )  # fmt: skip
    assert len(nodesms_gateway.packages) == 1
    assert sent.pkg_id == nodesms_gateway.packages[0].id


# -- OTP senders -----------------------------------------------------------------------------


@pytest.mark.nodesms_gateway(senders=["ACME", "BANKA"], otp_senders=["BANKA"])
async def test_otp_needs_a_sender_approved_for_otp(
    nodesms_gateway: FakeGateway, nodesms_client: Client
) -> None:
    otp = {"number": "905550000001", "content": "Kod: 1234"}
    with pytest.raises(nodesms.BadRequestError) as caught:
        await nodesms_client.sms.create_otp(sender="ACME", **otp)
    assert caught.value.name == "ERR_INVALID_SMS_SENDER"
    await nodesms_client.sms.create(sender="ACME", title="T", content="x", number=otp["number"])
    await nodesms_client.sms.create_otp(sender="BANKA", **otp)
    nodesms_gateway.add_sender("ACME", otp=True)
    await nodesms_client.sms.create_otp(sender="ACME", **otp)
    assert nodesms_gateway.otp_senders == {"ACME", "BANKA"}


async def test_default_gateway_approves_test_for_normal_sends_only(
    nodesms_client: Client,
) -> None:
    with pytest.raises(nodesms.BadRequestError):
        await nodesms_client.sms.create_otp(number="905550000001", sender="TEST", content="x")
    await nodesms_client.sms.create(sender="TEST", title="T", content="x", number="905550000001")


# -- undocumented endpoints --------------------------------------------------------------------


async def test_list_gateway_and_sender_gateways(nodesms_client: Client) -> None:
    routes = [g async for g in nodesms_client.sms.list_gateway()]
    assert {(g.sms_type, g.is_otp, g.sim_change_control) for g in routes} == {
        (nodesms.SmsType.NORMAL, False, False),
        (nodesms.SmsType.OTP, True, True),
    }
    assert all(isinstance(g, nodesms.Gateway) and g.operator is not None for g in routes)
    by_uuid = {g.uuid: g for g in routes}
    senders = {s.title: s for s in (await nodesms_client.sms.list_sender()).items}
    assert {by_uuid[u].sms_type for u in senders["NODESMS"].gateways or []} == {
        nodesms.SmsType.NORMAL,
        nodesms.SmsType.OTP,
    }
    assert [by_uuid[u].sms_type for u in senders["TEST"].gateways or []] == [nodesms.SmsType.NORMAL]
    assert senders["YASAKLI"].gateways is None  # banned: on no route


async def test_request_reaches_any_endpoint_the_way_every_method_does(
    nodesms_gateway: FakeGateway, nodesms_client: Client
) -> None:
    gw = nodesms_gateway
    assert await nodesms_client.request("/user/credit") == {"credit": gw.credit}
    credit = await nodesms_client.request("/user/credit", [], result=nodesms.Credit)
    assert credit == nodesms.Credit(credit=gw.credit)
    assert gw.requests[-1].body == b"[]"
    assert await nodesms_client.request(
        "/sms/list-gateway", {"pageSize": 10}, result=dict[str, Any]
    )
    assert msgspec.json.decode(gw.requests[-1].body) == {"pageSize": 10}
    # A deployment without /sms/get-mo answers ERR_NOT_FOUND: a typed error, as for methods.
    with pytest.raises(nodesms.NotFoundError):
        await nodesms_client.request("/sms/get-mo", {"startDate": "2026-01-01 00:00"})


async def test_request_retries_as_a_write_unless_told_otherwise(
    nodesms_gateway: FakeGateway,
) -> None:
    gw = nodesms_gateway
    async with gw.client(retry=RetryPolicy(initial_delay=0.01, max_delay=0.02)) as client:
        gw.faults.push("/user/credit", Fault.drop_after())
        with pytest.raises(nodesms.TransportError):  # may have acted: a write is not repeated
            await client.request("/user/credit")
        gw.faults.push("/user/credit", Fault.drop_after())
        assert await client.request("/user/credit", effect="read") == {"credit": gw.credit}
        gw.faults.push("/user/credit", Fault.error("ERR_SYSTEM_MAINTENANCE"))
        assert await client.request("/user/credit") == {"credit": gw.credit}  # never processed
    assert len(gw.requests) == 5


# -- what the fake does like production ---------------------------------------------------------


async def test_fake_takes_an_empty_array_as_an_empty_body(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    reply = await api.call("/user/credit", raw_body=b"[]")
    assert reply.data == {"credit": gw.credit}
    reply = await api.call("/user/credit", raw_body=b"[1]")
    assert reply.err["code"] == "ERR_BAD_REQUEST"


async def test_fake_sends_both_spellings_of_is_scheduled(
    nodesms_gateway: FakeGateway, nodesms_client: Client
) -> None:
    later = nodesms_gateway.now + timedelta(days=1)
    await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="x", number="905550000001", sending_date=later
    )
    row = (await nodesms_client.request("/sms/list", {}))["list"][0]
    assert row["isScheculed"] == row["isScheduled"] == 1
    assert (await nodesms_client.sms.list()).items[0].is_scheduled is True


async def test_fake_drops_invalid_numbers_from_one_to_many(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    body = {"sender": "NODESMS", "title": "T", "content": "x", "sendingType": 1}
    numbers = ["905320000001", "12", "0212 123 45 67", 905440000001, "+44 7700 900123"]
    data = await api.ok("/sms/create", {**body, "numbers": numbers})
    assert data["invalids"] == ["12", "0212 123 45 67"]
    assert gw.package(data["pkgID"]).numbers == ["905320000001", "905440000001", "447700900123"]
    reply = await api.fail("/sms/create", {**body, "numbers": ["12", "0212 123 45 67"]})
    assert reply.err["code"] == "ERR_EMPTY_SMS_PACKAGE"


@pytest.mark.nodesms_gateway(undelivered_rate=0.4, expired_rate=0.3, seed=7)
async def test_delivery_date_is_empty_on_undelivered_and_expired_items(
    nodesms_gateway: FakeGateway, nodesms_client: Client
) -> None:
    numbers = [f"90532{i:07d}" for i in range(40)]
    sent = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="x", numbers=numbers
    )
    await nodesms_gateway.advance(4 * 3600)
    items = [i async for i in nodesms_client.sms.list_item(pkg_id=sent.pkg_id)]
    states = {i.state for i in items}
    assert {ItemState.DELIVERED, ItemState.UNDELIVERED, ItemState.EXPIRED} <= states
    for item in items:
        assert (item.delivery_date is not None) is (item.state is ItemState.DELIVERED), item


@pytest.mark.parametrize("mode", ["mapped", 200])
async def test_errors_come_the_same_typed_way_with_either_http_status(mode: Any) -> None:
    async with FakeGateway(error_http_status=mode) as gw, gw.client() as client:
        with pytest.raises(nodesms.BadRequestError) as caught:
            await client.sms.create(sender="NOPE", title="T", content="x", number="905550000001")
    assert caught.value.name == "ERR_INVALID_SMS_SENDER"
    assert caught.value.http_status == (200 if mode == 200 else 400)
