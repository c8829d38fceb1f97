"""Every gateway error reaches its exception class; failures are honest and leak no secrets."""

from __future__ import annotations

import base64
import logging
import socket

import aiohttp
import pytest

import nodesms
from nodesms._codes import CODE_TO_NAME, api_error
from nodesms._operation import Effect
from nodesms._retry import is_retryable
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

NO_RETRY = nodesms.RetryPolicy(max_attempts=1)

EXPECTED: dict[str, type[nodesms.APIError]] = {
    "SMS00": nodesms.BadRequestError,
    "SMS01": nodesms.PermissionDeniedError,
    "SMS02": nodesms.ConflictError,
    "SMS03": nodesms.NotFoundError,
    "SMS04": nodesms.ConflictError,
    "SMS05": nodesms.APIError,
    "SMS06": nodesms.NotFoundError,
    "SMS07": nodesms.ConflictError,
    "SMS08": nodesms.BadRequestError,
    "SMS09": nodesms.ConflictError,
    "SMS10": nodesms.NotFoundError,
    "SMS11": nodesms.ConflictError,
    "SMS12": nodesms.ConflictError,
    "SMS13": nodesms.ConflictError,
    "SMS14": nodesms.NotFoundError,
    "SMS15": nodesms.APIError,
    "SMS16": nodesms.NotFoundError,
    "SMS17": nodesms.NotFoundError,
    "SMS18": nodesms.InsufficientCreditError,
    "SMS19": nodesms.NotFoundError,
    "SMS20": nodesms.ConflictError,
    "SMS21": nodesms.ConflictError,
    "SMS22": nodesms.ConflictError,
    "SMS23": nodesms.ConflictError,
    "SMS24": nodesms.ConflictError,
    "SMS25": nodesms.ConflictError,
    "SMS26": nodesms.NotFoundError,
    "SMS27": nodesms.ConflictError,
    "SMS28": nodesms.InsufficientCreditError,
    "SMS29": nodesms.ConflictError,
    "SMS30": nodesms.NotFoundError,
    "SMS31": nodesms.BadRequestError,
    "SMS32": nodesms.ConflictError,
    "SMS33": nodesms.ConflictError,
    "SMS42": nodesms.ConflictError,
    "SMS44": nodesms.BadRequestError,
    "SMS48": nodesms.BadRequestError,
    "SMS50": nodesms.ConcurrencyLimitError,
    "SMS99": nodesms.MaintenanceError,
    "ERR_UNAUTHORIZED_REQUEST": nodesms.AuthenticationError,
    "ERR_INVALID_PARAM": nodesms.BadRequestError,
    "ERR_INVALID_SMS_SENDER": nodesms.BadRequestError,
    "ERR_EMPTY_SMS_PACKAGE": nodesms.BadRequestError,
    "ERR_NOT_FOUND": nodesms.NotFoundError,
    "ERR_INTERNAL_SERVER": nodesms.ServerError,
    "ERR_CONCURRENT_REQUEST_LIMIT": nodesms.ConcurrencyLimitError,
    "ERR_DAILY_REQUEST_LIMIT": nodesms.ConcurrencyLimitError,
    "ERR_SMS_PKG_DUPLICATION": nodesms.ConflictError,
}


def test_the_table_covers_every_documented_code() -> None:
    assert set(CODE_TO_NAME) <= set(EXPECTED)


@pytest.mark.parametrize("http_status", [200, None], ids=["http-200", "http-4xx-5xx"])
async def test_every_code_reaches_its_exception_class(
    nodesms_gateway: FakeGateway, http_status: int | None
) -> None:
    async with nodesms_gateway.client(retry=NO_RETRY) as client:
        for code, expected in EXPECTED.items():
            nodesms_gateway.faults.push("/user/credit", Fault.error(code, http_status=http_status))
            with pytest.raises(nodesms.APIError) as info:
                await client.user.credit()
            error = info.value
            assert type(error) is expected, code
            if code.startswith("SMS"):
                assert error.code == code
                assert error.name == CODE_TO_NAME[code]  # the wire carried only the name
            else:
                assert error.name == code
            assert error.message  # the gateway's text is kept
            assert error.status is not None
            if http_status == 200:
                assert error.http_status == 200
            else:
                assert error.http_status is not None
                assert error.http_status >= 400


async def test_unknown_code_is_a_plain_api_error(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/user/credit", Fault.error("ERR_SOMETHING_NEW"))
    async with nodesms_gateway.client(retry=NO_RETRY) as client:
        with pytest.raises(nodesms.APIError) as info:
            await client.user.credit()
    assert type(info.value) is nodesms.APIError
    assert info.value.name == "ERR_SOMETHING_NEW"
    assert info.value.code is None
    assert info.value.message
    assert "ERR_SOMETHING_NEW" in str(info.value)


async def test_html_502_is_a_response_error_and_is_retried(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/user/credit", Fault.bad_gateway())
    async with nodesms_gateway.client(retry=NO_RETRY) as client:
        with pytest.raises(nodesms.ResponseError) as info:
            await client.user.credit()
    assert info.value.http_status == 502
    assert "502 Bad Gateway" in info.value.excerpt
    nodesms_gateway.faults.push("/user/credit", Fault.bad_gateway())
    fast = nodesms.RetryPolicy(initial_delay=0.01)
    async with nodesms_gateway.client(retry=fast) as client:
        assert (await client.user.credit()).credit == nodesms_gateway.credit


async def test_truncated_json_is_a_response_error(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/user/credit", Fault.truncated())
    async with nodesms_gateway.client(retry=NO_RETRY) as client:
        with pytest.raises((nodesms.ResponseError, nodesms.TransportError)) as info:
            await client.user.credit()
    if isinstance(info.value, nodesms.ResponseError):
        assert info.value.truncated


async def test_timeout_is_a_request_timeout_error(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/user/credit", Fault.latency(1.0))
    async with nodesms_gateway.client(retry=NO_RETRY, timeout=0.2) as client:
        with pytest.raises(nodesms.RequestTimeoutError):
            await client.user.credit()


async def test_connection_refused_is_an_unsent_transport_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with nodesms.Client(f"http://127.0.0.1:{port}", "u", "p", retry=NO_RETRY) as client:
        with pytest.raises(nodesms.TransportError) as info:
            await client.user.credit()
    assert info.value.sent is False
    assert not isinstance(info.value, nodesms.RequestTimeoutError)


async def test_dropped_connection_is_a_transport_error(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/user/credit", Fault.drop_before())
    async with nodesms_gateway.client(retry=NO_RETRY) as client:
        with pytest.raises(nodesms.TransportError):
            await client.user.credit()


async def test_no_secret_and_no_full_number_in_reprs_errors_or_logs(
    nodesms_gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="nodesms")
    password = nodesms_gateway.password
    basic = base64.b64encode(f"{nodesms_gateway.username}:{password}".encode()).decode()
    number = "905550000017"
    texts: list[str] = []
    fast = nodesms.RetryPolicy(initial_delay=0.01)
    async with nodesms_gateway.client(retry=fast) as client:
        texts.append(repr(client))
        nodesms_gateway.faults.push("/sms/create", Fault.error("SMS99"), Fault.drop_after())
        await client.sms.create(sender="NODESMS", title="T", content="gizli metin", number=number)
        nodesms_gateway.faults.push("/sms/create", Fault.error("SMS18"))
        with pytest.raises(nodesms.APIError) as info:
            await client.sms.create(sender="NODESMS", title="T", content="x", number=number)
        texts += [str(info.value), repr(info.value)]
        with pytest.raises(nodesms.ValidationError) as bad:
            await client.sms.create(sender="NODESMS", title="T", content="x", number="9055512345")
        texts.append(str(bad.value))
    async with nodesms.Client(nodesms_gateway.base_url, "test", "wrong-Şifre") as wrong:
        with pytest.raises(nodesms.AuthenticationError) as denied:
            await wrong.user.credit()
        texts += [str(denied.value), repr(wrong)]
    logs = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("nodesms"))
    assert "retrying /sms/create" in logs  # the INFO line for the retry
    assert "HTTP 200 attempt" in logs  # the DEBUG line per request
    for text in [*texts, logs]:
        assert password not in text
        assert "wrong-Şifre" not in text
        assert basic not in text
        assert number not in text
        assert "gizli metin" not in text
    assert "90555***45" in str(bad.value)  # masked


async def test_retry_after_is_honoured_and_logged(
    nodesms_gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nodesms")
    nodesms_gateway.faults.push("/user/credit", Fault.error("SMS50", retry_after=0.25))
    async with nodesms_gateway.client(retry=nodesms.RetryPolicy(initial_delay=5)) as client:
        await client.user.credit()
    (line,) = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert "in 0.25s" in line
    assert "ConcurrencyLimitError SMS50" in line


async def test_retries_give_up_after_max_attempts(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/user/credit", *[Fault.error("SMS99")] * 5)
    policy = nodesms.RetryPolicy(max_attempts=3, initial_delay=0.01)
    async with nodesms_gateway.client(retry=policy) as client:
        with pytest.raises(nodesms.MaintenanceError):
            await client.user.credit()
    assert len(nodesms_gateway.requests) == 3


async def test_client_errors_are_not_retried(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/user/credit", Fault.error("ERR_INVALID_PARAM"))
    async with nodesms_gateway.client(retry=nodesms.RetryPolicy(initial_delay=0.01)) as client:
        with pytest.raises(nodesms.BadRequestError):
            await client.user.credit()
    assert len(nodesms_gateway.requests) == 1


async def test_retry_off(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/user/credit", Fault.error("SMS99"))
    async with nodesms_gateway.client(retry=NO_RETRY) as client:
        with pytest.raises(nodesms.MaintenanceError):
            await client.user.credit()
    assert len(nodesms_gateway.requests) == 1


async def test_caller_session_is_used_and_left_open(nodesms_gateway: FakeGateway) -> None:
    async with aiohttp.ClientSession() as session:
        async with nodesms_gateway.client(session=session) as client:
            await client.user.credit()
            view = client.with_options(timeout=5)
            await view.user.credit()
        assert not session.closed
        assert client.closed


@pytest.mark.parametrize("code", sorted(CODE_TO_NAME))
def test_numbered_codes_and_names_reach_the_same_class(code: str) -> None:
    name = CODE_TO_NAME[code]
    by_code = api_error(code, "m", status=400, http_status=400)
    by_name = api_error(name, "m", status=400, http_status=400)
    by_lower = api_error(name.lower(), "m", status=400, http_status=200)
    assert type(by_code) is type(by_name) is type(by_lower) is EXPECTED[code]
    assert (by_code.code, by_code.name) == (by_name.code, by_name.name) == (code, name)
    assert (by_lower.code, by_lower.name) == (code, name)


def test_unknown_code_falls_back_on_the_http_status() -> None:
    assert type(api_error("WEIRD", "m", status=None, http_status=401)) is (
        nodesms.AuthenticationError
    )
    assert type(api_error(None, "m", status=None, http_status=502)) is nodesms.ServerError
    plain = api_error("WEIRD", "m", status=None, http_status=400)
    assert type(plain) is nodesms.APIError
    assert plain.name == "WEIRD"


async def test_read_timeout_may_have_been_sent(nodesms_gateway: FakeGateway) -> None:
    nodesms_gateway.faults.push("/user/credit", Fault.latency(1.0))
    timeout = nodesms.Timeout(total=5, read=0.2)
    async with nodesms_gateway.client(retry=NO_RETRY, timeout=timeout) as client:
        with pytest.raises(nodesms.RequestTimeoutError) as info:
            await client.user.credit()
    assert info.value.sent is True


async def test_tls_failure_is_not_retried(
    nodesms_gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nodesms")
    https_url = nodesms_gateway.base_url.replace("http://", "https://")
    async with nodesms.Client(https_url, "u", "p") as client:  # TLS against a plain-HTTP port
        with pytest.raises(nodesms.TransportError) as info:
            await client.user.credit()
    assert info.value.retryable is False
    assert "does not speak TLS" in str(info.value)  # the likely fix, not an SSL context
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]


async def test_closed_caller_session_is_a_clear_error(nodesms_gateway: FakeGateway) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    async with nodesms_gateway.client(session=session) as client:
        with pytest.raises(nodesms.NodeSMSError, match="session= is closed"):
            await client.user.credit()


@pytest.mark.parametrize(
    ("error", "effect", "retried"),
    [
        (nodesms.ResponseError("html", http_status=500), Effect.READ, True),
        (nodesms.ResponseError("html", http_status=502), Effect.CREATE, True),
        (nodesms.ResponseError("html", http_status=502), Effect.WRITE, False),
        (nodesms.ResponseError("schema", http_status=200), Effect.READ, False),
        (nodesms.ResponseError("cut", http_status=200, truncated=True), Effect.CREATE, True),
        (nodesms.TransportError("refused", sent=False), Effect.WRITE, True),
        (nodesms.TransportError("reset", sent=None), Effect.WRITE, False),
        (nodesms.TransportError("reset", sent=None), Effect.IDEMPOTENT, True),
        (nodesms.TransportError("tls", sent=False, retryable=False), Effect.READ, False),
        (api_error("SMS50", "m", status=429, http_status=429), Effect.WRITE, True),
        (api_error("SMS99", "m", status=503, http_status=503), Effect.WRITE, True),
        (
            api_error("ERR_DAILY_REQUEST_LIMIT", "m", status=429, http_status=429),
            Effect.READ,
            False,
        ),
        (api_error("ERR_INTERNAL_SERVER", "m", status=500, http_status=500), Effect.READ, True),
        (api_error("ERR_INTERNAL_SERVER", "m", status=500, http_status=500), Effect.WRITE, False),
        (api_error("SMS18", "m", status=417, http_status=417), Effect.READ, False),
    ],
)
def test_retry_classification(error: Exception, effect: Effect, retried: bool) -> None:
    assert is_retryable(error, effect) is retried
