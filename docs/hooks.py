"""MkDocs hooks: the reference tables generated from the code's own tables.

``<!-- generated: errors -->`` becomes the table of every error code and name the client
knows (from ``nodesms/_codes.py``: the exception each becomes and whether it is retried);
``<!-- generated: operations -->`` the table of every operation (from the ``Operation``
declarations the resources send: endpoint, method, SOAP name, retry effect, result).
Nothing is copied by hand, so the tables cannot drift from the code.
"""

from __future__ import annotations

import importlib
import inspect
import keyword
from collections.abc import Callable, Iterator
from typing import Any

from nodesms._codes import _CLASS_BY_KEY, CODE_TO_NAME, NAME_TO_CODE, api_error
from nodesms._operation import Effect, Operation
from nodesms._retry import is_retryable
from nodesms.errors import APIError
from nodesms.resources._base import Resource

AREAS = ("sms", "contact", "mo", "user")

EFFECTS = {
    Effect.READ: "read: retried on every transient failure",
    Effect.IDEMPOTENT: "idempotent: retried like a read",
    Effect.CREATE: "create: customID, retried; a duplicate is looked up",
    Effect.WRITE: "write: retried only if it never arrived",
}


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _error(code: str | None, *, http_status: int | None = None) -> APIError:
    return api_error(code, None, status=None, http_status=http_status)


def _retried(error: APIError) -> str:
    return "yes" if is_retryable(error, Effect.READ) else "no"


def error_table() -> str:
    """Every code and name, the exception it becomes, and whether reads retry it."""
    lines = [
        _row("code", "name", "exception", "retried"),
        _row("---", "---", "---", "---"),
    ]
    for code, name in CODE_TO_NAME.items():
        error = _error(code)
        lines.append(_row(code, f"`{name}`", f"`{type(error).__name__}`", _retried(error)))
    # Names seen on real deployments that have no number.
    for key in _CLASS_BY_KEY:
        if key not in CODE_TO_NAME and key not in NAME_TO_CODE:
            error = _error(key)
            lines.append(_row("—", f"`{key}`", f"`{type(error).__name__}`", _retried(error)))
    for status, label in ((401, "HTTP 401, no known code"), (500, "HTTP 5xx, no known code")):
        error = _error(None, http_status=status)
        lines.append(_row("—", label, f"`{type(error).__name__}`", _retried(error)))
    error = _error("ERR_SOMETHING_NEW")
    lines.append(_row("—", "any other", f"`{type(error).__name__}`", _retried(error)))
    return "\n".join(lines)


def operations() -> Iterator[tuple[Operation[Any], str, Callable[..., Any]]]:
    """Every declared operation with the client method that sends it."""
    for area in AREAS:
        module = importlib.import_module(f"nodesms.resources.{area}")
        (resource,) = [
            value
            for value in vars(module).values()
            if inspect.isclass(value) and issubclass(value, Resource) and value is not Resource
        ]
        for value in vars(module).values():
            if isinstance(value, Operation):
                name = value.path.rsplit("/", 1)[1].replace("-", "_")
                name += "_" if keyword.iskeyword(name) else ""
                method = getattr(resource, name, None)
                if method is None:
                    raise LookupError(f"{value.path} has no method {area}.{name}")
                yield value, f"client.{area}.{name}", method


def _returns(method: Callable[..., Any]) -> str:
    annotation = inspect.signature(method).return_annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return text.replace("builtins.", "").replace("|", "\\|")  # a bare | would split the cell


def operations_table() -> str:
    """Every operation: endpoint, method, SOAP operation, retry effect, result."""
    lines = [
        _row("endpoint", "method", "SOAP", "retries", "returns"),
        _row("---", "---", "---", "---", "---"),
    ]
    for op, name, method in operations():
        lines.append(
            _row(
                f"`{op.path}`",
                f"`{name}`",
                f"`{op.soap}`" if op.soap else "—",
                EFFECTS[op.effect],
                f"`{_returns(method)}`",
            )
        )
    return "\n".join(lines)


GENERATED: dict[str, Callable[[], str]] = {
    "<!-- generated: errors -->": error_table,
    "<!-- generated: operations -->": operations_table,
}


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs hook: replace each marker by its generated table."""
    for marker, make in GENERATED.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown
