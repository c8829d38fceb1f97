"""``client.user``: the account."""

from __future__ import annotations

from .._operation import Operation
from ..models import Credit
from ._base import Resource

__all__ = ["UserResource"]

CREDIT = Operation("/user/credit", Credit, soap="getUserCredit")


class UserResource(Resource):
    """The account: ``client.user``."""

    async def credit(self) -> Credit:
        """The account's credit balance (``/user/credit``)."""
        return await self._call(CREDIT)
