"""``binance-usdm-ws check`` against the local exchange in its production-like mode.

A clean run passes; each injected fault (a stalled stream, a path-form-only user data stream,
a wrong clock, a refused key, a refused proxy) changes the row it should and the exit status;
a test order is placed once and cancelled, also on Ctrl-C; no secret is ever shown.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from binance_usdm_ws.check import CheckReport, main, run_check
from binance_usdm_ws.check._private import order_terms
from binance_usdm_ws.check._public import STREAMS, inexact_decimals
from binance_usdm_ws.testing import LocalExchange
from binance_usdm_ws.websocket_streams import decode_market_event
from binance_usdm_ws.websocket_streams.market._models import BookTickerUpdate

SECONDS = 3.0


def _check(ex: LocalExchange, **kw: Any) -> CheckReport:
    options: dict[str, Any] = dict(
        api_url=ex.ws_api_url,
        streams_url=ex.streams_url,
        seconds=SECONDS,
        api_key=ex.api_key,
        api_secret=ex.api_secret,
    )
    options.update(kw)
    return run_check(**options)


def _row(report: CheckReport, what: str) -> Any:
    rows = [r for r in report.rows if r.what.startswith(what)]
    assert len(rows) == 1, (what, [r.what for r in report.rows])
    return rows[0]


def _methods(ex: LocalExchange, method: str) -> list[dict[str, Any]]:
    return [r.params for r in ex.requests if r.method == method]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live() -> Any:
    """The local exchange as it runs by default: a live market, production's URL forms."""
    with LocalExchange() as ex:
        yield ex


def test_a_clean_run_passes_with_a_row_per_stream_family(live: LocalExchange) -> None:
    report = _check(live, allow_order=True)
    assert report.passed, report.table()
    streams = [r for r in report.rows if r.section == "market streams"]
    assert len(streams) == len(STREAMS)
    delivering = [r for r in streams if r.result == "ok"]
    # every stream with a cadence or constant flow delivered, typed, exact
    assert all(r.data["decode_problems"] == 0 and not r.data["inexact"] for r in delivering)
    assert {r.what.split(" ")[0] for r in delivering} >= {
        "btcusdt@markPrice@1s",
        "btcusdt@bookTicker",
        "btcusdt@depth@100ms",
        "btcusdt@kline_1m",
        "btcusdt@trade",
    }
    assert _row(report, "user data stream, query form (default)").result == "ok"
    assert _row(report, "user data stream, subscribe form").result == "ok"
    # production does not deliver the path form: the row says so; the run passes because the
    # form the SDK uses delivered, and that row alone is required
    path = _row(report, "user data stream, path form")
    assert path.result == "silent" and not path.required


def test_a_stalled_stream_is_named_and_fails_the_run(live: LocalExchange) -> None:
    live.faults.stall_stream("btcusdt@markPrice@1s")
    report = _check(live, api_key=None)
    row = _row(report, "btcusdt@markPrice@1s")
    assert row.result == "silent"
    assert "went quiet" in row.hint or "nothing delivered" in row.hint
    assert _row(report, "btcusdt@markPrice (").result == "ok"  # the same socket goes on
    assert not report.passed


def test_a_path_form_only_environment_shows_in_the_user_data_rows() -> None:
    with LocalExchange(user_data_url_forms=frozenset({"path"})) as ex:
        report = _check(ex, streams=False, allow_order=True)
        as_configured = _check(ex, streams=False, allow_order=True, user_data_url="path")
    assert _row(report, "user data stream, path form").result == "ok"
    for form in ("query", "subscribe"):
        row = _row(report, f"user data stream, {form} form")
        assert row.result == "silent"
        assert 'user_data_url="path"' in row.hint
    assert not report.passed  # the default form stays silent there
    assert as_configured.passed  # a user configured for the path form is served


def test_a_wrong_clock_fails_the_clock_row(live: LocalExchange) -> None:
    live.clock.advance(30)
    report = _check(live, streams=False, api_key=None)
    row = _row(report, "clock offset")
    assert row.result == "failed"
    assert "clock skew" in row.hint
    assert row.data["offset_ms"] > 25_000
    assert not report.passed


def test_a_refused_key_fails_with_a_hint(live: LocalExchange) -> None:
    report = _check(live, streams=False, api_key="x" * 64, api_secret="y" * 64)
    failed = [r for r in report.rows if r.section == "user data" and r.result == "failed"]
    assert failed
    assert any("key" in r.hint for r in failed), [r.hint for r in failed]
    assert not report.passed


def test_a_refused_proxy_fails_the_handshake(live: LocalExchange) -> None:
    report = _check(live, streams=False, api_key=None, proxy=f"http://127.0.0.1:{_free_port()}")
    row = _row(report, "handshake")
    assert row.result == "failed"
    assert "proxy" in row.hint
    assert not report.passed


def test_no_order_is_placed_without_permission(live: LocalExchange) -> None:
    report = _check(live, streams=False)
    assert _methods(live, "order.place") == []
    for form in ("query", "path", "subscribe"):
        row = _row(report, f"user data stream, {form} form")
        assert row.result == "not verified"
        assert "no event to observe" in row.figure


def test_the_test_order_is_placed_once_and_cancelled(live: LocalExchange) -> None:
    report = _check(live, streams=False, allow_order=True)
    placed = _methods(live, "order.place")
    assert len(placed) == 1
    assert placed[0]["timeInForce"] == "GTX" and placed[0]["type"] == "LIMIT"
    cancels = _methods(live, "order.cancel")
    assert [c["origClientOrderId"] for c in cancels] == [placed[0]["newClientOrderId"]]
    assert _row(report, "test order").result == "ok"


def test_ctrl_c_while_waiting_still_cancels_the_order() -> None:
    # path only: the default form waits the whole window for an event that never comes
    with LocalExchange(user_data_url_forms=frozenset({"path"})) as ex:
        env = dict(os.environ, BINANCE_API_KEY=ex.api_key, BINANCE_API_SECRET=ex.api_secret)
        argv = [sys.executable, "-m", "binance_usdm_ws", "check", "--api-url", ex.ws_api_url]
        argv += ["--streams-url", ex.streams_url, "--no-streams", "--allow-test-order"]
        argv += ["--seconds", "60"]
        # A suite run in the background (nohup, `&`) ignores SIGINT, and children inherit
        # that: give the child the default disposition, so Python raises KeyboardInterrupt.
        default_sigint = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
        with subprocess.Popen(
            argv, env=env, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint
        ) as proc:
            assert proc.stderr is not None
            for line in proc.stderr:
                if "test order placed" in line:
                    break
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 130
        placed = _methods(ex, "order.place")
        cancels = _methods(ex, "order.cancel")
    assert len(placed) == 1
    assert [c["origClientOrderId"] for c in cancels] == [placed[0]["newClientOrderId"]]


def test_no_secret_in_stdout_stderr_or_json(
    live: LocalExchange, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", live.api_key)
    monkeypatch.setenv("BINANCE_API_SECRET", live.api_secret)
    out_file = tmp_path / "report.json"
    argv = ["check", "--api-url", live.ws_api_url, "--streams-url", live.streams_url]
    status = main([*argv[1:], "--no-streams", "--allow-test-order", "--json", str(out_file)])
    captured = capsys.readouterr()
    text = out_file.read_text()
    data = json.loads(text)
    assert data["sdk_version"] and data["python"] and data["rows"]
    assert status == (0 if data["passed"] else 1)
    keys = live.issued_listen_keys
    assert keys
    for secret in [live.api_secret, *keys]:
        for where in (captured.out, captured.err, text):
            assert secret not in where
    assert "listenKey" in captured.out  # the row is there, masked


def test_the_command_line_entry_points() -> None:
    script = Path(sys.executable).with_name("binance-usdm-ws")  # the console script
    for run in ([sys.executable, "-m", "binance_usdm_ws"], [str(script)]):
        done = subprocess.run([*run, "check", "--help"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "--allow-test-order" in done.stdout
        bad = subprocess.run(
            [*run, "check", "--seconds", "0"], capture_output=True, text=True, timeout=60
        )
        assert bad.returncode == 2 and "--seconds" in bad.stderr
        none = subprocess.run(run, capture_output=True, text=True, timeout=60)
        assert none.returncode == 2 and "check" in none.stderr


def test_the_test_order_terms_are_plain_and_far_from_the_market() -> None:
    price, qty = order_terms(Decimal("87234.5"))
    assert price == Decimal("84610") and "E" not in str(price)
    assert qty == Decimal("0.002") and price * qty >= 105
    price, qty = order_terms(Decimal("0.123456"))
    assert price == Decimal("0.1197") and qty == Decimal("900")


def test_inexact_decimals_are_found() -> None:
    raw = {
        "e": "bookTicker", "u": 1, "E": 1, "T": 1, "s": "BTCUSDT",
        "b": "0.00100", "B": "1", "a": "2", "A": "3",
    }  # fmt: skip
    exact = decode_market_event(raw, BookTickerUpdate)
    assert exact.bid_price == Decimal("0.00100")
    assert inexact_decimals(exact, raw) == []
    wrong = attrs.evolve(exact, bid_price=Decimal("0.001"))  # equal in value, not in digits
    assert inexact_decimals(wrong, raw) == [".b"]
