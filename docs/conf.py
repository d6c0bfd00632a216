"""Sphinx configuration of the API reference (``make docs``).

The reference pages (``docs/api/*.rst``) are generated at build time from the ``__all__`` of each
public module, so a renamed or added public name needs no edit here: every name in ``__all__`` is
documented once, on the page of the module that defines it (``MODULE_PAGES``). A name defined in
a module no page claims fails the build with a message naming it.

The builders' reference (wire method, security, weight, result, params and rules) is rendered as
tables from their declarations (``Param``, ``Rule``: ``binance_usdm_ws/_core/_params.py``,
``websocket_api/_api/*.py``, ``websocket_streams/_builders.py``), replacing the plain-text version
the classes carry in their docstrings for ``help()``.
"""

from __future__ import annotations

import ast
import enum
import importlib
import importlib.util
import inspect
import pkgutil
import sys
import typing
from pathlib import Path
from typing import Any, NamedTuple

import attrs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import binance_usdm_ws  # noqa: E402
from binance_usdm_ws._core._params import Builds  # noqa: E402
from binance_usdm_ws.websocket_api._requests import Request  # noqa: E402
from binance_usdm_ws.websocket_streams.market._builders import MarketApi, PublicApi  # noqa: E402
from binance_usdm_ws.websocket_streams.market._request import Route, StreamRequest  # noqa: E402

project = "binance_usdm_ws"
author = "binance_usdm_ws contributors"
copyright = "2026, binance_usdm_ws contributors"
release = version = binance_usdm_ws.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"binance_usdm_ws {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_copy_source = False  # no _sources/*.txt beside the pages
html_show_sourcelink = False

python_use_unqualified_type_names = True  # "Side", not "binance_usdm_ws.enums.Side"
nitpicky = True  # every cross-reference must resolve
# Standard library types are not documented here (no network access to the Python inventory),
# nor are a type variable and two names imported only for annotations.
nitpick_ignore = [
    ("py:class", name)
    for name in (
        "decimal.Decimal",
        "ssl.SSLContext",
        "os.PathLike",
        "re.Pattern",
        "enum.Enum",
        "collections.abc.Iterator",
        "Timeout",
        "_BookItem",
        "collections.abc.Iterable",
        "collections.abc.Mapping",
        "collections.abc.Sequence",
        "Decimal",
        "enum.IntEnum",
        "concurrent.futures._base.Future",
        "T",
        "Scheduler",
        "Server",
    )
]
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# ConfigurationWebsocketApi / ConfigurationWebsocketStreams group their fields under these titles.
napoleon_custom_sections = [
    (title, "params_style")
    for title in ("Connection", "Keys", "Requests", "Resilience", "Network", "Outcomes")
]

# ---------------------------------------------------------------------- the pages


class Page(NamedTuple):
    title: str
    intro: str
    #: A public module whose docstring opens the page (``automodule``), or "".
    module: str = ""


#: docs/api/<name>.rst, in the order of the table of contents.
PAGES = {
    "client": Page(
        "Client",
        "The client object: one entry point to the WS API, the market streams, the user data "
        "stream and the local order books.",
        "binance_usdm_ws",
    ),
    "configuration": Page(
        "Configuration",
        "The two configurations (WS API, streams), made with keyword arguments, and the official "
        "base URLs. Every field is checked when the configuration is made; a bad value raises "
        "``InvalidRequest``.",
    ),
    "ws_api": Page(
        "WS API: connection, requests, responses",
        "``client.websocket_api``, the base every request builder shares (``id()``, "
        "``execute()``, ``execute_async()``, ``check()``) and the response it returns.",
    ),
    "ws_api_trade": Page(
        "WS API: trade",
        "Orders, algo (conditional) orders and positions: ``websocket_api.trade_api``.",
    ),
    "ws_api_account": Page(
        "WS API: account",
        "Balances and account information: ``websocket_api.account_api``.",
    ),
    "ws_api_market_data": Page(
        "WS API: market data",
        "Order book and tickers: ``websocket_api.market_data_api``.",
    ),
    "ws_api_user_data_streams": Page(
        "WS API: user data stream keys",
        "Start, keep alive and close a listen key: ``websocket_api.user_data_streams_api``. "
        "``client.user_data_stream()`` does all three for you.",
    ),
    "ws_api_auth": Page(
        "WS API: session (auth)",
        "Log a connection on with an Ed25519 key, ask its status, log it out: "
        "``websocket_api.auth_api``.",
    ),
    "ws_api_models": Page(
        "WS API: result models",
        "What the WS API methods return: ``response.typed.result`` is one of these (or a list "
        "of them); ``<Name>Response`` is the typed response of method ``<Name>``.",
    ),
    "streams": Page(
        "Market streams: client, handles, routing",
        "``client.websocket_streams``: sockets per route, acknowledged subscriptions, the "
        "handle a subscription returns, and the routing of raw stream names.",
    ),
    "streams_market_api": Page(
        "Market streams: market_api (/market)",
        "The builders of ``websocket_streams.market_api``: streams served on ``/market``.",
    ),
    "streams_public_api": Page(
        "Market streams: public_api (/public)",
        "The builders of ``websocket_streams.public_api``: book streams served on ``/public``.",
    ),
    "stream_events": Page(
        "Market stream events",
        "The typed items the market streams deliver.",
    ),
    "user_data_stream": Page(
        "User data stream and its events",
        "``client.user_data_stream()``: the stream, its gaps and the typed events it delivers.",
    ),
    "local_order_book": Page(
        "Local order book",
        "``client.local_order_book()`` / ``local_order_books()``: books kept in sync from the "
        "diff-depth stream and WS API snapshots.",
    ),
    "errors": Page("Errors", "", "binance_usdm_ws.errors"),
    "enums": Page("Enums", "", "binance_usdm_ws.enums"),
    "testing": Page("The local exchange", "", "binance_usdm_ws.testing"),
    "check": Page(
        "The live check",
        "``binance-usdm-ws check`` from Python: ``run_check()`` and its report.",
        "binance_usdm_ws.check",
    ),
}

#: The hand-written guides (docs/*.md) in this order; any other docs/*.md follows, by name.
GUIDES = (
    "methods",
    "websocket_streams",
    "user_data_stream",
    "local_order_book",
    "production",
    "check",
)

#: Defining module (or package) -> page; the longest matching prefix wins.
MODULE_PAGES = {
    "binance_usdm_ws._client": "client",
    "binance_usdm_ws._config": "configuration",
    "binance_usdm_ws._core._stream_delivery": "user_data_stream",
    "binance_usdm_ws.websocket_api": "ws_api",
    "binance_usdm_ws.websocket_api._api.trade": "ws_api_trade",
    "binance_usdm_ws.websocket_api._api.account": "ws_api_account",
    "binance_usdm_ws.websocket_api._api.market_data": "ws_api_market_data",
    "binance_usdm_ws.websocket_api._api.user_data_streams": "ws_api_user_data_streams",
    "binance_usdm_ws.websocket_api._api.auth": "ws_api_auth",
    "binance_usdm_ws.websocket_api._models": "ws_api_models",
    "binance_usdm_ws.websocket_streams": "streams",
    "binance_usdm_ws.websocket_streams.market._enums": "enums",
    "binance_usdm_ws.websocket_streams.market._models": "stream_events",
    "binance_usdm_ws.websocket_streams.market._market_wide_models": "stream_events",
    "binance_usdm_ws.websocket_streams.user_data": "user_data_stream",
    "binance_usdm_ws.websocket_streams.order_book": "local_order_book",
    "binance_usdm_ws.errors": "errors",
    "binance_usdm_ws.enums": "enums",
    "binance_usdm_ws.testing": "testing",
    "binance_usdm_ws.check": "check",
}
#: Names whose defining module is shared by several pages.
NAME_PAGES = {
    "PriceLevel": "ws_api_models",
    "UnknownEvent": "user_data_stream",
    "USE_CLIENT_DEFAULT": "ws_api",
}
#: Pages of decoded models: their classes show no constructor signature (it repeats every
#: field, which the page lists anyway, and a user does not build them).
MODEL_PAGES = ("ws_api_models", "stream_events", "user_data_stream")
#: Public short name -> its page (filled in by ``write_pages``).
PAGE_OF: dict[str, str] = {}
#: Names that open their page, before the services and everything else.
LEADS = (
    "BinanceDerivativesTradingUsdsFuturesClient",
    "WebsocketApi",
    "WebsocketStreams",
    "UserDataStream",
    "LocalOrderBook",
    "LocalOrderBooks",
    "LocalExchange",
)
PUBLIC_MODULES = ("binance_usdm_ws", "binance_usdm_ws.errors", "binance_usdm_ws.enums")


def _owner(name: str) -> str:
    """The public module whose page documents ``name``."""
    for module in ("binance_usdm_ws.errors", "binance_usdm_ws.enums"):
        if name in importlib.import_module(module).__all__:
            return module
    return "binance_usdm_ws"


def public_names() -> dict[str, str]:
    """Every public name, short name -> the full name under which it is documented."""
    out = {name: f"{_owner(name)}.{name}" for name in binance_usdm_ws.__all__}
    for module in (*PUBLIC_MODULES, "binance_usdm_ws.testing", "binance_usdm_ws.check"):
        for name in importlib.import_module(module).__all__:
            out.setdefault(name, f"{module}.{name}")
    return out


def _assigned_in(definitions: bool = False) -> dict[str, str]:
    """Module-level name -> the module that assigns it (constants and type aliases).

    With ``definitions``, classes and functions too. The sources are read, not imported.
    """
    out: dict[str, str] = {}
    for info in pkgutil.walk_packages(binance_usdm_ws.__path__, "binance_usdm_ws."):
        spec = importlib.util.find_spec(info.name)
        if spec is None or spec.origin is None:
            continue
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in tree.body:
            if definitions and isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                out.setdefault(node.name, info.name)
            targets = (
                node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            )
            for target in targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, info.name)
    return out


def _defined_in(name: str, obj: Any, assigned: dict[str, str]) -> str:
    module = getattr(obj, "__module__", None)
    if isinstance(obj, type) or inspect.isfunction(obj):
        return str(module)
    return assigned.get(name, "")


def page_of(name: str, obj: Any, assigned: dict[str, str]) -> str:
    """The page that documents public ``name`` (by its defining module; builders by route)."""
    if name in NAME_PAGES:
        return NAME_PAGES[name]
    if obj is MarketApi or obj is PublicApi:
        return "streams_market_api" if obj is MarketApi else "streams_public_api"
    if isinstance(obj, type) and issubclass(obj, StreamRequest) and obj.method:
        return "streams_market_api" if obj.route is Route.MARKET else "streams_public_api"
    module = _defined_in(name, obj, assigned)
    prefixes = [p for p in MODULE_PAGES if module == p or module.startswith(p + ".")]
    if not prefixes:
        raise RuntimeError(
            f"docs/conf.py: public name {name} is defined in {module or 'an unknown module'}, "
            "which no page claims: add it to MODULE_PAGES or NAME_PAGES"
        )
    return MODULE_PAGES[max(prefixes, key=len)]


def _directive(obj: Any) -> str:
    if typing.get_origin(obj) is not None:  # WsApiResponse[...] aliases, unions
        return "autodata"
    if isinstance(obj, type):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    return "autofunction" if callable(obj) else "autodata"


#: Class variables of a builder that its tables already show.
BUILDER_VARS = (
    "method security route model result rules weight docs order_method client_id_param params "
    "required_params name_pattern registry"
).replace(" ", ", ")


def _is_builder(obj: Any) -> bool:
    if not isinstance(obj, type) or not getattr(obj, "method", ""):
        return False
    return (issubclass(obj, Request) and Request.registry.get(obj.method) is obj) or (
        issubclass(obj, StreamRequest) and StreamRequest.registry.get(obj.__name__) is obj
    )


def write_pages(app: Any) -> None:
    """Write ``docs/api/<page>.rst`` and ``docs/api/index.rst`` from the modules' ``__all__``.

    Also ``docs/api/guides.inc``, the guides' table of contents that ``index.rst`` includes:
    every ``docs/*.md``, so a page added there is in the toctree without an edit here.
    """
    out = Path(app.srcdir) / "api"
    out.mkdir(exist_ok=True)
    found = {path.stem for path in Path(app.srcdir).glob("*.md")}
    guides = [g for g in GUIDES if g in found] + sorted(found - set(GUIDES))
    head = [".. toctree::", "   :maxdepth: 1", "   :caption: Guides", ""]
    _write(out / "guides.inc", "\n".join(head + [f"   {g}" for g in guides]) + "\n")
    names, assigned = public_names(), _assigned_in()
    entries: dict[str, list[tuple[str, str, Any]]] = {page: [] for page in PAGES}
    for short, full in names.items():
        module = full.rsplit(".", 1)[0]
        obj = getattr(importlib.import_module(module), short)
        PAGE_OF[short] = page_of(short, obj, assigned)
        entries[PAGE_OF[short]].append((module, short, obj))
    for items in entries.values():
        items.sort(key=_order)
    toc = ["API reference", "=============", "", ".. toctree::", "   :maxdepth: 1", ""]
    for page, info in PAGES.items():
        lines = [info.title, "=" * len(info.title), ""]
        if info.module:
            lines += [f".. automodule:: {info.module}", "   :no-members:", ""]
        if info.intro:
            lines += [info.intro, ""]
        current = ""
        for module, short, obj in entries[page]:
            if module != current:
                lines += [f".. currentmodule:: {module}", ""]
                current = module
            lines += [f".. {_directive(obj)}:: {short}"]
            if module == "binance_usdm_ws.enums" or (
                isinstance(obj, type) and issubclass(obj, enum.Enum)
            ):
                lines += ["   :undoc-members:"]  # list the members, which have no docstrings
            if _is_builder(obj):
                lines += [f"   :exclude-members: {BUILDER_VARS}"]
            lines += [""]
        _write(out / f"{page}.rst", "\n".join(lines))
        toc.append(f"   {page}")
    _write(out / "index.rst", "\n".join(toc) + "\n")
    for stale in set(out.glob("*.rst")) - {out / f"{page}.rst" for page in [*PAGES, "index"]}:
        stale.unlink()


def _order(item: tuple[str, str, Any]) -> tuple[Any, ...]:
    """Leads, then services, then the rest as the source declares them (module, line)."""
    _, short, obj = item
    lead = LEADS.index(short) if short in LEADS else len(LEADS)
    service = isinstance(obj, type) and any(isinstance(v, Builds) for v in vars(obj).values())
    try:
        line = inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        line = 0  # constants and aliases first
    return lead, not service, getattr(obj, "__module__", ""), line


def _write(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


# ---------------------------------------------------------------------- builders as tables


def type_rst(tp: Any) -> str:
    """A type annotation as reST, public classes linked."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union:
        return " | ".join(type_rst(a) for a in args)
    if origin is not None:
        inner = ", ".join(type_rst(a) for a in args)
        return f"``{getattr(origin, '__name__', origin)}`` [{inner}]"
    if tp is type(None):
        return "``None``"
    if isinstance(tp, type):
        full = public_names().get(tp.__name__)
        if full is not None and getattr(binance_usdm_ws, tp.__name__, None) in (tp, None):
            return f":class:`~{full}`"
        return f"``{tp.__name__}``"
    return f"``{tp}``"


def _cell(text: str) -> list[str]:
    """A list-table cell: its first line after ``- ``, the rest indented under it."""
    first, *rest = (text or " ").split("\n")
    return [first, *rest]


def _table(title: str, header: list[str], rows: list[list[str]], widths: str) -> list[str]:
    lines = [f".. list-table:: {title}".rstrip(), f"   :widths: {widths}"]
    lines += ["   :header-rows: 1", ""] if header else ["   :class: builder-facts", ""]
    for row in [header, *rows] if header else rows:
        for i, cell in enumerate(row):
            first, *rest = _cell(cell)
            lines.append(("   * - " if i == 0 else "     - ") + first)
            lines += [("       " + line) if line else "" for line in rest]
    return lines + [""]


def _rule_kind(rule: Any) -> str:
    """``one_of``, ``not_together``, ... : the factory that made the rule."""
    return rule.broken.__qualname__.split(".", 1)[0]


def _param_rows(cls: Any, with_wire: bool) -> list[list[str]]:
    params = [
        p
        for p in cls.params.values()
        if not (issubclass(cls, Request) and p is Request.return_rate_limits)
    ]
    params.sort(key=lambda p: (not p.required, p.wire == "recvWindow"))
    rows = []
    for p in params:
        name = f"``{p.name}``"
        if with_wire and p.wire != p.name:
            name += f"\n\nwire: ``{p.wire}``"
        if p.required:
            name += "\n\n**required**"
        doc = p.doc
        if p.choices is not None:
            doc += "\n\nValues: " + ", ".join(f"``{c}``" for c in p.choices) + "."
        if p.pattern is not None:
            doc += f"\n\nMatches ``{p.pattern.pattern}``."
        rows.append([name, type_rst(p.value_type), doc])
    return rows


def builder_reference(cls: Any) -> list[str]:
    """The reference of a builder as reST: a field list, a params table, a rules table."""
    if issubclass(cls, Request):
        facts = [
            ["Wire method", f"``{cls.method}``"],
            ["Security", f"``{cls.security.value}``"],
            ["Result", type_rst(cls.result)],
        ]
        if cls.weight:
            facts.append(["Weight", cls.weight])
        with_wire = True
    else:
        facts = [
            ["Stream", f"``{cls.method}``"],
            ["Route", f"``/{cls.route.value}``"],
            ["Items", type_rst(cls.model)],
        ]
        with_wire = False
    if cls.docs:
        facts.append(["Binance docs", f"`{cls.docs.rsplit('/', 1)[-1]} <{cls.docs}>`__"])
    lines = _table("", [], facts, "25 75")
    rows = _param_rows(cls, with_wire)
    if rows:
        header = ["Setter", "Type", "Description"]
        lines += _table("Parameters (fluent setters)", header, rows, "30 25 45")
    if getattr(cls, "rules", ()):
        rows = [[f"``{_rule_kind(r)}``", r.text] for r in cls.rules]
        lines += _table("Rules (checked before sending)", ["Kind", "Rule"], rows, "25 75")
    return lines


def builder_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Replace a builder's plain-text reference (kept for ``help()``) with tables."""
    if what not in ("class", "exception") or not _is_builder(obj):
        return
    first = obj.reference().split("\n", 1)[0].strip()
    for i, line in enumerate(lines):
        if line.strip() == first:
            del lines[i:]
            break
    else:
        raise RuntimeError(f"docs/conf.py: the reference of {name} is not in its docstring")
    lines += ["", *builder_reference(obj)]


# ---------------------------------------------------------------------- configuration tables


def _field_type(cls: Any, field: Any) -> str:
    hints = typing.get_type_hints(cls)
    text = type_rst(hints.get(field.name, field.type))
    default = field.default
    if default is attrs.NOTHING:
        return f"{text}\n\nrequired"
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return text
    return f"{text}\n\ndefault ``{default!r}``"


def config_tables(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """The configurations' field sections (``Connection:``, ``Keys:``, ...) as tables.

    Each ``name: description`` entry becomes a row with the field's type and default, read
    from the attrs class; a name the class does not have fails the build.
    """
    if what != "class" or PAGE_OF.get(name.rsplit(".", 1)[-1]) != "configuration":
        return
    fields = {f.name: f for f in attrs.fields(obj)}
    titles = {title for title, _ in napoleon_custom_sections}
    out: list[str] = []
    i = 0
    while i < len(lines):
        title = lines[i].strip()[:-1]
        if lines[i].endswith(":") and not lines[i].startswith(" ") and title in titles:
            entries: list[list[str]] = []
            i += 1
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                line = lines[i]
                if line.startswith("    ") and not line.startswith("     "):
                    key, _, desc = line.strip().partition(":")
                    entries.append([key, desc.strip()])
                elif line.strip():
                    entries[-1][1] += " " + line.strip()
                i += 1
            unknown = [key for key, _ in entries if key not in fields]
            if unknown:
                raise RuntimeError(f"docs/conf.py: {name} documents unknown fields {unknown}")
            rows = [[f"``{k}``", _field_type(obj, fields[k]), d] for k, d in entries]
            out += ["", *_table(title, ["Field", "Type", "Description"], rows, "25 25 50")]
        else:
            out.append(lines[i])
            i += 1
    lines[:] = out


# ---------------------------------------------------------------------- references


def resolve_private(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Point ``binance_usdm_ws._module.Name`` (a type annotation) at the public ``Name``.

    A reference to an internal name (in a ``_module`` or itself ``_private``: a base class or a
    helper type in a signature) is shown as plain text; any other unresolved reference still
    fails the build.
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py":
        return None
    if "." not in target and target not in public_names() and target in _package_names():
        return contnode  # a short annotation naming an internal type of the package
    if not target.startswith("binance_usdm_ws."):
        return None
    public = public_names().get(target.rsplit(".", 1)[-1])
    if public is None:
        internal = any(part.startswith("_") for part in target.split(".")[1:])
        return contnode if internal else None
    if public == target:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], public, node, contnode
    )


def _package_names() -> set[str]:
    """Every name the package's modules define at module level (cached)."""
    if not _PACKAGE_NAMES:
        _PACKAGE_NAMES.update(_assigned_in(definitions=True))
    return _PACKAGE_NAMES


_PACKAGE_NAMES: set[str] = set()


def _data_comments() -> dict[str, list[str]]:
    """``#:`` comments of the module-level names of every module of the package."""
    from sphinx.pycode import ModuleAnalyzer

    out: dict[str, list[str]] = {}
    for info in pkgutil.walk_packages(binance_usdm_ws.__path__, "binance_usdm_ws."):
        for (scope, name), lines in ModuleAnalyzer.for_module(info.name).find_attr_docs().items():
            if not scope:
                out.setdefault(name, list(lines))
    return out


def data_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """A re-exported constant or alias takes the ``#:`` comment where it is defined.

    Without it autodoc would show the docstring of the value's type (``str``, ...).
    """
    if what == "data":
        lines[:] = app.env.temp_data.setdefault("data_comments", _data_comments()).get(
            name.rsplit(".", 1)[-1], []
        )


def prose_first_line(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Undo napoleon's reading of ``"The status: 200 ..."`` as ``<type>: <description>``.

    Napoleon takes an attribute's or property's first line before a colon as its type. When
    that "type" is prose (spaces outside brackets), the line is put back as it was written.
    """
    if what in ("attribute", "property", "data") and lines and lines[-1].startswith(":type: "):
        head = lines[-1][len(":type: ") :]
        if " " in head and not any(c in head for c in "[]|`"):
            lines.pop()
            if lines and not lines[-1]:
                lines.pop()
            lines[0] = f"{head}: {lines[0]}"


def model_signature(
    app: Any, what: str, name: str, obj: Any, options: Any, signature: str, annotation: str
) -> Any:
    """No constructor signature for a decoded model or a configuration (an attrs class on a
    model page, or on the configuration page, whose tables give every field's type and default).
    """
    page = PAGE_OF.get(name.rsplit(".", 1)[-1])
    if what == "class" and attrs.has(obj) and (page in MODEL_PAGES or page == "configuration"):
        return "", annotation
    return None


def attribute_types(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Put each napoleon attribute's ``:type:`` into its signature (``price: Decimal``).

    Napoleon writes the type of an ``Attributes:`` entry as a field below its description, a
    block of its own per field; as the directive's option it shares the name's line.
    """
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if not line.startswith(".. attribute:: "):
            continue
        j = i
        while j < len(lines) and (not lines[j] or lines[j].startswith("   ")):
            if lines[j].startswith("   :type: "):
                out.append(lines[j])
                block = lines[i:j]
                while block and not block[-1]:
                    block.pop()
                out += block
                i = j + 1
                break
            j += 1
    lines[:] = out


def skip_tuple_fields(app: Any, what: str, name: str, obj: Any, skip: bool, options: Any) -> Any:
    """A NamedTuple's fields are in its signature (and its ``Attributes:``), not members."""
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def setup(app: Any) -> None:
    app.connect("builder-inited", write_pages)
    # Before napoleon (priority 500), which would read the plain-text reference as prose.
    app.connect("autodoc-process-docstring", builder_docstring, priority=400)
    app.connect("autodoc-process-docstring", config_tables, priority=400)
    app.connect("autodoc-process-docstring", prose_first_line, priority=600)  # after napoleon
    app.connect("autodoc-process-docstring", data_docstring)
    app.connect("autodoc-process-docstring", attribute_types, priority=600)
    app.connect("autodoc-process-signature", model_signature)
    app.connect("autodoc-skip-member", skip_tuple_fields)
    app.connect("missing-reference", resolve_private)
