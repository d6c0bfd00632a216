"""Shared set-up of the examples: configuration from the environment.

Every example reads:

* ``BINANCE_WS_API_URL`` — WS API URL; default the futures **testnet**
  (``python -m binance_usdm_ws.testing`` prints a local one);
* ``BINANCE_STREAMS_URL`` — streams root; default the futures testnet;
* ``BINANCE_API_KEY`` / ``BINANCE_API_SECRET`` — an HMAC key pair;
* ``BINANCE_PRIVATE_KEY`` — optional path of an RSA or Ed25519 private key (PEM).
"""

from __future__ import annotations

import json
import os
import sys
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

import attrs

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from binance_usdm_ws import (  # noqa: E402
    DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL,
    DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL,
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    OrderType,
    Side,
    TimeInForce,
)
from binance_usdm_ws._core._redact import mask  # noqa: E402

if TYPE_CHECKING:
    from binance_usdm_ws import AlgoOrderResult, OrderResult


def api_configuration() -> ConfigurationWebsocketApi:
    """The WS API configuration for the examples, from the environment."""
    return ConfigurationWebsocketApi(
        base_path=os.environ.get(
            "BINANCE_WS_API_URL", DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL
        ),
        api_key=os.environ.get("BINANCE_API_KEY", "Your API Key"),
        api_secret=os.environ.get("BINANCE_API_SECRET", "Your API Secret"),
        private_key=os.environ.get("BINANCE_PRIVATE_KEY") or None,
    )


def streams_configuration() -> ConfigurationWebsocketStreams:
    """The streams configuration for the examples, from the environment."""
    return ConfigurationWebsocketStreams(
        base_path=os.environ.get(
            "BINANCE_STREAMS_URL", DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL
        )
    )


def client() -> BinanceDerivativesTradingUsdsFuturesClient:
    """A client for the examples (use it in a ``with`` block: it connects and closes)."""
    return BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api_configuration(), websocket_streams=streams_configuration()
    )


def plain(value: object) -> str:
    """Text of a value, a ``Decimal`` in plain notation (``0.00000000``, never ``0E-8``)."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _masked(_: object, field: attrs.Attribute[Any] | None, value: object) -> object:
    """A secret (a listenKey, the API key: fields marked ``"secret"``) by its first 4 characters."""
    if field is not None and field.metadata.get("secret") and isinstance(value, str):
        return mask(value)
    return value


def show(label: str, model: Any) -> None:
    """Print a typed model (attrs) as indented JSON, secrets shortened as in its ``repr``."""
    data: Any = model
    if attrs.has(type(model)):
        data = attrs.asdict(model, recurse=True, value_serializer=_masked)
    print(f"{label}: {json.dumps(data, indent=2, default=plain, ensure_ascii=False)}")


def below_market(c: BinanceDerivativesTradingUsdsFuturesClient, percent: int = 2) -> Decimal:
    """A BTCUSDT price ``percent`` % under the best bid, on the 0.1 tick: an order there rests."""
    ticker = c.websocket_api.market_data_api.symbol_order_book_ticker().symbol("BTCUSDT")
    bid = ticker.execute().typed.result.bid_price
    return (bid * (100 - percent) / 100).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def resting_limit_order(c: BinanceDerivativesTradingUsdsFuturesClient) -> OrderResult:
    """Place a BUY LIMIT for 0.010 BTCUSDT under the market (it rests) and return it."""
    resp = (
        c.websocket_api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side(Side.BUY)
        .type(OrderType.LIMIT)
        .time_in_force(TimeInForce.GTC)
        .quantity(Decimal("0.010"))
        .price(below_market(c))
        .execute()
    )
    return resp.typed.result


def stop_order(c: BinanceDerivativesTradingUsdsFuturesClient) -> AlgoOrderResult:
    """Place a close-all STOP_MARKET SELL 10 % under the market (it waits) and return it."""
    resp = (
        c.websocket_api.trade_api.new_algo_order()
        .algo_type("CONDITIONAL")
        .symbol("BTCUSDT")
        .side(Side.SELL)
        .type("STOP_MARKET")
        .trigger_price(below_market(c, percent=10))
        .close_position(True)
        .execute()
    )
    return resp.typed.result
