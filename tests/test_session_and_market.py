"""Market data and session methods, signing with three key types, time, errors: real sockets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from binance_usdm_ws import (
    BadRequest,
    DepthLimit,
    ExecutionStatusUnknown,
    InvalidRequest,
    RateLimited,
    ServerSideError,
    Side,
)
from binance_usdm_ws.websocket_api._models import (
    BookTickerResult,
    OrderBookResult,
    PriceTickerResult,
    SessionStatusResult,
)

from .conftest import pem_pair, sent

# ------------------------------------------------------------------------------ market data


def test_order_book_frame_and_result(exchange, api):
    """depth sends symbol and an integer limit, and decodes exact price levels."""
    exchange.set_book("BTCUSDT", bids=[("59000.10", "1.250")], asks=[("59001.00", "0.5")])
    resp = api.market_data_api.order_book().symbol("BTCUSDT").limit(DepthLimit.LIMIT_5).execute()
    frame = sent(exchange, "depth")
    assert frame["params"] == {"symbol": "BTCUSDT", "limit": 5}
    assert type(frame["params"]["limit"]) is int
    book = resp.typed.result
    assert isinstance(book, OrderBookResult)
    assert book.bids is not None and book.asks is not None
    assert (book.bids[0].price, book.bids[0].quantity) == (Decimal("59000.10"), Decimal("1.25"))
    assert book.asks[0].price == Decimal("59001")
    assert isinstance(book.last_update_id, int) and book.transaction_time
    assert resp.typed.rate_limits and resp.typed.rate_limits[0].limit


def test_order_book_error(exchange, api):
    """A server error on depth is a BadRequest with its code and message."""
    exchange.faults.error_reply("depth", 400, -1121, "Invalid symbol.")
    with pytest.raises(BadRequest) as info:
        api.market_data_api.order_book().symbol("NOPE").execute()
    assert (info.value.code, info.value.msg, info.value.outcome_unknown) == (
        -1121,
        "Invalid symbol.",
        False,
    )


def test_symbol_price_ticker_one_and_all(exchange, api):
    """ticker.price is one PriceTickerResult with a symbol and a list without; no params then."""
    one = api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()
    assert sent(exchange, "ticker.price")["params"] == {"symbol": "BTCUSDT"}
    assert isinstance(one.result, PriceTickerResult) and one.result.symbol == "BTCUSDT"
    assert isinstance(one.result.price, Decimal)
    assert one.status == 200 and "status=200" in repr(one)
    every = api.market_data_api.symbol_price_ticker().execute()
    assert "params" not in sent(exchange, "ticker.price")
    assert isinstance(every.result, list)
    assert {"BTCUSDT", "ETHUSDT"} <= {t.symbol for t in every.result}


def test_symbol_price_ticker_rate_limited(exchange, api):
    """A 429 reply is RateLimited (code -1003)."""
    exchange.faults.error_reply("ticker.price", 429, -1003, "Too many requests.")
    with pytest.raises(RateLimited) as info:
        api.market_data_api.symbol_price_ticker().execute()
    assert info.value.status == 429 and info.value.code == -1003


def test_symbol_order_book_ticker_one_and_all(exchange, api):
    """ticker.book gives the best bid and ask as Decimals, one or a list."""
    exchange.set_book("ETHUSDT", bids=[("2999.5", "3")], asks=[("3000.25", "4")])
    one = api.market_data_api.symbol_order_book_ticker().symbol("ETHUSDT").execute()
    assert sent(exchange, "ticker.book")["params"] == {"symbol": "ETHUSDT"}
    assert isinstance(one.result, BookTickerResult)
    assert (one.result.bid_price, one.result.ask_qty) == (Decimal("2999.5"), Decimal("4"))
    every = api.market_data_api.symbol_order_book_ticker().execute()
    assert isinstance(every.result, list) and all(
        isinstance(t, BookTickerResult) for t in every.result
    )


def test_symbol_order_book_ticker_server_side_error(exchange, api):
    """A 5xx on a market data method is a ServerSideError whose outcome is not in doubt."""
    exchange.faults.error_reply("ticker.book", 503, -1001, "Internal error.")
    with pytest.raises(ServerSideError) as info:
        api.market_data_api.symbol_order_book_ticker().execute()
    assert not isinstance(info.value, ExecutionStatusUnknown)
    assert info.value.outcome_unknown is False


# ---------------------------------------------------------------------------------- session


def test_session_logon_status_logout(exchange, api):
    """logon signs (apiKey, timestamp, signature); status shows the key; logout forgets it."""
    logon = api.auth_api.session_logon().execute()
    params = sent(exchange, "session.logon")["params"]
    assert set(params) == {"apiKey", "timestamp", "signature"}
    assert params["apiKey"] == exchange.api_key and type(params["timestamp"]) is int
    assert len(params["signature"]) == 64  # hex HMAC-SHA256
    assert (
        isinstance(logon.result, SessionStatusResult) and logon.result.api_key == exchange.api_key
    )
    status = api.auth_api.session_status().execute()
    assert "params" not in sent(exchange, "session.status")
    assert status.result is not None and status.result.authorized_since
    logout = api.auth_api.session_logout().execute()
    assert logout.result is not None and logout.result.api_key is None
    status = api.auth_api.session_status().execute()
    assert status.result is not None and status.result.api_key is None


def test_session_logon_with_a_wrong_secret(exchange, make_client):
    """A signature the server cannot verify is a BadRequest -1022."""
    with make_client(api_secret="not-the-secret") as client:
        with pytest.raises(BadRequest) as info:
            client.websocket_api.auth_api.session_logon().execute()
    assert info.value.code == -1022


def test_session_logon_on_connect(exchange, make_client):
    """session_logon=True logs the connection on before the first call returns."""
    with make_client(session_logon=True) as client:
        assert exchange.requests[0].method == "session.logon"
        status = client.websocket_api.auth_api.session_status().execute()
        assert status.result is not None and status.result.api_key == exchange.api_key


def test_session_status_and_logout_errors(exchange, api):
    """An error on session.status / session.logout surfaces as a typed ServerError."""
    exchange.faults.error_reply("session.status", 400, -1000, "An unknown error occured.")
    exchange.faults.error_reply("session.logout", 503, -1001, "Internal error.")
    with pytest.raises(BadRequest):
        api.auth_api.session_status().execute()
    with pytest.raises(ServerSideError):
        api.auth_api.session_logout().execute()


def test_recv_window_default_and_setter(exchange, make_client):
    """The configured recv_window is sent on signed requests; the setter overrides it."""
    with make_client(recv_window=7000) as client:
        client.websocket_api.auth_api.session_logon().execute()
        assert sent(exchange, "session.logon")["params"]["recvWindow"] == 7000
        client.websocket_api.auth_api.session_logon().recv_window(3000).execute()
        assert sent(exchange, "session.logon")["params"]["recvWindow"] == 3000


# ----------------------------------------------------------------------------- key types


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_asymmetric_keys_log_on(exchange, kind, make_client):
    """RSA and Ed25519 keys sign session.logon in base64, verified by the exchange."""
    private, public = pem_pair(kind)
    exchange.add_api_key(f"{kind}-key", public_key_pem=public)
    with make_client(api_key=f"{kind}-key", api_secret=None, private_key=private) as client:
        logon = client.websocket_api.auth_api.session_logon().execute()
        assert logon.result is not None and logon.result.api_key == f"{kind}-key"
    signature = sent(exchange, "session.logon")["params"]["signature"]
    assert len(signature) == (88 if kind == "ed25519" else 344)


def test_wrong_asymmetric_key_is_refused(exchange, make_client):
    """A key registered with another public key gets -1022."""
    private, _ = pem_pair("ed25519")
    _, other_public = pem_pair("ed25519")
    exchange.add_api_key("ed-key", public_key_pem=other_public)
    with make_client(api_key="ed-key", api_secret=None, private_key=private) as client:
        with pytest.raises(BadRequest) as info:
            client.websocket_api.auth_api.session_logon().execute()
    assert info.value.code == -1022


# ------------------------------------------------------------------------------------ time


def test_clock_error_explains_and_the_offset_fixes_it(exchange, api):
    """-1021 says how to fix the clock; session.status measures the offset that fixes it."""
    exchange.clock.advance(60)  # the server is now a minute ahead of us
    with pytest.raises(BadRequest) as info:
        api.auth_api.session_logon().execute()
    assert info.value.code == -1021
    assert "clock" in str(info.value) and "recv_window" in str(info.value)
    api.auth_api.session_status().execute()
    assert 59_000 < api.time_offset_ms < 61_000
    api.auth_api.session_logon().execute()  # now within the recvWindow
    ts = sent(exchange, "session.logon")["params"]["timestamp"]
    assert abs(ts - exchange.clock.now_ms()) < 2000


@pytest.mark.parametrize("scale", [1, 1000])
def test_offset_learned_from_an_error_server_time(exchange, api, scale):
    """An error carrying data.serverTime (ms, or µs by its size) updates the offset."""
    server_time = (exchange.clock.now_ms() + 30_000) * scale
    exchange.faults.error_reply(
        "session.logon",
        400,
        -1021,
        "Timestamp outside of the recvWindow.",
        data={"serverTime": server_time},
    )
    with pytest.raises(BadRequest):
        api.auth_api.session_logon().execute()
    assert 29_000 < api.time_offset_ms < 31_000


def test_time_unit_microsecond(exchange, make_client):
    """time_unit=MICROSECOND asks for µs times and sends a µs timestamp."""
    with make_client(time_unit="MICROSECOND") as client:
        api = client.websocket_api
        assert "timeUnit=MICROSECOND" in api.config.url
        api.auth_api.session_logon().execute()
        ts = sent(exchange, "session.logon")["params"]["timestamp"]
        assert abs(ts // 1000 - exchange.clock.now_ms()) < 2000


def test_time_unit_is_validated():
    """An unknown time unit is refused at configuration time."""
    from binance_usdm_ws import ConfigurationWebsocketApi

    with pytest.raises(InvalidRequest):
        ConfigurationWebsocketApi(time_unit="NANOSECOND")
    with pytest.raises(InvalidRequest):
        ConfigurationWebsocketApi(time_unit=1)  # type: ignore[arg-type]


# ------------------------------------------------------------------- outcome-unknown errors


@pytest.mark.parametrize("status,code", [(503, -1000), (500, -1001), (400, -1006), (408, -1007)])
def test_order_methods_with_unknown_outcome(exchange, api, status, code):
    """5xx, -1006 and -1007 on order methods raise ExecutionStatusUnknown (outcome unknown)."""
    exchange.faults.error_reply("order.place", status, code, "Execution status unknown.")
    request = (
        api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side(Side.BUY)
        .type("MARKET")
        .quantity("0.001")
        .new_client_order_id("unknown-1")
    )
    with pytest.raises(ExecutionStatusUnknown) as info:
        request.execute()
    err = info.value
    assert err.outcome_unknown and err.code == code and err.method == "order.place"
    assert err.params["newClientOrderId"] == "unknown-1"  # to look the order up
    assert "signature" not in err.params


@pytest.mark.parametrize(
    "method,build",
    [
        ("order.cancel", lambda api: api.trade_api.cancel_order().symbol("BTCUSDT").order_id(1)),
        (
            "order.modify",
            lambda api: (
                api.trade_api.modify_order()
                .symbol("BTCUSDT")
                .order_id(1)
                .side("BUY")
                .quantity("1")
                .price("1")
            ),
        ),
        (
            "algoOrder.place",
            lambda api: (
                api.trade_api.new_algo_order()
                .algo_type("CONDITIONAL")
                .symbol("BTCUSDT")
                .side("SELL")
                .type("STOP_MARKET")
                .trigger_price("50000")
                .close_position(True)
            ),
        ),
        ("algoOrder.cancel", lambda api: api.trade_api.cancel_algo_order().algo_id(1)),
    ],
)
def test_other_order_methods_are_outcome_unknown_too(exchange, api, method, build):
    """Modify, cancel and the algo methods are order methods as well."""
    exchange.faults.error_reply(
        method, 400, -1007, "Timeout waiting for response from backend server."
    )
    with pytest.raises(ExecutionStatusUnknown):
        build(api).execute()


def test_a_query_is_never_outcome_unknown(exchange, api):
    """A 5xx on order.status is a ServerSideError: nothing was changed."""
    exchange.faults.error_reply("order.status", 503, -1000, "Unknown error.")
    with pytest.raises(ServerSideError) as info:
        api.trade_api.query_order().symbol("BTCUSDT").order_id(1).execute()
    assert type(info.value) is ServerSideError and not info.value.outcome_unknown


# ----------------------------------------------------------------------- nothing on the wire


@pytest.mark.parametrize(
    "build,param",
    [
        (lambda api: api.trade_api.new_order().symbol("BTCUSDT").side("BUY"), "type"),
        (
            lambda api: (
                api.trade_api.new_order()
                .symbol("BTCUSDT")
                .side("BUY")
                .type("LIMIT")
                .quantity("1")
                .time_in_force("GTC")
            ),
            "price",
        ),
        (lambda api: api.trade_api.modify_order().symbol("BTCUSDT"), "side"),
        (lambda api: api.trade_api.cancel_order().symbol("BTCUSDT"), "order_id"),
        (lambda api: api.trade_api.query_order().order_id(5), "symbol"),
        (lambda api: api.trade_api.new_algo_order().symbol("BTCUSDT"), "algo_type"),
        (lambda api: api.trade_api.cancel_algo_order(), "algo_id"),
        (lambda api: api.market_data_api.order_book(), "symbol"),
    ],
)
def test_invalid_requests_send_nothing(exchange, api, build, param):
    """A builder missing what the spec requires raises InvalidRequest and sends no frame."""
    api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()  # the socket works
    before = len(exchange.requests)
    with pytest.raises(InvalidRequest) as info:
        build(api).execute()
    assert info.value.param == param
    with pytest.raises(InvalidRequest):
        build(api).execute_async()
    assert len(exchange.requests) == before


def test_bad_values_send_nothing(exchange, api):
    """A bad value fails in its setter, before a request exists to send."""
    before = len(exchange.requests)
    with pytest.raises(InvalidRequest) as info:
        api.trade_api.new_order().symbol("BTCUSDT").price(60000.1)
    assert info.value.param == "price"
    with pytest.raises(InvalidRequest) as info:
        api.trade_api.cancel_order().orig_client_order_id("no spaces allowed")
    assert info.value.param == "orig_client_order_id"
    assert len(exchange.requests) == before
