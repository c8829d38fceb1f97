"""How many chunk requests a campaign keeps in flight: adaptive, below a maximum.

The gateway limits concurrent requests per account (SMS50, ERR_CONCURRENT_REQUEST_LIMIT) and
does not say what the limit is. :class:`AdaptiveLimit` finds it the way TCP finds a link's
capacity, with one refinement: a refusal is not a vague loss signal but a fact about the limit.

- *Slow start*: the window begins at one request and grows by one with each success (it doubles
  every round trip) until the first refusal or the maximum. Only answers to requests sent
  while the window was full count: a window the runner does not fill proves nothing.
- *Decrease to what fitted*: a request refused while ``n`` of ours were in flight (itself
  included) shows the limit is below ``n``; the window drops to ``n - 1`` (at least 1). Refusals
  of requests sent before the drop carry a larger ``n`` and change nothing, so one burst of
  refusals costs one decrease, not a collapse.
- *Additive probe*: after ``probe_after`` successes in a row (128) the window grows by one, to find
  room freed by other users of the account. One refusal per probe is the price of staying at
  the limit, so the share of refused requests stays near ``1 / probe_after``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio

__all__ = ["AdaptiveLimit"]


class AdaptiveLimit:
    """A concurrency window that adapts to the gateway's limit (see the module docstring)."""

    def __init__(self, maximum: int, *, probe_after: int = 128) -> None:
        self.maximum = maximum
        self.window = 1
        self.in_flight = 0
        self.limited = 0
        self._probe_after = probe_after
        self._streak = 0
        self._slow_start = True
        self._changed = anyio.Condition()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[int]:
        """Hold one request slot; yields how many are in flight with it (itself included)."""
        async with self._changed:
            while self.in_flight >= self.window:
                await self._changed.wait()
            self.in_flight += 1
            held = self.in_flight
        try:
            yield held
        finally:
            self.in_flight -= 1
            await self._notify()

    async def succeeded(self) -> None:
        """A request held in a slot was answered without a concurrency refusal."""
        if self.in_flight < self.window:
            # The window was not full: this answer says nothing about room for one more.
            return
        self._streak += 1
        if self._slow_start or self._streak >= self._probe_after:
            self._streak = 0
            if self.window < self.maximum:
                self.window += 1
                await self._notify()

    def refused(self, held: int) -> None:
        """The request sent with ``held`` in flight met the account's concurrency limit."""
        self.limited += 1
        self._slow_start = False
        self._streak = 0
        self.window = max(1, min(self.window, held - 1))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
