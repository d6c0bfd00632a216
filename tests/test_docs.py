"""``docs/methods.md`` stays in step with the builder declarations."""

from __future__ import annotations

import importlib
import re
import typing
from pathlib import Path

import pytest

from binance_usdm_ws import AccountApi, AuthApi, MarketDataApi, TradeApi, UserDataStreamsApi
from binance_usdm_ws.websocket_api._requests import Request, Transport

DOC = Path(__file__).resolve().parents[1] / "docs" / "methods.md"
README = Path(__file__).resolve().parents[1] / "README.md"
SERVICES = {
    "trade_api": TradeApi,
    "account_api": AccountApi,
    "market_data_api": MarketDataApi,
    "auth_api": AuthApi,
    "user_data_streams_api": UserDataStreamsApi,
}
PUBLIC_MODULES = [
    "binance_usdm_ws",
    "binance_usdm_ws.errors",
    "binance_usdm_ws.enums",
    "binance_usdm_ws.testing",
]
BEGIN, END = "<!-- methods table: begin -->", "<!-- methods table: end -->"


def render() -> str:
    """The table of every method and the rules between params, from the declarations."""
    rows = [
        "| Service | Builder method | Builder class | Wire method | Security | Weight "
        "| Required params |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    rules = []
    for service, cls in SERVICES.items():
        for name in sorted(n for n in dir(cls) if not n.startswith("_")):
            builder = getattr(cls(Transport()), name)()
            cls_ = type(builder)
            required = [f"`{p.name}`" for p in cls_.params.values() if p.required]
            required += [
                " or ".join(f"`{n}`" for n in rule.names)
                for rule in cls_.rules
                if rule.text.startswith("one of")
            ]
            rows.append(
                f"| `{service}` | `{name}()` | `{cls_.__name__}` | `{cls_.method}` "
                f"| {cls_.security.value} | {cls_.weight or '—'} | {', '.join(required) or '—'} |"
            )
            for rule in cls_.rules:
                if not rule.text.startswith("one of"):
                    rules.append(f"* `{name}()`: {rule.text}.")
    return "\n".join(rows + ["", "Rules between params, checked before sending:", ""] + rules)


@pytest.mark.parametrize("doc", [DOC, README], ids=lambda p: p.name)
def test_methods_table_is_current(doc):
    """The generated tables in docs/methods.md and README.md match the builders."""
    text = doc.read_text()
    table = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == render(), f"{doc.name} is stale: paste tests.test_docs.render()"
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == len(Request.registry)


def doc_comments() -> dict[str, str]:
    """Module-level names of the package preceded by a ``#:`` comment (their documentation)."""
    out = {}
    for path in (Path(__file__).resolve().parents[1] / "binance_usdm_ws").rglob("*.py"):
        for m in re.finditer(r"^((?:#: .*\n)+)(\w+)\s*(?::[^=\n]*)?=", path.read_text(), re.M):
            out[m.group(2)] = m.group(1)
    return out


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_is_documented(module):
    """Every name of a public ``__all__`` has its own docstring (the API reference shows it).

    Classes and functions need a docstring of their own (not one inherited from a base);
    constants a ``#:`` comment where they are defined; ``WsApiResponse[...]`` aliases are
    documented by the model they alias.
    """
    mod = importlib.import_module(module)
    comments = doc_comments()
    missing = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        if typing.get_origin(obj) is not None:
            documented = bool((typing.get_origin(obj).__doc__ or "").strip())
        elif isinstance(obj, type):
            documented = bool((vars(obj).get("__doc__") or "").strip())
        elif callable(obj):
            documented = bool((obj.__doc__ or "").strip())
        else:
            documented = bool(comments.get(name, "").strip("#: \n"))
        if not documented:
            missing.append(name)
    assert missing == []
