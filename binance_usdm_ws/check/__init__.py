"""``binance-usdm-ws check``: measure what your Binance USDⓈ-M environment serves you.

Run ``binance-usdm-ws check`` (or ``python -m binance_usdm_ws check``) with ``--testnet``, or
with ``--api-url``/``--streams-url`` for any environment (the bundled local exchange too). It
checks the WS API (handshake, latency, clock offset, ``rateLimits``), subscribes every market
stream family on its route and watches what each delivers against its documented cadence
(a stream that was acknowledged and delivered nothing is named as such), and — with keys —
the listenKey methods and the user data stream in each URL form. It prints one table and
exits 0 only when everything asked passed; ``--json FILE`` writes the same as data.

From Python: ``report = run_check(api_url=..., streams_url=...)``; ``report.rows``,
``report.passed``, ``report.table()``.
"""

from __future__ import annotations

from ._cli import cli, main, run_check
from ._report import CheckReport, CheckRow

__all__ = ["CheckReport", "CheckRow", "cli", "main", "run_check"]
