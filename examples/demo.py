"""`make demo`: the SDK's main job against the bundled local exchange, start to finish.

Starts a ``LocalExchange`` on 127.0.0.1, connects a client to it and walks through the user
data stream methods (start, keepalive, close), printing the typed results, then shows how
errors arrive (a typed ``ServerError``) and closes everything.
"""

from __future__ import annotations

import logging

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ServerError,
)
from binance_usdm_ws.testing import LocalExchange


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    with LocalExchange() as exchange:
        print(f"local exchange: {exchange.ws_api_url}")
        configuration = ConfigurationWebsocketApi(
            base_path=exchange.ws_api_url,
            api_key=exchange.api_key,
            api_secret=exchange.api_secret,
            timeout=5.0,
        )
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=configuration) as client:
            api = client.websocket_api.user_data_streams_api

            resp = api.start_user_data_stream().id("e9d6b4349871b40611412680b3445fac").execute()
            print("start_user_data_stream ->", resp.typed)
            key = resp.typed.result.listen_key if resp.typed.result else None
            print(
                "  listen key:", (key or "")[:4] + "…", "| rate limits:", resp.raw.get("rateLimits")
            )

            resp2 = api.keepalive_user_data_stream().execute()
            print("keepalive_user_data_stream ->", resp2.typed.result)

            future = api.start_user_data_stream().execute_async()
            print("execute_async ->", future.result(5).typed.result, "(same key, extended)")

            print(
                "close_user_data_stream ->", api.close_user_data_stream().execute(timeout=2.0).typed
            )

            try:
                api.keepalive_user_data_stream().execute()
            except ServerError as exc:
                print(
                    f"keepalive after close -> {type(exc).__name__}: status={exc.status} "
                    f"code={exc.code} msg={exc.msg!r}"
                )
        print("closed cleanly")


if __name__ == "__main__":
    main()
