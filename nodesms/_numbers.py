"""Phone numbers: the one rule for what the client sends and the embedded gateway accepts."""

from __future__ import annotations

import re

from .errors import ValidationError

__all__ = ["is_wire_number", "mask_number", "normalize_number"]

_SEPARATORS = re.compile(r"[\s\-().\u00a0/]+")
# Landlines are refused, decided from REFERENCE.md: every number field of the API is a "gsm" or
# a recipient ("nr"), inquiry-number asks for "the full number with country code" of a gsm,
# every example is a 905xx mobile number, and the Operator constants are the four mobile
# operators (Turkcell, Vodafone, TurkTelekom, Netgsm). So a Turkish number the gateway can
# deliver to is 90 + a 10-digit national number starting with 5, and the embedded gateway,
# which imitates production, refuses the rest. Accepting 0212... here would only move the
# failure from the caller's line to the gateway's answer.
_TR_MOBILE = re.compile(r"5\d{9}")
_TR_LANDLINE = re.compile(r"[2-48]\d{9}")
# E.164 allows at most 15 digits; the shortest real international numbers have 8.
_INTERNATIONAL = re.compile(r"[1-9]\d{7,14}")
_MAX_DIGITS = 15
_CANONICAL_TR = re.compile("90" + _TR_MOBILE.pattern)


def normalize_number(value: str | int) -> str:
    """Return a phone number in the gateway's wire form: country code and digits only.

    Turkish mobile numbers may be written any way people write them: ``"+90 555 123 45 67"``,
    ``"0555 123 45 67"``, ``"(555) 123-4567"``, ``5551234567`` and ``"00905551234567"`` all give
    ``"905551234567"``. Other international numbers need their country code (``"+44 7700
    900123"`` or ``"0044..."``) and come back as digits (8 to 15). Turkish landlines
    (``0212...``) are refused: SMS reaches mobile numbers only.

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
    if isinstance(value, int) and not 0 <= value < 10**_MAX_DIGITS:
        raise ValidationError("is not a phone number (more than 15 digits)", field="number")
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
        national = digits[1:] if digits.startswith("0") else digits
        if _TR_MOBILE.fullmatch(national):
            return "90" + national
        if _TR_LANDLINE.fullmatch(national):
            raise ValidationError(
                f"{mask_number(digits)!r} is a Turkish landline; SMS reaches mobile numbers "
                "(5xx) only",
                field="number",
            )
    if digits.startswith("90"):
        if _TR_MOBILE.fullmatch(digits[2:]):
            return digits
        raise ValidationError(
            f"{mask_number(digits)!r} is not a Turkish mobile number (90 5xx xxx xx xx)",
            field="number",
        )
    if international and _INTERNATIONAL.fullmatch(digits):
        return digits
    raise ValidationError(
        f"{mask_number(digits)!r} is not a phone number: give a Turkish mobile number or an "
        "international one with its country code",
        field="number",
    )


def is_wire_number(text: str) -> bool:
    """Whether ``text`` is already a wire-form number (a result of :func:`normalize_number`).

    The gateway accepts these as they are: ``"447700900123"`` needs no ``+`` on the wire.
    """
    if text.startswith("90"):
        return _TR_MOBILE.fullmatch(text, 2) is not None
    return _INTERNATIONAL.fullmatch(text) is not None


def mask_number(value: str) -> str:
    """Mask the middle of a phone number for logs: ``905551234501`` → ``90555*****01``."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:5] + "*" * (len(value) - 7) + value[-2:]
