"""WS API request dispatch: the method table, parameter parsing, authentication, rate limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ._common import ApiError, RawFloat, invalid, mandatory
from ._state import ApiKeys, ExchangeClock, ListenKeys, RateLimiter, invalid_key

if TYPE_CHECKING:
    from ._server import Connection, Session
    from ._trading import Engine

__all__ = ["METHODS", "Ctx", "Dispatcher", "MethodSpec", "Params", "method"]

#: Parameters every method accepts (authentication and options).
COMMON_PARAMS = frozenset({"apiKey", "signature", "timestamp", "recvWindow", "returnRateLimits"})


class Params:
    """Typed access to a request's ``params``, raising Binance's errors for bad values.

    Args:
        raw: The ``params`` object as received.
        strict: When True, numbers must have their wire type (INT as JSON integer, DECIMAL
            as JSON string, STRING-booleans as strings); otherwise numeric strings and
            JSON numbers are accepted interchangeably.
    """

    def __init__(self, raw: dict[str, Any], strict: bool = False) -> None:
        self.raw = raw
        self.strict = strict

    def has(self, name: str) -> bool:
        """Return whether ``name`` was sent with a non-empty value."""
        value = self.raw.get(name)
        return value is not None and value != ""

    def opt_str(self, name: str) -> Optional[str]:
        """Return the STRING param ``name`` or None."""
        if not self.has(name):
            return None
        value = self.raw[name]
        if not isinstance(value, str):
            raise invalid(name)
        return value

    def req_str(self, name: str) -> str:
        """Return the mandatory STRING param ``name``."""
        value = self.opt_str(name)
        if value is None:
            raise mandatory(name)
        return value

    def opt_int(self, name: str) -> Optional[int]:
        """Return the INT/LONG param ``name`` or None."""
        if not self.has(name):
            return None
        value = self.raw[name]
        if isinstance(value, bool) or isinstance(value, float):
            raise invalid(name)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and not self.strict:
            try:
                return int(value)
            except ValueError:
                raise invalid(name) from None
        raise invalid(name)

    def req_int(self, name: str) -> int:
        """Return the mandatory INT/LONG param ``name``."""
        value = self.opt_int(name)
        if value is None:
            raise mandatory(name)
        return value

    def opt_dec(self, name: str) -> Optional[Decimal]:
        """Return the DECIMAL param ``name`` or None."""
        if not self.has(name):
            return None
        value = self.raw[name]
        text: Optional[str] = None
        if isinstance(value, str):
            text = value
        elif not self.strict and not isinstance(value, bool):
            if isinstance(value, RawFloat):
                text = value.raw
            elif isinstance(value, int):
                text = str(value)
        if text is None:
            raise invalid(name)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise invalid(name) from None
        if not number.is_finite():
            raise invalid(name)
        return number

    def req_dec(self, name: str) -> Decimal:
        """Return the mandatory DECIMAL param ``name``."""
        value = self.opt_dec(name)
        if value is None:
            raise mandatory(name)
        return value

    def opt_enum(
        self, name: str, values: Iterable[str], error: Optional[ApiError] = None
    ) -> Optional[str]:
        """Return the ENUM param ``name`` or None; ``error`` (default -1130) if not allowed."""
        value = self.opt_str(name)
        if value is not None and value not in values:
            raise error or invalid(name)
        return value

    def req_enum(self, name: str, values: Iterable[str], error: Optional[ApiError] = None) -> str:
        """Return the mandatory ENUM param ``name``."""
        value = self.opt_enum(name, values, error)
        if value is None:
            raise mandatory(name)
        return value

    def opt_boolstr(self, name: str) -> Optional[bool]:
        """Return a STRING boolean (``"true"``/``"false"``, any case) as bool, or None."""
        if not self.has(name):
            return None
        value = self.raw[name]
        if isinstance(value, bool) and not self.strict:
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid(name)


@dataclass
class Ctx:
    """What a method handler gets: the dispatcher (state), the session, params, caller, time."""

    d: Dispatcher
    session: Session
    p: Params
    api_key: Optional[str]
    now_ms: int

    @property
    def key(self) -> str:
        """The authenticated API key (handlers of keyed methods only)."""
        assert self.api_key is not None
        return self.api_key


Handler = Callable[[Ctx], Any]
Weight = Union[int, Callable[[Params], int]]


@dataclass(frozen=True)
class MethodSpec:
    """One WS API method: security type, weight, whether it counts as an order, its params."""

    name: str
    security: str
    weight: Weight
    params: frozenset[str]
    handler: Handler
    orders: bool = False


METHODS: dict[str, MethodSpec] = {}


def method(
    name: str,
    security: str,
    weight: Weight,
    params: Iterable[str] = (),
    orders: bool = False,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of WS API method ``name``."""

    def register(fn: Handler) -> Handler:
        METHODS[name] = MethodSpec(name, security, weight, frozenset(params), fn, orders)
        return fn

    return register


class Dispatcher:
    """Turns one parsed request into its reply envelope. Runs on the server's loop only.

    Args:
        clock: The simulated clock.
        keys: API key registry.
        listen_keys: listenKey registry.
        limiter: Rate limits.
        engine: The trading engine (order book, accounts).
        on_listen_key_expired: Called for each listenKey that lapsed (pushes the event).
        strict_params: Reject unknown params and numbers of the wrong wire type.
        require_signature_checks: Verify signatures (False accepts any non-empty signature).
        recv_window_default: recvWindow (ms) when the request has none.
    """

    def __init__(
        self,
        *,
        clock: ExchangeClock,
        keys: ApiKeys,
        listen_keys: ListenKeys,
        limiter: RateLimiter,
        engine: Engine,
        on_listen_key_expired: Callable[[str, str], None],
        strict_params: bool = False,
        require_signature_checks: bool = True,
        recv_window_default: int = 5000,
    ) -> None:
        self.clock, self.keys, self.listen_keys = clock, keys, listen_keys
        self.limiter, self.engine = limiter, engine
        self.on_listen_key_expired = on_listen_key_expired
        self.strict_params = strict_params
        self.require_signature_checks = require_signature_checks
        self.recv_window_default = recv_window_default

    def expire_listen_keys(self, now_ms: int) -> None:
        """Forget lapsed listenKeys and report each (its streams get ``listenKeyExpired``)."""
        for lk in self.listen_keys.expire_due(now_ms):
            self.on_listen_key_expired(lk.key, lk.api_key)

    def __call__(
        self,
        conn: Connection,
        req_id: Any,
        name: str,
        raw: dict[str, Any],
        forced: Optional[ApiError] = None,
    ) -> dict[str, Any]:
        """Return the reply envelope (with ``rateLimits`` unless disabled) for one request."""
        now = self.clock.now_ms()
        params = Params(raw, self.strict_params)
        orders_of: Optional[str] = None
        reply: dict[str, Any] = {"id": req_id}
        try:
            if forced is not None:
                raise forced
            self.limiter.check_ban(now)
            spec = METHODS.get(name)
            if spec is None:
                self.limiter.add_weight(1, now)
                raise ApiError(
                    400, -1020, f"This operation is not supported. Unknown method '{name}'."
                )
            weight = spec.weight(params) if callable(spec.weight) else spec.weight
            self.limiter.add_weight(weight, now)
            if self.strict_params:
                unknown = sorted(set(raw) - spec.params - COMMON_PARAMS)
                if unknown:
                    raise ApiError(
                        400,
                        -1104,
                        f"Not all sent parameters were read; unknown: {', '.join(unknown)}.",
                    )
            api_key = self._authenticate(spec, conn.session, params, now)
            if spec.orders and api_key is not None:
                orders_of = api_key
                self.limiter.add_order(api_key, now)
            result = spec.handler(Ctx(self, conn.session, params, api_key, now))
            reply["status"] = 200
            reply["result"] = result
        except ApiError as err:
            reply["status"] = err.status
            reply["error"] = err.error_object()
        want = raw.get("returnRateLimits")
        if want if isinstance(want, bool) else conn.session.return_rate_limits:
            reply["rateLimits"] = self.limiter.report(now, orders_of)
        return reply

    def _check_timestamp(self, session: Session, params: Params, now: int) -> None:
        ts = params.req_int("timestamp")
        recv_window = params.opt_int("recvWindow")
        if recv_window is None:
            recv_window = self.recv_window_default
        ts_ms = ts // 1000 if session.time_unit_us else ts
        if ts_ms >= now + 1000:
            raise ApiError(
                400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
            )
        if now - ts_ms > recv_window:
            raise ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")

    def _authenticate(
        self, spec: MethodSpec, session: Session, params: Params, now: int
    ) -> Optional[str]:
        if spec.security == "NONE":
            return None
        key_param = params.raw.get("apiKey")
        if spec.security == "USER_STREAM":
            key = key_param if key_param is not None else session.api_key
            if key is None:
                raise invalid_key()
            return self.keys.get(key).key
        has_signature = params.has("signature")
        if not has_signature and spec.security != "LOGON" and session.api_key is not None:
            if key_param is None or key_param == session.api_key:
                entry = self.keys.get(session.api_key)
                self._check_timestamp(session, params, now)
                return entry.key
        if key_param is None:
            raise invalid_key()
        entry = self.keys.get(key_param)
        self._check_timestamp(session, params, now)
        if not has_signature:
            raise mandatory("signature")
        if self.require_signature_checks:
            self.keys.check_signature(entry, params.raw)
        return entry.key
