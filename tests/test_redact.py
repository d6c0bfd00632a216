"""The one mask rule (``_core/_redact.py``), stated as properties over random secrets and text.

Whatever a secret looks like (an API key, a 64-character listenKey, a short signature) and
wherever it sits in a log line, a frame or a URL — a JSON member, a query parameter, the last
segment of a stream path, or bare (a listenKey used as a stream name) — the masked text never
holds it whole, shows its first four characters, keeps everything else, and masking twice
changes nothing.
"""

from __future__ import annotations

import json
import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from binance_usdm_ws._core._redact import SECRET_KEYS, mask, mask_repr, mask_text

ALNUM = string.ascii_letters + string.digits
secrets = st.text(ALNUM, min_size=9, max_size=80)
words = st.text(string.ascii_letters + " ,.:;()[]{}-", max_size=20)


def placed(kind: str, key: str, secret: str) -> str:
    if kind == "json":
        return json.dumps({key: secret, "symbol": "BTCUSDT"})
    if kind == "json-spaced":
        return '{"' + key + '" :  "' + secret + '"}'
    if kind == "query":
        return f"wss://host/ws-fapi/v1?{key}={secret}&timeUnit=MICROSECOND"
    if kind == "path":
        return f"wss://fstream.binance.com/private/ws/{secret}"
    return f"stream {secret} failed"  # bare


@settings(max_examples=300, deadline=None)
@given(
    secret=secrets,
    key=st.sampled_from(SECRET_KEYS),
    kind=st.sampled_from(["json", "json-spaced", "query", "path", "bare"]),
    before=words,
    after=words,
)
def test_a_secret_is_never_shown_whole(secret, key, kind, before, after):
    if kind == "path" and len(secret) < 16:
        secret = secret * 2  # a listenKey in a path is at least 16 characters
    if kind == "bare" and len(secret) < 48:
        secret = (secret * 6)[:64]  # bare, only 48+ characters are recognisably a key
    assume(secret[:4] not in before + after)  # the text around holds no part of it
    text = before + " " + placed(kind, key, secret) + " " + after
    masked = mask_text(text)
    assert secret not in masked
    assert secret[:4] + "…" in masked
    assert masked.startswith(before + " ") and masked.endswith(" " + after)
    assert mask_text(masked) == masked  # idempotent


@settings(max_examples=200, deadline=None)
@given(text=st.text(string.ascii_letters + string.digits + ' "=:/,{}', max_size=60))
def test_text_without_secrets_is_unchanged(text):
    """No secret key name, no /ws/ path, no 48-character run: nothing changes."""
    if any(k in text for k in SECRET_KEYS) or "/ws/" in text:
        return
    if any(len(run) >= 48 for run in "".join(c if c in ALNUM else " " for c in text).split()):
        return
    assert mask_text(text) == text


def test_mask_shows_four_characters_of_more_than_eight():
    assert mask("abcdefgh") == "…"  # eight: nothing shown
    assert mask("abcdefghi") == "abcd…"
    assert mask("") == "…"
    assert mask(None) == "None"
    assert mask_repr("abcdefghij") == repr("abcd…")
    assert mask_repr(None) == "None"
    assert mask_repr(12345) == "12345"  # not a secret string: shown as it is


def test_bare_keys_are_masked_by_length():
    key64 = "A1b2" * 16
    assert mask_text(f'SUBSCRIBE ["{key64}"]') == 'SUBSCRIBE ["A1b2…"]'
    assert mask_text(f"x {key64[:48]} y") == "x A1b2… y"
    assert mask_text(f"x {key64[:47]} y") == f"x {key64[:47]} y"  # 47: not a key
    assert mask_text(f"x_{key64}") == f"x_{key64[:4]}…"  # after a non-alphanumeric


def test_each_form_is_masked_on_its_own():
    """Short secrets (fewer than 48 characters) rely on their context being recognised."""
    assert mask_text("wss://h/private/ws/abcdefghijklmnop") == "wss://h/private/ws/abcd…"
    assert mask_text("wss://h/ws-fapi/v1?apiKey=abcdefghij") == "wss://h/ws-fapi/v1?apiKey=abcd…"
    assert mask_text('{"signature":"abcdefghij"}') == '{"signature":"abcd…"}'
    assert mask_text('{"signature":"abcdefghij') == '{"signature":"abcd…'  # truncated frame
