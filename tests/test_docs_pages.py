"""The API reference's pages, as docs/conf.py generates them (no Sphinx build here; ``make docs``
builds them and checks every page in a headless browser).

Every public name lands on one page; every builder's parameters and rules are tables made from
its declarations, so none can be left out or drift.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

import binance_usdm_ws
from binance_usdm_ws.websocket_api._requests import Request
from binance_usdm_ws.websocket_streams.market._request import StreamRequest

CONF = Path(__file__).resolve().parents[1] / "docs" / "conf.py"


@pytest.fixture(scope="module")
def conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_conf", CONF)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_name_has_one_page_and_every_page_has_names(conf: ModuleType) -> None:
    assigned = conf._assigned_in()
    pages: dict[str, list[str]] = {page: [] for page in conf.PAGES}
    for short, full in conf.public_names().items():
        module = importlib.import_module(full.rsplit(".", 1)[0])
        pages[conf.page_of(short, getattr(module, short), assigned)].append(short)
    assert all(pages.values()), [page for page, names in pages.items() if not names]
    assert "NewOrder" in pages["ws_api_trade"]
    assert "AggregateTradeStreams" in pages["streams_market_api"]
    assert "DiffBookDepthStreams" in pages["streams_public_api"]
    assert "ConfigurationWebsocketApi" in pages["configuration"]
    assert "LocalOrderBook" in pages["local_order_book"]


def test_a_name_from_an_unclaimed_module_fails_the_build(conf: ModuleType) -> None:
    class Stray:
        pass

    Stray.__module__ = "binance_usdm_ws._nowhere"
    with pytest.raises(RuntimeError, match="Stray is defined in binance_usdm_ws._nowhere"):
        conf.page_of("Stray", Stray, {})


BUILDERS = [*Request.registry.values(), *StreamRequest.registry.values()]


@pytest.mark.parametrize("cls", BUILDERS, ids=lambda c: c.__name__)
def test_builder_tables_come_from_the_declarations(conf: ModuleType, cls: type) -> None:
    text = "\n".join(conf.builder_reference(cls))
    assert f"``{cls.method}``" in text  # type: ignore[attr-defined]
    params = [
        p
        for p in cls.params.values()  # type: ignore[attr-defined]
        if p is not Request.return_rate_limits
    ]
    if params:
        assert ".. list-table:: Parameters" in text
    for p in params:
        assert f"``{p.name}``" in text
        assert p.doc in text
        for choice in p.choices or ():
            assert f"``{choice}``" in text
    for rule in getattr(cls, "rules", ()):
        assert rule.text in text
        assert f"``{conf._rule_kind(rule)}``" in text
    if cls.docs:  # type: ignore[attr-defined]
        assert cls.docs in text  # type: ignore[attr-defined]


def test_the_docstring_reference_is_replaced_by_the_tables(conf: ModuleType) -> None:
    cls = binance_usdm_ws.NewOrder
    lines = (cls.__doc__ or "").strip().splitlines()
    lines = [line.strip() for line in lines]
    conf.builder_docstring(None, "class", "binance_usdm_ws.NewOrder", cls, None, lines)
    text = "\n".join(lines)
    assert "Params (fluent setters" not in text  # the plain-text version is gone
    assert "Place a LIMIT or MARKET order." in text  # the prose stays
    assert text.count(".. list-table::") == 3  # facts, parameters, rules
    assert "``required_when``" in text and "``not_together``" in text


def test_an_attribute_type_moves_into_its_signature(conf: ModuleType) -> None:
    lines = [
        "An order.",
        "",
        ".. attribute:: price",
        "",
        "   Price (``p``).",
        "",
        "   :type: decimal.Decimal",
        "",
        ".. attribute:: side",
        "",
        "   Side.",
    ]
    conf.attribute_types(None, "class", "X", None, None, lines)
    assert lines == [
        "An order.",
        "",
        ".. attribute:: price",
        "   :type: decimal.Decimal",
        "",
        "   Price (``p``).",
        "",
        ".. attribute:: side",
        "",
        "   Side.",
    ]
