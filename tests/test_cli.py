"""The ``nodesms`` command: the demo the README starts with, and the standalone gateway."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from nodesms.cli import run_demo

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
    text = out.getvalue()
    for step in ("credit:", "OTP sent", "campaign to 500", "personalised: 10,000 messages",
                 "delivery reports complete", "streamed the report", "summary:",
                 "SMS parts by encoding"):  # fmt: skip
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
