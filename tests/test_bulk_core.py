"""The runner-agnostic campaign core: planning, one chunk's send, assembly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodesms import Encoding, Message, RetryPolicy, ValidationError
from nodesms._bulk import (
    Chunk,
    ChunkOutcome,
    OutcomeKind,
    aplan,
    assemble,
    campaign_options,
    give_up,
    plan,
    send_chunk,
)
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

SENDER = "NODESMS"


def _number(i: int) -> str:
    return f"90555{i:07d}"


async def test_plan_is_deterministic_and_reports_bad_items_with_their_index() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        options = campaign_options(
            client, campaign_id="bahar-2026", sender=SENDER, title="Bahar", chunk_size=3
        )
        items: list[object] = [
            Message("0555 000 00 01", "Merhaba"),
            (_number(2), "Şişli şubesi"),  # Turkish: the chunk goes out in TURKISH
            ("12", "kısa numara"),
            (_number(4), ""),
            Message(_number(5), "x" * 2000),
            object(),
            _number(7),  # a bare number needs content=
        ]
        chunks = list(plan(items, options))
    assert [c.custom_id for c in chunks] == ["bahar-2026.0", "bahar-2026.1", "bahar-2026.2"]
    assert [c.size for c in chunks] == [3, 3, 1]
    first, second, third = chunks
    assert [m.number for m in first.messages] == [_number(1), _number(2)]
    assert list(first.positions()) == [0, 1]
    assert first.encoding == Encoding.TURKISH
    assert [f.index for f in first.failures] == [2]
    assert first.failures[0].reason.startswith("number:")
    assert [f.index for f in second.failures] == [3, 5]
    assert list(second.positions()) == [4]
    assert second.parts == 14  # 2000 GSM characters, 153 a part
    assert third.messages == []
    assert "content=" in third.failures[0].reason
    # The same input gives the same chunks, and they travel between processes unchanged.
    again = msgspec.msgpack.decode(msgspec.msgpack.encode(chunks), type=list[Chunk])
    assert again == chunks


async def test_parts_are_counted_in_the_package_encoding_and_max_parts_applies() -> None:
    # 156 GSM characters fit one GSM part (160) but take two in a Turkish package (155).
    long_gsm = "a" * 156
    async with FakeGateway() as gw, gw.client() as client:
        options = campaign_options(
            client, campaign_id="c", sender=SENDER, title="T", max_parts=1, chunk_size=10
        )
        (chunk,) = plan(
            [(_number(1), long_gsm), (_number(2), "ğ"), (_number(3), "b" * 200)], options
        )
    assert chunk.encoding == Encoding.TURKISH
    assert list(chunk.positions()) == [1]
    assert [f.index for f in chunk.failures] == [0, 2]
    assert "max_parts=1" in chunk.failures[0].reason


@pytest.mark.parametrize(
    ("encoding", "text", "sent"),
    [
        (Encoding.DEFAULT, "Şişli şubesi ✓", "Sisli subesi ?"),
        (Encoding.TURKISH, "Şişli şubesi ✓", "Şişli şubesi ?"),
    ],
)
async def test_an_explicit_gsm_table_replaces_as_create_does(
    encoding: Encoding, text: str, sent: str
) -> None:
    async with FakeGateway() as gw, gw.client() as client:
        result = await client.sms.send_bulk(
            [(_number(1), text)], campaign_id="c", sender=SENDER, title="T", encoding=encoding
        )
        await client.sms.create(
            sender=SENDER, title="T", content=text, number=_number(2), encoding=encoding
        )
        bulk_pkg, single_pkg = gw.packages
    assert result.failed == []
    assert result.messages == 1
    assert bulk_pkg.messages == [sent]
    assert single_pkg.content == sent
    assert bulk_pkg.encoding == single_pkg.encoding == encoding


async def test_the_shared_content_is_replaced_alike() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        result = await client.sms.send_bulk(
            [_number(1), _number(2)],
            campaign_id="c",
            sender=SENDER,
            title="T",
            content="Şişli şubesi ✓",
            encoding=Encoding.DEFAULT,
        )
        (pkg,) = gw.packages
    assert (result.failed, result.messages) == ([], 2)
    assert pkg.messages == ["Sisli subesi ?"] * 2


async def test_aplan_reads_an_async_iterable_and_skips_chunks_known_done() -> None:
    async def numbers() -> AsyncIterator[str]:
        for i in range(10):
            await asyncio.sleep(0)
            yield _number(i + 1)

    async with FakeGateway() as gw, gw.client() as client:
        options = campaign_options(
            client, campaign_id="c", sender=SENDER, title="T", content="Merhaba", chunk_size=4
        )
        chunks = [c async for c in aplan(numbers(), options, skip=lambda k: k == 1)]
    assert [c.index for c in chunks] == [0, 2]
    assert list(chunks[1].positions()) == [8, 9]
    assert chunks[1].indexes is None  # all of its input, in order: nothing to list
    assert chunks[1].messages[0].text == "Merhaba"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("campaign_id", {"campaign_id": "has space"}),
        ("campaign_id", {"campaign_id": "x" * 81}),
        ("chunk_size", {"chunk_size": 1001}),
        ("chunk_size", {"chunk_size": 0}),
        ("validity", {"validity": 5}),
        ("push_url", {"push_url": "ftp://x"}),
        ("max_parts", {"max_parts": 0}),
        ("encoding", {"encoding": 7}),
        ("sender", {"sender": ""}),
    ],
)
async def test_bad_settings_name_their_field(field: str, kwargs: dict[str, object]) -> None:
    settings: dict[str, object] = {"campaign_id": "c", "sender": SENDER, "title": "T"}
    settings.update(kwargs)
    async with FakeGateway() as gw, gw.client() as client:
        with pytest.raises(ValidationError) as info:
            campaign_options(client, **settings)  # type: ignore[arg-type]
    assert info.value.field == field


async def test_send_chunk_outcomes_and_a_resend_finds_the_same_package() -> None:
    async with FakeGateway() as gw, gw.client(retry=RetryPolicy(max_attempts=1)) as client:
        options = campaign_options(client, campaign_id="c", sender=SENDER, title="T", chunk_size=2)
        first, second, third = plan([(_number(i + 1), f"Metin {i}") for i in range(6)], options)
        sent = await send_chunk(client, options, first)
        assert sent.kind is OutcomeKind.SENT
        assert sent.package is not None
        # A resend (a crash before the answer was recorded) meets the customID: same package.
        gw.faults.push("/sms/create", Fault.drop_after())
        dropped = await send_chunk(client, options, second)
        assert dropped.kind is OutcomeKind.RETRY
        assert dropped.error == "TransportError"
        resent = await send_chunk(client, options, second)
        again = await send_chunk(client, options, first)
        assert again.package == sent.package
        gw.faults.push("/sms/create", Fault.error("SMS50"))
        limited = await send_chunk(client, options, third)
        assert limited.kind is OutcomeKind.LIMITED
        assert not limited.done
        gw.credit = 0
        refused = await send_chunk(client, options, third)
        assert refused.kind is OutcomeKind.FAILED
        assert [f.index for f in refused.failures] == [4, 5]
        assert {f.error for f in refused.failures} == {"InsufficientCreditError"}
        assert len(gw.packages) == 2
        # Outcomes travel too, and the result lists everything in input order.
        wire = msgspec.msgpack.encode([refused, resent, sent])
        result = assemble(msgspec.msgpack.decode(wire, type=list[ChunkOutcome]))
    assert [p.custom_id for p in result.packages] == ["c.0", "c.1"]
    assert result.messages == 4
    assert result.chunks == 3
    assert [f.index for f in result.failed] == [4, 5]
    assert give_up(third, limited).kind is OutcomeKind.FAILED
    assert give_up(third, sent) is sent


async def test_the_fake_refuses_requests_over_its_concurrency_limit() -> None:
    async with FakeGateway() as gw, gw.client(retry=RetryPolicy(max_attempts=1)) as client:
        gw.faults.limit_concurrency(2, operations=["/user/credit"])
        gw.set_latency("/user/credit", 0.2)
        answers = await asyncio.gather(
            *(client.user.credit() for _ in range(5)), return_exceptions=True
        )
        refused = [a for a in answers if isinstance(a, Exception)]
        assert len(refused) == 3
        assert {type(a).__name__ for a in refused} == {"ConcurrencyLimitError"}
        assert [op for op, _ in gw.faults.injected] == ["/user/credit"] * 3
        await client.user.credit()  # the others have finished: room again
        gw.faults.limit_concurrency(None)
        assert len(await asyncio.gather(*(client.user.credit() for _ in range(5)))) == 5


async def test_the_window_drops_to_what_fitted_once_per_burst_and_probes_rarely() -> None:
    from nodesms._limit import AdaptiveLimit

    limit = AdaptiveLimit(16, probe_after=4)
    async with limit.slot() as held:
        assert held == 1
        await limit.succeeded()  # slow start: the full window grows
    assert limit.window == 2
    # A burst: requests sent with 2, then (after growth) with up to 6 in flight are refused.
    limit.window = 6
    limit.refused(3)
    assert limit.window == 2
    for held in (4, 5, 6):  # older requests of the same burst: no further decrease
        limit.refused(held)
    assert (limit.window, limit.limited) == (2, 4)
    # Out of slow start, the window grows by one after probe_after answers at a full window.
    async with limit.slot(), limit.slot():
        for _ in range(3):
            await limit.succeeded()
        assert limit.window == 2
        await limit.succeeded()
        assert limit.window == 3
    async with limit.slot():  # a window not full says nothing about room: no growth
        for _ in range(10):
            await limit.succeeded()
    assert limit.window == 3
    limit.refused(1)
    assert limit.window == 1  # never below one


@given(st.text(alphabet="aç€{ğİ🙂Ж \n", max_size=400), st.sampled_from(["auto", *Encoding]))
@settings(max_examples=300, deadline=None)
def test_the_planner_measures_texts_as_segments_does(text: str, encoding: object) -> None:
    # The text as a single send carries it (an explicit GSM table replaces what it lacks),
    # counted as segments() counts it.
    from nodesms import segments
    from nodesms._bulk import CampaignOptions, _Planner
    from nodesms.text import fit_text

    options = CampaignOptions(campaign_id="c", sender="S", title="T", content="T")
    if encoding != "auto":
        options = msgspec.structs.replace(options, encoding=int(encoding))  # type: ignore[call-overload]
    planner = _Planner(options, None)
    try:
        sent = fit_text(text, encoding)[0]  # type: ignore[arg-type]
        expected = segments(sent, encoding)  # type: ignore[arg-type]
    except ValidationError:
        with pytest.raises(ValidationError):
            planner._measure(text)
        return
    assert planner._measure(text) == (sent, expected.encoding, expected.parts)
