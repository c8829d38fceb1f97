"""Retry policy, driven by tenacity."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from ._operation import Effect
from .errors import (
    APIError,
    ConcurrencyLimitError,
    MaintenanceError,
    NodeSMSError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    TransportError,
    ValidationError,
)

__all__ = ["RetryPolicy", "is_retryable"]

T = TypeVar("T")
logger = logging.getLogger("nodesms")

_RETRY_HTTP_STATUSES = frozenset({429, 502, 503, 504})
# A daily quota does not reset within a retry window: waiting seconds cannot help.
_NOT_RETRIED_NAMES = frozenset({"ERR_DAILY_REQUEST_LIMIT"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how long nodesms retries a failed call.

    Retried: concurrency limits (SMS50), maintenance (SMS99), server errors, HTTP 429/502/503/504,
    transport errors and timeouts, with exponential backoff and full jitter, honouring
    ``Retry-After``. Calls with side effects and no idempotency key are retried only when the
    request provably never reached the gateway. ``RetryPolicy(max_attempts=1)`` turns retries off.

    Two time limits apply to a call, and they bound different things:

    - the client's ``timeout`` bounds **one attempt** (waiting for a connection, connecting,
      sending and reading the answer);
    - ``deadline`` bounds **the whole call**: every attempt and every wait between them,
      the last attempt included. An attempt that would outlive the deadline is cut short to
      what is left of it, and no retry starts whose wait would pass it.

    So ``timeout=5`` with the default policy may take up to four attempts of 5 s plus the
    backoff between them; ``RetryPolicy(deadline=5)`` makes 5 s the hard bound of the call.

    Attributes:
        max_attempts: attempts in all, the first included.
        initial_delay: the backoff ceiling of the first retry, in seconds; it doubles each retry.
        max_delay: the longest single wait, in seconds (``Retry-After`` included).
        deadline: the most seconds one call may take, all attempts and waits included.
    """

    max_attempts: int = 4
    initial_delay: float = 0.5
    max_delay: float = 30.0
    deadline: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValidationError("must be at least 1", field="max_attempts")
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValidationError("delays must not be negative", field="RetryPolicy")
        if not self.deadline > 0:
            raise ValidationError("must be seconds > 0", field="deadline")

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait before the next attempt, after ``failures`` failed ones.

        ``Retry-After`` when the server said (at most ``max_delay``), else full jitter under
        ``initial_delay * 2 ** (failures - 1)``. Bulk sends use it to pace their chunks.
        """
        if retry_after is not None:
            return float(min(retry_after, self.max_delay))
        ceiling = min(self.max_delay, self.initial_delay * 2 ** min(failures - 1, 64))
        return random.uniform(0, ceiling)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self.delay(state.attempt_number, getattr(exc, "retry_after", None))

    async def run(
        self,
        attempt: Callable[[float], Awaitable[T]],
        effect: Effect,
        operation: str,
    ) -> T:
        """Call ``attempt`` until it succeeds, fails for good, or the policy runs out.

        ``attempt`` gets the seconds left until the deadline, and must not run longer.
        """
        started = time.monotonic()
        try:
            return await attempt(self.deadline)
        except NodeSMSError as exc:
            if not self.retries(exc, effect):
                raise
            failure = exc
        return await self.after_failure(failure, started, attempt, effect, operation)

    def retries(self, exc: NodeSMSError, effect: Effect) -> bool:
        """Whether a first attempt that failed with ``exc`` is tried again."""
        return self.max_attempts > 1 and is_retryable(exc, effect)

    async def after_failure(
        self,
        failure: NodeSMSError,
        started: float,
        attempt: Callable[[float], Awaitable[T]],
        effect: Effect,
        operation: str,
    ) -> T:
        """The rest of :meth:`run` once its first attempt, begun at ``time.monotonic()``
        ``started``, failed with ``failure`` (which :meth:`retries`)."""
        # Most calls succeed at once, so tenacity is only set up once one has failed; it then
        # replays that failure as its first attempt and drives the rest.
        first_failure: NodeSMSError | None = failure

        async def replay_then_attempt() -> T:
            nonlocal first_failure
            if first_failure is not None:
                failure, first_failure = first_failure, None
                raise failure
            remaining = self.deadline - (time.monotonic() - started)
            if remaining <= 0:
                raise RequestTimeoutError(
                    f"{operation}: the call's deadline of {self.deadline}s is spent", sent=False
                )
            return await attempt(remaining)

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            logger.info(
                "retrying %s in %.2fs (attempt %d of %d failed: %s)",
                operation,
                wait,
                state.attempt_number,
                self.max_attempts,
                describe(exc),
            )

        deadline = max(0.0, self.deadline - (time.monotonic() - started))
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(deadline),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: is_retryable(exc, effect)),
            sleep=anyio.sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        return await retrying(replay_then_attempt)


def is_retryable(exc: BaseException, effect: Effect) -> bool:
    """Whether a failure of an operation with ``effect`` may be retried."""
    if not isinstance(exc, NodeSMSError):
        return False
    if isinstance(exc, (ConcurrencyLimitError, MaintenanceError)):
        return exc.name not in _NOT_RETRIED_NAMES
    if isinstance(exc, TransportError) and not exc.retryable:
        return False
    if effect is Effect.WRITE:
        # Without an idempotency key only a request that never arrived is safe to repeat.
        return isinstance(exc, TransportError) and exc.sent is False
    if isinstance(exc, (TransportError, ServerError)):
        return True
    if isinstance(exc, ResponseError):
        # A proxy's error page: the gateway behind it failed or was unreachable.
        status = exc.http_status or 0
        return exc.truncated or status in _RETRY_HTTP_STATUSES or status >= 500
    if isinstance(exc, APIError):
        return exc.http_status in _RETRY_HTTP_STATUSES
    return False


def describe(exc: BaseException | None) -> str:
    """A log-safe description of a failure: its class and code, never message text."""
    if exc is None:
        return "no error"
    if isinstance(exc, APIError):
        return f"{type(exc).__name__} {exc.code or exc.name or ''} HTTP {exc.http_status}".strip()
    if isinstance(exc, ResponseError):
        return f"{type(exc).__name__} HTTP {exc.http_status}"
    return type(exc).__name__
