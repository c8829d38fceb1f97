"""``client.sms``: send packages, follow their delivery, cancel and resend them."""

from __future__ import annotations

import builtins
import logging
import os
from collections.abc import AsyncIterable, Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Literal, TypeAlias, TypeVar

import msgspec
from msgspec import field

from .. import _columns
from .. import _operations as ops
from .._bulk_types import BulkItem, BulkResult, ProgressCallback
from .._dates import gateway_now, next_minute, to_gateway, wire_minute, wire_second
from .._operation import Operation
from .._paging import MAX_PAGE_SIZE, AsyncPaginator
from .._rules import (
    KVKK_TAG,
    CustomId,
    KvkkValidity,
    OtpValidity,
    PeriodAmount,
    PeriodInterval,
    SmsValidity,
    Title,
    Xid,
    conform,
)
from .._validate import (
    check_bool,
    check_custom_id,
    check_enum,
    check_int,
    exactly_one,
    items,
    non_empty_str,
    number_list,
    opt_bool,
    opt_rule,
    opt_str,
    str_list,
)
from .._validate import number as check_number
from ..enums import (
    Encoding,
    EncodingValue,
    ItemState,
    ItemStateValue,
    Operator,
    OperatorValue,
    PackageFilter,
    PackageFilterValue,
    PeriodType,
    SenderStatus,
    SenderStatusValue,
    SendingType,
    SendingTypeValue,
    SmsType,
    SmsTypeValue,
)
from ..errors import ConflictError, NodeSMSError, ValidationError
from ..models import (
    Gateway,
    InquiryRecord,
    Message,
    Package,
    PackageCreated,
    PackageItem,
    Periodic,
    Sender,
    Summary,
    _PkgIdData,
)
from ..text import check_max_parts, fit_text
from ._base import Body, PagedBody, Resource

__all__ = ["EncodingArg", "Messages", "SmsResource"]

E = TypeVar("E")

logger = logging.getLogger("nodesms")

EncodingArg: TypeAlias = Encoding | EncodingValue | Literal["auto"]
Messages: TypeAlias = Mapping[str, str] | Iterable[Message | tuple[str, str]]

_DUPLICATE_CODES = frozenset({"SMS42"})
_DUPLICATE_NAMES = frozenset({"ERR_SMS_PKG_CUSTOM_ID_DUPLICATION", "ERR_SMS_PKG_DUPLICATION"})


# --- wire bodies -----------------------------------------------------------------------------


class _PushSettings(msgspec.Struct, frozen=True):
    url: str


class _PeriodicSettings(Body, frozen=True, kw_only=True, omit_defaults=True):
    period_type: int = field(name="periodType")
    interval: PeriodInterval | None = None
    amount: PeriodAmount | None = None


class _KvkkFields(msgspec.Struct, frozen=True):
    first_name: str = field(name="FIRST_NAME")
    last_name: str = field(name="LAST_NAME")


class _KvkkNumber(msgspec.Struct, frozen=True):
    nr: str
    cfs: _KvkkFields


class _SendBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    """The fields every send shares."""

    sender: str
    content: str
    encoding: int
    validity: int | None = None
    push_settings: _PushSettings | None = field(default=None, name="pushSettings")


class _CreateOtpBody(_SendBody, frozen=True, kw_only=True, omit_defaults=True):
    number: str
    validity: OtpValidity | None = None
    commercial: bool | None = None
    custom_id: CustomId = field(name="customID")
    trust_date: str | None = field(default=None, name="trustDate")


class _CreateBody(_SendBody, frozen=True, kw_only=True, omit_defaults=True):
    type: int
    sending_type: int = field(name="sendingType")
    number: str | None = None
    numbers: list[str] | list[Message] | None = None
    title: Title
    validity: SmsValidity | None = None
    sending_date: str | None = field(default=None, name="sendingDate")
    periodic_settings: _PeriodicSettings | None = field(default=None, name="periodicSettings")
    commercial: bool | None = None
    custom_id: CustomId = field(name="customID")


class _CreateKvkkBody(_SendBody, frozen=True, kw_only=True, omit_defaults=True):
    number: _KvkkNumber
    validity: KvkkValidity | None = None


class _ListBody(PagedBody, frozen=True, kw_only=True, omit_defaults=True):
    ids: list[int] | None = None
    custom_ids: list[str] | None = field(default=None, name="customIDs")
    keyword: str | None = None
    sender: str | None = None
    status: int | None = None
    start_date: str | None = field(default=None, name="startDate")
    finish_date: str | None = field(default=None, name="finishDate")


class _ListItemBody(PagedBody, frozen=True, kw_only=True, omit_defaults=True):
    pkg_id: int | None = field(default=None, name="pkgID")
    uuid: str | None = None
    custom_id: str | None = field(default=None, name="customID")
    target: str | None = None
    operator: int | None = None
    state: int | None = None


class _ListSenderBody(PagedBody, frozen=True, kw_only=True, omit_defaults=True):
    keyword: str | None = None
    status: int | None = None


class _PackageRefBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    id: int | None = None
    uuid: str | None = None
    custom_id: str | None = field(default=None, name="customID")


class _RecreateBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    id: int | None = None
    uuid: str | None = None
    title: Title
    include_new_numbers: bool = field(name="includeNewNumbers")


class _DateRangeBody(Body, frozen=True, kw_only=True, omit_defaults=True):
    start_date: str | None = field(default=None, name="startDate")
    finish_date: str | None = field(default=None, name="finishDate")


class _InquiryBody(_DateRangeBody, frozen=True, kw_only=True, omit_defaults=True):
    gsm: str
    sender: str | None = None


class SmsResource(Resource):
    """SMS packages: ``client.sms``."""

    async def create_otp(
        self,
        *,
        number: str | int,
        sender: str,
        content: str,
        encoding: EncodingArg = "auto",
        validity: int | None = None,
        push_url: str | None = None,
        commercial: bool | None = None,
        custom_id: str | None = None,
        trust_date: datetime | None = None,
        max_parts: int | None = None,
    ) -> PackageCreated:
        """Send a one-time password to one number (``/sms/create-otp``).

        Args:
            number: the recipient, in any form :func:`nodesms.normalize_number` accepts.
            sender: an OTP-approved sender name of the account.
            content: the text.
            encoding: an :class:`~nodesms.Encoding`, or ``"auto"`` for the cheapest that fits.
            validity: minutes the operator keeps trying, 3 to 6 (gateway default 6).
            push_url: where the gateway POSTs the delivery report (read it with
                :func:`nodesms.parse_push`).
            commercial: mark the message as commercial (IYS rules apply).
            custom_id: your id for this send (a queue job id is a good one); generated if
                omitted. It makes the send exactly-once, also across process restarts.
            trust_date: ask the operator for a SIM-change check since this time.
            max_parts: refuse (``ValidationError``, nothing sent) a text longer than this
                many SMS parts; every part is billed.

        Returns:
            The package id and the customID it carries.

        Raises:
            ValidationError: bad input; nothing was sent.
            ConflictError: ``custom_id`` already names a package with another sender or text.
        """
        tz = self._tz
        custom_id = check_custom_id(custom_id)
        sender = non_empty_str(sender, "sender")
        content, chosen = _fit(non_empty_str(content, "content"), encoding)
        check_max_parts(content, chosen, max_parts, "content")
        body = _CreateOtpBody(
            number=check_number(number, "number"),
            sender=sender,
            content=content,
            encoding=chosen,
            validity=opt_rule(validity, OtpValidity, "validity"),
            push_settings=_push(push_url),
            commercial=opt_bool(commercial, "commercial"),
            custom_id=custom_id,
            trust_date=None if trust_date is None else wire_second(trust_date, tz, "trust_date"),
        )
        return await self._create_exactly_once(ops.SMS_CREATE_OTP, body, sender, content, chosen)

    async def create(
        self,
        *,
        sender: str,
        title: str,
        content: str,
        number: str | int | None = None,
        numbers: Iterable[str | int] | None = None,
        messages: Messages | None = None,
        sending_type: SendingType | SendingTypeValue | None = None,
        type: SmsType | SmsTypeValue = SmsType.NORMAL,
        encoding: EncodingArg = "auto",
        validity: int | None = None,
        sending_date: datetime | None = None,
        periodic_settings: Periodic | None = None,
        push_url: str | None = None,
        commercial: bool | None = None,
        custom_id: str | None = None,
        max_parts: int | None = None,
    ) -> PackageCreated:
        """Create an SMS package (``/sms/create``): one number, many, or personalised texts.

        Give exactly one of ``number`` (single send), ``numbers`` (one text to many) or
        ``messages`` (a mapping number → text, or an iterable of ``(number, text)`` pairs or
        :class:`~nodesms.Message`, for personalised many-to-many sends); ``sending_type`` is
        inferred from it.

        Args:
            sender: an approved sender name of the account.
            title: the package title shown in reports.
            content: the text (for many-to-many, the package's description).
            type: the :class:`~nodesms.SmsType`.
            encoding: an :class:`~nodesms.Encoding`, or ``"auto"``: the cheapest encoding
                that carries every text of the package.
            validity: minutes the operator keeps trying, 60 to 1440 (gateway default 1440).
            sending_date: a future time to schedule the package (naive = gateway local time).
            periodic_settings: repeat the package, see :class:`~nodesms.Periodic`.
            push_url: where the gateway POSTs delivery reports.
            commercial: mark the messages as commercial (IYS rules apply).
            custom_id: your id for this package; generated if omitted. It makes the create
                exactly-once: a retry after a lost answer never makes a second package.
            max_parts: refuse a text (with ``messages``, any of them) longer than this many
                SMS parts per recipient; every part is billed.

        Raises:
            ValidationError: bad input; nothing was sent.
            ConflictError: ``custom_id`` already names a package with another sender or text.
        """
        tz = self._tz
        custom_id = check_custom_id(custom_id)
        sender = non_empty_str(sender, "sender")
        title = conform(non_empty_str(title, "title"), Title, "title")
        content = non_empty_str(content, "content")
        kind = exactly_one(number=number, numbers=numbers, messages=messages)
        inferred = {
            "number": SendingType.SINGLE,
            "numbers": SendingType.ONE_TO_MANY,
            "messages": SendingType.MANY_TO_MANY,
        }[kind]
        if sending_type is not None and check_enum(sending_type, SendingType, "sending_type") != (
            inferred
        ):
            raise ValidationError(
                f"sending_type {sending_type!r} does not match {kind}= (it means {inferred.name})",
                field="sending_type",
            )
        wire_number: str | None = None
        wire_numbers: list[str] | list[Message] | None = None
        content, chosen = _fit(content, encoding)
        if number is not None:
            wire_number = check_number(number, "number")
        elif numbers is not None:
            wire_numbers = number_list(numbers, "numbers", allow_empty=False)
        else:
            personal, chosen = _personal(messages, encoding, chosen)
            wire_numbers = personal
        if max_parts is not None:
            if messages is None:
                check_max_parts(content, chosen, max_parts, "content")
            else:  # the content only describes a many-to-many package; the texts are sent
                for index, item in enumerate(personal):
                    check_max_parts(item.text, chosen, max_parts, f"messages[{index}]")
        body = _CreateBody(
            type=_required_enum(type, SmsType, "type"),
            sending_type=inferred,
            number=wire_number,
            numbers=wire_numbers,
            sender=sender,
            title=title,
            content=content,
            encoding=chosen,
            validity=opt_rule(validity, SmsValidity, "validity"),
            sending_date=_future(sending_date, tz),
            periodic_settings=_periodic(periodic_settings),
            push_settings=_push(push_url),
            commercial=opt_bool(commercial, "commercial"),
            custom_id=custom_id,
        )
        return await self._create_exactly_once(ops.SMS_CREATE, body, sender, content, chosen)

    async def create_kvkk(
        self,
        *,
        number: str | int,
        first_name: str,
        last_name: str,
        sender: str,
        content: str,
        encoding: EncodingArg = "auto",
        validity: int | None = None,
        push_url: str | None = None,
        max_parts: int | None = None,
    ) -> PackageCreated:
        """Ask one person for KVKK consent with a link (``/sms/create-kvkk``).

        ``content`` must contain the tag ``SHORT_LINK``, which the gateway replaces with the
        consent link; ``FIRST_NAME`` and ``LAST_NAME`` in the text are replaced by the given
        names. ``validity`` is in minutes (3 to 1440; the gateway's default is 6).

        The API has no idempotency key for this call, so it is retried only where the request
        provably never reached the gateway. ``max_parts`` refuses a text (names filled in)
        longer than this many SMS parts.
        """
        content = non_empty_str(content, "content")
        first_name = non_empty_str(first_name, "first_name")
        last_name = non_empty_str(last_name, "last_name")
        if KVKK_TAG not in content:
            raise ValidationError(f"must contain the tag {KVKK_TAG}", field="content")
        # The gateway puts the names into the text, so they count towards its encoding (and,
        # with an explicit GSM encoding, it replaces what their letters need on the air).
        filled = content.replace("FIRST_NAME", first_name).replace("LAST_NAME", last_name)
        chosen = _fit(filled, encoding)[1]
        check_max_parts(filled, chosen, max_parts, "content")
        body = _CreateKvkkBody(
            number=_KvkkNumber(
                nr=check_number(number, "number"),
                cfs=_KvkkFields(first_name=first_name, last_name=last_name),
            ),
            sender=non_empty_str(sender, "sender"),
            content=fit_text(content, chosen)[0],
            encoding=chosen,
            validity=opt_rule(validity, KvkkValidity, "validity"),
            push_settings=_push(push_url),
        )
        created = await self._call(ops.SMS_CREATE_KVKK, body)
        return PackageCreated(pkg_id=created.pkg_id, encoding=chosen)

    def list(
        self,
        *,
        pkg_ids: Iterable[int] | None = None,
        custom_ids: Iterable[str] | None = None,
        keyword: str | None = None,
        sender: str | None = None,
        status: PackageFilter | PackageFilterValue | None = None,
        start_date: datetime | None = None,
        finish_date: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
        page_index: int = 0,
        limit: int | None = None,
        concurrency: int = 1,
    ) -> AsyncPaginator[Package]:
        """Packages sent before, newest first (``/sms/list``).

        ``async for pkg in client.sms.list(...)`` walks all of them; ``await`` gives the first
        :class:`~nodesms.Page`. Without ``finish_date`` the walk is pinned to the packages that
        existed when it began: packages created meanwhile do not shift it, and no package is
        yielded twice or skipped.

        Args:
            pkg_ids: only these package ids.
            custom_ids: only these customIDs.
            keyword: content filter.
            sender: sender-name filter.
            status: a :class:`~nodesms.PackageFilter`.
            start_date: packages from this time on (give it: the gateway scans everything
                otherwise).
            finish_date: packages up to this time.
            page_size: records per request, 10 to 1000.
            page_index: the first page to fetch (0-based).
            limit: stop after this many packages.
            concurrency: pages fetched at once while walking (default 1: the next page
                while you handle this one); items still come in order.
        """
        tz = self._tz
        start, finish = self._date_range(start_date, finish_date)
        body = _ListBody(
            ids=_int_list(pkg_ids, "pkg_ids"),
            custom_ids=str_list(custom_ids, "custom_ids"),
            keyword=opt_str(keyword, "keyword"),
            sender=opt_str(sender, "sender"),
            status=check_enum(status, PackageFilter, "status"),
            start_date=start,
            finish_date=finish,
        )

        def pinned() -> _ListBody:
            # Pin the walk to what exists when it begins, by the gateway's clock. The wire has
            # minute precision: round up so nothing from this minute is left out.
            bound = next_minute(self._server_now())
            return msgspec.structs.replace(body, finish_date=wire_minute(bound, tz, "finish_date"))

        return self._paginate(
            ops.SMS_LIST,
            body if finish_date is not None else pinned,
            page_size=page_size,
            page_index=page_index,
            limit=limit,
            key=_package_key,
            watermark=_package_key,
            concurrency=concurrency,
        )

    def list_item(
        self,
        *,
        pkg_id: int | None = None,
        uuid: str | None = None,
        custom_id: str | None = None,
        target: str | int | None = None,
        operator: Operator | OperatorValue | None = None,
        state: ItemState | ItemStateValue | None = None,
        page_size: int = MAX_PAGE_SIZE,
        page_index: int = 0,
        limit: int | None = None,
        concurrency: int = 1,
    ) -> AsyncPaginator[PackageItem]:
        """The recipients of one package and their delivery states (``/sms/list-item``).

        Identify the package by exactly one of ``pkg_id``, ``uuid`` or ``custom_id``; filter by
        ``target`` (a number), ``operator`` or item ``state``.
        """
        exactly_one(pkg_id=pkg_id, uuid=uuid, custom_id=custom_id)
        body = _ListItemBody(
            pkg_id=_int(pkg_id, "pkg_id"),
            uuid=opt_str(uuid, "uuid"),
            custom_id=opt_str(custom_id, "custom_id"),
            target=None if target is None else check_number(target, "target"),
            operator=check_enum(operator, Operator, "operator"),
            state=check_enum(state, ItemState, "state"),
        )
        return self._paginate(
            ops.SMS_LIST_ITEM,
            body,
            page_size=page_size,
            page_index=page_index,
            limit=limit,
            key=_item_key,
            concurrency=concurrency,
        )

    def list_sender(
        self,
        *,
        keyword: str | None = None,
        status: SenderStatus | SenderStatusValue | None = None,
        page_size: int = MAX_PAGE_SIZE,
        page_index: int = 0,
        limit: int | None = None,
        concurrency: int = 1,
    ) -> AsyncPaginator[Sender]:
        """The account's sender names and their approval status (``/sms/list-sender``)."""
        body = _ListSenderBody(
            keyword=opt_str(keyword, "keyword"), status=check_enum(status, SenderStatus, "status")
        )
        return self._paginate(
            ops.SMS_LIST_SENDER,
            body,
            page_size=page_size,
            page_index=page_index,
            limit=limit,
            concurrency=concurrency,
        )

    def list_gateway(
        self, *, page_size: int = MAX_PAGE_SIZE, page_index: int = 0, limit: int | None = None
    ) -> AsyncPaginator[Gateway]:
        """The account's delivery routes and the senders each carries (``/sms/list-gateway``).

        Not in the vendor document; production deployments answer it. A deployment without
        it answers ERR_NOT_FOUND (a :class:`~nodesms.NotFoundError`).
        """
        return self._paginate(
            ops.SMS_LIST_GATEWAY,
            PagedBody(),
            page_size=page_size,
            page_index=page_index,
            limit=limit,
            key=_gateway_key,
        )

    async def cancel(
        self, *, pkg_id: int | None = None, uuid: str | None = None, custom_id: str | None = None
    ) -> None:
        """Cancel a scheduled package, or one whose sending has not started (``/sms/cancel``).

        Raises:
            ConflictError: the package can no longer be cancelled (SMS07).
            NotFoundError: no such package.
        """
        exactly_one(pkg_id=pkg_id, uuid=uuid, custom_id=custom_id)
        body = _PackageRefBody(
            id=_int(pkg_id, "pkg_id"),
            uuid=opt_str(uuid, "uuid"),
            custom_id=opt_str(custom_id, "custom_id"),
        )
        await self._call(ops.SMS_CANCEL, body)

    async def recreate(
        self,
        *,
        pkg_id: int | None = None,
        uuid: str | None = None,
        title: str,
        include_new_numbers: bool = False,
    ) -> PackageCreated:
        """Send a completed or fully failed package again as a new one (``/sms/recreate``).

        With ``include_new_numbers``, numbers added since to the contact group it was sent to
        are included.
        """
        exactly_one(pkg_id=pkg_id, uuid=uuid)
        created = await self._call(
            ops.SMS_RECREATE,
            _RecreateBody(
                id=_int(pkg_id, "pkg_id"),
                uuid=opt_str(uuid, "uuid"),
                title=conform(non_empty_str(title, "title"), Title, "title"),
                include_new_numbers=check_bool(include_new_numbers, "include_new_numbers"),
            ),
        )
        return PackageCreated(pkg_id=created.pkg_id)

    async def summary(
        self, *, start_date: datetime | None = None, finish_date: datetime | None = None
    ) -> Summary:
        """Totals over the packages sent in a period (``/sms/summary``).

        Give ``start_date``: without it the gateway scans the whole history.
        """
        start, finish = self._date_range(start_date, finish_date)
        return await self._call(
            ops.SMS_SUMMARY, _DateRangeBody(start_date=start, finish_date=finish)
        )

    async def inquiry_number(
        self,
        *,
        gsm: str | int,
        sender: str | None = None,
        start_date: datetime | None = None,
        finish_date: datetime | None = None,
    ) -> builtins.list[InquiryRecord]:
        """Messages sent to one number (``/sms/inquiry-number``).

        The period may not exceed 3 months; without dates the gateway looks at the last month.
        """
        start, finish = self._date_range(start_date, finish_date, max_months=3)
        data = await self._call(
            ops.SMS_INQUIRY_NUMBER,
            _InquiryBody(
                gsm=check_number(gsm, "gsm"),
                sender=opt_str(sender, "sender"),
                start_date=start,
                finish_date=finish,
            ),
        )
        return data.items or []

    async def send_bulk(
        self,
        messages: Iterable[BulkItem] | AsyncIterable[BulkItem],
        *,
        campaign_id: str,
        sender: str,
        title: str,
        content: str | None = None,
        chunk_size: int = 1000,
        max_concurrency: int = 8,
        journal: str | os.PathLike[str] | None = None,
        on_progress: ProgressCallback | None = None,
        check_credit: bool = False,
        encoding: EncodingArg = "auto",
        validity: int | None = None,
        push_url: str | None = None,
        commercial: bool | None = None,
        sending_date: datetime | None = None,
        max_parts: int | None = None,
    ) -> BulkResult:
        """Send a campaign of any size: personalised messages in packages of ``chunk_size``.

        The input is read lazily (a million messages do not grow the memory): an iterable or
        async iterable of :class:`~nodesms.Message`, ``(number, text)`` pairs, or bare numbers
        (then ``content`` is their text). Chunk ``k`` (messages ``k * chunk_size`` onwards) is
        sent as one many-to-many package with the customID ``f"{campaign_id}.{k}"``.

        Running it again with the same ``campaign_id`` and input, after any crash (even
        ``kill -9``), sends nothing twice and loses nothing: chunks recorded in ``journal`` are
        skipped, and any other chunk that was already sent is found by its customID.

        A bad number or text never stops the campaign: it is a :class:`~nodesms.BulkFailure`
        in ``result.failed``, with its input index; so are the messages of a chunk the gateway
        refused for good (or after the client's retry policy ran out of attempts).

        Args:
            messages: the input, see above.
            campaign_id: names the campaign (1-80 letters, digits, ``-``, ``.``, ``_``); it
                makes the chunks' customIDs, so reuse it only to resume the same campaign.
            sender: an approved sender name.
            title: the packages' title.
            content: the text of bare numbers, and the packages' description (default: the
                title).
            chunk_size: messages per package, 1 to 1000.
            max_concurrency: chunk requests in flight at most. Below it the runner adapts to
                the account's concurrency limit: it starts with one, grows while answers come
                back, and on a concurrency refusal (SMS50) drops to what fitted and sends the
                refused chunk again, so the limit never surfaces as an error.
            journal: a SQLite file recording the chunks done (created if missing), so a rerun
                skips them without asking the gateway. Written off the event loop, in groups.
            on_progress: called (or awaited, if it returns an awaitable) with a
                :class:`~nodesms.BulkProgress` after each chunk.
            check_credit: before sending anything, count the parts left to send and compare
                them with :meth:`user.credit() <nodesms.resources.UserResource.credit>`;
                raise :class:`~nodesms.InsufficientCreditError` if they exceed it. The input
                is read twice, so it must be re-iterable (a list, not a generator).
            encoding: as on :meth:`create`.
            validity: as on :meth:`create`.
            push_url: as on :meth:`create`.
            commercial: as on :meth:`create`.
            sending_date: as on :meth:`create`.
            max_parts: refuse (as a ``BulkFailure``) any text longer than this many parts.

        Returns:
            A :class:`~nodesms.BulkResult`: packages in chunk order, failures in input order.

        Raises:
            ValidationError: a setting is wrong (nothing was sent), or the journal belongs to
                another campaign or other settings.
            InsufficientCreditError: with ``check_credit``, the credit does not cover it.
        """
        from .._bulk import campaign_options
        from .._campaign import run_campaign

        options = campaign_options(
            self._calls.client,
            campaign_id=campaign_id,
            sender=sender,
            title=title,
            content=content,
            chunk_size=chunk_size,
            encoding=encoding,
            validity=validity,
            push_url=push_url,
            commercial=commercial,
            sending_date=sending_date,
            max_parts=max_parts,
        )
        return await run_campaign(
            self._calls.client,
            messages,
            options,
            max_concurrency=max_concurrency,
            journal=journal,
            on_progress=on_progress,
            check_credit=check_credit,
        )

    async def wait(
        self,
        pkg_ids: Iterable[int],
        *,
        timeout: float = 600.0,
        poll_interval: float = 5.0,
        max_interval: float = 60.0,
    ) -> builtins.list[Package]:
        """Wait until every package is in a final state; return them in the order given.

        Polls :meth:`list` with up to 1000 ids a request. It polls every ``poll_interval``
        seconds while packages keep finishing, and backs off (up to ``max_interval``) while
        none do.

        Raises:
            WaitTimeoutError: ``timeout`` seconds passed first; it names the packages still
                open (``.pending``) and carries those that finished (``.packages``).
        """
        from .._wait import wait_final

        return await wait_final(
            self._calls.client,
            pkg_ids,
            timeout=timeout,
            poll_interval=poll_interval,
            max_interval=max_interval,
        )

    async def _create_exactly_once(
        self,
        op: Operation[_PkgIdData],
        body: _CreateOtpBody | _CreateBody,
        sender: str,
        content: str,
        chosen: Encoding,
    ) -> PackageCreated:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s customID %s encoding %s", op.path, body.custom_id, chosen.name)
        try:
            try:
                created = await self._call(op, body)
            except ConflictError as exc:
                existing = await self._duplicate_of(exc, body.custom_id, sender, content)
                logger.info("%s: customID %s already created package %s", op.path,
                            body.custom_id, existing.id)  # fmt: skip
                return PackageCreated(pkg_id=existing.id, custom_id=body.custom_id, encoding=chosen)
        except NodeSMSError as exc:
            # Whatever went wrong, the caller needs the customID to look the package up or
            # to send again without making a second one.
            exc.custom_id = body.custom_id
            raise
        return PackageCreated(pkg_id=created.pkg_id, custom_id=body.custom_id, encoding=chosen)

    async def _duplicate_of(
        self, exc: ConflictError, custom_id: str, sender: str, content: str
    ) -> Package:
        """The package an earlier attempt made with this very request, or ``exc`` again."""
        if exc.code not in _DUPLICATE_CODES and exc.name not in _DUPLICATE_NAMES:
            raise exc
        # A package with our customID exists: an earlier attempt (a lost answer, a retry, a
        # restarted process) created it. It is ours if it is this very request.
        existing = await self._find_by_custom_id(custom_id)
        if existing is None:
            raise exc
        if existing.content != content or sender not in (existing.senders or [sender]):
            raise ConflictError(
                f"customID {custom_id!r} already names package {existing.id} with "
                "another sender or content",
                code=exc.code,
                name=exc.name,
                status=exc.status,
                http_status=exc.http_status,
            ) from exc
        return existing

    async def _find_by_custom_id(self, custom_id: str) -> Package | None:
        # No date bounds: the package may carry any timestamp the gateway's clock gave it.
        body = _ListBody(custom_ids=[custom_id], page_index=0, page_size=10)
        data = await self._call(ops.SMS_LIST, body)
        return next((pkg for pkg in data.items or () if pkg.custom_id == custom_id), None)


def _required_enum(value: int, enum_type: type[E], field: str) -> E:
    checked = check_enum(value, enum_type, field)
    if checked is None:
        raise ValidationError(f"expected {enum_type.__name__}", field=field)
    return checked


def _package_key(pkg: Package) -> int:
    return pkg.id


def _item_key(item: PackageItem) -> str:
    return item.id


def _gateway_key(gateway: Gateway) -> str:
    return gateway.uuid


def _push(url: str | None) -> _PushSettings | None:
    if url is None:
        return None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValidationError("must be an http(s) URL", field="push_url")
    return _PushSettings(url=url)


def _future(value: datetime | None, tz: tzinfo) -> str | None:
    if value is None:
        return None
    when = to_gateway(value, tz, "sending_date")
    if when <= gateway_now(tz):
        raise ValidationError("must be in the future", field="sending_date")
    return wire_minute(when, tz, "sending_date")


def _periodic(value: object) -> _PeriodicSettings | None:
    if value is None:
        return None
    if not isinstance(value, Periodic):
        raise ValidationError("expected a nodesms.Periodic", field="periodic_settings")
    period = check_enum(value.period_type, PeriodType, "periodic_settings.period_type")
    if period is None:
        raise ValidationError("a PeriodType is required", field="periodic_settings.period_type")
    if period is PeriodType.ONCE and (value.interval is None or value.amount is None):
        raise ValidationError(
            "PeriodType.ONCE needs interval and amount", field="periodic_settings"
        )
    return _PeriodicSettings(
        period_type=period,
        interval=opt_rule(value.interval, PeriodInterval, "periodic_settings.interval"),
        amount=opt_rule(value.amount, PeriodAmount, "periodic_settings.amount"),
    )


def _fit(content: str, encoding: object, field: str = "content") -> tuple[str, Encoding]:
    """The text as it is sent, and its encoding (see :func:`nodesms.text.fit_text`)."""
    sent, chosen, replaced = _fit_quietly(content, encoding, field)
    _log_replaced(field, replaced, chosen)
    return sent, chosen


def _fit_quietly(content: str, encoding: object, field: str) -> tuple[str, Encoding, int]:
    """:func:`nodesms.text.fit_text`, its errors named ``field``; the caller logs."""
    try:
        return fit_text(content, encoding)  # type: ignore[arg-type]
    except ValidationError as exc:
        if exc.field != "content":
            raise
        raise ValidationError(exc.reason, field=field) from None


def _log_replaced(field: str, replaced: int, chosen: Encoding) -> None:
    if replaced:
        logger.info(
            "%s: replaced %d characters that Encoding.%s cannot carry", field, replaced, chosen.name
        )


def _personal(
    messages: object, encoding: object, chosen: Encoding
) -> tuple[list[Message], Encoding]:
    """The many-to-many recipients, and the package's one encoding: with ``"auto"``, the
    smallest that carries every text (``chosen`` is the content's)."""
    if isinstance(messages, Mapping):
        pairs = items(messages.items(), "messages")
    else:
        pairs = items(messages, "messages")
    auto = isinstance(encoding, str)  # "auto" (anything else was refused with the content)
    split = _columns.columns(pairs)
    if split is not None:  # the common case: one scan per column decides for all
        numbers, texts, xids = split
        needed = _columns.decide(numbers, texts, xids, None if auto else chosen)
        if needed is not None:
            return _columns.wire(pairs, numbers, texts), max(chosen, needed)
    return _personal_checked(pairs, encoding, chosen)


def _personal_checked(
    pairs: list[object], encoding: object, chosen: Encoding
) -> tuple[list[Message], Encoding]:
    """:func:`_personal` message by message: the first bad message raises, named by its
    index."""
    auto = isinstance(encoding, str)
    out: list[Message] = []
    for index, entry in enumerate(pairs):
        # Checked under a placeholder field, named with its index only for an error: two
        # f-strings per message cost more than some of the checks.
        try:
            xid: object = None
            if isinstance(entry, Message):
                recipient, text, xid = entry.number, entry.text, entry.xid
            elif isinstance(entry, tuple) and len(entry) == 2:
                recipient, text = entry
            else:
                raise ValidationError(
                    "expected a nodesms.Message or a (number, text) pair", field=_ITEM
                )
            sent, needed, replaced = _fit_quietly(non_empty_str(text, _ITEM), encoding, _ITEM)
            nr = check_number(recipient, _ITEM)
            checked_xid = opt_rule(xid, Xid, _ITEM_XID)
        except ValidationError as exc:
            raise _at_item(exc, index) from None
        if replaced:
            _log_replaced(f"messages[{index}]", replaced, needed)
        if auto:
            chosen = max(chosen, needed)  # "auto" never changes the text: only the choice
        out.append(Message(nr, sent, checked_xid))
    if not out:
        raise ValidationError("must not be empty", field="messages")
    return out, chosen


_ITEM = "messages[]"
_ITEM_XID = "messages[].xid"


def _at_item(exc: ValidationError, index: int) -> ValidationError:
    """``exc`` with the placeholder field named ``messages[index]``."""
    field = exc.field or ""
    if field.startswith(_ITEM):
        return ValidationError(exc.reason, field=f"messages[{index}]{field[len(_ITEM) :]}")
    return exc


def _int(value: object, field: str) -> int | None:
    return None if value is None else check_int(value, field)


def _int_list(values: object, field: str) -> list[int] | None:
    if values is None:
        return None
    return [check_int(value, f"{field}[{i}]") for i, value in enumerate(items(values, field))]
