"""The package layout keeps its import direction (read from the source with ``ast``).

``_core`` is the shared base: it imports neither half. The streams half reaches the WS API only
through its public services (a type-only import of ``WebsocketApi`` is allowed). The WS API does
not know the streams. The local exchange imports nothing of the client.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import binance_usdm_ws

PACKAGE = Path(binance_usdm_ws.__file__).parent


def runtime_imports(path: Path) -> list[str]:
    """Absolute names of the modules ``path`` imports, outside ``if TYPE_CHECKING:`` blocks."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1]  # a module and an __init__ both resolve against their folder
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If)
        and isinstance(block.test, ast.Name)
        and block.test.id == "TYPE_CHECKING"
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            # ``from . import _models`` imports a module: count ``package._models`` too.
            found += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return found


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def offending(folder: str, banned: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in modules(folder)
        for name in runtime_imports(path)
        if name.startswith(banned)
    ]


def test_the_parser_sees_relative_imports() -> None:
    names = runtime_imports(PACKAGE / "websocket_streams" / "market" / "_client.py")
    assert "binance_usdm_ws._core._control" in names
    assert "binance_usdm_ws.websocket_streams.market._builders" in names
    # the type-only import of WebsocketApi is skipped, a runtime one would be seen
    streams = runtime_imports(PACKAGE / "websocket_streams" / "user_data" / "_stream.py")
    assert not any(n.startswith("binance_usdm_ws.websocket_api") for n in streams)


@pytest.mark.parametrize(
    ("folder", "banned"),
    [
        (
            "_core",
            (
                "binance_usdm_ws.websocket_api",
                "binance_usdm_ws.websocket_streams",
                "binance_usdm_ws.testing",
                "binance_usdm_ws._client",
                "binance_usdm_ws._config",
            ),
        ),
        ("websocket_api", ("binance_usdm_ws.websocket_streams", "binance_usdm_ws.testing")),
        ("websocket_streams", ("binance_usdm_ws.websocket_api", "binance_usdm_ws.testing")),
        (
            "testing",
            (
                "binance_usdm_ws.websocket_api",
                "binance_usdm_ws.websocket_streams",
                "binance_usdm_ws._client",
            ),
        ),
    ],
)
def test_import_direction(folder: str, banned: tuple[str, ...]) -> None:
    assert modules(folder), folder
    assert offending(folder, banned) == []


PARTS = PACKAGE / "websocket_streams"


@pytest.mark.parametrize(
    ("part", "banned"),
    [
        (
            "user_data",
            (
                "binance_usdm_ws.websocket_streams.market",
                "binance_usdm_ws.websocket_streams.order_book",
            ),
        ),
        ("market", ("binance_usdm_ws.websocket_streams.order_book",)),
    ],
)
def test_the_streams_parts_import_one_way(part: str, banned: tuple[str, ...]) -> None:
    assert modules(f"websocket_streams/{part}"), part
    assert offending(f"websocket_streams/{part}", banned) == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_circle_inside_the_streams_half() -> None:
    root = _module_name(PARTS)  # its __init__ imports every part: only cycles below it count
    graph = {
        _module_name(path): {n for n in runtime_imports(path) if n.startswith(root + ".")}
        for path in sorted(PARTS.rglob("*.py"))
        if path != PARTS / "__init__.py"
    }
    edges = {m: sorted(n for n in targets if n in graph and n != m) for m, targets in graph.items()}
    assert edges[f"{root}.market._client"]  # the graph sees the imports
    done: set[str] = set()

    def cycle_from(module: str, path: list[str]) -> list[str]:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return []
        for nxt in edges[module]:
            found = cycle_from(nxt, [*path, module])
            if found:
                return found
        done.add(module)
        return []

    for module in edges:
        assert cycle_from(module, []) == []


def test_no_module_of_the_streams_half_is_past_about_500_lines() -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PARTS.rglob("*.py")
    }
    assert len(sizes) > 10
    assert {name: n for name, n in sizes.items() if n > 550} == {}
