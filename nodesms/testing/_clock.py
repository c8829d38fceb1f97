"""The gateway's clock: Turkish local wall time, manual or real.

Times inside the simulator are floats: seconds since 1970-01-01 00:00 *of the gateway's wall
clock* (naive Europe/Istanbul time read as if it were UTC). Istanbul has kept UTC+3 without
daylight saving since 2016, so this arithmetic is exact, and turning a time into the wire's
naive ISO string is a single addition.
"""

from __future__ import annotations

import email.utils
import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Literal

from nodesms._dates import GATEWAY_TZ
from nodesms._rules import MINUTE_FORMAT, SECOND_FORMAT

__all__ = [
    "GATEWAY_TZ",
    "Clock",
    "format_wire",
    "from_datetime",
    "http_date",
    "parse_input_date",
    "to_datetime",
]

_EPOCH = datetime(1970, 1, 1)


def from_datetime(value: datetime) -> float:
    """Gateway seconds for a datetime (naive = gateway local; aware = converted)."""
    if value.tzinfo is not None:
        value = value.astimezone(GATEWAY_TZ).replace(tzinfo=None)
    return (value - _EPOCH).total_seconds()


def to_datetime(seconds: float) -> datetime:
    """The naive gateway-local datetime of gateway seconds."""
    return _EPOCH + timedelta(seconds=seconds)


@lru_cache(maxsize=8192)
def format_wire(seconds: float, fraction: bool = False) -> str:
    """The wire form: ``2021-05-04T01:38:20``, or with microseconds when ``fraction``."""
    value = _EPOCH + timedelta(seconds=seconds)
    if fraction:
        return value.isoformat(timespec="microseconds")
    return value.isoformat(timespec="seconds")


def http_date(seconds: float) -> str:
    """An HTTP ``Date`` header value for gateway time ``seconds``."""
    moment = to_datetime(seconds).replace(tzinfo=GATEWAY_TZ).astimezone(timezone.utc)
    return email.utils.format_datetime(moment, usegmt=True)


def parse_input_date(text: str, *, seconds: bool = False) -> float:
    """Parse ``yyyy-MM-dd HH:mm`` (or ``yyyy-MM-dd HH:mm:ss``) into gateway seconds.

    Raises:
        ValueError: the text is not in that format.
    """
    fmt = SECOND_FORMAT if seconds else MINUTE_FORMAT
    return from_datetime(datetime.strptime(text.strip(), fmt))


class Clock:
    """The gateway's clock.

    ``"manual"``: starts at the current real time in Europe/Istanbul and moves only when
    :meth:`advance` is called. ``"real"``: follows real (monotonic) time from that start;
    :meth:`advance` still jumps it forward. It never moves backwards.
    """

    def __init__(self, mode: Literal["manual", "real"] = "manual") -> None:
        if mode not in ("manual", "real"):
            raise ValueError(f"clock must be 'manual' or 'real', not {mode!r}")
        self.mode = mode
        self._start = from_datetime(datetime.now(GATEWAY_TZ))
        self._mono = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        """The current gateway time in gateway seconds."""
        if self.mode == "real":
            return self._start + (time.monotonic() - self._mono) + self._offset
        return self._start + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (not backwards)."""
        if seconds < 0:
            raise ValueError("the gateway clock only moves forward")
        self._offset += seconds
