"""The user data stream (``client.user_data_stream()``): ``/private``.

* :mod:`._stream` — ``UserDataStream``: the listenKey's lifecycle (start, keepalive, renewal),
  the URL form (``user_data_url``), reconnects, rotation and gaps;
* :mod:`._events`, :mod:`._algo_events` — the typed events; :mod:`._decode` — ``decode_event``.

It imports nothing of the market streams. Public names are imported from :mod:`binance_usdm_ws`.
"""
