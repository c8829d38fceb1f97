"""The ``nodesms`` command: ``nodesms demo`` and ``nodesms gateway``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import anyio

from ._demo import DEMO_RECIPIENTS, run_demo
from ._version import __version__

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nodesms`` command."""
    parser = argparse.ArgumentParser(prog="nodesms", description="nodesms command line")
    parser.add_argument("--version", action="version", version=f"nodesms {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="send OTP, campaign and 10,000 personalised messages to an embedded gateway"
    )
    demo.add_argument("--recipients", type=int, default=DEMO_RECIPIENTS)
    gateway = commands.add_parser("gateway", help="serve the embedded gateway (like python -m "
                                  "nodesms.testing)")  # fmt: skip
    gateway.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "demo":
        anyio.run(run_demo, sys.stdout, args.recipients)
        return 0
    from .testing.__main__ import main as serve

    return serve(args.args)
