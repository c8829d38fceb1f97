"""pytest-asyncio's half of the ``nodesms_client`` fixture: closing clients on the test's loop.

Registered by :mod:`nodesms.testing._plugin` only when pytest-asyncio runs, so the plugin
never imports it otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest_asyncio

if TYPE_CHECKING:
    from nodesms import Client

__all__ = ["_nodesms_asyncio_closer"]


@pytest_asyncio.fixture
async def _nodesms_asyncio_closer() -> AsyncIterator[list[Client]]:
    clients: list[Client] = []
    yield clients
    for client in clients:
        await client.aclose()
