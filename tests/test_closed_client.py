"""A closed client stays closed: every entry point refuses at once and opens nothing.

Over real sockets against the local exchange: after ``close()`` each entry point raises
``ClientClosed`` (a ``ConnectionClosed``), the exchange sees no new handshake and no thread is
started.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ClientClosed,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    ConnectionClosed,
    WebsocketStreams,
)
from binance_usdm_ws.testing import LocalExchange


@pytest.fixture
def ex():
    with LocalExchange(quiet=True) as exchange:
        yield exchange


def make_client(ex: LocalExchange) -> BinanceDerivativesTradingUsdsFuturesClient:
    return BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(
            base_path=ex.ws_api_url, api_key=ex.api_key, api_secret=ex.api_secret
        ),
        websocket_streams=ConfigurationWebsocketStreams(base_path=ex.streams_url),
    )


def refuses_and_opens_nothing(ex: LocalExchange, calls: dict[str, Callable[[], Any]]) -> None:
    """Each call raises ClientClosed; the exchange saw no handshake, no thread started."""
    handshakes = len(ex.handshakes)
    threads = set(threading.enumerate())
    for name, call in calls.items():
        with pytest.raises(ClientClosed) as caught:
            call()
        assert isinstance(caught.value, ConnectionClosed), name
        assert "closed" in str(caught.value), name
    assert len(ex.handshakes) == handshakes
    assert set(threading.enumerate()) <= threads


def entry_points(
    client: BinanceDerivativesTradingUsdsFuturesClient,
) -> dict[str, Callable[[], Any]]:
    api = client.websocket_api
    return {
        "websocket_streams": lambda: client.websocket_streams,
        "market builder": lambda: (
            client.websocket_streams.market_api.aggregate_trade_streams()
            .symbol("BTCUSDT")
            .execute()
        ),
        "subscribe": lambda: client.websocket_streams.subscribe(["btcusdt@bookTicker"]),
        "local_order_book": lambda: client.local_order_book("BTCUSDT"),
        "local_order_books": lambda: client.local_order_books(["BTCUSDT", "ETHUSDT"]),
        "user_data_stream": lambda: client.user_data_stream(),
        "user_data_stream(events)": lambda: client.user_data_stream(events=["TRADE_LITE"]),
        "ws api call": lambda: api.market_data_api.order_book().symbol("BTCUSDT").execute(),
        "ws api async": lambda: (
            api.market_data_api.order_book().symbol("BTCUSDT").execute_async().result(5)
        ),
        "connect": api.connect,
        "with": lambda: client.__enter__(),
    }


@pytest.mark.parametrize("used", [False, True], ids=["fresh", "used"])
def test_every_entry_point_refuses_after_close(ex, used):
    """Whether the client served streams, books and user data before or not, after close()
    nothing of it comes back to life."""
    client = make_client(ex)
    kept: dict[str, Callable[[], Any]] = {}
    if used:
        client.websocket_api.connect()
        streams = client.websocket_streams
        streams.subscribe(["btcusdt@bookTicker"])
        client.local_order_book("BTCUSDT", limit=5).wait_synced(10)
        client.user_data_stream().start()
        builder = streams.public_api.individual_symbol_book_ticker_streams().symbol("ETHUSDT")
        # References taken before close() refuse too.
        kept = {
            "kept streams.subscribe": lambda: streams.subscribe(["ethusdt@bookTicker"]),
            "kept builder": builder.execute,
            "kept list_subscriptions": streams.list_subscriptions,
            "kept get_property": lambda: streams.get_property("combined"),
            "kept set_property": lambda: streams.set_property("combined", True),
        }
    client.close()
    refuses_and_opens_nothing(ex, {**entry_points(client), **kept})
    client.close()  # still idempotent


def test_standalone_websocket_streams_refuse_after_their_close(ex):
    streams = WebsocketStreams(ConfigurationWebsocketStreams(base_path=ex.streams_url))
    handle = streams.subscribe(["btcusdt@bookTicker"])
    streams.close()
    assert not handle.subscribed
    refuses_and_opens_nothing(
        ex,
        {
            "subscribe": lambda: streams.subscribe(["btcusdt@bookTicker"]),
            "builder": lambda: streams.market_api.mark_price_stream().symbol("BTCUSDT").execute(),
            "list_subscriptions": streams.list_subscriptions,
            "get_property": lambda: streams.get_property("combined"),
        },
    )


def test_closing_the_ws_api_alone_is_not_final(ex):
    """close_websocket_connection() (the Go connector's way to finish) is not close(): the
    client connects again and serves streams."""
    client = make_client(ex)
    try:
        client.websocket_api.connect()
        client.websocket_api.close_websocket_connection()
        client.websocket_api.connect()
        assert client.websocket_api.connected
        assert client.websocket_streams.subscribe(["btcusdt@bookTicker"]).subscribed
    finally:
        client.close()
