"""What :class:`nodesms.SyncClient` runs on: one event loop on a background thread.

The sync client is the async one, unchanged, driven from another thread: each SyncClient
owns a daemon thread running an asyncio loop, builds its :class:`~nodesms.Client` there and
hands every call over with :func:`asyncio.run_coroutine_threadsafe`. So results, errors,
retries, exactly-once creates and the connection pool are the async client's own, and any
number of threads may share one SyncClient (their calls run concurrently on its loop).

The methods themselves are generated from the async ones (``nodesms/_sync_client.py``, by
``python -m nodesms._gen_sync``), so the two can never drift apart.
"""

from __future__ import annotations

import asyncio
import copy
import os
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._paging import AsyncPaginator
from .errors import NodeSMSError, ValidationError
from .models import Page

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._client import Client

__all__ = ["LoopThread", "SyncClientBase", "SyncPaginator", "refuse_session"]

T = TypeVar("T")

_STOP_TIMEOUT = 10.0


class LoopThread:
    """An asyncio event loop running on a daemon thread until :meth:`stop`."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    @property
    def running(self) -> bool:
        """True until :meth:`stop`."""
        return self._thread.is_alive() and not self.loop.is_closed()

    def in_thread(self) -> bool:
        """True when called from the loop's own thread."""
        return threading.get_ident() == self._thread.ident

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result (or exception) in this thread.

        An interrupt while waiting (Ctrl-C) cancels the coroutine.
        """
        if not self.running:
            coro.close()
            raise NodeSMSError("this nodesms.SyncClient is closed; create a new one")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and wait for its thread (from any thread but the loop's own)."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.in_thread():
            self._thread.join(_STOP_TIMEOUT)


def refuse_session(session: object) -> None:
    """A SyncClient makes its own session: one made on another loop cannot serve it."""
    if session is not None:
        raise ValidationError(
            "a SyncClient runs its own event loop and session; pass trace_configs= or other "
            "options instead of an aiohttp session (or use nodesms.Client)",
            field="session",
        )


async def _build(make: Callable[[], Client]) -> Client:
    return make()


async def _next_page(pages: AsyncIterator[Page[T]]) -> Page[T] | None:
    try:
        return await pages.__anext__()
    except StopAsyncIteration:
        return None


async def _next_item(items: AsyncIterator[T]) -> tuple[T] | None:
    try:
        return (await items.__anext__(),)
    except StopAsyncIteration:
        return None


async def _aclose(iterator: AsyncIterator[Any]) -> None:
    await iterator.aclose()  # type: ignore[attr-defined]


def _shutdown(thread: LoopThread, client: Client) -> None:
    if not thread.running:
        return
    if thread.in_thread():  # collected on the loop itself: it cannot wait for itself
        thread.loop.create_task(client.aclose()).add_done_callback(lambda _: thread.stop())
        return
    try:
        thread.run(client.aclose())
    finally:
        thread.stop()


class SyncClientBase:
    """Lifecycle and call plumbing of :class:`nodesms.SyncClient` (the methods are generated)."""

    _client: Client
    _thread: LoopThread
    _finalizer: weakref.finalize[Any, Any]

    def _start(self, make: Callable[[], Client]) -> None:
        self._thread = LoopThread(f"nodesms-sync-{id(self):x}")
        try:
            self._client = self._thread.run(_build(make))
        except BaseException:
            self._thread.stop()
            raise
        # Closes the session and stops the thread when the client is closed, collected, or
        # the interpreter exits, whichever comes first.
        self._finalizer = weakref.finalize(self, _shutdown, self._thread, self._client)
        self._bind()

    def _bind(self) -> None:
        """Create the API areas (generated)."""
        raise NotImplementedError

    def _view(self, client: Client) -> Self:
        """A view sharing this client's loop, session and lifecycle (``with_options``)."""
        view = copy.copy(self)
        view._client = client
        view._bind()
        return view

    def _target(self) -> Client:
        """The async client, once this thread may wait for it."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise NodeSMSError(
                "nodesms.SyncClient was called from a running event loop, which it would "
                "block; in async code use nodesms.Client with await"
            )
        if self._thread.pid != os.getpid():
            raise NodeSMSError(
                "this nodesms.SyncClient was created before the process forked; create one "
                "per process (e.g. in Celery's worker_process_init)"
            )
        if not self._finalizer.alive:
            raise NodeSMSError("this nodesms.SyncClient is closed; create a new one")
        return self._client

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._thread.run(coro)

    def _iterate(self, items: AsyncIterator[T]) -> Iterator[T]:
        """A sync iterator over an async one, each step on the loop."""
        try:
            while (step := self._run(_next_item(items))) is not None:
                yield step[0]
        finally:
            if self._thread.running:
                self._run(_aclose(items))

    def close(self) -> None:
        """Close the connection pool and stop the background loop. Safe to call twice."""
        self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return "nodesms.Sync" + repr(self._client).removeprefix("nodesms.")


class SyncPaginator(Generic[T]):
    """The result of every list method of :class:`nodesms.SyncClient`.

    - ``for item in paginator`` walks every item across pages;
    - ``paginator.pages()`` walks pages (:class:`~nodesms.Page`);
    - ``paginator.first_page()`` fetches the first page only;
    - ``paginator.to_list()`` collects every item.

    As with :class:`~nodesms.AsyncPaginator`, the next page is fetched (on the client's loop)
    while your code works on the current one, and nothing is requested until you iterate.
    """

    def __init__(self, owner: SyncClientBase, paginator: AsyncPaginator[T]) -> None:
        self._owner = owner
        self._paginator = paginator

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def pages(self) -> Iterator[Page[T]]:
        """Yield pages in order (with ``limit``, the last one cut to it)."""
        owner = self._owner
        owner._target()  # not closed, not on a running loop, not forked
        pages = self._paginator.pages()
        try:
            while (page := owner._run(_next_page(pages))) is not None:
                yield page
        finally:
            if owner._thread.running:
                owner._run(_aclose(pages))

    def first_page(self) -> Page[T]:
        """Fetch the first page (from ``page_index``) only."""
        self._owner._target()
        return self._owner._run(self._paginator.first_page())

    def to_list(self) -> list[T]:
        """Collect every item (mind the memory on large reports; prefer ``for``)."""
        self._owner._target()
        return self._owner._run(self._paginator.to_list())
