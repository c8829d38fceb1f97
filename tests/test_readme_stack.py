"""README's sync client, FastAPI and pytest-fixture examples run as written."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import nodesms
from nodesms.testing import FakeGateway

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python[^\n]*\n(.*?)```", README, flags=re.DOTALL)


def block_with(marker: str) -> str:
    (block,) = [b for b in BLOCKS if marker in b]
    return block


def test_the_sync_example_runs(nodesms_gateway: FakeGateway, monkeypatch: Any) -> None:
    for name, value in nodesms_gateway.env().items():
        monkeypatch.setenv(name, value)
    nodesms_gateway.seed_packages(3)
    exec(block_with("nodesms.SyncClient() as client"), {})
    assert len(nodesms_gateway.packages) == 4


def test_the_recipes_are_python() -> None:
    for marker in ("def send_code(request)", "def open_sms_client("):
        ast.parse(block_with(marker))


@pytest.mark.anyio
async def test_the_fastapi_example_runs(nodesms_gateway: FakeGateway, monkeypatch: Any) -> None:
    for name, value in nodesms_gateway.env().items():
        monkeypatch.setenv(name, value)
    nodesms_gateway.seed_packages(2)
    namespace: dict[str, Any] = {}
    exec(block_with("async def packages_raw"), namespace)
    client: nodesms.Client = namespace["client"]
    async with client:
        transport = httpx.ASGITransport(app=namespace["app"])
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
            listed = (await http.get("/packages")).json()
            raw = (await http.get("/packages.json")).json()
    assert [p["id"] for p in listed] == [p["id"] for p in raw["items"]]
    assert len(listed) == 2


def test_the_pytest_example_runs(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("")
    (shop / "main.py").write_text(
        "import fastapi\n\napp = fastapi.FastAPI()\n\n\n"
        '@app.post("/sms/report")\nasync def report() -> dict:\n    return {}\n'
    )
    (tmp_path / "test_shop.py").write_text(block_with("deliver_pushes(app)"))
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed" in done.stdout
