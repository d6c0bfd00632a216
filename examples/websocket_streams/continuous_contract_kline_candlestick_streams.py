"""Example of the Go connector's ``ContinuousContractKlineCandlestickStreams``.

``market_api.continuous_contract_kline_candlestick_streams()``: klines of a pair's continuous
contract, every 250 ms. Stream ``<pair>_<contractType>@continuousKline_<interval>`` on
``/market``; prints up to 3 ``ContinuousKlineUpdate`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

from binance_usdm_ws import ContinuousKlineInterval, ContractType  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.continuous_contract_kline_candlestick_streams()
        .pair("BTCUSDT")
        .contract_type(ContractType.PERPETUAL)
        .interval(ContinuousKlineInterval.INTERVAL_1m)
        .execute()
    )  # returns once acknowledged
    show(handle)
