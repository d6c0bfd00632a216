"""A lean live market for the scale benchmark: streams at Binance's pace and depth snapshots.

Run in its own process (``python benchmarks/market_server.py``): it prints
``ws://127.0.0.1:<port>`` and serves until killed, on any path:

* stream sockets (``/public/stream``, ``/market/stream``): ``SUBSCRIBE``/``UNSUBSCRIBE`` are
  acknowledged; every 100 ms (one tick) each subscribed stream gets what Binance sends at its
  pace: ``<s>@depth@100ms`` one diff of ``CHURN`` changed levels (near the top, a third of them
  removals) of a 1 000-level book per side, with ``U``/``u``/``pu`` chained; ``<s>@bookTicker``
  one update per tick; ``<s>@aggTrade`` one trade every other tick; ``<s>@kline_1m`` one every
  250 ms (every other tick, as near as 100 ms ticks go); ``<s>@markPrice@1s`` and
  ``<s>@miniTicker`` one per second. Every payload carries ``"X"``: the server's clock
  (``time.time_ns() // 1000``) when it was written, for the client to measure its delay.
* the WS API (``/ws-fapi/v1``): ``depth`` answers a snapshot of the symbol's book whose
  ``lastUpdateId`` falls inside the next diff (as on Binance, where the stream batches 100 ms of
  updates), with ``rateLimits`` of Binance's ``REQUEST_WEIGHT`` 2 400, over a window of
  ``--window`` seconds (default 60; the benchmark uses 1 to scale the minute down); any other
  method gets an empty result.
"""

from __future__ import annotations

import json
import random
import socket
import sys
import threading
import time
from collections import deque
from typing import Any

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from lean_server import accept_websocket, client_frames, server_frame  # noqa: E402

TICK = 0.1
DEPTH = 1000
CHURN = 20  # levels changed per diff (both sides)
LIMIT = 2400
WINDOW = float(sys.argv[sys.argv.index("--window") + 1]) if "--window" in sys.argv else 60.0


class Book:
    """One symbol's book: prices as level indexes from the middle, quantities as text."""

    def __init__(self, symbol: str, rng: random.Random) -> None:
        self.symbol = symbol
        self.rng = rng
        self.mid = rng.randint(100, 90_000) * 10
        self.bids = {i: f"{rng.randint(1, 9999) / 1000:.3f}" for i in range(1, DEPTH + 1)}
        self.asks = {i: f"{rng.randint(1, 9999) / 1000:.3f}" for i in range(1, DEPTH + 1)}
        self.u = rng.randint(10**9, 10**10)
        self.pu = self.u - 7

    def price(self, side: int, i: int) -> str:
        return f"{self.mid + side * i / 10:.1f}"

    def diff(self) -> tuple[int, int, int, str, str]:
        """Change ``CHURN`` levels; return U, u, pu and the two sides as JSON arrays."""
        rng = self.rng
        out = []
        for side, levels in ((-1, self.bids), (1, self.asks)):
            changes = []
            for i in rng.sample(range(1, 61), CHURN // 2):
                qty = "0.000" if rng.random() < 0.33 else f"{rng.randint(1, 9999) / 1000:.3f}"
                if qty == "0.000":
                    levels.pop(i, None)
                else:
                    levels[i] = qty
                changes.append(f'["{self.price(side, i)}","{qty}"]')
            out.append(",".join(changes))
        first, self.pu = self.u + 1, self.u
        self.u += rng.randint(5, 40)
        return first, self.u, self.pu, out[0], out[1]

    def snapshot(self) -> dict[str, Any]:
        last = self.u + 1  # inside the next diff's U..u
        return {
            "lastUpdateId": last,
            "E": int(time.time() * 1000),
            "T": int(time.time() * 1000),
            "bids": [[self.price(-1, i), self.bids[i]] for i in sorted(self.bids)[:DEPTH]],
            "asks": [[self.price(1, i), self.asks[i]] for i in sorted(self.asks)[:DEPTH]],
        }


class Market:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.books: dict[str, Book] = {}
        self.conns: list[StreamConn] = []
        self.ticks = 0
        self.weights: deque[tuple[float, int]] = deque()

    def book(self, symbol: str) -> Book:
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = Book(symbol, random.Random(symbol))
        return book

    def run(self) -> None:
        due = time.monotonic()
        while True:
            due += TICK
            time.sleep(max(0.0, due - time.monotonic()))
            self.ticks += 1
            with self.lock:
                conns = list(self.conns)
            for conn in conns:
                try:
                    self.tick(conn)
                except OSError:
                    with self.lock:
                        if conn in self.conns:
                            self.conns.remove(conn)

    def tick(self, conn: StreamConn) -> None:
        n = self.ticks
        out: list[bytes] = []
        with self.lock:
            streams = list(conn.streams)
        for name in streams:
            symbol, _, kind = name.partition("@")
            if kind == "aggTrade" and n % 2 or kind == "kline_1m" and n % 2:
                continue
            if kind in ("markPrice@1s", "miniTicker") and n % 10:
                continue
            sym = symbol.upper()
            ms = int(time.time() * 1000)
            if kind == "depth@100ms":
                with self.lock:
                    first, last, prev, bids, asks = self.book(sym).diff()
                data = (
                    f'{{"e":"depthUpdate","E":{ms},"T":{ms},"s":"{sym}","U":{first},'
                    f'"u":{last},"pu":{prev},"b":[{bids}],"a":[{asks}]'
                )
            elif kind == "bookTicker":
                data = (
                    f'{{"e":"bookTicker","u":{ms * 10},"E":{ms},"T":{ms},"s":"{sym}",'
                    f'"b":"60000.10","B":"31.210","a":"60000.20","A":"40.660"'
                )
            elif kind == "aggTrade":
                data = (
                    f'{{"e":"aggTrade","E":{ms},"s":"{sym}","a":{n},"p":"60000.10","q":"0.012",'
                    f'"nq":"0.012","f":{n * 3},"l":{n * 3 + 2},"T":{ms},"m":true'
                )
            elif kind == "kline_1m":
                data = (
                    f'{{"e":"kline","E":{ms},"s":"{sym}","k":{{"t":{ms - ms % 60000},'
                    f'"T":{ms - ms % 60000 + 59999},"s":"{sym}","i":"1m","f":{n},"L":{n + 9},'
                    f'"o":"60000.10","c":"60001.00","h":"60002.00","l":"59999.90","v":"12.300",'
                    f'"n":10,"x":false,"q":"738012.30","V":"6.100","Q":"366006.10","B":"0"}}'
                )
            elif kind == "markPrice@1s":
                data = (
                    f'{{"e":"markPriceUpdate","E":{ms},"s":"{sym}","p":"60000.12",'
                    f'"i":"60001.00","P":"60002.00","r":"0.00010000","T":{ms + 3600000}'
                )
            elif kind == "miniTicker":
                data = (
                    f'{{"e":"24hrMiniTicker","E":{ms},"s":"{sym}","c":"60000.10",'
                    f'"o":"59000.00","h":"61000.00","l":"58000.00","v":"12345.678",'
                    f'"q":"740000000.00"'
                )
            else:
                continue
            text = f'{{"stream":"{name}","data":{data},"X":{time.time_ns() // 1000}}}}}'
            out.append(server_frame(0x1, text.encode()))
            if len(out) >= 64:  # written as they are made: the stamps stay honest
                conn.send(b"".join(out))
                out = []
        if out:
            conn.send(b"".join(out))

    def depth(self, symbol: str, limit: int) -> tuple[dict[str, Any], int]:
        weight = 20 if limit > 500 else 10 if limit > 100 else 5
        now = time.monotonic()
        with self.lock:
            snap = self.book(symbol).snapshot()
            self.weights.append((now, weight))
            while self.weights and self.weights[0][0] <= now - WINDOW:
                self.weights.popleft()
            count = sum(w for _, w in self.weights)
        return snap, count


class StreamConn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.streams: list[str] = []
        self.send_lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self.send_lock:
            self.sock.sendall(data)


def read_frames(sock: socket.socket, buf: bytearray) -> list[tuple[int, bytes]]:
    chunk = sock.recv(262144)
    if not chunk:
        raise ConnectionError("closed")
    buf += chunk
    return [(b0 & 0x0F, payload) for b0, payload in client_frames(buf)]


def serve(market: Market, sock: socket.socket) -> None:
    accepted = accept_websocket(sock)
    if accepted is None:
        return
    head, buf = accepted
    path = head.split(b" ", 2)[1].decode()
    api = "ws-fapi" in path
    conn = StreamConn(sock)
    if not api:
        with market.lock:
            market.conns.append(conn)
    try:
        while True:
            for opcode, payload in read_frames(sock, buf):
                if opcode == 0x8:
                    conn.send(server_frame(0x8, payload[:2]))
                    return
                if opcode == 0x9:
                    conn.send(server_frame(0xA, payload))
                if opcode != 0x1:
                    continue
                request = json.loads(payload)
                rid, method = request.get("id"), request.get("method")
                params = request.get("params") or {}
                if api:
                    result: Any = {}
                    count = 1
                    if method == "depth":
                        result, count = market.depth(
                            params["symbol"], int(params.get("limit", 500))
                        )
                    reply = {
                        "id": rid,
                        "status": 200,
                        "result": result,
                        "rateLimits": [
                            {
                                "rateLimitType": "REQUEST_WEIGHT",
                                "interval": "SECOND" if WINDOW < 60 else "MINUTE",
                                "intervalNum": int(WINDOW) if WINDOW < 60 else int(WINDOW // 60),
                                "limit": LIMIT,
                                "count": count,
                            }
                        ],
                    }
                else:
                    with market.lock:
                        if method == "SUBSCRIBE":
                            conn.streams += [s for s in params if s not in conn.streams]
                        elif method == "UNSUBSCRIBE":
                            conn.streams = [s for s in conn.streams if s not in params]
                    reply = {"result": None, "id": rid}
                conn.send(server_frame(0x1, json.dumps(reply).encode()))
    except (OSError, ConnectionError):
        pass
    finally:
        with market.lock:
            if conn in market.conns:
                market.conns.remove(conn)
        sock.close()


def main() -> None:
    market = Market()
    listener = socket.create_server(("127.0.0.1", 0))
    print(f"ws://127.0.0.1:{listener.getsockname()[1]}", flush=True)
    threading.Thread(target=market.run, daemon=True).start()
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(market, sock), daemon=True).start()


if __name__ == "__main__":
    main()
