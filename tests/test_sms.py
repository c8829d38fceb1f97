"""client.sms and client.user against the embedded gateway, over real sockets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

import nodesms
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

IST = ZoneInfo("Europe/Istanbul")
A, B, C = "905550000001", "905440000002", "905320000003"


def bodies(gw: FakeGateway, operation: str) -> list[dict[str, object]]:
    return [dict(r.params) for r in gw.requests if r.operation == operation]


async def test_credit(nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway) -> None:
    credit = await nodesms_client.user.credit()
    assert credit == nodesms.Credit(credit=nodesms_gateway.credit)


async def test_create_otp_sends_the_wire_form(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    sent = await nodesms_client.sms.create_otp(
        number="0555 000 00 01", sender="NODESMS", content="Kodunuz: 482913", validity=3
    )
    assert sent.custom_id is not None
    assert sent.custom_id.startswith("ns-")
    assert sent.encoding is nodesms.Encoding.DEFAULT
    (body,) = bodies(nodesms_gateway, "/sms/create-otp")
    assert body["number"] == A
    assert body["customID"] == sent.custom_id
    assert body["encoding"] == 0
    assert body["validity"] == 3
    assert "pushSettings" not in body  # unset options are not sent
    package = nodesms_gateway.package(sent.pkg_id)
    assert package.custom_id == sent.custom_id
    assert package.content == "Kodunuz: 482913"


@pytest.mark.nodesms_gateway(password="test-Şifre-1")  # accepted only if sent UTF-8 encoded
async def test_requests_carry_user_agent_and_utf8_basic_auth(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    await nodesms_client.user.credit()
    (request,) = nodesms_gateway.requests
    assert request.authenticated
    assert request.username == nodesms_gateway.username
    agent = request.headers["User-Agent"]
    assert agent.startswith(f"nodesms/{nodesms.__version__} python/")
    assert " aiohttp/" in agent


async def test_wrong_password_is_an_authentication_error(nodesms_gateway: FakeGateway) -> None:
    async with nodesms.Client(nodesms_gateway.base_url, nodesms_gateway.username, "nope") as c:
        with pytest.raises(nodesms.AuthenticationError) as info:
            await c.user.credit()
    assert info.value.name == "ERR_UNAUTHORIZED_REQUEST"
    assert info.value.http_status == 401


async def test_create_one_to_many_with_auto_encoding(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    sent = await nodesms_client.sms.create(
        sender="NODESMS",
        title="Kampanya",
        content="Yeni sezon indirimi başladı! Kaçırmayın.",
        numbers=["+90 555 000 00 01", 5440000002],
        push_url="https://example.com/hooks/sms?token=t",
    )
    assert sent.encoding is nodesms.Encoding.TURKISH
    (body,) = bodies(nodesms_gateway, "/sms/create")
    assert body["sendingType"] == 1
    assert body["numbers"] == [A, B]
    assert body["encoding"] == 1
    assert body["type"] == 1
    assert body["pushSettings"] == {"url": "https://example.com/hooks/sms?token=t"}
    assert nodesms_gateway.package(sent.pkg_id).numbers == [A, B]


async def test_create_many_to_many_with_xid_picks_one_encoding_for_all(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    sent = await nodesms_client.sms.create(
        sender="NODESMS",
        title="Kişisel",
        content="Kişisel mesajlar",
        messages=[
            nodesms.Message("0555 000 00 01", "Hello Ayse", xid="job-1"),
            ("05440000002", "Merhaba Şükrü"),
        ],
    )
    assert sent.encoding is nodesms.Encoding.TURKISH  # one text needs the Turkish table
    (body,) = bodies(nodesms_gateway, "/sms/create")
    assert body["sendingType"] == 2
    assert body["numbers"] == [
        {"nr": A, "msg": "Hello Ayse", "xid": "job-1"},
        {"nr": B, "msg": "Merhaba Şükrü"},
    ]
    items = [item async for item in nodesms_client.sms.list_item(pkg_id=sent.pkg_id)]
    assert sorted((i.target, i.msg) for i in items) == [
        (B, "Merhaba Şükrü"),
        (A, "Hello Ayse"),
    ]


async def test_create_messages_from_a_mapping(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="Özel", messages={A: "Привет", B: "hi"}
    )
    (body,) = bodies(nodesms_gateway, "/sms/create")
    assert body["encoding"] == 2  # Cyrillic needs UCS-2


async def test_scheduled_package_and_periodic_settings_reach_the_wire(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    when = nodesms_gateway.now.replace(tzinfo=None) + timedelta(hours=2)  # naive: gateway time
    aware = (datetime.now(timezone.utc) + timedelta(hours=3)).replace(second=0, microsecond=0)
    sent = await nodesms_client.sms.create(
        sender="NODESMS",
        title="Plan",
        content="Planned",
        number=A,
        sending_date=when,
        periodic_settings=nodesms.Periodic(nodesms.PeriodType.ONCE, interval=1, amount=2000),
    )
    await nodesms_client.sms.create(
        sender="NODESMS", title="Plan", content="Planned too", number=B, sending_date=aware
    )
    first, second = bodies(nodesms_gateway, "/sms/create")
    assert first["sendingDate"] == when.strftime("%Y-%m-%d %H:%M")
    assert first["periodicSettings"] == {"periodType": 0, "interval": 1, "amount": 2000}
    assert second["sendingDate"] == aware.astimezone(IST).strftime("%Y-%m-%d %H:%M")
    page = await nodesms_client.sms.list(pkg_ids=[sent.pkg_id])
    (pkg,) = page.items
    assert pkg.is_scheduled
    assert pkg.sending_date == when.replace(second=0, microsecond=0, tzinfo=IST)


async def test_cancel_a_scheduled_package_then_not_again(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    later = nodesms_gateway.now + timedelta(hours=1)
    sent = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="Later", number=A, sending_date=later
    )
    await nodesms_client.sms.cancel(custom_id=sent.custom_id)
    page = await nodesms_client.sms.list(pkg_ids=[sent.pkg_id])
    assert page.items[0].state is nodesms.PackageState.CANCELLED
    with pytest.raises(nodesms.ConflictError) as info:
        await nodesms_client.sms.cancel(pkg_id=sent.pkg_id)
    assert info.value.code == "SMS07"


async def test_packages_move_to_completed_and_items_report(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    sent = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="Merhaba", numbers=[A, B, C]
    )
    await nodesms_gateway.advance(600)
    (pkg,) = (await nodesms_client.sms.list(pkg_ids=[sent.pkg_id])).items
    assert pkg.state is nodesms.PackageState.COMPLETED
    assert pkg.statistics.r_count == 3
    assert pkg.statistics.delivered == 3
    assert pkg.custom_id == sent.custom_id
    items = [i async for i in nodesms_client.sms.list_item(pkg_id=sent.pkg_id)]
    assert {i.state for i in items} == {nodesms.ItemState.DELIVERED}
    assert all(i.delivery_date is not None and i.delivery_date.tzinfo is not None for i in items)
    assert {i.operator for i in items} >= {nodesms.Operator.TURKCELL}
    delivered = nodesms_client.sms.list_item(pkg_id=sent.pkg_id, target="0532 000 00 03")
    assert [i.target async for i in delivered] == [C]
    summary = await nodesms_client.sms.summary(start_date=nodesms_gateway.now - timedelta(1))
    assert summary.r_count == 3
    assert summary.delivered == 3
    records = await nodesms_client.sms.inquiry_number(gsm=C)
    assert [r.pkg_id for r in records] == [sent.pkg_id]
    again = await nodesms_client.sms.recreate(pkg_id=sent.pkg_id, title="Again")
    assert again.pkg_id != sent.pkg_id
    assert nodesms_gateway.package(again.pkg_id).numbers == [A, B, C]


async def test_create_with_sms_type_otp_sends_type_0(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="Kod 1", number=A, type=nodesms.SmsType.OTP
    )
    await nodesms_client.sms.create(sender="NODESMS", title="T", content="Kod 2", number=A, type=0)
    assert [b["type"] for b in bodies(nodesms_gateway, "/sms/create")] == [0, 0]


async def test_create_kvkk(nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway) -> None:
    sent = await nodesms_client.sms.create_kvkk(
        number=A,
        first_name="Ayşe",
        last_name="Yılmaz",
        sender="NODESMS",
        content="Merhaba FIRST_NAME LAST_NAME, izin için: SHORT_LINK",
    )
    assert sent.custom_id is None
    (body,) = bodies(nodesms_gateway, "/sms/create-kvkk")
    assert body["number"] == {"nr": A, "cfs": {"FIRST_NAME": "Ayşe", "LAST_NAME": "Yılmaz"}}
    assert body["encoding"] == 1


async def test_list_sender(nodesms_client: nodesms.Client) -> None:
    senders = [s async for s in nodesms_client.sms.list_sender()]
    assert "NODESMS" in {s.title for s in senders}
    approved = nodesms_client.sms.list_sender(status=nodesms.SenderStatus.APPROVED)
    statuses = {s.status async for s in approved}
    assert statuses == {nodesms.SenderStatus.APPROVED}


async def test_insufficient_credit(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.credit = 1
    with pytest.raises(nodesms.InsufficientCreditError) as info:
        await nodesms_client.sms.create(sender="NODESMS", title="T", content="x", numbers=[A, B])
    assert info.value.name == "ERR_USER_CREDIT_REQUIRED"
    assert info.value.code == "SMS18"
    assert nodesms_gateway.packages == []


async def test_status_zero_without_an_error_is_not_success(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.faults.push("/sms/cancel", Fault.raw(b'{"err": null, "data": {"status": 0}}'))
    with pytest.raises(nodesms.APIError, match="status 0"):
        await nodesms_client.sms.cancel(pkg_id=1)


async def test_odd_but_valid_answers_decode(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    odd = (
        b'{"data": {"list": [{"id": "7", "state": "9", "statistics": {"rCount": "2"},'
        b' "isScheduled": true, "sendingDate": "2021-05-04 01:38:22.25607", "new": [1]}],'
        b' "stats": {"totalRecord": "1"}}, "err": null}'
    )
    nodesms_gateway.faults.push("/sms/list", Fault.raw(odd))
    page = await nodesms_client.sms.list()
    (pkg,) = page.items
    assert (pkg.id, pkg.state, pkg.statistics.r_count, pkg.is_scheduled) == (7, 9, 2, True)
    assert pkg.state.name == "UNKNOWN_9"
    assert pkg.sending_date is not None
    assert pkg.sending_date.microsecond == 256070
    assert pkg.sending_date.tzinfo is not None


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (("12", "Merhaba"), "messages[2]"),
        (("905550000003", "\ud800"), "messages[2]"),
        (("905550000003", ""), "messages[2]"),
        (nodesms.Message("905550000003", "Merhaba", xid="x" * 500), "messages[2].xid"),
        ("905550000003", "messages[2]"),
    ],
)
async def test_a_bad_personal_message_is_named_by_its_index(bad: object, field: str) -> None:
    good = [("905550000001", "Merhaba"), ("905550000002", "Şişli")]
    async with FakeGateway() as gw, gw.client() as client:
        with pytest.raises(nodesms.ValidationError) as caught:
            await client.sms.create(
                sender="ACME", title="T", content="K", messages=[*good, bad, *good]
            )
        assert gw.requests == []  # nothing was sent
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
