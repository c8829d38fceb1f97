"""Helpers shared by the benchmark scripts: sizes, repeats, tables, the machine's description.

Sizes scale with ``NODESMS_BENCH_SCALE`` (``python -m benchmarks --quick`` sets 0.1) and the
number of repeated runs with ``NODESMS_BENCH_REPEAT``; every script also takes ``--scale`` and
``--repeat`` (which set the same variables, so child processes see them too).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import statistics
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "ROOT",
    "add_common_args",
    "apply_common_args",
    "describe_machine",
    "machine",
    "median",
    "median_range",
    "repeats",
    "scale",
    "scaled",
    "table",
]

ROOT = Path(__file__).resolve().parent.parent
"""The checkout: benchmarks run against the nodesms next to them, installed or not."""

SCALE_ENV = "NODESMS_BENCH_SCALE"
REPEAT_ENV = "NODESMS_BENCH_REPEAT"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def scale() -> float:
    """The size factor (1.0 = the published sizes)."""
    return float(os.environ.get(SCALE_ENV) or 1.0)


def scaled(size: int, minimum: int = 1) -> int:
    """``size`` times the scale factor, at least ``minimum``."""
    return max(minimum, round(size * scale()))


def repeats(default: int) -> int:
    """Repeated runs per measurement (medians are reported)."""
    return max(1, int(os.environ.get(REPEAT_ENV) or default))


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """``--scale`` and ``--repeat``; parse with :func:`apply_common_args` afterwards."""
    parser.add_argument(
        "--scale", type=float, default=None, help=f"size factor (env {SCALE_ENV}, default 1)"
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help=f"runs per measurement (env {REPEAT_ENV})"
    )


def apply_common_args(args: argparse.Namespace) -> None:
    """Export ``--scale`` / ``--repeat`` to the environment (child processes inherit it)."""
    if args.scale is not None:
        os.environ[SCALE_ENV] = str(args.scale)
    if args.repeat is not None:
        os.environ[REPEAT_ENV] = str(args.repeat)


def median(values: Iterable[float]) -> float:
    """The median of the values."""
    return statistics.median(list(values))


def median_range(values: Iterable[float], digits: int = 0, unit: str = "") -> str:
    """``"median (min-max)"`` of the values, e.g. ``"362 (351-380)"``; one value alone."""
    values = list(values)
    mid = f"{statistics.median(values):,.{digits}f}{unit}"
    if len(values) < 2:
        return mid
    return f"{mid} ({min(values):,.{digits}f}-{max(values):,.{digits}f}{unit})"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A markdown table; columns after the first are right-aligned."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    from nodesms import __version__

    libraries = ["aiohttp", "msgspec", "pydantic", "httpx", "requests", "zeep", "lxml"]
    return {
        "date": datetime.date.today().isoformat(),
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "nodesms": __version__,
        **{name: _version(name) for name in libraries},
    }


def describe_machine() -> str:
    """One line for the top of a report."""
    info = machine()
    libs = ", ".join(
        f"{name} {info[name]}"
        for name in ("nodesms", "aiohttp", "msgspec", "pydantic", "httpx", "requests", "zeep")
    )
    return (
        f"{info['date']}; {info['cpus']} × {info['cpu']}; Python {info['python']} "
        f"({info['os']}); {libs}"
    )
