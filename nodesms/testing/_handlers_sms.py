"""The ``/sms/*`` and ``/user/credit`` operations."""

from __future__ import annotations

import calendar
import re
import string
from collections.abc import Sequence
from typing import Any

from nodesms import _operations as ops
from nodesms.enums import Encoding, ItemState, PackageFilter, PackageState, SendingType, SmsType
from nodesms.errors import ValidationError
from nodesms.testing._clock import format_wire, from_datetime, to_datetime
from nodesms.testing._errors import GatewayError
from nodesms.testing._model import Package, Sender
from nodesms.testing._params import Params, normalize_number, operator_of
from nodesms.testing._registry import handles
from nodesms.testing._state import GatewayState, ListFilter, Submission
from nodesms.testing._wire import package_items, package_out, page_of
from nodesms.text import segments

_CUSTOM_ID = re.compile(r"[A-Za-z0-9.\-]{1,100}")
_PENDING = frozenset({int(ItemState.SENDING), int(ItemState.SENT)})
_LINK_ALPHABET = string.ascii_letters + string.digits
MINUTE = 60.0


# -- shared validation ---------------------------------------------------------------------


def _sender(state: GatewayState, p: Params) -> str:
    title = p.req_str("sender")
    sender = state.senders.get(title)
    if sender is None or sender.status != 1:
        raise GatewayError("ERR_INVALID_SMS_SENDER", title)
    return title


def _encoding(p: Params) -> int:
    value = p.integer("encoding", 0, min=0, max=2)
    assert value is not None
    return value


# (low, high, default) minutes. The vendor text gives KVKK sends the OTP default of 6 minutes,
# so they accept the whole span from the OTP minimum to the normal maximum.
_VALIDITY = {"otp": (3, 6, 6), "kvkk": (3, 1440, 6), "sms": (60, 1440, 1440)}


def _validity(p: Params, kind: str) -> int:
    low, high, default = _VALIDITY[kind]
    value = p.integer("validity", default, min=low, max=high)
    assert value is not None
    return value


def _parts(text: str, encoding: int, field: str = "content") -> int:
    try:
        return segments(text, Encoding(encoding)).parts
    except ValidationError as exc:
        raise Params.fail(field, f"{Encoding(encoding).name} kodlamasına uymuyor: {exc}") from None


def _custom_id(p: Params) -> str | None:
    value = p.text("customID")
    if value is not None and not _CUSTOM_ID.fullmatch(value):
        raise Params.fail("customID", "en fazla 100 harf, rakam, '-' veya '.'")
    return value


def _push_url(p: Params) -> str | None:
    settings = p.obj("pushSettings")
    if settings is None:
        return None
    url = settings.text("url")
    if url is not None and not url.startswith(("http://", "https://")):
        raise Params.fail("pushSettings.url", "http(s) adresi olmalı")
    return url


def _sending_date(state: GatewayState, p: Params) -> float | None:
    when = p.date("sendingDate")
    if when is None:
        return None
    now = state.clock.now()
    if when < now - now % MINUTE:
        raise GatewayError("ERR_INVALID_SMS_SENDING_DATE")
    return when


def _periodic(p: Params) -> dict[str, int] | None:
    settings = p.obj("periodicSettings")
    if settings is None:
        return None
    period = settings.req_int("periodType", min=0, max=4)
    result = {"periodType": period}
    if period == 0:
        interval = settings.req_int("interval", min=1)
        amount = settings.req_int("amount", min=1000)
        if amount % 1000:
            raise Params.fail("periodicSettings.amount", "1000 ve katları olmalı")
        result.update(interval=interval, amount=amount)
    return result


def _period(state: GatewayState, p: Params) -> tuple[float | None, float | None]:
    """``startDate`` (inclusive) and ``finishDate`` (its whole minute included)."""
    start = p.date("startDate")
    finish = p.date("finishDate")
    if finish is not None:
        finish += MINUTE
    if start is not None and finish is not None and start >= finish:
        raise GatewayError("ERR_INVALID_DATE_RANGE")
    return start, finish


def _months_before(moment: float, months: int) -> float:
    value = to_datetime(moment)
    month = value.month - months
    year = value.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return from_datetime(value.replace(year=year, month=month, day=day))


def _package(state: GatewayState, p: Params, id_field: str = "id") -> Package:
    pkg_id = p.integer(id_field)
    uuid = p.text("uuid")
    custom_id = p.text("customID")
    if pkg_id is None and uuid is None and custom_id is None:
        raise Params.fail(id_field, f"{id_field}, uuid veya customID zorunlu")
    return state.find_package(pkg_id, uuid, custom_id)


# -- creating ------------------------------------------------------------------------------


@handles(ops.SMS_CREATE_OTP)
async def create_otp(state: GatewayState, p: Params) -> dict[str, Any]:
    """Create a one-recipient OTP package (validity 3–6 minutes)."""
    number = p.number("number")
    sender = _sender(state, p)
    content = p.req_str("content")
    encoding = _encoding(p)
    sub = Submission(
        type=SmsType.OTP,
        sending_type=SendingType.SINGLE,
        sender=sender,
        title="",
        content=content,
        encoding=encoding,
        validity=_validity(p, "otp"),
        numbers=[number],
        parts=_parts(content, encoding),
        push_url=_push_url(p),
        commercial=p.flag("commercial"),
        custom_id=_custom_id(p),
        trust_date=p.date("trustDate", seconds=True),
    )
    return {"pkgID": state.submit(sub, check_duplicate=False).id}


def _recipients(
    p: Params, sending_type: int
) -> tuple[list[str], list[str] | None, list[str | None] | None]:
    if sending_type == SendingType.SINGLE:
        return [p.number("number")], None, None
    raw = p.array("numbers")
    if not raw:
        raise GatewayError("ERR_EMPTY_SMS_PACKAGE")
    if sending_type == SendingType.ONE_TO_MANY:
        return [p.number(f"numbers[{i}]", value) for i, value in enumerate(raw)], None, None
    numbers: list[str] = []
    messages: list[str] = []
    xids: list[str | None] = []
    for i, value in enumerate(raw):
        if not isinstance(value, dict):
            raise Params.fail(f"numbers[{i}]", '{"nr", "msg"} nesnesi olmalı')
        entry = Params(value)
        numbers.append(entry.number(f"numbers[{i}].nr", value.get("nr")))
        messages.append(entry.text("msg", required=True) or "")
        xid = entry.text("xid")
        if xid is not None and len(xid) > 32:
            raise Params.fail(f"numbers[{i}].xid", "en fazla 32 karakter")
        xids.append(xid)
    return numbers, messages, (xids if any(x is not None for x in xids) else None)


@handles(ops.SMS_CREATE)
async def create(state: GatewayState, p: Params) -> dict[str, Any]:
    """Create a single, one-to-many or many-to-many package (checked for duplicates)."""
    sms_type = p.integer("type", SmsType.NORMAL, min=0, max=2)
    sending_type = p.integer("sendingType", min=0, max=2)
    if sending_type is None:
        raw = p.array("numbers")
        if p.has("number"):
            sending_type = SendingType.SINGLE
        elif raw and isinstance(raw[0], dict):
            sending_type = SendingType.MANY_TO_MANY
        else:
            sending_type = SendingType.ONE_TO_MANY
    numbers, messages, xids = _recipients(p, sending_type)
    sender = _sender(state, p)
    encoding = _encoding(p)
    if messages is None:
        content = p.req_str("content")
        parts, item_parts = _parts(content, encoding), None
    else:
        content = p.text("content", "") or ""
        item_parts = [_parts(m, encoding, f"numbers[{i}].msg") for i, m in enumerate(messages)]
        parts = item_parts[0]
    sub = Submission(
        type=sms_type or 0,
        sending_type=sending_type,
        sender=sender,
        title=p.text("title", "") or "",
        content=content,
        encoding=encoding,
        validity=_validity(p, "sms"),
        numbers=numbers,
        parts=parts,
        item_parts=item_parts,
        messages=messages,
        xids=xids,
        sending_date=_sending_date(state, p),
        periodic=_periodic(p),
        push_url=_push_url(p),
        commercial=p.flag("commercial"),
        custom_id=_custom_id(p),
    )
    return {"pkgID": state.submit(sub, check_duplicate=True).id}


@handles(ops.SMS_CREATE_KVKK)
async def create_kvkk(state: GatewayState, p: Params) -> dict[str, Any]:
    """Send the KVKK consent link: SHORT_LINK, FIRST_NAME and LAST_NAME are filled in."""
    target = p.obj("number")
    if target is None:
        raise Params.fail("number", "zorunlu alan")
    number = target.number("number.nr", target.raw.get("nr"))
    fields = target.obj("cfs")
    if fields is None:
        raise Params.fail("number.cfs", "FIRST_NAME ve LAST_NAME zorunlu")
    first = fields.text("FIRST_NAME")
    last = fields.text("LAST_NAME")
    if not first or not last:
        raise Params.fail("number.cfs", "FIRST_NAME ve LAST_NAME zorunlu")
    content = p.req_str("content")
    if "SHORT_LINK" not in content:
        raise Params.fail("content", "SHORT_LINK etiketi zorunlu")
    sender = _sender(state, p)
    encoding = _encoding(p)
    token = "".join(state.rng.choice(_LINK_ALPHABET) for _ in range(8))
    text = (
        content.replace("FIRST_NAME", first)
        .replace("LAST_NAME", last)
        .replace("SHORT_LINK", f"https://kvkk.nodesms.test/{token}")
    )
    sub = Submission(
        type=SmsType.NORMAL,
        sending_type=SendingType.SINGLE,
        sender=sender,
        title="KVKK",
        content=content,
        encoding=encoding,
        validity=_validity(p, "kvkk"),
        numbers=[number],
        parts=_parts(text, encoding),
        messages=[text],
        push_url=_push_url(p),
        custom_id=_custom_id(p),
    )
    return {"pkgID": state.submit(sub, check_duplicate=False).id}


# -- reading -------------------------------------------------------------------------------


def _render_packages(chunk: Sequence[Package]) -> list[Any]:
    return [package_out(pkg) for pkg in chunk]


@handles(ops.SMS_LIST)
async def list_packages(state: GatewayState, p: Params) -> dict[str, Any]:
    """Packages, newest first, filtered and paged."""
    ids = p.int_list("ids")
    custom_ids = p.str_list("customIDs")
    start, finish = _period(state, p)
    status = p.integer("status", 0, min=0, max=7) or 0
    index, size = p.page()
    flt = ListFilter(
        ids=tuple(ids) if ids is not None else None,
        custom_ids=tuple(custom_ids) if custom_ids is not None else None,
        keyword=p.text("keyword"),
        sender=p.text("sender"),
        status=int(PackageFilter(status)),
        start=start,
        finish=finish,
    )
    return page_of(state.list_packages(flt), index, size, _render_packages)


@handles(ops.SMS_LIST_ITEM)
async def list_items(state: GatewayState, p: Params) -> dict[str, Any]:
    """The items of one package (by pkgID, uuid or customID), filtered and paged."""
    pkg = _package(state, p, "pkgID")
    target = p.text("target")
    op = p.integer("operator", min=0)
    item_state = p.integer("state")
    index, size = p.page()
    indexes: Sequence[int] = range(len(pkg.numbers))
    if target is not None or op is not None or item_state is not None:
        wanted = normalize_number(target) or target if target is not None else None
        indexes = [
            i
            for i in indexes
            if (wanted is None or wanted in pkg.numbers[i])
            and (op is None or operator_of(pkg.numbers[i]) == op)
            and (item_state is None or pkg.item_state(i) == item_state)
        ]
    return page_of(indexes, index, size, lambda chunk: package_items(pkg, chunk))


def _render_senders(chunk: Sequence[Sender]) -> list[dict[str, Any]]:
    return [{"uuid": s.uuid, "status": s.status, "title": s.title} for s in chunk]


@handles(ops.SMS_LIST_SENDER)
async def list_senders(state: GatewayState, p: Params) -> dict[str, Any]:
    """The account's sender names with their approval status."""
    keyword = (p.text("keyword") or "").casefold()
    status = p.integer("status", min=0, max=3)
    index, size = p.page()
    rows = [
        s
        for s in state.senders.values()
        if keyword in s.title.casefold() and (status is None or s.status == status)
    ]
    return page_of(rows, index, size, _render_senders)


@handles(ops.SMS_CANCEL)
async def cancel(state: GatewayState, p: Params) -> dict[str, Any]:
    """Cancel a scheduled or not yet started package (credit refunded; SMS07 otherwise)."""
    state.cancel(_package(state, p))
    return {"status": 1}


@handles(ops.SMS_RECREATE)
async def recreate(state: GatewayState, p: Params) -> dict[str, Any]:
    """Send a completed or fully failed package again as a new package.

    ``includeNewNumbers`` is required and accepted, but the simulator sends packages to
    numbers, not contact groups, so it adds nobody.
    """
    pkg_id = p.integer("id")
    uuid = p.text("uuid")
    if pkg_id is None and uuid is None:
        raise Params.fail("id", "id veya uuid zorunlu")
    title = p.req_str("title")
    if not p.has("includeNewNumbers"):
        raise Params.fail("includeNewNumbers", "zorunlu alan")
    p.flag("includeNewNumbers")
    pkg = state.find_package(pkg_id, uuid)
    return {"pkgID": state.recreate(pkg, title).id}


@handles(ops.SMS_SUMMARY)
async def summary(state: GatewayState, p: Params) -> dict[str, Any]:
    """Totals over the packages created in the period (cancelled packages left out)."""
    start, finish = _period(state, p)
    total = delivered = undelivered = pending = r_count = credit = 0
    for pkg in state.in_period(start, finish):
        if pkg.state == PackageState.CANCELLED:
            continue
        total += pkg.total
        delivered += pkg.delivered
        undelivered += pkg.undelivered
        if not pkg.is_final:
            pending += pkg.parts_in(_PENDING)
        r_count += len(pkg.numbers)
        credit += pkg.credit
    return {
        "total": total,
        "delivered": delivered,
        "undelivered": undelivered,
        "pending": pending,
        "rCount": r_count,
        "credit": credit,
    }


@handles(ops.SMS_INQUIRY_NUMBER)
async def inquiry_number(state: GatewayState, p: Params) -> dict[str, Any]:
    """Messages sent to one number in a period (default: the last month; at most 3 months)."""
    gsm = p.number("gsm")
    sender = p.text("sender")
    start, finish = _period(state, p)
    if finish is None:
        finish = state.clock.now()
    if start is None:
        start = _months_before(finish, 1)
    if start < _months_before(finish, 3):
        raise GatewayError("ERR_INVALID_DATE_RANGE")
    rows: list[dict[str, Any]] = []
    for pkg in state.in_period(start, finish):
        if sender is not None and pkg.sender != sender:
            continue
        for index, number in enumerate(pkg.numbers):
            if number != gsm:
                continue
            delivered = pkg.delivery_time(index)
            rows.append(
                {
                    "userUUID": state.user_uuid,
                    "username": state.username,
                    "sender": pkg.sender,
                    "encoding": pkg.encoding,
                    "validity": pkg.validity,
                    "sendingDate": format_wire(pkg.sending_date),
                    "pkgID": pkg.id,
                    "pkgType": pkg.type,
                    "state": pkg.item_state(index),
                    "msg": pkg.item_text(index),
                    "operator": int(operator_of(number)),
                    "deliveryDate": None if delivered is None else format_wire(delivered),
                }
            )
    rows.reverse()
    return {"stats": {"totalRecord": len(rows)}, "list": rows}


@handles(ops.USER_CREDIT)
async def user_credit(state: GatewayState, p: Params) -> dict[str, Any]:
    """The account's credit balance."""
    return {"credit": state.credit}
