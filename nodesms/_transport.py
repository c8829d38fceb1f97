"""Bytes over HTTP to the gateway (aiohttp): the one layer that talks HTTP.

:class:`Connection` owns the session and its sized, fair pool, refuses redirects, reads answers
under a size cap, and turns aiohttp's exceptions into nodesms's. The envelopes sit on top of it:
``_json.JsonProtocol`` and ``_soap.SoapProtocol``, with the same ``call`` (:class:`WireProtocol`)
and the same answer rules (``_answer``).

Nothing that holds a credential shows it in a ``repr``: headers travel in :class:`Headers`,
request bodies that carry a password in :class:`Redacted`, so a traceback rendered with its
frames' locals (Sentry, loguru, ``traceback.TracebackException(capture_locals=True)``) cannot
leak them; and no error is chained to aiohttp's (whose frames hold the raw request).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as ssl_module
import time
from collections import deque
from datetime import datetime, tzinfo
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import aiohttp
import msgspec
from multidict import CIMultiDict  # aiohttp's own header type (it depends on multidict)

from ._clock import GatewayClock
from ._config import Timeout, auth_header, user_agent
from ._network import Network, tls_hint
from ._operation import Operation
from .errors import (
    ClientClosedError,
    NodeSMSError,
    RequestTimeoutError,
    ResponseError,
    TransportError,
)

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "Connection",
    "Headers",
    "Redacted",
    "WireProtocol",
]

T = TypeVar("T")
logger = logging.getLogger("nodesms")

DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_MAX_RESPONSE_BYTES = 32 * 2**20


class WireProtocol(Protocol):
    """What the client needs from a protocol: one call, one result."""

    async def call(
        self, op: Operation[T], body: msgspec.Struct | None, timeout: Timeout, attempt: int
    ) -> T: ...


class Headers(CIMultiDict[str]):
    """Request headers whose ``repr`` never shows the ``Authorization`` value.

    A ``CIMultiDict`` already, so aiohttp takes it as it is instead of converting it per call.
    """

    def __repr__(self) -> str:
        shown = {k: ("***" if k.lower() == "authorization" else v) for k, v in self.items()}
        return f"Headers({shown!r})"


class Redacted(bytes):
    """A request body that carries a secret (the SOAP password): its ``repr`` shows no byte."""

    def __repr__(self) -> str:
        return f"<request body, {len(self)} bytes>"


class _Slots:
    """At most ``size`` requests at once; the others wait in arrival order (FIFO).

    A released slot is handed straight to the oldest waiter, so a newcomer can never take it
    first: no caller starves while others get through.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_take(self) -> bool:
        if self._free and not self._waiters:
            self._free -= 1
            return True
        return False

    async def wait(self, seconds: float | None) -> None:
        """Wait for a slot; ``TimeoutError`` after ``seconds``."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiters.append(future)
        expiry = None if seconds is None else loop.call_later(seconds, _expire, future)
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled() and future.exception() is None:
                self.release()  # handed a slot just as the wait was cut: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(future)
            raise
        finally:
            if expiry is not None:
                expiry.cancel()

    def release(self) -> None:
        waiters = self._waiters
        while waiters:
            future = waiters.popleft()
            if not future.done():
                future.set_result(None)
                return
        self._free += 1

    def close(self) -> None:
        """Fail every waiter: the client is closed."""
        while self._waiters:
            future = self._waiters.popleft()
            if not future.done():
                future.set_exception(
                    ClientClosedError(
                        "the client was closed while the call waited for a connection",
                        sent=False,
                    )
                )


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(asyncio.TimeoutError())


class Connection:
    """One base URL, one set of credentials, one pooled aiohttp session.

    Args:
        gateway_tz: the gateway's zone; :attr:`clock` owns it, and the gateway's clock as the
            ``Date`` headers of the answers tell it.
        max_connections: requests in flight at once; more wait in FIFO order for a free slot,
            and that wait counts against the attempt's timeout but is never "sending".
        max_response_bytes: the largest answer read, after decompression; a bigger one is a
            :class:`~nodesms.ResponseError` and the rest is never read.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        session: aiohttp.ClientSession | None,
        ssl: bool | ssl_module.SSLContext,
        gateway_tz: tzinfo,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        network: Network | None = None,
    ) -> None:
        self.base_url = base_url
        self.username = username
        self.clock = GatewayClock(gateway_tz)
        self.max_response_bytes = max_response_bytes
        self.max_connections = max_connections
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
        self._slots = _Slots(max_connections)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_timeout: Timeout | None = None
        self._last_client_timeout = aiohttp.ClientTimeout()
        # Tasks with a request in flight, and those of them that aclose() cut.
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._cut: set[asyncio.Task[Any]] = set()
        self.closed = False

    @property
    def password(self) -> str:
        """The API password, for protocols that carry it in the body (SOAP); never logged."""
        return self._password

    @property
    def gateway_tz(self) -> tzinfo:
        """The gateway's zone (owned by :attr:`clock`)."""
        return self.clock.tz

    def headers(self, content_type: str, **extra: str) -> Headers:
        """Request headers: credentials, User-Agent and content type."""
        return Headers(
            {
                "Authorization": self._authorization,
                "User-Agent": self._user_agent,
                "Content-Type": content_type,
                "Accept-Encoding": "gzip, deflate",
                **extra,
            }
        )

    def server_now(self) -> datetime:
        """The gateway's current time in its zone (see :class:`~nodesms._clock.GatewayClock`)."""
        return self.clock.now()

    def create_session(self) -> aiohttp.ClientSession:
        """The session this connection owns: the one place where it is made."""
        connector = aiohttp.TCPConnector(
            ssl=self._ssl, limit=self.max_connections, ttl_dns_cache=300
        )
        return aiohttp.ClientSession(
            connector=connector,
            trust_env=self._network.trust_env,
            trace_configs=list(self._network.trace_configs) or None,
        )

    def _get_session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ClientClosedError("this nodesms.Client is closed; create a new one", sent=False)
        if self._session is not None and self._session.closed:
            raise NodeSMSError("the aiohttp session given as session= is closed")
        if self._session is None:
            self._session = self.create_session()
        return self._session

    def _bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is None:
            self._loop = loop
            return
        raise NodeSMSError(
            "this nodesms.Client is used from another event loop than the one it first ran "
            "on; create one client per event loop (asyncio.run() makes a new loop each time)"
        )

    async def aclose(self) -> None:
        """Close the session if this connection created it; a caller's session stays open.

        Calls still waiting for a connection or in flight end with
        :class:`~nodesms.ClientClosedError`.
        """
        if self.closed:
            return
        self.closed = True
        self._slots.close()
        current = asyncio.current_task()
        for task in list(self._in_flight):
            if task is not current and not task.done():
                self._cut.add(task)
                task.cancel()
        if self._cut:
            await asyncio.sleep(0)  # let the cut calls unwind before the session goes
        if self._owns_session and self._session is not None:
            await self._session.close()

    def _client_timeout(self, timeout: Timeout) -> aiohttp.ClientTimeout:
        # The usual case is the client's own Timeout on every call; others (attempts cut by a
        # deadline) go through as_aiohttp()'s bounded cache.
        if timeout is not self._last_timeout:
            self._last_timeout, self._last_client_timeout = timeout, timeout.as_aiohttp()
        return self._last_client_timeout

    async def post(
        self,
        path: str,
        data: bytes,
        headers: Headers,
        *,
        timeout: Timeout,
        operation: str,
        attempt: int,
    ) -> tuple[int, str | None, bytes]:
        """POST ``data`` and return ``(http_status, retry_after_header, body)``.

        Raises:
            TransportError: the request did not complete; ``sent`` tells whether it may have
                reached the gateway.
            RequestTimeoutError: the attempt's timeout expired (``sent=False`` while it was
                still waiting for a connection).
            ClientClosedError: the client was closed before or during the call.
            ResponseError: a redirect, or an answer larger than ``max_response_bytes``.
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._bind_loop(loop)
        session = self._session
        if self.closed or session is None or session.closed:
            session = self._get_session()  # raises, or makes the session
        if self._proxy_auth_in_request is not None:
            headers = Headers({**headers, **self._proxy_auth_in_request})
        if timeout is self._last_timeout:  # the usual case, without a call
            client_timeout = self._last_client_timeout
        else:
            client_timeout = self._client_timeout(timeout)
        if not self._slots.try_take():
            client_timeout = await self._wait_for_slot(timeout, operation)
        task = asyncio.current_task()
        assert task is not None
        in_flight = self._in_flight
        in_flight.add(task)
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if debug else 0.0  # only the debug lines show it
        error: NodeSMSError | None = None
        try:
            async with session.post(
                self.base_url + path,
                data=data,
                headers=headers,
                timeout=client_timeout,
                ssl=self._ssl,  # also applies to a session= the caller passed in
                allow_redirects=False,  # credentials and bodies never leave for another origin
                proxy=self._network.proxy,
                proxy_headers=self._network.proxy_headers,
            ) as response:
                status = response.status
                if 300 <= status < 400:
                    raise _redirect_error(response, operation)
                length = response.content_length
                if length is not None and "Content-Encoding" not in response.headers:
                    if length > self.max_response_bytes:
                        raise self._too_large(operation, status, length)
                    body = await response.read()  # exactly Content-Length bytes
                else:
                    body = await self._read_capped(response, operation)
                retry_after = response.headers.get("Retry-After")
                self.clock.observe(response.headers.get("Date"))
        except NodeSMSError:
            raise
        except asyncio.CancelledError:
            if task not in self._cut:
                raise
            self._cut.discard(task)
            uncancel = getattr(task, "uncancel", None)
            if uncancel is not None and uncancel() > 0:
                raise  # also cancelled for another reason
            error = ClientClosedError(
                f"{operation}: the client was closed while the call was in flight", sent=None
            )
        except Exception as exc:  # aiohttp's, the OS's, and anything else below us
            error = self._transport_error(exc, operation, timeout)
        finally:
            in_flight.discard(task)
            self._slots.release()
        if error is not None:
            # Raised here, outside the except block: not chained to aiohttp's exception.
            if debug:
                logger.debug(
                    "%s failed attempt %d in %.1f ms: %s",
                    operation,
                    attempt,
                    (time.perf_counter() - started) * 1000,
                    type(error).__name__,
                )
            raise error
        if debug:
            logger.debug(
                "%s HTTP %d attempt %d in %.1f ms",
                operation,
                status,
                attempt,
                (time.perf_counter() - started) * 1000,
            )
        return status, retry_after, body

    async def _wait_for_slot(self, timeout: Timeout, operation: str) -> aiohttp.ClientTimeout:
        """Wait in line for a free slot; what is left of the timeout then goes to aiohttp."""
        limit = timeout.total
        if timeout.connect is not None and (limit is None or timeout.connect < limit):
            limit = timeout.connect
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            await self._slots.wait(limit)
        except asyncio.TimeoutError:
            error = RequestTimeoutError(
                f"{operation}: no free connection within {limit}s "
                f"(max_connections={self.max_connections}); nothing was sent",
                sent=False,
            )
        else:
            waited = loop.time() - began
            if timeout.total is None:
                return self._client_timeout(timeout)
            rest = max(0.001, timeout.total - waited)
            connect = timeout.connect
            if connect is not None:
                connect = max(0.001, connect - waited)
            return aiohttp.ClientTimeout(total=rest, connect=connect, sock_read=timeout.read)
        raise error

    async def _read_capped(self, response: aiohttp.ClientResponse, operation: str) -> bytes:
        """The body, decompressed, read piece by piece up to ``max_response_bytes``."""
        cap = self.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        content = response.content
        while True:
            chunk = await content.readany()
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > cap:
                raise self._too_large(operation, response.status, None)
            chunks.append(chunk)

    def _too_large(self, operation: str, status: int, length: int | None) -> ResponseError:
        announced = "" if length is None else f" (Content-Length {length})"
        return ResponseError(
            f"{operation}: the answer is larger than max_response_bytes="
            f"{self.max_response_bytes}{announced}; the rest was not read",
            http_status=status,
        )

    def _transport_error(
        self, exc: BaseException, operation: str, timeout: Timeout
    ) -> TransportError:
        """nodesms's exception for an aiohttp failure; ``sent`` says if the gateway may have it."""
        if self.closed:
            return ClientClosedError(
                f"{operation}: the client was closed while the call was in flight", sent=None
            )
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
                f"{operation}: no complete answer within the attempt's {timeout.total}s",
                sent=None,
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
        if isinstance(exc, aiohttp.ClientResponseError):
            # A malformed status line or headers: the gateway got the request.
            return TransportError(
                f"{operation}: the answer is not valid HTTP ({exc.message})", sent=True
            )
        return TransportError(f"{operation}: {type(exc).__name__}: {exc}", sent=None)


def _redirect_error(response: aiohttp.ClientResponse, operation: str) -> ResponseError:
    """A 3xx: not followed; only the target's scheme and host are named (no path, no query)."""
    location = response.headers.get("Location", "")
    try:
        parts = urlsplit(location)
        target = f"{parts.scheme}://{parts.hostname}" if parts.hostname else "the same host"
    except ValueError:
        target = "an invalid location"
    return ResponseError(
        f"{operation}: the gateway answered a redirect to {target}; nodesms never follows "
        "redirects (credentials and message bodies stay with the configured base_url)",
        http_status=response.status,
    )
