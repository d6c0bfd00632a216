"""Request signing: the payload rule of the WS API and the three key types.

The payload is every param except ``signature``, sorted by name, rendered as ``name=value`` and
joined with ``&``. Values are the text sent in JSON (strings raw, UTF-8, no percent-encoding;
integers in decimal; booleans ``true``/``false``), as the server checks it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any, Optional, Protocol, Union

from ..errors import InvalidRequest

__all__ = ["Ed25519Signer", "HmacSigner", "RsaSigner", "Signer", "load_signer", "signature_payload"]


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def signature_payload(params: dict[str, Any]) -> str:
    """Return the text that is signed for ``params`` (``signature`` itself excluded)."""
    # Most values are already strings (the builders render decimals and enums as text).
    return "&".join(
        [
            k + "=" + (v if type(v) is str else _text(v))
            for k, v in sorted(params.items())
            if k != "signature"
        ]
    )


class Signer(Protocol):
    """Anything that turns a payload into a signature string."""

    #: Short name of the key type: "HMAC", "RSA" or "Ed25519".
    key_type: str

    def sign(self, payload: str) -> str:
        """Return the signature of ``payload``."""
        ...


class HmacSigner:
    """HMAC-SHA256 over the UTF-8 payload, as lowercase hex."""

    key_type = "HMAC"
    __slots__ = ("_keyed",)

    def __init__(self, secret: str) -> None:
        # Keyed once: each signature copies this state instead of hashing the key again. The
        # OpenSSL object inside ``hmac.HMAC`` (when there is one) copies without Python steps.
        keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        self._keyed: Any = getattr(keyed, "_hmac", None) or keyed

    def sign(self, payload: str) -> str:
        """Return the hex HMAC-SHA256 of ``payload``."""
        mac = self._keyed.copy()
        mac.update(payload.encode())
        digest: str = mac.hexdigest()
        return digest

    def __repr__(self) -> str:
        return "HmacSigner(secret=***)"


class RsaSigner:
    """RSASSA-PKCS1-v1_5 with SHA-256, base64 (needs the ``crypto`` extra)."""

    key_type = "RSA"
    __slots__ = ("_key",)

    def __init__(self, key: Any) -> None:
        self._key = key

    def sign(self, payload: str) -> str:
        """Return the base64 RSA signature of ``payload``."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        raw = self._key.sign(payload.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode()

    def __repr__(self) -> str:
        return "RsaSigner(private_key=***)"


class Ed25519Signer:
    """Ed25519 over the payload bytes, base64 (needs the ``crypto`` extra)."""

    key_type = "Ed25519"
    __slots__ = ("_key",)

    def __init__(self, key: Any) -> None:
        self._key = key

    def sign(self, payload: str) -> str:
        """Return the base64 Ed25519 signature of ``payload``."""
        return base64.b64encode(self._key.sign(payload.encode())).decode()

    def __repr__(self) -> str:
        return "Ed25519Signer(private_key=***)"


def _load_private_key(private_key: Union[str, bytes], passphrase: Optional[str]) -> Any:
    try:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InvalidRequest(
            "RSA and Ed25519 keys need the 'cryptography' package: "
            "pip install 'binance-usdm-ws[crypto]'",
            param="private_key",
        ) from exc
    data = private_key.encode() if isinstance(private_key, str) else private_key
    if b"-----BEGIN" not in data:
        path = os.fspath(private_key if isinstance(private_key, str) else data.decode())
        if not os.path.isfile(path):
            raise InvalidRequest(
                "private_key is neither PEM text nor the path of a file", param="private_key"
            )
        with open(path, "rb") as fh:
            data = fh.read()
    try:
        return load_pem_private_key(data, passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        # The message of `exc` never contains key material, but keep ours generic anyway.
        raise InvalidRequest(
            f"private_key could not be loaded ({type(exc).__name__}): wrong format or passphrase",
            param="private_key",
        ) from None


def load_signer(
    api_secret: Optional[str] = None,
    private_key: Union[str, bytes, None] = None,
    private_key_passphrase: Optional[str] = None,
) -> Optional[Signer]:
    """Build the signer for the configured key, or ``None`` if there is none.

    A private key (RSA or Ed25519, PEM text or file path) wins over an HMAC secret.

    Raises:
        InvalidRequest: the key cannot be loaded or is of an unsupported type.
    """
    if private_key is not None:
        key = _load_private_key(private_key, private_key_passphrase)
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

        if isinstance(key, rsa.RSAPrivateKey):
            return RsaSigner(key)
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return Ed25519Signer(key)
        raise InvalidRequest(
            f"unsupported private key type {type(key).__name__}: use RSA or Ed25519",
            param="private_key",
        )
    if api_secret is not None:
        return HmacSigner(api_secret)
    return None
