"""Safety nets: max_parts= on sends, enum mix-ups refused (at run time and by mypy), and an
English description beside every gateway error."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import pytest

import nodesms
import nodesms.enums
from nodesms import PackageFilter, PackageState, ValidationError
from nodesms._codes import _CLASS_BY_KEY, CODE_TO_NAME, DESCRIPTIONS
from nodesms.testing import ERRORS, FakeGateway

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
LONG_OTP = "Kodunuz: 482913. " * 600  # 10,200 characters: 67 parts in GSM 7-bit


# --- max_parts -----------------------------------------------------------------------------


async def test_max_parts_refuses_a_long_text_before_sending(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    with pytest.raises(ValidationError, match="67 SMS parts") as caught:
        await nodesms_client.sms.create_otp(
            number="905550000001", sender="ACME", content=LONG_OTP, max_parts=1
        )
    assert caught.value.field == "content"
    with pytest.raises(ValidationError) as caught:
        await nodesms_client.sms.create(
            sender="ACME",
            title="T",
            content="kampanya",
            messages=[("905550000001", "kısa"), ("905550000002", "uzun " * 100)],
            max_parts=2,
        )
    assert caught.value.field == "messages[1]"
    with pytest.raises(ValidationError) as caught:
        await nodesms_client.sms.create_kvkk(
            number="905550000001",
            first_name="Ayşe",
            last_name="Yılmaz",
            sender="ACME",
            content="FIRST_NAME LAST_NAME onay: SHORT_LINK " + "x" * 400,
            max_parts=2,
        )
    assert caught.value.field == "content"
    for bad in (0, True, 1.5):
        with pytest.raises(ValidationError) as caught:
            await nodesms_client.sms.create(
                sender="ACME", title="T", content="x", number="905550000001", max_parts=bad
            )
        assert caught.value.field == "max_parts"
    assert nodesms_gateway.requests == []


async def test_max_parts_lets_texts_within_the_limit_through(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    text = "Merhaba " * 40  # 320 characters, 153 per part: 3 parts
    assert nodesms.segments(text).parts == 3
    sent = await nodesms_client.sms.create(
        sender="ACME", title="T", content=text, numbers=["905550000001"], max_parts=3
    )
    assert nodesms_gateway.package(sent.pkg_id).content == text
    await nodesms_client.sms.create_otp(
        number="905550000001", sender="ACME", content="Kodunuz: 1", max_parts=1
    )


# --- enum mix-ups ------------------------------------------------------------------------


async def test_an_enum_of_another_kind_is_refused_naming_the_right_one(
    nodesms_client: nodesms.Client, nodesms_gateway: FakeGateway
) -> None:
    client = nodesms_client
    with pytest.raises(ValidationError, match=r"PackageFilter.*PackageState\.COMPLETED") as e:
        client.sms.list(status=PackageState.COMPLETED)  # type: ignore[arg-type]
    assert e.value.field == "status"
    assert "did you mean PackageFilter.COMPLETED (5)" in str(e.value)
    mixups: list[tuple[Any, str, str]] = [
        (lambda: client.sms.list_item(pkg_id=1, state=PackageState.SENT), "state", "ItemState"),
        (lambda: client.sms.list_item(pkg_id=1, operator=nodesms.SmsType.OTP), "operator",
         "Operator"),
        (lambda: client.sms.list_sender(status=nodesms.ItemState.SENT), "status", "SenderStatus"),
        (lambda: client.contact.list(status=PackageFilter.ALL), "status", "ContactFilter"),
        (lambda: client.contact.list(iys_state=nodesms.ItemState.SENT), "iys_state", "IysState"),
        (lambda: nodesms.segments("x", nodesms.SmsType.NORMAL), "encoding", "Encoding"),
    ]  # fmt: skip
    for call, field, expected in mixups:
        with pytest.raises(ValidationError, match=f"expected {expected} ") as caught:
            call()
        assert caught.value.field == field
    sends: list[tuple[dict[str, Any], str, str]] = [
        ({"type": nodesms.Encoding.UNICODE}, "type", "SmsType"),
        ({"encoding": nodesms.SmsType.NORMAL}, "encoding", "Encoding"),
        ({"sending_type": nodesms.SmsType.NORMAL}, "sending_type", "SendingType"),
        (
            {"periodic_settings": nodesms.Periodic(period_type=nodesms.SmsType.NORMAL)},  # type: ignore[arg-type]
            "periodic_settings.period_type",
            "PeriodType",
        ),
    ]
    for options, field, expected in sends:
        with pytest.raises(ValidationError, match=f"expected {expected} ") as caught:
            await client.sms.create(
                sender="ACME", title="T", content="x", number="905550000001", **options
            )
        assert caught.value.field == field
    iys = nodesms.Iys(c=nodesms.IysSource.HS_WEB, src=nodesms.IysSource.HS_WEB, send=True)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="expected IysRecipientType ") as caught:
        await client.contact.create(gsm="905550000001", iys=iys)
    assert caught.value.field == "iys.c"
    assert nodesms_gateway.requests == []
    # The enum's own members and plain ints still pass.
    await client.sms.list(status=6, start_date=nodesms_gateway.now)
    await client.sms.list(status=PackageFilter.CANCELLED, start_date=nodesms_gateway.now)
    assert [r.params["status"] for r in nodesms_gateway.requests] == [6, 6]


def test_the_literal_value_types_match_their_enums() -> None:
    aliases = [name for name in nodesms.enums.__all__ if name.endswith("Value")]
    assert len(aliases) >= 12
    for alias in aliases:
        enum_type = getattr(nodesms.enums, alias.removesuffix("Value"))
        values = typing.get_args(getattr(nodesms.enums, alias))
        assert sorted(values) == sorted(m.value for m in enum_type), alias


def test_mypy_flags_an_enum_mix_up(tmp_path: Path) -> None:
    snippet = tmp_path / "mixup.py"
    snippet.write_text(
        textwrap.dedent(
            """
            import nodesms

            def use(client: nodesms.Client) -> None:
                client.sms.list(status=nodesms.PackageFilter.COMPLETED)
                client.sms.list(status=6)
                client.sms.list(status=nodesms.PackageState.COMPLETED)
                nodesms.segments("x", nodesms.SmsType.NORMAL)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(snippet)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["7", "8"], result.stdout
    assert "PackageState" in errors[0]
    assert "SmsType" in errors[1]


# --- descriptions --------------------------------------------------------------------------


def test_every_known_code_has_an_english_description() -> None:
    for code, name in CODE_TO_NAME.items():
        assert DESCRIPTIONS[name], code
        error = nodesms.APIError("Türkçe", code=code, name=name)
        assert error.description == DESCRIPTIONS[name]
        assert nodesms.APIError("", code=code).description == DESCRIPTIONS[name]
    for key in _CLASS_BY_KEY:
        name = CODE_TO_NAME.get(key, key)
        assert DESCRIPTIONS[name].endswith("."), key
    for spec in ERRORS.values():  # everything the embedded gateway can answer
        assert spec.name in DESCRIPTIONS, spec.name
    assert nodesms.APIError("?", name="ERR_SOMETHING_NEW").description is None
    assert nodesms.APIError("?").description is None


@pytest.mark.nodesms_gateway(credit=0)
async def test_a_gateway_error_keeps_its_message_and_adds_the_description(
    nodesms_client: nodesms.Client,
) -> None:
    with pytest.raises(nodesms.InsufficientCreditError) as caught:
        await nodesms_client.sms.create_otp(number="905550000001", sender="ACME", content="1")
    assert caught.value.message.startswith("Kullanıcı yeterli krediye sahip değil")
    assert caught.value.description == "The account has too little credit for this send."
