"""FakeGateway as a server: lifecycle, auth, envelope, routing, records, standalone, plugin."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from conftest import Api, GatewayFactory, basic_auth

from nodesms.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, ERRORS, FakeGateway
from nodesms.testing._errors import lookup

pytestmark = pytest.mark.anyio


async def test_starts_on_a_free_port_and_stops(anyio_backend: str) -> None:
    gw = FakeGateway()
    with pytest.raises(RuntimeError):
        _ = gw.base_url
    await gw.start()
    try:
        assert gw.base_url.startswith("http://127.0.0.1:")
        assert int(gw.base_url.rsplit(":", 1)[1]) > 0
        # One default set of credentials, ASCII, shared with the standalone server.
        assert (gw.username, gw.password) == (DEFAULT_USERNAME, DEFAULT_PASSWORD)
        assert (gw.username + gw.password).isascii()
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                gw.base_url + "/user/credit",
                headers={"Authorization": basic_auth(gw.username, gw.password)},
            ) as response,
        ):
            assert response.status == 200
    finally:
        await gw.stop()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.post(gw.base_url + "/user/credit")


async def test_utf8_basic_auth_and_wrong_credentials(gateway: GatewayFactory) -> None:
    gw, api = await gateway(username="kullanıcı", password="Şifre-ğüİ")
    assert (await api.ok("/user/credit")) == {"credit": 100_000}
    reply = await api.fail("/user/credit", auth=("kullanıcı", "yanlış"))
    assert reply.status == 401
    assert reply.err == {
        "status": 401,
        "code": "ERR_UNAUTHORIZED_REQUEST",
        "message": ERRORS["ERR_UNAUTHORIZED_REQUEST"].message,
    }
    async with api.session.post(gw.base_url + "/user/credit") as response:
        assert response.status == 401
    assert [r.authenticated for r in gw.requests] == [True, False, False]
    assert gw.requests[1].username == "kullanıcı"


async def test_error_http_status_can_be_200(gateway: GatewayFactory) -> None:
    _, api = await gateway(error_http_status=200)
    reply = await api.fail("/user/credit", auth=("x", "y"))
    assert reply.status == 200
    assert reply.err["status"] == 401
    assert reply.err["code"] == "ERR_UNAUTHORIZED_REQUEST"


async def test_credit_answers_get_and_post_with_empty_body(gateway: GatewayFactory) -> None:
    _, api = await gateway(credit=316_807)
    assert (await api.call("/user/credit", method="GET")).data == {"credit": 316_807}
    assert (await api.call("/user/credit", raw_body=b"")).data == {"credit": 316_807}
    assert (await api.call("/user/credit", {})).data == {"credit": 316_807}


async def test_get_takes_query_parameters_only_where_allowed(gateway: GatewayFactory) -> None:
    _, api = await gateway()
    reply = await api.call("/sms/list", method="GET", params={"pageSize": "5"})
    assert reply.err["code"] == "ERR_INVALID_PARAM"
    reply = await api.call("/sms/list", method="GET", params={"pageSize": "10"})
    assert reply.data == {"stats": {"totalRecord": 0}, "list": []}
    reply = await api.call("/sms/create", method="GET")
    assert reply.status == 404
    assert reply.err["code"] == "ERR_NOT_FOUND"


async def test_unknown_path_and_bad_json(gateway: GatewayFactory) -> None:
    _, api = await gateway()
    reply = await api.call("/sms/list-nothing", {})
    assert (reply.status, reply.err["code"]) == (404, "ERR_NOT_FOUND")
    reply = await api.call("/sms/list", raw_body=b"{not json")
    assert (reply.status, reply.err["code"]) == (400, "ERR_BAD_REQUEST")
    reply = await api.call("/sms/list", raw_body=b"[1, 2]")
    assert reply.err["code"] == "ERR_BAD_REQUEST"


async def test_requests_are_recorded_without_the_authorization_header(
    gateway: GatewayFactory,
) -> None:
    gw, api = await gateway()
    await api.ok("/sms/list", {"pageSize": 10, "keyword": "x"})
    await api.call("/sms/list", method="GET", params={"keyword": "y"})
    first, second = gw.requests
    assert (first.protocol, first.operation, first.method) == ("json", "/sms/list", "POST")
    assert first.params == {"pageSize": 10, "keyword": "x"}
    assert second.params == {"keyword": "y"}
    assert second.method == "GET"
    assert first.username == gw.username
    assert first.authenticated
    assert all(k.lower() != "authorization" for k in first.headers)
    assert gw.password not in repr(gw.requests)


async def test_request_log_is_a_ring_of_the_latest(gateway: GatewayFactory) -> None:
    gw, api = await gateway(request_log=3)
    for size in (10, 20, 30, 40, 50):
        await api.ok("/sms/list", {"pageSize": size})
    assert [r.params["pageSize"] for r in gw.requests] == [30, 40, 50]
    assert [r.params["pageSize"] for r in gw.requests[-2:]] == [40, 50]
    assert gw.requests[0].params["pageSize"] == 30
    assert gw.requests == list(gw.requests)
    gw.requests.clear()
    assert gw.requests == []
    await api.ok("/sms/list", {"pageSize": 60})
    assert [r.params["pageSize"] for r in gw.requests] == [60]


async def test_request_log_off_records_nothing_and_says_so(gateway: GatewayFactory) -> None:
    gw, api = await gateway(request_log=None)
    assert (await api.ok("/user/credit")) == {"credit": 100_000}
    reply = await api.fail("/user/credit", auth=("x", "y"))
    assert reply.err["code"] == "ERR_UNAUTHORIZED_REQUEST"
    assert gw._server.requests is None
    with pytest.raises(RuntimeError, match="request_log=None"):
        _ = gw.requests


def test_request_log_default_and_bad_sizes() -> None:
    import argparse

    from nodesms.testing._standalone import add_gateway_arguments

    def _parser() -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser()
        add_gateway_arguments(parser)
        return parser

    assert FakeGateway()._server.requests.maxlen == 10_000  # type: ignore[union-attr]
    for bad in (0, -1, True, 2.5, "10"):
        with pytest.raises(ValueError, match="request_log"):
            FakeGateway(request_log=bad)  # type: ignore[arg-type]
    assert _parser().parse_args([]).request_log == 100
    assert _parser().parse_args(["--request-log", "off"]).request_log is None
    assert _parser().parse_args(["--request-log", "7"]).request_log == 7
    for bad in ("0", "-3", "many"):
        with pytest.raises(SystemExit):
            _parser().parse_args(["--request-log", bad])


def test_error_table_maps_codes_names_and_statuses() -> None:
    assert lookup("SMS18").name == "ERR_USER_CREDIT_REQUIRED"
    assert lookup("ERR_USER_CREDIT_REQUIRED").code == "SMS18"
    statuses = {
        "ERR_UNAUTHORIZED_REQUEST": 401,
        "SMS01": 403,
        "SMS06": 404,
        "SMS42": 409,
        "ERR_SMS_PKG_DUPLICATION": 409,
        "SMS18": 417,
        "SMS50": 429,
        "SMS99": 503,
        "ERR_INTERNAL_SERVER": 500,
        "ERR_INVALID_PARAM": 400,
        "SMS08": 400,
    }
    for code, status in statuses.items():
        assert lookup(code).http_status == status, code
    assert len([s for s in ERRORS.values() if s.code]) == 39
    with pytest.raises(KeyError):
        lookup("SMS77")


PLUGIN_TEST = """
import pytest
from nodesms.testing import FakeGateway

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
@pytest.mark.nodesms_gateway(credit=42)
async def test_gateway(nodesms_gateway):
    assert isinstance(nodesms_gateway, FakeGateway)
    assert nodesms_gateway.credit == 42
    assert nodesms_gateway.base_url.startswith("http://127.0.0.1:")

@pytest.mark.anyio
async def test_default(nodesms_gateway):
    assert nodesms_gateway.credit == 100000
"""


async def test_plugin_fixtures_use_marker_options(tmp_path: Path) -> None:
    (tmp_path / "test_plugin_use.py").write_text(PLUGIN_TEST)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        "--strict-markers",
        str(tmp_path),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    assert b"2 passed" in output


async def test_standalone_prints_url_and_serves_until_sigterm(anyio_backend: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nodesms.testing",
        "--port",
        "0",
        "--username",
        "demo",
        "--password",
        "demo",
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert "http://127.0.0.1:" in first
        url = first.split(" at ", 1)[1].strip()
        credentials = (await process.stdout.readline()).decode()
        assert "demo" in credentials
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url + "/user/credit", headers={"Authorization": basic_auth("demo", "demo")}
            ) as response,
        ):
            assert (await response.json())["data"] == {"credit": 100000}
    finally:
        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0
    assert b"stopped" in rest[0]


async def test_real_clock_moves_packages_without_advance(gateway: GatewayFactory) -> None:
    gw, api = await gateway(clock="real", tick=0.02)
    data = await api.ok(
        "/sms/create-otp", {"number": "905321234567", "sender": "NODESMS", "content": "1"}
    )
    await gw.advance(5)  # the real clock can also jump
    await asyncio.sleep(0.1)
    assert gw.package(data["pkgID"]).state == 6


async def test_api_helper_is_plain_aiohttp(gateway: GatewayFactory) -> None:
    _, api = await gateway()
    assert isinstance(api, Api)
    assert isinstance(api.session, aiohttp.ClientSession)
