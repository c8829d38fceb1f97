"""The operation table: each JSON endpoint as one small declaration.

A handler is ``async def handler(state: GatewayState, params: Params) -> data``; it raises
:class:`GatewayError` to answer with an error. ``data`` is what goes into the envelope's
``data`` (dicts, lists, msgspec Structs); the request/response path around it (body parsing,
auth, faults, envelope) lives in :mod:`nodesms.testing._server` and is shared by every
operation and protocol.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nodesms.testing._params import Params
from nodesms.testing._state import GatewayState

__all__ = ["OPERATIONS", "Handler", "Operation", "operation", "operations"]

Handler = Callable[[GatewayState, Params], Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    """One endpoint: its path, whether GET is allowed beside POST, and its handler."""

    path: str
    handler: Handler
    get: bool


OPERATIONS: dict[str, Operation] = {}
"""Every registered operation, by path (filled by the handler modules on import)."""


def operation(path: str, *, get: bool = False) -> Callable[[Handler], Handler]:
    """Register the decorated handler for ``path`` (``get``: also answer GET)."""

    def register(handler: Handler) -> Handler:
        OPERATIONS[path] = Operation(path, handler, get)
        return handler

    return register


def operations() -> dict[str, Operation]:
    """The operation table, with every handler module loaded."""
    from nodesms.testing import _handlers_contact, _handlers_sms  # noqa: F401

    return OPERATIONS
