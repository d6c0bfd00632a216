"""WS API methods for algo (conditional) orders: algoOrder.place, algoOrder.cancel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._book import ZERO, AlgoOrder
from ._common import ApiError, invalid, mandatory
from ._dispatch import Ctx, method
from ._trade_methods import (
    ALGO_TYPES,
    BAD_CLIENT_ID,
    BAD_POSITION_SIDE,
    BAD_PRICE_MATCH,
    BAD_RESP_TYPE,
    BAD_SIDE,
    BAD_STP,
    BAD_TIF,
    CLIENT_ID,
    PRICE_MATCH,
    SIDES,
    STP_MODES,
    UNKNOWN_ORDER,
    check_price,
    check_qty,
    order_ids,
)

__all__: list[str] = []

ALGO_PARAMS = (
    "algoType symbol side positionSide type timeInForce quantity price triggerPrice workingType "
    "priceMatch closePosition priceProtect reduceOnly activatePrice callbackRate clientAlgoId "
    "newOrderRespType selfTradePreventionMode goodTillDate"
).split()


def _algo_params(ctx: Ctx) -> dict[str, Any]:
    p, e = ctx.p, ctx.d.engine
    p.req_enum("algoType", ("CONDITIONAL",))
    symbol = p.req_str("symbol")
    book = e.book(symbol)
    side = p.req_enum("side", SIDES, BAD_SIDE)
    otype = p.req_enum("type", ALGO_TYPES, ApiError(400, -1116, "Invalid orderType."))
    if (p.opt_enum("positionSide", ("BOTH", "LONG", "SHORT")) or "BOTH") != "BOTH":
        raise BAD_POSITION_SIDE
    close_position = bool(p.opt_boolstr("closePosition"))
    qty = p.opt_dec("quantity")
    if close_position and qty is not None:
        raise ApiError(400, -4137, "Quantity must be zero with closePosition equals true")
    if qty is None and not (close_position and otype.endswith("_MARKET")):
        raise mandatory("quantity")
    if qty is not None:
        check_qty(book, qty)
    price = p.req_dec("price") if otype in ("STOP", "TAKE_PROFIT") else p.opt_dec("price")
    if price is not None:
        check_price(book, price)
    out: dict[str, Any] = {
        "symbol": symbol,
        "side": side,
        "type": otype,
        "positionSide": "BOTH",
        "timeInForce": p.opt_enum("timeInForce", ("GTC", "IOC", "FOK"), BAD_TIF) or "GTC",
        "quantity": book.fmt_qty(qty),
        "price": book.fmt_price(price),
        "triggerPrice": book.fmt_price(ZERO),
        "workingType": p.opt_enum("workingType", ("MARK_PRICE", "CONTRACT_PRICE"))
        or "CONTRACT_PRICE",
        "priceMatch": p.opt_enum("priceMatch", PRICE_MATCH, BAD_PRICE_MATCH) or "NONE",
        "closePosition": close_position,
        "priceProtect": bool(p.opt_boolstr("priceProtect")),
        "reduceOnly": bool(p.opt_boolstr("reduceOnly")),
        "selfTradePreventionMode": p.opt_enum("selfTradePreventionMode", STP_MODES, BAD_STP)
        or "NONE",
        "goodTillDate": p.opt_int("goodTillDate") or 0,
        "clientAlgoId": p.opt_str("clientAlgoId"),
        "newOrderRespType": p.opt_enum("newOrderRespType", ("ACK", "RESULT"), BAD_RESP_TYPE),
    }
    if out["clientAlgoId"] is not None and not CLIENT_ID.match(out["clientAlgoId"]):
        raise BAD_CLIENT_ID
    last = book.last_price
    if otype == "TRAILING_STOP_MARKET":
        rate = p.req_dec("callbackRate")
        if not Decimal("0.1") <= rate <= 20:  # 10 until 2026-10-23
            raise invalid("callbackRate")
        out["callbackRate"] = str(rate)
        activate = p.opt_dec("activatePrice")
        if activate is not None:
            check_price(book, activate, "activatePrice")
            if (side == "BUY" and activate >= last) or (side == "SELL" and activate <= last):
                raise ApiError(400, -2021, "Order would immediately trigger.")
            out["activatePrice"] = book.fmt_price(activate)
        return out
    trigger = p.req_dec("triggerPrice")
    check_price(book, trigger, "triggerPrice")
    out["triggerPrice"] = book.fmt_price(trigger)
    rising = (side == "BUY") == otype.startswith("STOP")  # triggers when the price rises
    if (rising and trigger <= last) or (not rising and trigger >= last):
        raise ApiError(400, -2021, "Order would immediately trigger.")
    return out


def algo_result(algo: AlgoOrder) -> dict[str, Any]:
    """Shape an algo order like the ``algoOrder.place`` result."""
    p = algo.params
    out = {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": p["type"],
        "symbol": p["symbol"],
        "side": p["side"],
        "positionSide": p["positionSide"],
        "timeInForce": p["timeInForce"],
        "quantity": p["quantity"],
        "algoStatus": algo.status,
        "triggerPrice": p["triggerPrice"],
        "price": p["price"],
        "icebergQuantity": None,
        "selfTradePreventionMode": p["selfTradePreventionMode"],
        "workingType": p["workingType"],
        "priceMatch": p["priceMatch"],
        "closePosition": p["closePosition"],
        "priceProtect": p["priceProtect"],
        "reduceOnly": p["reduceOnly"],
        "createTime": algo.create_time,
        "updateTime": algo.update_time,
        "triggerTime": 0,
        "goodTillDate": p["goodTillDate"],
    }
    for extra in ("activatePrice", "callbackRate"):
        if extra in p:
            out[extra] = p[extra]
    return out


@method("algoOrder.place", "SIGNED", 0, ALGO_PARAMS, orders=True)
def _algo_place(ctx: Ctx) -> dict[str, Any]:
    return algo_result(ctx.d.engine.algo.place(ctx.key, _algo_params(ctx)))


@method("algoOrder.cancel", "SIGNED", 1, ("algoId", "clientAlgoId"))
def _algo_cancel(ctx: Ctx) -> dict[str, Any]:
    e = ctx.d.engine
    algo = e.algo.find(ctx.key, *order_ids(ctx.p, "algoId", "clientAlgoId"))
    if algo is None:
        raise UNKNOWN_ORDER
    e.algo.cancel(algo)
    return {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "code": "200",
        "msg": "success",
    }
