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

import functools
import re
from typing import Any

import msgspec

from ._operation import Effect, Operation
from .errors import ValidationError
from .models import (
    Contact,
    Credit,
    Gateway,
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
    "SMS_LIST_GATEWAY",
    "SMS_LIST_ITEM",
    "SMS_LIST_SENDER",
    "SMS_RECREATE",
    "SMS_SUMMARY",
    "USER_CREDIT",
    "adhoc",
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
# Not in the vendor text; production deployments answer it (REFERENCE.md, "Observed in
# production clients").
SMS_LIST_GATEWAY = Operation("/sms/list-gateway", ListData[Gateway], get=True)

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


_PATH = re.compile(r"(?:/[A-Za-z0-9_\-]+)+")
_EFFECTS = {"read": Effect.READ, "idempotent": Effect.IDEMPOTENT, "write": Effect.WRITE}


def adhoc(path: object, result: Any, effect: object) -> Operation[Any]:
    """An operation the table does not have, for ``client.request(...)``.

    Raises:
        ValidationError: ``path`` is not a plain ``/area/action`` path (so that a request can
            never leave for another origin), ``result`` is no type msgspec decodes into, or
            ``effect`` is not ``"read"``, ``"idempotent"`` or ``"write"`` (or the Effect).
    """
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ValidationError(
            "must be a path such as '/sms/get-mo' (letters, digits, '-', '_' between slashes)",
            field="path",
        )
    if isinstance(effect, str):
        effect = _EFFECTS.get(effect, effect)
    if not isinstance(effect, Effect) or effect is Effect.CREATE:
        raise ValidationError("must be 'read', 'idempotent' or 'write'", field="effect")
    wanted: Any = Any if result is None else result
    try:
        msgspec.json.Decoder(wanted)
        hash(wanted)
    except (TypeError, ValueError):  # ValueError: a value too odd even to repr (a huge int)
        raise ValidationError(
            "expected None or a type msgspec can decode into", field="result"
        ) from None
    return _adhoc(path, wanted, effect)


@functools.lru_cache(maxsize=64)
def _adhoc(path: str, result: Any, effect: Effect) -> Operation[Any]:
    # The same arguments give the same object: the transport keeps a decoder per operation.
    known = _BY_PATH.get(path)
    return Operation(path, result, effect, get=known.get if known else False)


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
