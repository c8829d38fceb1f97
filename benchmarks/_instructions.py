"""Instructions per call, counted by valgrind's callgrind: the figure noise cannot move.

CPU time on a shared machine moves by ±10 % from run to run, more than the difference between
nodesms and the raw-aiohttp floor. Instructions executed move by well under 1 %. This module
runs the overhead benchmark's contenders in a child process under
``valgrind --tool=callgrind`` and counts the instructions of each measured run alone:

- every measured run is called through a ``ctypes`` callback, so it is the only code that runs
  inside libffi's ``ffi_call``; callgrind is started with ``--dump-before=ffi_call
  --dump-after=ffi_call``, so each run's instructions are dumped on their own (startup,
  imports and warm-up land in the other dumps and are not counted);
- the contenders run interleaved (run 1 of each, then run 2...) in one process, so the
  nodesms ÷ floor ratios are taken pair by pair;
- the gateway runs in another process, not under valgrind; the client's waiting in
  ``epoll`` costs no instructions.

``count(gw, ...)`` is the parent's side; ``python -m benchmarks._instructions '<json>'`` is the
child's.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from benchmarks._common import ROOT

__all__ = ["available", "count", "region", "run_regions"]

_REGION = ctypes.CFUNCTYPE(None)
_SUMMARY = re.compile(rb"^summary: (\d+)$", re.M)
_TRIGGER_AFTER = b"Trigger: --dump-after=ffi_call"


def available() -> bool:
    """Whether valgrind is installed."""
    return shutil.which("valgrind") is not None


def count(
    gw: Any,
    *,
    ops: Sequence[str],
    contenders: Sequence[str],
    calls: int,
    runs: int,
    loop: str = "asyncio",
    timeout: float = 900.0,
) -> dict[tuple[str, str], list[float]]:
    """Instructions per call for each ``(operation, contender)``: one value per run.

    ``gw`` is a started :class:`benchmarks._server.GatewayProcess`; ``contenders`` are
    names from ``bench_overhead.CONTENDERS``; ``loop`` is ``"asyncio"`` or ``"uvloop"``.
    """
    options = {
        "base_url": gw.base_url,
        "username": gw.username,
        "password": gw.password,
        "ops": list(ops),
        "contenders": list(contenders),
        "calls": calls,
        "runs": runs,
        "loop": loop,
    }
    labels, regions = run_regions(
        ["-m", "benchmarks._instructions", json.dumps(options)], timeout=timeout
    )
    results: dict[tuple[str, str], list[float]] = {}
    for (op, name), instructions in zip(labels, regions, strict=True):
        results.setdefault((op, name), []).append(instructions / calls)
    return results


def run_regions(args: Sequence[str], timeout: float = 900.0) -> tuple[list[Any], list[int]]:
    """Run ``python <args>`` under callgrind; its last stdout line (JSON) and the instructions
    of each :func:`region` it ran, in order."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONHASHSEED"] = "0"
    with tempfile.TemporaryDirectory(prefix="nodesms-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            "--dump-before=ffi_call",
            "--dump-after=ffi_call",
            "--dump-instr=no",
            # The interpreter itself, not a wrapper script (pyenv's shims are bash).
            os.path.realpath(sys.executable),
            *args,
        ]
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, timeout=timeout, check=False
        )
        if done.returncode:
            raise RuntimeError(f"the callgrind run failed:\n{done.stderr.decode()[-3000:]}")
        labels = json.loads(done.stdout.decode().strip().splitlines()[-1])
        dumps = sorted(Path(tmp).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        regions = []
        for dump in dumps:
            text = dump.read_bytes()
            if _TRIGGER_AFTER in text:
                found = _SUMMARY.search(text)
                assert found is not None, dump
                regions.append(int(found.group(1)))
    if len(regions) != len(labels):
        raise RuntimeError(f"{len(regions)} measured regions for {len(labels)} labels")
    return labels, regions


# --- the child -------------------------------------------------------------------------------


def region(function: Callable[[], None]) -> None:
    """Run ``function`` inside ``ffi_call``: callgrind dumps its instructions on their own."""
    failure: list[BaseException] = []

    def body() -> None:
        try:
            function()
        except BaseException as exc:  # ctypes would print and swallow it
            failure.append(exc)

    _REGION(body)()
    if failure:
        raise failure[0]


def main(argv: Sequence[str] | None = None) -> None:
    """Warm every contender up, then run the interleaved measured runs; print their labels."""
    from benchmarks.bench_overhead import CONTENDERS, _run_async

    options = json.loads((sys.argv[1:] if argv is None else argv)[0])
    if options["loop"] == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    gw = SimpleNamespace(
        base_url=options["base_url"], username=options["username"], password=options["password"]
    )
    contenders = [CONTENDERS[name]() for name in options["contenders"]]
    calls, runs = options["calls"], options["runs"]
    labels: list[tuple[str, str]] = []
    try:
        for contender in contenders:
            loop.run_until_complete(contender.start(gw))
        for op in options["ops"]:
            for contender in contenders:
                loop.run_until_complete(_run_async(getattr(contender, op), 50, 1))
            for _ in range(runs):
                for contender in contenders:
                    call = getattr(contender, op)
                    region(lambda call=call: loop.run_until_complete(_run_async(call, calls, 1)))
                    labels.append((op, contender.name))
    finally:
        for contender in contenders:
            loop.run_until_complete(contender.close())
        loop.close()
    print(json.dumps(labels), flush=True)


if __name__ == "__main__":
    main()
