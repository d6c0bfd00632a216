"""The public part of the check: the WS API without keys, then every market stream family."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Optional

import attrs

from .._client import BinanceDerivativesTradingUsdsFuturesClient
from .._config import ConfigurationWebsocketApi, ConfigurationWebsocketStreams
from .._core._converter import wire_key
from .._core._stream_delivery import StreamGap
from ..errors import BinanceWsError, InvalidRequest, RequestTimeout, SubscriptionRejected
from ..websocket_streams.market._request import Cadence, parse_stream_name
from ..websocket_streams.market._silence import StreamSilent
from ._hints import hint_for
from ._report import FAILED, NOT_VERIFIED, OK, SILENT, CheckRow

__all__ = ["STREAMS", "probe_api", "probe_streams"]

Progress = Callable[[str], None]

#: Largest clock offset (ms) that passes: beyond it, a signed request's ``timestamp`` eats a
#: fifth of the default ``recvWindow`` (5 000 ms) before it leaves the machine.
MAX_CLOCK_OFFSET_MS = 1000
#: An observed interval this many times the documented cadence fails the row.
CADENCE_TOLERANCE = 3.0

#: Every stream family the check subscribes: (service, builder, setters, expectation).
#: ``rare``: event-driven and often quiet (a liquidation, a contract change): silence is
#: "not verified". Every other stream fails its row when silent: those with a documented
#: cadence (declared on their builders) and the event-driven ones that are never quiet on a
#: traded symbol (trades, book tickers, diff depth).
STREAMS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    ("market_api", "aggregate_trade_streams", {"symbol": "{symbol}"}, "busy"),
    ("market_api", "mark_price_stream", {"symbol": "{symbol}"}, "cadence"),
    ("market_api", "mark_price_stream", {"symbol": "{symbol}", "update_speed": "1s"}, "cadence"),
    ("market_api", "mark_price_stream_for_all_market", {"update_speed": "1s"}, "cadence"),
    (
        "market_api",
        "kline_candlestick_streams",
        {"symbol": "{symbol}", "interval": "1m"},
        "cadence",
    ),
    (
        "market_api",
        "continuous_contract_kline_candlestick_streams",
        {"pair": "{symbol}", "contract_type": "perpetual", "interval": "1m"},
        "cadence",
    ),
    ("market_api", "individual_symbol_mini_ticker_stream", {"symbol": "{symbol}"}, "cadence"),
    ("market_api", "all_market_mini_tickers_stream", {}, "cadence"),
    ("market_api", "individual_symbol_ticker_streams", {"symbol": "{symbol}"}, "cadence"),
    ("market_api", "all_market_tickers_streams", {}, "cadence"),
    ("market_api", "liquidation_order_streams", {"symbol": "{symbol}"}, "rare"),
    ("market_api", "all_market_liquidation_order_streams", {}, "rare"),
    ("market_api", "composite_index_symbol_information_streams", {"symbol": "{index}"}, "cadence"),
    ("market_api", "contract_info_stream", {}, "rare"),
    ("market_api", "asset_index", {}, "cadence"),
    ("market_api", "trading_session_stream", {}, "cadence"),
    ("public_api", "individual_symbol_book_ticker_streams", {"symbol": "{symbol}"}, "busy"),
    ("public_api", "all_book_tickers_stream", {}, "cadence"),
    (
        "public_api",
        "diff_book_depth_streams",
        {"symbol": "{symbol}", "update_speed": "100ms"},
        "busy",
    ),
    (
        "public_api",
        "partial_book_depth_streams",
        {"symbol": "{symbol}", "levels": 5, "update_speed": "100ms"},
        "cadence",
    ),
    ("public_api", "rpi_diff_book_depth_streams", {"symbol": "{symbol}"}, "busy"),
    ("public_api", "trade_streams", {"symbol": "{symbol}"}, "busy"),
)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


# ------------------------------------------------------------------------------ WS API


def probe_api(
    cfg: ConfigurationWebsocketApi, symbol: str, progress: Progress, calls: int = 10
) -> list[CheckRow]:
    """Handshake, latency of unsigned calls, the server's clock offset, ``rateLimits``."""
    rows: list[CheckRow] = []
    section = "WS API"
    progress("WS API: handshake")
    client = BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg)
    try:
        started = time.monotonic()
        try:
            client.websocket_api.connect()
        except BinanceWsError as exc:
            rows.append(
                CheckRow(section, "handshake", FAILED, str(exc), hint_for(exc, cfg.base_path))
            )
            return rows
        took = time.monotonic() - started
        rows.append(CheckRow(section, "handshake", OK, _ms(took), data={"seconds": took}))
        market = client.websocket_api.market_data_api
        timings: dict[str, list[float]] = {"ticker.price": [], "depth": []}
        offsets: list[tuple[float, float]] = []  # (round trip, offset ms)
        last_raw: dict[str, Any] = {}
        progress(f"WS API: {calls} ticker.price and {calls // 2} depth calls")
        try:
            for i in range(calls):
                t0 = time.time()
                resp: Any = market.symbol_price_ticker().symbol(symbol).execute()
                timings["ticker.price"].append(time.time() - t0)
                last_raw = resp.raw
                if i % 2 == 0:
                    t0 = time.time()
                    resp = market.order_book().symbol(symbol).limit(5).execute()
                    t1 = time.time()
                    timings["depth"].append(t1 - t0)
                    last_raw = resp.raw
                    server = resp.raw.get("result", {}).get("E")
                    if isinstance(server, int) and not isinstance(server, bool):
                        offsets.append((t1 - t0, server - (t0 + t1) / 2 * 1000))
        except BinanceWsError as exc:
            rows.append(
                CheckRow(section, "unsigned calls", FAILED, str(exc), hint_for(exc, cfg.base_path))
            )
            return rows
        for method, values in timings.items():
            p50, p99 = _percentile(values, 0.5), _percentile(values, 0.99)
            rows.append(
                CheckRow(
                    section,
                    f"latency {method}",
                    OK,
                    f"p50 {_ms(p50)}, p99 {_ms(p99)} over {len(values)} calls",
                    data={"p50": p50, "p99": p99, "n": len(values)},
                )
            )
        rows.append(_clock_row(section, offsets))
        rows.append(_limits_row(section, last_raw))
    finally:
        client.close()
    return rows


def _clock_row(section: str, offsets: list[tuple[float, float]]) -> CheckRow:
    if not offsets:
        return CheckRow(section, "clock offset", NOT_VERIFIED, "no depth reply carried E")
    rtt, offset = min(offsets)  # the shortest round trip bounds the error best
    figure = f"server {round(offset):+d} ms from this machine (± {rtt * 500:.0f} ms)"
    data = {"offset_ms": round(offset), "error_ms": round(rtt * 500)}
    if abs(offset) - rtt * 500 > MAX_CLOCK_OFFSET_MS:
        hint = (
            f"clock skew: this machine's clock is {-offset / 1000:+.1f} s off Binance's; sync it "
            "(NTP). Signed requests carry this clock's timestamp and fail with -1021 outside "
            "recvWindow (the SDK corrects only after a session.* or error reply told it)."
        )
        return CheckRow(section, "clock offset", FAILED, figure, hint, data)
    return CheckRow(section, "clock offset", OK, figure, data=data)


def _limits_row(section: str, raw: dict[str, Any]) -> CheckRow:
    limits = raw.get("rateLimits")
    if not isinstance(limits, list) or not limits:
        return CheckRow(
            section,
            "rateLimits",
            NOT_VERIFIED,
            "not in replies",
            "the URL asks returnRateLimits=false, or the server sends none",
        )
    parts = []
    for item in limits:
        if isinstance(item, dict):
            n = item.get("intervalNum", 1)
            unit = str(item.get("interval", "?")).lower()
            parts.append(
                f"{item.get('rateLimitType')} {item.get('count', '?')}/{item.get('limit')} "
                f"per {n} {unit}{'s' if n != 1 else ''}"
            )
    return CheckRow(section, "rateLimits", OK, "; ".join(parts), data={"rateLimits": limits})


# ------------------------------------------------------------------------------ streams


@attrs.define
class _Watch:
    """What one stream delivered: arrival times, event times, problems."""

    name: str
    route: str
    expect: str
    cadence: Optional[Cadence]
    frames: int = 0
    arrivals: list[float] = attrs.field(factory=list)
    event_times: list[int] = attrs.field(factory=list)
    decode_problems: list[str] = attrs.field(factory=list)
    inexact: list[str] = attrs.field(factory=list)
    gaps: int = 0
    silent_reports: list[str] = attrs.field(factory=list)
    error: Optional[BaseException] = None
    acked_at: float = 0.0
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def take(self, item: Any) -> None:
        now = time.monotonic()
        with self.lock:
            if isinstance(item, StreamGap):
                self.gaps += 1
                return
            if isinstance(item, StreamSilent):  # the SDK's own silence report, not a frame
                self.silent_reports.append(item.action)
                return
            self.frames += 1
            self.arrivals.append(now)
            raw = getattr(item, "raw", None)
            first = raw[0] if isinstance(raw, list) and raw else raw
            if isinstance(first, dict) and isinstance(first.get("E"), int):
                self.event_times.append(first["E"])
            problems = getattr(item, "decode_problems", ())
            if type(item).__name__ == "UnknownEvent":
                problems = ("the payload did not fit the stream's model",)
            self.decode_problems.extend(problems)
            if len(self.inexact) < 5:
                self.inexact.extend(inexact_decimals(item, raw))


def inexact_decimals(obj: Any, raw: Any, path: str = "") -> list[str]:
    """Paths of the ``Decimal`` fields of a decoded model whose value is not the wire text.

    Every amount Binance sends as a string must come back digit for digit (``"0.00100"`` is not
    ``0.001``); one sent as a JSON number must equal it exactly.
    """
    out: list[str] = []
    if isinstance(obj, Decimal):
        exact = str(obj) == raw if isinstance(raw, str) else Decimal(str(raw)) == obj
        if not exact:
            out.append(path or "value")
    elif attrs.has(type(obj)) and isinstance(raw, dict):
        for field in attrs.fields(type(obj)):
            if field.name in ("raw", "decode_problems"):
                continue
            key = wire_key(field)
            if key in raw:
                out += inexact_decimals(getattr(obj, field.name), raw[key], f"{path}.{key}")
    elif attrs.has(type(obj)) and isinstance(raw, list) and hasattr(obj, "items"):
        for i, (one, rv) in enumerate(zip(obj.items, raw)):
            out += inexact_decimals(one, rv, f"{path}[{i}]")
    elif isinstance(obj, (list, tuple)) and isinstance(raw, (list, tuple)):
        for i, (one, rv) in enumerate(zip(obj, raw)):
            out += inexact_decimals(one, rv, f"{path}[{i}]")
    return out


def _names(
    client: BinanceDerivativesTradingUsdsFuturesClient, symbol: str, index: str
) -> list[tuple[str, str, Optional[BaseException]]]:
    """(stream name, expectation, error) of every family, named by the SDK's own builders."""
    ws = client.websocket_streams
    out: list[tuple[str, str, Optional[BaseException]]] = []
    for service, method, setters, expect in STREAMS:
        builder = getattr(getattr(ws, service), method)()
        try:
            for setter, value in setters.items():
                if isinstance(value, str):
                    value = value.format(symbol=symbol, index=index)
                builder = getattr(builder, setter)(value)
            out.append((builder.stream_name(), expect, None))
        except InvalidRequest as exc:
            out.append((f"{service}.{method}()", expect, exc))
    return out


def probe_streams(
    cfg: ConfigurationWebsocketStreams,
    symbol: str,
    seconds: float,
    progress: Progress,
    index: str = "DEFIUSDT",
) -> list[CheckRow]:
    """Subscribe every stream family at once, watch each for ``seconds``, one row each."""
    section = "market streams"
    rows: list[CheckRow] = []
    client = BinanceDerivativesTradingUsdsFuturesClient(websocket_streams=cfg)
    watches: list[_Watch] = []
    handles: list[Any] = []
    try:
        ws = client.websocket_streams
        names = _names(client, symbol, index)
        progress(f"market streams: subscribing {len(names)} streams (paced)")
        for name, expect, error in names:
            route = "?"
            cadence: Optional[Cadence] = None
            try:
                if error is not None:
                    raise error
                parsed = parse_stream_name(name)
                route = f"/{parsed.route.value}"
                cadence = parsed.cadence
            except InvalidRequest as exc:
                watches.append(_Watch(name, route, expect, None, error=exc))
                continue
            watch = _Watch(name, route, expect, cadence)
            watches.append(watch)
            try:
                handle = ws.subscribe([name])
            except (SubscriptionRejected, RequestTimeout, BinanceWsError) as exc:
                watch.error = exc
                continue
            watch.acked_at = time.monotonic()
            handle.on_any(watch.take)
            handles.append(handle)
        progress(f"market streams: watching for {seconds:g} s")
        deadline = max([w.acked_at for w in watches] + [time.monotonic()]) + seconds
        time.sleep(max(0.0, deadline - time.monotonic()))
        for handle in handles:
            handle.unsubscribe()
        for watch in watches:
            window = deadline - watch.acked_at if watch.acked_at else seconds
            rows.append(_stream_row(section, watch, window, cfg.base_path, deadline))
    finally:
        client.close()
    return rows


def _period(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _stream_row(section: str, w: _Watch, window: float, base: str, end: float = 0.0) -> CheckRow:
    what = f"{w.name} ({w.route})"
    if w.error is not None:
        if isinstance(w.error, InvalidRequest):
            return CheckRow(section, what, FAILED, str(w.error), "this SDK version cannot route it")
        return CheckRow(section, what, FAILED, str(w.error), hint_for(w.error, base))
    with w.lock:
        frames, arrivals, events = w.frames, list(w.arrivals), list(w.event_times)
        problems, inexact = list(w.decode_problems), list(w.inexact)
        reports = list(w.silent_reports)
    period = w.cadence.period if w.cadence else None
    data: dict[str, Any] = {"frames": frames, "window_s": window, "cadence_s": period}
    documented = f"docs: {_period(period)}" if period else "event-driven"
    if frames == 0:
        figure = f"acknowledged, 0 frames in {window:.1f} s ({documented})"
        if w.expect == "rare":
            return CheckRow(
                section, what, NOT_VERIFIED, figure, "event-driven: nothing happened", data
            )
        hint = (
            "acknowledged but nothing delivered: Binance acknowledges a name of the other "
            "route or one it does not publish here, then sends nothing"
        )
        if "compositeIndex" in w.name:
            hint += " (is the symbol a composite index? --index)"
        return CheckRow(section, what, SILENT, figure + _reported(reports), hint, data)
    interval = _interval(events, arrivals)
    data.update({"interval_s": interval, "decode_problems": len(problems), "inexact": inexact})
    figure = f"{frames} frame{'s' if frames != 1 else ''} in {window:.1f} s"
    if interval is not None:
        figure += f", every {_period(interval)} ({documented})"
    if problems:
        figure += f", {len(problems)} decode problems"
    figure += ", decimals NOT exact" if inexact else ", typed, decimals exact"
    if problems or inexact:
        hint = "fields that do not fit: " + "; ".join((problems + inexact)[:3])
        return CheckRow(section, what, FAILED, figure, hint, data)
    quiet_for = end - arrivals[-1] if end else 0.0
    if (
        period is not None
        and w.cadence is not None
        and w.cadence.regular  # published every period whatever the market does
        and quiet_for > CADENCE_TOLERANCE * period
    ):
        data["quiet_for_s"] = quiet_for
        figure += f"; none in the last {quiet_for:.1f} s" + _reported(reports)
        hint = (
            f"went quiet: nothing for {quiet_for:.1f} s on a stream published every "
            f"{_period(period)}, while the socket and the other streams went on"
        )
        return CheckRow(section, what, SILENT, figure, hint, data)
    if (
        period is not None
        and w.cadence is not None
        and w.cadence.regular  # the others publish only what changed: slower on a calm market
        and interval is not None
        and interval > CADENCE_TOLERANCE * period
    ):
        hint = f"slower than documented ({_period(interval)} vs {_period(period)})"
        return CheckRow(section, what, FAILED, figure, hint, data)
    return CheckRow(section, what, OK, figure, data=data)


def _reported(actions: list[str]) -> str:
    """What the SDK's own silence detection said and did meanwhile (``StreamSilent``)."""
    if not actions:
        return ""
    return f"; the SDK reported it silent ({', '.join(actions)})"


def _interval(event_times: list[int], arrivals: list[float]) -> Optional[float]:
    """The median interval between frames: by their event times when they carry one."""
    if len(event_times) >= 2:
        steps = [b - a for a, b in zip(event_times, event_times[1:]) if b >= a]
        if steps:
            return statistics.median(steps) / 1000
    if len(arrivals) >= 2:
        return statistics.median(b - a for a, b in zip(arrivals, arrivals[1:]))
    return None
