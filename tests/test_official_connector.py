"""The official Python connector, pointed at the local exchange, connects and gets typed data.

Binance's own asyncio SDK (the ``compat`` extra, part of ``dev``) is the reference client of
the local exchange: its WebSocket Streams client opens ``/market/stream``, ``/public/stream``
and ``/private/stream`` from one base URL and subscribes with ``SUBSCRIBE`` (string ids), and
its WebSocket API client signs requests on ``/ws-fapi/v1``. The exchange is fed by its own
engine: a market order placed through the official client fills against the book and comes
back as an ``aggTrade`` on ``/market``, a ``bookTicker`` and a ``depthUpdate`` on ``/public``
and an ``ORDER_TRADE_UPDATE`` on the user data stream subscribed with ``SUBSCRIBE <listenKey>``;
the engine's mark-price timer feeds ``@markPrice@1s``; ``UNSUBSCRIBE`` and
``LIST_SUBSCRIPTIONS`` are answered on every route.

The official SDK runs its own event loop here (``asyncio.run`` in the test): that is the
official SDK's model, not ours.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, Callable

import pytest

from binance_usdm_ws.testing import LocalExchange

official = pytest.importorskip("binance_sdk_derivatives_trading_usds_futures")

from binance_common.configuration import (  # noqa: E402
    ConfigurationWebSocketAPI,
    ConfigurationWebSocketStreams,
)
from binance_sdk_derivatives_trading_usds_futures import (  # noqa: E402
    DerivativesTradingUsdsFutures,
)
from binance_sdk_derivatives_trading_usds_futures.websocket_api.models import (  # noqa: E402
    NewOrderSideEnum,
)
from binance_sdk_derivatives_trading_usds_futures.websocket_streams.models import (  # noqa: E402
    DiffBookDepthStreamsUpdateSpeedEnum,
    MarkPriceStreamUpdateSpeedEnum,
)

# Our suite turns warnings into errors; the official WS API client passes aiohttp a float
# `timeout`, which aiohttp deprecates (the official SDK's own issue, not the exchange's).
pytestmark = pytest.mark.filterwarnings(
    "ignore:parameter 'timeout' of type 'float' is deprecated:DeprecationWarning"
)

WAIT = 10.0  # bound on every wait; nothing here is timed


class Inbox:
    """Messages handed to one official-SDK callback, awaitable from the test's loop."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._arrived = asyncio.Event()

    def __call__(self, item: Any) -> None:
        self.items.append(item)
        self._arrived.set()

    async def first(self, match: Callable[[Any], bool] = lambda item: True) -> Any:
        """The first item that matches, waiting up to ``WAIT`` seconds for it."""

        async def find() -> Any:
            while True:
                for item in self.items:
                    if match(item):
                        return item
                self._arrived.clear()  # callbacks run on this loop: nothing slips in between
                await self._arrived.wait()

        return await asyncio.wait_for(find(), WAIT)


async def list_subscriptions(streams: Any, route: str) -> list[str]:
    """``LIST_SUBSCRIPTIONS`` on the official client's socket of ``route``.

    Frames on one socket are handled in order, so the answer also proves that every
    ``SUBSCRIBE`` sent before it (the official client does not wait for acks) was processed.
    """
    (conn,) = [c for c in streams.connections if c.url_path == route]
    future = await streams.send_message({"method": "LIST_SUBSCRIPTIONS", "id": route}, conn)
    reply = await asyncio.wait_for(future, WAIT)
    assert reply["id"] == route
    return list(reply["result"])


async def scenario(ex: LocalExchange) -> dict[str, Any]:
    client = DerivativesTradingUsdsFutures(
        config_ws_api=ConfigurationWebSocketAPI(
            api_key=ex.api_key, api_secret=ex.api_secret, stream_url=ex.ws_api_url
        ),
        config_ws_streams=ConfigurationWebSocketStreams(stream_url=ex.streams_url),
    )
    # The official client logs connection errors and returns None: check what it opened.
    streams = await client.websocket_streams.create_connection()
    api = await client.websocket_api.create_connection()
    try:
        assert api is not None and len(api.connections) == 1
        assert sorted(c.url_path for c in streams.connections) == ["market", "private", "public"]

        ticker = await api.symbol_price_ticker(symbol="BTCUSDT")
        listen_key = (await api.start_user_data_stream()).data().result.listen_key
        assert listen_key

        trades, marks, books, depth, user = Inbox(), Inbox(), Inbox(), Inbox(), Inbox()
        trade_stream = await streams.aggregate_trade_streams(symbol="BTCUSDT")
        trade_stream.on("message", trades)
        mark_speed = MarkPriceStreamUpdateSpeedEnum.UPDATE_SPEED_1s
        (await streams.mark_price_stream(symbol="BTCUSDT", update_speed=mark_speed)).on(
            "message", marks
        )
        (await streams.individual_symbol_book_ticker_streams(symbol="BTCUSDT")).on("message", books)
        depth_speed = DiffBookDepthStreamsUpdateSpeedEnum.UPDATE_SPEED_100ms
        (await streams.diff_book_depth_streams(symbol="BTCUSDT", update_speed=depth_speed)).on(
            "message", depth
        )
        (await streams.user_data(listen_key)).on("message", user)
        subscribed = {
            route: await list_subscriptions(streams, route)
            for route in ("market", "public", "private")
        }

        order = await api.new_order(
            symbol="BTCUSDT", side=NewOrderSideEnum.BUY, type="MARKET", quantity=0.01
        )
        order_id = order.data().result.order_id
        got = {
            "handshakes": [path for path, _ in ex.handshakes],
            "ticker": ticker.data().actual_instance.result,
            "subscribed": subscribed,
            "private_is_listen_key": subscribed.pop("private") == [listen_key],
            "order_id": order_id,
            "trade": await trades.first(),
            "mark": await marks.first(),  # the engine's 1 s mark-price timer
            "book": await books.first(),
            "depth": await depth.first(),
            "fill": (
                await user.first(
                    lambda event: (
                        type(event.actual_instance).__name__ == "OrderTradeUpdate"
                        and event.actual_instance.o.i == order_id
                        and event.actual_instance.o.x == "TRADE"
                    )
                )
            ).actual_instance.o,
        }
        await trade_stream.unsubscribe()
        got["after_unsubscribe"] = await list_subscriptions(streams, "market")
        return got
    finally:
        await client.websocket_streams.close_connection(close_session=True)
        await client.websocket_api.close_connection(close_session=True)


def test_official_connector_streams_and_api_against_local_exchange() -> None:
    with LocalExchange(quiet=True) as ex:
        got = asyncio.run(scenario(ex))

    # One base URL: the official client derives every route's `/stream` path from it.
    assert {"/market/stream", "/public/stream", "/private/stream", "/ws-fapi/v1"} <= set(
        got["handshakes"]
    )
    assert got["ticker"].symbol == "BTCUSDT"
    assert Decimal(got["ticker"].price) > 0
    assert got["subscribed"] == {
        "market": ["btcusdt@aggTrade", "btcusdt@markPrice@1s"],
        "public": ["btcusdt@bookTicker", "btcusdt@depth@100ms"],
    }
    assert got["private_is_listen_key"]  # the listenKey itself stays out of assertion output

    # The engine's fill, as the official client's typed models on all three routes.
    trade, book, fill = got["trade"], got["book"], got["fill"]
    assert type(trade).__name__ == "AggregateTradeStreamsResponse"
    assert (trade.e, trade.s, trade.m) == ("aggTrade", "BTCUSDT", False)  # the buyer took
    assert Decimal(trade.q) == Decimal("0.01")
    assert type(book).__name__ == "IndividualSymbolBookTickerStreamsResponse"
    assert (book.e, book.s) == ("bookTicker", "BTCUSDT")
    assert Decimal(book.b) < Decimal(book.a)
    assert (fill.S, fill.X, Decimal(fill.l)) == ("BUY", "FILLED", Decimal("0.01"))
    assert Decimal(fill.L) == Decimal(trade.p)  # one fill, seen on /private and /market
    assert fill.T == trade.T
    depth, mark = got["depth"], got["mark"]
    assert type(depth).__name__ == "DiffBookDepthStreamsResponse"
    assert (depth.e, depth.s) == ("depthUpdate", "BTCUSDT")
    assert depth.pu < depth.U <= depth.u == book.u  # one book change, one update id
    assert depth.a == [[trade.p, book.A]]  # the ask level the buyer hit, left with the rest
    assert type(mark).__name__ == "MarkPriceStreamResponse"
    assert (mark.e, mark.s) == ("markPriceUpdate", "BTCUSDT")
    assert Decimal(mark.p) > 0
    assert got["after_unsubscribe"] == ["btcusdt@markPrice@1s"]
