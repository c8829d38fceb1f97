"""One set of rules: whatever the client accepts, the embedded gateway accepts.

Hypothesis draws inputs on both sides of every shared rule (numbers written any way, with and
without landlines; customIDs; validity; titles; xids; page sizes; texts in every encoding).
Each example goes through a real client to a real FakeGateway over a socket: either the
client refuses it with a ValidationError and nothing is sent, or the gateway accepts it.
One gateway and one client serve every example (a blocking portal runs their loop).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import anyio.from_thread
import msgspec
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import nodesms
from nodesms import Client, Encoding, Message, RetryPolicy, ValidationError
from nodesms.resources.sms import _CreateOtpBody
from nodesms.testing import FakeGateway

NO_RETRY = RetryPolicy(max_attempts=1)

# Numbers: Turkish mobiles and landlines in the ways people write them, foreign numbers with
# and without a country code, garbage.
# Mobiles (5xx) drawn as often as landlines: a fifth of them, as [2-58] alone drew, left
# the accepted side of the creates with a handful of examples, and the module's closing
# check (more than 50 sent) failing on an unlucky draw.
national = st.one_of(
    st.from_regex(r"5[0-9]{9}", fullmatch=True), st.from_regex(r"[2-48][0-9]{9}", fullmatch=True)
)
foreign = st.from_regex(r"[1-9][0-9]{5,15}", fullmatch=True)
written = st.one_of(
    national.map(lambda n: "0" + n),
    national,
    national.map(lambda n: f"+90 {n[:3]} {n[3:6]} {n[6:8]} {n[8:]}"),
    national.map(lambda n: f"(0{n[:3]}) {n[3:6]}-{n[6:]}"),
    national.map(lambda n: "0090" + n),
    national.map(lambda n: int("90" + n)),
    foreign.map(lambda n: "+" + n),
    foreign.map(lambda n: "00" + n),
    foreign,
    st.text(max_size=16),
    st.integers(min_value=-(10**20), max_value=10**20),
)
custom_ids = st.one_of(
    st.none(),
    st.from_regex(r"[A-Za-z0-9._\-]{1,100}", fullmatch=True),
    st.text(max_size=110),
)
texts = st.text(min_size=0, max_size=200)
titles = st.text(min_size=0, max_size=60)
encodings = st.sampled_from(["auto", Encoding.DEFAULT, Encoding.TURKISH, Encoding.UNICODE])
validity = st.one_of(st.none(), st.integers(min_value=-5, max_value=2000))
xids = st.one_of(st.none(), st.text(max_size=40))


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Callable[..., Any], FakeGateway, Client]]:
    """``(call, gw, client)``: ``call(fn, **kwargs)`` runs ``fn(**kwargs)`` on the portal."""
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        gateway = FakeGateway(duplicate_window=None, credit=10**12)
        with portal.wrap_async_context_manager(gateway) as gw:
            client = gw.client(retry=NO_RETRY)
            with portal.wrap_async_context_manager(client):

                def call(fn: Callable[..., Any], **kwargs: Any) -> Any:
                    return portal.call(functools.partial(fn, **kwargs))

                yield call, gw, client
    # Both sides of the rules were exercised: some examples sent and accepted, some refused.
    assert OUTCOMES["sent"] > 50, OUTCOMES
    assert OUTCOMES["refused"] > 50, OUTCOMES


USED_CUSTOM_IDS: set[str] = set()
OUTCOMES = {"sent": 0, "refused": 0}


def accepted_by_both(call: Callable[..., Any], gw: FakeGateway, fn: Any, **kwargs: Any) -> bool:
    """The client refuses (sending nothing) or the gateway accepts: never a gateway refusal."""
    custom_id = kwargs.get("custom_id")
    if isinstance(custom_id, str):
        # The gateway keeps its packages between examples: a customID used before is a
        # duplicate there (SMS42), which says nothing about the rules.
        assume(custom_id not in USED_CUSTOM_IDS)
        USED_CUSTOM_IDS.add(custom_id)
    before = len(gw.requests)
    try:
        call(fn, **kwargs)
    except ValidationError:
        assert len(gw.requests) == before  # refused by the client: nothing was sent
        OUTCOMES["refused"] += 1
        return False
    OUTCOMES["sent"] += 1
    return True
    # Anything else (an APIError: the gateway refused what the client accepted) fails.


SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(number=written, content=texts, encoding=encodings, validity=validity, custom_id=custom_ids)
def test_otp_sends(
    live: Any, number: Any, content: str, encoding: Any, validity: Any, custom_id: Any
) -> None:
    call, gw, client = live
    sent = accepted_by_both(
        call, gw, client.sms.create_otp, number=number, sender="NODESMS", content=content,
        encoding=encoding, validity=validity, custom_id=custom_id,
    )  # fmt: skip
    if sent:  # what went out meets the rules declared on the wire Struct (msgspec Meta)
        msgspec.convert(gw.requests[-1].params, _CreateOtpBody)


@SETTINGS
@given(
    numbers=st.lists(written, min_size=0, max_size=5),
    title=titles,
    content=texts,
    encoding=encodings,
    validity=validity,
    custom_id=custom_ids,
)
def test_one_to_many_sends(
    live: Any, numbers: Any, title: str, content: str, encoding: Any, validity: Any, custom_id: Any
) -> None:
    call, gw, client = live
    accepted_by_both(
        call, gw, client.sms.create, numbers=numbers, sender="NODESMS", title=title,
        content=content, encoding=encoding, validity=validity, custom_id=custom_id,
    )  # fmt: skip


@SETTINGS
@given(
    messages=st.lists(st.tuples(written, texts, xids), min_size=1, max_size=4),
    encoding=encodings,
)
def test_many_to_many_sends(live: Any, messages: Any, encoding: Any) -> None:
    call, gw, client = live
    accepted_by_both(
        call, gw, client.sms.create, sender="NODESMS", title="T", content="kişiye özel",
        encoding=encoding, messages=[Message(n, t, x) for n, t, x in messages],
    )  # fmt: skip


@SETTINGS
@given(gsm=written, page_size=st.integers(min_value=0, max_value=1100))
def test_lookups_and_pages(live: Any, gsm: Any, page_size: int) -> None:
    call, gw, client = live
    accepted_by_both(call, gw, client.sms.inquiry_number, gsm=gsm)
    accepted_by_both(call, gw, client.contact.set_blacklist, status=True, gsms=[gsm])

    async def first_page(**kwargs: Any) -> Any:
        return await client.sms.list_sender(**kwargs)

    accepted_by_both(call, gw, first_page, page_size=page_size)


def test_the_rule_for_numbers_is_the_fakes_rule() -> None:
    """The fake's number rule is the client's, plus wire forms as they are."""
    from nodesms.testing._params import normalize_number as fake_rule

    for value in ("0555 123 45 67", "+44 7700 900123", 905551234567, "0212 123 45 67", "12"):
        try:
            expected: str | None = nodesms.normalize_number(value)
        except ValidationError:
            expected = None
        assert fake_rule(value) == expected
        if expected is not None:
            assert fake_rule(expected) == expected  # what the client sends, the fake takes
