"""``python -m binance_usdm_ws check``: see :mod:`binance_usdm_ws.check`."""

from __future__ import annotations

import sys

from .check import cli

if __name__ == "__main__":
    sys.exit(cli())
