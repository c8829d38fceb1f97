"""CampaignTasks at the unit level: taskiq's InMemoryBroker runs the chunk task in this process,
against the embedded gateway over real sockets and a real redis-server on a free port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from _taskiq_harness import RedisServer
from redis.asyncio import Redis
from taskiq import InMemoryBroker
from taskiq.message import BrokerMessage

import nodesms
from nodesms import Message, ValidationError
from nodesms._bulk import BulkResult
from nodesms.integrations.taskiq import CampaignTasks
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio


@pytest.fixture
async def gw() -> AsyncIterator[FakeGateway]:
    async with FakeGateway(credit=10**7, duplicate_window=None) as gateway:
        yield gateway


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"90555{start + i:07d}" for i in range(count)]


def messages(count: int, start: int = 0) -> list[Message]:
    return [Message(nr, f"Merhaba {i}") for i, nr in enumerate(numbers(count, start))]


class Broker(InMemoryBroker):
    """Records every chunk message; loses the first ``lose`` of them, as a worker killed
    before it started them would, or (``started=True``) after it marked them started."""

    def __init__(self, lose: int = 0, *, redis: Redis | None = None) -> None:
        super().__init__()
        self.lose = lose
        self.redis = redis
        self.kicked: list[BrokerMessage] = []

    async def kick(self, message: BrokerMessage) -> None:
        if message.task_name == "nodesms.campaign_chunk":
            self.kicked.append(message)
            if len(self.kicked) <= self.lose:
                if self.redis is not None:
                    options, chunk = json.loads(message.message)["args"]
                    key = f"nodesms:campaign:{json.loads(options)['campaign_id']}:started"
                    await self.redis.hset(key, str(json.loads(chunk)["index"]), "dead-worker")
                return
        await super().kick(message)


class Started:
    """A started InMemoryBroker with CampaignTasks on it; shut down on exit."""

    def __init__(
        self,
        broker: InMemoryBroker,
        gw: FakeGateway,
        redis: Redis,
        *,
        retry: nodesms.RetryPolicy | None = None,
        **options: Any,
    ) -> None:
        self.broker = broker
        self.clients: list[nodesms.Client] = []

        def factory() -> nodesms.Client:
            client = gw.client(retry=retry)
            self.clients.append(client)
            return client

        self.tasks = CampaignTasks(broker, client_factory=factory, redis=redis, **options)

    async def __aenter__(self) -> CampaignTasks:
        await self.broker.startup()
        return self.tasks

    async def __aexit__(self, *exc: object) -> None:
        await self.broker.wait_all()
        await self.broker.shutdown()


def creates(gw: FakeGateway) -> int:
    return sum(1 for r in gw.requests if r.path == "/sms/create")


async def test_a_campaign_on_the_in_memory_broker(gw: FakeGateway, redis: Redis) -> None:
    items: list[Any] = messages(2500)
    items[5] = Message("12", "kısa numara")
    items[1700] = ("905550001700", "x" * 2000)
    progress: list[nodesms._bulk.BulkProgress] = []
    async with Started(InMemoryBroker(), gw, redis, max_concurrency=2) as tasks:
        with anyio.fail_after(60):
            result = await tasks.send_bulk(
                items,
                campaign_id="bahar-2026",
                sender="ACME",
                title="Bahar",
                max_parts=5,
                on_progress=progress.append,
            )
    assert isinstance(result, BulkResult)
    assert [p.custom_id for p in result.packages] == ["bahar-2026.0", "bahar-2026.1",
                                                      "bahar-2026.2"]  # fmt: skip
    assert result.messages == 2498
    assert [(f.index, f.error) for f in result.failed] == [
        (5, "ValidationError"),
        (1700, "ValidationError"),
    ]
    assert "number" in result.failed[0].reason
    assert "max_parts" in result.failed[1].reason
    assert sorted(len(p.numbers) for p in gw.packages) == [500, 999, 999]
    assert {p.custom_id for p in gw.packages} == {p.custom_id for p in result.packages}
    assert creates(gw) == 3
    assert len(progress) == 3
    assert progress[-1].chunks == 3
    assert progress[-1].messages == 2498


async def test_one_client_per_worker_opened_and_closed_with_it(
    gw: FakeGateway, redis: Redis
) -> None:
    started = Started(InMemoryBroker(), gw, redis)
    async with started as tasks:
        assert len(started.clients) == 1  # opened on WORKER_STARTUP
        await tasks.send_bulk(messages(10), campaign_id="c1", sender="ACME", title="t")
        await tasks.send_bulk(messages(10, 10), campaign_id="c2", sender="ACME", title="t")
        # the producer's own client (settings only) is closed at once
        assert all(client.closed for client in started.clients[1:])
        assert not started.clients[0].closed
    assert started.clients[0].closed  # closed on WORKER_SHUTDOWN


async def test_transient_failures_are_retried_and_resolved_by_custom_id(
    gw: FakeGateway, redis: Redis
) -> None:
    # Maintenance, then an answer lost after the package was made, then a 502 page.
    gw.faults.push(
        "/sms/create",
        Fault.error("ERR_SYSTEM_MAINTENANCE"),
        Fault.drop_after(),
        Fault.bad_gateway(),
    )
    retry = nodesms.RetryPolicy(max_attempts=6, initial_delay=0.01, max_delay=0.05)
    async with Started(InMemoryBroker(), gw, redis, max_concurrency=1, retry=retry) as tasks:
        with anyio.fail_after(60):
            result = await tasks.send_bulk(
                messages(2000), campaign_id="retry", sender="ACME", title="t"
            )
    assert result.failed == []
    assert len(result.packages) == len(gw.packages) == 2
    assert sorted(p.custom_id for p in gw.packages) == ["retry.0", "retry.1"]
    assert {p.pkg_id for p in result.packages} == {p.id for p in gw.packages}
    assert creates(gw) == 5  # two chunks, three failed attempts


async def test_refusals_are_never_retried(gw: FakeGateway, redis: Redis) -> None:
    async with Started(InMemoryBroker(), gw, redis) as tasks:
        with anyio.fail_after(60):
            result = await tasks.send_bulk(
                messages(1500), campaign_id="banned", sender="YASAKLI", title="t"
            )
    assert result.packages == []
    assert gw.packages == []
    assert len(result.failed) == 1500
    assert {f.error for f in result.failed} == {"BadRequestError"}
    assert creates(gw) == 2  # one attempt per chunk


async def test_retries_give_up_after_the_policy(gw: FakeGateway, redis: Redis) -> None:
    gw.faults.push("/sms/create", *[Fault.error("ERR_SYSTEM_MAINTENANCE")] * 3)
    retry = nodesms.RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.02)
    async with Started(InMemoryBroker(), gw, redis, retry=retry) as tasks:
        with anyio.fail_after(60):
            result = await tasks.send_bulk(messages(5), campaign_id="gu", sender="ACME", title="t")
    assert result.packages == []
    assert [f.index for f in result.failed] == [0, 1, 2, 3, 4]
    assert all("gave up" in f.reason and f.error == "MaintenanceError" for f in result.failed)
    assert creates(gw) == 3


async def test_a_redelivered_chunk_is_dropped_and_a_rerun_sends_nothing(
    gw: FakeGateway, redis: Redis
) -> None:
    broker = Broker()
    async with Started(broker, gw, redis) as tasks:
        first = await tasks.send_bulk(messages(1200), campaign_id="re", sender="ACME", title="t")
        sent = creates(gw)
        # The broker delivers both finished chunks again: their stored outcomes answer them.
        for message in list(broker.kicked):
            await broker.kick(message)
        await broker.wait_all()
        again = await tasks.send_bulk(messages(1200), campaign_id="re", sender="ACME", title="t")
    assert creates(gw) == sent == 2
    assert again.packages == first.packages


async def test_a_chunk_known_only_to_the_gateway_is_resolved_by_custom_id(
    gw: FakeGateway, redis: Redis
) -> None:
    async with Started(InMemoryBroker(), gw, redis) as tasks:
        first = await tasks.send_bulk(messages(1200), campaign_id="lost", sender="ACME", title="t")
        await redis.flushall()  # Redis forgot the campaign: only the customIDs remain
        again = await tasks.send_bulk(messages(1200), campaign_id="lost", sender="ACME", title="t")
    assert again.packages == first.packages
    assert len(gw.packages) == 2


async def test_overdue_chunks_are_re_sent_by_the_producer(gw: FakeGateway, redis: Redis) -> None:
    broker = Broker(lose=2)
    async with Started(broker, gw, redis, overdue_after=0.5, poll=0.1) as tasks:
        with anyio.fail_after(60):
            result = await tasks.send_bulk(
                messages(2000), campaign_id="od", sender="ACME", title="t"
            )
    assert len(broker.kicked) == 4
    assert result.failed == []
    assert len(result.packages) == len(gw.packages) == 2


async def test_a_chunk_whose_worker_vanished_is_re_sent(gw: FakeGateway, redis: Redis) -> None:
    # A worker started chunk 0 (its marker is there) and died: its claim expired.
    broker = Broker(lose=1, redis=redis)
    async with Started(broker, gw, redis, overdue_after=3600, poll=0.1) as tasks:
        with anyio.fail_after(60):
            result = await tasks.send_bulk(messages(10), campaign_id="gone", sender="ACME",
                                           title="t")  # fmt: skip
    assert result.failed == []
    assert len(result.packages) == 1
    assert len(broker.kicked) == 2


async def test_settings_are_checked(gw: FakeGateway, redis: Redis) -> None:
    broker = InMemoryBroker()
    for field, options in [
        ("max_concurrency", {"max_concurrency": 0}),
        ("lease_ttl", {"lease_ttl": 0}),
        ("window", {"window": -1}),
        ("poll", {"poll": -1}),
    ]:
        with pytest.raises(ValidationError) as caught:
            CampaignTasks(broker, client_factory=gw.client, redis=redis, **options)
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        CampaignTasks(broker, client_factory=gw.client)
    assert caught.value.field == "redis"
    async with Started(InMemoryBroker(), gw, redis) as tasks:
        with pytest.raises(ValidationError) as caught:
            await tasks.send_bulk(messages(3), campaign_id="a b", sender="ACME", title="t")
        assert caught.value.field == "campaign_id"
    assert gw.requests == []


def refusals(gw: FakeGateway) -> int:
    return sum(1 for op, _ in gw.faults.injected if op == "/sms/create")


async def test_max_concurrency_is_account_wide(gw: FakeGateway, redis: Redis) -> None:
    # Two "workers" (two brokers, two CampaignTasks) share one Redis; the fake refuses any
    # request beyond 2 in flight, so a single refusal would show the semaphore failed.
    gw.set_latency("/sms/create", 0.05)
    gw.faults.limit_concurrency(2, operations=["/sms/create"])
    first = Started(InMemoryBroker(), gw, redis, max_concurrency=2)
    second = Started(InMemoryBroker(), gw, redis, max_concurrency=2)
    results: list[BulkResult] = []

    async def campaign(started: Started, name: str, start: int) -> None:
        results.append(
            await started.tasks.send_bulk(
                messages(4000, start), campaign_id=name, sender="ACME", title="t", chunk_size=250
            )
        )

    async with first, second:
        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                tg.start_soon(campaign, first, "a", 0)
                tg.start_soon(campaign, second, "b", 4000)
    assert refusals(gw) == 0
    assert [len(r.packages) for r in results] == [16, 16]
    assert len(gw.packages) == 32


async def test_concurrency_refusals_are_retried(gw: FakeGateway, redis: Redis) -> None:
    # Another app on the account uses slots: the gateway allows one request, we allow three.
    gw.set_latency("/sms/create", 0.05)
    gw.faults.limit_concurrency(1, operations=["/sms/create"])
    retry = nodesms.RetryPolicy(initial_delay=0.02, max_delay=0.1)
    progress: list[nodesms.BulkProgress] = []

    async def report(update: nodesms.BulkProgress) -> None:  # awaited, as send_bulk does
        progress.append(update)

    async with Started(InMemoryBroker(), gw, redis, max_concurrency=3, retry=retry) as tasks:
        with anyio.fail_after(120):
            result = await tasks.send_bulk(
                messages(1200), campaign_id="lim", sender="ACME", title="t", chunk_size=100,
                on_progress=report,
            )  # fmt: skip
    assert result.failed == []
    assert len(result.packages) == len(gw.packages) == 12
    assert refusals(gw) > 0
    assert progress[-1].limited == refusals(gw)


async def test_a_redis_url_is_connected_and_closed_with_the_broker(
    gw: FakeGateway, redis: Redis, redis_server: RedisServer
) -> None:
    broker = InMemoryBroker()
    tasks = CampaignTasks(broker, client_factory=gw.client, redis=redis_server.url)
    await broker.startup()
    try:
        result = await tasks.send_bulk(messages(3), campaign_id="url", sender="ACME", title="t")
    finally:
        await broker.wait_all()
        await broker.shutdown()
    assert len(result.packages) == 1
    assert await redis.hexists("nodesms:campaign:url:outcomes", "0")


async def test_an_in_memory_broker_must_be_started(gw: FakeGateway, redis: Redis) -> None:
    tasks = CampaignTasks(InMemoryBroker(), client_factory=gw.client, redis=redis)
    with pytest.raises(nodesms.NodeSMSError, match="startup"):
        await tasks.send_bulk(messages(3), campaign_id="ns", sender="ACME", title="t")
    assert gw.requests == []
