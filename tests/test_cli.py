"""The ``nodesms`` command: the demo the README starts with, and the standalone gateway."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

from nodesms._demo import run_demo

pytestmark = pytest.mark.anyio


async def test_demo_sends_and_reports_10000_personalised_messages() -> None:
    out = io.StringIO()
    report = await run_demo(out, recipients=10_000)
    # OTP (1) + campaign (500) + personalised (10,000) recipients, every one reported.
    assert report["items"] == 10_501
    assert report["delivered"] + report["undelivered"] + report["expired"] == 10_501
    assert report["undelivered"] > 0
    assert report["expired"] > 0
    assert report["credit_used"] >= 10_501
    # True figures: every package final (1 + 1 + 10), parts as the gateway billed them.
    assert report["packages"] == 12
    assert report["parts"] == report["credit_used"]
    assert report["failed"] == 0
    text = out.getvalue()
    for step in ("credit:", "OTP sent", "campaign to 500", "personalised: 10,000 messages",
                 "delivery reports complete", "streamed the report", "summary:",
                 "SMS parts by encoding (OTP, campaign and personalised)"):  # fmt: skip
        assert step in text


def test_command_line_entry_points() -> None:
    demo = subprocess.run(
        [sys.executable, "-m", "nodesms", "demo", "--recipients", "100"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "summary:" in demo.stdout
    version = subprocess.run(
        [sys.executable, "-m", "nodesms", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("nodesms ")


def test_console_script_runs_the_demo() -> None:
    search = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    script = shutil.which("nodesms", path=search)
    assert script is not None, "the nodesms console script is installed"
    demo = subprocess.run(
        [script, "demo", "--recipients", "50"], capture_output=True, text=True, timeout=120
    )
    assert demo.returncode == 0, demo.stderr
    assert "streamed the report" in demo.stdout


def test_nodesms_log_switches_a_handler_on_without_code() -> None:
    program = (
        "import anyio\n"
        "from nodesms.testing import FakeGateway\n"
        "async def main():\n"
        "    async with FakeGateway() as gw, gw.client() as client:\n"
        "        await client.user.credit()\n"
        "anyio.run(main)\n"
    )
    env = {**os.environ, "NODESMS_LOG": "debug"}
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, env=env
    )
    assert run.returncode == 0, run.stderr
    assert "DEBUG nodesms: /user/credit HTTP 200 attempt 1" in run.stderr
    quiet = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in env.items() if k != "NODESMS_LOG"},
    )
    assert "nodesms" not in quiet.stderr
