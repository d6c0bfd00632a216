"""The user data stream URL forms and the ``events`` allow list, over real sockets.

Production (measured 2026-07-31, and the fixes merged in other libraries) delivers user data on
``/private/ws?listenKey=<key>`` and on ``SUBSCRIBE <key>`` over ``/private/stream``; the path
form ``/private/ws/<key>`` and the retired ``/ws/<key>`` accept the socket and send nothing.
The local exchange does the same by default; these tests hold both sides to it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
import websocket

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    ConnectionClosed,
    InvalidRequest,
    ListenKeyExpired,
    MarginCall,
    OrderTradeUpdate,
    StreamGap,
    UserDataStream,
)
from binance_usdm_ws.testing import LocalExchange

from ._data import sample_event
from .conftest import wait_until

#: How long a socket that should get nothing is watched. Not a threshold: the events it would
#: get are written before the order's reply is, so they would arrive well within it.
QUIET = 0.5


# ---------------------------------------------------------------------------- helpers


def connect(url: str) -> websocket.WebSocket:
    return websocket.create_connection(url, timeout=5.0, skip_utf8_validation=True)


def frames(conn: websocket.WebSocket, until_quiet: float = QUIET) -> list[dict[str, Any]]:
    """Every frame that arrives until ``until_quiet`` seconds pass without one."""
    got = []
    conn.settimeout(until_quiet)
    try:
        while True:
            got.append(json.loads(conn.recv()))
    except websocket.WebSocketTimeoutException:
        return got
    finally:
        conn.settimeout(5.0)


def types(got: list[dict[str, Any]]) -> list[str]:
    return [(f.get("data") or f)["e"] for f in got]


def start_key(api: websocket.WebSocket, ex: LocalExchange) -> str:
    api.send(
        json.dumps({"id": 1, "method": "userDataStream.start", "params": {"apiKey": ex.api_key}})
    )
    return str(json.loads(api.recv())["result"]["listenKey"])


def client_for(ex: LocalExchange, **streams: Any) -> BinanceDerivativesTradingUsdsFuturesClient:
    api = ConfigurationWebsocketApi(
        base_path=ex.ws_api_url, api_key=ex.api_key, api_secret=ex.api_secret
    )
    streams.setdefault("reconnect_delay", 0.02)
    streams.setdefault("reconnect_max_delay", 0.2)
    cfg = ConfigurationWebsocketStreams(base_path=ex.streams_url, **streams)
    return BinanceDerivativesTradingUsdsFuturesClient(websocket_api=api, websocket_streams=cfg)


def market_order(client: BinanceDerivativesTradingUsdsFuturesClient, cid: str) -> None:
    order = client.websocket_api.trade_api.new_order().symbol("BTCUSDT").side("BUY")
    order.type("MARKET").quantity("0.010").new_client_order_id(cid).execute()


def next_of(stream: UserDataStream, cls: type, timeout: float = 5.0) -> Any:
    """The next item of type ``cls`` (other items skipped); fails if none arrives in time."""
    while True:
        item = stream.get(timeout)
        assert item is not None, f"no {cls.__name__} in time"
        if isinstance(item, cls):
            return item


def drain(stream: UserDataStream, quiet: float = QUIET) -> list[Any]:
    items = []
    while (item := stream.get(quiet)) is not None:
        items.append(item)
    return items


@pytest.fixture
def ex():
    with LocalExchange() as exchange:
        yield exchange


@pytest.fixture
def api(ex):
    conn = connect(ex.ws_api_url)
    yield conn
    conn.close()


# ---------------------------------------------------------------------------- the exchange


def test_exchange_delivers_on_query_and_subscribe_and_keeps_the_others_silent(ex, api):
    """By default the query form and SUBSCRIBE on /private/stream get the key's events; the
    path form and the unrouted /ws/<key> accept the handshake, then get nothing, no close."""
    key = start_key(api, ex)
    query = connect(f"{ex.streams_url}/private/ws?listenKey={key}")
    path = connect(f"{ex.streams_url}/private/ws/{key}")
    unrouted = connect(f"{ex.streams_url}/ws/{key}")
    subscribed = connect(f"{ex.streams_url}/private/stream")
    socks = [query, path, unrouted, subscribed]
    try:
        subscribed.send(json.dumps({"method": "SUBSCRIBE", "params": [key], "id": 7}))
        assert json.loads(subscribed.recv()) == {"result": None, "id": 7}
        ex.wait_for(lambda: len(ex.user_data_subscriptions) == 4)
        ex.push_event({"e": "MARGIN_CALL", "E": 1}, listen_key=key)
        ex.push_event({"e": "MARGIN_CALL", "E": 2})  # to every socket, whatever its key
        assert frames(query) == [{"e": "MARGIN_CALL", "E": 1}, {"e": "MARGIN_CALL", "E": 2}]
        assert [f["stream"] for f in frames(subscribed)] == [key, key]
        assert frames(path) == [] and frames(unrouted) == []
        for silent in (path, unrouted):  # still open: a ping is answered
            silent.ping("alive?")
            assert silent.recv_data_frame(control_frame=True)[0] == websocket.ABNF.OPCODE_PONG
    finally:
        for conn in socks:
            conn.close()
    seen = [(s.form, s.listen_key, s.delivers) for s in ex.user_data_subscriptions]
    assert seen == [
        ("query", key, True),
        ("path", key, False),
        ("unrouted", key, False),
        ("subscribe", key, True),
    ]


def test_exchange_events_filter_is_an_allow_list_as_measured(ex, api):
    """Four sockets on one key, as in the 2026-07-31 measurement: the filter lets through only
    the listed types, and listenKeyExpired only when listed (or with no filter)."""
    key = start_key(api, ex)
    base = f"{ex.streams_url}/private/ws?listenKey={key}"
    filters = [
        None,
        "listenKeyExpired",
        "ORDER_TRADE_UPDATE/ACCOUNT_UPDATE/listenKeyExpired",
        "ORDER_TRADE_UPDATE/ACCOUNT_UPDATE",
    ]
    socks = [connect(base if f is None else f"{base}&events={f}") for f in filters]
    try:
        ex.wait_for(lambda: len(ex.user_data_subscriptions) == 4)
        for payload in (
            {"e": "TRADE_LITE"},
            {"e": "ORDER_TRADE_UPDATE"},
            {"e": "ACCOUNT_UPDATE"},
            {"e": "MARGIN_CALL"},
        ):
            ex.push_event(payload, listen_key=key)
        ex.clock.advance(61 * 60)  # the key lapses: listenKeyExpired
        got = [types(frames(s)) for s in socks]
    finally:
        for conn in socks:
            conn.close()
    assert got == [
        ["TRADE_LITE", "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "MARGIN_CALL", "listenKeyExpired"],
        ["listenKeyExpired"],
        ["ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "listenKeyExpired"],
        ["ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"],
    ]
    assert [s.events for s in ex.user_data_subscriptions][1] == frozenset({"listenKeyExpired"})


def test_exchange_stream_mode_pairs_each_key_with_its_events(ex, api):
    """/private/stream?listenKey=k1&events=A&listenKey=k2&events=B: each key its own filter."""
    key = start_key(api, ex)
    url = (
        f"{ex.streams_url}/private/stream?listenKey={key}&events=ORDER_TRADE_UPDATE"
        "&listenKey=otherkey&events=ACCOUNT_UPDATE"
    )
    conn = connect(url)
    try:
        ex.wait_for(lambda: len(ex.user_data_subscriptions) == 2)
        for e in ("ACCOUNT_UPDATE", "ORDER_TRADE_UPDATE"):
            ex.push_event({"e": e}, listen_key=key)
            ex.push_event({"e": e}, listen_key="otherkey")
        got = [(f["stream"], f["data"]["e"]) for f in frames(conn)]
    finally:
        conn.close()
    assert got == [("otherkey", "ACCOUNT_UPDATE"), (key, "ORDER_TRADE_UPDATE")]


@pytest.mark.parametrize("forms", [{"path"}, {"unrouted"}, {"query", "path"}])
def test_which_forms_deliver_is_configurable(api, forms):
    """``user_data_url_forms`` picks the forms that deliver (e.g. an environment that serves
    only the path form); the others stay silent."""
    urls = {"query": "/private/ws?listenKey={}", "path": "/private/ws/{}", "unrouted": "/ws/{}"}
    with LocalExchange(user_data_url_forms=forms) as exchange:
        assert exchange.user_data_url_forms == frozenset(forms)
        api = connect(exchange.ws_api_url)
        key = start_key(api, exchange)
        socks = {
            form: connect(exchange.streams_url + url.format(key)) for form, url in urls.items()
        }
        try:
            exchange.wait_for(lambda: len(exchange.user_data_subscriptions) == 3)
            exchange.push_event({"e": "MARGIN_CALL"}, listen_key=key)
            got = {form: frames(conn) for form, conn in socks.items()}
        finally:
            for conn in [api, *socks.values()]:
                conn.close()
    assert {form for form, f in got.items() if f} == forms


def test_unknown_form_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        LocalExchange(user_data_url_forms={"query", "bogus"})
    with pytest.raises(ValueError, match="str"):
        LocalExchange(user_data_url_forms="query")


# ---------------------------------------------------------------------------- the SDK


def test_default_configuration_receives_order_events(ex):
    """With no configuration the stream uses the query form, and an order placed over the WS
    API arrives as ORDER_TRADE_UPDATE on an exchange that serves only what production serves."""
    with client_for(ex) as client, client.user_data_stream() as stream:
        assert ConfigurationWebsocketStreams().user_data_url == "query"
        market_order(client, "udurl-default")
        update = next_of(stream, OrderTradeUpdate)
        assert update.order.client_order_id == "udurl-default"
    assert [s.form for s in ex.user_data_subscriptions] == ["query"]


def test_path_form_gets_nothing_where_query_and_subscribe_on_the_same_key_do(ex):
    """On a production-like exchange the path form stays connected and silent while the query
    and subscribe forms, on the same listenKey, get the order's events."""
    clients = {form: client_for(ex, user_data_url=form) for form in ("path", "query", "subscribe")}
    streams = {}
    try:
        for form, client in clients.items():
            client.websocket_api.connect()
            streams[form] = client.user_data_stream().start()
        keys = {s.listen_key for s in streams.values()}
        assert len(keys) == 1  # one account, one key
        market_order(clients["query"], "udurl-forms")
        for form in ("query", "subscribe"):
            assert next_of(streams[form], OrderTradeUpdate).order.client_order_id == "udurl-forms"
        assert drain(streams["path"]) == []
        assert streams["path"].connection is not None and not streams["path"].connection.closed
    finally:
        for client in clients.values():
            client.close()
    seen = [(s.form, s.listen_key) for s in ex.user_data_subscriptions]
    assert seen == [("path", key) for key in keys] + [("query", key) for key in keys] + [
        ("subscribe", key) for key in keys
    ]


def test_events_filter_delivers_only_listed_types_and_always_the_expiry(ex, caplog):
    """``events=[...]`` reaches Binance with listenKeyExpired added (and a log line saying so):
    only the listed types arrive, and the key's expiry still does, so the stream renews it
    (on the same filter)."""
    caplog.set_level(logging.INFO, logger="binance_usdm_ws")
    with client_for(ex) as client:
        with client.user_data_stream(events=["ORDER_TRADE_UPDATE"]) as stream:
            assert stream.events == ("ORDER_TRADE_UPDATE", "listenKeyExpired")
            assert "listenKeyExpired added" in caplog.text
            key = stream.listen_key
            market_order(client, "udurl-events")  # TRADE_LITE, ORDER_TRADE_UPDATE, ACCOUNT_UPDATE
            ex.clock.advance(61 * 60)
            items = [next_of(stream, ListenKeyExpired), next_of(stream, object)]  # and the gap
            order = dict(sample_event("ORDER_TRADE_UPDATE")["o"], c="udurl-after")
            for e in ("TRADE_LITE", "ACCOUNT_UPDATE"):
                ex.push_event(sample_event(e))  # on the renewed key
            ex.push_event(sample_event("ORDER_TRADE_UPDATE", o=order))
            while not (isinstance(items[-1], OrderTradeUpdate) and items[-1].order.client_order_id):
                items.append(next_of(stream, object))
            assert stream.listen_key != key and stream.key_renewals == 1
        skipped = [i for i in caplog.records if "ORDER_TRADE_UPDATE" in i.getMessage()]
    assert items[0].listen_key == key
    assert [type(i) for i in items] == [ListenKeyExpired, StreamGap, OrderTradeUpdate]
    assert items[1].reason == "listen_key_expired"
    assert items[2].order.client_order_id == "udurl-after"
    assert skipped  # the log line names the filter
    subs = ex.user_data_subscriptions
    assert [s.events for s in subs] == [frozenset({"ORDER_TRADE_UPDATE", "listenKeyExpired"})] * 2


def test_events_filter_lets_only_the_listed_types_of_an_order_through(ex):
    with client_for(ex) as client:
        with client.user_data_stream(events=["ORDER_TRADE_UPDATE"]) as stream:
            market_order(client, "udurl-only")
            first = next_of(stream, object)
            rest = drain(stream)
    assert isinstance(first, OrderTradeUpdate) and first.order.client_order_id == "udurl-only"
    assert rest and all(isinstance(i, OrderTradeUpdate) for i in rest)


def test_events_filter_listing_the_expiry_logs_nothing_about_adding_it(ex, caplog):
    caplog.set_level(logging.INFO, logger="binance_usdm_ws")
    with client_for(ex) as client:
        stream = client.user_data_stream(events=iter(["listenKeyExpired", "TRADE_LITE"]))
        assert stream.events == ("listenKeyExpired", "TRADE_LITE")
    assert "listenKeyExpired added" not in caplog.text


@pytest.mark.parametrize(
    "events",
    [[], "ORDER_TRADE_UPDATE", [""], ["ORDER TRADE"], ["ORDER_TRADE_UPDATE&x=1"], [1], ["_x"]],
)
def test_bad_events_are_refused_before_anything_is_sent(ex, events):
    with client_for(ex) as client:
        with pytest.raises(InvalidRequest) as caught:
            client.user_data_stream(events=events)
    assert caught.value.param == "events"
    assert not [r for r in ex.requests if r.method == "userDataStream.start"]


@pytest.mark.parametrize("form", ["path", "subscribe"])
def test_events_need_the_query_form(ex, form):
    with client_for(ex, user_data_url=form) as client:
        with pytest.raises(InvalidRequest, match='user_data_url="query"'):
            client.user_data_stream(events=["ORDER_TRADE_UPDATE"])


@pytest.mark.parametrize("value", ["QUERY", "ws", None, ""])
def test_bad_user_data_url_is_refused(value):
    with pytest.raises(InvalidRequest) as caught:
        ConfigurationWebsocketStreams(user_data_url=value)
    assert caught.value.param == "user_data_url"


@pytest.mark.parametrize("form", ["query", "path", "subscribe"])
def test_every_socket_keeps_the_chosen_form(form):
    """Open, reconnect after a drop, an expired key's replacement and a rotation all use the
    configured form, on an exchange that serves only that form (so each step's events arrive
    only if the form was kept)."""
    with LocalExchange(user_data_url_forms={form}) as ex:
        with client_for(ex, user_data_url=form, rotation_interval=None) as client:
            with client.user_data_stream() as stream:
                first = stream.listen_key

                def flows(n: int) -> None:
                    ex.push_event(sample_event("MARGIN_CALL", E=n))
                    assert next_of(stream, MarginCall).event_time == n

                flows(1)
                ex.faults.drop_connections(kind="stream")  # reconnect, same key
                assert next_of(stream, StreamGap).reason == "reconnect"
                flows(2)
                ex.clock.advance(61 * 60)  # the key lapses: renewed on a new key
                assert next_of(stream, StreamGap).reason == "listen_key_expired"
                flows(3)
                renewed = stream.listen_key
                # A rotation now (normally at rotation_interval), in the supervisor's thread.
                stream._slot.rotate_at = time.monotonic()
                stream._supervisor.command("tick")
                wait_until(lambda: stream.rotations == 1)
                flows(4)
    subs = ex.user_data_subscriptions
    assert [s.form for s in subs] == [form] * 4
    assert [s.listen_key for s in subs] == [first, first, renewed, renewed] and renewed != first


def test_listen_key_is_masked_in_logs_reprs_and_errors_in_the_query_form(ex, caplog):
    """The query form puts the key in the URL: it never shows whole in a log record, a repr or
    the error of a socket that cannot be opened."""
    caplog.set_level(logging.DEBUG)
    with client_for(ex, connect_timeout=2.0) as client:
        with client.user_data_stream(events=["ORDER_TRADE_UPDATE"]) as stream:
            key = stream.listen_key
            assert key is not None
            shown = [repr(stream), repr(stream.connection)]
            ex.faults.drop_connections(kind="stream")
            assert next_of(stream, StreamGap).reason == "reconnect"
    # A socket that cannot be opened: its error names the URL, with the key masked.
    dead = LocalExchange().start()
    port = dead.port
    dead.stop()
    with client_for(ex) as client:
        cfg = ConfigurationWebsocketStreams(base_path=f"ws://127.0.0.1:{port}")
        client.websocket_streams_config = cfg
        with pytest.raises(ConnectionClosed) as caught:
            client.user_data_stream().start()
    failed_key = ex.issued_listen_keys[-1]
    assert f"/private/ws?listenKey={failed_key[:4]}…" in str(caught.value)
    shown.append(str(caught.value))
    text = "\n".join(shown) + "\n" + caplog.text
    assert key[:4] + "…" in text and "listenKey=" in text
    assert key not in text and failed_key not in text
