"""A local Binance USDⓈ-M futures exchange for tests, demos and benchmarks.

It speaks the WS API wire format at ``/ws-fapi/v1`` and serves user data streams at
``/private/ws/<listenKey>`` (also ``/private/ws?listenKey=`` and the wrapped
``/private/stream?listenKey=`` / ``SUBSCRIBE`` forms) on 127.0.0.1, from one daemon thread::

    from binance_usdm_ws.testing import LocalExchange

    with LocalExchange(ping_interval=1.0) as ex:
        url = ex.ws_api_url                      # ws://127.0.0.1:<port>/ws-fapi/v1
        ex.faults.delay("order.place", 0.5)      # fault injection
        ex.clock.advance(3600)                   # simulated clock: listenKeys lapse

Needs the ``testing`` extra (``websockets``, ``cryptography``). Stand-alone:
``python -m binance_usdm_ws.testing [--port N]`` prints the URLs and the default key.

What it does: every method of the spec's §4.1 with results shaped like the official samples;
HMAC / RSA / Ed25519 signature checks over the sorted raw ``name=value`` payload; timestamp and
recvWindow checks (-1021); ``session.logon`` / ``status`` / ``logout``; listenKeys with the real
semantics on the simulated clock (``listenKeyExpired`` pushed when one lapses); an order book
per symbol (BTCUSDT and ETHUSDT seeded) in which LIMIT orders rest and MARKET / crossing orders
fill, with IOC, FOK (-5021), GTX (-5022), GTD, priceMatch and self-trade prevention; one-way
positions, a USDT wallet, fees and realized PnL; ``ORDER_TRADE_UPDATE``, ``TRADE_LITE``,
``ACCOUNT_UPDATE`` and ``ALGO_UPDATE`` events; ``rateLimits`` on every reply and, on request,
429 / 418 enforcement; server pings with a pong deadline (``ping_interval``, ``ping_timeout``;
``pings_answered()``, ``pong_timeouts()`` count them); a ``max_connection_age`` on the
simulated clock. Faults (``ex.faults``): drops, clean closes, delays, lost replies, reordering,
error replies, raw frames, half-open silence, replies padded to any size
(``pad_replies``: frames over 64 KiB) and messages split into fragments (``fragment``).

Error codes chosen where Binance documents none: unknown method → 400 / -1020 ("This operation
is not supported."); malformed JSON or a frame that is not an object → ``{"id": null,
"status": 400, "error": {"code": -1013, ...}}``; missing ``id`` / ``method`` → 400 / -1102;
order-rate limit → 429 / -1015 (weight limit: 429 / -1003; ban: 418 / -1003).

Not emulated: margin checks and liquidation (orders never fail for lack of balance), hedge mode
(LONG/SHORT → -4061), leverage and margin-type changes, mark price (the last trade price is
used), funding, algo-order triggering (algo orders are stored and cancellable only), market
data streams (``/public``, ``/market``), the 5-weight handshake cost, the 10-messages/s and
connection-attempt limits, and ``timeUnit`` beyond reading microsecond timestamps.
"""

from __future__ import annotations

from ._common import ApiError
from ._exchange import LocalExchange, RecordedRequest
from ._faults import Faults
from ._state import ExchangeClock

__all__ = ["ApiError", "ExchangeClock", "Faults", "LocalExchange", "RecordedRequest"]
