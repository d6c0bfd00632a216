"""How sockets reach the server: proxy (HTTP CONNECT, SOCKS), TLS trust and the User-Agent.

Turns the connection fields of a configuration into websocket-client's options, and the errors
of opening a socket into typed ones. websocket-client does the work itself (its proxy support;
SOCKS through ``python-socks``, the ``proxy`` extra).

Proxy choice, per connection: the configured ``proxy`` for every host; else, unless
``NO_PROXY`` names the host (or is ``*``), ``HTTPS_PROXY`` for ``wss://`` / ``HTTP_PROXY`` for
``ws://`` / ``ALL_PROXY`` (any case), with its scheme (websocket-client alone would read these
too, but as HTTP proxies only); else a direct connection.
"""

from __future__ import annotations

import os
import platform
import socket
import ssl
import urllib.request
from typing import Any, Optional, Union
from urllib.parse import unquote, urlsplit

import websocket

from ..errors import ConnectionClosed, InvalidRequest, ProxyError, TlsError
from ._redact import mask_text

__all__ = ["check_proxy", "connect_options", "open_error", "safe_proxy", "user_agent"]

_PROXY_TYPES = ("http", "socks4", "socks4a", "socks5", "socks5h")
#: A no-proxy list that matches no host, so websocket-client never reads NO_PROXY itself.
_MATCH_NOTHING = ["no-proxy.invalid"]


def user_agent() -> str:
    """``binance-usdm-ws/<version> (Python/<version>; <system>)``, sent in every handshake."""
    from .. import __version__

    return (
        f"binance-usdm-ws/{__version__} (Python/{platform.python_version()}; {platform.system()})"
    )


def check_proxy(url: str) -> tuple[str, str, int, Optional[tuple[str, str]]]:
    """Parse a proxy URL into (type, host, port, auth).

    Raises:
        InvalidRequest: not ``http://``, ``socks4(a)://`` or ``socks5(h)://`` with a host and a
            port, or a SOCKS proxy without ``python-socks`` installed.
    """
    parts = urlsplit(url)
    kind = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if kind not in _PROXY_TYPES or not parts.hostname or not port:
        raise InvalidRequest(
            f"proxy: {safe_proxy(url)!r} must be http://, socks5://, socks5h://, socks4:// or "
            "socks4a:// with host and port, e.g. socks5://user:password@127.0.0.1:1080",
            param="proxy",
        )
    if kind.startswith("socks"):
        try:
            import python_socks  # noqa: F401
        except ImportError:
            raise InvalidRequest(
                "proxy: SOCKS needs python-socks: pip install 'binance-usdm-ws[proxy]'",
                param="proxy",
            ) from None
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    return kind, parts.hostname, port, auth


def safe_proxy(url: Optional[str]) -> Optional[str]:
    """The proxy URL with its password masked (for reprs, logs and errors)."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{netloc}").geturl()


def _proxy_for(url: str, cfg: Any) -> Optional[str]:
    if cfg.proxy:
        return str(cfg.proxy)
    host = urlsplit(url).hostname or ""
    if urllib.request.proxy_bypass_environment(host):  # type: ignore[attr-defined]
        return None
    env = urllib.request.getproxies_environment()
    chosen = env.get("https" if url.startswith("wss://") else "http") or env.get("all")
    return chosen or None


def connect_options(url: str, cfg: Any, open_timeout: Optional[float]) -> dict[str, Any]:
    """websocket-client options for connecting to ``url`` with configuration ``cfg``.

    ``sslopt`` is for the ``WebSocket`` constructor, the rest for ``WebSocket.connect``.
    """
    options: dict[str, Any] = {"header": {"User-Agent": user_agent()}}
    proxy = _proxy_for(url, cfg)
    if proxy is not None:
        kind, host, port, auth = check_proxy(proxy)
        options.update(
            http_proxy_host=host,
            http_proxy_port=port,
            http_proxy_auth=auth,
            proxy_type=kind,
            http_no_proxy=_MATCH_NOTHING,
            http_proxy_timeout=open_timeout,
        )
    context = tls_context(cfg.ssl_context, cfg.ca_bundle)
    if context is not None:
        options["sslopt"] = {"context": context}
    return options


def tls_context(
    context: Optional[ssl.SSLContext], ca_bundle: Union[str, os.PathLike[str], None]
) -> Optional[ssl.SSLContext]:
    """The TLS context to use: the user's, one trusting ``ca_bundle``, or None (the default:
    websocket-client verifies against the system's or certifi's CAs)."""
    if context is not None:
        return context
    if ca_bundle is None:
        return None
    path = os.fspath(ca_bundle)
    if os.path.isdir(path):
        return ssl.create_default_context(capath=path)
    return ssl.create_default_context(cafile=path)


def open_error(where: str, exc: BaseException, proxy: Optional[str] = None) -> ConnectionClosed:
    """The typed error for a socket to ``where`` (a URL safe to show) that could not be opened.

    The exception's own text is masked too: it may quote the URL, whose path holds a listenKey.
    ``proxy`` is the proxy's ``host:port`` when one was used: a refused or unreachable TCP
    connection is then the proxy's (it is the only host this machine dialled).
    """
    text = mask_text(str(exc))
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = str(exc.verify_message).rstrip(".")
        return TlsError(
            f"cannot connect to {where}: the server's TLS certificate was not accepted ({why});"
            " set ca_bundle or ssl_context if a corporate proxy or private CA signs it"
        )
    if isinstance(exc, ssl.SSLError):
        return TlsError(f"cannot connect to {where}: TLS handshake failed ({text})")
    module = type(exc).__module__ or ""
    if isinstance(exc, websocket.WebSocketProxyException) or module.startswith("python_socks"):
        return ProxyError(f"cannot connect to {where} through the proxy: {text}")
    if proxy is not None and isinstance(exc, (ConnectionRefusedError, socket.gaierror)):
        return ProxyError(f"cannot connect to {where}: the proxy {proxy} is unreachable ({text})")
    return ConnectionClosed(f"cannot connect to {where}: {text}")
