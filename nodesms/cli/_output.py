"""How records leave the CLI: aligned tables for people, JSON and CSV for scripts.

A record is any result Struct (``Package``, ``PackageItem``...) or a plain mapping. Each
command names its columns, as dotted attribute paths (``statistics.delivered``); the same
columns make the table and the CSV, and JSON carries every field of the record.
"""

from __future__ import annotations

import csv
import enum
import json
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TextIO

import msgspec

__all__ = ["Format", "RecordWriter", "field_value", "to_builtins"]

Format = Literal["table", "json", "jsonl", "csv"]

# Rows a table looks at to size its columns before it prints anything; later rows keep those
# widths (a longer value widens only its own line), so a million-row walk streams.
_TABLE_SIZING_ROWS = 200


def to_builtins(value: Any) -> Any:
    """JSON-ready builtins of a result: attribute names, enum names, ISO datetimes.

    Private fields (the wire's alternative spellings) are left out.
    """
    if isinstance(value, msgspec.Struct):
        return {
            f.name: to_builtins(getattr(value, f.name))
            for f in msgspec.structs.fields(value)
            if not f.name.startswith("_")
        } | _properties(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_builtins(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_builtins(v) for v in value]
    if isinstance(value, str):
        return str(value)  # NumericString and other str subclasses as plain str
    return value


def _properties(value: msgspec.Struct) -> dict[str, Any]:
    # Fields kept private on the wire that models expose as properties (Contact.groups).
    out: dict[str, Any] = {}
    for f in msgspec.structs.fields(value):
        public = f.name.lstrip("_")
        if f.name.startswith("_") and isinstance(getattr(type(value), public, None), property):
            out[public] = to_builtins(getattr(value, public))
    return out


def field_value(record: Any, path: str) -> Any:
    """The value at a dotted ``path`` of a record (``None`` where a step is missing)."""
    value = record
    for step in path.split("."):
        if value is None:
            return None
        value = value.get(step) if isinstance(value, Mapping) else getattr(value, step, None)
    return value


def _cell(value: Any, *, exact: bool) -> str:
    """A value as one cell: ``exact`` (CSV) keeps datetimes' zones and ``true``/``false``;
    a table shows the gateway's wall-clock time and yes/no."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat() if exact else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return ("true" if value else "false") if exact else ("yes" if value else "no")
    if isinstance(value, (list, tuple)):
        return " ".join(_cell(v, exact=exact) for v in value)
    return str(value)


class RecordWriter:
    """Writes records as they come, in one of the formats.

    ``json`` is one JSON document (an array for lists, written incrementally), ``jsonl`` one
    object per line; ``csv`` starts with a header line; ``table`` aligns columns.
    """

    def __init__(
        self,
        out: TextIO,
        fmt: Format,
        columns: Sequence[tuple[str, str]],
    ) -> None:
        self.out = out
        self.fmt = fmt
        self.columns = columns  # (header, dotted path)
        self.count = 0
        self._csv: Any = None
        self._pending: list[list[str]] = []
        self._widths: list[int] | None = None

    # -- one record ----------------------------------------------------------------------------

    def one(self, record: Any) -> None:
        """Write a single record (not a list): a JSON object, or a two-column table."""
        if self.fmt in ("json", "jsonl"):
            self.out.write(json.dumps(to_builtins(record), ensure_ascii=False) + "\n")
            return
        if self.fmt == "csv":
            self.start()
            self.add(record)
            self.finish()
            return
        width = max(len(header) for header, _ in self.columns)
        for header, path in self.columns:
            cell = _cell(field_value(record, path), exact=False)
            self.out.write(f"{header.ljust(width)}  {cell}\n".rstrip() + "\n")

    # -- a stream of records -------------------------------------------------------------------

    async def stream(self, records: AsyncIterable[Any]) -> int:
        """Write every record of ``records``; returns how many."""
        self.start()
        try:
            async for record in records:
                self.add(record)
        except BaseException:
            # Rows already read stay on screen; a JSON document stays unterminated, so a
            # script that ignores the exit status cannot mistake it for a complete answer.
            if self.fmt == "table":
                self._flush_table()
            self.out.flush()
            raise
        self.finish()
        return self.count

    def all(self, records: Iterable[Any]) -> int:
        """Write every record of a list."""
        self.start()
        for record in records:
            self.add(record)
        self.finish()
        return self.count

    def start(self) -> None:
        if self.fmt == "json":
            self.out.write("[")
        elif self.fmt == "csv":
            self._csv = csv.writer(self.out, lineterminator="\n")
            self._csv.writerow([header for header, _ in self.columns])

    def add(self, record: Any) -> None:
        if self.fmt == "json":
            self.out.write("\n" if self.count == 0 else ",\n")
            self.out.write(json.dumps(to_builtins(record), ensure_ascii=False))
        elif self.fmt == "jsonl":
            self.out.write(json.dumps(to_builtins(record), ensure_ascii=False) + "\n")
        else:
            exact = self.fmt == "csv"
            row = [_cell(field_value(record, path), exact=exact) for _, path in self.columns]
            if self.fmt == "csv":
                self._csv.writerow(row)
            elif self._widths is None:
                self._pending.append(row)
                if len(self._pending) >= _TABLE_SIZING_ROWS:
                    self._flush_table()
            else:
                self._table_row(row)
        self.count += 1

    def finish(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n" if self.count else "]\n")
        elif self.fmt == "table":
            self._flush_table()
        self.out.flush()

    def _flush_table(self) -> None:
        if self._widths is None:
            headers = [header for header, _ in self.columns]
            self._widths = [
                max([len(headers[i]), *(len(row[i]) for row in self._pending)])
                for i in range(len(headers))
            ]
            self._table_row(headers)
        for row in self._pending:
            self._table_row(row)
        self._pending.clear()

    def _table_row(self, row: Sequence[str]) -> None:
        assert self._widths is not None
        cells = [cell.ljust(width) for cell, width in zip(row, self._widths, strict=True)]
        self.out.write("  ".join(cells).rstrip() + "\n")
