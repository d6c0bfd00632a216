"""``binance-usdm-ws check``: the command line around :func:`run_check`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal, InvalidOperation
from typing import Optional, TextIO
from urllib.parse import urlsplit

from .._config import (
    DERIVATIVES_TRADING_USDS_FUTURES_WS_API_PROD_URL,
    DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL,
    DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_PROD_URL,
    DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
)
from .._core._redact import mask_text
from ..errors import BinanceWsError
from ._private import probe_private
from ._public import probe_api, probe_streams
from ._report import CheckReport

__all__ = ["cli", "main", "run_check"]

_EPILOG = """\
Keys (only for the user data part; never printed, never in the report):
  BINANCE_API_KEY        the API key
  BINANCE_API_SECRET     its HMAC secret, or
  BINANCE_PRIVATE_KEY    path of an Ed25519 or RSA private key (PEM; the `crypto` extra)
Proxies: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY as the SDK honours them, or --proxy.

Exit status: 0 when every row is ok or not verified, 1 when a row failed or stayed silent,
2 for a usage error.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="binance-usdm-ws check",
        description=(
            "Measure what your Binance USD-M environment serves you, stream by stream: the WS "
            "API, every market stream family, and (with keys) the user data stream in each URL "
            "form."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--testnet", action="store_true", help="the futures testnet")
    where.add_argument("--production", action="store_true", help="production (the default)")
    p.add_argument("--api-url", help="WS API URL (overrides the environment's)")
    p.add_argument("--streams-url", help="streams root URL (overrides the environment's)")
    p.add_argument("--symbol", default="BTCUSDT", help="symbol to check (default BTCUSDT)")
    p.add_argument("--index", default="DEFIUSDT", help="composite index symbol (default DEFIUSDT)")
    p.add_argument(
        "--seconds", type=float, default=10.0, help="seconds to watch each stream (default 10)"
    )
    p.add_argument("--proxy", help="proxy URL for every connection (http:// or socks5://)")
    p.add_argument("--ca-bundle", help="PEM file of CA certificates to trust")
    p.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE")
    p.add_argument(
        "--allow-test-order",
        action="store_true",
        help="on production: place one post-only order far from the market and cancel it, "
        "to see which user data URL forms deliver (always done on --testnet)",
    )
    p.add_argument("--quantity", help="quantity of the test order (default: ~105 USDT)")
    p.add_argument(
        "--user-data-url",
        choices=("query", "path", "subscribe"),
        default="query",
        help="the user data URL form your SDK uses (its user_data_url, default query): its row "
        "decides the verdict, the other forms are informational",
    )
    p.add_argument("--no-streams", action="store_true", help="skip the market streams")
    p.add_argument("--no-private", action="store_true", help="skip the user data part")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return p


def run_check(
    *,
    api_url: str,
    streams_url: str,
    symbol: str = "BTCUSDT",
    index: str = "DEFIUSDT",
    seconds: float = 10.0,
    api_key: Optional[str] = None,
    api_secret: Optional[str] = None,
    private_key: Optional[str] = None,
    allow_order: bool = False,
    quantity: Optional[Decimal] = None,
    proxy: Optional[str] = None,
    ca_bundle: Optional[str] = None,
    streams: bool = True,
    user_data_url: str = "query",
    progress: Optional[TextIO] = None,
) -> CheckReport:
    """Run the check and return its report (the command line prints it).

    Args:
        api_url: the WS API URL; streams_url: the streams root.
        symbol: the symbol whose streams are watched; index: a composite index symbol.
        seconds: how long each stream is watched (they are watched at the same time).
        api_key, api_secret, private_key: keys for the user data part (skipped without).
        allow_order: place and cancel one far-off post-only order to see user data events.
        quantity: that order's quantity (default: about 105 USDT of notional).
        proxy, ca_bundle: as in ``ConfigurationWebsocketApi``.
        streams: watch the market streams.
        user_data_url: the URL form the user's SDK uses; the other forms are informational.
        progress: where progress lines go (None: nowhere).
    """
    started = time.monotonic()

    def say(line: str) -> None:
        if progress is not None:
            print(f"  … {mask_text(line)}", file=progress, flush=True)

    public_api = ConfigurationWebsocketApi(base_path=api_url, proxy=proxy, ca_bundle=ca_bundle)
    streams_cfg = ConfigurationWebsocketStreams(
        base_path=streams_url, proxy=proxy, ca_bundle=ca_bundle
    )
    report = CheckReport(
        target={"api_url": api_url, "streams_url": streams_url, "symbol": symbol.upper()}
    )
    report.rows += probe_api(public_api, symbol.upper(), say)
    if streams:
        report.rows += probe_streams(streams_cfg, symbol.upper(), seconds, say, index.upper())
    if api_key and (api_secret or private_key):
        private_cfg = ConfigurationWebsocketApi(
            base_path=api_url,
            api_key=api_key,
            api_secret=None if private_key else api_secret,
            private_key=private_key,
            proxy=proxy,
            ca_bundle=ca_bundle,
        )
        report.rows += probe_private(
            private_cfg,
            streams_cfg,
            symbol.upper(),
            seconds,
            allow_order,
            say,
            quantity,
            user_data_url,
        )
    else:
        say("user data: skipped (no BINANCE_API_KEY with BINANCE_API_SECRET/_PRIVATE_KEY)")
    report.seconds = time.monotonic() - started
    return report


def _is_testnet(url: str) -> bool:
    return "testnet" in (urlsplit(url).hostname or "")


_USAGE = """usage: binance-usdm-ws check [--testnet | --api-url URL --streams-url URL] [...]

Commands:
  check    measure what your Binance USD-M environment serves, stream by stream
           (binance-usdm-ws check --help)
"""


def cli(argv: Optional[list[str]] = None) -> int:
    """The ``binance-usdm-ws`` console script and ``python -m binance_usdm_ws``: subcommands."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["check"]:
        return main(args[1:])
    stream = sys.stdout if args[:1] in (["-h"], ["--help"]) else sys.stderr
    print(_USAGE, file=stream, end="")
    return 0 if stream is sys.stdout else 2


def main(argv: Optional[list[str]] = None) -> int:
    """``binance-usdm-ws check``: parse the options, run, print the table; the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    opts = _parser().parse_args(args)
    api_url = opts.api_url or (
        DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL
        if opts.testnet
        else DERIVATIVES_TRADING_USDS_FUTURES_WS_API_PROD_URL
    )
    streams_url = opts.streams_url or (
        DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL
        if opts.testnet
        else DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_PROD_URL
    )
    quantity: Optional[Decimal] = None
    if opts.quantity is not None:
        try:
            quantity = Decimal(opts.quantity)
        except InvalidOperation:
            print(f"--quantity: not a number: {opts.quantity!r}", file=sys.stderr)
            return 2
    if opts.seconds <= 0:
        print("--seconds: must be > 0", file=sys.stderr)
        return 2
    env = os.environ
    keys = (
        {}
        if opts.no_private
        else {
            "api_key": env.get("BINANCE_API_KEY") or None,
            "api_secret": env.get("BINANCE_API_SECRET") or None,
            "private_key": env.get("BINANCE_PRIVATE_KEY") or None,
        }
    )
    progress = None if opts.quiet else sys.stderr
    if progress is not None:
        print(f"binance-usdm-ws check: {api_url} and {streams_url}", file=progress)
    try:
        report = run_check(
            api_url=api_url,
            streams_url=streams_url,
            symbol=opts.symbol,
            index=opts.index,
            seconds=opts.seconds,
            allow_order=opts.allow_test_order or _is_testnet(api_url),
            quantity=quantity,
            proxy=opts.proxy,
            ca_bundle=opts.ca_bundle,
            streams=not opts.no_streams,
            user_data_url=opts.user_data_url,
            progress=progress,
            **keys,
        )
    except BinanceWsError as exc:  # bad options the SDK refused before connecting
        print(f"error: {mask_text(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted (any test order was cancelled)", file=sys.stderr)
        return 130
    print(report.table())
    print()
    print(report.summary())
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as fh:
            fh.write(report.dumps() + "\n")
    return 0 if report.passed else 1
