"""The account-wide Redis semaphore, against a real redis-server started here on a free port."""

from __future__ import annotations

import textwrap

import anyio
import pytest
from _taskiq_harness import RedisServer, spawn_python, stop_process
from redis.asyncio import Redis

from nodesms import ValidationError
from nodesms.integrations._semaphore import RedisSemaphore

pytestmark = pytest.mark.anyio


async def test_at_most_limit_holders_across_processes_views(redis_server: RedisServer) -> None:
    # Two connections and two semaphore objects: what two worker processes have.
    first, second = Redis.from_url(redis_server.url), Redis.from_url(redis_server.url)
    sems = [RedisSemaphore(first, "t:sem", 3), RedisSemaphore(second, "t:sem", 3)]
    holding = peak = done = 0

    async def work(sem: RedisSemaphore) -> None:
        nonlocal holding, peak, done
        async with sem.hold():
            holding += 1
            peak = max(peak, holding)
            await anyio.sleep(0.02)
            holding -= 1
        done += 1

    try:
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for i in range(24):
                    tg.start_soon(work, sems[i % 2])
        assert done == 24
        assert peak == 3
        assert await sems[0].holders() == 0
    finally:
        await first.aclose()
        await second.aclose()


async def test_release_wakes_a_waiter(redis: Redis) -> None:
    sem = RedisSemaphore(redis, "t:wake", 1, poll=30.0)
    lease = await sem.acquire()
    got: list[bool] = []

    async def wait() -> None:
        async with sem.hold():
            got.append(True)

    with anyio.fail_after(10):  # far below poll: only the wake-up list can explain it
        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await anyio.sleep(0.1)
            assert got == []
            await sem.release(lease)
    assert got == [True]


async def test_renewal_keeps_a_lease_past_its_ttl(redis: Redis) -> None:
    sem = RedisSemaphore(redis, "t:renew", 1, ttl=0.6)
    with anyio.fail_after(10):
        async with sem.hold() as lease:
            for _ in range(8):  # 2.4 s: four times the ttl
                await anyio.sleep(0.3)
                assert await sem.try_acquire() is None
            assert not lease.lost
        assert await sem.holders() == 0


async def test_an_unrenewed_lease_expires_and_is_marked_lost(redis: Redis) -> None:
    sem = RedisSemaphore(redis, "t:lost", 1, ttl=0.3)
    lease = await sem.acquire()
    await anyio.sleep(0.5)
    assert await sem.holders() == 0
    other = await sem.try_acquire()
    assert other is not None
    assert await sem.renew(lease) is False
    assert lease.lost
    await sem.release(lease)  # a lost lease's release does not free someone else's slot
    assert await sem.holders() == 1


HOLDER = """
import asyncio, sys
from redis.asyncio import Redis
from nodesms.integrations._semaphore import RedisSemaphore

async def main():
    sem = RedisSemaphore(Redis.from_url(sys.argv[1]), "t:killed", 2, ttl=1.5)
    async with sem.hold(), sem.hold():
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_kill_9_of_a_holder_never_leaks_its_slots(
    redis: Redis, redis_server: RedisServer
) -> None:
    holder = spawn_python(textwrap.dedent(HOLDER), redis_server.url)
    try:
        assert holder.stdout is not None
        with anyio.fail_after(30):
            line = await anyio.to_thread.run_sync(holder.stdout.readline)
        assert line.strip() == "held"
        sem = RedisSemaphore(redis, "t:killed", 2, ttl=1.5, poll=0.1)
        await anyio.sleep(2.0)  # past one ttl: the holder's renewals kept its leases
        assert await sem.try_acquire() is None
        holder.kill()  # SIGKILL: no release, no cleanup
        holder.wait(10)
        with anyio.fail_after(15):
            first = await sem.acquire()
            second = await sem.acquire()
        assert await sem.try_acquire() is None
        await sem.release(first)
        await sem.release(second)
        assert await sem.holders() == 0
    finally:
        stop_process(holder)


@pytest.mark.parametrize("limit", [0, -1, True, 2.5, "8"])
async def test_a_bad_limit_is_a_validation_error(redis: Redis, limit: object) -> None:
    with pytest.raises(ValidationError) as caught:
        RedisSemaphore(redis, "t:bad", limit)  # type: ignore[arg-type]
    assert caught.value.field == "max_concurrency"
