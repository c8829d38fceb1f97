"""The column-wise fast path decides sooner than the per-message checks, never differently."""

from __future__ import annotations

import gc
import logging
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodesms import Encoding, Message, ValidationError
from nodesms._bulk import CampaignOptions, _Planner
from nodesms._columns import columns, decide
from nodesms.resources.sms import _personal, _personal_checked


class Markup(str):
    """A str subclass, as a template engine's output (``markupsafe.Markup``) is."""


# Canonical numbers, numbers the per-message checks normalise, and ones they refuse (a
# newline inside, an Arabic-Indic digit, a landline, too short, not a str); a str subclass.
NUMBERS = st.sampled_from(
    [
        "905550000001",
        Markup("905550000008"),
        Decimal("905550000009"),
        "905550000002",
        "905320000003",
        "+90 555 000 00 04",
        "05550000005",
        5550000006,
        "447700900123",
        "905550000001\n905550000002",
        "90555000000\u0661",
        "902120000007",
        "90555000000",
        None,
    ]
)
# ASCII, Turkish, extension and UCS-2 letters, JSON's escapes, ESC, a lone surrogate.
TEXTS = st.one_of(
    st.text(alphabet='aZ0 .!\nçğİıŞüÖ€{^~Жé"\\\t\x1b🙂', max_size=90),
    st.text(alphabet="ab ış", min_size=70, max_size=400),
    st.sampled_from(["", "   ", "Kod: 1234", "a\ud800b", "`", "Kod\x7f", Markup("Kod <b>1</b>")]),
)
XIDS = st.one_of(
    st.none(), st.sampled_from(["x1", "", "y" * 33, "z" * 32, Markup("x2")]), st.integers()
)
ENCODINGS = st.sampled_from([None, *Encoding])


@st.composite
def batches(draw: st.DrawFn) -> list[object]:
    size = draw(st.integers(1, 6))
    uniform = draw(st.booleans())  # mostly canonical numbers and plain texts: the fast path
    number = st.sampled_from(["905550000001", "905320000002"]) if uniform else NUMBERS
    text = st.sampled_from(["Sayın müşterimiz, 12", "Kod: 1234", "Merhaba"]) if uniform else TEXTS
    if draw(st.booleans()):
        return [(draw(number), draw(text)) for _ in range(size)]
    xid = st.none() if uniform else XIDS
    return [Message(draw(number), draw(text), draw(xid)) for _ in range(size)]  # type: ignore[arg-type]


def _planner(encoding: Encoding | None, max_parts: int | None = None) -> _Planner:
    options = CampaignOptions(
        campaign_id="c",
        sender="S",
        title="T",
        content="T",
        encoding=None if encoding is None else int(encoding),
        max_parts=max_parts,
    )
    return _Planner(options, None)


@given(batches(), ENCODINGS, st.sampled_from([None, 1, 2]))
@settings(max_examples=1500, deadline=None)
def test_a_campaign_chunk_is_the_same_whichever_path_checks_it(
    batch: list[object], encoding: Encoding | None, max_parts: int | None
) -> None:
    planner = _planner(encoding, max_parts)
    fast, checked = planner._uniform(3, batch), planner._checked(3, batch)
    if fast is not None:
        assert fast == checked
    _assert_plain(checked.messages)  # what both send: plain strs, which msgspec encodes


def _assert_plain(messages: list[Message]) -> None:
    msgspec.json.encode(messages)
    for message in messages:
        assert type(message.number) is str
        assert type(message.text) is str
        assert message.xid is None or type(message.xid) is str


@given(
    st.lists(NUMBERS, min_size=1, max_size=5),
    st.sampled_from(["Kod: 1234", "Şifre 1234", "Код 1", "Fiyat 5€ {x}", "a" * 100]),
    ENCODINGS,
)
@settings(max_examples=500, deadline=None)
def test_a_chunk_of_bare_numbers_is_the_same_whichever_path_checks_it(
    numbers: list[object], content: str, encoding: Encoding | None
) -> None:
    options = CampaignOptions(
        campaign_id="c",
        sender="S",
        title="T",
        content=content,
        text_given=True,
        encoding=None if encoding is None else int(encoding),
    )
    planner = _Planner(options, None)
    fast, checked = planner._uniform(0, numbers), planner._checked(0, numbers)
    if fast is not None:
        assert fast == checked
    _assert_plain(checked.messages)


@given(batches(), st.sampled_from(["auto", *Encoding]))
@settings(max_examples=1500, deadline=None)
def test_a_create_body_is_the_same_whichever_path_checks_it(
    batch: list[object], encoding: object
) -> None:
    chosen = Encoding.DEFAULT if encoding == "auto" else encoding

    def outcome(check: object) -> object:
        try:
            personal, package = check(batch, encoding, chosen)  # type: ignore[operator]
        except ValidationError as exc:
            return (exc.field, exc.reason)
        _assert_plain(personal)
        return personal, package

    assert outcome(_personal) == outcome(_personal_checked)


def test_uniform_batches_take_the_fast_path() -> None:
    turkish = [Message(f"90555{i:07d}", f"Sayın müşterimiz, {i} numaralı kargo") for i in range(9)]
    assert decide(*columns(turkish), None) is Encoding.TURKISH  # type: ignore[misc]
    pairs = [(f"90555{i:07d}", f'Kod "{i}" \\ {{x}}') for i in range(9)]  # escapes in the JSON
    assert decide(*columns(pairs), None) is Encoding.DEFAULT  # type: ignore[misc]
    assert decide(*columns(pairs), Encoding.UNICODE) is Encoding.UNICODE  # type: ignore[misc]
    ascii_only = [("905550000001", "Kod: 1234"), ("905550000002", "[x] ~ |y|")]
    assert decide(*columns(ascii_only), None) is Encoding.DEFAULT  # type: ignore[misc]
    for unfit in ("Kod `1234`", "Kod\x7f"):  # ASCII that no GSM table has
        batch = [("905550000001", "Kod"), ("905550000002", unfit)]
        assert decide(*columns(batch), None) is Encoding.UNICODE  # type: ignore[misc]
        assert decide(*columns(batch), Encoding.TURKISH) is None  # type: ignore[misc]
    with_xids = [Message("905550000001", "Merhaba", f"id-{i}") for i in range(3)]
    assert decide(*columns(with_xids), Encoding.TURKISH) is Encoding.TURKISH  # type: ignore[misc]
    chunk = _planner(None)._uniform(2, turkish)
    assert chunk is not None
    assert (list(chunk.positions()), chunk.parts, chunk.encoding) == ([*range(2000, 2009)], 9, 1)
    bare = _Planner(
        CampaignOptions(campaign_id="c", sender="S", title="T", content="Şifre", text_given=True),
        None,
    )._uniform(0, ["905550000001", "905550000002"])
    assert bare is not None
    assert [m.text for m in bare.messages] == ["Şifre", "Şifre"]


@pytest.mark.parametrize(
    ("numbers", "texts", "xids"),
    [
        (["905550000001\n905550000002"], ["a"], None),  # one item cannot pass for two
        (["905550000001", "90555000000\u0661"], ["a", "b"], None),  # not an ASCII digit
        (["905550000001", "5550000002"], ["a", "b"], None),  # normalised one by one
        (["905550000001", 905550000002], ["a", "b"], None),
        (["905550000001"], [" \n"], None),  # blank
        (["905550000001"], ["a\ud800"], None),  # a lone surrogate
        (["905550000001"], [b"bytes"], None),
        ([Markup("905550000001")], ["a"], None),  # sent as a plain str: made one by one
        ([Decimal("905550000001")], ["a"], None),  # JSON would write it as a string
        (["905550000001"], [Markup("a")], None),
        (["905550000001"], ["a"], [Markup("x")]),
        (["905550000001", "905550000002"], ["a", "b"], ["x", None]),  # some xids only
        (["905550000001"], ["a"], ["x" * 33]),
        ([], [], None),
    ],
)
def test_anything_unusual_is_left_to_the_per_message_checks(
    numbers: list[object], texts: list[object], xids: list[object] | None
) -> None:
    assert decide(numbers, texts, xids, None) is None


def test_a_text_an_explicit_table_must_change_is_left_to_the_per_message_checks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    batch = [("905550000001", "Şifre"), ("905550000002", "Kod")]
    assert decide(*columns(batch), Encoding.DEFAULT) is None  # type: ignore[misc]
    with caplog.at_level(logging.INFO, logger="nodesms"):
        personal, chosen = _personal(batch, Encoding.DEFAULT, Encoding.DEFAULT)
    assert [p.text for p in personal] == ["Sifre", "Kod"]
    assert chosen is Encoding.DEFAULT
    assert "messages[0]: replaced 1 characters" in caplog.text


def test_the_objects_made_per_message_are_invisible_to_the_garbage_collector() -> None:
    # Each allocation of a collectable type counts towards the next collection, tracked or
    # not: per-message objects of a campaign are not collectable at all.
    chunk = _planner(None)._uniform(0, [Message("905550000001", "Merhaba")])
    assert chunk is not None
    gc.disable()  # no collection resets the count in between
    try:
        before = gc.get_count()[0]
        made = [Message(f"90555{i:07d}", "Merhaba") for i in range(500)]
        assert gc.get_count()[0] - before < 10
    finally:
        gc.enable()
    assert not gc.is_tracked(made[0])
    assert not gc.is_tracked(chunk.messages[0])
    assert msgspec.json.encode(chunk.messages) == b'[{"nr":"905550000001","msg":"Merhaba"}]'
