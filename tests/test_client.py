"""The foundation over real sockets: the seed's three methods, ids, concurrency, timeouts,
dropped connections, server errors, bad input, closing and secrets."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from binance_usdm_ws import (
    BadRequest,
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConnectionClosed,
    InvalidRequest,
    ListenKeyResult,
    RateLimited,
    RequestTimeout,
    ServerError,
    Unauthorized,
)

from .conftest import wait_until


def test_start_keepalive_close(make_client, exchange):
    """The seed's three methods work end to end with typed results and listenKey semantics."""
    api = make_client().websocket_api.user_data_streams_api
    resp = api.start_user_data_stream().id("e9d6b4349871b40611412680b3445fac").execute()
    assert resp.raw["id"] == resp.typed.id == "e9d6b4349871b40611412680b3445fac"
    assert resp.typed.status == 200
    assert isinstance(resp.typed.result, ListenKeyResult)
    key = resp.typed.result.listen_key
    assert key and len(key) == 64
    assert resp.typed.rate_limits and resp.typed.rate_limits[0].limit == 2400
    assert api.start_user_data_stream().execute().typed.result.listen_key == key
    assert api.keepalive_user_data_stream().execute().typed.result.listen_key == key
    assert api.close_user_data_stream().execute(timeout=2.0).raw["result"] == {}
    with pytest.raises(BadRequest) as info:
        api.keepalive_user_data_stream().execute()
    assert (info.value.status, info.value.code) == (400, -1125)
    sent = [r for r in exchange.requests if r.method.startswith("userDataStream")]
    assert all(r.params == {"apiKey": exchange.api_key} for r in sent)


def test_ids_given_generated_and_int(make_client, exchange):
    """A given string id, a generated one (unique, at most 36 chars) and an int id are echoed."""
    api = make_client().websocket_api.user_data_streams_api
    assert api.start_user_data_stream().id(42).execute().raw["id"] == 42
    generated = {api.start_user_data_stream().execute().id for _ in range(5)}
    assert len(generated) == 5
    assert all(isinstance(i, str) and len(i) <= 36 for i in generated)
    wire_ids = [r.id for r in exchange.requests]
    assert 42 in wire_ids and generated <= set(wire_ids)


def test_sixteen_threads_out_of_order(make_client, exchange):
    """16 threads calling execute() at once, answered in reverse order, each get their own reply."""
    api = make_client().websocket_api.user_data_streams_api
    exchange.faults.reorder(16)
    barrier = threading.Barrier(16)

    def call(i: int) -> object:
        barrier.wait()
        return api.start_user_data_stream().id(f"thread-{i}").execute(timeout=10).raw["id"]

    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(call, range(16)))
    assert got == [f"thread-{i}" for i in range(16)]
    order = [r.id for r in exchange.requests]
    assert sorted(order) == sorted(got)


def test_timeout_then_still_usable(make_client, exchange):
    """A missing reply raises RequestTimeout; a late reply is dropped and the next call works."""
    client = make_client()
    api = client.websocket_api.user_data_streams_api
    exchange.faults.delay("userDataStream.ping", 0.3)
    api.start_user_data_stream().execute()
    with pytest.raises(RequestTimeout) as info:
        api.keepalive_user_data_stream().id("late").execute(timeout=0.05)
    assert isinstance(info.value, TimeoutError)
    assert info.value.request_id == "late" and info.value.method == "userDataStream.ping"
    conn = client.websocket_api.connection
    wait_until(lambda: conn.unknown_replies == 1)
    assert conn.pending_count == 0
    assert api.start_user_data_stream().execute().typed.status == 200


def test_never_reply_timeout_with_async(make_client, exchange):
    """execute_async() futures also time out, by the configuration's timeout."""
    api = make_client(timeout=0.1).websocket_api.user_data_streams_api
    exchange.faults.never_reply("userDataStream.start")
    future = api.start_user_data_stream().execute_async()
    with pytest.raises(RequestTimeout):
        future.result(5)


def test_drop_fails_every_waiting_call_at_once(make_client, exchange):
    """A dropped connection fails all waiting calls with ConnectionClosed, long before timeout."""
    client = make_client(timeout=30.0, reconnect=False)
    api = client.websocket_api.user_data_streams_api
    exchange.faults.never_reply("userDataStream.start")
    futures = [api.start_user_data_stream().execute_async() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        sync_calls = [pool.submit(api.start_user_data_stream().execute) for _ in range(4)]
        wait_until(lambda: client.websocket_api.connection.pending_count == 8)
        exchange.faults.drop_connections()
        for f in futures + sync_calls:
            with pytest.raises(ConnectionClosed) as info:  # not a RequestTimeout after 30 s
                f.result(10)
            assert info.value.__cause__ is not None
    with pytest.raises(ConnectionClosed):
        api.start_user_data_stream().execute()
    with pytest.raises(ConnectionClosed):  # async calls report it through their future
        api.start_user_data_stream().execute_async().result(1)


def test_reconnects_after_drop(make_client, exchange):
    """After a drop the client reconnects by itself and serves new calls."""
    client = make_client()
    api = client.websocket_api.user_data_streams_api
    api.start_user_data_stream().execute()
    old = client.websocket_api.connection
    exchange.faults.drop_connections()
    wait_until(lambda: old.closed)
    # Calls made during the outage wait for the reconnect (the default policy).
    assert api.start_user_data_stream().execute(timeout=5).typed.status == 200
    assert client.websocket_api.reconnects == 1
    assert client.websocket_api.connection is not old


def test_server_errors_are_typed(make_client, exchange):
    """Error envelopes become typed exceptions carrying status, code, msg and rate limits."""
    api = make_client(api_key="unknown-key").websocket_api.user_data_streams_api
    with pytest.raises(Unauthorized) as info:
        api.start_user_data_stream().execute()
    assert (info.value.status, info.value.code) == (401, -2015)
    exchange.faults.error_reply("userDataStream.start", 429, -1003, "Too many requests", times=1)
    with pytest.raises(RateLimited) as info2:
        api.start_user_data_stream().execute()
    assert info2.value.code == -1003 and isinstance(info2.value, ServerError)


def test_bad_input_sends_nothing(make_client, exchange):
    """Bad ids, timeouts or a missing key raise InvalidRequest before anything is sent."""
    client = make_client()
    api = client.websocket_api.user_data_streams_api
    before = len(exchange.requests)
    with pytest.raises(InvalidRequest):
        api.start_user_data_stream().id("x" * 37)
    with pytest.raises(InvalidRequest):
        api.start_user_data_stream().id(True)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest):
        api.start_user_data_stream().execute(timeout=-1)
    keyless = make_client(api_key=None)
    with pytest.raises(InvalidRequest, match="api_key"):
        keyless.websocket_api.user_data_streams_api.start_user_data_stream().execute()
    assert len(exchange.requests) == before
    with pytest.raises(InvalidRequest):
        ConfigurationWebsocketApi(base_path="https://not-a-websocket")


def test_duplicate_inflight_id_is_rejected(make_client, exchange):
    """A second request with an id that is still in flight is refused before sending."""
    api = make_client().websocket_api.user_data_streams_api
    exchange.faults.never_reply("userDataStream.start")
    api.start_user_data_stream().id("same").execute_async()
    with pytest.raises(InvalidRequest, match="in flight"):
        api.start_user_data_stream().id("same").execute()


def test_close_from_other_thread_while_calls_wait(make_client, exchange):
    """close_websocket_connection() from another thread fails waiting calls; it is idempotent."""
    client = make_client(timeout=None)
    api = client.websocket_api.user_data_streams_api
    exchange.faults.never_reply("userDataStream.ping")
    with ThreadPoolExecutor(3) as pool:
        calls = [pool.submit(api.keepalive_user_data_stream().execute) for _ in range(3)]
        wait_until(lambda: client.websocket_api.connection.pending_count == 3)
        closers = [
            threading.Thread(target=client.websocket_api.close_websocket_connection)
            for _ in range(3)
        ]
        for t in closers:
            t.start()
        for t in closers:
            t.join(10)
            assert not t.is_alive()
        for call in calls:
            with pytest.raises(ConnectionClosed):
                call.result(10)
    client.websocket_api.close_websocket_connection()
    assert not client.websocket_api.connected
    with pytest.raises(ConnectionClosed, match="closed"):
        api.start_user_data_stream().execute()


def test_context_manager_connects_and_closes(exchange):
    """The client's with-block connects on enter and closes (no thread left) on exit."""
    cfg = ConfigurationWebsocketApi(
        base_path=exchange.ws_api_url, api_key=exchange.api_key, api_secret=exchange.api_secret
    )
    with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg) as client:
        assert client.websocket_api.connected
        client.websocket_api.user_data_streams_api.start_user_data_stream().execute()
    assert not client.websocket_api.connected
    wait_until(lambda: exchange.api_connection_count == 0)


def test_connect_failure_is_typed():
    """Connecting to a port where nothing listens raises ConnectionClosed with a cause."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = ConfigurationWebsocketApi(base_path=f"ws://127.0.0.1:{port}/ws-fapi/v1", api_key="k")
    client = BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg)
    with pytest.raises(ConnectionClosed) as info:
        client.websocket_api.connect()
    assert isinstance(info.value.__cause__, OSError)
    client.close()


def test_handshake_timeout():
    """A server that accepts TCP but never answers the handshake fails within connect_timeout."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        cfg = ConfigurationWebsocketApi(
            base_path=f"ws://127.0.0.1:{port}/ws-fapi/v1", connect_timeout=0.2
        )
        client = BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg)
        with pytest.raises(ConnectionClosed):
            client.websocket_api.connect()
        client.close()


def test_garbage_and_unknown_ids_do_not_disturb(make_client, exchange):
    """Garbage frames and replies for unknown ids are dropped; the reader keeps serving."""
    client = make_client()
    api = client.websocket_api.user_data_streams_api
    exchange.faults.send_raw("not json {")
    exchange.faults.send_raw('{"id":"nobody","status":200,"result":{}}')
    exchange.faults.send_raw(b"\xff\xfe binary garbage")
    assert api.start_user_data_stream().execute().typed.status == 200
    conn = client.websocket_api.connection
    wait_until(lambda: conn.garbage_frames >= 2 and conn.unknown_replies == 1)


def test_unsolicited_notice_reaches_user(make_client, exchange):
    """An "id": null error (key revocation) reaches the notice handler as a typed error."""
    client = make_client()
    seen = []
    client.websocket_api.on_notice(seen.append)
    exchange.push_api(
        {
            "id": None,
            "status": 401,
            "error": {"code": -2015, "msg": "Invalid API-key, IP, or permissions."},
        }
    )
    wait_until(lambda: seen)
    assert isinstance(seen[0].error, Unauthorized) and seen[0].error.code == -2015
    assert client.websocket_api.notices[-1] is seen[0]


def test_server_pings_are_answered(make_client, exchange):
    """The connection survives server pings: each is answered before the exchange's pong
    deadline (conftest: a ping every second, the connection dropped after 3 s without pong)."""
    client = make_client(heartbeat_interval=None)
    api = client.websocket_api
    wait_until(lambda: exchange.pings_answered("api") >= 3, timeout=15)
    assert exchange.pong_timeouts() == 0 and api.reconnects == 0 and api.connected
    key = api.user_data_streams_api.start_user_data_stream().execute().result
    assert key is not None and len(key.listen_key) == 64


def test_works_inside_a_running_event_loop(make_client):
    """execute() works from code running inside an asyncio loop, as in a Jupyter kernel."""
    api = make_client().websocket_api.user_data_streams_api

    async def notebook_cell() -> str | None:
        return api.start_user_data_stream().execute().typed.result.listen_key

    assert asyncio.run(notebook_cell())


def test_secrets_never_leak(make_client, exchange, caplog):
    """The API secret and signatures appear in no repr, DEBUG log or exception text."""
    caplog.set_level(logging.DEBUG, logger="binance_usdm_ws")
    client = make_client(session_logon=True)
    api = client.websocket_api
    api.user_data_streams_api.start_user_data_stream().execute()
    signature = next(
        r.params["signature"] for r in exchange.requests if r.method == "session.logon"
    )
    exchange.faults.error_reply(
        "session.logon", 400, -1022, "Signature for this request is not valid."
    )
    with pytest.raises(ServerError) as info:
        api.auth_api.session_logon().execute()
    texts = [
        caplog.text,
        repr(client),
        repr(api.config),
        str(info.value),
        repr(info.value),
        repr(info.value.params),
        repr(api.auth_api.session_logon()),
    ]
    for text in texts:
        assert exchange.api_secret not in text
        assert signature not in text
    assert "signature" not in info.value.params


def test_closed_client_cannot_reconnect(make_client):
    """After client.close() the client refuses to connect again (its timers are gone)."""
    client = make_client()
    client.close()
    with pytest.raises(ConnectionClosed, match="make a new client"):
        client.websocket_api.connect()
    client.close()  # still idempotent
