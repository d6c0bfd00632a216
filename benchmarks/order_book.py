"""Benchmark: the local order book's hot path against a plain dict-plus-sort book, one run.

A 1000-level book per side, then a chain of diff events of 20 changed levels each (updates,
removals and new levels, near the top as real diffs are), as the stream delivers them (price
and quantity strings). Measured in this process, one core:

* **apply**: one event through ``LocalOrderBook`` (the ``pu`` check, the strings parsed to
  ``Decimal``, the levels set in the sorted sides, trimming, the crossed-book check) against
  the baseline: the same strings parsed into a ``dict`` of ``Decimal`` prices (best of the
  rounds: the machine's noise only ever adds);
* **read 20**: ``book.bids(20)`` (an immutable tuple of levels) against the baseline's
  ``sorted(dict.items())[:20]``;
* **events/s per core**: one event applied and 20 levels read, per second.

Then, over real sockets against the local exchange: the time to sync ``BENCH_BOOK_SYMBOLS``
(default 100) books with one ``local_order_books`` call (snapshots of 1000 levels) against that
many ``depth`` calls in series, each answered after 50 ms (a network round trip) — the
scheduler keeps several in flight.

Target: applying a 20-level event in ≤ 50 µs. ``python benchmarks/order_book.py``
(``BENCH_BOOK_EVENTS``, default 20000; ``BENCH_ROUNDS``, default 3).
"""

from __future__ import annotations

import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # standalone run from a checkout
    sys.path.insert(0, str(ROOT))

from binance_usdm_ws import LocalOrderBook  # noqa: E402

EVENTS = int(os.environ.get("BENCH_BOOK_EVENTS", "20000"))
SYMBOLS = int(os.environ.get("BENCH_BOOK_SYMBOLS", "100"))
RTT = 0.05  # seconds the local exchange takes to answer a depth call (a network round trip)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
DEPTH = 1000
TICK = Decimal("0.10")
MID = Decimal("60000.00")


def make_events(n: int, rng: random.Random) -> tuple[list[list[str]], list[list[str]], list[Any]]:
    """The snapshot's two sides and ``n`` chained events of 20 levels (10 a side)."""
    bids = [[str(MID - TICK * (i + 1)), "1.000"] for i in range(DEPTH)]
    asks = [[str(MID + TICK * (i + 1)), "1.000"] for i in range(DEPTH)]
    events = []
    u = 1000
    for _ in range(n):
        side_levels: list[list[list[str]]] = []
        for sign in (-1, 1):
            changes = []
            for _ in range(10):
                # Mostly near the top; about a third removals, the rest new absolute quantities.
                price = MID + sign * TICK * (1 + int(rng.expovariate(1 / 40)) % (DEPTH + 50))
                qty = "0" if rng.random() < 0.33 else f"{rng.randint(1, 9999) / 1000:.3f}"
                changes.append([str(price), qty])
            side_levels.append(changes)
        events.append({
            "e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": u + 1, "u": u + 7,
            "pu": u, "b": side_levels[0], "a": side_levels[1],
        })  # fmt: skip
        u += 7
    return bids, asks, events


def sdk_book(bids: list[list[str]], asks: list[list[str]]) -> LocalOrderBook:
    """A synced book loaded with the snapshot, as the feed thread leaves it."""
    book = LocalOrderBook(None, "BTCUSDT", DEPTH, DEPTH, 0)  # type: ignore[arg-type]
    parse = [(Decimal(p), Decimal(q)) for p, q in bids], [(Decimal(p), Decimal(q)) for p, q in asks]
    book._bids.load(parse[0], True, DEPTH)
    book._asks.load(parse[1], True, DEPTH)
    book._last_id, book._synced = 1000, True
    return book


def run_sdk(bids: Any, asks: Any, events: list[Any]) -> tuple[float, float]:
    book = sdk_book(bids, asks)
    step = book._continue
    start = time.perf_counter()
    for event in events:
        step(event)
    apply = (time.perf_counter() - start) / len(events)
    assert book.synced and book.resyncs == 0, "the benchmark's events must chain"
    read = book.bids
    start = time.perf_counter()
    for _ in range(len(events)):
        read(20)
    return apply, (time.perf_counter() - start) / len(events)


def run_baseline(bids: Any, asks: Any, events: list[Any]) -> tuple[float, float]:
    """A plain ``dict`` per side, sorted on every read (what most peers do, with Decimals)."""
    b = {Decimal(p): Decimal(q) for p, q in bids}
    a = {Decimal(p): Decimal(q) for p, q in asks}
    last = 1000
    start = time.perf_counter()
    for event in events:
        if event["pu"] != last:
            raise AssertionError("gap")
        for side, levels in ((b, event["b"]), (a, event["a"])):
            for p, q in levels:
                price, qty = Decimal(p), Decimal(q)
                if qty:
                    side[price] = qty
                else:
                    side.pop(price, None)
        last = event["u"]
    apply = (time.perf_counter() - start) / len(events)
    start = time.perf_counter()
    for _ in range(len(events)):
        tuple(sorted(b.items(), reverse=True)[:20])
    return apply, (time.perf_counter() - start) / len(events)


def sync_many() -> None:
    """Sync ``SYMBOLS`` books at once vs ``depth`` round trips one after another."""
    import threading

    from binance_usdm_ws import (
        BinanceDerivativesTradingUsdsFuturesClient,
        ConfigurationWebsocketApi,
        ConfigurationWebsocketStreams,
    )
    from binance_usdm_ws.testing import LocalExchange

    symbols = [f"B{i:03d}USDT" for i in range(SYMBOLS)]
    rng = random.Random(3)

    def touch(ex: LocalExchange, symbol: str) -> None:
        levels = [(Decimal(100) - Decimal(i) / 10, rng.randint(1, 9)) for i in range(1, 21)]
        asks = [(Decimal(100) + Decimal(i) / 10, rng.randint(1, 9)) for i in range(1, 21)]
        ex.set_book(symbol, levels, asks)

    with LocalExchange(quiet=True, weight_limit_per_minute=10**6) as ex:
        for symbol in symbols:
            touch(ex, symbol)
        ex.faults.delay("depth", RTT)  # each snapshot takes a network round trip
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=ConfigurationWebsocketApi(base_path=ex.ws_api_url),
            websocket_streams=ConfigurationWebsocketStreams(base_path=ex.streams_url),
        )
        with client:
            # The same streams subscribed meanwhile: the exchange does the same work per call.
            names = [f"{s.lower()}@depth@100ms" for s in symbols]
            with client.websocket_streams.subscribe(names):
                market = client.websocket_api.market_data_api
                start = time.perf_counter()
                for symbol in symbols:
                    market.order_book().symbol(symbol).limit(1000).execute()
                serial = time.perf_counter() - start
            stop = threading.Event()

            def churn() -> None:  # the books change while they sync
                while not stop.is_set():
                    for symbol in symbols:
                        touch(ex, symbol)
                    stop.wait(0.02)

            worker = threading.Thread(target=churn)
            worker.start()
            try:
                start = time.perf_counter()
                books = client.local_order_books(symbols)
                books.wait_synced(timeout=120)
                synced = time.perf_counter() - start
            finally:
                stop.set()
                worker.join()
    print(f"  sync {SYMBOLS} books, {RTT * 1000:.0f} ms a snapshot: {synced:.2f} s "
          f"(the same {SYMBOLS} depth calls in series: {serial:.2f} s)")  # fmt: skip


def main() -> None:
    bids, asks, events = make_events(EVENTS, random.Random(7))
    sdk: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    for _ in range(ROUNDS):  # interleaved, so machine noise hits both alike
        sdk.append(run_sdk(bids, asks, events))
        base.append(run_baseline(bids, asks, events))
    s_apply = min(x[0] for x in sdk)
    s_read = min(x[1] for x in sdk)
    b_apply = min(x[0] for x in base)
    b_read = min(x[1] for x in base)
    print(f"\nlocal order book: {DEPTH} levels a side, 20-level diffs, best of {ROUNDS} x {EVENTS}")
    print(f"  {'':28}{'LocalOrderBook':>16}{'dict + sort':>14}")
    print(f"  {'apply one event (us)':28}{s_apply * 1e6:16.1f}{b_apply * 1e6:14.1f}   target <= 50")
    print(f"  {'read 20 levels (us)':28}{s_read * 1e6:16.1f}{b_read * 1e6:14.1f}")
    s_rate, b_rate = 1 / (s_apply + s_read), 1 / (b_apply + b_read)
    print(f"  {'events/s per core (+read)':28}{s_rate:16,.0f}{b_rate:14,.0f}")
    print(f"  {'events/s per core (apply)':28}{1 / s_apply:16,.0f}{1 / b_apply:14,.0f}")
    if SYMBOLS:
        sync_many()


if __name__ == "__main__":
    main()
