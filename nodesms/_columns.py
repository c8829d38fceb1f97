"""Column-wise checks: one scan decides for a whole batch of personalised messages.

A bulk send checks every message: its number, the encoding its text needs, its SMS parts.
Message by message, that is a dozen Python calls and a regex scan each, most of the client's
CPU in a campaign. Most batches are uniform, though: numbers already in the canonical
``905xxxxxxxxx`` form, texts that one table carries as they are, no xid or valid ones. For such
a batch, :func:`columns` reads the fields out, :func:`decide` checks every number with a few
C passes over the numbers' JSON encoding and every text with one scan over theirs, and
:func:`wire` gives the items to send: a batch of :class:`~nodesms.Message` s is sent as it is
(it encodes with the gateway's names).

:func:`decide` only ever says yes to a batch that the per-message checks would pass unchanged,
with the same package encoding; for anything else (a number to normalise, a text to replace or
refuse, a bad xid, a lone surrogate, a str subclass) it returns ``None``, and the caller
checks message by message, which finds, names and reports each problem as before. The fast
path decides sooner, never differently (``tests/test_columns.py`` checks that on generated
batches).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias, cast

import msgspec

from ._rules import XID_MAX_LENGTH
from .enums import Encoding
from .errors import ValidationError
from .models import Message
from .text import _ASCII_DOUBLE, _ASCII_SINGLE, _SINGLE_CAPACITY, _parts_of, resolve_encoding

__all__ = ["Column", "columns", "decide", "parts", "wire"]

Column: TypeAlias = Sequence[Any]
"""One field of a batch's items, as given: only :func:`decide` says what they hold."""

_CANONICAL_LENGTH = 12  # "905" and nine digits: what normalize_number returns unchanged
# ASCII characters both GSM tables carry: deleting them (bytes.translate, one pass in C)
# leaves what decides the encoding, usually a few letters per text.
_ASCII_CARRIED = _ASCII_SINGLE + _ASCII_DOUBLE
_ASCII_UNCARRIED = tuple(bytes([b]) for b in range(0x20, 0x80) if b not in _ASCII_CARRIED)

_JSON = msgspec.json.Encoder()


def columns(batch: list[object]) -> tuple[Column, Column, Column | None] | None:
    """``(numbers, texts, xids)`` of a batch of only :class:`~nodesms.Message` s or only
    ``(number, text)`` pairs (``xids`` is ``None`` for pairs); ``None`` for any other batch."""
    kinds = set(map(type, batch))
    if kinds == {Message}:
        # Comprehensions, not map(attrgetter(...)): the interpreter specialises a field read
        # on a known type, at under half the instructions of a getattr call per item.
        messages = cast("list[Message]", batch)
        return (
            [m.number for m in messages],
            [m.text for m in messages],
            [m.xid for m in messages],
        )
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
    try:
        if (
            not numbers
            or not _canonical(numbers)
            or not all(map(str.strip, texts))  # a blank text (TypeError: not a str)
            or (xids is not None and not _valid_xids(xids))
        ):
            return None
        # TypeError: a str subclass; UnicodeError: a lone surrogate, which UTF-8 lacks;
        # ValidationError: a text the table asked for must change.
        return resolve_encoding(_outside_ascii(texts), "auto" if want is None else want)
    except (TypeError, UnicodeError, ValidationError):
        return None


def wire(batch: list[object], numbers: Column, texts: Column) -> list[Message]:
    """The items to send for a batch :func:`decide` passed: a batch of
    :class:`~nodesms.Message` s as it is, anything else (pairs, bare numbers) made into
    messages."""
    if type(batch[0]) is Message:  # columns() found the batch all Messages
        return cast("list[Message]", batch)
    return list(map(Message, numbers, texts))


def _canonical(numbers: Column) -> bool:
    """Whether every number is a str of ``"905"`` and nine ASCII digits (what
    normalize_number returns unchanged), checked with C passes over their JSON encoding."""
    count = len(numbers)
    try:
        "".join(numbers)  # a number that is not a str (JSON writes a Decimal as a string)
        encoded = _JSON.encode(numbers)  # a str subclass, which is sent as a plain str
    except TypeError:
        return False
    # Each number is '"905xxxxxxxxx",' in the encoding: 15 bytes, with its quotes in step.
    step = _CANONICAL_LENGTH + 3
    return (
        len(encoded) == step * count + 1
        and encoded[1::step] == encoded[step - 1 :: step] == b'"' * count
        and encoded[2::step] == b"9" * count
        and encoded[3::step] == b"0" * count
        and encoded[4::step] == b"5" * count
        and encoded[2:-2].replace(b'","', b"").isdigit()  # bytes: ASCII digits only
    )


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
    if set(map(type, xids)) != {str}:
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
