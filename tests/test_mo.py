"""``client.mo`` against the embedded gateway, over real sockets."""

from __future__ import annotations

from datetime import timedelta

import pytest

import nodesms
from nodesms import Client, MoState, ValidationError
from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio


async def test_red_message_blacklists_the_number_and_is_listed(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.inject_mo("0532 555 00 01", "RED mesaj almak istemiyorum")
    nodesms_gateway.inject_mo("0532 555 00 02", "Merhaba")

    (blacklisted,) = [
        c async for c in nodesms_client.contact.list(status=nodesms.ContactFilter.BLACKLIST)
    ]
    assert blacklisted.gsm == "905325550001"  # added to the book although it was not saved
    assert blacklisted.is_in_blacklist is True

    requests = [r async for r in nodesms_client.mo.list_request()]
    assert [r.gsm for r in requests] == ["905325550002", "905325550001"]  # newest first
    no_match, red = requests
    assert isinstance(red, nodesms.MoRequest)
    assert red.state is MoState.DONE
    assert red.keyword == "RED"
    assert red.msg == "RED mesaj almak istemiyorum"
    assert red.short_nr == "2222"
    assert red.user_info is not None
    assert red.user_info.username == nodesms_gateway.username
    assert red.process_info is not None
    assert red.process_info.create is not None
    assert red.process_info.create.date is not None
    received = red.process_info.create.date
    assert abs(received.timestamp() - nodesms_gateway.now.timestamp()) < 2
    assert no_match.state is MoState.NO_MATCH
    assert nodesms_gateway.contact("905325550002") is None


async def test_list_request_filters(nodesms_client: Client, nodesms_gateway: FakeGateway) -> None:
    before = nodesms_gateway.now
    nodesms_gateway.inject_mo("5325550001", "RED")
    await nodesms_gateway.advance(3600)
    later = nodesms_gateway.now
    nodesms_gateway.inject_mo("5325550002", "red lütfen")
    nodesms_gateway.inject_mo("5325550003", "Bilgi")
    mo = nodesms_client.mo

    assert [r.gsm async for r in mo.list_request(keyword="lütfen")] == ["905325550002"]
    assert [r.gsm async for r in mo.list_request(keyword="5325550003")] == ["905325550003"]
    assert {r.gsm async for r in mo.list_request(keyword="RED")} == {
        "905325550001",
        "905325550002",
    }
    in_first_hour = mo.list_request(start_date=before, finish_date=before + timedelta(minutes=5))
    assert [r.gsm async for r in in_first_hour] == ["905325550001"]
    since = [r.gsm async for r in mo.list_request(start_date=later - timedelta(minutes=1))]
    assert since == ["905325550003", "905325550002"]
    assert [r async for r in mo.list_request(user_uuid="someone-else")] == []

    *_, last = [r for r in nodesms_gateway.requests if r.operation == "/mo/list-request"]
    assert set(last.params) == {"userUUID", "pageIndex", "pageSize"}
    start_sent = next(r.params for r in nodesms_gateway.requests if "startDate" in r.params)
    assert start_sent["startDate"] == before.strftime("%Y-%m-%d %H:%M")


async def test_list_request_walks_every_page(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    for i in range(35):
        nodesms_gateway.inject_mo(f"53255500{i:02d}", "RED")
    page = await nodesms_client.mo.list_request(page_size=10)
    assert (page.total, len(page.items)) == (35, 10)
    walked = [r.uuid async for r in nodesms_client.mo.list_request(page_size=10)]
    assert len(walked) == len(set(walked)) == 35
    limited = [r async for r in nodesms_client.mo.list_request(page_size=10, limit=12)]
    assert len(limited) == 12


async def test_list_request_input_errors(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    now = nodesms_gateway.now
    with pytest.raises(ValidationError, match="start_date"):
        nodesms_client.mo.list_request(start_date=now, finish_date=now - timedelta(days=1))
    with pytest.raises(ValidationError, match="start_date"):
        nodesms_client.mo.list_request(start_date="2024-01-01 00:00")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="page_size"):
        nodesms_client.mo.list_request(page_size=1)
    assert nodesms_gateway.requests == []
