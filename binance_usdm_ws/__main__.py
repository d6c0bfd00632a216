"""``python -m binance_usdm_ws check``: see :mod:`binance_usdm_ws.check`."""

from __future__ import annotations

import sys

from .check import main

if __name__ == "__main__":
    if sys.argv[1:2] != ["check"]:
        print("usage: python -m binance_usdm_ws check [--help]", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[2:]))
