"""`make bench`: the SDK against raw websocket-client, side by side, on one local exchange.

The local exchange runs in a separate process (its own interpreter and GIL), so client-side
costs are measured, not server contention. Each figure is printed with its ratio to raw
websocket-client (tuned: ``skip_utf8_validation=True``) measured in the same run:

* sequential round trip: one ``execute()`` at a time vs ``send()`` + ``recv()``; median;
* pipelined throughput: a window of requests in flight (``execute_async()`` vs raw frames
  sent by one thread and read by another);
* failure latency: how long waiting calls take to fail after the server drops the socket;
* typed event decoding vs ``json.loads`` (``benchmarks/events.py``);
* market stream throughput from one socket in a burst (``benchmarks/streams.py``).

Targets (issues 2 and 4): sequential ≤ 1.2× raw; pipelined ≥ 0.8× raw; decode ≤ 3× loads.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import websocket  # noqa: E402

from binance_usdm_ws import (  # noqa: E402
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
)

SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "2000"))
PIPELINED = int(os.environ.get("BENCH_PIPELINED", "20000"))
WINDOW = int(os.environ.get("BENCH_WINDOW", "100"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
METHOD = "userDataStream.ping"


def start_exchange() -> tuple[subprocess.Popen[str], str, str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "binance_usdm_ws.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(__file__))},
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


def main() -> None:
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
        r_seq, s_seq = statistics.median(seq_raw), statistics.median(seq_sdk)
        r_pipe, s_pipe = statistics.median(pipe_raw), statistics.median(pipe_sdk)
        print(f"sequential round trip, median of {ROUNDS} x {SEQUENTIAL} calls:")
        print(f"  raw websocket-client  {r_seq:8.1f} us")
        print(
            f"  execute()             {s_seq:8.1f} us   ratio {s_seq / r_seq:.2f}x (target <= 1.2x)"
        )
        print(f"pipelined throughput, window {WINDOW}, median of {ROUNDS} x {PIPELINED} calls:")
        print(f"  raw websocket-client  {r_pipe:8.0f} req/s")
        print(
            f"  execute_async()       {s_pipe:8.0f} req/s   ratio {s_pipe / r_pipe:.2f}x "
            "(target >= 0.8x)"
        )
    finally:
        proc.terminate()
        proc.wait(10)
    drop_latency()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import events  # type: ignore[import-not-found]

    events.main()
    import streams  # type: ignore[import-not-found]

    streams.main()


def drop_latency() -> None:
    """How fast waiting calls fail when the server drops the socket (a real abort)."""
    from binance_usdm_ws.testing import LocalExchange

    with LocalExchange() as ex:
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
