"""SMS part counting (nodesms.text) against the 3GPP TS 23.038 / 23.040 rules.

The property tests compare the library with a deliberately naive model written here from the
spec tables: one cost per character, parts filled one character at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodesms.enums import Encoding
from nodesms.errors import ValidationError
from nodesms.text import Segments, resolve_encoding, segments

DEFAULT, TURKISH, UNICODE = Encoding.DEFAULT, Encoding.TURKISH, Encoding.UNICODE
ORDER = (DEFAULT, TURKISH, UNICODE)

# TS 23.038 6.2.1 without ESC (0x1B), which is no character of its own.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"  # 6.2.1.1
TURKISH_ONLY = "ĞİŞçğış"  # A.2.1, beside the extension characters
OUTSIDE_GSM = "`\x1b\x00\t’“ЖЯ中ÿ\u00a0"
ASTRAL = "😀🇹👍🏽𝄞"
EMOJI = "😀"

SINGLE = {DEFAULT: 160, TURKISH: 155, UNICODE: 70}
SPLIT = {DEFAULT: 153, TURKISH: 149, UNICODE: 67}


def cost(char: str, encoding: Encoding) -> int | None:
    """Units one character takes, or None when the encoding cannot carry it."""
    if encoding is UNICODE:
        if "\ud800" <= char <= "\udfff":
            return None
        return 2 if ord(char) > 0xFFFF else 1
    if char in GSM_BASIC:
        return 1
    if char in GSM_EXTENSION or (encoding is TURKISH and char in TURKISH_ONLY):
        return 2
    return None


def model(text: str, encoding: Encoding) -> tuple[int, int, int] | int:
    """(parts, units, per_part), or the index of the first character that does not fit."""
    costs = []
    for index, char in enumerate(text):
        c = cost(char, encoding)
        if c is None:
            return index
        costs.append(c)
    units = sum(costs)
    if units <= SINGLE[encoding]:
        return 1, units, SINGLE[encoding]
    per_part = SPLIT[encoding]
    parts, used = 1, 0
    for c in costs:
        if used + c > per_part:
            parts, used = parts + 1, 0
        used += c
    return parts, units, per_part


# --- boundaries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "length", "parts", "per_part"),
    [
        (DEFAULT, 1, 1, 160),
        (DEFAULT, 160, 1, 160),
        (DEFAULT, 161, 2, 153),
        (DEFAULT, 306, 2, 153),
        (DEFAULT, 307, 3, 153),
        (DEFAULT, 459, 3, 153),
        (DEFAULT, 460, 4, 153),
        (TURKISH, 155, 1, 155),
        (TURKISH, 156, 2, 149),
        (TURKISH, 298, 2, 149),
        (TURKISH, 299, 3, 149),
        (TURKISH, 447, 3, 149),
        (TURKISH, 448, 4, 149),
        (UNICODE, 70, 1, 70),
        (UNICODE, 71, 2, 67),
        (UNICODE, 134, 2, 67),
        (UNICODE, 135, 3, 67),
        (UNICODE, 201, 3, 67),
        (UNICODE, 202, 4, 67),
    ],
)
def test_single_unit_boundaries(encoding: Encoding, length: int, parts: int, per_part: int) -> None:
    result = segments("a" * length, encoding)
    assert result == Segments(encoding, parts, length, per_part, length)


@pytest.mark.parametrize(
    ("length", "parts", "per_part"),
    [(80, 1, 160), (81, 2, 153), (152, 2, 153), (153, 3, 153), (228, 3, 153), (229, 4, 153)],
)
def test_euro_costs_two_septets_and_is_never_cut(length: int, parts: int, per_part: int) -> None:
    # 153 is odd: a part of escape pairs holds 76 of them and wastes its last septet.
    result = segments("€" * length, DEFAULT)
    assert (result.parts, result.units, result.per_part) == (parts, 2 * length, per_part)


@pytest.mark.parametrize(
    ("text", "units", "parts"),
    [
        ("ş" * 77, 154, 1),
        ("ş" * 77 + "a", 155, 1),
        ("ş" * 78, 156, 2),
        ("ş" * 148, 296, 2),
        ("ş" * 149, 298, 3),
    ],
)
def test_turkish_shift_letters_cost_two_septets(text: str, units: int, parts: int) -> None:
    result = segments(text, TURKISH)
    assert (result.units, result.parts) == (units, parts)


@pytest.mark.parametrize(
    ("encoding", "text", "units", "parts"),
    [
        # The pair's first half would be the last unit of part 1: it moves to part 2, and the
        # text needs 3 parts though ceil(units / per_part) is 2.
        pytest.param(DEFAULT, "a" * 152 + "{" + "a" * 152, 306, 3, id="default-moved"),
        pytest.param(DEFAULT, "a" * 151 + "{" + "a" * 153, 306, 2, id="default-fits"),
        pytest.param(DEFAULT, "a" * 152 + "{" + "a" * 10, 164, 2, id="default-moved-short"),
        pytest.param(TURKISH, "a" * 148 + "ş" + "a" * 148, 298, 3, id="turkish-moved"),
        pytest.param(TURKISH, "a" * 147 + "ş" + "a" * 149, 298, 2, id="turkish-fits"),
        pytest.param(TURKISH, "a" * 148 + "€" + "a" * 148, 298, 3, id="turkish-euro-moved"),
        pytest.param(UNICODE, "a" * 66 + EMOJI + "a" * 66, 134, 3, id="ucs2-moved"),
        pytest.param(UNICODE, "a" * 65 + EMOJI + "a" * 67, 134, 2, id="ucs2-fits"),
        pytest.param(UNICODE, "a" * 66 + EMOJI + "a" * 10, 78, 2, id="ucs2-moved-short"),
        # At the second boundary (unit 306): 305 septets, then the pair.
        pytest.param(DEFAULT, "a" * 305 + "}" + "a" * 152, 459, 4, id="default-moved-2nd"),
        pytest.param(DEFAULT, "a" * 304 + "}" + "a" * 153, 459, 3, id="default-fits-2nd"),
        pytest.param(DEFAULT, "a" * 305 + "}" + "a" * 151, 458, 3, id="default-moved-2nd-fits"),
    ],
)
def test_two_unit_character_is_never_split(
    encoding: Encoding, text: str, units: int, parts: int
) -> None:
    result = segments(text, encoding)
    assert (result.units, result.parts, result.per_part) == (units, parts, SPLIT[encoding])


def test_pair_straddling_single_part_limit_just_splits() -> None:
    # 159 + 2 = 161 septets: too long for one part whatever the pair does.
    assert segments("a" * 159 + "€", DEFAULT).parts == 2
    assert segments("a" * 158 + "€", DEFAULT).parts == 1


def test_empty_text_is_one_part_of_zero_units() -> None:
    assert segments("") == Segments(DEFAULT, 1, 0, 160, 0)
    assert segments("", UNICODE) == Segments(UNICODE, 1, 0, 70, 0)
    assert resolve_encoding("", "auto") is DEFAULT


def test_every_default_alphabet_character_is_one_septet() -> None:
    assert len(GSM_BASIC) == 127
    for char in GSM_BASIC:
        assert segments(char, DEFAULT).units == 1, repr(char)
        assert segments(char, TURKISH).units == 1, repr(char)
    for char in GSM_EXTENSION:
        assert segments(char, DEFAULT).units == 2, repr(char)
        assert segments(char, TURKISH).units == 2, repr(char)
    for char in TURKISH_ONLY:
        assert segments(char, TURKISH).units == 2, repr(char)
        assert segments(char).encoding is TURKISH, repr(char)


def test_emoji_is_two_ucs2_units() -> None:
    assert segments(EMOJI) == Segments(UNICODE, 1, 2, 70, 1)
    assert segments(EMOJI * 35).parts == 1
    assert segments(EMOJI * 36).parts == 2


# --- auto -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your code is 482913", DEFAULT),
        ("Price: 5€ {promo} [x] ~ | \\ ^", DEFAULT),
        ("Çok güzel, Öykü!", DEFAULT),  # Ç ü Ö are in the default alphabet
        ("café niño über Ångström", DEFAULT),
        ("ΔΦΓΛΩΠΨΣΘΞ", DEFAULT),
        ("Işık", TURKISH),
        ("Şifreniz: 482913", TURKISH),
        ("İstanbul'da yağmur", TURKISH),
        ("Ça va, garçon?", TURKISH),  # lowercase ç is only in the Turkish shift table
        ("ş", TURKISH),
        ("Привет, мир", UNICODE),
        ("Merhaba 😀", UNICODE),
        ("şeker 😀", UNICODE),
        ("Işık Привет", UNICODE),
        ("it’s", UNICODE),  # typographic apostrophe
        ("`code`", UNICODE),
        ("a\x1bb", UNICODE),  # a raw ESC would corrupt a GSM message
        ("tab\there", UNICODE),
    ],
)
def test_auto_picks_cheapest_encoding(text: str, expected: Encoding) -> None:
    assert segments(text).encoding is expected
    assert segments(text, "auto").encoding is expected
    assert resolve_encoding(text, "auto") is expected


def test_auto_prefers_turkish_over_ucs2_for_long_turkish_text() -> None:
    text = "ışığı " * 40  # 240 characters, 160 of them two-septet letters
    result = segments(text)
    assert result.encoding is TURKISH
    assert result.parts < segments(text, UNICODE).parts


# --- explicit encodings and errors ---------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 2, DEFAULT, TURKISH, UNICODE])
def test_explicit_encoding_accepts_enum_or_int(value: int) -> None:
    result = segments("abc", value)
    assert type(result.encoding) is Encoding
    assert result.encoding == value
    assert resolve_encoding("abc", value) is Encoding(value)


@pytest.mark.parametrize("value", [3, -1, True, False, "AUTO", "unicode", "0", None, 1.0, b"auto"])
def test_invalid_encoding_is_rejected(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        segments("abc", value)  # type: ignore[arg-type]
    assert info.value.field == "encoding"
    with pytest.raises(ValidationError):
        resolve_encoding("abc", value)  # type: ignore[arg-type]


def test_unknown_encoding_pseudo_member_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        segments("abc", Encoding(9))
    assert info.value.field == "encoding"


@pytest.mark.parametrize(
    ("text", "encoding", "shown", "position"),
    [
        ("abcş", DEFAULT, "'ş' (U+015F)", 3),
        ("Çok çay", DEFAULT, "'ç' (U+00E7)", 4),
        ("x`y", DEFAULT, "'`' (U+0060)", 1),
        ("x`y", TURKISH, "'`' (U+0060)", 1),
        ("a\x1b", DEFAULT, "'\\x1b' (U+001B)", 1),
        ("şeker Ж", TURKISH, "'Ж' (U+0416)", 6),
        ("hi 😀", TURKISH, "'😀' (U+1F600)", 3),
        ("ok \ud800", UNICODE, "'\\ud800' (U+D800)", 3),
        ("ok \udfff", DEFAULT, "'\\udfff' (U+DFFF)", 3),
    ],
)
def test_unfit_character_is_named_with_position(
    text: str, encoding: Encoding, shown: str, position: int
) -> None:
    with pytest.raises(ValidationError) as info:
        segments(text, encoding)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.field == "content"
    assert shown in str(error)
    assert f"position {position}" in str(error)
    with pytest.raises(ValidationError) as again:
        resolve_encoding(text, encoding)
    assert str(again.value) == str(error)


def test_lone_surrogate_fails_auto_too() -> None:
    with pytest.raises(ValidationError, match=r"U\+D83D.*position 2.*lone surrogate"):
        segments("ab\ud83d")


def test_non_str_content_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        segments(b"abc")  # type: ignore[arg-type]
    assert info.value.field == "content"


def test_segments_is_a_frozen_struct() -> None:
    result = segments("abc")
    with pytest.raises(AttributeError):
        result.parts = 2  # type: ignore[misc]
    assert msgspec.json.decode(msgspec.json.encode(result)) == {
        "encoding": 0,
        "parts": 1,
        "units": 3,
        "per_part": 160,
        "characters": 3,
    }


# --- properties -----------------------------------------------------------------------------

_CHARS = st.sampled_from(GSM_BASIC + GSM_EXTENSION + TURKISH_ONLY + OUTSIDE_GSM + ASTRAL)
_GSM_CHARS = st.sampled_from(GSM_BASIC + GSM_EXTENSION + TURKISH_ONLY)
_TEXT_ALPHABETS = st.one_of(
    st.just(GSM_BASIC),
    st.just(GSM_BASIC + GSM_EXTENSION),
    st.just(GSM_BASIC + GSM_EXTENSION + TURKISH_ONLY),
    st.just("a€"),
    st.just("aş"),
    st.just("a" + EMOJI),
    st.just(GSM_BASIC + GSM_EXTENSION + TURKISH_ONLY + OUTSIDE_GSM + ASTRAL),
)


_ENCODINGS = st.sampled_from(ORDER)


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, Encoding]:
    """A text and an encoding, the text often padded to sit right at a part boundary.

    Random lengths almost never land where a two-unit character straddles a boundary *and*
    that costs a part, so the padding aims the total at ``k * per_part`` (plus or minus one).
    """
    encoding = draw(_ENCODINGS)
    alphabet = draw(_TEXT_ALPHABETS)
    body = draw(st.text(st.sampled_from(alphabet), max_size=200))
    rare = draw(st.sampled_from(["", "", "", "", "", "\ud800", "\x1b", "Ж"]))
    cut = draw(st.integers(0, len(body)))
    body = body[:cut] + rare + body[cut:]
    units = sum(cost(char, encoding) or 1 for char in body)
    aim = draw(st.sampled_from(["split", "split", "split", "single", "random"]))
    if aim == "split":
        # Put a part boundary inside the body, then pad the total to about k parts.
        per_part = SPLIT[encoding]
        before = max(per_part * draw(st.integers(1, 3)) - draw(st.integers(0, units)), 0)
        parts = max(draw(st.integers(2, 4)), -(-(before + units) // per_part))
        after = parts * per_part + draw(st.integers(-2, 1)) - before - units
        return "a" * before + body + "a" * max(after, 0), encoding
    if aim == "single":
        pad = SINGLE[encoding] + draw(st.integers(-2, 1)) - units
    else:
        pad = draw(st.integers(0, 470))
    filler = "a" * max(pad, 0)
    text = filler + body if draw(st.booleans()) else body + filler
    return text, encoding


def texts() -> st.SearchStrategy[str]:
    return cases().map(lambda case: case[0])


@settings(deadline=None)
@given(case=cases())
def test_explicit_encoding_matches_model_or_raises(case: tuple[str, Encoding]) -> None:
    text, encoding = case
    expected = model(text, encoding)
    if isinstance(expected, int):
        with pytest.raises(ValidationError) as info:
            segments(text, encoding)
        assert info.value.field == "content"
        assert f"position {expected} " in str(info.value)
        return
    parts, units, per_part = expected
    assert segments(text, encoding) == Segments(encoding, parts, units, per_part, len(text))
    assert resolve_encoding(text, encoding) is encoding


@settings(deadline=None)
@given(case=cases(), auto=st.booleans())
def test_resolve_encoding_decides_exactly_as_segments(
    case: tuple[str, Encoding], auto: bool
) -> None:
    # resolve_encoding skips the counting; its answer and its errors must not change.
    text, encoding = case
    asked: Encoding | Literal["auto"] = "auto" if auto else encoding

    def outcome(decide: Callable[[], Encoding]) -> Encoding | tuple[str | None, str]:
        try:
            return decide()
        except ValidationError as exc:
            return (exc.field, str(exc))

    expected = outcome(lambda: segments(text, asked).encoding)
    assert outcome(lambda: resolve_encoding(text, asked)) == expected


@settings(deadline=None)
@given(case=cases())
def test_units_are_the_sum_of_character_costs(case: tuple[str, Encoding]) -> None:
    text, encoding = case
    costs = [cost(char, encoding) for char in text]
    if None in costs:
        return
    assert segments(text, encoding).units == sum(c for c in costs if c is not None)


@settings(deadline=None)
@given(case=cases(), extra=_CHARS)
def test_parts_never_decrease_when_appending(case: tuple[str, Encoding], extra: str) -> None:
    text, encoding = case
    longer = text + extra
    if isinstance(model(longer, encoding), int):
        return
    before, after = segments(text, encoding), segments(longer, encoding)
    assert after.parts >= before.parts
    assert after.units == before.units + (cost(extra, encoding) or 0)


@settings(deadline=None)
@given(text=texts())
def test_auto_is_never_more_expensive_than_a_carrying_encoding(text: str) -> None:
    costs = {
        encoding: expected[0]
        for encoding in ORDER
        if not isinstance(expected := model(text, encoding), int)
    }
    if not costs:
        with pytest.raises(ValidationError):
            segments(text)
        return
    chosen = segments(text)
    cheapest = min(costs.values())
    assert chosen.parts == cheapest
    assert chosen.encoding is next(e for e in ORDER if costs.get(e) == cheapest)
    assert resolve_encoding(text, "auto") is chosen.encoding


@settings(deadline=None)
@given(text=st.text(_GSM_CHARS, max_size=400))
def test_gsm_text_never_goes_ucs2(text: str) -> None:
    assert segments(text).encoding in (DEFAULT, TURKISH)


@settings(deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_counts_or_raises_validation_error(text: str) -> None:
    for encoding in ORDER:
        expected = model(text, encoding)
        if isinstance(expected, int):
            with pytest.raises(ValidationError, match=f"position {expected} "):
                segments(text, encoding)
        else:
            assert segments(text, encoding).parts == expected[0]
    assert segments(text).characters == len(text)  # st.text() draws no lone surrogate


@given(st.text(alphabet="aç€{ğİ🙂Ж \n", max_size=400))
@settings(max_examples=300, deadline=None)
def test_the_fast_parts_count_is_the_segments_count(text: str) -> None:
    # Campaigns and telemetry count with _parts_of; it must never disagree with segments().
    from nodesms.text import _parts_of

    encoding = resolve_encoding(text, "auto")
    assert _parts_of(text, encoding) == segments(text, "auto").parts
    assert _parts_of(text, Encoding.UNICODE) == segments(text, Encoding.UNICODE).parts
