"""The client: configuration, lifecycle and the API areas."""

from __future__ import annotations

import copy
import ssl as ssl_module
from collections.abc import Sequence
from datetime import tzinfo
from types import TracebackType
from typing import Literal, TypeVar

import aiohttp
import msgspec

from ._config import Timeout, as_timeout, resolve_credentials
from ._dates import GATEWAY_TZ
from ._network import Network
from ._operation import Operation
from ._otel import observer
from ._retry import RetryPolicy
from ._transport import Connection, JsonProtocol, WireProtocol
from .errors import UnsupportedOperationError, ValidationError
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
        timeout: seconds for a whole call, or a :class:`~nodesms.Timeout`.
        retry: the :class:`~nodesms.RetryPolicy`.
        session: an ``aiohttp.ClientSession`` to use; the client never closes it.
        ssl: ``True`` (verify certificates), or an ``ssl.SSLContext`` for a reseller's private
            certificate authority.
        gateway_tz: the gateway's time zone: naive datetimes you pass are taken as gateway
            local time, and datetimes it returns are made aware in this zone.
        proxy: an ``http://`` (or ``https://``) forward proxy for every request, credentials
            in the URL if it needs them (``http://user:pass@proxy.local:3128``); never shown.
        trust_env: read ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` (and ``~/.netrc``)
            like curl does; for the session nodesms creates.
        trace_configs: ``aiohttp.TraceConfig`` objects for the session nodesms creates
            (request timing, your own tracing).

    One client serves any number of concurrent tasks over one pooled session. Use it as
    ``async with``, or call :meth:`aclose`.
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
        proxy: str | None = None,
        trust_env: bool = False,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
    ) -> None:
        url, user, secret = resolve_credentials(base_url, username, password)
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
            url, user, secret, session=session, ssl=ssl, gateway_tz=gateway_tz, network=network
        )
        self._protocol_name = protocol
        self._protocol = _make_protocol(protocol, self._connection)
        self._bind_resources()

    def _bind_resources(self) -> None:
        self.sms = SmsResource(self)
        self.user = UserResource(self)
        self.contact = ContactResource(self)
        self.mo = MoResource(self)

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
        return self._connection.gateway_tz

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
        """Close the connection pool (a session passed in stays open). Safe to call twice."""
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
        return (
            f"nodesms.Client(base_url={self.base_url!r}, username={self.username!r}, "
            f"protocol={self._protocol_name!r})"
        )

    async def _call(self, op: Operation[T], body: msgspec.Struct | None) -> T:
        """Run one operation under the retry policy."""
        if op.soap is None and self._protocol_name == "soap":
            raise UnsupportedOperationError(
                f"{op.path} has no SOAP form; use a Client(protocol='json') for it"
            )
        protocol, timeout = self._protocol, self._timeout
        attempt = 0

        async def once() -> T:
            nonlocal attempt
            attempt += 1
            return await protocol.call(op, body, timeout, attempt)

        observe = observer()  # OpenTelemetry's span and counters, if it is installed
        if observe is not None:
            return await observe(op, body, once, self._retry.run)
        return await self._retry.run(once, op.effect, op.path)


def _make_protocol(name: str, connection: Connection) -> WireProtocol:
    if name == "json":
        return JsonProtocol(connection)
    if name == "soap":
        from ._soap import SoapProtocol

        return SoapProtocol(connection)
    raise ValidationError(f"expected 'json' or 'soap', got {name!r}", field="protocol")
