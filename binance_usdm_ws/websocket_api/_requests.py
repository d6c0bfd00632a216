"""Request builders: the class body is the declarative table of a WS API method.

A builder class declares its wire method, security type, result type, rules and parameters::

    class QueryOrder(Request[OrderResult]):
        \"\"\"Query an order (``order.status``, USER_DATA).\"\"\"
        method = "order.status"
        security = Security.USER_DATA
        result = OrderResult
        rules = (one_of("order_id", "orig_client_order_id"),)
        symbol = Param[str](STRING, required=True, doc="Trading pair, e.g. BTCUSDT.")
        order_id = Param[int](LONG, doc="Order id.")

Each ``Param`` is a typed fluent setter (``QueryOrder(...).symbol("BTCUSDT")`` returns the
``QueryOrder``), converts and checks its value at once, and records the wire name. Everything
else — the id, validation, signing, sending, waiting and decoding — lives once, in ``Request``
and the transport behind it. Adding a WS API method is adding a class body of declarations.
"""

from __future__ import annotations

import enum
import logging
import re
from concurrent.futures import Future
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Generic,
    Optional,
    TypeVar,
    Union,
)

from .._core._params import (
    BOOL,
    BOOL_STRING,
    DECIMAL,
    LONG,
    STRING,
    USE_CLIENT_DEFAULT,
    Builds,
    Param,
    Rule,
    Timeout,
    UseClientDefault,
    _fail,
    forbidden_when,
    not_together,
    one_of,
    required_when,
)
from .._core._protocol import new_client_order_id
from ..errors import BinanceWsError, DecodeError, InvalidRequest, RequestId

if TYPE_CHECKING:
    from ._models import WsApiResponse

if TYPE_CHECKING:
    import sys

    if sys.version_info >= (3, 11):
        from typing import Self
    else:  # pragma: no cover
        from typing_extensions import Self

__all__ = [
    "BOOL",
    "BOOL_STRING",
    "DECIMAL",
    "LONG",
    "STRING",
    "Builds",
    "Param",
    "Request",
    "Response",
    "Rule",
    "Security",
    "Service",
    "UseClientDefault",
    "USE_CLIENT_DEFAULT",
    "forbidden_when",
    "not_together",
    "one_of",
    "required_when",
]

logger = logging.getLogger("binance_usdm_ws")

T = TypeVar("T")
R = TypeVar("R", bound="Request[Any]")


class Security(enum.Enum):
    """Security type of a WS API method, as the method's docs page names it."""

    NONE = "NONE"  #: public: no key, no signature
    USER_STREAM = "USER_STREAM"  #: ``apiKey`` only
    USER_DATA = "USER_DATA"  #: signed
    TRADE = "TRADE"  #: signed; places, modifies or cancels orders
    SIGNED = "SIGNED"  #: signed, always with its own key and signature (``session.logon``)

    @property
    def signed(self) -> bool:
        """True for the types that carry a timestamp and a signature."""
        return self in (Security.USER_DATA, Security.TRADE, Security.SIGNED)


# ---------------------------------------------------------------------- response


#: Members of a reply's envelope, never read as part of ``result``.
_ENVELOPE = frozenset({"id", "status", "result", "rateLimits", "error"})


def _lift(raw: dict[str, Any], result: Any, result_type: Any) -> tuple[Any, tuple[str, ...]]:
    """Read the members beside ``result`` that its model declares (``depth``'s ``bids`` and
    ``asks`` in the connectors' replies) as part of the result; ``result``'s own win, said."""
    from .._core._converter import wire_keys

    declared = wire_keys(result_type)
    beside = {k: v for k, v in raw.items() if k in declared and k not in _ENVELOPE}
    if not beside or not (result is None or type(result) is dict):
        return result, ()
    own = result or {}
    problems = tuple(
        f"$.{key}: also in result; the member in result was used"
        for key in sorted(beside)
        if key in own and own[key] != beside[key]
    )
    return {**beside, **own}, problems


_Decoders = tuple[Callable[..., Any], Any, Callable[..., Any], Any, Optional[Callable[[Any], Any]]]
_DECODERS: Optional[_Decoders] = None


def _decoders() -> _Decoders:
    """``decode``, ``WsApiResponse``, and the ``rateLimits`` hook, type and fast decoder.

    Looked up once, on first use (the models import this module); taking the ``rateLimits``
    hook from the converter once saves most of the cost of a small reply's ``typed``.
    """
    global _DECODERS
    if _DECODERS is None:
        from .._core._converter import converter, decode
        from .._core._fast import fast_list_decoder
        from ._models import RateLimit, WsApiResponse

        tp = list[RateLimit]
        hook = converter.get_structure_hook(tp)
        _DECODERS = (decode, WsApiResponse, hook, tp, fast_list_decoder(tp))
    return _DECODERS


_MISS: Any = object()

#: result type → (the converter's hook, the generated flat decoder or None)
_RESULT_HOOKS: dict[Any, tuple[Callable[[Any, Any], Any], Optional[Callable[[Any], Any]]]] = {}


def _result_hook(
    result_type: Any,
) -> tuple[Callable[[Any, Any], Any], Optional[Callable[[Any], Any]]]:
    """The converter's hook of a result type and its flat decoder, looked up once per type.

    The flat decoder (``_core._fast``) exists for a flat model or a list of them; it gives the
    converter's result when every field has its usual type, and raises otherwise.
    """
    from .._core._converter import converter
    from .._core._fast import fast_decoder, fast_list_decoder

    fast = fast_decoder(result_type) or fast_list_decoder(result_type)
    hooks = _RESULT_HOOKS[result_type] = (converter.get_structure_hook(result_type), fast)
    return hooks


class Response(Generic[T]):
    """A successful reply: ``raw`` as received, ``typed`` decoded into attrs models on demand.

    ``execute()`` returns it as soon as the reply arrives; decoding happens on first use of
    ``typed``/``result`` and never hides a done deed (a placed order):

    * an **optional** field (typed ``Optional``) whose value does not fit its model is ``None``
      in ``typed`` (a list item that does not fit is left out), ``decode_problems`` says which
      and why, a WARNING is logged on the ``binance_usdm_ws`` logger (paths and value types,
      never values), and ``raw`` keeps the value as received. Optional numbers, bools and
      enums sent as ``"null"``, ``"None"`` or ``""`` are simply absent (``None``).
    * a **required** field (typed without ``None``: one Binance always sends, such as an
      order's ``order_id`` or a ticker's ``price``) that is missing or does not fit, or a reply
      whose shape is wrong (``result`` a string where an object is expected), raises
      :class:`~binance_usdm_ws.errors.DecodeError` from ``typed``/``result``: its ``errors``
      name every problem, its ``raw`` is the whole reply, and ``resp.raw`` stays readable.
      Never a wrong value, never a ``None`` the type denies.

    Members the server puts beside ``result`` (the official connectors' ``depth`` has ``bids``
    and ``asks`` there) are read as part of the result.

    Attributes:
        raw: the decoded JSON object as received (``id``, ``status``, ``result``, ``rateLimits``).
        resolved_from: the error whose unknown outcome was resolved into this reply (``raw`` is
            then the ``order.status`` reply); ``None`` for a normal reply.
    """

    __slots__ = ("raw", "_result_type", "_typed", "_problems", "resolved_from")

    def __init__(
        self,
        raw: dict[str, Any],
        result_type: Any,
        resolved_from: Optional[BinanceWsError] = None,
    ) -> None:
        self.raw = raw
        self._result_type = result_type
        self._typed: Optional[WsApiResponse[T]] = None
        self._problems: tuple[str, ...] = ()
        self.resolved_from = resolved_from

    @property
    def resolved(self) -> bool:
        """True when this is the order found by resolving an unknown outcome (see above)."""
        return self.resolved_from is not None

    @property
    def typed(self) -> WsApiResponse[T]:
        """The whole response as a typed model (decoded once, on first access).

        ``typed.result`` is the method's result model, never ``None``.

        Raises:
            DecodeError: the reply has no ``result``, its shape does not fit the model, or a
                required field is missing or does not fit (``raw``: the whole reply). An
                optional field that does not fit is ``None`` and listed in
                :attr:`decode_problems`.
        """
        if self._typed is None:
            decode, response, limits_hook, limits_type, limits_fast = _decoders()
            raw = self.raw
            result = raw.get("result")
            problems: tuple[str, ...] = ()
            if len(raw) > (4 if "rateLimits" in raw else 3):
                result, problems = _lift(raw, result, self._result_type)
            if result is None:
                raise DecodeError(
                    f"reply {self.id!r} (status {raw.get('status')}) has no result",
                    errors=["$.result: missing"],
                    payload=raw,
                )
            result_type = self._result_type
            hook, fast = _RESULT_HOOKS.get(result_type) or _result_hook(result_type)
            # First the flat decoder (every field of its usual type: the common case), then the
            # converter's hook, then field by field to find and say what does not fit.
            decoded = _MISS
            if fast is not None:
                try:
                    decoded = fast(result)
                except Exception:  # noqa: S110 - the converter's hook decides, as it always did
                    pass
            if decoded is _MISS:
                try:
                    decoded = hook(result, result_type)
                except Exception:
                    try:
                        decoded, found = decode(result, result_type, path="$.result")
                    except DecodeError as exc:
                        # A wrong shape, or a field the model says is always there that is
                        # missing or does not fit: no typed reply, the whole reply in ``raw``.
                        logger.warning(
                            "reply id=%r (status %s) does not fit %s: %s",
                            raw.get("id"),
                            raw.get("status"),
                            getattr(result_type, "__name__", result_type),
                            "; ".join(exc.errors),
                        )
                        raise DecodeError(str(exc), errors=exc.errors, payload=raw) from exc
                    problems += found
            result = decoded
            limits = raw.get("rateLimits")
            if limits is not None:
                decoded = _MISS
                if limits_fast is not None:
                    try:
                        decoded = limits_fast(limits)
                    except Exception:  # noqa: S110 - as for the result
                        pass
                if decoded is _MISS:
                    try:
                        decoded = limits_hook(limits, limits_type)
                    except Exception:
                        try:
                            decoded, found = decode(limits, limits_type, path="$.rateLimits")
                            problems += found
                        except DecodeError:
                            kind = type(limits).__name__
                            problems += (f"$.rateLimits: expected a list, got {kind}",)
                            decoded = None
                limits = decoded
            self._typed = response(
                id=raw.get("id"), status=raw.get("status"), result=result, rate_limits=limits
            )
            if problems:
                self._problems = problems
                logger.warning(
                    "reply id=%r: %d value(s) did not fit the model (None or left out): %s",
                    raw.get("id"),
                    len(problems),
                    "; ".join(problems),
                )
        return self._typed

    @property
    def decode_problems(self) -> tuple[str, ...]:
        """What did not fit the model in this reply, one entry per field (empty when all fit).

        Each entry names the path (``$.result.price``) and what was expected and received,
        e.g. ``"$.result.price: expected Decimal, got str"``; the value itself is in ``raw``.

        Raises:
            DecodeError: as :attr:`typed` does, when the reply's shape is wrong.
        """
        self.typed  # noqa: B018 - decoding is what finds the problems
        return self._problems

    @property
    def result(self) -> T:
        """Shortcut for ``typed.result``: the method's result model.

        Raises:
            DecodeError: as ``typed``.
        """
        return self.typed.result

    @property
    def id(self) -> RequestId:
        """The request id this reply answers."""
        value: RequestId = self.raw.get("id")
        return value

    @property
    def status(self) -> Optional[int]:
        """The reply's HTTP-like status: 200 for a successful reply (``None`` only if the
        server sent none; Binance always sends it)."""
        status = self.raw.get("status")
        return status if type(status) is int else None

    def __repr__(self) -> str:
        # Neither raw nor typed: the result may hold a secret (a listenKey).
        extra = " resolved" if self.resolved else ""
        return f"<Response id={self.id!r} status={self.status}{extra}>"


# ---------------------------------------------------------------------- request base


class Transport:
    """What a request needs from the client: implemented by ``WebsocketApi``."""

    def execute(self, request: Request[Any], timeout: Timeout) -> Response[Any]:
        raise NotImplementedError

    def execute_async(self, request: Request[Any]) -> Future[Response[Any]]:
        raise NotImplementedError

    def unknown_outcome(self, error: BinanceWsError, resolve: Optional[bool]) -> Response[Any]:
        """Make ``error`` resolvable, resolve it now if ``resolve`` (or the default) says so."""
        from ._outcome import make_resolvable

        return make_resolvable(self, error, resolve)


class Request(Generic[T]):
    """Base of every request builder: ``.id()``, ``.execute()``, ``.execute_async()``.

    Subclasses only declare: ``method``, ``security``, ``result`` (the result's model type),
    optional ``rules``, ``weight`` and ``docs``, and ``Param`` attributes. The reference part
    of their docstring (wire method, security, weight, docs link, params, rules) is generated
    from those declarations, so it is written once and cannot drift.
    """

    method: ClassVar[str] = ""
    security: ClassVar[Security] = Security.NONE
    result: ClassVar[Any] = dict
    rules: ClassVar[tuple[Rule, ...]] = ()
    #: Request weight as documented, e.g. ``"5"`` or ``"2/5/10/20 by limit"``.
    weight: ClassVar[str] = ""
    #: Link to the official documentation page of the method.
    docs: ClassVar[str] = ""
    #: Whether the method changes orders (then its failures may leave the outcome unknown).
    order_method: ClassVar[bool] = False
    #: Wire name of the client order id the SDK fills in when the user sets none.
    client_id_param: ClassVar[Optional[str]] = None
    #: Every registered builder class, by wire method (for table-driven tests and docs).
    registry: ClassVar[dict[str, type[Request[Any]]]] = {}
    #: The params of this class, by Python name (filled in by ``__init_subclass__``).
    params: ClassVar[dict[str, Param[Any]]] = {}
    #: The required ones among them (checked on every execute, so kept apart).
    required_params: ClassVar[tuple[Param[Any], ...]] = ()
    #: Their wire names, by Python name (what the rules read on every execute).
    _wires: ClassVar[dict[str, str]] = {}

    return_rate_limits = Param[bool](BOOL, doc="Include rateLimits in this reply or not.")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        params: dict[str, Param[Any]] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Param):
                    params[name] = value
        cls.params = params
        cls._wires = {name: p.wire for name, p in params.items()}
        cls.required_params = tuple(p for p in params.values() if p.required)
        for rule in cls.rules:
            unknown = [n for n in rule.names if n not in params]
            if unknown:
                raise TypeError(f"{cls.__name__}: rule on unknown params {unknown}")
        if cls.method:
            if cls.method in Request.registry:
                raise TypeError(f"duplicate builder for {cls.method}")
            Request.registry[cls.method] = cls
            doc = (cls.__doc__ or "").rstrip()
            indent = re.search(r"\n( *)\S", doc)  # keep the docstring's own indentation
            pad = indent.group(1) if indent else ""
            ref = "\n".join(pad + line if line else "" for line in cls.reference().split("\n"))
            cls.__doc__ = f"{doc}\n\n{ref}\n{pad}"

    @classmethod
    def reference(cls) -> str:
        """The generated reference of the method: wire name, security, weight, docs, params."""
        head = f"Wire method ``{cls.method}``; security {cls.security.value}"
        lines = [head + (f"; weight {cls.weight}." if cls.weight else ".")]
        if cls.docs:
            lines.append(f"Docs: {cls.docs}")
        # Required first, then optional; the recvWindow every signed method has comes last.
        own = sorted(
            (p for p in cls.params.values() if p is not Request.return_rate_limits),
            key=lambda p: (not p.required, p.wire == "recvWindow"),
        )
        if own:
            lines += ["", "Params (fluent setters; the wire name in brackets):"]
            for p in own:
                kind = " | ".join(map(str, p.choices)) if p.choices else p.kind.__name__
                need = ", required" if p.required else ""
                lines.append(f"    {p.name} [``{p.wire}``] ({kind}{need}): {p.doc}")
        if cls.rules:
            lines += ["", "Rules (checked before sending):"]
            lines += [f"    {rule.text}" for rule in cls.rules]
        return "\n".join(lines)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._params: dict[str, Any] = {}
        self._id: RequestId = None
        self._own_signature = False

    def id(self, value: Union[str, int]) -> Self:
        """Set the request id (str of at most 36 characters, or int); by default a UUID4."""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise _fail("id", "str or int", value)
        if isinstance(value, str) and not 0 < len(value) <= 36:
            raise InvalidRequest("id: a string id must have 1 to 36 characters", param="id")
        self._id = value
        return self

    def with_own_signature(self) -> Self:
        """Send ``apiKey`` and ``signature`` with this request even on a logged-on session."""
        self._own_signature = True
        return self

    def check(self) -> dict[str, Any]:
        """Validate the whole request and return its wire params (a copy).

        Raises:
            InvalidRequest: a required param is missing or a rule between params is broken.
        """
        params = self._params
        for p in self.required_params:
            if p.wire not in params:
                raise InvalidRequest(
                    f"{type(self).__name__}: missing required parameter {p.name}", param=p.name
                )
        if self.rules:
            wires = self._wires

            def get(name: str) -> Any:
                return params.get(wires[name])

            for rule in self.rules:
                broken = rule.broken(get)
                if broken is not None:
                    raise InvalidRequest(f"{type(self).__name__}: {broken[1]}", param=broken[0])
        out = dict(params)
        if self.client_id_param is not None and self.client_id_param not in out:
            # Every order gets an id it can be looked up by when its outcome is unknown.
            out[self.client_id_param] = new_client_order_id()
        return out

    def result_type(self) -> Any:
        """The model type of this request's result (may depend on the params)."""
        return self.result

    def execute(
        self, timeout: Timeout = USE_CLIENT_DEFAULT, *, resolve_outcome: Optional[bool] = None
    ) -> Response[T]:
        """Send the request and wait for its reply.

        Args:
            timeout: seconds to wait for the reply; ``None`` waits forever; by default the
                configuration's ``timeout``.
            resolve_outcome: order methods only: when the outcome is unknown (timeout, drop,
                5xx, -1006/-1007), query the order and return or raise what is certain (see
                ``BinanceWsError.resolve``); by default the configuration's
                ``resolve_outcome`` (off).

        Returns:
            The reply, with ``.typed`` (attrs model of the whole response) and ``.raw`` (the JSON);
            ``.resolved`` is True when it comes from resolving an unknown outcome.

        Raises:
            InvalidRequest: bad input; nothing was sent.
            RequestTimeout: no reply in time (the connection stays usable).
            ConnectionClosed: the connection is gone (``outcome_unknown`` for order methods
                that were already sent).
            ServerError: the server answered with an error (a subclass per status).
            NotExecuted, OrderNotPlaced, OutcomeUnknown: from resolving an unknown outcome.
        """
        try:
            return self._transport.execute(self, timeout)
        except BinanceWsError as exc:
            if not (exc.outcome_unknown and self.order_method):
                raise
            return self._transport.unknown_outcome(exc, resolve_outcome)

    def execute_async(self) -> Future[Response[T]]:
        """Send the request now and return a ``concurrent.futures.Future`` of its reply.

        Validation errors raise at once; every other failure is set on the future. The
        configuration's ``timeout`` applies; ``future.result(timeout)`` may wait less.
        """
        return self._transport.execute_async(self)

    def __repr__(self) -> str:
        shown = {k: v for k, v in self._params.items() if k not in ("signature", "apiKey")}
        return f"<{type(self).__name__} {self.method} id={self._id!r} params={shown}>"


# ---------------------------------------------------------------------- services


class Service:
    """Base of the services of ``client.websocket_api``: holds the transport builders use."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
