"""The generated flat decoders (``_core._fast``) give exactly what the converter's hooks give.

``Response.typed`` (and the market streams) try the flat decoder first, then the converter's
hook, then the lenient field-by-field ``decode``. The flat decoder must never change a result:
for every recorded WS API reply and for odd values of every field it either gives an object
equal — value by value, type by type — to the hook's, or gives up (raises) so the hook decides.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from binance_usdm_ws._core._converter import REQUIRED, converter, decode
from binance_usdm_ws._core._fast import fast_decoder, fast_list_decoder
from binance_usdm_ws.errors import DecodeError
from binance_usdm_ws.websocket_api._models import OrderResult, RateLimit
from binance_usdm_ws.websocket_api._requests import Request, Response, Transport, _lift

from ._data import DATA
from .test_connector_fixtures import CALLS

FILES = sorted((DATA / "connector-fixtures").glob("*/*.json")) + sorted(
    DATA.glob("ws-api.*.response*.json")
)
GAVE_UP: Any = object()


def method_of(path: Path) -> str:
    name = path.stem.replace("v2_", "v2/")
    if name.startswith("ws-api."):
        name = name[len("ws-api.") :].split(".response")[0]
    return name


def result_type(method: str) -> Any:
    builder = Request.registry[method](Transport())
    return CALLS.get(method, lambda b: b)(builder).result_type()


def fast_of(tp: Any) -> Any:
    return fast_decoder(tp) or fast_list_decoder(tp)


def exact(value: Any) -> Any:
    """``value`` as comparable nested tuples that also hold each leaf's type."""
    if isinstance(value, list):
        return ("list", [exact(v) for v in value])
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (type(value), [(a.name, exact(getattr(value, a.name))) for a in fields])
    return (type(value), value)


def outcome(call: Any) -> Any:
    try:
        return exact(call())
    except Exception as exc:
        return ("raised", type(exc))


def agree(payload: Any, tp: Any) -> bool:
    """Assert the fast decoder agrees with the hook on ``payload``; True when it answered."""
    fast = fast_of(tp)
    assert fast is not None
    try:
        got = fast(payload)
    except Exception:
        return False  # gave up: the hook decides
    expected = converter.get_structure_hook(tp)(payload, tp)
    assert exact(got) == exact(expected)
    assert got == expected
    return True


REPLIES = [p for p in FILES if "result" in json.loads(p.read_text())]


def test_every_method_and_every_recorded_reply_is_covered():
    assert {method_of(p) for p in REPLIES} == set(Request.registry)
    assert len(REPLIES) > len(Request.registry)


@pytest.mark.parametrize("path", REPLIES, ids=lambda p: f"{p.parent.name}:{p.stem}")
def test_flat_decoder_agrees_with_the_converter_on_every_recorded_reply(path):
    raw = json.loads(path.read_text())
    tp = result_type(method_of(path))
    if fast_of(tp) is not None and raw["result"] is not None:
        answered = agree(_lift(raw, raw["result"], tp)[0], tp)
        placeholder = "icebergQuantity" in json.dumps(raw["result"])
        assert answered or placeholder, "a plain recorded reply should take the fast path"
    if "rateLimits" in raw:
        assert agree(raw["rateLimits"], list[RateLimit])
    # And the whole reply decodes as it did before the fast path: hook, then ``decode``.
    response: Response[Any] = Response(raw, tp)
    result, _ = _lift(raw, raw["result"], tp)  # depth's levels beside result, read into it
    reference, problems = decode(result, tp, path="$.result")
    assert exact(response.typed.result) == exact(reference)
    assert response.decode_problems == problems


ORDER = json.loads((DATA / "connector-fixtures" / "go" / "order.place.json").read_text())
ODD_VALUES = [
    None, "null", "None", "", "NEW_KIND", "new", "12", "1.5", "x", 7, 0, 1.5, True, "true",
    "FALSE", [], {}, [1], Decimal("2"),
]  # fmt: skip


@pytest.mark.parametrize("key", sorted(ORDER["result"]))
def test_odd_values_give_the_converters_object_or_its_error(key):
    """An odd value in any field: the fast path gives the hook's object, or gives up."""
    hook = converter.get_structure_hook(OrderResult)
    fast = fast_decoder(OrderResult)
    assert fast is not None
    for odd in ODD_VALUES:
        payload = dict(ORDER["result"], **{key: odd})
        expected = outcome(lambda p=payload: hook(p, OrderResult))
        got = outcome(lambda p=payload: fast(p))
        assert got == expected or got[0] == "raised", (key, odd)


@pytest.mark.parametrize(
    "limits", [[{"rateLimitType": "NEW", "interval": "null", "intervalNum": "3"}], [1], {}, "x"]
)
def test_odd_rate_limits_give_the_converters_result(limits):
    hook = converter.get_structure_hook(list[RateLimit])
    fast = fast_list_decoder(list[RateLimit])
    assert fast is not None
    got = outcome(lambda: fast(limits))
    assert got == outcome(lambda: hook(limits, list[RateLimit])) or got[0] == "raised"


def test_odd_values_in_a_reply_still_say_their_problems():
    """Through ``Response.typed``: placeholders in optional fields are absent, an optional
    misfit is None and said, an unknown enum value is kept as text."""
    result = dict(ORDER["result"], stopPrice="null", side="sideways", goodTillDate="abc")
    raw = dict(ORDER, result=dict(result, reduceOnly=""))
    response: Response[Any] = Response(raw, OrderResult)
    order = response.typed.result
    assert order.stop_price is None and order.reduce_only is None and order.side == "sideways"
    assert order.good_till_date is None and order.order_id == ORDER["result"]["orderId"]
    assert response.decode_problems == ("$.result.good_till_date: expected int, got str",)


@pytest.mark.parametrize("key,odd", [("orderId", "abc"), ("price", "null"), ("status", None)])
def test_a_required_field_that_does_not_fit_fails_the_reply_with_raw(key, odd):
    """A field typed without None never holds None: the reply raises, the whole reply in raw."""
    raw = dict(ORDER, result=dict(ORDER["result"], **{key: odd}))
    assert fast_decoder(OrderResult) is not None
    # int("abc"), Decimal("null"), OrderStatus(None): the fast decoder's own errors
    with pytest.raises((ValueError, ArithmeticError, TypeError)):
        fast_decoder(OrderResult)(raw["result"])  # type: ignore[misc]
    response: Response[Any] = Response(raw, OrderResult)
    with pytest.raises(DecodeError) as info:
        response.result  # noqa: B018
    field = {"orderId": "order_id", "price": "price", "status": "status"}[key]
    assert info.value.raw is raw and info.value.errors[-1] == f"$.result.{field}: {REQUIRED}"
    assert response.raw is raw
