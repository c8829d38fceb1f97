"""HTTP to the gateway over aiohttp, and the JSON protocol on top of it.

:class:`Connection` owns the session, sends bytes and turns aiohttp's exceptions into
nodesms's. :class:`JsonProtocol` encodes requests and decodes the ``{"err", "data"}`` envelope
straight from bytes into the operation's Struct. The SOAP protocol (``_soap.py``) has the same
``call`` signature on the same connection.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl as ssl_module
import time
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Generic, Protocol, TypeVar, cast

import aiohttp
import msgspec

from ._codes import api_error
from ._config import Timeout, auth_header, user_agent
from ._network import Network, tls_hint
from ._operation import Operation
from .errors import NodeSMSError, RequestTimeoutError, ResponseError, TransportError
from .models import dec_hook_for

__all__ = [
    "Connection",
    "JsonProtocol",
    "WireProtocol",
    "decode_retry_after",
    "excerpt",
    "response_error",
]

T = TypeVar("T")
logger = logging.getLogger("nodesms")

_EXCERPT = 300


class WireProtocol(Protocol):
    """What the client needs from a protocol: one call, one result."""

    async def call(
        self, op: Operation[T], body: msgspec.Struct | None, timeout: Timeout, attempt: int
    ) -> T: ...


class Connection:
    """One base URL, one set of credentials, one pooled aiohttp session."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        session: aiohttp.ClientSession | None,
        ssl: bool | ssl_module.SSLContext,
        gateway_tz: tzinfo,
        network: Network | None = None,
    ) -> None:
        self.base_url = base_url
        self.username = username
        self.gateway_tz = gateway_tz
        self.dec_hook = dec_hook_for(gateway_tz)
        self._password = password
        self._authorization = auth_header(username, password)
        self._user_agent = user_agent()
        self._session = session
        self._owns_session = session is None
        self._ssl = ssl
        self._network = network or Network()
        # aiohttp sends proxy_headers only on CONNECT (https); a plain-http request to the
        # proxy carries Proxy-Authorization itself.
        self._proxy_auth_in_request = (
            self._network.proxy_headers if base_url.startswith("http://") else None
        )
        self.closed = False
        # The Date header of the latest answer, and when it came: the gateway's own clock.
        self._server_date: str | None = None
        self._server_date_at = 0.0

    @property
    def password(self) -> str:
        """The API password, for protocols that carry it in the body (SOAP); never logged."""
        return self._password

    def headers(self, content_type: str, **extra: str) -> dict[str, str]:
        """Request headers: credentials, User-Agent and content type."""
        return {
            "Authorization": self._authorization,
            "User-Agent": self._user_agent,
            "Content-Type": content_type,
            "Accept-Encoding": "gzip, deflate",
            **extra,
        }

    def server_now(self) -> datetime:
        """The gateway's current time in its zone, from the latest answer's ``Date`` header.

        Clocks differ: a walk pinned to the client's clock would miss what a gateway whose
        clock runs ahead created meanwhile. Before any answer, this is the client's clock.
        """
        now = datetime.now(self.gateway_tz)
        if self._server_date is None:
            return now
        try:
            stamped = email.utils.parsedate_to_datetime(self._server_date)
        except (TypeError, ValueError):
            return now
        if stamped.tzinfo is None:
            stamped = stamped.replace(tzinfo=timezone.utc)
        elapsed = time.monotonic() - self._server_date_at
        return (stamped + timedelta(seconds=elapsed)).astimezone(self.gateway_tz)

    def _get_session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise NodeSMSError("this nodesms.Client is closed; create a new one")
        if self._session is not None and self._session.closed:
            raise NodeSMSError("the aiohttp session given as session= is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self._ssl, limit=100, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=self._network.trust_env,
                trace_configs=list(self._network.trace_configs) or None,
            )
        return self._session

    async def aclose(self) -> None:
        """Close the session if this connection created it; a caller's session stays open."""
        if self.closed:
            return
        self.closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()

    async def post(
        self,
        path: str,
        data: bytes,
        headers: dict[str, str],
        *,
        timeout: Timeout,
        operation: str,
        attempt: int,
    ) -> tuple[int, str | None, bytes]:
        """POST ``data`` and return ``(http_status, retry_after_header, body)``.

        Raises:
            TransportError: the request did not complete; ``sent`` tells whether it may have
                reached the gateway.
            RequestTimeoutError: a timeout expired.
        """
        session = self._get_session()
        if self._proxy_auth_in_request is not None:
            headers = {**headers, **self._proxy_auth_in_request}
        started = time.perf_counter()
        try:
            async with session.post(
                self.base_url + path,
                data=data,
                headers=headers,
                timeout=timeout.as_aiohttp(),
                ssl=self._ssl,  # also applies to a session= the caller passed in
                proxy=self._network.proxy,
                proxy_headers=self._network.proxy_headers,
            ) as response:
                body = await response.read()
                status = response.status
                retry_after = response.headers.get("Retry-After")
                self._server_date = response.headers.get("Date")
                self._server_date_at = time.monotonic()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = self._transport_error(exc, operation, timeout)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s failed attempt %d in %.1f ms: %s",
                    operation,
                    attempt,
                    (time.perf_counter() - started) * 1000,
                    type(error).__name__,
                )
            raise error from None
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s HTTP %d attempt %d in %.1f ms",
                operation,
                status,
                attempt,
                (time.perf_counter() - started) * 1000,
            )
        return status, retry_after, body

    def _transport_error(
        self, exc: BaseException, operation: str, timeout: Timeout
    ) -> TransportError:
        """nodesms's exception for an aiohttp failure; ``sent`` says if the gateway may have it."""
        if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
            # A certificate or TLS mismatch is configuration: repeating cannot help.
            return TransportError(
                f"{operation}: TLS with {self.base_url} failed: {tls_hint(exc, self.base_url)}",
                sent=False,
                retryable=False,
            )
        if isinstance(exc, aiohttp.ClientProxyConnectionError):
            return TransportError(
                f"{operation}: cannot connect to the proxy: {exc.strerror or 'refused'}",
                sent=False,
            )
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return RequestTimeoutError(
                f"{operation}: timed out connecting to {self.base_url}", sent=False
            )
        if isinstance(exc, aiohttp.SocketTimeoutError):
            return RequestTimeoutError(f"{operation}: timed out waiting for the answer", sent=True)
        if isinstance(exc, asyncio.TimeoutError):
            return RequestTimeoutError(
                f"{operation}: no complete answer within {timeout.total}s", sent=None
            )
        if isinstance(exc, aiohttp.ClientConnectorError):
            return TransportError(
                f"{operation}: cannot connect to {self.base_url}: {exc.strerror or exc}",
                sent=False,
            )
        if isinstance(exc, aiohttp.ClientPayloadError):
            return TransportError(
                f"{operation}: the connection broke while the answer was read", sent=True
            )
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            hint = ""
            if self.base_url.startswith("http://"):  # a TLS port hangs up on plain HTTP
                https = "https://" + self.base_url.removeprefix("http://")
                hint = f" (if this port speaks TLS, as 9588 usually does, use {https})"
            return TransportError(
                f"{operation}: the gateway closed the connection without answering{hint}",
                sent=None,
            )
        return TransportError(f"{operation}: {type(exc).__name__}: {exc}", sent=None)


class _ErrorBody(msgspec.Struct, frozen=True):
    code: str | int | None = None
    message: str | None = None
    status: int | None = None


class _Envelope(msgspec.Struct, Generic[T], frozen=True):
    err: _ErrorBody | None = None
    data: T | None = None


class _ErrorOnly(msgspec.Struct, frozen=True):
    err: _ErrorBody | None = None


_error_only = msgspec.json.Decoder(_ErrorOnly, strict=False)


class JsonProtocol:
    """The gateway's JSON API: ``POST {base}{path}`` with a JSON body, enveloped answers."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        self._headers = connection.headers("application/json")
        self._encoder = msgspec.json.Encoder()
        self._decoders: dict[Operation[Any], msgspec.json.Decoder[Any]] = {}

    def _decoder(self, op: Operation[Any]) -> msgspec.json.Decoder[Any]:
        decoder = self._decoders.get(op)
        if decoder is None:
            envelope_type: Any = cast(Any, _Envelope)[op.result]
            decoder = msgspec.json.Decoder(
                envelope_type, strict=False, dec_hook=self._conn.dec_hook
            )
            self._decoders[op] = decoder
        return decoder

    async def call(
        self, op: Operation[T], body: msgspec.Struct | None, timeout: Timeout, attempt: int
    ) -> T:
        """Send one request and decode its answer into ``op.result``."""
        payload = self._encoder.encode(body) if body is not None else b"{}"
        status, retry_after, raw = await self._conn.post(
            op.path, payload, self._headers, timeout=timeout, operation=op.path, attempt=attempt
        )
        try:
            envelope = self._decoder(op).decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise _undecodable(raw, status, retry_after, exc) from None
        if envelope.err is not None:
            raise _api_error(envelope.err, status, retry_after)
        if status >= 400:
            raise response_error(
                "error status without an error in the envelope", raw, status, retry_after
            )
        data: T | None = envelope.data
        if data is None:
            raise ResponseError(
                f"{op.path}: the envelope has no data", http_status=status, excerpt=excerpt(raw)
            )
        return data


def _api_error(err: _ErrorBody, status: int, retry_after: str | None) -> NodeSMSError:
    code = None if err.code is None else str(err.code)
    return api_error(
        code,
        err.message,
        status=err.status,
        http_status=status,
        retry_after=decode_retry_after(retry_after),
    )


def _undecodable(raw: bytes, status: int, retry_after: str | None, exc: Exception) -> NodeSMSError:
    # The data may not fit the model while the envelope still carries an error: report that.
    try:
        err = _error_only.decode(raw).err
    except (msgspec.DecodeError, msgspec.ValidationError):
        err = None
    if err is not None:
        return _api_error(err, status, retry_after)
    truncated = isinstance(exc, msgspec.DecodeError) and "truncated" in str(exc)
    reason = "the answer is not the API's JSON envelope"
    if isinstance(exc, msgspec.ValidationError):
        reason = f"the answer does not match the API's schema ({exc})"
    elif truncated:
        reason = "the answer ended early"
    return response_error(reason, raw, status, retry_after, truncated=truncated)


def response_error(
    reason: str, raw: bytes, status: int, retry_after: str | None, *, truncated: bool = False
) -> ResponseError:
    """The error for an answer that is not the API's: with its status and an excerpt."""
    return ResponseError(
        reason,
        http_status=status,
        excerpt=excerpt(raw),
        truncated=truncated,
        retry_after=decode_retry_after(retry_after),
    )


def excerpt(raw: bytes) -> str:
    """The start of a body, for error messages."""
    text = raw[:_EXCERPT].decode("utf-8", errors="replace")
    return " ".join(text.split())


def decode_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
