"""A local order book: best bid, best ask and spread, live, from a book that is never wrong.

``client.local_order_book(symbol)`` subscribes ``<symbol>@depth@100ms`` on ``/public`` and syncs
it with a WS API ``depth`` snapshot by Binance's USDⓈ-M rules; a gap, a reconnect or a crossed
book resyncs it, and reads refuse to show a book that is not synced.

    python examples/websocket_streams/local_order_book.py [--symbol BTCUSDT] [--seconds 10]
    python examples/websocket_streams/local_order_book.py --local    # a local exchange + flow

Reads ``BINANCE_WS_API_URL`` and ``BINANCE_STREAMS_URL`` (default: the futures testnet). No API
key is needed: ``depth`` is a public method.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from binance_usdm_ws import (  # noqa: E402
    DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL,
    DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL,
    BinanceDerivativesTradingUsdsFuturesClient,
    BookNotSynced,
    BookResync,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    StreamGap,
)


@contextlib.contextmanager
def local_market(symbol: str) -> Iterator[Any]:
    """A local exchange whose book of ``symbol`` keeps changing (random maker levels)."""
    from binance_usdm_ws.testing import LocalExchange

    with LocalExchange() as ex:
        stop = threading.Event()
        rng = random.Random(1)

        def flow() -> None:
            mid = Decimal("60000.00")
            while not stop.is_set():
                mid += Decimal("0.10") * rng.randint(-3, 3)
                bids = [
                    (mid - Decimal("0.10") * rng.randint(1, 30), rng.randint(1, 9))
                    for _ in range(10)
                ]
                asks = [
                    (mid + Decimal("0.10") * rng.randint(1, 30), rng.randint(1, 9))
                    for _ in range(10)
                ]
                ex.set_book(symbol, bids, asks)
                stop.wait(0.05)

        thread = threading.Thread(target=flow, daemon=True)
        thread.start()
        try:
            yield ex
        finally:
            stop.set()
            thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to print")
    parser.add_argument("--local", action="store_true", help="run against a local exchange")
    args = parser.parse_args()
    with local_market(args.symbol) if args.local else contextlib.nullcontext() as ex:
        api_url = (
            ex.ws_api_url
            if ex
            else os.environ.get(
                "BINANCE_WS_API_URL", DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL
            )
        )
        streams_url = (
            ex.streams_url
            if ex
            else os.environ.get(
                "BINANCE_STREAMS_URL", DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL
            )
        )
        return run(args, api_url, streams_url)


def run(args: argparse.Namespace, api_url: str, streams_url: str) -> int:
    client = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(base_path=api_url),
        websocket_streams=ConfigurationWebsocketStreams(base_path=streams_url),
    )
    with client:
        book = client.local_order_book(args.symbol)  # returns once the stream is acknowledged
        book.wait_synced(timeout=30)
        print(f"{args.symbol} synced at update id {book.last_update_id}")
        end = time.monotonic() + args.seconds
        shown: Optional[tuple[Any, Any]] = None
        for change in book:  # BookUpdate, BookResync and StreamGap, in order
            if isinstance(change, (BookResync, StreamGap)):
                print(f"resync: {change.reason} {change.detail}")
            bid, ask = book.best_bid(strict=False), book.best_ask(strict=False)
            if bid and ask and (bid, ask) != shown:
                shown = (bid, ask)
                spread = ask.price - bid.price
                print(f"bid {bid.price} x {bid.quantity}   ask {ask.price} x {ask.quantity}   "
                      f"spread {spread}")  # fmt: skip
            if time.monotonic() >= end:
                break
        try:
            print(f"top 5 bids: {[str(level.price) for level in book.bids(5) or ()]}")
        except BookNotSynced as exc:
            print(f"not synced at the end: {exc.reason}")
        print(f"resyncs: {book.resyncs}, snapshots: {book.snapshots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
