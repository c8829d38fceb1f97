"""Every example in a public docstring runs: the ``::`` blocks against a FakeGateway (the
placeholder gateway URL becomes the fake's), and the ``>>>`` examples as doctests."""

from __future__ import annotations

import doctest
import inspect
import textwrap
import types
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import anyio
import pytest

import nodesms
import nodesms.testing
from nodesms.resources.contact import ContactResource
from nodesms.resources.sms import SmsResource
from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio

PLACEHOLDER = 'nodesms.Client("https://panel.example.com.tr:9588", "user", "pass")'
SYNC_PLACEHOLDER = 'nodesms.SyncClient("https://panel.example.com.tr:9588", "user", "pass")'


def public_objects() -> Iterator[tuple[str, Any]]:
    seen: set[int] = set()

    def walk(obj: Any, name: str) -> Iterator[tuple[str, Any]]:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        yield name, obj
        if inspect.isclass(obj):
            for key in vars(obj):
                if not key.startswith("_"):
                    yield from walk(getattr(obj, key), f"{name}.{key}")

    for module in (nodesms, nodesms.testing):
        yield from walk(module, module.__name__)
        for key in module.__all__:
            yield from walk(getattr(module, key), f"{module.__name__}.{key}")
    for resource in (SmsResource, ContactResource):
        yield from walk(resource, resource.__name__)


def literal_blocks(doc: str) -> list[str]:
    """The indented blocks that follow a line ending in ``::``."""
    lines, blocks, i = doc.splitlines(), [], 0
    while i < len(lines):
        if not lines[i].rstrip().endswith("::"):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        indent = len(lines[j]) - len(lines[j].lstrip()) if j < len(lines) else 0
        body = []
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith(" " * indent)):
            body.append(lines[j][indent:])
            j += 1
        blocks.append(textwrap.dedent("\n".join(body)).strip())
        i = j
    return [b for b in blocks if b]


EXAMPLES = [
    (f"{name}[{index}]", block)
    for name, obj in public_objects()
    for index, block in enumerate(literal_blocks(inspect.getdoc(obj) or ""))
]
DOCTESTS = [(name, obj) for name, obj in public_objects() if ">>>" in (inspect.getdoc(obj) or "")]


def test_the_examples_were_found() -> None:
    names = {name.split("[")[0] for name, _ in EXAMPLES}
    assert {
        "nodesms.Client",
        "nodesms.SyncClient",
        "nodesms.testing.FakeGateway",
        "nodesms.custom_id_for",
    } <= names
    assert {"nodesms.segments", "nodesms.to_gsm"} <= {name for name, _ in DOCTESTS}


@pytest.mark.parametrize("source", [b for _, b in EXAMPLES], ids=[n for n, _ in EXAMPLES])
async def test_docstring_example_runs(source: str) -> None:
    async with FakeGateway(senders=["ACME", "NODESMS"]) as gw, gw.client() as client:
        code = source.replace(PLACEHOLDER, "gw.client()")
        namespace: dict[str, Any] = {
            "nodesms": nodesms,
            "FakeGateway": FakeGateway,
            "gw": gw,
            "client": client,
            "base_url": gw.base_url,
            "username": gw.username,
            "password": gw.password,
            "job": types.SimpleNamespace(id="rq:job:42"),
        }
        if SYNC_PLACEHOLDER in source:
            # A SyncClient example is code without an event loop: run it in a worker thread.
            namespace["yesterday"] = datetime.now() - timedelta(days=1)
            code = code.replace(
                SYNC_PLACEHOLDER, "nodesms.SyncClient(gw.base_url, gw.username, gw.password)"
            )
            exec(f"def _example():\n{textwrap.indent(code, '    ')}\n", namespace)
            await anyio.to_thread.run_sync(namespace["_example"])
            return
        exec(f"async def _example():\n{textwrap.indent(code, '    ')}\n", namespace)
        await namespace["_example"]()


@pytest.mark.parametrize("obj", [o for _, o in DOCTESTS], ids=[n for n, _ in DOCTESTS])
def test_docstring_doctest_passes(obj: Any) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder(recurse=False).find(obj, globs={**vars(nodesms)}):
        runner.run(test)
    assert runner.failures == 0
    assert runner.tries > 0
