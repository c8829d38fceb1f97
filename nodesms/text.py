"""How many SMS parts a text takes, and in which encoding it can go out.

Operators bill per part, so the count has to be exact. The rules follow 3GPP TS 23.038 and
TS 23.040:

- ``Encoding.DEFAULT``: the GSM 7-bit default alphabet, one septet per character; the
  characters of its extension table (``^ { } \\ [ ~ ] | €`` and form feed) take two septets
  (an escape and the character). 160 septets fit one SMS, 153 per part once split.
- ``Encoding.TURKISH``: the default alphabet with the Turkish national single shift table
  (national language identifier 1). It adds ``Ğ İ Ş ç ğ ı ş`` beside the extension characters,
  each two septets. The identifier travels in the user data header, so 155 septets fit one
  SMS and 149 fit each part of a split message.
- ``Encoding.UNICODE``: UCS-2, counted in UTF-16 code units: 70 fit one SMS, 67 per part. A
  character outside the Basic Multilingual Plane (most emoji) is a surrogate pair, two units.

A two-unit character (an escape pair or a surrogate pair) is never cut between two parts: when
only one unit is left in a part, the character starts the next one. A split message may
therefore need one part more than ``ceil(units / per_part)``.

``Ç Ö Ü ö ü`` are in the default alphabet; lowercase ``ç`` is not (only the Turkish shift table
has it). Anything else (Cyrillic, Arabic, typographic quotes, emoji, ...) needs UCS-2.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal, NamedTuple

import msgspec

from nodesms.enums import Encoding, EncodingValue
from nodesms.errors import ValidationError
from nodesms.models import Serialisable

__all__ = ["Segments", "fit_text", "resolve_encoding", "segments", "to_gsm"]


class Segments(msgspec.Struct, Serialisable, frozen=True):
    """How a text would travel: the result of :func:`segments`.

    Attributes:
        encoding: the encoding counted (the one ``"auto"`` chose, or the one you asked for).
        parts: how many SMS parts the text takes; operators bill each. An empty text is one
            part (the gateway still sends, and bills, one SMS).
        units: the length of the text on the air: septets for ``DEFAULT`` and ``TURKISH``
            (two for each extension or shift character), UTF-16 code units for ``UNICODE`` (two
            for each character outside the BMP, such as most emoji).
        per_part: units each part can hold: 160 / 155 / 70 when the text fits one part,
            153 / 149 / 67 when it is split (the rest of each part carries the header that
            joins the parts back together).
        characters: ``len(text)``: the number of Python characters (code points).
    """

    encoding: Encoding
    parts: int
    units: int
    per_part: int
    characters: int


# 3GPP TS 23.038 section 6.2.1, in septet order (0x00-0x7F), so it can be checked against the
# spec row by row. 0x1B is ESC: it announces the next septet as an extension character and is
# no character of its own, so a text holding U+001B cannot be sent as GSM (a phone would read
# it as an escape and swallow the character after it).
_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# Section 6.2.1.1, septet after ESC -> character. 0x0D (CR2) and 0x1B (SS2) are control codes
# with no character, so they are left out.
_DEFAULT_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

# Annex A.2.1, Turkish national language single shift table (identifier 1).
_TURKISH_SHIFT = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x47: "Ğ",
    0x49: "İ",
    0x53: "Ş",
    0x63: "ç",
    0x65: "€",
    0x67: "ğ",
    0x69: "ı",
    0x73: "ş",
}

_SINGLE = frozenset(_DEFAULT_ALPHABET) - {"\x1b"}
_DEFAULT_DOUBLE = tuple(_DEFAULT_EXTENSION.values())
_TURKISH_DOUBLE = tuple(_TURKISH_SHIFT.values())

_SINGLE_CAPACITY = {Encoding.DEFAULT: 160, Encoding.TURKISH: 155, Encoding.UNICODE: 70}
_SPLIT_CAPACITY = {Encoding.DEFAULT: 153, Encoding.TURKISH: 149, Encoding.UNICODE: 67}
_BY_VALUE = {int(encoding): encoding for encoding in Encoding}
_DEFAULT, _TURKISH, _UNICODE = Encoding.DEFAULT, Encoding.TURKISH, Encoding.UNICODE


def _char_class(chars: Iterable[str]) -> str:
    return "".join(re.escape(c) for c in sorted(chars))


_DEFAULT_CLASS = _char_class(_SINGLE | set(_DEFAULT_DOUBLE))
_TURKISH_CLASS = _char_class(_SINGLE | set(_TURKISH_DOUBLE))
# A negated character class is scanned in C: the first character a table lacks, without
# building anything per character.
_DEFAULT_UNFIT = re.compile(f"[^{_DEFAULT_CLASS}]")
_TURKISH_UNFIT = re.compile(f"[^{_TURKISH_CLASS}]")
# The same classes, repeated: the end of a match of the run is where the first character
# outside it is, found in one tight loop in C at half the cost of searching for it.
_DEFAULT_RUN = re.compile(f"[{_DEFAULT_CLASS}]*")
_TURKISH_RUN = re.compile(f"[{_TURKISH_CLASS}]*")
_TURKISH_DOUBLE_RE = re.compile(f"[{_char_class(_TURKISH_DOUBLE)}]")
_SURROGATE = re.compile("[\ud800-\udfff]")

# Pure-ASCII texts (most traffic) are checked with bytes.translate, which is several times faster
# than any str scan. The Turkish shift table adds no ASCII character, so for ASCII text the two
# GSM encodings can carry exactly the same characters at the same cost.
_ASCII_SINGLE = bytes(sorted(ord(c) for c in _SINGLE if c.isascii()))
_ASCII_DOUBLE = bytes(sorted(ord(c) for c in _DEFAULT_DOUBLE if c.isascii()))

# Marks where a surrogate pair starts, given the high byte of each UTF-16-LE code unit.
_HIGH_SURROGATE_MARK = bytes(1 if 0xD8 <= b <= 0xDB else 0 for b in range(256))
_PAIR_START = "\x01"

_ENCODING_NAMES = {
    Encoding.DEFAULT: "the GSM 7-bit default alphabet or its extension table",
    Encoding.TURKISH: "the GSM 7-bit default alphabet or the Turkish single shift table",
}


class _Scan(NamedTuple):
    encoding: Encoding
    units: int
    doubles: int


def segments(text: str, encoding: Encoding | EncodingValue | Literal["auto"] = "auto") -> Segments:
    """Count the SMS parts ``text`` takes.

    Args:
        text: the message content, exactly as it will be sent.
        encoding: ``Encoding.DEFAULT``, ``Encoding.TURKISH`` or ``Encoding.UNICODE`` (or its
            int, 0 / 1 / 2) to count in that encoding, or ``"auto"`` (the default) to count in
            the encoding a send with ``encoding="auto"`` would use: the one that takes the
            fewest parts, preferring ``DEFAULT``, then ``TURKISH``, then ``UNICODE`` on a tie.
            In practice that is ``DEFAULT`` if the text fits the default alphabet, else
            ``TURKISH`` if it fits the Turkish table, else ``UNICODE``.

    Returns:
        A :class:`Segments`; ``segments("")`` is one part of zero units.

    Raises:
        ValidationError: ``field="encoding"`` for an encoding that is none of the above;
            ``field="content"`` when the chosen encoding cannot carry a character of the
            text (the message names the character, its code point and its 0-based position),
            or, with ``"auto"``, when the text holds a lone surrogate, which no encoding can
            carry.

    >>> segments("Kodunuz: 482913")
    Segments(encoding=<Encoding.DEFAULT: 0>, parts=1, units=15, per_part=160, characters=15)
    >>> segments("Şifreniz: 482913").encoding
    <Encoding.TURKISH: 1>
    """
    scan = _scan(text, _coerce(encoding))
    single = _SINGLE_CAPACITY[scan.encoding]
    units = scan.units
    if units <= single:
        return Segments(scan.encoding, 1, units, single, len(text))
    per_part = _SPLIT_CAPACITY[scan.encoding]
    parts = -(-units // per_part)
    # Keeping a pair whole wastes at most one unit at each of the parts - 1 boundaries; only
    # when that much waste would not fit in the last part can it cost a part, and only then
    # is it worth finding where the pairs fall.
    if scan.doubles and units + parts - 1 > parts * per_part:
        parts = _split(units, per_part, _pair_marks(text, scan.encoding))
    return Segments(scan.encoding, parts, units, per_part, len(text))


def _parts_of(text: str, encoding: Encoding) -> int:
    """SMS parts of ``text`` in ``encoding``, for a text it can carry (what is about to be
    sent): the count behind campaigns and telemetry, without a :class:`Segments` for the
    short texts most messages are."""
    # No character takes more than two units (an escape pair, a surrogate pair): a text of at
    # most half a part's units fits one part. Only longer ones need segments() to count.
    if 2 * len(text) <= _SINGLE_CAPACITY[encoding]:
        return 1
    return segments(text, encoding).parts


def resolve_encoding(text: str, encoding: Encoding | EncodingValue | Literal["auto"]) -> Encoding:
    """Return the encoding a message with this text goes out in.

    ``"auto"`` becomes the cheapest encoding that carries the text (the rule of
    :func:`segments`); an explicit encoding (or its int) is returned as an :class:`Encoding`
    after checking that it can carry every character.

    Raises:
        ValidationError: exactly as :func:`segments` does.
    """
    # Called once per message of a bulk send: it only decides, and leaves the counting of
    # units (most of what segments() does) alone. Each step is one scan in C.
    want = None if isinstance(encoding, str) and encoding == "auto" else _coerce(encoding)
    if not isinstance(text, str):
        raise ValidationError(f"must be a str, not {type(text).__name__}", field="content")
    if want is not _UNICODE:
        unfit = _DEFAULT_RUN.match(text).end()  # type: ignore[union-attr]  # a run always matches
        if unfit == len(text):
            return _DEFAULT if want is None else want
        if want is _DEFAULT:
            raise _unfit_error(text, unfit, want)
        # Everything before it is in the default alphabet, which TURKISH carries too.
        unfit = _TURKISH_RUN.match(text, unfit).end()  # type: ignore[union-attr]
        if unfit == len(text):
            return _TURKISH
        if want is _TURKISH:
            raise _unfit_error(text, unfit, want)
    # UCS-2 carries every code point but a lone surrogate (a str holds no surrogate pairs).
    lone = _SURROGATE.search(text)
    if lone is not None:
        raise _unfit_error(text, lone.start(), want)
    return _UNICODE


def check_max_parts(text: str, encoding: Encoding, max_parts: int | None, field: str) -> None:
    """Refuse ``text`` when it takes more than ``max_parts`` SMS parts in ``encoding`` (every
    part is billed, for every recipient). ``None`` sets no limit."""
    if max_parts is None:
        return
    if isinstance(max_parts, bool) or not isinstance(max_parts, int) or max_parts < 1:
        raise ValidationError(f"must be an int >= 1, got {max_parts!r}", field="max_parts")
    parts = segments(text, encoding).parts
    if parts > max_parts:
        raise ValidationError(
            f"the text takes {parts} SMS parts in {encoding.name} ({len(text)} characters), "
            f"more than max_parts={max_parts}; each part is billed per recipient",
            field=field,
        )


def _coerce(encoding: object) -> Encoding | None:
    """The requested encoding, or ``None`` for ``"auto"``."""
    if isinstance(encoding, str):
        if encoding == "auto":
            return None
    elif isinstance(encoding, enum.IntEnum) and not isinstance(encoding, Encoding):
        # Imported here: _validate builds on this module (to_gsm), and this is the error path.
        from nodesms._validate import check_enum

        check_enum(encoding, Encoding, "encoding")  # refuses it, naming Encoding
    # True == 1, and Encoding(5) would succeed (unknown wire values become pseudo-members):
    # neither is a choice a caller makes on purpose.
    elif isinstance(encoding, int) and not isinstance(encoding, bool):
        chosen = _BY_VALUE.get(encoding)
        if chosen is not None:
            return chosen
    # The value is not echoed: a 4000-digit int has no repr, a str may be anything.
    raise ValidationError(
        "must be Encoding.DEFAULT, Encoding.TURKISH, Encoding.UNICODE (or 0, 1, 2) "
        f"or 'auto', not a {type(encoding).__name__} of another value",
        field="encoding",
    )


# Look-alikes the decomposition below does not find (dotless i has no base letter).
_LOOK_ALIKE = {"ı": "i"}
_UNFIT = {Encoding.DEFAULT: _DEFAULT_UNFIT, Encoding.TURKISH: _TURKISH_UNFIT}


def to_gsm(text: str) -> str:
    """``text`` with what the GSM 7-bit default alphabet cannot carry replaced.

    Turkish letters become their look-alikes (``ç→c ğ→g ı→i İ→I ş→s Ğ→G Ş→S``; ``Ç Ö Ü ö ü``
    are in the alphabet and stay), other accents are dropped (``â→a``), and anything else
    becomes ``?`` (one per character: an emoji is one ``?``). This is what a send with
    ``encoding=Encoding.DEFAULT`` does to its text, and what real gateways do on the air.

    >>> to_gsm("Doğrulama kodunuz: 4829 ✓")
    'Dogrulama kodunuz: 4829 ?'
    """
    return fit_text(text, Encoding.DEFAULT)[0]


def fit_text(
    text: str, encoding: Encoding | int | Literal["auto"] = "auto"
) -> tuple[str, Encoding, int]:
    """``text`` as a send with ``encoding`` carries it: the text, its encoding, and how many
    characters were replaced.

    ``"auto"`` picks the encoding (:func:`resolve_encoding`) and never changes a character.
    ``DEFAULT`` and ``TURKISH`` replace what their tables lack (see :func:`to_gsm`; the
    Turkish table keeps Turkish letters), as production gateways do. ``UNICODE`` carries
    every character but a lone surrogate.

    Raises:
        ValidationError: a bad ``encoding``; a lone surrogate with ``"auto"`` or ``UNICODE``.
    """
    want = _coerce(encoding)
    if want is None or want is Encoding.UNICODE:
        return text, resolve_encoding(text, want or "auto"), 0
    if not isinstance(text, str):
        raise ValidationError(f"must be a str, not {type(text).__name__}", field="content")
    unfit = _UNFIT[want]
    if unfit.search(text) is None:
        return text, want, 0
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        char = match.group()
        alike = _LOOK_ALIKE.get(char)
        if alike is None:
            alike = "".join(
                c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
            )
        return alike if alike and unfit.search(alike) is None else "?"

    return unfit.sub(replace, text), want, count


def _scan(text: str, want: Encoding | None) -> _Scan:
    """Pick (``want is None``) or check the encoding, and measure the text in it.

    Auto tries DEFAULT, TURKISH, UNICODE in that order and takes the first that carries the
    text. That first one is also the cheapest: a text that fits DEFAULT costs the same units
    in TURKISH, which has less room per part; a text that fits TURKISH takes at most two
    septets a character, so at least 74 characters a part against UCS-2's 67 (77 against 70
    in one part).
    """
    if not isinstance(text, str):
        raise ValidationError(f"must be a str, not {type(text).__name__}", field="content")
    if want is Encoding.UNICODE:
        return _scan_ucs2(text, want)
    gsm = Encoding.DEFAULT if want is None else want
    if text.isascii():
        doubles = text.encode("ascii").translate(None, _ASCII_SINGLE)
        if not doubles.translate(None, _ASCII_DOUBLE):
            return _Scan(gsm, len(text) + len(doubles), len(doubles))
        # Some ASCII character no GSM table has: the general path below finds and names it.
    unfit = _DEFAULT_UNFIT.search(text)
    if unfit is None:
        count = sum(map(text.count, _DEFAULT_DOUBLE))
        return _Scan(gsm, len(text) + count, count)
    if want is Encoding.DEFAULT:
        raise _unfit_error(text, unfit.start(), want)
    # Everything before the first misfit is in the default alphabet, which the Turkish
    # encoding carries too: resume the scan there.
    unfit = _TURKISH_UNFIT.search(text, unfit.start())
    if unfit is None:
        count = sum(map(text.count, _TURKISH_DOUBLE))
        return _Scan(Encoding.TURKISH, len(text) + count, count)
    if want is Encoding.TURKISH:
        raise _unfit_error(text, unfit.start(), want)
    return _scan_ucs2(text, None)


def _scan_ucs2(text: str, want: Encoding | None) -> _Scan:
    try:
        units = len(text.encode("utf-16-le")) // 2
    except UnicodeEncodeError as exc:
        # Only a lone surrogate (from a bad decode upstream) cannot be encoded.
        raise _unfit_error(text, exc.start, want) from None
    return _Scan(Encoding.UNICODE, units, units - len(text))


def _unfit_error(text: str, position: int, want: Encoding | None) -> ValidationError:
    char = text[position]
    shown = f"{char!r} (U+{ord(char):04X}) at position {position} (counting from 0)"
    if want is None or want is Encoding.UNICODE or "\ud800" <= char <= "\udfff":
        # UCS-2 carries every code point but a lone surrogate, so that is the only way here.
        reason = (
            f"{shown} is a lone surrogate, which no SMS encoding can carry; "
            "the text was probably decoded wrongly upstream"
        )
    else:
        reason = (
            f"{shown} is not in {_ENCODING_NAMES[want]}, so encoding=Encoding.{want.name} "
            "cannot carry it; use encoding='auto' (or Encoding.UNICODE)"
        )
    return ValidationError(reason, field="content")


def _pair_marks(text: str, encoding: Encoding) -> str | bytes:
    """One item per unit of the encoded text, equal to ``_PAIR_START`` (or 1) where a
    two-unit character begins."""
    if encoding is Encoding.UNICODE:
        return text.encode("utf-16-le")[1::2].translate(_HIGH_SURROGATE_MARK)
    # U+0001 is in no GSM table, so it cannot be confused with a character of the text. The
    # Turkish set of two-septet characters is a superset of the default one, and a text carried
    # by DEFAULT holds none of the extra ones: one pattern serves both encodings.
    return _TURKISH_DOUBLE_RE.sub(_PAIR_START + "\x00", text)


def _split(units: int, per_part: int, marks: str | bytes) -> int:
    """Parts for a split message, filled greedily without cutting a two-unit character."""
    parts, start = 1, 0
    while units - start > per_part:
        end = start + per_part
        if marks[end - 1] in (1, _PAIR_START):
            end -= 1
        start = end
        parts += 1
    return parts
