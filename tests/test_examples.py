"""Smoke test: every example under ``examples/websocket_api`` runs against a local exchange."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from binance_usdm_ws.websocket_api._requests import Request

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "websocket_api"
#: A number in exponent notation, as ``str(Decimal("0E-8"))`` prints it; not the shown part of
#: a masked secret (``"8E54…"``: a random key can begin like a number).
EXPONENT = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?E[-+]?\d+(?![\w.…])")
# The listenKey examples act on the key that start_user_data_stream makes: run them in order.
USER_DATA_STREAMS = [
    "start_user_data_stream",
    "keepalive_user_data_stream",
    "close_user_data_stream",
]
ALONE = sorted(
    str(p.relative_to(EXAMPLES)) for p in EXAMPLES.glob("*/*.py") if p.stem not in USER_DATA_STREAMS
)


def run(exchange, example: str) -> str:
    env = dict(
        os.environ,
        BINANCE_WS_API_URL=exchange.ws_api_url,
        BINANCE_API_KEY=exchange.api_key,
        BINANCE_API_SECRET=exchange.api_secret,
    )
    env.pop("BINANCE_PRIVATE_KEY", None)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / example)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '"status": 200' in done.stdout, done.stdout
    assert not EXPONENT.search(done.stdout), done.stdout
    # No secret whole in the output: the API key and secret, any listenKey handed out.
    secrets = [exchange.api_key, exchange.api_secret, *exchange.issued_listen_keys]
    assert [s[:4] for s in secrets if s in done.stdout + done.stderr] == []
    return done.stdout


def test_exponent_pattern():
    """EXPONENT finds the exponent form and not plain decimals or ids that contain an E."""
    assert EXPONENT.search('"total_initial_margin": "0E-8",')
    assert EXPONENT.search("price 1.5E+3")
    assert not EXPONENT.search('"total_initial_margin": "0.00000000", "id": "8c3aeea6437e4795-1"')
    assert not EXPONENT.search('"client_order_id": "hGAujrOZjc01E75s6FuaYy"')
    assert not EXPONENT.search('"api_key": "8E54…",')  # a masked key, seen in a run
    assert EXPONENT.search('"balance": "8E54",')


def test_demo_runs_and_prints_plain_decimals():
    """`make demo` (examples/demo.py) exits 0 and prints no decimal in exponent form."""
    demo = EXAMPLES.parent / "demo.py"
    done = subprocess.run([sys.executable, str(demo)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "balance -> USDT " in done.stdout and "closed cleanly" in done.stdout
    assert not EXPONENT.search(done.stdout), done.stdout


def test_there_is_an_example_per_method():
    """Each builder method of each service has its example file."""
    from binance_usdm_ws import AccountApi, AuthApi, MarketDataApi, TradeApi, UserDataStreamsApi

    services = {
        "trade": TradeApi,
        "account": AccountApi,
        "market_data": MarketDataApi,
        "auth": AuthApi,
        "user_data_streams": UserDataStreamsApi,
    }
    expected = {
        f"{folder}/{name}.py"
        for folder, service in services.items()
        for name in dir(service)
        if not name.startswith("_")
    }
    found = {str(p.relative_to(EXAMPLES)) for p in EXAMPLES.glob("*/*.py")}
    assert found == expected
    assert len(expected) == len(Request.registry)


@pytest.mark.parametrize("example", ALONE)
def test_example_runs(exchange, example):
    """The example exits 0 and prints a successful typed response."""
    run(exchange, example)


def test_user_data_stream_examples_run_in_order(exchange):
    """start, keepalive and close work one after the other on the same account."""
    outputs = [run(exchange, f"user_data_streams/{name}.py") for name in USER_DATA_STREAMS]
    assert "listen_key" in outputs[0] and "listen_key" in outputs[1]
