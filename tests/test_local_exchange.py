"""Tests of the bundled local exchange (binance_usdm_ws.testing), over real loopback sockets."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from binance_usdm_ws.testing import LocalExchange


@pytest.fixture
def ex() -> Iterator[LocalExchange]:
    with LocalExchange() as exchange:
        yield exchange


def connect(url: str, timeout: float = 5.0) -> websocket.WebSocket:
    return websocket.create_connection(url, timeout=timeout, skip_utf8_validation=True)


def close(conn: websocket.WebSocket) -> None:
    try:
        conn.close(timeout=1)
    except Exception:
        pass
    finally:
        conn.shutdown()


@pytest.fixture
def ws(ex: LocalExchange) -> Iterator[websocket.WebSocket]:
    conn = connect(ex.ws_api_url)
    yield conn
    close(conn)


def send(conn: websocket.WebSocket, method: str, params: dict[str, Any] | None = None, id: Any = 1):
    frame: dict[str, Any] = {"id": id, "method": method}
    if params is not None:
        frame["params"] = params
    conn.send(json.dumps(frame))


def recv(conn: websocket.WebSocket) -> dict[str, Any]:
    return json.loads(conn.recv())


def call(conn, method, params=None, id: Any = 1) -> dict[str, Any]:
    send(conn, method, params, id)
    return recv(conn)


def no_frame_within(conn: websocket.WebSocket, seconds: float) -> bool:
    conn.settimeout(seconds)
    try:
        conn.recv()
    except websocket.WebSocketTimeoutException:
        return True
    finally:
        conn.settimeout(5.0)
    return False


# ------------------------------------------------------------------------------- stage 1


def test_urls_and_thread_lifecycle():
    """The URLs point at the bound port and __exit__ joins the server thread."""
    with LocalExchange() as exchange:
        assert exchange.ws_api_url == f"ws://127.0.0.1:{exchange.port}/ws-fapi/v1"
        assert exchange.streams_url == f"ws://127.0.0.1:{exchange.port}"
        assert any(t.name == "local-exchange" for t in threading.enumerate())
    assert not any(t.name == "local-exchange" for t in threading.enumerate())


def test_user_data_stream_start_returns_a_64_char_key(ex, ws):
    """userDataStream.start returns a 64-char alphanumeric listenKey and rateLimits."""
    reply = call(ws, "userDataStream.start", {"apiKey": ex.api_key}, id="abc")
    assert reply["id"] == "abc" and reply["status"] == 200
    key = reply["result"]["listenKey"]
    assert len(key) == 64 and key.isalnum()
    assert reply["rateLimits"] == [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": 2400,
            "count": 1,
        }
    ]


def test_start_twice_returns_the_active_key_and_extends_it(ex, ws):
    """A second start returns the same key and extends its validity by 60 minutes."""
    first = call(ws, "userDataStream.start", {"apiKey": ex.api_key})["result"]["listenKey"]
    ex.clock.advance(50 * 60)
    second = call(ws, "userDataStream.start", {"apiKey": ex.api_key})["result"]["listenKey"]
    assert first == second
    ex.clock.advance(50 * 60)  # 100 min after creation, 50 after the extension
    reply = call(ws, "userDataStream.ping", {"apiKey": ex.api_key})
    assert reply["status"] == 200 and reply["result"] == {"listenKey": first}


def test_ping_and_stop_semantics(ex, ws):
    """ping returns the key, stop returns {}, and both fail with -1125 without an active key."""
    key = call(ws, "userDataStream.start", {"apiKey": ex.api_key})["result"]["listenKey"]
    assert call(ws, "userDataStream.ping", {"apiKey": ex.api_key})["result"] == {"listenKey": key}
    stop = call(ws, "userDataStream.stop", {"apiKey": ex.api_key})
    assert stop["status"] == 200 and stop["result"] == {}
    for method in ("userDataStream.ping", "userDataStream.stop"):
        reply = call(ws, method, {"apiKey": ex.api_key})
        assert reply["status"] == 400
        assert reply["error"] == {"code": -1125, "msg": "This listenKey does not exist."}
    new = call(ws, "userDataStream.start", {"apiKey": ex.api_key})["result"]["listenKey"]
    assert new != key


def test_listen_key_lapses_after_60_simulated_minutes(ex, ws):
    """Without a ping the key lapses after 60 minutes on the simulated clock."""
    key = call(ws, "userDataStream.start", {"apiKey": ex.api_key})["result"]["listenKey"]
    ex.clock.advance(59 * 60)
    assert call(ws, "userDataStream.ping", {"apiKey": ex.api_key})["status"] == 200
    ex.clock.advance(60 * 60 + 1)
    assert call(ws, "userDataStream.ping", {"apiKey": ex.api_key})["error"]["code"] == -1125
    assert call(ws, "userDataStream.start", {"apiKey": ex.api_key})["result"]["listenKey"] != key


def test_clock_only_moves_forward(ex):
    """The simulated clock starts at real time, advances on demand and never goes back."""
    start = ex.clock.now_ms()
    assert abs(start - time.time() * 1000) < 1000
    ex.clock.advance(3600)
    assert ex.clock.now_ms() - start >= 3600 * 1000
    with pytest.raises(ValueError):
        ex.clock.advance(-1)


@pytest.mark.parametrize("params", [None, {}, {"apiKey": "nope"}, {"apiKey": 12}])
def test_missing_or_unknown_api_key_is_401(ws, params):
    """USER_STREAM methods without a valid apiKey get 401 / -2015."""
    reply = call(ws, "userDataStream.start", params)
    assert reply["status"] == 401
    assert reply["error"] == {
        "code": -2015,
        "msg": "Invalid API-key, IP, or permissions for action.",
    }
    assert "rateLimits" in reply


def test_unknown_method_is_400_with_code_1020(ws):
    """An unknown method gets status 400 / -1020 with the request id."""
    reply = call(ws, "no.such.method", {}, id=7)
    assert reply["id"] == 7 and reply["status"] == 400
    assert reply["error"]["code"] == -1020
    assert "rateLimits" in reply


@pytest.mark.parametrize("frame", ["not json", '{"id": 1, "method":', "[1, 2]", "42", "null"])
def test_malformed_json_or_non_object_gets_id_null_400(ws, frame):
    """Garbage, truncated JSON and non-objects get {"id": null, "status": 400, "error": ...}."""
    ws.send(frame)
    reply = recv(ws)
    assert reply["id"] is None and reply["status"] == 400
    assert reply["error"]["code"] == -1013 and isinstance(reply["error"]["msg"], str)


def test_missing_id_or_method_is_rejected(ws):
    """A request without id or without method is answered with 400 / -1102."""
    ws.send(json.dumps({"method": "session.status"}))
    reply = recv(ws)
    assert reply["id"] is None and reply["error"]["code"] == -1102
    ws.send(json.dumps({"id": "q"}))
    reply = recv(ws)
    assert reply["id"] == "q" and reply["error"]["code"] == -1102
    assert "'method'" in reply["error"]["msg"]


def test_missing_mandatory_param_uses_binance_message(ws):
    """A missing mandatory parameter gets -1102 with Binance's message format."""
    reply = call(ws, "depth", {})
    assert reply["status"] == 400
    assert reply["error"] == {
        "code": -1102,
        "msg": "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    }


@pytest.mark.parametrize("req_id", [0, 123456789012, "e9d6b4349871b40611412680b3445fac", "", None])
def test_ids_are_echoed_exactly(ws, req_id):
    """String, integer and null ids are echoed unchanged."""
    assert call(ws, "session.status", id=req_id)["id"] == req_id


def test_rate_limit_count_tracks_weight_in_the_current_minute(ex, ws):
    """REQUEST_WEIGHT count adds up the weight of the minute and resets the next minute."""
    counts = [
        call(ws, "userDataStream.start", {"apiKey": ex.api_key})["rateLimits"][0]["count"]
        for _ in range(3)
    ]
    assert counts == [counts[0], counts[0] + 1, counts[0] + 2]
    depth = call(ws, "depth", {"symbol": "BTCUSDT", "limit": 1000})
    assert depth["rateLimits"][0]["count"] == counts[2] + 20
    ex.clock.advance(60)
    assert call(ws, "session.status")["rateLimits"][0]["count"] == 2


def test_return_rate_limits_false(ex):
    """?returnRateLimits=false omits rateLimits; a per-request param overrides either way."""
    conn = connect(ex.ws_api_url + "?returnRateLimits=false&timeUnit=MILLISECOND")
    try:
        assert "rateLimits" not in call(conn, "session.status")
        assert "rateLimits" in call(conn, "session.status", {"returnRateLimits": True})
        assert "rateLimits" not in call(conn, "session.status", {"returnRateLimits": False})
        assert "rateLimits" not in call(conn, "bogus")
    finally:
        close(conn)
    conn = connect(ex.ws_api_url)
    try:
        assert "rateLimits" not in call(conn, "session.status", {"returnRateLimits": False})
    finally:
        close(conn)


def test_unknown_path_is_rejected_at_handshake(ex):
    """Paths other than the WS API and /private streams get HTTP 404."""
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        connect(ex.streams_url + "/nothing/here")
    assert info.value.status_code == 404


def test_requests_are_recorded_in_order(ex, ws):
    """Every received frame is recorded with conn id, id, method, params and raw text."""
    call(ws, "session.status", id=1)
    call(ws, "userDataStream.start", {"apiKey": ex.api_key}, id="two")
    ws.send("garbage")
    recv(ws)
    recorded = ex.requests
    assert [(r.id, r.method) for r in recorded] == [
        (1, "session.status"),
        ("two", "userDataStream.start"),
        (None, None),
    ]
    assert recorded[1].params == {"apiKey": ex.api_key}
    assert recorded[2].raw == "garbage"
    assert len({r.conn_id for r in recorded}) == 1
    ex.clear_requests()
    assert ex.requests == []


def test_connection_counts(ex):
    """api_connection_count follows connections opening and closing."""
    assert ex.api_connection_count == 0
    a, b = connect(ex.ws_api_url), connect(ex.ws_api_url)
    ex.wait_for(lambda: ex.api_connection_count == 2)
    close(a)
    ex.wait_for(lambda: ex.api_connection_count == 1)
    close(b)
    ex.wait_for(lambda: ex.api_connection_count == 0)
    assert ex.stream_connection_count == 0


def test_wait_for_raises_assertion_error_on_timeout(ex):
    """wait_for raises AssertionError when the predicate stays false."""
    with pytest.raises(AssertionError):
        ex.wait_for(lambda: False, timeout=0.05)


def test_server_sends_ping_frames():
    """The server pings every ping_interval seconds."""
    with LocalExchange(ping_interval=0.1) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            opcode, frame = conn.recv_data_frame(control_frame=True)
            assert opcode == websocket.ABNF.OPCODE_PING
            conn.pong(frame.data)
            opcode, _ = conn.recv_data_frame(control_frame=True)
            assert opcode == websocket.ABNF.OPCODE_PING
        finally:
            close(conn)


def test_unanswered_pings_close_the_connection():
    """A client that never answers pings is disconnected after ping_timeout."""
    with LocalExchange(ping_interval=0.1, ping_timeout=0.3) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            exchange.wait_for(lambda: exchange.api_connection_count == 1)
            time.sleep(0.6)  # never read: pings stay unanswered
            exchange.wait_for(lambda: exchange.api_connection_count == 0, timeout=3)
        finally:
            close(conn)


def test_answered_pings_keep_the_connection_open():
    """A client that answers pings stays connected past ping_timeout."""
    with LocalExchange(ping_interval=0.05, ping_timeout=0.2) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            deadline = time.monotonic() + 0.6
            while time.monotonic() < deadline:  # websocket-client answers pings inside recv()
                assert call(conn, "session.status")["status"] == 200
                time.sleep(0.02)
            assert exchange.api_connection_count == 1
        finally:
            close(conn)


def test_abrupt_client_disconnects_are_silent(capfd):
    """Clients vanishing mid-request leave nothing on stderr."""
    with LocalExchange(ping_interval=0.05) as exchange:
        for _ in range(5):
            conn = connect(exchange.ws_api_url)
            send(conn, "userDataStream.start", {"apiKey": exchange.api_key})
            conn.sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            conn.sock.close()
        raw = socket.create_connection(("127.0.0.1", exchange.port))
        raw.sendall(b"GET /ws-fapi/v1 HTTP/1.1\r\nHost: x\r\n")
        raw.close()
        exchange.wait_for(lambda: exchange.api_connection_count == 0)
        time.sleep(0.2)
    out, err = capfd.readouterr()
    assert err == ""


# ---------------------------------------------------------------------------- faults


def test_drop_connections_aborts_without_close_frame(ex, ws):
    """drop_connections aborts the TCP connection: the client sees no close frame."""
    assert ex.faults.drop_connections(kind="api") == 1
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        ws.recv()
    ex.wait_for(lambda: ex.api_connection_count == 0)


def test_close_connections_sends_the_close_code(ex, ws):
    """close_connections performs a clean close with the given code and reason."""
    ex.wait_for(lambda: ex.api_connection_count == 1)
    closer = threading.Thread(
        target=ex.faults.close_connections, kwargs={"code": 4000, "reason": "bye", "kind": "api"}
    )
    closer.start()
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(frame.data[:2], "big") == 4000 and frame.data[2:] == b"bye"
    ws.send_close()
    closer.join(5)
    ex.wait_for(lambda: ex.api_connection_count == 0)


def test_delay_holds_only_that_method(ex, ws):
    """delay(method) postpones that method's replies; others overtake them."""
    ex.faults.delay("userDataStream.start", 0.3)
    started = time.monotonic()
    send(ws, "userDataStream.start", {"apiKey": ex.api_key}, id="slow")
    send(ws, "session.status", id="fast")
    assert recv(ws)["id"] == "fast"
    slow = recv(ws)
    assert slow["id"] == "slow" and slow["status"] == 200
    assert time.monotonic() - started >= 0.28


def test_never_reply_swallows_requests(ex, ws):
    """never_reply(method) gets no answer (and, by default, the request is not executed)."""
    ex.faults.never_reply("userDataStream.start")
    send(ws, "userDataStream.start", {"apiKey": ex.api_key}, id="lost")
    assert call(ws, "userDataStream.ping", {"apiKey": ex.api_key}, id=2)["error"]["code"] == -1125
    assert no_frame_within(ws, 0.2)


def test_never_reply_with_process_executes_but_drops_the_reply(ex, ws):
    """never_reply(method, process=True) executes the request and loses only the reply."""
    ex.faults.never_reply("userDataStream.start", process=True)
    send(ws, "userDataStream.start", {"apiKey": ex.api_key}, id="lost")
    assert call(ws, "userDataStream.ping", {"apiKey": ex.api_key}, id=2)["status"] == 200


def test_wildcard_method_applies_to_all(ex, ws):
    """A fault on method "*" applies to every method."""
    ex.faults.error_reply("*", 503, -1007, "Timeout waiting for response from backend server.")
    reply = call(ws, "session.status")
    assert reply["status"] == 503 and reply["error"]["code"] == -1007
    assert call(ws, "session.status")["status"] == 200


def test_reorder_sends_held_replies_in_reverse(ex, ws):
    """reorder(n) holds n replies and releases them in reverse order."""
    ex.faults.reorder(3)
    for i in range(3):
        send(ws, "session.status", id=i)
    assert [recv(ws)["id"] for _ in range(3)] == [2, 1, 0]
    assert call(ws, "session.status", id=9)["id"] == 9  # back to normal


def test_reorder_across_threads_gives_each_caller_its_reply(ex):
    """16 connections' replies held and reversed still reach their own connection."""
    conns = [connect(ex.ws_api_url) for _ in range(16)]
    try:
        ex.faults.reorder(16)
        for i, conn in enumerate(conns):
            send(conn, "session.status", id=f"r{i}")
        assert [recv(conn)["id"] for conn in conns] == [f"r{i}" for i in range(16)]
    finally:
        for conn in conns:
            close(conn)


def test_send_raw_text_and_bytes(ex, ws):
    """send_raw sends text as a text frame and bytes as a binary frame, unchanged."""
    assert ex.faults.send_raw('{"id": "unknown-id", "status": 200, "result": {}}') == 1
    assert json.loads(ws.recv())["id"] == "unknown-id"
    ex.faults.send_raw('{"id": 1, "stat')
    assert ws.recv() == '{"id": 1, "stat'
    ex.faults.send_raw(b"\x00\xffbinary")
    opcode, data = ws.recv_data()
    assert opcode == websocket.ABNF.OPCODE_BINARY and data == b"\x00\xffbinary"


def test_silence_stops_replies_and_pings_until_reset():
    """silence() emulates a half-open connection; new connections are unaffected."""
    with LocalExchange(ping_interval=0.05, ping_timeout=0.2) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            assert call(conn, "session.status")["status"] == 200
            assert exchange.faults.silence() == 1
            send(conn, "session.status", id="unanswered")
            conn.settimeout(0.5)
            with pytest.raises(websocket.WebSocketTimeoutException):
                conn.recv_data_frame(control_frame=True)  # no reply, and no ping either
            assert exchange.api_connection_count == 1  # never timed out by the server
            other = connect(exchange.ws_api_url)
            assert call(other, "session.status", id="other")["id"] == "other"
            close(other)
            exchange.faults.reset()
            conn.settimeout(5)
            assert recv(conn)["id"] == "unanswered"
        finally:
            close(conn)


def test_error_reply_times(ex, ws):
    """error_reply answers the next `times` requests to the method with that error."""
    ex.faults.error_reply(
        "userDataStream.ping", 429, -1003, "Too many requests.", times=2, data={"retryAfter": 123}
    )
    for _ in range(2):
        reply = call(ws, "userDataStream.ping", {"apiKey": ex.api_key})
        assert reply["status"] == 429
        assert reply["error"] == {
            "code": -1003,
            "msg": "Too many requests.",
            "data": {"retryAfter": 123},
        }
        assert "rateLimits" in reply
    assert call(ws, "userDataStream.ping", {"apiKey": ex.api_key})["error"]["code"] == -1125


def test_reset_removes_all_faults(ex, ws):
    """reset() clears delays, swallowing, errors and releases held replies."""
    ex.faults.delay("session.status", 5)
    ex.faults.never_reply("userDataStream.start")
    ex.faults.error_reply("userDataStream.ping", 400, -1000, "x")
    ex.faults.reorder(5)
    send(ws, "session.logout", id="held")
    ex.faults.reset()
    assert recv(ws)["id"] == "held"
    assert call(ws, "session.status", id=1)["id"] == 1
    assert call(ws, "userDataStream.start", {"apiKey": ex.api_key})["status"] == 200
    assert call(ws, "userDataStream.ping", {"apiKey": ex.api_key})["status"] == 200


def test_push_api_reaches_every_api_connection(ex, ws):
    """push_api sends an unsolicited frame (e.g. serverShutdown) to all WS API connections."""
    other = connect(ex.ws_api_url)
    try:
        ex.wait_for(lambda: ex.api_connection_count == 2)
        ex.push_api({"e": "serverShutdown"})
        assert recv(ws) == {"e": "serverShutdown"}
        assert recv(other) == {"e": "serverShutdown"}
    finally:
        close(other)
