"""OpenTelemetry (``pip install nodesms[otel]``): one span per operation, and counters.

With ``opentelemetry-api`` installed, every operation runs in a span ``nodesms sms.create``
(kind CLIENT) that covers all its attempts, with

- ``nodesms.operation`` (``sms.create``), and on failure ``error.type`` (the exception class)
  and ``nodesms.error.code`` (the gateway's code or name);
- for sends, ``nodesms.recipients`` and ``nodesms.parts`` (SMS parts over all recipients);
  for creates, ``nodesms.package.id``;
- an event ``retry`` per further attempt (``nodesms.attempt``, and ``error.type`` of the
  failure that caused it);

and the counters ``nodesms.messages``, ``nodesms.parts`` (sent successfully) and
``nodesms.retries``. Phone numbers, texts and credentials never go into telemetry.

Without OpenTelemetry nothing is imported and each call costs one cached lookup. The
providers are OpenTelemetry's global ones (configure the SDK as usual, at any time); while
neither a tracer nor a meter provider is configured, calls make no span at all, as the
API would drop it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ._operation import Effect, Operation
from .errors import APIError

__all__ = ["Observer", "observer"]

T = TypeVar("T")

Attempt = Callable[[float], Awaitable[T]]
"""One attempt, given the seconds left until the call's deadline."""
Runner = Callable[[Attempt[T], Effect, str], Awaitable[T]]

_UNSET: Any = object()
_MISSING: Any = object()
_observer: Observer | None = _UNSET


def observer() -> Observer | None:
    """The process's observer, or ``None`` when OpenTelemetry is not installed."""
    global _observer
    if _observer is _UNSET:
        _observer = Observer() if importlib.util.find_spec("opentelemetry") else None
    return _observer


def active_observer() -> Observer | None:
    """The observer when a tracer or a meter provider is configured, else ``None``: what
    every call asks first (see :meth:`Observer.active`)."""
    observe = _observer if _observer is not _UNSET else observer()
    if observe is None:
        return None
    # Neither of the API's globals set: two reads of a module dict, inline because every call
    # of the client asks.
    if (
        observe._trace_globals.get("_TRACER_PROVIDER", _MISSING) is None
        and observe._meter_globals.get("_METER_PROVIDER", _MISSING) is None
    ):
        return None
    return observe if observe.active() else None


def operation_name(op: Operation[Any]) -> str:
    """``/sms/create-otp`` → ``sms.create_otp``: the method's name, as users know it."""
    return op.path.strip("/").replace("/", ".").replace("-", "_")


class Observer:
    """Spans and counters around operations, on OpenTelemetry's global providers."""

    def __init__(self) -> None:
        from opentelemetry import metrics, trace

        from ._version import __version__

        self._trace = trace
        self._metrics = metrics
        self._idle_tracers = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
        # The module dicts where the API keeps its providers (a move only costs the fast
        # check: a missing global falls back to the API's function).
        self._trace_globals: dict[str, Any] = vars(trace)
        try:
            meters = importlib.import_module("opentelemetry.metrics._internal")
        except ImportError:
            self._meter_globals: dict[str, Any] = {}
        else:
            self._meter_globals = vars(meters)
        self._tracer = trace.get_tracer("nodesms", __version__)
        meter = metrics.get_meter("nodesms", __version__)
        self._messages = meter.create_counter(
            "nodesms.messages", unit="{message}", description="Messages sent (per recipient)"
        )
        self._parts = meter.create_counter(
            "nodesms.parts", unit="{part}", description="SMS parts sent, over all recipients"
        )
        self._retries = meter.create_counter(
            "nodesms.retries", unit="{retry}", description="Attempts after an operation's first"
        )

    async def __call__(self, op: Operation[T], body: object, once: Attempt[T], run: Runner[T]) -> T:
        """Run ``run(attempt, op.effect, op.path)`` in a span, observing each attempt."""
        name = operation_name(op)
        labels = {"nodesms.operation": name}
        attempts = 0
        last_error: BaseException | None = None
        with self._tracer.start_as_current_span(
            f"nodesms {name}",
            kind=self._trace.SpanKind.CLIENT,
            attributes=labels,
            # Exception messages may quote what the gateway was sent: only the type is kept.
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            # Counting a campaign chunk's parts is real work: only for a recording span or a
            # metrics SDK (the API alone, unconfigured, drops both).
            sent = _measure(body) if span.is_recording() or self._counting() else None

            async def attempt(remaining: float) -> T:
                nonlocal attempts, last_error
                attempts += 1
                if attempts > 1:
                    event: dict[str, Any] = {"nodesms.attempt": attempts}
                    if last_error is not None:
                        event["error.type"] = type(last_error).__name__
                    span.add_event("retry", event)
                    self._retries.add(1, labels)
                try:
                    return await once(remaining)
                except Exception as exc:
                    last_error = exc
                    raise

            if sent is not None:
                span.set_attribute("nodesms.recipients", sent[0])
                span.set_attribute("nodesms.parts", sent[1])
            try:
                result = await run(attempt, op.effect, op.path)
            except BaseException as exc:
                span.set_status(self._trace.StatusCode.ERROR, type(exc).__name__)
                span.set_attribute("error.type", type(exc).__name__)
                if isinstance(exc, APIError) and (exc.code or exc.name):
                    span.set_attribute("nodesms.error.code", str(exc.code or exc.name))
                raise
            pkg_id = getattr(result, "pkg_id", None)
            if isinstance(pkg_id, int):
                span.set_attribute("nodesms.package.id", pkg_id)
            if sent is not None:
                self._messages.add(sent[0], labels)
                self._parts.add(sent[1], labels)
            return result

    def active(self) -> bool:
        """Whether a tracer or a meter provider is configured. While neither is, the caller
        skips the span: the API alone would drop it and its counts, and making them cost
        more instructions than the rest of nodesms's work on a call."""
        return self._tracing() or self._counting()

    # The two checks below are one shape on purpose: they run on every call, and a shared
    # helper would cost each call more instructions than the rest of this module's check.
    def _tracing(self) -> bool:
        """Whether a tracer provider is configured (checked per call: it may be set at any
        time)."""
        # The API's global, read directly: get_tracer_provider() looks in os.environ on every
        # call while none is set (2 µs). Should the API move it, the function is the fallback.
        provider = self._trace_globals.get("_TRACER_PROVIDER", _MISSING)
        if provider is None:
            return False
        if provider is _MISSING:
            provider = self._trace.get_tracer_provider()
        return not isinstance(provider, self._idle_tracers)

    def _counting(self) -> bool:
        """Whether a metrics SDK is configured (checked per call, like the tracer)."""
        provider = self._meter_globals.get("_METER_PROVIDER", _MISSING)
        if provider is None:
            return False
        if provider is _MISSING:
            provider = self._metrics.get_meter_provider()
        return type(provider).__name__ not in _NO_METRICS


# The API's own meter providers, which keep nothing. Matched by name: one of them is private
# to the API, and a name that changes only means measuring when it was not needed.
_NO_METRICS = frozenset({"_ProxyMeterProvider", "NoOpMeterProvider"})


def _measure(body: object) -> tuple[int, int] | None:
    """``(recipients, parts)`` of a send body, ``None`` for anything else."""
    content = getattr(body, "content", None)
    encoding = getattr(body, "encoding", None)
    if not isinstance(content, str) or not isinstance(encoding, int):
        return None
    from .enums import Encoding
    from .text import _parts_of

    numbers: Sequence[object] | None = getattr(body, "numbers", None)
    if numbers:
        texts = [getattr(n, "text", content) for n in numbers]  # Messages, or bare numbers
    elif getattr(body, "number", None) is not None:
        texts = [content]
    else:
        return None
    try:
        chosen = Encoding(encoding)
        # Once per distinct text: a package of one text to many numbers counts it once.
        parts = {text: _parts_of(text, chosen) for text in set(texts)}
    except ValueError:  # a text the encoding cannot carry: the gateway will say so
        return len(texts), 0
    return len(texts), sum(parts[text] for text in texts)
