"""nodesms: the asyncio client for SMS gateways that speak Node API v1.8.3.

::

    import nodesms

    async with nodesms.Client(base_url, username, password) as client:
        sent = await client.sms.create_otp(number="0555 123 45 67", sender="ACME",
                                           content="Kodunuz: 482913")
"""

from typing import TYPE_CHECKING

from ._bulk_types import BulkFailure, BulkProgress, BulkResult
from ._lazy import lazy_attributes
from ._logging import configure_from_env as _configure_from_env
from ._numbers import normalize_number
from ._operation import Effect
from ._push import PushItem, PushReport, PushStatistics, parse_push
from ._validate import custom_id_for
from ._version import __version__
from .enums import (
    ContactFilter,
    CustomerType,
    Encoding,
    ItemState,
    IysRecipientType,
    IysSource,
    IysState,
    MoState,
    Operator,
    PackageFilter,
    PackageState,
    PeriodType,
    SenderStatus,
    SendingType,
    SmsType,
    UserType,
)
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConcurrencyLimitError,
    ConflictError,
    InsufficientCreditError,
    MaintenanceError,
    NodeSMSError,
    NotFoundError,
    PermissionDeniedError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    TransportError,
    UnsupportedOperationError,
    ValidationError,
    WaitTimeoutError,
)
from .models import (
    Contact,
    Credit,
    Gateway,
    GatewayDateTime,
    Group,
    GroupRef,
    GroupStats,
    InquiryRecord,
    Iys,
    IysStatus,
    Message,
    MoRequest,
    Package,
    PackageCreated,
    PackageItem,
    Page,
    Periodic,
    Sender,
    Statistics,
    Summary,
    UserInfo,
)
from .text import Segments, segments, to_gsm

if TYPE_CHECKING:
    from ._client import Client
    from ._config import Timeout
    from ._paging import AsyncPaginator
    from ._retry import RetryPolicy
    from ._sync import SyncPaginator
    from ._sync_client import SyncClient

__all__ = [
    "APIError",
    "AsyncPaginator",
    "AuthenticationError",
    "BadRequestError",
    "BulkFailure",
    "BulkProgress",
    "BulkResult",
    "Client",
    "ClientClosedError",
    "ConcurrencyLimitError",
    "ConflictError",
    "Contact",
    "ContactFilter",
    "Credit",
    "CustomerType",
    "Effect",
    "Encoding",
    "Gateway",
    "GatewayDateTime",
    "Group",
    "GroupRef",
    "GroupStats",
    "InquiryRecord",
    "InsufficientCreditError",
    "ItemState",
    "Iys",
    "IysRecipientType",
    "IysSource",
    "IysState",
    "IysStatus",
    "MaintenanceError",
    "Message",
    "MoRequest",
    "MoState",
    "NodeSMSError",
    "NotFoundError",
    "Operator",
    "Package",
    "PackageCreated",
    "PackageFilter",
    "PackageItem",
    "PackageState",
    "Page",
    "PeriodType",
    "Periodic",
    "PermissionDeniedError",
    "PushItem",
    "PushReport",
    "PushStatistics",
    "RequestTimeoutError",
    "ResponseError",
    "RetryPolicy",
    "Segments",
    "Sender",
    "SenderStatus",
    "SendingType",
    "ServerError",
    "SmsType",
    "Statistics",
    "Summary",
    "SyncClient",
    "SyncPaginator",
    "Timeout",
    "TransportError",
    "UnsupportedOperationError",
    "UserInfo",
    "UserType",
    "ValidationError",
    "WaitTimeoutError",
    "__version__",
    "custom_id_for",
    "normalize_number",
    "parse_push",
    "segments",
    "to_gsm",
]

# The client and what builds on aiohttp are imported on first use: ``import nodesms`` (and
# the pytest plugin, which pytest loads in every run) stays cheap.
_LAZY = {
    "AsyncPaginator": "._paging",
    "Client": "._client",
    "RetryPolicy": "._retry",
    "SyncClient": "._sync_client",
    "SyncPaginator": "._sync",
    "Timeout": "._config",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)


_configure_from_env()
