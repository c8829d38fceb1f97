"""The gateway's SOAP 1.1 endpoint: envelopes built and parsed with lxml.

:class:`SoapProtocol` has the same ``call`` as :class:`~nodesms._transport.JsonProtocol` and
uses the same connection, so retries, timeouts, logging and error classes are shared. A request
is the operation element (``<sms:sendSms>`` in the ``{base}/wsdl/sms`` namespace) with the
credentials and the body's wire fields as children: lists become ``<item>`` children, nested
objects child elements, booleans ``true``/``false``, and ``None`` fields are left out.

Answers (``<result><err/><data>…</data></result>``, bare or inside a SOAP envelope and an
``…Response`` element) are read by one hardened parser: no entity resolution, no DTD loading, no
network, no huge trees; a document with a DOCTYPE is refused outright (XXE, billion laughs). The
XML becomes plain Python values (an element whose children are all ``<item>`` is a list, empty
elements are dropped so the models' defaults apply, text stays text) and then the operation's
msgspec model through ``msgspec.convert(strict=False)``, exactly as lenient as the JSON path.

The parser (:func:`parse_xml`, :func:`element_to_builtins`) and :data:`XML_ILLEGAL` are shared
with the embedded gateway's SOAP side (``nodesms.testing._soap``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
from lxml import etree

from ._answer import DECODE_FAILURES, check_data, error_from_fields, response_error
from ._config import Timeout
from ._json import JsonProtocol
from ._operation import Operation
from ._transport import Connection, Headers, Redacted
from .errors import NodeSMSError, ResponseError, UnsupportedOperationError, ValidationError

__all__ = [
    "CONTENT_TYPE",
    "SOAP_ENV",
    "XML_ILLEGAL",
    "SoapProtocol",
    "UnsafeXMLError",
    "check_xml_text",
    "element_to_builtins",
    "local_name",
    "parse_xml",
    "sms_namespace",
]

T = TypeVar("T")

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
"""The SOAP 1.1 envelope namespace."""
CONTENT_TYPE = "text/xml;charset=UTF-8"
"""The content type of SOAP 1.1 requests and answers."""
SOAP_PATH = "/soap"
# Answers larger than this are parsed in a worker thread: the event loop never waits on them.
OFF_LOOP_BYTES = 256 * 1024

_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_HEADER = f"{{{SOAP_ENV}}}Header"
_BODY = f"{{{SOAP_ENV}}}Body"
_FAULT = f"{{{SOAP_ENV}}}Fault"

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def sms_namespace(base_url: str) -> str:
    """The namespace of the operation elements: ``{base}/wsdl/sms``."""
    return f"{base_url}/wsdl/sms"


# --- parsing ---------------------------------------------------------------------------------


class _RefuseExternal(etree.Resolver):
    """Belt and braces: should libxml2 ever ask for an external resource, hand it nothing."""

    def resolve(  # type: ignore[override]  # lxml-stubs lack the context argument
        self, system_url: str, public_id: str, context: object
    ) -> Any:
        resolve_empty: Any = getattr(self, "resolve_empty")  # noqa: B009  (not in lxml-stubs)
        return resolve_empty(context)


def _hardened_parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_blank_text=True,
        remove_comments=True,
        remove_pis=True,
        # Not collect_ids=False: with it libxml2 asks for the external DTD subset.
    )
    parser.resolvers.add(_RefuseExternal())
    return parser


_PARSER = _hardened_parser()


class UnsafeXMLError(ValueError):
    """The document declares a DOCTYPE (and so possibly entities): refused, never expanded."""


def _doctype_in_prolog(raw: bytes) -> bool:
    """Whether a ``<!DOCTYPE`` precedes the root element (not merely appears in some CDATA)."""
    index = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    size = len(raw)
    while index < size:
        while index < size and raw[index] in b" \t\r\n":
            index += 1
        if raw.startswith(b"<?", index):
            end, closer = raw.find(b"?>", index + 2), 2
        elif raw.startswith(b"<!--", index):
            end, closer = raw.find(b"-->", index + 4), 3
        else:
            return raw.startswith(b"<!DOCTYPE", index)
        if end < 0:
            return False
        index = end + closer
    return False


def parse_xml(raw: bytes) -> etree._Element:
    """Parse a document with the shared hardened parser and return its root element.

    Bytes in, never ``str``: the document's own encoding declaration decides. No entity is
    resolved, no DTD or other external resource is loaded, nothing goes to the network, and
    libxml2's size and depth limits stay on.

    Raises:
        UnsafeXMLError: the document has a DOCTYPE (XXE and entity-expansion attempts).
        lxml.etree.XMLSyntaxError: the bytes are not well-formed XML.
    """
    if not isinstance(raw, bytes):
        raise TypeError("parse_xml takes bytes")
    if b"<!DOCTYPE" in raw and _doctype_in_prolog(raw):
        raise UnsafeXMLError("the document declares a DOCTYPE; refused")
    root = etree.fromstring(raw, _PARSER)
    if root.getroottree().docinfo.internalDTD is not None:  # e.g. a UTF-16 document
        raise UnsafeXMLError("the document declares a DOCTYPE; refused")
    return root


def local_name(tag: str) -> str:
    """``{namespace}name`` → ``name``."""
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag


def element_to_builtins(element: etree._Element) -> Any:
    """Plain Python values from an element; ``None`` for an empty one.

    A leaf is its text (``str``). An element whose children are all ``<item>`` is a list of
    their values; any other element with children is a ``dict`` by local name (a name repeated
    among siblings becomes a list). Empty elements are dropped from dicts and lists, so the
    defaults of the model they are converted into apply. The text of an element with children
    (indentation) is ignored; namespaces are ignored.
    """
    if not len(element):
        return element.text
    out: dict[str, Any] = {}
    items: list[Any] | None = None
    repeated: set[str] | None = None
    for child in element:
        tag = child.tag
        if tag.__class__ is not str:  # an unexpanded entity reference; never in a parsed answer
            continue
        if tag[0] == "{":
            tag = tag[tag.index("}") + 1 :]
        value = element_to_builtins(child) if len(child) else child.text
        if tag == "item":
            if items is not None:
                if value is not None:
                    items.append(value)
                continue
            if not out:
                items = [] if value is None else [value]
                continue
        elif items is not None:  # <item>s, then another name: a record after all
            if items:
                out["item"] = items[0] if len(items) == 1 else items
                if len(items) > 1:
                    repeated = {"item"}
            items = None
        if value is None:
            continue
        if tag not in out:
            out[tag] = value
        elif repeated is not None and tag in repeated:
            out[tag].append(value)
        else:
            out[tag] = [out[tag], value]
            if repeated is None:
                repeated = set()
            repeated.add(tag)
    if items is not None:
        return items
    return out or None


# --- building --------------------------------------------------------------------------------


def check_xml_text(value: str, field: str) -> None:
    """Refuse text that XML 1.0 cannot carry, before anything is sent.

    Raises:
        ValidationError: naming the field, the character (``U+0000``) and its position.
    """
    bad = XML_ILLEGAL.search(value)
    if bad is not None:
        char = bad.group()
        raise ValidationError(
            f"{char!r} (U+{ord(char):04X}) at position {bad.start()} (counting from 0) cannot "
            "be sent over SOAP: XML 1.0 has no way to carry it; remove it or use "
            "protocol='json'",
            field=field,
        )


_PLANS: dict[type, tuple[tuple[str, str], ...]] = {}


def _plan(cls: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = tuple((f.name, f.encode_name) for f in msgspec.structs.fields(cls))
        _PLANS[cls] = plan
    return plan


def _fill(element: etree._Element, value: Any, field: str) -> None:
    if isinstance(value, str):
        if XML_ILLEGAL.search(value) is not None:
            check_xml_text(value, _user_field(field))
        element.text = value
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, int):
        element.text = int.__repr__(value)
    elif isinstance(value, float):
        element.text = repr(value)
    elif isinstance(value, msgspec.Struct):
        for attr, wire in _plan(type(value)):
            item = getattr(value, attr)
            if item is not None:
                _fill(etree.SubElement(element, wire), item, f"{field}.{attr}" if field else attr)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if item is not None:
                _fill(etree.SubElement(element, key), item, f"{field}.{key}" if field else key)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if item is not None:
                _fill(etree.SubElement(element, "item"), item, f"{field}[{index}]")
    else:
        raise TypeError(f"{field}: cannot put {type(value).__name__} into SOAP")


_MESSAGE_FIELD = re.compile(r"numbers\[(\d+)\]\.(text|xid)")


def _user_field(field: str) -> str:
    """The parameter a user passed for a body field (``numbers[2].text`` → ``messages[2]``)."""
    match = _MESSAGE_FIELD.fullmatch(field)
    if match is not None:
        index, part = match.groups()
        return f"messages[{index}]" if part == "text" else f"messages[{index}].xid"
    if field == "push_settings.url":
        return "push_url"
    return field


# --- the protocol ----------------------------------------------------------------------------

# Requests SOAP cannot say as JSON does go to the same gateway's JSON endpoint instead (same
# connection, credentials, retries and models):
# - filters the vendor's SOAP forms do not show: a SOAP server that ignored the element would
#   answer unfiltered data (``sms.list(custom_ids=...)`` is also the exactly-once lookup);
# - an empty list, which XML cannot tell from an absent one (``pkg_ids=[]`` means "none").
_JSON_ONLY_FILTERS: dict[str, tuple[str, ...]] = {"getSmsPackages": ("custom_ids",)}


class SoapProtocol:
    """The gateway's SOAP 1.1 API: ``POST {base}/soap`` with ``SOAPAction: <operation>``.

    Two kinds of request go to the same gateway's JSON endpoint instead, because SOAP cannot
    say them: ``sms.list(custom_ids=...)`` (the vendor's getSmsPackages has no customIDs; it
    is also the lookup behind exactly-once creates) and a filter given as an empty list.
    """

    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        self._namespace = sms_namespace(connection.base_url)
        self._nsmap = {"soapenv": SOAP_ENV, "sms": self._namespace}
        self._headers: dict[str, Headers] = {}
        self._json: JsonProtocol | None = None
        self._credentials_error: ValidationError | None = None
        for field, text in (("username", connection.username), ("password", connection.password)):
            if XML_ILLEGAL.search(text) is not None:
                # Never say which character: it is part of a credential.
                self._credentials_error = ValidationError(
                    "contains a character that XML 1.0 cannot carry; SOAP cannot send it "
                    "(use protocol='json')",
                    field=field,
                )

    def _headers_for(self, action: str) -> Headers:
        headers = self._headers.get(action)
        if headers is None:
            headers = self._conn.headers(CONTENT_TYPE, SOAPAction=action)
            self._headers[action] = headers
        return headers

    def envelope(self, action: str, body: msgspec.Struct | None) -> Redacted:
        """The request document for ``action`` with ``body``'s fields (it holds the password,
        so it is :class:`~nodesms._transport.Redacted`: its ``repr`` shows no byte).

        Raises:
            ValidationError: a text holds a character XML 1.0 cannot carry.
        """
        if self._credentials_error is not None:
            raise self._credentials_error
        envelope = etree.Element(_ENVELOPE, nsmap=self._nsmap)
        etree.SubElement(envelope, _HEADER)
        operation = etree.SubElement(
            etree.SubElement(envelope, _BODY), f"{{{self._namespace}}}{action}"
        )
        etree.SubElement(operation, "username").text = self._conn.username
        etree.SubElement(operation, "password").text = self._conn.password
        if body is not None:
            for attr, wire in _plan(type(body)):
                value = getattr(body, attr)
                if value is not None:
                    _fill(etree.SubElement(operation, wire), value, attr)
        return Redacted(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))

    async def call(
        self, op: Operation[T], body: msgspec.Struct | None, timeout: Timeout, attempt: int
    ) -> T:
        """Send one request and decode its answer into ``op.result``."""
        action = op.soap
        if action is None:  # Client._call refuses these first; keep the protocol honest too.
            raise UnsupportedOperationError(f"{op.path} has no SOAP form")
        if body is not None and _needs_json(action, body):
            if self._json is None:
                self._json = JsonProtocol(self._conn)
            return await self._json.call(op, body, timeout, attempt)
        payload = self.envelope(action, body)
        status, retry_after, raw = await self._conn.post(
            SOAP_PATH,
            payload,
            self._headers_for(action),
            timeout=timeout,
            operation=action,
            attempt=attempt,
        )
        if len(raw) > OFF_LOOP_BYTES:
            return await asyncio.to_thread(self.decode, op, raw, status, retry_after)
        return self.decode(op, raw, status, retry_after)

    def decode(
        self, op: Operation[T], raw: bytes, status: int = 200, retry_after: str | None = None
    ) -> T:
        """Turn an answer's bytes into ``op.result``, or raise what the answer means.

        Raises:
            APIError: ``<err>`` has content (the class chosen by its code, as for JSON).
            ResponseError: a SOAP Fault, a body that is not XML (an HTML proxy page), a DOCTYPE,
                no ``<result>``, or data that does not fit the model.
        """
        refusal: NodeSMSError
        try:
            root = parse_xml(raw)
        except UnsafeXMLError:
            refusal = response_error(
                "the answer declares a DOCTYPE (entities); refused unread", raw, status, retry_after
            )
        except etree.XMLSyntaxError:
            truncated = _ends_early(raw)
            reason = "the answer ended early" if truncated else "the answer is not XML"
            refusal = response_error(reason, raw, status, retry_after, truncated=truncated)
        else:
            return self._decode_tree(op, root, raw, status, retry_after)
        raise refusal  # outside the except block: nothing chained

    def _decode_tree(
        self,
        op: Operation[T],
        root: etree._Element,
        raw: bytes,
        status: int,
        retry_after: str | None,
    ) -> T:
        result = _result_element(root, raw, status, retry_after)
        err: etree._Element | None = None
        data: etree._Element | None = None
        for child in result:
            tag = child.tag
            if type(tag) is not str:
                continue
            name = local_name(tag)
            if name == "err":
                err = child
            elif name == "data":
                data = child
        error = None if err is None else element_to_builtins(err)
        if error is not None and (not isinstance(error, str) or error.strip()):
            raise _api_error(error, status, retry_after)
        value = None if data is None else element_to_builtins(data)
        if value is not None and status < 400:
            problem: str
            try:
                value = msgspec.convert(
                    value, op.result, strict=False, dec_hook=self._conn.clock.dec_hook
                )
            except msgspec.ValidationError as exc:
                problem = f"the answer does not match the API's schema ({exc})"
            except DECODE_FAILURES as exc:
                problem = (
                    f"the answer holds a value nodesms cannot represent ({type(exc).__name__})"
                )
            else:
                return check_data(op, value, raw, status, retry_after)
            raise response_error(problem, raw, status, retry_after)
        return check_data(op, None, raw, status, retry_after)


def _ends_early(raw: bytes) -> bool:
    """Whether malformed XML is a well-formed start that was cut off (worth a retry).

    Only called on the error path: libxml2's push parser accepts every prefix of a document
    and fails only at ``close()``; an error in the data itself shows up while feeding.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_RefuseExternal())
    try:
        parser.feed(raw)
    except etree.XMLSyntaxError:
        return False
    try:
        parser.close()
    except etree.XMLSyntaxError:
        return raw[:64].lstrip()[:1] == b"<"
    return False


def _needs_json(action: str, body: msgspec.Struct) -> bool:
    fields = _JSON_ONLY_FILTERS.get(action, ())
    if any(getattr(body, name, None) is not None for name in fields):
        return True
    return any(getattr(body, attr) == [] for attr, _ in _plan(type(body)))


def _result_element(
    root: etree._Element, raw: bytes, status: int, retry_after: str | None
) -> etree._Element:
    """The element holding ``<err>`` and ``<data>``: ``<result>``, bare or wrapped."""
    node = root
    if node.tag == _ENVELOPE or local_name(str(node.tag)) == "Envelope":
        body = next((c for c in node if local_name(str(c.tag)) == "Body"), None)
        first = None if body is None else next((c for c in body if type(c.tag) is str), None)
        if first is None:
            raise response_error("the SOAP envelope has no body", raw, status, retry_after)
        if first.tag == _FAULT or local_name(str(first.tag)) == "Fault":
            raise _fault(first, raw, status, retry_after)
        node = first
    for _ in range(4):
        names = [local_name(c.tag) for c in node if type(c.tag) is str]
        if "err" in names or "data" in names:
            return node
        if len(names) != 1:
            break
        node = next(c for c in node if type(c.tag) is str)
    raise response_error("the answer is not the API's SOAP result", raw, status, retry_after)


def _fault(
    fault: etree._Element, raw: bytes, status: int, retry_after: str | None
) -> ResponseError:
    fields = element_to_builtins(fault)
    code = string = ""
    if isinstance(fields, dict):
        code = str(fields.get("faultcode") or "")
        string = str(fields.get("faultstring") or "")
    detail = ": ".join(part for part in (code, string) if part)
    return response_error(
        f"SOAP Fault{' ' + detail if detail else ''}"[:300], raw, status, retry_after
    )


def _api_error(fields: Any, status: int, retry_after: str | None) -> NodeSMSError:
    """The typed error for the value of a non-empty ``<err>``."""
    if isinstance(fields, dict):
        code = _text(fields.get("code") or fields.get("name"))
        return error_from_fields(
            code, fields.get("message"), _text(fields.get("status")), status, retry_after
        )
    return error_from_fields(_text(fields), None, None, status, retry_after)


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None
