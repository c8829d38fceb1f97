"""The WSDL 1.1 document (document/literal, wrapped) of the simulator's SOAP endpoint.

It describes the seven SOAP operations with the element names of the vendor's examples: each
request element (``sendSms``...) holds ``username``, ``password`` and the operation's fields,
all optional and unqualified; each answer is ``<{operation}Response><result><err/><data>…
</data></result></{operation}Response>``. Lists are wrappers of ``<item>`` elements. A standard
SOAP client (zeep) can load it from ``{base}/soap?wsdl`` and call the gateway with it.
"""

from __future__ import annotations

from functools import lru_cache

from nodesms._operations import OPERATIONS

__all__ = ["SOAP_OPERATIONS", "wsdl_document"]

SOAP_OPERATIONS: dict[str, str] = {op.soap: op.path for op in OPERATIONS if op.soap is not None}
"""SOAP operation name → the JSON operation that does its work (from the operations table)."""

# SOAP name → (request fields, type of the answer's data). Fields are (name, XSD type). The
# document describes exactly the operations SOAP_OPERATIONS names: a table entry without
# fields here fails at import (KeyError), an entry here that the table lacks is not used.
_STR, _INT, _LONG, _BOOL = "xsd:string", "xsd:int", "xsd:long", "xsd:boolean"
_CREDENTIALS = (("username", _STR), ("password", _STR))
_PAGING = (("pageIndex", _INT), ("pageSize", _INT))
_REQUESTS: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "sendOtp": (
        (
            ("number", _STR),
            ("sender", _STR),
            ("content", _STR),
            ("encoding", _INT),
            ("validity", _INT),
            ("pushSettings", "tns:PushSettings"),
            ("commercial", _BOOL),
            ("customID", _STR),
            ("trustDate", _STR),
        ),
        "tns:PkgIdData",
    ),
    "sendSms": (
        (
            ("type", _INT),
            ("sendingType", _INT),
            ("number", _STR),
            ("numbers", "tns:NumberList"),
            ("sender", _STR),
            ("title", _STR),
            ("content", _STR),
            ("encoding", _INT),
            ("validity", _INT),
            ("sendingDate", _STR),
            ("periodicSettings", "tns:PeriodicSettings"),
            ("pushSettings", "tns:PushSettings"),
            ("commercial", _BOOL),
            ("customID", _STR),
        ),
        "tns:PkgIdData",
    ),
    "getSmsPackages": (
        (
            ("ids", "tns:LongList"),
            ("customIDs", "tns:StringList"),
            ("keyword", _STR),
            ("sender", _STR),
            ("status", _INT),
            ("startDate", _STR),
            ("finishDate", _STR),
            *_PAGING,
        ),
        "tns:PackageListData",
    ),
    "getSmsPackageItems": (
        (
            ("pkgID", _LONG),
            ("uuid", _STR),
            ("customID", _STR),
            ("target", _STR),
            ("operator", _INT),
            ("state", _INT),
            *_PAGING,
        ),
        "tns:PackageItemListData",
    ),
    "getSmsSenders": (
        (("keyword", _STR), ("status", _INT), *_PAGING),
        "tns:SenderListData",
    ),
    "cancelSmsPackage": (
        (("id", _LONG), ("uuid", _STR), ("customID", _STR)),
        "tns:StatusData",
    ),
    "getUserCredit": ((), "tns:CreditData"),
}

# Record types of the answers, in the order the gateway writes their fields.
_RECORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "Error": (("status", _INT), ("code", _STR), ("message", _STR)),
    "PushSettings": (("url", _STR),),
    "PeriodicSettings": (("periodType", _INT), ("interval", _INT), ("amount", _INT)),
    "PkgIdData": (("pkgID", _LONG),),
    "StatusData": (("status", _INT),),
    "CreditData": (("credit", "xsd:decimal"),),
    "Stats": (("totalRecord", _LONG),),
    "Statistics": (
        ("total", _INT),
        ("credit", _INT),
        ("rCount", _INT),
        ("delivered", _INT),
        ("undelivered", _INT),
    ),
    "DateInfo": (("date", "xsd:dateTime"),),
    "ProcessInfo": (("create", "tns:DateInfo"), ("update", "tns:DateInfo")),
    "Package": (
        ("id", _LONG),
        ("customID", _STR),
        ("type", _INT),
        ("uuid", _STR),
        ("error", _STR),
        ("state", _INT),
        ("title", _STR),
        ("content", _STR),
        ("senders", "tns:StringList"),
        ("encoding", _INT),
        ("validity", _INT),
        ("statistics", "tns:Statistics"),
        ("isScheduled", _BOOL),
        ("sendingDate", "xsd:dateTime"),
        ("processingDate", "xsd:dateTime"),
        ("processInfo", "tns:ProcessInfo"),
    ),
    "PackageItem": (
        ("id", _STR),
        ("msg", _STR),
        ("error", _STR),
        ("credit", _INT),
        ("state", _INT),
        ("sender", _STR),
        ("target", _STR),
        ("setState", _INT),
        ("sendingDate", "xsd:dateTime"),
        ("deliveryDate", "xsd:dateTime"),
        ("processingDate", "xsd:dateTime"),
        ("xid", _STR),
        ("operator", _INT),
    ),
    "Sender": (("uuid", _STR), ("status", _INT), ("title", _STR), ("gateways", "tns:StringList")),
    "PackageListData": (("stats", "tns:Stats"), ("list", "tns:PackageList")),
    "PackageItemListData": (("stats", "tns:Stats"), ("list", "tns:PackageItemList")),
    "SenderListData": (("stats", "tns:Stats"), ("list", "tns:SenderList")),
}

_LISTS: dict[str, str] = {
    "StringList": _STR,
    "LongList": _LONG,
    "NumberList": "xsd:anyType",
    "PackageList": "tns:Package",
    "PackageItemList": "tns:PackageItem",
    "SenderList": "tns:Sender",
}


def _fields(fields: tuple[tuple[str, str], ...], indent: str) -> str:
    return "".join(
        f'{indent}<xsd:element name="{name}" type="{kind}" minOccurs="0"/>\n'
        for name, kind in fields
    )


def _schema() -> str:
    out: list[str] = []
    for name, fields in _RECORDS.items():
        out.append(
            f'      <xsd:complexType name="{name}">\n        <xsd:all>\n'
            f"{_fields(fields, '          ')}        </xsd:all>\n      </xsd:complexType>\n"
        )
    for name, item in _LISTS.items():
        out.append(
            f'      <xsd:complexType name="{name}">\n        <xsd:sequence>\n'
            f'          <xsd:element name="item" type="{item}" minOccurs="0" '
            'maxOccurs="unbounded"/>\n'
            "        </xsd:sequence>\n      </xsd:complexType>\n"
        )
    # A personalised recipient (many-to-many). ``numbers`` items are ``xsd:anyType``: a number
    # as text (one-to-many), or this type (zeep: ``AnyObject(client.get_type("ns0:NumberItem"),
    # ...)``).
    out.append(
        '      <xsd:complexType name="NumberItem">\n        <xsd:all>\n'
        f"{_fields((('nr', _STR), ('msg', _STR), ('xid', _STR)), '          ')}"
        "        </xsd:all>\n      </xsd:complexType>\n"
    )
    for operation in SOAP_OPERATIONS:
        fields, data = _REQUESTS[operation]
        out.append(
            f'      <xsd:element name="{operation}">\n        <xsd:complexType>\n'
            f"          <xsd:all>\n{_fields(_CREDENTIALS + fields, '            ')}"
            "          </xsd:all>\n        </xsd:complexType>\n      </xsd:element>\n"
            f'      <xsd:complexType name="{operation}Result">\n        <xsd:sequence>\n'
            '          <xsd:element name="err" type="tns:Error" minOccurs="0"/>\n'
            f'          <xsd:element name="data" type="{data}" minOccurs="0"/>\n'
            "        </xsd:sequence>\n      </xsd:complexType>\n"
            f'      <xsd:element name="{operation}Response">\n        <xsd:complexType>\n'
            "          <xsd:sequence>\n"
            f'            <xsd:element name="result" type="tns:{operation}Result"/>\n'
            "          </xsd:sequence>\n        </xsd:complexType>\n      </xsd:element>\n"
        )
    return "".join(out)


def _definitions() -> str:
    messages, port_ops, binding_ops = [], [], []
    for operation in SOAP_OPERATIONS:
        messages.append(
            f'  <wsdl:message name="{operation}Request">\n'
            f'    <wsdl:part name="parameters" element="tns:{operation}"/>\n'
            "  </wsdl:message>\n"
            f'  <wsdl:message name="{operation}ResponseMessage">\n'
            f'    <wsdl:part name="parameters" element="tns:{operation}Response"/>\n'
            "  </wsdl:message>\n"
        )
        port_ops.append(
            f'    <wsdl:operation name="{operation}">\n'
            f'      <wsdl:input message="tns:{operation}Request"/>\n'
            f'      <wsdl:output message="tns:{operation}ResponseMessage"/>\n'
            "    </wsdl:operation>\n"
        )
        binding_ops.append(
            f'    <wsdl:operation name="{operation}">\n'
            f'      <soap:operation soapAction="{operation}" style="document"/>\n'
            '      <wsdl:input><soap:body use="literal"/></wsdl:input>\n'
            '      <wsdl:output><soap:body use="literal"/></wsdl:output>\n'
            "    </wsdl:operation>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<wsdl:definitions name="SmsService" targetNamespace="@NS@"\n'
        '    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"\n'
        '    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"\n'
        '    xmlns:xsd="http://www.w3.org/2001/XMLSchema"\n'
        '    xmlns:tns="@NS@">\n'
        "  <wsdl:types>\n"
        '    <xsd:schema targetNamespace="@NS@" elementFormDefault="unqualified"\n'
        '        xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="@NS@">\n'
        f"{_schema()}"
        "    </xsd:schema>\n"
        "  </wsdl:types>\n"
        f"{''.join(messages)}"
        '  <wsdl:portType name="SmsPortType">\n'
        f"{''.join(port_ops)}"
        "  </wsdl:portType>\n"
        '  <wsdl:binding name="SmsBinding" type="tns:SmsPortType">\n'
        '    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>\n'
        f"{''.join(binding_ops)}"
        "  </wsdl:binding>\n"
        '  <wsdl:service name="SmsService">\n'
        '    <wsdl:port name="SmsPort" binding="tns:SmsBinding">\n'
        '      <soap:address location="@LOCATION@"/>\n'
        "    </wsdl:port>\n"
        "  </wsdl:service>\n"
        "</wsdl:definitions>\n"
    )


_TEMPLATE = _definitions()


@lru_cache(maxsize=32)
def wsdl_document(namespace: str, location: str) -> bytes:
    """The WSDL for a gateway whose operations are in ``namespace``, served at ``location``."""
    escaped_ns = _attr(namespace)
    return _TEMPLATE.replace("@NS@", escaped_ns).replace("@LOCATION@", _attr(location)).encode()


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )
