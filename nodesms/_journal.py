"""The campaign journal: which chunks are done, in a SQLite file, so a rerun skips them.

``send_bulk(..., journal="bahar-2026.sqlite")`` records each chunk whose package exists. A
rerun after a crash (even ``kill -9``) skips those chunks without sending or looking anything
up; a chunk sent but not yet recorded when the process died is sent again, and its customID
makes the gateway refuse a second package (the existing one is looked up). So the journal
only saves work; correctness never depends on it.

Writes are grouped (one transaction for all chunks finished within ``interval`` seconds) and
run in a worker thread, never on the event loop. WAL mode with ``synchronous=NORMAL``: a
killed process loses nothing committed (a power cut may lose the last group, which the
customIDs then resolve).

Format, version 1 (``PRAGMA user_version = 1``)::

    CREATE TABLE campaign (
        campaign_id TEXT NOT NULL,   -- the campaign_id the file belongs to
        options     TEXT NOT NULL    -- the campaign's settings as JSON (CampaignOptions)
    );                               -- exactly one row
    CREATE TABLE chunks (
        k         INTEGER PRIMARY KEY,  -- the chunk's index
        custom_id TEXT NOT NULL,        -- f"{campaign_id}.{k}"
        pkg_id    INTEGER NOT NULL,     -- the package the chunk became
        encoding  INTEGER,              -- the package's encoding (0, 1, 2)
        messages  INTEGER NOT NULL,     -- messages in the package
        parts     INTEGER NOT NULL,     -- their SMS parts, counted locally
        failures  TEXT NOT NULL         -- JSON array of the chunk's BulkFailure objects
    );

A file of another version, or of another campaign or other settings (sender, title, chunk
size, encoding...), is refused with a :class:`~nodesms.ValidationError` naming ``journal``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence

import anyio
import msgspec

from ._bulk import BulkFailure, CampaignOptions, ChunkOutcome, OutcomeKind
from .enums import Encoding
from .errors import ValidationError
from .models import PackageCreated

__all__ = ["FORMAT_VERSION", "Journal"]

FORMAT_VERSION = 1

_SCHEMA = (
    "CREATE TABLE campaign (campaign_id TEXT NOT NULL, options TEXT NOT NULL)",
    "CREATE TABLE chunks (k INTEGER PRIMARY KEY, custom_id TEXT NOT NULL, "
    "pkg_id INTEGER NOT NULL, encoding INTEGER, messages INTEGER NOT NULL, "
    "parts INTEGER NOT NULL, failures TEXT NOT NULL)",
)

_failures_decoder = msgspec.json.Decoder(list[BulkFailure])
_encoder = msgspec.json.Encoder()


class Journal:
    """An open journal; make one with :meth:`open`.

    Attributes:
        done: the outcomes of the chunks already recorded, by chunk index.
    """

    def __init__(self, db: sqlite3.Connection, done: dict[int, ChunkOutcome]) -> None:
        self.done = done
        self._db = db
        self._pending: list[ChunkOutcome] = []
        self._lock = anyio.Lock()

    @classmethod
    async def open(cls, path: str | os.PathLike[str], options: CampaignOptions) -> Journal:
        """Open (or create) the journal at ``path`` for the campaign ``options`` describe."""
        if not isinstance(path, (str, os.PathLike)):
            raise ValidationError("expected a file path", field="journal")
        db, done = await anyio.to_thread.run_sync(_open, os.fspath(path), options)
        return cls(db, done)

    def record(self, outcome: ChunkOutcome) -> None:
        """Note a chunk as done; it is written with the next group (:meth:`flush`)."""
        if outcome.kind is OutcomeKind.SENT:
            self._pending.append(outcome)

    async def flush(self) -> None:
        """Write the chunks recorded since the last flush, in one transaction, off the loop."""
        async with self._lock:
            batch, self._pending = self._pending, []
            if batch:
                # Shielded: a batch taken is written. The runner cancels the flushing task when
                # the campaign ends; cancelled at the thread call's own checkpoint, the batch
                # was lost (neither written nor pending for aclose), and a rerun sent it again.
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(_write, self._db, batch)

    async def run(self, interval: float = 0.2) -> None:
        """Flush every ``interval`` seconds until cancelled (a runner's background task)."""
        while True:
            await anyio.sleep(interval)
            await self.flush()

    async def aclose(self) -> None:
        """Write what is pending and close the file."""
        with anyio.CancelScope(shield=True):
            try:
                await self.flush()
            finally:
                # Closing checkpoints the write-ahead log into the file: disk work, off the loop.
                await anyio.to_thread.run_sync(self._db.close)


def _open(
    path: str, options: CampaignOptions
) -> tuple[sqlite3.Connection, dict[int, ChunkOutcome]]:
    settings = _encoder.encode(options).decode()
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise ValidationError(f"cannot open {path!r}: {exc}", field="journal") from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            if db.execute("SELECT name FROM sqlite_master").fetchone() is not None:
                raise ValidationError(f"{path!r} is a database but no journal", field="journal")
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute("INSERT INTO campaign VALUES (?, ?)", (options.campaign_id, settings))
            db.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
            db.execute("COMMIT")
        elif version != FORMAT_VERSION:
            raise ValidationError(
                f"{path!r} is a journal of format {version}; this nodesms reads format "
                f"{FORMAT_VERSION}",
                field="journal",
            )
        row = db.execute("SELECT campaign_id, options FROM campaign").fetchone()
        if row is None or row[0] != options.campaign_id:
            raise ValidationError(
                f"{path!r} is the journal of campaign {row[0] if row else None!r}, "
                f"not {options.campaign_id!r}",
                field="journal",
            )
        if row[1] != settings:
            raise ValidationError(
                f"{path!r} was written with other settings for campaign "
                f"{options.campaign_id!r} (sender, title, content, chunk size, encoding...): "
                "a rerun must use the same ones",
                field="journal",
            )
        rows = db.execute(
            "SELECT k, custom_id, pkg_id, encoding, messages, parts, failures FROM chunks"
        ).fetchall()
    except sqlite3.Error as exc:
        db.close()
        raise ValidationError(
            f"{path!r} is not a nodesms journal: {exc}", field="journal"
        ) from None
    except BaseException:
        db.close()
        raise
    done = {
        k: ChunkOutcome(
            index=k,
            custom_id=custom_id,
            kind=OutcomeKind.SENT,
            package=PackageCreated(
                pkg_id=pkg_id,
                custom_id=custom_id,
                encoding=None if encoding is None else Encoding(encoding),
            ),
            messages=messages,
            parts=parts,
            failures=_failures_decoder.decode(failures),
        )
        for k, custom_id, pkg_id, encoding, messages, parts, failures in rows
    }
    return db, done


def _write(db: sqlite3.Connection, batch: Sequence[ChunkOutcome]) -> None:
    rows = []
    for outcome in batch:
        package = outcome.package
        assert package is not None
        encoding = None if package.encoding is None else int(package.encoding)
        failures = _encoder.encode(outcome.failures).decode()
        row = (outcome.index, outcome.custom_id, package.pkg_id, encoding)
        rows.append((*row, outcome.messages, outcome.parts, failures))
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
