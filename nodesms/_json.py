"""The gateway's JSON envelope: ``POST {base}{path}`` with a JSON body, ``{"err", "data"}`` back.

Requests are encoded and answers decoded by msgspec straight from bytes into the operation's
Struct; what the envelope means is decided by the answer rules shared with SOAP (``_answer``).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

import msgspec

from ._answer import DECODE_FAILURES, check_data, error_from_fields, response_error
from ._config import Timeout
from ._operation import Operation
from ._transport import Connection
from .errors import NodeSMSError

__all__ = ["JsonProtocol"]

T = TypeVar("T")


class _ErrorBody(msgspec.Struct, frozen=True):
    # Loosely typed on purpose: a malformed field must not hide a known code.
    code: Any = None
    message: Any = None
    status: Any = None


class _Envelope(msgspec.Struct, Generic[T], frozen=True):
    err: _ErrorBody | None = None
    data: T | None = None


class _ErrorOnly(msgspec.Struct, frozen=True):
    err: _ErrorBody | None = None


_error_only = msgspec.json.Decoder(_ErrorOnly, strict=False)


class JsonProtocol:
    """The gateway's JSON API on a :class:`~nodesms._transport.Connection`."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        self._headers = connection.headers("application/json")
        self._encoder = msgspec.json.Encoder()
        self._decoders: dict[Operation[Any], msgspec.json.Decoder[Any]] = {}

    def decoder(self, op: Operation[Any]) -> msgspec.json.Decoder[Any]:
        """The envelope decoder for ``op`` (made once per operation)."""
        decoder = self._decoders.get(op)
        if decoder is None:
            envelope_type: Any = cast(Any, _Envelope)[op.result]
            decoder = msgspec.json.Decoder(
                envelope_type, strict=False, dec_hook=self._conn.clock.dec_hook
            )
            self._decoders[op] = decoder
        return decoder

    async def call(
        self, op: Operation[T], body: msgspec.Struct | None, timeout: Timeout, attempt: int
    ) -> T:
        """Send one request and decode its answer into ``op.result``."""
        payload = self._encoder.encode(body) if body is not None else b"{}"
        status, retry_after, raw = await self._conn.post(
            op.path, payload, self._headers, timeout=timeout, operation=op.path, attempt=attempt
        )
        return self.decode(op, raw, status, retry_after)

    def decode(
        self, op: Operation[T], raw: bytes, status: int = 200, retry_after: str | None = None
    ) -> T:
        """Turn an answer's bytes into ``op.result``, or raise what the answer means.

        Raises:
            APIError: the envelope's ``err`` is set (the class chosen by its code).
            ResponseError: anything that is not the API's envelope, or data that does not fit
                the model (wrong types, dates or numbers out of range, deep nesting).
        """
        error: NodeSMSError
        try:
            envelope = (self._decoders.get(op) or self.decoder(op)).decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError, *DECODE_FAILURES) as exc:
            error = _undecodable(raw, status, retry_after, exc)
        else:
            err = envelope.err
            if err is None:
                data: T | None = envelope.data
                return check_data(op, data, raw, status, retry_after)
            error = error_from_fields(err.code, err.message, err.status, status, retry_after)
        raise error  # outside the except block: nothing chained


def _undecodable(
    raw: bytes, status: int, retry_after: str | None, exc: BaseException
) -> NodeSMSError:
    # The data may not fit the model while the envelope still carries an error: report that.
    try:
        err = _error_only.decode(raw).err
    except (msgspec.DecodeError, msgspec.ValidationError, *DECODE_FAILURES):
        err = None
    if err is not None:
        return error_from_fields(err.code, err.message, err.status, status, retry_after)
    truncated = isinstance(exc, msgspec.DecodeError) and "truncated" in str(exc)
    reason = "the answer is not the API's JSON envelope"
    if isinstance(exc, msgspec.ValidationError):
        reason = f"the answer does not match the API's schema ({exc})"
    elif truncated:
        reason = "the answer ended early"
    elif not isinstance(exc, msgspec.DecodeError):
        reason = f"the answer holds a value nodesms cannot represent ({type(exc).__name__})"
    return response_error(reason, raw, status, retry_after, truncated=truncated)
