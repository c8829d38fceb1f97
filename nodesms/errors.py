"""The exceptions nodesms raises.

Everything derives from :class:`NodeSMSError`::

    NodeSMSError
    ├── APIError                      the gateway answered with an error
    │   ├── BadRequestError           SMS00, ERR_INVALID_PARAM, SMS08, SMS31, SMS44, SMS48, ...
    │   ├── AuthenticationError       ERR_UNAUTHORIZED_REQUEST, HTTP 401
    │   ├── PermissionDeniedError     SMS01
    │   ├── NotFoundError             SMS03, SMS06, SMS10, ...
    │   ├── ConflictError             SMS02, SMS07, SMS12, SMS13, SMS42, ...
    │   ├── InsufficientCreditError   SMS18, SMS28
    │   ├── ConcurrencyLimitError     SMS50, ERR_CONCURRENT_REQUEST_LIMIT, ERR_DAILY_REQUEST_LIMIT
    │   ├── MaintenanceError          SMS99
    │   └── ServerError               ERR_INTERNAL_SERVER, HTTP 5xx
    ├── ValidationError (ValueError)  bad input, caught before anything was sent
    ├── TransportError                the request did not complete
    │   ├── RequestTimeoutError
    │   └── ClientClosedError         the client was closed while the call was in flight
    ├── ResponseError                 the answer is not the API's envelope
    ├── UnsupportedOperationError     the operation does not exist in the chosen protocol
    └── WaitTimeoutError (TimeoutError)  sms.wait ran out of time with packages still open

Only the gateway's error *text* is kept; no exception ever carries credentials, and none is
chained to a lower-level exception (whose frames could hold them). Every exception pickles and
unpickles unchanged (for task queues and process pools).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConcurrencyLimitError",
    "ConflictError",
    "InsufficientCreditError",
    "MaintenanceError",
    "NodeSMSError",
    "NotFoundError",
    "PermissionDeniedError",
    "RequestTimeoutError",
    "ResponseError",
    "ServerError",
    "TransportError",
    "UnsupportedOperationError",
    "ValidationError",
    "WaitTimeoutError",
]


def _restore(cls: type[NodeSMSError], args: tuple[Any, ...]) -> NodeSMSError:
    """Unpickle: make the instance without ``__init__`` (its arguments are keyword-only)."""
    error = cls.__new__(cls, *args)
    error.args = args  # OSError subclasses (TimeoutError) leave args to __init__
    return error


class NodeSMSError(Exception):
    """Base class of every exception raised by nodesms.

    Attributes:
        custom_id: on every exception from a create (``sms.create``, ``sms.create_otp``), the
            customID the request carried (yours or the generated one): look the package up
            with it, or pass it again to retry without a second package. ``None`` elsewhere.
    """

    custom_id: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), self.args), self.__dict__.copy()


class APIError(NodeSMSError):
    """The gateway refused the request.

    Attributes:
        code: the numbered code (``"SMS18"``), or ``None`` where the error name has no number.
        name: the symbolic name (``"ERR_USER_CREDIT_REQUIRED"``), or ``None`` if only a code came.
        message: the gateway's own text (often Turkish).
        description: the English meaning of the code (``None`` for codes nodesms does not know).
        status: the ``status`` the gateway put in its error envelope, if any.
        http_status: the HTTP status of the response (SOAP and JSON alike; may be 200).
        retry_after: seconds the gateway asked to wait (``Retry-After``), if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        name: str | None = None,
        status: int | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.name = name
        self.status = status
        self.http_status = http_status
        self.retry_after = retry_after
        label = " ".join(part for part in (code, name) if part) or "error"
        super().__init__(f"{label}: {message}" if message else label)

    @property
    def description(self) -> str | None:
        """The English meaning of the error's code, beside the gateway's own :attr:`message`."""
        from ._codes import describe  # _codes builds on these classes

        return describe(self.code, self.name)


class BadRequestError(APIError):
    """The gateway found the request malformed or its preconditions unmet."""


class AuthenticationError(APIError):
    """The credentials were refused."""


class PermissionDeniedError(APIError):
    """The account may not perform this operation."""


class NotFoundError(APIError):
    """The package, group, user or other record does not exist."""


class ConflictError(APIError):
    """The request clashes with existing state (duplicate customID, pending import, ...)."""


class InsufficientCreditError(APIError):
    """The account (or its parent) has too little credit for this send."""


class ConcurrencyLimitError(APIError):
    """Too many concurrent or daily requests for this function; retried automatically."""


class MaintenanceError(APIError):
    """The gateway is in maintenance; retried automatically."""


class ServerError(APIError):
    """The gateway failed internally (ERR_INTERNAL_SERVER or an HTTP 5xx); retried."""


class ValidationError(NodeSMSError, ValueError):
    """Input rejected before anything was sent.

    Attributes:
        field: the parameter at fault (``"numbers[3]"``, ``"custom_id"``), when there is one.
        reason: what is wrong with it.
    """

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


class TransportError(NodeSMSError):
    """The request did not complete: connection refused or reset, DNS failure, TLS error.

    Attributes:
        sent: ``False`` when the request provably never reached the gateway (connection
            refused, DNS), ``True`` when it may have been processed, ``None`` if unknown.
        retryable: ``False`` when repeating cannot help (a certificate that is not trusted).
    """

    def __init__(self, message: str, *, sent: bool | None = None, retryable: bool = True) -> None:
        self.sent = sent
        self.retryable = retryable
        super().__init__(message)


class RequestTimeoutError(TransportError):
    """An attempt outlived its ``timeout``, or the call its ``RetryPolicy.deadline``.

    ``sent`` is ``False`` when the time ran out while waiting for a free connection of the
    pool or while connecting: nothing reached the gateway.
    """


class ClientClosedError(TransportError):
    """The client was closed (``aclose()``) while this call was waiting or in flight.

    ``sent`` tells whether the request may have reached the gateway (``False`` for a call that
    was still waiting for a connection). Not retried: the client is gone.
    """

    def __init__(self, message: str, *, sent: bool | None = None) -> None:
        super().__init__(message, sent=sent, retryable=False)


class ResponseError(NodeSMSError):
    """The gateway answered something that is not the API's envelope.

    An HTML page from a proxy, a truncated body, a SOAP Fault, or fields of the wrong type.

    Attributes:
        http_status: the HTTP status of the response.
        excerpt: the first few hundred characters of the body, for diagnosis.
        truncated: the body ended early (the connection was cut mid-answer).
        retry_after: seconds the server asked to wait (``Retry-After``), if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None,
        excerpt: str = "",
        truncated: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.http_status = http_status
        self.excerpt = excerpt
        self.truncated = truncated
        self.retry_after = retry_after
        detail = f" (HTTP {http_status})" if http_status is not None else ""
        super().__init__(f"{message}{detail}: {excerpt!r}" if excerpt else f"{message}{detail}")


class UnsupportedOperationError(NodeSMSError):
    """The operation has no form in the chosen protocol (most operations have no SOAP form)."""


class WaitTimeoutError(NodeSMSError, TimeoutError):
    """``client.sms.wait`` ran out of time before every package reached a final state.

    Attributes:
        pending: the ids of the packages still open, in the order they were given.
        packages: the packages that did reach a final state.
        timeout: the seconds waited.
    """

    def __init__(self, pending: list[int], packages: list[Any], timeout: float) -> None:
        self.pending = pending
        self.packages = packages
        self.timeout = timeout
        shown = ", ".join(map(str, pending[:20])) + (", ..." if len(pending) > 20 else "")
        super().__init__(
            f"{len(pending)} of {len(pending) + len(packages)} packages still not final after "
            f"{timeout:g}s: {shown}"
        )
