"""Security defaults: TLS checks the host name with no option set, and a stream socket that
cannot be opened is reported without its listenKey."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    ConnectionClosed,
    TlsError,
)
from binance_usdm_ws.testing import LocalExchange

from .test_proxy_tls import api_config, ca, ticker, tls_exchange  # noqa: F401  (fixture)


def test_default_tls_checks_the_host_name(ca, tmp_path, monkeypatch):  # noqa: F811
    """No ca_bundle, no ssl_context: the default verification trusts the CA (here through
    websocket-client's CA-bundle variable) and still refuses a certificate for another name."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("WEBSOCKET_CLIENT_CA_BUNDLE", str(bundle))
    with tls_exchange(ca, "127.0.0.1") as ex:  # the right name: accepted
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=api_config(ex)) as client:
            assert ticker(client).symbol == "BTCUSDT"
    with tls_exchange(ca, "exchange.example") as ex:
        client = BinanceDerivativesTradingUsdsFuturesClient(websocket_api=api_config(ex))
        with pytest.raises(TlsError) as info:
            client.websocket_api.connect()
        client.close()
    assert "certificate is not valid for '127.0.0.1'" in str(info.value)


def test_a_stream_socket_that_cannot_open_never_shows_its_listen_key(caplog):
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with LocalExchange(quiet=True) as ex:
        api = ConfigurationWebsocketApi(
            base_path=ex.ws_api_url, api_key=ex.api_key, api_secret=ex.api_secret
        )
        streams = ConfigurationWebsocketStreams(
            base_path=f"ws://127.0.0.1:{port}", reconnect_delay=0.01
        )
        with BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=api, websocket_streams=streams
        ) as client:
            with pytest.raises(ConnectionClosed) as info:
                with client.user_data_stream() as stream:  # the failure is delivered in order
                    stream.get(timeout=10)
        [key] = ex.issued_listen_keys
    shown = [str(info.value), repr(info.value)]
    shown += traceback.format_exception(info.type, info.value, info.tb)
    shown += [r.getMessage() for r in caplog.records] + [caplog.text]
    assert f"127.0.0.1:{port}/private" in str(info.value)  # says where it tried
    assert key[:4] + "…" in str(info.value)
    assert not [text for text in shown if key in text]
