"""The ``/contact/*`` and ``/mo/*`` operations."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from nodesms import _operations as ops
from nodesms._rules import SET_BLACKLIST_MAX, FieldName, conform
from nodesms.enums import ContactFilter
from nodesms.errors import ValidationError
from nodesms.testing._clock import format_wire
from nodesms.testing._errors import GatewayError
from nodesms.testing._model import Contact, Group, ImportResult, MoRequest
from nodesms.testing._params import Params, normalize_number, shown, split_numbers
from nodesms.testing._registry import handles
from nodesms.testing._state import GatewayState
from nodesms.testing._wire import page_of

_COLUMN = re.compile(r"[a-z0-9_]+")
_CSV_LINE = re.compile(r"\s*'(?:[^']|'')*'\s*(?:,\s*'(?:[^']|'')*'\s*)*")
_CSV_VALUE = re.compile(r"'((?:[^']|'')*)'")
_DETAIL_COLUMNS = {"birth_date": "BIRTH_DATE", "gsm_2": "GSM_2", "gsm_3": "GSM_3"}


# -- rendering -----------------------------------------------------------------------------


def _group_ref(state: GatewayState, uuid: str | None) -> dict[str, str] | None:
    group = state.groups.get(uuid) if uuid else None
    return {"uuid": group.uuid, "title": group.title} if group else None


def contact_out(state: GatewayState, contact: Contact) -> dict[str, Any]:
    """The wire form of a contact (``groups``: ``[{uuid, title}]`` or ``null``)."""
    groups = [_group_ref(state, g) for g in contact.groups]
    return {
        "uuid": contact.uuid,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "gsm": contact.gsm,
        "details": dict(contact.details) or None,
        "groups": [g for g in groups if g] or None,
        "isInBlacklist": 1 if contact.blacklisted else 0,
        "iys": dict(contact.iys) if contact.iys else None,
    }


def group_out(state: GatewayState, group: Group, counts: dict[str, int]) -> dict[str, Any]:
    """The wire form of a group."""
    return {
        "uuid": group.uuid,
        "stats": {"contactCount": counts.get(group.uuid, 0)},
        "title": group.title,
        "isParent": int(any(g.parent == group.uuid for g in state.groups.values())),
        "isShared": 0,
        "parentInfo": _group_ref(state, group.parent),
    }


# -- shared validation ---------------------------------------------------------------------


def _require_ip_restriction(state: GatewayState) -> None:
    if not state.ip_restriction:
        raise GatewayError("ERR_USER_NOT_AUTHORIZED", "API ayarlarında IP kısıtı gerekli")


def _group_uuids(state: GatewayState, p: Params, name: str = "groupUUIDs") -> list[str]:
    uuids = p.str_list(name) or []
    for uuid in uuids:
        if uuid not in state.groups:
            raise GatewayError("ERR_PARENT_CONTACT_GROUP_NOT_FOUND", uuid)
    return list(dict.fromkeys(uuids))


def _details(p: Params) -> dict[str, Any] | None:
    details = p.obj("details")
    if details is None:
        return None
    for key in details.raw:
        try:
            conform(key, FieldName, f"details.{key}")
        except ValidationError:
            raise Params.fail(f"details.{key}", "sadece harf, rakam ve _ kullanılabilir") from None
    return dict(details.raw)


def _iys(p: Params, *, first: bool) -> dict[str, int] | None:
    iys = p.obj("iys")
    if iys is None:
        return None
    recipient = iys.req_int("c", min=0, max=1)
    source = iys.req_int("src", min=0, max=12)
    if not iys.has("send"):
        raise Params.fail("iys.send", "zorunlu alan")
    if first and source == 1:
        raise GatewayError("ERR_BAD_REQUEST", "HS_KARAR ilk izin eklemede kullanılamaz")
    iys.flag("queryCall")
    iys.flag("queryEmail")
    return {"c": recipient, "st": 0, "src": source, "send": int(iys.flag("send"))}


def _active(state: GatewayState, uuid: str) -> Contact:
    contact = state.active_contact(uuid)
    if contact is None:
        raise GatewayError("ERR_NOT_FOUND", uuid)
    return contact


# -- contacts ------------------------------------------------------------------------------


@handles(ops.CONTACT_CREATE)
async def create_contact(state: GatewayState, p: Params) -> dict[str, Any]:
    """Add a contact (SMS12 when one with this gsm exists)."""
    gsm = p.number("gsm")
    contact = state.add_contact(
        gsm,
        first_name=p.text("firstName"),
        last_name=p.text("lastName"),
        details=_details(p),
        groups=_group_uuids(state, p),
        blacklisted=p.flag("isInBlacklist"),
        iys=_iys(p, first=True),
    )
    return contact_out(state, contact)


@handles(ops.CONTACT_UPDATE)
async def update_contact(state: GatewayState, p: Params) -> dict[str, Any]:
    """Change the given fields of a contact."""
    contact = _active(state, p.req_str("uuid"))
    gsm = p.number("gsm") if p.has("gsm") else contact.gsm
    first_name, last_name = p.text("firstName"), p.text("lastName")
    groups = _group_uuids(state, p) if p.has("groupUUIDs") else None
    details = _details(p)
    iys = _iys(p, first=contact.iys is None)
    if gsm != contact.gsm:
        if gsm in state.by_gsm:
            raise GatewayError("ERR_CONTACT_ALREADY_EXISTS")
        del state.by_gsm[contact.gsm]
        state.by_gsm[gsm] = contact
        contact.gsm = gsm
    if first_name is not None:
        contact.first_name = first_name
    if last_name is not None:
        contact.last_name = last_name
    if groups is not None:
        contact.groups = groups
    if details is not None:
        contact.details = details
    if iys is not None:
        contact.iys = iys
    if p.has("isInBlacklist"):
        contact.blacklisted = p.flag("isInBlacklist")
    return {"status": 1}


@handles(ops.CONTACT_DELETE)
async def delete_contacts(state: GatewayState, p: Params) -> dict[str, Any]:
    """Archive contacts (``permanent=1``: delete for good); ``groupUUID`` limits to a group."""
    _require_ip_restriction(state)
    uuids = p.str_list("uuids")
    if not uuids:
        raise Params.fail("uuids", "zorunlu alan")
    permanent = p.integer("permanent", 0, min=0, max=1) == 1
    group = p.text("groupUUID")
    for uuid in uuids:
        contact = state.active_contact(uuid)
        if contact is not None and (group is None or group in contact.groups):
            state.archive_contact(contact, permanent=permanent)
        elif permanent and group is None and uuid in state.contacts:
            del state.contacts[uuid]
    return {"status": 1}


def _parse_csv(text: str, columns: list[str]) -> list[list[str]]:
    lines = [line.rstrip("\r") for line in text.split("\n") if line.strip()]
    rows: list[list[str]] = []
    for number, line in enumerate(lines):
        if not _CSV_LINE.fullmatch(line):
            raise Params.fail("csvData", f"{number + 1}. satır tek tırnaklı değerler içermeli")
        values = [v.replace("''", "'") for v in _CSV_VALUE.findall(line)]
        if len(values) != len(columns):
            raise Params.fail("csvData", f"{number + 1}. satırda {len(columns)} değer olmalı")
        rows.append(values)
    if not rows or [v.lower() for v in rows[0]] != columns:
        raise Params.fail("csvData", "başlık satırı columns ile aynı sırada olmalı")
    return rows


@handles(ops.CONTACT_IMPORT)
async def import_contacts(state: GatewayState, p: Params) -> dict[str, Any]:
    """Accept an import of the single-quoted CSV; rows are applied later, on the clock.

    With the manual clock the rows are applied at the next ``advance()``; with the real clock
    after ``import_delay`` seconds. A second import meanwhile gets SMS13.
    """
    csv_data = p.req_str("csvData")
    columns = [c.strip().lower() for c in p.str_list("columns") or []]
    if not columns:
        raise Params.fail("columns", "zorunlu alan")
    for column in columns:
        if not _COLUMN.fullmatch(column):
            raise Params.fail("columns", f"geçersiz sütun {column!r}")
    if "gsm" not in columns:
        raise Params.fail("columns", "gsm sütunu zorunlu")
    overwrite = p.flag("overwrite")
    blacklist = p.flag("isInBlacklist") if p.has("isInBlacklist") else None
    groups = _group_uuids(state, p)
    rows = _parse_csv(csv_data, columns)
    if state.pending_import is not None:
        raise GatewayError("ERR_CONTACT_IMPORT_EXISTS")

    def apply() -> None:
        state.pending_import = None
        result = _apply_import(
            state, rows, columns, overwrite=overwrite, blacklist=blacklist, groups=groups
        )
        state.imports.append(result)

    state.pending_import = apply
    state.call_later(state.import_delay if state.clock.mode == "real" else 0.0, apply)
    return {"status": 1}


def _apply_import(
    state: GatewayState,
    rows: list[list[str]],
    columns: list[str],
    *,
    overwrite: bool,
    blacklist: bool | None,
    groups: list[str],
) -> ImportResult:
    """Apply the rows of an import (the header is ``rows[0]``).

    New numbers become contacts; existing ones are changed only with ``overwrite`` (names,
    details, blacklist flag), but always join the row's ``group_name`` group (created if no
    group has that title) and the ``groupUUIDs`` groups.
    """
    header, result = rows[0], ImportResult()
    for values in rows[1:]:
        result.rows += 1
        row = dict(zip(columns, values, strict=True))
        gsm = normalize_number(row["gsm"])
        if gsm is None:
            result.invalid.append(row["gsm"])
            continue
        contact = state.by_gsm.get(gsm)
        fresh = contact is None
        if contact is None:
            contact = state.add_contact(gsm)
            result.created += 1
        elif overwrite:
            result.updated += 1
        if fresh or overwrite:
            contact.first_name = row.get("first_name") or contact.first_name
            contact.last_name = row.get("last_name") or contact.last_name
            for column, name in zip(columns, header, strict=True):
                if column not in ("gsm", "first_name", "last_name", "group_name") and row[column]:
                    contact.details[_DETAIL_COLUMNS.get(column, name)] = row[column]
            if blacklist is not None:
                contact.blacklisted = blacklist
        wanted = [g for g in groups if g in state.groups]
        title = row.get("group_name")
        if title:
            group = next((g for g in state.groups.values() if g.title == title), None)
            if group is None:
                group = Group(state.new_uuid(), title)
                state.groups[group.uuid] = group
            wanted.append(group.uuid)
        for uuid in wanted:
            if uuid not in contact.groups:
                contact.groups.append(uuid)
    return result


def _render_contacts(state: GatewayState) -> Any:
    def render(chunk: Sequence[Contact]) -> list[dict[str, Any]]:
        return [contact_out(state, c) for c in chunk]

    return render


@handles(ops.CONTACT_LIST)
async def list_contacts(state: GatewayState, p: Params) -> dict[str, Any]:
    """Contacts (archived ones left out), oldest first, filtered and paged.

    ``exitType`` is validated but not modelled (it filters nothing).
    """
    status = p.integer("status", 0, min=0, max=2)
    iys_state = p.integer("iysState", min=-2, max=4)
    p.integer("exitType")
    group = p.text("groupUUID")
    index, size = p.page()
    rows = [
        c
        for c in state.contacts.values()
        if not c.archived
        and (status != ContactFilter.WHITELIST or not c.blacklisted)
        and (status != ContactFilter.BLACKLIST or c.blacklisted)
        and (iys_state is None or (c.iys is not None and c.iys["st"] == iys_state))
        and (group is None or group in c.groups)
    ]
    return page_of(rows, index, size, _render_contacts(state))


# -- groups --------------------------------------------------------------------------------


def _check_parent(state: GatewayState, parent: str | None, counts: dict[str, int]) -> None:
    if parent is None:
        return
    if parent not in state.groups:
        raise GatewayError("ERR_PARENT_CONTACT_GROUP_NOT_FOUND", parent)
    if counts.get(parent):
        raise GatewayError("ERR_PARENT_CONTACT_GROUP_NOT_EMPTY")


def _check_title(state: GatewayState, title: str, parent: str | None, own: str | None) -> None:
    for group in state.groups.values():
        if group.title == title and group.parent == parent and group.uuid != own:
            raise GatewayError("ERR_CONTACT_GROUP_ALREADY_EXISTS")


def _attach(state: GatewayState, p: Params, group: Group) -> None:
    for i, value in enumerate(p.array("gsms") or []):
        contact = state.by_gsm.get(p.number(f"gsms[{i}]", value))
        if contact is not None and group.uuid not in contact.groups:
            contact.groups.append(group.uuid)


@handles(ops.CONTACT_CREATE_GROUP)
async def create_group(state: GatewayState, p: Params) -> dict[str, Any]:
    """Create a group, under ``parentUUID`` if given; ``gsms`` attaches saved contacts."""
    title = p.req_str("title")
    parent = p.text("parentUUID")
    counts = state.group_contact_counts()
    _check_parent(state, parent, counts)
    _check_title(state, title, parent, None)
    group = Group(state.new_uuid(), title, parent)
    state.groups[group.uuid] = group
    _attach(state, p, group)
    return group_out(state, group, state.group_contact_counts())


@handles(ops.CONTACT_UPDATE_GROUP)
async def update_group(state: GatewayState, p: Params) -> dict[str, Any]:
    """Rename or move a group; ``gsms`` attaches saved contacts."""
    group = state.groups.get(p.req_str("uuid"))
    if group is None:
        raise GatewayError("ERR_PARENT_CONTACT_GROUP_NOT_FOUND")
    title = p.text("title") or group.title
    parent = p.text("parentUUID") if p.has("parentUUID") else group.parent
    if parent != group.parent:
        _check_parent(state, parent, state.group_contact_counts())
        ancestor = parent
        while ancestor is not None:
            if ancestor == group.uuid:
                raise GatewayError("ERR_BAD_REQUEST", "grup kendi alt grubuna taşınamaz")
            ancestor = state.groups[ancestor].parent
    _check_title(state, title, parent, group.uuid)
    group.title, group.parent = title, parent
    _attach(state, p, group)
    return {"status": 1}


@handles(ops.CONTACT_DELETE_GROUP)
async def delete_groups(state: GatewayState, p: Params) -> dict[str, Any]:
    """Delete groups and their subgroups; one delete at a time (SMS50 meanwhile).

    The delete takes ``delete_group_duration`` real seconds. ``includeContacts`` archives the
    contacts left in no group.
    """
    _require_ip_restriction(state)
    uuids = p.str_list("uuids") or []
    if p.has("uuid"):
        uuids.insert(0, p.req_str("uuid"))
    if not uuids:
        raise Params.fail("uuid", "uuid veya uuids zorunlu")
    include_contacts = p.flag("includeContacts")
    if not any(u in state.groups for u in uuids):
        raise GatewayError("ERR_PARENT_CONTACT_GROUP_NOT_FOUND")
    if state.delete_group_running:
        raise GatewayError("ERR_MULTI_REQUEST_NOT_PERMITTED")
    state.delete_group_running = True
    try:
        await asyncio.sleep(state.delete_group_duration)
        doomed = {u for u in uuids if u in state.groups}
        grew = True
        while grew:
            children = {g.uuid for g in state.groups.values() if g.parent in doomed}
            grew = not children <= doomed
            doomed |= children
        for uuid in doomed:
            del state.groups[uuid]
        for contact in list(state.contacts.values()):
            if contact.archived or not doomed.intersection(contact.groups):
                continue
            contact.groups = [g for g in contact.groups if g not in doomed]
            if include_contacts and not contact.groups:
                state.archive_contact(contact, permanent=False)
    finally:
        state.delete_group_running = False
    return {"status": 1}


@handles(ops.CONTACT_LIST_GROUP)
async def list_groups(state: GatewayState, p: Params) -> dict[str, Any]:
    """Groups, filtered by title keyword and parent, paged."""
    keyword = (p.text("keyword") or "").casefold()
    parent = p.text("parentUUID")
    index, size = p.page()
    rows = [
        g
        for g in state.groups.values()
        if keyword in g.title.casefold() and (parent is None or g.parent == parent)
    ]
    counts = state.group_contact_counts()

    def render(chunk: Sequence[Group]) -> list[dict[str, Any]]:
        return [group_out(state, g, counts) for g in chunk]

    return page_of(rows, index, size, render)


@handles(ops.CONTACT_SET_BLACKLIST)
async def set_blacklist(state: GatewayState, p: Params) -> dict[str, Any]:
    """Set the blacklist status of contacts by uuid and/or gsm (≤ 1000 in all).

    Unknown gsms are added to the book with that status; unknown uuids are ignored. One
    invalid gsm fails the request unless ``returnInvalids``: then invalid ones are skipped and
    the answer is ``{"status": 1, "invalids": [<the values as sent>]}``.
    """
    if not p.has("status"):
        raise Params.fail("status", "zorunlu alan")
    status = p.flag("status")
    uuids = p.str_list("uuids") or []
    gsms = p.array("gsms") or []
    if not uuids and not gsms:
        raise Params.fail("uuids", "uuids veya gsms zorunlu")
    if len(uuids) + len(gsms) > SET_BLACKLIST_MAX:
        raise GatewayError("ERR_REQUEST_PARAM_LIMIT", f"en fazla {SET_BLACKLIST_MAX}")
    return_invalids = p.flag("returnInvalids")
    valid, invalids = split_numbers(gsms)
    if invalids and not return_invalids:
        raise Params.fail("gsms", f"geçersiz numara {shown(invalids[0])}")
    for uuid in uuids:
        contact = state.active_contact(uuid)
        if contact is not None:
            contact.blacklisted = status
    for number in valid:
        state.set_blacklisted(number, status)
    if return_invalids:
        return {"status": 1, "invalids": invalids}
    return {"status": 1}


# -- MO ------------------------------------------------------------------------------------


def mo_out(state: GatewayState, mo: MoRequest) -> dict[str, Any]:
    """The wire form of an MO request (``gsm`` and ``shortNr`` as numbers, as documented)."""
    when = format_wire(mo.received)
    return {
        "uuid": mo.uuid,
        "gsm": int(mo.gsm),
        "msg": mo.msg,
        "state": mo.state,
        "keyword": mo.keyword,
        "shortNr": mo.short_nr,
        "userInfo": {"uuid": state.user_uuid, "username": state.username},
        "processInfo": {"create": {"date": when}, "update": {"date": when}},
    }


@handles(ops.MO_LIST_REQUEST)
async def list_mo_requests(state: GatewayState, p: Params) -> dict[str, Any]:
    """Incoming opt-out requests, newest first; ``keyword`` matches keyword, text or gsm."""
    keyword = (p.text("keyword") or "").casefold()
    user = p.text("userUUID")
    start = p.date("startDate")
    finish = p.date("finishDate")
    index, size = p.page()
    if user is not None and user != state.user_uuid:
        rows: list[MoRequest] = []
    else:
        rows = [
            mo
            for mo in reversed(state.mo_requests)
            if (
                not keyword
                or keyword in mo.keyword.casefold()
                or keyword in mo.msg.casefold()
                or keyword in mo.gsm
            )
            and (start is None or mo.received >= start)
            and (finish is None or mo.received < finish + 60)
        ]

    def render(chunk: Sequence[MoRequest]) -> list[dict[str, Any]]:
        return [mo_out(state, mo) for mo in chunk]

    return page_of(rows, index, size, render)
