"""``nodesms demo``: OTP, campaign and personalised messages through an embedded gateway."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

import anyio

from ._bulk import BulkProgress, BulkResult
from ._client import Client
from .enums import ItemState, PackageState
from .models import Message, Package

if TYPE_CHECKING:
    from .testing import FakeGateway

__all__ = ["DEMO_RECIPIENTS", "run_demo"]

SENDER = "NODESMS"
DEMO_RECIPIENTS = 10_000
CAMPAIGN = 500  # numbers of the one-text campaign
PARALLEL = 4  # chunk requests in flight at most


class _Progress:
    """One status line, redrawn in place on a terminal and printed plainly elsewhere."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.started = time.perf_counter()

    def step(self, text: str) -> None:
        self.out.write(f"{self._clock()} {text}\n")
        self.out.flush()

    def update(self, text: str) -> None:
        if self.tty:
            self.out.write(f"\r\x1b[2K{self._clock()} {text}")
            self.out.flush()

    def done(self, text: str) -> None:
        if self.tty:
            self.out.write("\r\x1b[2K")
        self.step(text)

    def _clock(self) -> str:
        return f"[{time.perf_counter() - self.started:5.1f}s]"


def _first_name(index: int) -> str:
    names = ("Ayşe", "Mehmet", "Zeynep", "Can", "Elif", "Murat", "Gülşen", "İbrahim", "Öykü")
    return names[index % len(names)]


async def run_demo(out: TextIO = sys.stdout, recipients: int = DEMO_RECIPIENTS) -> dict[str, int]:
    """Run the demo against an embedded gateway; return the summary counters.

    Every figure it prints is counted, not assumed: parts and credit come from the gateway's
    final packages and balance (OTP and campaign included), items from walking every report.
    """
    from .testing import FakeGateway

    progress = _Progress(out)
    async with FakeGateway(credit=10 * recipients + 10_000, undelivered_rate=0.03,
                           expired_rate=0.01) as gw:  # fmt: skip
        progress.step(f"embedded gateway at {gw.base_url} (user {gw.username!r})")
        async with gw.client() as client:
            start_credit = (await client.user.credit()).credit
            progress.step(f"credit: {start_credit:,.0f}")

            otp = await client.sms.create_otp(
                number="0555 000 00 01", sender=SENDER, content="Doğrulama kodunuz: 482913"
            )
            progress.step(f"OTP sent: package {otp.pkg_id}, customID {otp.custom_id}")

            campaign = await client.sms.send_bulk(
                [f"90555{i:07d}" for i in range(1, CAMPAIGN + 1)],
                campaign_id="demo-kampanya",
                sender=SENDER,
                title="Kampanya",
                content="Yeni sezon indirimi başladı! Mağazalarımızda %30 indirim sizi bekliyor.",
            )
            progress.step(
                f"campaign to {campaign.messages} numbers: package {campaign.pkg_ids[0]} "
                f"({_encodings(campaign)}, {campaign.parts:,} parts)"
            )

            personal = await _send_personalised(client, recipients, progress)
            sent_ids = [otp.pkg_id, *campaign.pkg_ids, *personal.pkg_ids]
            packages = await _wait_for_delivery(client, gw, sent_ids, progress)
            report = await _stream_report(client, sent_ids, progress)
            end_credit = (await client.user.credit()).credit

    report["credit_used"] = int(start_credit - end_credit)
    report["packages"] = len(packages)
    report["failed"] = len(campaign.failed) + len(personal.failed)
    parts = Counter[str]()
    for pkg in packages:  # SMS parts × recipients, by the encoding each package went out in
        parts[pkg.encoding.name if pkg.encoding is not None else "?"] += pkg.statistics.total
    report["parts"] = sum(parts.values())
    progress.step(
        "summary: {delivered:,} delivered, {undelivered:,} undelivered, {expired:,} expired "
        "of {items:,} messages in {packages:,} packages; {failed:,} refused before sending; "
        "{credit_used:,} credit used".format(**report)
    )
    progress.step(
        f"SMS parts by encoding (OTP, campaign and personalised): {report['parts']:,} = "
        + ", ".join(f"{name} {count:,}" for name, count in sorted(parts.items()))
    )
    return report


def _encodings(result: BulkResult) -> str:
    counts = Counter(p.encoding.name for p in result.packages if p.encoding is not None)
    return ", ".join(f"{name} x{count}" for name, count in sorted(counts.items()))


def _personal_text(index: int) -> str:
    if index % 3 == 0:
        return f"Dear customer {index}, your order has shipped."
    return (
        f"Sayın {_first_name(index)}, {index} numaralı siparişiniz kargoya verildi. "
        "Teslimat saatini değiştirmek ya da kargonuzu takip etmek için müşteri hizmetlerimizi "
        "arayabilirsiniz."
    )


async def _send_personalised(client: Client, recipients: int, progress: _Progress) -> BulkResult:
    """Send ``recipients`` personalised messages as one campaign, generated lazily."""
    messages = (
        Message(f"90555{index:07d}", _personal_text(index), xid=f"msg-{index}")
        for index in range(recipients)
    )

    def show(state: BulkProgress) -> None:
        progress.update(
            f"personalised: {state.messages:,} messages in {state.packages} packages, "
            f"{state.in_flight} in flight"
        )

    result = await client.sms.send_bulk(
        messages,
        campaign_id="demo-kisisel",
        sender=SENDER,
        title="Kişisel bildirim",
        content="Sipariş bildirimi",
        max_concurrency=PARALLEL,
        on_progress=show,
    )
    progress.done(
        f"personalised: {result.messages:,} messages in {len(result.packages)} packages "
        f"({_encodings(result)}, {result.parts:,} parts)"
    )
    return result


async def _wait_for_delivery(
    client: Client, gw: FakeGateway, pkg_ids: Sequence[int], progress: _Progress
) -> Sequence[Package]:
    """Wait for every package's final report while the embedded gateway's clock moves on."""

    async def clock() -> None:
        while True:  # bounded by the wait's timeout, which cancels it
            await anyio.sleep(0.01)
            await gw.advance(30)

    async with anyio.create_task_group() as group:
        group.start_soon(clock)
        packages = await client.sms.wait(pkg_ids, timeout=300, poll_interval=0.02)
        group.cancel_scope.cancel()
    states = Counter(PackageState(pkg.state).name for pkg in packages)
    progress.done(f"delivery reports complete: {len(packages)} packages {dict(states)}")
    return packages


async def _stream_report(
    client: Client, pkg_ids: Sequence[int], progress: _Progress
) -> dict[str, int]:
    """Walk every recipient of every package through the streaming paginator."""
    counts: Counter[ItemState] = Counter()
    walked = 0
    for pkg_id in pkg_ids:
        async for item in client.sms.list_item(pkg_id=pkg_id):
            counts[item.state] += 1
            walked += 1
            if walked % 1000 == 0:
                progress.update(f"streaming the report: {walked:,} items")
    progress.done(f"streamed the report: {walked:,} items")
    return {
        "items": walked,
        "delivered": counts[ItemState.DELIVERED],
        "undelivered": counts[ItemState.UNDELIVERED],
        "expired": counts[ItemState.EXPIRED],
    }
