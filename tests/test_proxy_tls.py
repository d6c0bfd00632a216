"""Proxy (HTTP CONNECT, SOCKS5 with auth), TLS trust and User-Agent, over real sockets.

The proxy is a real one (``pproxy``, started by the test as its own process, with a user and
password); the TLS server is the local exchange serving ``wss://`` with a certificate from a
test CA made by ``trustme``.
"""

from __future__ import annotations

import platform
import re
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

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
    __version__,
)
from binance_usdm_ws.testing import LocalExchange

from .conftest import wait_until

PASSWORD = "s3cret-pw"


class Proxy:
    """A pproxy process serving HTTP CONNECT and SOCKS5 on one port, user ``user``."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # --auth 0: check the credentials on every connection (no per-IP memory).
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pproxy",
                "-l",
                f"http+socks5://127.0.0.1:{self.port}/#user:{PASSWORD}",
                "-v",
                "--auth",
                "0",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_until(lambda: any("Serving on" in line for line in self.lines), timeout=20)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())

    def url(self, scheme: str, password: str = PASSWORD) -> str:
        return f"{scheme}://user:{password}@127.0.0.1:{self.port}"

    def tunnels(self, scheme: str, port: int) -> int:
        """How many connections the proxy relayed with ``scheme`` to ``127.0.0.1:port``."""
        pattern = re.compile(rf"^{scheme} 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:{port}$")
        return sum(1 for line in self.lines if pattern.match(line))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self._reader.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture(scope="module")
def proxy() -> Iterator[Proxy]:
    p = Proxy()
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide the proxy variables themselves."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def api_config(ex: LocalExchange, **kw: Any) -> ConfigurationWebsocketApi:
    options: dict[str, Any] = dict(
        base_path=ex.ws_api_url,
        api_key=ex.api_key,
        api_secret=ex.api_secret,
        connect_timeout=5.0,
        reconnect=False,
    )
    options.update(kw)
    return ConfigurationWebsocketApi(**options)


def ticker(client: BinanceDerivativesTradingUsdsFuturesClient) -> Any:
    api = client.websocket_api.market_data_api
    return api.symbol_price_ticker().symbol("BTCUSDT").execute().result


# ---------------------------------------------------------------------------------- proxy


@pytest.mark.parametrize("scheme", ["http", "socks5"])
def test_ws_api_and_user_data_stream_go_through_the_proxy(exchange, proxy, scheme):
    """Both sockets are relayed by the proxy, authenticated; calls and events work."""
    before = proxy.tunnels(scheme, exchange.port)
    url = proxy.url(scheme)
    with BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api_config(exchange, proxy=url),
        websocket_streams=ConfigurationWebsocketStreams(base_path=exchange.streams_url, proxy=url),
    ) as client:
        assert ticker(client).symbol == "BTCUSDT"
        with client.user_data_stream() as stream:
            wait_until(lambda: exchange.stream_connection_count == 1)
            wait_until(lambda: proxy.tunnels(scheme, exchange.port) == before + 2)
            assert stream.listen_key is not None


@pytest.mark.parametrize("scheme", ["http", "socks5"])
def test_wrong_proxy_password_is_refused_with_a_typed_error(exchange, proxy, scheme):
    """The proxy checks the credentials (so it is on the path); the password is never shown."""
    config = api_config(exchange, proxy=proxy.url(scheme, password="wrong-pw"))
    assert "wrong-pw" not in repr(config)
    client = BinanceDerivativesTradingUsdsFuturesClient(websocket_api=config)
    with pytest.raises(ProxyError) as info:
        client.websocket_api.connect()
    client.close()
    assert isinstance(info.value, ConnectionClosed) and info.value.__cause__ is not None
    assert "wrong-pw" not in str(info.value)
    assert exchange.api_connection_count == 0
    streams = ConfigurationWebsocketStreams(proxy=proxy.url(scheme))
    assert PASSWORD not in repr(streams) and "user:***@" in repr(streams)


def test_proxy_environment_variables(exchange, proxy, monkeypatch):
    """HTTP_PROXY / ALL_PROXY (with their scheme) are followed; NO_PROXY bypasses them."""

    def tunnels() -> tuple[int, int]:
        return proxy.tunnels("http", exchange.port), proxy.tunnels("socks5", exchange.port)

    def call(**kw: Any) -> None:
        with BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=api_config(exchange, **kw)
        ) as client:
            ticker(client)

    monkeypatch.setenv("HTTP_PROXY", proxy.url("http"))
    call()
    wait_until(lambda: tunnels() == (1, 0))
    monkeypatch.delenv("HTTP_PROXY")
    monkeypatch.setenv("ALL_PROXY", proxy.url("socks5"))
    call()
    wait_until(lambda: tunnels() == (1, 1))
    # Each direct call is followed by an explicit HTTP one: the proxy logs in order, so once
    # the marker is logged, a proxied direct call would have been logged before it.
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    call()
    call(proxy=proxy.url("http"))  # an explicit proxy is used for every host
    wait_until(lambda: tunnels()[0] == 2)
    assert tunnels() == (2, 1)
    monkeypatch.setenv("NO_PROXY", "*")
    call()
    call(proxy=proxy.url("http"))
    wait_until(lambda: tunnels()[0] == 3)
    assert tunnels() == (3, 1)


def test_bad_proxy_urls_fail_before_connecting():
    """Unsupported schemes and missing ports are InvalidRequest at configuration time."""
    for bad in ("https://host:1", "ftp://host:21", "socks5://host", "host:8080"):
        with pytest.raises(InvalidRequest, match="proxy"):
            ConfigurationWebsocketApi(proxy=bad)


# ------------------------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_exchange(ca: trustme.CA, *names: str) -> LocalExchange:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*names).configure_cert(context)
    return LocalExchange(quiet=True, ping_interval=None, ssl_context=context)


def test_wss_with_a_custom_ca_bundle_and_ssl_context(ca, tmp_path, proxy):
    """A private CA is trusted through ca_bundle or ssl_context, also through a proxy."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with tls_exchange(ca, "127.0.0.1") as ex:
        assert ex.ws_api_url.startswith("wss://")
        for kw in (
            {"ca_bundle": str(bundle)},
            {"ssl_context": client_context},
            {"ca_bundle": bundle, "proxy": proxy.url("socks5")},
            {"ca_bundle": bundle, "proxy": proxy.url("http")},
        ):
            with BinanceDerivativesTradingUsdsFuturesClient(
                websocket_api=api_config(ex, **kw),
                websocket_streams=ConfigurationWebsocketStreams(base_path=ex.streams_url, **kw),
            ) as client:
                assert ticker(client).symbol == "BTCUSDT"
                with client.user_data_stream():
                    wait_until(lambda: ex.stream_connection_count == 1)
        wait_until(lambda: proxy.tunnels("http", ex.port) == 2)
        assert proxy.tunnels("socks5", ex.port) == 2


def test_untrusted_certificate_fails_with_tls_error(ca):
    """Verification is on by default: a certificate from an unknown CA is refused."""
    with tls_exchange(ca, "127.0.0.1") as ex:
        client = BinanceDerivativesTradingUsdsFuturesClient(websocket_api=api_config(ex))
        with pytest.raises(TlsError, match="certificate was not accepted") as info:
            client.websocket_api.connect()
        client.close()
    assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
    assert "ca_bundle" in str(info.value)


def test_certificate_for_another_host_fails_with_tls_error(ca, tmp_path):
    """A trusted certificate issued for another name is refused too (hostname checked)."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with tls_exchange(ca, "exchange.example") as ex:
        streams = ConfigurationWebsocketStreams(base_path=ex.streams_url, ca_bundle=str(bundle))
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=api_config(ex, ca_bundle=str(bundle)), websocket_streams=streams
        )
        with pytest.raises(TlsError, match="127.0.0.1") as info:
            client.websocket_api.connect()
        client.close()
    assert "certificate is not valid for '127.0.0.1'" in str(info.value)
    assert ex.api_connection_count == 0


# ----------------------------------------------------------------------------- User-Agent


def test_user_agent_names_the_sdk_its_version_and_python(exchange):
    """Every handshake (WS API and user data stream) carries the SDK's User-Agent."""
    expected = (
        f"binance-usdm-ws/{__version__} (Python/{platform.python_version()}; {platform.system()})"
    )
    with BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api_config(exchange),
        websocket_streams=ConfigurationWebsocketStreams(base_path=exchange.streams_url),
    ) as client:
        ticker(client)
        with client.user_data_stream():
            wait_until(lambda: len(exchange.handshakes) == 2)
    paths = [path for path, _ in exchange.handshakes]
    assert paths == ["/ws-fapi/v1", "/private/ws"]  # the user data query form
    assert [h.get("User-Agent") for _, h in exchange.handshakes] == [expected, expected]
    # No compression is offered (websocket-client cannot do permessage-deflate).
    names = [{k.lower() for k in h} for _, h in exchange.handshakes]
    assert all("sec-websocket-key" in n and "sec-websocket-extensions" not in n for n in names)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_proxy_is_a_proxy_error_and_a_refused_server_is_not(exchange):
    """With a proxy, the only host dialled is the proxy: a refusal there is a ProxyError naming
    it; without one, a refused server is a plain ConnectionClosed naming the server."""
    port = _closed_port()
    client = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api_config(exchange, proxy=f"http://127.0.0.1:{port}")
    )
    with pytest.raises(ProxyError) as via_proxy:
        client.websocket_api.connect()
    client.close()
    text = str(via_proxy.value)
    assert f"the proxy 127.0.0.1:{port} is unreachable" in text
    assert exchange.ws_api_url in text and "Connection refused" in text
    assert exchange.api_connection_count == 0

    direct = ConfigurationWebsocketApi(base_path=f"ws://127.0.0.1:{port}/ws-fapi/v1")
    client = BinanceDerivativesTradingUsdsFuturesClient(websocket_api=direct)
    with pytest.raises(ConnectionClosed) as no_proxy:
        client.websocket_api.connect()
    client.close()
    assert not isinstance(no_proxy.value, ProxyError)
    assert str(no_proxy.value).startswith(f"cannot connect to ws://127.0.0.1:{port}/ws-fapi/v1: ")
    assert "Connection refused" in str(no_proxy.value)


def test_a_proxy_that_never_answers_fails_the_connect_at_its_timeout(exchange):
    """A proxy that accepts the TCP connection and then says nothing (no answer to CONNECT):
    the WS API's connect, and a stream's socket, give up after ``connect_timeout`` with a
    ProxyError instead of waiting for ever."""
    mute = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        try:
            while True:
                accepted.append(mute.accept()[0])  # and never read nor write
        except OSError:
            return

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{mute.getsockname()[1]}"
    failures: list[BaseException] = []

    def connect(config: Any) -> None:
        client = BinanceDerivativesTradingUsdsFuturesClient(**config)
        try:
            if "websocket_api" in config:
                client.websocket_api.connect()
            else:
                client.websocket_streams.subscribe(["btcusdt@aggTrade"])
        except BaseException as exc:  # noqa: BLE001 - checked below
            failures.append(exc)
        finally:
            client.close()

    configs = [
        {"websocket_api": api_config(exchange, proxy=url, connect_timeout=0.5)},
        {
            "websocket_streams": ConfigurationWebsocketStreams(
                base_path=exchange.streams_url, proxy=url, connect_timeout=0.5
            )
        },
    ]
    try:
        for config in configs:
            thread = threading.Thread(target=connect, args=(config,), daemon=True)
            thread.start()
            thread.join(60)
            assert not thread.is_alive(), f"connecting through a mute proxy hangs: {config}"
    finally:
        mute.close()
        for conn in accepted:
            conn.close()
    assert len(failures) == 2 and all(isinstance(e, ProxyError) for e in failures), failures
    assert len(accepted) >= 2
