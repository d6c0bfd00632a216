"""Secrets never appear whole: not in logs (at DEBUG, the bundled exchange's too), reprs,
exception messages, nor the examples' and the demo's output; the attributes keep them whole.

Secrets: the API key and secret, every signature sent, every listenKey handed out.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    ListenKeyExpired,
    OrderTradeUpdate,
    OrderType,
    ServerError,
    Side,
    TimeInForce,
    UnknownEvent,
    decode_event,
)
from binance_usdm_ws._core._redact import mask, mask_text
from binance_usdm_ws.testing import LocalExchange
from binance_usdm_ws.websocket_api._models import ListenKeyResult, SessionStatusResult

ROOT = Path(__file__).resolve().parents[1]


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets found in ``text``: whole, or by a tail of 8 characters (a truncated frame)."""
    return [mask(s) for s in secrets if s in text or s[-8:] in text]


def test_mask_shows_four_characters_only():
    """The one masking rule: first four characters and an ellipsis; short values show nothing."""
    assert mask("abcdefghijklmnop") == "abcd…"
    assert mask("abcdefgh") == "…" and mask(None) == "None"
    key = "K" * 10 + "x" * 54
    assert mask_text(f'{{"listenKey":"{key}","apiKey": "{key}"}}') == (
        '{"listenKey":"KKKK…","apiKey": "KKKK…"}'
    )
    assert mask_text(f"wss://h/private/ws/{key}") == "wss://h/private/ws/KKKK…"
    assert mask_text(f"ws://h/private/stream?listenKey={key}&x=1") == (
        "ws://h/private/stream?listenKey=KKKK…&x=1"
    )
    assert mask_text('{"signature":"' + key + '"}') == '{"signature":"KKKK…"}'
    assert mask_text(mask_text(f"/ws/{key} apiKey={key}")) == "/ws/KKKK… apiKey=KKKK…"


def test_models_mask_secrets_in_repr_and_keep_them_whole():
    """``repr`` of a listenKey, an API key, an expired-key event shows 4 characters only."""
    key = "pqrs" + "0123456789" * 6
    assert repr(ListenKeyResult(listen_key=key)) == "ListenKeyResult(listen_key='pqrs…')"
    assert ListenKeyResult(listen_key=key).listen_key == key
    status = SessionStatusResult(api_key=key, authorized_since=1, connected_since=1, server_time=2)
    assert key not in repr(status) and "'pqrs…'" in repr(status) and status.api_key == key
    event = decode_event({"e": "listenKeyExpired", "E": 1, "listenKey": key})
    assert isinstance(event, ListenKeyExpired) and event.listen_key == key
    assert key not in repr(event) and key not in str(event)
    # A listenKeyExpired that does not fit its model arrives raw: its repr masks the key too.
    raw = decode_event({"e": "listenKeyExpired", "E": "soon", "listenKey": key})
    assert isinstance(raw, UnknownEvent) and raw.raw["listenKey"] == key
    assert key not in repr(raw) and "'listenKey': 'pqrs…'" in repr(raw)
    short = decode_event({"e": "listenKeyExpired", "E": "soon", "listenKey": "k" * 20})
    assert "k" * 20 not in repr(short)


def test_no_secret_anywhere_over_a_real_session(caplog):
    """A whole session at DEBUG: user data stream, an order and its events, a key replaced,
    keepalive, logon, an error, close. No log record, repr or message holds a secret."""
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []  # every repr and exception message of the session
    keys: list[str] = []
    with LocalExchange(quiet=True) as ex:
        api = ConfigurationWebsocketApi(
            base_path=ex.ws_api_url, api_key=ex.api_key, api_secret=ex.api_secret, timeout=5.0
        )
        streams = ConfigurationWebsocketStreams(base_path=ex.streams_url, reconnect_delay=0.02)
        shown += [repr(api), str(api), repr(streams)]
        with BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=api, websocket_streams=streams
        ) as client:
            ws = client.websocket_api
            start = ws.user_data_streams_api.start_user_data_stream().execute()
            keys.append(start.typed.result.listen_key)
            assert len(keys[-1]) == 64
            shown += [repr(start), repr(start.typed), str(start.typed.result), repr(client)]
            with client.user_data_stream() as stream:
                ex.wait_for(lambda: ex.stream_connection_count == 1)
                placed = (
                    ws.trade_api.new_order()
                    .symbol("BTCUSDT")
                    .side(Side.BUY)
                    .type(OrderType.LIMIT)
                    .time_in_force(TimeInForce.GTC)
                    .quantity(Decimal("0.010"))
                    .price("1000")
                    .execute()
                )
                shown += [repr(placed), repr(placed.typed)]
                event = stream.get(timeout=5)
                assert isinstance(event, OrderTradeUpdate)
                shown += [repr(event), repr(stream)]
                ex.clock.advance(61 * 60)  # no keepalive in time: the key expires
                expired = stream.get(timeout=5)
                assert isinstance(expired, ListenKeyExpired) and expired.listen_key == keys[0]
                shown.append(repr(expired))
                shown.append(repr(stream.get(timeout=5)))  # the gap, once the new key is on
                keys.append(stream.listen_key or "")
                shown.append(repr(stream))
                ping = ws.user_data_streams_api.keepalive_user_data_stream().execute()
                shown += [repr(ping.typed)]
            with pytest.raises(ServerError) as info:
                ws.user_data_streams_api.keepalive_user_data_stream().execute()
            shown += [str(info.value), repr(info.value)]
            ws.auth_api.session_status().execute()  # learns the offset of the advanced clock
            logon = ws.auth_api.session_logon().execute()
            status = ws.auth_api.session_status().execute()
            assert status.typed.result is not None and status.typed.result.api_key == ex.api_key
            shown += [repr(logon.typed), repr(status.typed), repr(ws)]
        signatures = [r.params["signature"] for r in ex.requests if "signature" in r.params]
        assert ex.issued_listen_keys == keys and keys[0] != keys[1]
    assert len(signatures) >= 2 and all(len(k) > 16 for k in keys)  # order, logon
    secrets = [*keys, ex.api_key, ex.api_secret, *signatures]
    logged = [r.getMessage() for r in caplog.records]
    assert any("binance_usdm_ws.testing" == r.name for r in caplog.records)  # the exchange's
    assert any("…" in line for line in logged)  # the keys were logged, masked
    assert leaks("\n".join(logged), secrets) == []
    assert leaks(caplog.text, secrets) == []  # with tracebacks, as a handler formats them
    assert leaks("\n".join(shown), secrets) == []


def run_example(ex: LocalExchange, script: Path, *args: str) -> str:
    env = dict(
        os.environ,
        BINANCE_WS_API_URL=ex.ws_api_url,
        BINANCE_STREAMS_URL=ex.streams_url,
        BINANCE_API_KEY=ex.api_key,
        BINANCE_API_SECRET=ex.api_secret,
    )
    env.pop("BINANCE_PRIVATE_KEY", None)
    done = subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize(
    "examples",
    [
        ["start_user_data_stream", "keepalive_user_data_stream"],
        ["../auth/session_logon"],
    ],
)
def test_example_output_masks_keys(examples):
    """An example that shows a listenKey or the API key prints its first 4 characters only."""
    with LocalExchange(quiet=True) as ex:
        folder = ROOT / "examples" / "websocket_api" / "user_data_streams"
        for example in examples:
            out = run_example(ex, folder / f"{example}.py")
            secrets = [*ex.issued_listen_keys, ex.api_key, ex.api_secret]
            assert leaks(out, secrets) == []
            assert "…" in out, out


def test_demo_output_masks_keys(capsys, caplog):
    """``make demo`` (run here on an exchange the test can inspect) prints keys masked."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import demo
    finally:
        sys.path.remove(str(ROOT / "examples"))
    caplog.set_level(logging.DEBUG)
    with LocalExchange(quiet=True) as ex:
        demo.run(ex)
        secrets = [*ex.issued_listen_keys, ex.api_key, ex.api_secret]
        secrets += [r.params["signature"] for r in ex.requests if "signature" in r.params]
    out = capsys.readouterr()
    assert len(ex.issued_listen_keys) == 2 and "listen_key='" in out.out  # methods, stream
    assert leaks(out.out + out.err, secrets) == [] and "closed cleanly" in out.out
    assert leaks(caplog.text, secrets) == []
