"""pytest plugin (entry point ``nodesms``): ``nodesms_gateway`` and ``nodesms_client``.

Both are function-scoped async fixtures run by anyio's pytest plugin on the asyncio backend
(aiohttp needs asyncio): mark tests ``@pytest.mark.anyio``. Gateway options come from a marker::

    @pytest.mark.anyio
    @pytest.mark.nodesms_gateway(credit=10, undelivered_rate=0.5)
    async def test_low_credit(nodesms_client, nodesms_gateway): ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from nodesms.testing._gateway import FakeGateway

if TYPE_CHECKING:
    from nodesms import Client

__all__ = ["nodesms_client", "nodesms_gateway"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``nodesms_gateway`` marker."""
    config.addinivalue_line(
        "markers",
        "nodesms_gateway(**options): FakeGateway keyword arguments for the nodesms_gateway fixture",
    )


@pytest.fixture
async def nodesms_gateway(
    request: pytest.FixtureRequest, anyio_backend: Any
) -> AsyncIterator[FakeGateway]:
    """A started :class:`~nodesms.testing.FakeGateway` (manual clock), stopped afterwards."""
    marker = request.node.get_closest_marker("nodesms_gateway")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    async with FakeGateway(**options) as gateway:
        yield gateway


@pytest.fixture
async def nodesms_client(nodesms_gateway: FakeGateway) -> AsyncIterator[Client]:
    """A :class:`nodesms.Client` bound to ``nodesms_gateway``, closed afterwards."""
    async with nodesms_gateway.client() as client:
        yield client
