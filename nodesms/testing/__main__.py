"""``python -m nodesms.testing``: serve the fake gateway standalone, on the real clock."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from nodesms.testing._gateway import FakeGateway

REQUEST_LOG = 100
"""The standalone gateway runs for hours: it keeps fewer requests than a test's gateway."""

__all__ = ["main"]


def _http_status(value: str) -> str | int:
    if value == "mapped":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("'mapped' or an HTTP status such as 200") from None


def _request_log(value: str) -> int | None:
    if value == "off":
        return None
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError("a positive number of requests, or 'off'")
    return size


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nodesms.testing",
        description="Serve a fake Node API v1.8.3 SMS gateway until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9587, help="port (default 9587; 0: free)")
    parser.add_argument("--username", default="demo", help="user name (default demo)")
    parser.add_argument("--password", default="demo", help="password (default demo)")
    parser.add_argument("--credit", type=int, default=100_000, help="starting credit")
    parser.add_argument("--seed", type=int, default=None, help="RNG seed (default: random)")
    parser.add_argument("--undelivered-rate", type=float, default=0.05, metavar="SHARE")
    parser.add_argument("--expired-rate", type=float, default=0.01, metavar="SHARE")
    parser.add_argument(
        "--error-http-status",
        type=_http_status,
        default="mapped",
        metavar="mapped|STATUS",
        help="HTTP status of error answers (default: mapped to 4xx/5xx)",
    )
    parser.add_argument(
        "--no-duplicate-check",
        action="store_true",
        help="accept the same content to the same numbers within 30 minutes",
    )
    parser.add_argument(
        "--request-log",
        type=_request_log,
        default=REQUEST_LOG,
        metavar="N|off",
        help=f"keep the last N requests in memory (default {REQUEST_LOG}); off: none",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    gateway = FakeGateway(
        host=args.host,
        port=args.port,
        username=args.username,
        password=args.password,
        credit=args.credit,
        clock="real",
        seed=args.seed,
        undelivered_rate=args.undelivered_rate,
        expired_rate=args.expired_rate,
        error_http_status=args.error_http_status,
        duplicate_window=None if args.no_duplicate_check else 1800.0,
        request_log=args.request_log,
    )
    async with gateway:
        print(f"nodesms fake gateway (Node API v1.8.3) at {gateway.base_url}", flush=True)
        print(f"  username: {gateway.username}", flush=True)
        print(f"  password: {gateway.password}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await stop.wait()
    print("stopped", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the standalone gateway; returns the exit status."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
