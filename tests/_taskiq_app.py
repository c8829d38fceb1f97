"""The taskiq app of the campaign tests and benchmark: ``taskiq worker _taskiq_app:broker``.

Configured by the environment, as a deployed app would be: ``NODESMS_*`` for the gateway,
``NODESMS_TEST_REDIS_URL``, ``NODESMS_TEST_MAX_CONCURRENCY`` and ``NODESMS_TEST_LEASE_TTL``.
The producer side (the test, the benchmark) calls :func:`make` with the same settings; only
the producer re-sends overdue chunks, so ``overdue_after`` matters there alone.
"""

from __future__ import annotations

import os

from taskiq_redis import RedisStreamBroker

import nodesms
from nodesms.integrations.taskiq import CampaignTasks

# A worker killed mid-chunk holds its unacknowledged messages for this long before another
# worker may reclaim them (on its next fetch): kept short here so that redelivery happens.
IDLE_TIMEOUT_MS = 4000


def make(
    redis_url: str, *, max_concurrency: int, lease_ttl: float = 3.0, overdue_after: float = 10.0
) -> tuple[RedisStreamBroker, CampaignTasks]:
    """The broker and the campaign tasks, the same in the producer and the workers."""
    broker = RedisStreamBroker(
        redis_url,
        xread_count=1,  # one chunk per fetch: chunks spread over the workers
        idle_timeout=IDLE_TIMEOUT_MS,
        unacknowledged_lock_timeout=5.0,
        maxlen=10_000,
    )
    tasks = CampaignTasks(
        broker,
        client_factory=lambda: nodesms.Client(timeout=30.0),
        max_concurrency=max_concurrency,
        lease_ttl=lease_ttl,
        overdue_after=overdue_after,
        poll=0.2,
    )
    return broker, tasks


if "NODESMS_TEST_REDIS_URL" in os.environ:
    broker, tasks = make(
        os.environ["NODESMS_TEST_REDIS_URL"],
        max_concurrency=int(os.environ["NODESMS_TEST_MAX_CONCURRENCY"]),
        lease_ttl=float(os.environ.get("NODESMS_TEST_LEASE_TTL", "3.0")),
    )
