"""Resilience promises that only real faults can break: unsent requests, backoff, outcomes.

Where a behaviour depends on time (backoff delays, the number of attempts), the tests assert on
what the code actually did — the delays it waited, recorded by a wrapping ``Event``, and the
attempts the exchange received — never on how long something took.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable, Optional

import pytest

from binance_usdm_ws import (
    BadRequest,
    ConnectionClosed,
    IpBanned,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from binance_usdm_ws.testing import LocalExchange

from .conftest import wait_until


class RecordingEvent(threading.Event):
    """A stop event that records every timeout it is waited with: the backoff actually used."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: Optional[float] = None) -> bool:
        if timeout is not None:
            self.waits.append(timeout)
        return super().wait(timeout)


def backoff_bounds(first: float, cap: float, n: int) -> list[tuple[float, float]]:
    """The allowed range of each of ``n`` waits: the base delay doubled per attempt and capped,
    times a jitter factor in [0.5, 1.5]."""
    bases = [min(first * 2**i, cap) for i in range(n)]
    return [(0.5 * b, 1.5 * b) for b in bases]


def methods(exchange: LocalExchange) -> list[Optional[str]]:
    return [r.method for r in exchange.requests]


# ------------------------------------------------------------------ unsent requests


class DropBeforeSending:
    """Wraps the client's signer: on the first signature (the request has taken its connection
    and is about to be sent) the exchange drops the connection, and the signer returns once
    the client has seen it closed — at once (``swapped=False``: the client may not have
    replaced it yet) or once the client no longer uses it. The request then meets a closed
    connection."""

    def __init__(self, inner: Any, exchange: LocalExchange, api: Any, swapped: bool) -> None:
        self.inner, self.exchange, self.api, self.swapped = inner, exchange, api, swapped
        self.fired = False

    def sign(self, payload: str) -> str:
        if not self.fired:
            self.fired = True
            conn = self.api.connection
            assert self.exchange.faults.drop_connections("api") == 1
            if self.swapped:
                wait_until(lambda: self.api.connection is not conn)
            deadline = time.monotonic() + 10
            while not conn.closed and time.monotonic() < deadline:
                time.sleep(0)  # return the moment the reader marks it closed
        signature: str = self.inner.sign(payload)
        return signature


@pytest.mark.parametrize("swapped", [False, True], ids=["at-once", "after-swap"])
def test_request_meeting_a_closed_connection_is_sent_on_the_replacement(
    make_client, exchange, swapped
):
    """A request whose connection closed before it was sent (NotSent) goes out, once, on the
    reconnected connection, and succeeds."""
    api = make_client().websocket_api
    api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()
    first_conn = exchange.requests[-1].conn_id
    api._signer = DropBeforeSending(api._signer, exchange, api, swapped)
    resp = (
        api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side("BUY")
        .type("LIMIT")
        .time_in_force("GTC")
        .quantity("0.010")
        .price("50000")
        .new_client_order_id("unsent-then-retried")
        .execute()
    )
    assert api._signer.fired
    assert resp.typed.result.client_order_id == "unsent-then-retried"
    placed = [r for r in exchange.requests if r.method == "order.place"]
    assert len(placed) == 1 and placed[0].conn_id != first_conn  # sent once, on the new socket
    assert api.reconnects == 1


def test_unsent_request_fails_fast_and_known_when_the_policy_says_so(make_client, exchange):
    """With wait_for_reconnect=False the request that met a closed connection fails at once,
    as ConnectionClosed with a known outcome (it was never sent), and nothing reached the
    exchange."""
    api = make_client(wait_for_reconnect=False, reconnect=False).websocket_api
    api._signer = DropBeforeSending(api._signer, exchange, api, swapped=False)
    with pytest.raises(ConnectionClosed) as info:
        api.trade_api.cancel_order().symbol("BTCUSDT").order_id(1).execute()
    assert info.value.outcome_unknown is False
    assert "order.cancel" not in methods(exchange)


# ------------------------------------------------------------------ reconnect backoff


def refuse_logons(exchange: LocalExchange) -> None:
    exchange.faults.error_reply(
        "session.logon", 400, -1022, "Signature for this request is not valid.", times=1000
    )


@pytest.mark.parametrize("attempts", [1, 2, 5])
def test_reconnect_makes_exactly_the_configured_attempts(make_client, exchange, attempts):
    """reconnect_attempts=n: n attempts after a drop (counted by the exchange), then down."""
    client = make_client(
        session_logon=True,
        reconnect_delay=0.01,
        reconnect_max_delay=0.02,
        reconnect_attempts=attempts,
    )
    api = client.websocket_api
    assert methods(exchange).count("session.logon") == 1
    refuse_logons(exchange)
    exchange.faults.drop_connections("api")
    wait_until(lambda: api._state == "down", timeout=20)
    assert methods(exchange).count("session.logon") == 1 + attempts
    with pytest.raises(ConnectionClosed, match="down"):
        api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()
    assert methods(exchange).count("session.logon") == 1 + attempts  # and no more later


def test_reconnect_backoff_doubles_up_to_the_cap(make_client, exchange):
    """The delays waited between failed attempts double from reconnect_delay up to the cap."""
    client = make_client(
        session_logon=True,
        reconnect_delay=0.01,
        reconnect_max_delay=0.08,
        reconnect_attempts=7,
    )
    api = client.websocket_api
    stop = RecordingEvent()
    api._stop = stop
    refuse_logons(exchange)
    exchange.faults.drop_connections("api")
    wait_until(lambda: api._state == "down", timeout=20)
    waits = stop.waits
    assert len(waits) == 6  # between 7 attempts
    for wait, (low, high) in zip(waits, backoff_bounds(0.01, 0.08, 6)):
        assert low <= wait <= high, waits
    assert waits[3] > 1.5 * 0.01  # grown: more than the first delay could ever be


def test_reconnect_waits_for_the_servers_retry_after(make_client, exchange):
    """A 429 with retryAfter to the reconnect's logon: the next attempt waits until then."""
    client = make_client(session_logon=True, reconnect_delay=0.01, reconnect_max_delay=0.02)
    api = client.websocket_api
    stop = RecordingEvent()
    api._stop = stop
    retry_at = int(time.time() * 1000) + 700
    exchange.faults.error_reply(
        "session.logon", 429, -1003, "Too many requests.", data={"retryAfter": retry_at}
    )
    exchange.faults.drop_connections("api")
    wait_until(lambda: api.reconnects == 1, timeout=20)
    # The first wait reaches retryAfter (~0.7 s); the jittered backoff alone would be < 0.02 s.
    assert stop.waits and stop.waits[0] > 0.3
    assert methods(exchange).count("session.logon") == 3  # connect, refused, accepted


def test_stream_reconnect_backoff_doubles_up_to_the_cap():
    """The user data stream's reconnect backoff grows the same way."""
    from binance_usdm_ws import (
        BinanceDerivativesTradingUsdsFuturesClient,
        ConfigurationWebsocketApi,
        ConfigurationWebsocketStreams,
        StreamGap,
    )

    with LocalExchange(quiet=True) as exchange:
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=ConfigurationWebsocketApi(
                base_path=exchange.ws_api_url, api_key=exchange.api_key
            ),
            websocket_streams=ConfigurationWebsocketStreams(
                base_path=exchange.streams_url, reconnect_delay=0.01, reconnect_max_delay=0.04
            ),
        )
        with client, client.user_data_stream() as stream:
            exchange.wait_for(lambda: exchange.stream_connection_count == 1)
            stop = RecordingEvent()
            stream._stop = stream._supervisor._stop = stop  # the backoff waits on it
            exchange.faults.error_reply("userDataStream.ping", 503, -1001, "Internal", times=5)
            exchange.faults.drop_connections("stream")
            gap = stream.get(20)
            assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
            waits = stop.waits
            assert len(waits) == 5  # after each of the 5 failed attempts
            for wait, (low, high) in zip(waits, backoff_bounds(0.01, 0.04, 5)):
                assert low <= wait <= high, waits


# ------------------------------------------------------------------ 429 / 418 retryAfter


def left_in_backoff(exc: BaseException) -> float:
    match = re.search(r"backing off ([0-9.]+) s more", str(exc))
    assert match, str(exc)
    return float(match.group(1))


@pytest.mark.parametrize(
    "status,cls,retry_in,default",
    [(429, RateLimited, 60.0, 1.0), (418, IpBanned, 5.0, 120.0)],
    ids=["429", "418"],
)
def test_client_backs_off_until_retry_after(exchange, api, status, cls, retry_in, default):
    """After a 429/418 with retryAfter, every call is refused locally — nothing sent — for
    exactly the time the server said (not the client's default for that status)."""
    retry_at = int(time.time() * 1000 + retry_in * 1000)
    exchange.faults.error_reply(
        "ticker.price", status, -1003, "Too many requests.", data={"retryAfter": retry_at}
    )
    with pytest.raises(cls) as first:
        api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()
    assert first.value.retry_after is not None
    assert retry_in - 5 < first.value.retry_after <= retry_in
    sent = len(exchange.requests)
    with pytest.raises(cls, match="nothing was sent") as refused:
        api.account_api.futures_account_balance().execute()  # any method: the limit is per IP
    left = left_in_backoff(refused.value)
    assert retry_in - 5 < left <= retry_in and abs(left - default) > 0.5
    assert len(exchange.requests) == sent


# ------------------------------------------------------------------ outcome known / unknown

ORDER_METHODS: dict[str, Callable[[Any], Any]] = {
    "order.place": lambda api: (
        api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side("BUY")
        .type("LIMIT")
        .time_in_force("GTC")
        .quantity("0.010")
        .price("50000")
        .new_client_order_id("outcome-1")
    ),
    "order.modify": lambda api: (
        api.trade_api.modify_order()
        .symbol("BTCUSDT")
        .orig_client_order_id("outcome-1")
        .side("BUY")
        .quantity("0.010")
        .price("50001")
    ),
    "order.cancel": lambda api: (
        api.trade_api.cancel_order().symbol("BTCUSDT").orig_client_order_id("outcome-1")
    ),
}


def call(build: Callable[[Any], Any], api: Any, mode: str, timeout: float) -> Any:
    if mode == "sync":
        return build(api).execute(timeout=timeout)
    return build(api).execute_async().result(30)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("method", list(ORDER_METHODS))
def test_order_method_timeout_is_outcome_unknown(make_client, exchange, method, mode):
    """No reply in time to an order method that reached the server: outcome unknown."""
    api = make_client(timeout=0.2).websocket_api
    exchange.faults.never_reply(method, process=True)
    with pytest.raises(RequestTimeout) as info:
        call(ORDER_METHODS[method], api, mode, 0.2)
    err = info.value
    assert err.outcome_unknown is True and err.method == method
    assert "signature" not in err.params and method in methods(exchange)


def cut_off(exchange: LocalExchange, method: str, run: Callable[[], Any]) -> BaseException:
    """Run a call of ``method`` that the exchange receives but never answers, drop the
    connection once the exchange has it, and return what the call raised."""
    exchange.faults.never_reply(method, process=True)
    result: dict[str, BaseException] = {}

    def target() -> None:
        try:
            run()
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            result["error"] = exc

    caller = threading.Thread(target=target)
    caller.start()
    wait_until(lambda: method in methods(exchange))  # it did reach the server
    exchange.faults.drop_connections("api")
    caller.join(20)
    assert not caller.is_alive()
    return result["error"]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("method", list(ORDER_METHODS))
def test_order_method_cut_off_by_a_drop_is_outcome_unknown(make_client, exchange, method, mode):
    """The connection drops after an order method was sent, before its reply: unknown."""
    api = make_client(timeout=30).websocket_api
    err = cut_off(exchange, method, lambda: call(ORDER_METHODS[method], api, mode, 30))
    assert isinstance(err, ConnectionClosed) and not isinstance(err, RequestTimeout)
    assert err.outcome_unknown is True and err.method == method


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("method", list(ORDER_METHODS))
def test_order_method_rejected_by_the_server_is_outcome_known(make_client, exchange, method, mode):
    """A plain error reply (validation, unknown order) says the order was not executed."""
    api = make_client().websocket_api
    exchange.faults.error_reply(method, 400, -2011, "Unknown order sent.")
    with pytest.raises(BadRequest) as info:
        call(ORDER_METHODS[method], api, mode, 5)
    assert info.value.outcome_unknown is False and info.value.code == -2011


def test_real_rejections_are_outcome_known(exchange, api):
    """Rejections computed by the exchange itself are outcome-known too."""
    for build in ORDER_METHODS.values():  # no order "outcome-1" exists: modify/cancel fail
        request = build(api)
        if request.method == "order.place":
            request = request.quantity("0.0001")  # below the step size: rejected
        with pytest.raises(ServerError) as info:
            request.execute()
        assert info.value.outcome_unknown is False, info.value


@pytest.mark.parametrize("fault", ["timeout", "drop"])
def test_a_query_is_never_outcome_unknown(make_client, exchange, fault):
    """A timeout or drop on a method that changes nothing leaves the outcome known."""
    api = make_client().websocket_api
    query = api.trade_api.query_order().symbol("BTCUSDT").order_id(1)
    if fault == "drop":
        err = cut_off(exchange, "order.status", lambda: query.execute(timeout=30))
        assert isinstance(err, ConnectionClosed)
    else:
        exchange.faults.never_reply("order.status")
        with pytest.raises(RequestTimeout) as info:
            query.execute(timeout=0.1)
        err = info.value
    assert err.outcome_unknown is False and err.method == "order.status"


def test_close_does_not_wait_for_a_reconnect_stuck_in_its_handshake(make_client, exchange):
    """A reconnect hanging in its handshake is woken by close(), not waited for: close()
    returns with every thread joined (the autouse check) long before connect_timeout."""
    api = make_client(connect_timeout=60.0, reconnect_delay=0.01).websocket_api
    exchange.faults.stall_handshakes(60.0)
    try:
        before = len(exchange.handshakes)
        exchange.faults.drop_connections("api")
        wait_until(lambda: len(exchange.handshakes) > before)  # the reconnect is in its handshake
        closer = threading.Thread(target=api.close_websocket_connection)
        closer.start()
        # Without the wake-up close() waits until the server gives up the stalled handshake
        # (its 10 s open timeout); with it, close() returns at once. A hang guard, not a timing.
        closer.join(5.0)
        assert not closer.is_alive()
        assert not [t for t in threading.enumerate() if t.name == "binance-usdm-ws-reconnect"]
    finally:
        exchange.faults.stall_handshakes(0)
