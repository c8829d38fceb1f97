"""Checks on user input, done before anything is sent."""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable
from typing import Any, TypeVar, cast

from ._numbers import normalize_number
from .errors import ValidationError

__all__ = [
    "check_bool",
    "check_custom_id",
    "check_enum",
    "check_range",
    "exactly_one",
    "new_custom_id",
    "non_empty_str",
    "number",
    "number_list",
    "opt_bool",
    "opt_str",
    "str_list",
]

E = TypeVar("E")

_CUSTOM_ID = re.compile(r"[A-Za-z0-9.\-]{1,100}")


def new_custom_id() -> str:
    """A fresh customID: unique, within the gateway's charset and length."""
    # 128 random bits, as in a uuid4, without building a UUID object on every send.
    return "ns-" + os.urandom(16).hex()


def check_custom_id(value: str | None) -> str:
    """The caller's customID, checked, or a generated one."""
    if value is None:
        return new_custom_id()
    if not isinstance(value, str) or not _CUSTOM_ID.fullmatch(value):
        raise ValidationError(
            "must be 1-100 characters of ASCII letters, digits, '-' and '.'", field="custom_id"
        )
    return value


def check_range(value: int | None, low: int, high: int, field: str) -> int | None:
    """``value`` if it is an int in ``low..high`` (or ``None``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"must be an integer from {low} to {high}, got {value!r}", field=field
        )
    return value


def check_enum(value: int | None, enum_type: type[E], field: str) -> E | None:
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
        raise ValidationError(f"{value!r} is not a {enum_type.__name__}", field=field)
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


def non_empty_str(value: object, field: str) -> str:
    """``value`` if it is a non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=field)
    return value


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


def str_list(values: Iterable[str] | None, field: str) -> list[str] | None:
    """A list of non-empty strings (a lone string is refused: it is iterable by character)."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise ValidationError("expected a list of strings, not a single string", field=field)
    out = list(values)
    for index, value in enumerate(out):
        non_empty_str(value, f"{field}[{index}]")
    return out


def opt_str(value: object, field: str) -> str | None:
    """``None``, or a non-blank string."""
    return None if value is None else non_empty_str(value, field)


def check_bool(value: object, field: str) -> bool:
    """``value`` if it is ``True`` or ``False`` (not a truthy stand-in)."""
    if not isinstance(value, bool):
        raise ValidationError("must be True or False", field=field)
    return value


def opt_bool(value: object, field: str) -> bool | None:
    """``None``, or ``True`` / ``False``."""
    return None if value is None else check_bool(value, field)


def number(value: str | int, field: str) -> str:
    """:func:`~nodesms.normalize_number`, with errors naming the parameter at fault."""
    try:
        return normalize_number(value)
    except ValidationError as exc:
        raise ValidationError(exc.reason, field=field) from None


def number_list(
    values: Iterable[str | int] | None, field: str, *, allow_empty: bool = True
) -> list[str] | None:
    """Normalised numbers (a lone number is refused: ``"0555..."`` is iterable too)."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, int)):
        raise ValidationError("expected a list of numbers, not a single value", field=field)
    out = [number(value, f"{field}[{index}]") for index, value in enumerate(values)]
    if not out and not allow_empty:
        raise ValidationError("must not be empty", field=field)
    return out
