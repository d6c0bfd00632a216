"""A local Binance USDⓈ-M futures exchange for tests, demos and benchmarks.

It speaks the WS API wire format (``/ws-fapi/v1``) and serves user data streams
(``/private/ws/<listenKey>``) on 127.0.0.1, with a simulated clock and fault injection::

    from binance_usdm_ws.testing import LocalExchange

    with LocalExchange(ping_interval=1.0) as ex:
        url = ex.ws_api_url
        ex.faults.delay("order.place", 0.5)
        ex.clock.advance(3600)

Needs the ``testing`` extra (``websockets``, ``cryptography``). Run it stand-alone with
``python -m binance_usdm_ws.testing [--port N]``.
"""

from __future__ import annotations

from ._common import ApiError
from ._exchange import LocalExchange, RecordedRequest
from ._faults import Faults
from ._state import ExchangeClock

__all__ = ["ApiError", "ExchangeClock", "Faults", "LocalExchange", "RecordedRequest"]
