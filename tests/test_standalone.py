"""The standalone fake for other languages: ``python -m nodesms.testing`` and ``nodesms
gateway`` take the same options, print the one default set of credentials, serve senders, OTP
senders, error statuses, TLS, faults and latency as told, and a control API under ``/_fake/``
drives it. Each test runs the real command in a subprocess and talks to it over sockets."""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import ipaddress
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import nodesms
from nodesms.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME
from nodesms.testing._standalone import add_gateway_arguments

pytestmark = pytest.mark.anyio

LOCALHOST = ipaddress.ip_address("127.0.0.1")

COMMANDS = {
    "python -m nodesms.testing": [sys.executable, "-m", "nodesms.testing"],
    "nodesms gateway": [sys.executable, "-m", "nodesms", "gateway"],
}


class Running:
    def __init__(self, url: str, output: list[str], username: str, password: str) -> None:
        self.url = url
        self.output = output
        self.auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    async def call(
        self, session: aiohttp.ClientSession, method: str, path: str, body: Any = None
    ) -> tuple[int, Any]:
        async with session.request(
            method, self.url + path, json=body, headers={"Authorization": self.auth}
        ) as reply:
            return reply.status, await reply.json()


@asynccontextmanager
async def standalone(
    command: Sequence[str], *options: str, username: str = DEFAULT_USERNAME,
    password: str = DEFAULT_PASSWORD,
) -> AsyncIterator[Running]:  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command,
        "--port",
        "0",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            if not line:
                _, err = await asyncio.wait_for(process.communicate(), 10)
                raise AssertionError(f"the gateway exited: {err.decode()}")
            lines.append(line.rstrip("\n"))
        url = lines[0].split(" at ", 1)[1].strip()
        yield Running(url, lines, username, password)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0
    assert b"stopped" in rest


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings} - {"-h", "--help"}


def test_both_commands_take_the_same_options() -> None:
    parser = argparse.ArgumentParser()
    add_gateway_arguments(parser)
    expected = option_strings(parser)
    assert {"--sender", "--otp-sender", "--error-http-status", "--tls-cert", "--tls-key",
            "--fault-rate", "--latency", "--clock"} <= expected  # fmt: skip
    for command in COMMANDS.values():
        shown = subprocess.run(
            [*command, "--help"], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        for option in expected:
            assert option in shown, (command, option)


@pytest.mark.parametrize("name", list(COMMANDS))
async def test_standalone_senders_statuses_and_control_api(name: str) -> None:
    options = ["--sender", "ACME", "--otp-sender", "BANKA", "--error-http-status", "200",
               "--clock", "manual", "--seed", "1", "--undelivered-rate", "0"]  # fmt: skip
    async with standalone(COMMANDS[name], *options) as gw, aiohttp.ClientSession() as http:
        assert f"  username: {DEFAULT_USERNAME}" in gw.output
        assert f"  password: {DEFAULT_PASSWORD}" in gw.output
        assert (DEFAULT_USERNAME + DEFAULT_PASSWORD).isascii()
        otp = {"number": "905550000001", "content": "Doğrulama kodunuz: 1234", "encoding": 0}
        status, body = await gw.call(http, "POST", "/sms/create-otp", {**otp, "sender": "ACME"})
        assert (status, body["err"]["code"]) == (200, "ERR_INVALID_SMS_SENDER")
        status, body = await gw.call(http, "POST", "/sms/create-otp", {**otp, "sender": "BANKA"})
        assert status == 200
        assert body["err"] is None
        pkg_id = body["data"]["pkgID"]
        # The control API: the clock, faults, MO messages, recorded requests.
        status, now = await gw.call(http, "POST", "/_fake/advance", {"seconds": 120})
        assert status == 200
        assert "now" in now
        _, items = await gw.call(http, "POST", "/sms/list-item", {"pkgID": pkg_id})
        assert items["data"]["list"][0]["state"] == nodesms.ItemState.DELIVERED
        fault = {"operation": "/user/credit", "kind": "error", "code": "ERR_SYSTEM_MAINTENANCE"}
        assert await gw.call(http, "POST", "/_fake/faults", fault) == (200, {"pending": 1})
        _, body = await gw.call(http, "POST", "/user/credit", {})
        assert body["err"]["code"] == "ERR_SYSTEM_MAINTENANCE"
        _, body = await gw.call(http, "POST", "/user/credit", {})
        assert body["err"] is None
        _, mo = await gw.call(http, "POST", "/_fake/mo", {"gsm": "0555 000 00 02", "msg": "RED"})
        assert mo["gsm"] == "905550000002"
        _, listed = await gw.call(http, "POST", "/mo/list-request", {})
        assert [str(r["gsm"]) for r in listed["data"]["list"]] == ["905550000002"]
        status, seen = await gw.call(http, "GET", "/_fake/requests?operation=/sms/create-otp")
        assert status == 200
        assert [r["params"]["sender"] for r in seen] == ["ACME", "BANKA"]
        assert await gw.call(http, "POST", "/_fake/credit", {"credit": 7}) == (200, {"credit": 7})
        _, sender = await gw.call(http, "POST", "/_fake/senders", {"title": "ACME", "otp": True})
        assert sender == {"title": "ACME", "status": 1, "otp": True}
        status, body = await gw.call(http, "POST", "/_fake/faults", {"operation": "/x"})
        assert status == 400
        assert "kind" in body["error"]
        async with http.post(gw.url + "/_fake/advance", json={"seconds": 1}) as reply:
            assert reply.status == 401  # the control API takes the gateway's credentials
        _, index = await gw.call(http, "GET", "/_fake/")
        assert "POST /_fake/advance" in index["endpoints"]


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(LOCALHOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_standalone_serves_https_with_the_given_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    command = COMMANDS["nodesms gateway"]
    async with standalone(command, "--tls-cert", str(cert), "--tls-key", str(key)) as gw:
        assert gw.url.startswith("https://127.0.0.1:")
        trusted = ssl.create_default_context(cafile=str(cert))
        async with nodesms.Client(gw.url, DEFAULT_USERNAME, DEFAULT_PASSWORD, ssl=trusted) as c:
            assert (await c.user.credit()).credit == 100_000
        async with nodesms.Client(gw.url, DEFAULT_USERNAME, DEFAULT_PASSWORD) as untrusted:
            with pytest.raises(nodesms.TransportError):  # verification stays on by default
                await untrusted.user.credit()


async def test_standalone_fault_and_latency_flags() -> None:
    command = COMMANDS["python -m nodesms.testing"]
    options = ("--fault-rate", "1", "--seed", "3", "--latency", "0.2", "--error-http-status", "200")
    async with standalone(command, *options) as gw, aiohttp.ClientSession() as http:
        started = time.monotonic()
        async with http.post(
            gw.url + "/user/credit", json={}, headers={"Authorization": gw.auth}
        ) as reply:
            raw = await reply.read()
        assert time.monotonic() - started >= 0.2  # the latency is applied (a lower bound)
        assert b'"data":{"credit"' not in raw  # every request meets a transient fault
        _, seen = await gw.call(http, "GET", "/_fake/requests")
        assert [r["operation"] for r in seen] == ["/user/credit"]
