"""Pure protocol functions and structures: envelopes, decimals, the error mapping, the
reader's JSON parser and the stream buffer."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm_ws import errors
from binance_usdm_ws._core._protocol import (
    encode_request,
    error_from_envelope,
    new_request_id,
    plain_decimal,
)
from binance_usdm_ws._core._stream_delivery import StreamConsumer, StreamGap

from ._data import DATA


def test_encode_request_omits_empty_params():
    """A request without params has no params key; ids keep their JSON type."""
    assert json.loads(encode_request(7, "depth", {})) == {"id": 7, "method": "depth"}
    frame = json.loads(encode_request("a", "depth", {"symbol": "BTCUSDT"}))
    assert frame == {"id": "a", "method": "depth", "params": {"symbol": "BTCUSDT"}}


def test_new_request_id_is_unique_and_short():
    """Generated ids are unique strings of at most 36 characters."""
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(len(i) <= 36 for i in ids)


@pytest.mark.parametrize(
    "value,text",
    [("1E+1", "10"), ("0.00000001", "0.00000001"), ("60000.10", "60000.10"), ("-0", "-0")],
)
def test_plain_decimal(value, text):
    """Decimals are rendered in plain notation, never with an exponent."""
    assert plain_decimal(Decimal(value)) == text


@pytest.mark.parametrize(
    "status,code,order,cls",
    [
        (400, -1102, False, errors.BadRequest),
        (401, -2015, False, errors.Unauthorized),
        (403, -1000, False, errors.Forbidden),
        (429, -1003, False, errors.RateLimited),
        (418, -1003, False, errors.IpBanned),
        (503, -1000, False, errors.ServerSideError),
        (503, -1000, True, errors.ExecutionStatusUnknown),
        (400, -1007, True, errors.ExecutionStatusUnknown),
        (400, -1006, False, errors.BadRequest),
    ],
)
def test_error_mapping(status, code, order, cls):
    """Each status (and the unknown-outcome codes on order methods) maps to its class."""
    env = {"id": "x", "status": status, "error": {"code": code, "msg": "m"}, "rateLimits": []}
    exc = error_from_envelope(env, method="order.place", request_id="x", order_method=order)
    assert type(exc) is cls
    assert (exc.status, exc.code, exc.msg, exc.request_id) == (status, code, "m", "x")
    assert exc.outcome_unknown is (cls is errors.ExecutionStatusUnknown)


def test_error_text_hides_secrets_and_explains_clock():
    """Exception text never carries the signature; -1021 says how to fix the clock."""
    env = {"id": 1, "status": 400, "error": {"code": -1021, "msg": "Timestamp outside recvWindow"}}
    exc = error_from_envelope(
        env,
        method="order.place",
        request_id=1,
        params={"signature": "deadbeef" * 8, "apiKey": "ABCDEFGHIJKLMNOP", "symbol": "BTCUSDT"},
    )
    text = str(exc) + repr(exc) + repr(exc.params)
    assert "deadbeef" not in text and "ABCDEFGHIJKLMNOP" not in text
    assert exc.params["symbol"] == "BTCUSDT"
    assert "clock" in str(exc)


def test_rate_limited_retry_after():
    """retryAfter (ms epoch) in error data becomes seconds to wait."""
    import time

    env = {
        "status": 429,
        "error": {
            "code": -1003,
            "msg": "x",
            "data": {"retryAfter": int(time.time() * 1000) + 5000},
        },
    }
    exc = error_from_envelope(env)
    assert isinstance(exc, errors.RateLimited)
    assert exc.retry_after is not None and 3 < exc.retry_after <= 5


@pytest.mark.parametrize(
    "text", ['{"a":1,"b":[1.5,"x"]}', ' {"a":1} ', "[1,2]\n", "NaN", "3", '"x"', "null"]
)
def test_the_readers_json_parser_reads_what_json_loads_reads(text: str):
    from binance_usdm_ws._core._connection import parse_json

    assert json.dumps(parse_json(text)) == json.dumps(json.loads(text))


@pytest.mark.parametrize("text", ['{"a":1}x', "", "xx", '{"a":', '{"a":1}{}', "1 2"])
def test_the_readers_json_parser_refuses_what_json_loads_refuses(text: str):
    from binance_usdm_ws._core._connection import parse_json

    with pytest.raises(ValueError):
        parse_json(text)


def _typed_dump(value: Any) -> str:
    """The value as text that tells an int from a float and keeps every float's bits."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=True)


def _numbers(rng: random.Random) -> list[str]:
    """JSON number literals as Binance and others write them, and harder ones."""
    out = []
    for _ in range(20_000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20)))
        k = rng.randint(0, len(digits))
        text = (digits[:k] or "0") + ("." + digits[k:] if digits[k:] else ".5")
        text = text.lstrip("0") or "0"
        if text.startswith("."):
            text = "0" + text
        if rng.random() < 0.2:
            text += rng.choice(["e", "E"]) + rng.choice(["", "-", "+"]) + str(rng.randint(0, 30))
        out.append(rng.choice(["", "-"]) + text)
    return out + ["0.1", "1e308", "2.2250738585072014e-308", "5e-324", "123456789012345678901234"]


def test_the_accelerator_reads_every_frame_as_the_standard_library_does():
    """With msgspec (the ``fast`` extra) every recorded frame and 20 000 number literals read
    to the same values, of the same types, as with the standard library (integers beyond 64
    bits too); what it refuses (``NaN``, ``1e400``) the standard library reads, as before."""
    from binance_usdm_ws._core import _connection
    from binance_usdm_ws._core._connection import parse_json, parse_json_std

    assert _connection.accelerated_loads is not None, "the dev extra installs msgspec"
    frames = [p.read_bytes() for p in sorted(DATA.rglob("*.json"))]
    assert len(frames) > 50
    numbers = _numbers(random.Random(19))
    frames += [f'{{"p":{n},"q":[{n}]}}'.encode() for n in numbers]
    frames += [
        b'{"a":NaN}',
        b"[1e400,-1e400]",
        b"18446744073709551616",
        b'["\\ud800"]',
        b'{"a":1,"a":2}',
    ]
    for frame in frames:
        assert _typed_dump(parse_json(frame)) == _typed_dump(parse_json_std(frame)), frame
    # A Decimal field reads a JSON number through str(): exact to 15 significant digits.
    for n in numbers:
        significant = len(
            n.split("e")[0].split("E")[0].replace("-", "").replace(".", "").strip("0")
        )
        if significant <= 15:
            assert Decimal(str(parse_json(n.encode()))) == Decimal(n), n


def test_the_accelerator_refuses_what_json_loads_refuses():
    from binance_usdm_ws._core._connection import parse_json

    for frame in [b'{"a":1}x', b"", b"\xff\xfe", b'{"a":', b"1 2", b'"\xc3"']:
        with pytest.raises(ValueError):
            parse_json(frame)


class _Consumer(StreamConsumer[Any]):
    """A consumer fed by hand: the buffer and its overflow policy without a socket."""

    def push(self, *messages: Any) -> None:
        with self._cond:
            for message in messages:
                self._buffer.push_raw(message)
            if self._waiting:
                self._wake()


def test_a_consumer_takes_a_batch_and_keeps_order_and_counts():
    """Items taken in one go stay in order, count as pending, and overflow is still exact."""
    unbounded = _Consumer(0, "t", decode=lambda m: m)
    unbounded.push(*({"E": n} for n in range(100)))
    assert unbounded.get(0) == {"E": 0} and unbounded.pending == 99
    assert [unbounded.get(0) for _ in range(99)] == [{"E": n} for n in range(1, 100)]
    assert unbounded.get(0) is None and unbounded.pending == 0

    bounded = _Consumer(64, "t", decode=lambda m: m)  # takes 64 // 16 = 4 at a time
    bounded.push(*({"E": n} for n in range(64)))
    assert bounded.get(0) == {"E": 0} and bounded.pending == 63
    bounded.push(*({"E": n} for n in range(64, 74)))  # 70 in the buffer: the 6 oldest go
    items = [bounded.get(0) for _ in range(bounded.pending)]
    assert items[:3] == [{"E": 1}, {"E": 2}, {"E": 3}]
    gap = items[3]
    assert isinstance(gap, StreamGap) and (gap.dropped, gap.start, gap.end) == (6, 4, 9)
    assert items[4:] == [{"E": n} for n in range(10, 74)] and bounded.dropped == 6
