"""Pool mode (``mode="pool"``): requests spread over N connections, each kept on its own.

Every test runs over real sockets against the local exchange, which records the connection
(``conn_id``) that carried each request and can drop one connection by that id.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

import pytest

from binance_usdm_ws import (
    ConfigurationWebsocketApi,
    ConnectionClosed,
    InvalidRequest,
    OrderStatus,
    RateLimited,
)

from .conftest import wait_until
from .test_faults import _outage_client
from .test_outcome import FAST, limit_buy


def ticker(api: Any) -> Any:
    return api.market_data_api.symbol_price_ticker().symbol("BTCUSDT")


def carriers(exchange: Any, method: str) -> list[int]:
    """The ``conn_id`` of every recorded ``method`` request, in order."""
    return [r.conn_id for r in exchange.requests if r.method == method]


def by_id(exchange: Any, method: str) -> dict[Any, int]:
    """Request id -> the connection that carried it."""
    return {r.id: r.conn_id for r in exchange.requests if r.method == method}


@pytest.mark.parametrize(
    "options, param",
    [
        (dict(mode="pool", pool_size=0), "pool_size"),
        (dict(mode="pool", pool_size=-2), "pool_size"),
        (dict(mode="pool", pool_size=True), "pool_size"),
        (dict(mode="pool", pool_size=1.5), "pool_size"),
        (dict(mode="pool", pool_size="2"), "pool_size"),
        (dict(pool_size=0), "pool_size"),
        (dict(mode="POOL"), "mode"),
        (dict(mode="multi", pool_size=2), "mode"),
        (dict(mode=None), "mode"),
    ],
)
def test_mode_and_pool_size_are_validated(options, param):
    with pytest.raises(InvalidRequest) as info:
        ConfigurationWebsocketApi(**options)
    assert info.value.param == param


def test_defaults_are_one_connection(exchange, make_client):
    """Default: mode "single" (pool_size 2 only matters in pool mode): one connection."""
    cfg = ConfigurationWebsocketApi()
    assert (cfg.mode, cfg.pool_size) == ("single", 2)
    api = make_client().websocket_api
    assert len(api.connections) == 1 and api.connection is api.connections[0]
    assert exchange.api_connection_count == 1


def test_requests_spread_over_the_pool(exchange, make_client):
    """Sequential calls go round the pool in turn; concurrent ones all come back matched."""
    api = make_client(mode="pool", pool_size=3).websocket_api
    conns = api.connections
    assert len(conns) == 3 and len(set(map(id, conns))) == 3
    assert all(c is not None and not c.closed for c in conns) and api.connected
    assert exchange.api_connection_count == 3
    for i in range(30):
        assert ticker(api).id(f"s{i}").execute().id == f"s{i}"
    counts = collections.Counter(carriers(exchange, "ticker.price"))
    assert len(counts) == 3 and set(counts.values()) == {10}

    exchange.clear_requests()
    results: dict[int, list[str]] = {}

    def worker(n: int) -> None:
        results[n] = [ticker(api).id(f"t{n}-{i}").execute().id for i in range(25)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(results[n] == [f"t{n}-{i}" for i in range(25)] for n in range(6))
    assert len(set(carriers(exchange, "ticker.price"))) == 3


def test_drop_fails_only_that_connections_waiters(exchange, make_client):
    """Calls in flight on the dropped connection fail (orders: outcome unknown); the others
    are answered; that connection alone is replaced, and the pool keeps answering."""
    api = make_client(mode="pool", pool_size=2, timeout=20).websocket_api
    before = api.connections
    exchange.faults.reorder(1000)  # hold every reply: all calls stay in flight
    futures = {f"q{i}": ticker(api).id(f"q{i}").execute_async() for i in range(8)}
    futures.update({f"o{i}": limit_buy(api).id(f"o{i}").execute_async() for i in range(4)})
    wait_until(lambda: len(exchange.requests) == 12)
    carrier = {**by_id(exchange, "ticker.price"), **by_id(exchange, "order.place")}
    dropped = carrier["q0"]
    lost = {rid for rid, cid in carrier.items() if cid == dropped}
    kept = set(futures) - lost
    assert len(lost) == 6 and len(kept) == 6  # least in flight: spread evenly
    assert {rid[0] for rid in lost} == {"q", "o"}  # both kinds on each connection

    assert exchange.faults.drop_connections("api", conn_id=dropped) == 1
    for rid in lost:
        error = futures[rid].exception(timeout=10)
        assert isinstance(error, ConnectionClosed), rid
        assert error.outcome_unknown is rid.startswith("o")
        assert error.request_id == rid
    assert not any(futures[rid].done() for rid in kept)
    exchange.faults.reset()  # the held replies of the live connection go out
    for rid in kept:
        assert futures[rid].result(timeout=10).id == rid

    wait_until(lambda: api.reconnects == 1 and None not in api.connections)
    after = api.connections
    changed = [i for i in range(2) if after[i] is not before[i]]
    assert len(changed) == 1  # the other connection was never touched
    survivor = before[1 - changed[0]]
    assert survivor is not None and not survivor.closed
    assert exchange.api_connection_count == 2
    assert [ticker(api).id(f"n{i}").execute().id for i in range(4)] == [f"n{i}" for i in range(4)]
    placed = [r.params["newClientOrderId"] for r in exchange.requests if r.method == "order.place"]
    assert len(placed) == 4  # nothing was re-sent


def test_healthy_connection_serves_while_one_is_down(exchange, make_client):
    """While one connection cannot come back, calls go to the other (even with fail-fast);
    when it comes back it is logged on again, alone."""
    api = make_client(
        mode="pool", pool_size=2, session_logon=True, wait_for_reconnect=False, timeout=1.0
    ).websocket_api
    first_logons = carriers(exchange, "session.logon")
    assert len(set(first_logons)) == 2
    dropped, healthy = first_logons
    exchange.faults.never_reply("session.logon")  # the reconnect cannot log on
    exchange.faults.drop_connections("api", conn_id=dropped)
    wait_until(lambda: len(carriers(exchange, "session.logon")) == 3)  # swallowed
    assert None in api.connections
    exchange.clear_requests()
    for i in range(10):
        assert ticker(api).id(f"d{i}").execute().id == f"d{i}"
        api.account_api.account_information().execute()  # signed: rides on the session
    assert set(carriers(exchange, "ticker.price")) == {healthy}
    assert set(carriers(exchange, "account.status")) == {healthy}
    assert all(
        "signature" not in r.params for r in exchange.requests if r.method == "account.status"
    )
    assert api.reconnects == 0 and api.connected

    exchange.faults.reset()
    wait_until(lambda: api.reconnects == 1 and None not in api.connections, timeout=15)
    assert all(c is not None and c.logged_on for c in api.connections)
    assert exchange.api_connection_count == 2
    assert healthy not in carriers(exchange, "session.logon")  # only the new one logged on


def test_logon_on_each_connection(exchange, make_client):
    """``session_logon=True`` logs every connection of the pool on; signed calls on any of
    them carry no signature."""
    api = make_client(mode="pool", pool_size=3, session_logon=True).websocket_api
    assert len(set(carriers(exchange, "session.logon"))) == 3
    assert all(c is not None and c.logged_on for c in api.connections)
    for _ in range(6):
        api.account_api.account_information().execute()
    calls = [r for r in exchange.requests if r.method == "account.status"]
    assert len({r.conn_id for r in calls}) == 3
    assert all("signature" not in r.params for r in calls)


def test_each_connection_rotates_on_its_own(exchange, make_client):
    """Rotation timers per connection: every slot is replaced, make-before-break, under load,
    with no failed call and no reconnect."""
    api = make_client(mode="pool", pool_size=2, rotation_interval=0.3, session_logon=True)
    api = api.websocket_api
    first = api.connections
    stop = threading.Event()
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        i = 0
        while not stop.is_set():
            try:
                assert ticker(api).id(f"r{n}-{i}").execute(timeout=5).id == f"r{n}-{i}"
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)
            i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until(
            lambda: (
                api.rotations >= 4
                and all(c is not None and c not in first for c in api.connections)
            ),
            timeout=20,
        )
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert failures == []
    assert api.reconnects == 0
    assert all(c is not None and c.logged_on for c in api.connections)
    wait_until(lambda: exchange.api_connection_count == 2, timeout=10)


def test_server_shutdown_rotates_each_connection(exchange, make_client):
    """A serverShutdown event on every connection: each rotates, none fails."""
    api = make_client(mode="pool", pool_size=2).websocket_api
    first = api.connections
    exchange.push_api({"e": "serverShutdown", "E": int(time.time() * 1000)})
    wait_until(lambda: all(c is not None and c not in first for c in api.connections))
    assert api.rotations == 2 and api.reconnects == 0
    wait_until(lambda: all(c is not None and c.closed for c in first))
    assert ticker(api).execute().typed.status == 200


def test_rate_limit_backoff_applies_across_the_pool(exchange, make_client):
    """A 429 on one connection: the whole pool backs off (the limits are per IP/account)."""
    api = make_client(mode="pool", pool_size=2).websocket_api
    exchange.faults.error_reply("ticker.price", 429, -1003, "Too many requests.")
    with pytest.raises(RateLimited):
        ticker(api).execute()
    sent = len(exchange.requests)
    for _ in range(4):  # in turn, these would go to every connection
        with pytest.raises(RateLimited, match="nothing was sent"):
            ticker(api).execute()
    assert len(exchange.requests) == sent


def test_unknown_outcome_resolved_in_a_pool(exchange, make_client):
    """An order whose connection is cut is resolved (queried on an open connection)."""
    api = make_client(mode="pool", pool_size=2, **FAST).websocket_api
    exchange.faults.unknown_outcome("order.place", executed=True, then="drop")
    resp = limit_buy(api).execute(resolve_outcome=True)
    assert resp.resolved and resp.result.status is OrderStatus.NEW
    assert exchange.client_order_ids() == [resp.result.client_order_id]
    assert len(carriers(exchange, "order.place")) == 1
    wait_until(lambda: api.reconnects == 1 and None not in api.connections)


def test_close_ends_every_connection_and_thread(exchange, make_client):
    """``close_websocket_connection()`` closes the whole pool and joins every thread; the
    pool can connect again."""
    api = make_client(mode="pool", pool_size=3, session_logon=True).websocket_api
    conns = api.connections
    futures = [ticker(api).execute_async() for _ in range(6)]
    for f in futures:
        f.result(5)
    api.close_websocket_connection()
    assert all(c is not None and c.closed for c in conns)
    assert [t.name for t in threading.enumerate() if t.name.startswith("binance-usdm-ws")] == []
    assert api.connections == [None, None, None] and not api.connected
    wait_until(lambda: exchange.api_connection_count == 0)
    with pytest.raises(ConnectionClosed, match="closed"):
        ticker(api).execute()
    api.close_websocket_connection()  # idempotent
    api.connect()
    assert exchange.api_connection_count == 3
    assert ticker(api).execute().typed.status == 200


def test_a_connection_that_gives_up_leaves_the_others_serving(exchange, make_client):
    """``reconnect_attempts`` counts per connection: one that gives up is down, the rest serve."""
    api = make_client(
        mode="pool", pool_size=2, session_logon=True, reconnect_attempts=2, timeout=0.3
    ).websocket_api
    dropped, healthy = carriers(exchange, "session.logon")
    exchange.faults.never_reply("session.logon")
    exchange.faults.drop_connections("api", conn_id=dropped)
    wait_until(lambda: [slot.state for slot in api._slots].count("down") == 1, timeout=10)
    assert len(carriers(exchange, "session.logon")) == 4  # the first two, then two attempts
    assert api._state == "open" and api.connected
    exchange.clear_requests()
    for _ in range(4):
        assert ticker(api).execute().typed.status == 200
    assert set(carriers(exchange, "ticker.price")) == {healthy}


def test_pool_is_down_once_every_connection_gave_up():
    """An outage that does not end: each connection gives up, then calls say why at once."""
    client = _outage_client(reconnect_attempts=2, mode="pool", pool_size=2)
    try:
        wait_until(lambda: client.websocket_api._state == "down", timeout=10)
        with pytest.raises(ConnectionClosed, match=r"no connection open \(down, down\)") as info:
            ticker(client.websocket_api).execute()
        assert info.value.__cause__ is not None
    finally:
        client.close()
