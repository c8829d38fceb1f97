"""``nodesms campaign run`` end to end: a CSV campaign against ``nodesms gateway`` in a
subprocess, killed with SIGKILL half-way and run again: every row sent exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from test_cli_commands import (
    TIMEOUT,
    Gateway,
    as_json,
    nodesms_cli,
    run_on_a_terminal,
    start_gateway,
    stop,
)

import nodesms

ROWS = 20_000
CHUNK = 100


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    process, url = start_gateway(
        "--username", "operator", "--password", "Gizli-Şifre-1", "--credit", "10000000",
        "--undelivered-rate", "0", "--expired-rate", "0",
    )  # fmt: skip
    try:
        yield Gateway(url, process)
    finally:
        stop(process)


def write_campaign(path: Path, rows: int) -> Path:
    lines = ["GSM,First_Name,Kod"]
    lines += [f"90555{i:07d},Ad{i},K{i}" for i in range(1, rows + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def campaign_args(file: Path, *extra: str) -> list[str]:
    return [
        "campaign", "run", str(file), "--template", "Sayın {First_Name}, kodunuz {kod}.",
        "--campaign-id", "bahar-2026", "--sender", "ACME", "--title", "Bahar",
        "--chunk-size", str(CHUNK), *extra,
    ]  # fmt: skip


async def packages_of(gateway: Gateway) -> list[nodesms.Package]:
    async with gateway.client() as client:
        return [pkg async for pkg in client.sms.list()]


def test_a_campaign_sends_every_row_once_and_reports_failures(
    gateway: Gateway, tmp_path: Path
) -> None:
    file = write_campaign(tmp_path / "bahar.csv", 250)
    with file.open("a", encoding="utf-8") as out:
        out.write("12345,Kötü,K0\n")
    result = as_json(nodesms_cli(gateway, *campaign_args(file), "--json"))
    assert isinstance(result, dict)
    assert result["chunks"] == 3
    assert result["packages"] == 3
    assert result["messages"] == 250
    assert [f["index"] for f in result["failures"]] == [250]
    table = nodesms_cli(gateway, *campaign_args(file)).stdout  # again: found, not sent
    assert "row 252: 12345:" in table


@pytest.mark.parametrize("journal", [True, False], ids=["journal", "customID lookups"])
def test_campaign_run_resumes_after_a_kill(gateway: Gateway, tmp_path: Path, journal: bool) -> None:
    file = write_campaign(tmp_path / "bahar.csv", ROWS)
    extra = ["--journal", str(tmp_path / "bahar.sqlite")] if journal else []
    first = subprocess.Popen(
        [sys.executable, "-m", "nodesms", *campaign_args(file, "--max-concurrency", "2", *extra)],
        env=gateway.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT
        while len(anyio.run(packages_of, gateway)) < 20 and time.monotonic() < deadline:
            assert first.poll() is None, "the campaign ended before it could be killed"
            time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=TIMEOUT)
    sent_before = len(anyio.run(packages_of, gateway))
    assert 20 <= sent_before < ROWS // CHUNK
    rerun = as_json(nodesms_cli(gateway, *campaign_args(file, *extra), "--json"))
    assert isinstance(rerun, dict)
    assert rerun["packages"] == ROWS // CHUNK
    assert rerun["messages"] == ROWS
    assert rerun["failed"] == 0
    packages = anyio.run(packages_of, gateway)
    assert sorted(pkg.custom_id or "" for pkg in packages) == sorted(
        f"bahar-2026.{k}" for k in range(ROWS // CHUNK)
    )  # one package per chunk: nothing twice, nothing lost
    assert sum(pkg.statistics.r_count for pkg in packages) == ROWS


def test_campaign_progress_bar_on_a_terminal(gateway: Gateway, tmp_path: Path) -> None:
    file = write_campaign(tmp_path / "bahar.csv", 300)
    status, stdout, terminal = run_on_a_terminal(gateway, *campaign_args(file))
    assert status == 0
    assert "campaign [" in terminal
    assert "300/300" in terminal
    assert "messages     300" in stdout


def test_campaign_refuses_a_template_naming_a_missing_column(
    gateway: Gateway, tmp_path: Path
) -> None:
    file = write_campaign(tmp_path / "bahar.csv", 3)
    args = campaign_args(file)
    args[args.index("--template") + 1] = "Sayın {soyad}"
    run = nodesms_cli(gateway, *args, check=False)
    assert run.returncode == 1
    assert (
        run.stderr == f"nodesms: error: {file} has no column soyad (it has gsm, first_name, kod)\n"
    )
    assert json.loads(nodesms_cli(gateway, "packages", "--json").stdout) == []
