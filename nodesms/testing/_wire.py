"""The wire shapes of list answers, as msgspec Structs (fast to build and to encode).

Field names follow the gateway exactly, including its spelling ``isScheculed`` (sent beside
``isScheduled``, which the vendor's SDK reads: production clients read either).

All are ``gc=False``, and a package's ``senders`` list is shared between all packages of that
sender: a page makes six objects per package, and collectable ones would trigger the garbage
collector every few hundred packages, which then scans the young objects (the page being
built) again and again: that was about half of the gateway's CPU on a walk. They hold
strings, numbers and each other only, so no reference cycle can form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from nodesms.enums import ItemState, PackageState
from nodesms.testing._clock import format_wire
from nodesms.testing._model import Package
from nodesms.testing._params import operator_of

__all__ = ["ItemOut", "PackageOut", "package_items", "package_out", "page_of"]

T = TypeVar("T")
U = TypeVar("U")


class StatisticsOut(msgspec.Struct, rename={"r_count": "rCount"}, gc=False):
    """``statistics`` of a package."""

    total: int
    credit: int
    r_count: int
    delivered: int
    undelivered: int


class DateOut(msgspec.Struct, gc=False):
    """``{"date": ...}``."""

    date: str | None


class ProcessInfoOut(msgspec.Struct, gc=False):
    """``processInfo`` of a package."""

    create: DateOut
    update: DateOut


class PackageOut(
    msgspec.Struct,
    rename={
        "custom_id": "customID",
        "is_scheculed": "isScheculed",
        "is_scheduled": "isScheduled",
        "sending_date": "sendingDate",
        "processing_date": "processingDate",
        "process_info": "processInfo",
    },
    gc=False,
):
    """One ``/sms/list`` entry."""

    id: int
    custom_id: str | None
    type: int
    uuid: str
    error: str | None
    state: int
    title: str
    content: str
    senders: list[str]
    encoding: int
    validity: int
    statistics: StatisticsOut
    is_scheculed: int
    is_scheduled: int
    sending_date: str
    processing_date: str | None
    process_info: ProcessInfoOut


class ItemOut(
    msgspec.Struct,
    rename={
        "set_state": "setState",
        "sending_date": "sendingDate",
        "delivery_date": "deliveryDate",
        "processing_date": "processingDate",
    },
    gc=False,
):
    """One ``/sms/list-item`` entry."""

    id: str
    msg: str | None
    error: str | None
    credit: int
    state: int
    sender: str
    target: str
    set_state: int
    sending_date: str
    delivery_date: str | None
    processing_date: str | None
    xid: str | None
    operator: int


def package_out(pkg: Package) -> PackageOut:
    """The ``/sms/list`` form of a package."""
    processing = pkg.processing
    return PackageOut(
        pkg.id,
        pkg.custom_id,
        pkg.type,
        pkg.uuid,
        None,
        pkg.state,
        pkg.title,
        pkg.content,
        _senders(pkg.sender),
        pkg.encoding,
        pkg.validity,
        StatisticsOut(pkg.total, pkg.credit, len(pkg.numbers), pkg.delivered, pkg.undelivered),
        1 if pkg.scheduled else 0,
        1 if pkg.scheduled else 0,
        format_wire(pkg.sending_date),
        None if processing is None else format_wire(processing, True),
        ProcessInfoOut(DateOut(format_wire(pkg.created)), DateOut(format_wire(pkg.updated))),
    )


_SENDERS: dict[str, list[str]] = {}


def _senders(sender: str) -> list[str]:
    """``[sender]``, one list per sender (read only: encoded, never changed)."""
    shared = _SENDERS.get(sender)
    if shared is None:
        if len(_SENDERS) >= 1024:  # senders come from requests: keep the table bounded
            _SENDERS.clear()
        shared = _SENDERS[sender] = [sender]
    return shared


def delivery_date(pkg: Package, index: int) -> float | None:
    """``deliveryDate`` of an item: only delivered items have one (undelivered and expired
    ones are left empty, as in the vendor document's examples)."""
    if pkg.item_state(index) != ItemState.DELIVERED:
        return None
    return pkg.delivery_time(index)


def package_items(pkg: Package, indexes: Sequence[int]) -> list[ItemOut]:
    """The ``/sms/list-item`` form of some items of a package."""
    sending = format_wire(pkg.sending_date)
    processing = None if pkg.processing is None else format_wire(pkg.processing, True)
    state = int(PackageState(pkg.state))
    result = []
    for index in indexes:
        number = pkg.numbers[index]
        delivered = delivery_date(pkg, index)
        result.append(
            ItemOut(
                str(pkg.first_item_id + index),
                pkg.item_message(index),
                None,
                pkg.item_part_count(index),
                pkg.item_state(index),
                pkg.sender,
                number,
                state,
                sending,
                None if delivered is None else format_wire(delivered),
                processing,
                pkg.item_xid(index),
                int(operator_of(number)),
            )
        )
    return result


def page_of(
    rows: Sequence[T],
    index: int,
    size: int,
    render: Callable[[Sequence[T]], Sequence[U]] | None = None,
) -> dict[str, Any]:
    """``{"stats": {"totalRecord": n}, "list": [...]}`` for page ``index`` of ``rows``."""
    chunk = rows[index * size : (index + 1) * size]
    return {
        "stats": {"totalRecord": len(rows)},
        "list": render(chunk) if render is not None else chunk,
    }
