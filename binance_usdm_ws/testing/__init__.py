"""A local Binance USDⓈ-M futures exchange for tests, demos and benchmarks.

It speaks the WS API wire format at ``/ws-fapi/v1`` and serves user data streams as production
does: ``/private/ws?listenKey=<key>[&events=...]`` and ``SUBSCRIBE <key>`` on ``/private/stream``
deliver, the path form ``/private/ws/<key>`` and the retired ``/ws/<key>`` stay silent
(``user_data_url_forms`` changes that), and market streams on ``/public`` and
``/market`` (``/ws/<names>`` and ``/stream?streams=``; see ``_market.py``) on 127.0.0.1, from one
daemon thread::

    from binance_usdm_ws.testing import LocalExchange

    with LocalExchange(ping_interval=1.0) as ex:
        url = ex.ws_api_url                      # ws://127.0.0.1:<port>/ws-fapi/v1
        ex.faults.delay("order.place", 0.5)      # fault injection
        ex.clock.advance(3600)                   # simulated clock: listenKeys lapse

Needs the ``testing`` extra (``websockets``, ``cryptography``). Stand-alone:
``python -m binance_usdm_ws.testing [--port N]`` prints the URLs and the default key.

By default the market is live like production: makers and takers of the exchange's own trade
around a wandering mid price every 100 ms (``_flow.py``; ``quiet=True`` / ``--quiet`` for a
still market, ``seed=`` / ``--seed`` for the same flow every run), so every market stream and
local order book shows data within a second.

What it does: every method of the USDⓈ-M WS API with results shaped like the docs' examples;
HMAC / RSA / Ed25519 signature checks over the sorted raw ``name=value`` payload; timestamp and
recvWindow checks (-1021); ``session.logon`` / ``status`` / ``logout``; listenKeys with the real
semantics on the simulated clock (``listenKeyExpired`` pushed when one lapses); an order book
per symbol (BTCUSDT and ETHUSDT seeded) in which LIMIT orders rest and MARKET / crossing orders
fill, with IOC, FOK (-5021), GTX (-5022), GTD, priceMatch and self-trade prevention; one-way
positions, a USDT wallet, fees and realized PnL; ``ORDER_TRADE_UPDATE``, ``TRADE_LITE``,
``ACCOUNT_UPDATE`` (positions with their margin asset ``ma``) and ``ALGO_UPDATE`` (a trailing
stop's ``ia``, and its second ``NEW`` when it activates at once) events; market streams fed by
the engine (fills → ``trade`` on ``/public`` and ``aggTrade``, klines, tickers; now and then a
trade id spent without a fill, a ``trade`` priced 0, as on Binance: ``set_trade_placeholders``;
book changes → ``depthUpdate`` with a ``U``/``u``/``pu`` chain,
partial depth, ``bookTicker``; mark prices), their control messages and errors, the 10 incoming
messages/s (text frames, pings and pongs alike) and 1024 streams limits
(``ex.market.max_incoming_per_second``, ``ex.market.max_streams``; close 1008),
``ex.publish(stream, payload, copies=n)`` and ``ex.publish_burst(stream, payloads)``;
``ex.depth``: depth-stream faults for local order books (a missing diff, a snapshot older or
newer than the stream, duplicates) and the published books by update id (``_depth_faults.py``);
``rateLimits`` on every reply (``weight_window_seconds`` shortens the weight window) and, on
request, 429 / 418 enforcement; server pings with a pong deadline (``ping_interval``,
``ping_timeout``; ``pings_answered()``, ``pong_timeouts()`` count them); a
``max_connection_age`` on the simulated clock. Faults (``ex.faults``): drops, clean closes,
delays, lost replies, reordering, error replies, raw frames, half-open silence, stalled
handshakes, replies padded to any size (``pad_replies``: frames over 64 KiB) and messages
split into fragments (``fragment``).

Error codes chosen where Binance documents none: unknown method → 400 / -1020 ("This operation
is not supported."); malformed JSON or a frame that is not an object → ``{"id": null,
"status": 400, "error": {"code": -1013, ...}}``; missing ``id`` / ``method`` → 400 / -1102;
order-rate limit → 429 / -1015 (weight limit: 429 / -1003; ban: 418 / -1003).

Orders are checked against the margin available (initial margin at 20x leverage; -2019
"Margin is insufficient.").

Not emulated: liquidation, hedge mode
(LONG/SHORT → -4061), leverage and margin-type changes, mark price (the last trade price is
used), funding, algo-order triggering (algo orders are stored and cancellable only), liquidation,
composite and asset index, contract info and trading session streams (only through
``publish``), the 5-weight handshake cost, the
connection-attempt limits, and ``timeUnit`` beyond reading microsecond timestamps.
"""

from __future__ import annotations

import sys


class MissingExtraError(ModuleNotFoundError):
    """Raised on import when the ``testing`` extra (``websockets``) is not installed."""


try:
    import websockets  # noqa: F401  (the ``testing`` extra)
except ModuleNotFoundError as exc:
    if exc.name != "websockets":
        raise
    _MESSAGE = (
        "binance_usdm_ws.testing (the local exchange) needs the 'testing' extra: "
        'pip install "binance-usdm-ws[testing]"'
    )
    if sys.argv[:1] == ["-m"]:  # `python -m binance_usdm_ws.testing`: the message, no traceback
        raise SystemExit(_MESSAGE) from None
    raise MissingExtraError(_MESSAGE, name="websockets") from exc

from ._common import ApiError  # noqa: E402
from ._exchange import LocalExchange, RecordedRequest  # noqa: E402
from ._faults import Faults  # noqa: E402
from ._private import UserDataSubscription  # noqa: E402
from ._state import ExchangeClock  # noqa: E402

__all__ = [
    "ApiError",
    "ExchangeClock",
    "Faults",
    "LocalExchange",
    "RecordedRequest",
    "UserDataSubscription",
]
