"""An account-wide counting semaphore on Redis whose slots are leases that expire.

The slots live in one sorted set: a member per lease (a random token), scored by the lease's
expiry in Redis's own clock (``TIME`` inside the scripts, so the workers' clocks never matter).
Acquiring first drops expired leases, then adds one if fewer than ``limit`` remain. A holder
renews its lease every third of ``ttl`` while it holds it; a holder that dies (``kill -9``,
a lost machine) stops renewing, and its slot comes back ``ttl`` seconds later at the latest.

Waiting is event-driven: a release pushes a token onto a short wake-up list that waiters block
on (``BLPOP``), and every waiter also retries at least every ``poll`` seconds, which is how
slots of dead holders are found. In one process only one coroutine at a time talks to Redis
to wait; the others queue behind it in order, so a worker with many tasks holds one blocked
connection, not one per task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

from redis.asyncio import Redis

from ..errors import ValidationError

__all__ = ["Lease", "RedisSemaphore", "renewing"]

logger = logging.getLogger("nodesms")

# Prepended to the scripts that need the time: Redis's clock, one for every worker, whatever
# their hosts say.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: the lease set. ARGV: limit, ttl in ms, token. Returns 1 if the lease was taken.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
"""

# KEYS: the lease set. ARGV: ttl in ms, token. Returns 1 if the lease was still held.
_RENEW = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not score or tonumber(score) <= now then
    redis.call('ZREM', KEYS[1], ARGV[2])
    return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""

# KEYS: the lease set, the wake-up list. ARGV: token, limit, ttl in ms.
_RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
    redis.call('RPUSH', KEYS[2], '1')
    redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
    return 1
end
return 0
"""

# KEYS: the lease set. Returns how many leases are live.
_COUNT = """
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""


class Lease:
    """One held slot of a :class:`RedisSemaphore`.

    Attributes:
        token: the lease's member in the lease set.
        lost: set when a renewal found the lease gone (the holder stalled for longer than the
            lease's ``ttl``); the slot may then be held by someone else.
    """

    __slots__ = ("lost", "token")

    def __init__(self, token: str) -> None:
        self.token = token
        self.lost = False


class RedisSemaphore:
    """At most ``limit`` holders at a time across every process that uses the same ``name``.

    Args:
        redis: the connection (pool) to use; it is not closed here.
        name: the Redis key of the lease set (the wake-up list is ``name + ":wake"``).
        limit: slots.
        ttl: seconds a lease lives without renewal: how long a dead holder keeps its slot.
        poll: longest wait, in seconds, between two attempts while waiting.
    """

    def __init__(
        self, redis: Redis, name: str, limit: int, *, ttl: float = 30.0, poll: float = 0.5
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("must be an int of at least 1", field="max_concurrency")
        if not ttl > 0.0 or not poll > 0.0:
            raise ValidationError("ttl and poll must be positive seconds", field="lease_ttl")
        self.name = name
        self.limit = limit
        self.ttl = ttl
        self.poll = poll
        self._redis = redis
        self._wake = name + ":wake"
        self._ttl_ms = max(1, round(ttl * 1000))
        self._acquire = redis.register_script(_NOW + _ACQUIRE)
        self._renew = redis.register_script(_NOW + _RENEW)
        self._release = redis.register_script(_RELEASE)
        self._count = redis.register_script(_NOW + _COUNT)
        self._gate = asyncio.Lock()

    async def try_acquire(self) -> Lease | None:
        """Take a slot if one is free now; ``None`` otherwise."""
        token = secrets.token_hex(12)
        taken = await self._acquire(keys=[self.name], args=[self.limit, self._ttl_ms, token])
        return Lease(token) if taken else None

    async def acquire(self) -> Lease:
        """Wait for a slot and take it."""
        async with self._gate:
            while True:
                lease = await self.try_acquire()
                if lease is not None:
                    return lease
                await self._redis.blpop([self._wake], timeout=self.poll)

    async def renew(self, lease: Lease) -> bool:
        """Extend ``lease`` by ``ttl``; ``False`` (and ``lease.lost``) if it had expired."""
        held = bool(await self._renew(keys=[self.name], args=[self._ttl_ms, lease.token]))
        if not held:
            lease.lost = True
        return held

    async def release(self, lease: Lease) -> None:
        """Give the slot back and wake one waiter."""
        await self._release(
            keys=[self.name, self._wake], args=[lease.token, self.limit, self._ttl_ms]
        )

    async def holders(self) -> int:
        """How many live leases there are now (expired ones are not counted)."""
        return int(await self._count(keys=[self.name]))

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[Lease]:
        """``async with sem.hold():`` a slot, renewed in the background until the block ends."""
        lease = await self.acquire()
        try:
            async with renewing(self.ttl / 3, lambda: self.renew(lease), self.name):
                yield lease
        finally:
            # If even this fails (Redis gone), the lease simply expires after ttl.
            await asyncio.shield(self.release(lease))


@contextlib.asynccontextmanager
async def renewing(
    interval: float, renew: Callable[[], Awaitable[bool]], what: str
) -> AsyncIterator[None]:
    """Call ``renew()`` every ``interval`` seconds while the block runs, until it says ``False``.

    The renewals are stopped by an event, never by cancelling them: redis-py may swallow a
    cancellation that lands in the middle of a command, and the renewals would then go on for
    ever, keeping a dead piece of work alive.
    """
    stop = asyncio.Event()

    async def keep() -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if stop.is_set():
                return
            try:
                if not await renew():
                    logger.warning("%s: a lease expired while held", what)
                    return
            except Exception as exc:  # Redis unreachable: try again at the next tick
                logger.warning("%s: renewal failed (%s)", what, type(exc).__name__)

    task = asyncio.get_running_loop().create_task(keep())
    try:
        yield
    finally:
        stop.set()
        # A renewal under way finishes first; one stuck on a dead Redis is left to end alone.
        await asyncio.wait({task}, timeout=interval)
