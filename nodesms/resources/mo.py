"""``client.mo``: opt-out messages (MO) received on the account's short numbers."""

from __future__ import annotations

from datetime import datetime

from msgspec import field

from .. import _operations as ops
from .._paging import MAX_PAGE_SIZE, AsyncPaginator
from .._validate import opt_str
from ..models import MoRequest
from ._base import PagedBody, Resource

__all__ = ["MoResource"]


class _ListRequestBody(PagedBody, frozen=True, kw_only=True, omit_defaults=True):
    keyword: str | None = None
    user_uuid: str | None = field(default=None, name="userUUID")
    start_date: str | None = field(default=None, name="startDate")
    finish_date: str | None = field(default=None, name="finishDate")


class MoResource(Resource):
    """Opt-out (MO) requests: ``client.mo``."""

    def list_request(
        self,
        *,
        keyword: str | None = None,
        user_uuid: str | None = None,
        start_date: datetime | None = None,
        finish_date: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
        page_index: int = 0,
        limit: int | None = None,
        concurrency: int = 1,
    ) -> AsyncPaginator[MoRequest]:
        """Opt-out messages people sent to the account's short numbers (``/mo/list-request``).

        When a message matched a keyword (``state`` ``MoState.DONE``) the gateway blacklisted
        the sender's number, saved contact or not.

        Args:
            keyword: filter on the keyword, the message text or the number.
            user_uuid: the requests of this user of your hierarchy.
            start_date: requests from this time on (naive = gateway local time).
            finish_date: requests up to this time.
            page_size: records per request, 10 to 1000.
            page_index: the first page to fetch (0-based).
            limit: stop after this many requests.
            concurrency: pages fetched at once while walking (default 1: the next page
                while you handle this one); items still come in order.
        """
        start, finish = self._date_range(start_date, finish_date)
        body = _ListRequestBody(
            keyword=opt_str(keyword, "keyword"),
            user_uuid=opt_str(user_uuid, "user_uuid"),
            start_date=start,
            finish_date=finish,
        )
        return self._paginate(
            ops.MO_LIST_REQUEST,
            body,
            page_size=page_size,
            page_index=page_index,
            limit=limit,
            key=_key,
            concurrency=concurrency,
        )


def _key(request: MoRequest) -> str:
    return request.uuid
