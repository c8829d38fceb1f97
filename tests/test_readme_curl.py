"""README's control-API curl lines run as written, with real curl, against the standalone
gateway (test_docs.py runs the Python examples)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.anyio

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


async def test_control_api_curl_examples_run_as_written() -> None:
    import asyncio
    import os
    import shutil
    import signal
    import sys

    assert shutil.which("curl"), "curl is needed (.ci/run installs it)"
    (script,) = re.findall(r"```bash\n(B=.*?)```", README, flags=re.DOTALL)
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nodesms.testing", "--port", "0", "--clock", "manual",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdout is not None
    try:
        first = (await asyncio.wait_for(server.stdout.readline(), 30)).decode()
        url = first.split(" at ", 1)[1].strip()
        script = script.replace("B=http://127.0.0.1:9587", f"B={url}", 1)
        shell = await asyncio.create_subprocess_exec(
            "bash", "-euo", "pipefail", "-c", script.replace("curl ", "curl -fsS "),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=dict(os.environ),
        )  # fmt: skip
        out, err = await asyncio.wait_for(shell.communicate(), 60)
        assert shell.returncode == 0, err.decode()
        assert b'"now"' in out
        assert b'"endpoints"' in out
    finally:
        server.send_signal(signal.SIGTERM)
        await asyncio.wait_for(server.communicate(), 20)
