"""Client configuration: base URL, credentials, timeouts."""

from __future__ import annotations

import base64
import functools
import os
import platform
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from ._version import __version__
from .errors import ValidationError

__all__ = [
    "Secret",
    "Timeout",
    "auth_header",
    "normalize_base_url",
    "resolve_credentials",
    "user_agent",
]

ENV_BASE_URL = "NODESMS_BASE_URL"
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^/@]*@")
ENV_USERNAME = "NODESMS_USERNAME"
ENV_PASSWORD = "NODESMS_PASSWORD"


class Secret(str):
    """A credential: the text itself, with a ``repr`` that never shows it.

    Tracebacks rendered with their frames' locals (Sentry, loguru) show ``repr`` of every
    variable; a password held as a ``Secret`` shows as ``'***'``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"

    @classmethod
    def wrap(cls, value: str | None) -> Secret | None:
        """``value`` as a ``Secret`` (``None`` and non-strings stay as they are)."""
        return cls(value) if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class Timeout:
    """Time limits of one attempt of a gateway call, in seconds (``None`` = no limit).

    A call that is retried makes several attempts; the whole call, retries and the waits
    between them included, is bounded by :attr:`RetryPolicy.deadline <nodesms.RetryPolicy>`.

    Attributes:
        total: one attempt: waiting for a free connection of the pool, connecting, sending
            and reading the whole answer.
        connect: getting a connection (waiting for the pool, or a new one, TLS included).
        read: the longest wait for the next bytes of the response.
    """

    total: float | None = 30.0
    connect: float | None = None
    read: float | None = None

    def within(self, seconds: float) -> Timeout:
        """These limits, none longer than ``seconds`` (what is left of a call's deadline)."""
        seconds = max(0.001, seconds)

        def cut(limit: float | None) -> float:
            return seconds if limit is None else min(limit, seconds)

        return Timeout(total=cut(self.total), connect=cut(self.connect), read=cut(self.read))

    def as_aiohttp(self) -> aiohttp.ClientTimeout:
        """The same limits as an ``aiohttp.ClientTimeout`` (made once per set of limits)."""
        return _aiohttp_timeout(self.total, self.connect, self.read)


@functools.lru_cache(maxsize=64)
def _aiohttp_timeout(
    total: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    # Every call needs one, and building a ClientTimeout costs more than the rest of our
    # per-call work; they are immutable, so the same limits share one.
    return aiohttp.ClientTimeout(total=total, connect=connect, sock_read=read)


def as_timeout(value: float | Timeout | None) -> Timeout:
    if isinstance(value, Timeout):
        return value
    if value is None:
        return Timeout(total=None)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValidationError("expected seconds > 0 or a nodesms.Timeout", field="timeout")
    return Timeout(total=float(value))


def normalize_base_url(url: str) -> str:
    """Keep the scheme, host and port of ``url``; a pasted endpoint path is dropped.

    Credentials pasted into the URL (``https://user:pass@host``) are dropped too, and never
    repeated in an error message.
    """
    if not isinstance(url, str):
        raise ValidationError("expected a URL string", field="base_url")
    candidate = url.strip()
    shown = _USERINFO.sub(lambda m: (m.group(1) or "") + "***@", candidate)
    if "://" not in candidate:
        raise ValidationError(
            f"{shown!r} has no scheme; use e.g. https://panel.example.com.tr:9588",
            field="base_url",
        )
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{shown!r} is not an http(s) URL", field="base_url")
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(f"{shown!r} has an invalid port", field="base_url") from None
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def resolve_credentials(
    base_url: str | None, username: str | None, password: str | None
) -> tuple[str, str, str]:
    """Fill missing arguments from ``NODESMS_*`` environment variables."""
    base_url = base_url or os.environ.get(ENV_BASE_URL)
    username = username or os.environ.get(ENV_USERNAME)
    password = Secret.wrap(password if password is not None else os.environ.get(ENV_PASSWORD))
    missing = [
        f"{name} (or ${env})"
        for name, env, value in (
            ("base_url", ENV_BASE_URL, base_url),
            ("username", ENV_USERNAME, username),
            ("password", ENV_PASSWORD, password),
        )
        if not value
    ]
    if missing:
        raise ValidationError("missing " + ", ".join(missing), field="Client")
    assert base_url is not None
    assert username is not None
    assert password is not None
    return normalize_base_url(base_url), username, password


def auth_header(username: str, password: str) -> str:
    """HTTP Basic credentials, encoded as UTF-8 so Turkish letters in passwords work."""
    return Secret("Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii"))


def user_agent() -> str:
    return f"nodesms/{__version__} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"
