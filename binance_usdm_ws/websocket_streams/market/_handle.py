"""``StreamHandle``: one subscription's typed items, gaps and silence reports, in order.

Made by a builder's ``execute()`` or ``client.websocket_streams.subscribe([...])``; the
client (``_client.py``) feeds it from the sockets' reader threads.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union

from ..._core._redact import mask
from ..._core._stream_delivery import StreamConsumer, StreamGap
from ...errors import (
    InvalidRequest,
)
from ..user_data._decode import decode_event
from ._decode import decode_market_event, decoder_for
from ._request import UserData, is_listen_key
from ._silence import StreamSilent

if TYPE_CHECKING:
    from ._client import WebsocketStreams


__all__ = ["StreamHandle"]

E = TypeVar("E")
T = TypeVar("T")
_counter = itertools.count(1)
_ABSENT: Any = object()


class StreamHandle(StreamConsumer[Union[T, StreamGap, StreamSilent]], Generic[T]):
    """A subscription to one or more streams: typed events, ``StreamGap``\\s and
    ``StreamSilent``\\s, in order.

    Made by a builder's ``execute()`` or ``client.websocket_streams.subscribe([...])``. Iterate
    it (``for item in handle``), ``get(timeout)``, or register callbacks: ``on("message", fn)``
    (every event, as Go's ``handler.On("message", ...)``), ``on(SomeEvent, fn)``, ``on_any``,
    ``on_error``. ``unsubscribe()`` (or leaving ``with handle:``) ends this handle only.

    Typed by its builder: ``aggregate_trade_streams()...execute()`` is a
    ``StreamHandle[AggregateTrade]`` whose items are ``AggregateTrade``, ``StreamGap`` or
    ``StreamSilent`` (an ``UnknownEvent`` for a payload that does not fit).

    A stream of the handle that falls silent for longer than its cadence allows (or than
    ``silence_timeout``) gets a ``StreamSilent`` per repair step, and a
    ``StreamGap(reason="silent")`` before its first event back.

    Attributes:
        streams: The stream names of this handle.
        silence_timeout: seconds without a frame after which a stream of this handle is
            reported silent and repaired, whatever its cadence (``None``: its cadence decides;
            event-driven streams are then not watched).
    """

    def __init__(
        self,
        owner: WebsocketStreams,
        streams: tuple[str, ...],
        models: dict[str, type],
        silence_timeout: Optional[float] = None,
    ):
        n = next(_counter)
        super().__init__(
            owner._config.queue_size, f"binance-usdm-ws-streams-h{n}", decode=self._decode_frame
        )
        self._owner = owner
        self.streams = streams
        self.silence_timeout = silence_timeout
        self._models = models
        #: stream name → the decoder of its payloads, looked up once
        self._decoders: dict[str, Callable[[Any], Any]] = {
            name: decode_event if model is UserData else decoder_for(model)
            for name, model in models.items()
        }
        self._delivery_wanted = True
        self._subscribed = True

    def _decode_frame(self, message: Any) -> Any:
        if type(message) is dict:
            data = message.get("data", _ABSENT)
            if data is not _ABSENT and "stream" in message:
                decoder = self._decoders.get(message["stream"])
                if decoder is not None:
                    return decoder(data)
                return decode_market_event(data)
        return decode_market_event(message)

    def _push(self, message: Any) -> None:
        """Reader thread: append one frame (never waits; overflow drops the oldest)."""
        with self._cond_lock:
            if not self._closed:
                self._buffer.push_raw(message)
                if self._waiting:
                    self._wake()

    def _push_gap(self, gap: Union[StreamGap, StreamSilent]) -> None:
        """A notice (gap, silence report) in order with the frames; never dropped."""
        with self._cond:
            if not self._closed:
                self._buffer.push_notice(gap)
                self._cond.notify_all()

    @property
    def subscribed(self) -> bool:
        """False once ``unsubscribe()`` was called or the client closed."""
        return self._subscribed

    def on(self, event_type: Union[str, type[E]], handler: Callable[[Any], Any]) -> Any:
        """Call ``handler(item)`` for every item of ``event_type`` in the delivery thread.

        ``event_type`` is ``"message"`` (every event, gaps and silence reports excluded: Go
        parity), an event class (``AggregateTrade``), ``StreamGap`` or ``StreamSilent``.
        Returns ``handler``.

        Raises:
            InvalidRequest: ``event_type`` is another string.
        """
        if isinstance(event_type, str):
            if event_type != "message":
                raise InvalidRequest(
                    f'unknown event {event_type!r}: use "message", a model class or StreamGap',
                    param="event_type",
                )

            def on_message(item: Any) -> None:
                if not isinstance(item, (StreamGap, StreamSilent)):
                    handler(item)

            super().on(object, on_message)
            return handler
        return super().on(event_type, handler)

    def get(self, timeout: Optional[float] = None) -> Optional[Union[T, StreamGap, StreamSilent]]:
        """Return the next item, waiting up to ``timeout`` seconds (``None``: forever).

        Returns:
            The event, ``StreamGap`` or ``StreamSilent``; ``None`` on timeout, or once
            unsubscribed and drained.
        """
        item: Optional[Union[T, StreamGap, StreamSilent]] = super().get(timeout)
        return item

    def get_raw(self, timeout: Optional[float] = None) -> Any:
        """Like :meth:`get`, without decoding: the payload as parsed JSON (or a ``StreamGap``).

        The fast path for a consumer that reads ``["b"]`` itself: no model is built. Use one
        form per handle (``get``/iteration or ``get_raw``/:meth:`raw`).
        """
        return self._take(timeout, drain=True, resolve=self._resolve_raw)

    def raw(self) -> Iterator[Any]:
        """Iterate the payloads undecoded (and ``StreamGap`` notices) until unsubscribed."""
        while True:
            item = self.get_raw()
            if item is None:
                return
            yield item

    def _resolve_raw(self, item: Any) -> Any:
        if type(item) is dict:
            return item["data"] if "data" in item else item
        return self._resolve(item)  # a notice: the gap, or an error for on_error

    def __iter__(self) -> StreamHandle[T]:
        return self

    def __next__(self) -> Union[T, StreamGap, StreamSilent]:
        item: Union[T, StreamGap, StreamSilent] = super().__next__()
        return item

    def unsubscribe(self) -> None:
        """End this handle; ``UNSUBSCRIBE`` the streams no other handle uses. Idempotent.

        Items already received stay readable; iteration ends once they are consumed.
        """
        with self._cond:
            if not self._subscribed:
                return
            self._subscribed = False
        try:
            self._owner._release(self)
        finally:
            self._end_delivery()

    close = unsubscribe

    def __enter__(self) -> StreamHandle[T]:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.unsubscribe()

    def __repr__(self) -> str:
        state = "subscribed" if self._subscribed else "unsubscribed"
        return f"<StreamHandle {_shown(self.streams)} {state} pending={self.pending}>"


def _shown(names: Iterable[str]) -> list[str]:
    """Stream names for a log or a repr: listenKeys shortened."""
    return [mask(n) if is_listen_key(n) else n for n in names]
