"""The one request/response path every operation goes through, for JSON (and SOAP).

:meth:`GatewayServer.serve` records the request, applies latency and faults, checks the
credentials, calls the operation's handler, and renders the answer with a :class:`Codec`.
The JSON endpoint is :meth:`GatewayServer.json_endpoint`; a SOAP module calls ``serve`` with
its own codec, operation key and parsed parameters (see :mod:`nodesms.testing._gateway`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, SupportsIndex, overload

import msgspec
from aiohttp import web

from nodesms.testing._errors import GatewayError
from nodesms.testing._faults import Fault, FaultKind, Faults
from nodesms.testing._params import Params
from nodesms.testing._registry import routes
from nodesms.testing._state import GatewayState

__all__ = ["JSON_CODEC", "Codec", "GatewayServer", "JsonCodec", "RecordedRequest", "RequestLog"]

log = logging.getLogger("nodesms.testing")

BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass
class RecordedRequest:
    """A request as it arrived (``gw.requests``), recorded before any fault applied.

    Attributes:
        protocol: ``"json"`` or ``"soap"``.
        operation: the operation key: the JSON path (``"/sms/create"``) or SOAP operation.
        method: the HTTP method.
        path: the URL path.
        params: the parsed body (or query parameters for GET); ``{}`` when unparseable.
        body: the raw request body, as it arrived.
        headers: the request headers, ``Authorization`` left out.
        username: the user name the request presented (Basic header or SOAP body).
        authenticated: whether the credentials were right.
    """

    protocol: str
    operation: str
    method: str
    path: str
    params: Mapping[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    username: str | None = None
    authenticated: bool = False


class RequestLog(deque[RecordedRequest]):
    """``gw.requests``: the latest requests, oldest first; a ring that reads like a list.

    It keeps at most ``maxlen`` (the oldest is dropped when a new one arrives). Slices give
    lists, it compares equal to a list with the same requests, and ``clear()`` empties it.
    """

    @overload
    def __getitem__(self, index: SupportsIndex) -> RecordedRequest: ...
    @overload
    def __getitem__(self, index: slice) -> list[RecordedRequest]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> RecordedRequest | list[RecordedRequest]:
        if isinstance(index, slice):
            return list(self)[index]
        return super().__getitem__(index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return list(self) == other
        return super().__eq__(other)

    __hash__ = None


class Codec(Protocol):
    """How a protocol renders answers."""

    content_type: str
    """The Content-Type of answers (``application/json; charset=utf-8``)."""

    def success(self, data: Any) -> bytes:
        """The body for a successful answer carrying ``data``."""

    def failure(self, error: GatewayError, status: int) -> bytes:
        """The body for an error answer (``status`` is the envelope's ``err.status``)."""


class JsonCodec:
    """The JSON envelope: ``{"err": null, "data": ...}`` / ``{"err": {...}, "data": null}``."""

    content_type = "application/json; charset=utf-8"

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()

    def success(self, data: Any) -> bytes:
        """Encode a success envelope."""
        return self._encoder.encode({"err": None, "data": data})

    def failure(self, error: GatewayError, status: int) -> bytes:
        """Encode an error envelope (the code on the wire is the ERR_ name)."""
        err = {"status": status, "code": error.name, "message": error.message}
        return self._encoder.encode({"err": err, "data": None})


JSON_CODEC = JsonCodec()


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(username, password)`` from a Basic ``Authorization`` header (UTF-8), if valid."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    username, sep, password = text.partition(":")
    return (username, password) if sep else None


class GatewayServer:
    """Serves requests against one gateway's state, faults and settings."""

    def __init__(
        self,
        *,
        state: GatewayState,
        faults: Faults,
        username: str,
        password: str,
        error_http_status: Literal["mapped"] | int,
        sync: Callable[[], None],
        after: Callable[[], None],
        request_log: int | None = None,
    ) -> None:
        self.state = state
        self.faults = faults
        # A ring: a long-running gateway keeps the last ``request_log`` requests, not all.
        self.requests: RequestLog | None = (
            None if request_log is None else RequestLog(maxlen=request_log)
        )
        self.latency: dict[str, float] = {}
        self._username = username
        self._password = password
        self._error_http_status = error_http_status
        self._sync = sync
        self._after = after
        self.routes = routes()

    # -- JSON --------------------------------------------------------------------------------

    async def json_endpoint(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler of every JSON operation path."""
        op = self.routes[request.path]
        params: Mapping[str, Any] = {}
        parse_error: GatewayError | None = None
        if request.method == "GET":
            params = self._query_params(request)
        else:
            body = await request.read()
            if body.strip():
                try:
                    decoded = msgspec.json.decode(body)
                except msgspec.DecodeError:
                    parse_error = GatewayError("ERR_BAD_REQUEST", "geçersiz JSON")
                else:
                    if isinstance(decoded, dict):
                        params = decoded
                    elif decoded == []:  # some production clients send [] for "no parameters"
                        params = {}
                    else:
                        parse_error = GatewayError("ERR_BAD_REQUEST", "JSON nesnesi bekleniyor")
        return await self.serve(
            request,
            protocol="json",
            key=op.path,
            operation=op.path,
            params=params,
            codec=JSON_CODEC,
            parse_error=parse_error,
        )

    @staticmethod
    def _query_params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key in request.query:
            values = request.query.getall(key)
            params[key] = values[0] if len(values) == 1 else list(values)
        return params

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        """Any other path: an ERR_NOT_FOUND envelope."""
        await request.read()
        return self.error_response(GatewayError("ERR_NOT_FOUND", request.path), JSON_CODEC)

    # -- the shared path ---------------------------------------------------------------------

    async def serve(
        self,
        request: web.Request,
        *,
        protocol: str,
        key: str,
        operation: str,
        params: Mapping[str, Any],
        codec: Codec,
        credentials: tuple[str, str] | None = None,
        parse_error: GatewayError | None = None,
    ) -> web.StreamResponse:
        """Handle one request, counted against the concurrency limit (see :meth:`_serve`)."""
        # A refused request is answered (after the latency) without counting in flight.
        refusal = self.faults.enter(key)
        try:
            return await self._serve(
                request,
                protocol=protocol,
                key=key,
                operation=operation,
                params=params,
                codec=codec,
                credentials=credentials,
                parse_error=parse_error,
                refusal=refusal,
            )
        finally:
            if refusal is None:
                self.faults.leave(key)

    async def _serve(
        self,
        request: web.Request,
        *,
        protocol: str,
        key: str,
        operation: str,
        params: Mapping[str, Any],
        codec: Codec,
        credentials: tuple[str, str] | None = None,
        parse_error: GatewayError | None = None,
        refusal: Fault | None = None,
    ) -> web.StreamResponse:
        """Handle one request to ``operation`` (a JSON path in the operation table).

        Args:
            request: the aiohttp request (its body already read).
            protocol: ``"json"`` or ``"soap"``, for the record.
            key: the operation key for faults, latency and the record (SOAP: its op name).
            operation: the JSON path whose handler does the work.
            params: the parsed parameters.
            codec: renders the success and error bodies.
            credentials: ``(username, password)`` found in the body (SOAP); without them the
                Basic header is used.
            parse_error: answer with this error (after auth) instead of calling the handler.
            refusal: the concurrency limit's refusal to answer with, if it applies.
        """
        presented = credentials or basic_credentials(request.headers.get("Authorization"))
        authenticated = presented is not None and self._check(*presented)
        if self.requests is not None:
            self.requests.append(
                RecordedRequest(
                    protocol=protocol,
                    operation=key,
                    method=request.method,
                    path=request.path,
                    params=params,
                    headers={
                        k: v for k, v in request.headers.items() if k.lower() != "authorization"
                    },
                    body=await request.read(),  # already read by the endpoint: aiohttp cached it
                    username=presented[0] if presented else None,
                    authenticated=authenticated,
                )
            )
        delay = self.latency.get(key)
        if delay:
            await asyncio.sleep(delay)
        fault = refusal or self.faults.take(key)
        if fault is not None and fault.kind is FaultKind.LATENCY:
            await asyncio.sleep(fault.seconds)
            fault = None
        if fault is not None:
            if fault.kind is FaultKind.DROP_BEFORE:
                return self._drop(request)
            if fault.kind is FaultKind.ERROR:
                return self._fault_response(fault, codec)
            if fault.kind is FaultKind.RAW:
                return web.Response(
                    body=fault.body, status=fault.http_status or 200, headers=_ct(codec)
                )
            if fault.kind is FaultKind.BAD_GATEWAY:
                return web.Response(
                    body=BAD_GATEWAY_HTML,
                    status=502,
                    content_type="text/html",
                    headers={"Server": "nginx/1.18.0 (Ubuntu)"},
                )
        if not authenticated:
            response = self.error_response(GatewayError("ERR_UNAUTHORIZED_REQUEST"), codec)
        elif parse_error is not None:
            response = self.error_response(parse_error, codec)
        else:
            response = await self._call(operation, params, codec)
        if fault is not None and fault.kind is FaultKind.DROP_AFTER:
            return self._drop(request)
        if fault is not None and fault.kind is FaultKind.TRUNCATED:
            body = response.body
            assert isinstance(body, bytes)
            response.body = body[: max(1, len(body) // 2)]
        return response

    def _check(self, username: str, password: str) -> bool:
        ok_user = hmac.compare_digest(username.encode(), self._username.encode())
        ok_password = hmac.compare_digest(password.encode(), self._password.encode())
        return ok_user and ok_password

    async def _call(self, operation: str, params: Mapping[str, Any], codec: Codec) -> web.Response:
        self._sync()
        try:
            data = await self.routes[operation].handler(self.state, Params(params))
        except GatewayError as error:
            return self.error_response(error, codec)
        except Exception:
            log.exception("fake gateway: %s failed", operation)
            return self.error_response(GatewayError("ERR_INTERNAL_SERVER"), codec)
        finally:
            self._after()
        return web.Response(body=codec.success(data), content_type=None, headers=_ct(codec))

    def error_response(
        self, error: GatewayError, codec: Codec, *, http_status: int | None = None
    ) -> web.Response:
        """An error answer, with the configured (or given) HTTP status."""
        status = http_status or error.spec.http_status
        if http_status is None and self._error_http_status != "mapped":
            http = int(self._error_http_status)
        else:
            http = status
        return web.Response(
            body=codec.failure(error, status), status=http, content_type=None, headers=_ct(codec)
        )

    def _fault_response(self, fault: Fault, codec: Codec) -> web.Response:
        assert fault.code is not None
        response = self.error_response(
            GatewayError(fault.code), codec, http_status=fault.http_status
        )
        if fault.retry_after is not None:
            value = fault.retry_after
            response.headers["Retry-After"] = str(int(value) if value == int(value) else value)
        return response

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        transport = request.transport
        if transport is not None:
            transport.close()
        return web.Response(status=499)


def _ct(codec: Codec) -> dict[str, str]:
    return {"Content-Type": codec.content_type}
