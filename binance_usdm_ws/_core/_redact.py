"""Masking of secrets: the one place that decides how a secret is shown.

An API key, an API secret, a private key, a signature and a listenKey (a bearer secret: whoever
holds it reads the account's user data stream) never appear whole in a log record, a ``repr``, an
exception message or an example's output. They are shown by their first four characters and an
ellipsis (``'abcd…'``), enough to tell two keys apart; values of eight characters or fewer show
nothing but the ellipsis. The attributes that hold them keep the whole value.
"""

from __future__ import annotations

import re
from typing import Any, Optional

__all__ = ["SECRET", "SECRET_KEYS", "mask", "mask_repr", "mask_text"]

#: Metadata of a model field that holds a secret (``field(repr=mask_repr, metadata=SECRET)``):
#: ``repr`` shows its first four characters only, and so does the examples' output.
SECRET: dict[str, Any] = {"secret": True}

#: Wire keys whose values are secrets.
SECRET_KEYS = ("listenKey", "apiKey", "signature", "secret", "apiSecret", "privateKey")

# ``"listenKey":"value"`` (JSON, any spacing; or a Python repr, ``'listenKey': 'value'``),
# ``listenKey=value`` (a query string), and the key as the last path segment of a user data
# stream URL (``/ws/<key>``, ``/private/ws/<key>``).
_JSON_VALUE = re.compile(
    r"""(["'](?:""" + "|".join(SECRET_KEYS) + r""")["']\s*:\s*["'])([^"']*)(["'])?"""
)
_QUERY_VALUE = re.compile(r"((?:" + "|".join(SECRET_KEYS) + r")=)([^&\s'\"]*)")
_PATH_KEY = re.compile(r"(/ws/)([A-Za-z0-9]{16,})")
# A bare run of 48 or more letters and digits: a listenKey used as a stream name
# (``"stream":"<key>"``, ``SUBSCRIBE ["<key>"]``), an API key... shown masked wherever it is.
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{48,}(?![A-Za-z0-9])")


def mask(value: Optional[str]) -> str:
    """Show a secret by its first four characters: ``'abcdefgh1234'`` → ``'abcd…'``.

    Args:
        value: The secret, or ``None``.

    Returns:
        ``"None"`` for ``None``, ``"…"`` for eight characters or fewer, else the first four
        characters and ``"…"``.
    """
    if value is None:
        return "None"
    return value[:4] + "…" if len(value) > 8 else "…"


def mask_repr(value: Any) -> str:
    """``repr`` of a model field that holds a secret (``attrs.field(repr=mask_repr)``)."""
    if value is None or not isinstance(value, str):
        return repr(value)
    return repr(mask(value))


def _masked(match: re.Match[str]) -> str:
    head, value, *tail = match.groups()
    if value.endswith("…"):  # masked already: masking is idempotent
        return match.group(0)
    return head + mask(value) + "".join(part or "" for part in tail)


def mask_text(text: str) -> str:
    """Mask every secret found in a piece of text: JSON members, query params, stream paths,
    and any bare run of 48 or more letters and digits (a listenKey used as a stream name).

    Args:
        text: A log message, a frame, a URL.

    Returns:
        The text with each secret value replaced by :func:`mask` of it.
    """
    if "/ws/" in text:
        text = _PATH_KEY.sub(_masked, text)
    if "=" in text:
        text = _QUERY_VALUE.sub(_masked, text)
    if '"' in text or "'" in text:
        text = _JSON_VALUE.sub(_masked, text)
    return _TOKEN.sub(lambda match: mask(match.group(0)), text)
