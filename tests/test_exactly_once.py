"""Exactly-once creates: a lost answer, a retry or a restart never duplicates or loses one."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

import nodesms
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

A, B = "905550000001", "905440000002"
FAST = nodesms.RetryPolicy(initial_delay=0.01, max_delay=0.05)


@pytest.mark.parametrize("operation", ["/sms/create", "/sms/create-otp"])
@pytest.mark.parametrize(
    "fault",
    [Fault.drop_after(), Fault.drop_before(), Fault.truncated(), Fault.bad_gateway()],
    ids=["dropped-after-acting", "dropped-before-acting", "truncated-answer", "html-502"],
)
async def test_lost_answer_gives_the_one_package(
    nodesms_gateway: FakeGateway, operation: str, fault: Fault
) -> None:
    nodesms_gateway.faults.push(operation, fault)
    async with nodesms_gateway.client(retry=FAST) as client:
        if operation == "/sms/create":
            sent = await client.sms.create(sender="NODESMS", title="T", content="Hi", number=A)
        else:
            sent = await client.sms.create_otp(number=A, sender="NODESMS", content="Kod: 1234")
    (package,) = nodesms_gateway.packages
    assert package.id == sent.pkg_id
    assert package.custom_id == sent.custom_id
    arrived = [r for r in nodesms_gateway.requests if r.operation == operation]
    assert len(arrived) == 2  # the first attempt and its retry, with the same customID
    assert {r.params["customID"] for r in arrived} == {sent.custom_id}


async def test_read_timeout_after_acting_gives_the_one_package(
    nodesms_gateway: FakeGateway,
) -> None:
    nodesms_gateway.faults.push("/sms/create", Fault.latency(1.0))
    async with nodesms_gateway.client(retry=FAST, timeout=nodesms.Timeout(total=0.3)) as client:
        sent = await client.sms.create(sender="NODESMS", title="T", content="Hi", numbers=[A, B])
    await anyio.sleep(1.0)  # let the slow first attempt act on the gateway too
    (package,) = nodesms_gateway.packages
    assert package.id == sent.pkg_id


async def test_own_custom_id_replays_across_restarts(nodesms_gateway: FakeGateway) -> None:
    kwargs = {"sender": "NODESMS", "title": "T", "content": "Siparişiniz yolda", "number": A}
    async with nodesms_gateway.client() as first_process:
        first = await first_process.sms.create(custom_id="order-4711", **kwargs)
    async with nodesms_gateway.client() as second_process:
        again = await second_process.sms.create(custom_id="order-4711", **kwargs)
    assert again.pkg_id == first.pkg_id
    assert again.custom_id == "order-4711"
    assert len(nodesms_gateway.packages) == 1


async def test_custom_id_of_another_request_is_a_conflict(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    await nodesms_client.sms.create(
        sender="NODESMS", title="T", content="first", number=A, custom_id="job-1"
    )
    with pytest.raises(nodesms.ConflictError) as info:
        await nodesms_client.sms.create(
            sender="NODESMS", title="T", content="second", number=A, custom_id="job-1"
        )
    assert info.value.code == "SMS42"
    assert "job-1" in str(info.value)
    assert len(nodesms_gateway.packages) == 1


async def test_same_content_within_30_minutes_is_a_conflict(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    await nodesms_client.sms.create(sender="NODESMS", title="T", content="same", number=A)
    with pytest.raises(nodesms.ConflictError) as info:
        await nodesms_client.sms.create(sender="NODESMS", title="T", content="same", number=A)
    assert info.value.name == "ERR_SMS_PKG_DUPLICATION"
    assert len(nodesms_gateway.packages) == 1


async def test_ambiguous_failure_of_a_write_without_key_is_not_retried(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    sent = await nodesms_client.sms.create(
        sender="NODESMS",
        title="T",
        content="x",
        number=A,
        sending_date=nodesms_gateway.now + timedelta(hours=1),
    )
    nodesms_gateway.faults.push("/sms/cancel", Fault.drop_after())
    with pytest.raises(nodesms.TransportError) as info:
        await nodesms_client.sms.cancel(pkg_id=sent.pkg_id)
    assert info.value.sent is not False
    assert len([r for r in nodesms_gateway.requests if r.operation == "/sms/cancel"]) == 1


async def test_unsent_write_is_retried(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/sms/create-kvkk", Fault.error("SMS50"), Fault.error("SMS99"))
    async with nodesms_gateway.client(retry=FAST) as client:
        sent = await client.sms.create_kvkk(
            number=A, first_name="A", last_name="B", sender="NODESMS", content="Onay: SHORT_LINK"
        )
    assert [p.id for p in nodesms_gateway.packages] == [sent.pkg_id]


async def test_lost_answer_is_found_whatever_the_gateway_clock_says(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    await nodesms_gateway.advance(2 * 86400)  # the gateway's clock is two days ahead
    nodesms_gateway.faults.push("/sms/create", Fault.drop_after())
    sent = await nodesms_client.with_options(retry=FAST).sms.create(
        sender="NODESMS", title="T", content="Hi", number=A
    )
    (package,) = nodesms_gateway.packages
    assert package.id == sent.pkg_id
