"""``FakeGateway``: the simulator's lifecycle, settings and test-facing helpers.

The aiohttp application has one route per JSON operation (``POST``, and ``GET`` where the
vendor document allows it), all served by :meth:`GatewayServer.json_endpoint`, and a catch-all
answering ``ERR_NOT_FOUND``.

SOAP hook: if the module ``nodesms.testing._soap`` exists, the application factory calls its
``install(app: aiohttp.web.Application, server: GatewayServer) -> None`` before adding the
catch-all. It registers its own routes (``/soap``, ``/soap?wsdl``) and, for each operation,
parses the envelope and calls ``await server.serve(request, protocol="soap", key=<SOAP
operation name>, operation=<JSON path, e.g. "/sms/create">, params=<dict>, codec=<its Codec>,
credentials=<(user, password) from the body, or None for the Basic header>)``: the same
recording, faults (keyed by the SOAP operation name), auth, handlers and errors as JSON.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import importlib
import ssl as ssl_module
from collections.abc import Awaitable, Generator, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from nodesms.enums import PackageState, SenderStatus
from nodesms.testing._clock import GATEWAY_TZ, Clock, http_date, to_datetime
from nodesms.testing._faults import Faults
from nodesms.testing._model import Contact, Group, ImportResult, MoRequest, Package, Sender
from nodesms.testing._params import normalize_number
from nodesms.testing._push import PushRecord, PushSender
from nodesms.testing._server import GatewayServer, RequestLog
from nodesms.testing._state import GatewayState

if TYPE_CHECKING:
    from nodesms import Client

__all__ = [
    "DEFAULT_OTP_SENDERS",
    "DEFAULT_PASSWORD",
    "DEFAULT_SENDERS",
    "DEFAULT_USERNAME",
    "FakeGateway",
]

DEFAULT_SENDERS: Mapping[str, SenderStatus] = {
    "NODESMS": SenderStatus.APPROVED,
    "ACME": SenderStatus.APPROVED,
    "TEST": SenderStatus.APPROVED,
    "YENIBASLIK": SenderStatus.PENDING,
    "YASAKLI": SenderStatus.BANNED,
}
"""The account's sender names unless ``senders=`` is given: three approved, one pending, one
banned. Only approved senders may send."""

DEFAULT_USERNAME = "nodesms"
"""The account's user name unless ``username=`` is given (also the standalone server's)."""
DEFAULT_PASSWORD = "nodesms-fake"
"""Its password unless ``password=`` is given: ASCII, so that any client can type it."""

DEFAULT_OTP_SENDERS: frozenset[str] = frozenset({"NODESMS", "ACME"})
"""The senders approved for OTP unless ``otp_senders=`` is given (``TEST`` is approved for
normal sends only, as production keeps the two approvals apart)."""

MAX_BODY = 256 * 1024 * 1024

REQUEST_LOG = 10_000
"""How many requests ``FakeGateway.requests`` keeps unless ``request_log=`` says otherwise."""


class FakeGateway:
    """A faithful in-process Node API v1.8.3 gateway on a real socket.

    ::

        async with FakeGateway() as gw:
            async with gw.client() as client:
                sent = await client.sms.create(sender="NODESMS", title="Kampanya",
                                               content="Merhaba", numbers=["905321234567"])
            await gw.advance(60)            # manual clock: packages move only now
            assert gw.package(sent.pkg_id).state == nodesms.PackageState.COMPLETED

    Args:
        host: interface to listen on.
        port: port (0: a free one; see :attr:`base_url`).
        username: the account's user name.
        password: its password (Basic auth is read as UTF-8, so Turkish letters work).
        credit: the starting credit balance.
        clock: ``"manual"`` (nothing moves until :meth:`advance`) or ``"real"``.
        senders: sender names, as ``{title: SenderStatus}`` or an iterable of approved titles
            (default :data:`DEFAULT_SENDERS`).
        otp_senders: the sender names also approved for OTP (``/sms/create-otp``), which real
            deployments approve separately: any other sender gets ERR_INVALID_SMS_SENDER
            there (default :data:`DEFAULT_OTP_SENDERS`).
        duplicate_window: seconds of gateway time in which ``/sms/create`` refuses the same
            content to the same numbers (ERR_SMS_PKG_DUPLICATION); ``None`` switches it off.
            OTP and KVKK sends are not checked.
        undelivered_rate: share of items reported UNDELIVERED.
        expired_rate: share of items reported EXPIRED.
        seed: seeds the RNG (delivery outcomes, uuids); equal seeds give equal runs.
        error_http_status: ``"mapped"`` (errors get their 4xx/5xx, see
            :mod:`nodesms.testing._errors`) or a fixed status such as 200.
        mo_keywords: MO keywords that blacklist the sender's number.
        delete_group_duration: real seconds a ``/contact/delete-group`` holds its lock.
        import_delay: with the real clock, seconds before an import is applied (with the
            manual clock it is applied at the next :meth:`advance`).
        ip_restriction: whether the account has the IP restriction that ``/contact/delete``
            and ``/contact/delete-group`` require (else SMS01).
        tick: with the real clock, how often (seconds) the background task moves packages.
        request_log: how many of the latest requests :attr:`requests` keeps (a ring: the
            oldest is dropped when a new one arrives), or ``None`` to record none, for load
            tests and long-running gateways whose memory must not grow with the traffic.
        hold_pushes: keep delivery-report pushes instead of POSTing them; hand them to your
            app in process with :meth:`deliver_pushes`.

        ssl: a server-side ``ssl.SSLContext`` to serve HTTPS (``base_url`` is then https).
        control: serve the control API under ``/_fake/`` (clock, faults, MO messages,
            recorded requests, for curl and other languages; see :mod:`nodesms.testing._control`).

    The gateway may run on another thread's event loop than the code driving it (the pytest
    fixtures run it on a background thread): :meth:`advance` and :meth:`drain_pushes` then hand
    their work to the gateway's loop, and everything else only reads or sets its state.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        credit: int = 100_000,
        clock: Literal["manual", "real"] = "manual",
        senders: Mapping[str, int] | Iterable[str] | None = None,
        otp_senders: Iterable[str] | None = None,
        duplicate_window: float | None = 1800.0,
        undelivered_rate: float = 0.0,
        expired_rate: float = 0.0,
        seed: int | None = 0,
        error_http_status: Literal["mapped"] | int = "mapped",
        mo_keywords: Sequence[str] = ("RED",),
        delete_group_duration: float = 0.05,
        import_delay: float = 0.5,
        ip_restriction: bool = True,
        tick: float = 0.1,
        request_log: int | None = REQUEST_LOG,
        hold_pushes: bool = False,
        ssl: ssl_module.SSLContext | None = None,
        control: bool = False,
    ) -> None:
        if error_http_status != "mapped" and not isinstance(error_http_status, int):
            raise ValueError("error_http_status must be 'mapped' or an HTTP status")
        if request_log is not None and (
            isinstance(request_log, bool) or not isinstance(request_log, int) or request_log < 1
        ):
            raise ValueError(
                f"request_log must be a positive int (requests kept) or None, not {request_log!r}"
            )
        if senders is None:
            sender_map: dict[str, int] = dict(DEFAULT_SENDERS)
        elif isinstance(senders, Mapping):
            sender_map = {str(k): int(v) for k, v in senders.items()}
        else:
            sender_map = {str(title): SenderStatus.APPROVED for title in senders}
        self._host = host
        self._port = port
        self._username = username
        self._password = password
        self._tick = tick
        self._ssl = ssl
        self._control = control
        self._clock = Clock(clock)
        self._state = GatewayState(
            clock=self._clock,
            username=username,
            credit=credit,
            senders=sender_map,
            otp_senders=DEFAULT_OTP_SENDERS if otp_senders is None else otp_senders,
            duplicate_window=duplicate_window,
            undelivered_rate=undelivered_rate,
            expired_rate=expired_rate,
            seed=seed,
            mo_keywords=mo_keywords,
            import_delay=import_delay,
        )
        self._state.delete_group_duration = delete_group_duration
        self._state.ip_restriction = ip_restriction
        self.faults = Faults()
        """Fault injection: ``gw.faults.push("/sms/create", Fault.drop_after())``."""
        self._pushes = PushSender()
        self._server = GatewayServer(
            state=self._state,
            faults=self.faults,
            username=username,
            password=password,
            error_http_status=error_http_status,
            sync=self._sync,
            after=self._flush,
            request_log=request_log,
        )
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._base_url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hold_pushes = hold_pushes
        self._held: collections.deque[tuple[str, dict[str, Any]]] = collections.deque()

    # -- lifecycle ---------------------------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.on_response_prepare.append(self._stamp_date)
        for path, route in self._server.routes.items():
            app.router.add_post(path, self._server.json_endpoint)
            if route.get:
                app.router.add_get(path, self._server.json_endpoint, allow_head=False)
        try:
            soap = importlib.import_module("nodesms.testing._soap")
        except ModuleNotFoundError as exc:
            if exc.name != "nodesms.testing._soap":
                raise
        else:
            soap.install(app, self._server)
        if self._control:
            from nodesms.testing._control import install as install_control

            install_control(app, self)
        app.router.add_route("*", "/{tail:.*}", self._server.not_found)
        return app

    async def _stamp_date(self, request: web.Request, response: web.StreamResponse) -> None:
        # A real gateway's Date header is its own clock; here that is the clock the test drives,
        # so clients that read the server's time see the simulated one.
        response.headers["Date"] = http_date(self._clock.now())

    async def start(self) -> None:
        """Start serving (and, with the real clock, moving packages)."""
        if self._runner is not None:
            raise RuntimeError("the gateway is already running")
        runner = web.AppRunner(self._make_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port, ssl_context=self._ssl)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._loop = asyncio.get_running_loop()
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        scheme = "https" if self._ssl is not None else "http"
        self._base_url = f"{scheme}://{shown}:{port}"
        if self._clock.mode == "real":
            self._ticker = asyncio.get_running_loop().create_task(self._run_clock())

    async def stop(self) -> None:
        """Stop serving; pending pushes get a second to finish, then are cancelled."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._pushes.close()

    async def __aenter__(self) -> FakeGateway:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _run_clock(self) -> None:
        while True:
            await asyncio.sleep(self._tick)
            self._sync()
            self._flush()

    def _sync(self) -> None:
        if self._clock.mode == "real":
            self._state.run_until(self._clock.now())

    def _flush(self) -> None:
        outbox = self._state.outbox
        while outbox:
            url, payload = outbox.pop(0)
            if self._hold_pushes:
                self._held.append((url, payload))
            else:
                self._pushes.send(url, payload)

    def _elsewhere(self) -> asyncio.AbstractEventLoop | None:
        """The gateway's loop, when the caller is not running on it."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        return None if running is loop else loop

    # -- connection details ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (only once started)."""
        if self._base_url is None:
            raise RuntimeError("the gateway is not running; use 'async with FakeGateway()'")
        return self._base_url

    @property
    def username(self) -> str:
        """The account's user name."""
        return self._username

    @property
    def password(self) -> str:
        """The account's password."""
        return self._password

    def client(self, **options: Any) -> Client:
        """A :class:`nodesms.Client` for this gateway; ``options`` go to its constructor."""
        from nodesms import Client

        return Client(self.base_url, self.username, self.password, **options)

    # -- the clock ---------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The gateway's current time, aware, in Europe/Istanbul."""
        return self.to_datetime(self._clock.now())

    @staticmethod
    def to_datetime(seconds: float) -> datetime:
        """An aware datetime for a record's time (``Package.created`` and the like)."""
        return to_datetime(seconds).replace(tzinfo=GATEWAY_TZ)

    def advance(self, seconds: float) -> Awaitable[None]:
        """Move the clock ``seconds`` forward and process what falls due.

        Packages change state, pending imports are applied, and delivery-report pushes are
        started (:meth:`drain_pushes` waits for them). ``await gw.advance(10)`` in async
        tests; in sync tests (the gateway on another thread) a plain ``gw.advance(10)`` does
        it all before returning.
        """
        loop = self._elsewhere()
        if loop is None:
            self._advance(seconds)
            return asyncio.sleep(0)  # let the pushes just started begin
        asyncio.run_coroutine_threadsafe(self._advance_async(seconds), loop).result()
        return _Done()

    def _advance(self, seconds: float) -> None:
        self._clock.advance(seconds)
        self._state.run_until(self._clock.now())
        self._flush()

    async def _advance_async(self, seconds: float) -> None:
        self._advance(seconds)

    async def drain_pushes(self, timeout: float = 5.0) -> list[PushRecord]:
        """Wait until the pushes started so far are delivered (or failed); all records."""
        loop = self._elsewhere()
        if loop is None:
            await self._pushes.drain(timeout)
        else:
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(self._pushes.drain(timeout), loop)
            )
        return self._pushes.records

    async def deliver_pushes(self, app: object) -> list[PushRecord]:
        """POST the held delivery reports (``hold_pushes=True``) into ``app``, in process.

        ``app`` is an ASGI application (FastAPI, Starlette...), an ``aiohttp.web.Application``
        (served on 127.0.0.1 for the call) or an ``aiohttp.test_utils.TestClient`` (what
        pytest-aiohttp's ``aiohttp_client`` returns). Each report goes to its ``push_url``'s
        path; the records (with the app's HTTP status) are added to :attr:`pushes` and
        returned. Runs on the caller's loop, so the app sees the test's own loop.
        """
        if not self._hold_pushes:
            raise RuntimeError(
                "deliver_pushes() needs FakeGateway(hold_pushes=True) "
                "(with pytest: @pytest.mark.nodesms_gateway(hold_pushes=True))"
            )
        from nodesms.testing._inprocess import deliver

        batch: list[tuple[str, dict[str, Any]]] = []
        while self._held:
            batch.append(self._held.popleft())
        records = [PushRecord(url, payload) for url, payload in batch]
        await deliver(app, records)
        self._pushes.records.extend(records)
        return records

    def env(self) -> dict[str, str]:
        """The ``NODESMS_*`` variables that point an app at this gateway.

        ``monkeypatch.setattr(os, "environ", {**os.environ, **gw.env()})``, or pass them to a
        subprocess; ``nodesms.Client()`` without arguments then talks to this gateway.
        """
        from nodesms._config import ENV_BASE_URL, ENV_PASSWORD, ENV_USERNAME

        return {
            ENV_BASE_URL: self.base_url,
            ENV_USERNAME: self.username,
            ENV_PASSWORD: self.password,
        }

    # -- inspection --------------------------------------------------------------------------

    @property
    def requests(self) -> RequestLog:
        """The requests that arrived, oldest first (recorded before faults applied).

        The last ``request_log`` of them (10,000 by default), in a ring that reads like a list
        (indexes, slices, ``== [...]``); ``gw.requests.clear()`` forgets them.

        Raises:
            RuntimeError: the gateway was made with ``request_log=None`` (nothing recorded).
        """
        if self._server.requests is None:
            raise RuntimeError("the request log is off: FakeGateway(request_log=None)")
        return self._server.requests

    @property
    def pushes(self) -> list[PushRecord]:
        """Every delivery-report push sent (or being sent)."""
        return self._pushes.records

    @property
    def packages(self) -> Sequence[Package]:
        """Every package, oldest first (a live, read-only view)."""
        return self._state.packages

    def package(self, pkg_id: int) -> Package:
        """The package with this id (:class:`KeyError` if none)."""
        pkg = self._state.package(pkg_id)
        if pkg is None:
            raise KeyError(pkg_id)
        return pkg

    def package_by_custom_id(self, custom_id: str) -> Package | None:
        """The package with this customID, if any."""
        return self._state.by_custom_id.get(custom_id)

    @property
    def credit(self) -> int:
        """The account's credit balance (settable)."""
        return self._state.credit

    @credit.setter
    def credit(self, value: int) -> None:
        self._state.credit = value

    @property
    def senders(self) -> list[Sender]:
        """The account's sender names."""
        return list(self._state.senders.values())

    def add_sender(
        self, title: str, status: int = SenderStatus.APPROVED, *, otp: bool | None = None
    ) -> Sender:
        """Add a sender name (or change its status); ``otp`` approves it for OTP too (or
        withdraws that), ``None`` leaves its OTP approval as it is."""
        if otp is True:
            self._state.otp_senders.add(title)
        elif otp is False:
            self._state.otp_senders.discard(title)
        return self._state.add_sender(title, status)

    @property
    def otp_senders(self) -> frozenset[str]:
        """The sender names approved for OTP."""
        return frozenset(self._state.otp_senders)

    @property
    def contacts(self) -> list[Contact]:
        """The contacts that are neither archived nor deleted."""
        return [c for c in self._state.contacts.values() if not c.archived]

    @property
    def archived_contacts(self) -> list[Contact]:
        """Contacts deleted to the archive."""
        return [c for c in self._state.contacts.values() if c.archived]

    def contact(self, gsm: str | int) -> Contact | None:
        """The active contact with this number (any accepted format), if any."""
        number = normalize_number(gsm)
        return self._state.by_gsm.get(number) if number else None

    @property
    def groups(self) -> list[Group]:
        """The contact groups."""
        return list(self._state.groups.values())

    @property
    def imports(self) -> list[ImportResult]:
        """Results of the imports applied so far."""
        return self._state.imports

    @property
    def mo_requests(self) -> list[MoRequest]:
        """Incoming (MO) messages, oldest first."""
        return self._state.mo_requests

    def set_latency(self, operation: str, seconds: float | None) -> None:
        """Delay every request to ``operation`` by ``seconds`` (``None`` or 0: no delay)."""
        if seconds:
            self._server.latency[operation] = seconds
        else:
            self._server.latency.pop(operation, None)

    # -- seeding -----------------------------------------------------------------------------

    def seed_packages(
        self,
        count: int,
        *,
        content: str = "Test mesajıdır, lütfen dikkate almayınız.",
        sender: str = "NODESMS",
        title: str = "Seeded",
        recipients: int = 1,
        parts: int = 1,
        encoding: int = 1,
        state: PackageState = PackageState.COMPLETED,
        charge: bool = False,
    ) -> list[Package]:
        """Create ``count`` packages at once, without HTTP (200,000 take about a second).

        They are created "now", with synthetic Turkcell numbers ``90532xxxxxxx`` (not
        stored), ``parts`` SMS parts per recipient. A final ``state`` (COMPLETED: items
        delivered; CANCELLED; failure states: items undelivered) is set directly; QUEUEING
        packages go through the normal lifecycle. ``charge`` takes their credit.
        """
        if count < 0 or recipients < 1 or parts < 1:
            raise ValueError("count ≥ 0, recipients ≥ 1 and parts ≥ 1 are required")
        return self._state.seed_packages(
            count,
            content=content,
            sender=sender,
            title=title,
            recipients=recipients,
            parts=parts,
            encoding=encoding,
            state=state,
            charge=charge,
        )

    def seed_contacts(
        self, count: int, *, group: str | None = None, blacklisted: bool = False
    ) -> list[Contact]:
        """Create ``count`` contacts (numbers ``90533xxxxxxx``), optionally in group ``group``
        (a title; the group is created if needed)."""
        state = self._state
        group_uuid: str | None = None
        if group is not None:
            found = next((g for g in state.groups.values() if g.title == group), None)
            if found is None:
                found = Group(state.new_uuid(), group)
                state.groups[found.uuid] = found
            group_uuid = found.uuid
        made: list[Contact] = []
        serial = len(state.contacts)
        while len(made) < count:
            gsm = f"90533{serial % 10_000_000:07d}"
            serial += 1
            if gsm in state.by_gsm:
                continue
            contact = state.add_contact(
                gsm,
                first_name=f"Ad{serial}",
                last_name=f"Soyad{serial}",
                groups=[group_uuid] if group_uuid else None,
                blacklisted=blacklisted,
            )
            made.append(contact)
        return made

    def inject_mo(
        self, gsm: str | int, msg: str = "RED", *, keyword: str | None = None, short_nr: int = 2222
    ) -> MoRequest:
        """Receive an incoming message from ``gsm`` to short number ``short_nr``.

        ``keyword`` defaults to the first word of ``msg``. If it is one of ``mo_keywords``
        the number is blacklisted (and added to the contacts if unknown) and the request is
        DONE; otherwise it is NO_MATCH.
        """
        number = normalize_number(gsm)
        if number is None:
            raise ValueError(f"invalid number {gsm!r}")
        return self._state.receive_mo(number, msg, keyword, short_nr)

    def __repr__(self) -> str:
        where = self._base_url or "not running"
        return f"<FakeGateway {where} user={self._username!r} clock={self._clock.mode}>"


class _Done:
    """An awaitable that is already finished (``advance`` run on the gateway's thread)."""

    def __await__(self) -> Generator[None, None, None]:
        return
        yield
