"""The simulator's records: packages (with their items), contacts, groups, MO requests.

Records are ``__slots__`` classes so that hundreds of thousands of seeded packages stay small.
A package keeps its items column-wise: the recipient numbers, an optional array of item
states (absent while every item shares ``uniform_state``), and optional per-item texts,
``xid``\\ s and part counts (absent when every item has the package's ``content``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from typing import Any, overload

from nodesms.enums import ItemState, PackageState

__all__ = [
    "REPORT_BASE",
    "Contact",
    "GeneratedNumbers",
    "Group",
    "ImportResult",
    "MoRequest",
    "Package",
    "Sender",
]

REPORT_BASE = 2.0
"""Seconds from "sent" to the first delivery report; item ``i`` is reported ``i % 4`` later."""

_FINAL_ITEM = frozenset(int(s) for s in ItemState if s.is_final)
_DELIVERED = int(ItemState.DELIVERED)
_CANCELLED = int(ItemState.CANCELLED)


class GeneratedNumbers(Sequence[str]):
    """``count`` synthetic Turkcell numbers ``90532xxxxxxx`` starting at ``start`` (no storage)."""

    __slots__ = ("_first", "_size")

    def __init__(self, start: int, count: int) -> None:
        self._first = start
        self._size = count

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._size))]
        if index < 0:
            index += self._size
        if not 0 <= index < self._size:
            raise IndexError(index)
        return f"90532{(self._first + index) % 10_000_000:07d}"

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(self._size))


class Package:
    """One SMS package and its items.

    Public, read-only for tests: ``id``, ``uuid``, ``custom_id``, ``type``, ``sending_type``,
    ``sender``, ``title``, ``content``, ``encoding``, ``validity``, ``numbers`` (normalised),
    ``messages`` (per-item texts or ``None``), ``xids``, ``state``, ``created``,
    ``sending_date``, ``scheduled``, ``periodic``, ``push_url``, ``commercial``, ``trust_date``
    (times are gateway seconds; see :meth:`FakeGateway.to_datetime
    <nodesms.testing.FakeGateway.to_datetime>`), and the statistics ``total``, ``credit``,
    ``delivered``, ``undelivered``.
    """

    __slots__ = (
        "commercial",
        "content",
        "created",
        "credit",
        "custom_id",
        "delivered",
        "encoding",
        "first_item_id",
        "id",
        "item_parts",
        "item_states",
        "messages",
        "numbers",
        "parts",
        "periodic",
        "processing",
        "push_url",
        "scheduled",
        "sender",
        "sending_date",
        "sending_type",
        "state",
        "title",
        "total",
        "trust_date",
        "type",
        "undelivered",
        "uniform_state",
        "updated",
        "uuid",
        "validity",
        "xids",
    )

    def __init__(
        self,
        *,
        id: int,
        uuid: str,
        type: int,
        sending_type: int,
        sender: str,
        title: str,
        content: str,
        encoding: int,
        validity: int,
        numbers: Sequence[str],
        parts: int,
        created: float,
        sending_date: float,
        first_item_id: int,
        messages: list[str] | None = None,
        xids: list[str | None] | None = None,
        item_parts: array[int] | None = None,
        scheduled: bool = False,
        state: int = PackageState.QUEUEING,
        custom_id: str | None = None,
        periodic: dict[str, int] | None = None,
        push_url: str | None = None,
        commercial: bool = False,
        trust_date: float | None = None,
    ) -> None:
        self.id = id
        self.uuid = uuid
        self.custom_id = custom_id
        self.type = type
        self.sending_type = sending_type
        self.sender = sender
        self.title = title
        self.content = content
        self.encoding = encoding
        self.validity = validity
        self.numbers = numbers
        self.messages = messages
        self.xids = xids
        self.parts = parts
        self.item_parts = item_parts
        self.total = sum(item_parts) if item_parts is not None else parts * len(numbers)
        self.credit = self.total
        self.delivered = 0
        self.undelivered = 0
        self.created = created
        self.updated = created
        self.sending_date = sending_date
        self.scheduled = scheduled
        self.state = int(state)
        self.uniform_state: int = ItemState.WAITING
        self.item_states: array[int] | None = None
        self.first_item_id = first_item_id
        self.processing: float | None = None
        self.periodic = periodic
        self.push_url = push_url
        self.commercial = commercial
        self.trust_date = trust_date

    def clone(self) -> Package:
        """A shallow copy (used to stamp out seeded packages quickly)."""
        copy: Package = _new_package(Package)
        copy.commercial = self.commercial
        copy.content = self.content
        copy.created = self.created
        copy.credit = self.credit
        copy.custom_id = self.custom_id
        copy.delivered = self.delivered
        copy.encoding = self.encoding
        copy.first_item_id = self.first_item_id
        copy.id = self.id
        copy.item_parts = self.item_parts
        copy.item_states = self.item_states
        copy.messages = self.messages
        copy.numbers = self.numbers
        copy.parts = self.parts
        copy.periodic = self.periodic
        copy.processing = self.processing
        copy.push_url = self.push_url
        copy.scheduled = self.scheduled
        copy.sender = self.sender
        copy.sending_date = self.sending_date
        copy.sending_type = self.sending_type
        copy.state = self.state
        copy.title = self.title
        copy.total = self.total
        copy.trust_date = self.trust_date
        copy.type = self.type
        copy.undelivered = self.undelivered
        copy.uniform_state = self.uniform_state
        copy.updated = self.updated
        copy.uuid = self.uuid
        copy.validity = self.validity
        copy.xids = self.xids
        return copy

    def __repr__(self) -> str:
        return (
            f"Package(id={self.id}, state={PackageState(self.state).name}, "
            f"recipients={len(self.numbers)}, custom_id={self.custom_id!r})"
        )

    @property
    def r_count(self) -> int:
        """Number of recipients (items)."""
        return len(self.numbers)

    @property
    def is_final(self) -> bool:
        """True when the package will not change any more."""
        return PackageState(self.state).is_final

    def item_state(self, index: int) -> int:
        """State of item ``index``."""
        states = self.item_states
        return self.uniform_state if states is None else states[index]

    def item_states_list(self) -> list[ItemState]:
        """Every item's state, as :class:`ItemState`."""
        return [ItemState(self.item_state(i)) for i in range(len(self.numbers))]

    def set_all_items(self, state: int) -> None:
        """Put every item into ``state``."""
        self.item_states = None
        self.uniform_state = state

    def materialize_states(self) -> array[int]:
        """Per-item states, created from ``uniform_state`` on first need."""
        if self.item_states is None:
            self.item_states = array("b", [self.uniform_state]) * len(self.numbers)
        return self.item_states

    def item_part_count(self, index: int) -> int:
        """SMS parts (credit) of item ``index``."""
        return self.parts if self.item_parts is None else self.item_parts[index]

    def item_text(self, index: int) -> str:
        """The text item ``index`` carries."""
        return self.content if self.messages is None else self.messages[index]

    def item_message(self, index: int) -> str | None:
        """The per-item text (personalised sends), else ``None``."""
        return None if self.messages is None else self.messages[index]

    def item_xid(self, index: int) -> str | None:
        """The sender's own id for item ``index``, if given."""
        return None if self.xids is None else self.xids[index]

    def delivery_time(self, index: int) -> float | None:
        """When item ``index`` reached its final report (``None`` if not reported)."""
        state = self.item_state(index)
        if self.processing is None or state not in _FINAL_ITEM or state == _CANCELLED:
            return None
        return self.processing + REPORT_BASE + index % 4

    def parts_in(self, states: frozenset[int]) -> int:
        """Sum of the parts of the items whose state is in ``states``."""
        if self.item_states is None:
            return self.total if self.uniform_state in states else 0
        if self.item_parts is None:
            return self.parts * sum(1 for s in self.item_states if s in states)
        return sum(p for s, p in zip(self.item_states, self.item_parts, strict=True) if s in states)


_new_package = object.__new__


class Sender:
    """An alphanumeric sender name of the account."""

    __slots__ = ("status", "title", "uuid")

    def __init__(self, uuid: str, title: str, status: int) -> None:
        self.uuid = uuid
        self.title = title
        self.status = status

    def __repr__(self) -> str:
        return f"Sender({self.title!r}, status={self.status})"


class Contact:
    """A contact of the address book.

    ``groups`` holds group uuids; ``archived`` contacts (deleted without ``permanent``) are
    kept but never listed. ``iys`` is ``{"c", "st", "src", "send"}`` or ``None``.
    """

    __slots__ = (
        "archived",
        "blacklisted",
        "details",
        "first_name",
        "groups",
        "gsm",
        "iys",
        "last_name",
        "uuid",
    )

    def __init__(
        self,
        uuid: str,
        gsm: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        details: dict[str, Any] | None = None,
        groups: list[str] | None = None,
        blacklisted: bool = False,
        iys: dict[str, int] | None = None,
    ) -> None:
        self.uuid = uuid
        self.gsm = gsm
        self.first_name = first_name
        self.last_name = last_name
        self.details = details if details is not None else {}
        self.groups = groups if groups is not None else []
        self.blacklisted = blacklisted
        self.iys = iys
        self.archived = False

    def __repr__(self) -> str:
        return f"Contact({self.gsm!r}, uuid={self.uuid!r}, blacklisted={self.blacklisted})"


class Group:
    """A contact group; ``parent`` is the parent group's uuid."""

    __slots__ = ("parent", "title", "uuid")

    def __init__(self, uuid: str, title: str, parent: str | None = None) -> None:
        self.uuid = uuid
        self.title = title
        self.parent = parent

    def __repr__(self) -> str:
        return f"Group({self.title!r}, uuid={self.uuid!r}, parent={self.parent!r})"


class MoRequest:
    """An incoming (MO) message, e.g. ``RED`` sent to a short number."""

    __slots__ = ("gsm", "keyword", "msg", "received", "short_nr", "state", "uuid")

    def __init__(
        self,
        uuid: str,
        gsm: str,
        msg: str,
        keyword: str,
        short_nr: int,
        state: int,
        received: float,
    ) -> None:
        self.uuid = uuid
        self.gsm = gsm
        self.msg = msg
        self.keyword = keyword
        self.short_nr = short_nr
        self.state = state
        self.received = received

    def __repr__(self) -> str:
        return f"MoRequest({self.gsm!r}, {self.msg!r}, state={self.state})"


class ImportResult:
    """What a processed ``/contact/import`` did: rows created, updated, skipped as invalid."""

    __slots__ = ("created", "invalid", "rows", "updated")

    def __init__(self) -> None:
        self.rows = 0
        self.created = 0
        self.updated = 0
        self.invalid: list[str] = []

    def __repr__(self) -> str:
        return (
            f"ImportResult(rows={self.rows}, created={self.created}, updated={self.updated}, "
            f"invalid={len(self.invalid)})"
        )
