"""The wire, end to end: frame lengths, fragmentation, server pings and late replies.

The SDK frames and parses WebSocket frames itself, so every length class is exercised both
ways over real sockets: payloads of up to 125 bytes (7-bit length), 126 to 65535 bytes (16-bit)
and over 64 KiB (64-bit), sent and received, whole and fragmented.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
from typing import Any

import pytest

from binance_usdm_ws import (
    BadRequest,
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    RequestTimeout,
)
from binance_usdm_ws.testing import LocalExchange

from ._data import sample_event
from .conftest import wait_until

# Boundaries of the three length classes (RFC 6455 §5.2), and sizes well inside each.
LENGTHS = [2, 125, 126, 127, 1000, 65535, 65536, 65537, 200_000, 1_500_000]


def price_sizes(exchange: LocalExchange, api: Any, target: int) -> int:
    """The symbol length that makes the ``ticker.price`` request frame exactly ``target`` bytes."""
    api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").id("len-probe01").execute()
    probe = next(r.raw for r in reversed(exchange.requests) if r.id == "len-probe01")
    return len("BTCUSDT") + target - len(probe.encode("utf-8"))


@pytest.mark.parametrize("fragment", [0, 1000], ids=["whole", "fragmented-replies"])
def test_requests_of_every_length_class_reach_the_server_whole(exchange, api, fragment):
    """Each request frame arrives with its exact length, and its reply comes back."""
    if fragment:
        exchange.faults.fragment(fragment, kind="api")
    for target in [80, 125, 126, 127, 65535, 65536, 65537, 300_000]:
        n = price_sizes(exchange, api, target)
        rid = f"len-{target:07d}"  # as long as the probe's id
        with pytest.raises(BadRequest) as info:  # an unknown symbol: -1121 from the server
            api.market_data_api.symbol_price_ticker().symbol("Z" * n).id(rid).execute()
        assert info.value.code == -1121 and info.value.request_id == rid
        raw = next(r.raw for r in exchange.requests if r.id == rid)
        assert len(raw.encode("utf-8")) == target
        assert json.loads(raw)["params"]["symbol"] == "Z" * n
    # Every frame arrived on the one connection: none of them broke the stream of frames.
    assert {r.conn_id for r in exchange.requests} == {exchange.requests[0].conn_id}
    assert api.reconnects == 0


@pytest.mark.parametrize(
    "size,fragment",
    # Whole, and split into fragments (at most a few thousand per message: the exchange is slow).
    [
        (size, fragment)
        for size in LENGTHS
        for fragment in (0, 7, 4096, 65536)
        if fragment == 0 or size // fragment < 5000
    ],
)
def test_replies_of_every_length_class_are_read_whole(exchange, make_client, size, fragment):
    """Replies of every length, whole or split into fragments, arrive whole and intact."""
    api = make_client(return_rate_limits=False).websocket_api  # small replies: 7-bit lengths
    exchange.faults.pad_replies("ticker.price", size)
    if fragment:
        exchange.faults.fragment(fragment, kind="api")
    resp = api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()
    assert resp.typed.result.symbol == "BTCUSDT" and resp.raw["id"] == resp.id
    length = len(json.dumps(resp.raw, separators=(",", ":"), ensure_ascii=False).encode())
    if "pad" in resp.raw:
        assert resp.raw["pad"] == "x" * len(resp.raw["pad"]) and length == size
    else:
        assert size <= length <= 125  # only the smallest sizes need no padding
    # The connection is intact: the next (small) reply follows on the same socket.
    exchange.faults.reset()
    again = api.market_data_api.symbol_price_ticker().symbol("ETHUSDT").execute()
    assert again.typed.result.symbol == "ETHUSDT" and api.reconnects == 0


def test_large_replies_interleave_with_small_ones_under_load(exchange, make_client):
    """Pipelined calls whose replies cross every length class each get their own reply."""
    api = make_client().websocket_api
    exchange.faults.pad_replies("ticker.price", 70_000)
    exchange.faults.pad_replies("ticker.book", 300)
    exchange.faults.fragment(5000, kind="api")
    futures = []
    for i in range(30):
        builder = (
            api.market_data_api.symbol_price_ticker()
            if i % 3 == 0
            else api.market_data_api.symbol_order_book_ticker()
            if i % 3 == 1
            else api.market_data_api.order_book().limit(5)
        )
        futures.append((i, builder.symbol("BTCUSDT").id(f"mix-{i}").execute_async()))
    for i, future in futures:
        resp = future.result(10)
        assert resp.id == f"mix-{i}" and resp.raw["id"] == f"mix-{i}"
    assert api.reconnects == 0


def test_fragmented_stream_events_arrive_whole(exchange):
    """User data events split into many fragments arrive whole and in order."""
    from binance_usdm_ws import ConfigurationWebsocketStreams

    client = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(
            base_path=exchange.ws_api_url,
            api_key=exchange.api_key,
            api_secret=exchange.api_secret,
        ),
        websocket_streams=ConfigurationWebsocketStreams(base_path=exchange.streams_url),
    )
    with client, client.user_data_stream() as stream:
        exchange.wait_for(lambda: exchange.stream_connection_count == 1)
        notes = ["", "n" * 100, "n" * 100_000]  # an unknown field: up to past 64 KiB
        for size in (7, 1000):
            exchange.faults.fragment(size, kind="stream")
            for n, note in enumerate(notes):
                exchange.push_event(sample_event("TRADE_LITE", t=n, x=note))
            got = [stream.get(10) for _ in notes]
            assert [e.trade_id for e in got] == [0, 1, 2]  # type: ignore[union-attr]
            assert [e.raw["x"] for e in got] == notes  # type: ignore[union-attr]


def _frame(first: int, payload: bytes) -> bytes:
    """One unmasked server frame whose payload is under 126 bytes."""
    return bytes((first, len(payload))) + payload


def _one_frame_server(
    blob: bytes, pongs: list[bytes], after_request: bool = False
) -> tuple[socket.socket, str]:
    """A WebSocket server on 127.0.0.1 that writes ``blob`` (ready frames, in one write) after
    the handshake, or after the client's first text frame; it records the payloads of the
    pongs it gets until the client closes."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            match = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", head)
            assert match is not None
            guid = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
            accept = base64.b64encode(hashlib.sha1(match.group(1) + guid).digest())
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            sent = not after_request
            if sent:
                conn.sendall(blob)
            buf = b""
            while True:  # client frames: 2 header bytes, 4 mask bytes, a short payload
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buf += chunk
                while len(buf) >= 6 and len(buf) >= 6 + (buf[1] & 0x7F):
                    n = buf[1] & 0x7F
                    mask, data = buf[2:6], buf[6 : 6 + n]
                    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
                    opcode, buf = buf[0] & 0x0F, buf[6 + n :]
                    if opcode == 0x1 and not sent:
                        conn.sendall(blob)
                        sent = True
                    elif opcode == 0xA:
                        pongs.append(payload)
                    elif opcode == 0x8:
                        conn.sendall(_frame(0x88, payload[:2]))
                        return

    threading.Thread(target=serve, daemon=True).start()
    return server, f"ws://127.0.0.1:{server.getsockname()[1]}/ws"


def test_a_message_in_300_000_fragments_is_read_in_linear_time():
    """One 300 KB message split into 300 000 one-byte fragments, a server ping among them.

    The reader's work per fragment must not grow with the fragments before it: summing the
    parts per fragment (quadratic) needs ~N²/2 = 4.5e10 steps here, many minutes, while the
    linear reader takes about a second (seconds on a loaded machine) of a minute allowed. The
    ping halfway is answered with its payload once the reader gets to it, and the message that
    follows the fragmented one arrives whole after it, in order.
    """
    from binance_usdm_ws._core._connection import Connection

    n = 300_000
    text = json.dumps({"e": "note", "x": "y" * (n - 22)}).encode()
    assert len(text) == n
    parts = [_frame(0x01, text[:1])]  # a text frame without FIN, then continuations
    parts += [_frame(0x00, text[i : i + 1]) for i in range(1, n - 1)]
    parts.insert(n // 2, _frame(0x89, b"mid"))  # a ping between fragments (RFC 6455 §5.4)
    parts.append(_frame(0x80, text[-1:]))  # the last continuation, FIN set
    parts.append(_frame(0x81, b'{"e":"after"}'))
    pongs: list[bytes] = []
    got: list[Any] = []
    server, url = _one_frame_server(b"".join(parts), pongs)
    with server:
        conn = Connection(url, on_message=got.append, name="fragments")
        try:
            wait_until(lambda: len(got) == 2, timeout=60)
            assert got[0] == {"e": "note", "x": "y" * (n - 22)} and got[1] == {"e": "after"}
            wait_until(lambda: pongs == [b"mid"])
            assert not conn.closed and conn.garbage_frames == 0
        finally:
            conn.close()


def test_a_burst_reaches_the_handler_in_one_call_per_run_in_wire_order():
    """The frames of one read: the messages before a reply go to ``on_messages`` in one call,
    then the reply to its waiter, then a ping is answered, then the rest in one call — the
    order on the wire, whatever the batching."""
    from binance_usdm_ws._core._connection import Connection

    seen: list[Any] = []

    class Waiter:
        def deliver(self, message: dict[str, Any]) -> None:
            seen.append(("reply", message["id"]))

        def fail(self, error: BaseException) -> None:
            seen.append(("failed", repr(error)))

    blob = b"".join(
        [_frame(0x81, b'{"n":%d}' % i) for i in (0, 1)]
        + [_frame(0x81, b'{"id":"r1","result":null}'), _frame(0x89, b"p")]
        + [_frame(0x81, b'{"n":%d}' % i) for i in (2, 3)]
    )
    pongs: list[bytes] = []
    server, url = _one_frame_server(blob, pongs, after_request=True)
    with server:
        conn = Connection(
            url, on_messages=lambda batch: seen.append([m["n"] for m in batch]), name="burst"
        )
        try:
            conn.send_request("r1", '{"id":"r1","method":"x"}', Waiter())
            wait_until(lambda: len(seen) == 3 and pongs == [b"p"])
            assert seen == [[0, 1], ("reply", "r1"), [2, 3]]
        finally:
            conn.close()


# ------------------------------------------------------------------------ server pings


@pytest.mark.parametrize("heartbeat", [None, 0.05], ids=["no-heartbeat", "heartbeat"])
def test_server_pings_are_answered_for_many_periods(heartbeat):
    """Binance pings every 3 minutes and drops a client that does not pong within 10 (here:
    every 50 ms, 300 ms). The client answers every ping and keeps its one connection."""
    with LocalExchange(quiet=True, ping_interval=0.05, ping_timeout=0.3) as exchange:
        cfg = ConfigurationWebsocketApi(
            base_path=exchange.ws_api_url,
            api_key=exchange.api_key,
            api_secret=exchange.api_secret,
            heartbeat_interval=heartbeat,
        )
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg) as client:
            api = client.websocket_api
            first = api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()
            assert first.typed.result.symbol == "BTCUSDT"
            wait_until(lambda: exchange.pings_answered("api") >= 40, timeout=30)
            assert exchange.pong_timeouts() == 0
            assert api.reconnects == 0 and exchange.api_connection_count == 1
            api.market_data_api.symbol_price_ticker().symbol("ETHUSDT").execute()
            conn_ids = {r.conn_id for r in exchange.requests}
            assert len(conn_ids) == 1  # both calls went over the same, never-dropped socket


def test_stream_answers_server_pings_for_many_periods():
    """The user data stream's socket answers server pings too, and is never dropped."""
    from binance_usdm_ws import ConfigurationWebsocketStreams

    with LocalExchange(quiet=True, ping_interval=0.05, ping_timeout=0.3) as exchange:
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=ConfigurationWebsocketApi(
                base_path=exchange.ws_api_url, api_key=exchange.api_key, heartbeat_interval=None
            ),
            websocket_streams=ConfigurationWebsocketStreams(base_path=exchange.streams_url),
        )
        with client, client.user_data_stream() as stream:
            exchange.wait_for(lambda: exchange.stream_connection_count == 1)
            wait_until(lambda: exchange.pings_answered("stream") >= 40, timeout=30)
            assert exchange.pong_timeouts() == 0
            assert stream.reconnects == 0 and stream.get(0) is None  # no gap was reported


def test_the_exchange_drops_a_client_that_never_pongs():
    """The exchange enforces the pong deadline, so the tests above can fail."""
    import websocket

    with LocalExchange(quiet=True, ping_interval=0.05, ping_timeout=0.2) as exchange:
        ws = websocket.WebSocket()
        ws.connect(exchange.ws_api_url)
        try:
            # Never read: websocket-client answers pings only inside recv().
            wait_until(lambda: exchange.pong_timeouts("api") == 1)
            wait_until(lambda: exchange.api_connection_count == 0)
            assert exchange.pings_answered() == 0
        finally:
            ws.abort()
            ws.shutdown()


# ------------------------------------------------------------------------ late replies


def test_late_reply_never_reaches_another_waiting_caller(exchange, api):
    """A reply that comes after its caller timed out is dropped, even while others wait."""
    exchange.faults.delay("account.balance", 0.5)
    exchange.faults.delay("ticker.price", 1.0)
    exchange.faults.delay("ticker.book", 0.8)
    results: dict[str, Any] = {}

    def other_caller() -> None:
        # Waits from before the late reply arrives until after it.
        results["ticker"] = (
            api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute(timeout=10)
        )

    with pytest.raises(RequestTimeout):
        api.account_api.futures_account_balance().execute(timeout=0.05)
    waiting = threading.Thread(target=other_caller)
    waiting.start()
    future = api.market_data_api.symbol_order_book_ticker().symbol("BTCUSDT").execute_async()
    waiting.join(15)
    assert not waiting.is_alive()
    ticker = results["ticker"]
    assert ticker.raw["id"] == ticker.id and ticker.typed.result.symbol == "BTCUSDT"
    book = future.result(10)
    assert book.raw["id"] == book.id and book.typed.result.bid_price is not None
    # The balance reply was sent (at 0.5 s) while both other calls waited (until 0.8 and 1 s).
    assert [r.method for r in exchange.requests].count("account.balance") == 1


def test_late_replies_under_concurrency_are_never_misdelivered(exchange, api):
    """Many callers time out while many others wait: each caller gets its own reply or none."""
    exchange.faults.delay("account.balance", 0.3)
    errors: list[BaseException] = []
    ok: list[bool] = []

    def timing_out(n: int) -> None:
        try:
            api.account_api.futures_account_balance().id(f"late-{n}").execute(timeout=0.01)
            errors.append(AssertionError("a delayed call did not time out"))
        except RequestTimeout:
            pass

    def waiting(n: int) -> None:
        for i in range(20):
            rid = f"w{n}-{i}"
            resp = api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").id(rid).execute()
            ok.append(resp.raw["id"] == rid and resp.typed.result.symbol == "BTCUSDT")

    threads = [threading.Thread(target=timing_out, args=(n,)) for n in range(10)]
    threads += [threading.Thread(target=waiting, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(ok) == 80 and all(ok)
    assert any(r.method == "account.balance" for r in exchange.requests)


def test_close_is_bounded_when_the_server_never_answers_the_close_frame(make_client, exchange):
    """close() returns after close_timeout even if the server stopped reading (half-open)."""
    client = make_client(close_timeout=0.1, heartbeat_interval=None)
    conn = client.websocket_api.connection
    assert exchange.faults.silence("api") == 1
    closer = threading.Thread(target=client.close, daemon=True)
    closer.start()
    closer.join(15)  # a guard against a hang, not a timing
    assert not closer.is_alive() and conn.closed
    exchange.faults.reset()
