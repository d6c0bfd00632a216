"""The user data routes of the local exchange, served the way production serves them.

A listenKey reaches a stream socket in one of four *forms*:

* ``"query"``: ``/private/ws?listenKey=<key>[&events=A/B]``, and ``/private/stream?listenKey=...``
  (several ``listenKey=``, each followed by its own ``events=``, wrapped in the combined
  envelope): the change notice's form, measured delivering on production;
* ``"subscribe"``: ``SUBSCRIBE ["<key>"]`` on ``/private/stream`` (or ``/private/ws``), what the
  official connectors send;
* ``"path"``: ``/private/ws/<key>``: reported not to deliver on production since the 2026-04
  cut-over;
* ``"unrouted"``: the retired ``/ws/<key>``: measured silent on production (it is what testnet
  was measured delivering on).

Every form accepts the handshake (production does, even for an invalid key). Only the forms in
``forms`` then deliver; the others stay open and send nothing: no error, no close. ``events`` is
an allow list of event types (``e`` values): with one, only the listed types arrive, and
``listenKeyExpired`` only if it is listed (as measured on production).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from ._server import Connection

__all__ = ["DELIVERING_FORMS", "USER_DATA_FORMS", "PrivateRoutes", "UserDataSubscription"]

#: Every form a listenKey can be given in.
USER_DATA_FORMS = frozenset({"query", "subscribe", "path", "unrouted"})
#: The forms production delivers on (the local exchange's default).
DELIVERING_FORMS = frozenset({"query", "subscribe"})


@dataclass(frozen=True)
class UserDataSubscription:
    """One listenKey given to one stream socket, as the exchange saw it.

    ``form`` is ``"query"``, ``"subscribe"``, ``"path"`` or ``"unrouted"``; ``events`` the
    socket's allow list for that key (None: every event); ``delivers`` whether the exchange
    sends that key's events there (its form is one of ``user_data_url_forms``).
    """

    conn_id: int
    form: str
    listen_key: str
    events: Optional[frozenset[str]]
    delivers: bool


@dataclass
class KeyRoute:
    """How one listenKey reaches one socket."""

    form: str
    events: Optional[frozenset[str]] = None


@dataclass
class PrivateRoutes:
    """The user data side of the stream sockets: which keys each socket gets, and how."""

    forms: frozenset[str] = DELIVERING_FORMS
    #: Every key given to a socket, in order, the latest 10 000
    #: (``LocalExchange.user_data_subscriptions``).
    log: collections.deque[UserDataSubscription] = field(
        default_factory=lambda: collections.deque(maxlen=10_000)
    )

    @staticmethod
    def check_forms(forms: Iterable[str]) -> frozenset[str]:
        """``forms`` as a frozenset of known forms.

        Raises:
            ValueError: an unknown form, or a plain string instead of a collection.
        """
        if isinstance(forms, str):
            raise ValueError("user_data_url_forms: expected a collection of forms, got a str")
        chosen = frozenset(forms)
        unknown = chosen - USER_DATA_FORMS
        if unknown:
            raise ValueError(
                f"user_data_url_forms: unknown {sorted(unknown)}; known: {sorted(USER_DATA_FORMS)}"
            )
        return chosen

    @staticmethod
    def accepts(path: str) -> bool:
        """Whether ``path`` is a user data stream path (query string removed)."""
        return path in ("/private/ws", "/private/stream") or path.startswith(
            ("/private/ws/", "/ws/")
        )

    def attach(self, conn: Connection, path: str, query: str) -> None:
        """A new user data socket: the keys of its path and of its query string."""
        conn.combined = path.startswith("/private/stream")
        conn.unrouted = path.startswith("/ws/")
        added: dict[str, KeyRoute] = {}
        if path.startswith(("/private/ws/", "/ws/")):
            form = "unrouted" if conn.unrouted else "path"
            for key in path.split("/ws/", 1)[1].split("/"):
                if key:
                    added[key] = KeyRoute(form)
        last: Optional[KeyRoute] = None
        every: Optional[frozenset[str]] = None  # an `events` before any key: for them all
        for name, value in parse_qsl(query):
            if name == "listenKey" and value:
                last = added[value] = KeyRoute("query", every)
            elif name == "events":
                events = frozenset(e for e in value.split("/") if e)
                if last is None:
                    every = events
                else:
                    last.events = events
        self._add(conn, added)

    def subscribe(self, conn: Connection, keys: Iterable[str]) -> None:
        """``SUBSCRIBE`` of listenKeys on a user data socket."""
        form = "unrouted" if conn.unrouted else "subscribe"
        self._add(conn, {key: KeyRoute(form) for key in keys})

    def unsubscribe(self, conn: Connection, keys: Iterable[str]) -> None:
        """``UNSUBSCRIBE`` of listenKeys."""
        for key in keys:
            conn.listen_keys.discard(key)
            conn.routes.pop(key, None)

    def wants(self, conn: Connection, listen_key: Optional[str], event: object) -> Optional[str]:
        """The key under which ``conn`` gets an event of ``listen_key`` (None: any key of the
        socket) of type ``event``, or None if it gets nothing."""
        keys = [listen_key] if listen_key is not None else sorted(conn.listen_keys)
        for key in keys:
            route = conn.routes.get(key)
            if route is None or route.form not in self.forms:
                continue
            if route.events is None or event in route.events:
                return key
        return None

    def _add(self, conn: Connection, routes: dict[str, KeyRoute]) -> None:
        for key, route in routes.items():
            conn.listen_keys.add(key)
            conn.routes[key] = route
            delivers = route.form in self.forms
            self.log.append(UserDataSubscription(conn.cid, route.form, key, route.events, delivers))
