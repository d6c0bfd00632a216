"""Unknown order outcomes, resolved: every case injected by the local exchange over real sockets.

Each test makes the exchange lose the outcome of one order request in a real way (reply
swallowed, connection aborted, 5xx / -1006 / -1007 reply; with or without executing it), then
checks that resolution reports exactly what the exchange did, and that the SDK never sent the
order twice.
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from binance_usdm_ws import (
    BadRequest,
    ConnectionClosed,
    ExecutionStatusUnknown,
    InvalidRequest,
    NotExecuted,
    OrderNotPlaced,
    OrderResult,
    OrderStatus,
    OrderType,
    OutcomeUnknown,
    RequestTimeout,
    Side,
)
from binance_usdm_ws.websocket_api._api._common import CLIENT_ID

#: Fast settings: short reply timeout, a short recvWindow so "not found" becomes final soon.
FAST = dict(timeout=0.5, recv_window=300, reconnect_delay=0.02, resolve_timeout=10.0)


def limit_buy(api: Any, price: str = "59000.00") -> Any:
    """A BUY LIMIT far below the market (it rests), without a client order id."""
    return (
        api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side("BUY")
        .type("LIMIT")
        .time_in_force("GTC")
        .quantity("0.010")
        .price(price)
    )


def order_place_count(exchange: Any) -> int:
    return sum(1 for r in exchange.requests if r.method == "order.place")


# ------------------------------------------------------------------------ client order ids


def test_every_order_carries_a_client_order_id(exchange, api):
    """The SDK makes one when the user sets none: valid, unique; the user's own is kept."""
    ids = [limit_buy(api).execute().result.client_order_id for _ in range(5)]
    assert len(set(ids)) == 5
    assert all(re.fullmatch(CLIENT_ID, i) for i in ids)
    mine = limit_buy(api).new_client_order_id("mine-1").execute().result
    assert mine.client_order_id == "mine-1"
    assert exchange.client_order_ids() == [*ids, "mine-1"]
    algo = (
        api.trade_api.new_algo_order()
        .algo_type("CONDITIONAL")
        .symbol("BTCUSDT")
        .side("SELL")
        .type("STOP_MARKET")
        .quantity("0.010")
        .trigger_price("50000")
        .execute()
        .result
    )
    assert re.fullmatch(CLIENT_ID, algo.client_algo_id) and algo.client_algo_id not in ids


def test_generated_ids_differ_across_processes():
    """Two runs of the program (a restart) never make the same id: random part, start time."""
    code = "from binance_usdm_ws._core._protocol import new_client_order_id as n; print(n(), n())"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    ids = [i for run in runs for i in run.stdout.split()]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert all(re.fullmatch(CLIENT_ID, i) and len(i) <= 36 for i in ids)
    assert ids[0].split("-")[0] != ids[2].split("-")[0]  # per-process random part


# -------------------------------------------------------------------------- order.place


@pytest.mark.parametrize(
    "then, code",
    [("no_reply", None), ("drop", None), ("error", -1007), ("error", -1006), ("error", -1000)],
)
def test_placed_order_with_lost_outcome_is_returned_resolved(exchange, make_client, then, code):
    """The order was placed, the reply lost (timeout, drop, 5xx, -1006, -1007): it is found."""
    api = make_client(**FAST).websocket_api
    status = 500 if code == -1000 else 503
    exchange.faults.unknown_outcome(
        "order.place", executed=True, then=then, status=status, code=code or -1007
    )
    resp = limit_buy(api).execute(resolve_outcome=True)
    assert resp.resolved is True
    expected = {
        "no_reply": RequestTimeout,
        "drop": ConnectionClosed,
        "error": ExecutionStatusUnknown,
    }
    assert isinstance(resp.resolved_from, expected[then])
    assert resp.resolved_from.outcome_unknown
    order = resp.result
    assert isinstance(order, OrderResult) and order.status is OrderStatus.NEW
    assert order.client_order_id == resp.resolved_from.params["newClientOrderId"]
    assert order.price == Decimal("59000.00")
    assert exchange.client_order_ids() == [order.client_order_id]
    assert order_place_count(exchange) == 1  # never sent twice


@pytest.mark.parametrize(
    "then, status, code",
    [("drop", 0, 0), ("no_reply", 0, 0), ("error", 503, -1007), ("error", 502, -1006)],
)
def test_order_that_never_reached_the_book_raises_order_not_placed(
    exchange, make_client, then, status, code
):
    """Cut before the book, or a 5xx without placing: OrderNotPlaced, and nothing is there."""
    api = make_client(**FAST).websocket_api
    exchange.faults.unknown_outcome(
        "order.place", executed=False, then=then, status=status or 503, code=code or -1007
    )
    with pytest.raises(OrderNotPlaced) as info:
        limit_buy(api).execute(resolve_outcome=True)
    err = info.value
    assert err.outcome_unknown is False and err.order is None
    assert err.original is not None and err.original.outcome_unknown
    assert err.params["newClientOrderId"] == err.original.params["newClientOrderId"]
    assert exchange.client_order_ids() == []
    assert order_place_count(exchange) == 1
    # Placing again is now safe, and works.
    assert limit_buy(api).execute().result.status is OrderStatus.NEW


def test_default_is_off_and_resolve_finds_out_later(exchange, make_client):
    """By default the original error is raised; ``exc.resolve()`` resolves it afterwards."""
    api = make_client(**FAST).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="no_reply")
    with pytest.raises(RequestTimeout) as info:
        limit_buy(api).execute()
    err = info.value
    assert err.outcome_unknown and "newClientOrderId" in err.params
    assert exchange.client_order_ids() == [err.params["newClientOrderId"]]
    resp = err.resolve()
    assert resp.resolved and resp.resolved_from is err
    assert resp.result.client_order_id == err.params["newClientOrderId"]


def test_configuration_switch_turns_resolution_on(exchange, make_client):
    """``resolve_outcome=True`` in the configuration; ``execute(resolve_outcome=False)`` wins."""
    api = make_client(resolve_outcome=True, **FAST).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="drop", times=2)
    assert limit_buy(api).execute().resolved is True
    with pytest.raises(ConnectionClosed) as info:
        limit_buy(api).execute(resolve_outcome=False)
    assert info.value.outcome_unknown
    assert len(exchange.client_order_ids()) == 2


def test_query_that_times_out_gives_outcome_unknown_then_resolves(exchange, make_client):
    """Queries that time out too: OutcomeUnknown with what was tried; resolvable later."""
    api = make_client(resolve_attempts=3, **FAST).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="no_reply")
    exchange.faults.never_reply("order.status")
    with pytest.raises(OutcomeUnknown) as info:
        limit_buy(api).execute(resolve_outcome=True)
    err = info.value
    assert err.outcome_unknown is True and isinstance(err.original, RequestTimeout)
    assert len(err.findings) == 3 and all("RequestTimeout" in f for f in err.findings)
    assert err.order is None and "tried" in str(err)
    exchange.faults.reset()
    resp = err.resolve()
    assert resp.resolved and resp.resolved_from is err.original
    assert exchange.client_order_ids() == [resp.result.client_order_id]
    assert order_place_count(exchange) == 1


def test_resolution_deadline_bounds_the_wait(exchange, make_client):
    """Queries that never answer: resolution ends within its own timeout, saying what it tried."""
    api = make_client(**FAST).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=False, then="no_reply")
    with pytest.raises(RequestTimeout) as info:
        limit_buy(api).execute()
    exchange.faults.never_reply("order.status")
    with pytest.raises(OutcomeUnknown) as again:
        info.value.resolve(timeout=0.8)
    assert again.value.findings and again.value.original is info.value


def test_resolution_with_no_reply_timeout_is_bounded_by_its_own(exchange, make_client):
    """``timeout=None`` (wait forever for replies): each query still gets only what is left.

    A query that never answers must not hold the resolution past ``resolve_timeout``; once
    the exchange answers again, the order is found.
    """
    api = make_client(**{**FAST, "timeout": None, "resolve_timeout": 1.0}).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="error")
    exchange.faults.never_reply("order.status")
    with pytest.raises(OutcomeUnknown) as info:
        limit_buy(api).execute(resolve_outcome=True)
    assert isinstance(info.value.original, ExecutionStatusUnknown)
    assert info.value.findings and all("RequestTimeout" in f for f in info.value.findings)
    exchange.faults.reset()
    resp = info.value.resolve(timeout=10.0)
    assert resp.resolved and exchange.client_order_ids() == [resp.result.client_order_id]


def test_async_error_resolves_with_the_api(exchange, make_client):
    """Errors from execute_async() futures resolve with ``exc.resolve(api=...)``."""
    api = make_client(**FAST).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="drop")
    future = limit_buy(api).execute_async()
    err = future.exception(timeout=5)
    assert isinstance(err, ConnectionClosed) and err.outcome_unknown
    with pytest.raises(InvalidRequest, match="api="):
        err.resolve()
    resp = err.resolve(api=api)
    assert resp.resolved and resp.result.client_order_id == err.params["newClientOrderId"]


def test_errors_without_unknown_outcome_do_not_resolve(exchange, api):
    """A plain rejection is certain already: resolve() refuses, nothing is queried."""
    with pytest.raises(BadRequest) as info:
        limit_buy(api).symbol("NOPE").execute(resolve_outcome=True)
    assert (info.value.status, info.value.code) == (400, -1121)
    assert info.value.outcome_unknown is False
    with pytest.raises(InvalidRequest, match="nothing to resolve"):
        info.value.resolve()
    assert not [r for r in exchange.requests if r.method == "order.status"]


# ------------------------------------------------------------------- modify and cancel


def test_modify_and_cancel_resolved_both_ways(exchange, make_client):
    """Applied changes come back resolved; changes that did not happen raise NotExecuted."""
    api = make_client(**FAST).websocket_api
    placed = limit_buy(api).execute().result

    def modify(price: str) -> Any:
        return (
            api.trade_api.modify_order()
            .symbol("BTCUSDT")
            .orig_client_order_id(placed.client_order_id)
            .side("BUY")
            .quantity("0.020")
            .price(price)
        )

    exchange.faults.unknown_outcome("order.modify", executed=True, then="no_reply")
    resp = modify("59100.00").execute(resolve_outcome=True)
    assert resp.resolved and resp.result.price == Decimal("59100.00")
    assert resp.result.orig_qty == Decimal("0.020")

    exchange.faults.unknown_outcome("order.modify", executed=False, then="drop")
    with pytest.raises(NotExecuted) as info:
        modify("59200.00").execute(resolve_outcome=True)
    assert not isinstance(info.value, OrderNotPlaced)
    assert info.value.order is not None and info.value.order["price"] == "59100.00"

    def cancel() -> Any:
        return api.trade_api.cancel_order().symbol("BTCUSDT").order_id(placed.order_id)

    exchange.faults.unknown_outcome("order.cancel", executed=False, then="error")
    with pytest.raises(NotExecuted) as not_cancelled:
        cancel().execute(resolve_outcome=True)
    assert not_cancelled.value.order["status"] == "NEW"

    exchange.faults.unknown_outcome("order.cancel", executed=True, then="drop")
    resp = cancel().execute(resolve_outcome=True)
    assert resp.resolved and resp.result.status is OrderStatus.CANCELED


def test_algo_orders_cannot_be_resolved_over_the_ws_api(exchange, make_client):
    """No WS API query exists for algo orders: OutcomeUnknown at once, naming the id."""
    api = make_client(**FAST).websocket_api
    exchange.faults.unknown_outcome("algoOrder.place", executed=True, then="no_reply")
    with pytest.raises(OutcomeUnknown, match="no query for algo orders") as info:
        (
            api.trade_api.new_algo_order()
            .algo_type("CONDITIONAL")
            .symbol("BTCUSDT")
            .side("SELL")
            .type("STOP_MARKET")
            .quantity("0.010")
            .trigger_price("50000")
            .execute(resolve_outcome=True)
        )
    client_algo_id = info.value.params["clientAlgoId"]
    assert client_algo_id in str(info.value)
    assert not [r for r in exchange.requests if r.method == "order.status"]


def test_readme_resolution_example_runs(exchange, make_client):
    """The README's resolution snippet, run with the reply of its order lost."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    [code] = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if ".resolve()" in b]
    client = make_client(**FAST)
    exchange.faults.unknown_outcome("order.place", executed=True, then="drop")
    namespace: dict[str, Any] = {"client": client, "Side": Side, "OrderType": OrderType}
    exec(compile(code, "README resolution example", "exec"), namespace)
    assert namespace["placed"].resolved is True
    assert exchange.client_order_ids() == [namespace["placed"].result.client_order_id]
