"""Phone number normalisation and masking."""

from __future__ import annotations

import re

from .errors import ValidationError

__all__ = ["mask_number", "normalize_number"]

_SEPARATORS = re.compile(r"[\s\-().\u00a0/]+")
# Turkish numbers: a 10-digit national significant number starting with 5 (mobile) or 2-4, 8
# (landline / special), written with 0, 90 or +90 in front, or bare.
_TR_NSN = re.compile(r"[2-58]\d{9}")
_CANONICAL_TR = re.compile("90" + _TR_NSN.pattern)


def normalize_number(value: str | int) -> str:
    """Return a phone number in the gateway's wire form: country code and digits only.

    Turkish numbers may be written any way people write them: ``"+90 555 123 45 67"``,
    ``"0555 123 45 67"``, ``"(555) 123-4567"``, ``5551234567`` and ``"00905551234567"`` all give
    ``"905551234567"``. Other international numbers need their country code (``"+44 7700 900123"``
    or ``"0044..."``) and come back as digits.

    Raises:
        ValidationError: the value is not a plausible phone number.
    """
    # The canonical form (what bulk sends pass, message after message) is returned as it is.
    if type(value) is str and value.isascii() and _CANONICAL_TR.fullmatch(value):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError(
            f"expected a phone number, got {type(value).__name__}", field="number"
        )
    raw = str(value).strip()
    digits = _SEPARATORS.sub("", raw)
    international = digits.startswith("+")
    if international:
        digits = digits[1:]
    elif digits.startswith("00"):
        digits, international = digits[2:], True
    if not digits.isascii() or not digits.isdigit():
        raise ValidationError(f"{mask_number(raw)!r} is not a phone number", field="number")
    if not international:
        if digits.startswith("0") and _TR_NSN.fullmatch(digits[1:]):
            return "90" + digits[1:]
        if _TR_NSN.fullmatch(digits):
            return "90" + digits
    if digits.startswith("90"):
        if _TR_NSN.fullmatch(digits[2:]):
            return digits
        raise ValidationError(
            f"{mask_number(digits)!r} is not a valid Turkish number (90 + 10 digits)",
            field="number",
        )
    # E.164 allows at most 15 digits; the shortest real international numbers have 8.
    if international and 8 <= len(digits) <= 15 and digits[0] != "0":
        return digits
    raise ValidationError(
        f"{mask_number(digits)!r} is not a phone number: give a Turkish number or an "
        "international one with its country code",
        field="number",
    )


def mask_number(value: str) -> str:
    """Mask the middle of a phone number for logs: ``905551234501`` → ``90555*****01``."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:5] + "*" * (len(value) - 7) + value[-2:]
