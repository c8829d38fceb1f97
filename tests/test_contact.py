"""``client.contact`` against the embedded gateway, over real sockets."""

from __future__ import annotations

from functools import partial

import anyio
import pytest

import nodesms
from nodesms import Client, Iys, IysRecipientType, IysSource, ValidationError
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

FAST_RETRY = nodesms.RetryPolicy(initial_delay=0.01, max_delay=0.05)


def sent(gw: FakeGateway, operation: str) -> list[dict[str, object]]:
    return [dict(r.params) for r in gw.requests if r.operation == operation]


# --- contacts ----------------------------------------------------------------------------------


async def test_create_returns_the_contact_with_typed_iys(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    group = await nodesms_client.contact.create_group(title="Müşteriler")
    contact = await nodesms_client.contact.create(
        gsm="0532 111 22 33",
        first_name="Şükrü",
        last_name="Yılmaz",
        group_uuids=[group.uuid],
        details={"CITY": "İzmir", "GSM_2": "0544 000 00 01", "EMAIL": "s@example.com.tr"},
        iys=Iys(c=IysRecipientType.INDIVIDUAL, src=IysSource.HS_WEB, send=True, query_email=True),
    )
    assert isinstance(contact, nodesms.Contact)
    assert contact.gsm == "905321112233"
    assert (contact.first_name, contact.last_name) == ("Şükrü", "Yılmaz")
    assert contact.details == {
        "CITY": "İzmir",
        "GSM_2": "905440000001",
        "EMAIL": "s@example.com.tr",
    }
    assert contact.group_uuids == [group.uuid]
    assert contact.groups == [nodesms.GroupRef(uuid=group.uuid, title="Müşteriler")]
    assert contact.is_in_blacklist is False
    assert contact.iys is not None
    assert contact.iys.recipient_type is IysRecipientType.INDIVIDUAL
    assert contact.iys.source is IysSource.HS_WEB
    assert contact.iys.state is nodesms.IysState.WAITING_FOR_SYNC
    assert contact.iys.send is True
    (body,) = sent(nodesms_gateway, "/contact/create")
    assert body == {
        "gsm": "905321112233",
        "firstName": "Şükrü",
        "lastName": "Yılmaz",
        "groupUUIDs": [group.uuid],
        "details": {"CITY": "İzmir", "GSM_2": "905440000001", "EMAIL": "s@example.com.tr"},
        "iys": {"c": 0, "src": 7, "send": True, "queryEmail": True},
    }


async def test_create_an_existing_number_is_a_conflict(nodesms_client: Client) -> None:
    await nodesms_client.contact.create(gsm="5321112233")
    with pytest.raises(nodesms.ConflictError) as caught:
        await nodesms_client.contact.create(gsm="+90 532 111 22 33")
    assert caught.value.name == "ERR_CONTACT_ALREADY_EXISTS"


async def test_update_changes_only_what_is_given(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    contact = await nodesms_client.contact.create(
        gsm="5321112233", first_name="Ayşe", iys=Iys(c=1, src=IysSource.HS_WEB, send=True)
    )
    await nodesms_client.contact.update(uuid=contact.uuid, last_name="Öztürk")
    assert sent(nodesms_gateway, "/contact/update") == [
        {"uuid": contact.uuid, "lastName": "Öztürk"}
    ]
    await nodesms_client.contact.update(
        uuid=contact.uuid,
        is_in_blacklist=True,
        iys=Iys(c=1, src=IysSource.HS_KARAR, send=False),  # allowed after the first add
    )
    (listed,) = [c async for c in nodesms_client.contact.list()]
    assert (listed.first_name, listed.last_name) == ("Ayşe", "Öztürk")
    assert listed.is_in_blacklist is True
    assert listed.iys is not None
    assert listed.iys.src is IysSource.HS_KARAR


async def test_list_filters_blacklist_and_group(nodesms_client: Client) -> None:
    group = await nodesms_client.contact.create_group(title="VIP")
    a = await nodesms_client.contact.create(gsm="5320000001", group_uuids=[group.uuid])
    b = await nodesms_client.contact.create(gsm="5320000002", is_in_blacklist=True)
    contacts = nodesms_client.contact
    assert {c.uuid async for c in contacts.list()} == {a.uuid, b.uuid}
    assert [c.uuid async for c in contacts.list(status=nodesms.ContactFilter.BLACKLIST)] == [b.uuid]
    assert [c.uuid async for c in contacts.list(status=nodesms.ContactFilter.WHITELIST)] == [a.uuid]
    assert [c.uuid async for c in contacts.list(group_uuid=group.uuid)] == [a.uuid]
    page = await contacts.list(page_size=10)
    assert page.total == 2


async def test_walk_of_5000_contacts(nodesms_client: Client, nodesms_gateway: FakeGateway) -> None:
    seeded = nodesms_gateway.seed_contacts(5000)
    seen = [contact.uuid async for contact in nodesms_client.contact.list()]
    assert len(seen) == 5000
    assert set(seen) == {c.uuid for c in seeded}
    pages = sent(nodesms_gateway, "/contact/list")
    assert [(p["pageIndex"], p["pageSize"]) for p in pages] == [(i, 1000) for i in range(5)]
    limited = [c async for c in nodesms_client.contact.list(limit=25, page_index=1)]
    assert len(limited) == 25


# --- delete ------------------------------------------------------------------------------------


async def test_delete_archives_by_default_and_permanent_removes(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    a, b, c = nodesms_gateway.seed_contacts(3)
    await nodesms_client.contact.delete(uuids=[a.uuid])
    assert [x.uuid for x in nodesms_gateway.archived_contacts] == [a.uuid]
    await nodesms_client.contact.delete(uuids=[b.uuid], permanent=True)
    assert [x.uuid for x in nodesms_gateway.archived_contacts] == [a.uuid]
    assert [x.uuid for x in nodesms_gateway.contacts] == [c.uuid]
    assert [x.uuid async for x in nodesms_client.contact.list()] == [c.uuid]
    assert sent(nodesms_gateway, "/contact/delete") == [
        {"uuids": [a.uuid], "permanent": 0},
        {"uuids": [b.uuid], "permanent": 1},
    ]


async def test_delete_limited_to_a_group(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    inside = nodesms_gateway.seed_contacts(1, group="Silinecek")[0]
    outside = nodesms_gateway.seed_contacts(1)[0]
    (group,) = nodesms_gateway.groups
    await nodesms_client.contact.delete(uuids=[inside.uuid, outside.uuid], group_uuid=group.uuid)
    assert [x.uuid for x in nodesms_gateway.contacts] == [outside.uuid]


@pytest.mark.nodesms_gateway(ip_restriction=False)
async def test_delete_needs_the_ip_restriction(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    contact = nodesms_gateway.seed_contacts(1)[0]
    with pytest.raises(nodesms.PermissionDeniedError):
        await nodesms_client.contact.delete(uuids=[contact.uuid])
    with pytest.raises(nodesms.PermissionDeniedError):
        await nodesms_client.contact.delete_group(uuid="x")


# --- groups ------------------------------------------------------------------------------------


async def test_groups_create_update_list(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.seed_contacts(2)
    numbers = [c.gsm for c in nodesms_gateway.contacts]
    parent = await nodesms_client.contact.create_group(title="Bölgeler")
    assert isinstance(parent, nodesms.Group)
    assert parent.contact_count == 0
    assert parent.parent_uuid is None
    child = await nodesms_client.contact.create_group(
        title="Ege",
        parent_uuid=parent.uuid,
        gsms=["0" + numbers[0][2:], int(numbers[1])],  # normalised before sending
    )
    assert child.contact_count == 2
    assert child.parent_uuid == parent.uuid
    assert child.parent_info == nodesms.GroupRef(uuid=parent.uuid, title="Bölgeler")
    assert sent(nodesms_gateway, "/contact/create-group")[1]["gsms"] == numbers

    await nodesms_client.contact.update_group(uuid=child.uuid, title="Ege Bölgesi")
    groups = {g.uuid: g async for g in nodesms_client.contact.list_group()}
    assert groups[child.uuid].title == "Ege Bölgesi"
    assert groups[parent.uuid].is_parent is True
    assert groups[child.uuid].stats == nodesms.GroupStats(contact_count=2)
    subs = [g.uuid async for g in nodesms_client.contact.list_group(parent_uuid=parent.uuid)]
    assert subs == [child.uuid]
    found = [g.title async for g in nodesms_client.contact.list_group(keyword="ege")]
    assert found == ["Ege Bölgesi"]


async def test_delete_group_keeps_contacts_unless_asked(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    kept = nodesms_gateway.seed_contacts(2, group="A")
    gone = nodesms_gateway.seed_contacts(2, group="B")
    a, b = nodesms_gateway.groups
    await nodesms_client.contact.delete_group(uuid=a.uuid)
    assert {c.uuid for c in nodesms_gateway.contacts} == {c.uuid for c in kept + gone}
    await nodesms_client.contact.delete_group(uuids=[b.uuid], include_contacts=True)
    assert nodesms_gateway.groups == []
    assert {c.uuid for c in nodesms_gateway.archived_contacts} == {c.uuid for c in gone}
    assert sent(nodesms_gateway, "/contact/delete-group") == [
        {"uuid": a.uuid},
        {"uuids": [b.uuid], "includeContacts": True},
    ]


async def test_delete_group_is_retried_after_sms50(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.seed_contacts(1, group="A")
    (group,) = nodesms_gateway.groups
    nodesms_gateway.faults.push("/contact/delete-group", Fault.error("SMS50"))
    async with nodesms_gateway.client(retry=FAST_RETRY) as client:
        await client.contact.delete_group(uuid=group.uuid)
    assert len(sent(nodesms_gateway, "/contact/delete-group")) == 2
    assert nodesms_gateway.groups == []


@pytest.mark.nodesms_gateway(delete_group_duration=0.2)
async def test_concurrent_delete_groups_wait_for_each_other(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.seed_contacts(1, group="A")
    nodesms_gateway.seed_contacts(1, group="B")
    uuids = [g.uuid for g in nodesms_gateway.groups]
    retry = nodesms.RetryPolicy(max_attempts=10, initial_delay=0.1, max_delay=0.2)
    async with nodesms_gateway.client(retry=retry) as client, anyio.create_task_group() as tg:
        for uuid in uuids:
            tg.start_soon(partial(client.contact.delete_group, uuid=uuid))
    assert nodesms_gateway.groups == []
    assert len(sent(nodesms_gateway, "/contact/delete-group")) > 2  # one was refused, retried


# --- import ------------------------------------------------------------------------------------


async def test_import_turkish_rows_with_custom_fields_and_groups(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    existing = await nodesms_client.contact.create_group(title="Tüm Kişiler")
    rows: list[dict[str, str] | tuple[str | None, ...]] = [
        {"gsm": "0532 100 00 01", "first_name": "Işıl", "last_name": "Çağlar",
         "group_name": "İstanbul Şubesi", "city": "İstanbul", "gsm_2": "0544 100 00 01"},
        {"gsm": "+90 532 100 00 02", "first_name": "Ömer", "last_name": "Güneş",
         "group_name": "Ankara Şubesi", "city": "Ankara"},
        ("5321000003", "İlkay", "Doğru", "İstanbul Şubesi", "İzmir", None),
    ]  # fmt: skip
    columns = ["gsm", "first_name", "last_name", "group_name", "city", "gsm_2"]
    await nodesms_client.contact.import_(rows, columns=columns, group_uuids=[existing.uuid])
    (body,) = sent(nodesms_gateway, "/contact/import")
    assert body == {
        "csvData": (
            "'GSM','FIRST_NAME','LAST_NAME','GROUP_NAME','CITY','GSM_2'\n"
            "'905321000001','Işıl','Çağlar','İstanbul Şubesi','İstanbul','905441000001'\n"
            "'905321000002','Ömer','Güneş','Ankara Şubesi','Ankara',''\n"
            "'905321000003','İlkay','Doğru','İstanbul Şubesi','İzmir',''"
        ),
        "columns": columns,
        "overwrite": False,
        "isInBlacklist": False,
        "groupUUIDs": [existing.uuid],
    }
    # Asynchronous on the gateway: nothing yet, everything once it has processed the import.
    assert [c async for c in nodesms_client.contact.list()] == []
    await nodesms_gateway.advance(1)

    contacts = {str(c.gsm): c async for c in nodesms_client.contact.list()}
    assert set(contacts) == {"905321000001", "905321000002", "905321000003"}
    isil = contacts["905321000001"]
    assert (isil.first_name, isil.last_name) == ("Işıl", "Çağlar")
    assert isil.details == {"CITY": "İstanbul", "GSM_2": "905441000001"}
    assert contacts["905321000003"].first_name == "İlkay"
    groups = {g.title: g async for g in nodesms_client.contact.list_group()}
    assert set(groups) == {"Tüm Kişiler", "İstanbul Şubesi", "Ankara Şubesi"}
    assert groups["İstanbul Şubesi"].contact_count == 2
    assert groups["Ankara Şubesi"].contact_count == 1
    assert groups["Tüm Kişiler"].contact_count == 3
    istanbul = groups["İstanbul Şubesi"].uuid
    in_istanbul = {c.gsm async for c in nodesms_client.contact.list(group_uuid=istanbul)}
    assert in_istanbul == {"905321000001", "905321000003"}
    assert set(isil.group_uuids) == {existing.uuid, istanbul}


async def test_import_overwrite_and_blacklist(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    await nodesms_client.contact.create(gsm="5321000001", first_name="Eski")
    await nodesms_client.contact.import_(
        [("5321000001", "Yeni"), ("5321000002", "Çiğdem")],
        columns=["GSM", "FIRST_NAME"],  # any case; sent lower-case
        overwrite=True,
        is_in_blacklist=True,
    )
    await nodesms_gateway.advance(1)
    contacts = {str(c.gsm): c async for c in nodesms_client.contact.list()}
    assert contacts["905321000001"].first_name == "Yeni"
    assert all(c.is_in_blacklist for c in contacts.values())
    (body,) = sent(nodesms_gateway, "/contact/import")
    assert body["columns"] == ["gsm", "first_name"]
    assert "groupUUIDs" not in body


async def test_a_pending_import_is_a_conflict(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    await nodesms_client.contact.import_([{"gsm": "5321000001"}], columns=["gsm"])
    with pytest.raises(nodesms.ConflictError) as caught:
        await nodesms_client.contact.import_([{"gsm": "5321000002"}], columns=["gsm"])
    assert caught.value.name == "ERR_CONTACT_IMPORT_EXISTS"
    assert len(sent(nodesms_gateway, "/contact/import")) == 2  # not retried
    await nodesms_gateway.advance(1)
    await nodesms_client.contact.import_([{"gsm": "5321000002"}], columns=["gsm"])
    await nodesms_gateway.advance(1)
    assert {c.gsm for c in nodesms_gateway.contacts} == {"905321000001", "905321000002"}


# --- validation before sending -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "columns", "field", "reason"),
    [
        ([{"gsm": "5321000001", "last_name": "O'Brien"}], ["gsm", "last_name"],
         "rows[0].last_name", "single quote"),
        ([("5321000001", "Ali"), ("5321000002", "Ayşe\nFatma")], ["gsm", "first_name"],
         "rows[1].first_name", "line break"),
        ([("5321000001", "Ali\r")], ["gsm", "first_name"], "rows[0].first_name", "line break"),
        ([("5321000001", "Ali")], ["gsm", "şehir"], "columns[1]", "ASCII"),
        ([("5321000001", "Ali")], ["gsm", "first name"], "columns[1]", "ASCII"),
        ([("Ali",)], ["first_name"], "columns", "gsm column is required"),
        ([("5321000001", "x")], ["gsm", "GSM"], "columns[1]", "twice"),
        ([("5321000001",), ()], ["gsm"], "rows[1]", "values for 1 columns"),
        ([{"gsm": "5321000001"}, {"gsm": None}], ["gsm"], "rows[1]", "empty"),
        ([{"gsm": "5321000001", "phone": "1"}], ["gsm"], "rows[0]", "not one of the columns"),
        ([("12",)], ["gsm"], "rows[0].gsm", "not a phone number"),
        ([], ["gsm"], "rows", "no rows"),
    ],
)  # fmt: skip
async def test_import_refuses_what_it_cannot_carry(
    nodesms_client: Client,
    nodesms_gateway: FakeGateway,
    rows: list[object],
    columns: list[str],
    field: str,
    reason: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        await nodesms_client.contact.import_(rows, columns=columns)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert nodesms_gateway.requests == []


async def test_hs_karar_is_refused_on_create(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    with pytest.raises(ValidationError) as caught:
        await nodesms_client.contact.create(
            gsm="5321000001", iys=Iys(c=0, src=IysSource.HS_KARAR, send=True)
        )
    assert caught.value.field == "iys.src"
    with pytest.raises(ValidationError, match=r"iys\.c"):
        await nodesms_client.contact.create(gsm="5321000001", iys=Iys(c=7, src=0, send=True))
    assert nodesms_gateway.requests == []


@pytest.mark.parametrize("name", ["ŞEHİR", "e-mail", "first name", "", "ad.soyad"])
async def test_bad_custom_field_names_are_refused(
    nodesms_client: Client, nodesms_gateway: FakeGateway, name: str
) -> None:
    with pytest.raises(ValidationError, match="ASCII letters, digits and '_'"):
        await nodesms_client.contact.create(gsm="5321000001", details={name: "x"})
    contact = nodesms_gateway.seed_contacts(1)[0]
    with pytest.raises(ValidationError):
        await nodesms_client.contact.update(uuid=contact.uuid, details={name: "x"})
    assert nodesms_gateway.requests == []


async def test_other_input_errors(nodesms_client: Client, nodesms_gateway: FakeGateway) -> None:
    contacts = nodesms_client.contact
    with pytest.raises(ValidationError, match="gsm"):
        await contacts.create(gsm="not a number")
    with pytest.raises(ValidationError, match="details"):
        await contacts.create(gsm="5321000001", details={"GSM_2": "12"})
    with pytest.raises(ValidationError, match="uuids"):
        await contacts.delete(uuids=[])
    with pytest.raises(ValidationError, match="uuids"):
        await contacts.delete(uuids="abc")
    with pytest.raises(ValidationError):
        await contacts.delete_group()
    with pytest.raises(ValidationError):
        await contacts.delete_group(uuid="a", uuids=["b"])
    with pytest.raises(ValidationError, match="title"):
        await contacts.create_group(title=" ")
    with pytest.raises(ValidationError, match="status"):
        contacts.list(status=9)
    with pytest.raises(ValidationError, match="page_size"):
        contacts.list_group(page_size=5000)
    assert nodesms_gateway.requests == []


# --- blacklist ---------------------------------------------------------------------------------


async def test_2500_blacklist_numbers_go_in_three_requests_in_order(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    numbers = [f"0532 {i:07d}" for i in range(2500)]
    await nodesms_client.contact.set_blacklist(status=True, gsms=numbers)
    requests = sent(nodesms_gateway, "/contact/set-blacklist")
    assert len(requests) == 3
    assert [len(r["gsms"]) for r in requests] == [1000, 1000, 500]  # type: ignore[arg-type]
    wire = [n for r in requests for n in r["gsms"]]  # type: ignore[attr-defined]
    assert wire == [f"90532{i:07d}" for i in range(2500)]
    assert all(r["status"] is True and "uuids" not in r for r in requests)
    assert len(nodesms_gateway.contacts) == 2500
    assert all(c.blacklisted for c in nodesms_gateway.contacts)
    listed = nodesms_client.contact.list(status=nodesms.ContactFilter.BLACKLIST)
    assert (await listed).total == 2500


async def test_blacklist_uuids_and_gsms_share_the_1000_limit(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    seeded = nodesms_gateway.seed_contacts(600, blacklisted=True)
    uuids = [c.uuid for c in seeded]
    numbers = [f"90544{i:07d}" for i in range(600)]
    await nodesms_client.contact.set_blacklist(status=False, uuids=uuids, gsms=numbers)
    first, second = sent(nodesms_gateway, "/contact/set-blacklist")
    assert first["uuids"] == uuids
    assert first["gsms"] == numbers[:400]
    assert "uuids" not in second
    assert second["gsms"] == numbers[400:]
    assert not any(c.blacklisted for c in nodesms_gateway.contacts)


async def test_blacklist_return_invalids_across_requests(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    numbers: list[str | int] = [f"90532{i:07d}" for i in range(1500)]
    numbers[3] = "not a number"  # nodesms cannot read it: reported, never sent
    numbers[1200] = "0212 123 45 67"  # a landline: refused by nodesms as by the gateway
    numbers.append(5321234567)
    invalids = await nodesms_client.contact.set_blacklist(
        status=True, gsms=numbers, return_invalids=True
    )
    assert invalids == ["not a number", "0212 123 45 67"]
    requests = sent(nodesms_gateway, "/contact/set-blacklist")
    assert [len(r["gsms"]) for r in requests] == [1000, 499]  # type: ignore[arg-type]
    assert all(r["returnInvalids"] is True for r in requests)
    assert len(nodesms_gateway.contacts) == 1499


async def test_blacklist_maps_numbers_the_gateway_refused_back_to_the_input(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    # A deployment stricter than the shared rules refuses a number nodesms sent.
    refused = b'{"err": null, "data": {"status": 1, "invalids": ["905320000007", "x-extra"]}}'
    nodesms_gateway.faults.push("/contact/set-blacklist", Fault.raw(refused))
    invalids = await nodesms_client.contact.set_blacklist(
        status=True, gsms=["0532 000 00 01", "+90 532 000 00 07", "bad"], return_invalids=True
    )
    assert invalids == ["+90 532 000 00 07", "bad", "x-extra"]


async def test_blacklist_failure_says_which_request_and_what_was_applied(
    nodesms_client: Client, nodesms_gateway: FakeGateway
) -> None:
    numbers = [f"90532{i:07d}" for i in range(2500)]
    # The gateway fails the second request as a whole.
    nodesms_gateway.faults.push(
        "/contact/set-blacklist", Fault.latency(0), Fault.error("ERR_INVALID_PARAM")
    )
    with pytest.raises(nodesms.BadRequestError) as caught:
        await nodesms_client.contact.set_blacklist(status=True, gsms=numbers)
    error = caught.value
    assert error.name == "ERR_INVALID_PARAM"
    assert error.applied == 1000  # type: ignore[attr-defined]
    assert error.chunk == 1  # type: ignore[attr-defined]
    assert "request 2 of 3" in str(error)
    assert "1000 of 2500" in str(error)
    assert len(sent(nodesms_gateway, "/contact/set-blacklist")) == 2  # stopped there
    assert len(nodesms_gateway.contacts) == 1000


async def test_blacklist_input_errors(nodesms_client: Client, nodesms_gateway: FakeGateway) -> None:
    with pytest.raises(ValidationError) as caught:
        await nodesms_client.contact.set_blacklist(status=True, gsms=["5321234567", "x"])
    assert caught.value.field == "gsms[1]"
    with pytest.raises(ValidationError):
        await nodesms_client.contact.set_blacklist(status=True)
    with pytest.raises(ValidationError):
        await nodesms_client.contact.set_blacklist(status=True, gsms="5321234567")
    assert nodesms_gateway.requests == []
