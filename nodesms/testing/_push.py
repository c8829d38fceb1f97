"""Sending delivery-report pushes from the gateway: fire-and-forget POSTs, awaited on stop."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec

__all__ = ["PushRecord", "PushSender"]


@dataclass
class PushRecord:
    """One push the gateway sent (``gw.pushes``).

    Attributes:
        url: where it went.
        payload: the JSON body, as a dict.
        status: the receiver's HTTP status, or ``None`` until answered or when it failed.
        error: why it failed (connection refused, timeout...), else ``None``.
    """

    url: str
    payload: dict[str, Any]
    status: int | None = None
    error: str | None = None


class PushSender:
    """Posts pushes on background tasks with one lazily created client session."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.records: list[PushRecord] = []
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, url: str, payload: dict[str, Any]) -> PushRecord:
        """Start posting ``payload`` to ``url``; returns its record at once."""
        record = PushRecord(url, payload)
        self.records.append(record)
        task = asyncio.get_running_loop().create_task(self._post(record))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return record

    async def _post(self, record: PushRecord) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        body = msgspec.json.encode(record.payload)
        try:
            async with self._session.post(
                record.url, data=body, headers={"Content-Type": "application/json"}
            ) as response:
                await response.read()
                record.status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            record.error = f"{type(exc).__name__}: {exc}"

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every push started so far has finished (or ``timeout`` passed)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self, grace: float = 1.0) -> None:
        """Let running pushes finish for up to ``grace`` seconds, cancel the rest, close."""
        await self.drain(grace)
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None
