"""Market streams of the local exchange: ``/public`` and ``/market``, fed by its own engine.

Access modes: ``<route>/ws/<name>[/<name>...]`` (raw payloads) and
``<route>/stream?streams=<a>/<b>`` (every payload wrapped as ``{"stream","data"}``); both also
take live ``SUBSCRIBE`` / ``UNSUBSCRIBE`` / ``LIST_SUBSCRIPTIONS`` / ``SET_PROPERTY`` /
``GET_PROPERTY`` with the documented answers and errors.

A stream can stop alone (``faults.stall_stream``): its frames are not sent while its socket and
the other streams on it go on, as Binance did on one connection (binance-connector-java#139).

Like Binance, a stream subscribed on the wrong route is acknowledged and then stays silent (a
``/market`` socket never gets ``depth``), and so does a name the exchange does not know. Limits,
each enforced with a ``1008`` close: more than ``max_incoming_per_second`` incoming messages in
any one-second window — text frames, pings and pongs alike, as Binance counts them — and more
than ``max_streams`` streams on one connection (1024).

The market is the engine's: every fill is a ``trade`` (on ``/public``, served live though
undocumented) and an ``aggTrade`` (one aggregate per fill) at once, and moves the kline and 24 h
ticker state, which go out at their cadence: klines every 250 ms, ``@ticker`` / ``@miniTicker``
every 2 s and the arrays every 1 s (the symbols that traded). Every change of a book (orders
resting, cancelled, filled, ``set_book``) is a ``depthUpdate`` with a real ``U``/``u``/``pu``
chain (``u`` is the book's update id, which the WS API ``depth`` method reports as
``lastUpdateId``): at once on ``@depth@100ms``, merged per interval on ``@depth`` (250 ms) and
``@depth@500ms``; a partial-depth snapshot and, when the top changed, a ``bookTicker``. Mark
prices (the mid price) go out every 3 s (``@markPrice``) or 1 s (``@1s``). As on Binance, now
and then a trade id is spent without a fill: a ``trade`` priced and sized ``0`` (``X`` =
``NA``; every trade id that is a multiple of the engine's ``placeholder_every``, 100 by
default). ``publish(name, payload)`` sends any payload on a stream (for the other streams, and
for faults).
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional, Union

from websockets.frames import Frame, Opcode

from ._common import dumps, loads
from ._depth_faults import DepthFaults

if TYPE_CHECKING:
    from ._server import Connection, Server
    from ._trading import Engine

__all__ = ["MarketHub", "route_of"]

log = logging.getLogger("binance_usdm_ws.testing")

ROUTES = ("public", "market")
_METHODS = "SUBSCRIBE , UNSUBSCRIBE , LIST_SUBSCRIPTIONS , SET_PROPERTY , GET_PROPERTY"
_KLINE_MS = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
    "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
    "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000,
}  # fmt: skip


def route_of(name: str) -> str:
    """The route Binance serves a stream on: book tickers, depth and ``@trade`` are public."""
    public = ("@bookTicker", "@depth", "@rpiDepth", "@trade")
    if name == "!bookTicker" or any(k in name for k in public):
        return "public"
    return "market"


@dataclass
class _Sub:
    """The market side of one connection."""

    route: str
    streams: dict[str, None] = field(default_factory=dict)  # ordered set
    stamps: collections.deque[float] = field(default_factory=collections.deque)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


class MarketHub:
    """Market stream connections, their subscriptions and what is published to them.

    Only the server's loop thread calls it (``LocalExchange`` wraps what tests call).

    Attributes:
        max_streams: Streams one connection may hold (Binance: 1024).
        max_incoming_per_second: Incoming messages (text frames, pings, pongs) allowed in any
            1 s window (Binance: 10).
        mute: Control methods the hub receives but never answers (fault).
        reject: ``(code, msg)`` error replies for the next ``SUBSCRIBE`` frames (fault).
        received: The latest 100 000 frames received, as ``(cid, route, loop time, text)``.
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        self.engine: Optional[Engine] = None
        self.subs: dict[int, _Sub] = {}
        self.max_streams = 1024
        self.max_incoming_per_second = 10
        self.received: collections.deque[tuple[int, str, float, str]] = collections.deque(
            maxlen=100_000
        )
        #: Faults: methods left unanswered, and error replies for the next ``SUBSCRIBE``\s.
        self.mute: set[str] = set()
        self.reject: list[tuple[int, str]] = []
        #: Stalled streams (``Faults.stall_stream``): name → (heal, connection ids stalled, or
        #: None for every connection), and how many frames each lost.
        self.stalled: dict[str, tuple[str, Optional[set[int]]]] = {}
        self.stalled_frames: collections.Counter[str] = collections.Counter()
        self._books: dict[str, tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]] = {}
        self._last_u: dict[str, int] = {}
        self._tops: dict[str, tuple[Any, ...]] = {}
        self._agg_ids = collections.defaultdict(lambda: 5_000_000)  # type: ignore[var-annotated]
        self._klines: dict[tuple[str, str], dict[str, Any]] = {}
        self._day: dict[str, dict[str, Any]] = {}
        self._next_mark = {"3s": 0.0, "1s": 0.0}
        self._next_due = {"ticker": 0.0, "arr": 0.0, "": 0.0, "@500ms": 0.0, "rpi": 0.0}
        self._closed_klines: list[dict[str, Any]] = []
        self._moved: dict[str, None] = {}  # symbols that traded since the klines went out
        self._ticker_due: dict[str, None] = {}
        self._arr_due: dict[str, None] = {}
        #: Diffs waiting for the next 250 ms (``@depth``) / 500 ms (``@depth@500ms``) push.
        self._slow: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._names: set[str] = set()  # every subscribed name (refreshed every tick)
        self._liquidations: dict[str, dict[str, Any]] = {}  # the latest of the last second
        self._next_info = 0.0
        #: Whether the exchange runs its live market (contract info then goes out now and then).
        self.live = False
        #: Depth-stream faults and the record of published books.
        self.depth = DepthFaults(server)

    # ------------------------------------------------------------------ connections

    @staticmethod
    def accepts(path: str) -> bool:
        """Whether ``path`` is a market stream URL path."""
        parts = path.strip("/").split("/", 2)
        return len(parts) >= 2 and parts[0] in ROUTES and parts[1] in ("ws", "stream")

    def attach(self, conn: Connection, path: str, qs: dict[str, list[str]]) -> None:
        """Register a new connection of a market path (others are left alone)."""
        if not self.accepts(path):
            return
        parts = path.strip("/").split("/", 2)
        sub = self.subs[conn.cid] = _Sub(parts[0])
        conn.combined = parts[1] == "stream"
        self._count_control_frames(conn, sub)
        names = parts[2].split("/") if len(parts) > 2 and parts[1] == "ws" else []
        for value in qs.get("streams", []):
            names += value.split("/")
        sub.streams.update(dict.fromkeys(n for n in names if n))
        if len(sub.streams) > self.max_streams:
            self._violate(conn, "Too many streams")

    def owns(self, conn: Connection) -> bool:
        """Whether ``conn`` is a market stream connection."""
        return conn.cid in self.subs

    def streams_of(self, cid: int) -> list[str]:
        """The streams of a connection, in subscription order."""
        sub = self.subs.get(cid)
        return [] if sub is None else list(sub.streams)

    def _count_control_frames(self, conn: Connection, sub: _Sub) -> None:
        """Count the pings and pongs ``conn`` receives toward its incoming-message limit.

        The websockets library answers pings and matches pongs below the message loop, so the
        count is taken where it processes each incoming frame.
        """
        process = conn.ws.process_event

        def process_event(event: Any) -> None:
            if isinstance(event, Frame) and event.opcode in (Opcode.PING, Opcode.PONG):
                self._over_limit(conn, sub)
            process(event)

        conn.ws.process_event = process_event  # type: ignore[method-assign]

    def _over_limit(self, conn: Connection, sub: _Sub) -> bool:
        """Count one incoming message; close with 1008 above the per-second limit."""
        now = self.server.loop.time()
        stamps = sub.stamps
        stamps.append(now)
        while stamps and stamps[0] <= now - 1.0:
            stamps.popleft()
        if len(stamps) > self.max_incoming_per_second:
            self._violate(conn, "Too many requests")
            return True
        return False

    def _violate(self, conn: Connection, reason: str) -> None:
        if not conn.closing:
            conn.closing = True
            self.server._spawn(conn.ws.close(1008, reason))

    # ------------------------------------------------------------------ control messages

    def handle(self, conn: Connection, message: Union[str, bytes]) -> bool:
        """Answer one frame of a market connection; False if ``conn`` is not one."""
        sub = self.subs.get(conn.cid)
        if sub is None:
            return False
        now = self.server.loop.time()
        text = message if isinstance(message, str) else message.decode("utf-8", "replace")
        self.received.append((conn.cid, sub.route, now, text))
        if self._over_limit(conn, sub):
            return True
        reply = self._answer(conn, sub, text)
        if reply is not None:
            self.server.enqueue(conn, dumps(reply))
        return True

    def _answer(self, conn: Connection, sub: _Sub, text: str) -> Optional[dict[str, Any]]:
        try:
            req = loads(text)
        except ValueError:
            return {"error": {"code": 3, "msg": "Invalid JSON: expected value"}, "id": None}
        if not isinstance(req, dict):
            return {"error": {"code": 2, "msg": "Invalid request: expected an object"}, "id": None}
        rid, method, params = req.get("id"), req.get("method"), req.get("params")
        # The docs ask for an unsigned int; both official connectors send UUID strings, and
        # they work against Binance, so a short string is accepted too.
        if not ((type(rid) is int and rid >= 0) or (type(rid) is str and 0 < len(rid) <= 64)):
            msg = "Invalid request: request ID must be an unsigned integer"
            return {"error": {"code": 2, "msg": msg}, "id": None}
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS") + (
            "SET_PROPERTY",
            "GET_PROPERTY",
        ):
            msg = f"Invalid request: unknown variant {method}, expected one of {_METHODS}"
            return {"error": {"code": 2, "msg": msg}, "id": rid}
        if method in self.mute:
            return None
        if method == "SUBSCRIBE" and self.reject:
            code, msg = self.reject.pop(0)
            return {"error": {"code": code, "msg": msg}, "id": rid}
        result: Any = None
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                msg = "Invalid request: params must be a list of stream names"
                return {"error": {"code": 2, "msg": msg}, "id": rid}
            if method == "SUBSCRIBE":
                sub.streams.update(dict.fromkeys(params))
                for name in params:  # a stall that heals on a new subscription
                    stall = self.stalled.get(name)
                    if stall is not None and stall[0] == "subscribe" and stall[1] is not None:
                        stall[1].discard(conn.cid)
                if len(sub.streams) > self.max_streams:
                    self._violate(conn, "Too many streams")
                    return None
            else:
                for name in params:
                    sub.streams.pop(name, None)
        elif method == "LIST_SUBSCRIPTIONS":
            result = list(sub.streams)
        else:
            if not isinstance(params, list) or not params:
                return {"error": {"code": 0, "msg": "Unknown property"}, "id": rid}
            if not isinstance(params[0], str):
                msg = "Invalid request: property name must be a string"
                return {"error": {"code": 2, "msg": msg}, "id": rid}
            if params[0] != "combined":
                return {"error": {"code": 0, "msg": "Unknown property"}, "id": rid}
            if method == "GET_PROPERTY":
                result = conn.combined
            elif len(params) < 2 or not isinstance(params[1], bool):
                msg = "Invalid value type: expected Boolean"
                return {"error": {"code": 1, "msg": msg}, "id": rid}
            else:
                conn.combined = params[1]
        return {"result": result, "id": rid}

    # ------------------------------------------------------------------ publishing

    def stall(self, name: str, heal: str) -> int:
        """Stop publishing ``name`` (see ``Faults.stall_stream``); returns connections affected."""
        cids = {cid for cid, sub in self.subs.items() if name in sub.streams}
        self.stalled[name] = (heal, None if heal == "resume" else cids)
        return len(cids)

    def publish(self, name: str, payload: Any) -> list[Connection]:
        """Send ``payload`` on stream ``name`` to the connections of its route subscribed to it."""
        route = route_of(name)
        sent = []
        conns = self.server.conns
        for cid, sub in list(self.subs.items()):
            conn = conns.get(cid)
            if conn is None:
                del self.subs[cid]
                continue
            if sub.route != route or name not in sub.streams or conn.silenced:
                continue
            stall = self.stalled.get(name)
            if stall is not None and (stall[1] is None or cid in stall[1]):
                self.stalled_frames[name] += 1
                continue
            data = {"stream": name, "data": payload} if conn.combined else payload
            self.server.enqueue(conn, dumps(data))
            sent.append(conn)
        return sent

    def _formats(self, symbol: str) -> tuple[Any, Any]:
        book = self.engine.books.get(symbol) if self.engine is not None else None
        return (book.fmt_price, book.fmt_qty) if book is not None else (_text, _text)

    def _wanted(self, *names: str) -> bool:
        return any(n in sub.streams for sub in self.subs.values() for n in names)

    def on_trade(
        self, symbol: str, price: Decimal, qty: Decimal, taker_side: str, trade_id: int, now: int
    ) -> None:
        """Engine hook: one fill → ``trade`` and ``aggTrade`` now; the klines and tickers it
        moves go out at their cadence (``tick``)."""
        if not self.subs:
            return
        s = symbol.lower()
        fp, fq = self._formats(symbol)
        self.publish(
            f"{s}@trade",
            {
                "e": "trade", "E": now, "T": now, "s": symbol, "t": trade_id, "p": fp(price),
                "q": fq(qty), "X": "MARKET", "m": taker_side == "SELL", "st": 1,
            },
        )  # fmt: skip
        self._agg_ids[symbol] += 1
        self.publish(
            f"{s}@aggTrade",
            {
                "e": "aggTrade", "E": now, "s": symbol, "a": self._agg_ids[symbol],
                "p": fp(price), "q": fq(qty), "nq": fq(qty), "f": trade_id,
                "l": trade_id, "T": now, "m": taker_side == "SELL", "st": 1,
            },
        )  # fmt: skip
        for interval, span in _KLINE_MS.items():
            key = (symbol, interval)
            start = now - now % span
            k = self._klines.get(key)
            if k is not None and k["t"] != start:
                self._closed_klines.append(dict(k, x=True))
                k = None
            if k is None:
                k = self._klines[key] = {
                    "t": start, "T": start + span - 1, "s": symbol, "i": interval, "f": trade_id,
                    "L": trade_id, "o": price, "c": price, "h": price, "l": price,
                    "v": Decimal(0), "n": 0, "x": False, "q": Decimal(0), "V": Decimal(0),
                    "Q": Decimal(0), "B": "0",
                }  # fmt: skip
            k.update(L=trade_id, c=price, h=max(k["h"], price), l=min(k["l"], price))
            k.update(v=k["v"] + qty, n=k["n"] + 1, q=k["q"] + price * qty)
            if taker_side == "BUY":
                k.update(V=k["V"] + qty, Q=k["Q"] + price * qty)
        day = self._day.setdefault(
            symbol, {"o": price, "h": price, "l": price, "v": Decimal(0), "q": Decimal(0),
                     "F": trade_id, "n": 0, "O": now},
        )  # fmt: skip
        day.update(h=max(day["h"], price), l=min(day["l"], price), n=day["n"] + 1)
        day.update(v=day["v"] + qty, q=day["q"] + price * qty, c=price, Q=qty, L=trade_id, C=now)
        self._moved.update({symbol: None})
        self._ticker_due.update({symbol: None})
        self._arr_due.update({symbol: None})

    def _publish_klines(self, now: int) -> None:
        """Every 250 ms: the klines that trades moved (closed ones first, with ``x`` true)."""
        closed, self._closed_klines = self._closed_klines, []
        moved, self._moved = self._moved, {}
        for k in closed + [k for (sym, _), k in self._klines.items() if sym in moved]:
            symbol = str(k["s"])
            name = f"{symbol.lower()}@kline_{k['i']}"
            # the perpetual's continuous contract: the same klines under the pair's name
            cont = f"{symbol.lower()}_perpetual@continuousKline_{k['i']}"
            if name in self._names or cont in self._names:
                shown = {a: _text(b) if isinstance(b, Decimal) else b for a, b in k.items()}
                self.publish(name, {"e": "kline", "E": now, "s": symbol, "k": shown})
                del shown["s"]
                self.publish(
                    cont,
                    {
                        "e": "continuous_kline",
                        "E": now,
                        "ps": symbol,
                        "ct": "PERPETUAL",
                        "k": shown,
                    },
                )

    def _tickers(self, symbol: str, now: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The 24 h mini ticker and ticker of ``symbol`` (which has traded)."""
        day = self._day[symbol]
        price = day["c"]
        mini = {
            "e": "24hrMiniTicker", "E": now, "s": symbol, "c": _text(price),
            "o": _text(day["o"]), "h": _text(day["h"]), "l": _text(day["l"]),
            "v": _text(day["v"]), "q": _text(day["q"]), "ps": symbol, "st": 1,
        }  # fmt: skip
        change = price - day["o"]
        ticker = dict(
            mini,
            e="24hrTicker", p=_text(change),
            P=_text((change / day["o"] * 100).quantize(Decimal("0.001"))) if day["o"] else "0",
            w=_text((day["q"] / day["v"]).quantize(Decimal("1e-8"))) if day["v"] else "0",
            Q=_text(day["Q"]), O=day["O"], C=day["C"], F=day["F"], L=day["L"], n=day["n"],
        )  # fmt: skip
        return mini, ticker

    def on_liquidation(self, symbol: str, side: str, qty: Decimal, avg: Decimal, now: int) -> None:
        """Flow hook: a liquidation order filled; the streams send the latest each second."""
        fp, fq = self._formats(symbol)
        self._liquidations[symbol] = {
            "e": "forceOrder", "E": now,
            "o": {
                "s": symbol, "S": side, "o": "LIMIT", "f": "IOC", "q": fq(qty), "p": fp(avg),
                "ap": fp(avg), "X": "FILLED", "l": fq(qty), "z": fq(qty), "T": now,
            },
        }  # fmt: skip

    def publish_contract_info(self, symbol: str, now: int) -> None:
        """``!contractInfo`` for ``symbol`` (a listing, or its brackets updated)."""
        self.publish(
            "!contractInfo",
            {
                "e": "contractInfo", "E": now, "s": symbol, "ct": "PERPETUAL",
                "dt": 4133404800000, "ot": 1569398400000, "cs": "TRADING",
                "bks": [{"bs": 1, "bnf": 0, "bnc": 50000, "mmr": 0.004, "cf": 0, "mi": 20,
                         "ma": 125}],
                "st": 1,
            },
        )  # fmt: skip

    def _publish_tickers(self, loop_now: float, now: int) -> None:
        """Tickers of the symbols that traded: every 2 s per symbol, every 1 s in arrays."""
        if loop_now >= self._next_due["ticker"] and self._ticker_due:
            self._next_due["ticker"] = loop_now + 2.0
            due, self._ticker_due = self._ticker_due, {}
            for symbol in due:
                mini, ticker = self._tickers(symbol, now)
                self.publish(f"{symbol.lower()}@miniTicker", mini)
                self.publish(f"{symbol.lower()}@ticker", ticker)
        if loop_now >= self._next_due["arr"] and self._arr_due:
            self._next_due["arr"] = loop_now + 1.0
            due, self._arr_due = self._arr_due, {}
            pairs = [self._tickers(symbol, now) for symbol in due]
            self.publish("!miniTicker@arr", [mini for mini, _ in pairs])
            self.publish("!ticker@arr", [ticker for _, ticker in pairs])

    def on_placeholder(self, symbol: str, trade_id: int, now: int) -> None:
        """Engine hook: a trade id spent without a fill → a ``trade`` priced and sized 0."""
        if self.subs:
            self.publish(
                f"{symbol.lower()}@trade",
                {
                    "e": "trade", "E": now, "T": now, "s": symbol, "t": trade_id, "p": "0",
                    "q": "0", "X": "NA", "m": True, "st": 1,
                },
            )  # fmt: skip

    def baseline(self) -> None:
        """Take the engine's books as published, without a diff (at start: like Binance, a
        subscriber gets diffs of changes only; a still book sends none)."""
        assert self.engine is not None
        for symbol, book in self.engine.books.items():
            bids = dict(book.levels("BUY", 1000))
            asks = dict(book.levels("SELL", 1000))
            self._books[symbol] = (bids, asks)
            self._last_u[symbol] = book.update_id
            self.depth.record(symbol, book.update_id, bids, asks)

    def after_change(self) -> None:
        """After every WS API request and flow step: publish what changed in the books (also
        with no subscriber, so that the first diff anyone gets is of one change)."""
        engine = self.engine
        if engine is None:
            return
        now = engine.now_ms()
        for symbol, book in engine.books.items():
            if book.update_id == self._last_u.get(symbol):
                continue  # unchanged since published (every change bumps the update id)
            s = symbol.lower()
            bids = dict(book.levels("BUY", 1000))
            asks = dict(book.levels("SELL", 1000))
            old_bids, old_asks = self._books.get(symbol, ({}, {}))
            if (bids, asks) == (old_bids, old_asks):
                continue
            self._books[symbol] = (bids, asks)
            last = self._last_u.get(symbol, 0)
            if book.update_id <= last:
                book.update_id = last + 1  # a fill that left its level: still a new update
            u = self._last_u[symbol] = book.update_id
            fp, fq = book.fmt_price, book.fmt_qty
            diff_b = [[fp(p), fq(q)] for p, q in _diff(old_bids, bids, reverse=True)]
            diff_a = [[fp(p), fq(q)] for p, q in _diff(old_asks, asks, reverse=False)]
            # The first diff published is against an empty book: it covers the last update only.
            first = last + 1 if last else u
            event = {
                "e": "depthUpdate", "E": now, "T": now, "s": symbol, "U": first, "u": u,
                "pu": last, "b": diff_b, "a": diff_a, "ps": symbol, "st": 1,
            }  # fmt: skip
            for out in self.depth.deliver(symbol, event, bids, asks):
                self.publish_depth(symbol, out)
            for levels in (5, 10, 20):
                top_b = [[fp(p), fq(q)] for p, q in list(bids.items())[:levels]]
                top_a = [[fp(p), fq(q)] for p, q in list(asks.items())[:levels]]
                partial = dict(event, b=top_b, a=top_a)
                for suffix in ("", "@100ms", "@500ms"):
                    self.publish(f"{s}@depth{levels}{suffix}", partial)
            best_b = next(iter(bids.items()), (Decimal(0), Decimal(0)))
            best_a = next(iter(asks.items()), (Decimal(0), Decimal(0)))
            if self._tops.get(symbol) != (best_b, best_a):
                self._tops[symbol] = (best_b, best_a)
                ticker = {
                    "e": "bookTicker", "u": u, "E": now, "T": now, "s": symbol, "ps": symbol,
                    "b": fp(best_b[0]), "B": fq(best_b[1]), "a": fp(best_a[0]),
                    "A": fq(best_a[1]), "st": 1,
                }  # fmt: skip
                self.publish(f"{s}@bookTicker", ticker)
                self.publish("!bookTicker", ticker)

    def publish_depth(self, symbol: str, event: dict[str, Any]) -> list[Connection]:
        """Send one diff on ``<symbol>@depth@100ms`` now, and keep it for the 250 ms and 500 ms
        speeds, which get the diffs of their interval merged into one (``tick``)."""
        s = symbol.lower()
        for suffix in ("", "@500ms"):
            if self._wanted(f"{s}@depth{suffix}"):
                self._slow.setdefault((symbol, suffix), []).append(event)
        if self._wanted(f"{s}@rpiDepth@500ms"):  # no RPI orders here: the same diffs
            self._slow.setdefault((symbol, "rpi"), []).append(event)
        return self.publish(f"{s}@depth@100ms", event)

    def _publish_slow_depth(self, loop_now: float) -> None:
        for suffix, period in (("", 0.25), ("@500ms", 0.5), ("rpi", 0.5)):
            if loop_now < self._next_due[suffix]:
                continue
            self._next_due[suffix] = loop_now + period - 0.01
            for symbol in [sym for sym, suf in self._slow if suf == suffix]:
                events = self._slow.pop((symbol, suffix))
                name = "@rpiDepth@500ms" if suffix == "rpi" else f"@depth{suffix}"
                self.publish(f"{symbol.lower()}{name}", _merged(events))

    def tick(self) -> None:
        """About four times a second: book changes, the slower depth speeds, klines (250 ms),
        tickers (2 s, arrays 1 s) and mark prices (3 s, ``@1s``) when due."""
        engine = self.engine
        if engine is None or not self.subs:
            return
        self._names = set().union(*(sub.streams for sub in self.subs.values()))
        self.after_change()
        loop_now = self.server.loop.time()
        now = engine.now_ms()
        self._publish_slow_depth(loop_now)
        self._publish_klines(now)
        self._publish_tickers(loop_now, now)
        for speed, period in (("3s", 3.0), ("1s", 1.0)):
            if loop_now < self._next_mark[speed]:
                continue
            self._next_mark[speed] = loop_now + period
            marks: list[dict[str, Any]] = []
            for symbol, book in engine.books.items():
                bid, ask = book.best("BUY"), book.best("SELL")
                mark = (bid + ask) / 2 if bid is not None and ask is not None else book.last_price
                nxt = now - now % 28_800_000 + 28_800_000
                marks.append(
                    {
                        "e": "markPriceUpdate", "E": now, "s": symbol, "p": _text(mark),
                        "i": _text(mark), "P": _text(mark), "r": "0.00010000", "ap": _text(mark),
                        "T": nxt, "st": 1,
                    }
                )  # fmt: skip
            suffix = "" if speed == "3s" else "@1s"
            for mark_event in marks:
                self.publish(f"{str(mark_event['s']).lower()}@markPrice{suffix}", mark_event)
            self.publish(f"!markPrice@arr{suffix}", marks)
            if speed == "1s":
                self._publish_indexes(now, marks)
                for symbol, event in self._liquidations.items():  # the latest of the second
                    self.publish(f"{symbol.lower()}@forceOrder", event)
                    self.publish("!forceOrder@arr", event)
                self._liquidations = {}
        if self.live and loop_now >= self._next_info and "!contractInfo" in self._names:
            self._next_info = loop_now + 5.0  # the live market's contracts change now and then
            symbols = sorted(engine.books)
            self.publish_contract_info(symbols[int(loop_now / 5) % len(symbols)], now)

    def _publish_indexes(self, now: int, marks: list[dict[str, Any]]) -> None:
        """Every second, as Binance: asset indexes, one composite index (``DEFIUSDT``, of every
        listed symbol), and the TradFi trading session."""
        names = self._names
        assets = []
        for mark in marks:
            symbol = str(mark["s"])
            if not symbol.endswith("USDT"):
                continue
            index = Decimal(str(mark["p"]))
            asset = {
                "e": "assetIndexUpdate", "E": now, "s": symbol[:-4] + "USD", "i": _text(index),
                "b": "0.10000000", "a": "0.10000000", "B": _text(index * Decimal("0.9")),
                "A": _text(index * Decimal("1.1")), "q": "0.05000000", "g": "0.05000000",
                "Q": _text(index * Decimal("0.95")), "G": _text(index * Decimal("1.05")),
            }  # fmt: skip
            assets.append(asset)
            self.publish(f"{str(asset['s']).lower()}@assetIndex", asset)
        if "!assetIndex@arr" in names and assets:
            self.publish("!assetIndex@arr", assets)
        if "defiusdt@compositeIndex" in names and marks:
            weight = Decimal(1) / len(marks)
            parts = [
                {"b": str(m["s"])[:-4], "q": "USDT", "w": "1.00000000", "W": _text(weight),
                 "i": str(m["p"])}
                for m in marks
                if str(m["s"]).endswith("USDT")
            ]  # fmt: skip
            price = sum((Decimal(str(m["p"])) * weight for m in marks), Decimal(0))
            self.publish(
                "defiusdt@compositeIndex",
                {"e": "compositeIndex", "E": now, "s": "DEFIUSDT", "p": _text(price),
                 "C": "baseAsset", "c": parts},
            )  # fmt: skip
        if "tradingSession" in names:
            start = now - now % 28_800_000
            self.publish(
                "tradingSession",
                {"e": "EquityUpdate", "E": now, "t": start, "T": start + 28_800_000,
                 "S": "REGULAR"},
            )  # fmt: skip


def _merged(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Consecutive diffs as one: the first's ``U`` and ``pu``, the last's ``u`` and times, each
    level at its latest quantity."""
    if len(events) == 1:
        return events[0]
    bids: dict[str, str] = {}
    asks: dict[str, str] = {}
    for event in events:
        bids.update(event["b"])
        asks.update(event["a"])
    first, last = events[0], events[-1]
    return dict(
        last,
        U=first["U"],
        pu=first["pu"],
        b=[[p, q] for p, q in sorted(bids.items(), key=lambda x: -Decimal(x[0]))],
        a=[[p, q] for p, q in sorted(asks.items(), key=lambda x: Decimal(x[0]))],
    )


def _diff(
    old: dict[Decimal, Decimal], new: dict[Decimal, Decimal], reverse: bool
) -> list[tuple[Decimal, Decimal]]:
    """Levels that changed, with absolute quantities; 0 for a level that is gone."""
    out = [(p, q) for p, q in new.items() if old.get(p) != q]
    out += [(p, Decimal(0)) for p in old if p not in new]
    return sorted(out, reverse=reverse)
