"""Column-wise checks: one scan decides for a whole batch of personalised messages.

A bulk send checks every message: its number, the encoding its text needs, its SMS parts.
Message by message, that is a dozen Python calls and a regex scan each, most of the client's
CPU in a campaign. Most batches are uniform, though: numbers already in the canonical
``905xxxxxxxxx`` form, texts that one table carries as they are, no xid or valid ones. For such
a batch, :func:`columns` takes the fields out with C-level maps and :func:`decide` checks every
number with one match over the joined numbers and every text with one scan over the joined
texts.

:func:`decide` only ever says yes to a batch that the per-message checks would pass unchanged,
with the same package encoding; for anything else (a number to normalise, a text to replace or
refuse, a bad xid, a lone surrogate) it returns ``None``, and the caller checks message by
message, which finds, names and reports each problem as before. The fast path decides sooner,
never differently (``tests/test_columns.py`` checks that on generated batches).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import attrgetter
from typing import Any, TypeAlias

import msgspec

from ._rules import XID_MAX_LENGTH
from .enums import Encoding
from .errors import ValidationError
from .models import Message
from .text import _ASCII_DOUBLE, _ASCII_SINGLE, _SINGLE_CAPACITY, _parts_of, resolve_encoding

__all__ = ["Column", "columns", "decide", "parts"]

Column: TypeAlias = Sequence[Any]
"""One field of a batch's items, as given: only :func:`decide` says what they hold."""

# What normalize_number returns unchanged, for n numbers joined with "\n": exactly n
# 12-character runs of ASCII digits, each starting 905 (with the length checked too, an item
# holding "\n" cannot pass for two).
_CANONICAL_COLUMN = re.compile(r"905[0-9]{9}(?:\n905[0-9]{9})*")
_CANONICAL_LENGTH = 13  # twelve digits and the separator
# ASCII characters both GSM tables carry: deleting them (bytes.translate, one pass in C)
# leaves what decides the encoding, usually a few letters per text.
_ASCII_CARRIED = _ASCII_SINGLE + _ASCII_DOUBLE
_ASCII_UNCARRIED = tuple(bytes([b]) for b in range(0x20, 0x80) if b not in _ASCII_CARRIED)

_JSON = msgspec.json.Encoder()
_NUMBER = attrgetter("number")
_TEXT = attrgetter("text")
_XID = attrgetter("xid")


def columns(batch: list[object]) -> tuple[Column, Column, Column | None] | None:
    """``(numbers, texts, xids)`` of a batch of only :class:`~nodesms.Message` s or only
    ``(number, text)`` pairs (``xids`` is ``None`` for pairs); ``None`` for any other batch."""
    kinds = set(map(type, batch))
    if kinds == {Message}:
        return list(map(_NUMBER, batch)), list(map(_TEXT, batch)), list(map(_XID, batch))
    if kinds == {tuple} and set(map(len, batch)) == {2}:  # type: ignore[arg-type]
        numbers, texts = zip(*batch, strict=True)
        return numbers, texts, None
    return None


def decide(
    numbers: Column, texts: Column, xids: Column | None, want: Encoding | None
) -> Encoding | None:
    """The encoding of a package of these messages, when every number is canonical, every
    xid valid, and every text non-blank and carried unchanged (``want``: the encoding asked
    for, ``None`` for "auto", which takes the cheapest that carries every text); ``None`` when
    any message needs the per-message checks."""
    if not numbers or set(map(type, texts)) != {str}:
        return None
    try:
        joined_numbers = "\n".join(numbers)
    except TypeError:  # a number that is not a str
        return None
    if (
        len(joined_numbers) != _CANONICAL_LENGTH * len(numbers) - 1
        or not _CANONICAL_COLUMN.fullmatch(joined_numbers)
        or not all(map(str.strip, texts))  # a blank text
        or (xids is not None and not _valid_xids(xids))
    ):
        return None
    try:
        return resolve_encoding(_outside_ascii(texts), "auto" if want is None else want)
    except (UnicodeError, ValidationError):  # a lone surrogate, or a text to replace
        return None


def _outside_ascii(texts: Sequence[str]) -> str:
    """The characters of ``texts`` that are not ASCII both GSM tables carry (in some order,
    with some of the ASCII ones kept): they alone decide the encoding."""
    # Encoded as the body will be: msgspec keeps each text's UTF-8 form in the str, and the
    # body's encoding reuses it. The JSON around the texts ([ " , ]) is carried ASCII; an
    # escape (a quote, a backslash or a control character in a text) would hide what it
    # stands for, so then the texts themselves are encoded.
    encoded = _JSON.encode(texts)
    if b"\\" in encoded:
        encoded = "\n".join(texts).encode("utf-8")
    elif encoded.isascii() and not any(char in encoded for char in _ASCII_UNCARRIED):
        return ""  # ASCII texts (no control character: that would be escaped): all carried
    # Deleting ASCII bytes never cuts a multi-byte UTF-8 sequence: the rest still decodes.
    return encoded.translate(None, _ASCII_CARRIED).decode("utf-8")


def _valid_xids(xids: Column) -> bool:
    if xids.count(None) == len(xids):
        return True
    if None in xids:
        return False  # some with, some without: left to the per-message checks
    try:
        "".join(xids)
    except TypeError:
        return False
    lengths = list(map(len, xids))
    return min(lengths) > 0 and max(lengths) <= XID_MAX_LENGTH


def parts(texts: Sequence[str], encoding: Encoding) -> list[int]:
    """SMS parts of each text in ``encoding`` (which carries them all)."""
    # No character takes more than two units: texts of at most half a part's units fit one
    # part each, the common case, counted without looking at any of them.
    if 2 * max(map(len, texts)) <= _SINGLE_CAPACITY[encoding]:
        return [1] * len(texts)
    return [_parts_of(text, encoding) for text in texts]
