"""The client: configuration, lifecycle and the API areas."""

from __future__ import annotations

import copy
import ssl as ssl_module
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import tzinfo
from types import TracebackType
from typing import Any, Literal, TypeVar, cast, overload

import aiohttp
import msgspec

from ._clock import GatewayClock
from ._config import Secret, Timeout, as_timeout, resolve_credentials
from ._dates import GATEWAY_TZ
from ._json import JsonProtocol
from ._network import Network
from ._operation import Effect, Operation
from ._operations import adhoc
from ._otel import active_observer
from ._retry import RetryPolicy
from ._transport import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES,
    Connection,
    WireProtocol,
)
from .errors import NodeSMSError, UnsupportedOperationError, ValidationError
from .resources.contact import ContactResource
from .resources.mo import MoResource
from .resources.sms import SmsResource
from .resources.user import UserResource

__all__ = ["Client"]

T = TypeVar("T")


class Client:
    """An asyncio client for one gateway account.

    ::

        async with nodesms.Client("https://panel.example.com.tr:9588", "user", "pass") as client:
            sent = await client.sms.create_otp(number="0555 123 45 67", sender="ACME",
                                               content="Kodunuz: 482913")

    Args:
        base_url: the gateway's address; only scheme, host and port count, so a pasted endpoint
            URL or a trailing slash is fine. Defaults to ``$NODESMS_BASE_URL``.
        username: API user name. Defaults to ``$NODESMS_USERNAME``.
        password: API password. Defaults to ``$NODESMS_PASSWORD``. Never shown in reprs,
            errors or logs.
        protocol: ``"json"``, or ``"soap"`` for the seven operations the SOAP endpoint has.
        timeout: seconds for one attempt of a call (waiting for a connection, connecting,
            sending, reading the answer), or a :class:`~nodesms.Timeout`. A retried call makes
            several attempts; ``retry``'s ``deadline`` is the hard bound of the whole call.
        retry: the :class:`~nodesms.RetryPolicy`.
        session: an ``aiohttp.ClientSession`` to use; the client never closes it.
        ssl: ``True`` (verify certificates), or an ``ssl.SSLContext`` for a reseller's private
            certificate authority.
        gateway_tz: the gateway's time zone: naive datetimes you pass are taken as gateway
            local time, and datetimes it returns are made aware in this zone.
        max_connections: requests in flight at once (the connection pool's size). Further
            calls wait in arrival order; the wait counts against ``timeout`` and a call that
            timed out waiting has ``sent=False``.
        max_response_bytes: the largest answer read, counted after gzip/deflate
            decompression; anything bigger (or an endless body) is a
            :class:`~nodesms.ResponseError` and the rest is never read.
        proxy: an ``http://`` (or ``https://``) forward proxy for every request, credentials
            in the URL if it needs them (``http://user:pass@proxy.local:3128``); never shown.
        trust_env: read ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` (and ``~/.netrc``)
            like curl does; for the session nodesms creates.
        trace_configs: ``aiohttp.TraceConfig`` objects for the session nodesms creates
            (request timing, your own tracing).

    One client serves any number of concurrent tasks over one pooled session, on the event
    loop it first ran on. Use it as ``async with``, or call :meth:`aclose`. Redirects are never
    followed.
    """

    sms: SmsResource
    """SMS packages: send, list, follow, cancel."""
    user: UserResource
    """The account: credit."""
    contact: ContactResource
    """The address book: contacts, groups, blacklist, bulk import."""
    mo: MoResource
    """Opt-out (MO) requests received on short numbers."""

    def __init__(
        self,
        base_url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        protocol: Literal["json", "soap"] = "json",
        timeout: float | Timeout = 30.0,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        ssl: bool | ssl_module.SSLContext = True,
        gateway_tz: tzinfo = GATEWAY_TZ,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        proxy: str | None = None,
        trust_env: bool = False,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
    ) -> None:
        # First of all: from here on the password's repr (in a traceback's locals) is '***'.
        password = Secret.wrap(password)
        url, user, secret = resolve_credentials(base_url, username, password)
        _positive_int(max_connections, "max_connections")
        _positive_int(max_response_bytes, "max_response_bytes")
        if not isinstance(gateway_tz, tzinfo):
            raise ValidationError("expected a tzinfo such as ZoneInfo(...)", field="gateway_tz")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ValidationError("expected an aiohttp.ClientSession", field="session")
        if not isinstance(ssl, (bool, ssl_module.SSLContext)):
            raise ValidationError("expected True, False or an ssl.SSLContext", field="ssl")
        self._timeout = as_timeout(timeout)
        self._retry = retry if retry is not None else RetryPolicy()
        if not isinstance(self._retry, RetryPolicy):
            raise ValidationError("expected a nodesms.RetryPolicy", field="retry")
        network = Network.checked(proxy, trust_env, trace_configs, session)
        self._connection = Connection(
            url,
            user,
            secret,
            session=session,
            ssl=ssl,
            gateway_tz=gateway_tz,
            max_connections=max_connections,
            max_response_bytes=max_response_bytes,
            network=network,
        )
        self._protocol_name = protocol
        self._protocol = _make_protocol(protocol, self._connection)
        self._bind_resources()

    def _bind_resources(self) -> None:
        calls = Calls(
            self,
            self._protocol,
            self._protocol_name,
            self._connection.clock,
            self._timeout,
            self._retry,
        )
        self._calls = calls
        self.sms = SmsResource(calls)
        self.user = UserResource(calls)
        self.contact = ContactResource(calls)
        self.mo = MoResource(calls)

    @property
    def base_url(self) -> str:
        """The gateway's scheme, host and port."""
        return self._connection.base_url

    @property
    def username(self) -> str:
        """The API user name."""
        return self._connection.username

    @property
    def protocol(self) -> str:
        """``"json"`` or ``"soap"``."""
        return self._protocol_name

    @property
    def timeout(self) -> Timeout:
        """The time limits of each call."""
        return self._timeout

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy."""
        return self._retry

    @property
    def gateway_tz(self) -> tzinfo:
        """The gateway's time zone."""
        return self._connection.clock.tz

    @property
    def closed(self) -> bool:
        """True after :meth:`aclose`."""
        return self._connection.closed

    def with_options(
        self, *, timeout: float | Timeout | None = None, retry: RetryPolicy | None = None
    ) -> Client:
        """A view of this client with other options, sharing its session and lifecycle.

        ``await client.with_options(timeout=5).user.credit()``; closing either closes both.
        """
        view = copy.copy(self)
        if timeout is not None:
            view._timeout = as_timeout(timeout)
        if retry is not None:
            if not isinstance(retry, RetryPolicy):
                raise ValidationError("expected a nodesms.RetryPolicy", field="retry")
            view._retry = retry
        view._bind_resources()
        return view

    async def aclose(self) -> None:
        """Close the connection pool (a session passed in stays open). Safe to call twice.

        Calls still waiting or in flight end with :class:`~nodesms.ClientClosedError`.
        """
        await self._connection.aclose()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        connection = getattr(self, "_connection", None)  # also while __init__ is failing
        if connection is None:
            return "nodesms.Client(<not set up>)"
        return (
            f"nodesms.Client(base_url={connection.base_url!r}, "
            f"username={connection.username!r}, protocol={self._protocol_name!r})"
        )

    @overload
    async def request(
        self,
        path: str,
        body: object = None,
        *,
        result: None = None,
        effect: Effect | Literal["read", "idempotent", "write"] = "write",
    ) -> Any: ...

    @overload
    async def request(
        self,
        path: str,
        body: object = None,
        *,
        result: type[T],
        effect: Effect | Literal["read", "idempotent", "write"] = "write",
    ) -> T: ...

    async def request(
        self,
        path: str,
        body: object = None,
        *,
        result: Any = None,
        effect: Effect | Literal["read", "idempotent", "write"] = "write",
    ) -> Any:
        """Call an endpoint nodesms has no method for, such as ``/sms/get-mo``.

        ::

            try:
                data = await client.request("/sms/get-mo", {"startDate": "2026-01-01 00:00"})
            except nodesms.NotFoundError:
                data = None  # this deployment has no /sms/get-mo

        It goes the way every method goes: the same auth, retries, errors and logging.

        Args:
            path: the endpoint, ``/area/action``.
            body: the JSON body: a mapping, a list, a msgspec Struct, or ``None`` (``{}``).
            result: ``None`` to get the envelope's ``data`` as builtins (dicts, lists...), or a
                type (a msgspec Struct, ``list[int]``...) to decode it into.
            effect: what the call does, which decides its retries: ``"write"`` (the
                default: retried only where the request provably never arrived),
                ``"idempotent"`` or ``"read"`` (retried on every transient failure).

        Raises:
            ValidationError: a bad path, body, result type or effect; nothing was sent.
            APIError: the gateway refused (as for every method).
        """
        op = adhoc(path, result, effect)
        if body is None:
            payload = None
        else:
            try:
                payload = msgspec.Raw(msgspec.json.encode(body))
            except (TypeError, ValueError, OverflowError, UnicodeEncodeError) as exc:
                raise ValidationError(f"cannot be sent as JSON: {exc}", field="body") from None
        return await self._calls.call(op, cast(msgspec.Struct | None, payload))


class Calls:
    """The one path every operation takes, and all the resources see of the client.

    A narrow interface: the resources call :meth:`call` and read :attr:`clock`; they never
    touch the client's internals. Workflows that run on the public API (``sms.send_bulk``,
    ``sms.wait``) get the public client as :attr:`client`. (A tracing span around each
    operation belongs in :meth:`call`.)
    """

    __slots__ = (
        "_first_limits",
        "_protocol",
        "_protocol_name",
        "_retry",
        "_timeout",
        "client",
        "clock",
    )

    def __init__(
        self,
        client: Client,
        protocol: WireProtocol,
        protocol_name: str,
        clock: GatewayClock,
        timeout: Timeout,
        retry: RetryPolicy,
    ) -> None:
        self._protocol = protocol
        self._protocol_name = protocol_name
        self._timeout = timeout
        self._retry = retry
        self._first_limits = _limits(timeout, retry.deadline)
        self.clock = clock
        self.client = client

    async def call(self, op: Operation[T], body: msgspec.Struct | None = None) -> T:
        """Run one operation under the retry policy: each attempt within ``timeout``, the
        whole call within the policy's ``deadline``."""
        if op.soap is None and self._protocol_name == "soap":
            raise UnsupportedOperationError(
                f"{op.path} has no SOAP form; use a Client(protocol='json') for it"
            )
        observe = active_observer()  # OpenTelemetry's span and counters, if configured
        if observe is not None:
            return await observe(op, body, self._attempts(op, body, 0), self._retry.run)
        # RetryPolicy.run, with the first attempt made here: every suspension of a call passes
        # through each coroutine frame around it, and most calls need only the one attempt.
        retry = self._retry
        started = time.monotonic()
        try:
            return await self._protocol.call(op, body, self._first_limits, 1)
        except NodeSMSError as exc:
            if not retry.retries(exc, op.effect):
                raise
            failure = exc
        again = self._attempts(op, body, 1)
        return await retry.after_failure(failure, started, again, op.effect, op.path)

    def _attempts(
        self, op: Operation[T], body: msgspec.Struct | None, made: int
    ) -> Callable[[float], Awaitable[T]]:
        """One attempt of ``op`` within the seconds left, numbered after the ``made`` ones."""
        protocol, timeout = self._protocol, self._timeout
        attempt = made

        async def once(remaining: float) -> T:
            nonlocal attempt
            attempt += 1
            return await protocol.call(op, body, _limits(timeout, remaining), attempt)

        return once


def _limits(timeout: Timeout, remaining: float) -> Timeout:
    """``timeout``, cut to the seconds left of the call's deadline."""
    total = timeout.total
    return timeout if total is not None and total <= remaining else timeout.within(remaining)


def _positive_int(value: object, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("expected an int >= 1", field=field)


def _make_protocol(name: str, connection: Connection) -> WireProtocol:
    if name == "json":
        return JsonProtocol(connection)
    if name == "soap":
        from ._soap import SoapProtocol

        return SoapProtocol(connection)
    raise ValidationError(f"expected 'json' or 'soap', got {name!r}", field="protocol")
