"""Decoding the gateway's bytes into models: lenient where real deployments need it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import msgspec
import pytest

import nodesms
from nodesms.models import ListData, dec_hook_for

IST = ZoneInfo("Europe/Istanbul")


def decode(raw: bytes, type_: object, tz: ZoneInfo = IST) -> object:
    return msgspec.json.decode(raw, type=type_, strict=False, dec_hook=dec_hook_for(tz))


PACKAGE = b"""{
  "id": 1001, "customID": null, "type": 1, "uuid": "1b09b8c5-ae80-42af-8779-21a61afd5da1",
  "error": null, "state": 6, "title": "xxx", "content": "Test",
  "senders": ["BASLIK"], "encoding": 0, "validity": 60,
  "statistics": {"total": 1, "credit": 1, "rCount": 1, "delivered": 1, "undelivered": 0},
  "isScheculed": 0, "sendingDate": "2021-05-04T01:38:20",
  "processingDate": "2021-05-04T01:38:22.25607",
  "processInfo": {"create": {"date": "2021-05-04T01:38:19"}, "update": {"date": null}},
  "somethingNew": {"nested": [1, 2, 3]}
}"""


def test_package_decodes_with_explicit_wire_names() -> None:
    pkg = decode(PACKAGE, nodesms.Package)
    assert isinstance(pkg, nodesms.Package)
    assert pkg.id == pkg.pkg_id == 1001
    assert pkg.custom_id is None
    assert pkg.state is nodesms.PackageState.COMPLETED
    assert pkg.state.is_final
    assert pkg.statistics.r_count == 1
    assert pkg.is_scheduled is False
    assert pkg.senders == ["BASLIK"]
    assert pkg.process_info is not None
    assert pkg.process_info.create is not None
    assert pkg.process_info.create.date == datetime(2021, 5, 4, 1, 38, 19, tzinfo=IST)


def test_datetimes_are_aware_in_the_gateway_zone() -> None:
    pkg = decode(PACKAGE, nodesms.Package)
    assert isinstance(pkg, nodesms.Package)
    assert pkg.sending_date == datetime(2021, 5, 4, 1, 38, 20, tzinfo=IST)
    assert pkg.sending_date is not None
    assert pkg.sending_date.utcoffset() == timedelta(hours=3)
    assert pkg.processing_date is not None
    assert pkg.processing_date.microsecond == 256070
    # Another gateway zone: the same wall-clock time is another instant.
    utc_pkg = decode(PACKAGE, nodesms.Package, ZoneInfo("UTC"))
    assert isinstance(utc_pkg, nodesms.Package)
    assert utc_pkg.sending_date is not None
    assert utc_pkg.sending_date.astimezone(timezone.utc).hour == 1


def test_numbers_as_strings_and_unknown_enum_values_decode() -> None:
    raw = b"""{"id": "12345678910", "target": 905550000001, "state": "3", "credit": "2",
               "operator": 9, "setState": "4", "msg": null, "xid": "job-1",
               "sendingDate": "2021-05-04T01:38:20", "deliveryDate": null}"""
    item = decode(raw, nodesms.PackageItem)
    assert isinstance(item, nodesms.PackageItem)
    assert item.id == "12345678910"
    assert item.target == "905550000001"
    assert item.state is nodesms.ItemState.DELIVERED
    assert item.credit == 2
    assert item.set_state == 4
    assert item.operator == 9
    assert item.operator is not None
    assert item.operator.name == "UNKNOWN_9"
    assert item.delivery_date is None


def test_unknown_enum_pseudo_members_are_stable_and_not_final() -> None:
    assert nodesms.PackageState(42) is nodesms.PackageState(42)
    assert not nodesms.PackageState(42).is_final
    assert nodesms.ItemState(-2).is_final
    assert [s.value for s in nodesms.ItemState if s.is_final] == [-2, -1, 3, 4, 5]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"id": 1, "isScheculed": 1}', True),
        (b'{"id": 1, "isScheduled": 1}', True),
        (b'{"id": 1, "isScheduled": "0"}', False),
        (b'{"id": 1}', False),
    ],
)
def test_is_scheduled_reads_both_spellings(raw: bytes, expected: bool) -> None:
    pkg = decode(raw, nodesms.Package)
    assert isinstance(pkg, nodesms.Package)
    assert pkg.is_scheduled is expected


def test_both_spellings_give_equal_models() -> None:
    assert decode(b'{"id": 1, "isScheculed": 1}', nodesms.Package) == decode(
        b'{"id": 1, "isScheduled": 1}', nodesms.Package
    )


def test_list_envelope_shape() -> None:
    raw = b'{"stats": {"totalRecord": "3"}, "list": [{"uuid": "u", "status": 1, "title": "T"}]}'
    data = decode(raw, ListData[nodesms.Sender])
    assert isinstance(data, ListData)
    assert data.stats.total_record == 3
    assert data.items == [nodesms.Sender(title="T", uuid="u", status=nodesms.SenderStatus.APPROVED)]


def test_models_are_frozen() -> None:
    pkg = decode(PACKAGE, nodesms.Package)
    with pytest.raises(AttributeError):
        pkg.id = 5  # type: ignore[misc, union-attr]


def test_bad_datetime_is_a_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode(b'{"id": 1, "sendingDate": "yesterday"}', nodesms.Package)
