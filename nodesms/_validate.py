"""Checks on user input, done before anything is sent.

Every helper raises :class:`~nodesms.ValidationError` naming the field, whatever it is given
(wrong types, non-iterables, lone surrogates, huge ints): never a ``TypeError``,
``UnicodeEncodeError``, ``OverflowError`` or ``AssertionError``. The limits themselves are
the gateway's rules in :mod:`nodesms._rules`, shared with the embedded gateway.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from ._numbers import normalize_number
from ._rules import CustomId, conform, plain_str
from .errors import ValidationError
from .text import to_gsm

__all__ = [
    "check_bool",
    "check_custom_id",
    "check_enum",
    "check_int",
    "check_range",
    "custom_id_for",
    "exactly_one",
    "items",
    "new_custom_id",
    "non_empty_str",
    "number",
    "number_list",
    "opt_bool",
    "opt_rule",
    "opt_str",
    "str_list",
]

E = TypeVar("E")

_INT64_MAX = 2**63 - 1
_KEY_SAFE = re.compile(r"[^A-Za-z0-9]+")


def new_custom_id() -> str:
    """A fresh customID: unique, letters, digits and ``-`` only."""
    # 128 random bits, as in a uuid4, without building a UUID object on every send.
    return "ns-" + os.urandom(16).hex()


def custom_id_for(key: str) -> str:
    """A stable, valid customID for any job key: the same key always gives the same id.

    ``custom_id_for("rq:job:42")`` → ``"rq-job-42-…"``: a readable prefix of the key (letters,
    digits and ``-``) and 20 hex digits of its SHA-256, so distinct keys give distinct
    ids, however long or odd they are (a UUID, a path, Turkish letters). Use it to make sends
    from a queue exactly-once across retries and restarts::

        await client.sms.create(sender="ACME", title="Sipariş", content="Siparişiniz yolda",
                                number="0555 123 45 67", custom_id=nodesms.custom_id_for(job.id))

    Raises:
        ValidationError: ``key`` is not a non-empty string.
    """
    key = non_empty_str(key, "key")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    readable = _KEY_SAFE.sub("-", to_gsm(key)).strip("-")[:60].rstrip("-")
    return f"{readable}-{digest}" if readable else f"key-{digest}"


def check_custom_id(value: object) -> str:
    """The caller's customID, checked, or a generated one."""
    if value is None:
        return new_custom_id()
    checked: str = conform(value, CustomId, "custom_id")
    return checked


def opt_rule(value: Any, rule: Any, field: str) -> Any:
    """``None``, or ``value`` checked against one of :mod:`nodesms._rules`' types."""
    return None if value is None else conform(value, rule, field)


def check_range(value: object, low: int, high: int, field: str) -> int | None:
    """``None``, or ``value`` if it is an int in ``low..high`` (prefer a rule of
    :mod:`nodesms._rules` where the gateway has one, such as ``SmsValidity``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"must be an integer from {low} to {high}", field=field)
    return value


def check_int(value: object, field: str, *, low: int = 1) -> int:
    """An int from ``low`` up to the wire's 64-bit limit (ids, filters)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= _INT64_MAX:
        raise ValidationError(f"must be an integer >= {low}", field=field)
    return value


def check_enum(value: object, enum_type: type[E], field: str) -> E | None:
    """``value`` as a member of ``enum_type`` (its members and their ints are accepted).

    A member of another enum is refused even when its number is valid: ``PackageState.COMPLETED``
    is 6, which as a :class:`~nodesms.PackageFilter` means CANCELLED.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"expected {enum_type.__name__} or int", field=field)
    if isinstance(value, enum.Enum) and not isinstance(value, enum_type):
        raise ValidationError(_mix_up(value, enum_type), field=field)
    member = _members(enum_type).get(cast(int, value))
    if member is None:
        raise ValidationError(f"is not a {enum_type.__name__}", field=field)  # no repr: 10**4300
    return member


_MEMBERS: dict[type, dict[int, Any]] = {}


def _members(enum_type: type[E]) -> dict[int, E]:
    # Value -> member, for the declared members only (an IntEnum may make pseudo-members for
    # unknown wire values; those are no valid input). One dict lookup per check.
    members = _MEMBERS.get(enum_type)
    if members is None:
        declared = enum_type.__members__.values()  # type: ignore[attr-defined]
        members = _MEMBERS[enum_type] = {int(m): m for m in declared}
    return members


def _mix_up(value: enum.Enum, enum_type: type[Any]) -> str:
    given = f"{type(value).__name__}.{value.name}"
    expected = enum_type.__name__
    same_name = enum_type.__members__.get(value.name)
    hint = f"; did you mean {expected}.{value.name} ({same_name.value})?" if same_name else ""
    return f"expected {expected} (or its int), got {given} ({value.value}) of another enum{hint}"


def text(value: object, field: str) -> str:
    """``value`` if it is a string UTF-8 can carry (no lone surrogates), as a plain ``str``."""
    if not isinstance(value, str):
        raise ValidationError(f"must be a string, got {type(value).__name__}", field=field)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"U+{ord(value[exc.start]):04X} at position {exc.start} (counting from 0) is a "
                "lone surrogate (half of an emoji?), which nothing can send; the text was "
                "probably decoded wrongly upstream",
                field=field,
            ) from None
    return plain_str(value)


def non_empty_str(value: object, field: str) -> str:
    """``value`` if it is a non-blank string UTF-8 can carry."""
    checked = text(value, field)
    if not checked.strip():
        raise ValidationError("must be a non-empty string", field=field)
    return checked


def opt_str(value: object, field: str) -> str | None:
    """``None``, or a non-blank string."""
    return None if value is None else non_empty_str(value, field)


def exactly_one(**candidates: object) -> str:
    """The name of the single argument that is not ``None``; anything else is an error."""
    given = [name for name, value in candidates.items() if value is not None]
    if len(given) != 1:
        names = ", ".join(candidates)
        raise ValidationError(
            f"give exactly one of {names} (got {', '.join(given) or 'none'})",
            field=" / ".join(candidates),
        )
    return given[0]


def items(values: object, field: str) -> list[object]:
    """The elements of a list-like argument (a string, bytes, a mapping or a non-iterable is
    refused: ``"0555..."`` is iterable by character)."""
    if isinstance(values, (str, bytes, bytearray, Mapping)) or not isinstance(values, Iterable):
        raise ValidationError(f"expected a list, got {type(values).__name__}", field=field)
    return list(values)


def str_list(values: object, field: str) -> list[str] | None:
    """``None``, or a list of non-empty strings."""
    if values is None:
        return None
    return [non_empty_str(v, f"{field}[{i}]") for i, v in enumerate(items(values, field))]


def check_bool(value: object, field: str) -> bool:
    """``value`` if it is ``True`` or ``False`` (not a truthy stand-in)."""
    if not isinstance(value, bool):
        raise ValidationError("must be True or False", field=field)
    return value


def opt_bool(value: object, field: str) -> bool | None:
    """``None``, or ``True`` / ``False``."""
    return None if value is None else check_bool(value, field)


def number(value: object, field: str) -> str:
    """:func:`~nodesms.normalize_number`, with errors naming the parameter at fault."""
    try:
        return normalize_number(value)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ValidationError(exc.reason, field=field) from None


def number_list(values: object, field: str, *, allow_empty: bool = True) -> list[str] | None:
    """``None``, or normalised numbers."""
    if values is None:
        return None
    out = [number(v, f"{field}[{i}]") for i, v in enumerate(items(values, field))]
    if not out and not allow_empty:
        raise ValidationError("must not be empty", field=field)
    return out
