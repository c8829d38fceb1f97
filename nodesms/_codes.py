"""The gateway's error codes and the exception class each one becomes."""

from __future__ import annotations

from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConcurrencyLimitError,
    ConflictError,
    InsufficientCreditError,
    MaintenanceError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
)

__all__ = ["CODE_TO_NAME", "DESCRIPTIONS", "NAME_TO_CODE", "api_error", "describe"]

CODE_TO_NAME: dict[str, str] = {
    "SMS00": "ERR_BAD_REQUEST",
    "SMS01": "ERR_USER_NOT_AUTHORIZED",
    "SMS02": "ERR_BLACKLIST_RECORD_ALREADY_EXISTS",
    "SMS03": "ERR_PARENT_USER_NOT_FOUND",
    "SMS04": "ERR_USER_ALREADY_EXISTS",
    "SMS05": "ERR_INVALID_PRICING_PLAN",
    "SMS06": "ERR_SMS_PKG_NOT_FOUND",
    "SMS07": "ERR_SMS_PKG_NOT_CHANGEABLE",
    "SMS08": "ERR_INVALID_SMS_SENDING_DATE",
    "SMS09": "ERR_CONTACT_GROUP_ALREADY_EXISTS",
    "SMS10": "ERR_PARENT_CONTACT_GROUP_NOT_FOUND",
    "SMS11": "ERR_PARENT_CONTACT_GROUP_NOT_EMPTY",
    "SMS12": "ERR_CONTACT_ALREADY_EXISTS",
    "SMS13": "ERR_CONTACT_IMPORT_EXISTS",
    "SMS14": "ERR_FILE_NOT_FOUND",
    "SMS15": "ERR_CONTACT_IMPORT_FAILED",
    "SMS16": "ERR_USER_NOT_FOUND",
    "SMS17": "ERR_CREDIT_PLAN_NOT_FOUND",
    "SMS18": "ERR_USER_CREDIT_REQUIRED",
    "SMS19": "ERR_PROMOTION_NOT_FOUND",
    "SMS20": "ERR_ALLOWANCE_ALREADY_EXISTS",
    "SMS21": "ERR_ALLOWANCE_NOT_PERMITTED",
    "SMS22": "ERR_ALLOWANCE_NOT_APPLICABLE",
    "SMS23": "ERR_SPAM_FILTER_ALREADY_EXISTS",
    "SMS24": "ERR_MO_ALREADY_EXISTS",
    "SMS25": "ERR_MO_KEYWORD_ALREADY_EXISTS",
    "SMS26": "ERR_MO_NOT_FOUND",
    "SMS27": "ERR_SENDER_ALREADY_EXISTS",
    "SMS28": "ERR_PARENT_USER_CREDIT_REQUIRED",
    "SMS29": "ERR_USER_CREDIT_DECREASING_LIMITED",
    "SMS30": "ERR_USER_IYS_SETTINGS_NOT_FOUND",
    "SMS31": "ERR_INVALID_DATE_RANGE",
    "SMS32": "ERR_API_USER_ALREADY_EXISTS",
    "SMS33": "ERR_CREDIT_PLAN_UNIT_PRICE_LIMIT",
    "SMS42": "ERR_SMS_PKG_CUSTOM_ID_DUPLICATION",
    "SMS44": "ERR_SMS_SENDING_TIME_LIMIT",
    "SMS48": "ERR_REQUEST_PARAM_LIMIT",
    "SMS50": "ERR_MULTI_REQUEST_NOT_PERMITTED",
    "SMS99": "ERR_SYSTEM_MAINTENANCE",
}
NAME_TO_CODE = {name: code for code, name in CODE_TO_NAME.items()}

DESCRIPTIONS: dict[str, str] = {
    "ERR_BAD_REQUEST": "The request is malformed or its preconditions are not met.",
    "ERR_USER_NOT_AUTHORIZED": "The account may not perform this operation.",
    "ERR_BLACKLIST_RECORD_ALREADY_EXISTS": "The number is already in the global blacklist.",
    "ERR_PARENT_USER_NOT_FOUND": "The parent user does not exist.",
    "ERR_USER_ALREADY_EXISTS": "The user name is taken.",
    "ERR_INVALID_PRICING_PLAN": "The pricing plan is invalid.",
    "ERR_SMS_PKG_NOT_FOUND": "No such SMS package.",
    "ERR_SMS_PKG_NOT_CHANGEABLE": "The package's state can no longer be changed (it has "
    "started sending or is finished).",
    "ERR_INVALID_SMS_SENDING_DATE": "The sending date is invalid or in the past.",
    "ERR_CONTACT_GROUP_ALREADY_EXISTS": "A contact group with this name already exists.",
    "ERR_PARENT_CONTACT_GROUP_NOT_FOUND": "The contact group does not exist.",
    "ERR_PARENT_CONTACT_GROUP_NOT_EMPTY": "The target group cannot be a parent: it has contacts.",
    "ERR_CONTACT_ALREADY_EXISTS": "A contact with this number already exists.",
    "ERR_CONTACT_IMPORT_EXISTS": "An import is already pending; wait until it is processed.",
    "ERR_FILE_NOT_FOUND": "The file was not found.",
    "ERR_CONTACT_IMPORT_FAILED": "The contact import failed.",
    "ERR_USER_NOT_FOUND": "No such user.",
    "ERR_CREDIT_PLAN_NOT_FOUND": "No such credit plan.",
    "ERR_USER_CREDIT_REQUIRED": "The account has too little credit for this send.",
    "ERR_PROMOTION_NOT_FOUND": "No such promotion.",
    "ERR_ALLOWANCE_ALREADY_EXISTS": "The allowance was already created.",
    "ERR_ALLOWANCE_NOT_PERMITTED": "The allowance's preconditions are not met.",
    "ERR_ALLOWANCE_NOT_APPLICABLE": "The allowance does not apply to this user.",
    "ERR_SPAM_FILTER_ALREADY_EXISTS": "The spam filter already exists.",
    "ERR_MO_ALREADY_EXISTS": "The MO short number already exists.",
    "ERR_MO_KEYWORD_ALREADY_EXISTS": "The MO keyword already exists.",
    "ERR_MO_NOT_FOUND": "No such MO short number.",
    "ERR_SENDER_ALREADY_EXISTS": "The sender name already exists.",
    "ERR_PARENT_USER_CREDIT_REQUIRED": "The parent (reseller) account has too little credit.",
    "ERR_USER_CREDIT_DECREASING_LIMITED": "The credit cannot be decreased that far.",
    "ERR_USER_IYS_SETTINGS_NOT_FOUND": "The account has no IYS settings.",
    "ERR_INVALID_DATE_RANGE": "The date range is invalid (order, or longer than allowed).",
    "ERR_API_USER_ALREADY_EXISTS": "The API user name is taken.",
    "ERR_CREDIT_PLAN_UNIT_PRICE_LIMIT": "The unit price is below the one assigned to you.",
    "ERR_SMS_PKG_CUSTOM_ID_DUPLICATION": "A package with this customID already exists.",
    "ERR_SMS_SENDING_TIME_LIMIT": "A system-wide restriction of sending hours applies now.",
    "ERR_REQUEST_PARAM_LIMIT": "A parameter has too many elements.",
    "ERR_MULTI_REQUEST_NOT_PERMITTED": "This function runs one request at a time; wait for the "
    "running one.",
    "ERR_SYSTEM_MAINTENANCE": "The gateway is in maintenance; try again later.",
    # Names real deployments send that the vendor document does not list.
    "ERR_UNAUTHORIZED_REQUEST": "The user name or password was refused.",
    "ERR_INVALID_PARAM": "A parameter is missing or has an invalid value.",
    "ERR_INVALID_SMS_SENDER": "The sender name is not approved for this kind of send (OTP "
    "senders are approved separately).",
    "ERR_EMPTY_SMS_PACKAGE": "The package has no valid number.",
    "ERR_USER_BRAND_CODE_NOT_FOUND": "The account has no IYS brand code.",
    "ERR_SMS_PKG_CREATING_FAILED": "The gateway failed to create the package.",
    "ERR_NOT_FOUND": "No such endpoint or record.",
    "ERR_INTERNAL_SERVER": "The gateway failed internally.",
    "ERR_CONCURRENT_REQUEST_LIMIT": "Too many concurrent requests for this account.",
    "ERR_DAILY_REQUEST_LIMIT": "The daily limit of report queries is reached.",
    "ERR_SMS_PKG_DUPLICATION": "The same text went to the same numbers within the last half hour.",
}
"""The English meaning of every error name nodesms knows (``APIError.description``)."""


def describe(code: str | None, name: str | None) -> str | None:
    """The English meaning of an error, by name or numbered code; ``None`` if unknown."""
    if name is not None and name.upper() in DESCRIPTIONS:
        return DESCRIPTIONS[name.upper()]
    return DESCRIPTIONS.get(CODE_TO_NAME.get((code or "").upper(), ""))


def _classes() -> dict[str, type[APIError]]:
    table: dict[type[APIError], tuple[str, ...]] = {
        BadRequestError: (
            "SMS00", "SMS08", "SMS31", "SMS44", "SMS48",
            "ERR_INVALID_PARAM", "ERR_INVALID_SMS_SENDER", "ERR_EMPTY_SMS_PACKAGE",
        ),
        AuthenticationError: ("ERR_UNAUTHORIZED_REQUEST",),
        PermissionDeniedError: ("SMS01",),
        NotFoundError: (
            "SMS03", "SMS06", "SMS10", "SMS14", "SMS16", "SMS17", "SMS19", "SMS26", "SMS30",
            "ERR_NOT_FOUND",
        ),
        ConflictError: (
            "SMS02", "SMS04", "SMS07", "SMS09", "SMS11", "SMS12", "SMS13",
            "SMS20", "SMS21", "SMS22", "SMS23", "SMS24", "SMS25",
            "SMS27", "SMS29", "SMS32", "SMS33", "SMS42",
            "ERR_SMS_PKG_DUPLICATION",
        ),
        InsufficientCreditError: ("SMS18", "SMS28"),
        ConcurrencyLimitError: (
            "SMS50", "ERR_CONCURRENT_REQUEST_LIMIT", "ERR_DAILY_REQUEST_LIMIT",
        ),
        MaintenanceError: ("SMS99",),
        ServerError: ("ERR_INTERNAL_SERVER",),
    }  # fmt: skip
    return {key: cls for cls, keys in table.items() for key in keys}


_CLASS_BY_KEY = _classes()


def api_error(
    raw_code: str | None,
    message: str | None,
    *,
    status: int | None,
    http_status: int | None,
    retry_after: float | None = None,
) -> APIError:
    """Build the typed exception for an error the gateway reported.

    ``raw_code`` may be the numbered code (``SMS18``) or the name (``ERR_USER_CREDIT_REQUIRED``);
    real deployments send names. The class is chosen by code, then name, then HTTP status.
    """
    code: str | None = None
    name: str | None = None
    if raw_code:
        raw_code = raw_code.strip()
        upper = raw_code.upper()
        if upper.startswith("SMS") and upper[3:].isdigit():
            code, name = upper, CODE_TO_NAME.get(upper)
        elif upper.startswith("ERR_"):
            name, code = upper, NAME_TO_CODE.get(upper)
        else:  # not a form we know: keep it as sent
            name = raw_code
    cls = _CLASS_BY_KEY.get(code or "") or _CLASS_BY_KEY.get(name or "")
    if cls is None and http_status is not None:
        if http_status == 401:
            cls = AuthenticationError
        elif http_status >= 500:
            cls = ServerError
    return (cls or APIError)(
        message or "",
        code=code,
        name=name,
        status=status,
        http_status=http_status,
        retry_after=retry_after,
    )
