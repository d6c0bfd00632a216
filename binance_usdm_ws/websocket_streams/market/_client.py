"""The market streams client, ``client.websocket_streams``: routed, acknowledged, paced, sharded.

Built on the package's stream core, like the user data stream: the stream supervisor
(``_core/_supervisor.py``) keeps every socket alive — silence detection, reconnect with backoff
and jitter, make-before-break rotation without gaps or duplicates — and each handle is a
``StreamConsumer`` (bounded queue whose overflow yields ``StreamGap(reason="overflow",
dropped=n)``, decoding in the consumer's thread, iterator, ``get``, callbacks and their delivery
thread). This module adds what market streams need on top: routing, subscriptions, pacing,
sharding and handles.

Rules:

* **Routing.** Every name is parsed before anything is sent (:func:`parse_stream_name`); each
  goes to a socket of its route, ``<base>/public/stream`` or ``<base>/market/stream``, opened
  on first use. A socket holds at most ``max_streams_per_connection`` streams; more open further
  sockets of the same route (shards).
* **Acknowledged.** ``SUBSCRIBE`` goes out in chunks of ``max_streams_per_subscribe`` names; the
  call returns once every chunk is acknowledged. An error reply raises
  :class:`SubscriptionRejected` (``code``, ``msg``), no reply ``RequestTimeout``; the streams
  this call added are then released again. Control-frame ids are unsigned ints.
* **Paced.** Control frames of one socket stay within ``max_control_messages_per_second`` in any
  one-second window (a strict sliding window, no burst): Binance closes a socket with 1008
  above 10 incoming messages per second, its pongs included.
* **Handles.** Handles on one stream share the subscription; ``unsubscribe()`` removes only its
  own handle and sends ``UNSUBSCRIBE`` for the streams no other handle uses.
* **Reconnect.** A socket that drops or falls silent is reopened by the supervisor with
  exponential backoff and jitter, and its streams are subscribed again (paced, chunked) before
  it counts; every handle of that socket then gets one ``StreamGap(reason="reconnect")``, before
  the first new item.
* **Silent streams.** One stream that stops while its socket lives is reported on its handles
  (``StreamSilent``), resubscribed, then its socket replaced; a ``StreamGap(reason="silent")``
  precedes its first frame back (``_silence.py``).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Optional, TypeVar

from ..._config import ConfigurationWebsocketStreams
from ..._core._control import control_request
from ..._core._params import USE_CLIENT_DEFAULT, Timeout, UseClientDefault
from ..._core._stream_delivery import StreamGap, now_ms
from ..._core._supervisor import Link, Slot, Supervised, Supervisor
from ...errors import (
    BinanceWsError,
    ClientClosed,
    ConnectionClosed,
    InvalidRequest,
)
from ._builders import MarketApi, PublicApi
from ._handle import StreamHandle, _shown
from ._request import Route, StreamTransport, parse_stream_name
from ._silence import StreamSilent, Watch, Watchdog

__all__ = ["StreamSilent", "WebsocketStreams"]

logger = logging.getLogger("binance_usdm_ws")
T = TypeVar("T")
_WINDOW = 1.0
#: Added to the pacing window: frames must also *arrive* within the server's window.
_MARGIN = 0.05


class _Shard(Slot):
    """One stream socket of a route (a supervised slot) and the streams it holds."""

    __slots__ = ("route", "streams")

    def __init__(self, route: Route, number: int) -> None:
        super().__init__(f"binance-usdm-ws-streams-{route.value}{number}")
        self.route = route
        self.streams: dict[str, None] = {}  # acknowledged, in order


def _check_property(name: Any) -> None:
    if name != "combined":
        raise InvalidRequest(
            f"property: expected 'combined' (the only one Binance documents), got {name!r}",
            param="property",
        )


def _live(shard: Slot) -> bool:
    link = shard.link
    return link is not None and link.conn is not None and not link.conn.closed


def _chunks(names: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(names), size):
        yield names[i : i + size]


class WebsocketStreams(StreamTransport, Supervised):
    """Market streams of a client: ``market_api``, ``public_api``, ``subscribe``, ``close``.

    No socket opens before the first subscription. Thread-safe: control calls (subscribe,
    unsubscribe, list) are serialised; frames are delivered by the sockets' reader threads to
    the handles' queues.

    Rotation: a socket older than ``rotation_interval`` is replaced make-before-break — the new
    socket subscribes every stream (paced) while the old one still delivers, both deliver for
    a one-second overlap, then the old one closes and the new one's frames follow, copies
    dropped (the supervisor does this for the user data stream too): no gap, no duplicate.

    Counters: ``reconnects`` (sockets reopened after a loss), ``rotations``, ``duplicates``
    (copies dropped during rotation overlaps).
    """

    def __init__(self, config: ConfigurationWebsocketStreams) -> None:
        self._config = config
        self.market_api = MarketApi(self)
        self.public_api = PublicApi(self)
        self._lock = threading.Lock()  # guards the maps below
        self._control = threading.RLock()  # one control operation at a time
        self._handles: dict[str, tuple[StreamHandle[Any], ...]] = {}
        self._shard_of: dict[str, _Shard] = {}
        self._shards: dict[Route, list[_Shard]] = {route: [] for route in Route}
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self._stop = threading.Event()
        self._watchdog = Watchdog(self)
        #: stream name → its silence watch (read by the reader threads for every frame)
        self._watches: dict[str, Watch] = self._watchdog.watches
        self._supervisor = Supervisor(
            self,
            config,
            self._stop,
            "binance-usdm-ws-streams",
            guard=self._control,
            on_timer=self._watchdog.check,
        )

    # ------------------------------------------------------------------ public

    def subscribe(
        self,
        streams: Iterable[str],
        timeout: Timeout = USE_CLIENT_DEFAULT,
        silence_timeout: Optional[float] = None,
    ) -> StreamHandle[Any]:
        """Subscribe to raw stream names, each routed by its name; return once acknowledged.

        A listenKey among the names subscribes that account's user data on ``/private``
        (``SUBSCRIBE <listenKey>`` on ``<base>/private/stream``, as the official connectors do);
        its items are user data events. Keeping the key alive is then the caller's job
        (``userDataStream.ping``); ``client.user_data_stream()`` does it all by itself.

        Args:
            streams: e.g. ``["btcusdt@markPrice@1s", "ethusdt@bookTicker"]``.
            timeout: seconds to wait for the acknowledgements (configuration's by default).
            silence_timeout: report and repair a stream of this handle after this many seconds
                without a frame (``StreamSilent``), whatever its cadence; the way to watch
                event-driven streams (trades, book tickers, diff depth). ``None``: streams
                with a cadence are watched by it, the others not.

        Raises:
            InvalidRequest: a name this SDK cannot route, or none at all; nothing was sent.
            SubscriptionRejected: the server answered with an error (``code``, ``msg``).
            RequestTimeout: no acknowledgement in time.
            ConnectionClosed: a socket could not be opened, or closed meanwhile.
        """
        if isinstance(streams, str):
            raise InvalidRequest("streams: expected a list of names, got a str", param="streams")
        return self.subscribe_names(list(streams), None, timeout, silence_timeout)

    def list_subscriptions(self, timeout: Timeout = USE_CLIENT_DEFAULT) -> list[str]:
        """Ask every open socket (``LIST_SUBSCRIPTIONS``) and return all their streams."""
        self._check_open()
        out: list[str] = []
        wait = self._config.timeout if isinstance(timeout, UseClientDefault) else timeout
        with self._control:
            for shard in self._all_shards():
                if _live(shard):
                    result = self._request(shard, "LIST_SUBSCRIPTIONS", None, None, wait)
                    out += [n for n in result or () if isinstance(n, str)]
        return out

    def get_property(self, name: str, timeout: Timeout = USE_CLIENT_DEFAULT) -> list[Any]:
        """Ask every open socket for a property (``GET_PROPERTY``); one answer per socket.

        Args:
            name: the property; Binance has one, ``"combined"`` (always ``True`` here: this
                client reads every socket in combined mode).

        Raises:
            InvalidRequest: a property Binance does not document; nothing was sent.
            SubscriptionRejected: the server answered with an error.
            RequestTimeout: no answer in time.
        """
        _check_property(name)
        self._check_open()
        wait = self._config.timeout if isinstance(timeout, UseClientDefault) else timeout
        with self._control:
            return [
                self._request(shard, "GET_PROPERTY", [name], None, wait)
                for shard in self._all_shards()
                if _live(shard)
            ]

    def set_property(self, name: str, value: Any, timeout: Timeout = USE_CLIENT_DEFAULT) -> None:
        """Set a property on every open socket (``SET_PROPERTY``), once each is acknowledged.

        Only ``("combined", True)`` is accepted: the client tells streams apart by the
        ``{"stream","data"}`` envelope of combined mode, so turning it off would leave every
        handle silent — refused before sending, like any other value.

        Raises:
            InvalidRequest: another property or value; nothing was sent.
            SubscriptionRejected: the server answered with an error.
            RequestTimeout: no answer in time.
        """
        _check_property(name)
        if value is not True:
            raise InvalidRequest(
                f"{name}: only True is supported (this client reads streams in combined mode; "
                f"got {value!r})",
                param=name,
            )
        self._check_open()
        wait = self._config.timeout if isinstance(timeout, UseClientDefault) else timeout
        with self._control:
            for shard in self._all_shards():
                if _live(shard):
                    self._request(shard, "SET_PROPERTY", [name, value], None, wait)

    @property
    def connection_count(self) -> int:
        """Open sockets, over every route."""
        return sum(1 for s in self._all_shards() if _live(s))

    def close(self) -> None:
        """Close every socket, stop the supervisor and end every handle. Idempotent and
        final: every call after it raises ``ClientClosed``."""
        if self._stop.is_set():
            return
        # Closes every socket first, which fails waiting control calls at once.
        self._supervisor.close(self._config.close_timeout)
        with self._lock:
            handles = {h for hs in self._handles.values() for h in hs}
            self._handles.clear()
        for handle in handles:
            handle._subscribed = False
            handle._end_delivery()

    def _check_open(self) -> None:
        """The guard of every entry point: ``close()`` is final."""
        if self._stop.is_set():
            raise ClientClosed("websocket_streams is closed: make a new one")

    # ------------------------------------------------------------------ transport

    def subscribe_names(
        self,
        names: list[str],
        request_id: Optional[int],
        timeout: Timeout,
        silence_timeout: Optional[float] = None,
    ) -> StreamHandle[Any]:
        """Subscribe ``names`` (checked first) and return their handle once acknowledged."""
        parsed = [parse_stream_name(n) for n in names]
        if not parsed:
            raise InvalidRequest("streams: at least one stream name is needed", param="streams")
        if silence_timeout is not None and (
            isinstance(silence_timeout, bool)
            or not isinstance(silence_timeout, (int, float))
            or not silence_timeout > 0
        ):
            raise InvalidRequest(
                f"silence_timeout: expected seconds > 0 or None, got {silence_timeout!r}",
                param="silence_timeout",
            )
        self._check_open()
        wait = self._config.timeout if isinstance(timeout, UseClientDefault) else timeout
        models = {p.name: p.model for p in parsed}
        unique = tuple(models)
        handle: StreamHandle[Any] = StreamHandle(self, unique, models, silence_timeout)
        with self._control:
            with self._lock:
                new = [n for n in unique if not self._handles.get(n)]
                for n in unique:
                    self._handles[n] = self._handles.get(n, ()) + (handle,)
            try:
                for route in Route:
                    group = [p.name for p in parsed if p.name in new and p.route is route]
                    if group:
                        request_id = self._subscribe(route, group, request_id, wait)
            except BaseException:
                handle._subscribed = False
                self._release(handle)
                handle._end_delivery()
                raise
            due = self._watchdog.update(unique)
        if due is not None:
            self._supervisor.wake_at(due)
        return handle

    # ------------------------------------------------------------------ control frames

    def _all_shards(self) -> list[_Shard]:
        return [s for shards in self._shards.values() for s in shards]

    def _subscribe(
        self, route: Route, names: list[str], request_id: Optional[int], wait: Optional[float]
    ) -> Optional[int]:
        cfg = self._config
        pending = list(names)
        while pending:
            shard = next(
                (s for s in self._shards[route] if len(s.streams) < cfg.max_streams_per_connection),
                None,
            )
            if shard is None:
                shard = self._open_shard(route)
            room = cfg.max_streams_per_connection - len(shard.streams)
            batch, pending = pending[:room], pending[room:]
            for chunk in _chunks(batch, cfg.max_streams_per_subscribe):
                self._request(shard, "SUBSCRIBE", chunk, request_id, wait)
                request_id = None  # the caller's id goes on the first frame only
                with self._lock:
                    for name in chunk:
                        shard.streams[name] = None
                        self._shard_of[name] = shard
        return request_id

    def _request(
        self,
        shard: _Shard,
        method: str,
        params: Optional[list[Any]],
        request_id: Optional[int],
        wait: Optional[float],
        link: Optional[Link] = None,
    ) -> Any:
        """Send one control frame on ``shard``'s socket (or on ``link``), paced per socket."""
        link = shard.link if link is None else link
        conn = None if link is None else link.conn
        if link is None or conn is None or conn.closed:
            raise ConnectionClosed(f"the /{shard.route.value} stream socket is not connected")
        rid = next(self._ids) if request_id is None else request_id
        self._pace(link.sent)
        return control_request(conn, rid, method, params, wait, f"/{shard.route.value}")

    def _pace(self, sent: deque[float]) -> None:
        """Wait until one more control frame fits the strict sliding window of a socket."""
        limit = self._config.max_control_messages_per_second
        while True:
            now = time.monotonic()
            while sent and sent[0] <= now - _WINDOW - _MARGIN:
                sent.popleft()
            if len(sent) < limit:
                sent.append(now)
                return
            if self._stop.wait(sent[0] + _WINDOW + _MARGIN - now):
                raise ConnectionClosed("websocket_streams is closed")

    def _release(self, handle: StreamHandle[Any]) -> None:
        """Remove ``handle``; ``UNSUBSCRIBE`` the streams it was the last handle of."""
        with self._control:
            gone: list[str] = []
            with self._lock:
                for name in handle.streams:
                    rest = tuple(h for h in self._handles.get(name, ()) if h is not handle)
                    if rest:
                        self._handles[name] = rest
                    else:
                        self._handles.pop(name, None)
                        gone.append(name)
                by_shard: dict[int, tuple[_Shard, list[str]]] = {}
                for name in gone:
                    self._watches.pop(name, None)
                    shard = self._shard_of.pop(name, None)
                    if shard is not None:
                        shard.streams.pop(name, None)
                        by_shard.setdefault(id(shard), (shard, []))[1].append(name)
            self._watchdog.update(handle.streams)  # a longer limit, if its timeout was shortest
            if self._stop.is_set():
                return
            for shard, names in by_shard.values():
                for chunk in _chunks(names, self._config.max_streams_per_subscribe):
                    try:
                        self._request(shard, "UNSUBSCRIBE", chunk, None, self._config.timeout)
                    except BinanceWsError as exc:
                        logger.warning("UNSUBSCRIBE %s failed: %s", _shown(chunk), exc)

    # ------------------------------------------------------------------ sockets

    def _open_shard(self, route: Route) -> _Shard:
        shard = _Shard(route, next(self._numbers))
        link = self._supervisor.open(shard, "open")
        if not self._supervisor.install(shard, link):
            assert link.conn is not None
            link.conn.close(0)
            raise ConnectionClosed(f"the /{route.value} stream socket closed right after it opened")
        self._shards[route].append(shard)
        self._supervisor.add(shard)
        return shard

    def _handles_of(self, shard: _Shard) -> set[StreamHandle[Any]]:
        with self._lock:
            return {h for n in shard.streams for h in self._handles.get(n, ())}

    # ------------------------------------------------------------------ the supervisor's hooks

    def _socket_url(self, shard: _Shard, why: str) -> tuple[str, None]:
        return f"{self._config.base_path.rstrip('/')}/{shard.route.value}/stream", None

    def _prepare_socket(self, shard: _Shard, link: Link) -> None:
        """A new socket of ``shard`` (reconnect, rotation): subscribe its streams, paced."""
        cfg = self._config
        for chunk in _chunks(list(shard.streams), cfg.max_streams_per_subscribe):
            self._request(shard, "SUBSCRIBE", chunk, None, cfg.timeout, link)

    def _deliver(self, shard: _Shard, message: Any) -> None:
        """Reader thread, under the shard's lock: a data frame to the handles of its stream."""
        if type(message) is dict:
            name = message.get("stream")
            if type(name) is str:
                handles = self._handles.get(name, ())
                watch = self._watches.get(name)
                if watch is not None:
                    if watch.step:  # it was reported silent: a gap before its first frame back
                        self._watchdog.resumed(watch, handles)
                    watch.last = time.monotonic()
                for handle in handles:
                    handle._push(message)

    def _deliver_gap(self, shard: _Shard, gap: StreamGap) -> None:
        for handle in self._handles_of(shard):
            handle._push_gap(gap)

    def _attempt_failed(self, shard: _Shard, error: BaseException) -> None:
        for handle in self._handles_of(shard):
            handle._report(error)

    def _installed(self, shard: _Shard, link: Link) -> None:
        self._watchdog.restart(shard)
        if self._watches:
            self._supervisor.wake_at(time.monotonic())  # its streams' limits start again

    # ------------------------------------------------------------------ the watchdog's hooks

    def _live_shard(self, shard: _Shard) -> bool:
        return _live(shard)

    def _resubscribe(self, shard: _Shard, names: list[str]) -> None:
        """Supervisor thread: ``UNSUBSCRIBE`` + ``SUBSCRIBE`` silent streams, paced, chunked."""
        cfg = self._config
        with self._control:
            names = [n for n in names if n in shard.streams]  # not unsubscribed meanwhile
            try:
                for method in ("UNSUBSCRIBE", "SUBSCRIBE"):
                    for chunk in _chunks(names, cfg.max_streams_per_subscribe):
                        self._request(shard, method, chunk, None, cfg.timeout)
            except BinanceWsError as exc:  # the next step replaces the socket
                logger.warning("resubscribing silent %s failed: %s", _shown(names), exc)

    def _replace(self, shard: _Shard, detail: str) -> None:
        """Supervisor thread: replace the socket of ``shard`` (a reconnect gap on each handle)."""
        link = shard.link
        if link is None or link.conn is None or self._stop.is_set():
            return
        start = now_ms() - int((time.monotonic() - link.conn.last_frame_at) * 1000)
        logger.warning("%s: %s", shard.name, detail)
        self._supervisor.reconnect(shard, "reconnect", start, detail, "reconnect")

    def __repr__(self) -> str:
        return f"<WebsocketStreams sockets={self.connection_count} streams={len(self._shard_of)}>"
