"""Small hostile HTTP servers on 127.0.0.1 for the transport tests.

:func:`raw_server` runs a handler on raw sockets (to send what no framework would: endless
chunked bodies, lying Content-Length headers, redirects); :func:`web_server` runs an aiohttp
application (for paging servers that answer JSON but lie about pages).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Server:
    base_url: str
    requests: list[bytes] = field(default_factory=list)
    """The head (request line and headers) of every request that arrived."""


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One HTTP/1.1 request: its head and its body (by Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head, body


@contextlib.asynccontextmanager
async def stream_server(handle: Handler) -> AsyncIterator[Server]:
    """A server that hands each connection to ``handle`` (which reads and writes itself)."""
    server_info = Server("")
    handlers: set[asyncio.Task[None]] = set()

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await handle(reader, writer)
        except (ConnectionError, asyncio.CancelledError, asyncio.IncompleteReadError):
            pass
        finally:
            handlers.discard(task)
            writer.close()

    server = await asyncio.start_server(run, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server_info.base_url = f"http://127.0.0.1:{port}"
    try:
        yield server_info
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


@contextlib.asynccontextmanager
async def raw_server(respond: Callable[[bytes, bytes], bytes | None]) -> AsyncIterator[Server]:
    """A server answering each request with the bytes ``respond(head, body)`` returns (a
    whole HTTP response, written as is), or keeping the connection open without answering
    when it returns ``None``."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head, body = await read_request(reader)
            heads.append(head)
            answer = respond(head, body)
            if answer is None:
                await asyncio.sleep(3600)  # cancelled when the server stops
                return
            writer.write(answer)
            await writer.drain()

    async with stream_server(handle) as server:
        server.requests = heads
        yield server


def http_response(
    body: bytes,
    *,
    status: str = "200 OK",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A whole HTTP/1.1 response with a Content-Length."""
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@contextlib.asynccontextmanager
async def web_server(app: web.Application) -> AsyncIterator[str]:
    """An aiohttp application on a free port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    # Cleanup covers the start too: a listener left open makes uvloop's loop.close() hang.
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        # The runner's addresses, not the site's server object: that is asyncio's Server on
        # asyncio's loop and uvloop's own class on uvloop.
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
