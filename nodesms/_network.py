"""How a connection reaches the gateway: a proxy, the environment's proxy settings, aiohttp
tracing; and what a TLS failure most likely means."""

from __future__ import annotations

import ssl as ssl_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aiohttp
import yarl

from ._config import auth_header
from .errors import ValidationError

__all__ = ["Network", "tls_hint"]


@dataclass(frozen=True)
class Network:
    """How the connection reaches the gateway: a proxy, the environment, aiohttp tracing."""

    proxy: str | None = None
    proxy_headers: Mapping[str, str] | None = None
    trust_env: bool = False
    trace_configs: Sequence[aiohttp.TraceConfig] = ()

    @classmethod
    def checked(
        cls,
        proxy: object,
        trust_env: object,
        trace_configs: object,
        session: aiohttp.ClientSession | None,
    ) -> Network:
        """The ``Client`` arguments, validated (``ValidationError`` naming the argument)."""
        if proxy is not None and (
            not isinstance(proxy, str) or not proxy.startswith(("http://", "https://"))
        ):
            raise ValidationError(
                "expected an http:// or https:// proxy URL such as http://proxy.local:3128",
                field="proxy",
            )
        if not isinstance(trust_env, bool):
            raise ValidationError("must be True or False", field="trust_env")
        configs: list[aiohttp.TraceConfig] = []
        if trace_configs is not None:
            if not isinstance(trace_configs, (list, tuple)) or not all(
                isinstance(c, aiohttp.TraceConfig) for c in trace_configs
            ):
                raise ValidationError(
                    "expected a list of aiohttp.TraceConfig", field="trace_configs"
                )
            configs = list(trace_configs)
        if session is not None and (trust_env or configs):
            field = "trust_env" if trust_env else "trace_configs"
            raise ValidationError(
                f"{field}= configures the session nodesms creates; set it on your session",
                field=field,
            )
        headers = None
        if proxy is not None:
            # Credentials travel as a UTF-8 Proxy-Authorization header, never in a URL string.
            url = yarl.URL(proxy)
            if url.user is not None:
                headers = {"Proxy-Authorization": auth_header(url.user, url.password or "")}
                proxy = str(url.with_user(None))
        return cls(proxy, headers, trust_env, tuple(configs))


def tls_hint(exc: BaseException, base_url: str) -> str:
    """What a TLS failure most likely means, and what to do about it."""
    text = str(exc)
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text or "record layer" in text:
        http = "http://" + base_url.removeprefix("https://")
        return (
            "the server does not speak TLS on this port: it is probably an http port "
            f"(9587 usually is; 9588 serves https); use {http}, or the https port"
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        certificate = exc.certificate_error
        if isinstance(certificate, ssl_module.SSLCertVerificationError) and (
            "match" in str(certificate) or "mismatch" in str(certificate)
        ):
            return (
                f"the certificate is for another host name ({certificate.verify_message}); "
                "use the host name it was issued for"
            )
        return (
            f"the certificate is not trusted ({getattr(certificate, 'verify_message', certificate)}"
            "): for a self-signed or private CA certificate pass "
            "ssl=ssl.create_default_context(cafile=...) with it"
        )
    return f"{exc}; pass ssl= an ssl.SSLContext that trusts the gateway's certificate"
