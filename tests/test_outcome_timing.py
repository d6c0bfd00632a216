"""Outcome resolution against orders that reach the book late, as they can in production.

The matching engine may take a request up to ``timestamp + recvWindow`` on its own clock; an
order whose reply was lost can therefore appear *after* the first ``order.status`` said "not
found". The local exchange's ``unknown_outcome(..., late=s)`` executes the request ``s`` seconds
before that end. "Not placed" (or "not modified / cancelled") is only safe once the window has
passed on the server's clock: each test here turns red when the SDK decides too early, reads
the wrong time unit, applies the clock offset wrongly, assumes the wrong default window, takes
an error for "not found", or judges a change by half its fields.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance_usdm_ws import BinanceDerivativesTradingUsdsFuturesClient as Client
from binance_usdm_ws import ConfigurationWebsocketApi as Config
from binance_usdm_ws import (
    NotExecuted,
    OrderNotPlaced,
    OrderStatus,
    OutcomeUnknown,
    RequestTimeout,
)
from binance_usdm_ws.testing import LocalExchange
from binance_usdm_ws.websocket_api._outcome import _judge, _same

from .test_outcome import limit_buy, order_place_count

#: recvWindow long enough that a late order lands well after the first query.
WINDOW = dict(timeout=1.0, recv_window=1000, reconnect_delay=0.02, resolve_timeout=20.0)


def status_queries(exchange: Any) -> int:
    return sum(1 for r in exchange.requests if r.method == "order.status")


def book_order(api: Any, client_order_id: str) -> dict[str, Any]:
    """The order as the exchange has it now (raw reply)."""
    reply = (
        api.trade_api.query_order()
        .symbol("BTCUSDT")
        .orig_client_order_id(client_order_id)
        .execute()
    )
    result: dict[str, Any] = reply.raw["result"]
    return result


# ------------------------------------------------------------------------- order.place


@pytest.mark.parametrize("then", ["drop", "error"])
def test_order_placed_late_in_its_window_is_found(exchange, make_client, then):
    """The first query finds nothing; the order lands 0.3 s before the window ends: found."""
    api = make_client(**WINDOW).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then=then, late=0.3)
    resp = limit_buy(api).execute(resolve_outcome=True)
    assert resp.resolved is True
    client_id = resp.resolved_from.params["newClientOrderId"]
    assert resp.result.client_order_id == client_id
    assert exchange.client_order_ids() == [client_id]
    assert status_queries(exchange) >= 2  # the first query came before the order
    assert order_place_count(exchange) == 1


def test_order_placed_at_the_last_moment_with_microsecond_timestamps(exchange, make_client):
    """timeUnit=MICROSECOND: the timestamp is in µs, the window still ends on time."""
    api = make_client(time_unit="MICROSECOND", **WINDOW).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="drop", late=0.2)
    resp = limit_buy(api).execute(resolve_outcome=True)
    assert resp.resolved_from.params["timestamp"] > 10**15  # really µs
    assert resp.resolved is True
    assert exchange.client_order_ids() == [resp.result.client_order_id]


def test_microsecond_order_never_placed_is_declared_not_placed(exchange, make_client):
    """µs timestamps read as ms would put the window's end in the far future: never decided."""
    api = make_client(time_unit="MICROSECOND", **{**WINDOW, "resolve_timeout": 8.0}).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=False, then="drop")
    with pytest.raises(OrderNotPlaced):
        limit_buy(api).execute(resolve_outcome=True)
    assert exchange.client_order_ids() == []


def test_server_default_recv_window_is_5000_ms(exchange, make_client):
    """No recvWindow sent: the server allows 5000 ms, so must the SDK before "not placed"."""
    options = {**WINDOW, "recv_window": None, "resolve_timeout": 9.0}
    api = make_client(**options).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="drop", late=0.3)
    resp = limit_buy(api).execute(resolve_outcome=True)
    assert "recvWindow" not in resp.resolved_from.params
    assert resp.resolved is True  # found at ~4.7 s: a shorter assumed window says "not placed"
    exchange.faults.unknown_outcome("order.place", executed=False, then="drop")
    with pytest.raises(OrderNotPlaced):  # decided after ~5.5 s: a longer one runs out of time
        limit_buy(api).execute(resolve_outcome=True)
    assert len(exchange.client_order_ids()) == 1


@pytest.mark.parametrize("ahead", [20.0, 36_000.0])
def test_clock_offset_is_applied_with_the_right_sign(exchange, make_client, ahead):
    """Server clock 20 s (or 10 h: a local clock set by hand) ahead: decided in time.

    With the offset ignored or applied the wrong way round, the SDK would think the window
    ends 20 or 40 s later than it does and run out of its 8 s resolution time; at 10 h even
    a 0.1 % error in the offset's scale is 36 s, past that time too.
    """
    exchange.clock.advance(ahead)
    api = make_client(**{**WINDOW, "resolve_timeout": 8.0}).websocket_api
    api.auth_api.session_status().execute()  # learns the server's clock
    assert api.time_offset_ms > ahead * 1000 - 1000
    exchange.faults.unknown_outcome("order.place", executed=False, then="drop")
    with pytest.raises(OrderNotPlaced):
        limit_buy(api).execute(resolve_outcome=True)
    exchange.faults.unknown_outcome("order.place", executed=True, then="drop", late=0.3)
    resp = limit_buy(api).execute(resolve_outcome=True)
    assert resp.resolved is True
    assert exchange.client_order_ids() == [resp.result.client_order_id]


@pytest.mark.parametrize(
    "status, code, msg",
    [
        (400, -2011, "Unknown order sent."),
        (500, -1000, "An unknown error occurred while processing the request."),
        (400, -1102, "Mandatory parameter 'symbol' was not sent."),
    ],
)
def test_only_2013_means_not_found(exchange, make_client, status, code, msg):
    """Errors to order.status past the window are not "not found": the order is there."""
    api = make_client(**{**WINDOW, "recv_window": 200, "resolve_attempts": 8}).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="drop")
    exchange.faults.error_reply("order.status", status, code, msg, times=3)
    resp = limit_buy(api).execute(resolve_outcome=True)
    assert resp.resolved is True
    assert exchange.client_order_ids() == [resp.result.client_order_id]


def test_query_errors_only_give_outcome_unknown(exchange, make_client):
    """Every query refused: OutcomeUnknown naming the code, never OrderNotPlaced."""
    api = make_client(**{**WINDOW, "recv_window": 200, "resolve_attempts": 4}).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=False, then="drop")
    exchange.faults.error_reply("order.status", 400, -2011, "Unknown order sent.", times=10)
    with pytest.raises(OutcomeUnknown) as info:
        limit_buy(api).execute(resolve_outcome=True)
    assert info.value.findings == [
        f"query {i}: BadRequest -2011 Unknown order sent." for i in range(1, 5)
    ]
    assert str(info.value).startswith("order.place: outcome still unknown after 4 queries")


@pytest.mark.parametrize("failure", ["error", "timeout"])
def test_failed_queries_back_off_exponentially(exchange, make_client, failure):
    """After a failed query the next waits 0.2, 0.4, 0.8, 1.6, 3.2 s (0.1 × 2^attempt).

    Measured where the exchange reads them, only from below (load can only stretch a gap):
    half the due pause is required, so polling faster than the documented backoff — which
    would spend the user's request weight while the exchange is struggling — turns red.
    """
    reply_timeout = 0.3 if failure == "timeout" else 5.0
    options = {**WINDOW, "timeout": reply_timeout, "resolve_attempts": 6, "resolve_timeout": 30}
    api = make_client(**options).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="error")
    if failure == "error":
        exchange.faults.error_reply("order.status", 500, -1000, "Internal error.", times=6)
    else:
        exchange.faults.never_reply("order.status")
    with pytest.raises(OutcomeUnknown) as info:
        limit_buy(api).execute(resolve_outcome=True)
    assert len(info.value.findings) == 6
    sent = [r.received for r in exchange.requests if r.method == "order.status"]
    assert len(sent) == 6
    waited = [later - earlier for earlier, later in zip(sent, sent[1:])]
    for attempt, gap in enumerate(waited, start=1):
        due = 0.1 * 2**attempt + (reply_timeout if failure == "timeout" else 0.0)
        assert gap >= due / 2, (attempt, waited)


# ------------------------------------------------------------------- modify and cancel


def modify(api: Any, client_id: str, price: str, quantity: str) -> Any:
    return (
        api.trade_api.modify_order()
        .symbol("BTCUSDT")
        .orig_client_order_id(client_id)
        .side("BUY")
        .quantity(quantity)
        .price(price)
    )


@pytest.mark.parametrize(
    "price, quantity",
    [("59000.00", "0.020"), ("59100.00", "0.010")],
    ids=["quantity-only", "price-only"],
)
def test_modify_judged_on_price_and_quantity(exchange, make_client, price, quantity):
    """A modify that did not happen is not "done" because one of its two fields matches."""
    api = make_client(**{**WINDOW, "recv_window": 200}).websocket_api
    placed = limit_buy(api).execute().result  # 59000.00 x 0.010
    exchange.faults.unknown_outcome("order.modify", executed=False, then="drop")
    with pytest.raises(NotExecuted) as info:
        modify(api, placed.client_order_id, price, quantity).execute(resolve_outcome=True)
    assert info.value.order["price"] == "59000.00" and info.value.order["origQty"] == "0.010"
    assert str(info.value).startswith(
        f"order.modify: the order was not modified: order {placed.order_id} NEW "
        "price 59000.00 qty 0.010"
    )


def test_modify_applied_late_is_found(exchange, make_client):
    """The modify lands late in its window: the SDK waits for the window, then sees it."""
    api = make_client(**WINDOW).websocket_api
    placed = limit_buy(api).execute().result
    exchange.faults.unknown_outcome("order.modify", executed=True, then="drop", late=0.3)
    resp = modify(api, placed.client_order_id, "59100.00", "0.020").execute(resolve_outcome=True)
    assert resp.resolved is True
    assert resp.result.price == Decimal("59100.00") and resp.result.orig_qty == Decimal("0.020")


def test_cancel_applied_late_is_found(exchange, make_client):
    api = make_client(**WINDOW).websocket_api
    placed = limit_buy(api).execute().result
    exchange.faults.unknown_outcome("order.cancel", executed=True, then="error", late=0.3)
    resp = (
        api.trade_api.cancel_order()
        .symbol("BTCUSDT")
        .order_id(placed.order_id)
        .execute(resolve_outcome=True)
    )
    assert resp.resolved is True and resp.result.status is OrderStatus.CANCELED


def test_cancel_of_a_filled_order_is_not_done(exchange, make_client):
    """The order filled before the cancel: FILLED is final, and not a cancel."""
    api = make_client(**{**WINDOW, "recv_window": 200}).websocket_api
    filled = (
        api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side("BUY")
        .type("MARKET")
        .quantity("0.010")
        .execute()
        .result
    )
    assert book_order(api, filled.client_order_id)["status"] == "FILLED"
    exchange.faults.unknown_outcome("order.cancel", executed=False, then="drop")
    with pytest.raises(NotExecuted) as info:
        (
            api.trade_api.cancel_order()
            .symbol("BTCUSDT")
            .orig_client_order_id(filled.client_order_id)
            .execute(resolve_outcome=True)
        )
    assert info.value.order["status"] == "FILLED"
    assert str(info.value).startswith("order.cancel: the order was not cancelled: order ")
    assert info.value.method == "order.cancel" and info.value.params["symbol"] == "BTCUSDT"


def test_what_each_query_found_is_reported(exchange, make_client):
    """Not decided in time: OutcomeUnknown lists what each query saw, and the order found."""
    api = make_client(**{**WINDOW, "recv_window": 60000, "resolve_attempts": 1}).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=False, then="drop")
    with pytest.raises(OutcomeUnknown) as info:
        limit_buy(api).execute(resolve_outcome=True)
    assert info.value.findings == ["query 1: order not found (-2013)"]
    assert info.value.order is None
    placed = limit_buy(api).execute().result
    exchange.faults.unknown_outcome("order.modify", executed=False, then="drop")
    with pytest.raises(OutcomeUnknown) as info:
        modify(api, placed.client_order_id, "59100.00", "0.010").execute(resolve_outcome=True)
    assert info.value.findings == [f"query 1: order {placed.order_id} NEW price 59000.00 qty 0.010"]
    assert info.value.order["status"] == "NEW" and info.value.method == "order.modify"
    assert info.value.request_id == info.value.original.request_id


def test_order_not_placed_says_why(exchange, make_client):
    """Decided once the request's own 200 ms window is over (not the 5 s default): in time."""
    api = make_client(**{**WINDOW, "recv_window": 200, "resolve_timeout": 3.0}).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=False, then="drop")
    with pytest.raises(OrderNotPlaced) as info:
        limit_buy(api).execute(resolve_outcome=True)
    assert str(info.value).startswith(
        "order.place: the order was not placed (not found after its recvWindow)"
    )
    assert info.value.method == "order.place" and info.value.request_id is not None


def test_resolve_timeout_argument_bounds_the_resolution(exchange, make_client):
    """``exc.resolve(timeout=...)`` bounds that resolution, not the configured 30 s."""
    options = dict(timeout=0.3, recv_window=300, resolve_timeout=30.0, resolve_attempts=50)
    api = make_client(**options).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=False, then="no_reply")
    with pytest.raises(RequestTimeout) as info:
        limit_buy(api).execute()
    exchange.faults.never_reply("order.status")
    with pytest.raises(OutcomeUnknown) as first:
        info.value.resolve(timeout=1.0)
    assert 1 <= len(first.value.findings) <= 4  # 30 s would be dozens of 0.3 s queries
    with pytest.raises(OutcomeUnknown) as second:
        first.value.resolve(timeout=0.5)  # an OutcomeUnknown resolves again, as bounded
    assert 1 <= len(second.value.findings) <= 3
    assert second.value.original is info.value


# ---------------------------------------------------------------- the rule, as properties

FINAL = ["FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH"]
LIVE = ["NEW", "PARTIALLY_FILLED"]


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["order.place", "order.modify", "order.cancel"]),
    found=st.booleans(),
    status=st.sampled_from(FINAL + LIVE),
    price_same=st.booleans(),
    qty_same=st.booleans(),
    window_over=st.booleans(),
)
def test_decision_rule(method, found, status, price_same, qty_same, window_over):
    """The decision table: done only when the change is visible; "not done" only when certain.

    certain = the window has passed, or (modify/cancel) the order is final or gone.
    """
    params = {"price": "100.0", "quantity": "1.0"}
    order = (
        {
            "status": status,
            "price": "100.00" if price_same else "101",
            "origQty": "1" if qty_same else "2",
        }
        if found
        else None
    )
    verdict = _judge(method, params, order, window_over)
    assert not _same("n/a", "100.0") and not _same(None, "1")  # unreadable: never "the same"
    if method == "order.place":
        expected = True if found else (False if window_over else None)
    elif not found:
        expected = False
    else:
        done = status == "CANCELED" if method == "order.cancel" else price_same and qty_same
        expected = True if done else (False if window_over or status in FINAL else None)
    assert verdict is expected


def test_resolution_never_contradicts_the_book():
    """Over random windows, time units, clock offsets and fates of the order: what resolution
    says is what the book shows once the window is over — found ⇔ placed, never a false
    "not placed" (the double order)."""
    with LocalExchange() as exchange:
        clients = {
            unit: Client(
                websocket_api=Config(
                    base_path=exchange.ws_api_url,
                    api_key=exchange.api_key,
                    api_secret=exchange.api_secret,
                    timeout=2.0,
                    reconnect_delay=0.02,
                    resolve_timeout=15.0,
                    resolve_attempts=20,
                    time_unit=unit,
                )
            )
            for unit in ("MILLISECOND", "MICROSECOND")
        }
        try:
            for client in clients.values():
                client.websocket_api.connect()
            _never_contradicts(exchange, clients)
        finally:
            for client in clients.values():
                client.close()


def _never_contradicts(exchange: LocalExchange, clients: dict[str, Client]) -> None:
    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        unit=st.sampled_from(["MILLISECOND", "MICROSECOND"]),
        window_ms=st.sampled_from([150, 300, 600]),
        fate=st.sampled_from(["at once", "late", "never"]),
        lead=st.floats(0.0, 0.12),
        then=st.sampled_from(["drop", "error"]),
        advance=st.floats(0.0, 2.0),
    )
    def check(unit: str, window_ms: int, fate: str, lead: float, then: str, advance: float) -> None:
        api = clients[unit].websocket_api
        exchange.clock.advance(advance)
        api.auth_api.session_status().execute()  # the client learns the (moved) server clock
        exchange.faults.unknown_outcome(
            "order.place",
            executed=fate != "never",
            then=then,
            late=lead if fate == "late" else None,
        )
        before = set(exchange.client_order_ids())
        try:
            resp = limit_buy(api).recv_window(window_ms).execute(resolve_outcome=True)
            verdict, client_id = "placed", resp.result.client_order_id
        except OrderNotPlaced as exc:
            verdict, client_id = "not placed", exc.params["newClientOrderId"]
        # Past the window on the exchange's clock, nothing can land any more.
        time.sleep(window_ms / 1000 + 0.2)
        placed = client_id in set(exchange.client_order_ids()) - before
        assert verdict == ("placed" if placed else "not placed")
        if fate == "at once":
            assert placed

    check()


def test_algo_cancel_by_algo_id_names_it_and_stays_resolvable(exchange, make_client):
    """No WS API query for algo orders: OutcomeUnknown names the algo id, keeps the original
    error, and resolving it again says the same (never a crash, never a guess)."""
    api = make_client(**WINDOW).websocket_api
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
    exchange.faults.unknown_outcome("algoOrder.cancel", executed=False, then="drop")
    with pytest.raises(OutcomeUnknown) as info:
        api.trade_api.cancel_algo_order().algo_id(algo.algo_id).execute(resolve_outcome=True)
    assert f"look up the algo order {algo.algo_id!r}" in str(info.value)
    assert info.value.original is not None and info.value.original.outcome_unknown
    with pytest.raises(OutcomeUnknown) as again:
        info.value.resolve()
    assert again.value.original is info.value.original
