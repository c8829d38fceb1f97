"""The gateway's constants as IntEnums.

Every enum accepts values it does not know: the gateway may add a state before this library
learns of it, and one unknown number must not make a whole report undecodable. Such a value
comes back as an int-valued pseudo-member named ``UNKNOWN_<value>`` (``Operator(7).name ==
"UNKNOWN_7"``, ``Operator(7) == 7``).
"""

from __future__ import annotations

import enum
from typing import Literal, TypeAlias

__all__ = [
    "ContactFilter",
    "ContactFilterValue",
    "CustomerType",
    "Encoding",
    "EncodingValue",
    "ItemState",
    "ItemStateValue",
    "IysRecipientType",
    "IysRecipientTypeValue",
    "IysSource",
    "IysSourceValue",
    "IysState",
    "IysStateValue",
    "MoState",
    "Operator",
    "OperatorValue",
    "PackageFilter",
    "PackageFilterValue",
    "PackageState",
    "PeriodType",
    "PeriodTypeValue",
    "SenderStatus",
    "SenderStatusValue",
    "SendingType",
    "SendingTypeValue",
    "SmsType",
    "SmsTypeValue",
    "UserType",
]


class _WireEnum(enum.IntEnum):
    """IntEnum that keeps unknown wire values instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> _WireEnum | None:
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                return None
            if value in cls._value2member_map_:
                return cls(value)
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        # Pseudo-members are cached like Flag pseudo-members so identity checks hold.
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return cls._value2member_map_.setdefault(value, member)  # type: ignore[return-value]


class Operator(_WireEnum):
    """Mobile operator of a recipient."""

    TURKCELL = 0
    VODAFONE = 1
    TURK_TELEKOM = 2
    NETGSM = 3


class SmsType(_WireEnum):
    """Kind of SMS package."""

    OTP = 0
    NORMAL = 1
    TC_NUMBER = 2
    """Sent by Turkish ID number (TC kimlik no)."""


class SendingType(_WireEnum):
    """How recipients and texts are paired in ``sms.create``."""

    SINGLE = 0
    ONE_TO_MANY = 1
    MANY_TO_MANY = 2


class Encoding(_WireEnum):
    """Character encoding of a message; decides how many characters fit in one SMS part."""

    DEFAULT = 0
    """GSM 7-bit default alphabet: 160 characters, 153 per part when split."""
    TURKISH = 1
    """GSM 7-bit with the Turkish single shift table: 155, 149 per part."""
    UNICODE = 2
    """UCS-2 on the air: 70, 67 per part."""


class PeriodType(_WireEnum):
    """Repetition of a periodic package."""

    ONCE = 0
    DAILY = 1
    WEEKLY = 2
    MONTHLY = 3
    YEARLY = 4


class PackageState(_WireEnum):
    """Lifecycle state of an SMS package."""

    CANCELLED = -4
    SENDING_FAILED = -3
    CREATION_FAILED = -2
    REJECTED = -1
    SAVING = 0
    WAITING = 1
    QUEUEING = 2
    SENDING = 3
    SENT = 4
    PARTLY_REPORTED = 5
    COMPLETED = 6

    @property
    def is_final(self) -> bool:
        """True when the package will not change state any more."""
        return self.value in _FINAL_PACKAGE_STATES


class ItemState(_WireEnum):
    """Delivery state of one recipient (package item)."""

    CANCELLED = -2
    REJECTED = -1
    WAITING = 0
    SENDING = 1
    SENT = 2
    DELIVERED = 3
    UNDELIVERED = 4
    EXPIRED = 5

    @property
    def is_final(self) -> bool:
        """True when the item will not change state any more."""
        return self.value in _FINAL_ITEM_STATES


_FINAL_PACKAGE_STATES = frozenset({-4, -3, -2, -1, 6})
_FINAL_ITEM_STATES = frozenset({-2, -1, 3, 4, 5})


class SenderStatus(_WireEnum):
    """Approval status of an alphanumeric sender name."""

    PENDING = 0
    APPROVED = 1
    REJECTED = 2
    BANNED = 3


class PackageFilter(_WireEnum):
    """Report filter for ``sms.list(status=...)``."""

    ALL = 0
    QUEUED = 1
    PROCESSING = 2
    SCHEDULED = 3
    PERIODIC = 4
    COMPLETED = 5
    CANCELLED = 6
    FAILED = 7


class ContactFilter(_WireEnum):
    """Filter for ``contact.list(status=...)``."""

    ALL = 0
    WHITELIST = 1
    BLACKLIST = 2


class IysState(_WireEnum):
    """State of a contact in IYS (the national commercial-message permission registry)."""

    INVALID_NUMBER = -2
    REJECTED = -1
    WAITING_FOR_SYNC = 0
    PROCESSING = 1
    QUEUED = 2
    ACCEPTED = 3
    UNDEFINED = 4


class IysRecipientType(_WireEnum):
    """IYS recipient type."""

    INDIVIDUAL = 0
    """BIREYSEL."""
    MERCHANT = 1
    """TACIR."""


class IysSource(_WireEnum):
    """Where an IYS permission was obtained. ``HS_KARAR`` may not be used on a first add."""

    HS_2015 = 0
    HS_KARAR = 1
    HS_FIZIKSEL_ORTAM = 2
    HS_ISLAK_IMZA = 3
    HS_ETKINLIK = 4
    HS_ATM = 5
    HS_EORTAM = 6
    HS_WEB = 7
    HS_MOBIL = 8
    HS_MESAJ = 9
    HS_EPOSTA = 10
    HS_CAGRI_MERKEZI = 11
    HS_SOSYAL_MEDYA = 12


class MoState(_WireEnum):
    """State of an incoming (MO) opt-out request."""

    FAILED = -2
    NO_MATCH = -1
    WAITING = 0
    PROCESSING = 1
    DONE = 2


class UserType(_WireEnum):
    """Account type in the reseller hierarchy."""

    DEALER = 1
    SUB_DEALER = 2
    STANDARD = 3
    SUB_USER = 4


class CustomerType(_WireEnum):
    """Legal kind of customer."""

    CORPORATE = 0
    INDIVIDUAL = 1


# --- the ints each enum takes ----------------------------------------------------------------
# Parameter types say ``status: PackageFilter | PackageFilterValue``: an IntEnum member is an
# int, so ``PackageFilter | int`` would let mypy pass a PackageState where a PackageFilter is
# meant; with the literal values a plain ``6`` still passes and another enum's member does not.
# (A test checks that these match the enums.)
OperatorValue: TypeAlias = Literal[0, 1, 2, 3]
SmsTypeValue: TypeAlias = Literal[0, 1, 2]
SendingTypeValue: TypeAlias = Literal[0, 1, 2]
EncodingValue: TypeAlias = Literal[0, 1, 2]
PeriodTypeValue: TypeAlias = Literal[0, 1, 2, 3, 4]
PackageFilterValue: TypeAlias = Literal[0, 1, 2, 3, 4, 5, 6, 7]
ContactFilterValue: TypeAlias = Literal[0, 1, 2]
ItemStateValue: TypeAlias = Literal[-2, -1, 0, 1, 2, 3, 4, 5]
SenderStatusValue: TypeAlias = Literal[0, 1, 2, 3]
IysStateValue: TypeAlias = Literal[-2, -1, 0, 1, 2, 3, 4]
IysRecipientTypeValue: TypeAlias = Literal[0, 1]
IysSourceValue: TypeAlias = Literal[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
