"""User data stream pins: a rotation keeps its listenKey; a stream reconnect needs no WS API
(the key is still valid); an event that cannot be decoded arrives raw, never dropped."""

from __future__ import annotations

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    ConnectionClosed,
    StreamGap,
    UnknownEvent,
)

from .test_streams import (
    event,
    ex,  # noqa: F401  (fixture)
    started,
    stream_client,
    take,
)


def test_rotation_keeps_the_listen_key(ex):  # noqa: F811
    with stream_client(ex, rotation_interval=0.3) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            key = stream.listen_key
            ex.wait_for(lambda: stream.rotations >= 2, timeout=10)
            ex.push_event(event(1))
            assert take(stream).trade_id == 1
            assert stream.listen_key == key and ex.issued_listen_keys == [key]
            starts = [r for r in ex.requests if r.method == "userDataStream.start"]
            assert len(starts) == 1


def test_a_stream_reconnect_needs_no_ws_api(ex):  # noqa: F811
    """The WS API is down (and stays down): the dropped stream reconnects with its key."""
    api_config = ConfigurationWebsocketApi(
        base_path=ex.ws_api_url,
        api_key=ex.api_key,
        api_secret=ex.api_secret,
        timeout=5.0,
        reconnect=False,  # its socket will not come back
    )
    streams = ConfigurationWebsocketStreams(base_path=ex.streams_url, reconnect_delay=0.02)
    with BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api_config, websocket_streams=streams
    ) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            key = stream.listen_key
            api = client.websocket_api
            ex.faults.drop_connections("api")
            ex.wait_for(lambda: not api.connected, timeout=5)
            ex.faults.drop_connections("stream")
            gap = take(stream, timeout=10)
            assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
            started(ex, stream)
            ex.push_event(event(2))
            item = take(stream, timeout=10)
            assert not isinstance(item, ConnectionClosed) and item.trade_id == 2
            assert stream.listen_key == key and ex.issued_listen_keys == [key]


def test_an_event_that_cannot_be_decoded_arrives_raw(ex):  # noqa: F811
    with stream_client(ex) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            ex.push_event(event(3) | {"t": "not an id"})
            ex.push_event(event(4))
            raw = take(stream)
            assert isinstance(raw, UnknownEvent) and raw.raw["t"] == "not an id"
            assert raw.decode_problems
            assert take(stream).trade_id == 4  # and the stream goes on, in order
