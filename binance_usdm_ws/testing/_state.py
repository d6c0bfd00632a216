"""Exchange state that is not trading: the simulated clock, API keys, listenKeys, rate limits."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from ._common import ApiError, random_alnum, signature_payload

__all__ = ["ApiKey", "ApiKeys", "ExchangeClock", "ListenKey", "ListenKeys", "RateLimiter"]

LISTEN_KEY_VALIDITY_MS = 60 * 60 * 1000

INVALID_KEY = (401, -2015, "Invalid API-key, IP, or permissions for action.")


def invalid_key() -> ApiError:
    """Return the 401 / -2015 error for a missing, unknown or revoked API key."""
    return ApiError(*INVALID_KEY)


class ExchangeClock:
    """The exchange's simulated clock.

    It starts at the real time and runs with real time; :meth:`advance` jumps it forward.
    listenKey validity, timestamp checks, rate-limit windows, GTD expiry and
    ``max_connection_age`` all use it. It never goes backwards.

    Args:
        on_advance: Called (in the caller's thread) after each :meth:`advance`, to run the
            expiries that became due; the exchange uses it.
    """

    def __init__(self, on_advance: Optional[Callable[[], None]] = None) -> None:
        self._lock = threading.Lock()
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self._offset = 0.0
        self._on_advance = on_advance

    def now(self) -> float:
        """Return the simulated time in seconds since the epoch."""
        with self._lock:
            return self._wall0 + (time.monotonic() - self._mono0) + self._offset

    def now_ms(self) -> int:
        """Return the simulated time in milliseconds since the epoch."""
        return int(self.now() * 1000)

    @property
    def offset(self) -> float:
        """Seconds the clock has been advanced in total."""
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward and run what became due (listenKey expiry, GTD, connection age).

        Args:
            seconds: How far to jump; must not be negative.

        Raises:
            ValueError: If ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
        if self._on_advance is not None:
            self._on_advance()


PublicKey = Any  # cryptography's RSAPublicKey or Ed25519PublicKey (imported lazily)


@dataclass
class ApiKey:
    """A registered API key: an HMAC ``secret`` or an RSA/Ed25519 ``public_key``."""

    key: str
    secret: Optional[str] = None
    public_key: PublicKey = None
    revoked: bool = False

    def verify(self, payload: str, signature: str) -> bool:
        """Return whether ``signature`` signs ``payload`` with this key."""
        data = payload.encode("utf-8")
        if self.secret is not None:
            expected = hmac.new(self.secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, signature.lower())
        if self.public_key is None:
            return False
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return False
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

        try:
            if isinstance(self.public_key, rsa.RSAPublicKey):
                self.public_key.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
            elif isinstance(self.public_key, ed25519.Ed25519PublicKey):
                self.public_key.verify(raw, data)
            else:  # pragma: no cover - rejected by ApiKeys.add
                return False
        except InvalidSignature:
            return False
        return True


class ApiKeys:
    """The registry of API keys (each key is its own account)."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}

    def add(
        self,
        api_key: str,
        secret: Optional[str] = None,
        public_key_pem: Union[str, bytes, None] = None,
    ) -> ApiKey:
        """Register (or replace) a key.

        Args:
            api_key: The API key string.
            secret: HMAC secret.
            public_key_pem: RSA or Ed25519 public key, PEM (``-----BEGIN PUBLIC KEY-----``).

        Returns:
            The registered key.

        Raises:
            ValueError: If both a secret and a public key are given, or the PEM is not an RSA or
                Ed25519 public key.
        """
        if secret is not None and public_key_pem is not None:
            raise ValueError("give either an HMAC secret or a public key, not both")
        public_key: PublicKey = None
        if public_key_pem is not None:
            from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            pem = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
            public_key = load_pem_public_key(pem)
            if not isinstance(public_key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
                raise ValueError("only RSA and Ed25519 public keys are supported")
        entry = ApiKey(api_key, secret, public_key)
        self._keys[api_key] = entry
        return entry

    def get(self, api_key: Any) -> ApiKey:
        """Return the valid key named ``api_key``.

        Raises:
            ApiError: 401 / -2015 when the key is missing, unknown or revoked.
        """
        entry = self._keys.get(api_key) if isinstance(api_key, str) else None
        if entry is None or entry.revoked:
            raise invalid_key()
        return entry

    def revoke(self, api_key: str) -> None:
        """Make ``api_key`` invalid from now on (unknown keys are ignored)."""
        entry = self._keys.get(api_key)
        if entry is not None:
            entry.revoked = True

    def check_signature(self, entry: ApiKey, params: dict[str, Any]) -> None:
        """Verify ``params["signature"]`` over the other params.

        Raises:
            ApiError: 400 / -1022 when the signature does not match.
        """
        signature = params.get("signature")
        if not isinstance(signature, str) or not entry.verify(signature_payload(params), signature):
            raise ApiError(400, -1022, "Signature for this request is not valid.")


@dataclass
class ListenKey:
    """An active listenKey: who owns it and when it lapses (simulated ms)."""

    key: str
    api_key: str
    expires_ms: int


class ListenKeys:
    """listenKeys with Binance's semantics: one active key per API key, 60 minutes validity."""

    def __init__(self) -> None:
        self._by_api: dict[str, ListenKey] = {}
        self._by_key: dict[str, ListenKey] = {}
        #: Every key ever handed out, in order (for tests that look for leaks).
        self.issued: list[str] = []

    def expire_due(self, now_ms: int) -> list[ListenKey]:
        """Forget every key that lapsed at ``now_ms`` and return them (to push the event)."""
        lapsed = [lk for lk in self._by_api.values() if lk.expires_ms <= now_ms]
        for lk in lapsed:
            self._forget(lk)
        return lapsed

    def _forget(self, lk: ListenKey) -> None:
        self._by_api.pop(lk.api_key, None)
        self._by_key.pop(lk.key, None)

    def start(self, api_key: str, now_ms: int) -> str:
        """Return the active key of ``api_key`` extended by 60 minutes, or a new one."""
        lk = self._by_api.get(api_key)
        if lk is None:
            lk = ListenKey(random_alnum(64), api_key, 0)
            self.issued.append(lk.key)
            self._by_api[api_key] = lk
            self._by_key[lk.key] = lk
        lk.expires_ms = now_ms + LISTEN_KEY_VALIDITY_MS
        return lk.key

    def _active(self, api_key: str) -> ListenKey:
        lk = self._by_api.get(api_key)
        if lk is None:
            raise ApiError(400, -1125, "This listenKey does not exist.")
        return lk

    def ping(self, api_key: str, now_ms: int) -> str:
        """Extend the active key of ``api_key`` by 60 minutes and return it.

        Raises:
            ApiError: 400 / -1125 when there is no active key.
        """
        lk = self._active(api_key)
        lk.expires_ms = now_ms + LISTEN_KEY_VALIDITY_MS
        return lk.key

    def stop(self, api_key: str) -> str:
        """Invalidate the active key of ``api_key`` and return it.

        Raises:
            ApiError: 400 / -1125 when there is no active key.
        """
        lk = self._active(api_key)
        self._forget(lk)
        return lk.key

    def owner(self, key: str) -> Optional[str]:
        """Return the API key owning the active listenKey ``key``, or None."""
        lk = self._by_key.get(key)
        return lk.api_key if lk is not None else None

    def key_of(self, api_key: str) -> Optional[str]:
        """Return the active listenKey of ``api_key``, or None."""
        lk = self._by_api.get(api_key)
        return lk.key if lk is not None else None

    def get(self, key: str) -> Optional[ListenKey]:
        """Return the active listenKey record for ``key``, or None."""
        return self._by_key.get(key)


@dataclass
class _Window:
    """A fixed window counter: ``count`` within window number ``index``."""

    length_ms: int
    index: int = -1
    count: int = 0

    def current(self, now_ms: int) -> int:
        """Return the count of the window containing ``now_ms``."""
        if now_ms // self.length_ms != self.index:
            self.index = now_ms // self.length_ms
            self.count = 0
        return self.count

    def next_start(self, now_ms: int) -> int:
        """Return the start (ms) of the window after the one containing ``now_ms``."""
        return (now_ms // self.length_ms + 1) * self.length_ms


@dataclass
class RateLimiter:
    """Request-weight (per IP, i.e. the whole exchange) and order-count (per key) limits.

    Counts are always kept and reported in ``rateLimits``; requests are only rejected when
    ``enforce`` is set. Windows are fixed (minute, 10 s) on the simulated clock.
    """

    weight_limit: int = 2400
    orders_10s_limit: int = 300
    orders_1m_limit: int = 1200
    enforce: bool = False
    ban_after: int = 3
    ban_seconds: float = 120.0
    weight: _Window = field(default_factory=lambda: _Window(60_000))
    orders_10s: dict[str, _Window] = field(default_factory=dict)
    orders_1m: dict[str, _Window] = field(default_factory=dict)
    violations: int = 0
    banned_until_ms: int = 0

    def _violation(self, now_ms: int) -> None:
        self.violations += 1
        if self.violations >= self.ban_after:
            self.violations = 0
            self.banned_until_ms = now_ms + int(self.ban_seconds * 1000)

    def check_ban(self, now_ms: int) -> None:
        """Raise the 418 error while the (simulated) IP ban lasts."""
        if self.enforce and now_ms < self.banned_until_ms:
            raise ApiError(
                418,
                -1003,
                f"Way too many requests; IP banned until {self.banned_until_ms}. "
                "Please use the websocket for live updates to avoid bans.",
                {"retryAfter": self.banned_until_ms},
            )

    def add_weight(self, weight: int, now_ms: int) -> None:
        """Count ``weight``; raise 429 / -1003 (enforced) when the minute's limit is exceeded."""
        used = self.weight.current(now_ms)
        if self.enforce and used + weight > self.weight_limit:
            self._violation(now_ms)
            raise ApiError(
                429,
                -1003,
                f"Too many requests; current limit is {self.weight_limit} requests per minute. "
                "Please use the websocket for live updates to avoid polling the API.",
                {"retryAfter": self.weight.next_start(now_ms)},
            )
        self.weight.count = used + weight

    def add_order(self, api_key: str, now_ms: int) -> None:
        """Count one order of ``api_key``; raise 429 / -1015 (enforced) over a limit."""
        w10 = self.orders_10s.setdefault(api_key, _Window(10_000))
        w60 = self.orders_1m.setdefault(api_key, _Window(60_000))
        c10, c60 = w10.current(now_ms), w60.current(now_ms)
        if self.enforce:
            for count, limit, window, label in (
                (c10, self.orders_10s_limit, w10, "10 SECOND"),
                (c60, self.orders_1m_limit, w60, "1 MINUTE"),
            ):
                if count + 1 > limit:
                    self._violation(now_ms)
                    raise ApiError(
                        429,
                        -1015,
                        f"Too many new orders; current limit is {limit} orders per {label}.",
                        {"retryAfter": window.next_start(now_ms)},
                    )
        w10.count, w60.count = c10 + 1, c60 + 1

    def report(self, now_ms: int, orders_of: Optional[str]) -> list[dict[str, Any]]:
        """Return the ``rateLimits`` array (ORDERS entries only when ``orders_of`` is a key)."""
        minutes = self.weight.length_ms // 60_000 if self.weight.length_ms % 60_000 == 0 else 0
        out: list[dict[str, Any]] = [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE" if minutes else "SECOND",
                "intervalNum": minutes or self.weight.length_ms // 1000,
                "limit": self.weight_limit,
                "count": self.weight.current(now_ms),
            }
        ]
        if orders_of is not None:
            w10 = self.orders_10s.setdefault(orders_of, _Window(10_000))
            w60 = self.orders_1m.setdefault(orders_of, _Window(60_000))
            out.append(
                {
                    "rateLimitType": "ORDERS",
                    "interval": "SECOND",
                    "intervalNum": 10,
                    "limit": self.orders_10s_limit,
                    "count": w10.current(now_ms),
                }
            )
            out.append(
                {
                    "rateLimitType": "ORDERS",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": self.orders_1m_limit,
                    "count": w60.current(now_ms),
                }
            )
        return out
