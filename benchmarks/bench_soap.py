"""nodesms vs zeep over SOAP, against the same local gateway.

Run ``python benchmarks/bench_soap.py``. The embedded gateway (``nodesms.testing``) runs in a
separate process, seeded with 1,000 packages, so this process does nothing but the client's
work and its CPU time (``time.process_time``) is the client-side cost of a call. Measured:

- one ``getUserCredit`` call (``await client.user.credit()`` / ``service.getUserCredit(...)``);
- one ``getSmsPackages`` call answering a 1,000-package page
  (``await client.sms.list(page_size=1000)`` / ``service.getSmsPackages(..., pageSize=1000)``);
- decoding that page alone, from the answer's bytes to objects: nodesms's ``SoapProtocol.decode``
  (typed ``Package`` models with aware datetimes) vs zeep's ``process_reply`` (its parsed
  objects), with no network involved.

Both clients keep their connection open between calls (an aiohttp session, a requests
session), both send the credentials in the body. ``main()`` prints a markdown table of medians
and returns them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import median_range

PAGE = 1000


def _serve(conn: Connection, packages: int) -> None:
    """The gateway process: serve until the parent says stop."""
    from nodesms.testing import FakeGateway

    async def run() -> None:
        async with FakeGateway(credit=10**9) as gw:
            gw.seed_packages(packages, content="Kampanya: bu hafta %20 indirim, kaçırmayın!")
            conn.send((gw.base_url, gw.username, gw.password))
            await asyncio.to_thread(conn.recv)

    asyncio.run(run())


GROUPS = 5
"""Each measurement's samples are cut into this many consecutive groups; the range shown is
that of the groups' medians."""


@dataclass
class Result:
    name: str
    nodesms: list[float]
    zeep: list[float]
    unit: str

    @property
    def ratio(self) -> float:
        return statistics.median(self.zeep) / statistics.median(self.nodesms)

    @property
    def ratios(self) -> list[float]:
        """Group by group: zeep's group i against nodesms's group i."""
        return [
            statistics.median(z) / statistics.median(n)
            for n, z in zip(_groups(self.nodesms), _groups(self.zeep), strict=True)
        ]


def _groups(samples: list[float]) -> list[list[float]]:
    size = max(1, len(samples) // GROUPS)
    return [samples[i : i + size] for i in range(0, size * GROUPS, size) if samples[i : i + size]]


def _cpu_samples(samples: list[int]) -> list[float]:
    return [sample / 1000.0 for sample in samples]  # ns → µs


def _time_sync(call: Callable[[], Any], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        started = time.process_time_ns()
        call()
        samples.append(time.process_time_ns() - started)
    return _cpu_samples(samples)


async def _time_async(call: Callable[[], Any], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(runs):
        started = time.process_time_ns()
        await call()
        samples.append(time.process_time_ns() - started)
    return _cpu_samples(samples)


async def _nodesms(base_url: str, username: str, password: str, runs: int) -> dict[str, Any]:
    import nodesms

    async with nodesms.Client(base_url, username, password, protocol="soap") as client:
        page = await client.sms.list(page_size=PAGE)
        assert len(page.items) == PAGE, len(page.items)

        async def list_page() -> Any:
            return await client.sms.list(page_size=PAGE)

        credit = await _time_async(client.user.credit, runs * 20, 50)
        packages = await _time_async(list_page, runs, 3)
    return {"credit": credit, "page": packages}


def _raw_page(base_url: str, username: str, password: str) -> bytes:
    """The bytes of a getSmsPackages answer with 1,000 packages, as the gateway sends them."""
    from zoneinfo import ZoneInfo

    import requests

    from nodesms._soap import SoapProtocol
    from nodesms._transport import Connection as NodesmsConnection
    from nodesms.resources.sms import _ListBody

    connection = NodesmsConnection(
        base_url, username, password, session=None, ssl=True, gateway_tz=ZoneInfo("UTC")
    )
    envelope = SoapProtocol(connection).envelope(
        "getSmsPackages", _ListBody(page_index=0, page_size=PAGE)
    )
    response = requests.post(
        f"{base_url}/soap",
        data=envelope,
        headers={"Content-Type": "text/xml;charset=UTF-8", "SOAPAction": "getSmsPackages"},
        timeout=60,
    )
    response.raise_for_status()
    return response.content


class _Reply:
    """What zeep's ``process_reply`` reads of a ``requests.Response``."""

    status_code = 200
    encoding = None
    headers = {"Content-Type": "text/xml; charset=utf-8"}  # noqa: RUF012

    def __init__(self, content: bytes) -> None:
        self.content = content


def main(runs: int = 25) -> list[Result]:
    """Run every measurement; print a markdown table and return the medians."""
    import requests
    import zeep
    from zeep.transports import Transport

    from nodesms._operations import SMS_LIST as LIST
    from nodesms._soap import SoapProtocol
    from nodesms._transport import Connection as NodesmsConnection

    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(child, PAGE + 10), daemon=True
    )
    server.start()
    try:
        base_url, username, password = parent.recv()
        raw = _raw_page(base_url, username, password)

        ours = asyncio.run(_nodesms(base_url, username, password, runs))

        session = requests.Session()
        client = zeep.Client(f"{base_url}/soap?wsdl", transport=Transport(session=session))
        service = client.service
        reply = service.getSmsPackages(username=username, password=password, pageSize=PAGE)
        assert len(reply["data"]["list"]["item"]) == PAGE
        zeep_credit = _time_sync(
            lambda: service.getUserCredit(username=username, password=password), runs * 20, 50
        )
        zeep_page = _time_sync(
            lambda: service.getSmsPackages(username=username, password=password, pageSize=PAGE),
            runs,
            3,
        )

        binding = service._binding
        operation = binding.get("getSmsPackages")
        zeep_decode = _time_sync(
            lambda: binding.process_reply(client, operation, _Reply(raw)), runs, 3
        )
        from zoneinfo import ZoneInfo

        protocol = SoapProtocol(
            NodesmsConnection(
                base_url,
                username,
                password,
                session=None,
                ssl=True,
                gateway_tz=ZoneInfo("Europe/Istanbul"),
            )
        )
        decoded = protocol.decode(LIST, raw)
        assert len(decoded.items or []) == PAGE
        our_decode = _time_sync(lambda: protocol.decode(LIST, raw), runs, 3)
    finally:
        parent.send("stop")
        server.join(10)

    results = [
        Result("getUserCredit call", ours["credit"], zeep_credit, "µs"),
        Result(f"getSmsPackages call, {PAGE:,}-package page", ours["page"], zeep_page, "µs"),
        Result(f"decode only: {PAGE:,}-package page", our_decode, zeep_decode, "µs"),
    ]
    print(
        f"Client-side CPU time per call over SOAP, median of {runs * 20} credit calls and "
        f"{runs} page calls / decodes (page answer: {len(raw):,} bytes; gateway in another "
        f"process); in brackets the range of the medians of {GROUPS} consecutive groups of "
        "samples. zeep runs after nodesms, in the same process.\n"
    )
    print("| measurement | nodesms | zeep | zeep / nodesms |")
    print("|---|---:|---:|---:|")
    for result in results:
        print(
            f"| {result.name} | {_show(result.nodesms)} | {_show(result.zeep)} | "
            f"{median_range(result.ratios, 1, '×')} |"
        )
    return results


def _show(samples: list[float]) -> str:
    medians = [statistics.median(group) for group in _groups(samples)]
    if statistics.median(samples) >= 10_000:
        return f"{median_range([m / 1000 for m in medians], 1)} ms"
    return f"{median_range(medians)} µs"


if __name__ == "__main__":
    main()
