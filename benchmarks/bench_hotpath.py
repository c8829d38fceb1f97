"""Per-call client CPU of this checkout against another one (before/after a change).

``python benchmarks/bench_hotpath.py --baseline DIR`` runs ``user.credit()`` and
``sms.create_otp()`` sequentially and with 50 concurrent tasks, in fresh client processes that
import nodesms from this checkout and from ``DIR`` (e.g. ``git worktree add /tmp/base main`` or
``git archive main | tar -x -C /tmp/base``) **in alternation**, round after round, against one
embedded gateway in a third process. It prints the medians, their ranges, and the
median of the per-round ratios this/baseline (each round's two processes ran back to back, so
the machine's drift hits both alike: on a shared machine that paired ratio is the steady
figure). The measuring code is the same for both
(it is sent to each child), so only nodesms differs. Without ``--baseline`` it measures this
checkout alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
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

CALLS = 2000
TASKS = (1, 50)
LIMIT = 1.05

_CHILD = r"""
import asyncio, itertools, json, sys, time
sys.path.insert(0, sys.argv[1])
import nodesms

base_url, username, password, calls = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
tasks_levels = [int(t) for t in sys.argv[6].split(",")]

async def run(call, calls, tasks):
    if tasks == 1:
        for _ in range(calls):
            await call()
        return
    counter = itertools.count()
    async def worker():
        while next(counter) < calls:
            await call()
    await asyncio.gather(*(worker() for _ in range(tasks)))

async def main():
    out = {}
    async with nodesms.Client(base_url, username, password) as client:
        ops = {
            "credit": client.user.credit,
            "otp": lambda: client.sms.create_otp(number="905551234567", sender="ACME",
                                                 content="Kodunuz: 482913"),
        }
        for name, call in ops.items():
            for tasks in tasks_levels:
                await run(call, min(calls, 200), tasks)  # warm-up
                cpu = time.process_time()
                await run(call, calls, tasks)
                out[f"{name}/{tasks}"] = (time.process_time() - cpu) / calls * 1e6
    print(json.dumps(out))

asyncio.run(main())
"""


def _child(root: Path, gw: GatewayProcess, calls: int, tasks: Sequence[int]) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(root),
            gw.base_url,
            gw.username,
            gw.password,
            str(calls),
            ",".join(map(str, tasks)),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Run the comparison; print the table; return this/baseline ratios (empty alone)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=None, help="another nodesms checkout")
    parser.add_argument("--calls", type=int, default=None, help=f"calls per run ({CALLS})")
    add_common_args(parser)
    args = parser.parse_args(argv)
    apply_common_args(args)
    calls = args.calls or scaled(CALLS, minimum=100)
    rounds = repeats(7)
    here = Path(__file__).resolve().parent.parent
    trees = {"this checkout": here}
    if args.baseline is not None:
        trees = {"baseline": args.baseline.resolve(), **trees}
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    with GatewayProcess(credit=10**9) as gw:
        for _ in range(rounds):
            for name, root in trees.items():  # alternate: drift hits both alike
                for key, value in _child(root, gw, calls, TASKS).items():
                    samples[name].setdefault(key, []).append(value)
    print("## Per-call CPU: before and after\n")
    print(f"{describe_machine()}\n")
    print(
        f"Client CPU µs per call, median [min-max] of {rounds} alternating fresh processes of "
        f"{calls} calls each.\n"
    )
    keys = list(next(iter(samples.values())))
    headers = ["call", *trees]
    ratios: dict[str, float] = {}
    if len(trees) == 2:
        headers += ["this / baseline (medians)", "paired ratio: median [min-max]"]
    rows = []
    for key in keys:
        op, tasks = key.split("/")
        label = ("user.credit()" if op == "credit" else "sms.create_otp()") + (
            ", sequential" if tasks == "1" else f", {tasks} tasks"
        )
        row: list[object] = [label]
        for name in trees:
            values = samples[name][key]
            row.append(f"{median(values):.0f} [{min(values):.0f}-{max(values):.0f}]")
        if len(trees) == 2:
            ours, theirs = samples["this checkout"][key], samples["baseline"][key]
            paired = [a / b for a, b in zip(ours, theirs, strict=True)]
            ratios[key] = median(paired)
            row.append(f"{median(ours) / median(theirs):.2f}×")
            row.append(f"{median(paired):.2f}× [{min(paired):.2f}-{max(paired):.2f}]")
        rows.append(row)
    print(table(headers, rows))
    if ratios:
        worst = max(ratios.values())
        verdict = "met" if worst <= LIMIT else "MISSED"
        print(
            f"\nBudget: within {LIMIT}× the baseline's CPU per call (paired ratio): {verdict} "
            f"(worst {worst:.2f}×)."
        )
    return ratios


if __name__ == "__main__":
    main()
