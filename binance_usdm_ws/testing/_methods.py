"""WS API methods that do not trade: user data stream keys, session, market data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from ._common import ApiError, invalid
from ._dispatch import Ctx, Params, method

__all__: list[str] = []


# ------------------------------------------------------------------------- user data stream


@method("userDataStream.start", "USER_STREAM", 1)
def _uds_start(ctx: Ctx) -> dict[str, Any]:
    ctx.d.expire_listen_keys(ctx.now_ms)
    return {"listenKey": ctx.d.listen_keys.start(ctx.key, ctx.now_ms)}


@method("userDataStream.ping", "USER_STREAM", 1)
def _uds_ping(ctx: Ctx) -> dict[str, Any]:
    ctx.d.expire_listen_keys(ctx.now_ms)
    return {"listenKey": ctx.d.listen_keys.ping(ctx.key, ctx.now_ms)}


@method("userDataStream.stop", "USER_STREAM", 1)
def _uds_stop(ctx: Ctx) -> dict[str, Any]:
    ctx.d.expire_listen_keys(ctx.now_ms)
    ctx.d.listen_keys.stop(ctx.key)
    return {}


# --------------------------------------------------------------------------------- session


def _session_result(ctx: Ctx) -> dict[str, Any]:
    s = ctx.session
    return {
        "apiKey": s.api_key,
        "authorizedSince": s.authorized_since,
        "connectedSince": s.connected_ms,
        "returnRateLimits": s.return_rate_limits,
        "serverTime": ctx.now_ms,
    }


@method("session.logon", "LOGON", 2)
def _session_logon(ctx: Ctx) -> dict[str, Any]:
    ctx.session.api_key = ctx.key
    ctx.session.authorized_since = ctx.now_ms
    return _session_result(ctx)


@method("session.status", "NONE", 2)
def _session_status(ctx: Ctx) -> dict[str, Any]:
    return _session_result(ctx)


@method("session.logout", "NONE", 2)
def _session_logout(ctx: Ctx) -> dict[str, Any]:
    ctx.session.api_key = None
    ctx.session.authorized_since = None
    return _session_result(ctx)


# ----------------------------------------------------------------------------- market data

DEPTH_LIMITS = {5: 2, 10: 2, 20: 2, 50: 2, 100: 5, 500: 10, 1000: 20}


def _depth_weight(p: Params) -> int:
    try:
        limit = p.opt_int("limit")
    except ApiError:
        return 2
    return DEPTH_LIMITS.get(limit if limit is not None else 500, 2)


@method("depth", "NONE", _depth_weight, ("symbol", "limit"))
def _depth(ctx: Ctx) -> dict[str, Any]:
    book = ctx.d.engine.book(ctx.p.req_str("symbol"))
    limit = ctx.p.opt_int("limit")
    if limit is None:
        limit = 500
    if limit not in DEPTH_LIMITS:
        raise invalid("limit")
    stale = ctx.d.engine.depth_faults.snapshot(book.symbol) if ctx.d.engine.depth_faults else None
    if stale is not None:  # a fault: the book as it was when the fault was armed
        reply = {"E": ctx.now_ms, "T": ctx.now_ms, **stale}
        for side in ("bids", "asks"):
            if isinstance(reply.get(side), list):
                reply[side] = reply[side][:limit]
        return reply
    return {
        "lastUpdateId": book.update_id,
        "E": ctx.now_ms,
        "T": book.last_trade_ms or ctx.now_ms,
        "bids": [[book.fmt_price(p), book.fmt_qty(q)] for p, q in book.levels("BUY", limit)],
        "asks": [[book.fmt_price(p), book.fmt_qty(q)] for p, q in book.levels("SELL", limit)],
    }


def _by_symbol(p: Params, one: int, every: int) -> int:
    return one if p.has("symbol") else every


@method("ticker.price", "NONE", lambda p: _by_symbol(p, 1, 2), ("symbol",))
def _ticker_price(ctx: Ctx) -> Any:
    def item(symbol: str) -> dict[str, Any]:
        book = ctx.d.engine.book(symbol)
        return {
            "symbol": symbol,
            "price": book.fmt_price(book.last_price),
            "time": book.last_trade_ms or ctx.now_ms,
        }

    symbol = ctx.p.opt_str("symbol")
    if symbol is not None:
        return item(symbol)
    return [item(s) for s in ctx.d.engine.symbols()]


@method("ticker.book", "NONE", lambda p: _by_symbol(p, 2, 5), ("symbol",))
def _ticker_book(ctx: Ctx) -> Any:
    def item(symbol: str) -> dict[str, Any]:
        book = ctx.d.engine.book(symbol)
        none: list[tuple[Optional[Decimal], Optional[Decimal]]] = [(None, None)]
        bid = (book.levels("BUY", 1) or none)[0]
        ask = (book.levels("SELL", 1) or none)[0]
        return {
            "lastUpdateId": book.update_id,
            "symbol": symbol,
            "bidPrice": book.fmt_price(bid[0]),
            "bidQty": book.fmt_qty(bid[1]),
            "askPrice": book.fmt_price(ask[0]),
            "askQty": book.fmt_qty(ask[1]),
            "time": ctx.now_ms,
        }

    symbol = ctx.p.opt_str("symbol")
    if symbol is not None:
        return item(symbol)
    return [item(s) for s in ctx.d.engine.symbols()]
