"""The fault suite (issue 5): real faults injected by the local exchange, over real sockets.

For each fault: no call hangs (every call returns or raises within its timeout plus a
margin), no SDK thread is left (the autouse fixture), no reply is lost or given to the wrong
caller, and the client is usable afterwards.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConnectionClosed,
    IpBanned,
    RateLimited,
    ServerError,
    Unauthorized,
)
from binance_usdm_ws._core._connection import DeadConnection
from binance_usdm_ws.testing import LocalExchange

from .conftest import wait_until


def usable(client) -> bool:
    """The client answers a fresh call."""
    api = client.websocket_api.user_data_streams_api
    return api.start_user_data_stream().execute(timeout=5).typed.status == 200


def test_drop_mid_flight_then_reconnect(make_client, exchange):
    """Calls in flight when the socket drops fail at once (not sent twice); then it reconnects."""
    client = make_client(timeout=20)
    api = client.websocket_api.user_data_streams_api
    exchange.faults.never_reply("userDataStream.ping")
    old = client.websocket_api.connection
    with ThreadPoolExecutor(4) as pool:
        calls = [pool.submit(api.keepalive_user_data_stream().execute) for _ in range(4)]
        wait_until(lambda: old.pending_count == 4)
        exchange.faults.drop_connections()
        for call in calls:
            with pytest.raises(ConnectionClosed) as info:
                call.result(10)
            assert not info.value.outcome_unknown  # not an order method
            assert info.value.method == "userDataStream.ping"
    exchange.faults.reset()
    assert usable(client)
    assert client.websocket_api.reconnects == 1
    pings = [r for r in exchange.requests if r.method == "userDataStream.ping"]
    assert len(pings) <= 4  # nothing was resent behind the caller's back (some may be lost)


def test_drop_during_logon_is_retried(make_client, exchange):
    """A reconnect whose session.logon fails is retried until the session is restored."""
    client = make_client(session_logon=True)
    assert client.websocket_api.connection.logged_on
    exchange.faults.error_reply("session.logon", 503, -1001, "Internal error", times=2)
    exchange.faults.drop_connections()
    wait_until(lambda: client.websocket_api.reconnects == 1, timeout=10)
    assert client.websocket_api.connection.logged_on
    logons = [r for r in exchange.requests if r.method == "session.logon"]
    assert len(logons) == 4  # the first, two refused, one accepted
    assert usable(client)


def test_half_open_connection_detected(make_client, exchange):
    """A server that goes silent (half-open TCP) is detected by the heartbeat, and replaced."""
    client = make_client(heartbeat_interval=0.2, heartbeat_timeout=0.3, timeout=30)
    api = client.websocket_api.user_data_streams_api
    old = client.websocket_api.connection
    exchange.faults.silence()
    with pytest.raises(ConnectionClosed) as info:
        api.start_user_data_stream().execute()  # sent into the void; the heartbeat ends it
    assert isinstance(info.value.__cause__, DeadConnection)
    exchange.faults.reset()
    wait_until(lambda: client.websocket_api.connection not in (None, old), timeout=10)
    assert usable(client)


def test_truncated_and_garbage_frames(make_client, exchange):
    """Truncated JSON, binary junk and bare values never disturb matching of replies."""
    client = make_client()
    for junk in ('{"id": "x", "status": 200, "res', b"\x00\x01\x02", "[]", "42", '"text"'):
        exchange.faults.send_raw(junk)
    ids = [
        client.websocket_api.user_data_streams_api.start_user_data_stream().id(f"g{i}").execute().id
        for i in range(5)
    ]
    assert ids == [f"g{i}" for i in range(5)]


def test_error_reply_between_good_ones(make_client, exchange):
    """One error among concurrent calls fails only its own caller."""
    api = make_client().websocket_api.user_data_streams_api
    api.start_user_data_stream().execute()
    exchange.faults.error_reply("userDataStream.ping", 400, -1125, "This listenKey does not exist.")

    def call(i: int) -> object:
        try:
            return api.keepalive_user_data_stream().id(f"c{i}").execute().id
        except ServerError as exc:
            return exc.code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(call, range(8)))
    assert results.count(-1125) == 1
    assert sorted(r for r in results if r != -1125) == sorted(
        f"c{i}" for i in range(8) if results[i] != -1125
    )


def test_server_shutdown_rotates_without_failures(make_client, exchange):
    """A serverShutdown event triggers a make-before-break reconnect; no call fails."""
    client = make_client(session_logon=True)
    old = client.websocket_api.connection
    exchange.push_api({"e": "serverShutdown", "E": int(time.time() * 1000)})
    wait_until(lambda: client.websocket_api.connection is not old)
    assert client.websocket_api.rotations == 1
    assert client.websocket_api.connection.logged_on
    wait_until(lambda: old.closed)
    assert usable(client)


def test_revocation_notice(make_client, exchange):
    """A revoked key surfaces as a typed notice, and the session is no longer replayed."""
    client = make_client(session_logon=True)
    notices = []
    client.websocket_api.on_notice(notices.append)
    exchange.revoke_api_key(exchange.api_key)
    with pytest.raises(Unauthorized):
        client.websocket_api.user_data_streams_api.start_user_data_stream().execute()
    wait_until(lambda: notices)
    assert isinstance(notices[0].error, Unauthorized) and notices[0].error.code == -2015
    assert not client.websocket_api.connection.logged_on
    old = client.websocket_api.connection
    exchange.faults.drop_connections()
    wait_until(lambda: client.websocket_api.connection not in (None, old))
    assert [r.method for r in exchange.requests].count("session.logon") == 1  # not replayed


def test_rotation_under_load_loses_nothing(make_client, exchange):
    """Rotations under continuous load from 8 threads: zero failed calls, every reply matched."""
    client = make_client(rotation_interval=0.25, session_logon=True)
    api = client.websocket_api.user_data_streams_api
    api.start_user_data_stream().execute()
    done = threading.Event()
    failures: list[BaseException] = []
    counts = [0] * 8

    def worker(n: int) -> None:
        i = 0
        while not done.is_set():
            rid = f"w{n}-{i}"
            try:
                got = api.keepalive_user_data_stream().id(rid).execute(timeout=5).id
                assert got == rid
                counts[n] += 1
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)
            i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    try:  # load runs until three rotations happened under it, however long they take
        wait_until(lambda: client.websocket_api.rotations >= 3 or failures, timeout=60)
    finally:
        done.set()
    for t in threads:
        t.join(30)
        assert not t.is_alive()
    assert failures == []
    assert client.websocket_api.rotations >= 3
    assert all(c > 0 for c in counts)
    wait_until(lambda: exchange.api_connection_count == 1)


def test_rate_limited_then_banned_backs_off(make_client, exchange):
    """429 then 418: the client backs off locally (nothing sent) instead of hammering."""
    client = make_client()
    api = client.websocket_api.user_data_streams_api
    exchange.faults.error_reply("userDataStream.start", 429, -1003, "Too many requests.")
    with pytest.raises(RateLimited) as first:
        api.start_user_data_stream().execute()
    assert not isinstance(first.value, IpBanned)
    sent = len(exchange.requests)
    with pytest.raises(RateLimited, match="nothing was sent"):
        api.start_user_data_stream().execute()
    assert len(exchange.requests) == sent
    client.websocket_api._backoff = None  # let the 1 s backoff pass without sleeping
    exchange.faults.error_reply(
        "userDataStream.start", 418, -1003, "Way too many requests; IP banned."
    )
    with pytest.raises(IpBanned):
        api.start_user_data_stream().execute()
    with pytest.raises(IpBanned, match="nothing was sent"):
        api.start_user_data_stream().execute()
    assert len(exchange.requests) == sent + 1


def _outage_client(**overrides):
    """A client whose exchange is then stopped for good: an outage that does not end."""
    with LocalExchange(quiet=True) as ex:
        cfg = ConfigurationWebsocketApi(
            base_path=ex.ws_api_url,
            api_key=ex.api_key,
            api_secret=ex.api_secret,
            reconnect_delay=0.01,
            reconnect_max_delay=0.05,
            **overrides,
        )
        client = BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg)
        client.websocket_api.connect()
    wait_until(lambda: not client.websocket_api.connected)
    return client


def test_outage_policies():
    """During an outage calls fail at once (fail-fast) or after their timeout (wait), unsent."""
    fast = _outage_client(wait_for_reconnect=False)
    try:
        with pytest.raises(ConnectionClosed) as info:
            fast.websocket_api.user_data_streams_api.start_user_data_stream().execute(timeout=30)
        assert "within the timeout" not in str(info.value)  # failed at once: did not wait
    finally:
        fast.close()
    waiting = _outage_client()
    try:
        with pytest.raises(ConnectionClosed, match="within the timeout"):
            waiting.websocket_api.user_data_streams_api.start_user_data_stream().execute(
                timeout=0.2
            )
    finally:
        waiting.close()


def test_gives_up_after_attempts():
    """With a bounded number of attempts the client ends down, and calls say why at once."""
    client = _outage_client(reconnect_attempts=2)
    try:
        wait_until(lambda: client.websocket_api._state == "down", timeout=10)
        with pytest.raises(ConnectionClosed) as info:
            client.websocket_api.user_data_streams_api.start_user_data_stream().execute()
        assert info.value.__cause__ is not None
    finally:
        client.close()


def test_server_24h_limit_is_survived():
    """The server's lifetime close (24 h on Binance, 1 s here): reconnect and log on again."""
    with LocalExchange(quiet=True, max_connection_age=1.0) as ex:
        cfg = ConfigurationWebsocketApi(
            base_path=ex.ws_api_url,
            api_key=ex.api_key,
            api_secret=ex.api_secret,
            session_logon=True,
            reconnect_delay=0.01,
        )
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg) as client:
            old = client.websocket_api.connection
            wait_until(lambda: client.websocket_api.connection not in (None, old), timeout=10)
            assert client.websocket_api.reconnects >= 1
            assert client.websocket_api.connection.logged_on
            assert usable(client)


def test_reconnect_logon_survives_clock_drift(make_client, exchange):
    """A reconnect whose logon hits -1021 (clock drift) learns the offset and logs on."""
    client = make_client(session_logon=True)
    old = client.websocket_api.connection
    exchange.clock.advance(3600)  # the server's clock is now an hour ahead of ours
    exchange.faults.drop_connections()
    wait_until(lambda: client.websocket_api.connection not in (None, old), timeout=10)
    assert client.websocket_api.connection.logged_on
    assert abs(client.websocket_api.time_offset_ms - 3_600_000) < 60_000
    methods = [r.method for r in exchange.requests]
    assert methods[-3:] == ["session.logon", "session.status", "session.logon"]
