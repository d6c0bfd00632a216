"""The private part of the check: logon, the listenKey methods, each user data URL form.

It runs only when keys are given, and places an order only when allowed to (testnet, or
``--allow-test-order``): one post-only limit order far from the market, cancelled in a
``finally`` — also on Ctrl-C or a failure.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Optional

import attrs

from .._client import BinanceDerivativesTradingUsdsFuturesClient
from .._config import ConfigurationWebsocketApi, ConfigurationWebsocketStreams
from .._core._connection import Connection
from .._core._control import control_request
from .._core._redact import mask
from .._core._transport import connect_options
from ..errors import BinanceWsError
from ..websocket_streams.user_data._stream import user_data_socket_url
from ._hints import hint_for
from ._report import FAILED, NOT_VERIFIED, OK, SILENT, CheckRow

__all__ = ["FORMS", "probe_private", "user_data_urls"]

Progress = Callable[[str], None]

#: The user data URL forms, in the order they are reported.
FORMS = ("query", "path", "subscribe")
#: The distance of the test order from the best bid (post-only, so it never trades): within
#: Binance's PERCENT_PRICE band of most symbols, far enough that it will not be reached.
ORDER_DISTANCE = Decimal("0.97")
#: The notional (quote asset) the test order aims at: above Binance's minimum of 100 USDT on
#: the largest symbols, 5 on most.
ORDER_NOTIONAL = Decimal("105")


def user_data_urls(base: str, listen_key: str) -> dict[str, tuple[str, bool]]:
    """URL of each form, as the SDK dials it, and whether it needs ``SUBSCRIBE <listenKey>``."""
    return {
        form: (user_data_socket_url(base, form, listen_key), form == "subscribe") for form in FORMS
    }


@attrs.define
class _FormWatch:
    form: str
    conn: Optional[Connection] = None
    error: Optional[BaseException] = None
    events: list[str] = attrs.field(factory=list)
    order_events: list[str] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    client_order_id: str = ""

    def on_message(self, message: Any) -> None:
        data = message.get("data", message) if isinstance(message, dict) else None
        if not isinstance(data, dict) or "e" not in data:
            return
        with self.lock:
            self.events.append(str(data["e"]))
            order = data.get("o")
            if (
                data["e"] == "ORDER_TRADE_UPDATE"
                and isinstance(order, dict)
                and order.get("c") == self.client_order_id
            ):
                self.order_events.append(str(order.get("X")))


def _round_sig(value: Decimal, digits: int, rounding: str) -> Decimal:
    """``value`` rounded to ``digits`` significant digits (a multiple of any power-of-ten tick)."""
    if value <= 0:
        return value
    exp = value.adjusted() - digits + 1
    rounded = value.quantize(Decimal(1).scaleb(exp), rounding=rounding)
    return Decimal(format(rounded, "f"))  # 58190, not 5.819E+4


def order_terms(best_bid: Decimal) -> tuple[Decimal, Decimal]:
    """Price and quantity of the test order: 3 % under the bid, about 105 USDT of notional.

    Without ``exchangeInfo`` (REST only) the tick and step sizes are unknown, so the price keeps
    4 significant digits and the quantity 1 (both then multiples of any power-of-ten step);
    ``--quantity`` overrides the quantity.
    """
    price = _round_sig(best_bid * ORDER_DISTANCE, 4, ROUND_FLOOR)
    quantity = _round_sig(ORDER_NOTIONAL / price, 1, ROUND_CEILING)
    return price, quantity


def probe_private(
    api_cfg: ConfigurationWebsocketApi,
    streams_cfg: ConfigurationWebsocketStreams,
    symbol: str,
    seconds: float,
    allow_order: bool,
    progress: Progress,
    quantity: Optional[Decimal] = None,
    form: str = "query",
) -> list[CheckRow]:
    """Logon, ``userDataStream.start``/``ping``/``stop``, each URL form, the test order.

    ``form`` is the ``user_data_url`` the user's SDK is configured with: its row decides the
    verdict, the other forms' rows are informational.
    """
    section = "user data"
    rows: list[CheckRow] = []
    client = BinanceDerivativesTradingUsdsFuturesClient(websocket_api=api_cfg)
    watches: list[_FormWatch] = []
    try:
        api = client.websocket_api
        progress("user data: connecting the WS API with your key")
        try:
            api.connect()
        except BinanceWsError as exc:
            rows.append(CheckRow(section, "WS API with keys", FAILED, str(exc), hint_for(exc)))
            return rows
        rows.append(_logon_row(section, client, api_cfg))
        streams = api.user_data_streams_api
        try:
            key = streams.start_user_data_stream().execute().typed.result.listen_key
        except BinanceWsError as exc:
            rows.append(CheckRow(section, "userDataStream.start", FAILED, str(exc), hint_for(exc)))
            return rows
        if not key:
            rows.append(CheckRow(section, "userDataStream.start", FAILED, "no listenKey"))
            return rows
        rows.append(CheckRow(section, "userDataStream.start", OK, f"listenKey {mask(key)}"))
        try:
            streams.keepalive_user_data_stream().execute()
            rows.append(CheckRow(section, "userDataStream.ping", OK, "key kept alive"))
        except BinanceWsError as exc:
            rows.append(CheckRow(section, "userDataStream.ping", FAILED, str(exc), hint_for(exc)))
        client_order_id = f"check-{uuid.uuid4().hex[:20]}"
        for each, (url, subscribe) in user_data_urls(streams_cfg.base_path, key).items():
            progress(f"user data: connecting the {each} form")
            watches.append(_open_form(each, url, subscribe, key, streams_cfg, client_order_id))
        if allow_order:
            rows.append(
                _test_order(
                    section, client, symbol, client_order_id, watches, seconds, quantity, progress
                )
            )
        else:
            time.sleep(min(seconds, 2.0))  # whatever the key sends by itself
        working = [w.form for w in watches if {"NEW", "CANCELED"} <= set(w.order_events)]
        for watch in watches:
            row = _form_row(section, watch, allow_order, working)
            if watch.form != form:
                row = attrs.evolve(row, required=False)
            rows.append(row)
        try:
            streams.close_user_data_stream().execute()
            rows.append(CheckRow(section, "userDataStream.stop", OK, "key closed"))
        except BinanceWsError as exc:
            rows.append(CheckRow(section, "userDataStream.stop", FAILED, str(exc), hint_for(exc)))
    finally:
        for watch in watches:
            if watch.conn is not None:
                watch.conn.close(timeout=2.0)
        client.close()
    return rows


def _logon_row(
    section: str, client: BinanceDerivativesTradingUsdsFuturesClient, cfg: ConfigurationWebsocketApi
) -> CheckRow:
    signer = type(getattr(client.websocket_api, "_signer", None)).__name__
    kind = {"HmacSigner": "hmac", "RsaSigner": "rsa", "Ed25519Signer": "ed25519"}.get(
        signer, "none"
    )
    what = f"session.logon ({kind} key)"
    try:
        client.websocket_api.auth_api.session_logon().execute()
    except BinanceWsError as exc:
        if kind == "hmac":
            # Binance documents logon for Ed25519 keys; HMAC keys sign each request instead.
            return CheckRow(section, what, NOT_VERIFIED, str(exc), hint_for(exc))
        return CheckRow(section, what, FAILED, str(exc), hint_for(exc))
    return CheckRow(section, what, OK, "logged on")


def _open_form(
    form: str,
    url: str,
    subscribe: bool,
    key: str,
    cfg: ConfigurationWebsocketStreams,
    client_order_id: str,
) -> _FormWatch:
    watch = _FormWatch(form, client_order_id=client_order_id)
    try:
        watch.conn = Connection(
            url,
            open_timeout=cfg.connect_timeout,
            on_message=watch.on_message,
            name=f"binance-usdm-ws-check-{form}",
            connect_options=connect_options(url, cfg, cfg.connect_timeout),
        )
        if subscribe:
            control_request(watch.conn, 1, "SUBSCRIBE", [key], cfg.timeout or 10.0, "/private")
    except BaseException as exc:  # report it on the row, whatever it was
        if not isinstance(exc, Exception):
            raise
        watch.error = exc
    return watch


def _test_order(
    section: str,
    client: BinanceDerivativesTradingUsdsFuturesClient,
    symbol: str,
    client_order_id: str,
    watches: list[_FormWatch],
    seconds: float,
    quantity: Optional[Decimal],
    progress: Progress,
) -> CheckRow:
    """Place the post-only order, wait for its events on the forms, cancel it whatever happens."""
    api = client.websocket_api
    what = f"test order {symbol} (post-only, cancelled)"
    placed = False
    try:
        book = api.market_data_api.symbol_order_book_ticker().symbol(symbol).execute()
        bid = Decimal(str(book.raw["result"]["bidPrice"]))
        price, qty = order_terms(bid)
        qty = quantity or qty
        placed = True  # from here on, cancel in any case (an unknown outcome included)
        api.trade_api.new_order().symbol(symbol).side("BUY").type("LIMIT").time_in_force(
            "GTX"
        ).price(price).quantity(qty).new_client_order_id(client_order_id).execute()
        progress(f"user data: test order placed (BUY {qty} @ {price}); waiting for its events")
        _wait_for(watches, "NEW", seconds)
    except BinanceWsError as exc:
        if placed:
            _cancel(api, symbol, client_order_id)
        return CheckRow(section, what, FAILED, str(exc), hint_for(exc) or "pass --quantity")
    except BaseException:
        if placed:
            _cancel(api, symbol, client_order_id)
        raise
    cancelled = _cancel(api, symbol, client_order_id)
    if cancelled is not None:
        return CheckRow(section, what, FAILED, f"placed, but the cancel failed: {cancelled}")
    _wait_for(watches, "CANCELED", seconds)
    return CheckRow(section, what, OK, f"BUY {qty} @ {price} placed and cancelled")


def _cancel(api: Any, symbol: str, client_order_id: str) -> Optional[str]:
    """Cancel the test order; None when done (or when it never existed)."""
    try:
        api.trade_api.cancel_order().symbol(symbol).orig_client_order_id(client_order_id).execute()
    except BinanceWsError as exc:
        if getattr(exc, "code", None) == -2011:  # unknown order: it was never placed
            return None
        return str(exc)
    return None


def _wait_for(watches: list[_FormWatch], status: str, seconds: float) -> None:
    """Wait until every open form saw the order's ``status``, or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        open_forms = [w for w in watches if w.conn is not None and w.error is None]
        if all(status in w.order_events for w in open_forms):
            return
        time.sleep(0.05)


def _form_row(section: str, w: _FormWatch, verified: bool, working: list[str]) -> CheckRow:
    what = f"user data stream, {w.form} form" + (" (default)" if w.form == "query" else "")
    if w.error is not None:
        return CheckRow(section, what, FAILED, str(w.error), hint_for(w.error))
    with w.lock:
        seen, events = list(w.order_events), list(w.events)
    data = {"order_events": seen, "events": len(events)}
    if not verified:
        return CheckRow(
            section,
            what,
            NOT_VERIFIED,
            f"connected; no event to observe ({len(events)} received)",
            "pass --allow-test-order (or --testnet) to place and cancel one far-off order",
            data,
        )
    if "NEW" in seen and "CANCELED" in seen:
        return CheckRow(section, what, OK, "delivered the order's NEW and CANCELED", data=data)
    return CheckRow(
        section,
        what,
        SILENT,
        f"connected; {len(seen)} of the order's 2 events ({', '.join(seen) or 'none'})",
        "nothing delivered on this URL form here"
        + (
            f'; use ConfigurationWebsocketStreams(user_data_url="{working[0]}"), which did'
            if working
            else "; no form delivered: check the key's permissions"
        ),
        data,
    )
