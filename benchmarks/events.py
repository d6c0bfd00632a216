"""Benchmark: typed decoding of ORDER_TRADE_UPDATE against ``json.loads`` of the same frame.

Target: decoding into the model costs at most 3x what ``json.loads`` alone
costs. Both are timed on the compact JSON frame the server sends (the docs sample with the
whitespace removed); each figure is the best of several ``timeit`` repeats.

Run ``python benchmarks/events.py`` or call :func:`run`.
"""

from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # standalone run from a checkout
    sys.path.insert(0, str(ROOT))

from binance_usdm_ws.websocket_streams.user_data._decode import decode_event  # noqa: E402
from binance_usdm_ws.websocket_streams.user_data._events import OrderTradeUpdate  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "event.ORDER_TRADE_UPDATE.json"  # the docs sample


def _frame() -> str:
    return json.dumps(json.loads(SAMPLE.read_text()), separators=(",", ":"))


def _best(fn: Any, number: int, repeat: int) -> float:
    """Best time per call, in seconds."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def run(number: int = 20_000, repeat: int = 7) -> dict[str, float]:
    """Time ``json.loads``, ``decode_event`` and both together on one ORDER_TRADE_UPDATE frame.

    Returns:
        ``loads_us``, ``decode_us``, ``total_us`` (µs per event), ``loads_per_s``,
        ``decode_per_s``, ``total_per_s`` (events/s) and ``ratio`` (decode time / loads time;
        the target is ≤ 3).
    """
    frame = _frame()
    payload = json.loads(frame)
    assert isinstance(decode_event(payload), OrderTradeUpdate)
    loads = _best(lambda: json.loads(frame), number, repeat)
    decode = _best(lambda: decode_event(payload), number, repeat)
    total = _best(lambda: decode_event(json.loads(frame)), number, repeat)
    return {
        "loads_us": loads * 1e6,
        "decode_us": decode * 1e6,
        "total_us": total * 1e6,
        "loads_per_s": 1 / loads,
        "decode_per_s": 1 / decode,
        "total_per_s": 1 / total,
        "ratio": decode / loads,
    }


def main() -> None:
    """Print the figures of :func:`run`."""
    r = run()
    print(f"ORDER_TRADE_UPDATE, {len(_frame())}-byte compact frame, best of 7 repeats")
    print(f"  json.loads            {r['loads_us']:7.2f} us  {r['loads_per_s']:>10,.0f} events/s")
    print(f"  decode_event          {r['decode_us']:7.2f} us  {r['decode_per_s']:>10,.0f} events/s")
    print(f"  loads + decode_event  {r['total_us']:7.2f} us  {r['total_per_s']:>10,.0f} events/s")
    print(f"  decode / loads = {r['ratio']:.2f} (target <= 3)")


if __name__ == "__main__":
    main()
