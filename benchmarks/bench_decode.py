"""Decoding list pages: nodesms models vs ``json.loads`` alone vs pydantic v2 models.

The bytes are the gateway's real answers (fetched once from the embedded gateway in another
process): a 1,000-package ``/sms/list`` page (packages created seconds apart, so each has its
own timestamps) and a 1,000-item ``/sms/list-item`` page (one package's recipients). Each is then
decoded in-process, repeatedly:

- **nodesms**: the decoder the client uses for the operation (``JsonProtocol``'s envelope
  decoder: ``msgspec.json.Decoder(_Envelope[ListData[Package]], strict=False,
  dec_hook=...)``), into frozen Structs with IntEnums and aware datetimes. Each decode uses a
  fresh client decoder, so nothing learnt from an earlier decode of the same bytes helps;
- **json.loads**: the standard library into dicts, nothing typed (the target);
- **msgspec untyped**: ``msgspec.json.decode`` into dicts (for reference);
- **pydantic v2**: models of the same shape, aliases, lax numbers, IntEnums and datetimes made
  aware in the gateway's zone, with ``model_validate_json`` (pydantic's fastest path).

A third case rewrites every timestamp of the list page to a distinct value (the worst case for
nodesms, which reuses a datetime whose text it has already seen on the page).

Target: nodesms faster than ``json.loads`` alone. Run ``python benchmarks/bench_decode.py``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import re
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar
from zoneinfo import ZoneInfo

# Runnable as a script from a checkout: make ``benchmarks`` (and nodesms) importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from benchmarks._common import (
    add_common_args,
    apply_common_args,
    describe_machine,
    median,
    median_range,
    repeats,
    table,
)
from benchmarks._server import GatewayProcess
from nodesms._config import auth_header
from nodesms._json import JsonProtocol
from nodesms._operation import Operation
from nodesms._operations import SMS_LIST as LIST
from nodesms._operations import SMS_LIST_ITEM as LIST_ITEM
from nodesms._transport import Connection
from nodesms.enums import Encoding, ItemState, Operator, PackageState, SmsType

IST = ZoneInfo("Europe/Istanbul")
PAGE = 1000
T = TypeVar("T")


# --- pydantic v2 models of the same shape ---------------------------------------------------


def _in_gateway_zone(value: datetime) -> datetime:
    return value.replace(tzinfo=IST) if value.tzinfo is None else value.astimezone(IST)


GatewayTime = Annotated[datetime, AfterValidator(_in_gateway_zone)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, coerce_numbers_to_str=True)


class PErr(_Model):
    code: str | int | None = None
    message: str | None = None
    status: int | None = None


class PStats(_Model):
    total_record: int = Field(default=0, alias="totalRecord")


class PListData(_Model, Generic[T]):
    items: list[T] | None = Field(default=None, alias="list")
    stats: PStats = PStats()


class PEnvelope(_Model, Generic[T]):
    err: PErr | None = None
    data: T | None = None


class PStatistics(_Model):
    total: int = 0
    credit: int = 0
    r_count: int = Field(default=0, alias="rCount")
    delivered: int = 0
    undelivered: int = 0


class PDateInfo(_Model):
    date: GatewayTime | None = None


class PProcessInfo(_Model):
    create: PDateInfo | None = None
    update: PDateInfo | None = None


class PPackage(_Model):
    id: int
    custom_id: str | None = Field(default=None, alias="customID")
    type: SmsType | None = None
    uuid: str | None = None
    error: str | int | None = None
    state: PackageState = PackageState.SAVING
    title: str | None = None
    content: str | None = None
    senders: list[str] | None = None
    encoding: Encoding | None = None
    validity: int | None = None
    statistics: PStatistics = PStatistics()
    is_scheduled: bool = Field(default=False, alias="isScheculed")
    is_scheduled_alt: bool | None = Field(default=None, alias="isScheduled")
    sending_date: GatewayTime | None = Field(default=None, alias="sendingDate")
    processing_date: GatewayTime | None = Field(default=None, alias="processingDate")
    process_info: PProcessInfo | None = Field(default=None, alias="processInfo")


class PPackageItem(_Model):
    id: str
    target: str
    state: ItemState = ItemState.WAITING
    msg: str | None = None
    error: str | int | None = None
    credit: int = 0
    sender: str | None = None
    set_state: int | None = Field(default=None, alias="setState")
    operator: Operator | None = None
    xid: str | None = None
    sending_date: GatewayTime | None = Field(default=None, alias="sendingDate")
    delivery_date: GatewayTime | None = Field(default=None, alias="deliveryDate")
    processing_date: GatewayTime | None = Field(default=None, alias="processingDate")


# --- fetching and decoding ---------------------------------------------------------------------


def _fetch(gw: GatewayProcess, path: str, body: dict[str, Any]) -> bytes:
    request = urllib.request.Request(
        gw.base_url + path,
        data=json.dumps(body).encode(),
        headers={
            "Authorization": auth_header(gw.username, gw.password),
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        raw: bytes = response.read()
    return raw


def _distinct_timestamps(raw: bytes) -> bytes:
    """Give every timestamp of a page its own value (same format, same length)."""
    counter = itertools.count()

    def unique(match: re.Match[bytes]) -> bytes:
        i = next(counter)
        return b'"%04d-%02d-%02dT%02d:%02d:%02d' % (
            2020 + i % 5,
            1 + i % 12,
            1 + i % 28,
            i % 24,
            (i // 24) % 60,
            (i // 7) % 60,
        )

    return re.sub(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d', unique, raw)


def client_decoder(op: Operation[Any]) -> msgspec.json.Decoder[Any]:
    """A fresh copy of the decoder a nodesms client uses for ``op``."""
    connection = Connection(
        "http://127.0.0.1", "user", "password", session=None, ssl=True, gateway_tz=IST
    )
    return JsonProtocol(connection).decoder(op)


def _time(
    decoders: dict[str, Callable[[], object]], number: int, runs: int
) -> dict[str, list[float]]:
    """CPU milliseconds per decode, one value per run, for each decoder.

    The decoders run interleaved (run 1 of each, then run 2...), so a ratio of two decoders
    is taken run by run. CPU time of this process rather than wall time: the figures then hold
    on a shared or virtual machine too, and decoding is pure CPU work anyway. Garbage
    collection stays on, as in real programs.
    """
    for decode in decoders.values():
        decode()
    samples: dict[str, list[float]] = {name: [] for name in decoders}
    for _ in range(runs):
        for name, decode in decoders.items():
            gc.collect()
            started = time.process_time()
            for _ in range(number):
                decode()
            samples[name].append((time.process_time() - started) / number * 1e3)
    return samples


def _cases(gw: GatewayProcess) -> list[tuple[str, bytes, Operation[Any], type[Any]]]:
    list_page = _fetch(gw, "/sms/list", {"pageSize": PAGE})
    items_page = _fetch(gw, "/sms/list-item", {"pkgID": gw.info["item_pkg_id"], "pageSize": PAGE})
    list_model = PEnvelope[PListData[PPackage]]
    item_model = PEnvelope[PListData[PPackageItem]]
    return [
        (f"/sms/list, {PAGE:,} packages", list_page, LIST, list_model),
        (f"/sms/list-item, {PAGE:,} items", items_page, LIST_ITEM, item_model),
        (
            f"/sms/list, {PAGE:,} packages, every timestamp distinct",
            _distinct_timestamps(list_page),
            LIST,
            list_model,
        ),
    ]


def _check(raw: bytes, op: Operation[Any], model: type[Any]) -> None:
    """Both decoders read the same page the same way (ids, datetimes, their zone)."""
    ours = client_decoder(op).decode(raw).data.items
    theirs = model.model_validate_json(raw).data.items
    if not len(ours) == len(theirs) == PAGE:
        raise RuntimeError(f"expected {PAGE} records, got {len(ours)} and {len(theirs)}")
    for a, b in ((ours[0], theirs[0]), (ours[-1], theirs[-1])):
        same = a.id == b.id and a.sending_date == b.sending_date
        if not same or a.sending_date.tzinfo is not IST or b.sending_date.tzinfo is not IST:
            raise RuntimeError(f"the decoders disagree: {a!r} != {b!r}")


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Run the benchmark, print its table; return milliseconds per decode by case and decoder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20, help="decodes per run (20)")
    add_common_args(parser)
    args = parser.parse_args(argv)
    apply_common_args(args)
    runs = repeats(7)
    print("## Decoding a 1,000-record page\n")
    print(f"{describe_machine()}\n")
    with GatewayProcess(packages=PAGE, spread=7.0, item_recipients=PAGE) as gw:
        cases = _cases(gw)
    results: dict[str, dict[str, float]] = {}
    rows = []
    for name, raw, op, model in cases:
        _check(raw, op, model)
        fresh = iter([client_decoder(op) for _ in range(args.number * runs + 1)])
        samples = _time(
            {
                "nodesms": lambda: next(fresh).decode(raw),  # noqa: B023
                "json.loads": lambda: json.loads(raw),  # noqa: B023
                "msgspec untyped": lambda: msgspec.json.decode(raw),  # noqa: B023
                "pydantic v2": lambda: model.model_validate_json(raw),  # noqa: B023
            },
            args.number,
            runs,
        )
        timings = {name: median(values) for name, values in samples.items()}
        results[name] = timings
        ours, floor, theirs = samples["nodesms"], samples["json.loads"], samples["pydantic v2"]
        rows.append(
            [
                f"{name} ({len(raw) / 1024:,.0f} KiB)",
                *(median_range(samples[k], 2) for k in samples),
                median_range((a / b for a, b in zip(ours, floor, strict=True)), 2, "×"),
                median_range((a / b for a, b in zip(theirs, ours, strict=True)), 1, "×"),
            ]
        )
    print(
        f"CPU milliseconds per decode, median (range) of {runs} runs of {args.number} decodes; "
        "ratios run by run.\n"
    )
    print(
        table(
            [
                "page",
                "nodesms models",
                "json.loads (dicts)",
                "msgspec untyped (dicts)",
                "pydantic v2 models",
                "nodesms ÷ json.loads",
                "pydantic ÷ nodesms",
            ],
            rows,
        )
    )
    # The target is about the gateway's pages; the synthetic worst case is shown beside them.
    real = [results[name] for name, *_ in cases if "distinct" not in name]
    met = all(r["nodesms"] < r["json.loads"] for r in real)
    print(
        "\nTarget: nodesms faster than json.loads alone on the gateway's pages: "
        + ("met." if met else "MISSED.")
        + " (The third page is a synthetic worst case, reported for information.)"
    )
    return results


if __name__ == "__main__":
    main()
