"""Frames captured from the live Binance exchange (``tests/data/live``; sources: its README).

Every frame decodes typed with no decode problem, through the generated fast decoder and through
the converter alike; every decimal is exact (each numeric string of the frame equals, digit for
digit, the ``Decimal`` of its model field); every key of the frame is a model field (nothing a live
frame carries is left only in ``.raw``); and each frame survives a real socket round trip: pushed
raw by the local exchange on its stream, read typed through a handle.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs
import pytest

from binance_usdm_ws import (
    OrderTradeUpdate,
    PriceLevel,
    Trade,
    decode_event,
    decode_market_event,
    parse_stream_name,
)
from binance_usdm_ws._core._converter import converter, wire_key
from binance_usdm_ws._core._fast import fast_decoder
from binance_usdm_ws.testing import LocalExchange
from binance_usdm_ws.websocket_streams.market._decode import EVENT_MODELS
from binance_usdm_ws.websocket_streams.user_data._decode import EVENT_TYPES

from .test_fast_decode import exact
from .test_streams import stream_client, take
from .test_websocket_streams import streams  # noqa: F401 - the fixture

LIVE = Path(__file__).parent / "data" / "live"
FILES = sorted(LIVE.glob("*.json"))
#: Keys the models leave to ``.raw`` on purpose: documented as "ignore" by Binance.
IGNORED = {("ORDER_TRADE_UPDATE", "si"), ("ORDER_TRADE_UPDATE", "ss"), ("kline", "B")}
IGNORED |= {("continuous_kline", "B")}


def frame_of(path: Path) -> tuple[Any, dict[str, Any]]:
    """The stream name (when the frame came in a combined envelope) and the payload."""
    frame = json.loads(path.read_text())
    if "stream" in frame and "data" in frame:
        return frame["stream"], frame["data"]
    return None, frame


def is_user(payload: dict[str, Any]) -> bool:
    return payload["e"] in EVENT_TYPES


def model_of(payload: dict[str, Any]) -> type:
    return EVENT_TYPES[payload["e"]] if is_user(payload) else EVENT_MODELS[payload["e"]]


def numeric(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def walk(obj: Any, payload: Any, where: str, out: dict[str, list[str]]) -> None:
    """Compare ``payload`` with the model ``obj`` key by key (recursively)."""
    if isinstance(payload, list):
        assert isinstance(obj, list) and len(obj) == len(payload), where
        for i, (o, p) in enumerate(zip(obj, payload)):
            if isinstance(o, PriceLevel):  # ["price", "quantity"]
                for value, text in ((o.price, p[0]), (o.quantity, p[1])):
                    assert value == Decimal(text), f"{where}[{i}]"
                    assert value.as_tuple() == Decimal(text).as_tuple(), f"{where}[{i}]"
                    out["decimals"].append(f"{where}[{i}]")
            else:
                walk(o, p, f"{where}[{i}]", out)
        return
    assert attrs.has(type(obj)) and isinstance(payload, dict), where
    fields = {wire_key(a): a for a in attrs.fields(type(obj)) if a.name not in ("raw",)}
    out["unmodelled"] += [f"{where}.{k}" for k in payload if k not in fields]
    for key, a in fields.items():
        if key not in payload:
            continue
        raw, value = payload[key], getattr(obj, a.name)
        path = f"{where}.{key}"
        assert value is not None or raw is None, f"{path}: {raw!r} decoded to None"
        if isinstance(raw, (dict, list)):
            walk(value, raw, path, out)
        elif isinstance(value, Decimal):
            assert isinstance(raw, str) and value == Decimal(raw), path
            assert value.as_tuple() == Decimal(raw).as_tuple(), f"{path}: {raw} vs {value}"
            out["decimals"].append(path)
        elif isinstance(raw, str) and numeric(raw) and not isinstance(value, str):
            # an integer sent as text (listenKeyExpired's ``E``): the same number, exactly
            assert type(value) is int and str(value) == raw, f"{path}: {raw!r} became {value!r}"


def check(event: Any, payload: dict[str, Any]) -> dict[str, list[str]]:
    assert type(event) is model_of(payload)
    assert event.decode_problems == (), event.decode_problems
    assert event.raw == payload
    out: dict[str, list[str]] = {"decimals": [], "unmodelled": []}
    walk(event, payload, "$", out)
    e = payload["e"]
    left = [p for p in out["unmodelled"] if (e, p.rsplit(".", 1)[-1]) not in IGNORED]
    assert left == [], f"keys left only in .raw: {left}"
    return out


def test_there_are_live_frames_of_every_kind_the_readme_lists():
    text = (LIVE.parent / "README.md").read_text()
    assert len(FILES) >= 25
    for path in FILES:
        assert f"`live/{path.name}`" in text, f"{path.name} has no source in tests/data/README.md"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_a_live_frame_decodes_typed_and_exact_by_every_path(path: Path):
    stream, payload = frame_of(path)
    cls = model_of(payload)
    hook = converter.get_structure_hook(cls)
    by_converter = hook(payload, cls)
    object.__setattr__(by_converter, "raw", payload)
    if is_user(payload):
        decoded = decode_event(payload)
    else:
        decoded = decode_market_event(payload)
        if stream is not None and stream != "btcusdt@depth@0ms":  # an internal stream name
            assert decode_market_event(payload, parse_stream_name(stream).model) == decoded
        fast = fast_decoder(cls)
        if fast is not None:  # the generated decoder takes every live frame, and agrees
            got = fast(payload)
            assert exact(got) == exact(by_converter) and got.raw is payload
    assert exact(decoded) == exact(by_converter)
    out = check(decoded, payload)
    assert out["decimals"] or payload["e"] == "listenKeyExpired", "a live frame with no decimal?"


def test_the_live_placeholder_trade_says_so():
    placeholders = []
    for path in FILES:
        _, payload = frame_of(path)
        if payload["e"] == "trade":
            trade = decode_market_event(payload)
            assert isinstance(trade, Trade)
            if trade.is_placeholder:
                placeholders.append(trade)
            else:
                assert trade.price > 0 and trade.quantity > 0
    assert [(t.trade_type, t.price, t.quantity) for t in placeholders] == [("NA", 0, 0)]


def stream_name(stream: Any, payload: dict[str, Any]) -> str:
    """The stream a live frame arrives on (the envelope's, or the one its payload belongs to)."""
    if stream is not None and stream != "btcusdt@depth@0ms":
        return str(stream)
    e = payload["e"]
    s = str(payload.get("s", "")).lower()
    if e == "depthUpdate":
        return f"{s}@depth@100ms"
    if e == "kline":
        return f"{s}@kline_{payload['k']['i']}"
    if e == "continuous_kline":
        ct = payload["ct"].lower()
        return f"{payload['ps'].lower()}_{ct}@continuousKline_{payload['k']['i']}"
    if e == "forceOrder":
        return f"{payload['o']['s'].lower()}@forceOrder"
    suffix = {
        "trade": "trade", "aggTrade": "aggTrade", "markPriceUpdate": "markPrice@1s",
        "24hrMiniTicker": "miniTicker", "24hrTicker": "ticker", "bookTicker": "bookTicker",
    }[e]  # fmt: skip
    return f"{s}@{suffix}"


def test_every_live_market_frame_survives_a_socket_round_trip(exchange: LocalExchange, streams):  # noqa: F811
    """Pushed raw by the local exchange on its stream, each frame is read typed and exact."""
    frames = [frame_of(p) for p in FILES]
    market = [(stream_name(s, p), p) for s, p in frames if not is_user(p)]
    names = sorted({name for name, _ in market})
    handle = streams().subscribe(names)
    for name, payload in market:
        assert exchange.publish(name, payload) == 1, name
    wanted = [json.dumps(p, sort_keys=True) for _, p in market]
    got: dict[str, Any] = {}
    for _ in range(2000):  # the local market publishes on some of these streams too
        if len(got) == len(set(wanted)):
            break
        item = handle.get(timeout=10)
        assert item is not None, f"missing: {set(wanted) - set(got)}"
        key = json.dumps(item.raw, sort_keys=True)
        if key in wanted:
            got[key] = item
    for _, payload in market:
        check(got[json.dumps(payload, sort_keys=True)], payload)


@pytest.fixture
def ex():
    with LocalExchange(quiet=True) as exchange:
        yield exchange


def test_every_live_user_data_frame_survives_a_socket_round_trip(ex):
    # listenKeyExpired last: the stream answers it by replacing its key
    user = sorted(
        (p for _, p in map(frame_of, FILES) if is_user(p)),
        key=lambda p: p["e"] == "listenKeyExpired",
    )
    assert {p["e"] for p in user} >= {"ACCOUNT_UPDATE", "ORDER_TRADE_UPDATE", "ALGO_UPDATE"}
    with stream_client(ex) as client, client.user_data_stream() as stream:
        ex.wait_for(lambda: ex.stream_connection_count == 1)
        for payload in user:
            ex.push_event(payload)
        for payload in user:
            event = take(stream)
            while not hasattr(event, "raw") or event.raw != payload:  # a gap item, if any
                event = take(stream)
            check(event, payload)
            if isinstance(event, OrderTradeUpdate):
                assert event.order.symbol == payload["o"]["s"]
