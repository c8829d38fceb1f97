"""The transport against hostile and broken answers: redirects, size caps, malformed bodies.

Every server here is a real one on 127.0.0.1 (``hostile.py``); memory bombs run the client in
a subprocess under an address-space limit, so a regression fails the test instead of the
machine.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import sys
import textwrap
import threading
import zlib
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import anyio
import pytest
from conftest import GatewayFactory
from hostile import http_response, raw_server, stream_server

import nodesms
from nodesms._soap import SoapProtocol
from nodesms._transport import Connection
from nodesms.resources.sms import _ListBody
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

ONCE = nodesms.RetryPolicy(max_attempts=1)
CREDIT_OK = b'{"err": null, "data": {"credit": "12.5"}}'


def client_for(base_url: str, **options: Any) -> nodesms.Client:
    options.setdefault("retry", ONCE)
    return nodesms.Client(base_url, "user", "pass", **options)


# --- 1. redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    ["301 Moved Permanently", "302 Found", "307 Temporary Redirect", "308 Permanent Redirect"],
)
async def test_a_redirect_is_never_followed(status: str) -> None:
    async with raw_server(lambda head, body: http_response(CREDIT_OK)) as elsewhere:
        target = f"{elsewhere.base_url.replace('127.0.0.1', 'localhost')}/steal?token=abc#x"

        def redirect(head: bytes, body: bytes) -> bytes:
            return http_response(b"", status=status, headers={"Location": target})

        async with raw_server(redirect) as gateway:
            retrying = nodesms.RetryPolicy(initial_delay=0.01)
            async with client_for(gateway.base_url, retry=retrying) as client:
                with pytest.raises(nodesms.ResponseError) as caught:
                    await client.sms.create_otp(
                        number="905550000001", sender="ACME", content="Kodunuz: 1"
                    )
    message = str(caught.value)
    assert caught.value.http_status == int(status[:3])
    assert "http://localhost" in message  # scheme and host, and nothing else of the target
    port = urlsplit(elsewhere.base_url).port
    assert "steal" not in message
    assert "token" not in message
    assert f":{port}" not in message
    assert elsewhere.requests == []  # nothing (no password, no number, no text) left
    assert len(gateway.requests) == 1  # and it is not retried


async def test_a_redirect_without_location_names_no_target() -> None:
    def no_location(head: bytes, body: bytes) -> bytes:
        return http_response(b"", status="302 Found")

    async with raw_server(no_location) as gateway, client_for(gateway.base_url) as client:
        with pytest.raises(nodesms.ResponseError, match="redirect"):
            await client.user.credit()


# --- 2. the size cap -------------------------------------------------------------------------


async def test_an_oversized_content_length_is_refused_before_reading() -> None:
    def huge(head: bytes, body: bytes) -> bytes:
        # Announces a gigabyte, sends a few bytes, then keeps the connection open: reading
        # it would wait for the timeout; the cap must refuse it from the header alone.
        return b'HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n{"err": null'

    async with raw_server(huge) as gateway:
        client = client_for(gateway.base_url, max_response_bytes=2**20)
        async with client:
            with anyio.fail_after(20):  # a hang guard, not a timing assertion
                with pytest.raises(nodesms.ResponseError, match="max_response_bytes") as caught:
                    await client.user.credit()
    assert "1000000000" in str(caught.value)


async def test_answers_under_the_cap_are_read_whole_compressed_or_chunked() -> None:
    padding = " " * 200_000
    document = f'{{"err": null, "data": {{"credit": "7"}}{padding}}}'.encode()

    def gzipped(head: bytes, body: bytes) -> bytes:
        packed = gzip.compress(document)
        return http_response(packed, headers={"Content-Encoding": "gzip"})

    def chunked(head: bytes, body: bytes) -> bytes:
        pieces = [document[i : i + 7000] for i in range(0, len(document), 7000)]
        framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + framed

    for respond in (gzipped, chunked):
        async with raw_server(respond) as gateway:
            client = client_for(gateway.base_url, max_response_bytes=len(document))
            async with client:
                credit = await client.user.credit()
        assert credit.credit == 7
    # One byte less than the decompressed size is too much, although the gzip is tiny.
    async with raw_server(gzipped) as gateway:
        client = client_for(gateway.base_url, max_response_bytes=len(document) - 1)
        async with client:
            with pytest.raises(nodesms.ResponseError, match="max_response_bytes"):
                await client.user.credit()


async def test_max_response_bytes_and_max_connections_are_checked() -> None:
    for name in ("max_response_bytes", "max_connections"):
        for bad in (0, -1, 1.5, True, "10"):
            with pytest.raises(nodesms.ValidationError, match=name):
                nodesms.Client("http://127.0.0.1:9", "u", "p", **{name: bad})


_BOMB_CLIENT = textwrap.dedent(
    """
    import asyncio, resource, sys
    limit = int(sys.argv[2]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import nodesms

    async def main():
        async with nodesms.Client(sys.argv[1], "u", "p", retry=nodesms.RetryPolicy(max_attempts=1),
                                  timeout=60) as client:
            try:
                await client.user.credit()
            except nodesms.ResponseError as exc:
                print("ResponseError", exc)
            except MemoryError:
                print("MemoryError")

    asyncio.run(main())
    """
)


async def run_bomb_client(base_url: str, limit_mb: int = 1024) -> str:
    """Run a client in a subprocess with an address-space limit; its one line of output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = await anyio.run_process(
        [sys.executable, "-c", _BOMB_CLIENT, base_url, str(limit_mb)],
        env=env,
        check=False,
    )
    out = result.stdout.decode() + result.stderr.decode()
    return out.strip()


def gzip_bomb(megabytes_out: int) -> bytes:
    """A gzip member of ``megabytes_out`` MiB of zeros (about 1000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(2**20)
    parts = [packer.compress(chunk) for _ in range(megabytes_out)]
    parts.append(packer.flush())
    return b"".join(parts)


async def test_a_gzip_bomb_stops_at_the_cap_in_bounded_memory() -> None:
    bomb = await anyio.to_thread.run_sync(gzip_bomb, 2048)  # 2 GiB of zeros in ~2 MB
    assert len(bomb) < 4 * 2**20

    def respond(head: bytes, body: bytes) -> bytes:
        return http_response(bomb, headers={"Content-Encoding": "gzip"})

    async with raw_server(respond) as gateway:
        with anyio.fail_after(120):
            out = await run_bomb_client(gateway.base_url, limit_mb=1024)
    assert out.startswith("ResponseError"), out
    assert "max_response_bytes" in out


async def test_an_endless_chunked_body_stops_at_the_cap_in_bounded_memory() -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert head
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)
        for _ in range(200_000):  # 13 GB at most: far past any cap, but bounded
            writer.write(chunk)
            await writer.drain()

    async with stream_server(endless) as gateway:
        with anyio.fail_after(120):
            out = await run_bomb_client(gateway.base_url, limit_mb=1024)
    assert out.startswith("ResponseError"), out


async def test_a_large_soap_answer_is_parsed_off_the_event_loop(
    nodesms_gateway: FakeGateway,
) -> None:
    nodesms_gateway.seed_packages(1000)
    soap = nodesms_gateway.client(protocol="soap")
    connection: Connection = soap._connection
    protocol = soap._protocol
    assert isinstance(protocol, SoapProtocol)
    threads: set[int] = set()
    original = connection.clock.dec_hook

    def watching(type_: type, obj: Any) -> Any:  # records where decoding runs
        threads.add(threading.get_ident())
        return original(type_, obj)

    connection.clock.dec_hook = watching
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async with soap, anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        page = await soap.sms.list(page_size=1000)
        tg.cancel_scope.cancel()
    assert len(page.items) == 1000
    assert threading.get_ident() not in threads  # a 1000-package answer is far past 256 KiB
    assert ticks > 0


# --- 3. malformed answers --------------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
BAD_ANSWERS = {
    "byte-order mark": b"\xef\xbb\xbf" + CREDIT_OK,
    "deep nesting in err": b'{"err": {"code": ' + DEEP + b'}, "data": null}',
    "deep nesting in data": b'{"err": null, "data": {"credit": ' + DEEP + b"}}",
    "huge number": b'{"err": null, "data": {"credit": 1e999999}}',
    "html": b"<html><body>502 Bad Gateway</body></html>",
    "truncated": CREDIT_OK[:20],
    "empty": b"",
    "not an object": b"[1, 2, 3]",
}


@pytest.mark.parametrize("name", sorted(BAD_ANSWERS))
async def test_every_malformed_answer_is_a_response_error(
    name: str, nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.faults.push("/user/credit", Fault.raw(BAD_ANSWERS[name]))
    client = nodesms_client.with_options(retry=ONCE)
    with pytest.raises(nodesms.ResponseError) as caught:
        await client.user.credit()
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


EXTREME_DATES = [
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "99999-01-01T00:00:00",
    "2021-13-45T00:00:00",
]
_CREATED = re.compile(rb'"sendingDate": ?"[^"]*"')


@pytest.mark.parametrize("created", EXTREME_DATES)
async def test_dates_out_of_range_are_response_errors(
    created: str, gateway: GatewayFactory
) -> None:
    gw, api = await gateway()
    gw.seed_packages(1)
    raw = (await api.call("/sms/list", {"pageSize": 10})).raw
    assert _CREATED.search(raw)
    broken = _CREATED.sub(b'"sendingDate": "' + created.encode() + b'"', raw)
    async with gw.client(retry=ONCE) as client:
        gw.faults.push("/sms/list", Fault.raw(raw))
        assert len((await client.sms.list(page_size=10)).items) == 1  # the real answer works
        gw.faults.push("/sms/list", Fault.raw(broken))
        with pytest.raises(nodesms.ResponseError) as caught:
            await client.sms.list(page_size=10)
    assert caught.value.__context__ is None


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        ({"code": "SMS50", "status": "abc"}, nodesms.ConcurrencyLimitError),
        ({"code": "SMS18", "status": [1], "message": 42}, nodesms.InsufficientCreditError),
        ({"code": 99, "status": None}, nodesms.APIError),
        ({"code": "ERR_UNAUTHORIZED_REQUEST", "status": {"x": 1}}, nodesms.AuthenticationError),
    ],
)
async def test_an_error_with_malformed_fields_keeps_its_code_and_class(
    err: dict[str, Any],
    expected: type[nodesms.APIError],
    nodesms_client: nodesms.Client,
    nodesms_gateway: FakeGateway,
) -> None:
    body = json.dumps({"err": err, "data": None}).encode()
    nodesms_gateway.faults.push("/user/credit", Fault.raw(body, http_status=400))
    with pytest.raises(expected) as caught:
        await nodesms_client.with_options(retry=ONCE).user.credit()
    assert type(caught.value) is expected
    assert caught.value.http_status == 400
    assert caught.value.status is None


async def test_soap_errors_with_malformed_fields_keep_their_code(
    nodesms_gateway: FakeGateway,
) -> None:
    body = (
        b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/'
        b'soap/envelope/"><soapenv:Body><getUserCreditResponse><result><err><code>SMS50</code>'
        b"<status>abc</status></err></result></getUserCreditResponse></soapenv:Body>"
        b"</soapenv:Envelope>"
    )
    nodesms_gateway.faults.push("getUserCredit", Fault.raw(body))
    async with nodesms_gateway.client(protocol="soap", retry=ONCE) as soap:
        with pytest.raises(nodesms.ConcurrencyLimitError):
            await soap.user.credit()


@pytest.mark.parametrize("created", EXTREME_DATES[:2])
async def test_soap_dates_out_of_range_are_response_errors(
    created: str, nodesms_gateway: FakeGateway
) -> None:
    nodesms_gateway.seed_packages(1)
    async with nodesms_gateway.client(protocol="soap", retry=ONCE) as soap:
        protocol = soap._protocol
        assert isinstance(protocol, SoapProtocol)
        envelope = protocol.envelope("getSmsPackages", _ListBody(page_index=0, page_size=10))
        async with aiohttp.ClientSession() as session:
            headers = {"Content-Type": "text/xml;charset=UTF-8", "SOAPAction": "getSmsPackages"}
            async with session.post(
                nodesms_gateway.base_url + "/soap", data=bytes(envelope), headers=headers
            ) as response:
                raw = await response.read()
        tag = re.compile(rb"<sendingDate>[^<]*</sendingDate>")
        assert tag.search(raw)
        broken = tag.sub(b"<sendingDate>" + created.encode() + b"</sendingDate>", raw)
        nodesms_gateway.faults.push("getSmsPackages", Fault.raw(raw))
        assert len((await soap.sms.list(page_size=10)).items) == 1
        nodesms_gateway.faults.push("getSmsPackages", Fault.raw(broken))
        with pytest.raises(nodesms.ResponseError) as caught:
            await soap.sms.list(page_size=10)
    assert caught.value.__context__ is None


@pytest.mark.parametrize(
    "date", ["Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "yesterday", ""]
)
async def test_an_absurd_date_header_falls_back_to_the_clients_clock(date: str) -> None:
    page = b'{"err": null, "data": {"stats": {"totalRecord": 0}, "list": []}}'

    def respond(head: bytes, body: bytes) -> bytes:
        return http_response(page if b"/sms/list" in head else CREDIT_OK, headers={"Date": date})

    async with raw_server(respond) as gateway, client_for(gateway.base_url) as client:
        await client.user.credit()
        assert [p async for p in client.sms.list()] == []  # the walk pins a sane bound
        now = client._connection.clock.now()
    assert 2000 < now.year < 9000


async def test_retry_after_headers_that_are_absurd_are_ignored() -> None:
    answers = iter(
        [
            http_response(
                b"busy",
                status="503 Service Unavailable",
                headers={"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"},
            ),
            http_response(
                b"busy", status="503 Service Unavailable", headers={"Retry-After": "nan"}
            ),
            http_response(CREDIT_OK),
        ]
    )
    async with raw_server(lambda head, body: next(answers)) as gateway:
        policy = nodesms.RetryPolicy(initial_delay=0.01, max_delay=0.05)
        async with client_for(gateway.base_url, retry=policy) as client:
            with anyio.fail_after(20):
                assert (await client.user.credit()).credit == 12.5
