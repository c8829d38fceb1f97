"""The campaign core: plan an input into chunks, send one chunk, assemble the result.

It knows nothing about how chunks are scheduled, so two runners share it: the local one
(:mod:`nodesms._campaign`, behind ``client.sms.send_bulk``) and the distributed one
(:mod:`nodesms.integrations.taskiq`). Its pieces, in the order a runner uses them:

- :class:`CampaignOptions` — everything a chunk needs besides its messages (sender, title,
  encoding, validity, push URL, chunk size...), validated once by :func:`campaign_options`. A
  msgspec Struct: it travels to worker processes as it is.
- :func:`plan` / :func:`aplan` — read the input lazily (an iterable or an async iterable) and
  yield :class:`Chunk` s: chunk ``k`` holds input messages ``k * chunk_size`` up to the next
  chunk, carries the deterministic customID ``f"{campaign_id}.{k}"``, and keeps only valid,
  normalised messages; a bad number or text becomes a :class:`BulkFailure` with its input index.
  Chunk boundaries follow input positions, not valid messages, so the same input always gives
  the same chunks. Chunks a runner already knows are done can be skipped without validating.
- :func:`send_chunk` — send one chunk with a client (one request, no retry of its own) and
  return its :class:`ChunkOutcome`: ``SENT`` with the package (a package that already exists
  under the chunk's customID, from an earlier run or attempt, is found and returned, never made
  twice), ``RETRY`` (a transient failure: send the same chunk again later), ``LIMITED`` (the
  account's concurrency limit, SMS50: nothing was created; send again with fewer in flight), or
  ``FAILED`` (refused for good: every message of the chunk becomes a :class:`BulkFailure`).
  :func:`give_up` turns a ``RETRY`` that has run out of attempts into a ``FAILED``.
- :func:`assemble` — the :class:`BulkResult` from the outcomes, in chunk order.

Everything that crosses a process boundary (options, chunks, outcomes, failures, results) is a
msgspec Struct: ``msgspec.msgpack.encode`` / ``decode(..., type=Chunk)`` round-trip it.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import AsyncIterable, Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import msgspec

from . import _columns
from ._bulk_types import BulkFailure, BulkInput, BulkItem, BulkProgress, BulkResult
from ._numbers import normalize_number
from ._operation import Effect
from ._operations import SMS_CREATE
from ._retry import is_retryable
from ._rules import XID_MAX_LENGTH, plain_str
from ._validate import check_range, non_empty_str, opt_bool
from .enums import Encoding, EncodingValue, SendingType, SmsType
from .errors import APIError, ConcurrencyLimitError, NodeSMSError, ValidationError
from .models import Message, PackageCreated
from .resources.sms import _CreateBody, _future, _push, _PushSettings
from .text import _SINGLE_CAPACITY, _parts_of, fit_text, resolve_encoding, segments

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._client import Client

__all__ = [
    "MAX_CHUNK_SIZE",
    "BulkFailure",
    "BulkInput",
    "BulkItem",
    "BulkProgress",
    "BulkResult",
    "CampaignOptions",
    "Chunk",
    "ChunkOutcome",
    "OutcomeKind",
    "aplan",
    "assemble",
    "campaign_options",
    "give_up",
    "plan",
    "send_chunk",
]

MAX_CHUNK_SIZE = 1000
"""Messages per package at most: the gateway's own limit on a parameter list."""
_MAX_CAMPAIGN_ID = 80  # leaves room for ".<chunk index>" within the 100 of a customID
_CAMPAIGN_ID = re.compile(r"[A-Za-z0-9.\-_]{1,80}")


class CampaignOptions(msgspec.Struct, frozen=True, kw_only=True):
    """The settings every chunk of a campaign is sent with (build it with
    :func:`campaign_options`, which validates it).

    ``encoding`` is ``None`` for ``"auto"``; ``sending_date`` is already in the wire's form.
    ``content`` is the package description, and the text of input items that are bare numbers.
    """

    campaign_id: str
    sender: str
    title: str
    content: str
    chunk_size: int = MAX_CHUNK_SIZE
    encoding: int | None = None
    validity: int | None = None
    push_url: str | None = None
    commercial: bool | None = None
    sending_date: str | None = None
    max_parts: int | None = None
    text_given: bool = False

    def custom_id(self, index: int) -> str:
        """The customID of chunk ``index``."""
        return f"{self.campaign_id}.{index}"


def campaign_options(
    client: Client,
    *,
    campaign_id: str,
    sender: str,
    title: str,
    content: str | None = None,
    chunk_size: int = MAX_CHUNK_SIZE,
    encoding: Encoding | EncodingValue | Literal["auto"] = "auto",
    validity: int | None = None,
    push_url: str | None = None,
    commercial: bool | None = None,
    sending_date: datetime | None = None,
    max_parts: int | None = None,
) -> CampaignOptions:
    """Check a campaign's settings and freeze them into :class:`CampaignOptions`.

    Raises:
        ValidationError: a setting is wrong; it names the parameter.
    """
    if not isinstance(campaign_id, str) or not _CAMPAIGN_ID.fullmatch(campaign_id):
        raise ValidationError(
            f"must be 1-{_MAX_CAMPAIGN_ID} characters of ASCII letters, digits, '-', '.' and "
            "'_' (chunk k is sent with the customID '<campaign_id>.k')",
            field="campaign_id",
        )
    sender = non_empty_str(sender, "sender")
    title = non_empty_str(title, "title")
    if content is not None:
        content = non_empty_str(content, "content")
        fit_text(content, encoding)  # the same checks as each message's text
    elif encoding != "auto":
        fit_text("", encoding)  # checks the encoding itself
    push: _PushSettings | None = _push(push_url)
    return CampaignOptions(
        campaign_id=campaign_id,
        sender=sender,
        title=title,
        content=content if content is not None else title,
        text_given=content is not None,
        chunk_size=_int_in(chunk_size, 1, MAX_CHUNK_SIZE, "chunk_size"),
        encoding=None if encoding == "auto" else int(encoding),
        validity=check_range(validity, 60, 1440, "validity"),
        push_url=None if push is None else push.url,
        commercial=opt_bool(commercial, "commercial"),
        sending_date=_future(sending_date, client.gateway_tz),
        max_parts=None if max_parts is None else _int_in(max_parts, 1, 255, "max_parts"),
    )


def _int_in(value: int, low: int, high: int, field: str) -> int:
    checked = check_range(value, low, high, field)
    if checked is None:
        raise ValidationError(f"must be an integer from {low} to {high}", field=field)
    return checked


class Chunk(msgspec.Struct, frozen=True, kw_only=True):
    """One package's worth of a campaign.

    Attributes:
        index: ``k``: the chunk's position.
        custom_id: ``f"{campaign_id}.{k}"``.
        first: the input index of its first message (``k * chunk_size``).
        size: how many input messages the chunk covers (valid or not).
        messages: the valid messages, normalised, as the wire takes them.
        encoding: the package's encoding: the one every text fits (the cheapest with "auto").
        parts: SMS parts of ``messages`` in that encoding, summed.
        failures: the chunk's messages that failed validation.
        indexes: the input index of each of ``messages``, or ``None`` when they are all of
            the chunk's input, in order (the usual case: see :meth:`positions`).
    """

    index: int
    custom_id: str
    first: int
    size: int
    messages: list[Message]
    encoding: int
    parts: int
    failures: list[BulkFailure]
    indexes: list[int] | None = None

    def positions(self) -> Sequence[int]:
        """The input index of each of ``messages``."""
        if self.indexes is None:
            return range(self.first, self.first + self.size)
        return self.indexes


class _Planner:
    """Turns a chunk's input items into a :class:`Chunk`: the per-message checks, shared by
    both input kinds."""

    def __init__(self, options: CampaignOptions, skip: Callable[[int], bool] | None) -> None:
        self.options = options
        self.skip = skip
        self.want = None if options.encoding is None else Encoding(options.encoding)
        self.requested: Encoding | Literal["auto"] = "auto" if self.want is None else self.want
        # An explicit GSM table replaces what it lacks, as sms.create does (and production
        # gateways): a campaign and a single send of the same text go out alike.
        self.replaces = self.requested in (Encoding.DEFAULT, Encoding.TURKISH)
        # Bare numbers all carry the same text: measure it once.
        self.default = self._measure(options.content) if options.text_given else None

    def chunk(self, index: int, batch: list[object]) -> Chunk | None:
        """Chunk ``index`` of the input, whose items are ``batch``; ``None`` when it is
        skipped (known done: its items are not checked)."""
        if self.skip is not None and self.skip(index):
            return None
        return self._uniform(index, batch) or self._checked(index, batch)

    def _uniform(self, index: int, batch: list[object]) -> Chunk | None:
        """The chunk, checked column-wise (see :mod:`nodesms._columns`), or ``None`` when
        some message needs checking on its own."""
        split = _columns.columns(batch)
        if split is not None:
            numbers, texts, xids = split
            scanned = texts
        elif self.default is not None and set(map(type, batch)) == {str}:
            numbers, xids = batch, None
            texts = [self.default[0]] * len(batch)
            scanned = texts[:1]
        else:
            return None
        encoding = _columns.decide(numbers, scanned, xids, self.want)
        if encoding is None:
            return None
        counts = _columns.parts(texts, encoding)
        limit = self.options.max_parts
        if limit is not None and max(counts) > limit:
            return None
        return Chunk(
            index=index,
            custom_id=self.options.custom_id(index),
            first=index * self.options.chunk_size,
            size=len(batch),
            messages=_columns.wire(batch, numbers, texts),
            encoding=encoding,
            parts=sum(counts),
            failures=[],
        )

    def _measure(self, text: str) -> tuple[str, Encoding, int]:
        """The text as it goes out, its encoding, and its SMS parts in that encoding."""
        if self.replaces:
            # The table was chosen and the text made to fit it: only the count is left.
            text, encoding, _ = fit_text(text, self.requested)
            return text, encoding, _parts_of(text, encoding)
        if 2 * len(text) <= _SINGLE_CAPACITY[Encoding.DEFAULT]:
            # Short enough to fit one part in its encoding, most likely: deciding the
            # encoding (cheaper than counting) may be all there is to do.
            encoding = resolve_encoding(text, self.requested)
            if 2 * len(text) <= _SINGLE_CAPACITY[encoding]:
                return text, encoding, 1
        measured = segments(text, self.requested)
        return text, measured.encoding, measured.parts

    def _checked(self, index: int, batch: list[object]) -> Chunk:
        """The chunk, checked message by message: each problem becomes a failure."""
        checked = _Checked()
        first = index * self.options.chunk_size
        for position, item in enumerate(batch, first):
            self._check(checked, position, item)
        encoding = max(checked.encodings, default=Encoding.DEFAULT)
        if any(enc != encoding for enc in checked.encodings):
            # The package has one encoding: texts that alone would go cheaper are counted in
            # the package's (a split Turkish part holds fewer characters than a GSM one).
            checked = self._recount(checked, Encoding(encoding))
        return Chunk(
            index=index,
            custom_id=self.options.custom_id(index),
            first=first,
            size=len(batch),
            messages=checked.messages,
            encoding=encoding,
            parts=sum(checked.parts),
            failures=sorted(checked.failures, key=_by_index),
            # Every input message valid: they are the chunk's input in order.
            indexes=None if len(checked.messages) == len(batch) else checked.indexes,
        )

    def _check(self, checked: _Checked, position: int, item: object) -> None:
        xid: str | None = None
        if type(item) is Message:
            raw, text, xid = item.number, item.text, item.xid
        elif type(item) is tuple and len(item) == 2:
            raw, text = item
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            if self.default is None:
                checked.fail(position, item, "a bare number needs content= for its text")
                return
            raw, text = item, self.options.content
        elif isinstance(item, Message):
            raw, text, xid = item.number, item.text, item.xid
        else:
            checked.fail(
                position, item, "expected a nodesms.Message, a (number, text) pair or a number"
            )
            return
        try:
            nr = normalize_number(raw)
        except ValidationError as exc:
            checked.fail(position, raw, f"number: {exc.reason}")
            return
        if text is self.options.content and self.default is not None:
            measured = self.default
        elif not isinstance(text, str) or not text.strip():
            checked.fail(position, raw, "text: must be a non-empty string")
            return
        else:
            try:
                measured = self._measure(plain_str(text))
            except ValidationError as exc:
                checked.fail(position, raw, f"text: {exc.reason}")
                return
        sent, encoding, parts = measured
        limit = self.options.max_parts
        if limit is not None and parts > limit:
            checked.fail(position, raw, f"text: {parts} SMS parts, more than max_parts={limit}")
            return
        if xid is not None and (not isinstance(xid, str) or not 0 < len(xid) <= XID_MAX_LENGTH):
            checked.fail(position, raw, f"xid: must be 1-{XID_MAX_LENGTH} characters")
            return
        checked.messages.append(Message(nr, sent, None if xid is None else plain_str(xid)))
        checked.indexes.append(position)
        checked.encodings.append(encoding)
        checked.parts.append(parts)

    def _recount(self, checked: _Checked, encoding: Encoding) -> _Checked:
        limit = self.options.max_parts
        kept = _Checked(failures=checked.failures)
        for msg, index, enc, count in zip(
            checked.messages, checked.indexes, checked.encodings, checked.parts, strict=True
        ):
            if enc != encoding:
                count = _parts_of(msg.text, encoding)
                if limit is not None and count > limit:
                    kept.fail(
                        index,
                        msg.number,
                        f"text: {count} SMS parts in the package's encoding {encoding.name}, "
                        f"more than max_parts={limit}",
                    )
                    continue
            kept.messages.append(msg)
            kept.indexes.append(index)
            kept.encodings.append(encoding)
            kept.parts.append(count)
        return kept


class _Checked:
    """What checking a chunk message by message found: its valid messages (in four parallel
    columns) and its failures."""

    def __init__(self, failures: list[BulkFailure] | None = None) -> None:
        self.messages: list[Message] = []
        self.indexes: list[int] = []
        self.encodings: list[int] = []
        self.parts: list[int] = []
        self.failures: list[BulkFailure] = [] if failures is None else failures

    def fail(self, position: int, number: object, reason: str) -> None:
        shown = plain_str(number) if isinstance(number, str) else repr(number)
        self.failures.append(BulkFailure(position, shown, reason, "ValidationError"))


def _by_index(failure: BulkFailure) -> int:
    return failure.index


def plan(
    messages: Iterable[object],
    options: CampaignOptions,
    *,
    skip: Callable[[int], bool] | None = None,
) -> Iterator[Chunk]:
    """The chunks of ``messages``, read lazily (one chunk in memory at a time).

    ``skip(k)`` true means chunk ``k`` is known done: its messages are read past unchecked and
    no chunk is yielded for it. Chunks whose messages all failed validation are yielded too
    (with no messages), so that their failures are reported.
    """
    return _plan(_iterable(messages), _Planner(options, skip))


def _plan(messages: Iterable[object], planner: _Planner) -> Iterator[Chunk]:
    iterator, size = iter(messages), planner.options.chunk_size
    for index in itertools.count():
        batch = list(itertools.islice(iterator, size))
        if not batch:
            return
        chunk = planner.chunk(index, batch)
        if chunk is not None:
            yield chunk


async def aplan(
    messages: AsyncIterable[object],
    options: CampaignOptions,
    *,
    skip: Callable[[int], bool] | None = None,
) -> AsyncIterator[Chunk]:
    """:func:`plan` for an async iterable."""
    planner = _Planner(options, skip)
    size, index = options.chunk_size, 0
    batch: list[object] = []
    async for item in messages:
        batch.append(item)
        if len(batch) == size:
            chunk = planner.chunk(index, batch)
            batch, index = [], index + 1
            if chunk is not None:
                yield chunk
    if batch:
        last = planner.chunk(index, batch)
        if last is not None:
            yield last


def _iterable(messages: object) -> Iterable[object]:
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Iterable):
        raise ValidationError(
            "expected an iterable (or async iterable) of messages", field="messages"
        )
    if isinstance(messages, Mapping):  # number -> text, as create(messages=...) takes
        return messages.items()
    return messages


class OutcomeKind(str, enum.Enum):
    """What became of one attempt to send a chunk (:attr:`ChunkOutcome.kind`)."""

    SENT = "sent"
    """The package exists (made now, or found under the chunk's customID)."""
    EMPTY = "empty"
    """The chunk had no valid message: nothing to send."""
    RETRY = "retry"
    """A transient failure (connection, timeout, maintenance, 5xx): send the chunk again."""
    LIMITED = "limited"
    """The account's concurrency limit (SMS50): nothing was created; send again with fewer
    requests in flight."""
    FAILED = "failed"
    """Refused for good; ``failures`` lists every message of the chunk."""


class ChunkOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """The result of one attempt to send a chunk (see :class:`OutcomeKind`).

    Attributes:
        index: the chunk's ``k``.
        custom_id: its customID.
        kind: what happened.
        package: the package, for ``SENT``.
        messages: messages in the package (``SENT``).
        parts: SMS parts in the package (``SENT``).
        failures: the chunk's validation failures, and for ``FAILED`` its refused messages.
        error: for ``RETRY`` / ``LIMITED`` / ``FAILED``, the error class name.
        code: the gateway's error code or name, if it gave one.
        reason: the error's message.
        retry_after: seconds the gateway asked to wait, if it said.
    """

    index: int
    custom_id: str
    kind: OutcomeKind
    package: PackageCreated | None = None
    messages: int = 0
    parts: int = 0
    failures: list[BulkFailure] = msgspec.field(default_factory=list)
    error: str | None = None
    code: str | None = None
    reason: str | None = None
    retry_after: float | None = None

    @property
    def done(self) -> bool:
        """Whether the chunk needs nothing more (sent, empty or failed for good)."""
        return self.kind in (OutcomeKind.SENT, OutcomeKind.EMPTY, OutcomeKind.FAILED)


async def send_chunk(client: Client, options: CampaignOptions, chunk: Chunk) -> ChunkOutcome:
    """Send one chunk as one many-to-many package and say what became of it.

    One attempt with ``client``'s settings: give it a client whose retry policy does not retry
    (``client.with_options(retry=RetryPolicy(max_attempts=1))``) to decide retries yourself
    from the outcome. Sending a chunk again is always safe: its customID makes the gateway
    refuse a second package, and the one that exists is looked up and returned.

    Raises:
        Nothing from nodesms: every :class:`~nodesms.NodeSMSError` becomes an outcome. Other
        exceptions (cancellation, bugs) propagate.
    """
    if not chunk.messages:
        return _outcome(chunk, OutcomeKind.EMPTY)
    body = _CreateBody(
        type=SmsType.NORMAL,
        sending_type=SendingType.MANY_TO_MANY,
        numbers=chunk.messages,
        sender=options.sender,
        title=options.title,
        content=options.content,
        encoding=chunk.encoding,
        validity=options.validity,
        sending_date=options.sending_date,
        push_settings=None if options.push_url is None else _PushSettings(url=options.push_url),
        commercial=options.commercial,
        custom_id=chunk.custom_id,
    )
    try:
        created = await client.sms._create_exactly_once(
            SMS_CREATE, body, options.sender, options.content, Encoding(chunk.encoding)
        )
    except NodeSMSError as exc:
        return _failed_attempt(chunk, exc)
    return ChunkOutcome(
        index=chunk.index,
        custom_id=chunk.custom_id,
        kind=OutcomeKind.SENT,
        package=created,
        messages=len(chunk.messages),
        parts=chunk.parts,
        failures=chunk.failures,
    )


def _outcome(chunk: Chunk, kind: OutcomeKind, exc: NodeSMSError | None = None) -> ChunkOutcome:
    if exc is None:
        return ChunkOutcome(
            index=chunk.index, custom_id=chunk.custom_id, kind=kind, failures=chunk.failures
        )
    error = type(exc).__name__
    code = (exc.code or exc.name) if isinstance(exc, APIError) else None
    failures = chunk.failures
    if kind is OutcomeKind.FAILED:
        failures = _refused(chunk, error, code, str(exc))
    retry_after = getattr(exc, "retry_after", None)
    return ChunkOutcome(
        index=chunk.index,
        custom_id=chunk.custom_id,
        kind=kind,
        failures=failures,
        error=error,
        code=code,
        reason=str(exc),
        retry_after=None if retry_after is None else float(retry_after),
    )


def _failed_attempt(chunk: Chunk, exc: NodeSMSError) -> ChunkOutcome:
    if not is_retryable(exc, Effect.CREATE):
        return _outcome(chunk, OutcomeKind.FAILED, exc)
    if isinstance(exc, ConcurrencyLimitError):
        return _outcome(chunk, OutcomeKind.LIMITED, exc)
    return _outcome(chunk, OutcomeKind.RETRY, exc)


def give_up(chunk: Chunk, outcome: ChunkOutcome) -> ChunkOutcome:
    """A ``RETRY`` / ``LIMITED`` outcome made final: every message of the chunk a failure."""
    if outcome.done:
        return outcome
    reason = f"gave up after repeated failures: {outcome.reason}"
    return msgspec.structs.replace(
        outcome,
        kind=OutcomeKind.FAILED,
        failures=_refused(chunk, outcome.error or "NodeSMSError", outcome.code, reason),
    )


def _refused(chunk: Chunk, error: str, code: str | None, reason: str) -> list[BulkFailure]:
    refused = [
        BulkFailure(
            index, str(msg.number), f"package {chunk.custom_id} refused: {reason}", error, code
        )
        for index, msg in zip(chunk.positions(), chunk.messages, strict=True)
    ]
    return sorted([*chunk.failures, *refused], key=_by_index)


def assemble(outcomes: Iterable[ChunkOutcome], *, credit: float | None = None) -> BulkResult:
    """The :class:`BulkResult` of a campaign from its chunks' final outcomes.

    Outcomes may come in any order; the result lists packages and failures in input order.
    """
    ordered = sorted(outcomes, key=_by_chunk)
    packages = [o.package for o in ordered if o.package is not None]
    failed = [failure for o in ordered for failure in o.failures]
    return BulkResult(
        packages=packages,
        failed=failed,
        messages=sum(o.messages for o in ordered),
        parts=sum(o.parts for o in ordered),
        credit=credit,
        chunks=len(ordered),
    )


def _by_chunk(outcome: ChunkOutcome) -> int:
    return outcome.index
