"""Streaming walk of /sms/list: ``async for`` with prefetch or pages in flight vs a naive loop.

The gateway (another process) holds 200,000 packages and takes 20 ms per ``/sms/list``
request; the consumer spends 20 ms per 1,000 packages (``await asyncio.sleep(0.02)``):

- **async for (prefetch)**: ``async for pkg in client.sms.list(limit=N)``, the next page
  already requested while the consumer works on the current one;
- **async for, concurrency=4**: the same with four pages in flight at once;
- **naive loop**: ``page = await client.sms.list(page_index=i)``, process it, next ``i``.

A second table walks the 200,000 packages with no consumer work at all, where only the
network and decoding count: that is where pages in flight pay.

Every walk runs in a fresh client process, which reports its wall time and its peak RSS
(``ru_maxrss``) above its RSS after the imports. Targets: memory flat (a walk of 200,000 uses
no more than 20 MB more than a walk of 20,000), the prefetching walk at most 0.6x the naive
loop's wall time, and ``concurrency=4`` at most 0.35x the naive loop's without consumer work.

Run ``python benchmarks/bench_walk.py [--packages N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Runnable as a script from a checkout: make ``benchmarks`` (and nodesms) importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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

PACKAGES = 200_000
SMALL = 20_000
LATENCY = 0.02
WORK = 0.02
MEMORY_TARGET_MB = 20.0
TIME_TARGET = 0.6
CONCURRENT_TARGET = 0.35
CONCURRENCY = 4
VARIANTS = {
    "prefetch": "async for (prefetch)",
    "concurrent": f"async for, concurrency={CONCURRENCY}",
    "naive": "naive page loop",
}


# --- the child: one walk, one fresh process --------------------------------------------------


def _maxrss_kib() -> int:
    import resource

    # Linux reports KiB (macOS bytes; the figures here are from Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(variant: str, size: int, base_url: str, work: float, spread: float) -> dict[str, Any]:
    """Walk ``size`` packages the ``variant`` way; wall time and peak RSS above the imports."""
    import asyncio
    import time
    from datetime import datetime, timedelta

    import nodesms

    baseline = _maxrss_kib()
    # Spread packages were created up to days ahead on the gateway's (manual) clock: ask for
    # them all rather than pinning the walk to the client's "now".
    options: dict[str, Any] = {}
    if spread:
        options["finish_date"] = datetime.now() + timedelta(days=1 + spread * size / 86400)

    async def walk() -> dict[str, Any]:
        seen = delivered = pages = 0
        async with nodesms.Client(
            base_url, os.environ["BENCH_USERNAME"], os.environ["BENCH_PASSWORD"]
        ) as client:
            started = time.perf_counter()
            if variant in ("prefetch", "concurrent"):
                concurrency = CONCURRENCY if variant == "concurrent" else 1
                paginator = client.sms.list(limit=size, concurrency=concurrency, **options)
                async for pkg in paginator:
                    seen += 1
                    delivered += pkg.statistics.delivered
                    if seen % 1000 == 0:
                        pages += 1
                        if work:
                            await asyncio.sleep(work)
            else:
                index = 0
                while seen < size:
                    page = await client.sms.list(page_index=index, **options)
                    items = page.items[: size - seen]
                    for pkg in items:
                        delivered += pkg.statistics.delivered
                    seen += len(items)
                    pages += 1
                    if work:
                        await asyncio.sleep(work)
                    if not page.has_next:
                        break
                    index += 1
            wall = time.perf_counter() - started
        return {"wall": wall, "items": seen, "pages": pages, "delivered": delivered}

    result = asyncio.run(walk())
    result["baseline_kib"] = baseline
    result["peak_kib"] = _maxrss_kib()
    return result


def _run_child(
    gw: GatewayProcess, variant: str, size: int, work: float, spread: float
) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["BENCH_USERNAME"], env["BENCH_PASSWORD"] = gw.username, gw.password
    command = [sys.executable, __file__, "--child", variant, str(size), gw.base_url]
    command += [str(work), str(spread)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["items"] != size:
        raise RuntimeError(f"{variant} walked {result['items']} packages, not {size}")
    return result


# --- the parent ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print its table; return the headline figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=None, help=f"large walk ({PACKAGES:,})")
    parser.add_argument("--small", type=int, default=None, help=f"small walk ({SMALL:,})")
    parser.add_argument("--latency", type=float, default=LATENCY, help="gateway s per page")
    parser.add_argument("--work", type=float, default=WORK, help="consumer s per 1,000 items")
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="gateway seconds between seeded packages (0: all seeded at one instant, so the "
        "pages repeat the same timestamps; 1: every package has its own)",
    )
    parser.add_argument("--child", nargs=5, metavar=("VARIANT", "N", "URL", "WORK", "SPREAD"))
    add_common_args(parser)
    args = parser.parse_args(argv)
    if args.child:
        variant, size, url, work, spread = args.child
        print(json.dumps(child(variant, int(size), url, float(work), float(spread))))
        return {}
    apply_common_args(args)
    large = args.packages or scaled(PACKAGES, minimum=2000)
    small = args.small or max(1000, large // 10)
    runs = repeats(3)
    print("## Streaming walk of /sms/list\n")
    print(f"{describe_machine()}\n")
    print(
        f"{large:,} packages at the gateway, {args.latency * 1000:.0f} ms of gateway latency per "
        f"page, {args.work * 1000:.0f} ms of consumer work per 1,000 packages; each walk in a "
        f"fresh client process; median (range) of {runs} runs.\n"
    )
    walls: dict[tuple[str, int], list[float]] = {}
    idle: dict[str, list[float]] = {}
    memory: dict[tuple[str, int], list[float]] = {}
    seeded = "at one instant" if not args.spread else f"{args.spread:g} s apart"
    print(f"Packages seeded {seeded}.\n")
    gateway = GatewayProcess(
        packages=large, spread=args.spread, latency={"/sms/list": args.latency}
    )
    with gateway as gw:
        for _ in range(runs):
            for variant in VARIANTS:
                for size in (small, large):
                    result = _run_child(gw, variant, size, args.work, args.spread)
                    walls.setdefault((variant, size), []).append(result["wall"])
                    growth = (result["peak_kib"] - result["baseline_kib"]) / 1024
                    memory.setdefault((variant, size), []).append(growth)
                result = _run_child(gw, variant, large, 0.0, args.spread)
                idle.setdefault(variant, []).append(result["wall"])
    rows = []
    figures: dict[str, float] = {}
    for variant, label in VARIANTS.items():
        small_mb, large_mb = median(memory[(variant, small)]), median(memory[(variant, large)])
        rows.append(
            [
                label,
                median_range(walls[(variant, small)], 2),
                median_range(memory[(variant, small)], 1),
                median_range(walls[(variant, large)], 2),
                median_range(memory[(variant, large)], 1),
                f"{large_mb - small_mb:+.1f}",
            ]
        )
        figures[f"{variant}_wall"] = median(walls[(variant, large)])
        figures[f"{variant}_growth_mb"] = large_mb - small_mb
    print(
        table(
            [
                "walk",
                f"{small:,}: wall s",
                f"{small:,}: peak RSS MiB",
                f"{large:,}: wall s",
                f"{large:,}: peak RSS MiB",
                f"RSS {large:,} − {small:,}",
            ],
            rows,
        )
    )
    # Run by run: walk i of one variant against walk i of the other, which ran right after it.
    paired = [
        a / b for a, b in zip(walls[("prefetch", large)], walls[("naive", large)], strict=True)
    ]
    ratio = figures["ratio"] = median(paired)
    growth = max(figures["prefetch_growth_mb"], figures["concurrent_growth_mb"])
    naive_idle = median(idle["naive"])
    print(f"\nWith no consumer work, {large:,} packages:\n")
    print(
        table(
            ["walk", "wall s (median)", "range", "vs naive loop"],
            [
                [
                    label,
                    f"{median(idle[variant]):.2f}",
                    f"{min(idle[variant]):.2f}-{max(idle[variant]):.2f}",
                    f"{median(idle[variant]) / naive_idle:.2f}×",
                ]
                for variant, label in VARIANTS.items()
            ],
        )
    )
    concurrent = median(idle["concurrent"]) / naive_idle
    figures["concurrent_ratio"] = concurrent
    print(
        f"\nPeak RSS is above the process's RSS after its imports.\n\n"
        f"Targets: memory flat (≤ {MEMORY_TARGET_MB:.0f} MB more for {large:,} than for "
        f"{small:,}): {'met' if growth <= MEMORY_TARGET_MB else 'MISSED'} ({growth:+.1f} MiB); "
        f"prefetch wall time ≤ {TIME_TARGET}× the naive loop: "
        f"{'met' if ratio <= TIME_TARGET else 'MISSED'} "
        f"({median_range(paired, 2, '×')}, run by run); "
        f"concurrency={CONCURRENCY} without work ≤ {CONCURRENT_TARGET}× the naive loop: "
        f"{'met' if concurrent <= CONCURRENT_TARGET else 'MISSED'} ({concurrent:.2f}×)."
    )
    return figures


if __name__ == "__main__":
    main()
