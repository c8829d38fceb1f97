"""Client configuration and input validation: everything here fails before a request is sent."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nodesms
from nodesms._config import normalize_base_url

pytestmark = pytest.mark.anyio

NOWHERE = "http://127.0.0.1:9"  # discard port: nothing listens, nothing may be sent


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("https://panel.example.com.tr:9588", "https://panel.example.com.tr:9588"),
        ("https://panel.example.com.tr:9588/", "https://panel.example.com.tr:9588"),
        ("https://panel.example.com.tr:9588/sms/create-otp", "https://panel.example.com.tr:9588"),
        ("http://panel.example.com.tr:9587/soap?wsdl", "http://panel.example.com.tr:9587"),
        ("  HTTP://Panel.Example.com.tr  ", "http://panel.example.com.tr"),
        ("http://[::1]:9587/x", "http://[::1]:9587"),
    ],
)
def test_base_url_keeps_scheme_host_and_port(pasted: str, expected: str) -> None:
    assert normalize_base_url(pasted) == expected


@pytest.mark.parametrize(
    "bad", ["panel.example.com.tr:9587", "ftp://x", "http://", "http://h:99999"]
)
def test_bad_base_url_is_a_validation_error(bad: str) -> None:
    with pytest.raises(nodesms.ValidationError) as info:
        normalize_base_url(bad)
    assert info.value.field == "base_url"


@pytest.mark.parametrize(
    "pasted", ["https://user:s3cret@panel.example.com.tr:99999", "user:s3cret@panel.example.com.tr"]
)
def test_credentials_in_a_bad_url_are_not_repeated(pasted: str) -> None:
    with pytest.raises(nodesms.ValidationError) as info:
        normalize_base_url(pasted)
    assert "s3cret" not in str(info.value)


def test_credentials_in_a_good_url_are_dropped() -> None:
    assert normalize_base_url("https://user:s3cret@host:9588/x") == "https://host:9588"


def test_missing_configuration_names_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NODESMS_BASE_URL", "NODESMS_USERNAME", "NODESMS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(nodesms.ValidationError) as info:
        nodesms.Client()
    message = str(info.value)
    for name in ("NODESMS_BASE_URL", "NODESMS_USERNAME", "NODESMS_PASSWORD"):
        assert name in message


async def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODESMS_BASE_URL", "https://panel.example.com.tr:9588/sms/create")
    monkeypatch.setenv("NODESMS_USERNAME", "env-user")
    monkeypatch.setenv("NODESMS_PASSWORD", "env-Şifre-1")
    async with nodesms.Client() as client:
        assert client.base_url == "https://panel.example.com.tr:9588"
        assert client.username == "env-user"
        assert "env-Şifre-1" not in repr(client)


async def test_repr_never_shows_the_password() -> None:
    async with nodesms.Client(NOWHERE, "user", "s3cret-Şifre") as client:
        text = repr(client) + repr(client.with_options(timeout=3))
        assert "s3cret" not in text
        assert "user" in text


async def test_timeout_and_retry_options() -> None:
    async with nodesms.Client(NOWHERE, "u", "p", timeout=nodesms.Timeout(10, 2, 5)) as client:
        assert client.timeout == nodesms.Timeout(total=10, connect=2, read=5)
        view = client.with_options(timeout=3, retry=nodesms.RetryPolicy(max_attempts=1))
        assert view.timeout.total == 3
        assert view.retry.max_attempts == 1
        assert client.timeout.total == 10  # the original is untouched
        assert view.sms is not client.sms
    assert view.closed  # a view shares its parent's lifecycle


@pytest.mark.parametrize(
    "kwargs",
    [
        {"protocol": "xml"},
        {"timeout": -1},
        {"timeout": "fast"},
        {"retry": 3},
        {"ssl": "yes"},
        {"gateway_tz": "Europe/Istanbul"},
    ],
)
def test_bad_options_are_validation_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(nodesms.ValidationError):
        nodesms.Client(NOWHERE, "u", "p", **kwargs)  # type: ignore[arg-type]


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(nodesms.ValidationError, match="max_attempts"):
        nodesms.RetryPolicy(max_attempts=0)
    with pytest.raises(nodesms.ValidationError):
        nodesms.RetryPolicy(initial_delay=-1)


async def test_closed_client_says_so() -> None:
    client = nodesms.Client(NOWHERE, "u", "p")
    await client.aclose()
    await client.aclose()  # twice is fine
    with pytest.raises(nodesms.NodeSMSError, match="closed"):
        await client.user.credit()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+90 555 123 45 67", "905551234567"),
        ("0555 123 45 67", "905551234567"),
        ("555 123 45 67", "905551234567"),
        ("(555) 123-4567", "905551234567"),
        (5551234567, "905551234567"),
        (905551234567, "905551234567"),
        ("0090 555 123 45 67", "905551234567"),
        ("+44 7700 900123", "447700900123"),
        ("+49 30 1234567", "49301234567"),
    ],
)
def test_normalize_number(value: str | int, expected: str) -> None:
    assert nodesms.normalize_number(value) == expected


@pytest.mark.parametrize("value", ["", "abc", "12345", "90555123", "+90 555 123 45 6", True, None])
def test_normalize_number_refuses_garbage(value: object) -> None:
    with pytest.raises(nodesms.ValidationError):
        nodesms.normalize_number(value)  # type: ignore[arg-type]


@settings(deadline=None, max_examples=300)
@given(
    value=st.one_of(
        st.from_regex(r"90[0-9]{10}", fullmatch=True),
        st.from_regex(r"(\+|00)?90[0-9١٢]{9,11}", fullmatch=True),
        st.text("0123456789+ -9", max_size=16).map(lambda text: "90" + text),
    )
)
def test_canonical_numbers_take_the_fast_path_to_the_same_answer(value: str) -> None:
    # A leading space sends the number down the general path, which strips it.
    def outcome(raw: str) -> str | tuple[str | None, str]:
        try:
            return nodesms.normalize_number(raw)
        except nodesms.ValidationError as exc:
            return (exc.field, str(exc))

    assert outcome(value) == outcome(" " + value)
    assert nodesms.normalize_number("905551234567") == "905551234567"
    with pytest.raises(nodesms.ValidationError):
        nodesms.normalize_number("901551234567")  # no Turkish number starts with 1


def test_invalid_number_errors_are_masked() -> None:
    with pytest.raises(nodesms.ValidationError) as info:
        nodesms.normalize_number("90555123456789")
    assert "90555123456789" not in str(info.value)


async def _expect_validation(coro: object, field: str) -> None:
    with pytest.raises(nodesms.ValidationError) as info:
        await coro  # type: ignore[misc]
    assert info.value.field is not None, info.value
    assert field in info.value.field, info.value


async def test_sends_are_validated_before_anything_is_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="nodesms")
    past = datetime.now() - timedelta(days=1)
    async with nodesms.Client(NOWHERE, "u", "p") as client:
        sms = client.sms
        ok = {"sender": "ACME", "title": "T", "content": "Merhaba"}
        await _expect_validation(sms.create_otp(number="1", sender="A", content="x"), "number")
        await _expect_validation(
            sms.create_otp(number="05550000001", sender="A", content="x", validity=7), "validity"
        )
        await _expect_validation(
            sms.create_otp(number="05550000001", sender="A", content="x", custom_id="a b"),
            "custom_id",
        )
        await _expect_validation(
            sms.create_otp(number="05550000001", sender="A", content="x", custom_id="x" * 101),
            "custom_id",
        )
        await _expect_validation(sms.create(number="05550000001", validity=5, **ok), "validity")
        await _expect_validation(sms.create(**ok), "number")
        await _expect_validation(
            sms.create(number="05550000001", numbers=["05550000002"], **ok), "number"
        )
        await _expect_validation(sms.create(numbers="05550000001", **ok), "numbers")
        await _expect_validation(sms.create(numbers=[], **ok), "numbers")
        await _expect_validation(sms.create(numbers=["05550000001", "x"], **ok), "numbers[1]")
        await _expect_validation(
            sms.create(number="05550000001", sending_date=past, **ok), "sending_date"
        )
        await _expect_validation(
            sms.create(number="05550000001", sending_date="2030-01-01 10:00", **ok),  # type: ignore[arg-type]
            "sending_date",
        )
        await _expect_validation(
            sms.create(
                number="05550000001",
                periodic_settings=nodesms.Periodic(nodesms.PeriodType.ONCE, 1, 1500),
                **ok,
            ),
            "periodic_settings.amount",
        )
        await _expect_validation(
            sms.create(
                number="05550000001",
                periodic_settings=nodesms.Periodic(nodesms.PeriodType.ONCE),
                **ok,
            ),
            "periodic_settings",
        )
        await _expect_validation(
            sms.create(number="05550000001", sending_type=nodesms.SendingType.MANY_TO_MANY, **ok),
            "sending_type",
        )
        await _expect_validation(
            sms.create(messages=[("05550000001", "a", "extra")], **ok),  # type: ignore[list-item]
            "messages[0]",
        )
        await _expect_validation(
            sms.create(messages=[nodesms.Message("05550000001", "a", xid="x" * 33)], **ok),
            "messages[0]",
        )
        await _expect_validation(
            sms.create(number="05550000001", encoding=3, **{**ok, "content": "Привет"}),
            "encoding",
        )
        await _expect_validation(
            sms.create_kvkk(
                number="05550000001", first_name="A", last_name="B", sender="S", content="no link"
            ),
            "content",
        )
        await _expect_validation(
            sms.create_kvkk(
                number="05550000001",
                first_name=None,  # type: ignore[arg-type]
                last_name="B",
                sender="S",
                content="SHORT_LINK",
            ),
            "first_name",
        )
        await _expect_validation(sms.create(number="05550000001", type=7, **ok), "type")
        with pytest.raises(nodesms.ValidationError, match="exactly one"):
            sms.list_item()
        with pytest.raises(nodesms.ValidationError, match="exactly one"):
            sms.list_item(pkg_id=1, uuid="u")
        await _expect_validation(sms.cancel(), "pkg_id")
        with pytest.raises(nodesms.ValidationError):
            sms.list(page_size=5)
        with pytest.raises(nodesms.ValidationError):
            sms.list(page_size=1001)
        with pytest.raises(nodesms.ValidationError):
            sms.list(status=99)
        with pytest.raises(nodesms.ValidationError):
            sms.list(start_date=datetime(2030, 1, 2), finish_date=datetime(2030, 1, 1))
        await _expect_validation(
            sms.inquiry_number(
                gsm="05550000001",
                start_date=datetime(2030, 1, 1),
                finish_date=datetime(2030, 4, 2),
            ),
            "finish_date",
        )
    # Nothing reached the network: no request was even logged.
    assert not [r for r in caplog.records if "HTTP" in r.getMessage()]


def test_generated_custom_ids_are_random_hex_in_the_charset() -> None:
    from nodesms._validate import check_custom_id

    generated = {check_custom_id(None) for _ in range(2000)}
    assert len(generated) == 2000
    assert all(re.fullmatch(r"ns-[0-9a-f]{32}", custom_id) for custom_id in generated)
    assert check_custom_id(next(iter(generated))) in generated  # and they pass the check


def test_timeouts_are_converted_once_per_set_of_limits() -> None:
    limits = nodesms.Timeout(total=5.0, connect=1.0, read=2.0)
    converted = limits.as_aiohttp()
    assert converted == aiohttp.ClientTimeout(total=5.0, connect=1.0, sock_read=2.0)
    assert nodesms.Timeout(total=5.0, connect=1.0, read=2.0).as_aiohttp() is converted
    assert nodesms.Timeout(total=6.0).as_aiohttp().total == 6.0


def test_enum_checks_take_members_and_their_ints_only() -> None:
    from nodesms._validate import check_enum

    assert check_enum(2, nodesms.SmsType, "type") is nodesms.SmsType(2)
    assert check_enum(nodesms.Encoding.TURKISH, nodesms.Encoding, "encoding") is (
        nodesms.Encoding.TURKISH
    )
    assert check_enum(None, nodesms.SmsType, "type") is None
    for bad in (99, -1, True, "1", 1.0):
        with pytest.raises(nodesms.ValidationError) as info:
            check_enum(bad, nodesms.Encoding, "encoding")  # type: ignore[arg-type]
        assert info.value.field == "encoding"
