"""The 20 stream builders: names, routes, models, parameter checks and raw-name routing."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from binance_usdm_ws import (
    AggregateTrade,
    AssetIndexUpdates,
    BookTickerUpdate,
    CompositeIndex,
    ContinuousKlineUpdate,
    ContractInfo,
    ContractType,
    DepthLevels,
    DepthUpdate,
    DepthUpdateSpeed,
    ForceOrder,
    InvalidRequest,
    KlineInterval,
    KlineUpdate,
    MarketApi,
    MarkPriceUpdate,
    MarkPriceUpdates,
    MarkPriceUpdateSpeed,
    MiniTicker,
    MiniTickers,
    PublicApi,
    Route,
    StreamRequest,
    Ticker,
    Tickers,
    Trade,
    TradingSession,
    parse_stream_name,
)

M, P = MarketApi(), PublicApi()

# (builder with its params set, expected stream name, route, model)
CASES: list[tuple[Callable[[], Any], str, Route, type]] = [
    (
        lambda: M.aggregate_trade_streams().symbol("BTCUSDT"),
        "btcusdt@aggTrade",
        Route.MARKET,
        AggregateTrade,
    ),
    (lambda: M.all_market_liquidation_order_streams(), "!forceOrder@arr", Route.MARKET, ForceOrder),
    (lambda: M.all_market_mini_tickers_stream(), "!miniTicker@arr", Route.MARKET, MiniTickers),
    (lambda: M.all_market_tickers_streams(), "!ticker@arr", Route.MARKET, Tickers),
    (lambda: M.asset_index(), "!assetIndex@arr", Route.MARKET, AssetIndexUpdates),
    (
        lambda: M.composite_index_symbol_information_streams().symbol("DEFIUSDT"),
        "defiusdt@compositeIndex",
        Route.MARKET,
        CompositeIndex,
    ),
    (
        lambda: (
            M.continuous_contract_kline_candlestick_streams()
            .pair("BTCUSDT")
            .contract_type(ContractType.PERPETUAL)
            .interval("1m")
        ),
        "btcusdt_perpetual@continuousKline_1m",
        Route.MARKET,
        ContinuousKlineUpdate,
    ),
    (lambda: M.contract_info_stream(), "!contractInfo", Route.MARKET, ContractInfo),
    (
        lambda: M.individual_symbol_mini_ticker_stream().symbol("ETHUSDT"),
        "ethusdt@miniTicker",
        Route.MARKET,
        MiniTicker,
    ),
    (
        lambda: M.individual_symbol_ticker_streams().symbol("ETHUSDT"),
        "ethusdt@ticker",
        Route.MARKET,
        Ticker,
    ),
    (
        lambda: M.kline_candlestick_streams().symbol("BTCUSDT").interval(KlineInterval.INTERVAL_1M),
        "btcusdt@kline_1M",
        Route.MARKET,
        KlineUpdate,
    ),
    (
        lambda: M.liquidation_order_streams().symbol("BTCUSDT"),
        "btcusdt@forceOrder",
        Route.MARKET,
        ForceOrder,
    ),
    (
        lambda: M.mark_price_stream().symbol("BTCUSDT"),
        "btcusdt@markPrice",
        Route.MARKET,
        MarkPriceUpdate,
    ),
    (
        lambda: (
            M.mark_price_stream()
            .symbol("btcusdt")
            .update_speed(MarkPriceUpdateSpeed.UPDATE_SPEED_1s)
        ),
        "btcusdt@markPrice@1s",
        Route.MARKET,
        MarkPriceUpdate,
    ),
    (
        lambda: M.mark_price_stream_for_all_market(),
        "!markPrice@arr",
        Route.MARKET,
        MarkPriceUpdates,
    ),
    (
        lambda: M.mark_price_stream_for_all_market().update_speed("1s"),
        "!markPrice@arr@1s",
        Route.MARKET,
        MarkPriceUpdates,
    ),
    (lambda: M.trading_session_stream(), "tradingSession", Route.MARKET, TradingSession),
    (lambda: P.all_book_tickers_stream(), "!bookTicker", Route.PUBLIC, BookTickerUpdate),
    (
        lambda: P.diff_book_depth_streams().symbol("BTCUSDT"),
        "btcusdt@depth",
        Route.PUBLIC,
        DepthUpdate,
    ),
    (
        lambda: (
            P.diff_book_depth_streams()
            .symbol("BTCUSDT")
            .update_speed(DepthUpdateSpeed.UPDATE_SPEED_100ms)
        ),
        "btcusdt@depth@100ms",
        Route.PUBLIC,
        DepthUpdate,
    ),
    (
        lambda: P.individual_symbol_book_ticker_streams().symbol("BNBUSDT"),
        "bnbusdt@bookTicker",
        Route.PUBLIC,
        BookTickerUpdate,
    ),
    (
        lambda: P.partial_book_depth_streams().symbol("BTCUSDT").levels(5),
        "btcusdt@depth5",
        Route.PUBLIC,
        DepthUpdate,
    ),
    (
        lambda: (
            P.partial_book_depth_streams()
            .symbol("BTCUSDT")
            .levels(DepthLevels.LEVELS_20)
            .update_speed("500ms")
        ),
        "btcusdt@depth20@500ms",
        Route.PUBLIC,
        DepthUpdate,
    ),
    (
        lambda: P.rpi_diff_book_depth_streams().symbol("BTCUSDT"),
        "btcusdt@rpiDepth@500ms",
        Route.PUBLIC,
        DepthUpdate,
    ),
    (lambda: P.trade_streams().symbol("BTCUSDT"), "btcusdt@trade", Route.PUBLIC, Trade),
]


@pytest.mark.parametrize(("build", "name", "route", "model"), CASES, ids=[c[1] for c in CASES])
def test_builder_name_route_and_model(
    build: Callable[[], Any], name: str, route: Route, model: type
):
    """Each builder makes the documented stream name; the name routes back to its route/model."""
    builder = build()
    assert builder.stream_name() == name
    assert (type(builder).route, type(builder).model) == (route, model)
    parsed = parse_stream_name(name)
    assert (parsed.route, parsed.model) == (route, model)


def test_all_twenty_go_builders_exist_with_snake_case_methods():
    """15 on market_api and 5 on public_api, named after the Go methods (plus trade_streams)."""
    go_market = [
        "AggregateTradeStreams", "AllMarketLiquidationOrderStreams", "AllMarketMiniTickersStream",
        "AllMarketTickersStreams", "AssetIndex", "CompositeIndexSymbolInformationStreams",
        "ContinuousContractKlineCandlestickStreams", "ContractInfoStream",
        "IndividualSymbolMiniTickerStream", "IndividualSymbolTickerStreams",
        "KlineCandlestickStreams", "LiquidationOrderStreams", "MarkPriceStream",
        "MarkPriceStreamForAllMarket", "TradingSessionStream",
    ]  # fmt: skip
    go_public = [
        "AllBookTickersStream", "DiffBookDepthStreams", "IndividualSymbolBookTickerStreams",
        "PartialBookDepthStreams", "RpiDiffBookDepthStreams",
    ]  # fmt: skip
    # and one Binance serves live though neither connector has it
    assert sorted(StreamRequest.registry) == sorted(go_market + go_public + ["TradeStreams"])

    def snake(go: str) -> str:
        return "".join("_" + c.lower() if c.isupper() else c for c in go).lstrip("_")

    for service, names, route in ((M, go_market, Route.MARKET), (P, go_public, Route.PUBLIC)):
        for go in names:
            builder = getattr(service, snake(go))()
            assert type(builder).__name__ == go
            assert type(builder).route is route
    assert len({c[1] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("build", "param"),
    [
        (lambda: M.aggregate_trade_streams().symbol(""), "symbol"),
        (lambda: M.aggregate_trade_streams().symbol(123), "symbol"),
        (lambda: M.aggregate_trade_streams().symbol("BTC USDT"), "symbol"),
        (lambda: M.aggregate_trade_streams().symbol("btc@aggTrade"), "symbol"),
        (lambda: M.kline_candlestick_streams().interval("2m"), "interval"),
        (lambda: M.kline_candlestick_streams().interval("1s"), "interval"),  # continuous only
        (
            lambda: M.kline_candlestick_streams().interval(DepthUpdateSpeed.UPDATE_SPEED_100ms),
            "interval",
        ),
        (
            lambda: M.continuous_contract_kline_candlestick_streams().contract_type("weekly"),
            "contract_type",
        ),
        (lambda: M.continuous_contract_kline_candlestick_streams().pair("btc_usdt"), "pair"),
        (lambda: M.mark_price_stream().update_speed("3s"), "update_speed"),
        (lambda: P.diff_book_depth_streams().update_speed("1000ms"), "update_speed"),
        (lambda: P.diff_book_depth_streams().update_speed("250ms"), "update_speed"),
        (lambda: P.partial_book_depth_streams().levels(50), "levels"),
        (lambda: P.partial_book_depth_streams().levels(True), "levels"),
        (lambda: M.aggregate_trade_streams().id(-1), "id"),
        (lambda: M.aggregate_trade_streams().id("e9d6b434"), "id"),
        (lambda: M.aggregate_trade_streams().stream_name(), "symbol"),
        (lambda: M.kline_candlestick_streams().symbol("btcusdt").stream_name(), "interval"),
        (lambda: P.partial_book_depth_streams().symbol("btcusdt").stream_name(), "levels"),
        (lambda: M.aggregate_trade_streams().symbol("btcusdt").execute(), None),  # no client
    ],
)
def test_bad_params_are_refused_naming_the_param(build: Callable[[], Any], param: Any):
    """Anything but the documented values raises InvalidRequest naming the parameter."""
    with pytest.raises(InvalidRequest) as info:
        build()
    assert info.value.param == param


def test_enum_members_and_strings_give_the_same_name():
    """A member gives its wire value, never ``KlineInterval.INTERVAL_1m``; case is handled."""
    a = M.kline_candlestick_streams().symbol("BTCUSDT").interval(KlineInterval.INTERVAL_1m)
    b = M.kline_candlestick_streams().symbol("btcusdt").interval("1m")
    assert a.stream_name() == b.stream_name() == "btcusdt@kline_1m"
    c = M.continuous_contract_kline_candlestick_streams().pair("BTCUSDT").interval("1s")
    assert c.contract_type("PERPETUAL").stream_name() == "btcusdt_perpetual@continuousKline_1s"
    assert P.partial_book_depth_streams().symbol("x").levels("10").stream_name() == "x@depth10"
    assert M.aggregate_trade_streams().symbol("btcusdt_250328").stream_name() == (
        "btcusdt_250328@aggTrade"
    )


@pytest.mark.parametrize(
    "name",
    [
        "BTCUSDT@aggTrade",  # upper case: Binance would ack and send nothing
        "btcusdt@depth@1000ms",
        "btcusdt@depth@250ms",
        "btcusdt@kline_KlineInterval.INTERVAL_1m",
        "btcusdt@aggtrade",
        "btcusdt@markPrice@3s",
        "btcusdt@depth15",
        "btcusdt@rpiDepth",
        "btcusdt@Trade",
        "btcusdt",
        "",
        "btcusdt@aggTrade ",
        "BTCUSDT_perpetual@continuousKline_1m",
    ],
)
def test_raw_names_that_cannot_be_routed_are_refused(name: str):
    """A malformed or unknown raw name raises before anything could be sent."""
    with pytest.raises(InvalidRequest) as info:
        parse_stream_name(name)
    assert info.value.param == "streams"


def test_upper_case_symbol_gets_a_hint():
    with pytest.raises(InvalidRequest, match="btcusdt@aggTrade"):
        parse_stream_name("BTCUSDT@aggTrade")


@pytest.mark.parametrize(
    ("name", "route"),
    [
        ("btcusdt@bookTicker", Route.PUBLIC),
        ("!bookTicker", Route.PUBLIC),
        ("btcusdt@depth20@100ms", Route.PUBLIC),
        ("btcusdt@markPrice@1s", Route.MARKET),
        ("!markPrice@arr@1s", Route.MARKET),
        ("ethusdt_next_quarter@continuousKline_4h", Route.MARKET),
        ("btcusd@assetIndex", Route.MARKET),  # documented, no Go builder
    ],
)
def test_raw_names_route_by_name(name: str, route: Route):
    assert parse_stream_name(name).route is route


def test_builder_docstring_is_generated_from_the_declaration():
    from binance_usdm_ws import PartialBookDepthStreams

    doc = PartialBookDepthStreams.__doc__ or ""
    assert "``<symbol>@depth<levels>@<updateSpeed>`` on ``/public``" in doc
    assert "levels (5 | 10 | 20, required)" in doc
