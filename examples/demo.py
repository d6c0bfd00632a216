"""`make demo`: the SDK's main job against the bundled local exchange, start to finish.

Starts a ``LocalExchange`` on 127.0.0.1, connects a client to it and walks through the seed's
user data stream methods (start, keepalive, close), then trades: the book, a resting LIMIT
order placed, queried, modified and cancelled, a MARKET order filled, the balance, a session
logon — printing the typed results — shows how errors arrive (typed ``ServerError`` and
``InvalidRequest``); then the streams half: an order's events on the user data stream, a market
stream (``bookTicker``) and a local order book; and closes everything.
"""

from __future__ import annotations

import logging
import os
import sys
from decimal import Decimal

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    BookTickerUpdate,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    InvalidRequest,
    OrderTradeUpdate,
    OrderType,
    ServerError,
    Side,
    TimeInForce,
)
from binance_usdm_ws.testing import LocalExchange

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import plain  # noqa: E402


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    with LocalExchange() as exchange:
        run(exchange)


def run(exchange: LocalExchange) -> None:
    """The walk-through, on a running exchange. Secrets print masked (first 4 characters)."""
    print(f"local exchange: {exchange.ws_api_url}")
    configuration = ConfigurationWebsocketApi(
        base_path=exchange.ws_api_url,
        api_key=exchange.api_key,
        api_secret=exchange.api_secret,
        timeout=5.0,
    )
    with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=configuration) as client:
        api = client.websocket_api.user_data_streams_api

        resp = api.start_user_data_stream().id("e9d6b4349871b40611412680b3445fac").execute()
        # The listenKey is a bearer secret: reprs show its first 4 characters only; the
        # whole key is ``resp.typed.result.listen_key``.
        print("start_user_data_stream ->", resp.typed)

        resp2 = api.keepalive_user_data_stream().execute()
        print("keepalive_user_data_stream ->", resp2.typed.result)

        future = api.start_user_data_stream().execute_async()
        print("execute_async ->", future.result(5).typed.result, "(same key, extended)")

        print("close_user_data_stream ->", api.close_user_data_stream().execute(timeout=2.0).typed)

        try:
            api.keepalive_user_data_stream().execute()
        except ServerError as exc:
            print(
                f"keepalive after close -> {type(exc).__name__}: status={exc.status} "
                f"code={exc.code} msg={exc.msg!r}"
            )

        ws = client.websocket_api
        book = ws.market_data_api.order_book().symbol("BTCUSDT").limit(5).execute()
        bid = book.typed.result.bids[0].price
        ask = book.typed.result.asks[0].price
        print(f"order_book -> best bid {plain(bid)}, best ask {plain(ask)}")
        trade = ws.trade_api
        placed = (
            trade.new_order()
            .symbol("BTCUSDT")
            .side(Side.BUY)
            .type(OrderType.LIMIT)
            .time_in_force(TimeInForce.GTC)
            .quantity(Decimal("0.010"))
            .price(bid - 100)
            .new_client_order_id("demo-1")
            .execute()
        ).typed.result
        print(f"new_order -> id {placed.order_id} {placed.status} {plain(placed.price)}")
        status = trade.query_order().symbol("BTCUSDT").orig_client_order_id("demo-1")
        print("query_order ->", status.execute().typed.result.status)
        modified = (
            trade.modify_order()
            .symbol("BTCUSDT")
            .order_id(placed.order_id)
            .side(Side.BUY)
            .quantity(Decimal("0.010"))
            .price(bid - 50)
            .execute()
        ).typed.result
        print(f"modify_order -> price {plain(modified.price)}")
        canceled = trade.cancel_order().symbol("BTCUSDT").order_id(placed.order_id).execute()
        print("cancel_order ->", canceled.typed.result.status)
        filled = (
            trade.new_order()
            .symbol("BTCUSDT")
            .side(Side.BUY)
            .type(OrderType.MARKET)
            .quantity(Decimal("0.002"))
            .new_order_resp_type("RESULT")
            .execute()
        ).typed.result
        fill = trade.query_order().symbol("BTCUSDT").order_id(filled.order_id).execute()
        print(
            f"market order -> {filled.status} {plain(filled.executed_qty)}"
            f" at {plain(fill.result.avg_price)}"
        )
        balances = ws.account_api.futures_account_balance().execute().typed.result
        print("balance ->", ", ".join(f"{b.asset} {plain(b.balance)}" for b in balances))
        logon = ws.auth_api.session_logon().execute().typed.result
        print("session_logon ->", logon)  # the API key shows its first 4 characters only
        try:
            # Deliberately wrong (a float is not exact): mypy says so too, hence the ignore.
            trade.new_order().symbol("BTCUSDT").side("BUY").type("LIMIT").price(1.5)  # type: ignore[arg-type]
        except InvalidRequest as exc:
            print(f"bad input -> InvalidRequest: {exc}")
        streams(client, exchange)
    print("closed cleanly")


def name(value: object) -> str:
    """An enum member by its wire value (``NEW``), anything else as text."""
    return str(getattr(value, "value", value))


def streams(
    api_client: BinanceDerivativesTradingUsdsFuturesClient, exchange: LocalExchange
) -> None:
    """The streams half: an order's events, a market stream, a local order book."""
    with BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api_client.websocket_api.config,
        websocket_streams=ConfigurationWebsocketStreams(base_path=exchange.streams_url),
    ) as client:
        client.websocket_api.connect()
        trade = client.websocket_api.trade_api
        with client.user_data_stream() as stream:
            trade.new_order().symbol("BTCUSDT").side(Side.SELL).type(OrderType.MARKET).quantity(
                Decimal("0.001")
            ).new_client_order_id("demo-events").execute()
            for _ in range(4):  # NEW, then the fill; TRADE_LITE and ACCOUNT_UPDATE between
                event = stream.get(timeout=5)
                if isinstance(event, OrderTradeUpdate) and event.order.client_order_id == (
                    "demo-events"
                ):
                    order = event.order
                    print(
                        f"user data stream -> ORDER_TRADE_UPDATE {name(order.execution_type)}"
                        f" {name(order.status)} {plain(order.last_filled_quantity)}"
                    )
        ws = client.websocket_streams
        with ws.public_api.individual_symbol_book_ticker_streams().symbol("BTCUSDT").execute() as h:
            trade.new_order().symbol("BTCUSDT").side(Side.BUY).type(OrderType.LIMIT).time_in_force(
                TimeInForce.GTC
            ).quantity(Decimal("0.005")).price("59990").execute()  # moves the book: a ticker
            ticker = h.get(timeout=5)
            if isinstance(ticker, BookTickerUpdate):
                print(f"bookTicker -> bid {plain(ticker.bid_price)} ask {plain(ticker.ask_price)}")
        book = client.local_order_book("BTCUSDT")
        trade.new_order().symbol("BTCUSDT").side(Side.BUY).type(OrderType.LIMIT).time_in_force(
            TimeInForce.GTC
        ).quantity(Decimal("0.004")).price("59980").execute()  # a diff for the book to join
        book.wait_synced(timeout=10)
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is not None and ask is not None  # the exchange's book has both sides
        spread = ask.price - bid.price
        print(
            f"local order book -> best bid {plain(bid.price)} x {plain(bid.quantity)},"
            f" best ask {plain(ask.price)} x {plain(ask.quantity)}, spread {plain(spread)}"
        )


if __name__ == "__main__":
    main()
