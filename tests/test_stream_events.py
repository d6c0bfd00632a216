"""Typed market stream events: every sample decodes, exactly, with ``.raw`` kept."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from binance_usdm_ws import (
    AggregateTrade,
    AssetIndexUpdates,
    BookTickerUpdate,
    CompositeIndex,
    ContinuousKlineUpdate,
    ContractInfo,
    DepthUpdate,
    ForceOrder,
    KlineUpdate,
    MarkPriceUpdate,
    MarkPriceUpdates,
    MiniTicker,
    MiniTickers,
    OrderStatus,
    PriceLevel,
    Side,
    Ticker,
    Tickers,
    TradingSession,
    UnknownEvent,
    decode_market_event,
    parse_stream_name,
)
from binance_usdm_ws._core._converter import REQUIRED, converter, wire_key
from binance_usdm_ws._core._fast import fast_decoder as _fast
from binance_usdm_ws.websocket_streams.market._market_wide_models import GO_MODELS

DATA = Path(__file__).parent / "data"


def sample(name: str) -> Any:
    return json.loads((DATA / f"stream.{name}.connector-fixture.json").read_text())


# sample file, a stream name that carries it, the model
SAMPLES = [
    ("aggTrade", "bnbusdt@aggTrade", AggregateTrade),
    ("assetIndex-arr", "!assetIndex@arr", AssetIndexUpdates),
    ("bookTicker", "bnbusdt@bookTicker", BookTickerUpdate),
    ("compositeIndex", "defiusdt@compositeIndex", CompositeIndex),
    ("continuousKline", "btcusdt_perpetual@continuousKline_1m", ContinuousKlineUpdate),
    ("contractInfo", "!contractInfo", ContractInfo),
    ("depth-diff", "bnbusdt@depth@100ms", DepthUpdate),
    ("forceOrder-arr", "!forceOrder@arr", ForceOrder),
    ("forceOrder", "btcusdt@forceOrder", ForceOrder),
    ("kline", "btcusdt@kline_1m", KlineUpdate),
    ("markPrice-arr", "!markPrice@arr@1s", MarkPriceUpdates),
    ("markPrice", "btcusdt@markPrice", MarkPriceUpdate),
    ("miniTicker", "bnbusdt@miniTicker", MiniTicker),
    ("ticker", "bnbusdt@ticker", Ticker),
    ("tradingSession", "tradingSession", TradingSession),
]


def unmodelled(obj: Any, payload: Any) -> list[str]:
    """Wire keys of ``payload`` that no field of ``obj`` declares (recursively)."""
    if isinstance(payload, list):
        if not isinstance(obj, list):
            return []  # a [price, quantity] pair decoded into a PriceLevel
        return [k for o, p in zip(obj, payload) for k in unmodelled(o, p)]
    if not attrs.has(type(obj)) or not isinstance(payload, dict):
        return []
    fields = {wire_key(a): a.name for a in attrs.fields(type(obj)) if a.name != "raw"}
    missing = [k for k in payload if k not in fields]
    for key, name in fields.items():
        if key in payload:
            missing += unmodelled(getattr(obj, name), payload[key])
    return missing


@pytest.mark.parametrize(("file", "stream", "model"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_every_sample_decodes_by_stream_and_by_event_type(file: str, stream: str, model: type):
    payload = sample(file)
    by_stream = decode_market_event(payload, parse_stream_name(stream).model)
    by_e = decode_market_event(payload)  # no stream known: dispatch on ``e``
    enveloped = decode_market_event({"stream": stream, "data": payload}, model)
    assert type(by_stream) is model
    assert by_stream == by_e == enveloped
    assert by_stream.raw is payload
    items = getattr(by_stream, "items", [by_stream])
    elements = payload if isinstance(payload, list) else [payload]
    assert [i.raw for i in items] == elements
    # Every key of the sample is modelled (the kline's documented "ignore" B aside).
    assert [k for k in unmodelled(items, elements) if k != "B" or "kline" not in file.lower()] == []


def by_hook(payload: dict[str, Any], model: type) -> Any:
    """What the converter's own generated hook makes of a payload."""
    return converter.get_structure_hook(model)(payload, model)


@pytest.mark.parametrize(("file", "stream", "model"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_the_generated_decoder_agrees_with_the_converter(file: str, stream: str, model: type):
    """The fast decoder of each flat model gives what the converter gives, field by field."""
    payload = sample(file)
    for element in payload if isinstance(payload, list) else [payload]:
        cls = type(decode_market_event(element))
        fast = _fast(cls)
        assert fast is not None, f"{cls.__name__} is decoded by the slow path only"
        event = fast(element)
        expected = by_hook(element, cls)
        assert event == expected and event.raw is element and event.decode_problems == ()
        assert [getattr(event, a.name) for a in attrs.fields(cls) if a.name != "raw"] == [
            getattr(expected, a.name) for a in attrs.fields(cls) if a.name != "raw"
        ]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"u": "12", "ps": ""}, {"update_id": 12, "pair": ""}),
        (
            {"b": 7, "B": 0.1, "s": 5},
            {"bid_price": Decimal(7), "bid_quantity": Decimal("0.1"), "symbol": "5"},
        ),
        ({"T": "17", "st": "None"}, {"transaction_time": 17, "st": None}),
        ({"st": None}, {"st": None}),
    ],
)
def test_values_off_the_usual_type_take_the_converters_way(payload: Any, expected: Any):
    """Placeholders (in optional fields), numbers as text and text as numbers decode as the
    converter rules say."""
    payload = {**sample("bookTicker"), **payload}
    event = decode_market_event(payload, BookTickerUpdate)
    assert event == by_hook(payload, BookTickerUpdate) and event.raw is payload
    assert {name: getattr(event, name) for name in expected} == expected


@pytest.mark.parametrize("odd", [{"b": ""}, {"a": "null"}, {"u": None}, {"E": "soon"}])
def test_a_required_field_that_does_not_fit_arrives_raw_never_none(odd: Any):
    """A field the model says is always there (a best bid, an update id, the event time) that
    is missing or does not fit: the event arrives as an UnknownEvent, raw and problems."""
    payload = {**sample("bookTicker"), **odd}
    event = decode_market_event(payload, BookTickerUpdate)
    assert isinstance(event, UnknownEvent) and event.raw is payload
    assert event.event_type == "bookTicker" and event.decode_problems[-1].endswith(REQUIRED)
    missing = {k: v for k, v in sample("bookTicker").items() if k != "b"}
    gone = decode_market_event(missing, BookTickerUpdate)
    assert isinstance(gone, UnknownEvent) and gone.decode_problems == (f"$.bid_price: {REQUIRED}",)


def test_values_are_exact_and_readable():
    trade = decode_market_event(sample("aggTrade"), AggregateTrade)
    assert trade.price == Decimal("0.001") and trade.quantity == Decimal("100")
    assert (trade.symbol, trade.aggregate_trade_id, trade.is_buyer_maker) == (
        "BNBUSDT",
        5933014,
        True,
    )
    assert trade.normal_quantity == Decimal("100") and trade.st == 1
    depth = decode_market_event(sample("depth-diff"), DepthUpdate)
    assert (depth.first_update_id, depth.final_update_id, depth.previous_final_update_id) == (
        157,
        160,
        149,
    )
    assert depth.bids == [PriceLevel(price=Decimal("0.0024"), quantity=Decimal("10"))]
    assert depth.asks == [PriceLevel(price=Decimal("0.0026"), quantity=Decimal("100"))]
    kline = decode_market_event(sample("kline"), KlineUpdate).kline
    assert kline.is_closed is False and kline.close == Decimal("0.0020") and kline.interval == "1m"
    force = decode_market_event(sample("forceOrder"), ForceOrder).order
    assert force.side is Side.SELL and force.status is OrderStatus.FILLED
    info = decode_market_event(sample("contractInfo"), ContractInfo)
    assert info.brackets[0].maintenance_ratio == Decimal("0.01")  # a JSON float, kept exact
    marks = decode_market_event(sample("markPrice-arr"))
    assert isinstance(marks, MarkPriceUpdates)
    assert marks.items[0].funding_rate == Decimal("0.00030000")


def test_array_streams_yield_one_item_per_frame():
    tickers = decode_market_event([sample("ticker"), sample("ticker")], Tickers)
    assert isinstance(tickers, Tickers) and len(tickers.items) == 2
    minis = decode_market_event([sample("miniTicker")])
    assert isinstance(minis, MiniTickers) and minis.items[0].close == Decimal("0.0025")


@pytest.mark.parametrize(
    "payload",
    [{"e": "somethingNew", "E": 5, "x": 1}, {"no": "e"}, [1, 2], [{"e": "new"}], "text", 3],
)
def test_unknown_payloads_arrive_raw(payload: Any):
    event = decode_market_event(payload)
    assert isinstance(event, UnknownEvent)
    assert payload in (event.raw, event.raw.get("items"), event.raw.get("data"))


def test_a_field_that_does_not_fit_is_none_and_said_not_a_lost_event():
    """The rule of replies and user data events: the event arrives typed, the odd optional
    field is ``None`` and listed in ``decode_problems``, ``raw`` keeps the value; an odd
    required field (the price) makes it arrive raw, never with a None its type denies."""
    payload = {**sample("aggTrade"), "nq": "not a number"}
    event = decode_market_event(payload)
    assert isinstance(event, AggregateTrade) and event.symbol == "BNBUSDT"
    assert event.normal_quantity is None and event.quantity == Decimal("100")
    assert event.decode_problems == ("$.normal_quantity: expected Decimal, got str",)
    assert event.raw is payload
    odd_price = {**payload, "p": "not a number"}
    unknown = decode_market_event(odd_price)
    assert isinstance(unknown, UnknownEvent) and unknown.raw is odd_price
    assert unknown.decode_problems == (
        "$.price: expected Decimal, got str",
        f"$.price: {REQUIRED}",
        "$.normal_quantity: expected Decimal, got str",
    )


def test_an_array_frame_with_an_element_that_cannot_be_typed_arrives_raw():
    """Items of a known array stream that are not objects, or lack a required field: the
    frame arrives as an UnknownEvent (its ``items`` model would be wrong), problems indexed."""
    frame = decode_market_event([1, 2], model=MarkPriceUpdates)
    assert isinstance(frame, UnknownEvent) and frame.raw == {"items": [1, 2]}
    assert frame.decode_problems == (
        "$[0]: expected MarkPriceUpdate, got int",
        "$[1]: expected MarkPriceUpdate, got int",
    )
    good = sample("markPrice")
    bad = {k: v for k, v in good.items() if k != "p"}
    frame = decode_market_event([good, bad], model=MarkPriceUpdates)
    assert isinstance(frame, UnknownEvent) and frame.raw == {"items": [good, bad]}
    assert frame.decode_problems == (f"$[1].mark_price: {REQUIRED}",)
    assert isinstance(decode_market_event([good, good], model=MarkPriceUpdates), MarkPriceUpdates)


def test_every_model_names_its_go_model():
    models = {s[2] for s in SAMPLES} | {Tickers, MiniTickers}
    assert models == set(GO_MODELS)
    assert sum(len(v) for v in GO_MODELS.values()) == 20  # one per Go builder


def test_docs_table_lists_every_model():
    text = (Path(__file__).parents[1] / "docs" / "websocket_streams.md").read_text()
    for model, go in GO_MODELS.items():
        for name in go:
            assert f"`{model.__name__}` | `{name}`" in text


BUILDERS_BEGIN, BUILDERS_END = "<!-- stream builders: begin -->", "<!-- stream builders: end -->"


def render_builders() -> str:
    """The table of the 20 stream builders, from their declarations."""
    from binance_usdm_ws import MarketApi, PublicApi

    rows = [
        "| Service | Builder method | Builder class (Go method) | Stream name | Route | Item "
        "| Cadence |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for service, cls in (("market_api", MarketApi), ("public_api", PublicApi)):
        for name in sorted(n for n in dir(cls) if not n.startswith("_")):
            b = type(getattr(cls(), name)())
            rows.append(
                f"| `{service}` | `{name}()` | `{b.__name__}` | `{b.method}` "
                f"| `/{b.route.value}` | `{b.model.__name__}` "
                f"| {'event-driven' if b.cadence is None else b.cadence.text()} |"
            )
    return "\n".join(rows)


def test_docs_builders_table_is_current():
    text = (Path(__file__).parents[1] / "docs" / "websocket_streams.md").read_text()
    table = text.split(BUILDERS_BEGIN, 1)[1].split(BUILDERS_END, 1)[0].strip()
    assert table == render_builders(), "stale: paste tests.test_stream_events.render_builders()"
