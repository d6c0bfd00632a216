"""A lean WS API server for the benchmark: as little work per request as a server can do.

The bundled local exchange validates, matches and logs every request, so each round trip
against it is dominated by the server and hides what the client costs. This server only
frames: it reads whatever the socket has, finds each request's ``id`` and ``method`` with a
regular expression, and answers with canned but correctly shaped replies (the Binance
envelope with ``status``, ``result`` and ``rateLimits``), every reply of one read in one
``sendall``. Signatures are not verified.

Methods: ``ticker.price``, ``order.place``, ``ping``; any other gets a 400 error envelope.
Control frames: pings are answered with pongs, a close frame is echoed.

Run it in its own process (``python benchmarks/lean_server.py``): it prints
``ws://127.0.0.1:<port>/ws-fapi/v1`` and serves until killed. A connection that sends the
text ``stats`` (not JSON) gets back the server's own mean time per request in µs, measured
from the end of a read to the end of its ``sendall``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import sys
import threading
import time
from typing import Optional

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_FIELD = re.compile(rb'"(id|method)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')

_WEIGHT = (
    '[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,'
    '"limit":2400,"count":1}]'
)
_ORDERS = (
    '[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,'
    '"limit":2400,"count":1},{"rateLimitType":"ORDERS","interval":"SECOND",'
    '"intervalNum":10,"limit":300,"count":1},{"rateLimitType":"ORDERS","interval":"MINUTE",'
    '"intervalNum":1,"limit":1200,"count":1}]'
)
_TICKER = '{"symbol":"BTCUSDT","price":"6000.01","time":1589437530011}'
_ORDER = (
    '{"orderId":325078477,"symbol":"BTCUSDT","status":"NEW",'
    '"clientOrderId":"iCXL1BywlBaf2sesNUrVl3","price":"43187.00","origQty":"0.100",'
    '"executedQty":"0.000","cumQty":"0.000","timeInForce":"GTC","type":"LIMIT",'
    '"reduceOnly":false,"closePosition":false,"side":"BUY","positionSide":"BOTH",'
    '"stopPrice":"0.00","workingType":"CONTRACT_PRICE","priceProtect":false,'
    '"origType":"LIMIT","priceMatch":"NONE","selfTradePreventionMode":"NONE",'
    '"goodTillDate":0,"updateTime":1702555534435}'
)
#: The reply after the id, by method.
_TAILS = {
    b'"ticker.price"': f',"status":200,"result":{_TICKER},"rateLimits":{_WEIGHT}}}'.encode(),
    b'"order.place"': f',"status":200,"result":{_ORDER},"rateLimits":{_ORDERS}}}'.encode(),
    b'"ping"': f',"status":200,"result":{{}},"rateLimits":{_WEIGHT}}}'.encode(),
}
_UNKNOWN = b',"status":400,"error":{"code":-1102,"msg":"Unknown method in the lean server."}}'


def server_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked server frame (RFC 6455 §5.2), FIN set; shared with ``streams.py``."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


class _Stats:
    requests = 0
    seconds = 0.0


def client_frames(buf: bytearray) -> list[tuple[int, bytes]]:
    """Take every whole masked client frame off the front of ``buf``: (first byte, payload)."""
    frames = []
    while len(buf) >= 2:
        b0, b1 = buf[0], buf[1]
        length, pos = b1 & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                break
            length, pos = int.from_bytes(buf[2:4], "big"), 4
        elif length == 127:
            if len(buf) < 10:
                break
            length, pos = int.from_bytes(buf[2:10], "big"), 10
        if len(buf) < pos + 4 + length:
            break
        mask = bytes(buf[pos : pos + 4])
        data = buf[pos + 4 : pos + 4 + length]
        del buf[: pos + 4 + length]
        payload = (
            int.from_bytes(data, "little")
            ^ int.from_bytes((mask * (length // 4 + 1))[:length], "little")
        ).to_bytes(length, "little")
        frames.append((b0, payload))
    return frames


def _answer(payload: bytes) -> bytes:
    found = dict(m.groups() for m in _FIELD.finditer(payload, 0, 200))
    rid = found.get(b"id")
    if rid is None:  # ids further in than usual: parse it properly
        message = json.loads(payload)
        rid = json.dumps(message.get("id")).encode()
        found[b"method"] = json.dumps(message.get("method")).encode()
    return server_frame(0x1, b'{"id":' + rid + _TAILS.get(found.get(b"method", b""), _UNKNOWN))


def accept_websocket(conn: socket.socket) -> Optional[tuple[bytes, bytearray]]:
    """Read the HTTP upgrade request and answer 101 (or 400 without a key).

    Returns:
        The request head and the bytes read after it; None if the client went away or sent no
        key.
    """
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        head += chunk
    head, _, rest = head.partition(b"\r\n\r\n")
    key = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", head)
    if key is None:
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
        return None
    accept = base64.b64encode(hashlib.sha1(key.group(1) + _GUID).digest())
    conn.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    return head, bytearray(rest)


def _serve(conn: socket.socket) -> None:
    accepted = accept_websocket(conn)
    if accepted is None:
        return
    buf = accepted[1]
    parts: list[bytes] = []
    perf = time.perf_counter
    while True:
        chunk = conn.recv(262144)
        if not chunk:
            return
        t = perf()
        buf += chunk
        out = []
        answered = 0
        for b0, payload in client_frames(buf):
            opcode = b0 & 0x0F
            if not b0 & 0x80 or opcode == 0x0:  # fragments: gather, answer the whole
                parts.append(payload)
                if not b0 & 0x80:
                    continue
                payload, parts = b"".join(parts), []
                opcode = 0x1
            if opcode in (0x1, 0x2):
                if payload == b"stats":
                    mean = _Stats.seconds / _Stats.requests * 1e6 if _Stats.requests else 0.0
                    out.append(server_frame(0x1, f"{mean:.2f}".encode()))
                    continue
                out.append(_answer(payload))
                answered += 1
            elif opcode == 0x9:
                out.append(server_frame(0xA, payload))
            elif opcode == 0x8:
                conn.sendall(b"".join(out) + server_frame(0x8, payload[:2]))
                return
        if out:
            conn.sendall(b"".join(out))
            if answered:
                _Stats.requests += answered
                _Stats.seconds += perf() - t


def _handle(conn: socket.socket) -> None:
    try:
        _serve(conn)
    except OSError:
        pass
    finally:
        conn.close()


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    listener = socket.create_server(("127.0.0.1", port))
    print(f"ws://127.0.0.1:{listener.getsockname()[1]}/ws-fapi/v1", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
