"""Distributed campaigns: the same campaign on 1, 2 and 4 taskiq workers.

A 200,000-message campaign (personalised ``Message`` s, chunks of 1,000: 200 packages) is sent
with ``CampaignTasks(max_concurrency=8).send_bulk(...)`` through ``taskiq worker`` processes on
a real ``redis-server`` (``RedisStreamBroker``), to the embedded gateway in its own process,
which answers ``/sms/create`` after 50 ms and refuses it (SMS50) while 8 are in flight: the
account's limit. Each run gets a fresh gateway, an empty Redis and fresh workers, which are
started and registered with the stream before the clock starts; runs of the three worker
counts are interleaved. A fourth row sets ``max_concurrency=16`` on 4 workers, above the
account's limit, to show what the semaphore saves.

Reported (medians): messages per second from the first chunk sent to the result, the ratio to
one worker, the share of SMS50 answers among all ``/sms/create`` requests, and the most
requests in flight at the gateway at once (measured there).

Run ``python benchmarks/bench_taskiq.py [--messages N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# Runnable as a script from a checkout: make ``benchmarks``, nodesms and the test harness
# (a redis-server, the metered gateway, the worker app) importable.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]

from _taskiq_app import make  # noqa: E402
from _taskiq_harness import RedisServer, metered_gateway, start_worker, stop_worker  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from benchmarks._common import (  # noqa: E402
    add_common_args,
    apply_common_args,
    describe_machine,
    median,
    repeats,
    scaled,
    table,
)
from nodesms import Message  # noqa: E402

MESSAGES = 200_000
LATENCY = 0.05
LIMIT = 8
CONFIGS = [(1, 8), (2, 8), (4, 8), (4, 16)]  # (workers, max_concurrency)


def _messages(count: int) -> Iterator[Message]:
    for i in range(count):
        yield Message(f"90555{i:07d}", f"Merhaba {i}, bahar indirimi başladı!")


async def _wait_for_workers(redis: Redis, count: int, timeout: float = 60.0) -> None:
    # A worker that is ready blocks in XREADGROUP (Redis lists a consumer only once it read).
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        clients = await redis.client_list()
        if sum(1 for c in clients if c.get("cmd") == "xreadgroup") >= count:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{count} workers did not register within {timeout} s")


async def _run(redis_server: RedisServer, workers: int, limit: int, count: int) -> dict[str, Any]:
    with metered_gateway(latency=LATENCY, limit=LIMIT) as gateway:
        os.environ.update(gateway.env())
        redis = Redis.from_url(redis_server.url)
        await redis.flushall()
        broker, tasks = make(redis_server.url, max_concurrency=limit, overdue_after=300.0)
        await broker.startup()
        started = [start_worker(redis_server.url, gateway, max_concurrency=limit)
                   for _ in range(workers)]  # fmt: skip
        try:
            await _wait_for_workers(redis, workers)
            begun = time.perf_counter()
            result = await asyncio.wait_for(
                tasks.send_bulk(
                    _messages(count), campaign_id=f"bench-{workers}-{limit}", sender="ACME",
                    title="Bahar",
                ),
                timeout=900,
            )  # fmt: skip
            wall = time.perf_counter() - begun
        finally:
            for process in started:
                stop_worker(process)
            await broker.shutdown()
            await redis.aclose()
        meter = gateway.meter()
    if result.messages != count or result.failed or meter["packages"] != len(result.packages):
        raise RuntimeError(f"the campaign went wrong: {result.messages} sent, {meter}")
    return {
        "rate": count / wall,
        "sms50": meter["refused"] / meter["creates"],
        "in_flight": meter["max_in_flight"],
    }


async def _main(count: int, runs: int) -> dict[str, float]:
    results: dict[tuple[int, int], list[dict[str, Any]]] = {}
    with RedisServer() as redis_server:
        for _ in range(runs):
            for workers, limit in CONFIGS:
                result = await _run(redis_server, workers, limit, count)
                results.setdefault((workers, limit), []).append(result)
    base = median(r["rate"] for r in results[CONFIGS[0]])
    rows = []
    summary: dict[str, float] = {}
    for workers, limit in CONFIGS:
        runs_ = results[(workers, limit)]
        rate = median(r["rate"] for r in runs_)
        low, high = min(r["rate"] for r in runs_), max(r["rate"] for r in runs_)
        share = median(r["sms50"] for r in runs_)
        rows.append(
            [
                workers,
                limit,
                f"{rate:,.0f}",
                f"{low:,.0f}-{high:,.0f}",
                f"{rate / base:.2f}×",
                f"{share:.1%}",
                max(r["in_flight"] for r in runs_),
            ]
        )
        summary[f"rate_{workers}_{limit}"] = rate
        summary[f"sms50_{workers}_{limit}"] = share
    print(
        f"### {count:,} messages on taskiq workers\n\nA gateway with {LATENCY * 1000:.0f} ms "
        f"latency and a concurrency limit of {LIMIT}; chunks of 1,000; median of {runs} "
        "run(s), fresh gateway, Redis contents and workers per run.\n"
    )
    headers = ["workers", "max_concurrency", "messages/s", "range", "vs 1 worker",
               "SMS50 share", "most in flight at the gateway"]  # fmt: skip
    print(table(headers, rows))
    print()
    return summary


def _versions() -> str:
    import importlib.metadata
    import subprocess

    server = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, timeout=10, check=True
    ).stdout.split()
    version = next((w.split("=", 1)[1] for w in server if w.startswith("v=")), "?")
    libraries = ("taskiq", "taskiq-redis", "redis")
    found = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in libraries)
    return f"{found}, redis-server {version}"


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print its table; return the headline figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None, help=f"size ({MESSAGES:,})")
    add_common_args(parser)
    args = parser.parse_args(argv)
    apply_common_args(args)
    count = args.messages or scaled(MESSAGES, minimum=10_000)
    print("## Distributed campaigns (taskiq + Redis)\n")
    print(f"{describe_machine()}; {_versions()}\n")
    return asyncio.run(_main(count, repeats(3)))


if __name__ == "__main__":
    main()
