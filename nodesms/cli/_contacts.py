"""Commands on the address book: ``contacts import`` and ``blacklist add|remove``."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from .._client import Client
from ._app import CommandError, Context
from ._args import numbers

__all__ = ["read_csv", "register"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``nodesms`` parser."""
    contacts = commands.add_parser("contacts", help="the address book")
    actions = contacts.add_subparsers(dest="action", required=True, metavar="ACTION")
    parser = actions.add_parser(
        "import",
        parents=[common],
        help="add contacts from a CSV file",
        description="Import the rows of a CSV file whose header names the columns: gsm "
        "(required), first_name, last_name, birth_date, gsm_2, gsm_3, group_name (puts the "
        "row in that group, creating it), or custom field names. The gateway imports in the "
        "background.",
    )
    parser.add_argument("file", metavar="FILE.csv")
    parser.add_argument("--overwrite", action="store_true", help="replace existing contacts")
    parser.add_argument(
        "--blacklisted", action="store_true", help="save the contacts as blacklisted"
    )
    parser.add_argument(
        "--group-uuid", dest="group_uuids", action="append", default=[], metavar="UUID",
        help="also put every contact in this existing group (repeatable)",
    )  # fmt: skip
    parser.set_defaults(handler=import_contacts)

    blacklist = commands.add_parser("blacklist", help="block or unblock numbers")
    actions = blacklist.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, status in (("add", True), ("remove", False)):
        parser = actions.add_parser(
            action,
            parents=[common],
            help="blacklist numbers" if status else "take numbers off the blacklist",
        )
        parser.add_argument("numbers", nargs="*", metavar="NUMBER")
        parser.add_argument("--file", metavar="FILE", help="more numbers, one per line (- stdin)")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="apply the valid numbers and list the invalid ones, instead of failing",
        )
        parser.set_defaults(handler=set_blacklist, status=status)


def read_csv(path: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header (lower-cased column names) and rows of a CSV file with a header line."""
    text = Path(path).read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise CommandError(f"{path}: no header line")
    columns = [name.strip().lower() for name in header]
    rows: list[dict[str, str]] = []
    for values in reader:
        if len(values) > len(columns):
            raise CommandError(
                f"{path} line {reader.line_num}: {len(values)} values for {len(columns)} columns"
            )
        if any(value.strip() for value in values):
            rows.append({c: v.strip() for c, v in zip(columns, values, strict=False)})
    return columns, rows


async def import_contacts(client: Client, ctx: Context) -> None:
    """``nodesms contacts import FILE.csv``."""
    args = ctx.args
    columns, rows = read_csv(args.file)
    if not rows:
        raise CommandError(f"{args.file}: no rows after the header")
    await client.contact.import_(
        rows,
        columns=columns,
        overwrite=args.overwrite,
        is_in_blacklist=args.blacklisted,
        group_uuids=args.group_uuids,
    )
    ctx.writer((("rows", "rows"), ("columns", "columns"), ("status", "status"))).one(
        {"rows": len(rows), "columns": columns, "status": "accepted"}
    )


async def set_blacklist(client: Client, ctx: Context) -> None:
    """``nodesms blacklist add|remove NUMBER...``."""
    args = ctx.args
    given = numbers(args.numbers, args.file, "--file")
    invalid: list[str] = []
    if args.skip_invalid:
        invalid = await client.contact.set_blacklist(
            status=args.status, gsms=given, return_invalids=True
        )
    else:
        await client.contact.set_blacklist(status=args.status, gsms=given)
    columns = (("blacklisted", "blacklisted"), ("applied", "applied"), ("invalid", "invalid"))
    ctx.writer(columns).one(
        {"blacklisted": args.status, "applied": len(given) - len(invalid), "invalid": invalid}
    )
