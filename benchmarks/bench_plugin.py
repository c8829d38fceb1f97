"""What the nodesms pytest plugin costs a pytest run that does not use it.

pytest loads the plugin (entry point ``nodesms``) in every run of every project that has
nodesms installed. This times ``python -m pytest -q`` on one unrelated test (``assert 1 +
1 == 2``), in fresh processes, with plugin autoloading off and only the plugin under test
loaded (``-p``), so nothing else (pytest-aiohttp imports aiohttp.web itself) hides its cost:

- **no plugin**: the floor;
- **before**: the plugin as it was (it imported the embedded gateway, so aiohttp.web, at
  load), reproduced from git (``nodesms/testing/_plugin.py`` at ``BEFORE``);
- **after**: the plugin as it is, which imports the gateway when a fixture is first used.

Runs alternate (none, before, after, none...) after a warm-up; the table gives medians of
wall time and the cost over the floor.

Run ``python benchmarks/bench_plugin.py [--repeat R]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (
    ROOT,
    add_common_args,
    apply_common_args,
    describe_machine,
    median,
    repeats,
    table,
)

BEFORE = "ee7a2fb"
"""The last commit whose plugin imported the gateway at load."""

TEST = "def test_unrelated():\n    assert 1 + 1 == 2\n"


def _before_plugin(where: Path) -> str:
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:nodesms/testing/_plugin.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    (where / "nodesms_plugin_before.py").write_text(source)
    return "nodesms_plugin_before"


def _run(where: Path, plugin: str | None) -> float:
    env = {
        **os.environ,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(where)]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_it.py"]
    if plugin is not None:
        command[3:3] = ["-p", plugin]
    started = time.perf_counter()
    subprocess.run(command, cwd=where, env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(parser)
    args = parser.parse_args()
    apply_common_args(args)
    runs = repeats(15)
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        (where / "test_it.py").write_text(TEST)
        contenders = {
            "no plugin": None,
            f"before ({BEFORE})": _before_plugin(where),
            "after": "nodesms.testing._plugin",
        }
        for plugin in contenders.values():  # warm-up: the OS's file cache
            _run(where, plugin)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(runs):
            for name, plugin in contenders.items():
                times[name].append(_run(where, plugin))
    floor = median(times["no plugin"])
    rows = []
    for name, values in times.items():
        ordered = sorted(values)
        took = median(values)
        rows.append([
            name,
            f"{took * 1000:.0f} ({ordered[0] * 1000:.0f}-{ordered[-1] * 1000:.0f})",
            f"{(took - floor) * 1000:+.0f}",
            f"{took / floor:.2f}×",
        ])  # fmt: skip
    print("# The pytest plugin's cost on an unrelated run\n")
    print(describe_machine() + "\n")
    print(f"`python -m pytest -q` on one unrelated test, median of {runs} fresh processes\n")
    print(table(["plugin", "wall ms (range)", "ms over no plugin", "ratio"], rows))


if __name__ == "__main__":
    main()
