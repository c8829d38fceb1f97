"""Soak: 1,000 creates from 50 concurrent tasks while 30 % of requests meet a fault."""

from __future__ import annotations

import anyio
import pytest

import nodesms
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

CREATES = 1_000
TASKS = 50
# 0.3 ** 12: a call fails every attempt about once in two million.
PATIENT = nodesms.RetryPolicy(max_attempts=12, initial_delay=0.005, max_delay=0.05)


@pytest.mark.nodesms_gateway(credit=10**7)
async def test_no_duplicate_and_no_loss_under_faults(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.random(
        0.3,
        [
            Fault.drop_before(),
            Fault.drop_after(),
            Fault.error("SMS99"),
            Fault.error("SMS50"),
            Fault.bad_gateway(),
        ],
        seed=7,
    )
    results: dict[int, nodesms.PackageCreated] = {}
    work = iter(range(CREATES))

    async def worker(client: nodesms.Client) -> None:
        for index in work:
            number = f"90555{index:07d}"
            if index % 2:
                results[index] = await client.sms.create(
                    sender="NODESMS", title="Soak", content=f"Mesaj {index}", number=number
                )
            else:
                results[index] = await client.sms.create_otp(
                    number=number, sender="NODESMS", content=f"Kod {index}"
                )

    async with nodesms_gateway.client(retry=PATIENT) as client, anyio.create_task_group() as tg:
        for _ in range(TASKS):
            tg.start_soon(worker, client)

    injected = {(fault.kind, fault.code) for _, fault in nodesms_gateway.faults.injected}
    assert len(injected) == 5, "every kind of fault was exercised"
    assert len(nodesms_gateway.faults.injected) > 0.2 * len(nodesms_gateway.requests)
    packages = nodesms_gateway.packages
    assert len(packages) == CREATES, "nothing duplicated, nothing lost"
    by_id = {package.id: package for package in packages}
    assert len(results) == CREATES
    for index, created in results.items():
        package = by_id[created.pkg_id]  # each call returned the id of its own package
        assert package.custom_id == created.custom_id
        assert package.numbers == [f"90555{index:07d}"]
