"""The client: one object per account, holding the WS API connection and the streams."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Optional, Union

from ._config import ConfigurationWebsocketApi, ConfigurationWebsocketStreams
from ._core._scheduler import Scheduler
from .errors import ClientClosed, InvalidRequest
from .websocket_api._websocket_api import WebsocketApi
from .websocket_streams.market._client import WebsocketStreams
from .websocket_streams.market._enums import DepthUpdateSpeed
from .websocket_streams.order_book._book import LocalOrderBook
from .websocket_streams.order_book._manager import LocalOrderBooks, OrderBookManager
from .websocket_streams.user_data._stream import UserDataStream

__all__ = ["BinanceDerivativesTradingUsdsFuturesClient"]


class BinanceDerivativesTradingUsdsFuturesClient:
    """Client of the Binance USDⓈ-M Futures WebSocket API and streams.

    Args:
        websocket_api: configuration of the WS API connection (``client.websocket_api``).
        websocket_streams: configuration of stream connections (``client.websocket_streams``
            market streams, and the user data stream).

    Use it as a context manager — ``with Client(websocket_api=cfg) as client:`` connects on
    enter and closes everything on exit — or call ``client.websocket_api.connect()`` and
    ``client.close()`` yourself. It is thread-safe: many threads may ``execute()`` at once.
    Nothing here uses asyncio, so it works the same in scripts and in Jupyter kernels.

    Threads run only while there is something to serve: ``close_websocket_connection()``
    alone (the Go connector's way to finish) ends every thread of the client once its user
    data streams are closed, and ``connect()`` may follow. ``close()`` also closes the
    streams, and is final: every entry point after it (``websocket_streams``,
    ``local_order_book(s)``, ``user_data_stream()``, WS API calls and ``connect()``) raises
    ``ClientClosed`` at once and opens nothing.

    Raises:
        InvalidRequest: neither configuration is given, or a key cannot be loaded.
    """

    def __init__(
        self,
        websocket_api: Optional[ConfigurationWebsocketApi] = None,
        websocket_streams: Optional[ConfigurationWebsocketStreams] = None,
    ) -> None:
        if websocket_api is None and websocket_streams is None:
            raise InvalidRequest("give websocket_api and/or websocket_streams configuration")
        self._scheduler = Scheduler()
        self._websocket_api = (
            WebsocketApi(websocket_api, self._scheduler) if websocket_api is not None else None
        )
        self.websocket_streams_config = websocket_streams
        self._streams: list[UserDataStream] = []
        self._websocket_streams: Optional[WebsocketStreams] = None
        self._order_books: Optional[OrderBookManager] = None
        self._closed = False

    @property
    def websocket_api(self) -> WebsocketApi:
        """The WS API (``connect()``, the services, ``close_websocket_connection()``).

        Raises:
            InvalidRequest: the client was made without ``websocket_api`` configuration.
        """
        if self._websocket_api is None:
            raise InvalidRequest("this client has no websocket_api configuration")
        return self._websocket_api

    @property
    def websocket_streams(self) -> WebsocketStreams:
        """The market streams (``market_api``, ``public_api``, ``subscribe([...])``).

        Needs no API key and no WS API configuration; sockets open on the first subscription
        (one per route, more above ``max_streams_per_connection``). See
        :class:`~binance_usdm_ws.WebsocketStreams`.

        Raises:
            InvalidRequest: the client has no ``websocket_streams`` configuration.
            ClientClosed: the client is closed.
        """
        self._check_open()
        config = self.websocket_streams_config
        if config is None:
            raise InvalidRequest("this client has no websocket_streams configuration")
        if self._websocket_streams is None:
            self._websocket_streams = WebsocketStreams(config)
        return self._websocket_streams

    def local_order_book(
        self,
        symbol: str,
        *,
        limit: int = 1000,
        levels: Optional[int] = None,
        update_speed: Union[DepthUpdateSpeed, str] = DepthUpdateSpeed.UPDATE_SPEED_100ms,
    ) -> LocalOrderBook:
        """A local order book of ``symbol``, kept from the diff-depth stream and ``depth``.

        Subscribes ``<symbol>@depth@<update_speed>`` on ``/public`` (returns once acknowledged),
        then syncs by Binance's USDⓈ-M rules with a WS API ``depth`` snapshot of ``limit``
        levels (5, 10, 20, 50, 100, 500 or 1000; weight 2 to 20), keeping ``levels`` per side
        (default: ``limit``). ``book.wait_synced(timeout)``, then read. See
        :class:`~binance_usdm_ws.LocalOrderBook` and ``docs/local_order_book.md``.

        Raises:
            InvalidRequest: a bad argument, or the client lacks ``websocket_streams`` or
                ``websocket_api`` configuration (the snapshot comes from the WS API).
            SubscriptionRejected, RequestTimeout, ConnectionClosed: as for a subscription.
        """
        books = self.local_order_books(
            [symbol], limit=limit, levels=levels, update_speed=update_speed
        )
        return books[symbol]

    def local_order_books(
        self,
        symbols: Iterable[str],
        *,
        limit: int = 1000,
        levels: Optional[int] = None,
        update_speed: Union[DepthUpdateSpeed, str] = DepthUpdateSpeed.UPDATE_SPEED_100ms,
        weight_share: Optional[float] = None,
    ) -> LocalOrderBooks:
        """Local order books of many symbols: one subscription, one snapshot budget.

        Like :meth:`local_order_book` for each symbol, with their streams in one acknowledged
        subscription on shared ``/public`` sockets (up to ``max_streams_per_connection`` each)
        and one thread updating them. Snapshots of every book of the client go through one
        scheduler that keeps within ``weight_share`` (default 0.5; setting it changes the
        client's scheduler) of the ``REQUEST_WEIGHT`` limit reported in ``rateLimits``,
        resyncs first. Progress: ``books.synced_count``, ``books.wait_synced(timeout)``.

        Raises:
            InvalidRequest: as :meth:`local_order_book`; ``weight_share`` not in (0, 1].
            ClientClosed: the client is closed.
        """
        self._check_open()
        if weight_share is not None and not 0 < weight_share <= 1:
            raise InvalidRequest(
                f"weight_share: expected a fraction in (0, 1], got {weight_share!r}",
                param="weight_share",
            )
        streams = self.websocket_streams
        api = self.websocket_api
        if self._order_books is None:
            self._order_books = OrderBookManager(streams, api)
        if weight_share is not None:
            self._order_books.scheduler.weight_share = weight_share
        return self._order_books.open(
            symbols, limit=limit, levels=levels, update_speed=update_speed
        )

    def user_data_stream(self, *, events: Optional[Iterable[str]] = None) -> UserDataStream:
        """A user data stream of the account: typed events, kept alive and reconnected.

        ``with client.user_data_stream() as stream: for event in stream: ...`` — entering
        starts a listenKey over the WS API (which must be connected) and opens
        ``<streams base>/private/ws?listenKey=<listenKey>`` (the configuration's
        ``user_data_url`` chooses another form); leaving stops the key and closes the
        socket. See :class:`UserDataStream`. The account has one listenKey: open one stream
        per account (a second one would share, and on close stop, the same key).

        Args:
            events: an allow list of event types (``e`` values), e.g.
                ``["ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"]``: Binance then sends only those
                (``&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE``). ``listenKeyExpired`` is
                always added, and a log line says so: Binance leaves it out of a filter that
                does not list it, and the stream needs it to replace an expired key. None
                (default): every event. Needs ``user_data_url="query"``.

        Raises:
            InvalidRequest: the client has no ``websocket_streams`` or ``websocket_api``
                configuration; ``events`` is empty, a str, holds a name that is not an event
                type, or is given with another ``user_data_url`` than ``"query"``.
            ClientClosed: the client is closed.
        """
        self._check_open()
        config = self.websocket_streams_config
        if config is None:
            raise InvalidRequest("this client has no websocket_streams configuration")
        stream = UserDataStream(
            self.websocket_api, config, self._scheduler, self._forget, events=events
        )
        self._streams.append(stream)
        return stream

    def _forget(self, stream: UserDataStream) -> None:
        if stream in self._streams:
            self._streams.remove(stream)

    def _check_open(self) -> None:
        """The guard of every entry point: ``close()`` is final."""
        if self._closed:
            raise ClientClosed()

    def close(self) -> None:
        """Close every connection and stop every thread of this client. Idempotent and final:
        every entry point raises ``ClientClosed`` afterwards."""
        self._closed = True
        for stream in list(self._streams):  # first: their close stops the key over the WS API
            stream.close()
        if self._order_books is not None:
            self._order_books.close()
        if self._websocket_streams is not None:
            self._websocket_streams.close()
        if self._websocket_api is not None:
            self._websocket_api.close_websocket_connection()
        self._scheduler.close()

    def __enter__(self) -> BinanceDerivativesTradingUsdsFuturesClient:
        if self._websocket_api is not None:
            self._websocket_api.connect()
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        api = self._websocket_api
        state = "none" if api is None else ("connected" if api.connected else "not connected")
        return f"<BinanceDerivativesTradingUsdsFuturesClient websocket_api={state}>"
