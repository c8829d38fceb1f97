"""Reading the delivery-report push the gateway POSTs to a package's ``pushSettings.url``.

The format is not in the vendor document; it is inferred from a real integration::

    {"pkg": {"id": 222961, "state": 6,
             "statistics": {"total": 2, "delivered": 1, "undelivered": 1}},
     "items": [{"id": "12345678910", "nr": "905551234567", "status": 3,
                "lastUpdate": "2021-05-04T01:38:26"}],
     "userID": 1001}

:func:`parse_push` reads it leniently: the object or a one-element array holding it, numbers
as strings (``"3"``), unknown fields ignored, unknown state values kept (as int-valued enum
pseudo-members). A handler is three lines::

    async def delivery_report(request: web.Request) -> web.Response:
        report = nodesms.parse_push(await request.read())
        ...
        return web.Response()
"""

from __future__ import annotations

from datetime import datetime, tzinfo

import msgspec

from ._dates import GATEWAY_TZ, parse_iso
from .enums import ItemState, PackageState
from .errors import ValidationError
from .models import Serialisable

__all__ = ["PushItem", "PushReport", "PushStatistics", "parse_push"]


class PushStatistics(msgspec.Struct, Serialisable, frozen=True):
    """Package totals in a push: SMS parts in all, delivered, and failed."""

    total: int
    delivered: int
    undelivered: int


class PushItem(msgspec.Struct, Serialisable, frozen=True):
    """One recipient in a push.

    Attributes:
        id: the item id (a string of digits, as in ``sms.list_item``).
        number: the recipient number (the wire's ``nr``).
        status: the item state.
        last_update: when the state was last set, aware in the gateway's zone (``None`` if
            the gateway did not say).
    """

    id: str
    number: str
    status: ItemState
    last_update: datetime | None


class PushReport(msgspec.Struct, Serialisable, frozen=True):
    """A delivery-report push.

    Attributes:
        pkg_id: the package id.
        state: the package state.
        statistics: the package totals.
        items: the recipients reported.
        user_id: the account the package belongs to, as the gateway sent it.
    """

    pkg_id: int
    state: PackageState
    statistics: PushStatistics
    items: tuple[PushItem, ...]
    user_id: int | str | None


class _WireStats(msgspec.Struct):
    total: int = 0
    delivered: int = 0
    undelivered: int = 0


class _WirePkg(msgspec.Struct):
    id: int
    state: int
    statistics: _WireStats = msgspec.field(default_factory=_WireStats)


class _WireItem(msgspec.Struct, rename={"last_update": "lastUpdate"}):
    id: int | str
    nr: int | str
    status: int
    last_update: str | None = None


class _WireReport(msgspec.Struct, rename={"user_id": "userID"}):
    pkg: _WirePkg
    items: list[_WireItem] = msgspec.field(default_factory=list)
    user_id: int | str | None = None


_decoder = msgspec.json.Decoder(_WireReport | list[_WireReport], strict=False)


def _moment(text: str | None, tz: tzinfo) -> datetime | None:
    if not text:
        return None
    try:
        value = parse_iso(text.strip())
        return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
    except (ValueError, OverflowError):  # not a date, or one past year 9999 in the zone
        raise ValidationError(
            f"invalid lastUpdate {text[:40]!r}", field="items.lastUpdate"
        ) from None


def parse_push(body: bytes | str, *, tz: tzinfo = GATEWAY_TZ) -> PushReport:
    """Parse a delivery-report push body.

    Args:
        body: the raw request body (bytes or text).
        tz: the gateway's zone: naive ``lastUpdate`` values are read in it, aware ones
            converted to it.

    Raises:
        ValidationError: the body is not a push (not JSON, missing ``pkg``, wrong types), or
            an array that does not hold exactly one report.
    """
    if not isinstance(body, (bytes, bytearray, memoryview, str)):
        raise ValidationError(f"expected bytes or str, got {type(body).__name__}", field="body")
    try:
        decoded = _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ValidationError(f"not a delivery-report push: {exc}", field="body") from None
    except RecursionError:  # msgspec's answer to absurdly deep nesting
        raise ValidationError(
            "not a delivery-report push: nested too deeply", field="body"
        ) from None
    if isinstance(decoded, list):
        if len(decoded) != 1:
            raise ValidationError(
                f"expected one delivery report, got an array of {len(decoded)}", field="body"
            )
        decoded = decoded[0]
    stats = decoded.pkg.statistics
    return PushReport(
        pkg_id=decoded.pkg.id,
        state=PackageState(decoded.pkg.state),
        statistics=PushStatistics(stats.total, stats.delivered, stats.undelivered),
        items=tuple(
            PushItem(
                id=str(item.id),
                number=str(item.nr),
                status=ItemState(item.status),
                last_update=_moment(item.last_update, tz),
            )
            for item in decoded.items
        ),
        user_id=decoded.user_id,
    )
