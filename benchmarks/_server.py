"""The embedded gateway in a separate process, so the client process's CPU time is its own.

::

    with GatewayProcess(credit=10**9, packages=200_000, latency={"/sms/list": 0.02}) as gw:
        client = nodesms.Client(gw.base_url, gw.username, gw.password)

The child runs ``python -m benchmarks._server '<options as JSON>'``: it starts
:class:`nodesms.testing.FakeGateway` on 127.0.0.1 (manual clock), seeds what it was asked to,
prints one JSON line (base URL, credentials, ids of seeded records) and serves until its stdin
closes or it is terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from benchmarks._common import ROOT

if TYPE_CHECKING:
    from nodesms.testing import FakeGateway

__all__ = ["GatewayOptions", "GatewayProcess", "terminate"]


@dataclass
class GatewayOptions:
    """What the gateway child is started with.

    Attributes:
        credit: the account's credit.
        duplicate_window: ``/sms/create``'s duplicate window in seconds; ``None`` is off.
        packages: packages to seed (completed, one recipient each).
        spread: gateway seconds between seeded packages (0: all at the same instant; with a
            spread every package has its own timestamps, as on a real gateway).
        item_recipients: if set, one more package with this many recipients is seeded; its id
            is ``info["item_pkg_id"]``.
        concurrency_limit: refuse (SMS50) requests to an operation while this many others to
            it are in flight, as real accounts do (``None``: no limit).
        latency: seconds of delay per operation path, e.g. ``{"/sms/list": 0.02}``.
        record: keep ``gw.requests`` (the gateway's default ring); off by default
            (``request_log=None``), as in a load test: nothing is recorded per request.
        meter: count requests in flight and the packages made, for :meth:`GatewayProcess.meter`.
    """

    credit: int = 10**9
    duplicate_window: float | None = 1800.0
    packages: int = 0
    spread: float = 0.0
    item_recipients: int | None = None
    latency: dict[str, float] = field(default_factory=dict)
    record: bool = False
    concurrency_limit: int | None = None
    meter: bool = False


class GatewayProcess:
    """A :class:`~nodesms.testing.FakeGateway` in a child process (a context manager)."""

    def __init__(self, options: GatewayOptions | None = None, **kwargs: Any) -> None:
        self.options = options or GatewayOptions(**kwargs)
        self.info: dict[str, Any] = {}
        self._process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return str(self.info["base_url"])

    @property
    def username(self) -> str:
        """The account's user name."""
        return str(self.info["username"])

    @property
    def password(self) -> str:
        """The account's password."""
        return str(self.info["password"])

    def env(self) -> dict[str, str]:
        """The ``NODESMS_*`` variables that point ``nodesms.Client()`` at this gateway."""
        return {
            "NODESMS_BASE_URL": self.base_url,
            "NODESMS_USERNAME": self.username,
            "NODESMS_PASSWORD": self.password,
        }

    def meter(self) -> dict[str, Any]:
        """With ``meter=True``: ``max_in_flight`` (most ``/sms/create`` requests at once, as
        the gateway saw them), ``max_in_flight_all`` (any request), ``creates``, ``refused``
        (SMS50 answers to ``/sms/create``), ``packages``, ``items`` and ``custom_ids`` (every
        package's, oldest first)."""
        import urllib.request

        with urllib.request.urlopen(self.base_url + "/_meter", timeout=30) as response:
            return dict(json.loads(response.read()))

    def start(self, timeout: float = 60.0) -> None:
        """Start the child and wait (``timeout`` seconds at most) until it serves."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._server", json.dumps(asdict(self.options))],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            line = self._process.stdout.readline() if selector.select(timeout) else ""
        if not line:
            self.stop()
            raise RuntimeError("the gateway process did not start")
        self.info = json.loads(line)

    def stop(self) -> None:
        """Stop the child (stdin closed, then SIGTERM, then SIGKILL)."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()
        try:
            process.wait(2)
        except subprocess.TimeoutExpired:
            terminate(process)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> GatewayProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def terminate(process: subprocess.Popen[str], grace: float = 5.0) -> None:
    """SIGTERM, and SIGKILL if the process is still there ``grace`` seconds later."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the child -------------------------------------------------------------------------------


async def _serve(options: GatewayOptions) -> None:
    from nodesms.testing import FakeGateway

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    kind = _metered(FakeGateway) if options.meter else FakeGateway
    gateway = kind(
        credit=options.credit,
        duplicate_window=options.duplicate_window,
        **({} if options.record else {"request_log": None}),
    )
    async with gateway:
        info: dict[str, Any] = {
            "base_url": gateway.base_url,
            "username": gateway.username,
            "password": gateway.password,
        }
        if options.item_recipients:
            (package,) = gateway.seed_packages(1, recipients=options.item_recipients)
            info["item_pkg_id"] = package.id
        if options.spread and options.packages:
            for _ in range(options.packages):
                gateway.seed_packages(1)
                await gateway.advance(options.spread)
        elif options.packages:
            gateway.seed_packages(options.packages)
        info["packages"] = len(gateway.packages)
        gateway.faults.limit_concurrency(options.concurrency_limit)
        for operation, seconds in options.latency.items():
            gateway.set_latency(operation, seconds)
        print(json.dumps(info), flush=True)

        def until_stdin_closes() -> None:
            sys.stdin.read()
            loop.call_soon_threadsafe(stop.set)

        # The parent closes our stdin to stop us, and so does its death.
        threading.Thread(target=until_stdin_closes, daemon=True).start()
        await stop.wait()


def _metered(base: type[FakeGateway]) -> type[FakeGateway]:
    """``base`` that also counts requests in flight and serves the counts at ``GET /_meter``."""
    from aiohttp import web

    in_flight = {"create": 0, "all": 0}
    meter = {"max_in_flight": 0, "max_in_flight_all": 0, "creates": 0}

    class Metered(base):  # type: ignore[misc, valid-type]
        def _make_app(self) -> web.Application:
            app = super()._make_app()
            app.middlewares.append(self._meter)
            return app

        @web.middleware
        async def _meter(self, request: web.Request, handler: Any) -> web.StreamResponse:
            if request.path == "/_meter":
                packages = list(self.packages)
                refused = sum(1 for op, _ in self.faults.injected if op == "/sms/create")
                return web.json_response(
                    {
                        **meter,
                        "refused": refused,
                        "packages": len(packages),
                        "items": sum(len(p.numbers) for p in packages),
                        "custom_ids": [p.custom_id for p in packages],
                    }
                )
            create = request.path == "/sms/create"
            in_flight["all"] += 1
            in_flight["create"] += create
            meter["creates"] += create
            meter["max_in_flight"] = max(meter["max_in_flight"], in_flight["create"])
            meter["max_in_flight_all"] = max(meter["max_in_flight_all"], in_flight["all"])
            try:
                await request.read()  # before any latency: a client killed meanwhile is no error
                return await handler(request)
            finally:
                in_flight["all"] -= 1
                in_flight["create"] -= create

    return Metered


def main(argv: list[str] | None = None) -> None:
    """Serve a gateway with the options given as one JSON argument."""
    args = sys.argv[1:] if argv is None else argv
    options = GatewayOptions(**json.loads(args[0])) if args else GatewayOptions()
    asyncio.run(_serve(options))


if __name__ == "__main__":
    main()
