"""pytest plugin (entry point ``nodesms``): the embedded gateway and clients as fixtures.

- ``nodesms_gateway``: a started :class:`~nodesms.testing.FakeGateway` (manual clock), one
  per test; ``@pytest.mark.nodesms_gateway(credit=10, hold_pushes=True)`` sets its options.
- ``nodesms_gateway_session``: one gateway for the whole session (state accumulates).
- ``nodesms_client``: a :class:`nodesms.Client` for ``nodesms_gateway``, for async tests.
- ``nodesms_sync_client``: a :class:`nodesms.SyncClient` for it, for sync tests.

They work under pytest-asyncio (strict and auto mode), pytest-aiohttp, anyio's plugin and in
plain sync tests, because of one design choice: **the gateway runs on its own event loop, on
a background thread**, started by a plain (sync) fixture. So it does not matter which plugin
runs the test, on which loop, of which scope, or whether there is a loop at all: the client
reaches the gateway over a real socket, as it would a real one. ``await gw.advance(10)``
hands the clock to the gateway's thread (a sync test calls ``gw.advance(10)``), and
``await gw.drain_pushes()`` waits there without blocking the test's loop, so pushes to an
app served on the test's loop still arrive.

The async client lives on the test's loop (it opens its session on first use), and must be
closed there: the fixture hands it to a small async fixture of whichever plugin runs the
test (pytest-asyncio's or anyio's), whose teardown closes it on that loop.

The plugin imports nothing heavy until a fixture is used: no aiohttp server, no fake, no
client (pytest loads it in every run of every project that has nodesms installed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nodesms import Client, SyncClient
    from nodesms._sync import LoopThread
    from nodesms.testing._gateway import FakeGateway

__all__ = [
    "nodesms_client",
    "nodesms_gateway",
    "nodesms_gateway_session",
    "nodesms_sync_client",
]


_ASYNCIO_CLOSER = "nodesms-asyncio-closer"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``nodesms_gateway`` marker, and pytest-asyncio's closer if it runs."""
    config.addinivalue_line(
        "markers",
        "nodesms_gateway(**options): FakeGateway keyword arguments for the nodesms_gateway fixture",
    )
    if config.pluginmanager.has_plugin("asyncio"):
        from nodesms.testing import _asyncio_closer

        config.pluginmanager.register(_asyncio_closer, _ASYNCIO_CLOSER)


def _serve(options: dict[str, Any]) -> Iterator[FakeGateway]:
    """A gateway started on a loop of its own, on a background thread; stopped afterwards."""
    from nodesms._sync import LoopThread
    from nodesms.testing._gateway import FakeGateway

    thread: LoopThread = LoopThread("nodesms-gateway")
    try:
        gateway = FakeGateway(**options)
        thread.run(gateway.start())
        try:
            yield gateway
        finally:
            thread.run(gateway.stop())
    finally:
        thread.stop()


@pytest.fixture
def nodesms_gateway(request: pytest.FixtureRequest) -> Iterator[FakeGateway]:
    """A started :class:`~nodesms.testing.FakeGateway` (manual clock), stopped afterwards.

    Options from ``@pytest.mark.nodesms_gateway(...)``. It runs on a background thread, so it
    serves sync and async tests alike (``await gw.advance(s)`` or, in sync tests,
    ``gw.advance(s)``).
    """
    marker = request.node.get_closest_marker("nodesms_gateway")
    yield from _serve(dict(marker.kwargs) if marker is not None else {})


@pytest.fixture(scope="session")
def nodesms_gateway_session() -> Iterator[FakeGateway]:
    """One started gateway shared by the whole test session (its state accumulates)."""
    yield from _serve({})


@pytest.fixture
def nodesms_client(request: pytest.FixtureRequest, nodesms_gateway: FakeGateway) -> Client:
    """A :class:`nodesms.Client` bound to ``nodesms_gateway``, closed after the test on the
    test's own event loop (pytest-asyncio, pytest-aiohttp or anyio)."""
    client = nodesms_gateway.client()
    closer = _closer_for(request)
    if closer is not None:
        closer.append(client)
    return client


@pytest.fixture
def nodesms_sync_client(nodesms_gateway: FakeGateway) -> Iterator[SyncClient]:
    """A :class:`nodesms.SyncClient` bound to ``nodesms_gateway``, closed afterwards."""
    from nodesms import SyncClient

    with SyncClient(
        nodesms_gateway.base_url, nodesms_gateway.username, nodesms_gateway.password
    ) as client:
        yield client


def _closer_for(request: pytest.FixtureRequest) -> list[Client] | None:
    """The list of clients an async fixture of the test's plugin closes on the test's loop."""
    asyncio_test = request.node.get_closest_marker("asyncio") is not None
    if asyncio_test and request.config.pluginmanager.has_plugin(_ASYNCIO_CLOSER):
        closer: list[Client] = request.getfixturevalue("_nodesms_asyncio_closer")
        return closer
    if "anyio_backend" in request.fixturenames:
        anyio_closer: list[Client] = request.getfixturevalue("_nodesms_anyio_closer")
        return anyio_closer
    return None  # a sync test: the client never opened a session on a loop that is gone


@pytest.fixture
async def _nodesms_anyio_closer(anyio_backend: Any) -> AsyncIterator[list[Client]]:
    clients: list[Client] = []
    yield clients
    for client in clients:
        await client.aclose()
