"""Every code example of the README and the documentation site runs, as written, against the
embedded gateway (see ``tests/docs_runner.py`` for the rules), and the generated reference
tables come from the code's own tables."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from _taskiq_harness import RedisServer

from nodesms._codes import CODE_TO_NAME
from nodesms._operations import OPERATIONS, reference_table
from nodesms.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME

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
    with contextlib.ExitStack() as stack:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NODESMS_")}
        if "REDIS_URL" in page.read_text(encoding="utf-8"):  # the taskiq examples' Redis
            env["REDIS_URL"] = stack.enter_context(RedisServer()).url
        run_page(page, tmp_path, env)


def run_page(page: Path, tmp_path: Path, env: dict[str, str]) -> None:
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
        env |= {"NODESMS_BASE_URL": url, "NODESMS_USERNAME": DEFAULT_USERNAME,
                "NODESMS_PASSWORD": DEFAULT_PASSWORD}  # fmt: skip
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


def load_hooks(name: str = "hooks") -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_{name}", ROOT / "docs" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_rows(table: str) -> list[list[str]]:
    rows = [re.split(r"(?<!\\)\|", line)[1:-1] for line in table.splitlines()[2:]]
    return [[cell.strip().strip("`") for cell in row] for row in rows]


def test_error_table_has_every_code_and_the_class_it_becomes() -> None:
    rows = {(code, name): (cls, retried) for code, name, cls, retried in
            table_rows(load_hooks().error_table())}  # fmt: skip
    assert len(rows) >= len(CODE_TO_NAME)
    for code, name in CODE_TO_NAME.items():
        assert (code, name) in rows
    assert rows["SMS18", "ERR_USER_CREDIT_REQUIRED"] == ("InsufficientCreditError", "no")
    assert rows["SMS50", "ERR_MULTI_REQUEST_NOT_PERMITTED"] == ("ConcurrencyLimitError", "yes")
    assert rows["—", "ERR_INVALID_SMS_SENDER"] == ("BadRequestError", "no")
    assert rows["—", "ERR_DAILY_REQUEST_LIMIT"] == ("ConcurrencyLimitError", "no")
    assert rows["—", "HTTP 5xx, no known code"] == ("ServerError", "yes")
    assert rows["—", "any other"] == ("APIError", "no")


def test_operations_page_is_the_operations_table() -> None:
    text = (ROOT / "docs" / "reference" / "operations.md").read_text(encoding="utf-8")
    rendered = load_hooks().on_page_markdown(text, page=None, config=None, files=None)
    assert reference_table() in rendered
    for op in OPERATIONS:
        assert f"| `{op.path}` | `client.{op.method}` |" in rendered


def test_the_reference_pages_carry_the_generated_tables() -> None:
    hooks = load_hooks()
    for marker, page in (("errors", "errors.md"), ("operations", "operations.md")):
        text = (ROOT / "docs" / "reference" / page).read_text(encoding="utf-8")
        assert f"<!-- generated: {marker} -->" in text
        rendered = hooks.on_page_markdown(text, page=None, config=None, files=None)
        assert "<!-- generated" not in rendered
        assert rendered.count("\n| ") > 20


def test_readme_links_work_from_pypi() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert links
    assert all(link.startswith("https://") for link in links), links


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        ("python", "raise RuntimeError('a broken example')\n"),
        ("python", "await client.sms.create(sender='ACME', title='T', content='x', number='1')\n"),
        ("pycon", ">>> 1 + 1\n3\n"),
        ("console", "$ nodesms packages --status nonsense\n"),
        ("file", "def broken(:\n"),
    ],
)
def test_a_broken_example_fails_the_run(kind: str, source: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NODESMS_")}
    env |= {"NODESMS_BASE_URL": "http://127.0.0.1:9", "NODESMS_USERNAME": "u",
            "NODESMS_PASSWORD": "p"}  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    title = "app.py" if kind == "file" else ""
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "docs_runner.py"), "broken.md"],
        input=json.dumps([[kind, title, source, 1]]), capture_output=True, text=True,
        timeout=TIMEOUT, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode != 0
    assert "broken.md:1" in run.stdout + run.stderr


def test_docstrings_rest_becomes_markdown() -> None:
    roles = load_hooks("griffe_roles")
    text = (
        "Use :class:`~nodesms.Page` or :meth:`GatewayServer.serve <a.b.serve>`::\n"
        "\n"
        "    async with x:\n"
        "        pass\n"
        "\n"
        "After.\n"
    )
    converted = roles.fence_literal_blocks(roles.ROLE.sub(roles._as_code, text))
    assert converted == (
        "Use `Page` or `GatewayServer.serve`:\n"
        "\n"
        "```python\n"
        "async with x:\n"
        "    pass\n"
        "```\n"
        "\n"
        "After.\n"
    )
