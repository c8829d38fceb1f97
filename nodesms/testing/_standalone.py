"""The standalone gateway's options and server, shared by ``python -m nodesms.testing`` and
``nodesms gateway``: :func:`add_gateway_arguments` puts the options on any argparse parser,
:func:`serve` runs the gateway they describe until SIGINT / SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
import sys
from typing import TextIO

from nodesms._operations import OPERATIONS
from nodesms.enums import SenderStatus
from nodesms.testing._faults import Fault
from nodesms.testing._gateway import (
    DEFAULT_OTP_SENDERS,
    DEFAULT_PASSWORD,
    DEFAULT_SENDERS,
    DEFAULT_USERNAME,
    FakeGateway,
)

__all__ = ["REQUEST_LOG", "add_gateway_arguments", "gateway_from_args", "serve"]

REQUEST_LOG = 100
"""The standalone gateway runs for hours: it keeps fewer requests than a test's gateway."""

_RANDOM_FAULTS = (
    Fault.error("ERR_SYSTEM_MAINTENANCE"),
    Fault.error("ERR_CONCURRENT_REQUEST_LIMIT"),
    Fault.bad_gateway(),
    Fault.drop_before(),
)


def _http_status(value: str) -> str | int:
    if value == "mapped":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("'mapped' or an HTTP status such as 200") from None


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError("a share from 0 to 1, such as 0.05")
    return share


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise argparse.ArgumentTypeError("seconds >= 0, such as 0.2")
    return seconds


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


def add_gateway_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the standalone gateway's options to ``parser``."""
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    add("--port", type=int, default=9587, help="port (default 9587; 0: a free one)")
    add("--username", default=DEFAULT_USERNAME, help=f"user name (default {DEFAULT_USERNAME})")
    add("--password", default=DEFAULT_PASSWORD, help=f"password (default {DEFAULT_PASSWORD})")
    add("--credit", type=int, default=100_000, help="starting credit (default 100000)")
    add(
        "--sender",
        action="append",
        metavar="NAME",
        help="an approved sender name; repeat for more (default: "
        + ", ".join(t for t, s in DEFAULT_SENDERS.items() if s == 1)
        + ")",
    )
    add(
        "--otp-sender",
        action="append",
        metavar="NAME",
        help="a sender also approved for OTP; repeat for more (default: "
        + ", ".join(sorted(DEFAULT_OTP_SENDERS))
        + ")",
    )
    add(
        "--error-http-status",
        type=_http_status,
        default="mapped",
        metavar="mapped|STATUS",
        help="HTTP status of error answers: mapped to 4xx/5xx (default), or e.g. 200",
    )
    add("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (chain) file")
    add("--tls-key", metavar="PEM", help="the certificate's private key file")
    add("--clock", choices=("real", "manual"), default="real",
        help="real (default) or manual: nothing moves until POST /_fake/advance")  # fmt: skip
    add("--seed", type=int, default=None, help="RNG seed (default: random)")
    add("--undelivered-rate", type=_share, default=0.05, metavar="SHARE")
    add("--expired-rate", type=_share, default=0.01, metavar="SHARE")
    add(
        "--no-duplicate-check",
        action="store_true",
        help="accept the same content to the same numbers within 30 minutes",
    )
    add("--latency", type=_seconds, default=0.0, metavar="SECONDS",
        help="delay every request by this much")  # fmt: skip
    add(
        "--fault-rate",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="answer this share of requests with a transient fault (maintenance, concurrency "
        "limit, HTML 502, dropped connection)",
    )
    add(
        "--request-log",
        type=_request_log,
        default=REQUEST_LOG,
        metavar="N|off",
        help=f"keep the last N requests in memory (default {REQUEST_LOG}); off: none",
    )


def gateway_from_args(args: argparse.Namespace) -> FakeGateway:
    """The gateway the parsed options describe (not started), control API on."""
    if (args.tls_cert is None) != (args.tls_key is None):
        raise SystemExit("--tls-cert and --tls-key go together")
    context = None
    if args.tls_cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    senders: dict[str, int] = (
        dict.fromkeys(args.sender, int(SenderStatus.APPROVED))
        if args.sender
        else dict(DEFAULT_SENDERS)
    )
    for title in args.otp_sender or ():  # an OTP sender is an approved sender too
        senders.setdefault(title, int(SenderStatus.APPROVED))
    gateway = FakeGateway(
        host=args.host,
        port=args.port,
        username=args.username,
        password=args.password,
        credit=args.credit,
        clock=args.clock,
        senders=senders,
        otp_senders=args.otp_sender,
        seed=args.seed,
        undelivered_rate=args.undelivered_rate,
        expired_rate=args.expired_rate,
        error_http_status=args.error_http_status,
        duplicate_window=None if args.no_duplicate_check else 1800.0,
        ssl=context,
        control=True,
        request_log=args.request_log,
    )
    if args.fault_rate:
        gateway.faults.random(args.fault_rate, _RANDOM_FAULTS, seed=args.seed)
    return gateway


async def serve(args: argparse.Namespace, out: TextIO = sys.stdout) -> None:
    """Serve the gateway the parsed options describe until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    gateway = gateway_from_args(args)
    async with gateway:
        if args.latency:
            for op in OPERATIONS:  # faults and latency are keyed by JSON path and SOAP name
                for key in (op.path, op.soap):
                    if key is not None:
                        gateway.set_latency(key, args.latency)
        print(f"nodesms fake gateway (Node API v1.8.3) at {gateway.base_url}", file=out)
        print(f"  username: {gateway.username}", file=out)
        print(f"  password: {gateway.password}", file=out)
        print(f"  senders: {', '.join(s.title for s in gateway.senders if s.status == 1)}"
              f" (OTP: {', '.join(sorted(gateway.otp_senders))})", file=out)  # fmt: skip
        print(f"  control API: {gateway.base_url}/_fake/", file=out)
        print("Press Ctrl-C to stop.", file=out, flush=True)
        await stop.wait()
    print("stopped", file=out, flush=True)
