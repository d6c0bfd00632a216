"""One WebSocket connection: a websocket-client socket, its reader thread and its waiters.

This is the only module that imports ``websocket`` (websocket-client). A ``Connection`` is
single-use: once closed it stays closed, and closing fails every waiting request at once with
``ConnectionClosed`` chained to the cause. Reconnecting means making a new ``Connection``.

Threads per connection, all daemon threads named after the SDK and joined by ``close()``:

* the reader — reads the socket while nobody else does. It answers server pings, resolves
  waiters by request id, and hands every other message to ``on_message``;
* the heartbeat (only when ``ping_interval`` is set) — sends a ping when the connection has been
  idle for ``ping_interval`` and declares the socket dead when nothing at all (no frame, no pong)
  arrived for ``dead_after`` seconds, which catches half-open TCP connections in seconds. It
  never waits behind a send: a send stuck on a server that stopped reading holds the socket's
  lock, so the ping is skipped and the deadline ends the connection (and so the send).

Leader/follower (``lead=True``, where ``select.epoll`` exists): waking a thread costs about
as much as a whole raw round trip, so a caller blocked in ``wait()`` does not wait to be
handed its reply by the reader thread. Exactly one thread reads the socket at any moment:
whoever holds the *read token*. A caller that finds the token free takes it when it sends
(``send_request(..., lead=True)``), reads the socket itself until its own reply is in — handling
every other frame on the way exactly as the reader would: pings answered, other waiters'
replies delivered, messages passed to ``on_message`` — and gives the token back. While a
caller leads, the socket is switched off in the reader thread's epoll set, so the reader
sleeps through the traffic instead of waking for it; before the token is given back every
whole message already read is handled and the socket is switched on again, so the reader
wakes for anything that arrives later (level-triggered: nothing can be missed). A caller that
finds the token taken waits for its reply like before. The end of the stream (EOF, a close
frame, a protocol error) seen by a leader is recorded and the socket shut down, which wakes
the reader (a hang-up is reported even while switched off); the reader alone tears down, so
every waiter still fails at once, and ``close()`` or the heartbeat wake a leader the same way
they wake the reader: by shutting the socket down.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable, Optional, Protocol, Union

import websocket

from ..errors import ConnectionClosed, InvalidRequest, RequestId
from ._redact import mask_text
from ._transport import open_error

__all__ = ["Connection", "NotSent", "Reply", "Waiter"]

logger = logging.getLogger("binance_usdm_ws")

_TEXT = websocket.ABNF.OPCODE_TEXT
_BINARY = websocket.ABNF.OPCODE_BINARY
_CLOSE = websocket.ABNF.OPCODE_CLOSE
_PING = websocket.ABNF.OPCODE_PING
_CONT = websocket.ABNF.OPCODE_CONT
#: Largest message accepted from the server (the Go connector reads up to 64 MiB).
MAX_MESSAGE = 64 * 1024 * 1024
#: The C scanner behind ``json.loads`` (thread-safe: it holds the GIL throughout), called
#: directly: ``json.loads`` adds three Python calls and a regex to every message.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]

_fast_loads: Optional[Callable[[Union[bytes, str]], Any]]
try:  # the optional accelerator (the ``fast`` extra)
    from msgspec.json import Decoder as _Decoder

    _fast_loads = _Decoder().decode  # thread-safe: it keeps no state between calls
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = None
#: msgspec's JSON decoder when installed, else None. It reads bytes (UTF-8 checked) straight
#: into the same values as the standard library: the same ``int``\s (of any size), the same
#: ``str``\s, and for a number with a fraction or an exponent the same correctly rounded
#: ``float`` (a Decimal field reads it through ``str()``: exact up to 15 significant digits, on
#: both paths alike). What it refuses (``NaN``, ``1e400``, a lone surrogate) goes to the
#: standard library, which decides, so a frame never reads differently with it than without.
accelerated_loads: Optional[Callable[[Union[bytes, str]], Any]] = _fast_loads


def parse_json_std(data: Union[bytes, str]) -> Any:
    """``json.loads(data)`` by the standard library, faster for the usual frame (a document
    with no surrounding space).

    Raises:
        ValueError: ``data`` is not UTF-8 or not one JSON document.
    """
    # Decoding first is cheaper than json.loads(bytes), which sniffs the encoding; and it is
    # the UTF-8 validation that websocket-client was told to skip.
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    try:
        value, end = _scan(text, 0)
    except StopIteration:  # not a value at 0 (leading space or not JSON): json.loads decides
        return json.loads(text)
    if end != len(text):  # trailing space or extra data: json.loads decides
        return json.loads(text)
    return value


def parse_json(data: Union[bytes, str]) -> Any:
    """One frame's JSON document: the accelerator's reading if installed, else the standard
    library's (the same values either way, see ``accelerated_loads``).

    Raises:
        ValueError: ``data`` is not UTF-8 or not one JSON document.
    """
    loads = accelerated_loads
    if loads is not None:
        try:
            return loads(data)
        except ValueError:
            pass  # refused: the standard library decides (a value, or the error)
    return parse_json_std(data)


#: What ``_parse`` returns for a frame that is not JSON.
_GARBAGE: Any = object()

_TRANSPORT_ERRORS = (websocket.WebSocketException, OSError, ValueError)
_NORMAL_CLOSURE = (1000).to_bytes(2, "big")  # the close frame's status: a normal closure

MessageHandler = Callable[[Any], None]
BatchHandler = Callable[[list[Any]], None]
CloseHandler = Callable[["Connection", Optional[BaseException]], None]


class Waiter(Protocol):
    """Whoever waits for a reply: told the reply, or why there will be none.

    Both methods are called at most once in total, from the thread reading the socket (the
    reader thread or a leading caller, see the module's docstring) or the thread that closes
    the connection, and must not block.
    """

    def deliver(self, message: dict[str, Any]) -> None: ...

    def fail(self, error: BaseException) -> None: ...


class Reply:
    """The waiter of a blocking call: one lock, released when the reply (or error) is in.

    Cheaper than a ``concurrent.futures.Future`` (no condition, no callbacks): the
    hand-off from the reader thread to the caller is one lock release.
    """

    __slots__ = ("_lock", "message", "error")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self.message: Optional[dict[str, Any]] = None
        self.error: Optional[BaseException] = None

    def deliver(self, message: dict[str, Any]) -> None:
        self.message = message
        self._lock.release()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self._lock.release()

    @property
    def settled(self) -> bool:
        """True once the reply or the error is in."""
        return self.message is not None or self.error is not None

    def wait(self, timeout: Optional[float]) -> bool:
        """Block until settled; False if ``timeout`` seconds passed first."""
        return self._lock.acquire(timeout=-1 if timeout is None else timeout)

    def get(self) -> dict[str, Any]:
        """The reply, once settled; raises the error it was settled with."""
        if self.error is not None:
            raise self.error
        assert self.message is not None
        return self.message


class NotSent(ConnectionClosed):
    """The connection was already closed: the request never left this process."""


class ServerClosed(ConnectionError):
    """The server closed the connection with a close frame (code and reason in the text)."""


class DeadConnection(TimeoutError):
    """The heartbeat saw no frame for too long: the connection is considered dead."""


class Connection:
    """A connected WebSocket with a reader thread. Create it with the URL; it connects at once.

    Args:
        url: ``ws://`` or ``wss://`` URL.
        open_timeout: seconds for TCP, TLS and the handshake; ``None`` waits forever.
        on_message: called in the thread reading the socket (the reader, or a caller leading)
            with every decoded message that is not the reply to a pending request (events,
            ``"id": null`` notices; replies for unknown ids are dropped instead). It must not
            block; exceptions it raises are logged.
        on_messages: instead of ``on_message``: called with a list of such messages, in order,
            all those of one read from the socket that came between replies and control
            frames (the reader thread takes a burst in one call; a leading caller's messages
            come one per call). Same rules as ``on_message``.
        on_close: called once, in the thread that ended the connection, after every waiter failed.
        ping_interval: send a ping after this many idle seconds; ``None`` disables the heartbeat.
        dead_after: declare the connection dead after this many seconds without any frame.
        name: used in thread names and logs.
        connect_options: websocket-client options (proxy, ``sslopt``, ``header``), made by
            ``_transport.connect_options``.
        lead: let a caller blocked in ``wait()`` read the socket itself while nobody else
            does (leader/follower, see the module's docstring); ignored without epoll.
        on_socket: called with the websocket-client socket before it connects, so that another
            thread can shut it down while the handshake is still waiting.

    Raises:
        ConnectionClosed: the connection could not be opened (``__cause__`` says why).
    """

    def __init__(
        self,
        url: str,
        *,
        open_timeout: Optional[float] = 10.0,
        on_message: Optional[MessageHandler] = None,
        on_messages: Optional[BatchHandler] = None,
        on_close: Optional[CloseHandler] = None,
        ping_interval: Optional[float] = None,
        dead_after: Optional[float] = None,
        name: str = "binance-usdm-ws",
        connect_options: Optional[dict[str, Any]] = None,
        lead: bool = False,
        on_socket: Optional[Callable[[websocket.WebSocket], None]] = None,
    ) -> None:
        self.url = url
        self.name = name
        if on_messages is not None and on_message is None:
            batch = on_messages

            def on_message(message: Any) -> None:
                batch([message])

        self._on_message = on_message
        self._on_messages = on_messages
        self._on_close = on_close
        self._lock = threading.Lock()
        self._pending: dict[RequestId, Waiter] = {}
        self._closed = False
        self._cause: Optional[BaseException] = None
        self._close_code: Optional[int] = None
        self._close_reason = ""
        self._closed_event = threading.Event()
        self._debug = logger.isEnabledFor(logging.DEBUG)
        #: Counters, for tests and diagnostics.
        self.garbage_frames = 0
        self.unknown_replies = 0
        #: How many times a caller took the read token (read the socket itself).
        self.leads = 0
        #: How many times the heartbeat thread woke up (it sleeps until a ping or the deadline
        #: is due: about once per ``ping_interval`` on an idle connection, never more).
        self.heartbeat_wakes = 0
        self._mask_pool: list[bytes] = []
        #: True once ``session.logon`` succeeded on this connection (owned by the WS API layer).
        self.logged_on = False
        self.opened_at = time.monotonic()
        options = dict(connect_options or {})  # proxy, TLS, headers: see _transport.py
        ws = websocket.WebSocket(
            enable_multithread=True, skip_utf8_validation=True, sslopt=options.pop("sslopt", None)
        )
        if on_socket is not None:
            on_socket(ws)  # lets the owner abort a handshake that hangs (see ConnectionKeeper)
        try:
            ws.connect(url, timeout=open_timeout, suppress_origin=True, **options)  # type: ignore[no-untyped-call]
            # open_timeout covers connecting only; the reader must block without a timeout.
            ws.settimeout(None)
        except Exception as exc:
            ws.shutdown()  # type: ignore[no-untyped-call]
            proxy = options.get("http_proxy_host")
            via = f"{proxy}:{options.get('http_proxy_port')}" if proxy else None
            raise open_error(mask_text(url), exc, via) from exc
        self._ws = ws
        self._frames = _FrameReader(ws.sock)
        #: Held by the one thread that reads the socket (the reader, or a leading caller).
        self._token = threading.Lock()
        #: Set by the token's holder when the stream is over; the reader then tears down.
        self._ended = False
        self._end_cause: Optional[BaseException] = None
        self._epoll: Optional[Any] = None
        self._poll: Optional[Any] = None
        self._leader: Optional[int] = None  # thread id of the leading caller, if any
        if lead and hasattr(select, "epoll"):
            self._fd = self._frames.fileno()
            self._epoll = select.epoll()
            self._epoll.register(self._fd, select.EPOLLIN)
            self._poll = select.poll()
            self._poll.register(self._fd, select.POLLIN)
        self.last_frame_at = time.monotonic()
        self._heartbeat: Optional[threading.Thread] = None
        if ping_interval is not None:
            self._heartbeat = threading.Thread(
                target=self._heartbeat_loop,
                args=(ping_interval, dead_after or ping_interval * 2),
                name=f"{name}-heartbeat",
                daemon=True,
            )
        # Daemon threads: a connection made in a notebook or script must never keep the
        # interpreter alive. The reader starts last, once every attribute above exists.
        self._reader = threading.Thread(target=self._read_loop, name=f"{name}-reader", daemon=True)
        self._reader.start()
        if self._heartbeat is not None:
            self._heartbeat.start()

    # ------------------------------------------------------------------ requests

    @property
    def closed(self) -> bool:
        """True once the connection is closed or closing."""
        return self._closed

    @property
    def pending_count(self) -> int:
        """Number of requests waiting for their reply."""
        return len(self._pending)

    def send_request(
        self, request_id: RequestId, text: str, waiter: Waiter, lead: bool = False
    ) -> bool:
        """Register ``waiter`` for ``request_id`` and send ``text``.

        The waiter is later given the decoded reply (success or error envelope), or a
        ``ConnectionClosed`` if the connection ends first.

        With ``lead=True`` the read token is taken first if it is free (so the reader thread
        does not wake for the reply); the caller must then call ``wait()`` with the result.

        Returns:
            True if the calling thread now holds the read token.

        Raises:
            ConnectionClosed: the connection is closed, or the send failed.
            InvalidRequest: a request with the same id is already in flight.
        """
        leading = lead and self._epoll is not None and self._take_token()
        try:
            # Register and check `closed` under one lock: a request can never slip in after
            # the close sweep and then wait forever.
            with self._lock:
                if self._closed:
                    raise self._closed_error(NotSent)
                if request_id in self._pending:
                    raise InvalidRequest(
                        f"a request with id {request_id!r} is already in flight", param="id"
                    )
                self._pending[request_id] = waiter
            try:
                self._send_text(text)
            except _TRANSPORT_ERRORS as exc:
                self.forget(request_id)
                # A half-written frame leaves the stream unusable: end the connection.
                self._abort(exc)
                raise ConnectionClosed(f"send failed: {exc}") from exc
        except BaseException:
            if leading:
                self._give_token()
            raise
        return leading

    def wait(self, reply: Reply, timeout: Optional[float], leading: bool = False) -> bool:
        """Wait until ``reply`` is settled; False if ``timeout`` seconds passed first.

        ``leading`` is what ``send_request`` returned: the caller then reads the socket
        itself until its reply is in, and gives the token back before returning.
        """
        if leading:
            deadline = None if timeout is None else time.monotonic() + timeout
            try:
                if self._lead(reply, deadline):
                    return True
            finally:
                self._give_token()
            if not self._ended:
                return False  # timed out while leading
            # The stream ended under us: the reader tears down and fails the reply.
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        return reply.wait(timeout)

    def _take_token(self) -> bool:
        if not self._token.acquire(False):
            return False
        if self._ended or self._closed:
            self._token.release()
            return False
        assert self._epoll is not None
        self._epoll.modify(self._fd, 0)  # the reader sleeps through what we read
        self._leader = threading.get_ident()
        self.leads += 1
        return True

    def _give_token(self) -> None:
        """Handle every whole message already read, switch the reader back on, release."""
        try:
            while not self._ended:
                message = self._pop()
                if message is None:
                    break
                self._handle(*message)
        finally:
            self._leader = None
            if self._ended:
                self._shutdown()  # the hang-up wakes the reader, which tears down
            else:
                assert self._epoll is not None
                self._epoll.modify(self._fd, select.EPOLLIN)
            self._token.release()

    def _lead(self, reply: Reply, deadline: Optional[float]) -> bool:
        """Read and handle frames until ``reply`` is settled (True), the deadline or the end."""
        frames = self._frames
        poll = self._poll
        assert poll is not None
        while not reply.settled:
            message = self._pop()
            if message is not None:
                self._handle(*message)
            if self._ended:
                return reply.settled
            if message is not None:
                continue
            if deadline is not None and not frames.pending():
                left = deadline - time.monotonic()
                if left <= 0 or not poll.poll(left * 1000.0 + 1.0):
                    return reply.settled
            try:
                frames.fill()
            except _TRANSPORT_ERRORS as exc:
                self._end(exc)
                return reply.settled
        return True

    def send_text(self, text: str) -> None:
        """Send a text frame that expects no reply (e.g. stream control messages)."""
        if self._closed:
            raise self._closed_error()
        try:
            self._send_text(text)
        except _TRANSPORT_ERRORS as exc:
            self._abort(exc)
            raise ConnectionClosed(f"send failed: {exc}") from exc

    def _send_text(self, text: str) -> None:
        """Frame and send one text message: the hot path of every request.

        websocket-client builds frames in many small Python steps; this does the same RFC 6455
        framing in a few (header, 4-byte mask from a pool of random bytes, XOR as one big
        integer) and sends under websocket-client's own send lock, so that its pongs and close
        frames never interleave with ours.
        """
        payload = text.encode("utf-8")
        n = len(payload)
        if n < 126:
            header = bytes((0x81, 0x80 | n))
        elif n < 65536:
            header = bytes((0x81, 0xFE)) + n.to_bytes(2, "big")
        else:
            header = bytes((0x81, 0xFF)) + n.to_bytes(8, "big")
        key = self._mask_key()
        masked = (
            int.from_bytes(payload, "little") ^ int.from_bytes((key * (n // 4 + 1))[:n], "little")
        ).to_bytes(n, "little")
        ws = self._ws
        sock = ws.sock
        if sock is None:
            raise websocket.WebSocketConnectionClosedException("socket is already closed")
        with ws.lock:
            sock.sendall(header + key + masked)

    def _send_control(self, opcode: int, payload: bytes = b"") -> None:
        """Send a control frame (ping, close) without ever waiting: nothing is sent if another
        thread is sending or the send buffer is full.

        The heartbeat and ``close()`` must not queue behind a send stuck on a server that
        stopped reading (half-open TCP): the heartbeat is what ends such a send, by declaring
        the connection dead and shutting the socket down; ``close()`` does the same after its
        timeout. A control frame is at most 127 bytes, and a socket reported writable has
        room for it, so the send below does not block.
        """
        ws = self._ws
        sock = ws.sock
        if sock is None:
            raise websocket.WebSocketConnectionClosedException("socket is already closed")
        if not ws.lock.acquire(blocking=False):
            return
        try:
            if select.select([], [sock], [], 0)[1]:
                key = self._mask_key()
                masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
                sock.sendall(bytes((0x80 | opcode, 0x80 | len(payload))) + key + masked)
        finally:
            ws.lock.release()

    def _mask_key(self) -> bytes:
        # Masking keys must be unpredictable (RFC 6455 §5.3): os.urandom, drawn 4 KiB at a time.
        pool = self._mask_pool
        if not pool:
            pool = self._mask_pool = list(_chunks(os.urandom(4096), 4))
        return pool.pop()

    def forget(self, request_id: RequestId) -> Optional[Waiter]:
        """Drop the waiter of ``request_id`` (after a timeout); a late reply is then ignored."""
        with self._lock:
            return self._pending.pop(request_id, None)

    def _closed_error(self, cls: type[ConnectionClosed] = ConnectionClosed) -> ConnectionClosed:
        exc = cls(
            "connection is closed" + (f": {self._cause}" if self._cause else ""),
            code=self._close_code,
            reason=self._close_reason,
        )
        exc.__cause__ = self._cause
        return exc

    # ------------------------------------------------------------------ reader

    def _read_loop(self) -> None:
        try:
            if self._epoll is None:
                self._read_alone()
            else:
                self._read_shared(self._epoll)
        except Exception as exc:  # pragma: no cover - safety net for our own bugs
            # pragma: no mutate block - a safety net that no test can reach
            logger.error("%s: unexpected internal error in the reader", self.name, exc_info=True)
            self._end(exc)
        finally:
            self._teardown(self._end_cause)

    def _read_alone(self) -> None:
        """The reader is the only reader: block in ``recv()``; handle each read's frames."""
        frames = self._frames
        while not self._ended:
            try:
                batch = frames.pop_all()
            except _TRANSPORT_ERRORS as exc:
                self._end(exc)
                break
            if batch:
                self._handle_batch(batch)
                continue
            try:
                frames.fill()
            except _TRANSPORT_ERRORS as exc:
                self._end(exc)

    def _handle_batch(self, batch: collections.deque[tuple[int, bytes]]) -> None:
        """The frames of one read, in order: as ``_handle`` each, with the messages for the
        handler gathered into one ``on_messages`` call (a reply or a control frame first hands
        over those before it, so the order of everything stays the order on the wire)."""
        self.last_frame_at = time.monotonic()
        on_messages = self._on_messages
        if on_messages is None:
            for frame in batch:
                if self._ended:
                    return
                self._handle(*frame)
            return
        out: list[Any] = []
        for opcode, data in batch:
            if opcode == _TEXT or opcode == _BINARY:
                message = self._parse(data)
                if message is _GARBAGE:
                    continue
                if type(message) is dict:
                    request_id = message.get("id")
                    if request_id is not None and type(request_id) is not bool:
                        if out:
                            self._emit(out)
                            out = []
                        if self._route(message, request_id):
                            continue
                out.append(message)
            else:
                if out:
                    self._emit(out)
                    out = []
                self._handle(opcode, data)
                if self._ended:
                    return
        if out:
            self._emit(out)

    def _emit(self, messages: list[Any]) -> None:
        assert self._on_messages is not None
        try:
            self._on_messages(messages)
        except Exception:
            logger.exception("%s: message handler failed", self.name)

    def _read_shared(self, epoll: Any) -> None:
        """Read what arrives while no caller leads (the token decides who reads)."""
        frames = self._frames
        token = self._token
        while not self._ended:
            leads = self.leads
            if not frames.pending():
                epoll.poll()  # readable or hung up (a leader switches the socket off meanwhile)
            with token:
                # If a caller led meanwhile, it may have read it all: look again, without
                # blocking (readable means recv() returns at once, possibly with EOF).
                if self._ended or (
                    self.leads != leads and not frames.pending() and not epoll.poll(0)
                ):
                    continue
                try:
                    frames.fill()
                except _TRANSPORT_ERRORS as exc:
                    self._end(exc)
                while not self._ended:
                    message = self._pop()
                    if message is None:
                        break
                    self._handle(*message)

    def _pop(self) -> Optional[tuple[int, bytes]]:
        """The next whole message already read, or None; a framing error ends the stream."""
        try:
            return self._frames.pop()
        except _TRANSPORT_ERRORS as exc:
            self._end(exc)
            return None

    def _end(self, cause: Optional[BaseException]) -> None:
        """The stream is over (seen by the token's holder): nothing more is read."""
        if not self._ended:
            self._ended = True
            self._end_cause = cause

    def _handle(self, opcode: int, data: bytes) -> None:
        """Handle one message or control frame; the token's holder calls it."""
        self.last_frame_at = time.monotonic()
        if opcode == _TEXT or opcode == _BINARY:
            self._dispatch(data)
        elif opcode == _PING:
            try:
                self._ws.pong(data)  # the same payload, at once (Binance requires it)
            except _TRANSPORT_ERRORS as exc:
                self._end(exc)
        elif opcode == _CLOSE:
            self._close_code, self._close_reason = _parse_close(data)
            if self._closed:  # we asked for this close: not an error
                self._end(None)
                return
            try:
                self._ws.send_close()  # complete the closing handshake
            except _TRANSPORT_ERRORS:
                pass
            self._end(
                ServerClosed(
                    f"closed by the server (code {self._close_code}"
                    + (f", {self._close_reason!r})" if self._close_reason else ")")
                )
            )
        # Pong: only refreshes liveness (last_frame_at).

    def _dispatch(self, data: bytes) -> None:
        message = self._parse(data)
        if message is _GARBAGE:
            return
        if type(message) is dict:
            request_id = message.get("id")
            if request_id is not None and type(request_id) is not bool:
                if self._route(message, request_id):
                    return
        if self._on_message is not None:
            try:
                self._on_message(message)
            except Exception:  # pragma: no cover - the SDK's handlers catch their users' errors
                # pragma: no mutate block - a safety net that no test can reach
                logger.exception("%s: message handler failed", self.name)

    def _parse(self, data: bytes) -> Any:
        """The frame's JSON value, or ``_GARBAGE`` (counted and logged) if it is none."""
        try:
            message = parse_json(data)
        except ValueError:
            self.garbage_frames += 1
            logger.warning("%s: dropped a frame that is not JSON (%d bytes)", self.name, len(data))
            return _GARBAGE
        if self._debug:
            text = mask_text(data.decode("utf-8", "replace"))
            logger.debug("%s < %.500s", self.name, text)
        return message

    def _route(self, message: dict[str, Any], request_id: Any) -> bool:
        """A message with an id: True if it was a reply (delivered to its waiter, or dropped
        for an unknown id); False if it is for the message handler."""
        # dict.pop is atomic: no lock needed against forget() or the close sweep, which swaps
        # the whole dict under the lock.
        waiter = self._pending.pop(request_id, None)
        if waiter is not None:
            try:
                waiter.deliver(message)
            except Exception:  # pragma: no cover - waiters must not raise
                # pragma: no mutate block - a safety net that no test can reach
                logger.exception("%s: waiter failed", self.name)
            return True
        if "status" in message or "result" in message:
            self.unknown_replies += 1
            logger.debug("%s: dropped a reply for unknown id %r", self.name, request_id)
            return True
        return False

    # ------------------------------------------------------------------ heartbeat

    def _heartbeat_loop(self, ping_interval: float, dead_after: float) -> None:
        """Sleep until the next ping or the deadline is due (no ticking while idle): a ping
        after ``ping_interval`` without a frame (and without a ping of ours), the end after
        ``dead_after`` without any."""
        last_ping = 0.0
        wait = min(ping_interval, dead_after)
        while not self._closed_event.wait(wait):
            self.heartbeat_wakes += 1
            now = time.monotonic()
            seen = self.last_frame_at
            if now - seen > dead_after:
                self._abort(DeadConnection(f"no frame received for {now - seen:.1f} s"))
                return
            if now - seen >= ping_interval and now - last_ping >= ping_interval:
                last_ping = now
                try:
                    self._send_control(0x9)
                except _TRANSPORT_ERRORS as exc:
                    self._abort(exc)
                    return
            # Frames that arrive meanwhile move both times on: waking then finds nothing due
            # and sleeps again, so a busy connection wakes this thread once per interval.
            due = min(max(seen, last_ping) + ping_interval, seen + dead_after)
            wait = max(due - now, 0.0) + 0.001

    # ------------------------------------------------------------------ closing

    def close(self, timeout: Optional[float] = 5.0) -> None:
        """Close the connection: idempotent, bounded by ``timeout``, callable from any thread.

        Sends a close frame, waits up to ``timeout`` for the server's answer, then shuts the
        socket down. Every request still waiting fails with ``ConnectionClosed``.
        """
        with self._lock:
            first = not self._closed
            self._closed = True  # no new requests from now on
        if first:
            try:
                self._send_control(0x8, _NORMAL_CLOSURE)
            except _TRANSPORT_ERRORS:
                pass
        if threading.current_thread() is self._reader or self._leader == threading.get_ident():
            # Called from a handler in the thread that reads: it cannot wait for itself.
            self._abort(None)
            return
        self._reader.join(timeout)
        if self._reader.is_alive():
            self._abort(None)
            self._reader.join()
        self._join_heartbeat()

    def _join_heartbeat(self) -> None:
        hb = self._heartbeat
        if hb is not None and hb is not threading.current_thread() and hb.is_alive():
            hb.join()

    def _abort(self, cause: Optional[BaseException]) -> None:
        """End the connection now: wake the reader, which then tears down with ``cause``."""
        if cause is not None and self._cause is None:
            self._cause = cause
        self._shutdown()

    def _shutdown(self) -> None:
        """Shut the socket down: wakes whoever blocks in ``recv()`` or ``poll()`` on it.

        Not ``WebSocket.abort()``, which does nothing once a close frame was sent.
        """
        sock = self._ws.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def _teardown(self, cause: Optional[BaseException]) -> None:
        """Fail every waiter and release the socket. Runs once, at the end of the reader."""
        with self._lock:
            self._closed = True
            if self._cause is None:
                self._cause = cause
            pending, self._pending = self._pending, {}
        for waiter in pending.values():
            try:
                waiter.fail(self._closed_error())
            except Exception:  # pragma: no cover - a waiter must not stop the sweep
                # pragma: no mutate block - a safety net that no test can reach
                logger.exception("%s: waiter failed", self.name)
        self._ws.shutdown()  # type: ignore[no-untyped-call]
        if self._epoll is not None:
            with self._token:  # a leader is woken by the shutdown and gives the token back
                self._epoll.close()
                self._poll = None
        self._closed_event.set()
        if self._cause is not None:
            logger.info("%s: connection lost: %s", self.name, self._cause)
        if self._on_close is not None:
            try:
                self._on_close(self, self._cause)
            except Exception:  # pragma: no cover - the SDK's close handlers do not raise
                # pragma: no mutate block - a safety net that no test can reach
                logger.exception("%s: close handler failed", self.name)

    def wait_closed(self, timeout: Optional[float] = None) -> bool:
        """Block until the connection is fully closed; return False on timeout."""
        return self._closed_event.wait(timeout)

    @property
    def cause(self) -> Optional[BaseException]:
        """What ended the connection (``None`` for a clean close by us)."""
        return self._cause

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<Connection {self.name} {mask_text(self.url)} {state} pending={len(self._pending)}>"
        )


class _FrameReader:
    """Reads the server's frames from the socket, many per ``recv()``.

    websocket-client's own reader makes a system call for each part of each frame (header,
    length, payload); under load that is most of the reader thread's time. This one reads
    whatever is there (up to 64 KiB) with ``fill()``, splits every whole frame out of it in one
    loop, and hands them out one by one (``pop()``) or all at once (``pop_all()``). The bytes of
    a frame still incomplete wait as received chunks and are joined once it is whole, so a large
    message costs a copy or two, never one per read. Server frames are never masked (RFC 6455
    §5.1); fragmented messages are reassembled, counting their size as the parts come (linear
    in their number). Only the holder of the connection's read token touches it.
    """

    __slots__ = (
        "_sock", "_chunks", "_have", "_need", "_ready", "_error", "_parts", "_size", "_opcode"
    )  # fmt: skip

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._chunks: list[bytes] = []  # received bytes not yet split into frames
        self._have = 0  # their total length
        self._need = 2  # bytes needed before the next frame can be whole (2: its header)
        self._ready: collections.deque[tuple[int, bytes]] = collections.deque()
        self._error: Optional[Exception] = None  # a framing error, raised after `_ready`
        self._parts: list[bytes] = []
        self._size = 0  # bytes in ``_parts``
        self._opcode = 0

    def fileno(self) -> int:
        """The socket's file descriptor."""
        fd: int = self._sock.fileno()
        return fd

    def fill(self) -> None:
        """Read once from the socket (blocking); split the frames made whole by it."""
        chunk = self._sock.recv(65536)
        if not chunk:
            raise websocket.WebSocketConnectionClosedException("connection closed (EOF)")
        self._chunks.append(chunk)
        self._have += len(chunk)
        if self._have >= self._need and self._error is None:
            self._split()

    def pending(self) -> bool:
        """True if TLS holds decrypted bytes that the socket's readiness does not show."""
        pending = getattr(self._sock, "pending", None)
        return bool(pending is not None and pending())

    def pop(self) -> Optional[tuple[int, bytes]]:
        """Return the next whole message or control frame read, or None.

        Raises:
            WebSocketProtocolException: the server broke the framing rules (after every frame
                read before the offending one was returned).
        """
        if self._ready:
            return self._ready.popleft()
        if self._error is not None:
            raise self._error
        return None

    def pop_all(self) -> collections.deque[tuple[int, bytes]]:
        """Return every whole message and control frame read, in order (maybe none).

        Raises:
            WebSocketProtocolException: as :meth:`pop`, once the frames before it are taken.
        """
        ready = self._ready
        if ready:
            self._ready = collections.deque()
            return ready
        if self._error is not None:
            raise self._error
        return ready

    def _split(self) -> None:
        """Move every whole frame of the received bytes to ``_ready``; keep the rest."""
        chunks = self._chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        have = len(data)
        ready = self._ready
        pos = 0
        need = 2
        try:
            while have - pos >= 2:
                b0 = data[pos]
                b1 = data[pos + 1]
                if b1 & 0x80:
                    raise websocket.WebSocketProtocolException("masked frame from the server")
                length = b1 & 0x7F
                head = pos + 2
                if length >= 126:
                    head = pos + (4 if length == 126 else 10)
                    if have < head:
                        need = head - pos
                        break
                    length = int.from_bytes(data[pos + 2 : head], "big")
                    if length > MAX_MESSAGE:
                        raise websocket.WebSocketProtocolException("frame too large")
                end = head + length
                if end > have:
                    need = end - pos
                    break
                pos = end
                opcode = b0 & 0x0F
                if (b0 & 0x80 and opcode != _CONT and not self._parts) or opcode >= 0x8:
                    # A whole message (the usual frame), or a control frame, which may come
                    # between the fragments of a message.
                    ready.append((opcode, data[head:end]))
                else:
                    message = self._fragment(bool(b0 & 0x80), opcode, data[head:end])
                    if message is not None:
                        ready.append(message)
        except websocket.WebSocketProtocolException as exc:
            self._error = exc
            need = 1 << 62  # nothing more is split: the stream is over
        rest = data[pos:] if pos else data
        self._chunks = [rest] if rest else []
        self._have = len(rest)
        self._need = need

    def _fragment(self, fin: bool, opcode: int, payload: bytes) -> Optional[tuple[int, bytes]]:
        """One frame of a fragmented message; the whole message once its last part is in."""
        if opcode == _CONT:
            if not self._parts:
                raise websocket.WebSocketProtocolException("continuation without a start")
        elif self._parts:
            raise websocket.WebSocketProtocolException("new message inside a fragmented one")
        else:
            self._opcode = opcode
        self._parts.append(payload)
        self._size += len(payload)
        if self._size > MAX_MESSAGE:
            raise websocket.WebSocketProtocolException("message too large")
        if not fin:
            return None
        data = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        return self._opcode, data


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def _parse_close(data: bytes) -> tuple[Optional[int], str]:
    if len(data) >= 2:
        return int.from_bytes(data[:2], "big"), data[2:].decode("utf-8", "replace")
    return None, ""
