"""How a socket reaches the server, over real sockets: which proxy the environment chooses
per scheme, what a proxy is told (credentials, timeout), proxy URLs rejected before anything is
dialled, and the TLS errors and trust settings (a CA directory, a non-TLS server).

Completes ``test_proxy_tls.py`` (which brings the pproxy process and the test CA); written
against the gaps mutation testing found in ``_core/_transport.py``.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any, Optional

import pytest
import trustme

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    ConnectionClosed,
    InvalidRequest,
    ProxyError,
    TlsError,
)

from .conftest import wait_until
from .test_proxy_tls import (  # noqa: F401  (fixtures)
    Proxy,
    api_config,
    ca,
    no_proxy_env,
    proxy,
    ticker,
    tls_exchange,
)

FORMS = (
    "must be http://, socks5://, socks5h://, socks4:// or socks4a:// with host and port, "
    "e.g. socks5://user:password@127.0.0.1:1080"
)


class HoldingProxy:
    """A TCP server posing as a proxy that never lets anything through: it records what each
    client sends first and then either answers ``407`` (HTTP) or says nothing at all."""

    def __init__(self, answer: Optional[bytes]) -> None:
        self.answer = answer
        self.received: list[bytes] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            self._held.append(sock)
            data = b""
            sock.settimeout(10)
            try:
                while self.answer is not None and b"\r\n\r\n" not in data:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                if self.answer is None:
                    data = sock.recv(4096)  # the SOCKS greeting, never answered
                self.received.append(data)
                if self.answer is not None:
                    sock.sendall(self.answer)
                    sock.close()
            except OSError:
                pass

    def close(self) -> None:
        self._server.close()
        for sock in self._held:
            sock.close()
        self._thread.join(10)


@pytest.fixture
def holding_proxy() -> Iterator[Any]:
    made: list[HoldingProxy] = []

    def make(answer: Optional[bytes]) -> HoldingProxy:
        made.append(HoldingProxy(answer))
        return made[-1]

    yield make
    for p in made:
        p.close()


# ------------------------------------------------------------------ proxy URLs (no dialling)


@pytest.mark.parametrize("config", [ConfigurationWebsocketApi, ConfigurationWebsocketStreams])
def test_a_bad_proxy_url_is_named_masked_with_the_accepted_forms(config):
    """The error names the parameter, quotes the URL with its password masked and lists the
    forms accepted."""
    with pytest.raises(InvalidRequest) as info:
        config(proxy="socks5://user:pa55word@proxy.example")  # no port
    assert info.value.param == "proxy"
    assert str(info.value) == f"proxy: 'socks5://user:***@proxy.example' {FORMS}"
    with pytest.raises(InvalidRequest) as info:
        config(proxy="https://proxy.example:3128")  # a scheme websocket-client cannot use
    assert str(info.value) == f"proxy: 'https://proxy.example:3128' {FORMS}"
    assert info.value.param == "proxy"


def test_a_password_holding_an_at_sign_is_masked_whole():
    """``@`` in the password: only the last ``@`` ends the credentials."""
    config = ConfigurationWebsocketApi(proxy="http://user:p@ss@127.0.0.1:3128")
    assert "proxy='http://user:***@127.0.0.1:3128'" in repr(config)
    assert "ss@" not in repr(config).replace("***@", "")
    streams = ConfigurationWebsocketStreams(proxy="socks5h://me:a@b@c@127.0.0.1:1080")
    assert "proxy='socks5h://me:***@127.0.0.1:1080'" in repr(streams)


def test_socks_without_python_socks_names_the_extra(monkeypatch):
    """Without the ``proxy`` extra a SOCKS proxy is refused at configuration time with the
    pip command; an HTTP proxy needs no extra."""
    monkeypatch.setitem(sys.modules, "python_socks", None)  # import python_socks: ImportError
    for url in ("socks5://127.0.0.1:1080", "socks4a://127.0.0.1:1080", "SOCKS5h://h:1"):
        with pytest.raises(InvalidRequest) as info:
            ConfigurationWebsocketApi(proxy=url)
        assert info.value.param == "proxy"
        assert str(info.value) == (
            "proxy: SOCKS needs python-socks: pip install 'binance-usdm-ws[proxy]'"
        )
        assert info.value.__cause__ is None and info.value.__suppress_context__
    assert ConfigurationWebsocketApi(proxy="http://127.0.0.1:3128").proxy is not None


# ----------------------------------------------------------------- what the proxy is told


def test_a_user_without_password_is_sent_to_the_proxy_as_such(exchange, holding_proxy):
    """``http://user@proxy`` (a token as user name): Basic credentials of the user alone, no
    password invented; percent-escapes decoded; the refusal is a ProxyError."""
    p = holding_proxy(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
    for url, credentials in (
        (f"http://tok%40en@127.0.0.1:{p.port}", b"tok@en"),
        (f"http://u:p%3Aw@127.0.0.1:{p.port}", b"u:p:w"),
    ):
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=api_config(exchange, proxy=url)
        )
        with pytest.raises(ProxyError):
            client.websocket_api.connect()
        client.close()
        request = p.received[-1].decode()
        assert request.startswith(f"CONNECT 127.0.0.1:{exchange.port} HTTP/1.1\r\n")
        expected = base64.b64encode(credentials).decode()
        assert f"Proxy-Authorization: Basic {expected}\r\n" in request
    assert exchange.api_connection_count == 0


def test_a_socks_proxy_that_never_answers_fails_within_the_connect_timeout(exchange, holding_proxy):
    """The SOCKS negotiation is bounded by ``connect_timeout`` too (python-socks alone would
    wait 60 s): ``connect()`` fails with a ProxyError long before that."""
    p = holding_proxy(None)
    client = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api_config(
            exchange, proxy=f"socks5://127.0.0.1:{p.port}", connect_timeout=0.5
        )
    )
    failed: list[BaseException] = []

    def connect() -> None:
        try:
            client.websocket_api.connect()
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion below
            failed.append(exc)

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(30)  # generous: 60 times the configured bound, half python-socks' default
    assert not thread.is_alive(), "connect() still waits for a proxy that never answers"
    client.close()
    assert p.received and p.received[0][:1] == b"\x05"  # a SOCKS5 greeting reached it
    [error] = failed
    assert isinstance(error, ProxyError)
    assert str(error).startswith(f"cannot connect to {exchange.ws_api_url} through the proxy: ")


# ------------------------------------------------------------ the proxy the environment names


def _direct_then_marker(proxy: Proxy, port: int, call: Any) -> None:  # noqa: F811
    """Make a call that must go direct, then one through the proxy's HTTP side: the proxy logs
    in order, so once the marker is logged a proxied first call would be logged too."""
    before = (proxy.tunnels("http", port), proxy.tunnels("socks5", port))
    call()
    call(proxy=proxy.url("http"))
    wait_until(lambda: proxy.tunnels("http", port) == before[0] + 1)
    assert (proxy.tunnels("http", port), proxy.tunnels("socks5", port)) == (
        before[0] + 1,
        before[1],
    )


def test_http_proxy_variable_is_followed_with_its_scheme_for_ws(exchange, proxy, monkeypatch):  # noqa: F811
    """``ws://`` reads ``HTTP_PROXY`` (any case) with the scheme it gives (SOCKS here), never
    ``HTTPS_PROXY``."""

    def call(**kw: Any) -> None:
        with BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=api_config(exchange, **kw)
        ) as client:
            ticker(client)

    socks = proxy.tunnels("socks5", exchange.port)
    monkeypatch.setenv("HTTP_PROXY", proxy.url("socks5"))
    call()
    wait_until(lambda: proxy.tunnels("socks5", exchange.port) == socks + 1)
    assert proxy.tunnels("http", exchange.port) == 0
    monkeypatch.delenv("HTTP_PROXY")
    monkeypatch.setenv("http_proxy", proxy.url("socks5"))
    call()
    wait_until(lambda: proxy.tunnels("socks5", exchange.port) == socks + 2)
    monkeypatch.delenv("http_proxy")
    monkeypatch.setenv("HTTPS_PROXY", proxy.url("socks5"))  # for wss:// only
    _direct_then_marker(proxy, exchange.port, call)


def test_https_proxy_variable_is_followed_with_its_scheme_for_wss(ca, tmp_path, proxy, monkeypatch):  # noqa: F811
    """``wss://`` reads ``HTTPS_PROXY`` (with its scheme), never ``HTTP_PROXY``."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with tls_exchange(ca, "127.0.0.1") as ex:

        def call(**kw: Any) -> None:
            with BinanceDerivativesTradingUsdsFuturesClient(
                websocket_api=api_config(ex, ca_bundle=str(bundle), **kw)
            ) as client:
                ticker(client)

        monkeypatch.setenv("HTTPS_PROXY", proxy.url("socks5"))
        call()
        wait_until(lambda: proxy.tunnels("socks5", ex.port) == 1)
        assert proxy.tunnels("http", ex.port) == 0
        monkeypatch.delenv("HTTPS_PROXY")
        monkeypatch.setenv("HTTP_PROXY", proxy.url("socks5"))  # for ws:// only
        _direct_then_marker(proxy, ex.port, call)


# --------------------------------------------------------------------------------------- TLS


def test_a_certificate_for_another_name_is_explained_whole(ca, tmp_path):  # noqa: F811
    """The TlsError says where, what OpenSSL found wrong (without its final full stop), and
    what to set."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with tls_exchange(ca, "exchange.example") as ex:
        url = ex.ws_api_url
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=api_config(ex, ca_bundle=str(bundle))
        )
        with pytest.raises(TlsError) as info:
            client.websocket_api.connect()
        client.close()
    # OpenSSL's words vary ("Hostname mismatch", "IP address mismatch"): the rest is ours.
    assert re.fullmatch(
        f"cannot connect to {re.escape(url)}: the server's TLS certificate was not accepted "
        r"\([A-Za-z ]+ mismatch, certificate is not valid for '127\.0\.0\.1'\); set ca_bundle "
        "or ssl_context if a corporate proxy or private CA signs it",
        str(info.value),
    ), str(info.value)


def test_a_server_that_does_not_speak_tls_is_a_tls_error(exchange):
    """``wss://`` to a plain server: the handshake fails with a TlsError saying so."""
    url = exchange.ws_api_url.replace("ws://", "wss://")
    client = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(base_path=url, connect_timeout=5.0)
    )
    with pytest.raises(TlsError) as info:
        client.websocket_api.connect()
    client.close()
    assert str(info.value).startswith(f"cannot connect to {url}: TLS handshake failed (")
    assert isinstance(info.value, ConnectionClosed)


def test_a_ca_directory_is_trusted_as_ca_bundle(ca, tmp_path):  # noqa: F811
    """``ca_bundle`` may name a directory of hashed certificates (``openssl rehash``)."""
    openssl = shutil.which("openssl")
    assert openssl is not None, "the openssl command names the CA file by its hash"
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    digest = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", str(pem)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    directory = tmp_path / "certs"
    directory.mkdir()
    os.replace(pem, directory / f"{digest}.0")
    with tls_exchange(ca, "127.0.0.1") as ex:
        with BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=api_config(ex, ca_bundle=directory)
        ) as client:
            assert ticker(client).symbol == "BTCUSDT"
        other = trustme.CA()  # a directory without the right CA: refused
        empty = tmp_path / "other"
        empty.mkdir()
        other.cert_pem.write_to_path(str(empty / f"{digest}.0"))
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=api_config(ex, ca_bundle=str(empty))
        )
        with pytest.raises(TlsError, match="certificate was not accepted"):
            client.websocket_api.connect()
        client.close()
