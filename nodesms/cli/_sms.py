"""Commands on the account and its SMS packages: credit, send, otp, packages, items, export,
senders."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from .._client import Client
from ..enums import Encoding, ItemState, Operator, PackageFilter, SenderStatus
from ..models import PackageItem
from ._app import CommandError, Context
from ._args import choice_of, names, numbers, when
from ._output import Format, RecordWriter, to_builtins
from ._progress import Progress

__all__ = ["register"]

Columns = Sequence[tuple[str, str]]

CREATED: Columns = (("pkg_id", "pkg_id"), ("custom_id", "custom_id"), ("encoding", "encoding"))
PACKAGE: Columns = (
    ("id", "id"),
    ("state", "state"),
    ("title", "title"),
    ("senders", "senders"),
    ("sending_date", "sending_date"),
    ("recipients", "statistics.r_count"),
    ("delivered", "statistics.delivered"),
    ("undelivered", "statistics.undelivered"),
    ("custom_id", "custom_id"),
)
ITEM: Columns = (
    ("id", "id"),
    ("target", "target"),
    ("state", "state"),
    ("operator", "operator"),
    ("sending_date", "sending_date"),
    ("delivery_date", "delivery_date"),
    ("credit", "credit"),
    ("xid", "xid"),
)
EXPORT: Columns = (("pkg_id", "pkg_id"), *ITEM, ("error", "error"), ("msg", "msg"))
SENDER: Columns = (("title", "title"), ("status", "status"), ("uuid", "uuid"))


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``nodesms`` parser."""
    parser = commands.add_parser("credit", parents=[common], help="the account's credit balance")
    parser.set_defaults(handler=credit)

    parser = commands.add_parser(
        "send",
        parents=[common],
        help="send one text to one or more numbers",
        description="Send one text to one number or many (one package). Numbers come as "
        "arguments, from --numbers-file, or both.",
    )
    parser.add_argument("numbers", nargs="*", metavar="NUMBER", help="recipients")
    parser.add_argument(
        "--numbers-file", metavar="FILE", help="more recipients, one per line (- for stdin)"
    )
    _send_options(parser, title=True)
    parser.add_argument(
        "--at", type=when, metavar="WHEN", help="schedule for this time (gateway local time)"
    )
    parser.set_defaults(handler=send)

    parser = commands.add_parser("otp", parents=[common], help="send a one-time password")
    parser.add_argument("number", metavar="NUMBER", help="the recipient")
    _send_options(parser, title=False)
    parser.set_defaults(handler=otp)

    parser = commands.add_parser(
        "packages", parents=[common], help="packages sent, newest first (streamed)"
    )
    parser.add_argument(
        "--status",
        type=choice_of(PackageFilter),
        metavar="FILTER",
        help=", ".join(names(PackageFilter)),
    )
    parser.add_argument("--since", type=when, metavar="WHEN", help="e.g. 7d, 24h, 2026-11-30")
    parser.add_argument("--until", type=when, metavar="WHEN")
    parser.add_argument("--sender", help="only this sender name")
    parser.add_argument("--keyword", help="only packages whose text contains this")
    parser.add_argument("--id", dest="pkg_ids", type=int, action="append", metavar="PKG")
    parser.add_argument("--custom-id", dest="custom_ids", action="append", metavar="ID")
    parser.add_argument("--limit", type=int, metavar="N", help="stop after N packages")
    parser.set_defaults(handler=packages)

    parser = commands.add_parser("items", parents=[common], help="the recipients of a package")
    parser.add_argument("pkg_id", type=int, metavar="PKG", help="package id")
    _item_filters(parser)
    parser.add_argument("--limit", type=int, metavar="N", help="stop after N items")
    parser.set_defaults(handler=items)

    parser = commands.add_parser(
        "export",
        parents=[common],
        help="delivery reports of packages to CSV or JSON lines, streamed",
        description="Write every recipient of the packages, streamed (memory stays flat), "
        "with a progress bar on a terminal. CSV by default, JSON lines with --json.",
    )
    parser.add_argument("pkg_ids", nargs="+", type=int, metavar="PKG", help="package ids")
    _item_filters(parser)
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default stdout)")
    parser.set_defaults(handler=export)

    parser = commands.add_parser("senders", parents=[common], help="the account's sender names")
    parser.add_argument(
        "--status",
        type=choice_of(SenderStatus),
        metavar="STATUS",
        help=", ".join(names(SenderStatus)),
    )
    parser.set_defaults(handler=senders)


def _send_options(parser: argparse.ArgumentParser, *, title: bool) -> None:
    parser.add_argument("--sender", required=True, help="an approved sender name")
    parser.add_argument("--content", required=True, help="the text")
    if title:
        parser.add_argument("--title", required=True, help="the package title in reports")
    parser.add_argument(
        "--encoding",
        type=_encoding,
        default="auto",
        metavar="ENCODING",
        help="auto (default: the cheapest that carries the text), " + ", ".join(names(Encoding)),
    )
    parser.add_argument("--validity", type=int, metavar="MINUTES")
    parser.add_argument("--custom-id", metavar="ID", help="your id: makes the send exactly-once")
    parser.add_argument("--push-url", metavar="URL", help="where delivery reports are POSTed")


def _item_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state", type=choice_of(ItemState), metavar="STATE", help=", ".join(names(ItemState))
    )
    parser.add_argument(
        "--operator", type=choice_of(Operator), metavar="OP", help=", ".join(names(Operator))
    )
    parser.add_argument("--target", metavar="NUMBER", help="only this recipient")


_parse_encoding = choice_of(Encoding)


def _encoding(text: str) -> Encoding | str:
    return "auto" if text.strip().lower() == "auto" else _parse_encoding(text)


async def credit(client: Client, ctx: Context) -> None:
    """``nodesms credit``."""
    ctx.writer((("credit", "credit"),)).one(await client.user.credit())


async def send(client: Client, ctx: Context) -> None:
    """``nodesms send``: one number is a single send, several a one-to-many package."""
    args = ctx.args
    given = numbers(args.numbers, args.numbers_file, "--numbers-file")
    recipients: dict[str, Any] = {"number": given[0]} if len(given) == 1 else {"numbers": given}
    sent = await client.sms.create(
        title=args.title, sending_date=args.at, **recipients, **_send_arguments(args)
    )
    ctx.writer(CREATED).one(sent)


async def otp(client: Client, ctx: Context) -> None:
    """``nodesms otp``."""
    sent = await client.sms.create_otp(number=ctx.args.number, **_send_arguments(ctx.args))
    ctx.writer(CREATED).one(sent)


def _send_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """What ``send`` and ``otp`` pass alike (the options of :func:`_send_options`)."""
    return {
        "sender": args.sender,
        "content": args.content,
        "encoding": args.encoding,
        "validity": args.validity,
        "push_url": args.push_url,
        "custom_id": args.custom_id,
    }


async def packages(client: Client, ctx: Context) -> None:
    """``nodesms packages``: streamed, so a long history prints as it arrives."""
    args = ctx.args
    walk = client.sms.list(
        pkg_ids=args.pkg_ids,
        custom_ids=args.custom_ids,
        keyword=args.keyword,
        sender=args.sender,
        status=args.status,
        start_date=args.since,
        finish_date=args.until,
        limit=args.limit,
    )
    await ctx.writer(PACKAGE).stream(walk)


async def items(client: Client, ctx: Context) -> None:
    """``nodesms items PKG``."""
    args = ctx.args
    walk = client.sms.list_item(
        pkg_id=args.pkg_id,
        target=args.target,
        operator=args.operator,
        state=args.state,
        limit=args.limit,
    )
    await ctx.writer(ITEM).stream(walk)


async def export(client: Client, ctx: Context) -> None:
    """``nodesms export PKG...``: every recipient of the packages, one record each."""
    args = ctx.args
    # The packages' recipient counts size the progress bar before the first item arrives.
    listed = [pkg async for pkg in client.sms.list(pkg_ids=args.pkg_ids)]
    total = sum(pkg.statistics.r_count for pkg in listed)
    missing = set(args.pkg_ids) - {pkg.id for pkg in listed}
    if missing:
        raise CommandError(f"no such package: {', '.join(map(str, sorted(missing)))}")
    with contextlib.ExitStack() as files:
        out = sys.stdout
        if args.output:
            # Blocking writes, as to stdout: the command is the process's only task.
            target = Path(args.output)
            out = files.enter_context(target.open("w", encoding="utf-8", newline=""))  # noqa: ASYNC230
        fmt: Format = "jsonl" if ctx.fmt == "json" else "csv"
        writer = RecordWriter(out, fmt, EXPORT)
        with Progress("export", total=total or None) as bar:

            async def records() -> AsyncIterator[dict[str, Any]]:
                for pkg_id in args.pkg_ids:
                    walk = client.sms.list_item(
                        pkg_id=pkg_id, target=args.target, operator=args.operator,
                        state=args.state,
                    )  # fmt: skip
                    async for item in walk:
                        bar.advance()
                        yield _exported(pkg_id, item)

            await writer.stream(records())


def _exported(pkg_id: int, item: PackageItem) -> dict[str, Any]:
    return {"pkg_id": pkg_id, **to_builtins(item)}


async def senders(client: Client, ctx: Context) -> None:
    """``nodesms senders``."""
    await ctx.writer(SENDER).stream(client.sms.list_sender(status=ctx.args.status))
