"""The standalone fake's memory after 1,000,000 personalised messages.

The gateway runs as users run it (``python -m nodesms.testing``, the real clock, packages moving
through their states while the messages arrive) with its duplicate check off; a nodesms client
sends the messages in chunks of 1,000 (``create(messages=chunk)``, four chunks in flight). The
gateway's peak resident memory (``VmHWM`` of its process) is read from ``/proc`` afterwards,
for each request-log setting (``--request-log N|off``; ``default`` passes no flag). Target:
under 400 MiB with the defaults.

Run ``python benchmarks/bench_fake.py [--messages N] [--log default off 10000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

# Runnable as a script from a checkout: make ``benchmarks`` (and nodesms) importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nodesms
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
from benchmarks._server import terminate

MESSAGES = 1_000_000
CHUNK = 1000
IN_FLIGHT = 4
TARGET_MIB = 400
SENDER = "NODESMS"


def chunks(total: int, size: int) -> Iterator[list[tuple[str, str]]]:
    """Personalised ``(number, text)`` pairs, ``size`` at a time (made as they are sent)."""
    for start in range(0, total, size):
        yield [
            (f"90532{i:07d}", f"Sayın müşterimiz, {i} numaralı siparişiniz yola çıktı.")
            for i in range(start, min(total, start + size))
        ]


def _status(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of a process, in KiB."""
    text = Path(f"/proc/{pid}/status").read_text()
    return {key: int(value) for key, value in re.findall(r"^(Vm\w+):\s+(\d+) kB", text, re.M)}


async def _send(base_url: str, total: int) -> None:
    from nodesms.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME  # the standalone's account

    async with nodesms.Client(base_url, DEFAULT_USERNAME, DEFAULT_PASSWORD) as client:
        work = chunks(total, CHUNK)

        async def worker() -> None:
            for chunk in work:
                await client.sms.create(
                    sender=SENDER, title="Kargo", content="Kargo", messages=chunk
                )

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


def run(total: int, log: str) -> dict[str, float]:
    """Start a standalone gateway, send ``total`` messages; its memory in MiB and the time."""
    command = [sys.executable, "-m", "nodesms.testing", "--port", "0", "--seed", "0"]
    command += ["--credit", str(10**12), "--no-duplicate-check"]
    if log != "default":
        command += ["--request-log", log]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"(http://\S+)", first)
        if found is None:
            raise RuntimeError(f"the gateway did not start: {first!r}")
        started = _status(process.pid)["VmRSS"]
        wall = time.perf_counter()
        asyncio.run(_send(found.group(1), total))
        wall = time.perf_counter() - wall
        time.sleep(1.0)  # a few ticks of the clock: packages move on, reports are made
        status = _status(process.pid)
    finally:
        terminate(process, grace=10.0)
        if process.stdout is not None:
            process.stdout.close()
    return {
        "start": started / 1024,
        "rss": status["VmRSS"] / 1024,
        "peak": status["VmHWM"] / 1024,
        "wall": wall,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, list[float]]:
    """Run the benchmark, print its table; return the peaks (MiB) per log setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None, help=f"total ({MESSAGES:,})")
    parser.add_argument(
        "--log", nargs="+", default=["default", "off"], help="--request-log values to try"
    )
    add_common_args(parser)
    args = parser.parse_args(argv)
    apply_common_args(args)
    total = args.messages or scaled(MESSAGES, minimum=10_000)
    runs = repeats(1)
    print("## The standalone fake's memory\n")
    print(f"{describe_machine()}\n")
    print(
        f"`python -m nodesms.testing` (real clock, duplicate check off) receiving {total:,} "
        f"personalised messages in chunks of {CHUNK:,}, {IN_FLIGHT} in flight; the gateway "
        f"process's memory after the last one (peak: `VmHWM`). {runs} run(s) per setting.\n"
    )
    results: dict[str, list[dict[str, float]]] = {}
    for _ in range(runs):
        for log in args.log:
            results.setdefault(log, []).append(run(total, log))
    rows = []
    for log, figures in results.items():
        peaks = [f["peak"] for f in figures]
        rows.append(
            [
                f"`--request-log {log}`" if log != "default" else "default",
                f"{median(f['start'] for f in figures):.0f}",
                f"{median(f['rss'] for f in figures):.0f}",
                median_range(peaks),
                f"{median(f['wall'] for f in figures):.1f}",
            ]
        )
    print(
        table(["request log", "RSS at start MiB", "RSS after MiB", "peak RSS MiB", "wall s"], rows)
    )
    if "default" in results:
        peak = median(f["peak"] for f in results["default"])
        verdict = "met" if peak < TARGET_MIB else "MISSED"
        print(f"\nTarget: under {TARGET_MIB} MiB with the defaults: {verdict} ({peak:.0f} MiB).")
    return {log: [f["peak"] for f in figures] for log, figures in results.items()}


if __name__ == "__main__":
    main()
