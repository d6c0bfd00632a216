"""``LocalExchange``: the public face of the loopback Binance USDⓈ-M futures exchange."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Callable, Optional, Union

from . import _algo_methods, _methods, _trade_methods  # noqa: F401  (they register methods)
from ._common import dumps, random_alnum
from ._dispatch import Dispatcher
from ._faults import Faults
from ._flow import MarketFlow
from ._private import DELIVERING_FORMS, PrivateRoutes, UserDataSubscription
from ._server import Connection, Server
from ._state import INVALID_KEY, ApiKeys, ExchangeClock, ListenKeys, RateLimiter, _Window
from ._trading import Engine, Number

__all__ = ["LocalExchange", "RecordedRequest"]

log = logging.getLogger("binance_usdm_ws.testing")


@dataclass(frozen=True)
class RecordedRequest:
    """One frame received on the WS API, as parsed (``method`` None when unparseable).

    ``received`` is ``time.monotonic()`` when the exchange read it (how far apart requests came).
    """

    conn_id: int
    id: Any
    method: Optional[str]
    params: dict[str, Any]
    raw: str
    received: float = 0.0


class LocalExchange:
    """A loopback Binance USDⓈ-M futures exchange speaking the WS API and user data streams.

    Use it as a context manager: ``with LocalExchange() as ex: ex.ws_api_url``. It runs an
    asyncio ``websockets`` server in one daemon thread; every public method is thread-safe
    and takes effect before returning.

    Like production, its market is live by default: makers and takers of its own (``_flow.py``)
    trade every 100 ms around a wandering mid price, so every market stream and local order
    book shows data within a second. ``quiet=True`` keeps the market still: the books change
    only by the accounts' orders and ``set_book`` (what most tests want).

    User data is served like production: ``<streams_url>/private/ws?listenKey=<key>``
    (``&events=A/B``: an allow list; ``listenKeyExpired`` only if listed or no filter) and
    ``SUBSCRIBE ["<key>"]`` on ``<streams_url>/private/stream`` deliver; the path form
    ``/private/ws/<key>`` and the retired ``/ws/<key>`` accept the handshake and then deliver
    nothing, with no error and no close. ``user_data_url_forms`` chooses which forms deliver,
    e.g. ``frozenset({"path"})`` for an environment that serves only the path form, or
    ``{"unrouted"}`` for one like the testnet measurement. ``user_data_subscriptions`` records
    each key given to a socket with its form.

    Args:
        host: Interface to bind.
        port: TCP port; 0 picks a free one.
        ping_interval: Seconds between server ping frames (Binance: 180); None disables.
        ping_timeout: Seconds a server ping may stay unanswered before the server closes the
            connection (close code 1008; Binance: 600); None disables.
        max_connection_age: Seconds after which a connection is closed (code 1000, like
            Binance's 24 h limit), measured on the **simulated clock** (so ``clock.advance``
            triggers it); None disables.
        enforce_rate_limits: Reject requests over the limits with 429 (and 418 bans).
        require_signature_checks: Verify signatures; False accepts any non-empty signature.
        recv_window_default: recvWindow (ms) when a request sends none.
        weight_limit_per_minute: REQUEST_WEIGHT limit per window.
        weight_window_seconds: The REQUEST_WEIGHT window (Binance: 60); ``rateLimits`` reports
            it (``MINUTE``/``intervalNum`` for whole minutes, else ``SECOND``).
        order_limit_per_10s: ORDERS limit per 10 seconds (per API key).
        order_limit_per_minute: ORDERS limit per minute (per API key).
        ban_after_violations: Rate-limit violations after which the "IP" is banned (418).
        ban_seconds: Length of the ban (simulated clock).
        strict_params: Reject unknown params (-1104) and numbers of the wrong JSON type.
        replenish_book: Restore the seeded maker levels after each match (endless liquidity);
            the fill's depth change is published first, then the restored levels.
        quiet: No order flow of the exchange's own: a still market.
        seed: Seed of the live market's order flow (the same orders every run); None: random.
        api_key: The default API key (random when None).
        api_secret: Its HMAC secret (random when None).
        initial_balance: USDT wallet balance of each new account.
        max_recorded_requests: How many received frames ``requests`` keeps (the latest);
            None keeps all.
        ssl_context: A server-side TLS context: the exchange then serves ``wss://`` (e.g. with
            a certificate from a test CA made by ``trustme``).
        user_data_url_forms: The user data URL forms that deliver events, among ``"query"``
            (``/private/ws?listenKey=``, ``/private/stream?listenKey=``), ``"subscribe"``
            (``SUBSCRIBE`` on ``/private/stream``), ``"path"`` (``/private/ws/<key>``) and
            ``"unrouted"`` (``/ws/<key>``). Default: ``{"query", "subscribe"}``, as production.
            The others still accept the handshake. ``ValueError`` for an unknown form.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ping_interval: Optional[float] = 180.0,
        ping_timeout: Optional[float] = 600.0,
        max_connection_age: Optional[float] = None,
        enforce_rate_limits: bool = False,
        require_signature_checks: bool = True,
        recv_window_default: int = 5000,
        weight_limit_per_minute: int = 2400,
        weight_window_seconds: int = 60,
        order_limit_per_10s: int = 300,
        order_limit_per_minute: int = 1200,
        ban_after_violations: int = 3,
        ban_seconds: float = 120.0,
        strict_params: bool = False,
        replenish_book: bool = False,
        quiet: bool = False,
        seed: Optional[int] = None,
        api_key: Optional[str] = None,
        api_secret: Optional[str] = None,
        initial_balance: Union[str, Decimal] = "100000",
        max_recorded_requests: Optional[int] = 100_000,
        ssl_context: Optional[ssl.SSLContext] = None,
        user_data_url_forms: Iterable[str] = DELIVERING_FORMS,
    ) -> None:
        forms = PrivateRoutes.check_forms(user_data_url_forms)
        self.clock = ExchangeClock(on_advance=self._on_advance)
        self.api_key = api_key or random_alnum(64)
        self.api_secret = api_secret or random_alnum(64)
        self._requests: deque[RecordedRequest] = deque(maxlen=max_recorded_requests)
        self._lock = threading.Lock()
        self._keys = ApiKeys()
        self._keys.add(self.api_key, secret=self.api_secret)
        self._listen_keys = ListenKeys()
        self._limiter = RateLimiter(
            weight_limit=weight_limit_per_minute,
            weight=_Window(weight_window_seconds * 1000),
            orders_10s_limit=order_limit_per_10s,
            orders_1m_limit=order_limit_per_minute,
            enforce=enforce_rate_limits,
            ban_after=ban_after_violations,
            ban_seconds=ban_seconds,
        )
        self._engine = Engine(
            self.clock.now_ms, self._emit, replenish_book, Decimal(initial_balance)
        )
        self._dispatcher = Dispatcher(
            clock=self.clock,
            keys=self._keys,
            listen_keys=self._listen_keys,
            limiter=self._limiter,
            engine=self._engine,
            on_listen_key_expired=self._listen_key_expired,
            strict_params=strict_params,
            require_signature_checks=require_signature_checks,
            recv_window_default=recv_window_default,
        )
        self._server = Server(
            host=host,
            port=port,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_connection_age=max_connection_age,
            now_ms=self.clock.now_ms,
            dispatch=self._dispatch,
            record=self._record,
            on_tick=self._tick,
            ssl_context=ssl_context,
            user_data_url_forms=forms,
        )
        self.faults = Faults(self._server, recv_window_default)
        self.market = self._server.market
        self.market.engine = self._engine
        self.market.baseline()
        #: Depth-stream faults and the published books (see ``_depth_faults.py``).
        self.depth = self.market.depth
        self._engine.depth_faults = self.depth
        self._engine.on_trade = self.market.on_trade
        self._engine.on_placeholder = self.market.on_placeholder
        #: The live market's order flow (None when ``quiet``).
        self.flow: Optional[MarketFlow] = None if quiet else MarketFlow(self._engine, seed)
        if self.flow is not None:
            self.flow.on_liquidation = self.market.on_liquidation
            self.market.live = True
        self._started = False

    # --------------------------------------------------------------------------- lifecycle

    def start(self) -> LocalExchange:
        """Start the server thread (idempotent); returns self."""
        if not self._started:
            self._server.start()
            self._started = True
            if self.flow is not None:
                self._server.call(lambda: self._server._spawn(self._run_flow()))
        return self

    async def _run_flow(self) -> None:
        """Every 100 ms: one step of the order flow, and its changes published."""
        assert self.flow is not None
        while True:
            await asyncio.sleep(0.1)
            try:
                self.flow.step()
                self._publish_changes()
            except Exception:  # pragma: no cover - a bug must not stop the market
                log.exception("local exchange: market flow failed")

    def stop(self) -> None:
        """Close all connections, stop the server and join its thread (idempotent)."""
        if self._started:
            self._started = False
            self._server.stop()

    def __enter__(self) -> LocalExchange:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """The bound interface."""
        return self._server.host

    @property
    def port(self) -> int:
        """The bound TCP port (after start)."""
        if not self._started:
            raise RuntimeError("the exchange is not started; use `with LocalExchange() as ex:`")
        return self._server.port

    @property
    def ws_api_url(self) -> str:
        """The WS API URL, ``ws://127.0.0.1:<port>/ws-fapi/v1`` (``wss://`` with TLS)."""
        return f"{self.streams_url}/ws-fapi/v1"

    @property
    def streams_url(self) -> str:
        """The streams base URL; user data is at ``<streams_url>/private/ws?listenKey=<key>``."""
        scheme = "wss" if self._server.ssl_context is not None else "ws"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def handshakes(self) -> list[tuple[str, dict[str, str]]]:
        """(path, headers) of every WebSocket handshake received, e.g. to read ``User-Agent``."""
        return list(self._server.handshakes)

    # ------------------------------------------------------------------------- inspection

    @property
    def issued_listen_keys(self) -> list[str]:
        """Every listenKey handed out so far, in order, expired and stopped ones included."""
        return list(self._listen_keys.issued)

    @property
    def user_data_url_forms(self) -> frozenset[str]:
        """The user data URL forms that deliver events (see the class docstring)."""
        return self._server.private.forms

    @property
    def user_data_subscriptions(self) -> list[UserDataSubscription]:
        """Each listenKey given to a stream socket, in order: its ``form`` (``"query"``,
        ``"subscribe"``, ``"path"``, ``"unrouted"``), ``events`` filter and whether it
        ``delivers``."""
        return list(self._call(lambda: list(self._server.private.log)))

    def _record(
        self, conn: Connection, req_id: Any, method: Optional[str], params: dict[str, Any], raw: str
    ) -> None:
        with self._lock:
            self._requests.append(
                RecordedRequest(conn.cid, req_id, method, params, raw, time.monotonic())
            )

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every frame received on the WS API, in order."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    @property
    def api_connection_count(self) -> int:
        """How many WS API connections are open."""
        return self._server.count("api")

    @property
    def stream_connection_count(self) -> int:
        """How many user-data stream connections are open."""
        return self._server.count("stream")

    def pings_answered(self, kind: str = "all") -> int:
        """Count the server pings answered with a pong before ``ping_timeout``.

        Args:
            kind: ``"api"``, ``"stream"`` or ``"all"`` connections.
        """
        counts = self._server.pongs
        return sum(counts.values()) if kind == "all" else counts[kind]

    def pong_timeouts(self, kind: str = "all") -> int:
        """Count the connections closed (code 1008) for a ping unanswered for ``ping_timeout``.

        Binance does so after 10 minutes. ``kind``: ``"api"``, ``"stream"`` or ``"all"``.
        """
        counts = self._server.pong_timeouts
        return sum(counts.values()) if kind == "all" else counts[kind]

    @staticmethod
    def wait_for(
        predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01
    ) -> None:
        """Poll ``predicate`` until it returns a true value.

        Raises:
            AssertionError: If it is still false after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            time.sleep(interval)

    # ------------------------------------------------------------------------ keys & pushes

    def add_api_key(
        self,
        api_key: str,
        secret: Optional[str] = None,
        public_key_pem: Union[str, bytes, None] = None,
    ) -> None:
        """Register an API key with an HMAC ``secret`` or an RSA/Ed25519 public key (PEM).

        A key registered with neither can only call USER_STREAM methods.

        Raises:
            ValueError: If both are given, or the PEM is not an RSA/Ed25519 public key.
        """
        self._call(lambda: self._keys.add(api_key, secret, public_key_pem))

    def revoke_api_key(self, api_key: str) -> None:
        """Make ``api_key`` invalid; sessions logged on with it get the id:null -2015 frame."""

        async def run() -> None:
            self._keys.revoke(api_key)
            status, code, msg = INVALID_KEY
            text = dumps({"id": None, "status": status, "error": {"code": code, "msg": msg}})
            conns = [c for c in self._server.select("api") if c.session.api_key == api_key]
            for conn in conns:
                self._server.enqueue(conn, text)
            await self._server.flush(conns)

        self._run(run())

    def push_api(self, obj: Any) -> None:
        """JSON-encode ``obj`` and send it to every WS API connection."""

        async def run() -> None:
            conns = self._server.select("api")
            text = dumps(obj)
            for conn in conns:
                self._server.enqueue(conn, text)
            await self._server.flush(conns)

        self._run(run())

    def push_event(self, payload: dict[str, Any], listen_key: Optional[str] = None) -> None:
        """Send ``payload`` to user-data stream connections (all, or those of ``listen_key``)."""

        async def run() -> None:
            await self._server.flush(self._server.push_stream(payload, listen_key))

        self._run(run())

    def publish(self, stream: str, payload: Any, *, copies: int = 1) -> int:
        """Send ``payload`` on market stream ``stream`` (to the subscribed connections of its
        route, wrapped on combined ones) and wait until written; returns how many got it.

        ``copies`` > 1 sends the same frame that many times in a row (the duplicates fault).
        """
        return self.publish_burst(stream, [payload] * copies)

    def publish_burst(self, stream: str, payloads: list[Any]) -> int:
        """Send every payload on ``stream`` at once, back to back (the burst fault), and wait
        until all are written; returns how many connections got them."""

        async def run() -> int:
            conns: set[Any] = set()
            for payload in payloads:
                conns.update(self._server.market.publish(stream, payload))
            await self._server.flush(list(conns), timeout=30.0)
            return len(conns)

        return int(self._server.call_async(run())) if self._started else 0

    def market_subscriptions(self) -> list[tuple[str, list[str]]]:
        """``(route, streams)`` of every open market stream connection."""
        market = self._server.market

        def read() -> list[tuple[str, list[str]]]:
            return [
                (sub.route, list(sub.streams))
                for cid, sub in market.subs.items()
                if cid in self._server.conns
            ]

        return list(self._call(read))

    def market_control_frames(self) -> list[tuple[int, str, float, str]]:
        """Every frame received on market connections: ``(cid, route, loop time, text)``."""
        return list(self._call(lambda: list(self._server.market.received)))

    def set_book(
        self,
        symbol: str,
        bids: Iterable[tuple[Number, Number]] = (),
        asks: Iterable[tuple[Number, Number]] = (),
        last_price: Optional[Number] = None,
    ) -> None:
        """Replace the market-maker levels of ``symbol`` (accounts' resting orders stay).

        Args:
            symbol: Symbol; a new one gets tick 0.01, step 0.001, min notional 5.
            bids: ``(price, qty)`` levels.
            asks: ``(price, qty)`` levels.
            last_price: New last trade price (optional).
        """
        bid_list, ask_list = list(bids), list(asks)
        self._call(lambda: self._engine.set_book(symbol, bid_list, ask_list, last_price))

    def set_trade_placeholders(self, every: int) -> None:
        """Spend every trade id that is a multiple of ``every`` without a fill, as Binance does
        now and then: that id is published on ``<symbol>@trade`` priced and sized ``0``
        (``X`` = ``NA``) and the fill takes the next id.

        Args:
            every: 100 by default (about 1 % of the ids, as measured on production); 1 makes
                every other id a placeholder; 0 never.
        """
        if isinstance(every, bool) or not isinstance(every, int) or every < 0:
            raise ValueError(f"every: expected an int >= 0, got {every!r}")
        self._call(lambda: setattr(self._engine, "placeholder_every", every))

    def client_order_ids(self, api_key: Optional[str] = None) -> list[str]:
        """The client order ids of every order the exchange accepted for ``api_key``, in order.

        Args:
            api_key: The account; the default API key when None.
        """
        key = api_key or self.api_key

        def read() -> list[str]:
            mine = [o for book in self._engine.orders.values() for o in book.values()]
            mine = [o for o in mine if o.owner == key]
            return [o.client_order_id for o in sorted(mine, key=lambda o: (o.time, o.order_id))]

        result: list[str] = self._call(read)
        return result

    # ---------------------------------------------------------------------------- internals

    def _call(self, fn: Callable[[], Any]) -> Any:
        return self._server.call(fn) if self._started else fn()

    def _run(self, coro: Any) -> None:
        if self._started:
            self._server.call_async(coro)
        else:
            coro.close()

    def _dispatch(self, *args: Any) -> dict[str, Any]:
        reply = self._dispatcher(*args)
        self._publish_changes()  # book changes go out before the reply
        return reply

    def _publish_changes(self) -> None:
        """Publish the books' changes; with ``replenish_book``, the fills' first, then the
        restored levels (each fill shows on the depth stream)."""
        self._server.market.after_change()
        if self._engine.replenish_now():
            self._server.market.after_change()

    def _emit(self, api_key: str, payload: dict[str, Any]) -> None:
        key = self._listen_keys.key_of(api_key)
        if key is not None:
            self._server.push_stream(payload, key)

    def _listen_key_expired(self, key: str, api_key: str) -> None:
        payload = {"e": "listenKeyExpired", "E": self.clock.now_ms(), "listenKey": key}
        self._server.push_stream(payload, key)

    def _tick(self) -> None:
        now = self.clock.now_ms()
        self._dispatcher.expire_listen_keys(now)
        self._engine.tick(now)
        if self._engine.replenish_now():
            self._server.market.after_change()
        self._server.market.tick()

    def _on_advance(self) -> None:
        if not self._started:
            return
        if self._server.in_loop():
            self._tick()
            self._server.check_ages()
            return

        async def run() -> None:
            self._tick()
            self._server.check_ages()
            await self._server.flush(self._server.select("all"))

        self._server.call_async(run())
