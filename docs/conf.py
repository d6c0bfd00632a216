"""Sphinx configuration of the API reference (``make docs``).

The reference pages are generated at build time from the ``__all__`` of each public module, so a
renamed or added public name needs no edit here: every name in ``__all__`` is documented once,
under the module that owns it (errors and enums under their own modules, the rest at the top).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import binance_usdm_ws  # noqa: E402

project = "binance_usdm_ws"
author = "binance_usdm_ws authors"
release = binance_usdm_ws.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []

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

# public module -> title of its page (docs/api/<module>.rst, written by write_pages)
PAGES = {
    "binance_usdm_ws": "Client, configuration, builders, models and events",
    "binance_usdm_ws.errors": "Errors",
    "binance_usdm_ws.enums": "Enums",
    "binance_usdm_ws.testing": "The local exchange",
}


def _owner(name: str) -> str:
    """The public module whose page documents ``name``."""
    for module in ("binance_usdm_ws.errors", "binance_usdm_ws.enums"):
        if name in importlib.import_module(module).__all__:
            return module
    return "binance_usdm_ws"


def public_names() -> dict[str, str]:
    """Every public name, short name -> the full name under which it is documented."""
    out = {name: f"{_owner(name)}.{name}" for name in binance_usdm_ws.__all__}
    for module in PAGES:
        for name in importlib.import_module(module).__all__:
            out.setdefault(name, f"{module}.{name}")
    return out


def _directive(obj: Any) -> str:
    if typing.get_origin(obj) is not None:  # WsApiResponse[...] aliases
        return "autodata"
    if isinstance(obj, type):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    return "autofunction" if callable(obj) else "autodata"


def write_pages(app: Any) -> None:
    """Write ``docs/api/<module>.rst`` from the modules' ``__all__``."""
    out = Path(app.srcdir) / "api"
    out.mkdir(exist_ok=True)
    names = public_names()
    for module, title in PAGES.items():
        mod = importlib.import_module(module)
        lines = [title, "=" * len(title), "", f".. automodule:: {module}", "   :no-members:", ""]
        lines += [f".. currentmodule:: {module}", ""]
        for name in mod.__all__:
            if names[name] == f"{module}.{name}":
                lines += [f".. {_directive(getattr(mod, name))}:: {name}"]
                if module == "binance_usdm_ws.enums":  # list the members, which have no docstrings
                    lines += ["   :undoc-members:"]
                lines += [""]
        text = "\n".join(lines)
        path = out / f"{module}.rst"
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)


def resolve_private(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Point ``binance_usdm_ws._module.Name`` (a type annotation) at the public ``Name``.

    A reference to an internal name (in a ``_module`` or itself ``_private``: a base class or a
    helper type in a signature) is shown as plain text; any other unresolved reference still
    fails the build.
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("binance_usdm_ws."):
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


def setup(app: Any) -> None:
    app.connect("builder-inited", write_pages)
    app.connect("autodoc-process-docstring", data_docstring)
    app.connect("missing-reference", resolve_private)
