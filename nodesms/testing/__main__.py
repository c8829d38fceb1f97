"""``python -m nodesms.testing``: serve the fake gateway standalone (options: ``--help``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence

from nodesms.testing._standalone import add_gateway_arguments, serve

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the standalone gateway; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m nodesms.testing",
        description="Serve a fake Node API v1.8.3 SMS gateway (with a control API under "
        "/_fake/) until Ctrl-C.",
    )
    add_gateway_arguments(parser)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
