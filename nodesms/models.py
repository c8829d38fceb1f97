"""Typed results: frozen msgspec Structs decoded straight from the gateway's bytes.

Attributes are the snake_case of the wire names, mapped explicitly (``pkgID`` → ``pkg_id``,
``rCount`` → ``r_count``). Decoding is lenient the way real deployments need: numbers sent as
strings are accepted, unknown fields are ignored, unknown enum values are kept as int-valued
pseudo-members, and the gateway's zone-less local datetimes come back timezone-aware.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import Any, Generic, TypeVar, cast

import msgspec
from msgspec import field

from ._dates import parse_iso
from .enums import (
    Encoding,
    ItemState,
    IysRecipientType,
    IysRecipientTypeValue,
    IysSource,
    IysSourceValue,
    IysState,
    MoState,
    Operator,
    PackageState,
    PeriodType,
    PeriodTypeValue,
    SenderStatus,
    SmsType,
)

__all__ = [
    "Contact",
    "Credit",
    "Gateway",
    "GatewayDateTime",
    "Group",
    "GroupRef",
    "GroupStats",
    "InquiryRecord",
    "Iys",
    "IysStatus",
    "Message",
    "MoRequest",
    "NumericString",
    "Package",
    "PackageCreated",
    "PackageItem",
    "Page",
    "Periodic",
    "ProcessInfo",
    "Sender",
    "Serialisable",
    "Statistics",
    "Summary",
    "UserInfo",
]

T = TypeVar("T")


class _DateTimeMark(type):
    """Metaclass of a marker type: every instance of the base is an instance of the marker.

    msgspec calls a ``dec_hook`` only for types it cannot build itself, and then checks
    ``isinstance(result, type)``. With this, the hook returns a plain ``datetime`` or ``str``:
    the types ``msgspec.json.encode``, ``msgspec.to_builtins``, pickle, FastAPI and every other
    serialiser accept (msgspec's encoders refuse subclasses).
    """

    # The base's own check, a C method bound to it: msgspec asks once per decoded field (four
    # times per package of a page), and a Python method here cost a call each time.
    __instancecheck__ = datetime.__instancecheck__


class _StrMark(type):
    """:class:`_DateTimeMark` for ``str``."""

    __instancecheck__ = str.__instancecheck__


class GatewayDateTime(datetime, metaclass=_DateTimeMark):
    """The type of result fields that hold a time: a timezone-aware ``datetime`` in the
    gateway's zone (Europe/Istanbul unless configured).

    The gateway sends local times without a zone (``2021-05-04T01:38:20``); nodesms attaches the
    client's ``gateway_tz`` so that comparisons and conversions are correct. The values are
    plain ``datetime`` objects (``type(pkg.sending_date) is datetime``), so results serialise
    anywhere; this class only marks the fields that decoding puts in the gateway's zone.
    """

    __slots__ = ()


class NumericString(str, metaclass=_StrMark):
    """The type of result fields holding a ``str`` the gateway sometimes sends as a JSON number
    (item ids, phone numbers). The values are plain ``str``."""

    __slots__ = ()


_DATETIME_MEMO_SIZE = 2048


def _gateway_datetime(obj: Any, tz: tzinfo) -> datetime:
    """Any datetime the hook meets (aware ones, the SOAP path's parsed ones) in zone ``tz``."""
    if isinstance(obj, str):
        try:
            value = parse_iso(obj)
        except ValueError:
            raise msgspec.ValidationError(f"invalid datetime {obj[:40]!r}") from None
    elif isinstance(obj, datetime):
        value = obj
    else:
        raise msgspec.ValidationError(f"expected a datetime, got {type(obj).__name__}")
    if value.tzinfo is not None:
        return value.astimezone(tz)
    return value.replace(tzinfo=tz)


# ``datetime(<10-byte pickled state>, tzinfo)``: the constructor unpickling uses (C and
# pure-Python datetime alike), which copies the fields instead of validating seven arguments.
_from_state = cast(Callable[[bytes, tzinfo], datetime], datetime)


def dec_hook_for(tz: tzinfo) -> Callable[[type, Any], Any]:
    """Build the msgspec ``dec_hook`` that decodes gateway datetimes in zone ``tz``.

    Datetimes are the one part of a page that msgspec cannot build in C (they need the
    gateway's zone), so this is the hot path of decoding a report:

    - a page repeats the same timestamps (a package's items share its sending and processing
      dates; a package's create and sending dates often match), so the hook remembers the
      datetimes of the last texts it decoded (immutable values, safe to share; at most
      ``_DATETIME_MEMO_SIZE``, then it starts over);
    - the gateway's usual zone-less text is parsed in C and rebuilt with the zone from its
      pickled state, about three times cheaper than ``.replace(tzinfo=tz)``.
    """
    memo: dict[str, datetime] = {}
    fromisoformat = datetime.fromisoformat

    def dec_hook(type_: type, obj: Any) -> Any:
        if type_ is GatewayDateTime:
            if type(obj) is not str:
                return _gateway_datetime(obj, tz)
            value = memo.get(obj)
            if value is None:
                try:
                    # Any single separator is accepted: "2021-05-04 01:38:20" parses too.
                    parsed = fromisoformat(obj)
                except ValueError:
                    try:
                        parsed = parse_iso(obj)
                    except ValueError:
                        raise msgspec.ValidationError(f"invalid datetime {obj[:40]!r}") from None
                if parsed.tzinfo is None:
                    value = _from_state(cast(bytes, parsed.__reduce__()[1][0]), tz)
                else:
                    value = _gateway_datetime(parsed, tz)
                if len(memo) >= _DATETIME_MEMO_SIZE:
                    memo.clear()
                memo[obj] = value
            return value
        if type_ is NumericString:
            if type(obj) is str:
                return obj
            if isinstance(obj, (str, int)) and not isinstance(obj, bool):
                return str(obj) if isinstance(obj, int) else str.__str__(obj)
            raise msgspec.ValidationError(f"expected a string or number, got {type(obj).__name__}")
        raise NotImplementedError(type_)

    return dec_hook


class Serialisable:
    """``to_dict()`` for results; every result also works with ``msgspec.json.encode``,
    ``msgspec.to_builtins`` and ``pickle`` as it is."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """This result as JSON-ready builtins, keyed by attribute name.

        Nested results become dicts, datetimes ISO-8601 strings with their offset, enums their
        int values: what a FastAPI handler or ``json.dumps`` can return as it is.
        (``msgspec.to_builtins(result)`` gives the same values keyed by the gateway's names.)
        """
        return cast(dict[str, Any], _plain(self))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Let pydantic (FastAPI's ``response_model=list[nodesms.Package]``) take results
        as they are and serialise them with :meth:`to_dict`."""
        from pydantic_core import core_schema

        def check(value: Any) -> Any:
            if not isinstance(value, cls):
                raise ValueError(f"expected a nodesms.{cls.__name__}")
            return value

        return core_schema.no_info_plain_validator_function(
            check,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _plain, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        """An object schema for OpenAPI documents (the fields are those of ``to_dict``)."""
        return {"type": "object", "title": cls.__name__, "description": cls.__doc__ or ""}


def _plain(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        return {key: _plain(get(value)) for key, get in _fields_of(type(value))}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return msgspec.to_builtins(value)


_FIELD_PLANS: dict[type, list[tuple[str, Callable[[Any], Any]]]] = {}


def _fields_of(cls: type) -> list[tuple[str, Callable[[Any], Any]]]:
    """The attributes ``to_dict`` shows: public fields, and the public property in front of a
    private field (``Contact.groups`` for ``_groups``)."""
    plan = _FIELD_PLANS.get(cls)
    if plan is None:
        names: tuple[str, ...] = getattr(cls, "__struct_fields__", ())
        plan = []
        for name in names:
            shown = name.lstrip("_")
            if name.startswith("_") and (
                shown in names or not isinstance(getattr(cls, shown, None), property)
            ):
                continue
            plan.append((shown, operator.attrgetter(shown)))
        _FIELD_PLANS[cls] = plan
    return plan


class _Model(
    msgspec.Struct, Serialisable, frozen=True, kw_only=True, repr_omit_defaults=True, gc=False
):
    """Base of all result models: immutable, keyword-constructed.

    ``gc=False``: a decoded page holds thousands of models, and having the cyclic garbage
    collector track (and keep re-scanning) them cost about a quarter of a page walk's CPU
    time. Decoded JSON is a tree and the models are frozen, so they form no reference cycles
    (unless a caller appends a model to one of its own list fields, which would then leak).
    """


# --- paging ------------------------------------------------------------------------------


class Page(msgspec.Struct, Serialisable, Generic[T], frozen=True):
    """One page of a list endpoint.

    Attributes:
        items: the records on this page.
        total: the number of records matching the query (the gateway's ``stats.totalRecord``).
        page_index: 0-based index of this page.
        page_size: the page size asked for.
    """

    items: Sequence[T]
    total: int
    page_index: int
    page_size: int

    @property
    def has_next(self) -> bool:
        """True when a later page may hold more records."""
        return (self.page_index + 1) * self.page_size < self.total and len(
            self.items
        ) >= self.page_size


class _Stats(msgspec.Struct, frozen=True):
    total_record: int = field(default=0, name="totalRecord")


class ListData(msgspec.Struct, Generic[T], frozen=True):
    """Wire shape of every list response: ``{"stats": {"totalRecord": N}, "list": [...]}``."""

    items: list[T] | None = field(default=None, name="list")
    stats: _Stats = _Stats()


# --- inputs ------------------------------------------------------------------------------


class Message(
    msgspec.Struct,
    Serialisable,
    frozen=True,
    gc=False,
    omit_defaults=True,
    rename={"number": "nr", "text": "msg"},
):
    """One personalised message of a many-to-many send.

    Attributes:
        number: the recipient, in any form :func:`nodesms.normalize_number` accepts.
        text: the message for this recipient.
        xid: your own id for this recipient (up to 32 characters), echoed in reports.

    Like every nodesms type, ``msgspec`` encodes it with the gateway's names: ``nr``, ``msg``
    and ``xid`` (left out when ``None``), the item of a many-to-many request.
    """

    # The gateway's names: a bulk send whose messages need no change sends them as they are,
    # without making a wire copy of each. gc=False: a campaign makes one per recipient, and
    # each allocation of a collectable type counts towards the next garbage collection even
    # when nothing tracks it (a million messages cost about 1 µs each in collections). A
    # frozen struct of strings and ints cannot be part of a reference cycle.

    number: str | int
    text: str
    xid: str | None = None


class Periodic(msgspec.Struct, Serialisable, frozen=True):
    """Repetition settings of a package (``periodicSettings``).

    For ``PeriodType.ONCE`` the gateway sends ``amount`` messages every ``interval`` (both
    required; ``amount`` a multiple of 1000).
    """

    period_type: PeriodType | PeriodTypeValue
    interval: int | None = None
    amount: int | None = None


# --- /sms -------------------------------------------------------------------------------


class PackageCreated(msgspec.Struct, Serialisable, frozen=True, repr_omit_defaults=True):
    """Result of a create: the new package's id and the customID it carries.

    ``encoding`` is the encoding that went on the wire (useful with ``encoding="auto"``);
    ``None`` for operations where it does not apply.
    """

    pkg_id: int
    custom_id: str | None = None
    encoding: Encoding | None = None


class _PkgIdData(msgspec.Struct, frozen=True):
    pkg_id: int = field(name="pkgID")


class Statistics(_Model, frozen=True, kw_only=True):
    """Counters of a package: SMS parts, credit, recipients and delivery outcomes."""

    total: int = 0
    credit: int = 0
    r_count: int = field(default=0, name="rCount")
    delivered: int = 0
    undelivered: int = 0


class _DateInfo(_Model, frozen=True, kw_only=True):
    date: GatewayDateTime | None = None


class ProcessInfo(_Model, frozen=True, kw_only=True):
    """When the package record was created and last updated."""

    create: _DateInfo | None = None
    update: _DateInfo | None = None


class Package(_Model, frozen=True, kw_only=True):
    """An SMS package, as ``sms.list`` reports it."""

    id: int
    custom_id: str | None = field(default=None, name="customID")
    type: SmsType | None = None
    uuid: str | None = None
    error: str | int | None = None
    state: PackageState = PackageState.SAVING
    title: str | None = None
    content: str | None = None
    senders: list[str] | None = None
    encoding: Encoding | None = None
    validity: int | None = None
    statistics: Statistics = Statistics()
    is_scheduled: bool = field(default=False, name="isScheculed")
    sending_date: GatewayDateTime | None = field(default=None, name="sendingDate")
    processing_date: GatewayDateTime | None = field(default=None, name="processingDate")
    process_info: ProcessInfo | None = field(default=None, name="processInfo")
    # SOAP (and some JSON deployments) spell it correctly; folded into is_scheduled.
    _is_scheduled: bool | None = field(default=None, name="isScheduled")

    def __post_init__(self) -> None:
        if self._is_scheduled is not None:
            msgspec.structs.force_setattr(self, "is_scheduled", self._is_scheduled)
            # Reset so a package reads the same whichever spelling the gateway used.
            msgspec.structs.force_setattr(self, "_is_scheduled", None)

    @property
    def pkg_id(self) -> int:
        """The package id (alias of ``id``, matching the ``pkg_id`` parameters)."""
        return self.id


class PackageItem(_Model, frozen=True, kw_only=True):
    """One recipient of a package, as ``sms.list_item`` reports it."""

    id: NumericString
    target: NumericString
    state: ItemState = ItemState.WAITING
    msg: str | None = None
    error: str | int | None = None
    credit: int = 0
    sender: str | None = None
    set_state: int | None = field(default=None, name="setState")
    operator: Operator | None = None
    xid: str | None = None
    sending_date: GatewayDateTime | None = field(default=None, name="sendingDate")
    delivery_date: GatewayDateTime | None = field(default=None, name="deliveryDate")
    processing_date: GatewayDateTime | None = field(default=None, name="processingDate")


class Sender(_Model, frozen=True, kw_only=True):
    """An alphanumeric sender name of the account.

    ``gateways``: the uuids of the :class:`Gateway` routes that carry it, on deployments that
    report them (``None`` elsewhere).
    """

    title: str
    uuid: str | None = None
    status: SenderStatus = SenderStatus.PENDING
    gateways: list[str] | None = None


class Gateway(_Model, frozen=True, kw_only=True):
    """One of the account's delivery routes (``sms.list_gateway``; undocumented, seen on
    production deployments).

    Attributes:
        uuid: the route's id.
        sms_type: the kind of traffic it carries (OTP routes carry ``SmsType.OTP``).
        operator: the operator it delivers to.
        sub_provider: the upstream provider's name, where the deployment shows it.
        is_otp: whether it carries OTP traffic.
        sim_change_control: whether it can check for a recent SIM change (``trust_date``).
        senders: the sender names it carries.
    """

    uuid: str
    sms_type: SmsType | None = field(default=None, name="smsType")
    operator: Operator | None = None
    sub_provider: str | None = field(default=None, name="subProvider")
    is_otp: bool = field(default=False, name="isOTP")
    sim_change_control: bool = field(default=False, name="simChangeControl")
    senders: list[str] | None = None


class _StatusData(msgspec.Struct, frozen=True):
    status: int | bool = 1


class Summary(_Model, frozen=True, kw_only=True):
    """Totals over sent packages (``sms.summary``).

    ``total`` counts SMS parts × recipients, ``pending`` parts handed to operators without a
    report yet, ``r_count`` recipients, ``credit`` credit reserved.
    """

    total: int = 0
    delivered: int = 0
    undelivered: int = 0
    pending: int = 0
    r_count: int = field(default=0, name="rCount")
    credit: int = 0


class InquiryRecord(_Model, frozen=True, kw_only=True):
    """One message sent to the inquired number (``sms.inquiry_number``)."""

    pkg_id: int = field(name="pkgID")
    user_uuid: str | None = field(default=None, name="userUUID")
    username: str | None = None
    sender: str | None = None
    encoding: Encoding | None = None
    validity: int | None = None
    sending_date: GatewayDateTime | None = field(default=None, name="sendingDate")
    pkg_type: SmsType | None = field(default=None, name="pkgType")
    state: ItemState | None = None
    msg: str | None = None
    operator: Operator | None = None
    delivery_date: GatewayDateTime | None = field(default=None, name="deliveryDate")


# --- /user -------------------------------------------------------------------------------


class Credit(_Model, frozen=True, kw_only=True):
    """The account's credit balance."""

    credit: float


# --- /contact and /mo --------------------------------------------------------------------


class Iys(msgspec.Struct, Serialisable, frozen=True, kw_only=True):
    """IYS (İleti Yönetim Sistemi) permission settings sent with a contact (``iys``).

    Attributes:
        c: the recipient type, an :class:`~nodesms.IysRecipientType`.
        src: where the permission came from, an :class:`~nodesms.IysSource`.
            ``IysSource.HS_KARAR`` may not be used when a permission is first added
            (``contact.create`` refuses it).
        send: synchronise with IYS now (on updates: sync again).
        query_call: also query the call permission (informative only).
        query_email: also query the e-mail permission (needs an ``EMAIL`` custom field).
    """

    c: IysRecipientType | IysRecipientTypeValue
    src: IysSource | IysSourceValue
    send: bool
    query_call: bool | None = None
    query_email: bool | None = None


class IysStatus(_Model, frozen=True, kw_only=True):
    """A contact's IYS permission as the gateway reports it (``iys {c, st, src, send}``).

    The attributes keep the wire's short names; ``recipient_type``, ``state`` and ``source``
    are readable aliases.
    """

    c: IysRecipientType | None = None
    st: IysState | None = None
    src: IysSource | None = None
    send: bool = False

    @property
    def recipient_type(self) -> IysRecipientType | None:
        """The recipient type (alias of ``c``)."""
        return self.c

    @property
    def state(self) -> IysState | None:
        """The IYS state (alias of ``st``)."""
        return self.st

    @property
    def source(self) -> IysSource | None:
        """The permission source (alias of ``src``)."""
        return self.src


class GroupRef(_Model, frozen=True, kw_only=True):
    """A group a contact belongs to (or a group's parent): its uuid and, when sent, title."""

    uuid: str
    title: str | None = None


class Contact(_Model, frozen=True, kw_only=True):
    """A contact of the address book (``contact.create``, ``contact.list``).

    ``details`` holds the custom fields (``{"GSM_2": "905001234561", "CITY": "İzmir"}``);
    ``groups`` the groups it belongs to, ``group_uuids`` just their uuids.
    """

    uuid: str
    gsm: NumericString
    first_name: str | None = field(default=None, name="firstName")
    last_name: str | None = field(default=None, name="lastName")
    details: dict[str, Any] | None = None
    is_in_blacklist: bool = field(default=False, name="isInBlacklist")
    iys: IysStatus | None = None
    # Deployments send group uuids, group objects or null: read all of them, expose GroupRefs.
    _groups: list[str | GroupRef] | None = field(default=None, name="groups")

    @property
    def groups(self) -> list[GroupRef]:
        """The groups the contact belongs to (empty when none)."""
        return [GroupRef(uuid=g) if isinstance(g, str) else g for g in self._groups or ()]

    @property
    def group_uuids(self) -> list[str]:
        """The uuids of the contact's groups."""
        return [g if isinstance(g, str) else g.uuid for g in self._groups or ()]


class GroupStats(_Model, frozen=True, kw_only=True):
    """Counters of a contact group."""

    contact_count: int = field(default=0, name="contactCount")


class Group(_Model, frozen=True, kw_only=True):
    """A contact group (``contact.create_group``, ``contact.list_group``)."""

    uuid: str
    title: str | None = None
    stats: GroupStats = GroupStats()
    is_parent: bool = field(default=False, name="isParent")
    is_shared: bool = field(default=False, name="isShared")
    parent_info: GroupRef | None = field(default=None, name="parentInfo")

    @property
    def contact_count(self) -> int:
        """Contacts in the group (``stats.contact_count``)."""
        return self.stats.contact_count

    @property
    def parent_uuid(self) -> str | None:
        """The parent group's uuid, if the group has one."""
        return None if self.parent_info is None else self.parent_info.uuid


class UserInfo(_Model, frozen=True, kw_only=True):
    """The user of the account hierarchy a record belongs to."""

    uuid: str | None = None
    username: str | None = None


class MoRequest(_Model, frozen=True, kw_only=True):
    """An opt-out (MO) message received on a short number (``mo.list_request``).

    When its ``keyword`` matched (``state`` is ``MoState.DONE``) the gateway blacklisted
    ``gsm``. ``process_info.create.date`` is when it was received.
    """

    uuid: str
    gsm: NumericString
    msg: str | None = None
    state: MoState = MoState.WAITING
    keyword: str | None = None
    short_nr: NumericString | None = field(default=None, name="shortNr")
    user_info: UserInfo | None = field(default=None, name="userInfo")
    process_info: ProcessInfo | None = field(default=None, name="processInfo")


class _InvalidsData(msgspec.Struct, frozen=True):
    status: int = 1
    invalids: list[NumericString] | None = None
