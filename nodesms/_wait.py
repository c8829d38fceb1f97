"""``client.sms.wait``: poll packages until every one is in a final state."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

import anyio

from ._paging import MAX_PAGE_SIZE
from .errors import ValidationError, WaitTimeoutError
from .models import Package

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["wait_final"]

_BACKOFF = 1.5  # each round without news waits this much longer, up to max_interval


async def wait_final(
    client: Client,
    pkg_ids: Iterable[int],
    *,
    timeout: float,  # noqa: ASYNC109 (the API DESIGN.md fixes: a deadline for the whole wait)
    poll_interval: float,
    max_interval: float,
) -> list[Package]:
    """Poll ``/sms/list`` (up to 1000 ids a request) until every package is final."""
    ids = _ids(pkg_ids)
    _positive(timeout, "timeout")
    _positive(poll_interval, "poll_interval")
    _positive(max_interval, "max_interval")
    deadline = time.monotonic() + timeout
    final: dict[int, Package] = {}
    interval = poll_interval
    while True:
        before = len(final)
        pending = [pkg_id for pkg_id in ids if pkg_id not in final]
        for start in range(0, len(pending), MAX_PAGE_SIZE):
            batch = pending[start : start + MAX_PAGE_SIZE]
            page = await client.sms.list(pkg_ids=batch, page_size=MAX_PAGE_SIZE)
            final.update((pkg.id, pkg) for pkg in page.items if pkg.state.is_final)
        pending = [pkg_id for pkg_id in ids if pkg_id not in final]
        if not pending:
            return [final[pkg_id] for pkg_id in ids]
        left = deadline - time.monotonic()
        if left <= 0:
            raise WaitTimeoutError(
                pending, [final[pkg_id] for pkg_id in ids if pkg_id in final], timeout
            )
        # Poll at the given pace while packages keep finishing; slow down while none do.
        interval = poll_interval if len(final) > before else min(max_interval, interval * _BACKOFF)
        await anyio.sleep(min(interval, left))


def _ids(pkg_ids: Iterable[int]) -> list[int]:
    if isinstance(pkg_ids, (str, bytes, int)) or not isinstance(pkg_ids, Iterable):
        raise ValidationError("expected a list of package ids", field="pkg_ids")
    out: list[int] = []
    seen: set[int] = set()
    for index, value in enumerate(pkg_ids):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValidationError("must be a positive int", field=f"pkg_ids[{index}]")
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


def _positive(value: float, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValidationError("must be a positive number of seconds", field=field)
