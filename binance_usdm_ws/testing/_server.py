"""The WebSocket server of the local exchange: one event loop in one daemon thread.

Routes ``/ws-fapi/v1`` (WS API), the user data paths (``/private/ws?listenKey=``,
``/private/stream`` and the forms that do not deliver; see ``_private.py``) and the market
streams (``_market.py``). Keeps the connections, sends server pings, applies
the fault rules, and serializes every outgoing frame of a connection through its own queue.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import http
import itertools
import logging
import ssl
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar, Union
from urllib.parse import parse_qs

from websockets.asyncio.server import Server as WsServer
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response

from .._core._redact import mask_text
from ._common import ApiError, dumps, loads
from ._faults import FaultRules, apply_outcome
from ._market import MarketHub
from ._private import DELIVERING_FORMS, KeyRoute, PrivateRoutes

__all__ = ["Connection", "Server", "Session"]

log = logging.getLogger("binance_usdm_ws.testing")
log.addHandler(logging.NullHandler())


class _MaskSecrets(logging.Filter):
    """Mask listenKeys, API keys and signatures in every record of the exchange's logger.

    The exchange runs in the user's process, so its records (and those of ``websockets``, which
    logs through it: request paths ``/private/ws/<listenKey>``, frames) reach the same handlers
    as the SDK's. A frame is masked whole before it is shortened for the log, so that no tail
    of a signature or a key shows either.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            args = record.args
            if isinstance(args, tuple) and any(isinstance(arg, Frame) for arg in args):
                record.args = tuple(_frame_text(a) if isinstance(a, Frame) else a for a in args)
            record.msg = mask_text(record.getMessage())
        except Exception:  # a log line must never break the server, nor leak
            record.msg = f"(unprintable record from {record.module}:{record.lineno})"
        record.args = None
        return True


def _frame_text(frame: Frame) -> str:
    """A frame as websockets logs it (opcode, data, length), its secrets masked first."""
    if frame.opcode not in (Opcode.TEXT, Opcode.BINARY):
        return str(frame)
    text = mask_text(bytes(frame.data).decode("utf-8", "replace"))
    if len(text) > 200:
        text = f"{text[:150]}…{text[-40:]}"
    return f"{frame.opcode.name} {text!r} [{len(frame.data)} bytes]"


log.addFilter(_MaskSecrets())

T = TypeVar("T")
Data = Union[str, bytes]
API_PATH = "/ws-fapi/v1"


@dataclass
class Session:
    """What the WS API knows about one connection: logon state and per-connection options."""

    connected_ms: int
    return_rate_limits: bool = True
    time_unit_us: bool = False
    api_key: Optional[str] = None
    authorized_since: Optional[int] = None


@dataclass(eq=False)
class Connection:
    """One accepted WebSocket connection (``kind`` is ``"api"`` or ``"stream"``)."""

    cid: int
    kind: str
    ws: ServerConnection
    session: Session
    listen_keys: set[str] = field(default_factory=set)
    #: How each listenKey reached this socket (user data; see ``_private.py``).
    routes: dict[str, KeyRoute] = field(default_factory=dict)
    combined: bool = False
    unrouted: bool = False
    silenced: bool = False
    closing: bool = False
    queue: asyncio.Queue[Data] = field(default_factory=asyncio.Queue)
    pings: dict[asyncio.Future[float], float] = field(default_factory=dict)


class Server:
    """The loopback WebSocket server and its event-loop thread.

    Args:
        host: Interface to bind.
        port: Port (0 picks a free one).
        ping_interval: Seconds between server pings (None: never).
        ping_timeout: Seconds a ping may stay unanswered before the connection is closed.
        max_connection_age: Seconds (simulated clock) after which connections are closed.
        now_ms: The simulated clock.
        dispatch: Computes the reply envelope of one parsed request.
        record: Records every received WS API frame.
        on_tick: Called on the loop about four times a second (expiries).
        ssl_context: Serve ``wss://`` with this server-side TLS context (None: plain ``ws://``).
        user_data_url_forms: The user data URL forms that deliver (``_private.py``).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        ping_interval: Optional[float],
        ping_timeout: Optional[float],
        max_connection_age: Optional[float],
        now_ms: Callable[[], int],
        dispatch: Callable[
            [Connection, Any, str, dict[str, Any], Optional[ApiError]], dict[str, Any]
        ],
        record: Callable[[Connection, Any, Optional[str], dict[str, Any], str], None],
        on_tick: Callable[[], None],
        ssl_context: Optional[ssl.SSLContext] = None,
        user_data_url_forms: frozenset[str] = DELIVERING_FORMS,
    ) -> None:
        self.host, self.port = host, port
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.max_connection_age = max_connection_age
        self.now_ms, self.dispatch, self.record, self.on_tick = now_ms, dispatch, record, on_tick
        self.rules = FaultRules()
        self.ssl_context = ssl_context
        #: (path, handshake headers) of every WebSocket handshake, in order.
        self.handshakes: list[tuple[str, dict[str, str]]] = []
        self.market = MarketHub(self)  # /public and /market
        self.private = PrivateRoutes(PrivateRoutes.check_forms(user_data_url_forms))
        self.conns: dict[int, Connection] = {}
        #: Server pings answered in time, and connections closed for an unanswered ping.
        self.pongs = {"api": 0, "stream": 0}
        self.pong_timeouts = {"api": 0, "stream": 0}
        self._ids = itertools.count(1)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="local-exchange", daemon=True)
        self._ws_server: Optional[WsServer] = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: What a connection being opened gets first (``Faults.drop_when_replaced``).
        self._welcome: dict[ServerConnection, list[str]] = {}

    # ----------------------------------------------------------------- thread & loop plumbing

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.set_exception_handler(self._loop_exception)
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    @staticmethod
    def _loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        log.debug("event loop: %s", context.get("message"), exc_info=context.get("exception"))

    def start(self) -> None:
        """Start the thread and the server; ``self.port`` is the bound port afterwards."""
        self._thread.start()
        self.call_async(self._start())

    async def _start(self) -> None:
        self._ws_server = await serve(
            self._handler,
            self.host,
            self.port,
            process_request=self._process_request,
            ping_interval=None,
            ping_timeout=None,
            close_timeout=1.0,
            max_size=2**24,
            logger=log,
            ssl=self.ssl_context,
        )
        self.port = self._ws_server.sockets[0].getsockname()[1]
        self._spawn(self._ticker())

    def stop(self) -> None:
        """Close every connection and the server, stop the loop and join the thread."""
        if not self._thread.is_alive():
            return
        try:
            self.call_async(self._stop(), timeout=10.0)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10.0)

    async def _stop(self) -> None:
        for conn in list(self.conns.values()):
            if conn.silenced:
                self._unsilence(conn)
        if self._ws_server is not None:
            self._ws_server.close()
            try:
                await asyncio.wait_for(self._ws_server.wait_closed(), 3.0)
            except asyncio.TimeoutError:
                for conn in list(self.conns.values()):
                    conn.ws.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)

    def in_loop(self) -> bool:
        """Return whether the caller runs on the server's event loop thread."""
        return threading.current_thread() is self._thread

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the loop thread and return its result (directly if already there)."""
        if self.in_loop() or not self._thread.is_alive():
            return fn()  # nothing else touches the state when the loop is not running

        async def wrapper() -> T:
            return fn()

        return self.call_async(wrapper(), timeout)

    def call_async(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run ``coro`` on the loop from another thread and wait for its result.

        Raises:
            RuntimeError: If the server is not running.
        """
        if not self._thread.is_alive():
            coro.close()
            raise RuntimeError("the local exchange is not running")
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ----------------------------------------------------------------------- connections

    async def _process_request(self, ws: ServerConnection, request: Request) -> Optional[Response]:
        path = request.path.split("?", 1)[0]
        self.handshakes.append((path, dict(request.headers.raw_items())))
        stalled = 0.0
        while stalled < self.rules.stall_handshakes:  # set back to 0: released at once
            await asyncio.sleep(0.02)
            stalled += 0.02
        if not (path == API_PATH or self.private.accepts(path) or self.market.accepts(path)):
            return ws.respond(http.HTTPStatus.NOT_FOUND, "Not Found\n")
        kind = "api" if path == API_PATH else "stream"
        welcome = self.rules.replace_next.pop(kind, None)
        if welcome is not None:  # Faults.drop_when_replaced: the old ones die first
            self.drop(kind)
            self._welcome[ws] = welcome
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        path, _, query = ws.request.path.partition("?")
        qs = {k: v for k, v in parse_qs(query).items() if v}
        session = Session(self.now_ms())
        if path == API_PATH:
            conn = Connection(next(self._ids), "api", ws, session)
            rl = qs.get("returnRateLimits", ["true"])[-1].lower()
            session.return_rate_limits = rl != "false"
            session.time_unit_us = qs.get("timeUnit", [""])[-1].upper() == "MICROSECOND"
        else:
            conn = Connection(next(self._ids), "stream", ws, session)
            if self.private.accepts(path):
                self.private.attach(conn, path, query)
        self.conns[conn.cid] = conn
        self.market.attach(conn, path, qs)
        writer = self._spawn(self._writer(conn))
        for text in self._welcome.pop(ws, ()):
            self.enqueue(conn, text)
        pinger = self._spawn(self._pinger(conn)) if self.ping_interval else None
        try:
            async for message in ws:
                if conn.silenced:
                    ws.transport.pause_reading()
                    continue
                try:
                    if conn.kind == "api":
                        self._on_api_message(conn, message)
                    else:
                        self._on_stream_message(conn, message)
                except Exception:  # a bug must not kill the connection; keep it visible
                    log.exception("local exchange: failed to handle a frame")
        except ConnectionClosed:
            pass
        finally:
            self.conns.pop(conn.cid, None)
            writer.cancel()
            if pinger is not None:
                pinger.cancel()

    async def _writer(self, conn: Connection) -> None:
        try:
            while True:
                data = await conn.queue.get()
                try:
                    size = self.rules.fragment_for(conn.kind)
                    if size > 0 and isinstance(data, str) and len(data) > size:
                        await conn.ws.send([data[i : i + size] for i in range(0, len(data), size)])
                    else:
                        await conn.ws.send(data)
                finally:
                    conn.queue.task_done()
        except ConnectionClosed:
            pass
        finally:
            while not conn.queue.empty():
                conn.queue.get_nowait()
                conn.queue.task_done()

    def enqueue(self, conn: Connection, data: Data) -> None:
        """Queue ``data`` for ``conn`` (dropped if the connection is silenced or gone)."""
        if conn.silenced or conn.cid not in self.conns:
            return
        conn.queue.put_nowait(data)

    async def flush(self, conns: list[Connection], timeout: float = 2.0) -> None:
        """Wait until everything queued for ``conns`` has been written to the sockets."""
        waits = [c.queue.join() for c in conns if not c.silenced and c.cid in self.conns]
        if waits:
            await asyncio.wait([asyncio.ensure_future(w) for w in waits], timeout=timeout)

    def select(self, kind: str) -> list[Connection]:
        """Return the open connections of ``kind`` (``"api"``, ``"stream"`` or ``"all"``)."""
        if kind not in ("api", "stream", "all"):
            raise ValueError(f"kind must be 'api', 'stream' or 'all', not {kind!r}")
        return [c for c in self.conns.values() if kind == "all" or c.kind == kind]

    def count(self, kind: str) -> int:
        """Return how many connections of ``kind`` are open (safe from any thread)."""
        return sum(1 for c in list(self.conns.values()) if c.kind == kind)

    # ------------------------------------------------------------------------- pings & age

    def _on_pong(self, conn: Connection, fut: asyncio.Future[float]) -> None:
        if not fut.cancelled() and fut.exception() is None:  # retrieved: asyncio never logs it
            self.pongs[conn.kind] += 1
        conn.pings.pop(fut, None)

    async def _pinger(self, conn: Connection) -> None:
        assert self.ping_interval is not None
        interval, timeout = self.ping_interval, self.ping_timeout
        next_ping = self.loop.time() + interval
        try:
            while True:
                deadline = next_ping
                if conn.pings and timeout is not None:
                    deadline = min(deadline, min(conn.pings.values()) + timeout)
                await asyncio.sleep(max(0.0, deadline - self.loop.time()))
                now = self.loop.time()
                if conn.silenced:
                    conn.pings.clear()
                    next_ping = now + interval
                    continue
                if conn.pings and timeout is not None and now >= min(conn.pings.values()) + timeout:
                    conn.closing = True
                    self.pong_timeouts[conn.kind] += 1
                    await conn.ws.close(1008, "Pong timeout")
                    return
                if now >= next_ping:
                    next_ping = now + interval
                    fut = asyncio.ensure_future(await conn.ws.ping())
                    conn.pings[fut] = now
                    fut.add_done_callback(functools.partial(self._on_pong, conn))
        except ConnectionClosed:
            pass

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            try:
                self.on_tick()
                self.check_ages()
            except Exception:
                log.exception("local exchange: periodic task failed")

    def check_ages(self) -> None:
        """Close the connections older than ``max_connection_age`` (simulated clock)."""
        if self.max_connection_age is None:
            return
        limit_ms = self.max_connection_age * 1000
        now = self.now_ms()
        for conn in list(self.conns.values()):
            if not conn.closing and now - conn.session.connected_ms >= limit_ms:
                conn.closing = True
                self._spawn(conn.ws.close(1000, "Connection lifetime limit reached"))

    # ---------------------------------------------------------------------------- messages

    def _on_api_message(self, conn: Connection, message: Data) -> None:
        raw = message if isinstance(message, str) else message.decode("utf-8", "replace")
        try:
            req = loads(raw)
        except ValueError as exc:
            self.record(conn, None, None, {}, raw)
            err = ApiError(400, -1013, f"INVALID_MESSAGE. Invalid JSON: {exc}")
            self.send_reply(conn, None, dumps(self.dispatch(conn, None, "", {}, err)))
            return
        req_id = req.get("id") if isinstance(req, dict) else None
        method = req.get("method") if isinstance(req, dict) else None
        params = req.get("params") if isinstance(req, dict) else None
        self.record(
            conn,
            req_id,
            method if isinstance(method, str) else None,
            params if isinstance(params, dict) else {},
            raw,
        )
        problem: Optional[ApiError] = None
        if not isinstance(req, dict):
            problem = ApiError(400, -1013, "INVALID_MESSAGE. The request must be a JSON object.")
        elif "id" not in req or isinstance(req_id, (bool, float, list, dict)):
            problem = ApiError(
                400, -1102, "Mandatory parameter 'id' was not sent, was empty/null, or malformed."
            )
        elif not isinstance(method, str) or not method:
            problem = ApiError(
                400,
                -1102,
                "Mandatory parameter 'method' was not sent, was empty/null, or malformed.",
            )
        elif params is not None and not isinstance(params, dict):
            problem = ApiError(400, -1130, "Data sent for parameter 'params' is not valid.")
        if problem is not None:
            rid = (
                req_id if isinstance(req_id, (str, int)) and not isinstance(req_id, bool) else None
            )
            self.send_reply(conn, None, dumps(self.dispatch(conn, rid, "", {}, problem)))
            return
        assert isinstance(method, str)
        never = self.rules.never_for(method)
        if never is False:
            return
        outcome = self.rules.take_outcome(method) if self.rules.outcomes else None
        if outcome is not None:
            apply_outcome(self, conn, req_id, method, params or {}, outcome)
            return
        rule = self.rules.take_error(method)
        forced = None if rule is None else ApiError(rule.status, rule.code, rule.msg, rule.data)
        reply = self.dispatch(conn, req_id, method, params or {}, forced)
        if never:
            return
        self.send_reply(conn, method, _padded(reply, self.rules.pad_for(method)))

    def send_reply(self, conn: Connection, method: Optional[str], text: str) -> None:
        """Send a WS API reply, applying the delay and reorder faults."""
        delay = self.rules.delay_for(method)
        if delay > 0:
            self.loop.call_later(delay, self._release, conn, text)
        else:
            self._release(conn, text)

    def _release(self, conn: Connection, text: str) -> None:
        rules = self.rules
        if rules.reorder_n > 0:
            rules.held.append((conn, text))
            if len(rules.held) >= rules.reorder_n:
                held, rules.held, rules.reorder_n = rules.held, [], 0
                for c, t in reversed(held):
                    self.enqueue(c, t)
            return
        self.enqueue(conn, text)

    def _on_stream_message(self, conn: Connection, message: Data) -> None:
        if self.market.handle(conn, message):
            return
        try:
            req = loads(message if isinstance(message, str) else message.decode())
        except ValueError:
            return
        if not isinstance(req, dict):
            return
        method, params, rid = req.get("method"), req.get("params") or [], req.get("id")
        result: Any = None
        if method == "SUBSCRIBE" and isinstance(params, list):
            self.private.subscribe(conn, [p for p in params if isinstance(p, str)])
        elif method == "UNSUBSCRIBE" and isinstance(params, list):
            self.private.unsubscribe(conn, [p for p in params if isinstance(p, str)])
        elif method == "LIST_SUBSCRIPTIONS":
            result = sorted(conn.listen_keys)
        elif method == "SET_PROPERTY" and params[:1] == ["combined"]:
            conn.combined = bool(params[1]) if len(params) > 1 else conn.combined
        elif method == "GET_PROPERTY" and params[:1] == ["combined"]:
            result = conn.combined
        else:
            self.enqueue(conn, dumps({"error": {"code": 2, "msg": "Invalid request"}, "id": rid}))
            return
        self.enqueue(conn, dumps({"result": result, "id": rid}))

    def push_stream(self, payload: dict[str, Any], listen_key: Optional[str]) -> list[Connection]:
        """Send a user-data event to the stream connections that get it (all the sockets of
        ``listen_key``, or of any key when None, whose form delivers and whose ``events``
        allow it)."""
        sent = []
        event = payload.get("e")
        for conn in self.select("stream"):
            if self.market.owns(conn):
                continue
            name = self.private.wants(conn, listen_key, event)
            if name is None:
                continue
            if conn.combined:
                self.enqueue(conn, dumps({"stream": name, "data": payload}))
            else:
                self.enqueue(conn, dumps(payload))
            sent.append(conn)
        return sent

    # ------------------------------------------------------------------------------ faults

    def drop(self, kind: str, conn_id: Optional[int] = None) -> int:
        """Abort the transports of the connections of ``kind`` (only ``conn_id``, if given)."""
        conns = [c for c in self.select(kind) if conn_id is None or c.cid == conn_id]
        for conn in conns:
            conn.closing = True
            conn.ws.transport.abort()
        return len(conns)

    async def close_conns(self, kind: str, code: int, reason: str) -> int:
        """Close the connections of ``kind`` with a close frame and wait for them to finish."""
        conns = self.select(kind)
        for conn in conns:
            conn.closing = True
            if conn.silenced:
                self._unsilence(conn)
        if conns:
            await asyncio.wait([asyncio.ensure_future(c.ws.close(code, reason)) for c in conns])
        return len(conns)

    async def send_raw(self, kind: str, data: Data) -> int:
        """Send ``data`` unchanged to the connections of ``kind``; wait until written."""
        conns = self.select(kind)
        for conn in conns:
            self.enqueue(conn, data)
        await self.flush(conns)
        return len(conns)

    def silence(self, kind: str) -> int:
        """Stop reading from and writing to the connections of ``kind`` (half-open)."""
        conns = self.select(kind)
        for conn in conns:
            conn.silenced = True
            conn.ws.transport.pause_reading()
        return len(conns)

    def _unsilence(self, conn: Connection) -> None:
        conn.silenced = False
        conn.ws.transport.resume_reading()

    def reset_faults(self) -> None:
        """Release held replies, resume silenced connections and clear all fault rules."""
        held, self.rules.held = self.rules.held, []
        for conn, text in held:
            self.enqueue(conn, text)
        for conn in self.select("all"):
            if conn.silenced:
                self._unsilence(conn)
        self.rules.clear()
        self.market.stalled.clear()


def _padded(reply: dict[str, Any], size: int) -> str:
    """``reply`` as JSON text, grown to ``size`` bytes with a ``"pad"`` field if shorter."""
    text = dumps(reply)
    short = size - len(text.encode("utf-8")) - len(',"pad":""')
    if size <= 0 or short < 0:
        return text
    return dumps({**reply, "pad": "x" * short})
