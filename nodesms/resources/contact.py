"""``client.contact``: the address book — contacts, groups, blacklist and bulk import."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, TypeAlias, overload

from msgspec import field

from .. import _operations as ops
from .._paging import MAX_PAGE_SIZE, AsyncPaginator
from .._rules import SET_BLACKLIST_MAX, FieldName, conform
from .._validate import (
    check_bool,
    check_enum,
    check_int,
    exactly_one,
    items,
    non_empty_str,
    number,
    number_list,
    opt_bool,
    opt_str,
    str_list,
)
from .._validate import (
    text as checked_text,
)
from ..enums import (
    ContactFilter,
    ContactFilterValue,
    IysRecipientType,
    IysSource,
    IysState,
    IysStateValue,
)
from ..errors import NodeSMSError, ValidationError
from ..models import Contact, Group, Iys
from ._base import Body, PagedBody, Resource

__all__ = ["BLACKLIST_CHUNK", "IMPORT_COLUMNS", "ContactResource", "DetailValue", "Row"]

DetailValue: TypeAlias = str | int | float | None
Row: TypeAlias = Mapping[str, object] | Sequence[object]

BLACKLIST_CHUNK = SET_BLACKLIST_MAX
"""The most entries (uuids and gsms together) the gateway takes in one set-blacklist request."""

IMPORT_COLUMNS = frozenset(
    {"gsm", "first_name", "last_name", "birth_date", "gsm_2", "gsm_3", "group_name"}
)
"""The import columns the gateway predefines; any other column is a custom field."""

_NUMBER_COLUMNS = frozenset({"gsm", "gsm_2", "gsm_3"})
_NUMBER_DETAILS = frozenset({"GSM_2", "GSM_3"})


# --- wire bodies -----------------------------------------------------------------------------


class _IysBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    c: int
    src: int
    send: bool
    query_call: bool | None = field(default=None, name="queryCall")
    query_email: bool | None = field(default=None, name="queryEmail")


class _ContactBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    uuid: str | None = None
    gsm: str | None = None
    first_name: str | None = field(default=None, name="firstName")
    last_name: str | None = field(default=None, name="lastName")
    group_uuids: list[str] | None = field(default=None, name="groupUUIDs")
    is_in_blacklist: bool | None = field(default=None, name="isInBlacklist")
    details: dict[str, str | int | float | None] | None = None
    iys: _IysBody | None = None


class _DeleteBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    uuids: list[str]
    permanent: int
    group_uuid: str | None = field(default=None, name="groupUUID")


class _ImportBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    csv_data: str = field(name="csvData")
    columns: list[str]
    overwrite: bool | None = None
    is_in_blacklist: bool | None = field(default=None, name="isInBlacklist")
    group_uuids: list[str] | None = field(default=None, name="groupUUIDs")


class _ListBody(PagedBody, frozen=True, kw_only=True, omit_defaults=True):
    status: int | None = None
    iys_state: int | None = field(default=None, name="iysState")
    exit_type: int | None = field(default=None, name="exitType")
    group_uuid: str | None = field(default=None, name="groupUUID")


class _GroupBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    uuid: str | None = None
    title: str
    parent_uuid: str | None = field(default=None, name="parentUUID")
    gsms: list[str] | None = None


class _DeleteGroupBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    uuid: str | None = None
    uuids: list[str] | None = None
    include_contacts: bool | None = field(default=None, name="includeContacts")


class _ListGroupBody(PagedBody, frozen=True, kw_only=True, omit_defaults=True):
    keyword: str | None = None
    parent_uuid: str | None = field(default=None, name="parentUUID")


class _BlacklistBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    status: bool
    uuids: list[str] | None = None
    gsms: list[str] | None = None
    return_invalids: bool | None = field(default=None, name="returnInvalids")


class ContactResource(Resource):
    """The address book: ``client.contact``."""

    async def create(
        self,
        *,
        gsm: str | int,
        first_name: str | None = None,
        last_name: str | None = None,
        group_uuids: Iterable[str] | None = None,
        is_in_blacklist: bool | None = None,
        details: Mapping[str, DetailValue] | None = None,
        iys: Iys | None = None,
    ) -> Contact:
        """Add a contact to the address book (``/contact/create``).

        Args:
            gsm: the contact's number, in any form :func:`nodesms.normalize_number` accepts.
            first_name: first name.
            last_name: last name.
            group_uuids: groups to put the contact in.
            is_in_blacklist: save the contact as blacklisted.
            details: custom fields, ``{"CITY": "İzmir", "GSM_2": "0555 000 00 00"}``. Names are
                ASCII letters, digits and ``_`` (no Turkish letters); the gateway knows
                FIRST_NAME, LAST_NAME, BIRTH_DATE, GSM_2 and GSM_3 (numbers in GSM_2/GSM_3 are
                normalised), and ``EMAIL`` enables the e-mail permission query.
            iys: IYS permission settings, see :class:`~nodesms.Iys`. ``IysSource.HS_KARAR``
                is refused here: it may not be used when a permission is first added. (With
                an IYS code in the account's settings the gateway sends new contacts to IYS
                anyway.)

        Returns:
            The saved contact, with its uuid and IYS state.

        Raises:
            ValidationError: bad input; nothing was sent.
            ConflictError: a contact with this number exists (SMS12).
        """
        body = _ContactBody(
            gsm=number(gsm, "gsm"),
            first_name=opt_str(first_name, "first_name"),
            last_name=opt_str(last_name, "last_name"),
            group_uuids=str_list(group_uuids, "group_uuids"),
            is_in_blacklist=opt_bool(is_in_blacklist, "is_in_blacklist"),
            details=_details(details),
            iys=_iys(iys, first_add=True),
        )
        return await self._call(ops.CONTACT_CREATE, body)

    async def update(
        self,
        *,
        uuid: str,
        gsm: str | int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        group_uuids: Iterable[str] | None = None,
        is_in_blacklist: bool | None = None,
        details: Mapping[str, DetailValue] | None = None,
        iys: Iys | None = None,
    ) -> None:
        """Change a saved contact (``/contact/update``).

        Takes the parameters of :meth:`create` plus the contact's ``uuid``; parameters left
        at ``None`` are not sent and keep their value. ``group_uuids`` and ``details``
        replace the contact's groups and custom fields. With ``iys`` and ``send=True`` the
        gateway synchronises the permission with IYS again; ``IysSource.HS_KARAR`` is allowed
        here (it records the provider's own decision to refuse).

        Raises:
            ValidationError: bad input; nothing was sent.
        """
        body = _ContactBody(
            uuid=non_empty_str(uuid, "uuid"),
            gsm=None if gsm is None else number(gsm, "gsm"),
            first_name=opt_str(first_name, "first_name"),
            last_name=opt_str(last_name, "last_name"),
            group_uuids=str_list(group_uuids, "group_uuids"),
            is_in_blacklist=opt_bool(is_in_blacklist, "is_in_blacklist"),
            details=_details(details),
            iys=_iys(iys, first_add=False),
        )
        await self._call(ops.CONTACT_UPDATE, body)

    async def delete(
        self, *, uuids: Iterable[str], permanent: bool = False, group_uuid: str | None = None
    ) -> None:
        """Delete contacts (``/contact/delete``).

        The gateway requires an IP restriction configured in the account's API settings for
        this call.

        Args:
            uuids: the contacts to delete.
            permanent: delete for good (this cannot be undone). Otherwise the contacts go to
                the archive, from which the panel can restore them.
            group_uuid: only delete those of ``uuids`` that belong to this group.
        """
        body = _DeleteBody(
            uuids=_required_list(uuids, "uuids"),
            permanent=1 if check_bool(permanent, "permanent") else 0,
            group_uuid=opt_str(group_uuid, "group_uuid"),
        )
        await self._call(ops.CONTACT_DELETE, body)

    async def import_(
        self,
        rows: Iterable[Row],
        *,
        columns: Sequence[str],
        overwrite: bool = False,
        is_in_blacklist: bool = False,
        group_uuids: Iterable[str] = (),
    ) -> None:
        """Add many contacts at once (``/contact/import``); the gateway processes it later.

        nodesms builds the gateway's CSV (every value in single quotes, a header line) from
        ``rows``::

            await client.contact.import_(
                [{"gsm": "0555 123 45 67", "first_name": "Ayşe", "group_name": "İzmir"},
                 ("905441234567", "Işıl", "İzmir")],
                columns=["gsm", "first_name", "group_name"],
            )

        Args:
            rows: each row a mapping keyed by column name (missing columns are left empty)
                or a sequence of values in ``columns`` order. Values are strings or numbers
                (``None`` is empty); numbers in gsm, gsm_2 and gsm_3 are normalised.
            columns: the columns, ``gsm`` required: gsm, first_name, last_name, birth_date,
                gsm_2, gsm_3, group_name (a non-empty group name puts the row in that group,
                creating it if needed), or custom field names (ASCII letters, digits, ``_``).
            overwrite: replace the data of contacts that already exist.
            is_in_blacklist: save the contacts as blacklisted.
            group_uuids: existing groups to put every contact in.

        The gateway answers as soon as the request is valid and imports in the background;
        the contacts appear in :meth:`list` once it is done.

        Raises:
            ValidationError: a bad column, an empty row, a number that is not one, or a value
                the CSV cannot carry (a single quote or a line break): it names the row
                (0-based) and column. Nothing was sent.
            ConflictError: an earlier import is still pending (SMS13); try again later.
        """
        names = _import_columns(columns)
        body = _ImportBody(
            csv_data=_csv(rows, names),
            columns=names,
            overwrite=check_bool(overwrite, "overwrite"),
            is_in_blacklist=check_bool(is_in_blacklist, "is_in_blacklist"),
            group_uuids=str_list(group_uuids, "group_uuids") or None,
        )
        await self._call(ops.CONTACT_IMPORT, body)

    def list(
        self,
        *,
        status: ContactFilter | ContactFilterValue | None = None,
        iys_state: IysState | IysStateValue | None = None,
        exit_type: int | None = None,
        group_uuid: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        page_index: int = 0,
        limit: int | None = None,
        concurrency: int = 1,
    ) -> AsyncPaginator[Contact]:
        """The saved contacts (``/contact/list``).

        ``async for contact in client.contact.list()`` walks all of them; ``await`` gives the
        first :class:`~nodesms.Page`.

        Args:
            status: a :class:`~nodesms.ContactFilter` (all, whitelist, blacklist).
            iys_state: only contacts in this :class:`~nodesms.IysState`.
            exit_type: the gateway's exit-type filter (only its MO and WEB values apply).
            group_uuid: only contacts of this group.
            page_size: records per request, 10 to 1000.
            page_index: the first page to fetch (0-based).
            limit: stop after this many contacts.
            concurrency: pages fetched at once while walking (default 1: the next page
                while you handle this one); items still come in order.
        """
        body = _ListBody(
            status=check_enum(status, ContactFilter, "status"),
            iys_state=check_enum(iys_state, IysState, "iys_state"),
            exit_type=None if exit_type is None else check_int(exit_type, "exit_type", low=0),
            group_uuid=opt_str(group_uuid, "group_uuid"),
        )
        return self._paginate(
            ops.CONTACT_LIST,
            body,
            page_size=page_size,
            page_index=page_index,
            limit=limit,
            key=_uuid_key,
            concurrency=concurrency,
        )

    async def create_group(
        self,
        *,
        title: str,
        parent_uuid: str | None = None,
        gsms: Iterable[str | int] | None = None,
    ) -> Group:
        """Create a contact group (``/contact/create-group``).

        Args:
            title: the group's name.
            parent_uuid: make it a sub-group of this group.
            gsms: numbers already in the address book to put in the group (normalised).

        Raises:
            ConflictError: such a group exists (SMS09), or the parent cannot be one (SMS11).
            NotFoundError: no group ``parent_uuid`` (SMS10).
        """
        body = _GroupBody(
            title=non_empty_str(title, "title"),
            parent_uuid=opt_str(parent_uuid, "parent_uuid"),
            gsms=number_list(gsms, "gsms"),
        )
        return await self._call(ops.CONTACT_CREATE_GROUP, body)

    async def update_group(
        self,
        *,
        uuid: str,
        title: str,
        parent_uuid: str | None = None,
        gsms: Iterable[str | int] | None = None,
    ) -> None:
        """Rename a group, move it under a parent, or add saved numbers to it
        (``/contact/update-group``); parameters as in :meth:`create_group`."""
        body = _GroupBody(
            uuid=non_empty_str(uuid, "uuid"),
            title=non_empty_str(title, "title"),
            parent_uuid=opt_str(parent_uuid, "parent_uuid"),
            gsms=number_list(gsms, "gsms"),
        )
        await self._call(ops.CONTACT_UPDATE_GROUP, body)

    async def delete_group(
        self,
        *,
        uuid: str | None = None,
        uuids: Iterable[str] | None = None,
        include_contacts: bool = False,
    ) -> None:
        """Delete one group (``uuid``) or several (``uuids``) (``/contact/delete-group``).

        The contacts stay in the address book, without these groups. The gateway requires an
        IP restriction configured in the account's API settings for this call.

        The gateway runs one delete at a time and refuses another meanwhile (SMS50); nodesms
        waits and retries then, under the client's :class:`~nodesms.RetryPolicy`.

        Args:
            uuid: the group to delete.
            uuids: the groups to delete.
            include_contacts: also delete the contacts left in no group (to the archive).
        """
        exactly_one(uuid=uuid, uuids=uuids)
        body = _DeleteGroupBody(
            uuid=opt_str(uuid, "uuid"),
            uuids=None if uuids is None else _required_list(uuids, "uuids"),
            include_contacts=check_bool(include_contacts, "include_contacts") or None,
        )
        await self._call(ops.CONTACT_DELETE_GROUP, body)

    def list_group(
        self,
        *,
        keyword: str | None = None,
        parent_uuid: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        page_index: int = 0,
        limit: int | None = None,
        concurrency: int = 1,
    ) -> AsyncPaginator[Group]:
        """The contact groups (``/contact/list-group``), filtered by ``keyword`` (title) or
        ``parent_uuid`` (sub-groups of that group)."""
        body = _ListGroupBody(
            keyword=opt_str(keyword, "keyword"),
            parent_uuid=opt_str(parent_uuid, "parent_uuid"),
        )
        return self._paginate(
            ops.CONTACT_LIST_GROUP,
            body,
            page_size=page_size,
            page_index=page_index,
            limit=limit,
            key=_uuid_key,
            concurrency=concurrency,
        )

    @overload
    async def set_blacklist(
        self,
        *,
        status: bool,
        gsms: Iterable[str | int] = ...,
        uuids: Iterable[str] = ...,
        return_invalids: Literal[False] = ...,
    ) -> None: ...

    @overload
    async def set_blacklist(
        self,
        *,
        status: bool,
        gsms: Iterable[str | int] = ...,
        uuids: Iterable[str] = ...,
        return_invalids: Literal[True],
    ) -> builtins.list[str]: ...

    @overload
    async def set_blacklist(
        self,
        *,
        status: bool,
        gsms: Iterable[str | int] = ...,
        uuids: Iterable[str] = ...,
        return_invalids: bool,
    ) -> builtins.list[str] | None: ...

    async def set_blacklist(
        self,
        *,
        status: bool,
        gsms: Iterable[str | int] = (),
        uuids: Iterable[str] = (),
        return_invalids: bool = False,
    ) -> builtins.list[str] | None:
        """Blacklist contacts and numbers, or clear them (``/contact/set-blacklist``).

        Any number of entries: nodesms sends them in order, in requests of at most 1000
        (``uuids`` first, then ``gsms``). Numbers not in the address book are added with
        this status. Setting a status is idempotent, so repeating a call is safe.

        Args:
            status: ``True`` to blacklist, ``False`` to clear.
            gsms: numbers, in any form :func:`nodesms.normalize_number` accepts.
            uuids: saved contacts.
            return_invalids: skip invalid numbers instead of failing, and return them.

        Returns:
            Without ``return_invalids``: ``None``. With it: the entries of ``gsms`` that were
            not applied, as you gave them (``str()`` of ints), in input order: those nodesms
            cannot read as a phone number (never sent) and those the gateway refused.

        Raises:
            ValidationError: without ``return_invalids``, a number nodesms cannot read; or no
                entries at all. Nothing was sent.
            APIError: a request failed (without ``return_invalids`` an invalid number fails its
                whole request, as the gateway does). The message says which request failed;
                the exception's ``applied`` attribute counts the entries of the requests
                before it, which succeeded (they stay applied), and ``chunk`` is the failed
                request's 0-based index. Nothing after it was sent.
        """
        wanted = check_bool(status, "status")
        lenient = check_bool(return_invalids, "return_invalids")
        uuid_list = str_list(uuids, "uuids") or []
        originals: builtins.list[str] = []
        numbers: builtins.list[str] = []
        invalid_at: builtins.list[int] = []  # indexes into originals
        sent_at: dict[str, builtins.list[int]] = {}
        for index, value in enumerate(items(gsms, "gsms")):
            originals.append(_shown(value))
            try:
                wire = number(value, f"gsms[{index}]")
            except ValidationError:
                if not lenient:
                    raise
                invalid_at.append(index)
                continue
            numbers.append(wire)
            sent_at.setdefault(wire, []).append(index)
        if not uuid_list and not numbers and not invalid_at:
            raise ValidationError("give at least one entry in gsms or uuids", field="gsms / uuids")

        entries = [(True, u) for u in uuid_list] + [(False, n) for n in numbers]
        chunks = [entries[i : i + BLACKLIST_CHUNK] for i in range(0, len(entries), BLACKLIST_CHUNK)]
        refused: builtins.list[str] = []
        applied = 0
        for chunk_index, chunk in enumerate(chunks):
            body = _BlacklistBody(
                status=wanted,
                uuids=[value for is_uuid, value in chunk if is_uuid] or None,
                gsms=[value for is_uuid, value in chunk if not is_uuid] or None,
                return_invalids=True if lenient else None,
            )
            try:
                data = await self._call(ops.CONTACT_SET_BLACKLIST, body)
            except NodeSMSError as exc:
                _annotate(exc, chunk_index, len(chunks), applied, len(entries))
                raise
            applied += len(chunk)
            refused.extend(data.invalids or ())
        if not lenient:
            return None
        # Map the gateway's numbers back to the caller's entries; anything else it reports
        # (nothing we sent as a number) is appended as it came.
        matched: set[str] = set()
        extra: builtins.list[str] = []
        for value in refused:
            indexes = sent_at.pop(value, None)
            if indexes is not None:
                invalid_at.extend(indexes)
                matched.add(value)
            elif value not in matched:
                extra.append(str(value))
        return [originals[i] for i in sorted(invalid_at)] + extra


# --- helpers ---------------------------------------------------------------------------------


def _uuid_key(record: Contact | Group) -> str:
    return record.uuid


def _annotate(exc: NodeSMSError, chunk: int, chunks: int, applied: int, total: int) -> None:
    """Say in ``exc`` which set-blacklist request failed and what was applied before it."""
    exc.applied = applied  # type: ignore[attr-defined]
    exc.chunk = chunk  # type: ignore[attr-defined]
    if chunks > 1:
        exc.args = (
            f"set-blacklist request {chunk + 1} of {chunks} failed; the {applied} of {total} "
            f"entries in the requests before it were applied: {exc}",
        )


def _required_list(values: Iterable[str], field: str) -> builtins.list[str]:
    out = str_list(values, field)
    if not out:
        raise ValidationError("must not be empty", field=field)
    return out


def _shown(value: object) -> str:
    """An entry as the caller gave it, for the list of invalid ones (``str()`` of an int)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"<an int of {value.bit_length()} bits>"
    return value if isinstance(value, str) else str(value)


def _check_field_name(name: object, field: str) -> str:
    checked: str = conform(name, FieldName, field)
    return checked


def _details(
    details: Mapping[str, DetailValue] | None,
) -> dict[str, str | int | float | None] | None:
    if details is None:
        return None
    if not isinstance(details, Mapping):
        raise ValidationError("expected a mapping of custom field → value", field="details")
    out: dict[str, str | int | float | None] = {}
    for name, value in details.items():
        _check_field_name(name, "details")
        where = f"details[{name!r}]"
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (str, int, float))
        ):
            raise ValidationError("must be a string or a number", field=where)
        if isinstance(value, str):
            checked_text(value, where)
        if name.upper() in _NUMBER_DETAILS and value not in (None, ""):
            value = number(value, where)
        out[name] = value
    return out


def _iys(value: Iys | None, *, first_add: bool) -> _IysBody | None:
    if value is None:
        return None
    if not isinstance(value, Iys):
        raise ValidationError("expected a nodesms.Iys", field="iys")
    c = check_enum(value.c, IysRecipientType, "iys.c")
    src = check_enum(value.src, IysSource, "iys.src")
    if c is None or src is None:
        raise ValidationError("c and src are required", field="iys")
    if first_add and src is IysSource.HS_KARAR:
        raise ValidationError(
            "IysSource.HS_KARAR may not be used when a permission is first added",
            field="iys.src",
        )
    return _IysBody(
        c=c,
        src=src,
        send=check_bool(value.send, "iys.send"),
        query_call=opt_bool(value.query_call, "iys.query_call"),
        query_email=opt_bool(value.query_email, "iys.query_email"),
    )


def _import_columns(columns: Sequence[str]) -> builtins.list[str]:
    if isinstance(columns, (str, bytes)) or not isinstance(columns, Iterable):
        raise ValidationError("expected a list of column names", field="columns")
    names: builtins.list[str] = []
    for index, column in enumerate(columns):
        name = _check_field_name(column, f"columns[{index}]").lower()
        if name in names:
            raise ValidationError(f"column {name!r} is given twice", field=f"columns[{index}]")
        names.append(name)
    if "gsm" not in names:
        raise ValidationError("the gsm column is required", field="columns")
    return names


_UNSAFE = re.compile(r"['\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def _cell(value: object, column: str, where: str) -> str:
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = checked_text(value, where)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _shown(value)
        if text.startswith("<"):
            raise ValidationError("the number is too large", field=where)
    else:
        raise ValidationError(
            f"expected a string or a number, got {type(value).__name__}", field=where
        )
    if column in _NUMBER_COLUMNS and (text.strip() or column == "gsm"):
        return number(text, where)
    bad = _UNSAFE.search(text)
    if bad is not None:
        what = "a single quote" if bad.group() == "'" else "a line break"
        raise ValidationError(f"contains {what}, which the import format cannot carry", field=where)
    return text


def _csv(rows: Iterable[Row], columns: builtins.list[str]) -> str:
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
        raise ValidationError("expected an iterable of rows", field="rows")
    lines = [",".join(f"'{name.upper()}'" for name in columns)]
    width = len(columns)
    for index, row in enumerate(rows):
        values: Sequence[object]
        if isinstance(row, Mapping):
            by_name: dict[str, object] = {}
            for key, value in row.items():
                name = key.lower() if isinstance(key, str) else key
                if name not in columns:
                    raise ValidationError(
                        f"{_shown(key)!r} is not one of the columns", field=f"rows[{index}]"
                    )
                by_name[name] = value
            values = [by_name.get(name) for name in columns]
        elif isinstance(row, Sequence) and not isinstance(row, (str, bytes)):
            if len(row) != width:
                raise ValidationError(
                    f"has {len(row)} values for {width} columns", field=f"rows[{index}]"
                )
            values = row
        else:
            raise ValidationError(
                "expected a mapping or a sequence of values", field=f"rows[{index}]"
            )
        if all(value is None or value == "" for value in values):
            raise ValidationError("the row is empty", field=f"rows[{index}]")
        cells = [
            _cell(value, name, f"rows[{index}].{name}")
            for name, value in zip(columns, values, strict=True)
        ]
        lines.append(",".join(f"'{cell}'" for cell in cells))
    if len(lines) == 1:
        raise ValidationError("no rows to import", field="rows")
    return "\n".join(lines)
