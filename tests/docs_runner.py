"""Runs the code examples of one documentation page, in order, as a reader would.

Started by ``tests/test_docs.py`` in a subprocess whose ``NODESMS_*`` variables point at a
standalone fake gateway, with a scratch directory as the working directory. The examples
arrive as JSON on stdin: ``[[kind, title, source, line], ...]``. Rules:

- ``python`` blocks run in one namespace per page, in order. A block with top-level
  ``await`` runs on one event loop kept for the page, with ``client`` (a ``nodesms.Client()``
  configured from the environment) provided when the page has no open one; a complete
  program (``asyncio.run(main())``) runs as it is.
- A block with a title (```` ```python title="app.py" ````, any language) is written to that
  file, for later blocks to import or read (a Python file is compiled at once, so even one
  nothing imports is checked); a ``test_*.py`` file is then run with pytest in a subprocess
  (warnings are errors there too).
- ``pycon`` blocks are doctests, in the page's namespace.
- In ``console`` blocks, every ``$ nodesms ...`` line runs and must exit with status 0;
  ``$ nodesms gateway ...`` must start serving, and is then stopped.
"""

from __future__ import annotations

import ast
import asyncio
import doctest
import inspect
import json
import select
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import nodesms

TIMEOUT = 120


def main() -> int:
    page = sys.argv[1]
    blocks: list[tuple[str, str, str, int]] = json.load(sys.stdin)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    sys.path.insert(0, str(Path.cwd()))  # files the page wrote can be imported
    loop = asyncio.new_event_loop()
    provided: list[nodesms.Client] = []
    try:
        for kind, title, source, line in blocks:
            where = f"{page}:{line}"
            if title:
                write_file(title, source, where)
            elif kind == "python":
                run_python(source, where, namespace, loop, provided)
            elif kind == "pycon":
                run_doctest(source, where, namespace, line)
            elif kind == "console":
                run_console(source, where)
    finally:
        for client in provided:
            loop.run_until_complete(client.aclose())
        loop.close()
    return 0


def run_python(
    source: str,
    where: str,
    namespace: dict[str, Any],
    loop: asyncio.AbstractEventLoop,
    provided: list[nodesms.Client],
) -> None:
    code = compile(source, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if code.co_flags & inspect.CO_COROUTINE:
        current = namespace.get("client")
        if not isinstance(current, nodesms.Client) or current.closed:
            provided.append(nodesms.Client())
            namespace["client"] = provided[-1]
        loop.run_until_complete(eval(code, namespace))
    else:
        exec(code, namespace)


def write_file(title: str, source: str, where: str) -> None:
    path = Path(title)
    if path.suffix == ".py":
        compile(source, where, "exec")  # a file no later block imports is still checked
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    if path.name.startswith("test_") and path.suffix == ".py":
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider",
             str(path)],
            capture_output=True, text=True, timeout=TIMEOUT,
        )  # fmt: skip
        if run.returncode != 0:
            raise SystemExit(f"{where}: pytest failed\n{run.stdout}\n{run.stderr}")


def run_doctest(source: str, where: str, namespace: dict[str, Any], line: int) -> None:
    test = doctest.DocTestParser().get_doctest(source, namespace, where, where, line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, clear_globs=False)
    if runner.failures:
        raise SystemExit(f"{where}: doctest failed")


def run_console(source: str, where: str) -> None:
    for text in source.splitlines():
        if not text.startswith("$ nodesms "):
            continue
        # `python -m nodesms` is the console script without depending on PATH.
        command = [sys.executable, "-m", *shlex.split(text[2:])]
        if command[3:4] == ["gateway"]:
            serve(command, where)
            continue
        run = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
        if run.returncode != 0:
            raise SystemExit(f"{where}: {text!r} exited {run.returncode}\n{run.stderr}")


def serve(command: list[str], where: str) -> None:
    """Start a serving command, wait until it says where it listens, stop it."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if " at http" not in line:
            raise SystemExit(f"{where}: {command} did not start serving: {line!r}")
    finally:
        process.terminate()
        process.communicate(timeout=TIMEOUT)


if __name__ == "__main__":
    sys.exit(main())
