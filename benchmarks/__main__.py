"""``python -m benchmarks``: run every ``benchmarks/bench_*.py``, each in its own process.

Each script prints markdown tables of medians; this runner prints them one after another (and,
with ``--output``, also writes them to a file). ``--quick`` runs every benchmark at a tenth of
its size (``NODESMS_BENCH_SCALE=0.1``) with fewer repeats, for a smoke test in about a minute.

::

    python -m benchmarks                      # everything, about 10 minutes on 2 cores
    python -m benchmarks --quick              # small sizes
    python -m benchmarks -k decode walk       # only the scripts whose names contain these
    python -m benchmarks --output results.md  # also save the report
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The published order; scripts not listed here (added later) run after these, by name.
ORDER = ["overhead", "decode", "walk", "bulk", "soap", "segments", "fake"]


def scripts() -> list[Path]:
    """Every benchmark script, in the published order."""
    found = sorted(HERE.glob("bench_*.py"))

    def rank(path: Path) -> tuple[int, str]:
        name = path.stem.removeprefix("bench_")
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)

    return sorted(found, key=rank)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected scripts; the exit status is non-zero if one of them failed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("-k", nargs="+", default=[], metavar="NAME", help="select scripts")
    parser.add_argument("--quick", action="store_true", help="scale 0.1, fewer repeats")
    parser.add_argument("--scale", type=float, default=None, help="size factor (default 1)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement")
    parser.add_argument("--output", type=Path, default=None, help="also write the report here")
    parser.add_argument("--list", action="store_true", help="list the scripts and exit")
    args = parser.parse_args(argv)

    selected = [s for s in scripts() if not args.k or any(k in s.stem for k in args.k)]
    if args.list:
        print("\n".join(s.name for s in selected))
        return 0
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONUNBUFFERED", "1")
    if args.quick:
        env["NODESMS_BENCH_SCALE"] = "0.1"
        env["NODESMS_BENCH_REPEAT"] = "2"
    if args.scale is not None:
        env["NODESMS_BENCH_SCALE"] = str(args.scale)
    if args.repeat is not None:
        env["NODESMS_BENCH_REPEAT"] = str(args.repeat)

    report: list[str] = []
    failed: list[str] = []
    started = time.perf_counter()
    for script in selected:
        print(f"\n<!-- {script.name} -->", flush=True)
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(script)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        status = process.wait()
        took = time.perf_counter() - began
        print(f"\n<!-- {script.name}: {took:.0f} s, exit status {status} -->", flush=True)
        report.append(f"<!-- {script.name} ({took:.0f} s) -->\n" + "".join(lines))
        if status:
            failed.append(script.name)
    total = time.perf_counter() - started
    print(f"\n{len(selected)} benchmark scripts in {total / 60:.1f} min", end="")
    print(f"; failed: {', '.join(failed)}" if failed else "")
    if args.output is not None:
        args.output.write_text("\n\n".join(report))
        print(f"report written to {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
