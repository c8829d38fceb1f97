"""MkDocs hooks: the reference tables generated from the code's own tables.

``<!-- generated: errors -->`` becomes the table of every error code and name the client
knows (from ``nodesms/_codes.py``: the exception each becomes and whether it is retried);
``<!-- generated: operations -->`` the table of every operation (``nodesms/_operations.py``'s
own ``reference_table()``, the same text README carries: endpoint, method, SOAP name, GET,
retry effect).
Nothing is copied by hand, so the tables cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nodesms._codes import _CLASS_BY_KEY, CODE_TO_NAME, NAME_TO_CODE, api_error
from nodesms._operation import Effect
from nodesms._operations import reference_table
from nodesms._retry import is_retryable
from nodesms.errors import APIError


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


GENERATED: dict[str, Callable[[], str]] = {
    "<!-- generated: errors -->": error_table,
    "<!-- generated: operations -->": reference_table,
}


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs hook: replace each marker by its generated table."""
    for marker, make in GENERATED.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown
