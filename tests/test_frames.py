"""The SDK's frame reader over a real socket, as a property: any reply length (every frame
length class: 7-bit, 16-bit, 64-bit) split into any number of fragments (RFC 6455 §5.4) reads
back as exactly the message the exchange sent. Correctness only; speed is not checked here."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from binance_usdm_ws import BinanceDerivativesTradingUsdsFuturesClient, ConfigurationWebsocketApi
from binance_usdm_ws.testing import LocalExchange


def test_any_length_in_any_fragments_reads_back_whole():
    with LocalExchange(quiet=True) as exchange:
        config = ConfigurationWebsocketApi(base_path=exchange.ws_api_url, timeout=10.0)
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=config) as client:
            client.websocket_api.connect()
            _round_trips(exchange, client)


def _round_trips(exchange: LocalExchange, client: BinanceDerivativesTradingUsdsFuturesClient):
    ticker = client.websocket_api.market_data_api.symbol_price_ticker().symbol("BTCUSDT")

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(length=st.integers(0, 70_000), pieces=st.integers(1, 40), shift=st.integers(0, 9))
    @example(length=125, pieces=1, shift=0)  # the largest 7-bit length (with the reply's own)
    @example(length=126, pieces=1, shift=0)
    @example(length=65_535, pieces=1, shift=0)  # the largest 16-bit length
    @example(length=65_536, pieces=1, shift=0)  # the first 64-bit length
    @example(length=65_536, pieces=2, shift=0)
    @example(length=300, pieces=300, shift=0)  # one character per fragment
    def check(length: int, pieces: int, shift: int) -> None:
        exchange.faults.pad_replies("ticker.price", length)
        size = max(1, -(-length // pieces) + shift)
        exchange.faults.fragment(size if pieces > 1 else 0, "api")
        resp = ticker.execute()
        text = resp.raw
        assert resp.result.symbol == "BTCUSDT"
        if "pad" in text:  # the reply was grown to exactly ``length`` characters
            assert set(text["pad"]) <= {"x"}  # empty when the reply fits exactly without it
            assert len(_json(text)) == length
        else:  # it was that long already, or too close to it to fit a "pad" member
            assert length < len(_json(text)) + len(',"pad":""')

    check()
    exchange.faults.reset()


def _json(raw: dict) -> str:
    import json

    return json.dumps(raw, separators=(",", ":"))
