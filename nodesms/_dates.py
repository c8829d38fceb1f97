"""Datetimes to and from the gateway's local wall-clock time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from ._rules import MINUTE_FORMAT, SECOND_FORMAT
from .errors import ValidationError

__all__ = [
    "GATEWAY_TZ",
    "add_months",
    "gateway_now",
    "next_minute",
    "parse_iso",
    "to_gateway",
    "wire_minute",
    "wire_second",
]

GATEWAY_TZ = ZoneInfo("Europe/Istanbul")
"""The zone of Node API gateways' clocks (Turkish time, UTC+3) unless a client says otherwise."""


_FRACTION = re.compile(r"\.(\d+)")


def parse_iso(text: str) -> datetime:
    """``datetime.fromisoformat``, lenient where Python 3.10's is not.

    Gateways send fractions of any length (``01:38:22.25607``) and sometimes a ``Z``; 3.10
    only takes 3 or 6 digits and no ``Z``. The fast path is the C parser; this is the retry.

    Raises:
        ValueError: not an ISO-8601 datetime.
    """
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        fixed = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text.strip(), count=1)
        if fixed.endswith(("Z", "z")):
            fixed = fixed[:-1] + "+00:00"
        return datetime.fromisoformat(fixed)


def to_gateway(value: datetime, tz: tzinfo, field: str) -> datetime:
    """``value`` as an aware datetime in the gateway's zone (naive = already gateway local)."""
    if not isinstance(value, datetime):
        raise ValidationError(
            f"expected a datetime, got {type(value).__name__}; nodesms formats dates itself",
            field=field,
        )
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=tz)
    try:
        return value.astimezone(tz)
    except (OverflowError, ValueError):  # datetime.max in UTC is past year 9999 in Istanbul
        raise ValidationError("is out of the range of dates", field=field) from None


def wire_minute(value: datetime, tz: tzinfo, field: str) -> str:
    """``yyyy-MM-dd HH:mm`` in the gateway's zone (list filters, sendingDate)."""
    return to_gateway(value, tz, field).strftime(MINUTE_FORMAT)


def wire_second(value: datetime, tz: tzinfo, field: str) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in the gateway's zone (trustDate)."""
    return to_gateway(value, tz, field).strftime(SECOND_FORMAT)


def gateway_now(tz: tzinfo) -> datetime:
    """The current time in the gateway's zone."""
    return datetime.now(tz)


def next_minute(value: datetime) -> datetime:
    """``value`` rounded up to the next whole minute (the wire has minute precision)."""
    return value.replace(second=0, microsecond=0) + timedelta(minutes=1)


def add_months(value: datetime, months: int) -> datetime:
    """``value`` plus calendar months, clamped to the last day of the target month (and to
    ``datetime.max`` past year 9999)."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    if year > datetime.max.year:
        return datetime.max.replace(tzinfo=value.tzinfo)
    for day in (value.day, 30, 29, 28):
        try:
            return value.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover
