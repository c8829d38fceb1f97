"""SOAP: the seven operations over ``Client(protocol="soap")`` against the embedded gateway.

Real sockets throughout: the client talks to ``FakeGateway``'s ``/soap`` endpoint (which calls
the same handlers as JSON), and the hostile answers (XXE, billion laughs, faults, HTML) come
from the embedded gateway (`Fault.raw`). zeep is the interop check for the WSDL.
"""

from __future__ import annotations

import contextlib
import functools
import resource
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import anyio
import anyio.from_thread
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import nodesms
import nodesms._soap as soap_module
from nodesms import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConcurrencyLimitError,
    ConflictError,
    InsufficientCreditError,
    MaintenanceError,
    Message,
    NotFoundError,
    Package,
    PackageState,
    Periodic,
    PeriodType,
    ResponseError,
    RetryPolicy,
    ServerError,
    UnsupportedOperationError,
    ValidationError,
)
from nodesms._operations import SMS_LIST as LIST
from nodesms._operations import SMS_LIST_ITEM as LIST_ITEM
from nodesms._operations import USER_CREDIT as CREDIT
from nodesms._soap import SoapProtocol, element_to_builtins, parse_xml
from nodesms._transport import Connection
from nodesms.resources import sms as sms_bodies
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NO_RETRY = RetryPolicy(max_attempts=1)
FAST_RETRY = RetryPolicy(max_attempts=4, initial_delay=0.01, max_delay=0.05)
ISTANBUL = ZoneInfo("Europe/Istanbul")


async def first(paginator: Any) -> Any:
    return await paginator


def soap_protocol(base_url: str, username: str = "u", password: str = "p") -> SoapProtocol:
    """The client's SOAP protocol, for building envelopes and decoding answers offline."""
    connection = Connection(
        base_url, username, password, session=None, ssl=True, gateway_tz=ISTANBUL
    )
    return SoapProtocol(connection)


# --- canned answers from the embedded gateway -------------------------------------------------


@contextlib.asynccontextmanager
async def answering(body: bytes, status: int = 200) -> AsyncIterator[nodesms.Client]:
    """A SOAP client whose next ``getUserCredit`` the embedded gateway answers with ``body``."""
    async with FakeGateway() as gw:
        gw.faults.push("getUserCredit", Fault.raw(body, http_status=status))
        async with gw.client(protocol="soap", retry=NO_RETRY) as client:
            yield client


def result_envelope(data: str, err: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV}">'
        f"<soapenv:Body><sms:getUserCreditResponse xmlns:sms='urn:x'><result><err>{err}</err>"
        f"<data>{data}</data></result></sms:getUserCreditResponse></soapenv:Body>"
        "</soapenv:Envelope>"
    ).encode()


# --- the request on the wire ------------------------------------------------------------------


async def test_envelope_on_the_wire() -> None:
    async with (
        FakeGateway(username="kullanıcı", password="şifre-1") as gw,
        gw.client(protocol="soap") as c,
    ):
        created = await c.sms.create(
            sender="ACME",
            title="Başlık",
            content="a < b & c ]]> 'q' \"d\"",
            messages=[
                Message("0555 123 45 67", "Ayşe <1>"),
                Message("905441234567", "Ömer & 2", xid="x-2"),
            ],
            periodic_settings=Periodic(PeriodType.ONCE, interval=1, amount=1000),
            push_url="https://example.com/push?a=1&b=2",
            commercial=True,
            custom_id="job-1",
        )
        await c.sms.create(
            sender="ACME", title="T", content="x", numbers=["905321234567", "05441234567"]
        )
    assert created.pkg_id == gw.packages[0].id
    first, second = gw.requests
    assert (first.protocol, first.username, first.authenticated) == ("soap", "kullanıcı", True)
    headers, raw = first.headers, first.body
    assert headers["Content-Type"] == "text/xml;charset=UTF-8"
    assert headers["SOAPAction"] == "sendSms"
    assert raw.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(raw)
    assert root.tag == f"{{{SOAP_ENV}}}Envelope"
    assert root.nsmap == {"soapenv": SOAP_ENV, "sms": f"{gw.base_url}/wsdl/sms"}
    operation = root.find(f"{{{SOAP_ENV}}}Body")[0]  # type: ignore[index]
    assert operation.tag == f"{{{gw.base_url}/wsdl/sms}}sendSms"
    assert operation.prefix == "sms"
    fields = {child.tag: child for child in operation}
    assert fields["username"].text == "kullanıcı"
    assert fields["password"].text == "şifre-1"
    assert element_to_builtins(operation) == {
        "username": "kullanıcı",
        "password": "şifre-1",
        "type": "1",
        "sendingType": "2",
        "numbers": [
            {"nr": "905551234567", "msg": "Ayşe <1>"},
            {"nr": "905441234567", "msg": "Ömer & 2", "xid": "x-2"},
        ],
        "sender": "ACME",
        "title": "Başlık",
        "content": "a < b & c ]]> 'q' \"d\"",
        "encoding": "1",
        "periodicSettings": {"periodType": "0", "interval": "1", "amount": "1000"},
        "pushSettings": {"url": "https://example.com/push?a=1&b=2"},
        "commercial": "true",
        "customID": "job-1",
    }
    # None fields are left out, not sent empty.
    assert "validity" not in fields
    assert "sendingDate" not in fields
    assert b"&lt;1&gt;" in raw
    assert b"]]&gt;" in raw
    one_to_many = etree.fromstring(second.body).find(f"{{{SOAP_ENV}}}Body")[0]  # type: ignore[index]
    numbers = one_to_many.find("numbers")
    assert numbers is not None
    assert [(item.tag, item.text, len(item)) for item in numbers] == [
        ("item", "905321234567", 0),
        ("item", "905441234567", 0),
    ]


async def test_password_never_in_repr_or_validation_errors() -> None:
    client = nodesms.Client("http://127.0.0.1:9", "u", "gizli\x00parola", protocol="soap")
    async with client:
        with pytest.raises(ValidationError) as caught:
            await client.user.credit()
    assert caught.value.field == "password"
    assert "gizli" not in str(caught.value)
    assert "gizli" not in repr(client)


# --- round trip ------------------------------------------------------------------------------

_XML_ILLEGAL = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
XML_TEXT = (
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "<",
                    "&",
                    "]]>",
                    '"',
                    "'",
                    "ğüşıöçĞÜŞİÖÇ",
                    "😀",
                    "👍🏽",
                    "\r\n",
                    "\r",
                    "\t",
                    " ",
                    "€",
                ]
            ),
            st.characters(blacklist_categories=("Cs",), blacklist_characters=_XML_ILLEGAL),
        ),
        min_size=1,
        max_size=40,
    )
    .map("".join)
    .filter(lambda text: text.strip() != "")
)


def test_any_xml_text_round_trips_through_create_and_list() -> None:
    """Text of XML-legal characters comes back exactly, as content, title and personal text.

    One gateway and one client serve every example (a blocking portal runs their loop).
    """
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        gateway = FakeGateway(duplicate_window=None, credit=10**9)
        with portal.wrap_async_context_manager(gateway) as gw:
            client = gw.client(protocol="soap", retry=NO_RETRY)
            examples: list[str] = []
            with portal.wrap_async_context_manager(client):

                @settings(
                    max_examples=40,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow],
                )
                @given(text=XML_TEXT)
                def check(text: str) -> None:
                    examples.append(text)
                    title = text[:50] if text[:50].strip() else "t"  # titles are 1-50 long
                    sent = portal.call(
                        functools.partial(
                            client.sms.create,
                            sender="NODESMS",
                            title=title,
                            content=text,
                            numbers=["905321234567"],
                        )
                    )
                    page = portal.call(first, client.sms.list(pkg_ids=[sent.pkg_id]))
                    assert [(p.content, p.title) for p in page.items] == [(text, title)]
                    personal = portal.call(
                        functools.partial(
                            client.sms.create,
                            sender="NODESMS",
                            title="kişiye özel",
                            content="açıklama",
                            messages=[("905441234567", text)],
                        )
                    )
                    items = portal.call(first, client.sms.list_item(pkg_id=personal.pkg_id))
                    assert [item.msg for item in items.items] == [text]

                check()
            assert len(examples) >= 40
            assert len(gw.packages) == 2 * len(examples)
            assert all(r.protocol == "soap" for r in gw.requests)


# --- same models as JSON ----------------------------------------------------------------------


def _as_xml_sees_it(pkg: Package) -> Package:
    """XML cannot tell an empty string from an absent value: the JSON "" reads as None."""
    return msgspec.structs.replace(pkg, title=pkg.title or None)


_SAME_FIELDS = (
    "type",
    "sending_type",
    "sender",
    "title",
    "content",
    "encoding",
    "validity",
    "numbers",
    "messages",
    "xids",
    "parts",
    "state",
    "scheduled",
    "sending_date",
    "periodic",
    "push_url",
    "commercial",
    "trust_date",
    "total",
    "credit",
)


async def _sends(client: nodesms.Client, tag: str, later: datetime) -> list[int]:
    sms = client.sms
    sends: list[Callable[[], Awaitable[nodesms.PackageCreated]]] = [
        lambda: sms.create(
            sender="NODESMS", title=f"tek {tag}", content="Merhaba dünya", number="0532 111 22 33",
            validity=120, commercial=True, push_url="http://127.0.0.1:9/push",
        ),
        lambda: sms.create(
            sender="ACME", title=f"çok {tag}", content="Kampanya: %50 <indirim> & 😀",
            numbers=["905321234567", "+90 544 123 45 67", "5051234567"],
        ),
        lambda: sms.create(
            sender="NODESMS", title=f"kişisel {tag}", content="özel",
            messages=[Message("905321234567", "Ayşe için"), Message("905441234567", "Ömer", "x9")],
            encoding=nodesms.Encoding.TURKISH,
        ),
        lambda: sms.create(
            sender="TEST", title=f"ileri {tag}", content="Yarın görüşürüz", number="905551234567",
            sending_date=later,
            periodic_settings=Periodic(PeriodType.ONCE, interval=2, amount=3000),
        ),
        lambda: sms.create(
            sender="TEST", title=f"iptal {tag}", content="iptal edilecek", number="905551234568",
            sending_date=later,
        ),
        lambda: sms.create_otp(
            sender="NODESMS", content=f"Kodunuz: 4829 {tag}", number="905321234567", validity=3,
            trust_date=later - timedelta(days=2),
        ),
    ]  # fmt: skip
    return [(await send()).pkg_id for send in sends]


@pytest.mark.nodesms_gateway(duplicate_window=None)
async def test_every_operation_gives_the_json_models(nodesms_gateway: FakeGateway) -> None:
    gw = nodesms_gateway
    later = datetime.now(ISTANBUL).replace(second=0, microsecond=0) + timedelta(hours=3)
    async with gw.client(protocol="soap") as soap, gw.client() as json:
        via_json = await _sends(json, "j", later)
        via_soap = await _sends(soap, "s", later)
        # The same parameters made the same packages, whichever protocol carried them.
        for a, b in zip(via_json, via_soap, strict=True):
            pkg_json, pkg_soap = gw.package(a), gw.package(b)
            for name in _SAME_FIELDS:
                left, right = getattr(pkg_json, name), getattr(pkg_soap, name)
                if name == "title":
                    left, right = left.replace(" j", ""), right.replace(" s", "")
                if name == "content" and pkg_json.type == 0:
                    left, right = left[:-2], right[:-2]
                assert left == right, name
        assert gw.package(via_soap[0]).custom_id.startswith("ns-")
        await gw.advance(30)

        # Cancel: the scheduled packages, one per protocol; then a package already sent.
        assert await json.sms.cancel(pkg_id=via_json[4]) is None
        assert await soap.sms.cancel(pkg_id=via_soap[4]) is None
        assert gw.package(via_soap[4]).state == PackageState.CANCELLED
        failures = []
        for client in (json, soap):
            with pytest.raises(ConflictError) as caught:
                await client.sms.cancel(pkg_id=via_soap[1])
            failures.append(caught.value)
        assert _describe(failures[0]) == _describe(failures[1])

        assert await soap.user.credit() == await json.user.credit()
        listed_json = await json.sms.list(page_size=10)
        listed_soap = await soap.sms.list(page_size=10)
        assert listed_soap.total == listed_json.total == 12
        assert list(listed_soap.items) == [_as_xml_sees_it(p) for p in listed_json.items]
        assert [p async for p in soap.sms.list(page_size=10)] == [
            _as_xml_sees_it(p) async for p in json.sms.list(page_size=10)
        ]
        filtered = {"status": nodesms.PackageFilter.SCHEDULED, "sender": "TEST"}
        assert await soap.sms.list(**filtered) == await json.sms.list(**filtered)
        assert await soap.sms.list(pkg_ids=via_soap[:2]) == await json.sms.list(
            pkg_ids=via_soap[:2]
        )
        for pkg_id in via_json + via_soap:
            assert await soap.sms.list_item(pkg_id=pkg_id) == await json.sms.list_item(
                pkg_id=pkg_id
            )
        custom_id = gw.package(via_soap[2]).custom_id
        assert await soap.sms.list_item(custom_id=custom_id) == await json.sms.list_item(
            custom_id=custom_id
        )
        delivered = {"pkg_id": via_json[1], "state": nodesms.ItemState.DELIVERED}
        assert await soap.sms.list_item(**delivered) == await json.sms.list_item(**delivered)
        uuid = gw.package(via_soap[1]).uuid
        assert await soap.sms.list_item(uuid=uuid, operator=nodesms.Operator.VODAFONE) == (
            await json.sms.list_item(uuid=uuid, operator=nodesms.Operator.VODAFONE)
        )
        assert await soap.sms.list_sender() == await json.sms.list_sender()
        assert await soap.sms.list_sender(status=nodesms.SenderStatus.BANNED, keyword="yas") == (
            await json.sms.list_sender(status=nodesms.SenderStatus.BANNED, keyword="yas")
        )
    soap_ops = [r.operation for r in gw.requests if r.protocol == "soap"]
    assert set(soap_ops) == {
        "sendSms",
        "sendOtp",
        "cancelSmsPackage",
        "getUserCredit",
        "getSmsPackages",
        "getSmsPackageItems",
        "getSmsSenders",
    }


async def test_list_by_custom_id_uses_the_json_list(nodesms_gateway: FakeGateway) -> None:
    """The vendor's getSmsPackages has no customIDs, and XML no empty list: /sms/list does."""
    gw = nodesms_gateway
    async with gw.client(protocol="soap") as soap, gw.client() as json:
        sent = await soap.sms.create(
            sender="ACME", title="t", content="x", number="905321234567", custom_id="order-42"
        )
        page = await soap.sms.list(custom_ids=["order-42"])
        assert [p.id for p in page.items] == [sent.pkg_id]
        assert page == await json.sms.list(custom_ids=["order-42"])
        assert (await json.sms.list(pkg_ids=[])).items == []
        assert (await soap.sms.list(pkg_ids=[])).items == []
    assert [(r.protocol, r.operation) for r in gw.requests[-4:]] == [
        ("json", "/sms/list"),
        ("json", "/sms/list"),
        ("json", "/sms/list"),
        ("json", "/sms/list"),
    ]


# --- exactly-once over SOAP -------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [Fault.drop_after(), Fault.truncated()], ids=["dropped", "truncated"]
)
async def test_create_is_exactly_once_over_soap(nodesms_gateway: FakeGateway, fault: Fault) -> None:
    gw = nodesms_gateway
    gw.faults.push("sendSms", fault)
    async with gw.client(protocol="soap", retry=FAST_RETRY) as client:
        sent = await client.sms.create(
            sender="ACME", title="t", content="bir kez", number="905321234567", custom_id="job-7"
        )
    assert len(gw.packages) == 1
    assert sent.pkg_id == gw.packages[0].id
    assert sent.custom_id == "job-7"
    assert [(r.protocol, r.operation) for r in gw.requests] == [
        ("soap", "sendSms"),
        ("soap", "sendSms"),
        ("json", "/sms/list"),
    ]


# --- errors ----------------------------------------------------------------------------------

ERROR_CASES = [
    ("SMS18", InsufficientCreditError),
    ("ERR_USER_CREDIT_REQUIRED", InsufficientCreditError),
    ("SMS06", NotFoundError),
    ("SMS42", ConflictError),
    ("ERR_INVALID_PARAM", BadRequestError),
    ("ERR_UNAUTHORIZED_REQUEST", AuthenticationError),
    ("SMS50", ConcurrencyLimitError),
    ("SMS99", MaintenanceError),
    ("ERR_INTERNAL_SERVER", ServerError),
    ("ERR_SOMETHING_NEW", APIError),
]


def _describe(exc: BaseException) -> tuple[Any, ...]:
    assert isinstance(exc, APIError)
    return (type(exc), exc.code, exc.name, exc.message, exc.status, exc.http_status)


@pytest.mark.parametrize(("code", "expected"), ERROR_CASES)
@pytest.mark.parametrize("http_status", [None, 200])
async def test_errors_reach_the_json_exception_classes(
    nodesms_gateway: FakeGateway, code: str, expected: type[APIError], http_status: int | None
) -> None:
    gw = nodesms_gateway
    gw.faults.push("getUserCredit", Fault.error(code, http_status=http_status))
    gw.faults.push("/user/credit", Fault.error(code, http_status=http_status))
    caught = []
    for protocol in ("soap", "json"):
        async with gw.client(protocol=protocol, retry=NO_RETRY) as client:
            with pytest.raises(APIError) as error:
                await client.user.credit()
            caught.append(error.value)
    assert type(caught[0]) is expected
    assert _describe(caught[0]) == _describe(caught[1])


async def test_gateway_refusals_match_json(nodesms_gateway: FakeGateway) -> None:
    gw = nodesms_gateway
    for call in (
        lambda c: c.sms.create(sender="YASAKLI", title="t", content="x", number="905321234567"),
        lambda c: first(c.sms.list_item(pkg_id=999_999)),
        lambda c: c.sms.cancel(uuid="00000000-0000-4000-8000-000000000000"),
    ):
        caught = []
        for protocol in ("soap", "json"):
            async with gw.client(protocol=protocol, retry=NO_RETRY) as client:
                with pytest.raises(APIError) as error:
                    await call(client)
                caught.append(error.value)
        assert _describe(caught[0]) == _describe(caught[1])
    async with nodesms.Client(gw.base_url, gw.username, "yanlış", protocol="soap") as client:
        with pytest.raises(AuthenticationError) as denied:
            await client.user.credit()
    assert denied.value.http_status == 401
    assert gw.requests[-1].authenticated is False


async def test_html_502_is_a_retryable_response_error(nodesms_gateway: FakeGateway) -> None:
    gw = nodesms_gateway
    gw.faults.push("getUserCredit", Fault.bad_gateway())
    async with gw.client(protocol="soap", retry=NO_RETRY) as client:
        with pytest.raises(ResponseError) as caught:
            await client.user.credit()
    assert caught.value.http_status == 502
    assert "502 Bad Gateway" in caught.value.excerpt
    gw.faults.push("getUserCredit", Fault.bad_gateway(), Fault.error("SMS99"))
    async with gw.client(protocol="soap", retry=FAST_RETRY) as client:
        assert (await client.user.credit()).credit == 100_000


async def test_soap_fault_and_non_xml_are_response_errors() -> None:
    fault = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body><soapenv:Fault>'
        "<faultcode>soapenv:Server</faultcode><faultstring>Servis hatası</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()
    cases = [
        (fault, 500, "SOAP Fault soapenv:Server: Servis hatası"),
        (b"Service Unavailable", 503, "not XML"),
        (b'{"err": null, "data": {"credit": 5}}', 200, "not XML"),
        (b"<html><body><p>maintenance</p></body></html>", 200, "not the API's SOAP result"),
        (result_envelope("<credit>çok</credit>"), 200, "does not match the API's schema"),
        (result_envelope(""), 200, "has no data"),
        (result_envelope("<credit>5</credit>")[:-40], 200, "ended early"),
    ]
    for body, status, reason in cases:
        async with answering(body, status) as client:
            with pytest.raises(ResponseError) as caught:
                await client.user.credit()
        assert reason in str(caught.value)
        assert caught.value.http_status == status
        assert caught.value.excerpt
    assert caught.value.truncated  # the last case: cut off mid-document


# --- hostile answers -------------------------------------------------------------------------


@pytest.fixture
def resolver_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every external resource libxml2 asks the client's parser for (there must be none)."""
    calls: list[str] = []
    original = soap_module._RefuseExternal.resolve

    def spy(self: Any, system_url: str, public_id: str, context: object) -> Any:
        calls.append(system_url)
        return original(self, system_url, public_id, context)

    monkeypatch.setattr(soap_module._RefuseExternal, "resolve", spy)
    return calls


def _xxe_answers(secret: Path, dtd: Path) -> list[bytes]:
    return [
        (
            '<?xml version="1.0"?>\n'
            f'<!DOCTYPE result [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
            "<result><err/><data><credit>&xxe;</credit></data></result>"
        ).encode(),
        (
            f'<!DOCTYPE result [<!ENTITY % remote SYSTEM "file://{dtd}"> %remote;]>'
            "<result><err/><data><credit>&leak;</credit></data></result>"
        ).encode(),
        (
            f'<?xml version="1.0"?><!-- x --><!DOCTYPE result SYSTEM "file://{dtd}">'
            "<result><err/><data><credit>&leak;</credit></data></result>"
        ).encode(),
        (
            f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body><result><err>&xxe;</err>'
            "</result></soapenv:Body></soapenv:Envelope>"
        ).encode(),
    ]


def _billion_laughs(encoding: str = "utf-8") -> bytes:
    entities = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    entities += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE result [{"".join(entities)}]>'
        "<result><err/><data><credit>&lol9;</credit></data></result>"
    )
    return text.encode(encoding)


async def test_xxe_answers_are_refused_without_reading_files(
    tmp_path: Path, resolver_calls: list[str]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-41")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "file://{secret}">')
    answers = _xxe_answers(secret, dtd)
    for body in [*answers, *(a.decode().encode("utf-16") for a in answers)]:
        async with answering(body) as client:
            with pytest.raises(ResponseError) as caught:
                await client.user.credit()
        assert "DOCTYPE" in str(caught.value)
        assert "TOPSECRET" not in str(caught.value)
    assert resolver_calls == []


async def test_billion_laughs_is_refused_without_blowing_up_memory(
    resolver_calls: list[str],
) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for body in (_billion_laughs(), _billion_laughs("utf-16")):
        async with answering(body) as client:
            with pytest.raises(ResponseError):
                await client.user.credit()
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    if sys.platform == "darwin":  # bytes there, KiB on Linux
        grown_kib //= 1024
    assert grown_kib < 50 * 1024  # the expansion would be gigabytes
    assert resolver_calls == []


def test_parser_refuses_doctype_in_any_encoding(tmp_path: Path, resolver_calls: list[str]) -> None:
    for body in (_billion_laughs(), _billion_laughs("utf-16"), _billion_laughs("utf-16-le")):
        with pytest.raises((soap_module.UnsafeXMLError, etree.XMLSyntaxError)):
            parse_xml(body)
    # Below the DOCTYPE check, the parser itself neither loads nor expands anything.
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-41")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "file://{secret}">')
    for body in _xxe_answers(secret, dtd):
        root = etree.fromstring(body, soap_module._PARSER)
        assert b"TOPSECRET" not in etree.tostring(root)
    assert resolver_calls == []
    with pytest.raises(TypeError):
        parse_xml("<result/>")  # type: ignore[arg-type]
    # "<!DOCTYPE" inside text is no declaration.
    root = parse_xml(b"<result><![CDATA[<!DOCTYPE x>]]></result>")
    assert root.text == "<!DOCTYPE x>"


async def test_gateway_refuses_hostile_and_unknown_requests(nodesms_gateway: FakeGateway) -> None:
    gw = nodesms_gateway
    bodies = {
        "sendSms": _billion_laughs(),
        "getUserCredit": b"<not-xml",
        "deleteEverything": (
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body><sms:deleteEverything '
            'xmlns:sms="urn:x"/></soapenv:Body></soapenv:Envelope>'
        ).encode(),
    }
    async with aiohttp.ClientSession() as session:
        for action, body in bodies.items():
            async with session.post(
                gw.base_url + "/soap", data=body, headers={"SOAPAction": action}
            ) as response:
                raw = await response.read()
                assert response.status == 500
            assert b"Fault" in raw
            with pytest.raises(ResponseError, match="SOAP Fault soapenv:Client"):
                soap_protocol(gw.base_url).decode(CREDIT, raw, 500)
        async with session.get(gw.base_url + "/soap") as response:
            assert response.status == 405
    assert gw.requests == []
    assert gw.packages == []


# --- what SOAP cannot do ---------------------------------------------------------------------


async def test_operations_without_soap_form_fail_before_any_request(
    nodesms_gateway: FakeGateway,
) -> None:
    gw = nodesms_gateway
    async with gw.client(protocol="soap") as client:
        calls: list[Callable[[], Awaitable[Any]]] = [
            lambda: client.sms.summary(start_date=datetime(2024, 1, 1)),
            lambda: client.sms.inquiry_number(gsm="905321234567"),
            lambda: client.sms.recreate(pkg_id=100_001, title="tekrar"),
            lambda: first(client.contact.list()),
            lambda: first(client.mo.list_request()),
            lambda: client.sms.create_kvkk(
                number="905321234567", first_name="A", last_name="B", sender="ACME",
                content="SHORT_LINK",
            ),
        ]  # fmt: skip
        for call in calls:
            with pytest.raises(UnsupportedOperationError):
                await call()
    assert gw.requests == []


ILLEGAL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ufffe", "\uffff", "\ud83d"]


@pytest.mark.parametrize("char", ILLEGAL, ids=[f"U+{ord(c):04X}" for c in ILLEGAL])
async def test_text_xml_cannot_carry_is_refused_before_sending(
    nodesms_gateway: FakeGateway, char: str
) -> None:
    gw = nodesms_gateway
    async with gw.client(protocol="soap") as client:
        with pytest.raises(ValidationError) as caught:
            await client.sms.create(
                sender="ACME", title="t", content=f"Merhaba{char}dünya", number="905321234567"
            )
        assert caught.value.field == "content"
        assert f"U+{ord(char):04X}" in str(caught.value)
        assert "position 7" in str(caught.value)
        with pytest.raises(ValidationError) as caught:
            await client.sms.create(
                sender="ACME",
                title="t",
                content="x",
                messages=[("905321234567", "iyi"), ("905441234567", f"{char}kötü")],
            )
        if char != "\ud83d":  # the encoding check sees lone surrogates first (as "content")
            assert caught.value.field == "messages[1]"
            assert "position 0" in str(caught.value)
        with pytest.raises(ValidationError) as caught:
            await client.sms.create_otp(
                sender="ACME", content="kod", number="905321234567", push_url=f"http://x/{char}"
            )
        assert caught.value.field == "push_url"
    assert gw.requests == []
    # JSON can carry them (escaped), and the SOAP gateway then answers with U+FFFD.
    async with gw.client() as json, gw.client(protocol="soap") as client:
        sent = await json.sms.create(
            sender="ACME", title="t", content="a\x01b", number="905321234567"
        )
        page = await client.sms.list(pkg_ids=[sent.pkg_id])
    assert [p.content for p in page.items] == ["a\ufffdb"]


# --- answers as the vendor document prints them ---------------------------------------------

VENDOR_PACKAGES = """<result>

    <err></err>

    <data>

 <stats>

 <totalRecord>4</totalRecord>

 </stats>

 <list>

 <item>

 <id>111095</id>

 <customID></customID>

 <type>1</type>

 <uuid>5a77cb24-b1ea-47b5-8fac-6e225425797b</uuid>

 <error></error>

 <state>6</state>

 <title>Test message</title>

 <content>Test mesajı içeriğidir, dikkate almayınız. &gt; &amp; abc</content>

 <senders>

 <item>BASLIK</item>

 </senders>

 <encoding>1</encoding>

 <validity>60</validity>

 <statistics>

 <total>2</total>

 <credit>2</credit>

 <rCount>2</rCount>

 <delivered>1</delivered>

 <undelivered>1</undelivered>

 </statistics>

 <isScheduled>1</isScheduled>

 <sendingDate>2021-05-17T18:29:20</sendingDate>

 </item>

 </list>

    </data>

</result>
"""

VENDOR_ITEMS = """<result><err></err><data><stats><totalRecord>2</totalRecord></stats><list>
 <item>
 <id>12345678910</id>
 <msg>B kişisine özel mesaj.</msg>
 <error>0</error>
 <credit>1</credit>
 <state>4</state>
 <sender>BASLIK</sender>
 <target>905433404971</target>
 <setState>4</setState>
 <sendingDate>2021-05-17T18:29:20</sendingDate>
 <deliveryDate></deliveryDate>
 <processingDate>2021-05-17T18:29:21.657614</processingDate>
 </item>
</list></data></result>"""


def test_vendor_document_answers_decode() -> None:
    protocol = soap_protocol("http://localhost:9587", "admin", "123456")
    packages = protocol.decode(LIST, VENDOR_PACKAGES.encode())
    assert packages.stats.total_record == 4
    (pkg,) = packages.items or []
    assert pkg.id == 111095
    assert pkg.custom_id is None
    assert pkg.error is None
    assert pkg.state == PackageState.COMPLETED
    assert pkg.content == "Test mesajı içeriğidir, dikkate almayınız. > & abc"
    assert pkg.senders == ["BASLIK"]
    assert pkg.is_scheduled is True
    assert pkg.statistics.r_count == 2
    assert pkg.sending_date == datetime(2021, 5, 17, 18, 29, 20, tzinfo=ISTANBUL)
    items = protocol.decode(LIST_ITEM, VENDOR_ITEMS.encode())
    (item,) = items.items or []
    assert item.id == "12345678910"
    assert item.state == nodesms.ItemState.UNDELIVERED
    assert item.delivery_date is None
    assert item.processing_date == datetime(2021, 5, 17, 18, 29, 21, 657614, tzinfo=ISTANBUL)
    # Bare <result>, a Response wrapper in an envelope, or straight in the Body: all accepted.
    for wrapped in (
        b"<result><err/><data><credit>316807</credit></data></result>",
        result_envelope("<credit>316807</credit>"),
        f'<e:Envelope xmlns:e="{SOAP_ENV}"><e:Body><result><err/><data><credit>316807'
        "</credit></data></result></e:Body></e:Envelope>".encode(),
    ):
        assert protocol.decode(CREDIT, wrapped).credit == 316807
    # An <err> whose parts are all empty is no error.
    empty_err = result_envelope("<credit>5</credit>", "<status/><code></code><message/>\n")
    assert protocol.decode(CREDIT, empty_err).credit == 5
    with pytest.raises(InsufficientCreditError) as caught:
        protocol.decode(
            CREDIT,
            result_envelope(
                "",
                "<status>417</status><code>ERR_USER_CREDIT_REQUIRED</code><message>Yok</message>",
            ),
            417,
        )
    assert (caught.value.status, caught.value.http_status, caught.value.message) == (
        417,
        417,
        "Yok",
    )


def test_element_to_builtins_shapes() -> None:
    root = etree.fromstring(
        b"<d><list><item><a>1</a></item><item/><item><a>2</a></item></list>"
        b"<empty/><blank></blank><n>0</n><rep>1</rep><rep>2</rep><rep>3</rep>"
        b"<ns:q xmlns:ns='urn:x'>v</ns:q><sp>  </sp><only><item/></only></d>"
    )
    assert element_to_builtins(root) == {
        "list": [{"a": "1"}, {"a": "2"}],
        "n": "0",
        "rep": ["1", "2", "3"],
        "q": "v",
        "sp": "  ",
        "only": [],
    }
    for doc, expected in {
        b"<d><item>1</item><a>2</a></d>": {"item": "1", "a": "2"},
        b"<d><item>1</item><item>3</item><a>2</a></d>": {"item": ["1", "3"], "a": "2"},
        b"<d><a>2</a><item>1</item><item>5</item></d>": {"a": "2", "item": ["1", "5"]},
        b"<d><item/><item>x</item></d>": ["x"],
        b"<d><e/><f></f></d>": None,
    }.items():
        assert element_to_builtins(etree.fromstring(doc)) == expected


async def test_wsdl_schema_validates_requests_and_answers(nodesms_gateway: FakeGateway) -> None:
    """What the client sends and the gateway answers is valid under the WSDL's own schema."""
    gw = nodesms_gateway
    async with gw.client() as json:
        sent = await json.sms.create(
            sender="ACME", title="t", content="x", messages=[("905321234567", "a")]
        )
        await gw.advance(30)
    protocol = soap_protocol(gw.base_url, gw.username, gw.password)
    later = (datetime.now(ISTANBUL) + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    requests: list[tuple[str, msgspec.Struct | None]] = [
        ("getUserCredit", None),
        ("sendOtp", sms_bodies._CreateOtpBody(
            number="905321234567", sender="ACME", content="kod", encoding=0, custom_id="o-1",
            validity=3, push_settings=sms_bodies._PushSettings(url="http://127.0.0.1:9/p"),
        )),
        ("sendSms", sms_bodies._CreateBody(
            type=1, sending_type=1, numbers=["905321234567", "905441234567"], sender="ACME",
            title="t", content="c", encoding=0, custom_id="s-1", commercial=False,
            sending_date=later,
            periodic_settings=sms_bodies._PeriodicSettings(period_type=0, interval=1, amount=1000),
        )),
        ("getSmsPackages", sms_bodies._ListBody(ids=[sent.pkg_id], page_index=0, page_size=10)),
        ("getSmsPackageItems", sms_bodies._ListItemBody(pkg_id=sent.pkg_id, page_size=10)),
        ("getSmsSenders", sms_bodies._ListSenderBody(page_size=10)),
        ("cancelSmsPackage", sms_bodies._PackageRefBody(custom_id="s-1")),
        ("cancelSmsPackage", sms_bodies._PackageRefBody(id=999_999)),
    ]  # fmt: skip
    async with aiohttp.ClientSession() as session:
        wsdl = await (await session.get(gw.base_url + "/soap?wsdl")).read()
        schema = etree.XMLSchema(
            etree.fromstring(wsdl).find(".//{http://www.w3.org/2001/XMLSchema}schema")
        )
        for action, body in requests:
            envelope = protocol.envelope(action, body)
            operation = etree.fromstring(envelope).find(f"{{{SOAP_ENV}}}Body")[0]  # type: ignore[index]
            assert schema.validate(etree.ElementTree(operation)), schema.error_log
            async with session.post(
                gw.base_url + "/soap", data=envelope, headers={"SOAPAction": action}
            ) as response:
                answer = etree.fromstring(await response.read())
            reply = answer.find(f"{{{SOAP_ENV}}}Body")[0]  # type: ignore[index]
            assert reply.tag == f"{{{gw.base_url}/wsdl/sms}}{action}Response"
            assert schema.validate(etree.ElementTree(reply)), (action, schema.error_log)
    assert [r.operation for r in gw.requests[-len(requests) :]] == [a for a, _ in requests]


# --- zeep through the WSDL -------------------------------------------------------------------


def _zeep_calls(base_url: str, username: str, password: str) -> list[Any]:
    import requests
    import zeep
    from zeep.transports import Transport

    results: list[Any] = []
    with requests.Session() as plain:
        client = zeep.Client(f"{base_url}/soap?wsdl", transport=Transport(session=plain))
        service = client.service
        results.append(service.getUserCredit(username=username, password=password))
        results.append(
            service.sendSms(
                username=username,
                password=password,
                type=1,
                sendingType=1,
                numbers={"item": ["905321234567", "905441234567"]},
                sender="ACME",
                title="zeep",
                content="zeep <&> ğüş",
                encoding=1,
                commercial=False,
                customID="zeep-1",
            )
        )
        item = client.get_type("ns0:NumberItem")
        results.append(
            service.sendSms(
                username=username,
                password=password,
                sendingType=2,
                numbers={"item": [zeep.AnyObject(item, item(nr="905321234567", msg="A", xid="x"))]},
                sender="ACME",
                title="zeep",
                content="kişisel",
            )
        )
    with requests.Session() as basic:
        basic.auth = (username.encode(), password.encode())
        client = zeep.Client(f"{base_url}/soap?wsdl", transport=Transport(session=basic))
        results.append(client.service.getUserCredit())
        results.append(
            client.service.sendSms(
                sendingType=0, number="905551234567", sender="TEST", title="z", content="tek"
            )
        )
    return results


async def test_zeep_calls_the_gateway_through_the_wsdl(nodesms_gateway: FakeGateway) -> None:
    gw = nodesms_gateway
    results = await anyio.to_thread.run_sync(_zeep_calls, gw.base_url, gw.username, gw.password)
    credit_body, one_to_many, personal, credit_basic, single = results
    assert credit_body["err"] is None
    assert credit_body["data"]["credit"] == 100_000
    assert credit_basic["data"]["credit"] == 100_000 - 3
    packages = [gw.package(r["data"]["pkgID"]) for r in (one_to_many, personal, single)]
    assert [list(p.numbers) for p in packages] == [
        ["905321234567", "905441234567"],
        ["905321234567"],
        ["905551234567"],
    ]
    assert packages[0].content == "zeep <&> ğüş"
    assert packages[0].custom_id == "zeep-1"
    assert packages[1].messages == ["A"]
    assert packages[1].xids == ["x"]
    soap = [r for r in gw.requests if r.protocol == "soap"]
    assert [(r.operation, r.authenticated, r.username) for r in soap] == [
        ("getUserCredit", True, gw.username),
        ("sendSms", True, gw.username),
        ("sendSms", True, gw.username),
        ("getUserCredit", True, gw.username),
        ("sendSms", True, gw.username),
    ]
    assert all("password" not in r.params for r in soap)
    async with gw.client(protocol="soap") as client:
        listed = await client.sms.list(pkg_ids=[packages[0].id])
    assert [p.custom_id for p in listed.items] == ["zeep-1"]
