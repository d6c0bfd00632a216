"""Benchmark: market stream throughput from one socket in a burst, SDK against raw client.

A minimal burst server runs in its own process (its own interpreter and GIL): after the
WebSocket handshake it writes N pre-framed ``{"stream","data"}`` ``bookTicker`` frames in one
``sendall``, so the figure is the client's speed, not the server's. Measured in the same run,
from the first message to the last:

* raw websocket-client (``skip_utf8_validation=True``) + ``json.loads`` reading ``["data"]["b"]``;
* ``client.websocket_streams`` with a consumer reading the payload undecoded (``get_raw()``);
* the same with a consumer reading a typed field (``get().bid_price``);
* the typed decode cost per event against ``json.loads`` of the same frame.

Measured: the client process's CPU time (all its threads) per frame, from before connecting to
the last item read, so the reader thread's framing, JSON and hand-off count as much as the
consumer's side. Targets (issue 19): typed ≤ 0.5× raw; ``.raw`` ≤ 0.3× raw. Run
``python benchmarks/streams.py`` (``BENCH_STREAM_MESSAGES``, default 20000; ``BENCH_ROUNDS``,
default 3; ``BENCH_SDK_ROOT`` measures another checkout; ``BENCH_NO_ACCELERATOR=1`` parses with
the standard library even where msgspec is installed).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import timeit
from pathlib import Path

# The SDK under test: this checkout, unless BENCH_SDK_ROOT names another (to compare versions).
ROOT = Path(os.environ.get("BENCH_SDK_ROOT") or Path(__file__).resolve().parents[1])
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import websocket  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lean_server import server_frame  # noqa: E402

from binance_usdm_ws import (  # noqa: E402
    BinanceDerivativesTradingUsdsFuturesClient,
    BookTickerUpdate,
    ConfigurationWebsocketStreams,
    decode_market_event,
)

if os.environ.get("BENCH_NO_ACCELERATOR"):  # the standard library's JSON, to see what msgspec buys
    import binance_usdm_ws._core._connection as _connection

    _connection.accelerated_loads = None

N = int(os.environ.get("BENCH_STREAM_MESSAGES", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
STREAM = "btcusdt@bookTicker"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(i: int) -> bytes:
    data = {
        "e": "bookTicker", "u": 400900217 + i, "E": 1568014460893 + i, "T": 1568014460891 + i,
        "s": "BTCUSDT", "ps": "BTCUSDT", "b": f"{60000 + i % 100}.10", "B": "31.210",
        "a": f"{60001 + i % 100}.20", "A": "40.660", "st": 1,
    }  # fmt: skip
    return json.dumps({"stream": STREAM, "data": data}, separators=(",", ":")).encode()


def read_client_frame(conn: socket.socket) -> tuple[int, bytes]:
    def exact(k: int) -> bytes:
        buf = b""
        while len(buf) < k:
            chunk = conn.recv(k - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    b1, b2 = exact(2)
    n = b2 & 0x7F
    if n == 126:
        n = int.from_bytes(exact(2), "big")
    elif n == 127:
        n = int.from_bytes(exact(8), "big")
    mask = exact(4)
    data = exact(n)
    return b1 & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def handle(conn: socket.socket, blob: bytes) -> None:
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        lines = request.decode().split("\r\n")
        key = next(
            ln.split(":", 1)[1].strip()
            for ln in lines
            if ln.lower().startswith("sec-websocket-key")
        )
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        conn.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
        )
        if "?streams=" not in lines[0]:  # the SDK: SUBSCRIBE first, then the ack
            rid = json.loads(read_client_frame(conn)[1])["id"]
            conn.sendall(server_frame(0x1, json.dumps({"result": None, "id": rid}).encode()))
        conn.sendall(blob)
        try:
            while True:
                opcode, data = read_client_frame(conn)
                if opcode == 0x8:  # close: answer it, as a server does
                    conn.sendall(server_frame(0x8, data))
                    return
                if opcode == 0x9:
                    conn.sendall(server_frame(0xA, data))
        except (OSError, ConnectionError):
            pass


def serve() -> None:
    blob = b"".join(server_frame(0x1, frame(i)) for i in range(N))
    server = socket.create_server(("127.0.0.1", 0))
    print(server.getsockname()[1], flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn, blob), daemon=True).start()


def raw_client(base: str) -> float:
    """Client CPU µs per frame (this process, all threads): connect, then read the burst."""
    cpu = time.process_time()
    ws = websocket.create_connection(
        f"{base}/public/stream?streams={STREAM}", skip_utf8_validation=True
    )
    try:
        for _ in range(N):
            assert json.loads(ws.recv())["data"]["b"]
        return (time.process_time() - cpu) / N * 1e6
    finally:
        ws.close()


def sdk_client(base: str, typed: bool) -> float:
    """Client CPU µs per frame (reader thread and consumer alike): connect, read the burst."""
    cpu = time.process_time()
    cfg = ConfigurationWebsocketStreams(base_path=base, queue_size=0)
    with BinanceDerivativesTradingUsdsFuturesClient(websocket_streams=cfg) as client:
        handle = client.websocket_streams.subscribe([STREAM])
        if typed:
            for _ in range(N):
                assert handle.get().bid_price
        else:
            for _ in range(N):
                assert handle.get_raw()["b"]
        return (time.process_time() - cpu) / N * 1e6


def decode_cost() -> tuple[float, float]:
    text = frame(1).decode()
    data = json.loads(text)["data"]
    loads = min(timeit.repeat(lambda: json.loads(text), number=20000, repeat=5)) / 20000
    typed = (
        min(
            timeit.repeat(
                lambda: decode_market_event(data, BookTickerUpdate), number=20000, repeat=5
            )
        )
        / 20000
    )
    return loads * 1e6, typed * 1e6


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, f"ws://127.0.0.1:{int(proc.stdout.readline())}"


def main() -> None:
    proc, base = start_server()
    try:
        raw_client(base)  # warm-up
        sdk_client(base, typed=True)
        raw, fast, typed = [], [], []
        for _ in range(ROUNDS):  # interleaved, so machine noise hits all alike
            raw.append(raw_client(base))
            fast.append(sdk_client(base, typed=False))
            typed.append(sdk_client(base, typed=True))
    finally:
        proc.terminate()
        proc.wait(10)
    r = statistics.median(raw)
    print(
        f"stream burst, {N} bookTicker frames on one socket, client CPU per frame "
        f"(process time, all threads, connect included), {ROUNDS} interleaved rounds:"
    )
    print(f"  raw websocket-client + json.loads  {r:6.2f} us")
    for name, rows, target in (
        ("websocket_streams, get_raw()", fast, "<= 0.3x"),
        ("websocket_streams, typed get()", typed, "<= 0.5x"),
    ):
        ratios = [s / q for q, s in zip(raw, rows)]
        print(
            f"  {name:32s}  {statistics.median(rows):6.2f} us   ratio median "
            f"{statistics.median(ratios):.2f}x, best {min(ratios):.2f}x (target {target})"
        )
    loads, decode = decode_cost()
    print(
        f"  bookTicker: json.loads {loads:.2f} us, typed decode of the parsed payload "
        f"{decode:.2f} us ({decode / loads:.2f}x json.loads)"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main()
