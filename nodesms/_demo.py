"""``nodesms demo``: OTP, campaign and personalised messages through an embedded gateway."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

import anyio

from ._client import Client
from .enums import ItemState, PackageState
from .models import Message, Package, PackageCreated

__all__ = ["DEMO_RECIPIENTS", "run_demo"]

SENDER = "NODESMS"
DEMO_RECIPIENTS = 10_000
CHUNK = 1_000  # messages per many-to-many request
PARALLEL = 4  # chunk requests in flight at once


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
    """Run the demo against an embedded gateway; return the summary counters."""
    from .testing import FakeGateway

    progress = _Progress(out)
    async with FakeGateway(credit=1_000_000, undelivered_rate=0.03, expired_rate=0.01) as gw:
        progress.step(f"embedded gateway at {gw.base_url} (user {gw.username!r})")
        async with gw.client() as client:
            start_credit = (await client.user.credit()).credit
            progress.step(f"credit: {start_credit:,.0f}")

            otp = await client.sms.create_otp(
                number="0555 000 00 01", sender=SENDER, content="Doğrulama kodunuz: 482913"
            )
            progress.step(f"OTP sent: package {otp.pkg_id}, customID {otp.custom_id}")

            campaign_numbers = [f"90555{i:07d}" for i in range(1, 501)]
            campaign = await client.sms.create(
                sender=SENDER,
                title="Kampanya",
                content="Yeni sezon indirimi başladı! Mağazalarımızda %30 indirim sizi bekliyor.",
                numbers=campaign_numbers,
            )
            progress.step(
                f"campaign to {len(campaign_numbers)} numbers: package {campaign.pkg_id} "
                f"({campaign.encoding.name if campaign.encoding is not None else '?'})"
            )

            personal = await _send_personalised(client, recipients, progress)
            sent_ids = [otp.pkg_id, campaign.pkg_id, *(p.pkg_id for p in personal)]
            packages = await _wait_for_delivery(client, gw, sent_ids, progress)
            report = await _stream_report(client, sent_ids, progress)
            end_credit = (await client.user.credit()).credit

    report["credit_used"] = int(start_credit - end_credit)
    parts = Counter[str]()
    for pkg in packages:  # SMS parts × recipients, by the encoding each package went out in
        parts[pkg.encoding.name if pkg.encoding is not None else "?"] += pkg.statistics.total
    progress.step(
        "summary: {delivered:,} delivered, {undelivered:,} undelivered, {expired:,} expired, "
        "{credit_used:,} credit used".format(**report)
    )
    progress.step(
        "SMS parts by encoding: "
        + ", ".join(f"{name} {count:,}" for name, count in sorted(parts.items()))
    )
    return report


def _personal_text(index: int) -> str:
    if index % 3 == 0:
        return f"Dear customer {index}, your order has shipped."
    return (
        f"Sayın {_first_name(index)}, {index} numaralı siparişiniz kargoya verildi. "
        "Teslimat saatini değiştirmek ya da kargonuzu takip etmek için müşteri hizmetlerimizi "
        "arayabilirsiniz."
    )


async def _send_personalised(
    client: Client, recipients: int, progress: _Progress
) -> list[PackageCreated]:
    """Send ``recipients`` personalised messages in chunks, a few requests at a time."""
    chunks = [
        [
            Message(f"90555{index:07d}", _personal_text(index), xid=f"msg-{index}")
            for index in range(start, min(start + CHUNK, recipients))
        ]
        for start in range(0, recipients, CHUNK)
    ]
    created: list[PackageCreated] = []
    limiter = anyio.CapacityLimiter(PARALLEL)

    async def send(number: int, chunk: list[Message]) -> None:
        async with limiter:
            result = await client.sms.create(
                sender=SENDER,
                title=f"Kişisel bildirim {number + 1}",
                content="Sipariş bildirimi",
                messages=chunk,
                custom_id=f"demo-chunk-{number}",
            )
        created.append(result)
        progress.update(f"personalised: {len(created)} / {len(chunks)} requests")

    async with anyio.create_task_group() as group:
        for number, chunk in enumerate(chunks):
            group.start_soon(send, number, chunk)
    encodings = Counter(p.encoding.name for p in created if p.encoding is not None)
    used = ", ".join(f"{name} x{count}" for name, count in sorted(encodings.items()))
    progress.done(f"personalised: {recipients:,} messages in {len(created)} requests ({used})")
    return created


async def _wait_for_delivery(
    client: Client, gw: object, pkg_ids: Sequence[int], progress: _Progress
) -> Sequence[Package]:
    """Move the embedded gateway's clock until every package has its final report."""
    from .testing import FakeGateway

    assert isinstance(gw, FakeGateway)
    for _ in range(200):
        await gw.advance(30)
        page = await client.sms.list(pkg_ids=pkg_ids, page_size=100)
        final = sum(1 for pkg in page.items if pkg.state.is_final)
        progress.update(f"waiting for delivery reports: {final} / {len(pkg_ids)} packages final")
        if final == len(pkg_ids):
            break
    states = Counter(PackageState(pkg.state).name for pkg in page.items)
    progress.done(f"delivery reports complete: {dict(states)}")
    return page.items


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
