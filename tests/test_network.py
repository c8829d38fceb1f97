"""Network: proxy=, trust_env= (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) through a real forward
proxy on 127.0.0.1 (tinyproxy), trace_configs=, and TLS errors that say what is wrong."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import nodesms
from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio

CREDIT = b'{"err": null, "data": {"credit": 5}}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the proxy exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {seconds} s")


@dataclass
class Proxy:
    url: str
    log: Path

    def connects(self) -> list[str]:
        """The CONNECT tunnels it opened (``host:port``)."""
        lines = self.log.read_text(errors="replace").splitlines()
        marker = "): CONNECT "
        return [line.split(marker, 1)[1].split()[0] for line in lines if marker in line]


PROXY_USER, PROXY_PASSWORD = "ofis", "vekil-Sifre-9"  # tinyproxy takes ASCII only


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    """tinyproxy, a real forward proxy, on a free port of 127.0.0.1 (it adds a Via header)."""
    yield from tinyproxy(tmp_path, "")


@pytest.fixture
def auth_proxy(tmp_path: Path) -> Iterator[Proxy]:
    """tinyproxy asking for Basic credentials."""
    yield from tinyproxy(tmp_path, f"BasicAuth {PROXY_USER} {PROXY_PASSWORD}\n")


def tinyproxy(tmp_path: Path, extra: str) -> Iterator[Proxy]:
    binary = shutil.which("tinyproxy")
    assert binary is not None, "tinyproxy is needed (.ci/run installs it)"
    port = free_port()
    log = tmp_path / "tinyproxy.log"
    config = tmp_path / "tinyproxy.conf"
    config.write_text(
        f"Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nAllow 127.0.0.1\n"
        f'LogLevel Connect\nLogFile "{log}"\n{extra}'
    )
    process = subprocess.Popen([binary, "-d", "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for_port(port, process)
        yield Proxy(f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@dataclass
class TlsServer:
    base_url: str
    port: int
    context: ssl.SSLContext  # a client context that trusts the server's certificate


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return key, cert


@pytest.fixture
async def tls_server(certificate: tuple[Path, Path]) -> AsyncIterator[TlsServer]:
    """An https gateway stand-in answering /user/credit, on a free port."""
    key, cert = certificate

    async def credit(request: web.Request) -> web.Response:
        return web.Response(body=CREDIT, content_type="application/json")

    app = web.Application()
    app.router.add_post("/user/credit", credit)
    runner = web.AppRunner(app)
    await runner.setup()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield TlsServer(
            f"https://127.0.0.1:{port}", port, ssl.create_default_context(cafile=str(cert))
        )
    finally:
        await runner.cleanup()


def via(gw: FakeGateway) -> list[str | None]:
    return [request.headers.get("Via") for request in gw.requests]


# --- proxies ------------------------------------------------------------------------------


async def test_proxy_sends_every_request_through_it(proxy: Proxy) -> None:
    async with FakeGateway() as gw, gw.client(proxy=proxy.url) as client:
        await client.user.credit()
        await client.sms.create_otp(number="905550000001", sender="ACME", content="1")
        assert [v is not None and "tinyproxy" in v for v in via(gw)] == [True, True]


async def test_trust_env_reads_http_proxy_and_no_proxy(proxy: Proxy, monkeypatch: Any) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with FakeGateway() as gw:
        async with gw.client(trust_env=True) as client:
            await client.user.credit()
        async with gw.client() as client:  # trust_env=False: the environment is not read
            await client.user.credit()
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with gw.client(trust_env=True) as client:
            await client.user.credit()
        assert [v is not None for v in via(gw)] == [True, False, False]


async def test_https_through_a_proxy_from_https_proxy(
    proxy: Proxy, tls_server: TlsServer, monkeypatch: Any
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with nodesms.Client(
        tls_server.base_url, "u", "p", ssl=tls_server.context, trust_env=True
    ) as client:
        assert (await client.user.credit()).credit == 5
    assert proxy.connects() == [f"127.0.0.1:{tls_server.port}"]
    async with nodesms.Client(
        tls_server.base_url, "u", "p", ssl=tls_server.context, proxy=proxy.url
    ) as client:
        assert (await client.user.credit()).credit == 5
    assert len(proxy.connects()) == 2


def test_the_sync_client_takes_a_proxy(proxy: Proxy, nodesms_gateway: FakeGateway) -> None:
    gw = nodesms_gateway
    with nodesms.SyncClient(gw.base_url, gw.username, gw.password, proxy=proxy.url) as client:
        client.user.credit()
    assert via(gw)[-1] is not None


async def test_proxy_credentials_in_the_url_are_sent_to_the_proxy(auth_proxy: Proxy) -> None:
    with_credentials = auth_proxy.url.replace("//", f"//{PROXY_USER}:{PROXY_PASSWORD}@")
    async with FakeGateway() as gw:
        async with gw.client(proxy=with_credentials) as client:
            await client.user.credit()
        retry = nodesms.RetryPolicy(max_attempts=1)
        async with gw.client(proxy=auth_proxy.url, retry=retry) as client:
            with pytest.raises(nodesms.ResponseError) as caught:
                await client.user.credit()
        assert caught.value.http_status == 407
        assert len(gw.requests) == 1
        assert "Proxy-Authorization" not in gw.requests[0].headers


async def test_proxy_credentials_are_never_shown() -> None:
    secret = "proxy-Şifre-9"
    client = nodesms.Client(
        "http://127.0.0.1:9", "u", "p", proxy=f"http://user:{secret}@127.0.0.1:{free_port()}"
    )
    async with client:
        assert secret not in repr(client)
        with pytest.raises(nodesms.TransportError) as caught:
            await client.with_options(retry=nodesms.RetryPolicy(max_attempts=1)).user.credit()
    assert secret not in str(caught.value)
    assert "proxy" in str(caught.value)


async def test_bad_network_arguments_are_validation_errors() -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"proxy": "ftp://127.0.0.1:21"}, "proxy"),
        ({"proxy": "127.0.0.1:3128"}, "proxy"),
        ({"proxy": 3128}, "proxy"),
        ({"trust_env": "yes"}, "trust_env"),
        ({"trace_configs": [object()]}, "trace_configs"),
        ({"trace_configs": aiohttp.TraceConfig()}, "trace_configs"),
    ]
    for options, field in bad:
        with pytest.raises(nodesms.ValidationError) as caught:
            nodesms.Client("http://127.0.0.1:9", "u", "p", **options)
        assert caught.value.field == field, options
    async with aiohttp.ClientSession() as session:
        for options in ({"trust_env": True}, {"trace_configs": [aiohttp.TraceConfig()]}):
            with pytest.raises(nodesms.ValidationError, match="your session"):
                nodesms.Client("http://127.0.0.1:9", "u", "p", session=session, **options)


# --- trace_configs ------------------------------------------------------------------------


async def test_trace_configs_are_given_to_the_session() -> None:
    seen: list[str] = []

    async def on_request_end(session: Any, context: Any, params: Any) -> None:
        seen.append(f"{params.method} {params.url.path} {params.response.status}")

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    async with FakeGateway() as gw, gw.client(trace_configs=[trace]) as client:
        await client.user.credit()
        await client.sms.list_sender().to_list()
    assert seen == ["POST /user/credit 200", "POST /sms/list-sender 200"]


# --- TLS hints ----------------------------------------------------------------------------


async def test_https_to_an_http_port_says_so() -> None:
    async with FakeGateway() as gw:
        url = gw.base_url.replace("http://", "https://")
        async with nodesms.Client(url, gw.username, gw.password) as client:
            with pytest.raises(nodesms.TransportError) as caught:
                await client.user.credit()
    message = str(caught.value)
    assert "does not speak TLS" in message
    assert gw.base_url in message  # the likely fix: the http URL
    assert "SSLContext" not in message
    assert caught.value.retryable is False
    assert caught.value.sent is False


async def test_an_untrusted_certificate_points_to_ssl(tls_server: TlsServer) -> None:
    async with nodesms.Client(tls_server.base_url, "u", "p") as client:
        with pytest.raises(nodesms.TransportError) as caught:
            await client.user.credit()
    message = str(caught.value)
    assert "certificate" in message
    assert "ssl=" in message
    assert caught.value.retryable is False


async def test_http_to_a_tls_port_says_so(tls_server: TlsServer) -> None:
    url = tls_server.base_url.replace("https://", "http://")
    retry = nodesms.RetryPolicy(max_attempts=1)
    async with nodesms.Client(url, "u", "p", retry=retry) as client:
        with pytest.raises((nodesms.TransportError, nodesms.ResponseError)) as caught:
            await client.user.credit()
    assert "https://" in str(caught.value)
    assert "TLS" in str(caught.value)
