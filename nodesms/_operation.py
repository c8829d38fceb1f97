"""Declarations of the gateway's operations: path, SOAP name, result type, retry safety."""

from __future__ import annotations

import enum
import keyword
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["Effect", "Operation"]


class Effect(enum.Enum):
    """What a call does to the gateway, which decides when it may be retried."""

    READ = "read"
    """No side effect: retried on every transient failure."""
    IDEMPOTENT = "idempotent"
    """A side effect that is the same however often it is applied (an update, setting a
    status): retried like a read."""
    CREATE = "create"
    """A create that carries a customID: retried like a read; a duplicate is resolved by lookup."""
    WRITE = "write"
    """A side effect without an idempotency key: retried only when provably not processed."""


@dataclass(frozen=True, slots=True, eq=False)
class Operation(Generic[T]):
    """One gateway operation.

    Attributes:
        path: the JSON endpoint, e.g. ``/sms/create``; also the operation's name in logs.
        result: the type of the envelope's ``data`` (``None`` for status-only endpoints).
        effect: retry safety, see :class:`Effect`.
        soap: the SOAP operation name, or ``None`` where the operation has no SOAP form.
        get: whether the gateway also answers ``GET`` (POST always works).
    """

    path: str
    result: type[T]
    effect: Effect = Effect.READ
    soap: str | None = None
    get: bool = False

    @property
    def method(self) -> str:
        """The client method, ``"sms.list_item"`` for ``/sms/list-item`` (``/contact/import``
        is ``contact.import_``: a keyword gets a trailing underscore)."""
        area, _, action = self.path.strip("/").partition("/")
        name = action.replace("-", "_")
        return f"{area}.{name}_" if keyword.iskeyword(name) else f"{area}.{name}"

    def __repr__(self) -> str:
        return f"Operation({self.path})"
