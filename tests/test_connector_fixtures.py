"""The official connectors' own replies decode through ``.typed``, and nothing is lost.

``tests/data/connector-fixtures`` holds one successful reply per method from the unit tests of
the Go and the Python connectors (see its README). Each is decoded from a ``Response`` built on
it, and replayed over a real socket: the local exchange swallows the request and the test sends
the fixture back as its reply.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import attrs
import pytest

from binance_usdm_ws import OrderType, Side
from binance_usdm_ws.errors import DecodeError
from binance_usdm_ws.websocket_api._requests import Request, Response, Transport

FIXTURES = Path(__file__).parent / "data" / "connector-fixtures"
FILES = sorted(FIXTURES.glob("*/*.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def method_of(path: Path) -> str:
    return path.stem.replace("v2_", "v2/")


# The smallest valid call of each method (the exchange swallows it: only the reply matters).
CALLS: dict[str, Callable[[Any], Any]] = {
    "account.balance": lambda b: b,
    "account.position": lambda b: b,
    "account.status": lambda b: b,
    "v2/account.balance": lambda b: b,
    "v2/account.position": lambda b: b,
    "v2/account.status": lambda b: b,
    "algoOrder.cancel": lambda b: b.algo_id(1),
    "algoOrder.place": lambda b: (
        b.algo_type("CONDITIONAL").symbol("BTCUSDT").side(Side.SELL).type("TAKE_PROFIT")
    ),
    "depth": lambda b: b.symbol("BTCUSDT"),
    "order.cancel": lambda b: b.symbol("BTCUSDT").order_id(1),
    "order.modify": lambda b: (
        b.symbol("BTCUSDT").order_id(1).side(Side.BUY).quantity("0.01").price("100")
    ),
    "order.place": lambda b: (
        b.symbol("BTCUSDT").side(Side.BUY).type(OrderType.MARKET).quantity("0.01")
    ),
    "order.status": lambda b: b.symbol("BTCUSDT").order_id(1),
    "ticker.book": lambda b: b.symbol("BTCUSDT"),
    "ticker.price": lambda b: b.symbol("BTCUSDT"),
    "userDataStream.start": lambda b: b,
    "userDataStream.ping": lambda b: b,
    "userDataStream.stop": lambda b: b,
}


def result_type(method: str) -> Any:
    return CALLS[method](Request.registry[method](Transport())).result_type()


def test_there_is_a_fixture_of_each_method_from_each_connector():
    """Both connectors' fixtures cover every WS API method of this package except session.*."""
    wanted = {m for m in Request.registry if not m.startswith("session.")}
    assert set(CALLS) == wanted
    for connector in ("go", "python"):
        assert {method_of(p) for p in FILES if p.parent.name == connector} == wanted


def _fields_set(model: Any) -> int:
    """How many leaf values of a decoded model are not None (to see that nothing is empty)."""
    if isinstance(model, list):
        return sum(_fields_set(item) for item in model)
    if attrs.has(type(model)):
        return sum(_fields_set(getattr(model, a.name)) for a in attrs.fields(type(model)))
    return 0 if model is None else 1


def _leaf_count(value: Any) -> int:
    if isinstance(value, list):
        return sum(_leaf_count(item) for item in value)
    if isinstance(value, dict):
        return sum(_leaf_count(item) for item in value.values())
    return 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}:{p.stem}")
def test_fixture_decodes_without_a_problem(path, caplog):
    """Every fixture decodes through ``.typed``: no exception, no problem, no value lost."""
    raw = load(path)
    method = method_of(path)
    resp: Response[Any] = Response(raw, result_type(method))
    typed = resp.typed
    assert resp.decode_problems == ()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert typed.status == 200 and typed.id == raw["id"]
    assert [(r.interval_num, r.limit, r.count) for r in typed.rate_limits or []] == [
        (r["intervalNum"], r["limit"], r["count"]) for r in raw.get("rateLimits", [])
    ]
    # Every leaf of the reply's result (and of what the connectors put beside it) is in the
    # model: a price level counts as its two values, ``icebergQuantity`` placeholder as None.
    beside = {k: v for k, v in raw.items() if k not in ("id", "status", "result", "rateLimits")}
    sent = _leaf_count(raw["result"]) + _leaf_count(beside)
    placeholders = 1 if method == "algoOrder.place" else 0
    assert _fields_set(typed.result) == sent - placeholders


@pytest.mark.parametrize("connector", ["go", "python"])
def test_algo_order_place_placeholder_is_none(connector):
    """``"icebergQuantity": "null"`` (Go) / ``"None"`` (Python) is absent, not an error."""
    raw = load(FIXTURES / connector / "algoOrder.place.json")
    assert raw["result"]["icebergQuantity"] in ("null", "None")
    resp: Response[Any] = Response(raw, result_type("algoOrder.place"))
    order = resp.typed.result
    assert order.iceberg_quantity is None and order.algo_id == 3000000000003505
    assert order.trigger_price == Decimal("120000.00") and order.price == Decimal("160000.00")


@pytest.mark.parametrize("connector", ["go", "python"])
def test_depth_levels_beside_result_are_read(connector):
    """The connectors put ``bids``/``asks`` beside ``result``: the book still has its levels."""
    raw = load(FIXTURES / connector / "depth.json")
    assert "bids" not in raw["result"] and raw["bids"]
    book = Response(raw, result_type("depth")).typed.result
    assert [(lv.price, lv.quantity) for lv in book.bids] == [
        (Decimal("4.00000000"), Decimal("431.00000000"))
    ]
    assert [(lv.price, lv.quantity) for lv in book.asks] == [
        (Decimal("4.00000200"), Decimal("12.00000000"))
    ]
    assert book.last_update_id == 1027024 and book.message_output_time == 1589436922972


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}:{p.stem}")
def test_fixture_decodes_after_a_real_round_trip(exchange, make_client, path):
    """Sent over the socket as the reply to a real request, the fixture decodes the same way."""
    raw = load(path)
    method = method_of(path)
    client = make_client()
    exchange.faults.never_reply(method)  # the request arrives; the fixture is its reply
    request = CALLS[method](Request.registry[method](client.websocket_api)).id("fixture-1")
    future = request.execute_async()
    exchange.wait_for(lambda: any(r.id == "fixture-1" for r in exchange.requests))
    exchange.faults.send_raw(json.dumps(dict(raw, id="fixture-1")))
    resp = future.result(5)
    assert resp.decode_problems == ()
    expected = Response(raw, result_type(method)).typed
    assert resp.typed.result == expected.result and resp.typed.id == "fixture-1"
    assert resp.raw == dict(raw, id="fixture-1")


def test_shape_of_the_docs_page_and_of_the_connectors_decode_alike():
    """``depth`` with the levels inside ``result`` (docs) or beside it (connectors): one book."""
    raw = load(FIXTURES / "go" / "depth.json")
    docs_shape = {
        "id": raw["id"],
        "status": 200,
        "result": {**raw["result"], "bids": raw["bids"], "asks": raw["asks"]},
    }
    a = Response(raw, result_type("depth")).typed.result
    b = Response(docs_shape, result_type("depth")).typed.result
    assert a == b and a.bids


def test_wrong_shape_still_raises_and_raw_stays_readable():
    """A result that is not an object where one is expected raises; ``raw`` is untouched."""
    raw = load(FIXTURES / "go" / "order.place.json")
    bad = dict(raw, result="oops")
    resp: Response[Any] = Response(bad, result_type("order.place"))
    with pytest.raises(DecodeError) as info:
        _ = resp.typed
    assert "expected an object" in str(info.value)
    assert resp.raw["result"] == "oops" and resp.raw["id"] == "123"
