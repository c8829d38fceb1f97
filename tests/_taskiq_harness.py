"""Real components for the taskiq campaign tests and benchmark, each one a bounded subprocess.

- :class:`RedisServer`: a ``redis-server`` on a free port, no persistence.
- :class:`GatewayProcess`: ``nodesms.testing.FakeGateway`` in a child process (this file run as
  a script) with a latency on ``/sms/create`` and optionally the fake's concurrency limit
  (SMS50 above it), plus what the standalone server does not offer: a meter of the most
  requests ever in flight at once and of the packages made, read from ``GET /_meter``.
- :func:`start_worker`: a ``taskiq worker`` process for the app in ``_taskiq_app.py``.

Every start waits with a deadline; every stop escalates from SIGTERM to SIGKILL with timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for children: this checkout and the tests directory importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(HERE), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def spawn_python(code: str, *args: str) -> subprocess.Popen[str]:
    """``python -c code args...`` with this checkout importable, its stdout a text pipe."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=child_env(), stdout=subprocess.PIPE, text=True
    )


def stop_process(process: subprocess.Popen[Any], *, grace: float = 5.0) -> None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL and wait."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


class RedisServer:
    """``redis-server`` on a free port of 127.0.0.1, in memory only (a context manager)."""

    def __init__(self) -> None:
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> None:
        """Start it and wait until it answers PING."""
        for _ in range(5):  # the free port may be taken between probe and bind
            self.port = free_port()
            self._process = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                 "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            if self._wait_ready(timeout):
                return
            stop_process(self._process)
        raise RuntimeError("redis-server did not start")

    def _wait_ready(self, timeout: float) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass
class GatewayOptions:
    """How the gateway child behaves.

    Attributes:
        latency: seconds every ``/sms/create`` waits before it is handled.
        limit: ``/sms/create`` requests in flight above which the answer is SMS50
            (``None``: no limit).
        credit: the account's credit.
    """

    latency: float = 0.0
    limit: int | None = None
    credit: int = 10**9


class GatewayProcess:
    """The metered fake gateway in a child process (a context manager)."""

    def __init__(self, options: GatewayOptions | None = None, **kwargs: Any) -> None:
        self.options = options or GatewayOptions(**kwargs)
        self.info: dict[str, Any] = {}
        self._process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return str(self.info["base_url"])

    def env(self) -> dict[str, str]:
        """The ``NODESMS_*`` variables that point a ``nodesms.Client()`` at this gateway."""
        return {
            "NODESMS_BASE_URL": self.base_url,
            "NODESMS_USERNAME": str(self.info["username"]),
            "NODESMS_PASSWORD": str(self.info["password"]),
        }

    def start(self, timeout: float = 30.0) -> None:
        """Start the child and wait until it serves."""
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__)), json.dumps(asdict(self.options))],
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        ready = _readline_within(self._process.stdout, timeout)
        if not ready:
            self.stop()
            raise RuntimeError("the gateway process did not start")
        self.info = json.loads(ready)

    def meter(self) -> dict[str, Any]:
        """The gateway's counters: ``max_in_flight`` (``/sms/create`` requests at once, at
        most), ``max_in_flight_all`` (any API request), ``creates``, ``refused`` (over the
        limit), ``packages``, ``items`` and ``custom_ids`` (every package's, oldest first)."""
        import urllib.request

        with urllib.request.urlopen(self.base_url + "/_meter", timeout=30) as response:
            return dict(json.loads(response.read()))

    def stop(self) -> None:
        """Stop the child (stdin closed, then SIGTERM, then SIGKILL)."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(3)
        stop_process(process)

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


def _readline_within(stream: Any, timeout: float) -> str:
    """One line from a child's stdout, or ``""`` if none came within ``timeout`` seconds."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return str(stream.readline())


def start_worker(
    redis_url: str,
    gateway: GatewayProcess,
    *,
    max_concurrency: int,
    extra_env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """``taskiq worker _taskiq_app:broker`` (one process, no reload) for this Redis and gateway."""
    env = child_env(
        {
            **gateway.env(),
            "NODESMS_TEST_REDIS_URL": redis_url,
            "NODESMS_TEST_MAX_CONCURRENCY": str(max_concurrency),
            **(extra_env or {}),
        }
    )
    # NODESMS_TEST_WORKER_LOG=path keeps the workers' output, for a failure to be read.
    log_path = os.environ.get("NODESMS_TEST_WORKER_LOG")
    with open(log_path or os.devnull, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "taskiq", "worker", "_taskiq_app:broker", "--workers", "1",
             "--max-async-tasks", str(2 * max_concurrency), *args],
            cwd=HERE,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )  # fmt: skip


def kill_worker(process: subprocess.Popen[bytes]) -> None:
    """``kill -9`` the worker's whole process group (taskiq runs the worker in a child)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def stop_worker(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """SIGTERM the worker's process group, then SIGKILL it if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            kill_worker(process)
    # The worker's children die with their parent's group; reap nothing else.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# --- the gateway child ------------------------------------------------------------------------


async def _serve(options: GatewayOptions) -> None:
    import threading

    from aiohttp import web

    from nodesms.testing import FakeGateway

    in_flight = {"create": 0, "all": 0}
    meter: dict[str, Any] = {"max_in_flight": 0, "max_in_flight_all": 0, "creates": 0}

    @web.middleware
    async def metered(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/_meter":
            packages = list(gateway.packages)
            return web.json_response(
                {
                    **meter,
                    "refused": sum(1 for op, _ in gateway.faults.injected if op == "/sms/create"),
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
            await request.read()  # before the latency: a client killed meanwhile is no error
            return await handler(request)
        finally:
            in_flight["all"] -= 1
            in_flight["create"] -= create

    class MeteredGateway(FakeGateway):
        def _make_app(self) -> web.Application:
            app = super()._make_app()
            app.middlewares.append(metered)
            return app

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    gateway = MeteredGateway(credit=options.credit, duplicate_window=None)
    # The fake's own latency and concurrency limit (SMS50 above it, after the latency).
    gateway.set_latency("/sms/create", options.latency)
    if options.limit is not None:
        gateway.faults.limit_concurrency(options.limit, operations=["/sms/create"])
    async with gateway:
        print(
            json.dumps(
                {
                    "base_url": gateway.base_url,
                    "username": gateway.username,
                    "password": gateway.password,
                }
            ),
            flush=True,
        )

        async def forget_requests() -> None:
            while True:
                await asyncio.sleep(0.5)
                gateway.requests.clear()

        def until_stdin_closes() -> None:
            sys.stdin.read()
            loop.call_soon_threadsafe(stop.set)

        # The parent closes our stdin to stop us, and so does its death.
        threading.Thread(target=until_stdin_closes, daemon=True).start()
        forgetting = loop.create_task(forget_requests())
        await stop.wait()
        forgetting.cancel()


if __name__ == "__main__":
    asyncio.run(_serve(GatewayOptions(**json.loads(sys.argv[1]))))
