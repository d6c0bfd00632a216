"""Follow the account's user data stream: order updates, fills, balances and gaps.

Environment (defaults: Binance USDⓈ-M futures testnet):

    BINANCE_WS_API_URL    WS API URL          (wss://testnet.binancefuture.com/ws-fapi/v1)
    BINANCE_STREAMS_URL   streams root URL    (wss://fstream.binancefuture.com)
    BINANCE_API_KEY       API key             (required)
    BINANCE_API_SECRET    HMAC secret         (required)

Run: ``python examples/user_data_stream.py --seconds 60`` (``--callbacks`` for the callback
form). Against the bundled local exchange: ``python examples/user_data_stream.py --local``,
which also places an order so that events flow.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import attrs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import api_configuration, plain, streams_configuration  # noqa: E402

from binance_usdm_ws import (  # noqa: E402
    AccountUpdate,
    BinanceDerivativesTradingUsdsFuturesClient,
    OrderTradeUpdate,
    StreamGap,
    TradeLite,
)


def show(item: Any) -> None:
    """Print one item of the stream in a line."""
    if isinstance(item, OrderTradeUpdate):
        o = item.order
        print(
            f"order  {o.symbol} {o.side} {o.order_type} {o.status}: filled"
            f" {plain(o.last_filled_quantity)} at {plain(o.last_filled_price)}"
            f" (client id {o.client_order_id})"
        )
    elif isinstance(item, TradeLite):
        qty, price = item.last_filled_quantity, item.last_filled_price
        print(f"trade  {item.symbol} {item.side} {plain(qty)} @ {plain(price)}")
    elif isinstance(item, AccountUpdate):
        balances = ", ".join(f"{b.asset}={plain(b.wallet_balance)}" for b in item.data.balances)
        print(f"account ({item.data.reason}): {balances}")
    elif isinstance(item, StreamGap):
        # Events may be missing: reconcile with account_information() / query_order().
        print(f"GAP    {item.reason}: {item.duration:.1f} s, {item.dropped} dropped — reconcile")
    else:
        print(f"event  {type(item).__name__} {item.event_type}")


@contextlib.contextmanager
def local_exchange() -> Iterator[Any]:
    """A local exchange that runs for the duration of the block."""
    from binance_usdm_ws.testing import LocalExchange

    with LocalExchange() as ex:
        yield ex


def place_demo_order(client: BinanceDerivativesTradingUsdsFuturesClient, ex: Any) -> None:
    """Place a small MARKET order on the local exchange (so that the stream has events)."""
    from binance_usdm_ws import Request

    ex.wait_for(lambda: ex.stream_connection_count >= 1)  # the server has our stream socket
    builder = Request.registry.get("order.place")
    if builder is None:  # this version has no order builders: let the exchange push a fill
        now = int(time.time() * 1000)
        o = {"s": "BTCUSDT", "c": "demo", "S": "BUY", "o": "MARKET", "X": "FILLED", "x": "TRADE"}
        ex.push_event({"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": o | {"l": "0.010"}})
        return
    order: Any = builder(client.websocket_api)
    order.symbol("BTCUSDT").side("BUY").type("MARKET").quantity("0.010").execute()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to listen")
    parser.add_argument("--callbacks", action="store_true", help="use on()/on_any() callbacks")
    parser.add_argument("--local", action="store_true", help="run against a local exchange")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the SDK's decisions")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if not args.local and "BINANCE_API_KEY" not in os.environ:
        print("set BINANCE_API_KEY and BINANCE_API_SECRET (or use --local)", file=sys.stderr)
        return 2
    with local_exchange() if args.local else contextlib.nullcontext() as ex:
        return run(args, ex)


def run(args: argparse.Namespace, ex: Any = None) -> int:
    api, streams = api_configuration(), streams_configuration()
    if ex is not None:
        api = attrs.evolve(
            api,
            base_path=ex.ws_api_url,
            api_key=ex.api_key,
            api_secret=ex.api_secret,
            private_key=None,
        )
        streams = attrs.evolve(streams, base_path=ex.streams_url)
    with BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api, websocket_streams=streams
    ) as client:
        with client.user_data_stream() as stream:
            print(f"listening for {args.seconds:.0f} s on {stream!r}")
            stream.on_error(lambda exc: print(f"error  {exc}", file=sys.stderr))
            if ex is not None:
                place_demo_order(client, ex)  # its events are queued until read below
            deadline = time.monotonic() + args.seconds
            if args.callbacks:
                stream.on_any(show)  # runs in the stream's delivery thread
                while time.monotonic() < deadline:
                    time.sleep(0.2)
            else:
                while (left := deadline - time.monotonic()) > 0:
                    item = stream.get(timeout=left)  # `for item in stream:` blocks without a bound
                    if item is not None:
                        show(item)
    print("closed: listenKey stopped, socket closed, threads joined")
    return 0


if __name__ == "__main__":
    sys.exit(main())
