"""The public types of campaigns: what goes in, what comes out, what progress reports.

Apart from the core (:mod:`nodesms._bulk`) so that the API surface (``nodesms``,
``client.sms.send_bulk``'s signature) can name them without importing the core.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import TypeAlias

import msgspec

from .models import Message, PackageCreated

__all__ = ["BulkFailure", "BulkInput", "BulkItem", "BulkProgress", "BulkResult", "ProgressCallback"]

BulkItem: TypeAlias = Message | tuple[str | int, str] | str | int
"""One input item: a message, a ``(number, text)`` pair, or a bare number (with ``content=``)."""
BulkInput: TypeAlias = Iterable[BulkItem] | AsyncIterable[BulkItem]
"""A campaign's input: any iterable or async iterable of :data:`BulkItem` (a mapping
number → text is an iterable of numbers: it is read as its ``(number, text)`` items)."""


class BulkFailure(msgspec.Struct, frozen=True):
    """One message of a campaign that was not sent.

    Attributes:
        index: its 0-based position in the input.
        number: the number as it was given (as a string).
        reason: why, in words (the field at fault and the rule, or the gateway's answer).
        error: the name of the error class (``"ValidationError"``, ``"ConflictError"``...).
        code: the gateway's error code or name, when the gateway refused the chunk.
    """

    index: int
    number: str
    reason: str
    error: str
    code: str | None = None


class BulkProgress(msgspec.Struct, frozen=True):
    """Where a campaign stands; ``on_progress`` receives one after each chunk.

    Attributes:
        chunks: chunks finished (sent, failed, or found done by a journal or customID).
        packages: packages created (or found) so far.
        messages: messages in those packages.
        parts: SMS parts in those packages (parts × recipients, counted locally).
        failed: messages that will not be sent (bad input, refused chunks).
        in_flight: chunk requests waiting for an answer.
        concurrency: chunk requests currently allowed at once (adapts to the gateway).
        limited: concurrency-limit answers (SMS50) met so far.
        elapsed: seconds since the campaign started.
    """

    chunks: int
    packages: int
    messages: int
    parts: int
    failed: int
    in_flight: int
    concurrency: int
    limited: int
    elapsed: float


class BulkResult(msgspec.Struct, frozen=True):
    """What a campaign did.

    Attributes:
        packages: the packages, in chunk order (one per chunk that had a valid message).
        failed: the messages not sent, in input order, with why.
        messages: messages in ``packages``.
        parts: SMS parts in ``packages`` (each recipient's parts, counted locally; operators
            bill per part).
        credit: the account's balance change during the run, when it was read
            (``check_credit=True``); ``None`` otherwise. Other sends on the account at the same
            time count in it too.
        chunks: chunks in the input.
    """

    packages: list[PackageCreated]
    failed: list[BulkFailure]
    messages: int
    parts: int
    credit: float | None = None
    chunks: int = 0

    @property
    def pkg_ids(self) -> list[int]:
        """The package ids, in chunk order (what :meth:`~nodesms.resources.SmsResource.wait`
        takes)."""
        return [pkg.pkg_id for pkg in self.packages]


ProgressCallback: TypeAlias = Callable[[BulkProgress], Awaitable[None] | None]
"""``on_progress``: called (or awaited, if it returns an awaitable) after each chunk."""
