"""The pool, the deadline, closing, event loops, exceptions that pickle, secrets kept out of
tracebacks, and the shape of the request path."""

from __future__ import annotations

import ast
import asyncio
import base64
import inspect
import pickle
import threading
import traceback
from pathlib import Path

import aiohttp
import anyio
import pytest
from aiohttp import web
from hostile import http_response, raw_server, web_server

import nodesms
import nodesms.errors
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

ONCE = nodesms.RetryPolicy(max_attempts=1)
CREDIT_OK = b'{"err": null, "data": {"credit": "12.5"}}'


class SlowGateway:
    """``/user/credit`` after ``delay`` seconds, counting requests in flight."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0
        self.served = 0
        self.order: list[str] = []
        self.app = web.Application()
        self.app.router.add_post("/user/credit", self.credit)

    async def credit(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.order.append(request.headers.get("X-Test-Order", ""))
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        self.served += 1
        return web.Response(body=CREDIT_OK, content_type="application/json")


# --- 5. a fair, sized pool -------------------------------------------------------------------


async def test_200_tasks_of_50_calls_share_20_connections_without_a_timeout() -> None:
    gateway = SlowGateway(0.1)
    failures: list[BaseException] = []
    async with web_server(gateway.app) as base_url:
        client = nodesms.Client(base_url, "u", "p", max_connections=20, retry=ONCE)
        async with client:

            async def worker() -> None:
                for _ in range(50):
                    try:
                        await client.user.credit()
                    except nodesms.NodeSMSError as exc:
                        failures.append(exc)

            with anyio.fail_after(300):  # a hang guard
                async with anyio.create_task_group() as tg:
                    for _ in range(200):
                        tg.start_soon(worker)
    assert failures == []
    assert gateway.served == 200 * 50
    assert gateway.most_in_flight <= 20


async def test_waiting_callers_get_through_in_arrival_order() -> None:
    gateway = SlowGateway(0.05)
    done: list[int] = []
    async with web_server(gateway.app) as base_url:
        client = nodesms.Client(base_url, "u", "p", max_connections=2, retry=ONCE)
        async with client:

            async def call(index: int) -> None:
                await client.user.credit()
                done.append(index)

            async with anyio.create_task_group() as tg:
                for index in range(30):
                    tg.start_soon(call, index)
                    await asyncio.sleep(0)  # each call starts, in order, before the next
    # FIFO: with two slots, a call can finish at most one place before one started earlier.
    assert all(abs(position - index) <= 1 for position, index in enumerate(done)), done
    assert gateway.most_in_flight <= 2


async def test_a_timeout_while_waiting_for_a_connection_is_not_sending() -> None:
    gateway = SlowGateway(1.5)
    async with (
        web_server(gateway.app) as base_url,
        nodesms.Client(base_url, "u", "p", max_connections=1, retry=ONCE, timeout=5) as client,
    ):
        first = asyncio.ensure_future(client.user.credit())
        await asyncio.sleep(0.2)
        with pytest.raises(nodesms.RequestTimeoutError) as caught:
            await client.with_options(timeout=0.3).user.credit()
        await first
    assert caught.value.sent is False
    assert "max_connections=1" in str(caught.value)
    assert gateway.served == 1  # the second call never reached the gateway


# --- 6. deadline and timeout -----------------------------------------------------------------


async def test_the_deadline_bounds_the_whole_call_even_inside_an_attempt() -> None:
    # The gateway never answers: only the deadline (0.5 s) can end a call whose attempts may
    # each take 30 s.
    async with raw_server(lambda head, body: None) as gateway:
        policy = nodesms.RetryPolicy(deadline=0.5)
        async with nodesms.Client(gateway.base_url, "u", "p", timeout=30, retry=policy) as client:
            with anyio.fail_after(10):  # a hang guard: without the deadline this takes 2 min
                with pytest.raises(nodesms.RequestTimeoutError):
                    await client.user.credit()
    assert len(gateway.requests) == 1


async def test_retries_stop_at_the_deadline() -> None:
    def busy(head: bytes, body: bytes) -> bytes:
        return http_response(b"busy", status="503 Service Unavailable")

    async with raw_server(busy) as gateway:
        policy = nodesms.RetryPolicy(
            max_attempts=1000, initial_delay=0.05, max_delay=0.1, deadline=0.6
        )
        async with nodesms.Client(gateway.base_url, "u", "p", retry=policy) as client:
            with anyio.fail_after(10), pytest.raises(nodesms.ResponseError):
                await client.user.credit()
    # Each wait is at least a few milliseconds on average (jitter from 0 to 0.1 s): far fewer
    # than max_attempts fit before the deadline.
    assert 2 <= len(gateway.requests) < 200


def test_the_docstrings_say_what_each_limit_bounds() -> None:
    policy_doc = inspect.getdoc(nodesms.RetryPolicy) or ""
    assert "bounds **one attempt**" in policy_doc
    assert "bounds **the whole call**" in policy_doc
    timeout_doc = inspect.getdoc(nodesms.Timeout) or ""
    assert "one attempt" in timeout_doc
    assert "deadline" in timeout_doc
    client_doc = inspect.getdoc(nodesms.Client) or ""
    assert "one attempt" in client_doc
    assert "hard bound of the whole call" in client_doc
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert "hard bound" in readme
    assert "one attempt" in readme


# --- 7. exceptions ---------------------------------------------------------------------------


def every_error() -> list[nodesms.NodeSMSError]:
    """One instance of every exception class nodesms defines, with every attribute set."""
    made: list[nodesms.NodeSMSError] = []
    for name in nodesms.errors.__all__:
        cls = getattr(nodesms.errors, name)
        if issubclass(cls, nodesms.APIError):
            error: nodesms.NodeSMSError = cls(
                "Yetersiz kredi", code="SMS18", name="ERR_X", status=0, http_status=400,
                retry_after=2.5,
            )  # fmt: skip
        elif issubclass(cls, nodesms.ClientClosedError):
            error = cls("closed", sent=None)
        elif issubclass(cls, nodesms.TransportError):
            error = cls("reset", sent=True, retryable=False)
        elif issubclass(cls, nodesms.ValidationError):
            error = cls("must be an int", field="page_size")
        elif issubclass(cls, nodesms.WaitTimeoutError):
            error = cls([3, 4], [], 12.5)
        elif issubclass(cls, nodesms.ResponseError):
            error = cls("bad", http_status=502, excerpt="<html>", truncated=True, retry_after=1.0)
        else:
            error = cls("no SOAP form")
        error.custom_id = "job-42"
        made.append(error)
    return made


def test_every_exception_pickles_unchanged() -> None:
    errors = every_error()
    assert {type(e).__name__ for e in errors} == set(nodesms.errors.__all__)
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert copy.args == error.args
        assert str(copy) == str(error)
        assert copy.__dict__ == error.__dict__
        assert copy.custom_id == "job-42"


async def test_every_exception_from_a_real_call_pickles(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/sms/create-otp", Fault.error("SMS18"))
    async with nodesms_gateway.client(retry=ONCE) as client:
        with pytest.raises(nodesms.InsufficientCreditError) as caught:
            await client.sms.create_otp(number="905550000001", sender="NODESMS", content="x")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert copy.__dict__ == caught.value.__dict__
    assert copy.code == "SMS18"


async def test_every_exception_from_a_create_carries_its_custom_id(
    nodesms_gateway: FakeGateway,
) -> None:
    async with nodesms_gateway.client(retry=ONCE) as client:
        nodesms_gateway.faults.push("/sms/create-otp", Fault.drop_after())
        with pytest.raises(nodesms.TransportError) as dropped:
            await client.sms.create_otp(number="905550000001", sender="NODESMS", content="a")
        generated = dropped.value.custom_id
        assert generated  # generated, and the only way to find the package that was made
        found = await client.sms.list(custom_ids=[generated])
        assert len(found.items) == 1
        # Sending again with it makes no second package.
        again = await client.sms.create_otp(
            number="905550000001", sender="NODESMS", content="a", custom_id=generated
        )
        assert again.pkg_id == found.items[0].id
        nodesms_gateway.faults.push("/sms/create", Fault.error("SMS18"))
        with pytest.raises(nodesms.InsufficientCreditError) as refused:
            await client.sms.create(
                sender="NODESMS", title="T", content="b", number="905550000001", custom_id="job-7"
            )
        assert refused.value.custom_id == "job-7"
        nodesms_gateway.faults.push("/sms/create", Fault.raw(b"<html>"))
        with pytest.raises(nodesms.ResponseError) as broken:
            await client.sms.create(sender="NODESMS", title="T", content="c", number="905550000001")
        assert broken.value.custom_id
        assert broken.value.custom_id != generated  # each create its own generated id


async def test_closing_a_client_with_calls_in_flight_gives_them_client_closed_error() -> None:
    gateway = SlowGateway(5.0)
    async with web_server(gateway.app) as base_url:
        for own_session in (False, True):
            session = aiohttp.ClientSession() if own_session else None
            client = nodesms.Client(base_url, "u", "p", max_connections=2, session=session)
            calls = [asyncio.ensure_future(client.user.credit()) for _ in range(4)]
            await asyncio.sleep(0.3)  # two in flight, two waiting for a connection
            with anyio.fail_after(10):
                await client.aclose()
                results = await asyncio.gather(*calls, return_exceptions=True)
            assert all(isinstance(r, nodesms.ClientClosedError) for r in results), results
            sent = sorted(str(r.sent) for r in results if isinstance(r, nodesms.ClientClosedError))
            assert sent == ["False", "False", "None", "None"]
            assert all(r.__context__ is None for r in results if isinstance(r, BaseException))
            with pytest.raises(nodesms.ClientClosedError) as after:
                await client.user.credit()
            assert after.value.sent is False
            if session is not None:
                assert not session.closed  # a caller's session stays open
                await session.close()
    assert isinstance(nodesms.ClientClosedError("x"), nodesms.TransportError)
    assert "ClientClosedError" in nodesms.__all__


async def test_a_client_used_from_another_event_loop_says_so(
    nodesms_client: nodesms.Client,
) -> None:
    await nodesms_client.user.credit()
    caught: list[BaseException] = []

    def elsewhere() -> None:
        try:
            asyncio.run(nodesms_client.user.credit())
        except BaseException as exc:
            caught.append(exc)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    await anyio.to_thread.run_sync(thread.join, 30)
    assert len(caught) == 1
    assert type(caught[0]) is nodesms.NodeSMSError
    assert "another event loop" in str(caught[0])
    await nodesms_client.user.credit()  # still fine on its own loop


# --- 8. secrets ------------------------------------------------------------------------------

PASSWORD = "S3cr3t-Pässwörd"


def rendered(exc: BaseException) -> str:
    """The traceback as Sentry or loguru would show it: every frame's locals, every cause.

    The test's own frames are left out (the test holds the password itself); every frame of
    nodesms, and of what it calls, is in.
    """
    stack = traceback.StackSummary.extract(
        (
            (frame, line)
            for frame, line in traceback.walk_tb(exc.__traceback__)
            if not frame.f_code.co_filename.startswith(str(Path(__file__).parent))
        ),
        capture_locals=True,
    )
    text = "".join(stack.format()) + repr(exc) + str(exc)
    text += "".join(repr(value) for value in vars(exc).values())
    for chained in (exc.__cause__, exc.__context__):
        if chained is not None:
            text += rendered(chained)
    return text


def assert_no_secret(text: str, username: str) -> None:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    assert PASSWORD not in text
    assert token not in text
    assert PASSWORD.encode("utf-8").hex() not in text
    assert repr(PASSWORD.encode("utf-8"))[2:-1] not in text


@pytest.mark.parametrize("protocol", ["json", "soap"])
async def test_tracebacks_with_locals_show_neither_password_nor_token(protocol: str) -> None:
    async with FakeGateway(password=PASSWORD) as gw:
        client = nodesms.Client(gw.base_url, gw.username, PASSWORD, protocol=protocol, retry=ONCE)  # type: ignore[arg-type]
        failures: list[BaseException] = []
        async with client:
            op = "/sms/create-otp" if protocol == "json" else "sendOtp"
            for fault in (
                Fault.error("SMS18"),
                Fault.drop_before(),
                Fault.raw(b"<html>"),
                Fault.truncated(),
            ):
                gw.faults.push(op, fault)
                try:
                    await client.sms.create_otp(
                        number="905550000001", sender="NODESMS", content="x"
                    )
                except nodesms.NodeSMSError as exc:
                    failures.append(exc)
        # And through the retry engine's frames: three failed attempts.
        retrying = nodesms.RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.02)
        async with nodesms.Client(
            gw.base_url, gw.username, PASSWORD, protocol=protocol, retry=retrying
        ) as retried:  # type: ignore[arg-type]
            credit = "/user/credit" if protocol == "json" else "getUserCredit"
            gw.faults.push(credit, Fault.drop_before(), Fault.bad_gateway(), Fault.drop_before())
            with pytest.raises(nodesms.TransportError) as exhausted:
                await retried.user.credit()
        failures.append(exhausted.value)
        wrong = nodesms.Client(
            gw.base_url, gw.username, PASSWORD + "x", protocol=protocol, retry=ONCE
        )  # type: ignore[arg-type]
        async with wrong:
            with pytest.raises(nodesms.AuthenticationError) as denied:
                await wrong.user.credit()
        failures.append(denied.value)
    async with raw_server(
        lambda head, body: http_response(
            b"", status="307 Temporary Redirect", headers={"Location": "http://x.example/"}
        )
    ) as server:
        async with nodesms.Client(
            server.base_url, "u", PASSWORD, protocol=protocol, retry=ONCE
        ) as redirected:  # type: ignore[arg-type]
            with pytest.raises(nodesms.ResponseError) as moved:
                await redirected.user.credit()
        failures.append(moved.value)
    refused = nodesms.Client("http://127.0.0.1:9", "u", PASSWORD, protocol=protocol, retry=ONCE)  # type: ignore[arg-type]
    async with refused:
        with pytest.raises(nodesms.TransportError) as unreachable:
            await refused.user.credit()
    failures.append(unreachable.value)
    assert len(failures) == 8
    for failure in failures:
        assert_no_secret(rendered(failure), gw.username)
        assert_no_secret(rendered(failure), "u")


def test_a_client_that_cannot_be_built_shows_no_password() -> None:
    with pytest.raises(nodesms.ValidationError) as caught:
        nodesms.Client("http://127.0.0.1:9", "u", PASSWORD, gateway_tz="Europe/Istanbul")  # type: ignore[arg-type]
    assert_no_secret(rendered(caught.value), "u")
    with pytest.raises(nodesms.ValidationError) as missing:
        nodesms.Client(None, "u", PASSWORD)
    assert_no_secret(rendered(missing.value), "u")


# --- 9. the shape of the request path --------------------------------------------------------

NODESMS = Path(nodesms.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """The nodesms modules a file imports (relative imports resolved), at any level."""
    package = ".".join(path.relative_to(NODESMS.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_resources_talk_to_a_narrow_interface_not_to_the_client() -> None:
    for path in (NODESMS / "resources").glob("*.py"):
        modules = imported_modules(path)
        assert "nodesms._client" not in modules, path.name
        source = path.read_text()
        assert "_connection" not in source, path.name
        assert "._client" not in source, path.name


def test_only_the_transport_talks_http() -> None:
    talks_http = {
        path.name
        for path in NODESMS.glob("*.py")
        if any(m == "aiohttp" or m.startswith("aiohttp.") for m in imported_modules(path))
    }
    # The client (and its generated sync twin) accepts a caller's aiohttp.ClientSession and
    # TraceConfigs; _config builds the timeout and the User-Agent; _network checks the proxy
    # options and explains TLS failures; only _transport sends anything.
    allowed = {"_transport.py", "_client.py", "_sync_client.py", "_config.py", "_network.py"}
    assert talks_http <= allowed, talks_http
    for name in ("_json.py", "_soap.py", "_answer.py"):
        assert "aiohttp" not in (NODESMS / name).read_text(), name


def module_graph() -> dict[str, set[str]]:
    """nodesms module → the nodesms modules it imports when it is imported (module level, not
    under ``if TYPE_CHECKING``, packages' ``__init__`` left out)."""
    modules = {
        "nodesms." + ".".join(p.relative_to(NODESMS).with_suffix("").parts): p
        for p in NODESMS.rglob("*.py")
        if p.name != "__init__.py"
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name.rsplit(".", 1)[0]
        edges: set[str] = set()
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.ImportFrom):
                continue
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    edges.add(f"{target}.{alias.name}")
            if target in modules:
                edges.add(target)
        graph[name] = edges
    return graph


def test_no_import_cycle_between_the_client_and_the_resources() -> None:
    graph = module_graph()

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            for nxt in graph.get(current, ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    assert reaches("nodesms._client", "nodesms.resources.sms")
    for name in graph:
        if name.startswith("nodesms.resources.") or name in (
            "nodesms._transport", "nodesms._json", "nodesms._soap", "nodesms._answer",
            "nodesms._clock", "nodesms._paging", "nodesms._retry",
        ):  # fmt: skip
            assert not reaches(name, "nodesms._client"), name
            assert not reaches(name, name), name


def test_json_and_soap_share_one_set_of_answer_rules() -> None:
    for name in ("_json.py", "_soap.py"):
        modules = imported_modules(NODESMS / name)
        assert "nodesms._answer" in modules, name
        assert "nodesms._codes" not in modules, name  # error mapping only through _answer
