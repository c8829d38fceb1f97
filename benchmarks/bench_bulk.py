"""Bulk sending: 100,000 personalised messages, in chunks vs one ``create`` per message.

- **chunks of N**: ``await client.sms.create(messages=chunk)`` for each chunk of N
  ``(number, text)`` pairs (one many-to-many package per chunk), one chunk after another;
- **one per message**: ``await client.sms.create(number=..., content=...)`` per message, 50
  concurrent tasks. Measured on 5,000 messages and extrapolated to 100,000 (it scales linearly:
  same request, same cost, every time).

Reported: HTTP requests made (counted with an aiohttp trace on the client's session), wall
time, and the client process's CPU time; the gateway runs in another process, with its
duplicate window off. Run ``python benchmarks/bench_bulk.py [--messages N] [--chunks 1000
5000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# Runnable as a script from a checkout: make ``benchmarks`` (and nodesms) importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

import nodesms
from benchmarks import _instructions
from benchmarks._common import (
    add_common_args,
    apply_common_args,
    describe_machine,
    median,
    median_range,
    repeats,
    scaled,
    table,
)
from benchmarks._server import GatewayProcess

MESSAGES = 100_000
SINGLES = 5_000
CHUNKS = (1000, 5000)
TASKS = 50
SENDER = "ACME"


def messages(count: int) -> list[tuple[str, str]]:
    """``count`` personalised ``(number, text)`` pairs, Turkish text, one SMS part each."""
    return [
        (f"90532{i:07d}", f"Sayın müşterimiz, {i} numaralı siparişiniz yola çıktı. İyi günler!")
        for i in range(count)
    ]


class Counted:
    """A client whose session counts the HTTP requests it starts."""

    def __init__(self, gw: GatewayProcess) -> None:
        self.requests = 0
        trace = aiohttp.TraceConfig()

        async def on_request_start(
            session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
        ) -> None:
            self.requests += 1

        trace.on_request_start.append(on_request_start)
        self.session = aiohttp.ClientSession(trace_configs=[trace])
        self.client = nodesms.Client(gw.base_url, gw.username, gw.password, session=self.session)

    async def close(self) -> None:
        await self.client.aclose()
        await self.session.close()


async def send_chunks(client: nodesms.Client, pairs: list[tuple[str, str]], size: int) -> None:
    for start in range(0, len(pairs), size):
        await client.sms.create(
            sender=SENDER,
            title="Kargo",
            content="Sipariş bildirimi",
            messages=pairs[start : start + size],
        )


async def send_singles(client: nodesms.Client, pairs: list[tuple[str, str]], tasks: int) -> None:
    queue = iter(pairs)

    async def worker() -> None:
        for number, text in queue:
            await client.sms.create(sender=SENDER, title="Kargo", content=text, number=number)

    await asyncio.gather(*(worker() for _ in range(tasks)))


async def _measure(
    gw: GatewayProcess, total: int, singles: int, chunks: Sequence[int], runs: int
) -> dict[str, dict[str, list[float]]]:
    pairs = messages(total)
    counted = Counted(gw)
    client = counted.client
    results: dict[str, dict[str, list[float]]] = {}
    variants: list[tuple[str, Any]] = [
        (f"chunks of {size:,}", lambda size=size: send_chunks(client, pairs, size))
        for size in chunks
    ]
    variants.append(
        (f"one per message ({TASKS} tasks)", lambda: send_singles(client, pairs[:singles], TASKS))
    )
    try:
        await send_chunks(client, pairs[:2000], 1000)  # warm up: connections, caches
        await send_singles(client, pairs[:200], TASKS)
        for _ in range(runs):
            for name, run in variants:
                counted.requests = 0
                cpu, wall = time.process_time(), time.perf_counter()
                await run()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                figures = results.setdefault(name, {"requests": [], "wall": [], "cpu": []})
                figures["requests"].append(counted.requests)
                figures["wall"].append(wall)
                figures["cpu"].append(cpu)
    finally:
        await counted.close()
    return results


def _count_child(base_url: str, username: str, password: str, size: int, runs: int) -> None:
    """Under callgrind: warm up, then ``runs`` chunks of ``size``, each a measured region."""
    pairs = messages(size * (runs + 1))
    loop = asyncio.new_event_loop()
    client = nodesms.Client(base_url, username, password)

    async def send(start: int) -> None:
        await send_chunks(client, pairs[start : start + size], size)

    loop.run_until_complete(send(0))
    for run in range(1, runs + 1):

        def measured(run: int = run) -> None:
            loop.run_until_complete(send(run * size))

        _instructions.region(measured)
    loop.run_until_complete(client.aclose())
    loop.close()
    print(json.dumps([size] * runs), flush=True)


def count_instructions(gw: GatewayProcess, size: int, runs: int) -> list[float]:
    """Client instructions per message of ``create(messages=chunk)``, one value per chunk."""
    args = [str(Path(__file__).resolve()), "--count-child", gw.base_url, gw.username]
    args += [gw.password, str(size), str(runs)]
    _, regions = _instructions.run_regions(args)
    return [instructions / size for instructions in regions]


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Run the benchmark, print its table; return medians per variant (for ``total``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None, help=f"total ({MESSAGES:,})")
    parser.add_argument(
        "--singles", type=int, default=None, help=f"sent one per request ({SINGLES:,})"
    )
    parser.add_argument("--chunks", type=int, nargs="+", default=list(CHUNKS), help="sizes")
    parser.add_argument(
        "--no-instructions", action="store_true", help="skip the callgrind count per message"
    )
    parser.add_argument("--count-child", nargs=5, help=argparse.SUPPRESS)
    add_common_args(parser)
    args = parser.parse_args(argv)
    if args.count_child:
        base_url, username, password, size, runs = args.count_child
        _count_child(base_url, username, password, int(size), int(runs))
        return {}
    apply_common_args(args)
    total = args.messages or scaled(MESSAGES, minimum=1000)
    singles = min(total, args.singles or scaled(SINGLES, minimum=500))
    runs = repeats(3)
    print("## Bulk sending\n")
    print(f"{describe_machine()}\n")
    print(
        f"{total:,} personalised messages; client process CPU time (the gateway runs in "
        f"another process, duplicate window off); median (range) of {runs} runs.\n"
    )
    with GatewayProcess(credit=10**12, duplicate_window=None) as gw:
        results = asyncio.run(_measure(gw, total, singles, args.chunks, runs))
        counted = (
            None
            if args.no_instructions or not _instructions.available()
            else count_instructions(gw, CHUNKS[0], 3)
        )
    rows = []
    summary: dict[str, dict[str, float]] = {}
    for name, figures in results.items():
        factor = total / singles if name.startswith("one per") else 1.0
        requests = median(figures["requests"]) * factor
        walls = [wall * factor for wall in figures["wall"]]
        cpus = [cpu * factor for cpu in figures["cpu"]]
        summary[name] = {"requests": requests, "wall": median(walls), "cpu": median(cpus)}
        note = f" ‡ from {singles:,}" if factor != 1.0 else ""
        rows.append(
            [
                name + note,
                f"{requests:,.0f}",
                median_range(walls, 2),
                median_range(cpus, 2),
                median_range((cpu / total * 1e6 for cpu in cpus), 1),
                f"{total / median(walls):,.0f}",
            ]
        )
    print(
        table(
            [
                f"{total:,} messages",
                "HTTP requests",
                "wall s",
                "client CPU s",
                "client CPU µs/message",
                "messages/s",
            ],
            rows,
        )
    )
    if singles != total:
        print(
            f"\n‡ measured on {singles:,} messages and scaled by {total / singles:g} "
            "(each message is one identical request)."
        )
    singles_name = f"one per message ({TASKS} tasks)"
    chunked_name = f"chunks of {CHUNKS[0]:,}"
    if singles_name in results and chunked_name in results:
        # Run by run: the variants of one run share the machine's load of the moment.
        ratios = [
            single * total / singles / chunked
            for single, chunked in zip(
                results[singles_name]["wall"], results[chunked_name]["wall"], strict=True
            )
        ]
        print(
            f"\nOne request per message takes {median_range(ratios, 1, '×')} the wall time of "
            f"{chunked_name}, run by run."
        )
    if counted is not None:
        print(
            f"\nClient instructions per message (callgrind), `create(messages=chunk)` with "
            f"chunks of {CHUNKS[0]:,}: {median_range(counted)} over {len(counted)} chunks."
        )
    return summary


if __name__ == "__main__":
    main()
