"""Real components for the taskiq campaign tests and benchmark, each one a bounded subprocess.

- :class:`RedisServer`: a ``redis-server`` on a free port, no persistence.
- :func:`metered_gateway`: ``nodesms.testing.FakeGateway`` in a child process (the benchmarks'
  :class:`~benchmarks._server.GatewayProcess`), with a latency on ``/sms/create``, optionally
  the fake's concurrency limit, and a meter of the requests in flight measured at the gateway.
- :func:`start_worker`: a ``taskiq worker`` process for the app in ``_taskiq_app.py``.

Every start waits with a deadline; every stop escalates from SIGTERM to SIGKILL with timeouts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # the benchmarks' gateway process, from a checkout
    sys.path.insert(0, str(ROOT))

from benchmarks._server import GatewayProcess  # noqa: E402


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


def metered_gateway(latency: float = 0.0, limit: int | None = None) -> GatewayProcess:
    """The fake gateway in a child process: ``/sms/create`` answered after ``latency`` seconds
    and refused (SMS50) above ``limit`` in flight, with the meter on (``gw.meter()``)."""
    return GatewayProcess(
        latency={"/sms/create": latency} if latency else {},
        concurrency_limit=limit,
        duplicate_window=None,
        meter=True,
    )


def start_worker(
    redis_url: str,
    gateway: GatewayProcess,
    *,
    max_concurrency: int,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``taskiq worker _taskiq_app:broker`` for this Redis and gateway."""
    env = {
        **gateway.env(),
        "NODESMS_TEST_REDIS_URL": redis_url,
        "NODESMS_TEST_MAX_CONCURRENCY": str(max_concurrency),
        **(extra_env or {}),
    }
    return start_app_worker(
        "_taskiq_app:broker",
        cwd=HERE,
        env=env,
        args=["--max-async-tasks", str(2 * max_concurrency)],
    )


def start_app_worker(
    app: str, *, cwd: Path, env: Mapping[str, str], args: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """``taskiq worker APP`` (one worker process) in its own process group."""
    # NODESMS_TEST_WORKER_LOG=path keeps the workers' output, for a failure to be read.
    log_path = os.environ.get("NODESMS_TEST_WORKER_LOG")
    with open(log_path or os.devnull, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "taskiq", "worker", app, "--workers", "1", *args],
            cwd=cwd,
            env=child_env(env),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


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
