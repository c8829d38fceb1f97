"""FakeGateway /contact/* and /mo/* semantics."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import Api, GatewayFactory

from nodesms.enums import MoState

pytestmark = pytest.mark.anyio


async def make_group(api: Api, title: str, **extra: Any) -> str:
    return str((await api.ok("/contact/create-group", {"title": title, **extra}))["uuid"])


async def test_create_contact_shape_and_duplicates(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    group = await make_group(api, "Müşteriler")
    data = await api.ok(
        "/contact/create",
        {
            "gsm": "0532 123 45 67",
            "firstName": "Zafer",
            "lastName": "Altun",
            "groupUUIDs": [group],
            "details": {"GSM_2": "905001234561", "CITY_1": "Ankara"},
            "iys": {"c": 0, "src": 2, "send": False},
        },
    )
    assert data == {
        "uuid": data["uuid"],
        "firstName": "Zafer",
        "lastName": "Altun",
        "gsm": "905321234567",
        "details": {"GSM_2": "905001234561", "CITY_1": "Ankara"},
        "groups": [{"uuid": group, "title": "Müşteriler"}],
        "isInBlacklist": 0,
        "iys": {"c": 0, "st": 0, "src": 2, "send": 0},
    }
    reply = await api.fail("/contact/create", {"gsm": 905321234567})
    assert (reply.status, reply.err["code"]) == (409, "ERR_CONTACT_ALREADY_EXISTS")
    for bad in (
        {"gsm": "12"},
        {"gsm": "905321111111", "details": {"ŞEHİR": "x"}},
        {"gsm": "905321111111", "details": {"A-B": "x"}},
        {"gsm": "905321111111", "iys": {"c": 0, "src": 2}},
    ):
        assert (await api.fail("/contact/create", bad)).err["code"] == "ERR_INVALID_PARAM"
    karar = {"gsm": "905321111111", "iys": {"c": 0, "src": 1, "send": True}}
    assert (await api.fail("/contact/create", karar)).err["code"] == "ERR_BAD_REQUEST"
    missing_group = {"gsm": "905321111111", "groupUUIDs": ["nope"]}
    reply = await api.fail("/contact/create", missing_group)
    assert reply.err["code"] == "ERR_PARENT_CONTACT_GROUP_NOT_FOUND"
    assert len(gw.contacts) == 1


async def test_update_contact(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    first = await api.ok("/contact/create", {"gsm": "905321234567", "firstName": "A"})
    await api.ok("/contact/create", {"gsm": "905441234567"})
    update = {"uuid": first["uuid"], "lastName": "B", "isInBlacklist": True}
    assert await api.ok("/contact/update", update) == {"status": 1}
    contact = gw.contact("905321234567")
    assert contact is not None
    assert (contact.first_name, contact.last_name, contact.blacklisted) == ("A", "B", True)
    clash = {"uuid": first["uuid"], "gsm": "905441234567"}
    assert (await api.fail("/contact/update", clash)).err["code"] == "ERR_CONTACT_ALREADY_EXISTS"
    await api.ok("/contact/update", {"uuid": first["uuid"], "gsm": "05551234567"})
    assert gw.contact("905551234567") is contact
    assert gw.contact("905321234567") is None
    assert (await api.fail("/contact/update", {"uuid": "x"})).err["code"] == "ERR_NOT_FOUND"


async def test_delete_archives_or_deletes_for_good(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    group = await make_group(api, "G")
    a = await api.ok("/contact/create", {"gsm": "905321000001", "groupUUIDs": [group]})
    b = await api.ok("/contact/create", {"gsm": "905321000002"})
    c = await api.ok("/contact/create", {"gsm": "905321000003"})
    # groupUUID limits the delete to members of the group
    await api.ok(
        "/contact/delete", {"uuids": [a["uuid"], b["uuid"]], "permanent": 0, "groupUUID": group}
    )
    assert [x.gsm for x in gw.archived_contacts] == ["905321000001"]
    await api.ok("/contact/delete", {"uuids": [b["uuid"]], "permanent": 1})
    assert {x.gsm for x in gw.contacts} == {"905321000003"}
    assert [x.gsm for x in gw.archived_contacts] == ["905321000001"]
    listed = await api.ok("/contact/list", {})
    assert [x["uuid"] for x in listed["list"]] == [c["uuid"]]
    # an archived number can be added again
    await api.ok("/contact/create", {"gsm": "905321000001"})
    assert (await api.fail("/contact/delete", {"uuids": []})).err["code"] == "ERR_INVALID_PARAM"


async def test_delete_needs_the_ip_restriction(gateway: GatewayFactory) -> None:
    _, api = await gateway(ip_restriction=False)
    reply = await api.fail("/contact/delete", {"uuids": ["x"], "permanent": 0})
    assert (reply.status, reply.err["code"]) == (403, "ERR_USER_NOT_AUTHORIZED")


async def test_contact_list_filters_and_paging(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    group = await make_group(api, "VIP")
    await api.ok("/contact/create", {"gsm": "905321000001", "groupUUIDs": [group]})
    await api.ok("/contact/create", {"gsm": "905321000002", "isInBlacklist": True})
    await api.ok(
        "/contact/create", {"gsm": "905321000003", "iys": {"c": 1, "src": 7, "send": True}}
    )
    gw.seed_contacts(20)

    async def gsms(body: dict[str, Any]) -> list[str]:
        return [x["gsm"] for x in (await api.ok("/contact/list", body))["list"]]

    assert await gsms({"status": 2}) == ["905321000002"]
    assert len(await gsms({"status": 1, "pageSize": 100})) == 22
    assert await gsms({"groupUUID": group}) == ["905321000001"]
    assert await gsms({"iysState": 0}) == ["905321000003"]
    page = await api.ok("/contact/list", {"pageSize": 10, "pageIndex": 2})
    assert page["stats"]["totalRecord"] == 23
    assert len(page["list"]) == 3


async def test_groups_with_parents(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    await api.ok("/contact/create", {"gsm": "905321000001"})
    await api.ok("/contact/create", {"gsm": "905321000002"})
    parent = await api.ok("/contact/create-group", {"title": "Bölge"})
    assert parent["stats"] == {"contactCount": 0}
    assert parent["parentInfo"] is None
    child = await api.ok(
        "/contact/create-group",
        {
            "title": "İstanbul",
            "parentUUID": parent["uuid"],
            "gsms": ["05321000001", "905321999999"],
        },
    )
    assert child["parentInfo"] == {"uuid": parent["uuid"], "title": "Bölge"}
    assert child["stats"] == {"contactCount": 1}
    same = {"title": "İstanbul", "parentUUID": parent["uuid"]}
    assert (await api.fail("/contact/create-group", same)).err[
        "code"
    ] == "ERR_CONTACT_GROUP_ALREADY_EXISTS"
    await api.ok("/contact/create-group", {"title": "İstanbul"})  # other parent: fine
    orphan = {"title": "x", "parentUUID": "nope"}
    assert (await api.fail("/contact/create-group", orphan)).err[
        "code"
    ] == "ERR_PARENT_CONTACT_GROUP_NOT_FOUND"
    under_full = {"title": "y", "parentUUID": child["uuid"]}
    reply = await api.fail("/contact/create-group", under_full)
    assert reply.err["code"] == "ERR_PARENT_CONTACT_GROUP_NOT_EMPTY"
    listed = await api.ok("/contact/list-group", {"parentUUID": parent["uuid"]})
    assert [g["title"] for g in listed["list"]] == ["İstanbul"]
    everything = await api.ok("/contact/list-group", {"keyword": "bölge"})
    assert everything["list"][0]["isParent"] == 1
    assert set(everything["list"][0]) == {
        "uuid",
        "stats",
        "title",
        "isParent",
        "isShared",
        "parentInfo",
    }
    update = {"uuid": child["uuid"], "title": "Ankara", "gsms": ["905321000002"]}
    assert await api.ok("/contact/update-group", update) == {"status": 1}
    renamed = (await api.ok("/contact/list-group", {"keyword": "ankara"}))["list"][0]
    assert renamed["stats"] == {"contactCount": 2}
    cycle = {"uuid": parent["uuid"], "parentUUID": child["uuid"]}
    assert (await api.fail("/contact/update-group", cycle)).err["code"] in {
        "ERR_BAD_REQUEST",
        "ERR_PARENT_CONTACT_GROUP_NOT_EMPTY",
    }
    assert len(gw.groups) == 3


async def test_delete_group_cascades_and_archives_contacts(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    parent = await make_group(api, "P")
    child = await make_group(api, "C", parentUUID=parent)
    other = await make_group(api, "O")
    await api.ok("/contact/create", {"gsm": "905321000001", "groupUUIDs": [child]})
    await api.ok("/contact/create", {"gsm": "905321000002", "groupUUIDs": [child, other]})
    body = {"uuid": parent, "includeContacts": True}
    assert await api.ok("/contact/delete-group", body) == {"status": 1}
    assert [g.uuid for g in gw.groups] == [other]
    assert [c.gsm for c in gw.contacts] == ["905321000002"]
    assert [c.gsm for c in gw.archived_contacts] == ["905321000001"]
    reply = await api.fail("/contact/delete-group", {"uuids": [parent]})
    assert reply.err["code"] == "ERR_PARENT_CONTACT_GROUP_NOT_FOUND"


async def test_a_second_delete_group_meanwhile_is_refused(gateway: GatewayFactory) -> None:
    gw, api = await gateway(delete_group_duration=0.3)
    first = await make_group(api, "A")
    second = await make_group(api, "B")
    running = asyncio.ensure_future(api.call("/contact/delete-group", {"uuid": first}))
    await asyncio.sleep(0.1)
    reply = await api.fail("/contact/delete-group", {"uuid": second})
    assert (reply.status, reply.err["code"]) == (429, "ERR_MULTI_REQUEST_NOT_PERMITTED")
    assert (await running).data == {"status": 1}
    assert await api.ok("/contact/delete-group", {"uuid": second}) == {"status": 1}
    assert gw.groups == []


async def test_set_blacklist(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    known = await api.ok("/contact/create", {"gsm": "905321000001"})
    body = {"status": True, "uuids": [known["uuid"]], "gsms": ["05441112233"]}
    assert await api.ok("/contact/set-blacklist", body) == {"status": 1}
    assert {c.gsm: c.blacklisted for c in gw.contacts} == {
        "905321000001": True,
        "905441112233": True,
    }
    bad = {"status": False, "gsms": ["905441112233", "12x"]}
    assert (await api.fail("/contact/set-blacklist", bad)).err["code"] == "ERR_INVALID_PARAM"
    assert gw.contact("905441112233").blacklisted  # type: ignore[union-attr]
    data = await api.ok("/contact/set-blacklist", {**bad, "returnInvalids": True})
    assert data == {"status": 1, "invalids": ["12x"]}
    assert not gw.contact("905441112233").blacklisted  # type: ignore[union-attr]
    too_many = {"status": True, "uuids": ["u"] * 600, "gsms": ["905321000001"] * 401}
    reply = await api.fail("/contact/set-blacklist", too_many)
    assert (reply.status, reply.err["code"]) == (400, "ERR_REQUEST_PARAM_LIMIT")
    exactly = {"status": True, "uuids": ["u"] * 500, "gsms": ["905321000001"] * 500}
    await api.ok("/contact/set-blacklist", exactly)
    assert (await api.fail("/contact/set-blacklist", {"status": True})).err[
        "code"
    ] == "ERR_INVALID_PARAM"


async def test_import_is_applied_asynchronously(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    existing = await api.ok("/contact/create", {"gsm": "905991000000", "firstName": "Eski"})
    target = await make_group(api, "Hedef")
    csv = (
        "'GSM','FIRST_NAME','GROUP_NAME','BIRTH_DATE','SEHIR'\n"
        "'905991000000','Yeni','A Grubu','1990-01-01','Ankara'\n"
        "'0599 100 00 02','O''Brien','A Grubu','',''\n"
        "'905991000003','','B Grubu','','İzmir'\n"
        "'geçersiz','','','',''"
    )
    body = {
        "csvData": csv,
        "columns": ["gsm", "first_name", "group_name", "birth_date", "sehir"],
        "groupUUIDs": [target],
    }
    assert await api.ok("/contact/import", body) == {"status": 1}
    assert len(gw.contacts) == 1
    reply = await api.fail("/contact/import", body)
    assert (reply.status, reply.err["code"]) == (409, "ERR_CONTACT_IMPORT_EXISTS")
    await gw.advance(0)
    (result,) = gw.imports
    assert (result.rows, result.created, result.updated, result.invalid) == (4, 2, 0, ["geçersiz"])
    old = gw.contact("905991000000")
    assert old is not None
    assert old.uuid == existing["uuid"]
    assert old.first_name == "Eski"  # no overwrite
    new = gw.contact("905991000002")
    assert new is not None
    assert new.first_name == "O'Brien"
    third = gw.contact("905991000003")
    assert third is not None
    assert third.details == {"SEHIR": "İzmir"}
    titles = {g.uuid: g.title for g in gw.groups}
    assert sorted(titles[g] for g in new.groups) == ["A Grubu", "Hedef"]
    assert sorted(titles[g] for g in old.groups) == ["A Grubu", "Hedef"]
    await api.ok("/contact/import", {**body, "overwrite": True, "isInBlacklist": True})
    await gw.advance(0)
    assert gw.imports[1].updated == 3
    assert (old.first_name, old.details["BIRTH_DATE"], old.blacklisted) == (
        "Yeni",
        "1990-01-01",
        True,
    )
    assert len([g for g in gw.groups if g.title == "A Grubu"]) == 1


async def test_import_validation(gateway: GatewayFactory) -> None:
    _, api = await gateway()
    cases = [
        {"csvData": "'GSM'\n'905321234567'", "columns": ["GSM_X!"]},
        {"csvData": "'GSM','X'\n'905321234567'", "columns": ["gsm", "x"]},
        {"csvData": "GSM\n905321234567", "columns": ["gsm"]},
        {"csvData": "'NAME'\n'a'", "columns": ["first_name"]},
        {"csvData": "'FIRST_NAME','GSM'\n'a','905321234567'", "columns": ["gsm", "first_name"]},
        {"columns": ["gsm"]},
    ]
    for body in cases:
        assert (await api.fail("/contact/import", body)).err["code"] == "ERR_INVALID_PARAM", body
    missing = {"csvData": "'GSM'\n'905321234567'", "columns": ["gsm"], "groupUUIDs": ["x"]}
    assert (await api.fail("/contact/import", missing)).err[
        "code"
    ] == "ERR_PARENT_CONTACT_GROUP_NOT_FOUND"


async def test_import_waits_for_the_delay_on_the_real_clock(gateway: GatewayFactory) -> None:
    gw, api = await gateway(clock="real", import_delay=0.2, tick=0.02)
    await api.ok("/contact/import", {"csvData": "'GSM'\n'905321234567'", "columns": ["gsm"]})
    await asyncio.sleep(0.05)
    assert gw.imports == []
    await asyncio.sleep(0.4)
    assert [c.gsm for c in gw.contacts] == ["905321234567"]


async def test_mo_request_blacklists_on_keyword(gateway: GatewayFactory) -> None:
    gw, api = await gateway(mo_keywords=("RED", "IPTAL"))
    await api.ok("/contact/create", {"gsm": "905321000001"})
    matched = gw.inject_mo("905321000001", "RED mesaj almak istemiyorum", short_nr=3333)
    unknown = gw.inject_mo(905441112233, "iptal")
    other = gw.inject_mo("905551112233", "Merhaba")
    assert (matched.state, unknown.state, other.state) == (
        MoState.DONE,
        MoState.DONE,
        MoState.NO_MATCH,
    )
    assert {c.gsm: c.blacklisted for c in gw.contacts} == {
        "905321000001": True,
        "905441112233": True,
    }
    data = await api.ok("/mo/list-request", {})
    assert data["stats"]["totalRecord"] == 3
    newest = data["list"][0]
    assert set(newest) == {
        "uuid",
        "gsm",
        "msg",
        "state",
        "keyword",
        "shortNr",
        "userInfo",
        "processInfo",
    }
    assert (newest["gsm"], newest["state"], newest["keyword"]) == (905551112233, -1, "MERHABA")
    oldest = data["list"][2]
    assert (oldest["keyword"], oldest["shortNr"]) == ("RED", 3333)
    assert (await api.ok("/mo/list-request", {"keyword": "istemiyorum"}))["stats"][
        "totalRecord"
    ] == 1
    assert (await api.ok("/mo/list-request", {"keyword": "90544"}))["stats"]["totalRecord"] == 1
    assert (await api.ok("/mo/list-request", {"userUUID": "someone"}))["list"] == []
    blacklist = await api.ok("/contact/list", {"status": 2})
    assert blacklist["stats"]["totalRecord"] == 2
