"""Handing delivery-report pushes to an app in process: ASGI, aiohttp apps, aiohttp test clients.

Used by :meth:`FakeGateway.deliver_pushes`; imported only when that is called.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import msgspec

from nodesms.testing._push import PushRecord

__all__ = ["deliver"]

Message = MutableMapping[str, Any]


async def deliver(app: object, records: list[PushRecord]) -> None:
    """POST each record's payload to its URL's path in ``app``; set ``record.status``."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    if isinstance(app, TestClient):
        await _post_all(app, records)
    elif isinstance(app, web.Application):
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            await _post_all(client, records)
    elif callable(app) and _takes_three(app):
        for record in records:
            record.status = await _asgi_post(app, record.url, msgspec.json.encode(record.payload))
    else:
        raise TypeError(
            f"expected an ASGI app, an aiohttp.web.Application or an aiohttp TestClient, "
            f"not {type(app).__name__}"
        )


def _takes_three(app: Callable[..., Any]) -> bool:
    try:
        return len(inspect.signature(app).parameters) == 3
    except (TypeError, ValueError):
        return False


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


async def _post_all(client: Any, records: list[PushRecord]) -> None:
    for record in records:
        async with client.post(_target(record.url), json=record.payload) as response:
            await response.read()
            record.status = response.status


async def _asgi_post(app: Callable[..., Awaitable[None]], url: str, body: bytes) -> int:
    """One HTTP POST through the ASGI interface; the response status."""
    parts = urlsplit(url)
    host = parts.hostname or "testserver"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": parts.scheme or "http",
        "path": parts.path or "/",
        "raw_path": (parts.path or "/").encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [
            (b"host", (parts.netloc or host).encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "server": (host, port),
        "client": ("127.0.0.1", 0),
    }
    sent = False
    status = 0

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status
