"""`make soak`: minutes of mixed calls and a live user data stream against a hostile exchange.

Several threads place, query and cancel orders, read tickers and keep the listenKey alive,
while a chaos thread makes the local exchange drop connections, delay replies, announce
shutdowns and cut the user data stream at random, and the client rotates its connections
every few seconds. At the end it prints calls made, failures by reason, reconnects,
rotations, stream gaps and the worst latency, and exits non-zero on any hang (a call that
outlived its timeout by more than a margin) or any reply given to the wrong caller.

    python benchmarks/soak.py --minutes 10 [--threads 6] [--seed 1] [--pool N]

With ``--pool N`` the WS API runs in pool mode over N connections, and each WS API drop
aborts only the connection that carried the latest request.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import sys
import threading
import time
from decimal import Decimal
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from binance_usdm_ws import (  # noqa: E402
    BinanceDerivativesTradingUsdsFuturesClient,
    BinanceWsError,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
)
from binance_usdm_ws.testing import LocalExchange  # noqa: E402

TIMEOUT = 3.0
HANG_MARGIN = 2.0


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.failed: collections.Counter[str] = collections.Counter()
        self.mismatches: list[str] = []
        self.hangs: list[str] = []
        self.max_latency = 0.0
        self.events = 0
        self.gaps = 0
        self.last_progress: dict[str, float] = {}

    def record(self, who: str, latency: float, error: BaseException | None) -> None:
        with self.lock:
            self.calls += 1
            self.max_latency = max(self.max_latency, latency)
            self.last_progress[who] = time.monotonic()
            if error is not None:
                self.failed[type(error).__name__] += 1
            if latency > TIMEOUT + HANG_MARGIN:
                self.hangs.append(f"{who}: a call took {latency:.1f} s")


def timed(stats: Stats, who: str, request: Any) -> Any:
    """Execute a built request, recording its latency and the failure reason, if any."""
    start = time.monotonic()
    try:
        result = request.execute(timeout=TIMEOUT)
    except BinanceWsError as exc:
        stats.record(who, time.monotonic() - start, exc)
        return None
    stats.record(who, time.monotonic() - start, None)
    return result


def trader(client: Any, stats: Stats, stop: threading.Event, n: int, rng: random.Random) -> None:
    """Place a resting order, query it, cancel it; check every reply is our own."""
    who = f"trader-{n}"
    trade = client.websocket_api.trade_api
    i = 0
    while not stop.is_set():
        i += 1
        coid = f"soak{n}x{i}"
        price = Decimal(rng.randrange(20000, 30000))  # far below the book: it rests
        placed = timed(
            stats,
            who,
            (
                trade.new_order()
                .symbol("BTCUSDT")
                .side("BUY")
                .type("LIMIT")
                .time_in_force("GTC")
                .quantity(Decimal("0.001"))
                .price(price)
                .new_client_order_id(coid)
            ),
        )
        if placed is None:
            continue
        order = placed.typed.result
        if order is None or order.client_order_id != coid:
            stats.mismatches.append(f"{who}: placed {coid}, got {order}")
            continue
        got = timed(
            stats,
            who,
            (trade.query_order().symbol("BTCUSDT").orig_client_order_id(coid)),
        )
        if got is not None and got.typed.result.order_id != order.order_id:
            stats.mismatches.append(f"{who}: queried {order.order_id}, got {got.typed.result}")
        timed(
            stats,
            who,
            (trade.cancel_order().symbol("BTCUSDT").order_id(order.order_id)),
        )


def reader(client: Any, stats: Stats, stop: threading.Event, n: int) -> None:
    """Tickers and the listenKey keepalive, with ids checked."""
    who = f"reader-{n}"
    api = client.websocket_api
    i = 0
    while not stop.is_set():
        i += 1
        rid = f"r{n}-{i}"
        resp = timed(
            stats,
            who,
            api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").id(rid),
        )
        if resp is not None and resp.id != rid:
            stats.mismatches.append(f"{who}: sent {rid}, got {resp.id}")
        if i % 10 == 0:
            timed(
                stats,
                who,
                api.user_data_streams_api.keepalive_user_data_stream(),
            )


def chaos(
    ex: LocalExchange,
    stop: threading.Event,
    rng: random.Random,
    counts: collections.Counter[str],
    pool: bool,
) -> None:
    while not stop.wait(rng.uniform(1.0, 4.0)):
        action = rng.choice(["drop_api", "drop_stream", "delay", "shutdown", "garbage"])
        counts[action] += 1
        if action == "drop_api" and pool:  # one connection of the pool
            latest = ex.requests[-1:]
            ex.faults.drop_connections(kind="api", conn_id=latest[0].conn_id if latest else 0)
        elif action == "drop_api":
            ex.faults.drop_connections(kind="api")
        elif action == "drop_stream":
            ex.faults.drop_connections(kind="stream")
        elif action == "delay":
            ex.faults.delay("ticker.price", rng.uniform(0.1, 1.0))
            stop.wait(1.0)
            ex.faults.reset()
        elif action == "shutdown":
            ex.push_api({"e": "serverShutdown", "E": int(time.time() * 1000)})
        else:
            ex.faults.send_raw('{"id": "nobody", "status": 200, "result": {}}')
            ex.faults.send_raw("garbage{")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pool", type=int, default=0, help="pool mode with N connections")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    stats = Stats()
    stop = threading.Event()
    chaos_counts: collections.Counter[str] = collections.Counter()
    with LocalExchange(quiet=True, ping_interval=5.0) as ex:
        api_cfg = ConfigurationWebsocketApi(
            base_path=ex.ws_api_url,
            api_key=ex.api_key,
            api_secret=ex.api_secret,
            timeout=TIMEOUT,
            session_logon=True,
            heartbeat_interval=2.0,
            heartbeat_timeout=3.0,
            reconnect_delay=0.05,
            rotation_interval=15.0,
            mode="pool" if args.pool else "single",
            pool_size=max(args.pool, 1),
        )
        streams_cfg = ConfigurationWebsocketStreams(
            base_path=ex.streams_url,
            keepalive_interval=20.0,
            silence_timeout=12.0,
            reconnect_delay=0.05,
            rotation_interval=30.0,
        )
        with (
            BinanceDerivativesTradingUsdsFuturesClient(
                websocket_api=api_cfg, websocket_streams=streams_cfg
            ) as client,
            client.user_data_stream() as stream,
        ):

            def on_event(event: Any) -> None:
                with stats.lock:
                    if type(event).__name__ == "StreamGap":
                        stats.gaps += 1
                    else:
                        stats.events += 1

            stream.on_any(on_event)
            workers = []
            for n in range(args.threads):
                if n % 2 == 0:
                    target, extra = trader, (random.Random(rng.random()),)
                else:
                    target, extra = reader, ()
                t = threading.Thread(target=target, args=(client, stats, stop, n, *extra))
                workers.append(t)
            chaos_thread = threading.Thread(
                target=chaos, args=(ex, stop, rng, chaos_counts, bool(args.pool))
            )
            for t in [*workers, chaos_thread]:
                t.start()
            end = time.monotonic() + args.minutes * 60
            while time.monotonic() < end:
                time.sleep(1.0)
                now = time.monotonic()
                with stats.lock:
                    for who, last in stats.last_progress.items():
                        if now - last > TIMEOUT + HANG_MARGIN + 5:
                            stats.hangs.append(f"{who}: no progress for {now - last:.0f} s")
                            stats.last_progress[who] = now
            stop.set()
            for t in [*workers, chaos_thread]:
                t.join(30)
                if t.is_alive():
                    stats.hangs.append(f"{t.name} did not stop")
            reconnects = client.websocket_api.reconnects
            rotations = client.websocket_api.rotations
    mode = f", pool of {args.pool}" if args.pool else ""
    print(f"soak: {args.minutes:g} min, {args.threads} threads, seed {args.seed}{mode}")
    print(f"  calls made        {stats.calls}")
    print(f"  calls failed      {sum(stats.failed.values())} {dict(stats.failed)}")
    print(f"  faults injected   {dict(chaos_counts)}")
    print(f"  WS API reconnects {reconnects}, rotations {rotations}")
    print(f"  stream events     {stats.events}, gaps {stats.gaps}")
    print(
        f"  max latency       {stats.max_latency * 1000:.0f} ms (timeout {TIMEOUT * 1000:.0f} ms)"
    )
    print(f"  hangs             {len(stats.hangs)} {stats.hangs[:5]}")
    print(f"  mismatches        {len(stats.mismatches)} {stats.mismatches[:5]}")
    leftover = [t.name for t in threading.enumerate() if t.name.startswith("binance-usdm-ws")]
    if leftover:
        print(f"  threads left      {leftover}")
    return 1 if stats.hangs or stats.mismatches or leftover else 0


if __name__ == "__main__":
    sys.exit(main())
