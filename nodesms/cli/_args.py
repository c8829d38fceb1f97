"""Turning command-line text into the library's types: dates, enum members, number lists."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from pathlib import Path
from typing import TypeVar

from .._dates import parse_iso
from ._app import UsageError

__all__ = ["choice_of", "numbers", "read_lines", "when"]

E = TypeVar("E", bound=IntEnum)

_RELATIVE = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def when(text: str) -> datetime:
    """``--since`` and friends: ``90m``, ``24h``, ``7d``, ``2w`` ago, or a date and time.

    A date or time without a zone (``2026-11-30``, ``2026-11-30 14:00``) is the gateway's
    local time, as everywhere in nodesms; relative times are exact instants.
    """
    value = text.strip()
    relative = _RELATIVE.fullmatch(value)
    if relative is not None:
        amount, unit = relative.groups()
        return datetime.now(timezone.utc) - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        return parse_iso(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected e.g. 7d, 24h, 90m, 2026-11-30 or '2026-11-30 14:00'"
        ) from None


def choice_of(enum_type: type[E]) -> Callable[[str], E]:
    """An argparse ``type=`` taking an enum member by name, any case, ``-`` for ``_``."""
    by_name = {member.name.lower(): member for member in enum_type}

    def parse(text: str) -> E:
        member = by_name.get(text.strip().lower().replace("-", "_"))
        if member is None:
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected one of {', '.join(names(enum_type))}"
            )
        return member

    parse.__name__ = enum_type.__name__  # argparse names the type in its messages
    return parse


def names(enum_type: type[IntEnum]) -> list[str]:
    """The spellings :func:`choice_of` shows in help texts."""
    return [member.name.lower().replace("_", "-") for member in enum_type]


def read_lines(path: str) -> Iterator[str]:
    """Non-empty, non-comment lines of a file (``-`` is standard input), stripped."""
    lines: Iterable[str] = (
        sys.stdin if path == "-" else Path(path).read_text(encoding="utf-8-sig").splitlines()
    )
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def numbers(given: Sequence[str], file: str | None, option: str) -> list[str]:
    """Numbers from the arguments, then from ``file`` (one a line); at least one."""
    found = list(given)
    if file:
        found.extend(read_lines(file))
    if not found:
        raise UsageError(f"give at least one NUMBER or {option}")
    return found
