"""Sharding, reconnects and waiting calls: the rules that decide what a socket carries.

* A socket holds at most ``max_streams_per_connection`` streams (Binance: 1024): a new shard
  opens only for what does not fit in the sockets already open, counting what they hold.
* A reconnected socket subscribes **all** its streams again, in as many chunks as it takes.
* A WS API call made during an outage waits for the reconnect within its own timeout,
  counted from when it was made — not a fresh one after the reconnect.
"""

from __future__ import annotations

import json

import pytest

from binance_usdm_ws import (
    ConfigurationWebsocketStreams,
    ConnectionClosed,
    RequestTimeout,
    StreamGap,
)

from .conftest import wait_until
from .test_websocket_streams import TRADE, streams  # noqa: F401  (fixture)


def shard_sizes(exchange) -> list[int]:
    return sorted((len(s) for _, s in exchange.market_subscriptions()), reverse=True)


def test_default_shard_size_is_binances_1024():
    assert ConfigurationWebsocketStreams().max_streams_per_connection == 1024


def test_a_new_shard_counts_what_the_open_sockets_hold(exchange, streams):  # noqa: F811
    ws = streams(max_streams_per_connection=3, max_streams_per_subscribe=2)
    first = ws.subscribe([f"a{i}usdt@aggTrade" for i in range(2)])
    assert shard_sizes(exchange) == [2]
    second = ws.subscribe([f"b{i}usdt@aggTrade" for i in range(3)])
    # One more fits in the first socket; the other two open a second one.
    assert shard_sizes(exchange) == [3, 2] and ws.connection_count == 2
    third = ws.subscribe(["c0usdt@aggTrade"])
    assert shard_sizes(exchange) == [3, 3]
    for handle, name in ((first, "a1usdt@aggTrade"), (second, "b2usdt@aggTrade")):
        exchange.publish(name, TRADE)
        assert handle.get(timeout=5).symbol == "BTCUSDT"
    third.unsubscribe()


def test_a_reconnect_subscribes_every_chunk_again(exchange, streams):  # noqa: F811
    ws = streams(max_streams_per_subscribe=2)
    names = [f"s{i}usdt@aggTrade" for i in range(5)]
    handle = ws.subscribe(names)
    assert exchange.faults.drop_connections("stream") == 1
    gap = handle.get(timeout=10)
    assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
    wait_until(lambda: ws.reconnects == 1, 10)
    wait_until(lambda: sorted(n for _, s in exchange.market_subscriptions() for n in s) == names)
    frames = [json.loads(t) for _, _, _, t in exchange.market_control_frames()]
    again = [f["params"] for f in frames if f["method"] == "SUBSCRIBE"][3:]
    assert again == [names[0:2], names[2:4], names[4:5]]  # three chunks, as the first time
    exchange.publish("s4usdt@aggTrade", TRADE)  # the last chunk's stream is live again
    assert handle.get(timeout=5).symbol == "BTCUSDT"


def test_a_call_waiting_for_the_reconnect_keeps_its_own_deadline(exchange, make_client):
    """Made during the outage, it has what is left of its 1 s: the reconnect takes 0.8 s and
    the reply 0.6 s more, so it times out; with a fresh 1 s after the reconnect it would not."""
    api = make_client(timeout=1.0, reconnect_delay=0.01).websocket_api
    api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()
    exchange.faults.stall_handshakes(0.8)
    exchange.faults.delay("ticker.price", 0.6)
    exchange.faults.drop_connections("api")
    wait_until(lambda: not api.connected)
    # Sent after the reconnect and unanswered in time (RequestTimeout), or, on a loaded machine
    # where the reconnect alone outlasts the 1 s, never sent (ConnectionClosed: "no connection
    # within the timeout"): either way it fails, where a fresh 1 s would have let it succeed.
    with pytest.raises((RequestTimeout, ConnectionClosed)):
        api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()
    exchange.faults.reset()
    wait_until(lambda: api.connected, 10)
    price = api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute().result
    assert price.symbol == "BTCUSDT"


def test_by_default_a_socket_holds_1024_streams_and_the_1025th_opens_another(
    exchange,
    streams,  # noqa: F811
):
    ws = streams()
    names = [f"s{i}usdt@aggTrade" for i in range(1025)]
    handle = ws.subscribe(names)
    assert shard_sizes(exchange) == [1024, 1] and ws.connection_count == 2
    exchange.publish(names[-1], TRADE)  # the one on the second socket delivers
    assert handle.get(timeout=10).symbol == "BTCUSDT"
