"""Per-call overhead of ``nodesms.SyncClient`` over ``nodesms.Client``.

The gateway runs in another process. Measured in this process, for 1,000 ``user.credit()``
and 1,000 ``sms.create_otp()`` calls per run:

- **Client**: ``await client.user.credit()`` in a loop inside ``asyncio.run`` (and 8
  concurrent tasks);
- **SyncClient**: ``client.user.credit()`` in a loop from the main thread (and 8 threads
  sharing one SyncClient): each call is handed to the client's background loop and waited for.

CPU time is ``time.process_time()`` (every thread of the process, the background loop's
included); the runs alternate (Client, SyncClient, Client...) after a warm-up, and the table
gives medians and the ratio SyncClient / Client. Target: the hand-over must not double the
cost of a call (ratio < 2).

Run ``python benchmarks/bench_sync.py [--calls N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (
    add_common_args,
    apply_common_args,
    describe_machine,
    median,
    repeats,
    scaled,
    table,
)
from benchmarks._server import GatewayProcess

CALLS = 1000
THREADS = 8
TARGET = 2.0
NUMBER = "905551234567"


def _credentials(gw: GatewayProcess) -> tuple[str, str, str]:
    return gw.base_url, gw.username, gw.password


def run_async(gw: GatewayProcess, operation: str, calls: int, workers: int) -> tuple[float, float]:
    """CPU and wall seconds of ``calls`` calls with the async client (``workers`` tasks)."""
    import nodesms

    async def main() -> tuple[float, float]:
        async with nodesms.Client(*_credentials(gw)) as client:
            await client.user.credit()  # connect first, as the sync run does
            per_worker = calls // workers

            async def work() -> None:
                for _ in range(per_worker):
                    if operation == "credit":
                        await client.user.credit()
                    else:
                        await client.sms.create_otp(number=NUMBER, sender="ACME", content="1")

            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(work() for _ in range(workers)))
            return time.process_time() - cpu, time.perf_counter() - wall

    return asyncio.run(main())


def run_sync(gw: GatewayProcess, operation: str, calls: int, workers: int) -> tuple[float, float]:
    """CPU and wall seconds of ``calls`` calls with one SyncClient (``workers`` threads)."""
    import nodesms

    with nodesms.SyncClient(*_credentials(gw)) as client:
        client.user.credit()
        per_worker = calls // workers

        def work() -> None:
            for _ in range(per_worker):
                if operation == "credit":
                    client.user.credit()
                else:
                    client.sms.create_otp(number=NUMBER, sender="ACME", content="1")

        cpu, wall = time.process_time(), time.perf_counter()
        if workers == 1:
            work()
        else:
            threads = [threading.Thread(target=work) for _ in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=None, help=f"calls per run ({CALLS})")
    add_common_args(parser)
    args = parser.parse_args()
    apply_common_args(args)
    calls = args.calls or scaled(CALLS, minimum=THREADS * 10)
    runs = repeats(7)
    contenders: list[tuple[str, Callable[..., tuple[float, float]]]] = [
        ("Client", run_async),
        ("SyncClient", run_sync),
    ]
    print("# SyncClient per-call overhead\n")
    print(describe_machine() + "\n")
    with GatewayProcess(credit=10**9, duplicate_window=None) as gw:
        for operation in ("credit", "otp"):
            for workers in (1, THREADS):
                results: dict[str, list[tuple[float, float]]] = {n: [] for n, _ in contenders}
                for _name, run in contenders:  # warm-up
                    run(gw, operation, calls // 5, workers)
                for _ in range(runs):
                    for name, run in contenders:
                        results[name].append(run(gw, operation, calls, workers))
                rows = []
                base_cpu = median(c for c, _ in results["Client"]) / calls * 1e6
                base_wall = median(w for _, w in results["Client"]) / calls * 1e6
                for name, _ in contenders:
                    cpus = sorted(c / calls * 1e6 for c, _ in results[name])
                    wall = median(w for _, w in results[name]) / calls * 1e6
                    cpu = median(cpus)
                    rows.append([
                        name,
                        f"{cpu:.0f} ({cpus[0]:.0f}-{cpus[-1]:.0f})",
                        f"{wall:.0f}",
                        f"{cpu / base_cpu:.2f}×",
                        f"{wall / base_wall:.2f}×",
                    ])  # fmt: skip
                call = "user.credit()" if operation == "credit" else "sms.create_otp()"
                how = "sequential" if workers == 1 else f"{workers} tasks / threads"
                print(f"\n**{call}, {how}**, {calls} calls per run, median of {runs}\n")
                print(table(["client", "CPU µs/call (range)", "wall µs/call", "CPU ratio",
                             "wall ratio"], rows))  # fmt: skip
    print(f"\nTarget: SyncClient below {TARGET}× Client's CPU per call.")


if __name__ == "__main__":
    main()
