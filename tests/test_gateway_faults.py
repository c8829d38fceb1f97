"""FakeGateway fault injection, seen by a plain aiohttp client."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import msgspec
import pytest
from conftest import GatewayFactory

from nodesms.testing import Fault, FaultKind

pytestmark = pytest.mark.anyio


def body(i: int = 0) -> dict[str, Any]:
    return {
        "sendingType": 0,
        "sender": "NODESMS",
        "title": "t",
        "content": f"mesaj {i}",
        "number": "905321234567",
        "customID": f"job-{i}",
    }


async def test_drop_before_never_takes_effect(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    gw.faults.push("/sms/create", Fault.drop_before())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.call("/sms/create", body())
    assert gw.packages == []
    assert gw.credit == 100_000
    assert len(gw.requests) == 1
    assert gw.requests[0].params == body()
    await api.ok("/sms/create", body())  # one fault, one request
    assert len(gw.packages) == 1


async def test_drop_after_acts_then_disconnects(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    gw.faults.push("/sms/create", Fault.drop_after())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.call("/sms/create", body())
    assert [p.custom_id for p in gw.packages] == ["job-0"]
    reply = await api.fail("/sms/create", body())
    assert reply.err["code"] == "ERR_SMS_PKG_CUSTOM_ID_DUPLICATION"
    listed = await api.ok("/sms/list", {"customIDs": ["job-0"]})
    assert listed["list"][0]["id"] == gw.packages[0].id


async def test_error_fault_with_status_and_retry_after(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    gw.faults.push(
        "/sms/create",
        Fault.error("SMS99", retry_after=2),
        Fault.error("ERR_MULTI_REQUEST_NOT_PERMITTED", http_status=200),
        Fault.error("ERR_CONCURRENT_REQUEST_LIMIT"),
    )
    first = await api.fail("/sms/create", body())
    assert (first.status, first.headers["Retry-After"]) == (503, "2")
    assert first.err["code"] == "ERR_SYSTEM_MAINTENANCE"
    assert first.err["status"] == 503
    second = await api.fail("/sms/create", body())
    assert (second.status, second.err["code"]) == (200, "ERR_MULTI_REQUEST_NOT_PERMITTED")
    third = await api.fail("/sms/create", body())
    assert (third.status, third.err["code"]) == (429, "ERR_CONCURRENT_REQUEST_LIMIT")
    assert "Retry-After" not in third.headers
    assert gw.packages == []
    assert gw.faults.pending("/sms/create") == 0
    await api.ok("/sms/create", body())


async def test_faults_are_per_operation(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    gw.faults.push("/user/credit", Fault.error("SMS99"))
    await api.ok("/sms/create", body())
    assert gw.faults.pending("/user/credit") == 1
    assert (await api.fail("/user/credit")).err["code"] == "ERR_SYSTEM_MAINTENANCE"
    assert gw.faults.injected == [("/user/credit", Fault.error("SMS99"))]
    gw.faults.push("/user/credit", Fault.error("SMS99"))
    gw.faults.clear("/user/credit")
    await api.ok("/user/credit")


async def test_bad_gateway_html_page(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    gw.faults.push("/sms/create", Fault.bad_gateway())
    reply = await api.call("/sms/create", body())
    assert reply.status == 502
    assert reply.headers["Content-Type"].startswith("text/html")
    assert b"<title>502 Bad Gateway</title>" in reply.raw
    assert b"nginx" in reply.raw
    assert gw.packages == []


async def test_truncated_body_after_acting(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    gw.faults.push("/sms/create", Fault.truncated())
    reply = await api.call("/sms/create", body())
    assert reply.status == 200
    assert reply.raw.startswith(b'{"err":null')
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(reply.raw)
    assert len(gw.packages) == 1


async def test_latency_fault_and_persistent_latency(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    gw.faults.push("/user/credit", Fault.latency(0.2))
    started = time.perf_counter()
    await api.ok("/user/credit")
    assert time.perf_counter() - started >= 0.2  # a lower bound: sleeping never ends early
    assert gw.faults.pending("/user/credit") == 0  # the fault was used up by that request
    gw.set_latency("/sms/list", 0.25)
    started = time.perf_counter()
    await api.ok("/sms/list")
    await api.ok("/sms/list")
    assert time.perf_counter() - started >= 0.5
    gw.set_latency("/sms/list", None)
    await api.ok("/sms/list")


async def test_error_faults_apply_before_auth(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    gw.faults.push("/user/credit", Fault.error("SMS99"))
    reply = await api.fail("/user/credit", auth=("who", "wrong"))
    assert reply.err["code"] == "ERR_SYSTEM_MAINTENANCE"
    assert (await api.fail("/user/credit", auth=("who", "wrong"))).status == 401


async def test_random_faults_are_deterministic(gateway: GatewayFactory) -> None:
    outcomes = []
    for _ in range(2):
        gw, api = await gateway(duplicate_window=None)
        gw.faults.random(
            0.5,
            [Fault.error("SMS99"), Fault.drop_before()],
            seed=5,
            operations=["/sms/create"],
        )
        run = []
        for i in range(30):
            try:
                reply = await api.call("/sms/create", body(i))
            except aiohttp.ServerDisconnectedError:
                run.append("drop")
            else:
                run.append(reply.json["err"]["code"] if reply.json["err"] else "ok")
        await api.ok("/user/credit")  # not in `operations`
        outcomes.append(run)
        assert len(gw.packages) == run.count("ok")
        assert {k for _, k in [(o, f.kind) for o, f in gw.faults.injected]} <= {
            FaultKind.ERROR,
            FaultKind.DROP_BEFORE,
        }
        assert 5 < len(gw.faults.injected) < 25
    assert outcomes[0] == outcomes[1]
    assert {"ok", "drop", "ERR_SYSTEM_MAINTENANCE"} == set(outcomes[0])


async def test_concurrent_creates_with_random_faults_lose_and_duplicate_nothing(
    gateway: GatewayFactory,
) -> None:
    gw, api = await gateway()
    # default choices: drops before/after, SMS99, SMS50, 502
    gw.faults.random(0.3, seed=2, operations=["/sms/create"])

    async def send(i: int) -> int:
        for _ in range(30):
            try:
                reply = await api.call("/sms/create", body(i))
            except aiohttp.ServerDisconnectedError:
                continue
            if reply.status == 502:
                continue
            err = reply.json["err"]
            if err is None:
                return int(reply.json["data"]["pkgID"])
            if err["code"] == "ERR_SMS_PKG_CUSTOM_ID_DUPLICATION":
                found = await api.ok("/sms/list", {"customIDs": [f"job-{i}"]})
                return int(found["list"][0]["id"])
        raise AssertionError("gave up")

    ids = await asyncio.gather(*(send(i) for i in range(100)))
    assert len(gw.packages) == 100
    assert sorted(ids) == [p.id for p in gw.packages]
    assert all(gw.package(pkg_id).custom_id == f"job-{i}" for i, pkg_id in enumerate(ids))
