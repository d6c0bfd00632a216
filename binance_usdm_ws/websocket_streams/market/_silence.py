"""Silence of one stream: reported on its handles, then repaired, then a gap when it is back.

Binance acknowledges a ``SUBSCRIBE`` it will never serve (a symbol it does not list, a stream of
the other route) and, on a live socket, a stream can stop while the others of that socket go on
(binance-connector-java#139). Neither closes the socket, so the socket's heartbeat cannot see
it. Every stream with a cadence (``Cadence`` on its builder: Binance's update speed) is watched on
its own, and so is any stream whose handle asked for it (``silence_timeout``).

**When a stream is silent.** After ``limit`` seconds without a frame of it, where ``limit`` is the
shortest of:

* for a stream published on a clock (``Cadence.regular``: mark prices, indexes, trading
  sessions), ``max(stream_silence_factor × period, stream_silence_floor)`` — by default
  ``max(5 × period, 5 s)``: 5 s for ``@markPrice@1s``, 15 s for ``@markPrice``. Five periods,
  because a healthy stream may miss one or two frames (publishing jitter on Binance's side, a TCP
  retransmission, this process paused by garbage collection or a busy CPU) but not five in a
  row; at least 5 s, because a TCP retransmission backs off 0.2 + 0.4 + 0.8 + 1.6 s ≈ 3 s
  before a lost segment arrives, and a 100 ms stream would otherwise be declared silent by a
  single lost packet;
* for a stream published at most every period and only when something changed (klines,
  tickers, partial depth, the all-market arrays: a kline of a symbol nobody trades is not
  sent — peers measured 35 s between kline frames in a quiet market),
  ``max(stream_silence_factor × period, stream_quiet_floor)``, by default 60 s: a minute
  without a frame is a broken stream on any actively traded symbol; set the floor higher for
  illiquid symbols, or 0 to watch only clock streams;
* the ``silence_timeout`` of any handle of the stream (opt-in, the only watch of event-driven
  streams: trades, book tickers, diff depth, liquidations, contract info).

**What happens** (in the supervisor thread of the client, which sleeps until the next stream is
due: no polling, no thread per stream), each step reported first, on every handle of that stream
only, as a :class:`StreamSilent` in order with its events (``action`` says the step):

1. ``"resubscribe"`` — ``UNSUBSCRIBE`` + ``SUBSCRIBE`` of the stream on the same socket;
2. ``"reconnect"`` — still silent ``limit`` seconds later: the socket is replaced (every handle of
   that socket then gets its ``StreamGap(reason="reconnect")``), again after 2×, 4×... ``limit``
   (at most every 5 minutes) while it stays silent;
   a stream that never delivered a frame since it was subscribed gets ``"none"`` instead
   (reported, not repaired): Binance does not publish that name (an acknowledged unknown symbol
   or wrong route) and a new socket would not change that but would interrupt its neighbours.

All streams due at once are repaired together: one ``UNSUBSCRIBE`` and one ``SUBSCRIBE`` per
socket (chunked), one replacement per socket, every control frame within the socket's pacing.
When a frame of the stream arrives again, a ``StreamGap(reason="silent")`` comes first: from the
stream's last frame to this one, what it may have missed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Optional

import attrs

from ..._core._stream_delivery import StreamGap, now_ms
from ._request import Cadence, parse_stream_name

if TYPE_CHECKING:
    from ._client import WebsocketStreams, _Shard

__all__ = ["StreamSilent", "Watch", "Watchdog"]

RESUBSCRIBE, RECONNECT, NONE = "resubscribe", "reconnect", "none"
#: Longest wait between two repairs of a stream that stays silent.
MAX_REPAIR_INTERVAL = 300.0
#: The watchdog wakes this share of a limit (at most ``_MAX_SLACK`` s) after a stream is due, so
#: streams due about together (subscribed together) are reported and repaired together; a report
#: is never early (``silent_for >= limit``).
_SLACK, _MAX_SLACK = 0.1, 0.5
#: Shortest sleep of the watchdog (a stream due in the past is checked at once, then not again
#: before this).
_MIN_SLEEP = 0.02


@attrs.define(frozen=True)
class StreamSilent:
    """A stream of this handle sent nothing for longer than it should: what the SDK does about it.

    It arrives in the handle, in order with the events, and to its callbacks
    (``on(StreamSilent, fn)``, ``on_any``; not ``on("message")``). One per step of the repair:
    ``"resubscribe"``, then ``"reconnect"`` (again, with backoff, while it stays silent), or
    ``"none"`` for a stream that never delivered since it was subscribed (Binance acknowledged a
    name it does not publish). When the stream is back, a ``StreamGap(reason="silent")`` precedes
    its next event.

    Attributes:
        stream: the silent stream's name.
        silent_for: seconds since its last frame (or since it was subscribed).
        action: ``"resubscribe"``, ``"reconnect"`` or ``"none"``.
        limit: the silence (seconds) after which it counts as silent, from its cadence or the
            handle's ``silence_timeout``.
        cadence: its documented period in seconds; ``None`` for an event-driven stream.
        last: epoch milliseconds of its last frame; ``None`` if none arrived since subscribed.
    """

    stream: str
    silent_for: float
    action: str
    limit: float
    cadence: Optional[float] = None
    last: Optional[int] = None


def _wall_ms(mono: float) -> int:
    """A ``time.monotonic()`` instant as epoch milliseconds."""
    return now_ms() - int((time.monotonic() - mono) * 1000)


class Watch:
    """The silence state of one subscribed stream (reader threads write ``last``)."""

    __slots__ = ("name", "shard", "cadence", "limit", "subscribed", "last", "since", "step", "next")

    def __init__(self, name: str, shard: _Shard, cadence: Optional[Cadence], now: float) -> None:
        self.name = name
        self.shard = shard
        self.cadence = cadence
        self.limit: Optional[float] = None  # set by ``Watchdog.update``
        self.subscribed = now
        self.last = 0.0  # monotonic time of its last frame; 0.0: none yet
        self.since = now  # watched from (subscribed, or its socket replaced)
        self.step = 0  # 0: delivering; n: silent, n steps taken
        self.next = 0.0  # while silent: when the next step is due

    def due(self) -> float:
        if self.step:
            return self.next
        return max(self.last, self.since) + (self.limit or 0.0)


class Watchdog:
    """The watches of one ``WebsocketStreams`` and the repair ladder (see the module docstring)."""

    def __init__(self, owner: WebsocketStreams) -> None:
        self._owner = owner
        cfg = owner._config
        self._factor = cfg.stream_silence_factor
        self._floor = cfg.stream_silence_floor
        self._quiet_floor = cfg.stream_quiet_floor
        #: stream name → its watch (the subscribed streams with a limit)
        self.watches: dict[str, Watch] = {}

    def cadence_limit(self, cadence: Optional[Cadence]) -> Optional[float]:
        """The silence limit a cadence gives by itself (``None``: not watched by default)."""
        if cadence is None or not self._factor:
            return None
        floor = self._floor if cadence.regular else self._quiet_floor
        if not floor and not cadence.regular:
            return None
        return max(self._factor * cadence.period, floor)

    def update(self, names: Any) -> Optional[float]:
        """Under the owner's control lock: (re)compute the limits of ``names`` from their handles.

        Returns the earliest time one of them is due (for the supervisor's timer), or None.
        """
        owner = self._owner
        due: Optional[float] = None
        now = time.monotonic()  # one instant: streams subscribed together are due together
        for name in names:
            shard = owner._shard_of.get(name)
            if shard is None:  # not subscribed (any more)
                self.watches.pop(name, None)
                continue
            cadence = parse_stream_name(name).cadence
            limits = [h.silence_timeout for h in owner._handles.get(name, ())]
            limits.append(self.cadence_limit(cadence))
            present = [x for x in limits if x is not None]
            if not present:  # unwatched: its frames cost no clock reading
                self.watches.pop(name, None)
                continue
            watch = self.watches.get(name)
            if watch is None:
                watch = self.watches[name] = Watch(name, shard, cadence, now)
            watch.limit = min(present)
            when = watch.due()
            due = when if due is None else min(due, when)
        return due

    def restart(self, shard: _Shard) -> None:
        """A new socket serves ``shard``: its streams are watched from now (they were not
        expected to deliver while it was being replaced)."""
        now = time.monotonic()
        for watch in list(self.watches.values()):
            if watch.shard is shard:
                watch.since = now

    def resumed(self, watch: Watch, handles: Any) -> None:
        """Reader thread, under the shard's lock: a frame of a silent stream; a gap first."""
        start = _wall_ms(watch.last or watch.subscribed)
        gap = StreamGap(
            reason="silent",
            start=start,
            end=max(start, now_ms()),
            detail=f"{watch.name} was silent; events of it may be missing",
        )
        watch.step = 0
        for handle in handles:
            handle._push_gap(gap)

    def _step(self, watch: Watch, now: float) -> Optional[str]:
        """Report the next step of a silent stream on its handles; return its action."""
        with watch.shard.lock:  # atomic with the delivery of its frames
            if watch.due() > now or self.watches.get(watch.name) is not watch:
                return None  # a frame arrived meanwhile, or it was unsubscribed
            limit = watch.limit or 0.0
            last = watch.last
            if watch.step == 0:
                action, wait = RESUBSCRIBE, limit
            else:
                action = RECONNECT if last else NONE
                wait = min(limit * 2**watch.step, MAX_REPAIR_INTERVAL)
            watch.step += 1
            watch.next = now + wait
            item = StreamSilent(
                watch.name,
                round(now - (last or watch.subscribed), 3),
                action,
                limit,
                watch.cadence.period if watch.cadence is not None else None,
                _wall_ms(last) if last else None,
            )
            for handle in self._owner._handles.get(watch.name, ()):
                handle._push_gap(item)
        return action

    def check(self, now: float) -> Optional[float]:
        """Supervisor thread: report and repair the streams due; return when to look next."""
        owner = self._owner
        resubscribe: dict[int, tuple[_Shard, list[str]]] = {}
        replace: dict[int, tuple[_Shard, str]] = {}
        nxt: Optional[float] = None
        for watch in list(self.watches.values()):
            limit = watch.limit
            if limit is None:
                continue
            slack = min(limit * _SLACK, _MAX_SLACK)
            shard = watch.shard
            due = watch.due()
            if due > now or not owner._live_shard(shard):
                # Not due, or its socket is being replaced (which restarts the watch).
                when = (due if due > now else now + limit) + slack
                nxt = when if nxt is None else min(nxt, when)
                continue
            action = self._step(watch, now)
            when = watch.due() + slack
            nxt = when if nxt is None else min(nxt, when)
            if action == RESUBSCRIBE:
                resubscribe.setdefault(id(shard), (shard, []))[1].append(watch.name)
            elif action == RECONNECT:
                detail = f"{watch.name} silent for {now - watch.last:.1f} s; socket replaced"
                replace.setdefault(id(shard), (shard, detail))
        for shard, names in resubscribe.values():
            if id(shard) not in replace:
                owner._resubscribe(shard, names)
        for shard, detail in replace.values():
            owner._replace(shard, detail)
        if nxt is None:
            return None
        return max(nxt, time.monotonic() + _MIN_SLEEP)
