"""Configuration of the WS API and stream connections, and the official base URLs."""

from __future__ import annotations

import os
import ssl
from typing import Any, Literal, Optional, Union

import attrs

from ._core._transport import check_proxy, safe_proxy
from .errors import InvalidRequest

__all__ = [
    "DERIVATIVES_TRADING_USDS_FUTURES_WS_API_PROD_URL",
    "DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL",
    "DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_PROD_URL",
    "DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL",
    "ConfigurationWebsocketApi",
    "ConfigurationWebsocketStreams",
]

#: USDⓈ-M futures WebSocket API, production. Not the Spot URL the Go docs show.
DERIVATIVES_TRADING_USDS_FUTURES_WS_API_PROD_URL = "wss://ws-fapi.binance.com/ws-fapi/v1"
#: USDⓈ-M futures WebSocket API, testnet.
DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL = "wss://testnet.binancefuture.com/ws-fapi/v1"
#: Market and user data streams root, production; the SDK appends ``/private``, ``/market``…
DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_PROD_URL = "wss://fstream.binance.com"
#: Streams root, testnet (the connectors' host).
DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL = "wss://fstream.binancefuture.com"


def _non_negative(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, (int, float)) or value < 0):
        raise InvalidRequest(
            f"{attribute.name}: must be a number >= 0 or None", param=attribute.name
        )


def _positive(instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"{attribute.name}: must be an int >= 1", param=attribute.name)


def _mode(instance: Any, attribute: Any, value: Any) -> None:
    if value not in ("single", "pool"):
        raise InvalidRequest('mode: must be "single" or "pool"', param="mode")


#: The user data stream URL forms (``ConfigurationWebsocketStreams.user_data_url``).
USER_DATA_URL_FORMS = ("query", "path", "subscribe")


def _user_data_url(instance: Any, attribute: Any, value: Any) -> None:
    if value not in USER_DATA_URL_FORMS:
        raise InvalidRequest(
            f'user_data_url: must be "query", "path" or "subscribe", got {value!r}',
            param="user_data_url",
        )


def _url(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.startswith(("ws://", "wss://")):
        raise InvalidRequest(
            f"{attribute.name}: must be a ws:// or wss:// URL", param=attribute.name
        )


def _proxy(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        if not isinstance(value, str):
            raise InvalidRequest("proxy: must be a URL string or None", param="proxy")
        check_proxy(value)


@attrs.define(frozen=True, kw_only=True)
class _Network:
    """How the sockets reach Binance; shared by both configurations (documented there)."""

    proxy: Optional[str] = attrs.field(
        default=None, validator=_proxy, repr=lambda v: repr(safe_proxy(v))
    )
    ca_bundle: Union[str, os.PathLike[str], None] = None
    ssl_context: Optional[ssl.SSLContext] = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(ssl.SSLContext)),
        repr=False,
    )


_NETWORK_DOC = """
    Network:
        proxy: ``http://[user:password@]host:port`` (HTTP CONNECT) or
            ``socks5://[user:password@]host:port`` (``socks5h://`` resolves names at the proxy;
            ``socks4://``, ``socks4a://`` too; SOCKS needs the ``proxy`` extra). Used for every
            connection; the password never appears in reprs or errors. Without it the usual
            variables apply, any case: ``HTTPS_PROXY`` (``wss://``), ``HTTP_PROXY`` (``ws://``),
            ``ALL_PROXY``, any of the schemes above; hosts in ``NO_PROXY`` (``*``: all) connect
            directly.
        ca_bundle: path of a PEM file (or a directory) of CA certificates to trust instead of the
            system's, e.g. a corporate TLS-inspection CA. Verification stays on.
        ssl_context: an ``ssl.SSLContext`` used as is for ``wss://`` (wins over ``ca_bundle``).
"""


@attrs.define(frozen=True, kw_only=True)
class ConfigurationWebsocketApi(_Network):
    """Settings of the WS API connection. Secrets are never shown in ``repr``.

    Connection:
        base_path: the WS API URL (default production; use
            ``DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL`` for testnet).
        connect_timeout: seconds for TCP, TLS and the handshake.
        close_timeout: seconds ``close_websocket_connection()`` waits for a clean close.
        mode: ``"single"`` (one connection) or ``"pool"``: ``pool_size`` connections, each
            logged on, reconnected and rotated on its own; a request goes to the open
            connection with the fewest requests in flight (ties in turn), so a drop fails only
            the calls in flight on that connection while the others keep serving.
        pool_size: connections in ``"pool"`` mode (an int >= 1; ignored in ``"single"`` mode).

    Keys:
        api_key: the API key (sent as ``apiKey``).
        api_secret: HMAC secret; signatures are hex HMAC-SHA256.
        private_key: RSA or Ed25519 private key as PEM text or a file path (``crypto`` extra);
            wins over ``api_secret``.
        private_key_passphrase: passphrase of an encrypted private key.

    Requests:
        timeout: seconds to wait for a reply; ``None`` waits forever. Per call:
            ``execute(timeout=...)``.
        recv_window: default ``recvWindow`` (ms) for signed requests; ``None`` sends none.
        time_unit: ``"MILLISECOND"`` or ``"MICROSECOND"`` (or a ``TimeUnit``) for the times in
            replies (``timeUnit``); with MICROSECOND the signed ``timestamp`` is in µs too.
        return_rate_limits: ``False`` asks the server to leave ``rateLimits`` out of replies.
        session_logon: log the connection on (``session.logon``) right after connecting, so
            signed requests need no per-request signature.

    Resilience:
        heartbeat_interval: send a ping after this many idle seconds; ``None`` disables it.
        heartbeat_timeout: the connection is dead if nothing arrives for this many seconds
            after ``heartbeat_interval`` (catches half-open TCP).
        reconnect: reconnect by itself after the connection drops.
        reconnect_delay: first backoff delay, doubled per failed attempt, with jitter.
        reconnect_max_delay: cap of the backoff delay.
        reconnect_attempts: attempts before giving up; ``None`` tries forever.
        wait_for_reconnect: during an outage new calls wait for the reconnect within their
            timeout (``True``) or fail at once with ``ConnectionClosed`` (``False``).
        rotation_interval: replace the connection proactively after this many seconds
            (make-before-break; Binance closes connections after 24 h). ``None`` disables it.

    Outcomes:
        resolve_outcome: when the outcome of an order method is unknown (a lost reply, a drop,
            5xx, -1006/-1007), ``execute()`` queries the order by its client
            order id and returns it (``resp.resolved``) or raises ``NotExecuted`` /
            ``OrderNotPlaced`` / ``OutcomeUnknown``. Off by default: ``execute()`` then raises
            the original error at once (bounded by ``timeout``), and ``exc.resolve()`` does the
            same later. Per call: ``execute(resolve_outcome=True)``.
        resolve_timeout: seconds a resolution may take in all (it waits for the reconnect and
            for the request's recvWindow to pass before "not found" is final).
        resolve_attempts: most ``order.status`` queries per resolution.
    """

    __doc__ = (__doc__ or "") + _NETWORK_DOC

    base_path: str = attrs.field(
        default=DERIVATIVES_TRADING_USDS_FUTURES_WS_API_PROD_URL, validator=_url
    )
    api_key: Optional[str] = attrs.field(default=None, repr=False)
    api_secret: Optional[str] = attrs.field(default=None, repr=False)
    private_key: Union[str, bytes, None] = attrs.field(default=None, repr=False)
    private_key_passphrase: Optional[str] = attrs.field(default=None, repr=False)
    timeout: Optional[float] = attrs.field(default=5.0, validator=_non_negative)
    connect_timeout: Optional[float] = attrs.field(default=10.0, validator=_non_negative)
    close_timeout: Optional[float] = attrs.field(default=5.0, validator=_non_negative)
    mode: str = attrs.field(default="single", validator=_mode)
    pool_size: int = attrs.field(default=2, validator=_positive)
    recv_window: Optional[int] = attrs.field(default=None, validator=_non_negative)
    time_unit: Optional[str] = None
    return_rate_limits: Optional[bool] = None
    session_logon: bool = False
    heartbeat_interval: Optional[float] = attrs.field(default=10.0, validator=_non_negative)
    heartbeat_timeout: float = attrs.field(default=10.0, validator=_non_negative)
    reconnect: bool = True
    reconnect_delay: float = attrs.field(default=0.5, validator=_non_negative)
    reconnect_max_delay: float = attrs.field(default=30.0, validator=_non_negative)
    reconnect_attempts: Optional[int] = attrs.field(default=None, validator=_non_negative)
    wait_for_reconnect: bool = True
    rotation_interval: Optional[float] = attrs.field(default=23 * 3600.0, validator=_non_negative)
    resolve_outcome: bool = False
    resolve_timeout: float = attrs.field(default=30.0, validator=_non_negative)
    resolve_attempts: int = attrs.field(default=5, validator=_non_negative)

    def __attrs_post_init__(self) -> None:
        if self.time_unit is not None and (
            not isinstance(self.time_unit, str)
            or self.time_unit.upper() not in ("MILLISECOND", "MICROSECOND")
        ):
            raise InvalidRequest("time_unit: must be MILLISECOND or MICROSECOND", param="time_unit")

    def __repr__(self) -> str:
        # attrs' repr leaves out the secret fields; say whether a key is set, never its value.
        return (
            f"ConfigurationWebsocketApi(base_path={self.base_path!r}, "
            f"api_key={'set' if self.api_key else None}, "
            f"key_type={self._key_type()}, "
            f"timeout={self.timeout!r}, proxy={safe_proxy(self.proxy)!r})"
        )

    def _key_type(self) -> Optional[str]:
        if self.private_key is not None:
            return "private_key"
        return "hmac" if self.api_secret is not None else None

    @property
    def url(self) -> str:
        """``base_path`` with the query options (``timeUnit``, ``returnRateLimits``) applied."""
        query = []
        if self.time_unit:
            query.append(f"timeUnit={self.time_unit.upper()}")
        if self.return_rate_limits is False:
            query.append("returnRateLimits=false")
        if not query:
            return self.base_path
        sep = "&" if "?" in self.base_path else "?"
        return self.base_path + sep + "&".join(query)


@attrs.define(frozen=True, kw_only=True)
class ConfigurationWebsocketStreams(_Network):
    """Settings of stream connections (user data and market data).

    Args:
        base_path: the streams root (``wss://fstream.binance.com``; testnet:
            ``DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL``); the SDK adds the routed
            paths (``/private``, ``/market``, ``/public``), never the user.
        connect_timeout: seconds for TCP, TLS and the handshake.
        close_timeout: seconds ``close()`` waits for a clean close of a socket.
        keepalive_interval: seconds between ``userDataStream.ping`` calls (listenKeys live 60
            min). A failed ping is retried with the reconnect backoff until the next one is due,
            and reported to ``on_error``; ``-1125`` starts a new key.
        silence_timeout: no frame for this long means the socket is dead and it is reconnected
            (the server pings every 3 minutes, so the default is 3 minutes plus a margin). The
            client pings after half of it without a frame, so a live socket never falls silent.
            0 disables the check.
        reconnect_delay, reconnect_max_delay: first and largest delay (seconds) of the
            exponential backoff, with jitter, between reconnect attempts and ping retries.
        queue_size: raw messages buffered for a slow consumer; when full, the oldest are
            dropped and a ``StreamGap(reason="overflow", dropped=n)`` says so. 0: unbounded.
        rotation_interval: replace the stream connection, make-before-break, after this many
            seconds (Binance closes connections after 24 h). ``None`` disables it.

    User data stream (``client.user_data_stream()``):
        user_data_url: how the listenKey reaches Binance, the same for the first socket,
            reconnects, rotations and a replaced key:

            * ``"query"`` (default): ``<base>/private/ws?listenKey=<key>`` (with
              ``&events=...`` when the stream has an ``events`` filter), the form of Binance's
              2026 change notice, measured delivering on production;
            * ``"path"``: ``<base>/private/ws/<key>``, the form of the Connect page; reported
              to accept the socket and deliver nothing on production since 2026-04-23;
            * ``"subscribe"``: ``<base>/private/stream``, then ``SUBSCRIBE ["<key>"]`` (as the
              official connectors do); events arrive in the combined envelope, unwrapped here.

            Switch it if Binance (or the testnet) serves another form than production does
            today: a stream on a form that does not deliver stays connected and silent.

    Market streams (``client.websocket_streams``):
        timeout: seconds ``execute()``/``subscribe()`` wait for the ``SUBSCRIBE``
            acknowledgement (then ``RequestTimeout``); ``None`` waits forever.
        max_streams_per_connection: streams one socket holds (Binance: 1024); more go to
            further sockets of the same route.
        max_control_messages_per_second: control frames one socket sends in any one-second
            window (a strict sliding window; Binance closes with 1008 above 10 incoming
            messages per second, pongs included, hence 5 by default).
        max_streams_per_subscribe: stream names per ``SUBSCRIBE``/``UNSUBSCRIBE`` frame; longer
            lists are sent in chunks, paced.
        stream_silence_factor: a stream with a cadence is silent after this many of its periods
            without a frame (default 5: one or two missed frames happen, five in a row do not);
            then it is reported on its handles (``StreamSilent``), resubscribed, and its socket
            replaced if that did not help. 0 disables the cadence watch (a handle's
            ``silence_timeout`` still applies).
        stream_silence_floor: seconds a stream published on a clock (mark prices, indexes,
            trading sessions) may be silent in any case (default 5: above what a lost packet's
            TCP retransmissions or a paused process take).
        stream_quiet_floor: the same for streams Binance publishes only when something changed
            (klines, tickers, partial depth, all-market arrays), which a quiet market leaves
            silent (default 60 s; raise it for illiquid symbols; 0 does not watch them).
    """

    __doc__ = (__doc__ or "") + _NETWORK_DOC

    base_path: str = attrs.field(
        default=DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_PROD_URL, validator=_url
    )
    connect_timeout: Optional[float] = attrs.field(default=10.0, validator=_non_negative)
    close_timeout: Optional[float] = attrs.field(default=5.0, validator=_non_negative)
    keepalive_interval: float = attrs.field(default=30 * 60.0, validator=_non_negative)
    silence_timeout: float = attrs.field(default=200.0, validator=_non_negative)
    reconnect_delay: float = attrs.field(default=0.5, validator=_non_negative)
    reconnect_max_delay: float = attrs.field(default=30.0, validator=_non_negative)
    queue_size: int = attrs.field(default=10_000, validator=_non_negative)
    rotation_interval: Optional[float] = attrs.field(default=23 * 3600.0, validator=_non_negative)
    user_data_url: Literal["query", "path", "subscribe"] = attrs.field(
        default="query", validator=_user_data_url
    )
    timeout: Optional[float] = attrs.field(default=5.0, validator=_non_negative)
    max_streams_per_connection: int = attrs.field(default=1024, validator=_positive)
    max_control_messages_per_second: int = attrs.field(default=5, validator=_positive)
    max_streams_per_subscribe: int = attrs.field(default=200, validator=_positive)
    stream_silence_factor: float = attrs.field(default=5.0, validator=_non_negative)
    stream_silence_floor: float = attrs.field(default=5.0, validator=_non_negative)
    stream_quiet_floor: float = attrs.field(default=60.0, validator=_non_negative)
