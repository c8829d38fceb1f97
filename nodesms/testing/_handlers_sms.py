"""The ``/sms/*`` and ``/user/credit`` operations."""

from __future__ import annotations

import calendar
import string
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from nodesms import _operations as ops
from nodesms._rules import (
    INQUIRY_MAX_MONTHS,
    KVKK_TAG,
    CustomId,
    KvkkValidity,
    OtpValidity,
    PeriodAmount,
    PeriodInterval,
    SmsValidity,
    Title,
    Xid,
)
from nodesms.enums import (
    Encoding,
    ItemState,
    Operator,
    PackageFilter,
    PackageState,
    SenderStatus,
    SendingType,
    SmsType,
)
from nodesms.errors import ValidationError
from nodesms.testing._clock import format_wire, from_datetime, to_datetime
from nodesms.testing._errors import GatewayError
from nodesms.testing._model import Package, Sender
from nodesms.testing._params import Params, normalize_number, operator_of, split_numbers
from nodesms.testing._registry import handles
from nodesms.testing._state import GatewayState, ListFilter, Submission
from nodesms.testing._wire import delivery_date, package_items, package_out, page_of
from nodesms.text import fit_text, segments

_PENDING = frozenset({int(ItemState.SENDING), int(ItemState.SENT)})
_LINK_ALPHABET = string.ascii_letters + string.digits
MINUTE = 60.0


# -- shared validation ---------------------------------------------------------------------


def _sender(state: GatewayState, p: Params, *, otp: bool = False) -> str:
    title = p.req_str("sender")
    sender = state.senders.get(title)
    if sender is None or sender.status != 1:
        raise GatewayError("ERR_INVALID_SMS_SENDER", title)
    if otp and title not in state.otp_senders:
        # Production keeps OTP approval apart: an approved sender still needs it for OTP.
        raise GatewayError("ERR_INVALID_SMS_SENDER", f"{title}: OTP için onaylı değil")
    return title


def _encoding(p: Params) -> int:
    value = p.integer("encoding", 0, min=0, max=2)
    assert value is not None
    return value


# (rule, default) of validity minutes, by kind of send.
_VALIDITY = {"otp": (OtpValidity, 6), "kvkk": (KvkkValidity, 6), "sms": (SmsValidity, 1440)}


def _validity(p: Params, kind: str) -> int:
    rule, default = _VALIDITY[kind]
    value: int = p.rule("validity", rule, default)
    return value


def _fit(text: str, encoding: int, field: str = "content") -> tuple[str, int]:
    """The text as it goes on the air and its parts. Like production, encodings 0 and 1
    replace what they cannot carry (``Doğrulama`` → ``Dogrulama`` at 0) instead of refusing."""
    try:
        sent = fit_text(text, Encoding(encoding))[0]
        return sent, segments(sent, Encoding(encoding)).parts
    except ValidationError as exc:
        raise Params.fail(field, f"{Encoding(encoding).name} kodlamasına uymuyor: {exc}") from None


def _custom_id(p: Params) -> str | None:
    value: str | None = p.rule("customID", CustomId)
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
        interval: int = settings.rule("interval", PeriodInterval, required=True)
        amount: int = settings.rule("amount", PeriodAmount, required=True)
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
    sender = _sender(state, p, otp=True)
    encoding = _encoding(p)
    content, parts = _fit(p.req_str("content"), encoding)
    sub = Submission(
        type=SmsType.OTP,
        sending_type=SendingType.SINGLE,
        sender=sender,
        title="",
        content=content,
        encoding=encoding,
        validity=_validity(p, "otp"),
        numbers=[number],
        parts=parts,
        push_url=_push_url(p),
        commercial=p.flag("commercial"),
        custom_id=_custom_id(p),
        trust_date=p.date("trustDate", seconds=True),
    )
    return {"pkgID": state.submit(sub, check_duplicate=False).id}


class _Recipients(NamedTuple):
    numbers: list[str]
    messages: list[str] | None = None
    xids: list[str | None] | None = None
    invalids: list[Any] | None = None


def _recipients(p: Params, sending_type: int) -> _Recipients:
    if sending_type == SendingType.SINGLE:
        return _Recipients([p.number("number")])
    raw = p.array("numbers")
    if not raw:
        raise GatewayError("ERR_EMPTY_SMS_PACKAGE")
    if sending_type == SendingType.ONE_TO_MANY:
        # Production drops the numbers it cannot use and sends to the rest; with none left
        # the package is empty. The dropped ones are reported beside pkgID.
        numbers, invalids = split_numbers(raw)
        if not numbers:
            raise GatewayError("ERR_EMPTY_SMS_PACKAGE", "geçerli numara yok")
        return _Recipients(numbers, invalids=invalids)
    numbers = []
    messages: list[str] = []
    xids: list[str | None] = []
    for i, value in enumerate(raw):
        if not isinstance(value, dict):
            raise Params.fail(f"numbers[{i}]", '{"nr", "msg"} nesnesi olmalı')
        entry = Params(value)
        numbers.append(entry.number(f"numbers[{i}].nr", value.get("nr")))
        messages.append(entry.req_str("msg"))
        xids.append(entry.rule("xid", Xid))
    return _Recipients(numbers, messages, xids if any(x is not None for x in xids) else None)


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
    numbers, messages, xids, invalids = _recipients(p, sending_type)
    sender = _sender(state, p)
    encoding = _encoding(p)
    item_parts: list[int] | None = None
    if messages is None:
        content, parts = _fit(p.req_str("content"), encoding)
    else:
        content = _fit(p.text("content", "") or "", encoding)[0]
        fitted = [_fit(m, encoding, f"numbers[{i}].msg") for i, m in enumerate(messages)]
        messages = [text for text, _ in fitted]
        item_parts = [count for _, count in fitted]
        parts = item_parts[0]
    sub = Submission(
        type=sms_type or 0,
        sending_type=sending_type,
        sender=sender,
        title=p.rule("title", Title, ""),
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
    pkg_id = state.submit(sub, check_duplicate=True).id
    return {"pkgID": pkg_id, "invalids": invalids} if invalids else {"pkgID": pkg_id}


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
    if KVKK_TAG not in content:
        raise Params.fail("content", f"{KVKK_TAG} etiketi zorunlu")
    sender = _sender(state, p)
    encoding = _encoding(p)
    token = "".join(state.rng.choice(_LINK_ALPHABET) for _ in range(8))
    text = (
        content.replace("FIRST_NAME", first)
        .replace("LAST_NAME", last)
        .replace(KVKK_TAG, f"https://kvkk.nodesms.test/{token}")
    )
    text, parts = _fit(text, encoding)
    sub = Submission(
        type=SmsType.NORMAL,
        sending_type=SendingType.SINGLE,
        sender=sender,
        title="KVKK",
        content=content,
        encoding=encoding,
        validity=_validity(p, "kvkk"),
        numbers=[number],
        parts=parts,
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


def _routes(state: GatewayState) -> list[dict[str, Any]]:
    """The account's two delivery routes: normal traffic carrying every approved sender, and
    OTP traffic (with the SIM-change check) carrying the OTP-approved ones."""
    approved = [s.title for s in state.senders.values() if s.status == SenderStatus.APPROVED]
    routes = []
    for kind, senders in (
        (SmsType.NORMAL, approved),
        (SmsType.OTP, [title for title in approved if title in state.otp_senders]),
    ):
        otp = kind is SmsType.OTP
        routes.append(
            {
                "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{state.username}/{kind.name}")),
                "smsType": int(kind),
                "operator": int(Operator.TURKCELL),
                "subProvider": "nodesms-fake",
                "isOTP": otp,
                "simChangeControl": otp,
                "senders": senders,
            }
        )
    return routes


@handles(ops.SMS_LIST_GATEWAY)
async def list_gateways(state: GatewayState, p: Params) -> dict[str, Any]:
    """The delivery routes (undocumented; production deployments have it)."""
    index, size = p.page()
    return page_of(_routes(state), index, size)


def _render_senders(state: GatewayState, chunk: Sequence[Sender]) -> list[dict[str, Any]]:
    carriers: dict[str, list[str]] = {}
    for route in _routes(state):
        for title in route["senders"]:
            carriers.setdefault(title, []).append(route["uuid"])
    return [
        {
            "uuid": s.uuid,
            "status": s.status,
            "title": s.title,
            "gateways": carriers.get(s.title),
        }
        for s in chunk
    ]


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
    return page_of(rows, index, size, lambda chunk: _render_senders(state, chunk))


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
    if start < _months_before(finish, INQUIRY_MAX_MONTHS):
        raise GatewayError("ERR_INVALID_DATE_RANGE")
    rows: list[dict[str, Any]] = []
    for pkg in state.in_period(start, finish):
        if sender is not None and pkg.sender != sender:
            continue
        for index, number in enumerate(pkg.numbers):
            if number != gsm:
                continue
            delivered = delivery_date(pkg, index)
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
