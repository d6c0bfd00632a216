"""Run the local exchange until interrupted: ``python -m binance_usdm_ws.testing [--port N]``."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Optional

from ._exchange import LocalExchange


def main(argv: Optional[list[str]] = None) -> int:
    """Start the exchange, print its URLs and default key, and wait for Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m binance_usdm_ws.testing",
        description="Local Binance USDⓈ-M futures WS API exchange for examples and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument("--api-key", default=None, help="default API key (default: random)")
    parser.add_argument("--api-secret", default=None, help="its HMAC secret (default: random)")
    parser.add_argument("--ping-interval", type=float, default=180.0, help="seconds (180)")
    parser.add_argument("--replenish-book", action="store_true", help="endless maker liquidity")
    parser.add_argument(
        "--quiet", action="store_true", help="a still market: no order flow of the exchange's own"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the live order flow")
    parser.add_argument(
        "--user-data-url-forms",
        default="query,subscribe",
        help="comma-separated user data URL forms that deliver, among query, subscribe, path, "
        "unrouted (default: query,subscribe, as production)",
    )
    args = parser.parse_args(argv)
    forms = [f.strip() for f in args.user_data_url_forms.split(",") if f.strip()]
    try:
        exchange = LocalExchange(
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            api_secret=args.api_secret,
            ping_interval=args.ping_interval,
            replenish_book=args.replenish_book,
            quiet=args.quiet,
            seed=args.seed,
            user_data_url_forms=forms,
        )
    except ValueError as exc:
        parser.error(str(exc))
    with exchange as ex:
        print(f"WS API URL:  {ex.ws_api_url}")
        print(f"Streams URL: {ex.streams_url}")
        print(f"API key:     {ex.api_key}")
        print(f"API secret:  {ex.api_secret}")
        print("Market:      " + ("quiet (still)" if args.quiet else "live (its own order flow)"))
        print("Press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
