"""``client.user``: the account."""

from __future__ import annotations

from .. import _operations as ops
from ..models import Credit
from ._base import Resource

__all__ = ["UserResource"]


class UserResource(Resource):
    """The account: ``client.user``."""

    async def credit(self) -> Credit:
        """The account's credit balance (``/user/credit``)."""
        return await self._call(ops.USER_CREDIT)
