"""The local campaign runner behind ``client.sms.send_bulk``: the core's chunks, sent from
this process with an adaptive number in flight, an optional journal, progress and a credit
check."""

from __future__ import annotations

import inspect
import logging
import os
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel

from ._bulk import (
    BulkInput,
    BulkProgress,
    BulkResult,
    CampaignOptions,
    Chunk,
    ChunkOutcome,
    OutcomeKind,
    aplan,
    assemble,
    give_up,
    plan,
    send_chunk,
)
from ._bulk_types import ProgressCallback
from ._journal import Journal
from ._limit import AdaptiveLimit
from ._retry import RetryPolicy
from .errors import InsufficientCreditError, ValidationError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._client import Client

__all__ = ["MAX_LIMITED_ATTEMPTS", "ProgressCallback", "run_campaign", "send_until_done"]

logger = logging.getLogger("nodesms")

MAX_LIMITED_ATTEMPTS = 12
"""Concurrency refusals one chunk may meet before it is given up (each waits longer)."""

_NO_RETRY = RetryPolicy(max_attempts=1)


async def send_until_done(
    chunk: Chunk,
    attempt: Callable[[], Awaitable[ChunkOutcome]],
    policy: RetryPolicy,
    on_limited: Callable[[], Awaitable[object]] | None = None,
) -> ChunkOutcome:
    """``attempt()`` (one request for ``chunk``, holding whatever slot the runner needs) until
    its outcome is final, by the rules of ``send_bulk``: transient failures up to the policy's
    attempts, concurrency refusals up to :data:`MAX_LIMITED_ATTEMPTS`, waiting the policy's
    back-off (or the gateway's ``Retry-After``) between them, holding no slot."""
    transient = limited = 0
    while True:
        outcome = await attempt()
        if outcome.done:
            return outcome
        if outcome.kind is OutcomeKind.LIMITED:
            limited += 1
            failures = limited
            if on_limited is not None:
                await on_limited()
            if limited >= MAX_LIMITED_ATTEMPTS:
                return give_up(chunk, outcome)
        else:
            transient += 1
            failures = transient
            if transient >= policy.max_attempts:
                return give_up(chunk, outcome)
        delay = policy.delay(failures, outcome.retry_after)
        logger.info("chunk %s: retrying in %.2fs (%s %s)", chunk.custom_id, delay,
                    outcome.error, outcome.code or "")  # fmt: skip
        await anyio.sleep(delay)


class _Campaign:
    """One run's state: outcomes so far, the window, the journal, the counters."""

    def __init__(
        self,
        client: Client,
        options: CampaignOptions,
        limit: AdaptiveLimit,
        journal: Journal | None,
        on_progress: ProgressCallback | None,
    ) -> None:
        # One attempt per request: this runner decides retries from each chunk's outcome,
        # so that concurrency refusals reach the window instead of being waited out inside.
        self.sender = client.with_options(retry=_NO_RETRY)
        self.policy = client.retry
        self.options = options
        self.limit = limit
        self.journal = journal
        self.on_progress = on_progress
        self.started = time.monotonic()
        self.outcomes: list[ChunkOutcome] = list(journal.done.values()) if journal else []
        self.packages = sum(1 for o in self.outcomes if o.package is not None)
        self.messages = sum(o.messages for o in self.outcomes)
        self.parts = sum(o.parts for o in self.outcomes)
        self.failed = sum(len(o.failures) for o in self.outcomes)

    async def run_chunk(self, chunk: Chunk) -> None:
        outcome = await self._send(chunk)
        self.outcomes.append(outcome)
        if outcome.package is not None:
            self.packages += 1
        self.messages += outcome.messages
        self.parts += outcome.parts
        self.failed += len(outcome.failures)
        if self.journal is not None:
            self.journal.record(outcome)
        if self.on_progress is not None:
            await _call(self.on_progress, self.progress())

    async def _send(self, chunk: Chunk) -> ChunkOutcome:
        async def attempt() -> ChunkOutcome:
            async with self.limit.slot() as held:
                outcome = await send_chunk(self.sender, self.options, chunk)
                if outcome.kind is OutcomeKind.LIMITED:
                    self.limit.refused(held)
                else:
                    await self.limit.succeeded()
            return outcome

        return await send_until_done(chunk, attempt, self.policy)

    def progress(self) -> BulkProgress:
        return BulkProgress(
            chunks=len(self.outcomes),
            packages=self.packages,
            messages=self.messages,
            parts=self.parts,
            failed=self.failed,
            in_flight=self.limit.in_flight,
            concurrency=self.limit.window,
            limited=self.limit.limited,
            elapsed=time.monotonic() - self.started,
        )


async def run_campaign(
    client: Client,
    messages: BulkInput,
    options: CampaignOptions,
    *,
    max_concurrency: int = 8,
    journal: str | os.PathLike[str] | None = None,
    on_progress: ProgressCallback | None = None,
    check_credit: bool = False,
) -> BulkResult:
    """Send a campaign from this process (what ``client.sms.send_bulk`` does)."""
    if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
        raise ValidationError("must be an int from 1 to 64", field="max_concurrency")
    if not 1 <= max_concurrency <= 64:
        raise ValidationError("must be an int from 1 to 64", field="max_concurrency")
    if on_progress is not None and not callable(on_progress):
        raise ValidationError("must be a callable taking a BulkProgress", field="on_progress")
    if check_credit is not True and check_credit is not False:
        raise ValidationError("must be True or False", field="check_credit")
    _chunks(messages, options, None)  # refuses a non-iterable before anything is read
    if check_credit and _single_pass(messages):
        raise ValidationError(
            "check_credit counts the parts before sending, so the input is read twice: give "
            "a list or another re-iterable (not an iterator or generator)",
            field="check_credit",
        )
    book = await Journal.open(journal, options) if journal is not None else None
    try:
        done = book.done if book is not None else {}
        balance: float | None = None
        if check_credit:
            needed = 0
            async for chunk in _chunks(messages, options, done.__contains__):
                needed += chunk.parts
            balance = (await client.user.credit()).credit
            if needed > balance:
                error = InsufficientCreditError(
                    f"campaign {options.campaign_id!r} needs {needed:,} SMS parts and the "
                    f"account has {balance:,.0f} credit; nothing was sent",
                    code="SMS18",
                    name="ERR_USER_CREDIT_REQUIRED",
                )
                raise error
        campaign = _Campaign(client, options, AdaptiveLimit(max_concurrency), book, on_progress)
        # Chunks admitted but not finished: planning never runs further ahead than this.
        admitted = anyio.Semaphore(max_concurrency)

        async def run(chunk: Chunk) -> None:
            try:
                await campaign.run_chunk(chunk)
            finally:
                admitted.release()

        async with anyio.create_task_group() as group:
            if book is not None:
                group.start_soon(book.run)
            async with anyio.create_task_group() as chunks:
                async for chunk in _chunks(messages, options, done.__contains__):
                    await admitted.acquire()
                    chunks.start_soon(run, chunk)
            group.cancel_scope.cancel()
        credit = None
        if balance is not None:
            credit = balance - (await client.user.credit()).credit
        return assemble(campaign.outcomes, credit=credit)
    finally:
        if book is not None:
            await book.aclose()


def _single_pass(messages: object) -> bool:
    """Whether ``messages`` can be read only once (an iterator, a generator)."""
    if isinstance(messages, AsyncIterable):
        return messages.__aiter__() is messages
    return isinstance(messages, Iterable) and iter(messages) is messages


def _chunks(
    messages: object, options: CampaignOptions, skip: Callable[[int], bool] | None
) -> AsyncIterator[Chunk]:
    if isinstance(messages, AsyncIterable):
        return aplan(messages, options, skip=skip)
    return _async(plan(messages, options, skip=skip))  # type: ignore[arg-type]


async def _async(chunks: Iterable[Chunk]) -> AsyncIterator[Chunk]:
    for chunk in chunks:
        yield chunk
        # Planning a chunk is CPU work: let the requests in flight make progress meanwhile.
        await anyio.lowlevel.checkpoint()


async def _call(callback: Callable[[BulkProgress], Any], progress: BulkProgress) -> None:
    result = callback(progress)
    if inspect.isawaitable(result):
        await result
