"""Fault injection for the local exchange: what tests can break, and how."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union

from ._common import ApiError, dumps

if TYPE_CHECKING:
    from ._server import Connection, Server

__all__ = ["FaultRules", "Faults", "apply_outcome"]

Kind = str  # "api" | "stream" | "all"


@dataclass
class _ErrorRule:
    status: int
    code: int
    msg: str
    data: Optional[dict[str, Any]]
    remaining: int


@dataclass
class _OutcomeRule:
    execute: bool
    then: str  # "drop" | "no_reply" | "error"
    status: int
    code: int
    msg: str
    remaining: int
    late: Optional[float] = None  # seconds before the end of the request's recvWindow
    recv_window_default: int = 5000


@dataclass
class FaultRules:
    """The standing faults, read by the server's event loop for every request.

    Only the loop thread touches these; :class:`Faults` changes them through the loop.
    """

    delays: dict[str, float] = field(default_factory=dict)
    never: dict[str, bool] = field(default_factory=dict)
    errors: dict[str, list[_ErrorRule]] = field(default_factory=dict)
    reorder_n: int = 0
    held: list[tuple[Connection, str]] = field(default_factory=list)
    outcomes: dict[str, list[_OutcomeRule]] = field(default_factory=dict)
    pad_to: dict[str, int] = field(default_factory=dict)
    fragment_size: dict[str, int] = field(default_factory=dict)
    stall_handshakes: float = 0.0
    #: kind -> what to send first on the next connection of that kind, whose handshake drops
    #: the connections of that kind open before it (``Faults.drop_when_replaced``).
    replace_next: dict[str, list[str]] = field(default_factory=dict)

    @staticmethod
    def _lookup(table: dict[str, Any], method: Optional[str]) -> Any:
        if method is not None and method in table:
            return table[method]
        return table.get("*")

    def delay_for(self, method: Optional[str]) -> float:
        """Return the reply delay in seconds for ``method`` (0 when none)."""
        value = self._lookup(self.delays, method)
        return float(value) if value else 0.0

    def never_for(self, method: Optional[str]) -> Optional[bool]:
        """Return None (reply), False (swallow unprocessed) or True (process, drop the reply)."""
        value: Optional[bool] = self._lookup(self.never, method)
        return value

    def pad_for(self, method: Optional[str]) -> int:
        """Return the size in bytes replies to ``method`` are padded to (0 when none)."""
        value = self._lookup(self.pad_to, method)
        return int(value) if value else 0

    def fragment_for(self, kind: str) -> int:
        """Return the fragment size for text messages to ``kind`` connections (0: whole)."""
        return self.fragment_size.get(kind) or self.fragment_size.get("all") or 0

    def take_error(self, method: Optional[str]) -> Optional[_ErrorRule]:
        """Consume and return the next error reply queued for ``method``, if any."""
        for key in (method, "*"):
            rules = self.errors.get(key) if key is not None else None
            if rules:
                rule = rules[0]
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.pop(0)
                return rule
        return None

    def take_outcome(self, method: str) -> Optional[_OutcomeRule]:
        """Consume and return the next unknown-outcome fault queued for ``method``, if any."""
        for key in (method, "*"):
            rules = self.outcomes.get(key)
            if rules:
                rule = rules[0]
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.pop(0)
                return rule
        return None

    def clear(self) -> None:
        """Remove every standing fault (held replies are released by the caller first)."""
        self.outcomes.clear()
        self.delays.clear()
        self.never.clear()
        self.errors.clear()
        self.reorder_n = 0
        self.pad_to.clear()
        self.fragment_size.clear()
        self.stall_handshakes = 0.0
        self.replace_next.clear()


class Faults:
    """Fault injection, callable from any thread; each call takes effect before it returns.

    ``method`` arguments accept a wire method name (``"order.place"``) or ``"*"`` for all.
    ``kind`` arguments select connections: ``"api"`` (WS API), ``"stream"`` (user data
    streams) or ``"all"``.
    """

    def __init__(self, server: Server, recv_window_default: int = 5000) -> None:
        self._server = server
        self._recv_window_default = recv_window_default

    @property
    def _rules(self) -> FaultRules:
        return self._server.rules

    def drop_connections(self, kind: Kind = "all", conn_id: Optional[int] = None) -> int:
        """Abort the TCP connections abruptly (no close frame), like a network failure.

        Args:
            kind: Which connections.
            conn_id: Only the connection with this id (``RecordedRequest.conn_id`` tells
                which connection carried a request), e.g. one connection of a client's pool.

        Returns:
            How many connections were dropped.
        """
        return self._server.call(lambda: self._server.drop(kind, conn_id))

    def close_connections(self, code: int = 1000, reason: str = "", kind: Kind = "all") -> int:
        """Close the connections cleanly with a close frame carrying ``code`` and ``reason``.

        Returns:
            How many connections were closed.
        """
        return self._server.call_async(self._server.close_conns(kind, code, reason))

    def delay(self, method: str, seconds: float) -> None:
        """Send the replies to ``method`` ``seconds`` (real time) after processing the request."""
        self._server.call(lambda: self._rules.delays.__setitem__(method, seconds))

    def never_reply(self, method: str, *, process: bool = False) -> None:
        """Swallow requests to ``method``: no reply at all.

        Args:
            method: The wire method, or ``"*"``.
            process: When True the request is still executed (an order is placed) and only the
                reply is lost — the "outcome unknown" case; when False it is ignored entirely.
        """
        self._server.call(lambda: self._rules.never.__setitem__(method, process))

    def reorder(self, n: int) -> None:
        """Hold the next WS API replies until ``n`` are held, then send them in reverse order."""

        def apply() -> None:
            self._rules.reorder_n = n

        self._server.call(apply)

    def pad_replies(self, method: str, size: int) -> None:
        """Grow each reply to ``method`` to exactly ``size`` bytes of JSON text.

        The reply gets one more top-level field, ``"pad"``, holding a run of ``"x"`` (an
        unknown field, which clients must ignore). Replies already that large are unchanged.
        With it, tests receive replies of every frame-length class: up to 125 bytes (7-bit
        length), 126 to 65535 (16-bit) and over 64 KiB (64-bit).
        """
        self._server.call(lambda: self._rules.pad_to.__setitem__(method, size))

    def fragment(self, size: int, kind: Kind = "all") -> None:
        """Send every text message to ``kind`` connections as fragments of ``size`` characters.

        A message longer than ``size`` goes out as a text frame followed by continuation
        frames (RFC 6455 §5.4), replies and pushed events alike; 0 sends whole messages again.
        """
        if kind not in ("api", "stream", "all"):
            raise ValueError(f"kind must be 'api', 'stream' or 'all', not {kind!r}")
        self._server.call(lambda: self._rules.fragment_size.__setitem__(kind, size))

    def stall_handshakes(self, seconds: float) -> None:
        """Hold every new WebSocket handshake ``seconds`` before answering it (0: answer at once).

        The TCP connection is accepted and the upgrade request read, but the ``101`` answer
        waits: a client opening a socket meanwhile hangs in its handshake.
        """
        self._server.call(lambda: setattr(self._rules, "stall_handshakes", float(seconds)))

    def drop_when_replaced(self, kind: Kind = "stream", send: Sequence[Any] = ()) -> None:
        """Drop the old connections when a new one opens: a rotation meeting a network failure.

        When the next connection of ``kind`` (``"api"`` or ``"stream"``) asks for its
        handshake, every connection of ``kind`` open before it is aborted (no close frame, as
        :meth:`drop_connections`), before that handshake is answered; then ``send`` (objects,
        JSON-encoded, in order) is sent to the new connection ahead of anything else. A client
        rotating make-before-break sees its old socket die while the new one is being opened,
        and the new one carry messages the old one never delivered. Fires once.
        """
        if kind not in ("api", "stream"):
            raise ValueError(f"kind must be 'api' or 'stream', not {kind!r}")
        texts = [dumps(obj) for obj in send]
        self._server.call(lambda: self._rules.replace_next.__setitem__(kind, texts))

    def stall_stream(self, name: str, *, heal: str = "resume") -> int:
        """Stop one market stream while its sockets and the other streams on them go on.

        Its frames are dropped for the connections subscribed to it (and counted in
        ``LocalExchange.market.stalled_frames``); the connections stay open and answer.

        Args:
            name: the stream, e.g. ``"btcusdt@markPrice@1s"``.
            heal: what ends the stall on a connection: ``"resume"`` (only
                :meth:`resume_stream`: every connection, new ones too), ``"subscribe"`` (a
                ``SUBSCRIBE`` of the name on that connection, as a resubscription or a new
                socket sends) or ``"reconnect"`` (the connections open now stay stalled; new
                connections deliver).

        Returns:
            How many connections are subscribed to it now.
        """
        if heal not in ("resume", "subscribe", "reconnect"):
            raise ValueError(f"heal must be 'resume', 'subscribe' or 'reconnect', not {heal!r}")
        market = self._server.market
        return int(self._server.call(lambda: market.stall(name, heal)))

    def resume_stream(self, name: str) -> None:
        """End :meth:`stall_stream` of ``name`` on every connection (no frame is replayed)."""
        market = self._server.market
        self._server.call(lambda: market.stalled.pop(name, None))

    def send_raw(self, data: Union[str, bytes], kind: Kind = "api") -> int:
        """Send ``data`` as is (text frame for ``str``, binary for ``bytes``) to the connections.

        Returns:
            How many connections it was sent to.
        """
        return self._server.call_async(self._server.send_raw(kind, data))

    def silence(self, kind: Kind = "api") -> int:
        """Emulate a half-open connection on the current connections of ``kind``.

        The server stops reading their sockets (``transport.pause_reading()``), so it neither
        answers requests nor pings, sends nothing (not even its own pings; pushed messages are
        dropped) and never times them out. New connections are not affected.

        Returns:
            How many connections were silenced.
        """
        return self._server.call(lambda: self._server.silence(kind))

    def error_reply(
        self,
        method: str,
        status: int,
        code: int,
        msg: str,
        times: int = 1,
        data: Optional[dict[str, Any]] = None,
    ) -> None:
        """Answer the next ``times`` requests to ``method`` with this error (not executed).

        Args:
            method: The wire method, or ``"*"``.
            status: Envelope status (e.g. 400, 429, 503).
            code: Binance error code (e.g. -1003, -1007).
            msg: Error message.
            times: How many requests get it.
            data: Optional ``error.data`` object, e.g. ``{"retryAfter": ms}``.
        """
        rule = _ErrorRule(status, code, msg, data, times)
        self._server.call(lambda: self._rules.errors.setdefault(method, []).append(rule))

    def unknown_outcome(
        self,
        method: str,
        *,
        executed: bool,
        then: str = "drop",
        status: int = 503,
        code: int = -1007,
        msg: str = "Timeout waiting for response from backend server. Send status unknown;"
        " execution status unknown.",
        times: int = 1,
        late: Optional[float] = None,
    ) -> None:
        """Leave the outcome of the next ``times`` requests to ``method`` unknown to the client.

        Args:
            method: The wire method (``"order.place"``...), or ``"*"``.
            executed: Execute the request first (the order is placed, modified, cancelled) —
                or not at all (it never reached the book).
            then: What the client gets instead of the reply: ``"drop"`` (this connection is
                aborted, no close frame), ``"no_reply"`` (nothing; the connection stays) or
                ``"error"`` (an error reply with ``status``, ``code`` and ``msg``: 5xx,
                -1006 or -1007).
            status, code, msg: The error reply for ``then="error"``.
            times: How many requests get it.
            late: With ``executed=True``: execute the request not at once but ``late`` seconds
                before its recvWindow ends on the exchange's clock (``timestamp + recvWindow``;
                the exchange's default recvWindow when the request sends none; 0: at the last
                moment). As in production, the order then reaches the book after the client's
                first queries found nothing, yet within its recvWindow. Should the exchange's
                loop run it only after the window, the request is rejected (-1021) and nothing
                happens, as Binance's matching engine does (-5028).
        """
        if then not in ("drop", "no_reply", "error"):
            raise ValueError(f"then: drop, no_reply or error, not {then!r}")
        if late is not None and (not executed or late < 0):
            raise ValueError("late: needs executed=True and seconds >= 0")
        rule = _OutcomeRule(
            executed, then, status, code, msg, times, late, self._recv_window_default
        )
        self._server.call(lambda: self._rules.outcomes.setdefault(method, []).append(rule))

    def reset(self) -> None:
        """Remove all faults: release held replies, un-silence connections, clear the rules."""
        self._server.call(self._server.reset_faults)


def apply_outcome(
    server: Server,
    conn: Connection,
    req_id: Any,
    method: str,
    params: dict[str, Any],
    rule: _OutcomeRule,
) -> None:
    """Carry out an unknown-outcome fault on one request (in the server's loop)."""
    if rule.execute and rule.late is not None:
        server.loop.call_later(
            _until_late(server, conn, params, rule),
            server.dispatch,
            *(conn, req_id, method, params, None),
        )
    elif rule.execute:
        server.dispatch(conn, req_id, method, params, None)
    if rule.then == "drop":
        conn.closing = True
        conn.ws.transport.abort()
    elif rule.then == "error":
        error = ApiError(rule.status, rule.code, rule.msg)
        server.send_reply(conn, method, dumps(server.dispatch(conn, req_id, method, params, error)))


def _until_late(
    server: Server, conn: Connection, params: dict[str, Any], rule: _OutcomeRule
) -> float:
    """Seconds from now to ``rule.late`` before the end of the request's recvWindow."""
    ts = params.get("timestamp")
    if not isinstance(ts, int):
        return 0.0
    ts_ms = ts // 1000 if conn.session.time_unit_us else ts
    window = params.get("recvWindow", rule.recv_window_default)
    end_ms = ts_ms + int(window)
    assert rule.late is not None
    return max(0.0, (end_ms - server.now_ms()) / 1000 - rule.late)
