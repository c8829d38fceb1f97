"""The pytest plugin's fixtures under every plugin users run, each for real in a pytest
subprocess: pytest-asyncio (strict and auto), pytest-aiohttp, anyio's plugin, plain sync
tests; and the plugin imports nothing heavy until a fixture is used."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 240

INI = """
[pytest]
filterwarnings = error
addopts = -p no:cacheprovider -p no:randomly
{extra}
"""

# The same checks, whatever runs the test: a send, the clock, a walk, a push into an aiohttp
# app served on the test's loop, the session gateway, the marker.
ASYNC_BODY = """
import aiohttp.web
import nodesms
import pytest


{mark}
async def test_send_advance_and_walk(nodesms_client, nodesms_gateway):
    sent = await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="Merhaba", numbers=["905550000001"]
    )
    await nodesms_gateway.advance(60)
    assert nodesms_gateway.package(sent.pkg_id).state == nodesms.PackageState.COMPLETED
    items = [item async for item in nodesms_client.sms.list_item(pkg_id=sent.pkg_id)]
    assert [item.state for item in items] == [nodesms.ItemState.DELIVERED]
    page = await nodesms_client.sms.list_item(pkg_id=sent.pkg_id).first_page()
    assert page.total == 1


{mark}
@pytest.mark.nodesms_gateway(credit=1)
async def test_marker_options(nodesms_client):
    assert (await nodesms_client.user.credit()).credit == 1


{mark}
async def test_pushes_reach_an_app_on_the_test_loop(nodesms_client, nodesms_gateway):
    got = []

    async def report(request):
        got.append(nodesms.parse_push(await request.read()))
        return aiohttp.web.Response()

    app = aiohttp.web.Application()
    app.router.add_post("/report", report)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        await nodesms_client.sms.create(
            sender="NODESMS", title="T", content="Merhaba", numbers=["905550000001"],
            push_url=f"http://127.0.0.1:{{port}}/report",
        )
        await nodesms_gateway.advance(60)
        records = await nodesms_gateway.drain_pushes()
        assert records and all(r.status == 200 for r in records)
        assert got[-1].items[0].status == nodesms.ItemState.DELIVERED
    finally:
        await runner.cleanup()


{mark}
async def test_session_gateway(nodesms_gateway_session):
    async with nodesms_gateway_session.client() as client:
        await client.sms.create_otp(number="905550000001", sender="ACME", content="1")
    assert len(nodesms_gateway_session.packages) >= 1


def test_sync_in_the_same_run(nodesms_sync_client, nodesms_gateway):
    nodesms_sync_client.sms.create_otp(number="905550000001", sender="ACME", content="1")
    nodesms_gateway.advance(60)
    assert nodesms_gateway.packages[0].state == nodesms.PackageState.COMPLETED
"""


def run_pytest(
    tmp_path: Path, tests: str, *, ini: str = "", args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text(INI.format(extra=ini))
    (tmp_path / "test_app.py").write_text(textwrap.dedent(tests))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def passed(result: subprocess.CompletedProcess[str]) -> int:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    found = re.search(r"(\d+) passed", result.stdout)
    assert found is not None, result.stdout
    assert not re.search(r"\d+ (failed|error|skipped)", result.stdout), result.stdout
    return int(found.group(1))


def test_pytest_asyncio_strict_mode(tmp_path: Path) -> None:
    tests = ASYNC_BODY.format(mark="@pytest.mark.asyncio")
    result = run_pytest(tmp_path, tests, ini="asyncio_mode = strict")
    assert passed(result) == 5


def test_pytest_asyncio_auto_mode(tmp_path: Path) -> None:
    tests = ASYNC_BODY.format(mark="")
    result = run_pytest(tmp_path, tests, ini="asyncio_mode = auto")
    assert passed(result) == 5


def test_pytest_asyncio_module_scoped_loops(tmp_path: Path) -> None:
    tests = ASYNC_BODY.format(mark='@pytest.mark.asyncio(loop_scope="module")')
    ini = "asyncio_mode = strict\nasyncio_default_fixture_loop_scope = module"
    assert passed(run_pytest(tmp_path, tests, ini=ini)) == 5


def test_anyio_plugin_without_pytest_asyncio(tmp_path: Path) -> None:
    tests = ASYNC_BODY.format(mark="@pytest.mark.anyio") + textwrap.dedent(
        """

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    result = run_pytest(tmp_path, tests, args=("-p", "no:asyncio", "-p", "no:aiohttp"))
    assert passed(result) == 5


def test_pytest_aiohttp_app_receives_pushes_in_process(tmp_path: Path) -> None:
    tests = """
    import aiohttp.web
    import nodesms
    import pytest

    RECEIVED = []


    async def report(request):
        RECEIVED.append(nodesms.parse_push(await request.read()))
        return aiohttp.web.Response(status=204)


    def make_app():
        app = aiohttp.web.Application()
        app.router.add_post("/sms/report", report)
        return app


    @pytest.mark.nodesms_gateway(hold_pushes=True)
    async def test_through_the_test_client(aiohttp_client, nodesms_client, nodesms_gateway):
        http = await aiohttp_client(make_app())
        await nodesms_client.sms.create(
            sender="NODESMS", title="T", content="Merhaba", numbers=["905550000001"],
            push_url="https://shop.example.com/sms/report",
        )
        await nodesms_gateway.advance(60)
        records = await nodesms_gateway.deliver_pushes(http)
        assert [r.status for r in records] == [204] * len(records)
        assert RECEIVED[-1].items[0].status == nodesms.ItemState.DELIVERED


    @pytest.mark.nodesms_gateway(hold_pushes=True)
    async def test_an_application_directly(nodesms_client, nodesms_gateway):
        await nodesms_client.sms.create_otp(
            number="905550000001", sender="ACME", content="1",
            push_url="https://shop.example.com/sms/report",
        )
        await nodesms_gateway.advance(60)
        records = await nodesms_gateway.deliver_pushes(make_app())
        assert records and {r.status for r in records} == {204}
        assert nodesms_gateway.pushes[-1] is records[-1]


    async def test_server_fixture(aiohttp_server, nodesms_client, nodesms_gateway):
        server = await aiohttp_server(make_app())
        await nodesms_client.sms.create_otp(
            number="905550000001", sender="ACME", content="1",
            push_url=str(server.make_url("/sms/report")),
        )
        await nodesms_gateway.advance(60)
        records = await nodesms_gateway.drain_pushes()
        assert records and {r.status for r in records} == {204}
    """
    assert passed(run_pytest(tmp_path, tests, ini="asyncio_mode = auto")) == 3


def test_fastapi_app_receives_pushes_in_process(tmp_path: Path) -> None:
    tests = """
    import fastapi
    import httpx
    import nodesms
    import pytest

    app = fastapi.FastAPI()
    REPORTS = []


    @app.post("/sms/report")
    async def report(request: fastapi.Request) -> dict:
        REPORTS.append(nodesms.parse_push(await request.body()))
        return {"ok": True}


    @app.get("/credit")
    async def credit() -> dict:
        async with nodesms.Client() as client:  # configured by NODESMS_* (gw.env())
            return (await client.user.credit()).to_dict()


    @pytest.mark.asyncio
    @pytest.mark.nodesms_gateway(hold_pushes=True)
    async def test_reports_and_env(nodesms_client, nodesms_gateway, monkeypatch):
        for name, value in nodesms_gateway.env().items():
            monkeypatch.setenv(name, value)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
            assert (await http.get("/credit")).json() == {"credit": 100000}
        await nodesms_client.sms.create(
            sender="NODESMS", title="T", content="Merhaba",
            numbers=["905550000001", "905550000002"],
            push_url="https://shop.example.com/sms/report",
        )
        await nodesms_gateway.advance(60)
        records = await nodesms_gateway.deliver_pushes(app)
        assert records and {r.status for r in records} == {200}
        assert {i.number for r in REPORTS for i in r.items} == {"905550000001", "905550000002"}
    """
    assert passed(run_pytest(tmp_path, tests, ini="asyncio_mode = strict")) == 1


def test_plain_sync_tests(tmp_path: Path) -> None:
    tests = """
    import os
    import nodesms


    def test_sync_client(nodesms_sync_client, nodesms_gateway):
        sent = nodesms_sync_client.sms.create(
            sender="NODESMS", title="T", content="Merhaba", numbers=["905550000001"]
        )
        nodesms_gateway.advance(60)
        assert [i.state for i in nodesms_sync_client.sms.list_item(pkg_id=sent.pkg_id)] == [
            nodesms.ItemState.DELIVERED
        ]


    def test_env_configures_a_client(nodesms_gateway, monkeypatch):
        for name, value in nodesms_gateway.env().items():
            monkeypatch.setenv(name, value)
        with nodesms.SyncClient() as client:
            assert client.user.credit().credit == nodesms_gateway.credit


    def test_async_client_fixture_in_a_sync_test(nodesms_client):
        assert isinstance(nodesms_client, nodesms.Client)
    """
    result = run_pytest(tmp_path, tests, args=("-p", "no:asyncio", "-p", "no:aiohttp"))
    assert passed(result) == 3


def test_the_plugin_imports_nothing_heavy_until_a_fixture_is_used(tmp_path: Path) -> None:
    tests = """
    import sys


    def test_unrelated():
        heavy = ("aiohttp", "aiohttp.web", "nodesms._client", "nodesms.testing._gateway")
        loaded = [m for m in heavy if m in sys.modules]
        assert loaded == []
        assert "nodesms.testing._plugin" in sys.modules


    def test_then_a_fixture(nodesms_gateway):
        assert "nodesms.testing._gateway" in sys.modules
    """
    result = run_pytest(tmp_path, tests, args=("-p", "no:asyncio", "-p", "no:aiohttp"))
    assert passed(result) == 2
