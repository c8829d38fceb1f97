"""Per-call overhead: ``user.credit()`` and ``sms.create_otp()``, nodesms against its peers.

The gateway runs in another process; what is measured is this process's CPU time
(``time.process_time``) per call, and calls per second, for

- **nodesms**: ``await client.user.credit()`` / ``await client.sms.create_otp(...)``;
- **aiohttp (floor)**: the same POST on one ``aiohttp.ClientSession`` with a hand-built JSON
  body and headers, and ``json.loads`` of the answer: what no client can go below;
- **httpx**: the same with ``httpx.AsyncClient``;
- **requests**: the same with a synchronous ``requests.Session`` (50 threads, one session
  each, for the concurrent runs): what people write today;

sequentially and with 50 concurrent tasks. Target: nodesms within 1.3x the floor's CPU per call.

Then, because CPU time on a shared machine moves more than the difference, the instructions
per sequential call of nodesms and the floor are counted with callgrind
(:mod:`benchmarks._instructions`), on asyncio's loop and on uvloop. Target: nodesms ÷ floor
≤ 1.03 in instructions.

Run ``python benchmarks/bench_overhead.py [--calls N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Runnable as a script from a checkout: make ``benchmarks`` (and nodesms) importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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

CALLS = 2000
CONCURRENCY = 50
TARGET = 1.3
INSTRUCTION_CALLS = 100
INSTRUCTION_TARGET = 1.03

NUMBER = "905551234567"
SENDER = "ACME"
CONTENT = "Kodunuz: 482913"

_ids = itertools.count()


def _otp_body() -> bytes:
    # What a hand-written client sends: the fields, a unique customID, nothing more.
    return json.dumps(
        {
            "number": NUMBER,
            "sender": SENDER,
            "content": CONTENT,
            "encoding": 0,
            "customID": f"raw-{os.getpid()}-{next(_ids)}",
        }
    ).encode()


def _check(answer: dict[str, Any]) -> None:
    if answer.get("err") is not None:
        raise RuntimeError(f"the gateway refused: {answer['err']}")


def _headers(username: str, password: str) -> dict[str, str]:
    from nodesms._config import auth_header

    return {
        "Authorization": auth_header(username, password),
        "Content-Type": "application/json",
        "User-Agent": "bench/1.0",
    }


# --- the async contenders --------------------------------------------------------------------


class AsyncContender:
    """One client library, ready to make the two calls."""

    name = ""

    async def start(self, gw: GatewayProcess) -> None:
        raise NotImplementedError

    async def credit(self) -> None:
        raise NotImplementedError

    async def otp(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class Nodesms(AsyncContender):
    name = "nodesms"

    async def start(self, gw: GatewayProcess) -> None:
        import nodesms

        self.client = nodesms.Client(gw.base_url, gw.username, gw.password)

    async def credit(self) -> None:
        await self.client.user.credit()

    async def otp(self) -> None:
        await self.client.sms.create_otp(number=NUMBER, sender=SENDER, content=CONTENT)

    async def close(self) -> None:
        await self.client.aclose()


class RawAiohttp(AsyncContender):
    name = "aiohttp (floor)"

    async def start(self, gw: GatewayProcess) -> None:
        import aiohttp

        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        self.base = gw.base_url
        self.headers = _headers(gw.username, gw.password)

    async def _post(self, path: str, body: bytes) -> None:
        async with self.session.post(self.base + path, data=body, headers=self.headers) as r:
            _check(json.loads(await r.read()))

    async def credit(self) -> None:
        await self._post("/user/credit", b"{}")

    async def otp(self) -> None:
        await self._post("/sms/create-otp", _otp_body())

    async def close(self) -> None:
        await self.session.close()


class Httpx(AsyncContender):
    name = "httpx"

    async def start(self, gw: GatewayProcess) -> None:
        import httpx

        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        self.client = httpx.AsyncClient(
            base_url=gw.base_url, headers=_headers(gw.username, gw.password), limits=limits
        )

    async def _post(self, path: str, body: bytes) -> None:
        response = await self.client.post(path, content=body)
        _check(json.loads(response.content))

    async def credit(self) -> None:
        await self._post("/user/credit", b"{}")

    async def otp(self) -> None:
        await self._post("/sms/create-otp", _otp_body())

    async def close(self) -> None:
        await self.client.aclose()


CONTENDERS: dict[str, type[AsyncContender]] = {
    contender.name: contender for contender in (Nodesms, RawAiohttp, Httpx)
}


async def _run_async(call: Callable[[], Awaitable[None]], calls: int, tasks: int) -> None:
    if tasks == 1:
        for _ in range(calls):
            await call()
        return
    counter = itertools.count()

    async def worker() -> None:
        while next(counter) < calls:
            await call()

    await asyncio.gather(*(worker() for _ in range(tasks)))


# --- requests --------------------------------------------------------------------------------


class Requests:
    """Synchronous ``requests``: one Session per thread."""

    name = "requests (sync)"

    def __init__(self, gw: GatewayProcess) -> None:
        self.base = gw.base_url
        self.headers = _headers(gw.username, gw.password)
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(CONCURRENCY)
        self.sessions: list[Any] = []

    def _session(self) -> Any:
        session = getattr(self.local, "session", None)
        if session is None:
            import requests

            session = self.local.session = requests.Session()
            session.headers.update(self.headers)
            self.sessions.append(session)
        return session

    def _post(self, path: str, body: bytes) -> None:
        response = self._session().post(self.base + path, data=body)
        _check(json.loads(response.content))

    def credit(self) -> None:
        self._post("/user/credit", b"{}")

    def otp(self) -> None:
        self._post("/sms/create-otp", _otp_body())

    def run(self, call: Callable[[], None], calls: int, tasks: int) -> None:
        if tasks == 1:
            for _ in range(calls):
                call()
            return
        counter = itertools.count()

        def worker() -> None:
            while next(counter) < calls:
                call()

        for future in [self.pool.submit(worker) for _ in range(tasks)]:
            future.result()

    def close(self) -> None:
        self.pool.shutdown()
        for session in self.sessions:
            session.close()


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Result:
    cpu_us: list[float] = field(default_factory=list)
    rate: list[float] = field(default_factory=list)

    def add(self, cpu: float, wall: float, calls: int) -> None:
        self.cpu_us.append(cpu / calls * 1e6)
        self.rate.append(calls / wall)


Key = tuple[str, str, int]  # (operation, contender, tasks)


async def _measure(
    gw: GatewayProcess, operations: Sequence[str], modes: Sequence[int], calls: int, runs: int
) -> dict[Key, Result]:
    contenders: list[AsyncContender] = [Nodesms(), RawAiohttp(), Httpx()]
    for contender in contenders:
        await contender.start(gw)
    sync = Requests(gw)
    results: dict[Key, Result] = {}
    try:
        for operation in operations:
            for tasks in modes:
                warm = min(calls, max(100, 2 * tasks))
                for contender in contenders:
                    await _run_async(getattr(contender, operation), warm, tasks)
                sync.run(getattr(sync, operation), warm, tasks)
                # Interleave the contenders run by run, so drift hits all of them alike.
                for _ in range(runs):
                    for contender in contenders:
                        call = getattr(contender, operation)
                        cpu, wall = time.process_time(), time.perf_counter()
                        await _run_async(call, calls, tasks)
                        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                        key = (operation, contender.name, tasks)
                        results.setdefault(key, Result()).add(cpu, wall, calls)
                    cpu, wall = time.process_time(), time.perf_counter()
                    sync.run(getattr(sync, operation), calls, tasks)
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                    results.setdefault((operation, sync.name, tasks), Result()).add(
                        cpu, wall, calls
                    )
    finally:
        for contender in contenders:
            await contender.close()
        sync.close()
    return results


LABELS = {"credit": "user.credit()", "otp": "sms.create_otp()"}


def report(
    results: dict[Key, Result], operations: Sequence[str], modes: Sequence[int], calls: int
) -> dict[str, float]:
    """Print one table per operation; return nodesms's median CPU ratios to the floor.

    Ratios are taken pair by pair: run *i* of a client against run *i* of the floor, which
    ran right after it; the table gives the median of those ratios and their range.
    """
    names = [Nodesms.name, RawAiohttp.name, Httpx.name, Requests.name]
    ratios: dict[str, float] = {}
    for operation in operations:
        headers = ["client"]
        for tasks in modes:
            mode = "sequential" if tasks == 1 else f"{tasks} tasks"
            headers += [f"{mode}: CPU µs/call", f"{mode}: calls/s", f"{mode}: CPU ÷ floor"]
        rows = []
        for name in names:
            row: list[object] = [name]
            for tasks in modes:
                result = results[(operation, name, tasks)]
                floor = results[(operation, RawAiohttp.name, tasks)].cpu_us
                paired = [cpu / base for cpu, base in zip(result.cpu_us, floor, strict=True)]
                row += [
                    median_range(result.cpu_us),
                    f"{median(result.rate):,.0f}",
                    median_range(paired, 2, "×"),
                ]
                if name == Nodesms.name:
                    ratios[f"{operation}/{tasks}"] = median(paired)
            rows.append(row)
        print(
            f"\n**{LABELS[operation]}**, {calls} calls per run, median (range) of "
            f"{len(result.cpu_us)} runs\n"
        )
        print(table(headers, rows))
    worst = max(ratios.values())
    verdict = "met" if worst <= TARGET else "MISSED"
    print(
        f"\nTarget: nodesms within {TARGET}× the raw-aiohttp floor in client CPU per call: "
        f"{verdict} (worst median {worst:.2f}×)."
    )
    return ratios


def report_instructions(
    counts: dict[str, dict[tuple[str, str], list[float]]], operations: Sequence[str], calls: int
) -> dict[str, float]:
    """Print the instruction counts per call; return nodesms ÷ floor per operation and loop."""
    ratios: dict[str, float] = {}
    rows = []
    for loop, results in counts.items():
        for operation in operations:
            ours = results[(operation, Nodesms.name)]
            floor = results[(operation, RawAiohttp.name)]
            paired = [a / b for a, b in zip(ours, floor, strict=True)]
            extra = [a - b for a, b in zip(ours, floor, strict=True)]
            ratios[f"{operation}/{loop}"] = median(paired)
            rows.append(
                [
                    LABELS[operation],
                    loop,
                    median_range(ours),
                    median_range(floor),
                    median_range(paired, 3, "×"),
                    f"{median(extra):+,.0f}",
                ]
            )
    runs = len(next(iter(next(iter(counts.values())).values())))
    print(
        f"\n**Instructions per call** (callgrind; sequential, {calls} calls per run, median "
        f"(range) of {runs} runs, the contenders interleaved in one process)\n"
    )
    print(
        table(
            [
                "call",
                "event loop",
                "nodesms",
                "aiohttp (floor)",
                "nodesms ÷ floor",
                "nodesms − floor",
            ],
            rows,
        )
    )
    if "asyncio" in counts and "uvloop" in counts:
        for operation in operations:
            on_uvloop = median(counts["uvloop"][(operation, Nodesms.name)])
            on_asyncio = median(counts["asyncio"][(operation, Nodesms.name)])
            print(
                f"\nnodesms on uvloop, {LABELS[operation]}: {on_uvloop / on_asyncio - 1:+.0%} "
                "instructions per call against asyncio's loop."
            )
    worst = max(ratios.values())
    verdict = "met" if worst <= INSTRUCTION_TARGET else "MISSED"
    print(
        f"\nTarget: nodesms ÷ raw aiohttp ≤ {INSTRUCTION_TARGET} in instructions per call: "
        f"{verdict} (worst median {worst:.3f}×)."
    )
    return ratios


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print its tables; return nodesms's ratios to the floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=None, help=f"calls per run ({CALLS})")
    parser.add_argument("--ops", nargs="+", choices=["credit", "otp"], default=["credit", "otp"])
    parser.add_argument(
        "--tasks", type=int, nargs="+", default=[1, CONCURRENCY], help="concurrency levels"
    )
    parser.add_argument(
        "--loops",
        nargs="*",
        choices=["asyncio", "uvloop"],
        default=["asyncio", "uvloop"],
        help="event loops to count instructions on (callgrind; none: skip the count)",
    )
    parser.add_argument(
        "--no-timing", action="store_true", help="only count instructions (no CPU timing)"
    )
    add_common_args(parser)
    args = parser.parse_args(argv)
    apply_common_args(args)
    calls = args.calls or scaled(CALLS, minimum=100)
    runs = repeats(5)
    print("## Per-call overhead\n")
    print(f"{describe_machine()}\n")
    ratios: dict[str, float] = {}
    with GatewayProcess(credit=10**9) as gw:
        if not args.no_timing:
            print(
                "Client CPU (`time.process_time()` of the client process; the gateway runs in "
                "another process) per call, and calls per second."
            )
            results = asyncio.run(_measure(gw, args.ops, args.tasks, calls, runs))
            ratios.update(report(results, args.ops, args.tasks, calls))
        if args.loops and not _instructions.available():
            print("\nvalgrind is not installed: no instruction counts.")
        elif args.loops:
            counted = scaled(INSTRUCTION_CALLS, minimum=20)
            counts = {
                loop: _instructions.count(
                    gw,
                    ops=args.ops,
                    contenders=[Nodesms.name, RawAiohttp.name],
                    calls=counted,
                    runs=repeats(3),
                    loop=loop,
                )
                for loop in args.loops
            }
            ratios.update(report_instructions(counts, args.ops, counted))
    return ratios


if __name__ == "__main__":
    main()
