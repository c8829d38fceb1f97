"""A campaign over real ``taskiq worker`` processes, a real redis-server and the fake gateway in
its own process; one worker is killed with SIGKILL mid-campaign and replaced."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from _taskiq_app import make
from _taskiq_harness import (
    GatewayProcess,
    RedisServer,
    kill_worker,
    metered_gateway,
    start_app_worker,
    start_worker,
    stop_worker,
)
from redis.asyncio import Redis

from nodesms import Message

pytestmark = pytest.mark.anyio

MAX_CONCURRENCY = 3
CAMPAIGN = "kill-9"


@pytest.fixture
def gateway() -> Iterator[GatewayProcess]:
    # Slow enough answers that the kill lands while chunks are in flight.
    with metered_gateway(latency=0.25) as process:
        yield process


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        stop_worker(process)


def owner_group(token: bytes) -> int | None:
    """The process group of the worker whose claim this is (``host:pid:nonce``)."""
    try:
        return os.getpgid(int(token.split(b":")[1]))
    except (ProcessLookupError, ValueError, IndexError):
        return None


async def test_kill_9_of_a_worker_mid_campaign_loses_nothing_and_sends_nothing_twice(
    redis_server: RedisServer,
    gateway: GatewayProcess,
    workers: list[subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in gateway.env().items():
        monkeypatch.setenv(name, value)
    broker, tasks = make(redis_server.url, max_concurrency=MAX_CONCURRENCY)
    await broker.startup()  # declares the stream's consumer group before anything is sent
    redis = Redis.from_url(redis_server.url)
    try:
        workers += [
            start_worker(redis_server.url, gateway, max_concurrency=MAX_CONCURRENCY)
            for _ in range(2)
        ]
        victim = workers[0]
        items = [Message(f"90555{i:07d}", f"Merhaba {i}") for i in range(20_000)]
        outcomes = f"nodesms:campaign:{CAMPAIGN}:outcomes"
        killed_with: list[bytes] = []

        async def kill_mid_campaign() -> None:
            # Once a few chunks are done and the victim holds a chunk, kill it.
            while True:
                await anyio.sleep(0.05)
                if await redis.hlen(outcomes) < 3:
                    continue
                keys = await redis.keys(f"nodesms:campaign:{CAMPAIGN}:claim:*")
                claims = [c for c in await redis.mget(keys) if c] if keys else []
                mine = [c for c in claims if owner_group(c) == victim.pid]
                if mine:
                    killed_with.extend(mine)
                    kill_worker(victim)
                    workers.append(
                        start_worker(redis_server.url, gateway, max_concurrency=MAX_CONCURRENCY)
                    )
                    return

        with anyio.fail_after(240):
            async with anyio.create_task_group() as tg:
                tg.start_soon(kill_mid_campaign)
                result = await tasks.send_bulk(
                    items, campaign_id=CAMPAIGN, sender="ACME", title="Kampanya"
                )
        assert killed_with, "the worker was killed while it held a chunk"
        assert victim.returncode == -9

        assert result.failed == []
        assert len(result.packages) == 20
        assert result.messages == 20_000
        assert [p.custom_id for p in result.packages] == [f"{CAMPAIGN}.{k}" for k in range(20)]

        meter = await anyio.to_thread.run_sync(gateway.meter)
        assert meter["packages"] == 20
        assert meter["items"] == 20_000
        assert sorted(meter["custom_ids"]) == sorted(f"{CAMPAIGN}.{k}" for k in range(20))
        assert len(set(meter["custom_ids"])) == 20
        assert len({p.pkg_id for p in result.packages}) == 20
        # Measured at the gateway: never more chunk requests at once than the account allows.
        assert 1 < meter["max_in_flight"] <= MAX_CONCURRENCY
        assert meter["max_in_flight_all"] <= MAX_CONCURRENCY

        # The killed worker's slots come back: none is leaked for good.
        for _ in range(150):  # 30 s at most; the leases' ttl is 3 s
            if not await tasks._semaphore.holders():
                break
            await anyio.sleep(0.2)
        assert await tasks._semaphore.holders() == 0
    finally:
        await redis.aclose()
        await broker.shutdown()


README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Distributed campaigns") :]
SECTION = SECTION[: SECTION.index("\n## ", 1)]
BLOCKS = re.findall(r"```python[^\n]*\n(.*?)```", SECTION, flags=re.DOTALL)


def test_the_readme_recipes_are_python() -> None:
    assert len(BLOCKS) == 3
    for block in BLOCKS:
        compile(block, "README.md", "exec")  # arq and Celery are not installed here


async def test_the_readme_recipe_runs_on_a_real_worker(
    redis_server: RedisServer,
    gateway: GatewayProcess,
    workers: list[subprocess.Popen[bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (recipe,) = [b for b in BLOCKS if "CampaignTasks(" in b]
    source = recipe.replace("redis://localhost:6379/0", redis_server.url)
    (tmp_path / "campaigns.py").write_text(source, encoding="utf-8")
    for name, value in gateway.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(tmp_path))
    workers.append(start_app_worker("campaigns:broker", cwd=tmp_path, env=gateway.env()))
    campaigns = importlib.import_module("campaigns")
    try:
        items = [Message(f"90555{i:07d}", f"Merhaba {i}") for i in range(2500)]
        with anyio.fail_after(120):
            result = await campaigns.bahar(items)
    finally:
        sys.modules.pop("campaigns", None)
    assert [p.custom_id for p in result.packages] == [f"bahar-2026.{k}" for k in range(3)]
    assert result.messages == 2500
    meter = await anyio.to_thread.run_sync(gateway.meter)
    assert meter["packages"] == 3
