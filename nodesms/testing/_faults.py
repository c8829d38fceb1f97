"""Fault injection: what the gateway does wrong, on purpose, for one request at a time.

Faults are queued per operation key: the JSON path (``"/sms/create"``) or, for SOAP, the
operation name (``"sendSms"``). Each request to that operation consumes the next fault in its
queue. When a queue is empty, the random mode (if switched on) may pick one.
"""

from __future__ import annotations

import enum
import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nodesms.testing._errors import lookup

__all__ = ["Fault", "FaultKind", "Faults"]


class FaultKind(enum.Enum):
    """The kinds of :class:`Fault`."""

    ERROR = "error"
    """Answer with an error envelope; the request does not take effect."""
    LATENCY = "latency"
    """Wait, then handle the request normally."""
    BAD_GATEWAY = "bad_gateway"
    """Answer HTTP 502 with an nginx HTML page; the request does not take effect."""
    TRUNCATED = "truncated"
    """Handle the request, then send only the first half of the response body."""
    DROP_BEFORE = "drop_before"
    """Close the connection without answering; the request does not take effect."""
    DROP_AFTER = "drop_after"
    """Handle the request (it takes effect), then close the connection without answering."""
    RAW = "raw"
    """Answer with the given bytes instead; the request does not take effect."""


@dataclass(frozen=True)
class Fault:
    """One injected fault; build it with the class methods.

    Attributes:
        kind: what happens.
        code: for errors, the symbolic name sent (``"ERR_SYSTEM_MAINTENANCE"``).
        http_status: for errors and raw answers, the HTTP status (``None``: the configured one).
        retry_after: for errors, a ``Retry-After`` header value in seconds.
        seconds: for latency, the delay.
        body: for raw answers, the bytes sent.
    """

    kind: FaultKind
    code: str | None = None
    http_status: int | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    body: bytes = b""

    @classmethod
    def error(
        cls, code: str, *, http_status: int | None = None, retry_after: float | None = None
    ) -> Fault:
        """An error answer: ``code`` is a name (``"ERR_SYSTEM_MAINTENANCE"``) or ``"SMS99"``."""
        return cls(
            FaultKind.ERROR, lookup(code).name, http_status=http_status, retry_after=retry_after
        )

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Delay the answer by ``seconds`` (real time), then proceed."""
        return cls(FaultKind.LATENCY, seconds=seconds)

    @classmethod
    def bad_gateway(cls) -> Fault:
        """An HTML 502 page from the reverse proxy (nginx)."""
        return cls(FaultKind.BAD_GATEWAY)

    @classmethod
    def truncated(cls) -> Fault:
        """Act, then answer with half of the JSON body."""
        return cls(FaultKind.TRUNCATED)

    @classmethod
    def drop_before(cls) -> Fault:
        """Close the connection before acting: the request never takes effect."""
        return cls(FaultKind.DROP_BEFORE)

    @classmethod
    def raw(cls, body: bytes, *, http_status: int = 200) -> Fault:
        """Answer with ``body`` as it is (odd answers: unknown values, ``{"status": 0}``)."""
        return cls(FaultKind.RAW, http_status=http_status, body=body)

    @classmethod
    def drop_after(cls) -> Fault:
        """Act, then close the connection without answering."""
        return cls(FaultKind.DROP_AFTER)


DEFAULT_RANDOM_CHOICES: tuple[Fault, ...] = (
    Fault.drop_before(),
    Fault.drop_after(),
    Fault.error("ERR_SYSTEM_MAINTENANCE"),
    Fault.error("ERR_MULTI_REQUEST_NOT_PERMITTED"),
    Fault.bad_gateway(),
)


class Faults:
    """The fault queues of a gateway (``gw.faults``).

    ``injected`` lists every fault applied, as ``(operation, fault)`` pairs, in order.
    """

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}
        self._rate = 0.0
        self._choices: tuple[Fault, ...] = ()
        self._operations: frozenset[str] | None = None
        self._rng = random.Random(0)
        self._limit: int | None = None
        self._limit_fault = Fault.error("ERR_MULTI_REQUEST_NOT_PERMITTED")
        self._limited: frozenset[str] | None = None
        self._in_flight: dict[str, int] = {}
        self.injected: list[tuple[str, Fault]] = []

    def push(self, operation: str, *faults: Fault) -> None:
        """Queue ``faults`` for the next requests to ``operation``, one per request."""
        self._queues.setdefault(operation, deque()).extend(faults)

    def pending(self, operation: str) -> int:
        """How many queued faults ``operation`` still has."""
        return len(self._queues.get(operation, ()))

    def clear(self, operation: str | None = None) -> None:
        """Drop the queued faults of one operation (or all) and switch random mode off."""
        if operation is None:
            self._queues.clear()
            self._rate = 0.0
        else:
            self._queues.pop(operation, None)

    def random(
        self,
        rate: float,
        choices: Sequence[Fault] | None = None,
        *,
        seed: int | None = 0,
        operations: Iterable[str] | None = None,
    ) -> None:
        """Give each request a ``rate`` chance of a fault drawn from ``choices``.

        Deterministic for a given ``seed`` and order of requests. ``operations`` limits it to
        those keys (default: all). The default choices: drop before, drop after, SMS99, SMS50,
        HTML 502. ``rate=0`` switches it off. Queued faults are used first.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self._rate = rate
        self._choices = tuple(choices) if choices is not None else DEFAULT_RANDOM_CHOICES
        if rate and not self._choices:
            raise ValueError("random faults need at least one choice")
        self._operations = frozenset(operations) if operations is not None else None
        self._rng = random.Random(seed)

    def limit_concurrency(
        self,
        limit: int | None,
        *,
        operations: Iterable[str] | None = None,
        code: str = "ERR_MULTI_REQUEST_NOT_PERMITTED",
    ) -> None:
        """Refuse a request with ``code`` (SMS50) while ``limit`` others are in flight.

        Real accounts have such a limit; each operation key counts its own requests in
        flight, latency included (a refused request is answered after the same latency but
        does not count). ``operations`` limits it to those keys (default: all);
        ``limit=None`` switches it off. Refusals are recorded in ``injected``.
        """
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        self._limit = limit
        self._limited = frozenset(operations) if operations is not None else None
        self._limit_fault = Fault.error(code)

    def enter(self, operation: str) -> Fault | None:
        """Admit a request (counted in flight until :meth:`leave`), or return the refusal to
        answer with when the limit is reached (a refused request is not counted, as on a real
        gateway, which refuses on arrival)."""
        count = self._in_flight.get(operation, 0)
        limited = self._limited is None or operation in self._limited
        if self._limit is not None and limited and count >= self._limit:
            self.injected.append((operation, self._limit_fault))
            return self._limit_fault
        self._in_flight[operation] = count + 1
        return None

    def leave(self, operation: str) -> None:
        """The request admitted by :meth:`enter` has been answered."""
        self._in_flight[operation] -= 1

    def in_flight(self, operation: str) -> int:
        """Requests to ``operation`` admitted and not yet answered."""
        return self._in_flight.get(operation, 0)

    def take(self, operation: str) -> Fault | None:
        """The fault for this request to ``operation``, if any (consumes it)."""
        queue = self._queues.get(operation)
        fault: Fault | None = None
        if queue:
            fault = queue.popleft()
        elif (
            self._rate
            and (self._operations is None or operation in self._operations)
            and self._rng.random() < self._rate
        ):
            fault = self._rng.choice(self._choices)
        if fault is not None:
            self.injected.append((operation, fault))
        return fault
