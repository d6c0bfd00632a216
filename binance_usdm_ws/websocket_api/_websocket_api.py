"""The WS API client: auth, request execution, and the services.

``WebsocketApi`` executes requests on the connection kept by ``ConnectionKeeper``
(``_lifecycle.py``): it validates, signs (or relies on the logged-on session), sends, waits,
and maps replies to ``Response`` or typed errors. It also learns the server's clock offset
and backs off after 429/418.
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import threading
import time
from concurrent.futures import Future
from typing import Any, Optional

from .._config import ConfigurationWebsocketApi
from .._core._connection import Connection, NotSent, Reply, Waiter
from .._core._params import Timeout
from .._core._protocol import encode_request, error_from_envelope, new_request_id
from .._core._scheduler import Scheduler
from .._core._signing import Signer, load_signer, signature_payload
from ..errors import (
    BinanceWsError,
    ConnectionClosed,
    InvalidRequest,
    IpBanned,
    RateLimited,
    RequestId,
    RequestTimeout,
    ServerError,
    redact,
)
from ._lifecycle import ConnectionKeeper, Notice, _Unsent
from ._requests import USE_CLIENT_DEFAULT, Request, Response, Security, Transport

__all__ = ["Notice", "WebsocketApi"]

logger = logging.getLogger("binance_usdm_ws")

#: Seconds to back off after a 418 that gave no retry time (bans last 2 minutes at least).
_BAN_BACKOFF = 120.0


class WebsocketApi(ConnectionKeeper, Transport):
    """Connection to the USDⓈ-M futures WS API, and the services that use it.

    Services: ``user_data_streams_api``, ``trade_api``, ``account_api``, ``market_data_api``,
    ``auth_api``. Call ``connect()`` first (the client's ``with`` block does it). With
    ``mode="pool"`` in the configuration, calls are spread over ``pool_size`` connections.
    """

    def __init__(self, config: ConfigurationWebsocketApi, scheduler: Scheduler) -> None:
        super().__init__(config, scheduler)
        self._signer: Optional[Signer] = load_signer(
            config.api_secret, config.private_key, config.private_key_passphrase
        )
        self._want_logon = config.session_logon
        self._offset_ms = 0
        # With timeUnit=MICROSECOND the server's times are in µs, and so is our timestamp.
        self._micro = (config.time_unit or "").upper() == "MICROSECOND"
        self._backoff: Optional[tuple[float, RateLimited]] = None
        # Deadlines of execute_async() calls, in (nearly) increasing order: one timer serves all.
        self._deadlines: collections.deque[_AsyncReply] = collections.deque()
        self._sweep_lock = threading.Lock()
        self._sweep_armed = False
        from ._services import AccountApi, AuthApi, MarketDataApi, TradeApi, UserDataStreamsApi

        self.user_data_streams_api = UserDataStreamsApi(self)
        self.trade_api = TradeApi(self)
        self.account_api = AccountApi(self)
        self.market_data_api = MarketDataApi(self)
        self.auth_api = AuthApi(self)

    # ------------------------------------------------------------------ requests

    def _session_revoked(self) -> None:
        # A revoked key would fail every re-logon: reconnects come back without a session,
        # and signed requests then carry their own signature (and get their own 401s).
        self._want_logon = False

    def _timers_dropped(self) -> None:
        # The sweep timer was cancelled (closed, or down): the calls it watched failed with
        # their connection. The next execute_async() arms a new one (after connect() again).
        with self._sweep_lock:
            self._sweep_armed = False

    def _prepare_connection(self, conn: Connection) -> None:
        """Log a new connection on, if the session is wanted (before it serves requests)."""
        if not self._want_logon:
            return
        cfg = self.config
        try:
            try:
                self._call(conn, self.auth_api.session_logon(), cfg.timeout)
            except ServerError as exc:
                if exc.code != -1021:
                    raise
                # Our clock drifted from the server's: session.status (unsigned) tells
                # the server time, _finish learns the offset, and the logon is retried.
                self._call(conn, self.auth_api.session_status(), cfg.timeout)
                self._call(conn, self.auth_api.session_logon(), cfg.timeout)
        except _Unsent as unsent:
            conn.close(0)
            raise unsent.error from unsent.error.__cause__
        except BaseException:
            conn.close(0)
            raise

    def _timeout(self, timeout: Timeout) -> Optional[float]:
        if timeout is USE_CLIENT_DEFAULT:
            return self.config.timeout
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout < 0):
            raise InvalidRequest("timeout: must be a number >= 0 or None", param="timeout")
        return timeout

    def execute(self, request: Request[Any], timeout: Timeout) -> Response[Any]:
        t = self._timeout(timeout)
        params = request.check()  # bad input fails first, connected or not
        deadline = None if t is None else time.monotonic() + t
        while True:
            conn = self._current(deadline)
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return self._call(conn, request, remaining, params)
            except _Unsent as unsent:
                # Nothing left this process: sending again is safe — on the connection that
                # replaced this one (a rotation or reconnect), on another one of a pool, or, if
                # it is not swapped yet, on the reconnect this call waits for, as any call made
                # during the outage.
                cfg = self.config
                waits = cfg.wait_for_reconnect and cfg.reconnect
                alone = len(self._slots) == 1 and self._holds(conn)
                if self._stop.is_set() or (alone and not waits):
                    raise unsent.error from unsent.error.__cause__

    def _call(
        self,
        conn: Connection,
        request: Request[Any],
        timeout: Optional[float],
        params: Optional[dict[str, Any]] = None,
    ) -> Response[Any]:
        rid, params, text = self._prepare(
            conn, request, request.check() if params is None else params
        )
        sent_at = time.time()
        reply = Reply()
        # Leading: this thread reads its reply off the socket itself if nobody else is reading.
        leading = self._send(conn, request, rid, params, text, reply, lead=True)
        if not conn.wait(reply, timeout, leading):
            if conn.forget(rid) is not None:
                raise RequestTimeout(
                    f"no reply within {timeout} s",
                    timeout=timeout,
                    outcome_unknown=request.order_method,
                    method=request.method,
                    request_id=rid,
                    params=params,
                )
            # The reply (or the close) won the race against the timeout: it is being set.
            reply.wait(None)
        try:
            raw = reply.get()
        except ConnectionClosed as exc:
            raise self._closed(exc, request, rid, params) from exc.__cause__
        return self._finish(conn, request, rid, params, raw, sent_at)

    def execute_async(self, request: Request[Any]) -> Future[Response[Any]]:
        params = request.check()  # bad input raises here, before anything is sent
        try:
            conn = self._current(time.monotonic())  # never blocks: no waiting for a reconnect
            rid, params, text = self._prepare(conn, request, params)
            waiter = _AsyncReply(self, conn, request, rid, params)
            try:
                self._send(conn, request, rid, params, text, waiter)
            except _Unsent as unsent:
                raise unsent.error from unsent.error.__cause__
        except InvalidRequest:
            raise
        except BinanceWsError as exc:
            # Not connected, backing off, send failed: delivered through the future, so a
            # caller handles every outcome in one place.
            failed: Future[Response[Any]] = Future()
            failed.set_exception(exc)
            return failed
        timeout = self.config.timeout
        if timeout is not None:
            waiter.deadline = time.monotonic() + timeout
            deadlines = self._deadlines
            with self._sweep_lock:
                # Replies mostly come in order: dropping the settled head here keeps the queue
                # about as long as the calls in flight, instead of holding every future (and
                # its response) until the next sweep, which the garbage collector pays for.
                while deadlines and deadlines[0].settled:
                    deadlines.popleft()
                deadlines.append(waiter)
                if not self._sweep_armed:
                    self._sweep_armed = True
                    self._scheduler.call_later(timeout, self._sweep)
        return waiter

    def _sweep(self) -> None:
        """Time out async calls past their deadline (one timer for all of them)."""
        deadlines = self._deadlines
        with self._sweep_lock:
            now = time.monotonic()
            expired = []
            while deadlines and (deadlines[0].settled or deadlines[0].deadline <= now):
                waiter = deadlines.popleft()
                if not waiter.settled:
                    expired.append(waiter)
            if deadlines:
                self._scheduler.call_later(deadlines[0].deadline - now, self._sweep)
            else:
                self._sweep_armed = False
        for waiter in expired:
            if waiter.conn.forget(waiter.rid) is not None:
                waiter.expire(self.config.timeout)

    def _prepare(
        self, conn: Connection, request: Request[Any], params: dict[str, Any]
    ) -> tuple[RequestId, dict[str, Any], str]:
        rid = request._id if request._id is not None else new_request_id()
        security = request.security
        if security is not Security.NONE:
            key = self.config.api_key
            if not key:
                raise InvalidRequest(
                    f"{request.method} needs an API key: set api_key", param="api_key"
                )
            if security is Security.USER_STREAM:
                params["apiKey"] = key
            else:
                if self.config.recv_window is not None and "recvWindow" not in params:
                    params["recvWindow"] = self.config.recv_window
                params["timestamp"] = self._now()
                if security is Security.SIGNED or not conn.logged_on or request._own_signature:
                    if self._signer is None:
                        raise InvalidRequest(
                            f"{request.method} is signed: set api_secret or private_key",
                            param="api_secret",
                        )
                    params["apiKey"] = key
                    params["signature"] = self._signer.sign(signature_payload(params))
        text = encode_request(rid, request.method, params)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s > %s id=%r params=%s", conn.name, request.method, rid, redact(params))
        return rid, params, text

    def _send(
        self,
        conn: Connection,
        request: Request[Any],
        rid: RequestId,
        params: dict[str, Any],
        text: str,
        waiter: Waiter,
        lead: bool = False,
    ) -> bool:
        self._check_backoff(request, rid, params)
        try:
            return conn.send_request(rid, text, waiter, lead)
        except ConnectionClosed as exc:
            # Nothing went out (or not whole): the outcome is known — not executed.
            err = ConnectionClosed(
                str(exc.message),
                code=exc.code,
                reason=exc.reason,
                method=request.method,
                request_id=rid,
                params=params,
            )
            err.__cause__ = exc.__cause__
            if isinstance(exc, NotSent):
                raise _Unsent(err) from None
            raise err from exc.__cause__

    def _closed(
        self, exc: ConnectionClosed, request: Request[Any], rid: RequestId, params: dict[str, Any]
    ) -> ConnectionClosed:
        return ConnectionClosed(
            exc.message,
            code=exc.code,
            reason=exc.reason,
            outcome_unknown=request.order_method,
            method=request.method,
            request_id=rid,
            params=params,
        )

    def _finish(
        self,
        conn: Connection,
        request: Request[Any],
        rid: RequestId,
        params: dict[str, Any],
        raw: dict[str, Any],
        sent_at: float,
    ) -> Response[Any]:
        if "error" in raw or request.method.startswith("session."):
            self._learn_offset(raw, sent_at)  # only these replies tell the server's time
        status = raw.get("status")
        if "error" in raw or (isinstance(status, int) and status >= 400):
            error = error_from_envelope(
                raw,
                method=request.method,
                request_id=rid,
                params=params,
                order_method=request.order_method,
            )
            if isinstance(error, RateLimited):
                # Back off instead of hammering: until then, calls fail here, unsent.
                wait = error.retry_after or (_BAN_BACKOFF if isinstance(error, IpBanned) else 1.0)
                self._backoff = (time.monotonic() + wait, error)
            raise error
        if request.method == "session.logon":
            conn.logged_on = True
            self._want_logon = True
        elif request.method == "session.logout":
            conn.logged_on = False
            self._want_logon = False
        return Response(raw, request.result_type())

    def _now(self) -> int:
        """The ``timestamp`` of a signed request: our clock corrected by the learned offset."""
        if self._micro:
            return int(time.time() * 1_000_000) + self._offset_ms * 1000
        return int(time.time() * 1000) + self._offset_ms

    def _learn_offset(self, raw: dict[str, Any], sent_at: float) -> None:
        """Keep the server's clock minus ours when a reply tells the server's time.

        ``session.*`` results carry ``serverTime``; an error may carry ``data.serverTime``
        (e.g. with -1021). The offset is measured at the middle of the round trip; a time in
        µs (``timeUnit=MICROSECOND``) is recognised by its size.
        """
        holder = raw.get("result")
        if not isinstance(holder, dict) or "serverTime" not in holder:
            error = raw.get("error")
            holder = error.get("data") if isinstance(error, dict) else None
        server_time = holder.get("serverTime") if isinstance(holder, dict) else None
        if isinstance(server_time, int) and not isinstance(server_time, bool) and server_time > 0:
            server_ms = server_time // 1000 if server_time > 10**14 else server_time
            midpoint = (sent_at + time.time()) / 2
            self._offset_ms = int(server_ms - midpoint * 1000)

    def _check_backoff(self, request: Request[Any], rid: RequestId, params: dict[str, Any]) -> None:
        backoff = self._backoff
        if backoff is None:
            return
        until, cause = backoff
        left = until - time.monotonic()
        if left <= 0:
            self._backoff = None
            return
        raise type(cause)(
            status=cause.status,
            code=cause.code,
            msg=f"backing off {left:.1f} s more after the server's {cause.status} "
            f"({cause.msg}); nothing was sent",
            data=cause.data,
            method=request.method,
            request_id=rid,
            params=params,
        )

    @property
    def time_offset_ms(self) -> int:
        """The server's clock minus the local clock in ms, as last measured (0 if unknown)."""
        return self._offset_ms


class _AsyncReply(Future[Response[Any]]):
    """The future of an ``execute_async()`` call, and its waiter on the connection.

    The thread reading the socket (the reader, or a caller waiting in ``execute()`` that
    leads) delivers the reply; it is turned into a ``Response`` (or the typed error) right
    there, so no second future or callback is needed. Done callbacks run in that thread too:
    they must not block.
    """

    def __init__(
        self,
        api: WebsocketApi,
        conn: Connection,
        request: Request[Any],
        rid: RequestId,
        params: dict[str, Any],
    ) -> None:
        super().__init__()
        self.api = api
        self.conn = conn
        self.request = request
        self.rid = rid
        self.params = params
        self.sent_at = time.time()
        self.deadline = 0.0
        self.settled = False

    def deliver(self, message: dict[str, Any]) -> None:
        self.settled = True
        try:
            response = self.api._finish(
                self.conn, self.request, self.rid, self.params, message, self.sent_at
            )
        except BinanceWsError as exc:
            _settle(self, error=exc)
        else:
            _settle(self, result=response)

    def fail(self, error: BaseException) -> None:
        self.settled = True
        if isinstance(error, ConnectionClosed):
            wrapped = self.api._closed(error, self.request, self.rid, self.params)
            wrapped.__cause__ = error.__cause__
            error = wrapped
        _settle(self, error=error)

    def expire(self, timeout: Optional[float]) -> None:
        self.settled = True
        request = self.request
        _settle(
            self,
            error=RequestTimeout(
                f"no reply within {timeout} s",
                timeout=timeout,
                outcome_unknown=request.order_method,
                method=request.method,
                request_id=self.rid,
                params=self.params,
            ),
        )


def _settle(
    future: Future[Any], *, result: Any = None, error: Optional[BaseException] = None
) -> None:
    # The user may have cancelled the future; that must not break the reader or the timer.
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except concurrent.futures.InvalidStateError:
        pass
