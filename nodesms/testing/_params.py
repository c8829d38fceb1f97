"""Reading request parameters the way the gateway does: leniently typed, strictly validated.

JSON bodies, query strings (GET) and SOAP bodies all end up as one ``dict``; values may be
strings (``"3"``, ``"true"``), and an empty string counts as absent (SOAP sends empty elements
for fields it does not use). Every problem raises :class:`GatewayError` with
``ERR_INVALID_PARAM`` (or the code the caller asks for) naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nodesms._numbers import is_wire_number
from nodesms._numbers import normalize_number as _normalize
from nodesms._rules import PageIndex, PageSize, conform
from nodesms.enums import Operator
from nodesms.errors import ValidationError
from nodesms.testing._clock import parse_input_date
from nodesms.testing._errors import GatewayError

__all__ = ["Params", "normalize_number", "operator_of", "shown", "split_numbers"]

_MISSING = object()


def normalize_number(value: object) -> str | None:
    """The gateway's form of a recipient number (``905551234567``), or ``None`` if invalid.

    The client's rule (:func:`nodesms.normalize_number`: Turkish mobile numbers in any common
    form, international ones with their country code, no landlines), plus the wire form as it
    is (``447700900123`` without ``+``), which is what clients send.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    try:
        return _normalize(value)
    except ValidationError:
        if isinstance(value, int) and not 0 <= value < 10**15:
            return None
        text = value.strip() if isinstance(value, str) else str(value)
        return text if is_wire_number(text) else None


def split_numbers(values: list[Any]) -> tuple[list[str], list[Any]]:
    """``(valid, invalid)``: the normalised numbers, and the values that are none."""
    valid: list[str] = []
    invalid: list[Any] = []
    for value in values:
        number = normalize_number(value)
        if number is None:
            invalid.append(value)
        else:
            valid.append(number)
    return valid, invalid


def shown(value: object) -> str:
    """A value for an error message: short, and never an int too long for ``repr``."""
    if isinstance(value, int) and value.bit_length() > 64:
        return "<a very long number>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# The prefix → operator mapping of the simulator (documented in nodesms.testing).
_OPERATOR_BY_PREFIX: dict[str, Operator] = {}
for _d in "0123456789":
    _OPERATOR_BY_PREFIX["9050" + _d] = Operator.TURK_TELEKOM
    _OPERATOR_BY_PREFIX["9051" + _d] = Operator.NETGSM
    _OPERATOR_BY_PREFIX["9053" + _d] = Operator.TURKCELL
    _OPERATOR_BY_PREFIX["9054" + _d] = Operator.VODAFONE
    _OPERATOR_BY_PREFIX["9055" + _d] = Operator.TURK_TELEKOM


def operator_of(number: str) -> Operator:
    """The operator of a normalised number.

    ``90 50x`` and ``90 55x``: TurkTelekom; ``90 51x``: Netgsm; ``90 53x``: Turkcell;
    ``90 54x``: Vodafone; anything else (``90 56x``–``59x``, foreign numbers): Turkcell.
    """
    return _OPERATOR_BY_PREFIX.get(number[:5], Operator.TURKCELL)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Params:
    """Typed access to one request's parameters."""

    __slots__ = ("raw",)

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def has(self, name: str) -> bool:
        """True when the field is present and not empty."""
        return self._get(name) is not _MISSING

    def _get(self, name: str) -> Any:
        value = self.raw.get(name, _MISSING)
        if value is None or value == "" or value is _MISSING:
            return _MISSING
        return value

    @staticmethod
    def fail(name: str, why: str, code: str = "ERR_INVALID_PARAM") -> GatewayError:
        """The error for an invalid field."""
        return GatewayError(code, f"{name}: {why}")

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        required: bool = False,
        min: int | None = None,
        max: int | None = None,
    ) -> int | None:
        """An integer field (``3`` or ``"3"``), range-checked."""
        value = self._get(name)
        if value is _MISSING:
            if required:
                raise self.fail(name, "zorunlu alan")
            return default
        result = self.coerce_int(name, value)
        if (min is not None and result < min) or (max is not None and result > max):
            raise self.fail(name, f"{min}..{max} aralığında olmalı")
        return result

    def rule(self, name: str, rule: Any, default: Any = None, *, required: bool = False) -> Any:
        """A field checked against one of :mod:`nodesms._rules`' types, as the client checks
        it (the same rule), read leniently: ``"60"`` is an int, ``12345`` a string."""
        value = self._get(name)
        if value is _MISSING:
            if required:
                raise self.fail(name, "zorunlu alan")
            return default
        if getattr(rule, "__origin__", None) is str:
            value = self.text(name)
        try:
            return conform(value, rule, name, strict=False)
        except ValidationError as exc:
            raise self.fail(name, exc.reason) from None

    def req_int(self, name: str, *, min: int | None = None, max: int | None = None) -> int:
        """A required integer field."""
        value = self.integer(name, required=True, min=min, max=max)
        assert value is not None
        return value

    def coerce_int(self, name: str, value: Any) -> int:
        """An int from an int or a decimal string."""
        if isinstance(value, bool):
            raise self.fail(name, "tam sayı olmalı")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        raise self.fail(name, "tam sayı olmalı")

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        """A string field (numbers are accepted and turned into text)."""
        value = self._get(name)
        if value is _MISSING:
            if required:
                raise self.fail(name, "zorunlu alan")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.fail(name, "metin olmalı")
        return str(value)

    def req_str(self, name: str) -> str:
        """A required, non-empty string field."""
        value = self.text(name, required=True)
        assert value is not None
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean field (``true``, ``1``, ``"true"``, ``"1"``...)."""
        value = self._get(name)
        if value is _MISSING:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self.fail(name, "true/false olmalı")

    def array(self, name: str) -> list[Any] | None:
        """A list field; a comma-separated string (query strings) is split."""
        value = self._get(name)
        if value is _MISSING:
            return None
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, int) and not isinstance(value, bool):
            return [value]
        raise self.fail(name, "dizi olmalı")

    def int_list(self, name: str) -> list[int] | None:
        """A list of integers."""
        values = self.array(name)
        return None if values is None else [self.coerce_int(name, v) for v in values]

    def str_list(self, name: str) -> list[str] | None:
        """A list of strings."""
        values = self.array(name)
        if values is None:
            return None
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise self.fail(name, "metin dizisi olmalı")
        return [str(v) for v in values]

    def obj(self, name: str) -> Params | None:
        """A nested object field, as :class:`Params`."""
        value = self._get(name)
        if value is _MISSING:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(name, "nesne olmalı")
        return Params(value) if value else None

    def date(self, name: str, *, seconds: bool = False) -> float | None:
        """A ``yyyy-MM-dd HH:mm`` (``:ss`` when ``seconds``) field, in gateway seconds."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return parse_input_date(value, seconds=seconds)
        except ValueError:
            fmt = "yyyy-MM-dd HH:mm:ss" if seconds else "yyyy-MM-dd HH:mm"
            raise self.fail(name, f"{fmt} biçiminde olmalı") from None

    def number(self, name: str, value: Any = _MISSING) -> str:
        """A recipient number, normalised (see :func:`normalize_number`)."""
        if value is _MISSING:
            value = self._get(name)
            if value is _MISSING:
                raise self.fail(name, "zorunlu alan")
        number = normalize_number(value)
        if number is None:
            raise self.fail(name, f"geçersiz numara {shown(value)}")
        return number

    def page(self) -> tuple[int, int]:
        """``(pageIndex, pageSize)``: index ≥ 0 (default 0), size 10–1000 (default 10)."""
        index: int = self.rule("pageIndex", PageIndex, 0)
        size: int = self.rule("pageSize", PageSize, 10)
        return index, size
