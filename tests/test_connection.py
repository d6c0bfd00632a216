"""The WS API connection over real sockets: how waiting calls end (a server close, a framing
violation, a dead socket, a failed send), calls that wait without a deadline, the frame size
limits, and the batching reader of stream sockets.

Most tests go through the public client against the local exchange or against ``RawServer``, a
WebSocket server on 127.0.0.1 that writes exactly the bytes a test gives it (the faults a real
exchange cannot be made to produce). The stream-socket tests drive ``Connection`` itself, as
``test_wire.py`` does. Written against the gaps mutation testing found in
``_core/_connection.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

import pytest
import websocket

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConnectionClosed,
    InvalidRequest,
    RequestTimeout,
)
from binance_usdm_ws._core._connection import MAX_MESSAGE, Connection, DeadConnection
from binance_usdm_ws.testing import LocalExchange

from .conftest import wait_until, ws_api_client

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(first: int, payload: bytes) -> bytes:
    """One unmasked server frame (any length class); ``first`` is FIN/opcode byte."""
    n = len(payload)
    if n < 126:
        head = bytes((first, n))
    elif n < 65536:
        head = bytes((first, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 127)) + n.to_bytes(8, "big")
    return head + payload


def text(value: Any) -> bytes:
    return frame(0x81, json.dumps(value, separators=(",", ":")).encode())


class RawServer:
    """A WebSocket server for one client on 127.0.0.1: it completes the handshake, records the
    client's frames, answers pings (unless ``pongs`` is False) and close frames, writes
    ``after_text`` once ``after`` text frames of the client are in, and writes whatever
    ``send()`` is given. It never pings: nothing arrives that the test did not write."""

    def __init__(
        self, after_text: bytes = b"", pongs: bool = True, read: bool = True, after: int = 1
    ) -> None:
        self.after_text = after_text
        self.after = after  # how many text frames to wait for before writing ``after_text``
        self.pongs = pongs
        self.read = read
        self.frames: list[tuple[int, bytes]] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self._server.getsockname()[1]}/ws-fapi/v1"
        self.sock: Optional[socket.socket] = None
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        self.sock = conn
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(4096)
        match = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", head)
        assert match is not None
        accept = base64.b64encode(hashlib.sha1(match.group(1) + GUID).digest())
        conn.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        self.connected.set()
        if not self.read:
            return
        buf = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while len(buf) >= 2:
                    n, pos = buf[1] & 0x7F, 2
                    if n >= 126:
                        pos = 4 if n == 126 else 10
                        if len(buf) < pos:
                            break
                        n = int.from_bytes(buf[2:pos], "big")
                    if len(buf) < pos + 4 + n:
                        break
                    mask, data = buf[pos : pos + 4], buf[pos + 4 : pos + 4 + n]
                    key = int.from_bytes((mask * (n // 4 + 1))[:n], "little")
                    payload = (int.from_bytes(data, "little") ^ key).to_bytes(n, "little")
                    opcode, buf = buf[0] & 0x0F, buf[pos + 4 + n :]
                    self.frames.append((opcode, payload))
                    texts = sum(1 for o, _ in self.frames if o == 0x1)
                    if opcode == 0x1 and self.after_text and texts >= self.after:
                        blob, self.after_text = self.after_text, b""
                        conn.sendall(blob)
                    elif opcode == 0x9 and self.pongs:
                        conn.sendall(frame(0x8A, payload))
                    elif opcode == 0x8:
                        conn.sendall(frame(0x88, payload[:2]))
                        return
        except OSError:
            return

    def send(self, blob: bytes) -> None:
        assert self.connected.wait(10)
        assert self.sock is not None
        self.sock.sendall(blob)

    def pings(self) -> list[bytes]:
        return [payload for opcode, payload in self.frames if opcode == 0x9]

    def reset(self) -> None:
        """Abort the TCP connection (RST, no close frame)."""
        assert self.sock is not None
        self.sock.shutdown(socket.SHUT_RD)  # wakes our reader thread, sends nothing
        self.sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        self.sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self._server.close()
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self._thread.join(10)


def raw_client(server: RawServer, **kw: Any) -> BinanceDerivativesTradingUsdsFuturesClient:
    options: dict[str, Any] = dict(
        base_path=server.url, reconnect=False, timeout=30.0, heartbeat_interval=None
    )
    options.update(kw)
    client = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(**options)
    )
    client.websocket_api.connect()
    return client


def ticker_call(client: BinanceDerivativesTradingUsdsFuturesClient, rid: str) -> Any:
    api = client.websocket_api.market_data_api
    return api.symbol_price_ticker().symbol("BTCUSDT").id(rid).execute()


def place_huge_order(
    client: BinanceDerivativesTradingUsdsFuturesClient, rid: str
) -> tuple[threading.Thread, list[BaseException]]:
    """Place a 32 MiB order (more than the socket buffers hold) from a new thread; the list
    gets what the call raised."""
    failed: list[BaseException] = []

    def place() -> None:
        order = client.websocket_api.trade_api.new_order().symbol("B" * (32 << 20))
        try:
            order.side("BUY").type("MARKET").quantity("1").id(rid).execute()
        except BaseException as exc:  # noqa: BLE001 - the caller checks it
            failed.append(exc)

    thread = threading.Thread(target=place)
    thread.start()
    return thread, failed


# ------------------------------------------------------------- how waiting calls end


@pytest.mark.parametrize(
    "code,reason,shown",
    [(4000, "maintenance", "code 4000, 'maintenance'"), (1001, "", "code 1001")],
    ids=["with-reason", "without-reason"],
)
def test_a_server_close_fails_every_waiting_call_with_its_code_and_reason(
    make_client, exchange, code, reason, shown, caplog
):
    """A close frame ends every waiting call at once (not by their timeout), each with its own
    method and id, the server's code and reason, and the close as cause."""
    caplog.set_level(logging.INFO, logger="binance_usdm_ws")
    client = make_client(timeout=20.0, reconnect=False)
    api = client.websocket_api
    exchange.faults.never_reply("userDataStream.start")
    with ThreadPoolExecutor(3) as pool:
        calls = [
            pool.submit(api.user_data_streams_api.start_user_data_stream().id(f"c{i}").execute)
            for i in range(3)
        ]
        # Sent, not only registered: a call still writing when the socket closes fails as
        # "send failed" instead (nothing went out whole).
        wait_until(lambda: {r.id for r in exchange.requests} >= {"c0", "c1", "c2"})
        conn = api.connection
        assert conn is not None and conn.pending_count == 3
        exchange.faults.close_connections(code=code, reason=reason)
        for i, call in enumerate(calls):
            with pytest.raises(ConnectionClosed) as info:
                call.result(15)  # generous; the calls' own timeout is 20 s
            error = info.value
            assert (error.code, error.reason) == (code, reason)
            assert (error.method, error.request_id) == ("userDataStream.start", f"c{i}")
            assert str(error) == (
                f"connection is closed: closed by the server ({shown})"
                f" [method=userDataStream.start id='c{i}']"
            )
            assert isinstance(error.__cause__, ConnectionError)
            assert str(error.__cause__) == f"closed by the server ({shown})"
            assert not error.outcome_unknown  # not an order method
    assert conn is not None and conn.closed and conn.pending_count == 0
    assert conn.cause is error.__cause__
    # One INFO line says which connection was lost and why (the reader logs it after it has
    # failed the calls, so it may come a moment after them).
    wait_until(lambda: any("connection lost" in r.getMessage() for r in caplog.records))
    lost = [r.getMessage() for r in caplog.records if "connection lost" in r.getMessage()]
    assert lost == [f"{conn.name}: connection lost: closed by the server ({shown})"]
    assert re.fullmatch(
        rf"<Connection binance-usdm-ws-api-\d+ {exchange.ws_api_url} closed pending=0>", repr(conn)
    )


def test_closing_fails_waiting_calls_with_no_cause(make_client, exchange):
    """Our own close (from another thread) fails every waiting call at once with the plain
    "connection is closed": nothing went wrong, so no cause; the code is the normal closure
    the server echoed."""
    client = make_client(timeout=20.0)
    api = client.websocket_api
    exchange.faults.never_reply("userDataStream.ping")
    with ThreadPoolExecutor(2) as pool:
        calls = [
            pool.submit(api.user_data_streams_api.keepalive_user_data_stream().id(rid).execute)
            for rid in ("k0", "k1")
        ]
        wait_until(lambda: {r.id for r in exchange.requests} >= {"k0", "k1"})
        conn = api.connection
        assert conn is not None
        closer = threading.Thread(target=api.close_websocket_connection)
        closer.start()
        closer.join(15)
        assert not closer.is_alive()
        for rid, call in zip(("k0", "k1"), calls):
            with pytest.raises(ConnectionClosed) as info:
                call.result(15)
            assert str(info.value) == (
                f"connection is closed [method=userDataStream.ping id='{rid}']"
            )
            assert info.value.__cause__ is None and info.value.code == 1000  # the echoed close
    assert conn.cause is None and conn.closed


def test_calls_without_timeout_wait_as_long_as_their_replies_take(make_client, exchange):
    """``timeout=None``: each caller waits until its reply comes, however late (here past a
    second), whether it reads the socket itself or another caller does."""
    client = make_client(timeout=None)
    api = client.websocket_api
    exchange.faults.delay("ticker.price", 1.5)
    conn = api.connection
    assert conn is not None
    assert re.fullmatch(
        rf"<Connection binance-usdm-ws-api-\d+ {exchange.ws_api_url} open pending=0>", repr(conn)
    )

    def call(i: int) -> Any:
        market = api.market_data_api
        return market.symbol_price_ticker().symbol("BTCUSDT").id(f"slow-{i}").execute(timeout=None)

    with ThreadPoolExecutor(3) as pool:
        got = [r.id for r in pool.map(call, range(3))]
    assert got == ["slow-0", "slow-1", "slow-2"]
    assert conn.pending_count == 0 and conn.unknown_replies == 0 and not conn.closed


def test_frames_read_with_a_callers_reply_are_handled_before_it_returns():
    """Two calls at once, both replies and an event in one write: the caller that reads the
    socket takes its reply and hands over everything else it read before returning (the
    server sends nothing more that would wake the reader thread)."""
    replies = [
        text({"id": rid, "status": 200, "result": {"symbol": "BTCUSDT"}}) for rid in ("a", "b")
    ]
    seen: list[Any] = []
    with (
        RawServer(after_text=b"".join(replies) + text({"e": "later"}), after=2) as server,
        raw_client(server, timeout=20.0) as client,
    ):
        client.websocket_api.on_notice(lambda n: seen.append(n.raw))
        with ThreadPoolExecutor(2) as pool:
            got = list(pool.map(lambda rid: ticker_call(client, rid).raw["id"], ["a", "b"]))
        assert got == ["a", "b"]
        wait_until(lambda: seen == [{"e": "later"}], timeout=15)


@pytest.mark.parametrize("timeout", [0.0, 1e-6, 1e-4, 5e-4, 9e-4, 0.05])
def test_a_call_with_a_tiny_timeout_times_out_without_waiting_for_traffic(timeout):
    """Whatever the time left, a caller reading the socket itself stops at its deadline:
    RequestTimeout, with nothing arriving to wake it (the server never answers)."""
    failed: list[BaseException] = []
    with RawServer() as server, raw_client(server) as client:

        def call() -> None:
            try:
                market = client.websocket_api.market_data_api
                market.symbol_price_ticker().symbol("BTCUSDT").id("tiny").execute(timeout=timeout)
            except BaseException as exc:  # noqa: BLE001 - checked below
                failed.append(exc)

        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        thread.join(30)  # generous: the call's timeout is at most 50 ms
        assert not thread.is_alive(), "the call waits past its deadline"
        [error] = failed
        assert isinstance(error, RequestTimeout) and error.request_id == "tiny"
        assert client.websocket_api.connection.pending_count == 0


def test_only_a_reply_with_the_same_id_settles_a_call(make_client, exchange, caplog):
    """Replies are matched by id exactly: ``"id": true`` is not id 1 (though ``True == 1`` in
    Python) and ``"1"`` is not 1; such frames never settle the waiting call. A frame with an
    unknown id is dropped (counted, and logged at DEBUG with the connection and the id) if it is
    a reply (``status`` or ``result``), else it is a message for the notice handler."""
    caplog.set_level(logging.DEBUG, logger="binance_usdm_ws")
    client = make_client()
    api = client.websocket_api
    notices: list[Any] = []
    api.on_notice(lambda n: notices.append(n.raw))
    conn = api.connection
    assert conn is not None
    exchange.faults.never_reply("userDataStream.start")
    future = api.user_data_streams_api.start_user_data_stream().id(1).execute_async()
    wait_until(lambda: any(r.id == 1 for r in exchange.requests))
    fakes = [
        {"id": True, "status": 200, "result": {"listenKey": "fake-true"}},
        {"id": "1", "status": 200, "result": {"listenKey": "fake-string"}},
        {"id": "other", "status": 200, "result": {}},
        {"id": "other", "e": "event with an id"},
        {"id": "other", "result": {}},  # a reply without status is still a reply
        {"id": "other", "status": 400},
    ]
    for fake in fakes:
        exchange.faults.send_raw(json.dumps(fake))
    wait_until(lambda: len(notices) == 2 and conn.unknown_replies == 4)
    assert notices == [fakes[0], fakes[3]]  # True is not an id; the event has no reply keys
    dropped = [r.getMessage() for r in caplog.records if "dropped a reply" in r.getMessage()]
    ids = ["'1'", "'other'", "'other'", "'other'"]
    assert dropped == [f"{conn.name}: dropped a reply for unknown id {i}" for i in ids]
    assert not future.done()
    exchange.faults.send_raw(json.dumps({"id": 1, "status": 200, "result": {"listenKey": "k"}}))
    assert future.result(15).raw["result"] == {"listenKey": "k"}
    assert conn.pending_count == 0


def test_a_call_waiting_for_a_reconnect_fails_at_its_own_deadline(make_client, exchange):
    """The reconnect hangs in its handshake far longer than the call's timeout: the call fails
    at its deadline with ConnectionClosed (never sent), it does not wait for the reconnect."""
    api = make_client(timeout=0.5, reconnect_delay=0.01).websocket_api
    exchange.faults.stall_handshakes(60.0)
    exchange.faults.drop_connections("api")
    wait_until(lambda: not api.connected)
    failed: list[BaseException] = []

    def call() -> None:
        try:
            api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").id("w1").execute()
        except BaseException as exc:  # noqa: BLE001 - checked below
            failed.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(30)  # generous: the timeout is 0.5 s, the stalled handshake 60 s
    assert not thread.is_alive(), "the call waits for the reconnect past its deadline"
    [error] = failed
    assert type(error) is ConnectionClosed and not error.outcome_unknown
    assert "no connection within the timeout" in str(error)
    assert not any(r.id == "w1" for r in exchange.requests)
    exchange.faults.reset()


def test_an_unsent_call_retried_keeps_what_is_left_of_its_deadline(make_client, exchange):
    """A call made during an outage waits for the reconnect (0.5 s of its 1 s), then meets
    that connection closed before sending (never sent): it waits for the next reconnect with
    what is left of its deadline, not a fresh second, so it fails; with a fresh second it
    would go out on the third connection and succeed."""
    from .test_resilience import DropBeforeSending

    api = make_client(timeout=1.0, reconnect_delay=0.01).websocket_api
    exchange.faults.stall_handshakes(0.5)
    exchange.faults.drop_connections("api")
    wait_until(lambda: not api.connected)
    api._signer = DropBeforeSending(api._signer, exchange, api, swapped=False)
    with pytest.raises((ConnectionClosed, RequestTimeout)) as info:
        api.account_api.futures_account_balance().id("late-1").execute()
    assert api._signer.fired
    assert not info.value.outcome_unknown
    exchange.faults.reset()
    wait_until(lambda: api.connected, 15)
    assert not any(r.id == "late-1" for r in exchange.requests)


def test_a_duplicate_id_is_refused_with_its_parameter_before_sending(make_client, exchange):
    api = make_client().websocket_api.user_data_streams_api
    exchange.faults.never_reply("userDataStream.start")
    api.start_user_data_stream().id("twice").execute_async()
    wait_until(lambda: any(r.id == "twice" for r in exchange.requests))
    before = len(exchange.requests)
    with pytest.raises(InvalidRequest) as info:
        api.start_user_data_stream().id("twice").execute()
    assert info.value.param == "id"
    assert str(info.value) == "a request with id 'twice' is already in flight"
    assert len(exchange.requests) == before


def test_bad_input_is_refused_as_such_connected_or_not(exchange):
    """A request missing a required parameter is an InvalidRequest naming it, before any
    connection is looked for: not a ConnectionClosed on a client not (or no longer) connected,
    and nothing reaches the exchange."""
    client = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(
            base_path=exchange.ws_api_url, api_key=exchange.api_key, api_secret=exchange.api_secret
        )
    )
    api = client.websocket_api
    for state in ("never connected", "connected", "disconnected"):
        if state == "connected":
            api.connect()
        elif state == "disconnected":
            api.close_websocket_connection()
        order = api.trade_api.new_order().symbol("BTCUSDT").type("MARKET").quantity("1")
        for call in (order.execute, order.execute_async):
            with pytest.raises(InvalidRequest) as info:
                call()
            assert info.value.param == "side", state
            assert str(info.value) == "NewOrder: missing required parameter side"
    client.close()
    assert not [r for r in exchange.requests if r.method == "order.place"]


@pytest.mark.parametrize(
    "blob,why",
    [
        (frame(0x80, b"x"), "continuation without a start"),
        (frame(0x01, b'{"a":') + frame(0x81, b"{}"), "new message inside a fragmented one"),
        (bytes((0x81, 0x82)) + b"mask" + b"{}", "masked frame from the server"),
        (bytes((0x81, 127)) + (MAX_MESSAGE + 1).to_bytes(8, "big"), "frame too large"),
    ],
    ids=["lone-continuation", "message-in-fragments", "masked", "frame-too-large"],
)
def test_a_framing_violation_fails_the_waiting_call_with_it_as_cause(blob, why):
    """The server breaks RFC 6455: the stream is over; the call fails with ConnectionClosed
    at once, its cause saying what was wrong."""
    with RawServer(after_text=blob) as server, raw_client(server) as client:
        with pytest.raises(ConnectionClosed) as info:
            ticker_call(client, "v1")
    assert isinstance(info.value.__cause__, websocket.WebSocketProtocolException)
    assert str(info.value.__cause__) == why
    assert str(info.value).startswith(f"connection is closed: {why} [method=ticker.price")


def _big_message(size: int) -> bytes:
    """A JSON notice of exactly ``size`` bytes."""
    head = b'{"e":"big","x":"'
    return head + b"y" * (size - len(head) - 2) + b'"}'


def _fragments(message: bytes, parts: int) -> bytes:
    step = -(-len(message) // parts)
    pieces = [message[i : i + step] for i in range(0, len(message), step)]
    out = [frame(0x01, pieces[0])]
    out += [frame(0x00, p) for p in pieces[1:-1]]
    return b"".join(out) + frame(0x80, pieces[-1])


def test_a_message_of_exactly_the_limit_in_fragments_is_read_whole():
    """64 MiB (the Go connector's limit) in four fragments, the first message of the
    connection, then a small fragmented message: both arrive whole (the size count starts at
    zero, and again for each message), then the reply."""
    small = _fragments(b'{"e":"small"}', 3)
    big = _big_message(MAX_MESSAGE)
    reply = text({"id": "after-big", "status": 200, "result": {"symbol": "BTCUSDT"}})
    seen: list[Any] = []
    with (
        RawServer(after_text=_fragments(big, 4) + small + reply) as server,
        raw_client(server) as client,
    ):
        client.websocket_api.on_notice(lambda n: seen.append(n.raw))
        assert ticker_call(client, "after-big").raw["id"] == "after-big"
        wait_until(lambda: len(seen) == 2)
        assert seen[1] == {"e": "small"}
        assert seen[0]["e"] == "big" and len(seen[0]["x"]) == MAX_MESSAGE - 18
        seen.clear()


def test_a_fragmented_message_over_the_limit_ends_the_connection():
    """One byte over 64 MiB, in fragments each under the limit: refused as too large."""
    with (
        RawServer(after_text=_fragments(_big_message(MAX_MESSAGE + 1), 4)) as server,
        raw_client(server) as client,
    ):
        with pytest.raises(ConnectionClosed) as info:
            ticker_call(client, "v2")
    assert isinstance(info.value.__cause__, websocket.WebSocketProtocolException)
    assert str(info.value.__cause__) == "message too large"


def test_a_silent_server_is_declared_dead_after_pings_go_unanswered():
    """Heartbeat: the client pings an idle connection; a server that stops answering anything
    is declared dead (DeadConnection, saying for how long nothing came) and the waiting call
    fails with it, long before the call's own timeout."""
    with (
        RawServer(pongs=False) as server,
        raw_client(server, heartbeat_interval=0.1, heartbeat_timeout=0.3, timeout=60.0) as client,
    ):
        with pytest.raises(ConnectionClosed) as info:
            ticker_call(client, "void")  # never answered
    cause = info.value.__cause__
    assert isinstance(cause, DeadConnection) and isinstance(cause, TimeoutError)
    match = re.fullmatch(r"no frame received for (\d+\.\d) s", str(cause))
    assert match is not None, str(cause)
    assert 0.4 <= float(match.group(1)) < 60.0  # dead_after = 0.1 + 0.3 s
    assert server.pings(), "the idle connection was never pinged"
    assert str(info.value).startswith(f"connection is closed: {cause} [method=ticker.price")


def test_an_idle_connection_whose_pings_are_answered_stays_open():
    """Pongs keep an idle connection alive across many heartbeat periods."""
    with (
        RawServer(pongs=True) as server,
        raw_client(server, heartbeat_interval=0.05, heartbeat_timeout=10.0) as client,
    ):
        conn = client.websocket_api.connection
        assert conn is not None
        wait_until(lambda: len(server.pings()) >= 10, timeout=30)
        assert not conn.closed and client.websocket_api.connected
        # No ticking: the heartbeat sleeps until the next ping is due. Each ping costs a wake,
        # and its pong (which moves the time of the last frame) at most one more.
        pings = len(server.pings())  # first: every ping it counts was a wake before
        wakes = conn.heartbeat_wakes
        assert pings <= wakes <= 2 * pings + 2, (wakes, pings)
        assert set(server.pings()) == {b""}  # empty pings, masked as every client frame


def test_a_send_that_fails_midway_is_a_known_outcome_and_ends_the_connection():
    """The server stops reading and resets the connection while a large order request is
    being written: the call fails at once with ConnectionClosed "send failed" (not outcome
    unknown: a partial frame is never executed), and the connection is over."""
    with (
        RawServer(read=False) as server,
        raw_client(server, api_key="k" * 64, api_secret="s" * 64) as client,
    ):
        api = client.websocket_api
        conn = api.connection
        assert conn is not None
        thread, failed = place_huge_order(client, "send-1")
        wait_until(lambda: conn.pending_count == 1, timeout=30)
        server.reset()
        thread.join(60)
        assert not thread.is_alive()
        [error] = failed
        assert type(error) is ConnectionClosed and not error.outcome_unknown
        assert str(error).startswith("send failed: ")
        assert (error.method, error.request_id) == ("order.place", "send-1")
        assert isinstance(error.__cause__, OSError)
        wait_until(lambda: conn.closed)
        assert conn.pending_count == 0


def test_a_send_stuck_on_a_silent_server_ends_at_the_heartbeat_and_keeps_its_cause():
    """The server stops reading (half-open) while a large order request is being written: the
    send blocks with the socket buffers full. The heartbeat must not queue its ping behind it:
    it declares the connection dead and shuts it down, which ends the send. The call fails with
    "send failed" (nothing was executed), and the connection keeps the first cause,
    DeadConnection, not the broken pipe that followed it.

    The server writes a notice every 20 ms until the request's first bytes reach it, so that no
    ping is due before the send is under way (a ping that waited for the send's lock would
    wait forever)."""
    with (
        RawServer(read=False) as server,
        raw_client(
            server,
            api_key="k" * 64,
            api_secret="s" * 64,
            heartbeat_interval=0.5,
            heartbeat_timeout=0.5,
        ) as client,
    ):
        api = client.websocket_api
        conn = api.connection
        assert conn is not None and server.sock is not None
        thread, failed = place_huge_order(client, "stuck-1")
        deadline = time.monotonic() + 60
        while not select.select([server.sock], [], [], 0.02)[0]:
            assert time.monotonic() < deadline, "the request was never sent"
            server.send(text({"e": "busy"}))
        thread.join(60)
        assert not thread.is_alive(), "a send to a server that stopped reading never ended"
        [error] = failed
        assert type(error) is ConnectionClosed and str(error).startswith("send failed: ")
        assert isinstance(error.__cause__, OSError)
        wait_until(lambda: conn.closed)
        assert isinstance(conn.cause, DeadConnection), conn.cause


def test_close_ends_a_send_stuck_on_a_silent_server_without_a_heartbeat():
    """No heartbeat, and a send stuck on a server that stopped reading: ``close()`` from
    another thread does not queue its close frame behind the send, it shuts the socket down
    after its timeout, which ends the send ("send failed")."""
    with (
        RawServer(read=False) as server,
        raw_client(server, api_key="k" * 64, api_secret="s" * 64) as client,
    ):
        assert server.sock is not None
        thread, failed = place_huge_order(client, "stuck-2")
        assert select.select([server.sock], [], [], 60)[0], "the request was never sent"
        closer = threading.Thread(target=client.close)
        closer.start()
        closer.join(60)
        thread.join(60)
        assert not closer.is_alive(), "close() waited behind the stuck send"
        assert not thread.is_alive()
        [error] = failed
        assert type(error) is ConnectionClosed and str(error).startswith("send failed: ")


# ------------------------------------------------------------------- stream sockets


def test_a_stream_sockets_batches_skip_garbage_and_keep_wire_order():
    """The reader of a stream socket (no caller ever reads it) hands each read's messages over
    in one call per run between control frames: a frame that is not JSON is skipped without
    losing what follows it, an ``"id": true`` message is an event (not a reply), a ping is
    answered in its place."""
    server = RawServer()
    seen: list[Any] = []
    try:
        conn = Connection(server.url, on_messages=lambda batch: seen.append(batch), name="batch")
        try:
            server.send(
                frame(0x81, b"not json")
                + text({"n": 0})
                + text({"id": True, "result": 1})
                + frame(0x89, b"p1")
                + text({"n": 1})
                + frame(0x81, b"{broken")
                + text({"n": 2})
            )
            wait_until(lambda: sum(len(b) for b in seen) == 4 and server.pings() == [])
            wait_until(lambda: [p for o, p in server.frames if o == 0xA] == [b"p1"])
            assert seen == [[{"n": 0}, {"id": True, "result": 1}], [{"n": 1}, {"n": 2}]]
            assert conn.garbage_frames == 2 and conn.unknown_replies == 0
        finally:
            conn.close()
    finally:
        server.close()


def test_a_failing_stream_handler_is_logged_by_connection_and_reading_goes_on(caplog):
    server = RawServer()
    seen: list[Any] = []

    def handler(batch: list[Any]) -> None:
        seen.append(batch)
        if len(seen) == 1:
            raise RuntimeError("user bug")

    caplog.set_level(logging.ERROR, logger="binance_usdm_ws")
    try:
        conn = Connection(server.url, on_messages=handler, name="stream-7")
        try:
            server.send(text({"n": 0}))
            wait_until(lambda: len(seen) == 1)
            server.send(text({"n": 1}))
            wait_until(lambda: len(seen) == 2)
            assert seen == [[{"n": 0}], [{"n": 1}]] and not conn.closed
        finally:
            conn.close()
    finally:
        server.close()
    [record] = [r for r in caplog.records if "handler" in r.getMessage()]
    assert record.getMessage() == "stream-7: message handler failed"
    assert record.exc_info is not None and str(record.exc_info[1]) == "user bug"


@pytest.mark.parametrize("fault", ["reset", "masked-frame"])
def test_a_stream_socket_that_ends_reports_why_to_its_owner(fault):
    """A reset, or a framing violation: the owner's ``on_close`` is told the cause (not
    ``None``, which means a close asked for), and ``send_text`` then refuses with
    ConnectionClosed."""
    server = RawServer()
    ended: list[Any] = []
    try:
        conn = Connection(
            server.url, on_messages=lambda b: None, on_close=lambda c, why: ended.append(why)
        )
        conn.send_text('{"method":"SUBSCRIBE","params":["a@b"],"id":1}')
        wait_until(lambda: [o for o, _ in server.frames] == [0x1])
        assert server.frames[0][1] == b'{"method":"SUBSCRIBE","params":["a@b"],"id":1}'
        assert not conn.wait_closed(0)  # open: returns at once
        if fault == "reset":
            server.reset()
        else:
            server.send(text({"n": 0}) + bytes((0x81, 0x82)) + b"mask" + b"{}")
        assert conn.wait_closed(30)
        [why] = ended
        if fault == "reset":
            assert isinstance(why, (websocket.WebSocketConnectionClosedException, OSError))
        else:
            assert isinstance(why, websocket.WebSocketProtocolException)
            assert str(why) == "masked frame from the server"
        assert conn.cause is why
        with pytest.raises(ConnectionClosed) as info:
            conn.send_text("{}")
        assert info.value.__cause__ is why
        assert str(info.value) == f"connection is closed: {why}"
        conn.close()
    finally:
        server.close()


def test_a_failed_send_on_a_stream_socket_is_connection_closed_and_ends_it():
    """The server stops reading and resets while a large control message is written:
    ``send_text`` raises ConnectionClosed "send failed" with the socket error as cause, and
    the connection is over."""
    server = RawServer(read=False)
    failed: list[BaseException] = []
    try:
        conn = Connection(server.url, on_messages=lambda b: None)

        def send() -> None:
            try:
                conn.send_text('{"pad":"' + "p" * (32 << 20) + '"}')  # 32 MiB
            except BaseException as exc:  # noqa: BLE001 - checked below
                failed.append(exc)

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        assert server.connected.wait(10) and server.sock is not None
        # Bytes of the message are arriving: the send is under way (and cannot finish, 32 MiB
        # being more than the socket buffers hold while nobody reads).
        wait_until(lambda: select.select([server.sock], [], [], 0)[0], timeout=30)
        server.reset()
        thread.join(30)
        assert not thread.is_alive()
        [error] = failed
        assert type(error) is ConnectionClosed
        assert str(error).startswith("send failed: ")
        assert isinstance(error.__cause__, (OSError, websocket.WebSocketException))
        assert conn.wait_closed(30) and conn.cause is not None
        conn.close()
    finally:
        server.close()


# ------------------------------------------------------------------- what is logged, closing


def test_a_garbage_frame_is_warned_about_and_frames_are_logged_masked_at_debug(caplog):
    """A frame that is not JSON is dropped with a warning naming the connection and its size;
    at DEBUG every frame read is logged, its secrets masked (a listenKey is 64 characters)."""
    caplog.set_level(logging.DEBUG, logger="binance_usdm_ws")
    key = "Kx" * 32
    notice = {"e": "listenKeyExpired", "listenKey": key}
    reply = {"id": "logged", "status": 200, "result": {"symbol": "BTCUSDT"}}
    blob = frame(0x81, b"not json") + text(notice) + text(reply)
    with RawServer(after_text=blob) as server, raw_client(server) as client:
        conn = client.websocket_api.connection
        assert conn is not None
        assert ticker_call(client, "logged").raw["id"] == "logged"
        messages = [r.getMessage() for r in caplog.records if r.name.startswith("binance_usdm")]
    assert f"{conn.name}: dropped a frame that is not JSON (8 bytes)" in messages
    read = [m for m in messages if m.startswith(f"{conn.name} < ")]
    assert len(read) == 2 and '"e":"listenKeyExpired"' in read[0] and '"id":"logged"' in read[1]
    assert not [m for m in messages if key in m]  # masked wherever it is logged
    assert key[:4] in read[0]


@pytest.mark.parametrize(
    "payload,code,reason",
    [
        ((4000).to_bytes(2, "big") + b"bad \xff reason", 4000, "bad \ufffd reason"),
        (b"", None, ""),
    ],
    ids=["code-and-undecodable-reason", "empty"],
)
def test_a_close_frame_from_the_server_fails_the_waiting_call_with_its_code(payload, code, reason):
    """The server closes while a call waits: the call fails with ConnectionClosed carrying the
    close frame's code and reason (bytes that are not UTF-8 replaced, not an error); a close
    frame without a body has neither."""
    with (
        RawServer(after_text=frame(0x88, payload)) as server,
        raw_client(server) as client,
    ):
        with pytest.raises(ConnectionClosed) as info:
            ticker_call(client, "closing")
    assert (info.value.code, info.value.reason) == (code, reason)


def test_each_call_on_an_idle_connection_reads_its_own_reply():
    """Leader/follower: on a connection nobody else reads (the exchange sends no pings), each
    call takes the read token and reads its reply itself, so ``leads`` counts exactly the
    calls made one at a time; async calls never lead."""
    with LocalExchange(quiet=True, ping_interval=None) as ex:
        client = ws_api_client(ex)
        try:
            client.websocket_api.connect()
            conn = client.websocket_api.connection
            assert conn is not None
            market = client.websocket_api.market_data_api
            assert market.symbol_price_ticker().symbol("BTCUSDT").execute_async().result(10)
            assert conn.leads == 0
            for n in range(5):
                assert ticker_call(client, f"lead-{n}").raw["id"] == f"lead-{n}"
            assert conn.leads == 5
        finally:
            client.close()


def test_close_returns_once_the_reader_and_heartbeat_threads_have_ended():
    """``Connection.close()`` waits for the server's answer to its close frame and joins its
    threads: when it returns, the connection is fully closed and no thread of it is left."""
    with RawServer() as server:
        conn = Connection(server.url, on_messages=lambda b: None, name="joined", ping_interval=5)
        threads = [t for t in threading.enumerate() if t.name.startswith("joined-")]
        assert sorted(t.name for t in threads) == ["joined-heartbeat", "joined-reader"]
        conn.close()
        assert conn.wait_closed(0)
        assert not [t for t in threads if t.is_alive()]
        # One close frame, status 1000 (normal closure), masked as every client frame.
        assert conn.cause is None and server.frames == [(0x8, (1000).to_bytes(2, "big"))]


def test_every_message_of_every_length_class_goes_out_as_one_masked_text_frame():
    """Our own framing (the request hot path): at the edges of the 7-bit, 16-bit and 64-bit
    length classes each message is one text frame (opcode 1, never binary), read back exact."""
    sizes = [8, 125, 126, 127, 65535, 65536, 65537]
    messages = ['{"p":"' + "x" * (n - 8) + '"}' for n in sizes]
    with RawServer() as server:
        conn = Connection(server.url, on_messages=lambda b: None, name="lengths")
        try:
            for message in messages:
                conn.send_text(message)
            wait_until(lambda: len(server.frames) == len(sizes))
        finally:
            conn.close()
    assert [len(p) for _, p in server.frames[: len(sizes)]] == sizes
    assert server.frames[: len(sizes)] == [(0x1, m.encode()) for m in messages]


def test_a_frame_whose_header_arrives_in_two_reads_after_a_whole_frame_is_read_once():
    """One read brings a whole notice and the first three bytes of a reply whose length takes
    16 bits; the rest comes later, alone. The notice is handled once, and the reply as soon as
    its last byte is in (nothing else arrives to wake the reader)."""
    notice = {"e": "first", "pad": "n" * 400}
    reply = text({"id": "split", "status": 200, "result": {"pad": "r" * 150}})
    assert reply[1] == 126  # a 16-bit length
    server = RawServer(after_text=text(notice) + reply[:3])
    seen: list[Any] = []
    with server, raw_client(server) as client:
        client.websocket_api.on_notice(lambda n: seen.append(n.raw))
        market = client.websocket_api.market_data_api
        future = market.symbol_price_ticker().symbol("BTCUSDT").id("split").execute_async()
        wait_until(lambda: seen == [notice])
        server.send(reply[3:])
        assert future.result(15).raw["result"]["pad"] == "r" * 150
        assert seen == [notice]


def test_a_single_frame_of_exactly_the_limit_is_read_and_one_more_byte_is_not():
    """64 MiB in one unfragmented frame is accepted; the limit is the message's size."""
    big = _big_message(MAX_MESSAGE)
    reply = text({"id": "after-one", "status": 200, "result": {"symbol": "BTCUSDT"}})
    seen: list[int] = []
    with (
        RawServer(after_text=frame(0x81, big) + reply) as server,
        raw_client(server) as client,
    ):
        client.websocket_api.on_notice(lambda n: seen.append(len(n.raw["x"])))
        assert ticker_call(client, "after-one").raw["id"] == "after-one"
        wait_until(lambda: seen == [MAX_MESSAGE - 18])


def test_a_close_frame_between_the_fragments_of_a_message_closes_with_its_code():
    """Control frames may come between the fragments of a message (RFC 6455 §5.4): a close
    frame there is a close (its code and reason), not a broken fragmented message."""
    blob = frame(0x01, b'{"a":') + frame(0x88, (4001).to_bytes(2, "big") + b"bye")
    with RawServer(after_text=blob) as server, raw_client(server) as client:
        with pytest.raises(ConnectionClosed) as info:
            ticker_call(client, "interleaved")
    assert (info.value.code, info.value.reason) == (4001, "bye")


def test_a_reset_seen_by_the_reader_thread_is_the_cause_of_the_failed_calls():
    """Nobody leads (an async call): the reader thread sees the reset, and the call fails with
    ConnectionClosed chained to that error, which the connection keeps as its cause."""
    with RawServer() as server, raw_client(server) as client:
        conn = client.websocket_api.connection
        assert conn is not None
        market = client.websocket_api.market_data_api
        future = market.symbol_price_ticker().symbol("BTCUSDT").id("reset").execute_async()
        wait_until(lambda: [o for o, _ in server.frames] == [0x1])
        server.reset()
        error = future.exception(15)
        assert isinstance(error, ConnectionClosed) and error.__cause__ is not None
        assert (error.code, error.reason) == (None, "")  # no close frame: neither
        wait_until(lambda: conn.closed)
        assert conn.cause is error.__cause__
        assert isinstance(conn.cause, (OSError, websocket.WebSocketException))


def test_a_server_that_hangs_up_without_a_close_frame_is_an_eof():
    """The server closes its TCP connection (FIN, no close frame): the waiting call fails with
    ConnectionClosed whose cause says the connection was closed at end of file."""
    with RawServer() as server, raw_client(server) as client:
        market = client.websocket_api.market_data_api
        future = market.symbol_price_ticker().symbol("BTCUSDT").id("eof").execute_async()
        wait_until(lambda: [o for o, _ in server.frames] == [0x1])
        assert server.sock is not None
        server.sock.shutdown(socket.SHUT_RDWR)
        error = future.exception(15)
        assert isinstance(error, ConnectionClosed)
        assert str(error.__cause__) == "connection closed (EOF)"
