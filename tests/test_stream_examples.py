"""Every stream builder has its example under ``examples/websocket_streams``, and each runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_usdm_ws import MarketApi, PublicApi
from binance_usdm_ws.testing import LocalExchange

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "websocket_streams"
METHODS = sorted(
    (name, type(getattr(cls(), name)()))
    for cls in (MarketApi, PublicApi)
    for name in dir(cls)
    if not name.startswith("_")
)


def test_there_is_an_example_per_builder():
    beyond = {"local_order_book"}  # not a builder: tests/test_order_book.py runs it
    assert {p.stem for p in EXAMPLES.glob("[!_]*.py")} - beyond == {name for name, _ in METHODS}


@pytest.fixture
def live_exchange() -> Iterator[LocalExchange]:
    """The local exchange as ``python -m binance_usdm_ws.testing`` runs it: a live market."""
    with LocalExchange(ping_interval=1.0, ping_timeout=3.0) as ex:
        yield ex


@pytest.mark.parametrize(("name", "builder"), METHODS, ids=[m[0] for m in METHODS])
def test_example_prints_data_from_the_live_local_exchange(live_exchange, name, builder):
    """Every stream example prints events of its stream (not "no more events") from the local
    exchange's live market, subscribed on its own route."""
    exchange = live_exchange
    env = dict(os.environ, BINANCE_STREAMS_URL=exchange.streams_url, EXAMPLE_SECONDS="10")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "subscribed (acknowledged): " in done.stdout
    printed = done.stdout.split("subscribed (acknowledged): ", 1)[1].splitlines()[1:]
    assert printed and "no more events" not in printed[0], done.stdout
    frames = [(route, text) for _, route, _, text in exchange.market_control_frames()]
    subscribes = [route for route, text in frames if '"SUBSCRIBE"' in text]
    assert subscribes == [builder.route.value]  # acknowledged on its own route
