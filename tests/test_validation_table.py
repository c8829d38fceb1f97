"""Validation never leaks: every input path raises ValidationError naming the field, for any
input, and nothing reaches the gateway (``gw.requests`` stays empty; real sockets)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

import nodesms
from nodesms import Client, Message, Periodic, ValidationError
from nodesms.testing import FakeGateway

pytestmark = pytest.mark.anyio

HUGE = 10**4300  # str() of it raises ValueError; msgspec cannot encode it
SURROGATE = "Merhaba \ud83d dünya"  # half an emoji
FAR = datetime.max.replace(tzinfo=timezone.utc)  # past year 9999 in Istanbul
NUMBER = "905550000001"
SEND = {"sender": "NODESMS", "title": "T", "content": "Merhaba"}
OTP = {"number": NUMBER, "sender": "NODESMS", "content": "Kod: 1234"}

Case = Callable[[Client], Any]

CASES: list[tuple[str, Case, str]] = [
    # wrong types
    ("numbers float", lambda c: c.sms.create(numbers=1.5, **SEND), "numbers"),
    ("messages False", lambda c: c.sms.create(messages=False, **SEND), "messages"),
    ("messages int", lambda c: c.sms.create(messages=7, **SEND), "messages"),
    (
        "commercial str",
        lambda c: c.sms.create(number=NUMBER, commercial="yes", **SEND),
        "commercial",
    ),
    ("commercial object", lambda c: c.sms.create_otp(commercial=object(), **OTP), "commercial"),
    (
        "include_new_numbers str",
        lambda c: c.sms.recreate(pkg_id=1, title="T", include_new_numbers="no"),
        "include_new_numbers",
    ),
    ("keyword list", lambda c: c.sms.list(keyword=["a"]), "keyword"),
    ("sender list", lambda c: c.sms.list(sender=["a"]), "sender"),
    ("list_sender keyword", lambda c: c.sms.list_sender(keyword=3), "keyword"),
    ("pkg_ids int", lambda c: c.sms.list(pkg_ids=5), "pkg_ids"),
    ("pkg_ids bools", lambda c: c.sms.list(pkg_ids=[True]), "pkg_ids[0]"),
    ("custom_ids str", lambda c: c.sms.list(custom_ids="abc"), "custom_ids"),
    ("numbers of bools", lambda c: c.sms.create(numbers=[True], **SEND), "numbers[0]"),
    ("validity bool", lambda c: c.sms.create_otp(validity=True, **OTP), "validity"),
    ("type str", lambda c: c.sms.create(number=NUMBER, type="1", **SEND), "type"),
    ("encoding object", lambda c: c.sms.create_otp(encoding=object(), **OTP), "encoding"),
    ("push_url int", lambda c: c.sms.create_otp(push_url=5, **OTP), "push_url"),
    (
        "periodic dict",
        lambda c: c.sms.create(number=NUMBER, periodic_settings={}, **SEND),
        "periodic_settings",
    ),
    ("inquiry sender", lambda c: c.sms.inquiry_number(gsm=NUMBER, sender=b"x"), "sender"),
    ("contact gsm float", lambda c: c.contact.create(gsm=1.5), "gsm"),
    (
        "contact details value",
        lambda c: c.contact.create(gsm=NUMBER, details={"A": object()}),
        "details['A']",
    ),
    (
        "contact GSM_2 float",
        lambda c: c.contact.create(gsm=NUMBER, details={"GSM_2": 5.5}),
        "details['GSM_2']",
    ),
    ("blacklist gsms int", lambda c: c.contact.set_blacklist(status=True, gsms=5), "gsms"),
    ("blacklist uuids int", lambda c: c.contact.set_blacklist(status=True, uuids=5), "uuids"),
    ("import rows int", lambda c: c.contact.import_(5, columns=["gsm"]), "rows"),
    ("delete uuids None", lambda c: c.contact.delete(uuids=None), "uuids"),
    ("mo keyword bytes", lambda c: c.mo.list_request(keyword=b"x"), "keyword"),
    ("exit_type str", lambda c: c.contact.list(exit_type="1"), "exit_type"),
    # empty ids
    ("cancel uuid empty", lambda c: c.sms.cancel(uuid=""), "uuid"),
    ("cancel custom_id blank", lambda c: c.sms.cancel(custom_id="  "), "custom_id"),
    ("list_item uuid empty", lambda c: c.sms.list_item(uuid=""), "uuid"),
    ("recreate uuid empty", lambda c: c.sms.recreate(uuid="", title="T"), "uuid"),
    ("update uuid empty", lambda c: c.contact.update(uuid=""), "uuid"),
    # lone surrogates in any text
    ("content surrogate", lambda c: c.sms.create_otp(**{**OTP, "content": SURROGATE}), "content"),
    (
        "title surrogate",
        lambda c: c.sms.create(number=NUMBER, **{**SEND, "title": SURROGATE}),
        "title",
    ),
    ("sender surrogate", lambda c: c.sms.create_otp(**{**OTP, "sender": SURROGATE}), "sender"),
    (
        "message surrogate",
        lambda c: c.sms.create(messages=[(NUMBER, SURROGATE)], **SEND),
        "messages[0]",
    ),
    ("keyword surrogate", lambda c: c.sms.list(keyword=SURROGATE), "keyword"),
    ("custom_id surrogate", lambda c: c.sms.create_otp(custom_id="a\ud800", **OTP), "custom_id"),
    (
        "kvkk name surrogate",
        lambda c: c.sms.create_kvkk(
            number=NUMBER, first_name=SURROGATE, last_name="B", sender="ACME", content="SHORT_LINK"
        ),
        "first_name",
    ),
    (
        "contact name surrogate",
        lambda c: c.contact.create(gsm=NUMBER, first_name=SURROGATE),
        "first_name",
    ),
    (
        "details surrogate",
        lambda c: c.contact.create(gsm=NUMBER, details={"CITY": SURROGATE}),
        "details['CITY']",
    ),
    (
        "import cell surrogate",
        lambda c: c.contact.import_([(NUMBER, SURROGATE)], columns=["gsm", "first_name"]),
        "rows[0].first_name",
    ),
    ("group title surrogate", lambda c: c.contact.create_group(title=SURROGATE), "title"),
    ("mo user surrogate", lambda c: c.mo.list_request(user_uuid=SURROGATE), "user_uuid"),
    ("request body surrogate", lambda c: c.request("/sms/get-mo", {"k": SURROGATE}), "body"),
    # huge ints
    ("number huge", lambda c: c.sms.create_otp(**{**OTP, "number": HUGE}), "number"),
    ("validity huge", lambda c: c.sms.create(number=NUMBER, validity=HUGE, **SEND), "validity"),
    ("pkg_id huge", lambda c: c.sms.cancel(pkg_id=HUGE), "pkg_id"),
    ("pkg_ids huge", lambda c: c.sms.list(pkg_ids=[HUGE]), "pkg_ids[0]"),
    ("page_size huge", lambda c: c.sms.list(page_size=HUGE), "page_size"),
    ("encoding huge", lambda c: c.sms.create_otp(encoding=HUGE, **OTP), "encoding"),
    ("status huge", lambda c: c.sms.list(status=HUGE), "status"),
    ("exit_type huge", lambda c: c.contact.list(exit_type=HUGE), "exit_type"),
    (
        "interval huge",
        lambda c: c.sms.create(number=NUMBER, periodic_settings=Periodic(0, HUGE, 1000), **SEND),
        "periodic_settings.interval",
    ),
    (
        "blacklist gsm huge",
        lambda c: c.contact.set_blacklist(status=True, gsms=[HUGE]),
        "gsms[0]",
    ),
    (
        "import cell huge",
        lambda c: c.contact.import_([(NUMBER, HUGE)], columns=["gsm", "first_name"]),
        "rows[0].first_name",
    ),
    ("request body huge", lambda c: c.request("/sms/get-mo", {"n": HUGE}), "body"),
    # datetime.max with a zone
    (
        "sending_date max",
        lambda c: c.sms.create(number=NUMBER, sending_date=FAR, **SEND),
        "sending_date",
    ),
    ("trust_date max", lambda c: c.sms.create_otp(trust_date=FAR, **OTP), "trust_date"),
    ("start_date max", lambda c: c.sms.list(start_date=FAR), "start_date"),
    ("summary finish max", lambda c: c.sms.summary(finish_date=FAR), "finish_date"),
    (
        "inquiry start max",
        lambda c: c.sms.inquiry_number(gsm=NUMBER, start_date=FAR),
        "start_date",
    ),
    ("mo start max", lambda c: c.mo.list_request(start_date=FAR), "start_date"),
    # no assert for input checks
    (
        "periodic None type",
        lambda c: c.sms.create(number=NUMBER, periodic_settings=Periodic(period_type=None), **SEND),  # type: ignore[arg-type]
        "periodic_settings.period_type",
    ),
    (
        "iys None",
        lambda c: c.contact.create(gsm=NUMBER, iys=nodesms.Iys(c=None, src=None, send=True)),  # type: ignore[arg-type]
        "iys",
    ),
    # the shared rules
    ("landline", lambda c: c.sms.create_otp(**{**OTP, "number": "0212 123 45 67"}), "number"),
    (
        "title too long",
        lambda c: c.sms.create(number=NUMBER, **{**SEND, "title": "x" * 51}),
        "title",
    ),
    ("custom_id space", lambda c: c.sms.create_otp(custom_id="a b", **OTP), "custom_id"),
    (
        "xid too long",
        lambda c: c.sms.create(messages=[Message(NUMBER, "a", "x" * 33)], **SEND),
        "messages[0].xid",
    ),
    (
        "amount 1500",
        lambda c: c.sms.create(number=NUMBER, periodic_settings=Periodic(0, 1, 1500), **SEND),
        "periodic_settings.amount",
    ),
    ("field name", lambda c: c.contact.create(gsm=NUMBER, details={"ŞEHİR": "x"}), "details"),
    # the escape hatch
    ("request path", lambda c: c.request("@evil.example/x"), "path"),
    ("request path url", lambda c: c.request("http://evil.example/x"), "path"),
    ("request body object", lambda c: c.request("/sms/get-mo", {"a": object()}), "body"),
    ("request effect", lambda c: c.request("/sms/get-mo", effect="create"), "effect"),
    ("request result", lambda c: c.request("/sms/get-mo", result=5), "result"),
]


@pytest.mark.parametrize(
    ("case", "field"), [(c, f) for _, c, f in CASES], ids=[name for name, _, _ in CASES]
)
async def test_bad_input_is_a_validation_error_naming_the_field(
    nodesms_gateway: FakeGateway, nodesms_client: Client, case: Case, field: str
) -> None:
    async def attempt() -> None:
        outcome = case(nodesms_client)  # list methods check when called, others when awaited
        if inspect.isawaitable(outcome):
            await outcome

    with pytest.raises(ValidationError) as caught:
        await attempt()
    assert caught.value.field is not None, caught.value
    assert field in caught.value.field, caught.value
    assert nodesms_gateway.requests == []  # nothing reached the gateway


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "deep nesting"),
        (b'{"pkg":' * 10_000, "deep, truncated"),
        (
            b'{"pkg": {"id": 1, "state": 6}, "items": [{"id": 1, "nr": 1, "status": 3, '
            b'"lastUpdate": "9999-12-31T23:59:59-05:00"}]}',
            "a date past year 9999 in Istanbul",
        ),
        (
            b'{"pkg": {"id": 1, "state": 6}, "items": [{"id": 1, "nr": 1, "status": 3, '
            b'"lastUpdate": "yesterday"}]}',
            "not a date",
        ),
        (b'{"pkg": {"id": 1e400, "state": 6}}', "a huge number"),
        ({"pkg": {}}, "not bytes"),
    ],
)
def test_parse_push_refuses_anything_odd_with_a_validation_error(body: Any, why: str) -> None:
    with pytest.raises(ValidationError) as caught:
        nodesms.parse_push(body)
    assert caught.value.field in ("body", "items.lastUpdate"), why


# Every parameter of every method, given each hostile value: a ValidationError (nothing sent),
# the gateway's own refusal (an APIError), or success; never any other exception.
HOSTILE: list[Any] = [object(), 1.5, HUGE, SURROGATE, FAR, [object()], b"x", -1, "", {1: object()}]
BASELINES: dict[str, dict[str, Any]] = {
    "sms.create_otp": OTP,
    "sms.create": {**SEND, "number": NUMBER},
    "sms.create_kvkk": {
        "number": NUMBER,
        "first_name": "A",
        "last_name": "B",
        "sender": "ACME",
        "content": "SHORT_LINK",
    },
    "sms.list": {},
    "sms.list_item": {"pkg_id": 1},
    "sms.list_sender": {},
    "sms.list_gateway": {},
    "sms.cancel": {"pkg_id": 1},
    "sms.recreate": {"pkg_id": 1, "title": "T"},
    "sms.summary": {},
    "sms.inquiry_number": {"gsm": NUMBER},
    "contact.create": {"gsm": NUMBER},
    "contact.update": {"uuid": "u"},
    "contact.delete": {"uuids": ["u"]},
    "contact.import_": {"rows": [(NUMBER,)], "columns": ["gsm"]},
    "contact.list": {},
    "contact.create_group": {"title": "G"},
    "contact.update_group": {"uuid": "u", "title": "G"},
    "contact.delete_group": {"uuid": "u"},
    "contact.list_group": {},
    "contact.set_blacklist": {"status": True, "gsms": [NUMBER]},
    "mo.list_request": {},
    "request": {"path": "/user/credit"},
}


def _method(dotted: str) -> Any:
    from nodesms.resources.contact import ContactResource
    from nodesms.resources.mo import MoResource
    from nodesms.resources.sms import SmsResource

    areas = {"sms": SmsResource, "contact": ContactResource, "mo": MoResource}
    area, _, name = dotted.partition(".")
    return getattr(areas[area], name) if name else getattr(Client, area)


def test_every_method_of_every_area_is_covered() -> None:
    from nodesms._operations import OPERATIONS

    covered = set(BASELINES)
    assert {op.method for op in OPERATIONS if op.method != "user.credit"} <= covered


@pytest.mark.parametrize("method", list(BASELINES))
async def test_hostile_values_never_leak(
    nodesms_gateway: FakeGateway, nodesms_client: Client, method: str
) -> None:
    area, _, action = method.partition(".")
    bound = getattr(getattr(nodesms_client, area), action) if action else nodesms_client.request
    names = [n for n in inspect.signature(_method(method)).parameters if n != "self"]
    assert set(BASELINES[method]) <= set(names)
    for name in names:
        for value in HOSTILE:
            before = len(nodesms_gateway.requests)
            where = f"{method}({name}=<{type(value).__name__}>)"
            try:
                outcome = bound(**{**BASELINES[method], name: value})
                await outcome  # a coroutine, or a paginator: awaiting it fetches a page
            except ValidationError as exc:
                assert exc.field, where  # noqa: PT017 (many cases in one loop, one gateway)
                assert len(nodesms_gateway.requests) == before, where
            except nodesms.APIError:
                pass  # the gateway refused it: a typed answer, not a leak
