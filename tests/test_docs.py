"""Every code example of the README and the documentation site runs, as written, against the
embedded gateway (see ``tests/docs_runner.py`` for the rules), and the generated reference
tables come from the code's own tables."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
TITLE = re.compile(r'title="([^"]+)"')
RUN_KINDS = ("python", "pycon", "console")
TIMEOUT = 300


def examples(page: Path) -> list[tuple[str, str, str, int]]:
    """The page's code blocks that run or make files: (kind, title, source, line)."""
    text = page.read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        kind, info, source = m.groups()
        title = TITLE.search(info)
        if kind in RUN_KINDS or title:
            line = text.count("\n", 0, m.start()) + 2
            found.append((kind, title.group(1) if title else "", source, line))
    return found


def test_every_fenced_block_has_a_known_kind() -> None:
    # A typo in a fence (```pyton) would silently exclude an example from the run.
    known = {*RUN_KINDS, "text", "bash", "toml", "yaml", "ini", "csv"}
    for page in PAGES:
        kinds = {m.group(1) for m in FENCE.finditer(page.read_text(encoding="utf-8"))}
        assert kinds <= known, page


@pytest.mark.parametrize(
    "page", [p for p in PAGES if examples(p)], ids=lambda p: str(p.relative_to(ROOT))
)
def test_examples_run_against_the_embedded_gateway(page: Path, tmp_path: Path) -> None:
    gateway = subprocess.Popen(
        [sys.executable, "-m", "nodesms.testing", "--port", "0", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert gateway.stdout is not None
        assert select.select([gateway.stdout], [], [], 60)[0], "the gateway did not start"
        url = gateway.stdout.readline().rsplit(" ", 1)[1].strip()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NODESMS_")}
        env |= {"NODESMS_BASE_URL": url, "NODESMS_USERNAME": "demo", "NODESMS_PASSWORD": "demo"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        run = subprocess.run(
            [sys.executable, "-W", "error", str(ROOT / "tests" / "docs_runner.py"),
             str(page.relative_to(ROOT))],
            input=json.dumps(examples(page)), capture_output=True, text=True,
            timeout=TIMEOUT, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Unclosed" not in run.stderr, run.stderr
    finally:
        gateway.terminate()
        gateway.communicate(timeout=60)
