"""``client.sms.send_bulk`` and ``client.sms.wait`` against the embedded gateway."""

from __future__ import annotations

import asyncio
import pickle
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

import nodesms
from nodesms import BulkProgress, Encoding, Message, PackageCreated, RetryPolicy
from nodesms._bulk import CampaignOptions, ChunkOutcome, OutcomeKind
from nodesms._journal import Journal
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

SENDER = "NODESMS"
FAST_RETRY = RetryPolicy(max_attempts=20, initial_delay=0.005, max_delay=0.05)


def _number(i: int) -> str:
    return f"90555{i:07d}"


def _messages(count: int, start: int = 0) -> Iterator[Message]:
    return (
        Message(_number(i), f"Sayın müşteri {i}, siparişiniz yolda.") for i in range(start, count)
    )


def _creates(gw: FakeGateway) -> int:
    return sum(1 for r in gw.requests if r.operation == "/sms/create")


def _check_exactly_once(gw: FakeGateway, campaign_id: str, chunks: int, messages: int) -> None:
    ids = [p.custom_id for p in gw.packages]
    assert sorted(ids) == sorted(f"{campaign_id}.{k}" for k in range(chunks))
    numbers = Counter(n for p in gw.packages for n in p.numbers)
    assert len(numbers) == messages
    assert set(numbers.values()) == {1}


async def test_twenty_thousand_messages_under_thirty_percent_faults_give_twenty_packages() -> None:
    async with FakeGateway(credit=10**7) as gw, gw.client(retry=FAST_RETRY) as client:
        # Connections dropped before and after the gateway acted, maintenance, concurrency
        # refusals and proxy 502s, on the creates and on the customID lookups alike.
        gw.faults.random(0.3, seed=13, operations=["/sms/create", "/sms/list"])
        result = await client.sms.send_bulk(
            _messages(20_000),
            campaign_id="faults",
            sender=SENDER,
            title="Kargo",
            max_concurrency=8,
        )
        injected = Counter(fault.kind.value for _, fault in gw.faults.injected)
    assert result.failed == []
    assert result.messages == 20_000
    assert [p.custom_id for p in result.packages] == [f"faults.{k}" for k in range(20)]
    assert len({p.pkg_id for p in result.packages}) == 20
    _check_exactly_once(gw, "faults", 20, 20_000)
    assert sum(len(p.numbers) for p in gw.packages) == 20_000
    assert injected["drop_after"] > 0  # some packages were made while their answer was lost
    assert result.parts == sum(p.total for p in gw.packages) == 20_000


async def test_concurrency_refusals_shrink_the_window_instead_of_failing() -> None:
    async with FakeGateway(credit=10**7) as gw, gw.client() as client:
        gw.faults.limit_concurrency(3, operations=["/sms/create"])
        gw.set_latency("/sms/create", 0.02)
        seen: list[BulkProgress] = []
        result = await client.sms.send_bulk(
            _messages(6_000),
            campaign_id="adaptive",
            sender=SENDER,
            title="T",
            chunk_size=50,
            max_concurrency=16,
            on_progress=seen.append,
        )
        adaptive_share = len(gw.faults.injected) / _creates(gw)

        # The same work with a fixed 16 in flight, each create retried by the client's policy.
        gw.faults.injected.clear()
        gw.requests.clear()
        fixed = gw.client(retry=RetryPolicy(max_attempts=50, initial_delay=0.01, max_delay=0.1))
        async with fixed:
            slots = asyncio.Semaphore(16)

            async def send(k: int) -> None:
                async with slots:
                    chunk = list(_messages(10_000 + (k + 1) * 50, 10_000 + k * 50))
                    await fixed.sms.create(
                        sender=SENDER, title="T", content="T", messages=chunk, custom_id=f"f.{k}"
                    )

            await asyncio.gather(*(send(k) for k in range(120)))
        fixed_share = len(gw.faults.injected) / _creates(gw)
    assert result.failed == []
    assert len(result.packages) == 120
    assert 0 < adaptive_share < fixed_share / 4, (adaptive_share, fixed_share)
    assert seen[-1].concurrency <= 4  # found the limit (3), probing one above it at times
    assert seen[-1].limited >= 1


async def test_bad_numbers_and_long_texts_in_the_stream_are_failures_with_their_index() -> None:
    async def stream() -> AsyncIterator[object]:
        for i in range(2_500):
            await asyncio.sleep(0)
            if i % 500 == 7:
                yield Message("555", "numara eksik")
            elif i % 500 == 8:
                yield (_number(i), "uzun " * 200)
            elif i == 2_499:
                yield ("not a number", "x")
            else:
                yield Message(_number(i), f"Merhaba {i}", xid=f"x{i}")

    async with FakeGateway(credit=10**6) as gw, gw.client() as client:
        result = await client.sms.send_bulk(
            stream(), campaign_id="bad", sender=SENDER, title="T", max_parts=3
        )
    bad = [7, 8, 507, 508, 1007, 1008, 1507, 1508, 2007, 2008, 2499]
    assert [f.index for f in result.failed] == bad
    assert result.failed[0].reason.startswith("number:")
    assert "max_parts=3" in result.failed[1].reason
    assert {f.error for f in result.failed} == {"ValidationError"}
    assert result.messages == 2_500 - len(bad)
    assert len(result.packages) == 3
    assert gw.package(result.packages[0].pkg_id).xids[0] == "x0"


async def test_a_bare_number_list_with_content() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        result = await client.sms.send_bulk(
            [_number(i) for i in range(1, 1_201)],
            campaign_id="duyuru",
            sender=SENDER,
            title="Duyuru",
            content="Mağazamız yarın kapalıdır.",
        )
    assert [len(gw.package(p.pkg_id).numbers) for p in result.packages] == [1000, 200]
    assert gw.package(result.packages[1].pkg_id).messages == ["Mağazamız yarın kapalıdır."] * 200


async def test_a_mapping_of_number_to_text() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        result = await client.sms.send_bulk(
            {"0555 000 00 01": "Ayşe Hanım, merhaba", "x": "y", _number(3): "Mehmet Bey"},
            campaign_id="m",
            sender=SENDER,
            title="T",
        )
    assert gw.package(result.pkg_ids[0]).numbers == [_number(1), _number(3)]
    assert [(f.index, f.number) for f in result.failed] == [(1, "x")]


class Markup(str):
    """A str subclass, as a template engine's output (``markupsafe.Markup``) is."""


async def test_str_subclasses_go_out_as_their_text(tmp_path: Path) -> None:
    # msgspec encodes only str itself: a subclass once crashed the campaign at encoding.
    messages = [
        Message(Markup(_number(1)), "Merhaba"),
        Message(_number(2), Markup("Sayın <b>Ayşe</b>")),
        Message(_number(3), "Kod 1", xid=Markup("x-3")),
        Message(Markup("12"), "kısa numara"),  # its failure goes into the journal
    ]
    async with FakeGateway() as gw, gw.client() as client:
        result = await client.sms.send_bulk(
            messages,
            campaign_id="markup",
            sender=SENDER,
            title="T",
            content=Markup("Duyuru"),
            journal=tmp_path / "markup.sqlite",
        )
        one = await client.sms.create(
            sender=Markup(SENDER),
            title=Markup("T"),
            content="Duyuru",
            messages=[(Markup(_number(4)), Markup("Merhaba")), (_number(5), "Selam")],
        )
    assert result.messages == 3
    assert [(f.index, f.number, type(f.number)) for f in result.failed] == [(3, "12", str)]
    package = gw.package(result.pkg_ids[0])
    assert package.numbers == [_number(1), _number(2), _number(3)]
    assert package.messages == ["Merhaba", "Sayın <b>Ayşe</b>", "Kod 1"]
    assert gw.package(one.pkg_id).messages == ["Merhaba", "Selam"]


async def test_check_credit_refuses_before_sending_and_reports_what_was_spent() -> None:
    async with FakeGateway(credit=1_500) as gw, gw.client() as client:
        messages = list(_messages(2_000))
        with pytest.raises(nodesms.InsufficientCreditError, match="2,000 SMS parts") as info:
            await client.sms.send_bulk(
                messages, campaign_id="c", sender=SENDER, title="T", check_credit=True
            )
        assert info.value.code == "SMS18"
        assert _creates(gw) == 0
        with pytest.raises(nodesms.ValidationError) as bad:
            await client.sms.send_bulk(
                iter(messages), campaign_id="c", sender=SENDER, title="T", check_credit=True
            )
        assert bad.value.field == "check_credit"
        result = await client.sms.send_bulk(
            messages[:1_200], campaign_id="c", sender=SENDER, title="T", check_credit=True
        )
    assert result.credit == result.parts == 1_200


async def test_the_journal_makes_a_rerun_skip_done_chunks_without_requests(tmp_path: Path) -> None:
    journal = tmp_path / "bahar.sqlite"
    async with FakeGateway() as gw, gw.client() as client:
        first = await client.sms.send_bulk(
            _messages(3_500), campaign_id="bahar", sender=SENDER, title="T", journal=journal
        )
        creates = _creates(gw)
        again = await client.sms.send_bulk(
            _messages(3_500), campaign_id="bahar", sender=SENDER, title="T", journal=journal
        )
        assert _creates(gw) == creates == 4
        assert again == first
        # The same file for another campaign, or other settings, is refused.
        for kwargs in ({"campaign_id": "yaz"}, {"title": "Başka"}, {"chunk_size": 500}):
            settings = {"campaign_id": "bahar", "sender": SENDER, "title": "T", **kwargs}
            with pytest.raises(nodesms.ValidationError) as info:
                await client.sms.send_bulk(_messages(10), journal=journal, **settings)  # type: ignore[arg-type]
            assert info.value.field == "journal"
    with sqlite3.connect(journal) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        rows = db.execute("SELECT k, custom_id, messages FROM chunks ORDER BY k").fetchall()
    db.close()
    assert rows == [
        (0, "bahar.0", 1000),
        (1, "bahar.1", 1000),
        (2, "bahar.2", 1000),
        (3, "bahar.3", 500),
    ]


async def test_a_flush_cancelled_midway_still_writes_what_it_took(tmp_path: Path) -> None:
    # The runner cancels the journal's flushing task when the campaign ends: a cancellation
    # landing between taking the pending chunks and writing them once lost them.
    options = CampaignOptions(campaign_id="c", sender=SENDER, title="T", content="T")
    sent = ChunkOutcome(
        index=0,
        custom_id="c.0",
        kind=OutcomeKind.SENT,
        package=PackageCreated(pkg_id=1, custom_id="c.0", encoding=Encoding.DEFAULT),
        messages=1,
        parts=1,
    )
    journal = await Journal.open(tmp_path / "j.sqlite", options)
    journal.record(sent)
    async with anyio.create_task_group() as group:
        group.start_soon(journal.flush)
        await anyio.lowlevel.checkpoint()  # the flush runs up to its lock's own yield
        group.cancel_scope.cancel()
    await journal.aclose()
    reopened = await Journal.open(tmp_path / "j.sqlite", options)
    await reopened.aclose()
    assert list(reopened.done) == [0]


async def test_a_foreign_or_future_journal_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    future = tmp_path / "future.sqlite"
    with sqlite3.connect(future) as db:
        db.execute("PRAGMA user_version = 2")
    db.close()
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    async with FakeGateway() as gw, gw.client() as client:
        for path, words in ((other, "no journal"), (future, "format 2"), (garbage, "not a")):
            with pytest.raises(nodesms.ValidationError, match=words) as info:
                await client.sms.send_bulk(
                    _messages(5), campaign_id="c", sender=SENDER, title="T", journal=path
                )
            assert info.value.field == "journal"
        assert _creates(gw) == 0


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("max_concurrency", {"max_concurrency": 0}),
        ("max_concurrency", {"max_concurrency": True}),
        ("on_progress", {"on_progress": 3}),
        ("messages", {"messages": "905550000001"}),
        ("messages", {"messages": 42}),
        ("journal", {"journal": 3.5}),
        ("campaign_id", {"campaign_id": "ç"}),
    ],
)
async def test_bad_arguments_name_their_field(field: str, kwargs: dict[str, object]) -> None:
    settings: dict[str, object] = {
        "messages": [Message(_number(1), "x")],
        "campaign_id": "c",
        "sender": SENDER,
        "title": "T",
    }
    settings.update(kwargs)
    messages = settings.pop("messages")
    async with FakeGateway() as gw, gw.client() as client:
        with pytest.raises(nodesms.ValidationError) as info:
            await client.sms.send_bulk(messages, **settings)  # type: ignore[arg-type]
        assert _creates(gw) == 0
    assert info.value.field == field


async def test_a_chunk_refused_for_good_fails_its_messages_and_the_rest_goes_on() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        gw.faults.push("/sms/create", Fault.error("ERR_INVALID_PARAM"))
        progress: list[BulkProgress] = []

        async def record(p: BulkProgress) -> None:
            await asyncio.sleep(0)
            progress.append(p)

        result = await client.sms.send_bulk(
            _messages(30),
            campaign_id="c",
            sender=SENDER,
            title="T",
            chunk_size=10,
            max_concurrency=1,
            on_progress=record,
        )
    assert [f.index for f in result.failed] == list(range(10))
    assert result.failed[0].error == "BadRequestError"
    assert [p.custom_id for p in result.packages] == ["c.1", "c.2"]
    assert [p.chunks for p in progress] == [1, 2, 3]
    assert progress[-1].failed == 10


async def test_a_refused_later_chunk_names_its_messages_by_their_input_index() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        gw.faults.push("/sms/create", Fault.latency(0), Fault.error("ERR_INVALID_PARAM"))
        result = await client.sms.send_bulk(
            [*_messages(25), Message("12", "kısa numara"), *_messages(30, start=26)],
            campaign_id="c",
            sender=SENDER,
            title="T",
            chunk_size=10,
            max_concurrency=1,
        )
    # Chunk 1 (input 10-19, checked column-wise) was refused; chunk 2 (checked message by
    # message) went out without its bad number, input 25.
    assert [f.index for f in result.failed] == [*range(10, 20), 25]
    assert result.failed[-1].reason.startswith("number:")
    assert [p.custom_id for p in result.packages] == ["c.0", "c.2"]


async def test_wait_returns_final_packages_batching_ids_into_few_list_calls() -> None:
    async with FakeGateway(credit=10**6) as gw, gw.client() as client:
        result = await client.sms.send_bulk(
            _messages(1_500), campaign_id="w", sender=SENDER, title="T", chunk_size=1
        )
        gw.requests.clear()

        async def clock() -> None:
            while True:
                await asyncio.sleep(0.01)
                await gw.advance(20)

        ticker = asyncio.create_task(clock())
        try:
            finals = await client.sms.wait(result.pkg_ids, timeout=60, poll_interval=0.01)
        finally:
            ticker.cancel()
        lists = [r for r in gw.requests if r.operation == "/sms/list"]
    assert [p.id for p in finals] == result.pkg_ids
    assert all(p.state.is_final for p in finals)
    assert {len(r.params["ids"]) <= 1000 for r in lists} == {True}
    assert len(lists) < 40  # 1,500 packages, a handful of rounds of two requests


async def test_wait_times_out_naming_the_open_packages() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        done = await client.sms.create(sender=SENDER, title="T", content="x", number=_number(1))
        also = await client.sms.create(sender=SENDER, title="T", content="y", number=_number(2))
        await gw.advance(3600)
        late = await client.sms.create(sender=SENDER, title="T", content="z", number=_number(3))
        with pytest.raises(nodesms.WaitTimeoutError) as info:
            await client.sms.wait(
                [done.pkg_id, late.pkg_id, also.pkg_id], timeout=0.3, poll_interval=0.05
            )
    error = info.value
    assert error.pending == [late.pkg_id]
    assert str(late.pkg_id) in str(error)
    assert isinstance(error, TimeoutError)
    assert [p.id for p in error.packages] == [done.pkg_id, also.pkg_id]
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.pending, str(copy)) == (error.pending, str(error))


async def test_the_readme_campaign_example_runs_and_exports_the_reports(tmp_path: Path) -> None:
    import csv
    import re

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    (source,) = [
        b
        for b in re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
        if "client.sms.send_bulk(" in b
    ]
    journal = tmp_path / "kargo.sqlite"
    source = source.replace('"kargo-2026-03-01.sqlite"', repr(str(journal)))
    source = source.replace("timeout=3600", "timeout=3600, poll_interval=0.01")
    namespace: dict[str, object] = {}
    exec(compile(source, "README.md", "exec"), namespace)
    customers = tmp_path / "customers.csv"
    with customers.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["phone", "name", "order"])
        for i in range(2_500):
            phone = "0555 12" if i == 1_234 else f"0555 {i:07d}"
            out.writerow([phone, "Ayşe" if i % 2 else "Mehmet", f"S{i}"])
    report = tmp_path / "report.csv"
    async with FakeGateway(undelivered_rate=0.1) as gw, gw.client() as client:

        async def clock() -> None:
            while True:
                await asyncio.sleep(0.01)
                await gw.advance(30)

        ticker = asyncio.create_task(clock())
        try:
            await namespace["kargo_campaign"](client, str(customers), str(report))  # type: ignore[operator]
        finally:
            ticker.cancel()
    assert journal.exists()
    with report.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2_499
    assert {row["order"] for row in rows} == {f"S{i}" for i in range(2_500)} - {"S1234"}
    assert Counter(row["state"] for row in rows).keys() == {"DELIVERED", "UNDELIVERED"}
    assert all(row["delivered_at"] for row in rows if row["state"] == "DELIVERED")


async def test_wait_backs_off_while_nothing_finishes() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        sent = await client.sms.create(sender=SENDER, title="T", content="x", number=_number(1))
        gw.requests.clear()
        with pytest.raises(nodesms.WaitTimeoutError):
            await client.sms.wait([sent.pkg_id], timeout=1.0, poll_interval=0.05)
        polls = sum(1 for r in gw.requests if r.operation == "/sms/list")
    # Every 0.05 s would be 20 polls; growing by half each round it is about 7.
    assert 2 <= polls <= 10
