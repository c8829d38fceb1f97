"""The simulator's SOAP 1.1 endpoint: ``POST /soap`` and ``GET /soap?wsdl``.

The seven SOAP operations are answered by the same handlers as their JSON endpoints, through
:meth:`GatewayServer.serve <nodesms.testing._server.GatewayServer.serve>`: the same recording
(``gw.requests``, with ``protocol="soap"`` and the SOAP operation name), latency, faults
(keyed by the SOAP operation name: ``gw.faults.push("sendSms", Fault.error("SMS18"))``),
credentials, validation and errors.

- The operation comes from the ``SOAPAction`` header (quoted or not, a URL ending in the name
  is fine) or, without one, from the name of the Body's first element.
- Credentials: ``<username>``/``<password>`` in the operation element, else the Basic header.
- Parameters: the operation element's children as the JSON handlers take them: ``<item>``
  children become lists, nested elements objects, empty elements are absent; values stay text
  (the handlers read ``"3"``, ``"true"`` and ``"1"`` like JSON's ``3`` and ``true``).
- Answers: ``<soapenv:Envelope><soapenv:Body><sms:{op}Response><result><err/><data>…</data>
  </result></sms:{op}Response>…``, lists as ``<item>`` children, ``null`` as an empty element,
  ``isScheculed`` spelled ``isScheduled``; errors fill ``<err>`` with ``status``, ``code`` and
  ``message`` (with the same HTTP status as JSON). A request that is not XML, declares a
  DOCTYPE, or names no known operation gets a SOAP Fault (HTTP 500).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from aiohttp import web
from lxml import etree

from nodesms._soap import (
    SOAP_ENV,
    XML_ILLEGAL,
    UnsafeXMLError,
    element_to_builtins,
    local_name,
    parse_xml,
    sms_namespace,
)
from nodesms.testing._errors import GatewayError
from nodesms.testing._server import GatewayServer
from nodesms.testing._wsdl import SOAP_OPERATIONS, wsdl_document

__all__ = ["SoapCodec", "SoapEndpoint", "install"]

CONTENT_TYPE = "text/xml; charset=utf-8"
_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
_NSMAP_BASE = {"soapenv": SOAP_ENV}
# JSON sends the document's "isScheculed" beside "isScheduled"; SOAP spells it isScheduled only.
_SKIP = frozenset({"isScheculed"})
_ACTION_TAIL = re.compile(r"[/#:]")


def install(app: web.Application, server: GatewayServer) -> None:
    """Add the SOAP routes to the gateway's application (the hook ``_gateway`` calls)."""
    endpoint = SoapEndpoint(server)
    app.router.add_post("/soap", endpoint.post)
    app.router.add_get("/soap", endpoint.get, allow_head=False)


class SoapCodec:
    """Renders one operation's answers as SOAP envelopes (the ``Codec`` of ``serve``)."""

    content_type = CONTENT_TYPE

    def __init__(self, action: str, namespace: str) -> None:
        self._response = f"{{{namespace}}}{action}Response"
        self._nsmap = {**_NSMAP_BASE, "sms": namespace}

    def _result(self) -> tuple[etree._Element, etree._Element]:
        envelope = etree.Element(_ENVELOPE, nsmap=self._nsmap)
        body = etree.SubElement(envelope, _BODY)
        result = etree.SubElement(etree.SubElement(body, self._response), "result")
        return envelope, result

    def success(self, data: Any) -> bytes:
        """``<result><err/><data>…</data></result>`` in an envelope."""
        envelope, result = self._result()
        etree.SubElement(result, "err")
        _render(etree.SubElement(result, "data"), msgspec.to_builtins(data))
        return _serialize(envelope)

    def failure(self, error: GatewayError, status: int) -> bytes:
        """``<result><err><status/><code/><message/></err><data/></result>``."""
        envelope, result = self._result()
        err = etree.SubElement(result, "err")
        _render(err, {"status": status, "code": error.name, "message": error.message})
        etree.SubElement(result, "data")
        return _serialize(envelope)


def _serialize(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _render(element: etree._Element, value: Any) -> None:
    """Fill ``element`` with a JSON-shaped value; ``None`` leaves it empty."""
    if value is None:
        return
    if isinstance(value, str):
        if XML_ILLEGAL.search(value) is not None:  # stored by a JSON client: sent as U+FFFD
            value = XML_ILLEGAL.sub("\ufffd", value)
        element.text = value
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, int):
        element.text = int.__repr__(value)
    elif isinstance(value, float):
        element.text = int.__repr__(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, dict):
        sub = etree.SubElement
        for key, item in value.items():
            if key not in _SKIP:
                _render(sub(element, key), item)
    elif isinstance(value, (list, tuple)):
        sub = etree.SubElement
        for item in value:
            _render(sub(element, "item"), item)
    else:
        element.text = str(value)


def _fault(code: str, message: str) -> web.Response:
    envelope = etree.Element(_ENVELOPE, nsmap=_NSMAP_BASE)
    fault = etree.SubElement(etree.SubElement(envelope, _BODY), f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soapenv:{code}"
    etree.SubElement(fault, "faultstring").text = message
    return web.Response(
        body=_serialize(envelope), status=500, headers={"Content-Type": CONTENT_TYPE}
    )


def _action_from_header(value: str | None) -> str | None:
    if not value:
        return None
    name = _ACTION_TAIL.split(value.strip().strip('"').strip())[-1]
    return name or None


class SoapEndpoint:
    """The aiohttp handlers of ``/soap``."""

    def __init__(self, server: GatewayServer) -> None:
        self._server = server
        self._codecs: dict[tuple[str, str], SoapCodec] = {}

    def _codec(self, action: str, namespace: str) -> SoapCodec:
        key = (action, namespace)
        codec = self._codecs.get(key)
        if codec is None:
            if len(self._codecs) > 256:
                self._codecs.clear()
            codec = self._codecs[key] = SoapCodec(action, namespace)
        return codec

    @staticmethod
    def _base(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    async def get(self, request: web.Request) -> web.StreamResponse:
        """``GET /soap?wsdl``: the WSDL document."""
        if not any(key.lower() == "wsdl" for key in request.query):
            return web.Response(status=405, headers={"Allow": "POST"}, text="use POST, or ?wsdl")
        base = self._base(request)
        return web.Response(
            body=wsdl_document(sms_namespace(base), f"{base}/soap"),
            headers={"Content-Type": CONTENT_TYPE},
        )

    async def post(self, request: web.Request) -> web.StreamResponse:
        """``POST /soap``: one operation, dispatched by ``SOAPAction`` or the Body element."""
        raw = await request.read()
        try:
            root = parse_xml(raw)
        except UnsafeXMLError:
            return _fault("Client", "DOCTYPE declarations are not allowed")
        except etree.XMLSyntaxError as exc:
            return _fault("Client", f"malformed XML: {exc}")
        operation = _operation_element(root)
        action = _action_from_header(request.headers.get("SOAPAction"))
        if action not in SOAP_OPERATIONS and operation is not None:
            action = local_name(str(operation.tag))
        if action is None or action not in SOAP_OPERATIONS:
            return _fault("Client", f"unknown operation {action!r}")
        params = element_to_builtins(operation) if operation is not None else None
        if not isinstance(params, dict):
            params = {}
        username = params.pop("username", None)
        password = params.pop("password", None)
        credentials = None
        if isinstance(username, str) and isinstance(password, str):
            credentials = (username, password)
        namespace = sms_namespace(self._base(request))
        if operation is not None and str(operation.tag)[:1] == "{":
            namespace = str(operation.tag)[1:].partition("}")[0]
        return await self._server.serve(
            request,
            protocol="soap",
            key=action,
            operation=SOAP_OPERATIONS[action],
            params=params,
            codec=self._codec(action, namespace),
            credentials=credentials,
        )


def _operation_element(root: etree._Element) -> etree._Element | None:
    """The operation element: the first child of the Body (or the root without an envelope)."""
    if local_name(str(root.tag)) != "Envelope":
        return root
    body = next((c for c in root if local_name(str(c.tag)) == "Body"), None)
    if body is None:
        return None
    return next((c for c in body if isinstance(c.tag, str)), None)
