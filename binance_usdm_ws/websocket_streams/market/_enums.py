"""Values of the stream builders' enum params (the Go ``model_*_parameter.go`` types).

Each setter takes the member or its string (``KlineInterval.INTERVAL_1m`` or ``"1m"``); the
stream name always gets the wire value, never ``KlineInterval.INTERVAL_1m``.
"""

from __future__ import annotations

from ...enums import _WireEnum

__all__ = [
    "ContinuousKlineInterval",
    "ContractType",
    "DepthLevels",
    "DepthUpdateSpeed",
    "KlineInterval",
    "MarkPriceUpdateSpeed",
]


class KlineInterval(_WireEnum):
    """Kline interval (Go ``KlineCandlestickStreamsIntervalParameter``)."""

    INTERVAL_1m = "1m"
    INTERVAL_3m = "3m"
    INTERVAL_5m = "5m"
    INTERVAL_15m = "15m"
    INTERVAL_30m = "30m"
    INTERVAL_1h = "1h"
    INTERVAL_2h = "2h"
    INTERVAL_4h = "4h"
    INTERVAL_6h = "6h"
    INTERVAL_8h = "8h"
    INTERVAL_12h = "12h"
    INTERVAL_1d = "1d"
    INTERVAL_3d = "3d"
    INTERVAL_1w = "1w"
    INTERVAL_1M = "1M"


class ContinuousKlineInterval(_WireEnum):
    """Continuous kline interval: the kline intervals plus ``1s`` (Go
    ``ContinuousContractKlineCandlestickStreamsIntervalParameter``; ``1s`` is in the
    connectors' enum, not on a Binance docs page)."""

    INTERVAL_1s = "1s"
    INTERVAL_1m = "1m"
    INTERVAL_3m = "3m"
    INTERVAL_5m = "5m"
    INTERVAL_15m = "15m"
    INTERVAL_30m = "30m"
    INTERVAL_1h = "1h"
    INTERVAL_2h = "2h"
    INTERVAL_4h = "4h"
    INTERVAL_6h = "6h"
    INTERVAL_8h = "8h"
    INTERVAL_12h = "12h"
    INTERVAL_1d = "1d"
    INTERVAL_3d = "3d"
    INTERVAL_1w = "1w"
    INTERVAL_1M = "1M"


class ContractType(_WireEnum):
    """Contract type of a continuous kline stream (lower case in the stream name; Go
    ``ContinuousContractKlineCandlestickStreamsContractTypeParameter``)."""

    PERPETUAL = "perpetual"
    CURRENT_QUARTER = "current_quarter"
    NEXT_QUARTER = "next_quarter"
    TRADIFI_PERPETUAL = "tradifi_perpetual"


class MarkPriceUpdateSpeed(_WireEnum):
    """Mark price update speed: ``1s``; not set means every 3 s (Go
    ``MarkPriceStreamUpdateSpeedParameter``)."""

    UPDATE_SPEED_1s = "1s"


class DepthUpdateSpeed(_WireEnum):
    """Depth update speed: ``100ms`` or ``500ms``; not set means 250 ms (Go
    ``DiffBookDepthStreamsUpdateSpeedParameter``)."""

    UPDATE_SPEED_100ms = "100ms"
    UPDATE_SPEED_500ms = "500ms"


class DepthLevels(_WireEnum):
    """Levels of a partial book depth stream (Go ``PartialBookDepthStreamsLevelsParameter``);
    the setter also takes the ints 5, 10, 20."""

    LEVELS_5 = "5"
    LEVELS_10 = "10"
    LEVELS_20 = "20"
