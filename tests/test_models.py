"""Tests of the WS API result models (``_models.py``) and of the converter (``_converter.py``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import pytest

from binance_usdm_ws._converter import make_converter, structure
from binance_usdm_ws._models import (
    CloseUserDataStreamResponse,
    Empty,
    ListenKey,
    PriceLevel,
    RateLimit,
    StartUserDataStreamResponse,
    WsApiResponse,
)
from binance_usdm_ws.enums import RateLimitInterval, RateLimitType
from binance_usdm_ws.errors import DecodeError

# The samples live beside the checkout: <root>/shared/spec/samples, <root>/<checkout>/tests.
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "spec" / "samples"

STRICT = make_converter(strict=True)


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def test_listen_key_samples_decode_strictly():
    """The start and ping samples decode into ListenKey with every key known."""
    for name in ("start", "ping"):
        raw = load(f"ws-api.userDataStream.{name}.response.json")
        result = structure(raw["result"], ListenKey, STRICT)
        assert result.listen_key == raw["result"]["listenKey"]


def test_stop_sample_decodes_to_empty():
    """The stop sample's ``{}`` result decodes into Empty, and the lenient one ignores extras."""
    raw = load("ws-api.userDataStream.stop.response.json")
    assert structure(raw["result"], Empty, STRICT) == Empty()
    assert structure({"unexpected": 1}, Empty) == Empty()


def test_rate_limits_decode_as_optional_list():
    """``Optional[list[RateLimit]]`` decodes the samples' rateLimits and a missing one to None."""
    raw = load("ws-api.order.place.response.json")
    limits = structure(raw["rateLimits"], Optional[list[RateLimit]], STRICT)
    assert limits is not None
    assert limits[1] == RateLimit(
        rate_limit_type=RateLimitType.ORDERS,
        interval=RateLimitInterval.SECOND,
        interval_num=10,
        limit=300,
        count=1,
    )
    assert structure(raw.get("missing"), Optional[list[RateLimit]]) is None


def test_whole_response_decodes_as_generic_alias():
    """A whole response decodes into ``StartUserDataStreamResponse`` with typed parts."""
    raw = load("ws-api.userDataStream.start.response.json")
    response = structure(raw, StartUserDataStreamResponse, STRICT)
    assert isinstance(response, WsApiResponse)
    assert response.id == raw["id"]
    assert response.status == 200
    assert response.result == ListenKey(listen_key=raw["result"]["listenKey"])
    assert response.rate_limits is not None and response.rate_limits[0].limit == 2400
    stop = structure(load("ws-api.userDataStream.stop.response.json"), CloseUserDataStreamResponse)
    assert stop.result == Empty()


def test_integer_request_id_is_kept():
    """An integer request id stays an int; a float id is rejected."""
    assert structure({"id": 7}, WsApiResponse[Empty]).id == 7
    with pytest.raises(DecodeError):
        structure({"id": 7.5}, WsApiResponse[Empty])


def test_unknown_enum_value_stays_a_string():
    """A rate limiter type this version does not know decodes to the raw string."""
    limit = structure({"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE"}, RateLimit)
    assert limit.rate_limit_type == "RAW_REQUESTS"
    assert not isinstance(limit.rate_limit_type, RateLimitType)
    assert limit.interval is RateLimitInterval.MINUTE


def test_price_level_decodes_from_a_pair():
    """A ``["price", "qty"]`` pair becomes an exact PriceLevel; a single value is an error."""
    assert structure(["4.00000200", "12.0"], PriceLevel) == PriceLevel(
        Decimal("4.00000200"), Decimal("12.0")
    )
    with pytest.raises(DecodeError):
        structure(["4.0"], PriceLevel)


def test_wrong_type_raises_decode_error_with_paths():
    """A wrong value raises DecodeError naming each field, with the payload and the cause."""
    payload = {"intervalNum": "ten", "limit": [1]}
    with pytest.raises(DecodeError) as info:
        structure(payload, RateLimit)
    error = info.value
    assert error.payload is payload
    assert any(e.endswith("@ $.interval_num") and "expected int" in e for e in error.errors)
    assert any(e.endswith("@ $.limit") for e in error.errors)
    assert error.__cause__ is not None


def test_non_object_payload_is_an_error():
    """A string where an object is expected is an error, not an empty model."""
    with pytest.raises(DecodeError) as info:
        structure("listenKey", ListenKey)
    assert "expected an object" in info.value.errors[0]


def test_strict_converter_reports_unknown_keys():
    """The strict converter names an unknown key; the shipped one ignores it."""
    with pytest.raises(DecodeError) as info:
        structure({"listenKey": "k", "extra": 1}, ListenKey, STRICT)
    assert info.value.errors == ["extra fields found (extra) @ $"]
    assert structure({"listenKey": "k", "extra": 1}, ListenKey) == ListenKey("k")
