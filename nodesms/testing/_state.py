"""The gateway's in-memory state and the clock-driven simulation of sending.

Everything here is synchronous and runs on the event loop's thread, so each request's changes
are atomic. Time-driven changes are events on a heap, processed in time order by
:meth:`GatewayState.run_until` (the manual clock's ``advance()``, or the real clock's ticker).

Package lifecycle (times after creation, or after ``sendingDate`` for scheduled packages):

- created: package ``QUEUEING`` (``WAITING`` when scheduled), items ``WAITING``;
- +1 s: package ``SENDING``, items ``SENDING`` (cancelling is refused from here on);
- +2.25607 s: package ``SENT``, items ``SENT``; this is the items' ``processingDate``;
- reports: item ``i`` is reported 2 + ``i % 4`` seconds after that, ``DELIVERED``, or
  ``UNDELIVERED`` / ``EXPIRED`` by the configured shares (seeded RNG); the package is
  ``PARTLY_REPORTED`` until its last item is reported, then ``COMPLETED``, and its
  delivery report is pushed to ``pushSettings.url``.

Statistics count SMS parts: ``total`` = parts × recipients, ``delivered`` / ``undelivered``
the parts of delivered / failed (undelivered, expired, rejected) items, ``credit`` the
credit charged (zero once a cancellation refunded it).
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import heapq
import random
import uuid as uuid_module
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from nodesms.enums import ItemState, MoState, PackageFilter, PackageState, SenderStatus
from nodesms.testing._clock import Clock, format_wire
from nodesms.testing._errors import GatewayError
from nodesms.testing._model import (
    REPORT_BASE,
    Contact,
    GeneratedNumbers,
    Group,
    ImportResult,
    MoRequest,
    Package,
    Sender,
)

__all__ = ["FIRST_PACKAGE_ID", "GatewayState", "ListFilter", "Submission"]

FIRST_PACKAGE_ID = 100_001
FIRST_ITEM_ID = 12_345_678_910
START_DELAY = 1.0
SENT_DELAY = 1.25607

_EV_START, _EV_SENT, _EV_REPORT, _EV_CALL = range(4)
_FAILED_ITEM = frozenset({int(ItemState.UNDELIVERED), int(ItemState.EXPIRED), -1})
_DELIVERED_ITEM = frozenset({int(ItemState.DELIVERED)})
_PENDING_ITEM = frozenset({int(ItemState.SENDING), int(ItemState.SENT)})
_CANCELLED_ITEM = frozenset({int(ItemState.CANCELLED)})
_NOT_STARTED = frozenset({int(PackageState.SAVING), int(PackageState.WAITING), 2})
_created_key = attrgetter("created")


@dataclass(frozen=True)
class Submission:
    """A validated create request, ready to become a package."""

    type: int
    sending_type: int
    sender: str
    title: str
    content: str
    encoding: int
    validity: int
    numbers: list[str]
    parts: int
    item_parts: list[int] | None = None
    messages: list[str] | None = None
    xids: list[str | None] | None = None
    sending_date: float | None = None
    periodic: dict[str, int] | None = None
    push_url: str | None = None
    commercial: bool = False
    custom_id: str | None = None
    trust_date: float | None = None


@dataclass(frozen=True)
class ListFilter:
    """Filters of ``/sms/list`` (dates are gateway seconds, already widened to the minute)."""

    ids: tuple[int, ...] | None = None
    custom_ids: tuple[str, ...] | None = None
    keyword: str | None = None
    sender: str | None = None
    status: int = 0
    start: float | None = None
    finish: float | None = None


class GatewayState:
    """All data of the simulated account, and the simulation engine."""

    def __init__(
        self,
        *,
        clock: Clock,
        username: str,
        credit: int,
        senders: dict[str, int],
        otp_senders: Iterable[str] = (),
        duplicate_window: float | None,
        undelivered_rate: float,
        expired_rate: float,
        seed: int | None,
        mo_keywords: Sequence[str],
        import_delay: float,
    ) -> None:
        if (
            not 0.0 <= undelivered_rate + expired_rate <= 1.0
            or min(undelivered_rate, expired_rate) < 0
        ):
            raise ValueError("undelivered_rate and expired_rate must be shares summing to ≤ 1")
        self.clock = clock
        self.username = username
        self.credit = credit
        self.duplicate_window = duplicate_window
        self.undelivered_rate = undelivered_rate
        self.expired_rate = expired_rate
        self.rng = random.Random(seed)
        self.user_id = 1001
        self.user_uuid = self.new_uuid()
        self.senders: dict[str, Sender] = {}
        for title, status in senders.items():
            self.add_sender(title, status)
        self.otp_senders: set[str] = set(otp_senders)
        """Senders approved for ``/sms/create-otp`` (they must be approved senders too)."""
        self.mo_keywords = tuple(k.upper() for k in mo_keywords)
        self.import_delay = import_delay
        self.packages: list[Package] = []
        self.by_custom_id: dict[str, Package] = {}
        self._recent: dict[bytes, float] = {}
        self._events: list[tuple[float, int, int, Any]] = []
        self._seq = 0
        self._next_item_id = FIRST_ITEM_ID
        self._next_seed_number = 0
        self.version = 0
        self._list_cache: dict[ListFilter, tuple[int, list[Package]]] = {}
        self.outbox: list[tuple[str, dict[str, Any]]] = []
        self.contacts: dict[str, Contact] = {}
        self.by_gsm: dict[str, Contact] = {}
        self.groups: dict[str, Group] = {}
        self.mo_requests: list[MoRequest] = []
        self.pending_import: Callable[[], None] | None = None
        self.imports: list[ImportResult] = []
        self.delete_group_running = False
        self.delete_group_duration = 0.05
        self.ip_restriction = True

    # -- identifiers -------------------------------------------------------------------------

    def new_uuid(self) -> str:
        """A random (seeded) version-4 uuid string."""
        return str(uuid_module.UUID(int=self.rng.getrandbits(128), version=4))

    def add_sender(self, title: str, status: int = SenderStatus.APPROVED) -> Sender:
        """Add (or change the status of) a sender name."""
        sender = self.senders.get(title)
        if sender is None:
            sender = self.senders[title] = Sender(self.new_uuid(), title, int(status))
        sender.status = int(status)
        return sender

    # -- packages ----------------------------------------------------------------------------

    def package(self, pkg_id: int) -> Package | None:
        """The package with this id, if any."""
        index = pkg_id - FIRST_PACKAGE_ID
        if 0 <= index < len(self.packages):
            return self.packages[index]
        return None

    def find_package(
        self, pkg_id: int | None = None, uuid: str | None = None, custom_id: str | None = None
    ) -> Package:
        """Look a package up by id, uuid or customID (SMS06 when there is none)."""
        found: Package | None = None
        if pkg_id is not None:
            found = self.package(pkg_id)
        elif custom_id is not None:
            found = self.by_custom_id.get(custom_id)
        elif uuid is not None:
            wanted = uuid.lower()
            found = next((p for p in reversed(self.packages) if p.uuid == wanted), None)
        if found is None:
            raise GatewayError("ERR_SMS_PKG_NOT_FOUND")
        return found

    def _duplicate_key(self, sub: Submission) -> bytes:
        digest = hashlib.blake2b(digest_size=16)
        texts = sub.messages or [sub.content] * len(sub.numbers)
        for number, text in sorted(zip(sub.numbers, texts, strict=True)):
            digest.update(number.encode() + b"\0" + text.encode() + b"\1")
        return digest.digest()

    def submit(self, sub: Submission, *, check_duplicate: bool) -> Package:
        """Create a package: customID, duplicate and credit checks, then charge and schedule.

        Raises:
            GatewayError: SMS42 (customID taken), ERR_SMS_PKG_DUPLICATION, SMS18 (credit).
        """
        now = self.clock.now()
        if sub.custom_id is not None and sub.custom_id in self.by_custom_id:
            raise GatewayError("ERR_SMS_PKG_CUSTOM_ID_DUPLICATION")
        key = b""
        if check_duplicate and self.duplicate_window is not None:
            key = self._duplicate_key(sub)
            last = self._recent.get(key)
            if last is not None and now - last < self.duplicate_window:
                raise GatewayError("ERR_SMS_PKG_DUPLICATION")
        cost = sum(sub.item_parts) if sub.item_parts is not None else sub.parts * len(sub.numbers)
        if cost > self.credit:
            raise GatewayError("ERR_USER_CREDIT_REQUIRED", f"gereken {cost}, mevcut {self.credit}")
        self.credit -= cost
        if key:
            self._prune_recent(now)
            self._recent[key] = now
        scheduled = sub.sending_date is not None and sub.sending_date > now
        pkg = Package(
            id=FIRST_PACKAGE_ID + len(self.packages),
            uuid=self.new_uuid(),
            type=sub.type,
            sending_type=sub.sending_type,
            sender=sub.sender,
            title=sub.title,
            content=sub.content,
            encoding=sub.encoding,
            validity=sub.validity,
            numbers=sub.numbers,
            parts=sub.parts,
            item_parts=array("H", sub.item_parts) if sub.item_parts is not None else None,
            messages=sub.messages,
            xids=sub.xids,
            created=now,
            sending_date=sub.sending_date if scheduled and sub.sending_date else now,
            scheduled=scheduled,
            state=PackageState.WAITING if scheduled else PackageState.QUEUEING,
            first_item_id=self._take_item_ids(len(sub.numbers)),
            custom_id=sub.custom_id,
            periodic=sub.periodic,
            push_url=sub.push_url,
            commercial=sub.commercial,
            trust_date=sub.trust_date,
        )
        self._append(pkg)
        self._schedule(pkg.sending_date + START_DELAY, _EV_START, (pkg, 0))
        return pkg

    def _prune_recent(self, now: float) -> None:
        if len(self._recent) > 10_000 and self.duplicate_window is not None:
            horizon = now - self.duplicate_window
            self._recent = {k: t for k, t in self._recent.items() if t >= horizon}

    def _take_item_ids(self, count: int) -> int:
        first = self._next_item_id
        self._next_item_id += count
        return first

    def _append(self, pkg: Package) -> None:
        self.packages.append(pkg)
        if pkg.custom_id is not None:
            self.by_custom_id[pkg.custom_id] = pkg
        self.version += 1

    def cancel(self, pkg: Package) -> None:
        """Cancel a package that has not started sending; refund its credit (else SMS07)."""
        if pkg.state not in _NOT_STARTED:
            raise GatewayError("ERR_SMS_PKG_NOT_CHANGEABLE")
        self.credit += pkg.credit
        pkg.credit = 0
        pkg.state = PackageState.CANCELLED
        pkg.set_all_items(ItemState.CANCELLED)
        pkg.updated = self.clock.now()
        self.version += 1
        self._push(pkg)

    def recreate(self, pkg: Package, title: str) -> Package:
        """Send a final package again as a new one (SMS07 unless completed or failed)."""
        if pkg.state not in (PackageState.COMPLETED, -3, -2, -1):
            raise GatewayError("ERR_SMS_PKG_NOT_CHANGEABLE")
        sub = Submission(
            type=pkg.type,
            sending_type=pkg.sending_type,
            sender=pkg.sender,
            title=title,
            content=pkg.content,
            encoding=pkg.encoding,
            validity=pkg.validity,
            numbers=list(pkg.numbers),
            parts=pkg.parts,
            item_parts=list(pkg.item_parts) if pkg.item_parts is not None else None,
            messages=list(pkg.messages) if pkg.messages is not None else None,
            xids=list(pkg.xids) if pkg.xids is not None else None,
            push_url=pkg.push_url,
            commercial=pkg.commercial,
        )
        return self.submit(sub, check_duplicate=False)

    def seed_packages(
        self,
        count: int,
        *,
        content: str,
        sender: str,
        title: str,
        recipients: int,
        parts: int,
        encoding: int,
        state: PackageState,
        charge: bool,
    ) -> list[Package]:
        """Append ``count`` packages directly (see :meth:`FakeGateway.seed_packages`)."""
        final = PackageState(state).is_final
        if not final and state != PackageState.QUEUEING:
            raise ValueError("seed state must be a final state or QUEUEING")
        cost = parts * recipients * count
        if charge:
            if cost > self.credit:
                raise ValueError(f"not enough credit to seed: {cost} > {self.credit}")
            self.credit -= cost
        now = self.clock.now()
        processing = now - 10.0
        item_state = {
            PackageState.COMPLETED: ItemState.DELIVERED,
            PackageState.CANCELLED: ItemState.CANCELLED,
            PackageState.REJECTED: ItemState.REJECTED,
        }.get(state, ItemState.UNDELIVERED if final else ItemState.WAITING)
        template = Package(
            id=0,
            uuid="",
            type=1,
            sending_type=0 if recipients == 1 else 1,
            sender=sender,
            title=title,
            content=content,
            encoding=encoding,
            validity=1440,
            numbers=GeneratedNumbers(0, recipients),
            parts=parts,
            created=now,
            sending_date=now,
            first_item_id=0,
            state=state,
        )
        if final:
            template.uniform_state = int(item_state)
            template.processing = processing
            if item_state == ItemState.DELIVERED:
                template.delivered = template.total
            elif item_state == ItemState.CANCELLED:
                template.credit = 0
            else:
                template.undelivered = template.total
        made: list[Package] = []
        gc_was_enabled = gc.isenabled()
        gc.disable()  # hundreds of thousands of new objects: collections would dominate
        try:
            self._stamp(template, count, recipients, final, made)
        finally:
            if gc_was_enabled:
                gc.enable()
        self.version += 1
        return made

    def _stamp(
        self, template: Package, count: int, recipients: int, final: bool, made: list[Package]
    ) -> None:
        now = template.created
        getrandbits = self.rng.getrandbits
        append = self.packages.append
        next_id = FIRST_PACKAGE_ID + len(self.packages)
        for serial in range(count):
            pkg = template.clone()
            pkg.id = next_id + serial
            bits = f"{getrandbits(128):032x}"
            pkg.uuid = (
                f"{bits[:8]}-{bits[8:12]}-4{bits[13:16]}-"
                f"{'89ab'[int(bits[16], 16) & 3]}{bits[17:20]}-{bits[20:]}"
            )
            pkg.numbers = GeneratedNumbers(self._next_seed_number, recipients)
            self._next_seed_number += recipients
            pkg.first_item_id = self._next_item_id
            self._next_item_id += recipients
            if not final:
                self._schedule(now + START_DELAY, _EV_START, (pkg, 0))
            append(pkg)
            made.append(pkg)

    # -- listing -----------------------------------------------------------------------------

    def in_period(self, start: float | None, finish: float | None) -> Sequence[Package]:
        """Packages created in ``[start, finish)`` (ascending id); creation times only grow."""
        packages = self.packages
        lo = 0 if start is None else bisect.bisect_left(packages, start, key=_created_key)
        hi = (
            len(packages)
            if finish is None
            else bisect.bisect_left(packages, finish, key=_created_key)
        )
        return packages[lo:hi] if (lo, hi) != (0, len(packages)) else packages

    def list_packages(self, flt: ListFilter) -> list[Package]:
        """Packages matching ``flt``, newest first (cached until anything changes)."""
        cached = self._list_cache.get(flt)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        candidates: Sequence[Package]
        checks: list[Callable[[Package], bool]] = []
        if flt.ids is not None:
            found = (self.package(i) for i in flt.ids)
            candidates = sorted({p.id: p for p in found if p}.values(), key=attrgetter("id"))
            lo = flt.start if flt.start is not None else float("-inf")
            hi = flt.finish if flt.finish is not None else float("inf")
            checks.append(lambda p: lo <= p.created < hi)
        else:
            candidates = self.in_period(flt.start, flt.finish)
        if flt.custom_ids is not None:
            wanted = set(flt.custom_ids)
            checks.append(lambda p: p.custom_id in wanted)
        if flt.keyword:
            keyword = flt.keyword.casefold()
            checks.append(lambda p: keyword in p.content.casefold())
        if flt.sender:
            sender = flt.sender
            checks.append(lambda p: p.sender == sender)
        if flt.status:
            status = flt.status
            checks.append(lambda p: matches_status(p, status))
        if checks:
            result = [p for p in reversed(candidates) if all(check(p) for check in checks)]
        else:
            result = list(reversed(candidates))
        if len(self._list_cache) >= 16:
            self._list_cache.clear()
        self._list_cache[flt] = (self.version, result)
        return result

    # -- the clock ---------------------------------------------------------------------------

    def _schedule(self, when: float, kind: int, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._events, (when, self._seq, kind, payload))

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` when the clock has moved ``delay`` seconds on."""
        self._schedule(self.clock.now() + delay, _EV_CALL, action)

    def run_until(self, when: float) -> None:
        """Process every event due at or before ``when``, in time order."""
        events = self._events
        while events and events[0][0] <= when:
            at, _, kind, payload = heapq.heappop(events)
            if kind == _EV_CALL:
                payload()
            else:
                self._step(kind, payload[0], payload[1], at)

    def _step(self, kind: int, pkg: Package, group: int, at: float) -> None:
        if pkg.state == PackageState.CANCELLED:
            return
        self.version += 1
        pkg.updated = at
        if kind == _EV_START:
            pkg.state = PackageState.SENDING
            pkg.set_all_items(ItemState.SENDING)
            self._schedule(at + SENT_DELAY, _EV_SENT, (pkg, 0))
        elif kind == _EV_SENT:
            pkg.state = PackageState.SENT
            pkg.processing = at
            pkg.set_all_items(ItemState.SENT)
            for report in range(min(4, len(pkg.numbers))):
                self._schedule(at + REPORT_BASE + report, _EV_REPORT, (pkg, report))
        else:
            self._report(pkg, group)

    def _report(self, pkg: Package, group: int) -> None:
        count = len(pkg.numbers)
        u_rate, e_rate = self.undelivered_rate, self.expired_rate
        delivered = int(ItemState.DELIVERED)
        if count == 1 and not (u_rate or e_rate):
            pkg.uniform_state = delivered
        else:
            states = pkg.materialize_states()
            if not (u_rate or e_rate):
                states[group::4] = array("b", [delivered]) * len(range(group, count, 4))
            else:
                draw = self.rng.random
                for index in range(group, count, 4):
                    roll = draw()
                    if roll < u_rate:
                        states[index] = ItemState.UNDELIVERED
                    elif roll < u_rate + e_rate:
                        states[index] = ItemState.EXPIRED
                    else:
                        states[index] = delivered
        pkg.delivered = pkg.parts_in(_DELIVERED_ITEM)
        pkg.undelivered = pkg.parts_in(_FAILED_ITEM)
        if group == min(4, count) - 1:
            pkg.state = PackageState.COMPLETED
            self._push(pkg)
        else:
            pkg.state = PackageState.PARTLY_REPORTED

    def _push(self, pkg: Package) -> None:
        if pkg.push_url:
            self.outbox.append((pkg.push_url, self.push_report(pkg)))

    def push_report(self, pkg: Package) -> dict[str, Any]:
        """The delivery-report push for a package (the format REFERENCE.md infers)."""
        items = []
        for index, number in enumerate(pkg.numbers):
            last = pkg.delivery_time(index)
            items.append(
                {
                    "id": str(pkg.first_item_id + index),
                    "nr": number,
                    "status": pkg.item_state(index),
                    "lastUpdate": format_wire(last if last is not None else pkg.updated),
                }
            )
        return {
            "pkg": {
                "id": pkg.id,
                "state": pkg.state,
                "statistics": {
                    "total": pkg.total,
                    "delivered": pkg.delivered,
                    "undelivered": pkg.undelivered,
                },
            },
            "items": items,
            "userID": self.user_id,
        }

    # -- contacts ----------------------------------------------------------------------------

    def add_contact(self, gsm: str, **fields: Any) -> Contact:
        """Create a contact (SMS12 if an active one has this gsm)."""
        if gsm in self.by_gsm:
            raise GatewayError("ERR_CONTACT_ALREADY_EXISTS")
        contact = Contact(self.new_uuid(), gsm, **fields)
        self.contacts[contact.uuid] = contact
        self.by_gsm[gsm] = contact
        return contact

    def active_contact(self, uuid: str) -> Contact | None:
        """A contact that is neither archived nor deleted."""
        contact = self.contacts.get(uuid)
        return contact if contact is not None and not contact.archived else None

    def archive_contact(self, contact: Contact, *, permanent: bool) -> None:
        """Delete a contact: to the archive, or for good."""
        if self.by_gsm.get(contact.gsm) is contact:
            del self.by_gsm[contact.gsm]
        contact.groups = []
        contact.archived = True
        if permanent:
            del self.contacts[contact.uuid]

    def set_blacklisted(self, gsm: str, status: bool) -> Contact:
        """Blacklist (or clear) a number, creating the contact when it is not in the book."""
        contact = self.by_gsm.get(gsm)
        if contact is None:
            contact = self.add_contact(gsm)
        contact.blacklisted = status
        return contact

    def group_contact_counts(self) -> dict[str, int]:
        """Active contacts per group uuid."""
        counts: dict[str, int] = {}
        for contact in self.contacts.values():
            if not contact.archived:
                for group in contact.groups:
                    counts[group] = counts.get(group, 0) + 1
        return counts

    # -- MO ----------------------------------------------------------------------------------

    def receive_mo(self, gsm: str, msg: str, keyword: str | None, short_nr: int) -> MoRequest:
        """Record an incoming message; a configured keyword blacklists the number."""
        word = (keyword or (msg.split() or [""])[0]).upper()
        matched = word in self.mo_keywords
        if matched:
            self.set_blacklisted(gsm, True)
        request = MoRequest(
            self.new_uuid(),
            gsm,
            msg,
            word,
            short_nr,
            MoState.DONE if matched else MoState.NO_MATCH,
            self.clock.now(),
        )
        self.mo_requests.append(request)
        return request


def matches_status(pkg: Package, status: int) -> bool:
    """Whether a package matches a ``/sms/list`` status filter (:class:`PackageFilter`).

    QUEUED: saving, waiting or queueing and not scheduled for later; PROCESSING: sending, sent
    or partly reported; SCHEDULED: a future ``sendingDate`` not yet started; PERIODIC: has
    periodic settings; COMPLETED: completed; CANCELLED: cancelled; FAILED: rejected, creation
    or sending failed. ALL (0) and unknown values match everything.
    """
    state = pkg.state
    if status == PackageFilter.QUEUED:
        return state in _NOT_STARTED and not pkg.scheduled
    if status == PackageFilter.PROCESSING:
        return state in (PackageState.SENDING, PackageState.SENT, PackageState.PARTLY_REPORTED)
    if status == PackageFilter.SCHEDULED:
        return pkg.scheduled and state in _NOT_STARTED
    if status == PackageFilter.PERIODIC:
        return pkg.periodic is not None
    if status == PackageFilter.COMPLETED:
        return state == PackageState.COMPLETED
    if status == PackageFilter.CANCELLED:
        return state == PackageState.CANCELLED
    if status == PackageFilter.FAILED:
        return state in (-3, -2, -1)
    return True
