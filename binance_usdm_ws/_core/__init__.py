"""The shared core beneath both halves (the Go connector's ``common``).

One connection and its reader thread (``_connection``), the wire protocol and envelopes
(``_protocol``), signing (``_signing``), the timer thread (``_scheduler``), the cattrs converter
(``_converter``) and the models both halves share (``_models``), redaction of secrets
(``_redact``), transport options — proxy, TLS, headers (``_transport``), the declarative builder
machinery (``_params``), what a stream hands its consumer: bounded queue, gaps, callbacks
(``_stream_delivery``), and the one stream supervisor both streams run on: reconnect, rotation,
dedupe, silence (``_supervisor``).

Nothing here imports from :mod:`binance_usdm_ws.websocket_api` or
:mod:`binance_usdm_ws.websocket_streams` (``tests/test_layout.py`` checks it).
"""
