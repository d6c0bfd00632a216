"""What a failure most likely means, in one sentence a user can act on."""

from __future__ import annotations

import socket
import ssl
from typing import Optional

from ..errors import (
    BinanceWsError,
    ConnectionClosed,
    Forbidden,
    IpBanned,
    ProxyError,
    RateLimited,
    RequestTimeout,
    ServerError,
    TlsError,
)

__all__ = ["hint_for"]

#: Binance error codes and what they tell a user of the check.
_CODES = {
    -1021: "clock skew: sync this machine's clock (NTP), or raise recv_window",
    -1022: "signature refused: the secret or private key does not belong to this API key",
    -2008: "API key not found: a testnet key on production (or the reverse)?",
    -2014: "API key format invalid: check BINANCE_API_KEY",
    -2015: "key lacks permission (enable Futures on the key), or this IP is not whitelisted",
    -4056: "session.logon refused this key type (Binance documents Ed25519 keys only)",
}


def _causes(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: Optional[BaseException] = exc
    while seen is not None and seen not in out and len(out) < 8:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def hint_for(exc: BaseException, url: str = "") -> str:
    """A short hint for an exception raised while checking ``url``."""
    if isinstance(exc, ServerError):
        if exc.code in _CODES:
            return _CODES[exc.code]
        if isinstance(exc, IpBanned):
            return "this IP is banned for too many requests: wait, then retry"
        if isinstance(exc, RateLimited):
            return "rate limited: another program on this IP or key uses the budget"
        if isinstance(exc, Forbidden):
            return "refused by Binance's firewall (WAF), or a region Binance does not serve"
        return f"Binance answered code {exc.code}: see its error codes page"
    if isinstance(exc, ProxyError):
        return "the proxy refused or could not be reached: check --proxy / HTTPS_PROXY / ALL_PROXY"
    if isinstance(exc, TlsError):
        return (
            "TLS failed: a TLS-inspecting proxy or firewall? pass --ca-bundle with its CA "
            "(verification stays on)"
        )
    if isinstance(exc, RequestTimeout):
        return "no reply in time: a slow or filtering network, or the wrong URL"
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return "host name not found: check the URL and DNS"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused: wrong host or port, or the service is down"
        if isinstance(cause, ssl.SSLError):
            return "TLS failed: pass --ca-bundle if a proxy inspects TLS"
        text = str(cause)
        if "404" in text or "Handshake status 4" in text:
            return "the server refused the handshake: wrong URL path for this environment"
        if "451" in text or "403" in text:
            return "refused: a region Binance does not serve, or a firewall"
    if isinstance(exc, ConnectionClosed):
        return "the connection could not be opened or was closed: check the URL and network"
    if isinstance(exc, BinanceWsError):
        return ""
    return f"unexpected {type(exc).__name__}"
