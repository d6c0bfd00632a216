"""Benchmark: the client at scale and at rest (issue 19 §2-3). ``python benchmarks/scale.py``.

Each measurement runs in a fresh client process (so its memory and CPU are its own) against
``benchmarks/market_server.py`` (a lean live market in a process of its own, at Binance's pace):

* **books**: ``local_order_books`` of N symbols (1 000 levels) plus their ``bookTicker`` stream
  read by a consumer, diffs every 100 ms per symbol (20 changed levels each). Printed: the
  client's CPU (% of one core, all threads), memory per book (growth of the resident set over
  the client before the books, divided by N), the delay from a diff's writing by the server to
  its book being updated for a reader (p50/p99: the server stamps each payload; the clock is the
  same machine's), and the time to sync all N. The server reports Binance's ``REQUEST_WEIGHT``
  limit (2 400) over a 1 s window instead of a minute, so the snapshot scheduler's budget
  (``weight_share`` 0.5: 60 snapshots of 1 000 levels per window) shows in seconds: the
  whole windows it waits are minutes at Binance's real limit (printed). A size whose books do
  not all sync within the budget and a margin is measured anyway (how many synced, resyncs).
* **streams**: N market streams of mixed kinds (``bookTicker`` 10/s, ``aggTrade`` 5/s,
  ``kline_1m`` 5/s, ``markPrice@1s`` 1/s, ``miniTicker`` 1/s: 4.4 frames/s per stream on
  average) in one handle, sharded over sockets of up to 1 024 streams, read typed by a
  consumer: CPU, memory per stream, delay from the server's writing to ``get()`` returning it.
* **idle**: a client of the bundled local exchange (``--quiet``: nothing moves) with a user
  data stream and 50 quiet market streams: its CPU and thread wake-ups per second while
  nothing arrives, over ``BENCH_IDLE_SECONDS`` (default 60).

``BENCH_SCALE`` picks parts (default ``books,streams,idle``); ``BENCH_BOOKS`` (default
``10,50,200,500``), ``BENCH_STREAMS`` (default ``100,500,2000``) the sizes;
``BENCH_SCALE_SECONDS`` (default 10) the measuring window of each size.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # standalone run from a checkout
    sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("BENCH_SCALE_SECONDS", "10"))
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "60"))
KINDS = ("bookTicker", "aggTrade", "kline_1m", "markPrice@1s", "miniTicker")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def wakeups() -> dict[str, int]:
    """Context switches (each a sleep or a wake) of the SDK's threads so far, by thread name."""
    out = {}
    for thread in threading.enumerate():
        if not thread.name.startswith("binance-usdm-ws") or thread.native_id is None:
            continue
        try:
            with open(f"/proc/self/task/{thread.native_id}/status") as f:
                text = f.read()
        except OSError:
            continue
        out[thread.name] = sum(int(n) for n in re.findall(r"ctxt_switches:\s+(\d+)", text))
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def measure(seconds: float) -> tuple[float, float]:
    """Client CPU as % of one core over ``seconds`` of wall time, and the wall time."""
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - wall
    return (time.process_time() - cpu) / wall * 100, wall


def books_child(url: str, n: int) -> dict[str, Any]:
    from binance_usdm_ws import (
        BinanceDerivativesTradingUsdsFuturesClient,
        BookNotSynced,
        ConfigurationWebsocketApi,
        ConfigurationWebsocketStreams,
        LocalOrderBook,
    )

    delays: list[int] = []
    applied = [0]
    original = LocalOrderBook._on_event

    def timed(book: Any, event: Any) -> None:
        original(book, event)
        if book._synced:
            delays.append(time.time_ns() // 1000 - event["X"])

    LocalOrderBook._on_event = timed  # type: ignore[method-assign]
    client = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(base_path=f"{url}/ws-fapi/v1", timeout=30),
        websocket_streams=ConfigurationWebsocketStreams(base_path=url, timeout=30),
    )
    client.websocket_api.connect()
    base = rss_bytes()
    symbols = [f"S{i:04d}USDT" for i in range(n)]
    t0 = time.monotonic()
    books = client.local_order_books(symbols, limit=1000)
    tickers = client.websocket_streams.subscribe([f"{s.lower()}@bookTicker" for s in symbols])
    seen = [0]
    stop = threading.Event()

    def consume() -> None:
        while not stop.is_set():
            if tickers.get(1.0) is not None:
                seen[0] += 1

    threading.Thread(target=consume, daemon=True).start()
    # The scheduler's budget: 60 snapshots a window (1 s here); a generous bound beyond it.
    try:
        books.wait_synced(30 + 3 * n / 60)
    except BookNotSynced:
        pass  # reported: how many synced, and the resyncs
    sync = time.monotonic() - t0
    synced = books.synced_count
    time.sleep(1.0)
    memory = (rss_bytes() - base) / n
    delays.clear()
    applied[0], seen[0] = 0, 0
    cpu, wall = measure(SECONDS)
    result = {
        "n": n,
        "cpu": cpu,
        "memory_kib": memory / 1024,
        "p50_ms": percentile(delays, 0.5) / 1000,
        "p99_ms": percentile(delays, 0.99) / 1000,
        "diffs_s": len(delays) / wall,
        "tickers_s": seen[0] / wall,
        "sync_s": sync,
        "resyncs": sum(books[s].resyncs for s in symbols),
        "synced": synced,
    }
    stop.set()
    client.close()
    return result


def streams_child(url: str, n: int) -> dict[str, Any]:
    from binance_usdm_ws import BinanceDerivativesTradingUsdsFuturesClient
    from binance_usdm_ws import ConfigurationWebsocketStreams as Streams

    client = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_streams=Streams(base_path=url, timeout=60, queue_size=0)
    )
    names = [f"m{i // len(KINDS):04d}usdt@{KINDS[i % len(KINDS)]}" for i in range(n)]
    ws = client.websocket_streams
    base = rss_bytes()
    t0 = time.monotonic()
    handle = ws.subscribe(names)
    subscribed = time.monotonic() - t0
    delays: list[int] = []
    stop = threading.Event()

    def consume() -> None:
        while not stop.is_set():
            item = handle.get(1.0)
            raw = getattr(item, "raw", None)
            if type(raw) is dict and "X" in raw:
                delays.append(time.time_ns() // 1000 - raw["X"])

    threading.Thread(target=consume, daemon=True).start()
    time.sleep(2.0)
    memory = (rss_bytes() - base) / n
    delays.clear()
    cpu, wall = measure(SECONDS)
    frames = len(delays)
    result = {
        "n": n,
        "sockets": ws.connection_count,
        "cpu": cpu,
        "memory_kib": memory / 1024,
        "p50_ms": percentile(delays, 0.5) / 1000,
        "p99_ms": percentile(delays, 0.99) / 1000,
        "frames_s": frames / wall,
        "subscribe_s": subscribed,
    }
    stop.set()
    client.close()
    return result


def idle_child() -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from run import start_exchange  # type: ignore[import-not-found]

    from binance_usdm_ws import (
        BinanceDerivativesTradingUsdsFuturesClient,
        ConfigurationWebsocketApi,
        ConfigurationWebsocketStreams,
    )

    proc, api_url, key, secret = start_exchange("--quiet")
    try:
        streams_url = api_url.split("/ws-fapi")[0]
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=ConfigurationWebsocketApi(
                base_path=api_url, api_key=key, api_secret=secret
            ),
            websocket_streams=ConfigurationWebsocketStreams(base_path=streams_url),
        )
        client.websocket_api.connect()
        user = client.user_data_stream().__enter__()  # started: listenKey, socket, keepalive
        quiet = client.websocket_streams.subscribe([f"idle{i:02d}usdt@aggTrade" for i in range(50)])
        time.sleep(2.0)  # settle: connections made, acknowledgements in
        threads = sorted(t.name for t in threading.enumerate())
        before = wakeups()
        cpu, wall = measure(IDLE_SECONDS)
        after = wakeups()
        switches = {k: v - before.get(k, 0) for k, v in after.items() if v > before.get(k, 0)}
        got = quiet.pending + user.pending
        user.__exit__(None, None, None)
        client.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return {
        "seconds": wall,
        "cpu": cpu,
        "wakeups_s": sum(switches.values()) / wall,
        "woken": switches,
        "threads": len(threads),
        "thread_names": threads,
        "items": got,
    }


def run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, timeout=1200
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"scale child {args} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def start_market() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "market_server.py"), "--window", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def main() -> None:
    parts = os.environ.get("BENCH_SCALE", "books,streams,idle").split(",")
    sizes = {
        "books": [int(x) for x in os.environ.get("BENCH_BOOKS", "10,50,200,500").split(",")],
        "streams": [int(x) for x in os.environ.get("BENCH_STREAMS", "100,500,2000").split(",")],
    }
    if "books" in parts:
        print(
            f"order books at Binance's pace (a 20-level diff per 100 ms + 10 bookTickers/s per "
            f"symbol), {SECONDS:.0f} s per size, a fresh client each:"
        )
        print(
            "      N   client CPU   memory/book   diff→book p50 / p99   diffs/s  tickers/s"
            "   sync all N (1 s window)   at Binance's 2 400/min"
        )
        for n in sizes["books"]:
            proc, url = start_market()
            try:
                r = run_child("--books", str(n), url)
            finally:
                proc.terminate()
                proc.wait(10)
            # Whole windows of budget before the last snapshot can go: 1 s here, 1 min there.
            windows = max(0, math.ceil(n * 20 / 1200) - 1)
            synced = "" if r["synced"] == n else f" ({r['synced']} of {n} synced)"
            print(
                f"  {n:5d}   {r['cpu']:8.1f} %   {r['memory_kib']:8.0f} KiB   "
                f"{r['p50_ms']:7.1f} / {r['p99_ms']:6.1f} ms   {r['diffs_s']:7.0f}  "
                f"{r['tickers_s']:9.0f}   {r['sync_s']:8.1f} s{synced:>12}   "
                f"≈ {windows} min + the round trips"
                + (f"   ({r['resyncs']} resyncs)" if r["resyncs"] else "")
            )
    if "streams" in parts:
        print(
            f"market streams of mixed kinds ({', '.join(KINDS)}; 4.4 frames/s per stream), "
            f"one handle, typed get(), {SECONDS:.0f} s per size:"
        )
        print("      N  sockets   client CPU   memory/stream   write→get p50 / p99   frames/s")
        for n in sizes["streams"]:
            proc, url = start_market()
            try:
                r = run_child("--streams", str(n), url)
            finally:
                proc.terminate()
                proc.wait(10)
            print(
                f"  {n:5d}  {r['sockets']:7d}   {r['cpu']:8.1f} %   {r['memory_kib']:9.1f} KiB   "
                f"{r['p50_ms']:7.1f} / {r['p99_ms']:6.1f} ms   {r['frames_s']:8.0f}"
            )
    if "idle" in parts:
        r = run_child("--idle")
        print(
            f"idle: user data stream + 50 quiet market streams, {r['seconds']:.0f} s with nothing "
            f"arriving: client CPU {r['cpu']:.3f} % of a core, {r['wakeups_s']:.2f} context "
            f"switches/s in the SDK's threads, {r['threads']} threads"
        )
        print(f"  threads: {', '.join(r['thread_names'])}")
        print(f"  context switches by thread: {r['woken'] or 'none'}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--books"]:
        print(json.dumps(books_child(sys.argv[3], int(sys.argv[2]))))
    elif sys.argv[1:2] == ["--streams"]:
        print(json.dumps(streams_child(sys.argv[3], int(sys.argv[2]))))
    elif sys.argv[1:2] == ["--idle"]:
        print(json.dumps(idle_child()))
    else:
        main()
