"""The control API under ``/_fake/``: drive a running gateway with curl or any language.

On the gateway's own port, with its own Basic auth credentials, JSON in and out. Requests to
it are not recorded in ``gw.requests`` and never meet faults.

=======  ======================  ===========================================================
method   path                    body → answer
=======  ======================  ===========================================================
GET      ``/_fake/``             → the list of control endpoints
POST     ``/_fake/advance``      ``{"seconds": 60}`` → ``{"now": "2026-01-01T12:01:00"}``
POST     ``/_fake/faults``       ``{"operation": "/sms/create", "kind": "error", "code":
                                 "SMS18"}`` → ``{"pending": 1}`` (kinds: error, latency,
                                 bad_gateway, truncated, drop_before, drop_after, raw; with
                                 ``http_status``, ``retry_after``, ``seconds``, ``body``;
                                 ``"times": 3`` queues it three times)
DELETE   ``/_fake/faults``       → ``{"cleared": true}``
POST     ``/_fake/latency``      ``{"operation": "/sms/list", "seconds": 0.5}`` (0: none)
POST     ``/_fake/mo``           ``{"gsm": "905550000001", "msg": "RED"}`` → the MO record
                                 (``keyword``, ``short_nr`` optional)
GET      ``/_fake/requests``     → what arrived, oldest first (``?operation=/sms/create``)
DELETE   ``/_fake/requests``     → ``{"cleared": true}``
POST     ``/_fake/credit``       ``{"credit": 500}`` → ``{"credit": 500}``
POST     ``/_fake/senders``      ``{"title": "ACME", "status": 1, "otp": true}`` → the sender
=======  ======================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from nodesms.testing._faults import Fault
from nodesms.testing._server import basic_credentials

if TYPE_CHECKING:
    from nodesms.testing._gateway import FakeGateway

__all__ = ["PREFIX", "install"]

PREFIX = "/_fake"

_Handler = Callable[["FakeGateway", dict[str, Any], web.Request], Awaitable[Any]]


class _BadInputError(Exception):
    """A control request that cannot be done: answered 400 with the reason."""


def install(app: web.Application, gateway: FakeGateway) -> None:
    """Add the control routes to the gateway's application."""
    for method, path, handler in _ROUTES:
        app.router.add_route(method, PREFIX + path, _endpoint(gateway, handler))


def _endpoint(gateway: FakeGateway, handler: _Handler) -> Any:
    async def endpoint(request: web.Request) -> web.Response:
        presented = basic_credentials(request.headers.get("Authorization"))
        if presented != (gateway.username, gateway.password):
            return _json({"error": "use the gateway's credentials (Basic auth)"}, 401)
        raw = await request.read()
        try:
            body = msgspec.json.decode(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise _BadInputError("expected a JSON object")
            return _json(await handler(gateway, body, request))
        except (msgspec.DecodeError, _BadInputError, ValueError, TypeError, KeyError) as exc:
            return _json({"error": str(exc) or type(exc).__name__}, 400)

    return endpoint


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(data), status=status, content_type="application/json"
    )


def _number(body: dict[str, Any], name: str, default: float | None = None) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise _BadInputError(f"{name}: expected a number >= 0")
    return float(value)


async def _index(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    return {"endpoints": [f"{method} {PREFIX}{path}" for method, path, _ in _ROUTES]}


async def _advance(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    await gw.advance(_number(body, "seconds"))
    return {"now": gw.now.replace(tzinfo=None).isoformat()}


_KINDS: dict[str, Callable[[dict[str, Any]], Fault]] = {
    "error": lambda b: Fault.error(
        str(b["code"]), http_status=b.get("http_status"), retry_after=b.get("retry_after")
    ),
    "latency": lambda b: Fault.latency(_number(b, "seconds")),
    "bad_gateway": lambda b: Fault.bad_gateway(),
    "truncated": lambda b: Fault.truncated(),
    "drop_before": lambda b: Fault.drop_before(),
    "drop_after": lambda b: Fault.drop_after(),
    "raw": lambda b: Fault.raw(str(b["body"]).encode(), http_status=int(b.get("http_status", 200))),
}


async def _push_fault(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    operation = body.get("operation")
    if not isinstance(operation, str) or not operation:
        raise _BadInputError("operation: a JSON path (/sms/create) or a SOAP name (sendSms)")
    make = _KINDS.get(str(body.get("kind")))
    if make is None:
        raise _BadInputError(f"kind: one of {', '.join(_KINDS)}")
    times = int(_number(body, "times", 1))
    if not 1 <= times <= 1000:
        raise _BadInputError("times: 1 to 1000")
    gw.faults.push(operation, *[make(body) for _ in range(times)])
    return {"pending": gw.faults.pending(operation)}


async def _clear_faults(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    gw.faults.clear()
    return {"cleared": True}


async def _latency(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    operation = body.get("operation")
    if not isinstance(operation, str) or not operation:
        raise _BadInputError("operation: a JSON path or a SOAP name")
    gw.set_latency(operation, _number(body, "seconds"))
    return {"operation": operation, "seconds": _number(body, "seconds")}


async def _mo(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    keyword = body.get("keyword")
    record = gw.inject_mo(
        body["gsm"],
        str(body.get("msg", "RED")),
        keyword=None if keyword is None else str(keyword),
        short_nr=int(body.get("short_nr", 2222)),
    )
    return {"uuid": record.uuid, "gsm": record.gsm, "keyword": record.keyword,
            "state": int(record.state)}  # fmt: skip


async def _requests(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    wanted = request.query.get("operation")
    return [
        {
            "protocol": r.protocol,
            "operation": r.operation,
            "method": r.method,
            "path": r.path,
            "params": r.params,
            "username": r.username,
            "authenticated": r.authenticated,
        }
        for r in gw.requests
        if wanted is None or r.operation == wanted
    ]


async def _clear_requests(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    gw.requests.clear()
    return {"cleared": True}


async def _credit(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    gw.credit = int(_number(body, "credit"))
    return {"credit": gw.credit}


async def _sender(gw: FakeGateway, body: dict[str, Any], request: web.Request) -> Any:
    title = body.get("title")
    if not isinstance(title, str) or not title:
        raise _BadInputError("title: the sender name")
    otp = body.get("otp")
    sender = gw.add_sender(
        title, int(body.get("status", 1)), otp=None if otp is None else bool(otp)
    )
    return {"title": sender.title, "status": sender.status, "otp": title in gw.otp_senders}


_ROUTES: list[tuple[str, str, _Handler]] = [
    ("GET", "/", _index),
    ("POST", "/advance", _advance),
    ("POST", "/faults", _push_fault),
    ("DELETE", "/faults", _clear_faults),
    ("POST", "/latency", _latency),
    ("POST", "/mo", _mo),
    ("GET", "/requests", _requests),
    ("DELETE", "/requests", _clear_requests),
    ("POST", "/credit", _credit),
    ("POST", "/senders", _sender),
]
