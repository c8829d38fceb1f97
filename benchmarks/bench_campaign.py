"""Campaigns: ``send_bulk`` on 1,000,000 personalised messages, and against a concurrency limit.

**Part 1 — a million messages.** Each run is a fresh client process sending a campaign made by
a generator (``Message(number, personalised text)``, Turkish text, one SMS part) to a
fresh gateway process (duplicate window off). Variants, run interleaved:

- ``send_bulk``: ``client.sms.send_bulk(generator, chunk_size=1000, max_concurrency=8)``;
- ``send_bulk + journal``: the same with ``journal=`` (a SQLite file in a temporary directory);
- ``hand-written``: what users wrote before: the same generator cut into lists of 1,000
  ``(number, text)`` pairs, one ``create(messages=chunk, custom_id=...)`` per chunk, 8 in
  flight (``asyncio.Semaphore``), no failure collection, no resume.

Reported: the client process's CPU per message (``time.process_time()``, the send only, the
caller's generator included), how much of it making the messages costs (the generator drained
alone in the same process before the send) and the rest, nodesms's own share, wall
time, and peak memory (``ru_maxrss`` at the end minus after the imports) at 10,000 and at
1,000,000 messages: flat means the second is within a few MB of the first.

**Part 2 — a concurrency limit.** The gateway refuses ``/sms/create`` (SMS50) while 4 are in
flight and answers each after 50 ms: its capacity is 4 / 0.05 s = 80 requests per second.
400 chunks of 10 messages are sent with ``send_bulk(max_concurrency=16)`` (adaptive), with
``max_concurrency=4`` (told the limit), and with a fixed 16 in flight where each ``create``
is retried by the client's policy on SMS50 within 0.05-0.5 s (the naive way, which keeps a
request waiting at the gateway at every moment, so its throughput is what the gateway can
deliver). Reported: chunks per second, as a share of 80/s (latency alone; the gateway's own
processing and the client's turnaround between an answer and the next request come on top)
and of the fixed 16's throughput, and the share of SMS50 answers among all create requests.

Run ``python benchmarks/bench_campaign.py [--messages N] [--small N] [--chunks N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# Runnable as a script from a checkout: make ``benchmarks`` (and nodesms) importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _instructions
from benchmarks._common import (
    ROOT,
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

MESSAGES = 1_000_000
SMALL = 10_000
LIMITED_CHUNKS = 400
LIMIT = 4
LATENCY = 0.05
SENDER = "ACME"
VARIANTS = ("send_bulk", "send_bulk + journal", "hand-written")


# --- part 1: the child, one campaign in one fresh process ------------------------------------


def personalised(count: int) -> Iterator[Any]:
    """``count`` personalised messages, made as they are read."""
    import nodesms

    for i in range(count):
        yield nodesms.Message(
            f"90532{i:07d}",
            f"Sayın müşterimiz, {i} numaralı siparişiniz yola çıktı. İyi günler dileriz!",
        )


def _maxrss_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def child(variant: str, count: int, base_url: str, workdir: str) -> dict[str, Any]:
    """Send ``count`` messages the ``variant`` way; CPU, wall and peak RSS above the imports."""
    import nodesms

    baseline = _maxrss_kib()
    # What making the messages alone costs (the user's generator, not nodesms).
    started = time.process_time()
    for _ in personalised(min(count, 100_000)):
        pass
    making = (time.process_time() - started) / min(count, 100_000)
    # Warm-up: what send_bulk imports on first use is imported outside the timed send. (The
    # checks' own cost is in the instruction counts: timed apart, it is smaller than the noise.)
    from nodesms._bulk import campaign_options, plan

    options = campaign_options(
        nodesms.Client("http://127.0.0.1:9", "u", "p"), campaign_id="c", sender=SENDER, title="T"
    )
    for _ in plan(personalised(1_000), options):
        pass

    async def send() -> dict[str, Any]:
        async with nodesms.Client(
            base_url, os.environ["BENCH_USERNAME"], os.environ["BENCH_PASSWORD"]
        ) as client:
            await client.user.credit()  # connect before measuring
            cpu, wall = time.process_time(), time.perf_counter()
            if variant == "hand-written":
                packages, messages = await _hand_written(client, count)
            else:
                journal = os.path.join(workdir, "campaign.sqlite") if "journal" in variant else None
                result = await client.sms.send_bulk(
                    personalised(count),
                    campaign_id="bench",
                    sender=SENDER,
                    title="Kargo",
                    max_concurrency=8,
                    journal=journal,
                )
                packages, messages = len(result.packages), result.messages
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return {"cpu": cpu, "wall": wall, "packages": packages, "messages": messages}

    result = asyncio.run(send())
    result["making"] = making
    result["baseline_kib"] = baseline
    result["peak_kib"] = _maxrss_kib()
    return result


async def _hand_written(client: Any, count: int, prefix: str = "hand") -> tuple[int, int]:
    slots = asyncio.Semaphore(8)
    packages = messages = 0
    tasks = set()

    async def send(k: int, chunk: list[tuple[str, str]]) -> None:
        nonlocal packages, messages
        try:
            await client.sms.create(
                sender=SENDER,
                title="Kargo",
                content="Kargo",
                messages=chunk,
                custom_id=f"{prefix}.{k}",
            )
            packages += 1
            messages += len(chunk)
        finally:
            slots.release()

    chunk: list[tuple[str, str]] = []
    k = 0
    for message in personalised(count):
        chunk.append((message.number, message.text))
        if len(chunk) == 1000:
            await slots.acquire()
            tasks.add(asyncio.create_task(send(k, chunk)))
            tasks = {t for t in tasks if not t.done()}
            chunk, k = [], k + 1
    if chunk:
        await slots.acquire()
        tasks.add(asyncio.create_task(send(k, chunk)))
    await asyncio.gather(*tasks)
    return packages, messages


def _run_child(variant: str, count: int) -> dict[str, Any]:
    with (
        GatewayProcess(credit=10**12, duplicate_window=None) as gw,
        tempfile.TemporaryDirectory() as workdir,
    ):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["BENCH_USERNAME"], env["BENCH_PASSWORD"] = gw.username, gw.password
        command = [sys.executable, __file__, "--child", variant, str(count), gw.base_url, workdir]
        done = subprocess.run(
            command, env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=3600
        )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["messages"] != count:
        raise RuntimeError(f"{variant} sent {result['messages']} messages, not {count}")
    return result


# --- part 1b: instructions per message, which the machine's load cannot move -------------------

COUNTED = 10_000
COUNTED_VARIANTS = ("send_bulk", "hand-written")


def _count_child(base_url: str, username: str, password: str, runs: int) -> None:
    """Under callgrind: a warm-up, then ``runs`` campaigns of each variant, interleaved, each
    a measured region; prints the regions' labels."""
    import nodesms

    loop = asyncio.new_event_loop()
    client = nodesms.Client(base_url, username, password)

    async def campaign(variant: str, run: int) -> None:
        if variant == "hand-written":
            await _hand_written(client, COUNTED, prefix=f"hand-{run}")
        else:
            await client.sms.send_bulk(
                personalised(COUNTED),
                campaign_id=f"count-{run}",
                sender=SENDER,
                title="Kargo",
                max_concurrency=8,
            )

    def making() -> None:
        for _ in personalised(COUNTED):
            pass

    labels = []
    for run in range(runs + 1):
        if run:
            _instructions.region(making)
            labels.append("making the messages")
        for variant in COUNTED_VARIANTS:
            if run == 0:  # warm-up: connections, caches, lazy imports
                loop.run_until_complete(campaign(variant, run))
                continue

            def measured(variant: str = variant, run: int = run) -> None:
                loop.run_until_complete(campaign(variant, run))

            _instructions.region(measured)
            labels.append(variant)
    loop.run_until_complete(client.aclose())
    loop.close()
    print(json.dumps(labels), flush=True)


def count_instructions(runs: int) -> dict[str, list[float]]:
    """Client instructions per message of each variant, one value per run."""
    with GatewayProcess(credit=10**12, duplicate_window=None) as gw:
        args = [str(Path(__file__).resolve()), "--count-child", gw.base_url, gw.username]
        labels, regions = _instructions.run_regions([*args, gw.password, str(runs)])
    counted: dict[str, list[float]] = {}
    for label, instructions in zip(labels, regions, strict=True):
        counted.setdefault(label, []).append(instructions / COUNTED)
    return counted


# --- part 2: against a concurrency limit -------------------------------------------------------


class _Counted:
    """A client whose session counts /sms/create requests and their SMS50 (HTTP 429) answers."""

    def __init__(self, gw: GatewayProcess, **options: Any) -> None:
        import aiohttp

        import nodesms

        self.creates = self.refused = 0
        trace = aiohttp.TraceConfig()

        async def on_end(session: Any, context: SimpleNamespace, params: Any) -> None:
            if params.url.path == "/sms/create":
                self.creates += 1
                self.refused += params.response.status == 429

        trace.on_request_end.append(on_end)
        self.session = aiohttp.ClientSession(trace_configs=[trace])
        self.client = nodesms.Client(
            gw.base_url, gw.username, gw.password, session=self.session, **options
        )

    async def close(self) -> None:
        await self.client.aclose()
        await self.session.close()


async def _limited_run(gw: GatewayProcess, variant: str, chunks: int, run: int) -> dict[str, float]:
    import nodesms

    retry = nodesms.RetryPolicy(max_attempts=100, initial_delay=0.05, max_delay=0.5)
    counted = _Counted(gw, retry=retry) if variant == "fixed 16" else _Counted(gw)
    client = counted.client
    campaign = f"limit-{variant.split()[0].strip(',')}-{run}"
    messages = [
        nodesms.Message(f"90533{i:07d}", f"Kampanya {campaign} {i}") for i in range(chunks * 10)
    ]
    try:
        started = time.perf_counter()
        if variant == "fixed 16":
            slots = asyncio.Semaphore(16)

            async def send(k: int) -> None:
                async with slots:
                    await client.sms.create(
                        sender=SENDER,
                        title="T",
                        content="T",
                        messages=messages[k * 10 : k * 10 + 10],
                        custom_id=f"{campaign}.{k}",
                    )

            await asyncio.gather(*(send(k) for k in range(chunks)))
        else:
            result = await client.sms.send_bulk(
                messages,
                campaign_id=campaign,
                sender=SENDER,
                title="T",
                chunk_size=10,
                max_concurrency=16 if variant.startswith("adaptive") else LIMIT,
            )
            if result.failed:
                raise RuntimeError(f"{len(result.failed)} messages failed")
        wall = time.perf_counter() - started
    finally:
        await counted.close()
    return {
        "capacity": chunks / wall / (LIMIT / LATENCY),
        "refused": counted.refused / counted.creates,
        "wall": wall,
    }


async def _limited(gw: GatewayProcess, chunks: int, runs: int) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    variants = ("adaptive, max_concurrency=16", "told the limit, max_concurrency=4", "fixed 16")
    for run in range(runs):
        for variant in variants:
            figures = await _limited_run(gw, variant, chunks, run)
            for key, value in figures.items():
                results.setdefault(variant, {}).setdefault(key, []).append(value)
    return results


# --- the parent ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print its tables; return the headline figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None, help=f"large ({MESSAGES:,})")
    parser.add_argument("--small", type=int, default=None, help=f"small ({SMALL:,})")
    parser.add_argument("--chunks", type=int, default=None, help=f"limited ({LIMITED_CHUNKS})")
    parser.add_argument("--child", nargs=4, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--count-child", nargs=4, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-instructions", action="store_true", help="skip the callgrind count per message"
    )
    add_common_args(parser)
    args = parser.parse_args(argv)
    if args.child:
        variant, count, base_url, workdir = args.child
        print(json.dumps(child(variant, int(count), base_url, workdir)))
        return {}
    if args.count_child:
        base_url, username, password, runs = args.count_child
        _count_child(base_url, username, password, int(runs))
        return {}
    apply_common_args(args)
    large = args.messages or scaled(MESSAGES, minimum=20_000)
    small = args.small or scaled(SMALL, minimum=2_000)
    chunks = args.chunks or scaled(LIMITED_CHUNKS, minimum=80)
    runs = repeats(1)
    print("## Campaigns\n")
    print(f"{describe_machine()}\n")

    results: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for _ in range(runs):
        for count in (small, large):
            for variant in VARIANTS:
                results.setdefault((variant, count), []).append(_run_child(variant, count))
    print(
        f"### {large:,} personalised messages\n\nClient process CPU per message (the send, "
        "the caller's generator included; then what making a message costs alone, and the "
        "rest: nodesms's own), wall time, and peak memory "
        f"above the imports at {small:,} and {large:,} messages; fresh client and gateway "
        f"processes for each run; median of {runs} run(s).\n"
    )
    rows = []
    summary: dict[str, float] = {}
    base = results[("send_bulk", large)]
    ratios: dict[str, list[float]] = {}
    for variant in VARIANTS:
        big, little = results[(variant, large)], results[(variant, small)]
        cpu = median(r["cpu"] for r in big) / large
        # Ratios run by run: the variants of one run share the machine's load of the moment.
        paired = [r["cpu"] / b["cpu"] for r, b in zip(big, base, strict=True)]
        # nodesms's own share, run by run: the process less making the messages (measured
        # alone in the same process, where it runs cache-hot: this share errs high).
        own = [(r["cpu"] / large - r["making"]) * 1e6 for r in big]
        wall = median(r["wall"] for r in big)
        making = median(r["making"] for r in big)
        peak_small = median((r["peak_kib"] - r["baseline_kib"]) / 1024 for r in little)
        peak_large = median((r["peak_kib"] - r["baseline_kib"]) / 1024 for r in big)
        summary[f"{variant} cpu_us"] = cpu * 1e6
        summary[f"{variant} own_us"] = median(own)
        summary[f"{variant} paired"] = median(paired)
        ratios[variant] = paired
        summary[f"{variant} peak_growth_mb"] = peak_large - peak_small
        rows.append(
            [
                variant,
                median_range((r["cpu"] / large * 1e6 for r in big), 2),
                median_range(paired, 2, "×"),
                f"{making * 1e6:.2f}",
                median_range(own, 2),
                f"{wall:.1f}",
                f"{large / wall:,.0f}",
                f"{peak_small:.1f}",
                f"{peak_large:.1f}",
            ]
        )
    print(
        table(
            [
                "variant",
                "client CPU µs/message",
                "vs send_bulk",
                "of which making a message µs",
                "the rest (nodesms) µs",
                "wall s",
                "messages/s",
                f"peak MB at {small:,}",
                f"peak MB at {large:,}",
            ],
            rows,
        )
    )
    overheads = [100 * (ratio - 1) for ratio in ratios["send_bulk + journal"]]
    print(f"\nJournal overhead, run by run: {median_range(overheads, 1, ' %')} CPU.\n")
    if not args.no_instructions and _instructions.available():
        counted = count_instructions(3)
        print(
            f"Client instructions per message (callgrind, campaigns of {COUNTED:,}, 3 runs): "
            + "; ".join(f"{name} {median_range(values)}" for name, values in counted.items())
            + ".\n"
        )
        for name, values in counted.items():
            summary[f"{name} instructions"] = median(values)
        own = [
            total - made
            for total, made in zip(
                counted["send_bulk"], counted["making the messages"], strict=True
            )
        ]
        print(f"Of send_bulk's, nodesms's own (less making the messages): {median_range(own)}.\n")
        summary["send_bulk own instructions"] = median(own)

    limited_runs = repeats(3)
    with GatewayProcess(
        credit=10**12,
        duplicate_window=None,
        latency={"/sms/create": LATENCY},
        concurrency_limit=LIMIT,
    ) as gw:
        limited = asyncio.run(_limited(gw, chunks, limited_runs))
    print(
        f"### Against a concurrency limit\n\n{chunks} chunks of 10 messages; the gateway refuses "
        f"a create while {LIMIT} are in flight and answers after {LATENCY * 1000:.0f} ms "
        f"(capacity {LIMIT / LATENCY:.0f} requests/s); median of {limited_runs} runs.\n"
    )
    rows = []
    saturated = median(limited["fixed 16"]["capacity"])
    for variant, figures in limited.items():
        capacity = median(figures["capacity"])
        rows.append(
            [
                variant,
                f"{capacity * LIMIT / LATENCY:.1f}",
                f"{capacity:.0%}",
                f"{capacity / saturated:.0%}",
                f"{median(figures['refused']):.1%}",
                f"{median(figures['wall']):.2f}",
            ]
        )
        summary[f"{variant} capacity"] = capacity
        summary[f"{variant} of saturated"] = capacity / saturated
        summary[f"{variant} refused"] = median(figures["refused"])
    headers = [
        "sender",
        "chunks/s",
        f"vs {LIMIT / LATENCY:.0f}/s",
        "vs fixed 16",
        "SMS50",
        "wall s",
    ]
    print(table(headers, rows))
    return summary


if __name__ == "__main__":
    main()
