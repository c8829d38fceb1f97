"""Every result serialises: msgspec.json.encode, msgspec.to_builtins, pickle and .to_dict(),
and a FastAPI handler (through httpx's ASGI transport) returns them."""

from __future__ import annotations

import json
import pickle
from datetime import datetime
from typing import Any

import fastapi
import httpx
import msgspec
import pytest

import nodesms
from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio

PUSH = (
    b'{"pkg": {"id": 7, "state": 6, "statistics": {"total": 1, "delivered": 1, '
    b'"undelivered": 0}}, "items": [{"id": "1", "nr": "905550000001", "status": 3, '
    b'"lastUpdate": "2021-05-04T01:38:26"}], "userID": 1}'
)


async def every_result(gw: FakeGateway, client: nodesms.Client) -> list[Any]:
    """One of each result the client returns, decoded from the gateway's real answers."""
    created = await client.sms.create(
        sender="NODESMS", title="T", content="Merhaba", numbers=["905550000001", "905550000002"]
    )
    await gw.advance(60)
    page = await client.sms.list(start_date=gw.now.replace(year=2020))
    (pkg,) = page.items
    items = await client.sms.list_item(pkg_id=created.pkg_id).to_list()
    senders = await client.sms.list_sender().to_list()
    summary = await client.sms.summary(start_date=gw.now.replace(year=2020))
    inquiry = await client.sms.inquiry_number(gsm="905550000001")
    group = await client.contact.create_group(title="Müşteriler")
    contact = await client.contact.create(
        gsm="905550000003",
        first_name="Ayşe",
        group_uuids=[group.uuid],
        details={"CITY": "İzmir"},
        iys=nodesms.Iys(c=nodesms.IysRecipientType.INDIVIDUAL, src=nodesms.IysSource.HS_WEB,
                        send=True),
    )  # fmt: skip
    gw.inject_mo("905550000004", "RED")
    mo = await client.mo.list_request().to_list()
    credit = await client.user.credit()
    return [
        created,
        page,
        pkg,
        *items,
        *senders,
        summary,
        *inquiry,
        group,
        contact,
        *mo,
        credit,
        nodesms.parse_push(PUSH),
        nodesms.segments("Merhaba dünya"),
    ]


async def test_every_result_serialises_everywhere() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        results = await every_result(gw, client)
    kinds = {type(r).__name__ for r in results}
    assert kinds >= {
        "PackageCreated", "Page", "Package", "PackageItem", "Sender", "Summary",
        "InquiryRecord", "Group", "Contact", "MoRequest", "Credit", "PushReport", "Segments",
    }  # fmt: skip
    for result in results:
        encoded = msgspec.json.encode(result)
        assert json.loads(encoded) == json.loads(json.dumps(msgspec.to_builtins(result)))
        again = pickle.loads(pickle.dumps(result))
        assert again == result
        assert type(again) is type(result)
        plain = result.to_dict()
        assert json.loads(json.dumps(plain)) == plain, type(result).__name__


async def test_to_dict_uses_attribute_names_and_plain_values() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        results = await every_result(gw, client)
    pkg = next(r for r in results if isinstance(r, nodesms.Package))
    # Plain aware datetimes: what every serialiser takes.
    assert type(pkg.sending_date) is datetime
    assert pkg.sending_date is not None
    assert pkg.sending_date.tzinfo is client.gateway_tz
    assert isinstance(pkg.sending_date, nodesms.GatewayDateTime)
    plain = pkg.to_dict()
    assert plain["id"] == pkg.id
    assert plain["custom_id"] == pkg.custom_id
    assert plain["is_scheduled"] is False
    assert "_is_scheduled" not in plain
    assert "isScheduled" not in plain
    assert plain["state"] == 6
    assert plain["statistics"]["r_count"] == 2
    assert plain["sending_date"] == pkg.sending_date.isoformat()
    # The wire names are msgspec's: results round-trip through msgspec.
    assert msgspec.to_builtins(pkg)["customID"] == pkg.custom_id
    contact = next(r for r in results if isinstance(r, nodesms.Contact))
    as_dict = contact.to_dict()
    assert type(contact.gsm) is str
    assert as_dict["gsm"] == "905550000003"
    assert as_dict["groups"] == [{"uuid": contact.group_uuids[0], "title": "Müşteriler"}]
    assert as_dict["iys"]["src"] == nodesms.IysSource.HS_WEB
    assert as_dict["details"] == {"CITY": "İzmir"}
    page = next(r for r in results if isinstance(r, nodesms.Page))
    assert page.to_dict()["items"][0] == pkg.to_dict()


async def test_a_fastapi_handler_returns_results() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        await client.sms.create(
            sender="NODESMS", title="T", content="Merhaba", numbers=["905550000001"]
        )
        app = fastapi.FastAPI()

        @app.get("/packages")
        async def packages() -> list[dict[str, Any]]:
            page = await client.sms.list(start_date=gw.now.replace(year=2020))
            return [pkg.to_dict() for pkg in page.items]

        @app.get("/credit")
        async def credit() -> dict[str, Any]:
            return (await client.user.credit()).to_dict()

        @app.get("/raw")
        async def raw() -> fastapi.Response:
            page = await client.sms.list(start_date=gw.now.replace(year=2020))
            return fastapi.Response(msgspec.json.encode(page), media_type="application/json")

        @app.get("/models", response_model=list[nodesms.Package])
        async def models() -> Any:
            return (await client.sms.list(start_date=gw.now.replace(year=2020))).items

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            listed = (await http.get("/packages")).json()
            assert listed[0]["title"] == "T"
            assert listed[0]["sending_date"].endswith("+03:00")
            assert (await http.get("/credit")).json() == {"credit": 100_000 - 1}
            assert (await http.get("/raw")).json()["items"][0]["title"] == "T"
            assert (await http.get("/models")).json() == listed
            schema = (await http.get("/openapi.json")).json()
            assert schema["paths"]["/models"]["get"]["responses"]["200"]
