"""``nodesms campaign run``: a personalised campaign from a CSV file, resumable."""

from __future__ import annotations

import argparse
import csv
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._bulk_types import BulkProgress
from .._client import Client
from ..models import Message
from ._app import CommandError, Context
from ._progress import Progress

__all__ = ["register"]

SUMMARY = (
    ("campaign_id", "campaign_id"),
    ("chunks", "chunks"),
    ("packages", "packages"),
    ("messages", "messages"),
    ("parts", "parts"),
    ("failed", "failed"),
)
FAILURES_SHOWN = 20  # in a table; --json carries every failure


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``campaign run`` to the ``nodesms`` parser."""
    campaign = commands.add_parser("campaign", help="personalised campaigns")
    actions = campaign.add_subparsers(dest="action", required=True, metavar="ACTION")
    parser = actions.add_parser(
        "run",
        parents=[common],
        help="send one text per CSV row, in packages of up to 1000; resumable",
        description="Send a personalised text to every row of a CSV file with a header "
        "line. Run the same command again after a crash or Ctrl-C: nothing is sent twice "
        "and nothing is lost (chunk k carries the customID CAMPAIGN_ID.k).",
    )
    parser.add_argument("file", metavar="FILE.csv")
    parser.add_argument(
        "--template",
        required=True,
        help="the text, with {column} fields from the CSV header, e.g. 'Sayın {first_name}'",
    )
    parser.add_argument("--campaign-id", required=True, metavar="ID",
                        help="names the campaign; reuse it only to resume")  # fmt: skip
    parser.add_argument("--sender", required=True)
    parser.add_argument("--title", required=True)
    parser.add_argument("--number-column", default="gsm", metavar="COLUMN",
                        help="the column with the numbers (default gsm)")  # fmt: skip
    parser.add_argument("--journal", metavar="FILE.sqlite",
                        help="record finished chunks here: a rerun skips them at once")  # fmt: skip
    parser.add_argument("--chunk-size", type=int, default=1000, metavar="N")
    parser.add_argument("--max-concurrency", type=int, default=8, metavar="N")
    parser.add_argument("--check-credit", action="store_true",
                        help="refuse to start when the account's credit is too low")  # fmt: skip
    parser.set_defaults(handler=run_campaign)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    """The CSV's rows, read lazily (a million rows keep memory flat)."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        header = [name.strip().lower() for name in next(reader, [])]
        for values in reader:
            if any(value.strip() for value in values):
                yield dict(zip(header, (value.strip() for value in values), strict=False))


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return [name.strip().lower() for name in next(csv.reader(file), [])]


def _count(path: Path) -> int:
    return sum(1 for _ in _rows(path))


def _fields(template: str) -> set[str]:
    try:
        return {name.lower() for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        raise CommandError(f"--template: {exc}") from None


async def run_campaign(client: Client, ctx: Context) -> None:
    """``nodesms campaign run FILE.csv``."""
    args = ctx.args
    path = Path(args.file)
    header = _header(path)
    if not header:
        raise CommandError(f"{path}: no header line")
    number_column = args.number_column.lower()
    missing = sorted((_fields(args.template) | {number_column}) - set(header))
    if missing:
        raise CommandError(
            f"{path} has no column {', '.join(missing)} (it has {', '.join(header)})"
        )

    def messages() -> Iterator[Message]:
        for row in _rows(path):
            yield Message(row.get(number_column, ""), args.template.format_map(_Row(row)))

    with Progress("campaign", total=_count(path)) as bar:

        def progress(state: BulkProgress) -> None:
            bar.advance(state.messages + state.failed - bar.done)

        result = await client.sms.send_bulk(
            messages() if not args.check_credit else list(messages()),
            campaign_id=args.campaign_id,
            sender=args.sender,
            title=args.title,
            journal=args.journal,
            chunk_size=args.chunk_size,
            max_concurrency=args.max_concurrency,
            check_credit=args.check_credit,
            on_progress=progress,
        )
    summary: dict[str, Any] = {
        "campaign_id": args.campaign_id,
        "chunks": result.chunks,
        "packages": len(result.packages),
        "messages": result.messages,
        "parts": result.parts,
        "failed": len(result.failed),
    }
    if ctx.fmt == "json":
        summary["pkg_ids"] = [p.pkg_id for p in result.packages]
        summary["failures"] = result.failed
    ctx.writer(SUMMARY).one(summary)
    if ctx.fmt == "table":
        for failure in result.failed[:FAILURES_SHOWN]:
            ctx.out.write(f"row {failure.index + 2}: {failure.number}: {failure.reason}\n")
        if len(result.failed) > FAILURES_SHOWN:
            ctx.out.write(f"... and {len(result.failed) - FAILURES_SHOWN} more (see --json)\n")


class _Row(dict[str, str]):
    """A CSV row for ``str.format_map``: fields match columns in any case, as the header
    does; a short row's missing cells are empty."""

    def __missing__(self, key: str) -> str:
        return self.get(key.lower(), "")
