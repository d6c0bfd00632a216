"""Outcome soak: orders whose outcome is lost at random; placed orders must equal believed ones.

Places LIMIT orders one after another against the local exchange with ``resolve_outcome`` on,
while the exchange, for a random share of them, loses the outcome in one of the real ways
(reply swallowed, connection aborted, 5xx / -1006 / -1007 reply; the order executed or not)
and sometimes lets the resolving ``order.status`` query time out too. The user's belief is what
the SDK said: a reply (resolved or not) means placed, ``OrderNotPlaced`` means not placed,
``OutcomeUnknown`` is resolved again after the faults clear. At the end the client order ids the
exchange holds must be exactly the ones believed placed.

    python benchmarks/outcome_soak.py --orders 2000 --minutes 10 [--seed 1]

A short run of it is a test (``tests/test_outcome_soak.py``).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from binance_usdm_ws import (  # noqa: E402
    BinanceDerivativesTradingUsdsFuturesClient,
    BinanceWsError,
    ConfigurationWebsocketApi,
    OrderNotPlaced,
    OutcomeUnknown,
)
from binance_usdm_ws.testing import LocalExchange  # noqa: E402

#: (executed, then, status, code) of each injectable fault.
FAULTS = [
    (executed, then, status, code)
    for executed in (True, False)
    for then, status, code in (
        ("no_reply", 503, -1007),
        ("drop", 503, -1007),
        ("error", 503, -1007),
        ("error", 500, -1006),
        ("error", 502, -1000),
    )
]


@dataclass
class Result:
    orders: int = 0
    faults: int = 0
    resolved: int = 0
    not_placed: int = 0
    unknown_then_resolved: int = 0
    believed: list[str] = field(default_factory=list)
    on_exchange: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unexpected and sorted(self.believed) == sorted(self.on_exchange)


def soak(orders: int, seconds: float, seed: int = 1, fault_share: float = 0.5) -> Result:
    """Run up to ``orders`` orders or ``seconds`` seconds, whichever ends first."""
    rnd = random.Random(seed)
    result = Result()
    with LocalExchange(quiet=True, ping_interval=None) as ex:
        config = ConfigurationWebsocketApi(
            base_path=ex.ws_api_url,
            api_key=ex.api_key,
            api_secret=ex.api_secret,
            timeout=0.3,
            recv_window=100,
            reconnect_delay=0.02,
            resolve_outcome=True,
            resolve_timeout=3.0,
            resolve_attempts=3,
        )
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=config) as client:
            trade = client.websocket_api.trade_api
            end = time.monotonic() + seconds
            while result.orders < orders and time.monotonic() < end:
                result.orders += 1
                query_times_out = False
                if rnd.random() < fault_share:
                    result.faults += 1
                    executed, then, status, code = rnd.choice(FAULTS)
                    ex.faults.unknown_outcome(
                        "order.place", executed=executed, then=then, status=status, code=code
                    )
                    query_times_out = rnd.random() < 0.1
                    if query_times_out:
                        ex.faults.never_reply("order.status")
                price = f"{rnd.randint(50000, 59000)}.00"
                request = (
                    trade.new_order()
                    .symbol("BTCUSDT")
                    .side("BUY")
                    .type("LIMIT")
                    .time_in_force("GTC")
                    .quantity("0.001")
                    .price(price)
                )
                try:
                    try:
                        resp = request.execute()
                    except OutcomeUnknown as unknown:
                        ex.faults.reset()
                        result.unknown_then_resolved += 1
                        resp = unknown.resolve()
                    result.resolved += resp.resolved
                    result.believed.append(resp.result.client_order_id)
                except OrderNotPlaced:
                    result.not_placed += 1
                except BinanceWsError as exc:
                    result.unexpected.append(f"order {result.orders}: {exc!r}")
                if query_times_out:
                    ex.faults.reset()
            result.on_exchange = ex.client_order_ids()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    r = soak(args.orders, args.minutes * 60, args.seed)
    took = time.monotonic() - started
    print(
        f"{r.orders} orders in {took:.0f} s, {r.faults} with a lost outcome: "
        f"{r.resolved} resolved as placed, {r.not_placed} OrderNotPlaced, "
        f"{r.unknown_then_resolved} OutcomeUnknown resolved later; "
        f"believed placed {len(r.believed)}, on the exchange {len(r.on_exchange)}"
    )
    for line in r.unexpected:
        print("unexpected:", line)
    print("OK" if r.ok else "MISMATCH")
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main())
