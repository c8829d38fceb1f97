"""The fake's routes: one handler for each operation of :mod:`nodesms._operations`.

A handler is ``async def handler(state: GatewayState, params: Params) -> data``; it raises
:class:`GatewayError` to answer with an error. ``data`` is what goes into the envelope's
``data`` (dicts, lists, msgspec Structs); the request/response path around it (body parsing,
auth, faults, envelope) lives in :mod:`nodesms.testing._server` and is shared by every
operation and protocol. Paths and whether ``GET`` is answered come from the operations table,
never from here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nodesms._operation import Operation
from nodesms.testing._params import Params
from nodesms.testing._state import GatewayState

__all__ = ["ROUTES", "Handler", "Route", "handles", "routes"]

Handler = Callable[[GatewayState, Params], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    """One operation of the table and the handler that serves it."""

    op: Operation[Any]
    handler: Handler

    @property
    def path(self) -> str:
        """The JSON path."""
        return self.op.path

    @property
    def get(self) -> bool:
        """Whether GET is answered beside POST."""
        return self.op.get


ROUTES: dict[str, Route] = {}
"""Every registered route, by path (filled by the handler modules on import)."""


def handles(op: Operation[Any]) -> Callable[[Handler], Handler]:
    """Register the decorated handler for the table's operation ``op``."""

    def register(handler: Handler) -> Handler:
        if op.path in ROUTES:
            raise RuntimeError(f"{op.path} has two handlers")
        ROUTES[op.path] = Route(op, handler)
        return handler

    return register


def routes() -> dict[str, Route]:
    """Every route, with every handler module loaded."""
    from nodesms.testing import _handlers_contact, _handlers_sms  # noqa: F401

    return ROUTES
