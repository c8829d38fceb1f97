"""Every gateway operation, declared once.

The client's resources call these constants, the embedded gateway registers one route per
entry (``GET`` beside ``POST`` where ``get`` says so), the SOAP client and the fake's SOAP
endpoint and WSDL take their operation names from ``soap``, and README's operation table is
:func:`reference_table`. Tests check that the client's methods, the fake's routes and the WSDL
all agree with :data:`OPERATIONS`.

Names are ``AREA_ACTION`` so that they are unique across areas (``SMS_LIST``,
``CONTACT_LIST``).
"""

from __future__ import annotations

from typing import Any

from ._operation import Effect, Operation
from .models import (
    Contact,
    Credit,
    Group,
    InquiryRecord,
    ListData,
    MoRequest,
    Package,
    PackageItem,
    Sender,
    Summary,
    _InvalidsData,
    _PkgIdData,
    _StatusData,
)

__all__ = [
    "CONTACT_CREATE",
    "CONTACT_CREATE_GROUP",
    "CONTACT_DELETE",
    "CONTACT_DELETE_GROUP",
    "CONTACT_IMPORT",
    "CONTACT_LIST",
    "CONTACT_LIST_GROUP",
    "CONTACT_SET_BLACKLIST",
    "CONTACT_UPDATE",
    "CONTACT_UPDATE_GROUP",
    "MO_LIST_REQUEST",
    "OPERATIONS",
    "SMS_CANCEL",
    "SMS_CREATE",
    "SMS_CREATE_KVKK",
    "SMS_CREATE_OTP",
    "SMS_INQUIRY_NUMBER",
    "SMS_LIST",
    "SMS_LIST_ITEM",
    "SMS_LIST_SENDER",
    "SMS_RECREATE",
    "SMS_SUMMARY",
    "USER_CREDIT",
    "by_path",
    "by_soap",
    "reference_table",
]

# Creates carry a customID, so they are retried like reads (a duplicate is resolved by lookup).
SMS_CREATE_OTP = Operation("/sms/create-otp", _PkgIdData, Effect.CREATE, soap="sendOtp")
SMS_CREATE = Operation("/sms/create", _PkgIdData, Effect.CREATE, soap="sendSms")
SMS_CREATE_KVKK = Operation("/sms/create-kvkk", _PkgIdData, Effect.WRITE)
SMS_LIST = Operation("/sms/list", ListData[Package], soap="getSmsPackages", get=True)
SMS_LIST_ITEM = Operation(
    "/sms/list-item", ListData[PackageItem], soap="getSmsPackageItems", get=True
)
SMS_LIST_SENDER = Operation("/sms/list-sender", ListData[Sender], soap="getSmsSenders", get=True)
SMS_CANCEL = Operation("/sms/cancel", _StatusData, Effect.WRITE, soap="cancelSmsPackage", get=True)
SMS_RECREATE = Operation("/sms/recreate", _PkgIdData, Effect.WRITE, get=True)
SMS_SUMMARY = Operation("/sms/summary", Summary, get=True)
SMS_INQUIRY_NUMBER = Operation("/sms/inquiry-number", ListData[InquiryRecord], get=True)

CONTACT_CREATE = Operation("/contact/create", Contact, Effect.WRITE)
CONTACT_UPDATE = Operation("/contact/update", _StatusData, Effect.IDEMPOTENT)
CONTACT_DELETE = Operation("/contact/delete", _StatusData, Effect.WRITE)
CONTACT_IMPORT = Operation("/contact/import", _StatusData, Effect.WRITE)
CONTACT_LIST = Operation("/contact/list", ListData[Contact], get=True)
CONTACT_CREATE_GROUP = Operation("/contact/create-group", Group, Effect.WRITE)
CONTACT_UPDATE_GROUP = Operation("/contact/update-group", _StatusData, Effect.IDEMPOTENT)
# Effect.WRITE still retries SMS50: the gateway runs one group delete at a time.
CONTACT_DELETE_GROUP = Operation("/contact/delete-group", _StatusData, Effect.WRITE)
CONTACT_LIST_GROUP = Operation("/contact/list-group", ListData[Group], get=True)
CONTACT_SET_BLACKLIST = Operation("/contact/set-blacklist", _InvalidsData, Effect.IDEMPOTENT)

MO_LIST_REQUEST = Operation("/mo/list-request", ListData[MoRequest], get=True)

USER_CREDIT = Operation("/user/credit", Credit, soap="getUserCredit", get=True)

OPERATIONS: tuple[Operation[Any], ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, Operation)
)
"""Every operation of the API, in declaration order."""

_BY_PATH = {op.path: op for op in OPERATIONS}
_BY_SOAP = {op.soap: op for op in OPERATIONS if op.soap is not None}


def by_path(path: str) -> Operation[Any] | None:
    """The operation at a JSON path (``"/sms/create"``), if the table has one."""
    return _BY_PATH.get(path)


def by_soap(name: str) -> Operation[Any] | None:
    """The operation with a SOAP name (``"sendSms"``), if any."""
    return _BY_SOAP.get(name)


def reference_table() -> str:
    """The operations as a Markdown table (README's "Operations" section is this text)."""
    effects = {
        Effect.READ: "read",
        Effect.IDEMPOTENT: "idempotent",
        Effect.CREATE: "create (customID)",
        Effect.WRITE: "write",
    }
    lines = [
        "| endpoint | method | SOAP | GET | retried as |",
        "|---|---|---|---|---|",
    ]
    for op in OPERATIONS:
        lines.append(
            f"| `{op.path}` | `client.{op.method}` | {op.soap or '—'} | "
            f"{'yes' if op.get else 'no'} | {effects[op.effect]} |"
        )
    return "\n".join(lines) + "\n"
