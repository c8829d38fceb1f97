"""Campaigns on taskiq workers with Redis: one campaign spread over many processes, exactly once.

::

    # app.py: imported by the producer and by every worker (`taskiq worker app:broker`)
    broker = RedisStreamBroker("redis://redis:6379/0", xread_count=1)
    tasks = CampaignTasks(broker, client_factory=lambda: nodesms.Client(), max_concurrency=16)

    # the producer
    await broker.startup()
    result = await tasks.send_bulk(messages, campaign_id="bahar-2026", sender="ACME",
                                   title="Bahar indirimi")

The campaign is cut into chunks by the same core as ``client.sms.send_bulk`` (chunk ``k`` of
campaign ``C`` is one package with the customID ``f"{C}.{k}"``), and ``result`` is the same
:class:`~nodesms.BulkResult`. Each chunk is one taskiq task. What makes it exactly once:

- **Deterministic customIDs.** A chunk sent twice (a broker redelivery, a re-send by the
  producer, a retry after a lost answer) meets the gateway's customID check, and the package
  that exists is looked up and returned: never two packages, never a lost one.
- **Outcomes in Redis.** A worker stores each chunk's final outcome under the campaign; a
  redelivered chunk that already has one is dropped without a request.
- **Claims with leases.** A worker claims a chunk before sending it and renews the claim while it
  works; a second delivery of a claimed chunk is dropped. A worker that dies stops renewing, and
  the producer re-sends the chunk when the claim has expired.
- **Overdue chunks re-sent by the producer**, with the same customID. taskiq-redis 1.2's stream
  broker gives a dead worker's unacknowledged messages to another worker only when that worker
  next fetches *new* messages, so near the end of a campaign nothing would ever redeliver them.

``max_concurrency`` is **account-wide**: every worker takes a slot of one Redis semaphore before
each request and gives it back after (see :mod:`nodesms.integrations._semaphore`); slots are
leases, so a ``kill -9`` frees its slots after ``lease_ttl`` seconds.

Redis keys (``prefix`` defaults to ``"nodesms"``): ``{prefix}:concurrency`` (the semaphore: use
one prefix per gateway account), and per campaign ``{prefix}:campaign:{C}:outcomes`` (hash),
``:started`` (hash), ``:claim:{k}``, ``:events`` and ``:limited``; the campaign's keys expire
``result_ttl`` seconds after its last chunk. Running ``send_bulk`` again with the same campaign
(after the producer crashed) reuses the stored outcomes and sends only what is missing.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import msgspec

try:
    from redis.asyncio import Redis
    from taskiq import AsyncBroker, InMemoryBroker, TaskiqEvents, TaskiqState
    from taskiq_redis.redis_broker import BaseRedisBroker
except ImportError as exc:  # pragma: no cover - the extra is part of the test environment
    raise ImportError(
        "nodesms.integrations.taskiq needs taskiq and taskiq-redis: pip install 'nodesms[taskiq]'"
    ) from exc

from .._bulk import (
    MAX_CHUNK_SIZE,
    BulkInput,
    BulkProgress,
    BulkResult,
    CampaignOptions,
    Chunk,
    ChunkOutcome,
    OutcomeKind,
    assemble,
    campaign_options,
    give_up,
    send_chunk,
)
from .._campaign import ProgressCallback, _call, _chunks, send_until_done
from .._client import Client
from .._retry import RetryPolicy
from ..enums import Encoding, EncodingValue
from ..errors import NodeSMSError, ValidationError
from ._semaphore import RedisSemaphore, renewing

__all__ = ["TASK_NAME", "CampaignTasks"]

logger = logging.getLogger("nodesms")

TASK_NAME = "nodesms.campaign_chunk"
"""The name the chunk task is registered under (``task_name=`` changes it)."""

_DELETE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class _Keys:
    """The Redis keys of one campaign."""

    def __init__(self, prefix: str, campaign_id: str) -> None:
        base = f"{prefix}:campaign:{campaign_id}"
        self.outcomes = base + ":outcomes"
        self.started = base + ":started"
        self.events = base + ":events"
        self.limited = base + ":limited"
        self._claim = base + ":claim:"

    def claim(self, index: int) -> str:
        return f"{self._claim}{index}"

    @property
    def lasting(self) -> tuple[str, ...]:
        """The keys that outlive a chunk, refreshed to ``result_ttl`` on every write."""
        return (self.outcomes, self.started, self.events, self.limited)


class CampaignTasks:
    """A campaign's chunks as tasks on a taskiq ``broker``, sent once across all workers.

    Construct it where the broker is defined, in the module that both the producer and
    ``taskiq worker`` import: it registers the chunk task and the worker's startup and shutdown.

    Args:
        broker: the taskiq broker, normally taskiq-redis's ``RedisStreamBroker``.
        client_factory: builds the worker's :class:`~nodesms.Client` (``lambda:
            nodesms.Client()`` reads ``NODESMS_*``). Each worker process builds one when it
            starts and closes it when it stops; the producer builds one to check the campaign's
            settings and sends nothing with it.
        max_concurrency: chunk requests in flight at once, **across every worker**: the
            account's limit at the gateway, or less.
        redis: where the semaphore, claims and outcomes live: a ``redis://`` URL (connected
            here, closed when the broker shuts down) or a ``redis.asyncio.Redis`` (yours to
            close). Default: the broker's own connection pool (a taskiq-redis broker); other
            brokers need it.
        lease_ttl: seconds a dead worker keeps its semaphore slots and chunk claims.
        overdue_after: seconds after which the producer re-sends a chunk that no worker has
            started (it was lost in a dead worker's prefetch, or trimmed from the stream).
        window: chunks the producer keeps outstanding at once (default ``4 *
            max_concurrency``): the stream and the producer's memory stay bounded.
        max_resends: re-sends of one chunk before its messages are reported failed.
        result_ttl: seconds a campaign's keys live after its last write.
        prefix: the prefix of every Redis key; use one per gateway account.
        task_name: the name of the chunk task.
        poll: the producer's and the semaphore's longest wait between two checks, in seconds.
    """

    def __init__(
        self,
        broker: AsyncBroker,
        *,
        client_factory: Callable[[], Client],
        max_concurrency: int = 8,
        redis: str | Redis | None = None,
        lease_ttl: float = 30.0,
        overdue_after: float = 120.0,
        window: int | None = None,
        max_resends: int = 5,
        result_ttl: float = 86_400.0,
        prefix: str = "nodesms",
        task_name: str = TASK_NAME,
        poll: float = 0.5,
    ) -> None:
        if not isinstance(broker, AsyncBroker):
            raise ValidationError("expected a taskiq broker", field="broker")
        if not callable(client_factory):
            raise ValidationError("expected a callable returning a nodesms.Client",
                                  field="client_factory")  # fmt: skip
        _positive(lease_ttl, "lease_ttl")
        _positive(overdue_after, "overdue_after")
        _positive(result_ttl, "result_ttl")
        _positive(poll, "poll")
        self.broker = broker
        self.max_concurrency = _count(max_concurrency, "max_concurrency")
        self.window = _count(window if window is not None else 4 * max_concurrency, "window")
        self.max_resends = _count(max_resends + 1, "max_resends") - 1
        self.lease_ttl = lease_ttl
        self.overdue_after = overdue_after
        self.result_ttl = result_ttl
        self.prefix = prefix
        self.poll = poll
        self._client_factory = client_factory
        self._redis = _connect(broker, redis)
        self._owns_redis = not isinstance(redis, Redis) and redis is not None
        self._semaphore = RedisSemaphore(
            self._redis, f"{prefix}:concurrency", self.max_concurrency, ttl=lease_ttl, poll=poll
        )
        self._delete_if_ours = self._redis.register_script(_DELETE_IF_OURS)
        self._renew_if_ours = self._redis.register_script(_RENEW_IF_OURS)
        self._client: Client | None = None
        self._policy = RetryPolicy()

        # A plain function: taskiq renames what it registers, which a bound method forbids.
        async def campaign_chunk(options: str, chunk: str) -> None:
            await self._run_chunk(options, chunk)

        self.task = broker.register_task(campaign_chunk, task_name=task_name)
        broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, self._worker_startup)
        broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, self._worker_shutdown)
        if self._owns_redis:  # a connection made from a URL here is closed here too
            for event in (TaskiqEvents.WORKER_SHUTDOWN, TaskiqEvents.CLIENT_SHUTDOWN):
                broker.add_event_handler(event, self._close_redis)

    # -- the worker ----------------------------------------------------------------------------

    async def _worker_startup(self, state: TaskiqState) -> None:
        client = self._client_factory()
        if not isinstance(client, Client):
            raise ValidationError("must return a nodesms.Client", field="client_factory")
        # One attempt per slot: the worker decides retries itself, by the client's policy (as
        # send_bulk does), and holds no slot while it waits.
        self._policy = client.retry
        self._client = client.with_options(retry=RetryPolicy(max_attempts=1))

    async def _worker_shutdown(self, state: TaskiqState) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _close_redis(self, state: TaskiqState) -> None:
        await self._redis.aclose()

    async def _run_chunk(self, options: str, chunk: str) -> None:
        """The chunk task: ``options`` and ``chunk`` are the msgspec JSON of the core's
        :class:`CampaignOptions` and :class:`Chunk`."""
        if self._client is None:
            raise NodeSMSError("CampaignTasks: the worker's client is not open (was the broker "
                               "started as a worker, with broker.startup()?)")  # fmt: skip
        opts = msgspec.json.decode(options, type=CampaignOptions)
        work = msgspec.json.decode(chunk, type=Chunk)
        keys = _Keys(self.prefix, opts.campaign_id)
        if await self._redis.hexists(keys.outcomes, str(work.index)):
            return  # a redelivery of a chunk that is done
        # Who holds the claim, for people reading Redis: host, process id, then a nonce.
        token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        ttl_ms = round(self.lease_ttl * 1000)
        if not await self._redis.set(keys.claim(work.index), token, nx=True, px=ttl_ms):
            return  # another worker has it; if that worker dies, the producer re-sends it
        try:
            if await self._redis.hexists(keys.outcomes, str(work.index)):
                return  # finished between the first check and our claim
            await self._redis.hset(keys.started, str(work.index), token)
            claim = keys.claim(work.index)

            async def renew_claim() -> bool:
                return bool(await self._renew_if_ours(keys=[claim], args=[token, ttl_ms]))

            async with renewing(self.lease_ttl / 3, renew_claim, claim):
                outcome = await self._attempts(self._client, opts, work, keys)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(keys.outcomes, str(work.index), msgspec.json.encode(outcome))
                pipe.rpush(keys.events, str(work.index))
                for key in keys.lasting:
                    pipe.expire(key, round(self.result_ttl))
                await pipe.execute()
        finally:
            # After the outcome is stored: the producer reads claims before outcomes, so a
            # chunk is never seen with neither.
            await self._delete_if_ours(keys=[keys.claim(work.index)], args=[token])

    async def _attempts(
        self, client: Client, options: CampaignOptions, chunk: Chunk, keys: _Keys
    ) -> ChunkOutcome:
        """Send ``chunk`` until it is done, by the rules of ``send_bulk``: transient failures
        up to the policy's attempts, concurrency refusals up to ``MAX_LIMITED_ATTEMPTS``."""

        async def attempt() -> ChunkOutcome:
            async with self._semaphore.hold():
                return await send_chunk(client, options, chunk)

        async def count_limited() -> object:
            return await self._redis.incr(keys.limited)

        return await send_until_done(chunk, attempt, self._policy, count_limited)

    # -- the producer --------------------------------------------------------------------------

    async def send_bulk(
        self,
        messages: BulkInput,
        *,
        campaign_id: str,
        sender: str,
        title: str,
        content: str | None = None,
        chunk_size: int = MAX_CHUNK_SIZE,
        encoding: Encoding | EncodingValue | Literal["auto"] = "auto",
        validity: int | None = None,
        push_url: str | None = None,
        commercial: bool | None = None,
        sending_date: datetime | None = None,
        max_parts: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> BulkResult:
        """Send a campaign through the workers; the same arguments and result as
        ``client.sms.send_bulk`` (without a journal: Redis keeps the campaign's state).

        The input is read lazily; at most ``window`` chunks are outstanding at a time. The
        broker must be started (``await broker.startup()``) and workers running. Running it
        again with the same ``campaign_id`` and input (after a crash of the producer) sends
        only the chunks that have no outcome yet.

        Raises:
            ValidationError: a setting is wrong (nothing is sent). Bad messages are not
                errors: they are in ``result.failed``.
        """
        if on_progress is not None and not callable(on_progress):
            raise ValidationError("must be a callable taking a BulkProgress", field="on_progress")
        client = self._client_factory()
        try:
            options = campaign_options(
                client,
                campaign_id=campaign_id,
                sender=sender,
                title=title,
                content=content,
                chunk_size=chunk_size,
                encoding=encoding,
                validity=validity,
                push_url=push_url,
                commercial=commercial,
                sending_date=sending_date,
                max_parts=max_parts,
            )
        finally:
            await client.aclose()
        if isinstance(self.broker, InMemoryBroker) and self._client is None:
            # Its tasks run here: without startup() they would fail one by one, slowly.
            raise NodeSMSError("CampaignTasks: start the broker first (await broker.startup())")
        run = _Run(self, options, on_progress)
        return await run.execute(messages)


@dataclass
class _Pending:
    chunk: Chunk
    encoded: str
    kicked: float
    resends: int = 0


class _Run:
    """One ``send_bulk`` on the producer's side."""

    def __init__(
        self,
        tasks: CampaignTasks,
        options: CampaignOptions,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.tasks = tasks
        self.redis = tasks._redis
        self.options = options
        self.encoded_options = msgspec.json.encode(options).decode()
        self.keys = _Keys(tasks.prefix, options.campaign_id)
        self.on_progress = on_progress
        self.pending: dict[int, _Pending] = {}
        self.outcomes: list[ChunkOutcome] = []
        self.started = time.monotonic()
        self.totals = [0, 0, 0, 0]  # packages, messages, parts, failed
        self.limited = 0

    async def execute(self, messages: BulkInput) -> BulkResult:
        stored = await self.redis.hgetall(self.keys.outcomes)
        # Start markers of an earlier run say nothing about this one's deliveries.
        await self.redis.delete(self.keys.started)
        done = {int(k): msgspec.json.decode(v, type=ChunkOutcome) for k, v in stored.items()}
        for outcome in done.values():
            await self._finished(outcome, report=False)
        if done:
            logger.info("campaign %s: %d chunks already done", self.options.campaign_id, len(done))
        async for chunk in _chunks(messages, self.options, done.__contains__):
            await self._submit(chunk)
        while self.pending:
            await self._collect()
        return assemble(self.outcomes)

    async def _submit(self, chunk: Chunk) -> None:
        while len(self.pending) >= self.tasks.window:
            await self._collect()
        pending = _Pending(chunk, msgspec.json.encode(chunk).decode(), time.monotonic())
        self.pending[chunk.index] = pending
        await self._kick(pending)

    async def _kick(self, pending: _Pending) -> None:
        await self.tasks.task.kiq(self.encoded_options, pending.encoded)

    async def _collect(self) -> None:
        """Wait for a chunk to finish (or ``poll`` seconds), take every outcome that arrived,
        and re-send chunks that are overdue."""
        await self.redis.blpop([self.keys.events], timeout=self.tasks.poll)
        indexes = list(self.pending)
        fields = [str(k) for k in indexes]
        async with self.redis.pipeline(transaction=False) as pipe:
            # Claims before outcomes: a worker stores its outcome before it drops its claim.
            pipe.mget([self.keys.claim(k) for k in indexes])
            pipe.hmget(self.keys.started, fields)
            pipe.hmget(self.keys.outcomes, fields)
            pipe.get(self.keys.limited)
            claims, started, found, limited = await pipe.execute()
        self.limited = int(limited or 0)
        now = time.monotonic()
        for k, claim, began, data in zip(indexes, claims, started, found, strict=True):
            pending = self.pending[k]
            if data is not None:
                del self.pending[k]
                await self._finished(msgspec.json.decode(data, type=ChunkOutcome))
            elif claim is not None:
                continue  # a live worker has it
            elif began is not None or now - pending.kicked > self.tasks.overdue_after:
                await self._resend(pending, "its worker stopped" if began else "overdue")

    async def _resend(self, pending: _Pending, why: str) -> None:
        chunk = pending.chunk
        if pending.resends >= self.tasks.max_resends:
            del self.pending[chunk.index]
            failed = ChunkOutcome(
                index=chunk.index,
                custom_id=chunk.custom_id,
                kind=OutcomeKind.RETRY,
                error="NodeSMSError",
                reason=f"no worker finished it in {pending.resends + 1} deliveries",
            )
            await self._finished(give_up(chunk, failed))
            return
        pending.resends += 1
        pending.kicked = time.monotonic()
        logger.info("campaign %s: re-sending chunk %s (%s)", self.options.campaign_id,
                    chunk.custom_id, why)  # fmt: skip
        await self.redis.hdel(self.keys.started, str(chunk.index))
        await self._kick(pending)

    async def _finished(self, outcome: ChunkOutcome, *, report: bool = True) -> None:
        self.outcomes.append(outcome)
        totals = self.totals
        totals[0] += outcome.package is not None
        totals[1] += outcome.messages
        totals[2] += outcome.parts
        totals[3] += len(outcome.failures)
        if report and self.on_progress is not None:
            await _call(
                self.on_progress,
                BulkProgress(
                    chunks=len(self.outcomes),
                    packages=totals[0],
                    messages=totals[1],
                    parts=totals[2],
                    failed=totals[3],
                    in_flight=len(self.pending),
                    concurrency=self.tasks.max_concurrency,
                    limited=self.limited,
                    elapsed=time.monotonic() - self.started,
                ),
            )


def _connect(broker: AsyncBroker, redis: str | Redis | None) -> Redis:
    if isinstance(redis, Redis):
        return redis
    if isinstance(redis, str):
        return Redis.from_url(redis)
    if redis is None and isinstance(broker, BaseRedisBroker):
        return Redis(connection_pool=broker.connection_pool)
    raise ValidationError(
        "a redis:// URL or a redis.asyncio.Redis (needed unless the broker is taskiq-redis's)",
        field="redis",
    )


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("must be an int of at least 1", field=field)
    return value


def _positive(value: object, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValidationError("must be a positive number of seconds", field=field)
