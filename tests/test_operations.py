"""The operations table is the one source of truth: the client's methods, the embedded
gateway's routes (POST, and GET where allowed), the SOAP map and the WSDL served over a real
socket, and README's table all agree with it."""

from __future__ import annotations

import operator
import re
from pathlib import Path

import pytest
from conftest import GatewayFactory
from lxml import etree

from nodesms import _operations as ops
from nodesms._operation import Operation
from nodesms.resources import contact, mo, sms, user
from nodesms.testing import FakeGateway
from nodesms.testing._registry import routes
from nodesms.testing._wsdl import SOAP_OPERATIONS

pytestmark = pytest.mark.anyio

WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_constant_names_are_unique_and_say_area_and_action() -> None:
    names = {name: value for name, value in vars(ops).items() if isinstance(value, Operation)}
    assert set(names.values()) == set(ops.OPERATIONS)
    assert len({op.path for op in ops.OPERATIONS}) == len(ops.OPERATIONS)
    for name, op in names.items():
        assert name == op.path.strip("/").replace("/", "_").replace("-", "_").upper()


async def test_every_operation_has_its_client_method() -> None:
    async with FakeGateway() as gw, gw.client() as client:
        for op in ops.OPERATIONS:
            method = operator.attrgetter(op.method)(client)
            assert callable(method), op
            assert f"``{op.path}``" in (method.__doc__ or ""), op.method


def test_resources_declare_no_operations_of_their_own() -> None:
    for module in (sms, contact, mo, user):
        own = [v for v in vars(module).values() if isinstance(v, Operation)]
        assert own == [], module.__name__


async def test_fake_routes_are_the_table_over_real_sockets(gateway: GatewayFactory) -> None:
    assert {path: route.op for path, route in routes().items()} == {
        op.path: op for op in ops.OPERATIONS
    }
    _, api = await gateway()
    for op in ops.OPERATIONS:
        posted = (await api.call(op.path, {})).json["err"] or {}
        assert posted.get("code") != "ERR_NOT_FOUND", op
        got = (await api.call(op.path, method="GET")).json["err"] or {}
        assert (got.get("code") != "ERR_NOT_FOUND") is op.get, op


async def test_wsdl_operations_are_the_table_soap_names(gateway: GatewayFactory) -> None:
    soap_ops = {op.soap: op.path for op in ops.OPERATIONS if op.soap is not None}
    assert soap_ops == SOAP_OPERATIONS
    _, api = await gateway()
    document = etree.fromstring((await api.call("/soap?wsdl", method="GET")).raw)
    port = {e.get("name") for e in document.iterfind(f"{WSDL}portType/{WSDL}operation")}
    bound = {e.get("name") for e in document.iterfind(f"{WSDL}binding/{WSDL}operation")}
    assert port == bound == set(soap_ops)
    for op in ops.OPERATIONS:
        assert ops.by_soap(op.soap or "") is (op if op.soap else None)
        assert ops.by_path(op.path) is op


def test_readme_operations_table_is_the_generated_one() -> None:
    match = re.search(r"<!-- operations:start -->\n(.*?)<!-- operations:end -->", README, re.S)
    assert match is not None
    assert match.group(1) == ops.reference_table()
