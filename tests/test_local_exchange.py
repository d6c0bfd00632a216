"""Tests of the bundled local exchange (binance_usdm_ws.testing), over real loopback sockets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import websocket
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from binance_usdm_ws.testing import LocalExchange

from ._data import DATA


@pytest.fixture
def ex() -> Iterator[LocalExchange]:
    with LocalExchange(quiet=True) as exchange:
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
    with LocalExchange(quiet=True) as exchange:
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
    with LocalExchange(quiet=True, ping_interval=0.1) as exchange:
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
    with LocalExchange(quiet=True, ping_interval=0.1, ping_timeout=0.3) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            exchange.wait_for(lambda: exchange.api_connection_count == 1)
            time.sleep(0.6)  # never read: pings stay unanswered
            exchange.wait_for(lambda: exchange.api_connection_count == 0, timeout=3)
        finally:
            close(conn)


def test_answered_pings_keep_the_connection_open():
    """A client that answers pings stays connected past ping_timeout."""
    with LocalExchange(quiet=True, ping_interval=0.05, ping_timeout=0.2) as exchange:
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
    with LocalExchange(quiet=True, ping_interval=0.05) as exchange:
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
    send(ws, "userDataStream.start", {"apiKey": ex.api_key}, id="slow")
    send(ws, "session.status", id="fast")
    send(ws, "session.status", id="fast-too")
    assert recv(ws)["id"] == "fast"  # sent after "slow", answered before it
    assert recv(ws)["id"] == "fast-too"
    slow = recv(ws)
    assert slow["id"] == "slow" and slow["status"] == 200


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
    with LocalExchange(quiet=True, ping_interval=0.05, ping_timeout=0.2) as exchange:
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


# ------------------------------------------------------------------ stage 2: signing helpers

SAMPLES = DATA


def payload_of(params: dict[str, Any]) -> str:
    def text(v: Any) -> str:
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "true" if v else "false"
        return json.dumps(v)

    return "&".join(f"{k}={text(params[k])}" for k in sorted(params) if k != "signature")


class Signer:
    """Test-side signer for the three key types (independent of the exchange's code)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.api_key = f"{kind}-key-" + "x" * 20
        self.secret = "s3cr3t-" + kind
        self.private: Any = None
        if kind == "rsa":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif kind == "ed25519":
            self.private = ed25519.Ed25519PrivateKey.generate()

    def register(self, ex: LocalExchange) -> Signer:
        if self.private is None:
            ex.add_api_key(self.api_key, secret=self.secret)
        else:
            pem = self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            ex.add_api_key(self.api_key, public_key_pem=pem.decode() if self.kind == "rsa" else pem)
        return self

    def sign(self, text: str) -> str:
        data = text.encode("utf-8")
        if self.kind == "hmac":
            return hmac.new(self.secret.encode(), data, hashlib.sha256).hexdigest()
        if self.kind == "rsa":
            sig = self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        else:
            sig = self.private.sign(data)
        return base64.b64encode(sig).decode()


def now_ms(ex: LocalExchange) -> int:
    return ex.clock.now_ms()


def signed(ex, signer_key: str, secret: str, params: dict[str, Any], **extra) -> dict[str, Any]:
    out = dict(params, apiKey=signer_key, timestamp=extra.pop("timestamp", now_ms(ex)), **extra)
    out["signature"] = hmac.new(
        secret.encode(), payload_of(out).encode(), hashlib.sha256
    ).hexdigest()
    return out


def scall(conn, ex, method, params=None, id: Any = 1, **extra) -> dict[str, Any]:
    """Call a SIGNED method with the exchange's default HMAC key."""
    return call(conn, method, signed(ex, ex.api_key, ex.api_secret, params or {}, **extra), id)


def place(conn, ex, **params) -> dict[str, Any]:
    params.setdefault("symbol", "BTCUSDT")
    return scall(conn, ex, "order.place", params)


# -------------------------------------------------------------------------- stage 2: signing


def test_payload_builder_matches_official_vectors():
    """The exchange's payload builder reproduces the published HMAC test vectors."""
    from binance_usdm_ws.testing._common import signature_payload

    vectors = json.loads((SAMPLES / "signature-test-vectors.json").read_text())["hmacVectors"]
    checked = 0
    for vec in vectors:
        if vec["params"] is None:
            continue
        assert signature_payload(vec["params"]) == vec["payload"]
        digest = hmac.new(vec["secretKey"].encode(), vec["payload"].encode(), hashlib.sha256)
        assert digest.hexdigest() == vec["expectedSignature"]
        checked += 1
    assert checked == 2


def test_official_logon_example_verifies_with_the_published_secret():
    """The docs' session.logon example (TV1) verifies once its key is registered."""
    vec = json.loads((SAMPLES / "signature-test-vectors.json").read_text())["hmacVectors"][0]
    request = json.loads((SAMPLES / "ws-api.session.logon.request.json").read_text())
    with LocalExchange(quiet=True, recv_window_default=10**13) as exchange:
        exchange.add_api_key(vec["params"]["apiKey"], secret=vec["secretKey"])
        conn = connect(exchange.ws_api_url)
        try:
            conn.send(json.dumps(request))
            reply = recv(conn)
            assert reply["status"] == 200, reply
            assert reply["result"]["apiKey"] == vec["params"]["apiKey"]
        finally:
            close(conn)


@pytest.mark.parametrize("kind", ["hmac", "rsa", "ed25519"])
def test_signed_requests_for_each_key_type(ex, ws, kind):
    """HMAC (hex), RSA PKCS#1 v1.5 and Ed25519 (base64) signatures are verified."""
    signer = Signer(kind).register(ex)
    params = {"apiKey": signer.api_key, "timestamp": now_ms(ex), "recvWindow": 5000}
    params["signature"] = signer.sign(payload_of(params))
    assert call(ws, "account.balance", params)["status"] == 200
    params["signature"] = signer.sign(payload_of(dict(params, recvWindow=4999)))
    reply = call(ws, "account.balance", params)
    assert reply["status"] == 400
    assert reply["error"] == {"code": -1022, "msg": "Signature for this request is not valid."}


def test_signature_payload_is_raw_not_percent_encoded(ex, ws):
    """Values with ':' '/' are signed raw; a percent-encoded payload is rejected."""
    params = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.010",
        "price": "50000.00",
        "newClientOrderId": "a:b/c",
    }
    reply = call(ws, "order.place", signed(ex, ex.api_key, ex.api_secret, params))
    assert reply["status"] == 200 and reply["result"]["clientOrderId"] == "a:b/c"
    params = dict(params, newClientOrderId="d:e/f", apiKey=ex.api_key, timestamp=now_ms(ex))
    encoded = payload_of(params).replace("d:e/f", "d%3Ae%2Ff")
    params["signature"] = hmac.new(
        ex.api_secret.encode(), encoded.encode(), hashlib.sha256
    ).hexdigest()
    assert call(ws, "order.place", params)["error"]["code"] == -1022


def test_hmac_signature_hex_is_case_insensitive(ex, ws):
    """An upper-case hex HMAC signature is accepted."""
    params = signed(ex, ex.api_key, ex.api_secret, {})
    params["signature"] = params["signature"].upper()
    assert call(ws, "account.balance", params)["status"] == 200


def test_timestamp_checks(ex, ws):
    """Timestamps outside recvWindow or >= 1000 ms ahead get -1021; recvWindow is honoured."""
    now = now_ms(ex)
    old = scall(ws, ex, "account.balance", timestamp=now - 6000)
    assert old["status"] == 400 and old["error"] == {
        "code": -1021,
        "msg": "Timestamp for this request is outside of the recvWindow.",
    }
    assert scall(ws, ex, "account.balance", timestamp=now - 6000, recvWindow=10000)["status"] == 200
    ahead = scall(ws, ex, "account.balance", timestamp=now + 5000)
    assert ahead["error"]["code"] == -1021 and "ahead" in ahead["error"]["msg"]
    ex.clock.advance(10)
    assert scall(ws, ex, "account.balance", timestamp=now)["error"]["code"] == -1021


def test_missing_signature_or_timestamp(ex, ws):
    """SIGNED requests without signature or timestamp get -1102; without apiKey 401."""
    reply = call(ws, "account.balance", {"apiKey": ex.api_key, "timestamp": now_ms(ex)})
    assert reply["error"]["code"] == -1102 and "'signature'" in reply["error"]["msg"]
    reply = call(ws, "account.balance", {"apiKey": ex.api_key, "signature": "00"})
    assert reply["error"]["code"] == -1102 and "'timestamp'" in reply["error"]["msg"]
    reply = call(ws, "account.balance", {"timestamp": now_ms(ex), "signature": "00"})
    assert reply["status"] == 401 and reply["error"]["code"] == -2015


def test_signature_checks_can_be_disabled():
    """require_signature_checks=False accepts any non-empty signature."""
    with LocalExchange(quiet=True, require_signature_checks=False) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            params = {"apiKey": exchange.api_key, "timestamp": now_ms(exchange), "signature": "x"}
            assert call(conn, "account.balance", params)["status"] == 200
        finally:
            close(conn)


def test_session_logon_status_logout(ex, ws):
    """session.logon authenticates the connection; status and logout report and forget it."""
    before = call(ws, "session.status")["result"]
    assert before["apiKey"] is None and before["authorizedSince"] is None
    logon = call(ws, "session.logon", signed(ex, ex.api_key, ex.api_secret, {}))
    result = logon["result"]
    assert logon["status"] == 200 and result["apiKey"] == ex.api_key
    assert result["connectedSince"] == before["connectedSince"]
    assert isinstance(result["authorizedSince"], int) and result["returnRateLimits"] is True
    assert abs(result["serverTime"] - now_ms(ex)) < 1000
    # SIGNED requests now need only a timestamp, and are attributed to the session's key.
    assert call(ws, "account.balance", {"timestamp": now_ms(ex)})["status"] == 200
    assert call(ws, "userDataStream.start", {})["status"] == 200
    assert call(ws, "account.balance", {})["error"]["code"] == -1102  # timestamp still needed
    # A request carrying its own apiKey + signature overrides the session's key.
    other = Signer("hmac").register(ex)
    params = {"apiKey": other.api_key, "timestamp": now_ms(ex)}
    params["signature"] = other.sign(payload_of(params))
    assert call(ws, "account.balance", params)["status"] == 200
    params["signature"] = "bad"
    assert call(ws, "account.balance", params)["error"]["code"] == -1022
    logout = call(ws, "session.logout")["result"]
    assert logout["apiKey"] is None and logout["authorizedSince"] is None
    assert call(ws, "account.balance", {"timestamp": now_ms(ex)})["status"] == 401


def test_session_logon_with_ed25519_and_rsa(ex, ws):
    """session.logon accepts Ed25519 and RSA keys as well as HMAC."""
    for kind in ("ed25519", "rsa"):
        signer = Signer(kind).register(ex)
        params = {"apiKey": signer.api_key, "timestamp": now_ms(ex)}
        params["signature"] = signer.sign(payload_of(params))
        assert call(ws, "session.logon", params)["result"]["apiKey"] == signer.api_key


def test_session_logon_requires_a_signature(ex, ws):
    """session.logon without signature or with a bad one fails."""
    assert (
        call(ws, "session.logon", {"apiKey": ex.api_key, "timestamp": now_ms(ex)})["status"] == 400
    )
    bad = signed(ex, ex.api_key, "wrong", {})
    assert call(ws, "session.logon", bad)["error"]["code"] == -1022


def test_revoked_key_gets_401_and_sessions_get_the_unsolicited_frame(ex, ws):
    """revoke_api_key: logged-on sessions get the id:null -2015 frame and requests get 401."""
    other = connect(ex.ws_api_url)
    try:
        assert call(ws, "session.logon", signed(ex, ex.api_key, ex.api_secret, {}))["status"] == 200
        ex.revoke_api_key(ex.api_key)
        assert recv(ws) == {
            "id": None,
            "status": 401,
            "error": {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
        }
        assert no_frame_within(other, 0.1)  # not logged on: no notice
        reply = call(ws, "account.balance", {"timestamp": now_ms(ex)})
        assert reply["status"] == 401 and reply["error"]["code"] == -2015
        assert call(other, "userDataStream.start", {"apiKey": ex.api_key})["status"] == 401
    finally:
        close(other)


def test_time_unit_microsecond_timestamps(ex):
    """With ?timeUnit=MICROSECOND the timestamp is read in microseconds."""
    conn = connect(ex.ws_api_url + "?timeUnit=microsecond")
    try:
        assert scall(conn, ex, "account.balance", timestamp=now_ms(ex) * 1000)["status"] == 200
        assert scall(conn, ex, "account.balance", timestamp=now_ms(ex))["status"] == 400
    finally:
        close(conn)


# ------------------------------------------------------------------- stage 2: orders & book


def test_limit_order_rests_and_shows_in_depth(ex, ws):
    """A non-crossing LIMIT order rests (NEW) and appears in the depth."""
    reply = place(
        ws,
        ex,
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.5",
        price="59000",
        newClientOrderId="rest-1",
    )
    result = reply["result"]
    assert reply["status"] == 200 and result["status"] == "NEW"
    assert result["price"] == "59000.00" and result["origQty"] == "0.500"
    assert result["executedQty"] == "0.000" and result["clientOrderId"] == "rest-1"
    assert [r["rateLimitType"] for r in reply["rateLimits"]] == [
        "REQUEST_WEIGHT",
        "ORDERS",
        "ORDERS",
    ]
    depth = call(ws, "depth", {"symbol": "BTCUSDT", "limit": 5})["result"]
    assert ["59000.00", "0.500"] in depth["bids"]
    status = scall(ws, ex, "order.status", {"symbol": "BTCUSDT", "origClientOrderId": "rest-1"})
    assert status["result"]["orderId"] == result["orderId"] and status["result"]["status"] == "NEW"


def test_market_order_fills_across_levels_with_exact_average(ex, ws):
    """A MARKET order walks the book; RESULT shows FILLED, status shows the exact avgPrice."""
    reply = place(ws, ex, side="BUY", type="MARKET", quantity="2.5", newOrderRespType="RESULT")
    result = reply["result"]
    assert result["status"] == "FILLED" and result["executedQty"] == "2.500"
    status = scall(ws, ex, "order.status", {"symbol": "BTCUSDT", "orderId": result["orderId"]})
    # 1.000 @ 60000.10 + 1.500 @ 60001.00 = 150001.60 / 2.5
    assert Decimal(status["result"]["avgPrice"]) == Decimal("60000.64")
    assert Decimal(status["result"]["cumQuote"]) == Decimal("150001.60")
    asks = call(ws, "depth", {"symbol": "BTCUSDT"})["result"]["asks"]
    assert asks[0] == ["60001.00", "0.500"]
    price = call(ws, "ticker.price", {"symbol": "BTCUSDT"})["result"]
    assert price["price"] == "60001.00"


def test_ack_response_is_the_state_before_matching(ex, ws):
    """The default ACK response shows NEW; order.status then shows the fill."""
    result = place(ws, ex, side="SELL", type="MARKET", quantity="0.1")["result"]
    assert result["status"] == "NEW" and result["executedQty"] == "0.000"
    status = scall(ws, ex, "order.status", {"symbol": "BTCUSDT", "orderId": result["orderId"]})
    assert status["result"]["status"] == "FILLED" and status["result"]["avgPrice"] == "59999.90000"


def test_crossing_limit_partially_fills_and_rests(ex, ws):
    """A crossing LIMIT fills what it can at maker prices and rests the remainder."""
    result = place(
        ws,
        ex,
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="1.5",
        price="60000.50",
        newOrderRespType="RESULT",
    )["result"]
    assert result["status"] == "PARTIALLY_FILLED" and result["executedQty"] == "1.000"
    book = call(ws, "ticker.book", {"symbol": "BTCUSDT"})["result"]
    assert (book["bidPrice"], book["bidQty"]) == ("60000.50", "0.500")
    assert book["askPrice"] == "60001.00"


def test_ioc_expires_remainder_and_fok_is_all_or_nothing(ex, ws):
    """IOC fills then EXPIRES the rest; FOK that cannot fill fully is rejected with -5021."""
    ioc = place(
        ws,
        ex,
        side="BUY",
        type="LIMIT",
        timeInForce="IOC",
        quantity="1.5",
        price="60000.50",
        newOrderRespType="RESULT",
    )["result"]
    assert ioc["status"] == "EXPIRED" and ioc["executedQty"] == "1.000"
    fok = place(ws, ex, side="BUY", type="LIMIT", timeInForce="FOK", quantity="5", price="60001")
    assert fok["status"] == 400 and fok["error"]["code"] == -5021
    ok = place(
        ws,
        ex,
        side="BUY",
        type="LIMIT",
        timeInForce="FOK",
        quantity="2",
        price="60001",
        newOrderRespType="RESULT",
    )
    assert ok["result"]["status"] == "FILLED"


def test_post_only_gtx(ex, ws):
    """GTX that would cross is rejected with -5022; otherwise it rests."""
    crossing = place(
        ws, ex, side="SELL", type="LIMIT", timeInForce="GTX", quantity="0.1", price="59999.90"
    )
    assert crossing["error"]["code"] == -5022
    resting = place(
        ws, ex, side="SELL", type="LIMIT", timeInForce="GTX", quantity="0.1", price="60000.00"
    )
    assert resting["result"]["status"] == "NEW"


def test_modify_cancel_and_status_lifecycle(ex, ws):
    """place → modify → status → cancel behave like the exchange; unknown ids get -2013/-2011."""
    order = place(
        ws,
        ex,
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.1",
        price="59000",
        newClientOrderId="life",
    )["result"]
    modified = scall(
        ws,
        ex,
        "order.modify",
        {
            "symbol": "BTCUSDT",
            "orderId": order["orderId"],
            "side": "BUY",
            "quantity": "0.2",
            "price": "59100",
            "modifyId": 7,
        },
    )
    assert modified["status"] == 200
    assert modified["result"]["price"] == "59100.00" and modified["result"]["origQty"] == "0.200"
    assert modified["result"]["modifyId"] == 7
    same = scall(
        ws,
        ex,
        "order.modify",
        {
            "symbol": "BTCUSDT",
            "origClientOrderId": "life",
            "side": "BUY",
            "quantity": "0.2",
            "price": "59100",
        },
    )
    assert same["error"]["code"] == -5027
    cancel = scall(ws, ex, "order.cancel", {"symbol": "BTCUSDT", "origClientOrderId": "life"})
    assert (
        cancel["result"]["status"] == "CANCELED" and cancel["result"]["orderId"] == order["orderId"]
    )
    again = scall(ws, ex, "order.cancel", {"symbol": "BTCUSDT", "orderId": order["orderId"]})
    assert again["error"] == {"code": -2011, "msg": "Unknown order sent."}
    status = scall(ws, ex, "order.status", {"symbol": "BTCUSDT", "orderId": order["orderId"]})
    assert status["result"]["status"] == "CANCELED"
    missing = scall(ws, ex, "order.status", {"symbol": "BTCUSDT", "orderId": 1})
    assert missing["error"] == {"code": -2013, "msg": "Order does not exist."}
    neither = scall(ws, ex, "order.status", {"symbol": "BTCUSDT"})
    assert neither["error"]["code"] == -1102
    gone = scall(
        ws,
        ex,
        "order.modify",
        {
            "symbol": "BTCUSDT",
            "orderId": order["orderId"],
            "side": "BUY",
            "quantity": "0.3",
            "price": "59100",
        },
    )
    assert gone["error"]["code"] == -2013


def test_modify_to_a_crossing_price_trades(ex, ws):
    """Modifying a resting order to a crossing price fills it against the book."""
    order = place(
        ws, ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.5", price="59000"
    )["result"]
    modified = scall(
        ws,
        ex,
        "order.modify",
        {
            "symbol": "BTCUSDT",
            "orderId": order["orderId"],
            "side": "BUY",
            "quantity": "0.5",
            "price": "60000.10",
        },
    )
    assert modified["result"]["status"] == "FILLED" and modified["result"]["executedQty"] == "0.500"


def test_duplicate_client_order_id_among_open_orders(ex, ws):
    """A newClientOrderId used by an open order gets -4116; it is free again once closed."""
    args = dict(
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.1",
        price="59000",
        newClientOrderId="dup",
    )
    first = place(ws, ex, **args)["result"]
    assert place(ws, ex, **args)["error"]["code"] == -4116
    scall(ws, ex, "order.cancel", {"symbol": "BTCUSDT", "orderId": first["orderId"]})
    assert place(ws, ex, **args)["status"] == 200


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"type": "STOP_MARKET", "quantity": "1"}, -4120),
        ({"type": "WHATEVER", "quantity": "1"}, -1116),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.1", "price": "59000.05"}, -4014),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.0001", "price": "59000"}, -1111),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001", "price": "1000"}, -4164),
        ({"type": "LIMIT", "quantity": "0.1", "price": "59000"}, -1102),
        ({"type": "LIMIT", "timeInForce": "GTC", "price": "59000"}, -1102),
        ({"type": "LIMIT", "timeInForce": "XYZ", "quantity": "0.1", "price": "59000"}, -1115),
        ({"type": "MARKET", "quantity": "0.1", "reduceOnly": "true"}, -2022),
        ({"type": "MARKET", "quantity": "0.1", "positionSide": "LONG"}, -4061),
        ({"type": "MARKET", "quantity": "0.1", "newClientOrderId": "bad id!"}, -4015),
        ({"type": "MARKET", "quantity": "0.1", "price": "1"}, -1106),
        (
            {
                "type": "LIMIT",
                "timeInForce": "GTD",
                "quantity": "0.1",
                "price": "59000",
                "goodTillDate": 1,
            },
            -5040,
        ),
    ],
)
def test_order_place_rejections(ex, ws, params, code):
    """Invalid orders get the Binance error code and nothing is placed."""
    reply = place(ws, ex, side="BUY", **params)
    assert reply["status"] == 400 and reply["error"]["code"] == code, reply
    assert scall(ws, ex, "v2/account.position")["result"] == []  # no open order, no position


def test_unknown_symbol_is_1121(ex, ws):
    """Unknown symbols get -1121 on market data and orders."""
    assert call(ws, "depth", {"symbol": "NOPE"})["error"] == {
        "code": -1121,
        "msg": "Invalid symbol.",
    }
    assert (
        place(ws, ex, symbol="NOPE", side="BUY", type="MARKET", quantity="1")["error"]["code"]
        == -1121
    )


def test_price_match_and_gtd(ex, ws):
    """priceMatch picks the book price; GTD orders expire on the simulated clock."""
    queue = place(
        ws, ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", priceMatch="QUEUE"
    )["result"]
    assert queue["price"] == "59999.90" and queue["priceMatch"] == "QUEUE"
    gtd = now_ms(ex) + 700_000
    order = place(
        ws,
        ex,
        side="BUY",
        type="LIMIT",
        timeInForce="GTD",
        quantity="0.1",
        price="59000",
        goodTillDate=gtd,
    )["result"]
    assert order["goodTillDate"] == gtd // 1000 * 1000
    ex.clock.advance(701)
    status = scall(ws, ex, "order.status", {"symbol": "BTCUSDT", "orderId": order["orderId"]})
    assert status["result"]["status"] == "EXPIRED"


def test_self_trade_prevention(ex, ws):
    """EXPIRE_TAKER stops a taker meeting its own resting order."""
    place(ws, ex, side="SELL", type="LIMIT", timeInForce="GTC", quantity="0.1", price="60000")
    taker = place(
        ws,
        ex,
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.1",
        price="60000",
        selfTradePreventionMode="EXPIRE_TAKER",
        newOrderRespType="RESULT",
    )["result"]
    assert taker["status"] == "EXPIRED_IN_MATCH" and taker["executedQty"] == "0.000"


def test_positions_and_balances_follow_fills(ex, ws):
    """Fills update position amount, entry price, wallet (fees, realized PnL)."""
    start = Decimal(scall(ws, ex, "account.balance")["result"][0]["balance"])
    place(ws, ex, side="BUY", type="MARKET", quantity="1")
    pos = scall(ws, ex, "account.position", {"symbol": "BTCUSDT"})["result"][0]
    assert pos["positionAmt"] == "1.000" and Decimal(pos["entryPrice"]) == Decimal("60000.10")
    fee = Decimal("60000.10") * Decimal("0.0005")
    after = Decimal(scall(ws, ex, "account.balance")["result"][0]["balance"])
    assert after == start - fee
    ex.set_book("BTCUSDT", bids=[("61000", "5")], asks=[("61001", "5")])
    place(ws, ex, side="SELL", type="MARKET", quantity="1")
    closed = Decimal(scall(ws, ex, "v2/account.balance")["result"][0]["balance"])
    pnl = Decimal("61000") - Decimal("60000.10")
    assert closed == after + pnl - Decimal("61000") * Decimal("0.0005")
    v2 = scall(ws, ex, "v2/account.position")["result"]
    assert v2 == []  # flat and no open orders


def test_account_status_and_positions_shapes(ex, ws):
    """account.status (v1/v2) and positions carry the sample's fields."""
    place(ws, ex, side="BUY", type="MARKET", quantity="0.1")
    v1 = scall(ws, ex, "account.status")["result"]
    assert {p["symbol"] for p in v1["positions"]} == {"BTCUSDT", "ETHUSDT"}
    v2 = scall(ws, ex, "v2/account.status")["result"]
    assert [p["symbol"] for p in v2["positions"]] == ["BTCUSDT"]
    assert v2["positions"][0]["positionAmt"] == "0.100"
    positions = scall(ws, ex, "account.position")["result"]
    assert len(positions) == 2


def test_market_data_without_symbol_returns_arrays(ws):
    """ticker.price / ticker.book without symbol return arrays; depth checks limit."""
    prices = call(ws, "ticker.price")["result"]
    assert isinstance(prices, list) and {p["symbol"] for p in prices} == {"BTCUSDT", "ETHUSDT"}
    books = call(ws, "ticker.book", {})["result"]
    assert isinstance(books, list) and len(books) == 2
    assert call(ws, "ticker.price", {"symbol": "BTCUSDT"})["rateLimits"][0]["count"] == 2 + 5 + 1
    assert call(ws, "depth", {"symbol": "BTCUSDT", "limit": 7})["error"]["code"] == -1130


def test_set_book_replaces_maker_liquidity(ex, ws):
    """set_book replaces the seeded levels (and can create a symbol)."""
    ex.set_book("BTCUSDT", bids=[(50000, "1")], asks=[("50001.5", 2)], last_price="50000.5")
    depth = call(ws, "depth", {"symbol": "BTCUSDT"})["result"]
    assert depth["bids"] == [["50000.00", "1.000"]] and depth["asks"] == [["50001.50", "2.000"]]
    assert call(ws, "ticker.price", {"symbol": "BTCUSDT"})["result"]["price"] == "50000.50"
    ex.set_book("SOLUSDT", bids=[("150.00", "10")], asks=[("150.01", "10")])
    assert call(ws, "ticker.book", {"symbol": "SOLUSDT"})["result"]["askPrice"] == "150.01"


def test_replenish_book_restores_levels():
    """replenish_book=True restores seeded maker levels after a match."""
    with LocalExchange(quiet=True, replenish_book=True) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            place(conn, exchange, side="BUY", type="MARKET", quantity="2")
            asks = call(conn, "depth", {"symbol": "BTCUSDT"})["result"]["asks"]
            assert asks[:2] == [["60000.10", "1.000"], ["60001.00", "2.000"]]
        finally:
            close(conn)


def test_algo_order_place_and_cancel(ex, ws):
    """algoOrder.place stores a conditional order; algoOrder.cancel cancels it."""
    reply = scall(
        ws,
        ex,
        "algoOrder.place",
        {
            "algoType": "CONDITIONAL",
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "TAKE_PROFIT",
            "timeInForce": "GTC",
            "quantity": "1",
            "price": "160000",
            "triggerPrice": "120000",
            "clientAlgoId": "algo-1",
        },
    )
    result = reply["result"]
    assert result["algoStatus"] == "NEW" and result["triggerPrice"] == "120000.00"
    assert result["icebergQuantity"] is None and result["clientAlgoId"] == "algo-1"
    cancel = scall(ws, ex, "algoOrder.cancel", {"clientAlgoId": "algo-1"})["result"]
    assert cancel == {
        "algoId": result["algoId"],
        "clientAlgoId": "algo-1",
        "code": "200",
        "msg": "success",
    }
    assert scall(ws, ex, "algoOrder.cancel", {"algoId": result["algoId"]})["error"]["code"] == -2011
    now_trigger = scall(
        ws,
        ex,
        "algoOrder.place",
        {
            "algoType": "CONDITIONAL",
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "STOP_MARKET",
            "quantity": "1",
            "triggerPrice": "50000",
        },
    )
    assert now_trigger["error"]["code"] == -2021


def test_result_fields_match_the_samples(ex, ws):
    """Results carry the same field names and JSON types as the spec's samples."""

    def sample(name: str) -> Any:
        return json.loads((SAMPLES / name).read_text())["result"]

    def same_shape(ours: dict, theirs: dict, optional: set[str] = frozenset()) -> None:
        assert set(theirs) - optional <= set(ours), set(theirs) - set(ours)
        for key in set(theirs) & set(ours):
            if theirs[key] is not None:
                assert type(ours[key]) is type(theirs[key]), key

    order = place(
        ws, ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price="59000"
    )["result"]
    same_shape(order, sample("ws-api.order.place.response.connector-fixture.json"))
    assert set(order) == set(sample("ws-api.order.place.response.connector-fixture.json"))
    trailing = {"activatePrice", "priceRate"}
    status = scall(ws, ex, "order.status", {"symbol": "BTCUSDT", "orderId": order["orderId"]})
    same_shape(
        status["result"], sample("ws-api.order.status.response.connector-fixture.json"), trailing
    )
    modify = scall(
        ws,
        ex,
        "order.modify",
        {
            "symbol": "BTCUSDT",
            "orderId": order["orderId"],
            "side": "BUY",
            "quantity": "0.1",
            "price": "59001",
            "modifyId": 1,
        },
    )
    same_shape(modify["result"], sample("ws-api.order.modify.response.connector-fixture.json"))
    cancel = scall(ws, ex, "order.cancel", {"symbol": "BTCUSDT", "orderId": order["orderId"]})
    same_shape(
        cancel["result"], sample("ws-api.order.cancel.response.json"), trailing | {"cumQuote"}
    )
    for method, name in [
        ("account.balance", "ws-api.account.balance.response.connector-fixture.json"),
        ("v2/account.balance", "ws-api.v2_account.balance.response.connector-fixture.json"),
        ("account.position", "ws-api.account.position.response.json"),
    ]:
        same_shape(scall(ws, ex, method)["result"][0], sample(name)[0])
    place(ws, ex, side="BUY", type="MARKET", quantity="0.1")
    same_shape(
        scall(ws, ex, "v2/account.position")["result"][0],
        sample("ws-api.v2_account.position.response.json")[0],
    )
    for method, name in [
        ("account.status", "ws-api.account.status.response.connector-fixture.json"),
        ("v2/account.status", "ws-api.v2_account.status.response.connector-fixture.json"),
    ]:
        ours, theirs = scall(ws, ex, method)["result"], sample(name)
        same_shape(ours, theirs)
        same_shape(ours["assets"][0], theirs["assets"][0])
        same_shape(ours["positions"][0], theirs["positions"][0])
    for method, name in [
        ("depth", "ws-api.depth.response.json"),
        ("ticker.price", "ws-api.ticker.price.response.json"),
        ("ticker.book", "ws-api.ticker.book.response.json"),
    ]:
        same_shape(call(ws, method, {"symbol": "BTCUSDT"})["result"], sample(name))
    algo = scall(
        ws,
        ex,
        "algoOrder.place",
        {
            "algoType": "CONDITIONAL",
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "TAKE_PROFIT",
            "quantity": "1",
            "price": "160000",
            "triggerPrice": "120000",
        },
    )["result"]
    same_shape(algo, sample("ws-api.algoOrder.place.response.json"))
    same_shape(
        scall(ws, ex, "algoOrder.cancel", {"algoId": algo["algoId"]})["result"],
        sample("ws-api.algoOrder.cancel.response.json"),
    )


# --------------------------------------------------------------- stage 2: rate limits, strict


def test_weight_limit_429_then_418_ban():
    """Over the weight limit: 429/-1003 with retryAfter; after 3 violations 418 until unbanned."""
    with LocalExchange(
        quiet=True, enforce_rate_limits=True, weight_limit_per_minute=6, ban_seconds=120
    ) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            for _ in range(3):
                assert call(conn, "session.status")["status"] == 200  # 3 x 2 = 6
            for _ in range(3):
                reply = call(conn, "session.status")
                assert reply["status"] == 429 and reply["error"]["code"] == -1003
                assert reply["error"]["data"]["retryAfter"] > now_ms(exchange)
            banned = call(conn, "session.status")
            assert banned["status"] == 418 and banned["error"]["code"] == -1003
            assert "banned until" in banned["error"]["msg"]
            until = banned["error"]["data"]["retryAfter"]
            assert until >= now_ms(exchange) + 119_000
            exchange.clock.advance(60)
            assert call(conn, "session.status")["status"] == 418
            exchange.clock.advance(61)
            assert call(conn, "session.status")["status"] == 200
        finally:
            close(conn)


def test_order_rate_limit_429():
    """Over the orders-per-10s limit: 429 / -1015; the window resets after 10 s."""
    with LocalExchange(quiet=True, enforce_rate_limits=True, order_limit_per_10s=2) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            args = dict(side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price="59000")
            assert place(conn, exchange, **args)["status"] == 200
            assert place(conn, exchange, **args)["rateLimits"][1]["count"] == 2
            over = place(conn, exchange, **args)
            assert over["status"] == 429 and over["error"]["code"] == -1015
            assert "retryAfter" in over["error"]["data"]
            exchange.clock.advance(10)
            assert place(conn, exchange, **args)["status"] == 200
        finally:
            close(conn)


def test_limits_not_enforced_by_default(ex, ws):
    """Without enforce_rate_limits, counts exceed the limit without errors."""
    for _ in range(3):
        assert call(ws, "depth", {"symbol": "BTCUSDT", "limit": 1000})["status"] == 200


def test_strict_params():
    """strict_params rejects unknown params and numbers of the wrong JSON type."""
    with LocalExchange(quiet=True, strict_params=True) as exchange:
        conn = connect(exchange.ws_api_url)
        try:
            assert call(conn, "depth", {"symbol": "BTCUSDT", "limt": 5})["error"]["code"] == -1104
            assert (
                call(conn, "depth", {"symbol": "BTCUSDT", "limit": "5"})["error"]["code"] == -1130
            )
            bad = place(conn, exchange, side="BUY", type="MARKET", quantity=0.1)
            assert bad["error"] == {
                "code": -1130,
                "msg": "Data sent for parameter 'quantity' is not valid.",
            }
            assert place(conn, exchange, side="BUY", type="MARKET", quantity="0.1")["status"] == 200
        finally:
            close(conn)


# ------------------------------------------------------------------- stage 3: user data stream


def start_key(conn, ex) -> str:
    return call(conn, "userDataStream.start", {"apiKey": ex.api_key})["result"]["listenKey"]


@pytest.fixture
def stream(ex, ws) -> Iterator[tuple[websocket.WebSocket, str]]:
    key = start_key(ws, ex)
    conn = connect(f"{ex.streams_url}/private/ws?listenKey={key}")
    ex.wait_for(lambda: ex.stream_connection_count == 1)
    yield conn, key
    close(conn)


def sample_event(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"event.{name}.json").read_text())


def test_order_lifecycle_pushes_order_trade_updates(ex, ws, stream):
    """NEW, AMENDMENT (with M) and CANCELED reach the key's stream as ORDER_TRADE_UPDATE."""
    conn, _ = stream
    order = place(
        ws,
        ex,
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.1",
        price="59000",
        newClientOrderId="ev-1",
    )["result"]
    new = recv(conn)
    assert new["e"] == "ORDER_TRADE_UPDATE" and new["o"]["x"] == "NEW" and new["o"]["X"] == "NEW"
    assert new["o"]["i"] == order["orderId"] and new["o"]["c"] == "ev-1"
    assert new["o"]["p"] == "59000.00" and new["o"]["q"] == "0.100"
    assert new["E"] >= new["T"] and isinstance(new["E"], int)
    scall(
        ws,
        ex,
        "order.modify",
        {
            "symbol": "BTCUSDT",
            "orderId": order["orderId"],
            "side": "BUY",
            "quantity": "0.2",
            "price": "59000",
            "modifyId": 42,
        },
    )
    amend = recv(conn)["o"]
    assert (amend["x"], amend["X"], amend["q"], amend["M"]) == ("AMENDMENT", "NEW", "0.200", "42")
    scall(ws, ex, "order.cancel", {"symbol": "BTCUSDT", "orderId": order["orderId"]})
    cancel = recv(conn)["o"]
    assert (cancel["x"], cancel["X"]) == ("CANCELED", "CANCELED")


def test_fills_push_trade_lite_order_update_and_account_update(ex, ws, stream):
    """A fill pushes TRADE_LITE, ORDER_TRADE_UPDATE (TRADE) and ACCOUNT_UPDATE with sample keys."""
    conn, _ = stream
    place(ws, ex, side="BUY", type="MARKET", quantity="1.5", newClientOrderId="mkt")
    events = [recv(conn) for _ in range(7)]  # NEW + 2 fills x (lite, update, account)
    assert [e["e"] for e in events] == ["ORDER_TRADE_UPDATE"] + [
        "TRADE_LITE",
        "ORDER_TRADE_UPDATE",
        "ACCOUNT_UPDATE",
    ] * 2
    lite, trade, account = events[4:7]
    assert set(lite) == set(sample_event("TRADE_LITE"))
    assert (lite["L"], lite["l"], lite["c"], lite["m"]) == ("60001.00", "0.500", "mkt", False)
    assert set(trade["o"]) == set(sample_event("ORDER_TRADE_UPDATE")["o"]) - {"AP", "cr"}
    assert (trade["o"]["x"], trade["o"]["X"], trade["o"]["z"]) == ("TRADE", "FILLED", "1.500")
    assert Decimal(trade["o"]["ap"]) == (Decimal("60000.10") + Decimal("30000.50")) / Decimal("1.5")
    assert trade["o"]["t"] == lite["t"] and trade["o"]["N"] == "USDT"
    first = events[2]["o"]
    assert (first["X"], first["l"], first["L"]) == ("PARTIALLY_FILLED", "1.000", "60000.10")
    sample = sample_event("ACCOUNT_UPDATE")
    assert set(account) == set(sample) and account["a"]["m"] == "ORDER"
    assert set(account["a"]["P"][0]) == set(sample["a"]["P"][0]) | {"ma"}  # live: margin asset
    assert set(account["a"]["B"][0]) == set(sample["a"]["B"][0])
    assert account["a"]["P"][0]["pa"] == "1.500" and account["a"]["P"][0]["ps"] == "BOTH"


def test_maker_fills_reach_the_maker(ex, ws, stream):
    """When another key takes a resting order, the maker's stream gets m=true fills."""
    conn, _ = stream
    place(ws, ex, side="SELL", type="LIMIT", timeInForce="GTC", quantity="0.2", price="60000")
    assert recv(conn)["o"]["x"] == "NEW"
    taker = Signer("hmac").register(ex)
    params = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "MARKET",
        "quantity": "0.2",
        "apiKey": taker.api_key,
        "timestamp": now_ms(ex),
    }
    params["signature"] = taker.sign(payload_of(params))
    assert call(ws, "order.place", params)["status"] == 200
    lite, update, account = recv(conn), recv(conn), recv(conn)
    assert lite["e"] == "TRADE_LITE" and lite["m"] is True and lite["L"] == "60000.00"
    assert update["o"]["m"] is True and update["o"]["X"] == "FILLED"
    assert account["a"]["P"][0]["pa"] == "-0.200"
    assert no_frame_within(conn, 0.1)  # the taker's events go to the taker's key only


def test_listen_key_expired_is_pushed_when_the_key_lapses(ex, ws, stream):
    """advance() past 60 minutes pushes listenKeyExpired; no order events follow."""
    conn, key = stream
    ex.clock.advance(3600)
    event = recv(conn)
    assert event["e"] == "listenKeyExpired" and event["listenKey"] == key
    assert set(event) == set(sample_event("listenKeyExpired"))
    assert abs(event["E"] - now_ms(ex)) < 1000
    place(ws, ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price="59000")
    assert no_frame_within(conn, 0.2)


def test_stopped_key_gets_no_events(ex, ws, stream):
    """After userDataStream.stop the stream receives no more order events."""
    conn, _ = stream
    call(ws, "userDataStream.stop", {"apiKey": ex.api_key})
    place(ws, ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price="59000")
    assert no_frame_within(conn, 0.2)


def test_query_and_combined_stream_forms(ex, ws):
    """/private/ws?listenKey= and /private/stream?listenKey= (wrapped) both receive events."""
    key = start_key(ws, ex)
    plain = connect(f"{ex.streams_url}/private/ws?listenKey={key}")
    combined = connect(f"{ex.streams_url}/private/stream?listenKey={key}&events=TRADE_LITE")
    try:
        ex.wait_for(lambda: ex.stream_connection_count == 2)
        place(ws, ex, side="BUY", type="MARKET", quantity="0.1")
        assert recv(plain)["e"] == "ORDER_TRADE_UPDATE"
        wrapped = recv(combined)
        assert wrapped["stream"] == key and wrapped["data"]["e"] == "TRADE_LITE"
    finally:
        close(plain)
        close(combined)


def test_subscribe_control_message_on_private_stream(ex, ws):
    """SUBSCRIBE with a listenKey on /private/stream starts delivery; LIST shows it."""
    key = start_key(ws, ex)
    conn = connect(f"{ex.streams_url}/private/stream")
    try:
        assert call(conn, "SUBSCRIBE", [key], id=1) == {"result": None, "id": 1}
        assert call(conn, "LIST_SUBSCRIPTIONS", id=2) == {"result": [key], "id": 2}
        place(ws, ex, side="BUY", type="MARKET", quantity="0.1")
        assert recv(conn)["data"]["e"] == "ORDER_TRADE_UPDATE"
    finally:
        close(conn)


def test_push_event_to_all_or_one_key(ex, ws):
    """push_event sends any payload to every stream, or only to one key's streams."""
    key = start_key(ws, ex)
    mine = connect(f"{ex.streams_url}/private/ws?listenKey={key}")
    other = connect(f"{ex.streams_url}/private/ws?listenKey=someoneelse")
    try:
        ex.wait_for(lambda: ex.stream_connection_count == 2)
        sample = sample_event("MARGIN_CALL")
        ex.push_event(sample)
        assert recv(mine) == sample and recv(other) == sample
        ex.push_event({"e": "CUSTOM"}, listen_key=key)
        assert recv(mine) == {"e": "CUSTOM"}
        assert no_frame_within(other, 0.1)
    finally:
        close(mine)
        close(other)


def test_stream_faults(ex, ws, stream):
    """Streams can be dropped or silenced with kind="stream" without touching the WS API."""
    conn, key = stream
    assert ex.faults.silence(kind="stream") == 1
    place(ws, ex, side="BUY", type="MARKET", quantity="0.1")
    assert no_frame_within(conn, 0.2)
    assert ex.faults.drop_connections(kind="stream") == 1
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        conn.recv()
    ex.wait_for(lambda: ex.stream_connection_count == 0)
    assert ex.api_connection_count == 1
    assert call(ws, "session.status")["status"] == 200


def test_streams_get_server_pings():
    """User data stream connections are pinged too."""
    with LocalExchange(quiet=True, ping_interval=0.1) as exchange:
        conn = connect(f"{exchange.streams_url}/private/ws/anykey")
        try:
            opcode, _ = conn.recv_data_frame(control_frame=True)
            assert opcode == websocket.ABNF.OPCODE_PING
        finally:
            close(conn)


def test_max_connection_age_closes_on_the_simulated_clock():
    """max_connection_age closes API and stream connections (code 1000) once the clock passes it."""
    with LocalExchange(quiet=True, max_connection_age=24 * 3600) as exchange:
        api = connect(exchange.ws_api_url)
        strm = connect(f"{exchange.streams_url}/private/ws/k")
        try:
            exchange.wait_for(lambda: exchange.stream_connection_count == 1)
            exchange.clock.advance(23 * 3600)
            assert call(api, "session.status")["status"] == 200
            exchange.clock.advance(3600)
            for conn in (api, strm):
                opcode, frame = conn.recv_data_frame(control_frame=True)
                assert opcode == websocket.ABNF.OPCODE_CLOSE
                assert int.from_bytes(frame.data[:2], "big") == 1000
            exchange.wait_for(lambda: exchange.api_connection_count == 0)
            fresh = connect(exchange.ws_api_url)
            assert call(fresh, "session.status")["status"] == 200
            close(fresh)
        finally:
            close(api)
            close(strm)


def test_command_line_entry_point_prints_urls_and_stops_on_ctrl_c():
    """python -m binance_usdm_ws.testing prints the URLs and key, serves, and exits on SIGINT."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.Popen(
        [sys.executable, "-m", "binance_usdm_ws.testing", "--port", "0", "--api-key", "demo-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=root,
        # A suite run in the background (nohup, `&`) ignores SIGINT, and children inherit
        # that: give the child the default disposition, so Python raises KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().split(":", 1) for _ in range(4))
        url = lines["WS API URL"].strip()
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/ws-fapi/v1")
        assert lines["Streams URL"].strip() == url[: -len("/ws-fapi/v1")]
        assert lines["API key"].strip() == "demo-key" and len(lines["API secret"].strip()) == 64
        conn = connect(url)
        try:
            assert call(conn, "userDataStream.start", {"apiKey": "demo-key"})["status"] == 200
        finally:
            close(conn)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def test_add_api_key_validation(ex):
    """add_api_key refuses both a secret and a public key, or a non-RSA/Ed25519 key."""
    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError):
        ex.add_api_key("k", secret="s", public_key_pem=pem)
    with pytest.raises(ValueError):
        ex.add_api_key("k", public_key_pem="not a pem")


def test_key_without_secret_can_only_use_user_stream(ex, ws):
    """A key registered without secret or public key works for USER_STREAM, not SIGNED."""
    ex.add_api_key("stream-only")
    assert call(ws, "userDataStream.start", {"apiKey": "stream-only"})["status"] == 200
    params = {"apiKey": "stream-only", "timestamp": now_ms(ex), "signature": "00"}
    assert call(ws, "account.balance", params)["error"]["code"] == -1022
