"""WS API methods that trade or read the account: order.*, algoOrder.*, account.*."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Optional

from ._accounts import (
    balance_row,
    position_v1,
    position_v2,
    status_asset,
    status_position,
    status_totals,
)
from ._book import ZERO, Book, Order
from ._common import ApiError, fmt, invalid, mandatory
from ._dispatch import Ctx, Params, method
from ._trading import Engine

__all__: list[str] = []

SIDES = ("BUY", "SELL")
TIFS = ("GTC", "IOC", "FOK", "GTX", "GTD", "RPI")
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")
PRICE_MATCH = tuple(
    "NONE OPPONENT OPPONENT_5 OPPONENT_10 OPPONENT_20 QUEUE QUEUE_5 QUEUE_10 QUEUE_20".split()
)
ALGO_TYPES = ("STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT", "TRAILING_STOP_MARKET")
CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
MAX_GTD = 253402300799000

BAD_SIDE = ApiError(400, -1117, "Invalid side.")
BAD_TIF = ApiError(400, -1115, "Invalid timeInForce.")
BAD_RESP_TYPE = ApiError(400, -1136, "Invalid newOrderRespType.")
BAD_STP = ApiError(400, -5039, "Invalid self trade prevention mode")
BAD_PRICE_MATCH = ApiError(400, -5037, "Invalid price match")
BAD_POSITION_SIDE = ApiError(400, -4061, "Order's position side does not match user's setting.")
BAD_CLIENT_ID = ApiError(400, -4015, "Client order id is not valid.")
NO_ORDER = ApiError(400, -2013, "Order does not exist.")
UNKNOWN_ORDER = ApiError(400, -2011, "Unknown order sent.")

PLACE_PARAMS = (
    "symbol side positionSide type timeInForce quantity reduceOnly price newClientOrderId "
    "newOrderRespType priceMatch selfTradePreventionMode goodTillDate"
).split()
MODIFY_PARAMS = (
    "orderId origClientOrderId symbol side quantity price priceMatch modifyId origType positionSide"
).split()


def not_required(name: str) -> ApiError:
    """Return the -1106 error for a parameter that must not be sent."""
    return ApiError(400, -1106, f"Parameter '{name}' sent when not required.")


def places(value: Decimal) -> int:
    """Number of decimals ``value`` was written with (ignoring trailing zeros)."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def check_qty(book: Book, qty: Decimal) -> None:
    """Apply the quantity filters of ``book``'s symbol."""
    if qty <= 0:
        raise ApiError(400, -4003, "Quantity less than or equal to zero.")
    if places(qty) > book.info.qty_places:
        raise ApiError(400, -1111, "Precision is over the maximum defined for this asset.")
    if qty % book.info.step:
        raise ApiError(400, -4023, "Quantity not increased by step size.")


def check_price(book: Book, price: Decimal, name: str = "price") -> None:
    """Apply the price filters of ``book``'s symbol."""
    if price <= 0:
        raise ApiError(400, -4001, "Price less than 0.")
    if places(price) > book.info.price_places:
        raise ApiError(400, -1111, "Precision is over the maximum defined for this asset.")
    if price % book.info.tick:
        raise ApiError(400, -4014, "Price not increased by tick size.")


def match_price(book: Book, side: str, mode: str) -> Decimal:
    """The limit price that ``priceMatch`` ``mode`` gives on ``book``."""
    kind, _, n = mode.partition("_")
    same = side if kind == "QUEUE" else ("SELL" if side == "BUY" else "BUY")
    levels = book.levels(same, int(n or 1))
    if not levels:
        raise ApiError(400, -5041, "No depth matches this BBO order")
    return levels[-1][0]


def order_ids(p: Params, id_name: str, client_name: str) -> tuple[Optional[int], Optional[str]]:
    """Read the order id / client id pair; one of them is mandatory."""
    order_id, client_id = p.opt_int(id_name), p.opt_str(client_name)
    if order_id is None and client_id is None:
        raise ApiError(
            400,
            -1102,
            f"Param '{id_name}' or '{client_name}' must be sent, but both were empty/null!",
        )
    return order_id, client_id


def order_result(e: Engine, o: Order, kind: str, modify_id: Optional[int] = None) -> dict[str, Any]:
    """Shape an order like the ``order.*`` results (``kind``: place, modify, cancel, status)."""
    book = e.books[o.symbol]
    out: dict[str, Any] = {
        "orderId": o.order_id,
        "symbol": o.symbol,
        "status": o.status,
        "clientOrderId": o.client_order_id,
        "price": book.fmt_price(o.price) if o.type == "LIMIT" else "0",
        "origQty": book.fmt_qty(o.orig_qty),
        "executedQty": book.fmt_qty(o.executed_qty),
        "cumQty": book.fmt_qty(o.executed_qty),
        "timeInForce": o.time_in_force,
        "type": o.type,
        "reduceOnly": o.reduce_only,
        "closePosition": False,
        "side": o.side,
        "positionSide": o.position_side,
        "stopPrice": book.fmt_price(ZERO),
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "origType": o.type,
        "priceMatch": o.price_match,
        "selfTradePreventionMode": o.stp_mode,
        "goodTillDate": o.good_till_date,
        "updateTime": o.update_time,
    }
    if kind == "status":
        out["avgPrice"] = fmt(o.avg_price, 5)
        out["cumQuote"] = fmt(o.cum_quote, 5)
        out["time"] = o.time
    if kind == "modify" and modify_id is not None:
        out["modifyId"] = modify_id
    return out


# ----------------------------------------------------------------------------------- orders


@method("order.place", "SIGNED", 0, PLACE_PARAMS, orders=True)
def _order_place(ctx: Ctx) -> dict[str, Any]:
    p, e = ctx.p, ctx.d.engine
    symbol = p.req_str("symbol")
    book = e.book(symbol)
    side = p.req_enum("side", SIDES, BAD_SIDE)
    otype = p.req_str("type")
    if otype in ALGO_TYPES:
        raise ApiError(
            400,
            -4120,
            "Order type not supported for this endpoint. "
            "Please use the Algo Order API endpoints instead.",
        )
    if otype not in ("LIMIT", "MARKET"):
        raise ApiError(400, -1116, "Invalid orderType.")
    if (p.opt_enum("positionSide", ("BOTH", "LONG", "SHORT")) or "BOTH") != "BOTH":
        raise BAD_POSITION_SIDE
    tif = p.opt_enum("timeInForce", TIFS, BAD_TIF)
    resp_type = p.opt_enum("newOrderRespType", ("ACK", "RESULT"), BAD_RESP_TYPE) or "ACK"
    stp = p.opt_enum("selfTradePreventionMode", STP_MODES, BAD_STP) or "NONE"
    pm = p.opt_enum("priceMatch", PRICE_MATCH, BAD_PRICE_MATCH) or "NONE"
    reduce_only = bool(p.opt_boolstr("reduceOnly"))
    client_id = p.opt_str("newClientOrderId")
    if client_id is not None and not CLIENT_ID.match(client_id):
        raise BAD_CLIENT_ID
    qty = p.req_dec("quantity")
    check_qty(book, qty)
    if otype == "LIMIT":
        if tif is None:
            raise mandatory("timeInForce")
        if pm != "NONE":
            if p.has("price"):
                raise not_required("price")
            price = match_price(book, side, pm)
        else:
            price = p.req_dec("price")
            check_price(book, price)
    else:
        if p.has("price"):
            raise not_required("price")
        if pm != "NONE":
            raise ApiError(
                400, -5038, "Price match only supports order type: LIMIT, STOP AND TAKE_PROFIT"
            )
        price, tif = ZERO, tif or "GTC"
    gtd = 0
    if tif == "GTD":
        gtd = p.req_int("goodTillDate")
        if not ctx.now_ms + 600_000 < gtd < MAX_GTD:
            raise ApiError(
                400,
                -5040,
                "The goodTillDate timestamp must be greater than the current time plus 600 "
                "seconds and smaller than 253402300799000 (UTC 9999-12-31 23:59:59)",
            )
        gtd = gtd // 1000 * 1000
    notional = qty * (price if otype == "LIMIT" else book.last_price)
    if notional < book.info.min_notional and not reduce_only:
        raise ApiError(
            400,
            -4164,
            f"Order's notional must be no smaller than {book.info.min_notional} "
            "(unless you choose reduce only).",
        )
    if reduce_only:
        amount = e.account(ctx.key).position(symbol).amount
        if amount == 0 or (amount > 0) == (side == "BUY"):
            raise ApiError(400, -2022, "ReduceOnly Order is rejected.")
    if otype == "LIMIT" and tif == "FOK" and book.fillable(side, price) < qty:
        raise ApiError(
            400,
            -5021,
            "Due to the order could not be filled immediately, the FOK order has been rejected.",
        )
    if otype == "LIMIT" and tif in ("GTX", "RPI") and book.crosses(side, price):
        raise ApiError(
            400,
            -5022,
            "Due to the order could not be executed as maker, "
            "the Post Only order will be rejected.",
        )
    if not reduce_only:
        e.check_margin(ctx.key, symbol, side, qty, price if otype == "LIMIT" else None)
    order = e.create(
        ctx.key,
        symbol,
        client_order_id=client_id,
        side=side,
        type=otype,
        time_in_force=tif,
        price=price,
        orig_qty=qty,
        reduce_only=reduce_only,
        price_match=pm,
        stp_mode=stp,
        good_till_date=gtd,
    )
    ack = order_result(e, order, "place")
    e.execute(order)
    return order_result(e, order, "place") if resp_type == "RESULT" else ack


@method("order.modify", "SIGNED", 0, MODIFY_PARAMS, orders=True)
def _order_modify(ctx: Ctx) -> dict[str, Any]:
    p, e = ctx.p, ctx.d.engine
    symbol = p.req_str("symbol")
    book = e.book(symbol)
    side = p.req_enum("side", SIDES, BAD_SIDE)
    order_id, client_id = order_ids(p, "orderId", "origClientOrderId")
    qty = p.req_dec("quantity")
    pm = p.opt_enum("priceMatch", PRICE_MATCH, BAD_PRICE_MATCH) or "NONE"
    price = match_price(book, side, pm) if pm != "NONE" else p.req_dec("price")
    modify_id = p.opt_int("modifyId")
    order = e.find(ctx.key, symbol, order_id, client_id)
    if order is None:
        raise NO_ORDER
    if side != order.side:
        raise invalid("side")
    check_qty(book, qty)
    check_price(book, price)
    e.modify(order, price, qty, modify_id)
    return order_result(e, order, "modify", modify_id)


@method("order.cancel", "SIGNED", 1, ("symbol", "orderId", "origClientOrderId"))
def _order_cancel(ctx: Ctx) -> dict[str, Any]:
    symbol = ctx.p.req_str("symbol")
    e = ctx.d.engine
    e.book(symbol)
    order = e.find(ctx.key, symbol, *order_ids(ctx.p, "orderId", "origClientOrderId"))
    if order is None:
        raise UNKNOWN_ORDER
    e.cancel(order)
    return order_result(e, order, "cancel")


@method("order.status", "SIGNED", 1, ("symbol", "orderId", "origClientOrderId"))
def _order_status(ctx: Ctx) -> dict[str, Any]:
    symbol = ctx.p.req_str("symbol")
    e = ctx.d.engine
    e.book(symbol)
    order = e.find(ctx.key, symbol, *order_ids(ctx.p, "orderId", "origClientOrderId"))
    if order is None:
        raise NO_ORDER
    return order_result(e, order, "status")


# ------------------------------------------------------------------------------- account


def _symbols(ctx: Ctx) -> list[str]:
    symbol = ctx.p.opt_str("symbol")
    if symbol is not None:
        ctx.d.engine.book(symbol)
        return [symbol]
    return ctx.d.engine.symbols()


def _active(e: Engine, api_key: str, symbol: str) -> bool:
    return e.account(api_key).position(symbol).amount != 0 or bool(e.open_orders(api_key, symbol))


@method("account.position", "SIGNED", 5, ("symbol",))
def _account_position(ctx: Ctx) -> list[dict[str, Any]]:
    e = ctx.d.engine
    return [
        position_v1(e.account(ctx.key).position(s), e.books[s], e.figures(ctx.key, s))
        for s in _symbols(ctx)
    ]


@method("v2/account.position", "SIGNED", 5, ("symbol",))
def _account_position_v2(ctx: Ctx) -> list[dict[str, Any]]:
    e = ctx.d.engine
    return [
        position_v2(e.account(ctx.key).position(s), e.books[s], e.figures(ctx.key, s))
        for s in _symbols(ctx)
        if _active(e, ctx.key, s)
    ]


def _balance(ctx: Ctx) -> list[dict[str, Any]]:
    e = ctx.d.engine
    return [balance_row(e.account(ctx.key), e.totals(ctx.key))]


method("account.balance", "SIGNED", 5)(_balance)
method("v2/account.balance", "SIGNED", 5)(_balance)


def _status(ctx: Ctx, v2: bool) -> dict[str, Any]:
    e = ctx.d.engine
    acct, totals = e.account(ctx.key), e.totals(ctx.key)
    out: dict[str, Any] = {}
    if not v2:
        out.update(
            feeTier=0,
            canTrade=True,
            canDeposit=True,
            canWithdraw=True,
            updateTime=0,
            multiAssetsMargin=False,
            tradeGroupId=-1,
        )
    out.update(status_totals(acct, totals))
    out["assets"] = [status_asset(acct, totals)]
    out["positions"] = [
        status_position(acct.position(s), e.books[s], e.figures(ctx.key, s), v2)
        for s in e.symbols()
        if not v2 or _active(e, ctx.key, s)
    ]
    return out


method("account.status", "SIGNED", 5)(lambda ctx: _status(ctx, False))
method("v2/account.status", "SIGNED", 5)(lambda ctx: _status(ctx, True))
