"""The rules every answer obeys, whatever its envelope (JSON or SOAP).

Each protocol takes its envelope apart into the error fields and the data; these functions
then decide, the same way for both, what the answer means: a typed ``APIError`` for a non-empty
``err`` (its class from the code, even when other fields are malformed), a ``ResponseError``
for an error status without an ``err`` or an answer without data, and an ``APIError`` for a
status-only answer of ``status: 0``.
"""

from __future__ import annotations

import email.utils
from datetime import datetime, timezone
from typing import Any, TypeVar, cast

from ._codes import api_error
from ._operation import Operation
from .errors import APIError, NodeSMSError, ResponseError
from .models import _StatusData

__all__ = [
    "DECODE_FAILURES",
    "check_data",
    "decode_retry_after",
    "error_from_fields",
    "excerpt",
    "response_error",
]

T = TypeVar("T")

_EXCERPT = 300

# What decoding a hostile answer can raise besides msgspec's own errors: deep nesting, dates
# and numbers out of range, a dec_hook's refusal. Each one is turned into a ResponseError.
DECODE_FAILURES = (
    ValueError,
    TypeError,
    ArithmeticError,
    RecursionError,
    IndexError,
    KeyError,
)


def error_from_fields(
    code: Any, message: Any, status: Any, http_status: int, retry_after: str | None
) -> NodeSMSError:
    """The typed error for an envelope's ``err``, lenient about each field's type.

    A code that came as a number or with a status that is not a number still chooses the class:
    ``{"code": "SMS50", "status": "abc"}`` is a ``ConcurrencyLimitError``.
    """
    code_text = str(code).strip() if isinstance(code, (str, int)) and code != "" else None
    message_text = message if isinstance(message, str) else None
    env_status: int | None = None
    if isinstance(status, int) and not isinstance(status, bool):
        env_status = status
    elif isinstance(status, str) and status.strip().lstrip("-").isdigit():
        env_status = int(status)
    return api_error(
        code_text,
        message_text,
        status=env_status,
        http_status=http_status,
        retry_after=decode_retry_after(retry_after),
    )


def check_data(
    op: Operation[T], data: T | None, raw: bytes, status: int, retry_after: str | None
) -> T:
    """The answer's data, once an envelope without an error has been taken apart."""
    if status >= 400:
        raise response_error(
            "error status without an error in the answer", raw, status, retry_after
        )
    if data is None:
        raise ResponseError(
            f"{op.path}: the answer has no data", http_status=status, excerpt=excerpt(raw)
        )
    # type() rather than isinstance(): msgspec's metaclass takes isinstance() the slow way.
    if type(data) is _StatusData:
        answered = cast(_StatusData, data).status
        if not answered:
            # Status endpoints answer {"status": 1}; 0 without an error is still a refusal.
            raise APIError(
                f"{op.path}: the gateway answered status {answered!r} without saying why",
                status=int(answered),
                http_status=status,
            )
    return data


def response_error(
    reason: str, raw: bytes, status: int, retry_after: str | None, *, truncated: bool = False
) -> ResponseError:
    """The error for an answer that is not the API's: with its status and an excerpt."""
    return ResponseError(
        reason,
        http_status=status,
        excerpt=excerpt(raw),
        truncated=truncated,
        retry_after=decode_retry_after(retry_after),
    )


def excerpt(raw: bytes) -> str:
    """The start of a body, for error messages."""
    text = raw[:_EXCERPT].decode("utf-8", errors="replace")
    return " ".join(text.split())


def decode_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
