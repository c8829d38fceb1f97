"""Datetimes to and from the gateway's local wall-clock time."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from .errors import ValidationError

__all__ = [
    "GATEWAY_TZ",
    "add_months",
    "gateway_now",
    "next_minute",
    "to_gateway",
    "wire_minute",
    "wire_second",
]

GATEWAY_TZ = ZoneInfo("Europe/Istanbul")
"""The zone of Node API gateways' clocks (Turkish time, UTC+3) unless a client says otherwise."""


def to_gateway(value: datetime, tz: tzinfo, field: str) -> datetime:
    """``value`` as an aware datetime in the gateway's zone (naive = already gateway local)."""
    if not isinstance(value, datetime):
        raise ValidationError(
            f"expected a datetime, got {type(value).__name__}; nodesms formats dates itself",
            field=field,
        )
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=tz)
    return value.astimezone(tz)


def wire_minute(value: datetime, tz: tzinfo, field: str) -> str:
    """``yyyy-MM-dd HH:mm`` in the gateway's zone (list filters, sendingDate)."""
    return to_gateway(value, tz, field).strftime("%Y-%m-%d %H:%M")


def wire_second(value: datetime, tz: tzinfo, field: str) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in the gateway's zone (trustDate)."""
    return to_gateway(value, tz, field).strftime("%Y-%m-%d %H:%M:%S")


def gateway_now(tz: tzinfo) -> datetime:
    """The current time in the gateway's zone."""
    return datetime.now(tz)


def next_minute(value: datetime) -> datetime:
    """``value`` rounded up to the next whole minute (the wire has minute precision)."""
    return value.replace(second=0, microsecond=0) + timedelta(minutes=1)


def add_months(value: datetime, months: int) -> datetime:
    """``value`` plus calendar months, clamped to the last day of the target month."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    for day in (value.day, 30, 29, 28):
        try:
            return value.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover
