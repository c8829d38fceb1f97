"""The command line: global options, the client, and how failures are reported.

argparse (the standard library) rather than click or typer: the command needs nothing they
add, nodesms keeps its runtime dependencies to the five in DESIGN.md, and the standalone
gateway's options (``python -m nodesms.testing``) are already argparse.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import anyio

from .._client import Client
from .._config import ENV_BASE_URL, ENV_PASSWORD, ENV_USERNAME
from .._logging import attach_stderr_handler
from .._version import __version__
from ..errors import NodeSMSError
from ._output import Format, RecordWriter

__all__ = ["CommandError", "Context", "Handler", "UsageError", "main"]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by it


class UsageError(Exception):
    """A mistake on the command line found after parsing (reported like argparse's own)."""


class CommandError(Exception):
    """A command could not do its work for a reason the message says (exit status 1)."""


@dataclass
class Context:
    """What a command needs besides its arguments."""

    args: argparse.Namespace
    out: TextIO
    fmt: Format

    def writer(self, columns: Sequence[tuple[str, str]], *, lines: bool = False) -> RecordWriter:
        """A writer in the chosen format; ``lines`` makes ``--json`` one object per line."""
        fmt: Format = "jsonl" if lines and self.fmt == "json" else self.fmt
        return RecordWriter(self.out, fmt, columns)


Handler = Callable[[Client, Context], Awaitable[int | None]]
LocalHandler = Callable[[argparse.Namespace], int]


def _common_options() -> argparse.ArgumentParser:
    # Accepted before and after the command name (`nodesms --json packages` and `nodesms
    # packages --json`): SUPPRESS keeps the sub-parser from resetting what the main one read.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    account = common.add_argument_group("account (the password comes from $NODESMS_PASSWORD or "
                                        "a prompt, never from a flag)")  # fmt: skip
    account.add_argument("--base-url", help=f"the gateway's address (default ${ENV_BASE_URL})")
    account.add_argument("--username", help=f"API user name (default ${ENV_USERNAME})")
    account.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="time limit of each call (default 30)"
    )
    output = common.add_argument_group("output")
    shape = output.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="JSON for scripts")
    shape.add_argument("--csv", action="store_true", help="CSV with a header line")
    output.add_argument(
        "--debug", action="store_true", help="log requests and show tracebacks on errors"
    )
    return common


def _debug_option() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    parent.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The ``nodesms`` parser with every command."""
    from . import _campaign, _contacts, _local, _sms

    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="nodesms",
        description="Send and follow SMS through a Node API v1.8.3 gateway, or run the "
        "embedded one.",
        parents=[common],
        epilog="Configure with NODESMS_BASE_URL, NODESMS_USERNAME and NODESMS_PASSWORD "
        "(or --base-url / --username; the password is asked for when not set).",
    )
    parser.add_argument("--version", action="version", version=f"nodesms {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (_sms, _contacts, _campaign):
        module.register(commands, common)
    _local.register(commands, _debug_option())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nodesms`` command; returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passes_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    debug = bool(getattr(args, "debug", False))
    if debug:
        attach_stderr_handler(logging.DEBUG)
    try:
        local: LocalHandler | None = getattr(args, "local", None)
        if local is not None:
            return local(args)
        client = make_client(args)  # before the event loop: it may prompt for the password
        return anyio.run(_run_command, client, args)
    except BrokenPipeError:
        # The reader went away (`nodesms items 42 | head`): stop quietly, as Unix tools do,
        # and keep the interpreter's last flush from complaining about stdout.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("nodesms: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"nodesms: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # one line for people; the traceback with --debug
        if debug:
            traceback.print_exc()
        print(f"nodesms: {describe(exc)}", file=sys.stderr)
        return EXIT_ERROR


def describe(exc: BaseException) -> str:
    """One line naming the failure: the exception's class and its message."""
    message = " ".join(str(exc).split()) or "no details"
    if isinstance(exc, CommandError):
        return f"error: {message}"
    if isinstance(exc, NodeSMSError):
        return f"{type(exc).__name__}: {message}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__}: {exc.filename or message}"
    return f"unexpected {type(exc).__name__}: {message} (run with --debug for the traceback)"


async def _run_command(client: Client, args: argparse.Namespace) -> int:
    handler: Handler = args.handler
    fmt: Format = "json" if getattr(args, "json", False) else "csv" if getattr(
        args, "csv", False) else "table"  # fmt: skip
    context = Context(args=args, out=sys.stdout, fmt=fmt)
    async with client:
        status = await handler(client, context)
    return 0 if status is None else status


def make_client(args: argparse.Namespace) -> Client:
    """The client from the options, the ``NODESMS_*`` variables and, last, a prompt."""
    base_url = getattr(args, "base_url", None) or os.environ.get(ENV_BASE_URL)
    username = getattr(args, "username", None) or os.environ.get(ENV_USERNAME)
    if not base_url:
        raise UsageError(f"give --base-url or set {ENV_BASE_URL}")
    if not username:
        raise UsageError(f"give --username or set {ENV_USERNAME}")
    password = os.environ.get(ENV_PASSWORD)
    if password is None:
        password = _prompt_password(username)
    options: dict[str, Any] = {}
    if getattr(args, "timeout", None) is not None:
        options["timeout"] = args.timeout
    return Client(base_url, username, password, **options)


def _prompt_password(username: str) -> str:
    if not sys.stdin.isatty():
        raise UsageError(f"set {ENV_PASSWORD} (no terminal to ask for {username}'s password on)")
    return getpass.getpass(f"password for {username}: ")
