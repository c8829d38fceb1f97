"""The gateway's input rules, declared once for the client and the embedded gateway.

The client checks a value with :func:`conform` before anything is sent; the fake checks what
arrives with the same rule (``strict=False``: wire values may be strings such as ``"60"``).
So whatever the client accepts, the fake accepts (a property test checks it). Phone numbers
have their own rule, :func:`nodesms.normalize_number` (``_numbers.py``), shared the same way.

Simple rules are msgspec ``Meta`` constraints on annotated types; the wire Structs of the
resources are annotated with these types too, so a body's declaration shows its rules.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta

from .errors import ValidationError

__all__ = [
    "CUSTOM_ID_CHARS",
    "INQUIRY_MAX_MONTHS",
    "KVKK_TAG",
    "MINUTE_FORMAT",
    "PAGE_SIZE_MAX",
    "PAGE_SIZE_MIN",
    "SECOND_FORMAT",
    "SET_BLACKLIST_MAX",
    "XID_MAX_LENGTH",
    "CustomId",
    "FieldName",
    "KvkkValidity",
    "OtpValidity",
    "PageIndex",
    "PageSize",
    "PeriodAmount",
    "PeriodInterval",
    "SmsValidity",
    "Title",
    "Xid",
    "conform",
    "plain_str",
]

T = TypeVar("T")

# The wire's integers are 64-bit: a bound on every int rule keeps huge ints out of the encoder.
_INT64_MAX = 2**63 - 1

CUSTOM_ID_CHARS = "ASCII letters, digits, '-', '.' and '_'"
# Underscores are used by production integrations (``sms_20260101_...``), though the vendor
# text lists only letters, digits, '-' and '.'.
CustomId = Annotated[
    str, Meta(pattern=r"^[A-Za-z0-9._\-]{1,100}$", description=f"1-100 {CUSTOM_ID_CHARS}")
]
"""A package's customID."""

XID_MAX_LENGTH = 32
"""The longest xid, in characters (bulk sends check it column-wise too)."""
Xid = Annotated[
    str,
    Meta(min_length=1, max_length=XID_MAX_LENGTH, description=f"1-{XID_MAX_LENGTH} characters"),
]
"""A many-to-many recipient's own id."""

# The vendor text sets no limit; resellers document 5-50 characters. The upper bound is kept
# (a longer title is refused in production), the lower one is not (most deployments take "T").
Title = Annotated[str, Meta(min_length=1, max_length=50, description="1-50 characters")]
"""A package title (create, recreate)."""

PAGE_SIZE_MIN, PAGE_SIZE_MAX = 10, 1000
PageSize = Annotated[
    int, Meta(ge=PAGE_SIZE_MIN, le=PAGE_SIZE_MAX, description="an integer from 10 to 1000")
]
PageIndex = Annotated[int, Meta(ge=0, le=_INT64_MAX, description="an integer >= 0")]

OtpValidity = Annotated[int, Meta(ge=3, le=6, description="an integer from 3 to 6")]
"""Minutes an OTP stays valid (gateway default 6)."""
SmsValidity = Annotated[int, Meta(ge=60, le=1440, description="an integer from 60 to 1440")]
"""Minutes a normal package stays valid (gateway default 1440); resellers refuse 5."""
# The vendor text gives KVKK sends the OTP default of 6 minutes, so they take the whole span
# from the OTP minimum to the normal maximum.
KvkkValidity = Annotated[int, Meta(ge=3, le=1440, description="an integer from 3 to 1440")]

PeriodInterval = Annotated[int, Meta(ge=1, le=_INT64_MAX, description="an integer >= 1")]
PeriodAmount = Annotated[
    int, Meta(ge=1000, le=_INT64_MAX, multiple_of=1000, description="1000 or a multiple of it")
]

FieldName = Annotated[
    str,
    Meta(pattern=r"^[A-Za-z0-9_]+$", description="ASCII letters, digits and '_' only"),
]
"""A contact custom field or import column: no Turkish letters, ``_`` the only special sign."""

KVKK_TAG = "SHORT_LINK"
"""The tag a KVKK text must contain (the gateway puts the consent link there)."""

MINUTE_FORMAT = "%Y-%m-%d %H:%M"
"""Dates sent: list filters and sendingDate."""
SECOND_FORMAT = "%Y-%m-%d %H:%M:%S"
"""Dates sent: trustDate."""

INQUIRY_MAX_MONTHS = 3
"""The longest period ``/sms/inquiry-number`` takes."""
SET_BLACKLIST_MAX = 1000
"""The most entries (uuids and gsms together) one ``/contact/set-blacklist`` takes."""


def conform(value: Any, rule: Any, field: str, *, strict: bool = True) -> Any:
    """``value`` checked against ``rule`` (one of the annotated types above).

    ``strict=False`` is the gateway's leniency: ``"60"`` is an int, ``"true"`` a bool.

    Raises:
        ValidationError: naming ``field``, with the rule's words.
    """
    try:
        checked = msgspec.convert(value, rule, strict=strict)
    except msgspec.ValidationError as exc:
        raise ValidationError(_reason(str(exc), rule), field=field) from None
    except UnicodeEncodeError:  # msgspec reads a str as UTF-8: a lone surrogate cannot be
        raise ValidationError(
            "contains a lone surrogate, which cannot be sent", field=field
        ) from None
    return plain_str(checked) if isinstance(checked, str) else checked


def plain_str(value: str) -> str:
    """``value`` as a plain ``str``: a subclass (``markupsafe.Markup`` from a template, a
    ``StrEnum`` member) becomes its text, since msgspec encodes only ``str`` itself."""
    return value if type(value) is str else str.__str__(value)


def _reason(message: str, rule: Any) -> str:
    # The rule's own words; msgspec's message (a regex, a bound) only where it has none. The
    # value is never echoed: it may be a 4000-digit int or a lone surrogate.
    meta = getattr(rule, "__metadata__", ())
    described = next((m.description for m in meta if getattr(m, "description", None)), None)
    return f"must be {described}" if described else message.split(" - at ")[0]
