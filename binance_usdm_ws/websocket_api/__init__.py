"""The WebSocket API half (the Go connector's ``src/websocketapi``).

* ``_requests`` — the ``Param``/``Request`` machinery every builder is declared with, and
  ``Response``;
* ``_api/*`` — the services (``account``, ``auth``, ``market_data``, ``trade``,
  ``user_data_streams``): one builder class per method, declarations only; ``_services``
  gathers them;
* ``_websocket_api``, ``_lifecycle``, ``_outcome`` — request execution: signing or the logged-on
  session, the connection keeper (reconnect, outage policy), the outcome of an unanswered order;
* ``_models`` — the typed replies.

The public names are imported from :mod:`binance_usdm_ws`.
"""
