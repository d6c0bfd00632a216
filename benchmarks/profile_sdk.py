"""Profile the SDK's hot paths against the lean server: ``python benchmarks/profile_sdk.py``.

Runs ``ticker.price`` and signed ``order.place`` sequentially under cProfile (in the calling
thread; the reader thread is not profiled) and prints the functions by own time.
``PROFILE_CALLS`` sets the number of calls (default 5000).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run import (  # noqa: E402
    LEAN_KEY,
    LEAN_SECRET,
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    sdk_order,
    sdk_ticker,
    start_lean_server,
)

CALLS = int(os.environ.get("PROFILE_CALLS", "5000"))


def main() -> None:
    proc, url = start_lean_server()
    try:
        cfg = ConfigurationWebsocketApi(
            base_path=url, api_key=LEAN_KEY, api_secret=LEAN_SECRET, timeout=30
        )
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg) as client:
            market = client.websocket_api.market_data_api
            trade = client.websocket_api.trade_api
            sdk_ticker(market, 200)
            sdk_order(trade, 200)
            for name, fn, api in (
                ("ticker.price", sdk_ticker, market),
                ("order.place", sdk_order, trade),
            ):
                prof = cProfile.Profile()
                prof.runcall(fn, api, CALLS)
                print(f"==== {name}, {CALLS} calls")
                pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
