"""Local order books (``client.local_order_book(s)``): the diff-depth stream joined to WS API
``depth`` snapshots by Binance's USDⓈ-M rules.

* :mod:`._book` — ``LocalOrderBook``: the algorithm (buffer, join, continuity, resync) and reads;
* :mod:`._side` — one side's sorted exact levels; :mod:`._items` — what a book hands out and its
  errors;
* :mod:`._feed` — one subscription per ``local_order_books`` call and its updating thread;
* :mod:`._scheduler` — ``SnapshotScheduler``: snapshots within the weight budget;
* :mod:`._manager` — ``LocalOrderBooks`` and the client's ``OrderBookManager``.

Built on :mod:`..market` (the diff-depth subscription); public names are imported from
:mod:`binance_usdm_ws`.
"""
