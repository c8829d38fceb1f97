"""Shared test configuration: anyio's pytest plugin on the asyncio backend, and a plain-HTTP
helper for the gateway tests (they talk to ``FakeGateway`` over real sockets with aiohttp,
not through the nodesms client).

The event loop is asyncio's own unless ``--nodesms-loop uvloop`` (or ``NODESMS_TEST_LOOP=uvloop``)
asks for uvloop's: CI runs the suite once each way.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec
import pytest

from nodesms.testing import FakeGateway

LOOPS = ("asyncio", "uvloop")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--nodesms-loop",
        choices=LOOPS,
        default=os.environ.get("NODESMS_TEST_LOOP") or "asyncio",
        help="the event loop the async tests run on (default: $NODESMS_TEST_LOOP or asyncio)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # A default is not checked against the choices: a misspelt NODESMS_TEST_LOOP must not
    # quietly run the suite on asyncio.
    if config.getoption("--nodesms-loop") not in LOOPS:
        raise pytest.UsageError(f"NODESMS_TEST_LOOP must be one of {', '.join(LOOPS)}")


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> str | tuple[str, dict[str, Any]]:
    if request.config.getoption("--nodesms-loop") == "uvloop":
        return ("asyncio", {"use_uvloop": True})
    return "asyncio"


def basic_auth(username: str, password: str) -> str:
    """A Basic Authorization header value, UTF-8 encoded."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@dataclass
class Reply:
    status: int
    raw: bytes
    headers: Any

    @property
    def json(self) -> Any:
        return msgspec.json.decode(self.raw)

    @property
    def data(self) -> Any:
        body = self.json
        assert body["err"] is None, body
        return body["data"]

    @property
    def err(self) -> Any:
        body = self.json
        assert body["data"] is None, body
        return body["err"]


class Api:
    """Plain aiohttp calls to a gateway."""

    def __init__(self, gw: FakeGateway, session: aiohttp.ClientSession) -> None:
        self.gw = gw
        self.session = session

    async def call(
        self,
        path: str,
        body: Any = None,
        *,
        method: str = "POST",
        params: dict[str, Any] | None = None,
        auth: tuple[str, str] | None = None,
        raw_body: bytes | None = None,
    ) -> Reply:
        user, password = auth or (self.gw.username, self.gw.password)
        headers = {"Authorization": basic_auth(user, password)}
        data = raw_body if raw_body is not None else None
        if body is not None:
            data = msgspec.json.encode(body)
            headers["Content-Type"] = "application/json"
        async with self.session.request(
            method, self.gw.base_url + path, data=data, params=params, headers=headers
        ) as response:
            return Reply(response.status, await response.read(), response.headers)

    async def ok(self, path: str, body: Any = None, **options: Any) -> Any:
        reply = await self.call(path, body if body is not None else {}, **options)
        assert reply.status == 200, reply.raw
        return reply.data

    async def fail(self, path: str, body: Any = None, **options: Any) -> Reply:
        reply = await self.call(path, body if body is not None else {}, **options)
        assert reply.json["err"] is not None, reply.raw
        return reply


GatewayFactory = Callable[..., Awaitable[tuple[FakeGateway, Api]]]


@pytest.fixture
async def gateway(anyio_backend: str) -> AsyncIterator[GatewayFactory]:
    """``gw, api = await gateway(**FakeGateway options)``: started, stopped after the test."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(**options: Any) -> tuple[FakeGateway, Api]:
            gw = await stack.enter_async_context(FakeGateway(**options))
            session = await stack.enter_async_context(aiohttp.ClientSession())
            return gw, Api(gw, session)

        yield make


# -- a real redis-server for the taskiq integration (started on a free port, stopped after) ----


@pytest.fixture(scope="module")
def redis_server() -> Iterator[Any]:
    from _taskiq_harness import RedisServer

    with RedisServer() as server:
        yield server


@pytest.fixture
async def redis(redis_server: Any) -> AsyncIterator[Any]:
    """A connection to an emptied ``redis_server``."""
    from redis.asyncio import Redis

    connection = Redis.from_url(redis_server.url)
    await connection.flushall()
    yield connection
    await connection.aclose()
