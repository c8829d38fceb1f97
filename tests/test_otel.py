"""OpenTelemetry: one span per operation over its retries, counters, no numbers or text; and
nothing imported without it. Checked with the SDK's in-memory exporter and reader."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import nodesms
from nodesms.testing import FakeGateway, Fault

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
NUMBERS = ["905550000001", "905550000002"]
TEXT = "Merhaba, kampanya başladı"

_EXPORTER = InMemorySpanExporter()
_READER = InMemoryMetricReader()


@pytest.fixture(scope="module")
def sdk() -> Iterator[None]:
    """The SDK as an application configures it (OpenTelemetry's providers are set once)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))
    yield
    _EXPORTER.shutdown()  # later tests' spans are not kept


@pytest.fixture
def spans(sdk: None) -> InMemorySpanExporter:
    _EXPORTER.clear()
    _READER.collect()  # counters are cumulative: read them as deltas from here
    return _EXPORTER


def counters() -> dict[tuple[str, str], int]:
    data = _READER.get_metrics_data()
    out: dict[tuple[str, str], int] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:  # type: ignore[union-attr]
                    operation = str(point.attributes.get("nodesms.operation"))
                    out[(metric.name, operation)] = int(point.value)
    return out


def nodesms_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith("nodesms ")]


def assert_no_personal_data(span: ReadableSpan) -> None:
    events = [dict(e.attributes or {}) for e in span.events]
    shown = repr(dict(span.attributes or {})) + repr(events)
    from nodesms.testing import DEFAULT_PASSWORD

    for secret in [*NUMBERS, TEXT, DEFAULT_PASSWORD]:
        assert secret not in shown


async def test_one_span_per_operation_covering_its_retries(
    spans: InMemorySpanExporter,
) -> None:
    before = counters()
    async with FakeGateway() as gw, gw.client() as client:
        gw.faults.push("/sms/create", Fault.error("SMS99"), Fault.drop_before())
        sent = await client.sms.create(sender="NODESMS", title="T", content=TEXT, numbers=NUMBERS)
    (span,) = nodesms_spans(spans)
    assert span.name == "nodesms sms.create"
    assert span.kind is trace.SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["nodesms.operation"] == "sms.create"
    assert attributes["nodesms.recipients"] == 2
    assert attributes["nodesms.parts"] == 2
    assert attributes["nodesms.package.id"] == sent.pkg_id
    assert "error.type" not in attributes
    retries = [e for e in span.events if e.name == "retry"]
    assert [dict(e.attributes or {}) for e in retries] == [
        {"nodesms.attempt": 2, "error.type": "MaintenanceError"},
        {"nodesms.attempt": 3, "error.type": "TransportError"},
    ]
    assert span.status.status_code is not StatusCode.ERROR
    assert_no_personal_data(span)
    after = counters()
    for name, grew in [("nodesms.messages", 2), ("nodesms.parts", 2), ("nodesms.retries", 2)]:
        key = (name, "sms.create")
        assert after.get(key, 0) - before.get(key, 0) == grew, name


async def test_a_many_to_many_send_counts_each_recipients_own_text(
    spans: InMemorySpanExporter,
) -> None:
    long_text = "Sayın müşterimiz, " * 10  # two Turkish parts; the content takes one
    async with FakeGateway() as gw, gw.client() as client:
        await client.sms.create(
            sender="NODESMS",
            title="T",
            content="K",
            messages=[(NUMBERS[0], TEXT), (NUMBERS[1], long_text)],
        )
    (span,) = nodesms_spans(spans)
    attributes = dict(span.attributes or {})
    assert (attributes["nodesms.recipients"], attributes["nodesms.parts"]) == (2, 1 + 2)
    assert_no_personal_data(span)


async def test_a_failed_operation_records_its_error(spans: InMemorySpanExporter) -> None:
    async with FakeGateway(credit=0) as gw, gw.client() as client:
        with pytest.raises(nodesms.InsufficientCreditError):
            await client.sms.create_otp(number=NUMBERS[0], sender="ACME", content=TEXT)
    (span,) = nodesms_spans(spans)
    assert span.name == "nodesms sms.create_otp"
    attributes = dict(span.attributes or {})
    assert attributes["error.type"] == "InsufficientCreditError"
    assert attributes["nodesms.error.code"] == "SMS18"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "InsufficientCreditError"
    assert [e.name for e in span.events] == []  # no exception message: it may quote input
    assert_no_personal_data(span)


async def test_reads_and_walks_get_spans_too(spans: InMemorySpanExporter) -> None:
    async with FakeGateway() as gw, gw.client() as client:
        gw.seed_packages(25)
        await client.user.credit()
        walked = [p async for p in client.sms.list(start_date=gw.now.replace(year=2020),
                                                   page_size=10)]  # fmt: skip
    assert len(walked) == 25
    names = [s.name for s in nodesms_spans(spans)]
    assert names == ["nodesms user.credit"] + ["nodesms sms.list"] * 3
    assert all("nodesms.recipients" not in (s.attributes or {}) for s in nodesms_spans(spans))


def test_without_opentelemetry_nothing_is_imported() -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        sys.modules["opentelemetry"] = None  # as if it were not installed
        import nodesms
        from nodesms.testing import FakeGateway

        async def main():
            async with FakeGateway() as gw, gw.client() as client:
                await client.sms.create_otp(number="905550000001", sender="ACME", content="1")
            from nodesms import _otel
            assert _otel.observer() is None
            assert not [m for m in sys.modules if m.startswith("opentelemetry.")]
            print("ok")

        asyncio.run(main())
        """
    )
    run_ok(script)


def test_an_unconfigured_api_costs_no_span_and_no_counting() -> None:
    # The API installed but no SDK configured (most applications that merely depend on it):
    # spans would not record and meters keep nothing, so no span is made and a send's parts
    # are never counted; once a provider is configured, both are.
    script = textwrap.dedent(
        """
        import asyncio
        import nodesms
        from nodesms import _otel
        from nodesms.testing import FakeGateway

        counted = []
        measure = _otel._measure
        _otel._measure = lambda body: counted.append(body) or measure(body)

        class NoSpans:
            def start_as_current_span(self, *args, **kwargs):
                raise AssertionError("a span was started")

        observer = _otel.observer()
        assert observer is not None
        tracer, observer._tracer = observer._tracer, NoSpans()

        async def main():
            async with FakeGateway() as gw, gw.client() as client:
                await client.sms.create(
                    sender="ACME", title="T", content="K", messages=[("905550000001", "Merhaba")]
                )
                assert counted == []
                observer._tracer = tracer
                from opentelemetry import metrics
                from opentelemetry.sdk.metrics import MeterProvider
                metrics.set_meter_provider(MeterProvider())  # configured later: now it counts
                await client.sms.create(
                    sender="ACME", title="T", content="K", messages=[("905550000002", "Merhaba")]
                )
                assert len(counted) == 1
            print("ok")

        asyncio.run(main())
        """
    )
    run_ok(script)


def run_ok(script: str) -> None:
    """Run ``script`` in a fresh interpreter (OpenTelemetry's providers are set once per
    process); it must print ``ok``."""
    env: dict[str, Any] = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
