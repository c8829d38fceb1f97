"""nodesms.SyncClient: the async client's twin, on a background loop, and never out of step."""

from __future__ import annotations

import ast
import asyncio
import inspect
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nodesms
from nodesms import _gen_sync
from nodesms.resources._base import Resource
from nodesms.testing import FakeGateway

ROOT = Path(__file__).resolve().parent.parent


# --- never out of step -------------------------------------------------------------------


def test_the_generated_file_is_current() -> None:
    assert _gen_sync.is_current(), (
        f"nodesms/_sync_client.py is stale: run `{_gen_sync.REGENERATE}` and commit the result"
    )


def test_the_check_command_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "_sync_client.py"
    stale.write_text(_gen_sync.TARGET.read_text().replace("def list(", "def listed(", 1))
    script = (
        "import sys, pathlib, nodesms._gen_sync as g; "
        f"g.TARGET = pathlib.Path({str(stale)!r}); sys.exit(g.main(['--check']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 1
    assert "run: python -m nodesms._gen_sync" in done.stderr


def _canon(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    return ast.unparse(ast.parse(text, mode="eval"))


def _sync_form(annotation: Any, *, parameter: bool) -> str:
    """What the sync twin's annotation must be: async types swapped, async-only ones gone."""
    tree = ast.parse(_canon(annotation), mode="eval").body
    members = _gen_sync._union_members(tree)
    if parameter:
        members = [m for m in members if not _gen_sync._is_async_only(m)]
    text = " | ".join(ast.unparse(m) for m in members)
    text = text.replace("AsyncPaginator[", "SyncPaginator[")
    return "SyncClient" if text == "Client" else text


def assert_twin(async_fn: Callable[..., Any], sync_fn: Callable[..., Any], where: str) -> None:
    expected = inspect.signature(async_fn)
    actual = inspect.signature(sync_fn)
    assert list(actual.parameters) == list(expected.parameters), where
    for name, want in expected.parameters.items():
        got = actual.parameters[name]
        assert got.kind == want.kind, f"{where}({name}) kind"
        assert got.default == want.default, f"{where}({name}) default"
        if name != "self":
            assert _canon(got.annotation) == _sync_form(want.annotation, parameter=True), (
                f"{where}({name}) type"
            )
    returns = expected.return_annotation
    if inspect.isasyncgenfunction(async_fn):
        item = _canon(returns).split("[", 1)[1].rstrip("]")
        assert _canon(actual.return_annotation) == f"Iterator[{item}]", where
    else:
        assert _canon(actual.return_annotation) == _sync_form(returns, parameter=False), where
    assert inspect.getdoc(sync_fn) == inspect.getdoc(async_fn) or where.endswith("__init__")


def public(cls: type) -> dict[str, Any]:
    return {
        name: value
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and (callable(value) or isinstance(value, property))
    }


def test_every_api_area_method_has_a_twin_with_the_same_signature() -> None:
    areas = {
        name: hint
        for name, hint in inspect.get_annotations(nodesms.Client, eval_str=True).items()
        if isinstance(hint, type) and issubclass(hint, Resource)
    }
    assert set(areas) >= {"sms", "user", "contact", "mo"}
    sync_areas = inspect.get_annotations(nodesms.SyncClient, eval_str=True)
    checked = 0
    for name, resource in areas.items():
        twin = sync_areas[name]
        assert set(public(twin)) == set(public(resource)), name
        for method_name, method in public(resource).items():
            assert_twin(method, getattr(twin, method_name), f"{name}.{method_name}")
            checked += 1
    assert checked >= 20


def test_the_client_and_its_twin_take_the_same_arguments_and_have_the_same_members() -> None:
    assert_twin(nodesms.Client.__init__, nodesms.SyncClient.__init__, "__init__")
    async_side = set(public(nodesms.Client)) - {"aclose"}
    sync_side = set(public(nodesms.SyncClient)) - {"close"}
    assert async_side == sync_side
    for name in async_side:
        value = getattr(nodesms.Client, name)
        twin = getattr(nodesms.SyncClient, name)
        if isinstance(value, property):
            assert isinstance(twin, property), name
            assert_twin(value.fget, twin.fget, name)  # type: ignore[arg-type]
        else:
            assert_twin(value, twin, name)


def test_paginators_have_the_same_api() -> None:
    async_api = {n for n in dir(nodesms.AsyncPaginator) if not n.startswith("_")}
    sync_api = {n for n in dir(nodesms.SyncPaginator) if not n.startswith("_")}
    assert async_api == sync_api == {"pages", "first_page", "to_list"}
    assert hasattr(nodesms.SyncPaginator, "__iter__")


# --- working ------------------------------------------------------------------------------


def test_a_sync_client_does_what_the_async_one_does(
    nodesms_gateway: FakeGateway, nodesms_sync_client: nodesms.SyncClient
) -> None:
    client = nodesms_sync_client
    assert client.base_url == nodesms_gateway.base_url
    assert repr(client).startswith("nodesms.SyncClient(base_url=")
    sent = client.sms.create(
        sender="NODESMS", title="T", content="Merhaba", numbers=["905550000001", "905550000002"]
    )
    assert isinstance(sent, nodesms.PackageCreated)
    otp = client.sms.create_otp(number="905550000003", sender="ACME", content="Kodunuz: 1")
    nodesms_gateway.advance(60)
    assert nodesms_gateway.package(sent.pkg_id).state == nodesms.PackageState.COMPLETED
    items = client.sms.list_item(pkg_id=sent.pkg_id)
    assert isinstance(items, nodesms.SyncPaginator)
    assert {item.target for item in items} == {"905550000001", "905550000002"}
    assert client.user.credit().credit == 100_000 - 3
    with pytest.raises(nodesms.ConflictError):
        client.sms.cancel(pkg_id=otp.pkg_id)
    with pytest.raises(nodesms.ValidationError):
        client.sms.create_otp(number="12", sender="ACME", content="x")
    invalid = client.contact.set_blacklist(status=True, gsms=["905550000009", "12"],
                                           return_invalids=True)  # fmt: skip
    assert invalid == ["12"]


def test_a_sync_paginator_walks_pages_items_and_the_first_page(
    nodesms_gateway: FakeGateway, nodesms_sync_client: nodesms.SyncClient
) -> None:
    nodesms_gateway.seed_packages(45)
    since = nodesms_gateway.now.replace(year=2020)
    listing = nodesms_sync_client.sms.list(start_date=since, page_size=10)
    assert len(list(listing)) == 45
    assert [len(page.items) for page in listing.pages()] == [10, 10, 10, 10, 5]
    first = listing.first_page()
    assert (len(first.items), first.total) == (10, 45)
    assert len(nodesms_sync_client.sms.list(start_date=since, limit=12).to_list()) == 12
    before = len(nodesms_gateway.requests)
    for _ in nodesms_sync_client.sms.list(start_date=since, page_size=10):
        break  # leaving early cancels the page fetched ahead; nothing is left running
    assert len(nodesms_gateway.requests) - before <= 2


def test_threads_share_one_sync_client(
    nodesms_gateway: FakeGateway, nodesms_sync_client: nodesms.SyncClient
) -> None:
    errors: list[BaseException] = []

    def send(index: int) -> None:
        try:
            for k in range(5):
                nodesms_sync_client.sms.create_otp(
                    number=f"90555000{index:02d}{k:02d}", sender="ACME", content=f"Kod {k}"
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(nodesms_gateway.packages) == 40


def test_repeated_use_outlives_event_loops(nodesms_gateway: FakeGateway) -> None:
    # The failure it replaces: a global Client and asyncio.run() twice -> "Event loop is closed".
    with nodesms.SyncClient(**_credentials(nodesms_gateway)) as client:
        for _ in range(3):
            asyncio.run(asyncio.sleep(0))
            assert client.user.credit().credit == 100_000


def test_used_from_a_running_loop_it_says_to_use_client(
    nodesms_sync_client: nodesms.SyncClient,
) -> None:
    async def inside() -> None:
        with pytest.raises(nodesms.NodeSMSError, match=r"use nodesms\.Client with await"):
            nodesms_sync_client.user.credit()
        with pytest.raises(nodesms.NodeSMSError, match="running event loop"):
            nodesms_sync_client.sms.list()

    asyncio.run(inside())


def test_close_views_and_bad_arguments(nodesms_gateway: FakeGateway) -> None:
    client = nodesms.SyncClient(**_credentials(nodesms_gateway), timeout=7)
    view = client.with_options(timeout=3)
    listing = client.sms.list_sender()
    assert isinstance(view, nodesms.SyncClient)
    assert (client.timeout.total, view.timeout.total) == (7, 3)
    assert view.user.credit().credit == 100_000
    threads = threading.active_count()
    view.close()
    assert client.closed
    client.close()
    assert threading.active_count() == threads - 1
    with pytest.raises(nodesms.NodeSMSError, match="closed"):
        client.user.credit()
    with pytest.raises(nodesms.NodeSMSError, match="closed"):
        list(listing)
    with pytest.raises(nodesms.ValidationError) as caught:
        nodesms.SyncClient(**_credentials(nodesms_gateway), session=object())  # type: ignore[arg-type]
    assert caught.value.field == "session"
    with pytest.raises(nodesms.ValidationError) as caught:
        nodesms.SyncClient(**_credentials(nodesms_gateway), protocol="xml")  # type: ignore[arg-type]
    assert caught.value.field == "protocol"
    assert threading.active_count() == threads - 1


def test_after_fork_it_refuses_instead_of_hanging(nodesms_gateway: FakeGateway) -> None:
    gw = nodesms_gateway
    credentials = (gw.base_url, gw.username, gw.password)
    script = textwrap.dedent(
        f"""
        import os, sys
        import nodesms
        client = nodesms.SyncClient(*{credentials!r})
        client.user.credit()
        pid = os.fork()
        if pid == 0:
            try:
                client.user.credit()
            except nodesms.NodeSMSError as exc:
                print("child:", exc, flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        print("parent:", client.user.credit().credit, flush=True)
        client.close()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert "child: this nodesms.SyncClient was created before the process forked" in done.stdout
    assert "parent: 100000" in done.stdout


def _credentials(gw: FakeGateway) -> dict[str, str]:
    return {"base_url": gw.base_url, "username": gw.username, "password": gw.password}


SAMPLE = '''
from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable

from nodesms._paging import AsyncPaginator
from nodesms.enums import SmsType
from nodesms.models import Message, Package

__all__ = ["Progress", "Sample"]

Progress = Callable[[int], Awaitable[None] | None]


class Sample:
    async def send_bulk(
        self,
        messages: Iterable[Message] | AsyncIterable[Message],
        *,
        kind: SmsType = SmsType.OTP,
        on_progress: Progress | None = None,
        chunk_size: int = 1000,
    ) -> list[int]:
        """Send many."""
        return []

    async def stream(self, *, limit: int | None = None) -> AsyncIterator[Package]:
        """Stream."""
        yield Package(id=1)

    def walk(self, *, size: int = 10) -> AsyncPaginator[Package]:
        """Walk."""
        raise NotImplementedError
'''


def test_the_generator_mirrors_new_kinds_of_methods(tmp_path: Path, monkeypatch: Any) -> None:
    # What other work adds (bulk sends from async iterables, callbacks, streams) regenerates.
    (tmp_path / "nodesms_sample_area.py").write_text(SAMPLE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import nodesms_sample_area

    writer = _gen_sync._Writer()
    for method in _gen_sync._methods(nodesms_sample_area.Sample).values():
        writer.method(method, "self._owner._target().sample")
    code = "\n".join(writer.lines)
    assert "messages: Iterable[Message]," in code
    assert "AsyncIterable" not in code
    assert "kind: SmsType = SmsType.OTP," in code
    assert "on_progress: Progress | None = None," in code
    assert "return self._owner._run(" in code
    assert ") -> Iterator[Package]:" in code
    assert "return self._owner._iterate(" in code
    assert ") -> SyncPaginator[Package]:" in code
    assert "return SyncPaginator(self._owner," in code
    assert writer.imports.names["nodesms_sample_area"] == {"Progress"}
    assert writer.imports.names["nodesms.enums"] == {"SmsType"}
    compile("class SyncSample:\n" + code, "generated", "exec")
