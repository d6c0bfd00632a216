"""A trader's script using every service of the SDK, as a user writes it: no ``assert x is not
None``, no ``cast``. ``tests/test_typing.py`` type-checks it with ``mypy --strict`` (it is data
for that test: never imported, never run; its API key is a placeholder)."""

from __future__ import annotations

from decimal import Decimal

from binance_usdm_ws import (
    AccountUpdate,
    AggregateTrade,
    AlgoUpdate,
    BinanceDerivativesTradingUsdsFuturesClient,
    BookResync,
    BookTickerUpdate,
    BookUpdate,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    DepthUpdate,
    KlineUpdate,
    MarkPriceUpdate,
    OrderTradeUpdate,
    OrderType,
    Side,
    StreamGap,
    TimeInForce,
    TradeLite,
)


def trade(client: BinanceDerivativesTradingUsdsFuturesClient) -> Decimal:
    """Place, look up, move and cancel an order; returns the spread seen."""
    ws = client.websocket_api
    market = ws.market_data_api
    book = market.order_book().symbol("BTCUSDT").limit(5).execute().result
    best_bid: Decimal = book.bids[0].price
    snapshot_id: int = book.last_update_id
    ticker = market.symbol_order_book_ticker().symbol("BTCUSDT").execute().result
    spread: Decimal = ticker.ask_price - ticker.bid_price
    last = market.symbol_price_ticker().symbol("BTCUSDT").execute()
    price: Decimal = last.result.price
    print(last.status, last.result.symbol.lower(), price, last.result.time // 1000, snapshot_id)
    every = market.symbol_price_ticker().execute().result
    prices: dict[str, Decimal] = {t.symbol: t.price for t in every}
    books = market.symbol_order_book_ticker().execute().result
    widest = max(b.ask_price - b.bid_price for b in books)
    print(len(prices), widest)

    orders = ws.trade_api
    placed = (
        orders.new_order()
        .symbol("BTCUSDT")
        .side(Side.BUY)
        .type(OrderType.LIMIT)
        .time_in_force(TimeInForce.GTC)
        .quantity(Decimal("0.010"))
        .price(best_bid - 100)
        .execute()
        .result
    )
    order_id: int = placed.order_id
    print(placed.client_order_id.upper(), placed.status, placed.side, placed.type)
    left: Decimal = placed.orig_qty - placed.executed_qty
    found = orders.query_order().symbol(placed.symbol).order_id(order_id).execute().result
    moved = (
        orders.modify_order()
        .symbol("BTCUSDT")
        .order_id(found.order_id)
        .side(placed.side)
        .quantity(left)
        .price(placed.price + 1)
        .execute()
        .result
    )
    orders.cancel_order().symbol("BTCUSDT").orig_client_order_id(moved.client_order_id).execute()
    algo = (
        orders.new_algo_order()
        .algo_type("CONDITIONAL")
        .symbol("BTCUSDT")
        .side(Side.SELL)
        .type("STOP_MARKET")
        .quantity("0.010")
        .trigger_price(best_bid - 500)
        .execute()
        .result
    )
    gone = orders.cancel_algo_order().algo_id(algo.algo_id).execute().result
    print(gone.client_algo_id, algo.algo_status)
    for position in orders.position_information().execute().result:
        exposure: Decimal = position.position_amt * position.mark_price
        print(position.symbol, position.position_side, exposure, position.unrealized_profit)
    for position2 in orders.position_information_v2().execute().result:
        print(position2.symbol, position2.entry_price)
    return spread


def account(client: BinanceDerivativesTradingUsdsFuturesClient) -> Decimal:
    """Balances and account information, summed without a None check."""
    api = client.websocket_api.account_api
    total = sum((b.balance for b in api.futures_account_balance().execute().result), Decimal(0))
    for b2 in api.futures_account_balance_v2().execute().result:
        print(b2.asset, b2.available_balance)
    info = api.account_information().execute().result
    for asset in info.assets:
        print(asset.asset, asset.wallet_balance + asset.margin_balance)
    for pos in info.positions:
        print(pos.symbol, pos.position_amt.copy_abs())
    v2 = api.account_information_v2().execute().result
    return total + v2.total_wallet_balance + v2.available_balance + len(v2.positions)


def session(client: BinanceDerivativesTradingUsdsFuturesClient) -> int:
    """Log the connection on, look at it, log it off; manage a listenKey by hand."""
    auth = client.websocket_api.auth_api
    on = auth.session_logon().execute().result
    status = auth.session_status().execute().result
    auth.session_logout().execute()
    keys = client.websocket_api.user_data_streams_api
    key: str = keys.start_user_data_stream().execute().result.listen_key
    same: str = keys.keepalive_user_data_stream().execute_async().result(5).result.listen_key
    keys.close_user_data_stream().execute()
    print(len(key) + len(same), on.api_key)
    return status.server_time - status.connected_since


def streams(client: BinanceDerivativesTradingUsdsFuturesClient) -> None:
    """Market streams on /market and /public, the user data stream, a local order book."""
    ws = client.websocket_streams
    trades = ws.market_api.aggregate_trade_streams().symbol("btcusdt").execute()

    def on_trade(t: AggregateTrade) -> None:
        print(t.price * t.quantity, t.trade_time - t.event_time, t.is_buyer_maker)

    trades.on(AggregateTrade, on_trade)
    marks = ws.market_api.mark_price_stream().symbol("btcusdt").execute()
    candles = ws.market_api.kline_candlestick_streams().symbol("btcusdt").interval("1m").execute()
    depth = ws.public_api.diff_book_depth_streams().symbol("btcusdt").execute()
    tops = ws.public_api.individual_symbol_book_ticker_streams().symbol("btcusdt").execute()
    for item in (marks.get(timeout=5), candles.get(timeout=5), depth.get(timeout=5)):
        if isinstance(item, MarkPriceUpdate):
            print(item.mark_price - item.index_price, item.funding_rate, item.next_funding_time)
        elif isinstance(item, KlineUpdate):
            print(item.kline.close - item.kline.open, item.kline.is_closed, item.symbol)
        elif isinstance(item, DepthUpdate):
            print(item.final_update_id - item.previous_final_update_id, len(item.bids))
        elif isinstance(item, StreamGap):
            print("gap", item.reason)
    top = tops.get(timeout=5)
    if isinstance(top, BookTickerUpdate):
        print(top.ask_price - top.bid_price, top.update_id, top.transaction_time)
    for handle in (trades, marks, candles, depth, tops):
        handle.unsubscribe()

    with client.user_data_stream() as stream:
        stream.on(OrderTradeUpdate, lambda e: print(e.order.order_id, e.order.status))
        for event in stream:
            if isinstance(event, OrderTradeUpdate):
                o = event.order
                print(o.symbol, o.side, o.last_filled_price * o.last_filled_quantity, o.trade_id)
                print(o.client_order_id.startswith("autoclose-"), event.transaction_time)
            elif isinstance(event, TradeLite):
                print(event.last_filled_price * event.last_filled_quantity, event.order_id)
            elif isinstance(event, AccountUpdate):
                for balance in event.data.balances:
                    print(balance.asset, balance.wallet_balance - balance.cross_wallet_balance)
                for position in event.data.positions or []:  # a funding fee has none: Optional
                    print(position.symbol, position.position_amount, position.entry_price)
            elif isinstance(event, AlgoUpdate):
                print(event.order.algo_id, event.order.algo_status, event.order.symbol.lower())
            elif isinstance(event, StreamGap):
                print("reconcile from", event.start, "to", event.end)
                break

    book = client.local_order_book("BTCUSDT")
    book.wait_synced(timeout=10)
    bid = book.best_bid()
    if bid is not None:  # a side may be empty: a real case, not an assertion
        print(bid.price * bid.quantity)
    print([level.price for level in book.bids(5)], book.snapshot(levels=10).last_update_id)
    for change in book:
        if isinstance(change, BookUpdate):
            print(change.last_update_id, len(change.bids) + len(change.asks))
        elif isinstance(change, BookResync):
            print(change.reason)
        break
    book.close()


def main() -> None:
    api = ConfigurationWebsocketApi(api_key="...", api_secret="...")
    with BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api, websocket_streams=ConfigurationWebsocketStreams()
    ) as client:
        print(trade(client), account(client), session(client))
        streams(client)
