"""``docs/methods.md`` stays in step with the builder declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from binance_usdm_ws import AccountApi, AuthApi, MarketDataApi, TradeApi, UserDataStreamsApi
from binance_usdm_ws._requests import Request, Transport

DOC = Path(__file__).resolve().parents[1] / "docs" / "methods.md"
README = Path(__file__).resolve().parents[1] / "README.md"
SERVICES = {
    "trade_api": TradeApi,
    "account_api": AccountApi,
    "market_data_api": MarketDataApi,
    "auth_api": AuthApi,
    "user_data_streams_api": UserDataStreamsApi,
}
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
