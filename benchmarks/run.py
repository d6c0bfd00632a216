"""`make bench`: the SDK against raw websocket-client, side by side, in one run.

Every server runs in a separate process (its own interpreter and GIL), so client-side costs
are measured, not server contention. Rounds are interleaved (raw, SDK, raw, SDK, ...) so that
machine noise hits both alike; each ratio is SDK / raw within one round, and the min and the
median over the rounds are printed. Against the lean server, raw and SDK also alternate within
a round, in chunks of ``BENCH_CHUNK`` sequential calls (a quarter of the pipelined calls), so
that a burst of load from outside lands on both sides, not on one.

1. Against the lean server (``benchmarks/lean_server.py``: canned replies, almost no work per
   request, so the client's own cost shows):

   * ``ticker.price`` sequential round trip: raw websocket-client (tuned: no send lock, no
     UTF-8 check) ``send`` + ``recv`` + ``json.loads`` + the price as a Decimal, vs
     ``execute()`` reading ``resp.typed.result.price``; target ≤ 1.15x;
   * signed ``order.place``: a raw frame signed with ``hmac`` (params sorted, HMAC-SHA256,
     JSON, send, recv, loads), with a client order id as the SDK's frame has, vs
     ``new_order()...execute()`` reading the typed order id; target ≤ 1.2x;
   * pipelined ``ticker.price`` with a window in flight: raw (a sender thread, this thread
     reading, ``json.loads`` + the price as a Decimal) vs ``execute_async()``, once with the
     typed price read in the done callback and once without it; target ≥ 0.8x.

2. Against the bundled local exchange (a realistic server): sequential and pipelined
   ``userDataStream.ping``; failure latency after the server drops the socket; typed event
   decoding vs ``json.loads`` (``benchmarks/events.py``).

3. Market stream throughput from one socket in a burst (``benchmarks/streams.py``): raw
   websocket-client + ``json.loads`` vs the SDK read as ``.raw`` and as a typed field.

4. Pool mode against the lean server: pipelined ``ticker.price`` throughput over one
   connection (``mode="single"``) vs ``mode="pool", pool_size=2`` (ratio pool / single).

5. The local order book (``benchmarks/order_book.py``): applying one 20-level diff to a
   1000-level book and reading 20 levels, against a plain dict-plus-sort book.

6. Scale and rest (``benchmarks/scale.py``): N local order books and N mixed market streams at
   Binance's pace (CPU, memory, delay, sync time), and the idle cost of a connected client.

``BENCH_SECTIONS`` picks sections (default ``lean,exchange,drop,events,streams,pool,book,scale``);
``make bench BENCH=quick`` runs them all smaller (about 3 minutes);
``BENCH_ROUNDS``, ``BENCH_SEQUENTIAL``, ``BENCH_PIPELINED``, ``BENCH_WINDOW`` set the sizes.
``BENCH_SDK_ROOT`` measures the package of another checkout (e.g. an older commit) with this
same benchmark.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
# The SDK under test: this checkout, unless BENCH_SDK_ROOT names another (to compare versions).
SDK_ROOT = os.environ.get("BENCH_SDK_ROOT") or os.path.dirname(HERE)
sys.path.insert(0, SDK_ROOT)

import websocket  # noqa: E402

from binance_usdm_ws import (  # noqa: E402
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
)

SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "2000"))
PIPELINED = int(os.environ.get("BENCH_PIPELINED", "20000"))
WINDOW = int(os.environ.get("BENCH_WINDOW", "100"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CHUNK = int(os.environ.get("BENCH_CHUNK", "200"))
METHOD = "userDataStream.ping"


# ---------------------------------------------------------------------- lean server

SYMBOL = "BTCUSDT"
QTY, PRICE = Decimal("0.1"), Decimal("43187.00")
LEAN_KEY = "benchkey" * 8
LEAN_SECRET = "benchsecret" * 6


def start_lean_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "lean_server.py")], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("ws://"):
        proc.kill()
        raise SystemExit(f"the lean server did not start: {url!r}")
    return proc, url


def raw_socket(url: str) -> websocket.WebSocket:
    """websocket-client as fast as it goes: no send lock, no UTF-8 validation."""
    ws = websocket.WebSocket(enable_multithread=False, skip_utf8_validation=True)
    ws.connect(url, suppress_origin=True)
    return ws


def raw_ticker(ws: websocket.WebSocket, n: int) -> list[float]:
    samples = []
    perf = time.perf_counter
    for i in range(n):
        t = perf()
        rid = f"t{i}"
        ws.send(json.dumps({"id": rid, "method": "ticker.price", "params": {"symbol": SYMBOL}}))
        reply = json.loads(ws.recv())
        assert reply["id"] == rid
        price = Decimal(reply["result"]["price"])
        samples.append(perf() - t)
    assert price
    return samples


def sdk_ticker(api: Any, n: int) -> list[float]:
    samples = []
    perf = time.perf_counter
    for _ in range(n):
        t = perf()
        price = api.symbol_price_ticker().symbol(SYMBOL).execute().typed.result.price
        samples.append(perf() - t)
    assert price
    return samples


def raw_order(ws: websocket.WebSocket, n: int) -> list[float]:
    """A signed order.place frame built by hand: sorted params, HMAC-SHA256, JSON.

    It carries a client order id, unique per order (a random prefix and a counter), as the
    SDK's frame does: an order that can be looked up when its reply is lost does the same job.
    """
    secret = LEAN_SECRET.encode()
    client_ids = f"raw{os.urandom(3).hex()}-"
    samples = []
    perf = time.perf_counter
    for i in range(n):
        t = perf()
        rid = f"o{i}"
        params: dict[str, Any] = {
            "symbol": SYMBOL,
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": str(QTY),
            "price": str(PRICE),
            "newClientOrderId": client_ids + str(i),
            "timestamp": int(time.time() * 1000),
            "apiKey": LEAN_KEY,
        }
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        params["signature"] = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
        ws.send(json.dumps({"id": rid, "method": "order.place", "params": params}))
        reply = json.loads(ws.recv())
        assert reply["id"] == rid
        order_id = reply["result"]["orderId"]
        samples.append(perf() - t)
    assert order_id
    return samples


def sdk_order(api: Any, n: int) -> list[float]:
    samples = []
    perf = time.perf_counter
    for _ in range(n):
        t = perf()
        order_id = (
            api.new_order()
            .symbol(SYMBOL)
            .side("BUY")
            .type("LIMIT")
            .time_in_force("GTC")
            .quantity(QTY)
            .price(PRICE)
            .execute()
            .typed.result.order_id
        )
        samples.append(perf() - t)
    assert order_id
    return samples


def raw_ticker_pipelined(url: str, n: int, window: int) -> float:
    """Requests/s with `window` in flight: a sender thread and this thread reading."""
    ws = raw_socket(url)
    slots = threading.Semaphore(window)

    def sender() -> None:
        for i in range(n):  # each frame encoded when sent, as a real caller would
            slots.acquire()
            ws.send(
                json.dumps({"id": f"p{i}", "method": "ticker.price", "params": {"symbol": SYMBOL}})
            )

    t = time.perf_counter()
    th = threading.Thread(target=sender)
    th.start()
    for _ in range(n):
        Decimal(json.loads(ws.recv())["result"]["price"])
        slots.release()
    elapsed = time.perf_counter() - t
    th.join()
    ws.close()
    return n / elapsed


def sdk_ticker_pipelined(api: Any, n: int, window: int, typed: bool = True) -> float:
    """Requests/s with `window` in flight; the done callback reads the typed price (or not)."""
    slots = threading.Semaphore(window)
    done = threading.Event()
    count = [0]
    lock = threading.Lock()

    def finished(future: Any) -> None:
        response = future.result()
        if typed:
            assert response.typed.result.price
        slots.release()
        with lock:
            count[0] += 1
            if count[0] == n:
                done.set()

    t = time.perf_counter()
    for _ in range(n):
        slots.acquire()
        api.symbol_price_ticker().symbol(SYMBOL).execute_async().add_done_callback(finished)
    done.wait()
    return n / (time.perf_counter() - t)


def server_cost_us(url: str) -> float:
    """The lean server's own mean time per request (it measures itself)."""
    ws = raw_socket(url)
    ws.send("stats")
    value = float(ws.recv())
    ws.close()
    return value


def alternating(
    raw: Callable[[int], list[float]], sdk: Callable[[int], list[float]], n: int
) -> tuple[float, float]:
    """Median µs of ``n`` sequential calls each, raw and SDK alternating in chunks."""
    raw_samples: list[float] = []
    sdk_samples: list[float] = []
    for _ in range(max(1, n // CHUNK)):
        raw_samples += raw(CHUNK)
        sdk_samples += sdk(CHUNK)
    return median_us(raw_samples), median_us(sdk_samples)


def alternating_rates(
    raw: Callable[[int], float], sdk: Callable[[int], float], n: int, parts: int = 4
) -> tuple[float, float]:
    """Requests/s over ``n`` pipelined calls each, raw and SDK alternating in ``parts`` chunks."""
    k = n // parts
    raw_seconds = sdk_seconds = 0.0
    for _ in range(parts):
        raw_seconds += k / raw(k)
        sdk_seconds += k / sdk(k)
    return k * parts / raw_seconds, k * parts / sdk_seconds


def report(title: str, raw: list[float], sdk: list[float], unit: str, target: str) -> None:
    """Print medians of both and the min/median of the per-round ratios SDK / raw."""
    ratios = [s / r for r, s in zip(raw, sdk)]
    print(f"{title}:")
    print(f"  raw websocket-client  {statistics.median(raw):9.1f} {unit}")
    print(
        f"  SDK                   {statistics.median(sdk):9.1f} {unit}   ratio min "
        f"{min(ratios):.2f}x median {statistics.median(ratios):.2f}x (target {target})"
    )


def lean_section() -> None:
    proc, url = start_lean_server()
    try:
        cfg = ConfigurationWebsocketApi(
            base_path=url, api_key=LEAN_KEY, api_secret=LEAN_SECRET, timeout=30
        )
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg) as client:
            market = client.websocket_api.market_data_api
            trade = client.websocket_api.trade_api
            ws = raw_socket(url)
            raw_ticker(ws, 300)  # warm-up both sides
            sdk_ticker(market, 300)
            raw_order(ws, 300)
            sdk_order(trade, 300)
            keys = ("rt", "st", "ro", "so", "rp", "sp", "rq", "sq")
            rows: dict[str, list[float]] = {k: [] for k in keys}
            runs: list[tuple[str, str, Callable[[], tuple[float, float]]]] = [
                (
                    "rt",
                    "st",
                    lambda: alternating(
                        lambda k: raw_ticker(ws, k), lambda k: sdk_ticker(market, k), SEQUENTIAL
                    ),
                ),
                (
                    "ro",
                    "so",
                    lambda: alternating(
                        lambda k: raw_order(ws, k), lambda k: sdk_order(trade, k), SEQUENTIAL
                    ),
                ),
                (
                    "rp",
                    "sp",
                    lambda: alternating_rates(
                        lambda k: raw_ticker_pipelined(url, k, WINDOW),
                        lambda k: sdk_ticker_pipelined(market, k, WINDOW),
                        PIPELINED,
                    ),
                ),
                (
                    "rq",
                    "sq",
                    lambda: alternating_rates(
                        lambda k: raw_ticker_pipelined(url, k, WINDOW),
                        lambda k: sdk_ticker_pipelined(market, k, WINDOW, typed=False),
                        PIPELINED,
                    ),
                ),
            ]
            for _ in range(ROUNDS):
                for raw_key, sdk_key, run in runs:
                    raw_value, sdk_value = run()
                    rows[raw_key].append(raw_value)
                    rows[sdk_key].append(sdk_value)
            ws.close()
        server_us = server_cost_us(url)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"lean server ({server_us:.1f} us of server work per request), {ROUNDS} rounds")
    report(
        f"ticker.price sequential, median of {SEQUENTIAL} calls per round",
        rows["rt"],
        rows["st"],
        "us",
        "<= 1.15x",
    )
    report(
        f"signed order.place sequential, median of {SEQUENTIAL} calls per round",
        rows["ro"],
        rows["so"],
        "us",
        "<= 1.2x",
    )
    report(
        f"ticker.price pipelined, window {WINDOW}, {PIPELINED} calls per round, typed price read",
        rows["rp"],
        rows["sp"],
        "req/s",
        ">= 0.8x",
    )
    report(
        f"ticker.price pipelined, window {WINDOW}, {PIPELINED} calls per round, no typed read",
        rows["rq"],
        rows["sq"],
        "req/s",
        ">= 0.8x",
    )


# ---------------------------------------------------------------------- local exchange


def start_exchange(*args: str) -> tuple[subprocess.Popen[str], str, str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "binance_usdm_ws.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": SDK_ROOT},
    )
    assert proc.stdout is not None
    found: dict[str, str] = {}
    deadline = time.monotonic() + 20
    while len(found) < 3 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        for name, pattern in (
            ("url", r"(ws://\S+/ws-fapi/v1)"),
            ("key", r"[Aa][Pp][Ii][ _-]?[Kk]ey\W+(\S+)"),
            ("secret", r"[Ss]ecret\W+(\S+)"),
        ):
            m = re.search(pattern, line)
            if m and name not in found:
                found[name] = m.group(1)
    if len(found) < 3:
        proc.kill()
        raise SystemExit(f"could not read the local exchange's URL/key/secret: {found}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain
    return proc, found["url"], found["key"], found["secret"]


def raw_frame(i: int, key: str) -> str:
    return json.dumps({"id": f"r{i}", "method": METHOD, "params": {"apiKey": key}})


def raw_sequential(url: str, key: str, n: int) -> list[float]:
    ws = websocket.create_connection(url, skip_utf8_validation=True)
    samples = []
    for i in range(n):
        t = time.perf_counter()
        ws.send(raw_frame(i, key))
        while True:
            reply = json.loads(ws.recv())
            if reply.get("id") == f"r{i}":
                break
        samples.append(time.perf_counter() - t)
    ws.close()
    return samples


def sdk_sequential(api: Any, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        api.keepalive_user_data_stream().execute()
        samples.append(time.perf_counter() - t)
    return samples


def raw_pipelined(url: str, key: str, n: int, window: int) -> float:
    """Requests/s with `window` in flight: a sender thread and this thread reading."""
    ws = websocket.create_connection(url, skip_utf8_validation=True)
    slots = threading.Semaphore(window)

    def sender() -> None:
        for i in range(n):  # each frame encoded when sent, as a real caller would
            slots.acquire()
            ws.send(raw_frame(i, key))

    t = time.perf_counter()
    th = threading.Thread(target=sender)
    th.start()
    got = 0
    while got < n:
        json.loads(ws.recv())
        got += 1
        slots.release()
    elapsed = time.perf_counter() - t
    th.join()
    ws.close()
    return n / elapsed


def sdk_pipelined(api: Any, n: int, window: int) -> float:
    slots = threading.Semaphore(window)
    done = threading.Event()
    count = [0]
    lock = threading.Lock()

    def finished(_: Any) -> None:
        slots.release()
        with lock:
            count[0] += 1
            if count[0] == n:
                done.set()

    t = time.perf_counter()
    for _ in range(n):
        slots.acquire()
        api.keepalive_user_data_stream().execute_async().add_done_callback(finished)
    done.wait()
    return n / (time.perf_counter() - t)


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def exchange_section() -> None:
    proc, url, key, secret = start_exchange()
    try:
        cfg = ConfigurationWebsocketApi(base_path=url, api_key=key, api_secret=secret, timeout=30)
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg) as client:
            api = client.websocket_api.user_data_streams_api
            api.start_user_data_stream().execute()
            raw_sequential(url, key, 200)  # warm-up both sides
            sdk_sequential(api, 200)
            seq_raw, seq_sdk, pipe_raw, pipe_sdk = [], [], [], []
            for _ in range(ROUNDS):  # interleaved, so machine noise hits both alike
                seq_raw.append(median_us(raw_sequential(url, key, SEQUENTIAL)))
                seq_sdk.append(median_us(sdk_sequential(api, SEQUENTIAL)))
                pipe_raw.append(raw_pipelined(url, key, PIPELINED, WINDOW))
                pipe_sdk.append(sdk_pipelined(api, PIPELINED, WINDOW))
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"local exchange, {METHOD}, {ROUNDS} rounds")
    report(
        f"sequential round trip, median of {SEQUENTIAL} calls per round",
        seq_raw,
        seq_sdk,
        "us",
        "<= 1.2x",
    )
    report(
        f"pipelined throughput, window {WINDOW}, {PIPELINED} calls per round",
        pipe_raw,
        pipe_sdk,
        "req/s",
        ">= 0.8x",
    )


def main() -> None:
    sections = os.environ.get("BENCH_SECTIONS", "lean,exchange,drop,events,streams,pool,book,scale")
    sections = sections.split(",")
    if "lean" in sections:
        lean_section()
    if "exchange" in sections:
        exchange_section()
    if "drop" in sections:
        drop_latency()
    if "events" in sections:
        sys.path.insert(0, HERE)
        import events  # type: ignore[import-not-found]

        events.main()
    if "streams" in sections:
        sys.path.insert(0, HERE)
        import streams  # type: ignore[import-not-found]

        streams.main()
    if "pool" in sections:
        pool_section()
    if "book" in sections:
        sys.path.insert(0, HERE)
        import order_book  # type: ignore[import-not-found]

        order_book.main()
    if "scale" in sections:
        sys.path.insert(0, HERE)
        import scale  # type: ignore[import-not-found]

        scale.main()


def pool_section() -> None:
    """Pipelined throughput over one connection vs a pool of two (lean server)."""
    if not hasattr(ConfigurationWebsocketApi(), "mode"):  # BENCH_SDK_ROOT: an older version
        print("pool mode: not in the measured version")
        return
    proc, url = start_lean_server()
    rows: dict[str, list[float]] = {"single": [], "pool": []}
    try:
        clients = {
            mode: BinanceDerivativesTradingUsdsFuturesClient(
                websocket_api=ConfigurationWebsocketApi(
                    base_path=url, timeout=30, mode=mode, pool_size=2
                )
            )
            for mode in rows
        }
        for client in clients.values():
            client.websocket_api.connect()
            sdk_ticker_pipelined(client.websocket_api.market_data_api, 2000, WINDOW)  # warm-up
        for _ in range(ROUNDS):
            for mode, client in clients.items():
                market = client.websocket_api.market_data_api
                rows[mode].append(sdk_ticker_pipelined(market, PIPELINED, WINDOW, typed=False))
        for client in clients.values():
            client.close()
    finally:
        proc.terminate()
        proc.wait(10)
    ratios = [p / s for s, p in zip(rows["single"], rows["pool"])]
    print(f"pool mode, lean server, {ROUNDS} rounds")
    print(f"ticker.price pipelined, window {WINDOW}, {PIPELINED} calls per round, no typed read:")
    print(f"  mode=single            {statistics.median(rows['single']):9.1f} req/s")
    print(
        f"  mode=pool, pool_size=2 {statistics.median(rows['pool']):9.1f} req/s   ratio min "
        f"{min(ratios):.2f}x median {statistics.median(ratios):.2f}x"
    )


def drop_latency() -> None:
    """How fast waiting calls fail when the server drops the socket (a real abort)."""
    from binance_usdm_ws.testing import LocalExchange

    with LocalExchange(quiet=True) as ex:
        cfg = ConfigurationWebsocketApi(
            base_path=ex.ws_api_url, api_key=ex.api_key, timeout=30, reconnect=False
        )
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg) as client:
            api = client.websocket_api.user_data_streams_api
            conn = client.websocket_api.connection
            assert conn is not None
            ex.faults.never_reply(METHOD)
            futures = [api.keepalive_user_data_stream().execute_async() for _ in range(100)]
            sync_done: list[float] = []

            def blocked() -> None:
                try:
                    api.keepalive_user_data_stream().execute()
                except Exception:
                    sync_done.append(time.perf_counter())

            threads = [threading.Thread(target=blocked) for _ in range(16)]
            for t in threads:
                t.start()
            while conn.pending_count < 116:
                time.sleep(0.001)
            t0 = time.perf_counter()
            ex.faults.drop_connections()
            ends = []
            for f in futures:
                try:
                    f.result(30)
                except Exception:
                    ends.append(time.perf_counter())
            for t in threads:
                t.join()
            ends += sync_done
            print(
                f"dropped connection: {len(ends)} of 116 waiting calls failed, the last "
                f"{(max(ends) - t0) * 1000:.1f} ms after the drop (target <= 100 ms)"
            )


if __name__ == "__main__":
    main()
