"""Commands that need no account: ``gateway`` (the standalone fake) and ``demo``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import anyio

from .._demo import DEMO_RECIPIENTS, run_demo

__all__ = ["register"]


def register(commands: Any, debug: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``nodesms`` parser."""
    demo = commands.add_parser(
        "demo",
        parents=[debug],
        help="send an OTP, a campaign and 10,000 personalised messages to an embedded gateway",
    )
    demo.add_argument("--recipients", type=int, default=DEMO_RECIPIENTS, metavar="N")
    demo.set_defaults(local=_demo)

    # Every option of `python -m nodesms.testing`, by handing the rest of the command line to
    # it: one parser, so the two can never disagree (`nodesms gateway --help` shows them).
    gateway = commands.add_parser(
        "gateway",
        add_help=False,
        help="serve the embedded gateway standalone (the options of python -m nodesms.testing;"
        " see nodesms gateway --help)",
    )
    gateway.set_defaults(local=_gateway, passes_extra=True)


def _demo(args: argparse.Namespace) -> int:
    anyio.run(run_demo, sys.stdout, args.recipients)
    return 0


def _gateway(args: argparse.Namespace) -> int:
    from ..testing.__main__ import main as serve

    return serve(args.extra)
