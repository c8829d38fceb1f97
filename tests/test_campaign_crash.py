"""Resume after ``kill -9``: a real sending process killed at several points, then rerun.

The gateway lives in the test process (its state survives the killed client); the campaign
runs in a child process that prints one line per finished chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections import Counter
from pathlib import Path

import msgspec
import pytest

from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio

MESSAGES = 6_000
CHUNK = 100
CHUNKS = MESSAGES // CHUNK

CHILD = """
import asyncio, sys
import msgspec
import nodesms

base_url, username, password, journal = sys.argv[1:5]

def numbers():
    for i in range({messages}):
        yield nodesms.Message(f"90555{{i:07d}}", f"Sayın müşteri {{i}}, kargonuz yolda.")

def progress(p):
    print("chunk", p.chunks, flush=True)

async def main():
    async with nodesms.Client(base_url, username, password) as client:
        result = await client.sms.send_bulk(
            numbers(), campaign_id="crash", sender="NODESMS", title="Kargo",
            chunk_size={chunk}, max_concurrency=4, on_progress=progress,
            journal=None if journal == "-" else journal,
        )
    summary = {{"packages": [p.pkg_id for p in result.packages], "messages": result.messages,
               "failed": len(result.failed), "chunks": result.chunks}}
    print("done", msgspec.json.encode(summary).decode(), flush=True)

asyncio.run(main())
"""


async def _run_child(
    gw: FakeGateway,
    journal: str,
    *,
    kill_after_chunks: int | None,
    kill_after_seconds: float | None,
) -> dict[str, object] | None:
    """Run the campaign in a child; kill it (SIGKILL) at the given point, or let it finish."""
    code = CHILD.format(messages=MESSAGES, chunk=CHUNK)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, gw.base_url, gw.username, gw.password, journal,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )  # fmt: skip
    assert child.stdout is not None
    chunks = 0
    try:
        async with asyncio.timeout(120):
            if kill_after_seconds is not None:
                await asyncio.sleep(kill_after_seconds)
                return None  # killed below (if it has not finished by then)
            while line := await child.stdout.readline():
                kind, _, rest = line.decode().partition(" ")
                if kind == "chunk":
                    chunks += 1
                    if kill_after_chunks is not None and chunks >= kill_after_chunks:
                        return None
                elif kind == "done":
                    assert await child.wait() == 0
                    return msgspec.json.decode(rest)  # type: ignore[no-any-return]
            raise AssertionError(f"the child ended without a result (exit {await child.wait()})")
    finally:
        with contextlib.suppress(ProcessLookupError):
            child.kill()  # SIGKILL: no cleanup of any kind in the child
        await child.wait()


async def _settle(gw: FakeGateway) -> None:
    # Requests of the killed child may still be in the gateway's hands: let them finish.
    for _ in range(100):
        await asyncio.sleep(0.02)
        if gw.faults.in_flight("/sms/create") == 0:
            return


@pytest.mark.parametrize("with_journal", [True, False], ids=["journal", "customID lookups"])
async def test_kill_9_at_several_points_then_rerun_gives_exact_counts(
    tmp_path: Path, with_journal: bool
) -> None:
    journal = str(tmp_path / "crash.sqlite") if with_journal else "-"
    async with FakeGateway(credit=10**6) as gw:
        # Slow creates, so that kills land while chunks are in flight at the gateway.
        gw.set_latency("/sms/create", 0.05)
        # Killed: before any chunk finished, after a few, again mid-way, and at random times.
        counts = []
        for point in ({"kill_after_seconds": 0.6}, {"kill_after_chunks": 3},
                      {"kill_after_chunks": 7}, {"kill_after_seconds": 1.5}):  # fmt: skip
            killed = await _run_child(
                gw, journal, kill_after_chunks=point.get("kill_after_chunks"),  # type: ignore[arg-type]
                kill_after_seconds=point.get("kill_after_seconds"),
            )  # fmt: skip
            assert killed is None
            await _settle(gw)
            counts.append(len(gw.packages))
        assert 0 < counts[1] < CHUNKS  # the kills landed mid-campaign
        summary = await _run_child(gw, journal, kill_after_chunks=None, kill_after_seconds=None)
        assert summary is not None
        # Once more after completion: nothing new, the same result.
        sent = sum(1 for r in gw.requests if r.operation == "/sms/create")
        again = await _run_child(gw, journal, kill_after_chunks=None, kill_after_seconds=None)
        resent = sum(1 for r in gw.requests if r.operation == "/sms/create") - sent
    assert summary == again
    assert summary["messages"] == MESSAGES
    assert summary["failed"] == 0
    assert summary["chunks"] == CHUNKS
    ids = [p.custom_id for p in gw.packages]
    assert sorted(ids) == sorted(f"crash.{k}" for k in range(CHUNKS))
    assert summary["packages"] == [gw.package_by_custom_id(f"crash.{k}").id for k in range(CHUNKS)]  # type: ignore[union-attr]
    numbers = Counter(n for p in gw.packages for n in p.numbers)
    assert len(numbers) == MESSAGES
    assert set(numbers.values()) == {1}
    # A complete journal answers a rerun alone; without one, each chunk is found by customID.
    assert resent == (0 if with_journal else CHUNKS)
