"""The README's examples run as written (against the embedded gateway)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import nodesms
from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def block_with(marker: str) -> str:
    (block,) = [b for b in BLOCKS if marker in b]
    return block


async def run_async(source: str, **names: object) -> dict[str, object]:
    body = textwrap.indent(source, "    ")
    namespace: dict[str, object] = {"nodesms": nodesms, **names}
    exec(f"async def _example():\n{body}\n    return locals()", namespace)
    return await namespace["_example"]()  # type: ignore[operator, no-any-return]


async def test_quick_start_runs_against_the_embedded_gateway() -> None:
    source = block_with("async def main()")
    source = source.replace(
        'nodesms.Client("https://panel.example.com.tr:9588", "user", "password")', "gw.client()"
    )
    source = source.replace("asyncio.run(main())", "await main()")
    async with FakeGateway() as gw:
        gw.seed_packages(3)
        await run_async(source, gw=gw)
        assert len(gw.packages) == 3 + 3


async def test_testing_example_runs() -> None:
    source = block_with("Fault.drop_after()")
    await run_async(source)


async def test_contacts_example_runs() -> None:
    source = block_with("client.contact.create(")
    async with FakeGateway() as gw, gw.client() as client:
        since = gw.now
        await run_async(source, client=client, numbers=["905550000003"], since=since)
        await gw.advance(5)
        assert {c.gsm for c in gw.contacts} >= {"905550000001", "905550000002", "905550000003"}


def test_segments_example_output() -> None:
    block = block_with("nodesms.segments(")
    call, expected = (line.strip() for line in block.strip().splitlines())
    assert repr(eval(call.removeprefix(">>> "))) == expected
