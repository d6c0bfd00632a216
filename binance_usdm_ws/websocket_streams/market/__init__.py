"""Market streams (``client.websocket_streams``): ``/market`` and ``/public``.

* :mod:`._request` — the builders' base (templates as data, routes, cadences) and the routing
  of raw stream names (``parse_stream_name``);
* :mod:`._builders` — the 20 builders of the Go connector and ``trade_streams``, in the services
  ``market_api`` and ``public_api``; :mod:`._enums` — their enum params;
* :mod:`._models`, :mod:`._market_wide_models` — the typed events; :mod:`._decode` — decoding;
* :mod:`._client` — sockets per route, acknowledged and paced control frames, shards;
* :mod:`._handle` — ``StreamHandle``: one subscription's items, in order;
* :mod:`._silence` — one silent stream reported (``StreamSilent``) and repaired.

Public names are imported from :mod:`binance_usdm_ws` (or :mod:`binance_usdm_ws.websocket_streams`).
"""
