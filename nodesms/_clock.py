"""The gateway's time: its zone, and its clock as the ``Date`` headers of its answers tell it."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from .models import dec_hook_for

__all__ = ["GatewayClock"]

# A Date header outside these years is a broken or hostile clock: the client's own is used.
_PLAUSIBLE_YEARS = range(2000, 9000)


class GatewayClock:
    """The one owner of the gateway's zone and of its idea of "now".

    Clocks differ: a walk pinned to the client's clock would miss what a gateway whose clock
    runs ahead created meanwhile, so "now" is the latest answer's ``Date`` plus the time since
    it came. Before any answer, or when the header is absent or absurd, it is the client's clock.

    Attributes:
        tz: the gateway's zone: naive datetimes sent are its local time, datetimes received
            are made aware in it.
        dec_hook: the msgspec ``dec_hook`` that decodes the gateway's datetimes in ``tz``.
    """

    __slots__ = ("_at", "_date", "dec_hook", "tz")

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.dec_hook: Callable[[type, Any], Any] = dec_hook_for(tz)
        self._date: str | None = None
        self._at = 0.0

    def observe(self, date: str | None) -> None:
        """Remember an answer's ``Date`` header (parsed only when :meth:`now` is asked)."""
        self._date = date
        self._at = time.monotonic()

    def now(self) -> datetime:
        """The gateway's current time, aware, in its zone."""
        local = datetime.now(self.tz)
        if self._date is None:
            return local
        try:
            stamped = email.utils.parsedate_to_datetime(self._date)
            if stamped.year not in _PLAUSIBLE_YEARS:
                return local
            if stamped.tzinfo is None:
                stamped = stamped.replace(tzinfo=timezone.utc)
            elapsed = time.monotonic() - self._at
            return (stamped + timedelta(seconds=elapsed)).astimezone(self.tz)
        except (TypeError, ValueError, OverflowError, IndexError):
            return local
