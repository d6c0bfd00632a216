"""The public surface: one sorted, complete, unique ``__all__``."""

from __future__ import annotations
import __future__

import types
import typing

import binance_usdm_ws


def test_all_is_complete_sorted_and_unique():
    """__all__ lists every public name of the package root, once, in the conventional order."""
    public = {
        name
        for name, value in vars(binance_usdm_ws).items()
        if not name.startswith("_")
        and not isinstance(value, (types.ModuleType, __future__._Feature))
    }
    names = binance_usdm_ws.__all__
    assert len(names) == len(set(names))
    assert set(names) == public
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )


def test_every_public_class_has_a_docstring():
    """Every exported class and function is documented (what a Jupyter user sees with ?)."""
    missing = [
        name
        for name in binance_usdm_ws.__all__
        if callable(getattr(binance_usdm_ws, name))
        and typing.get_origin(getattr(binance_usdm_ws, name)) is None  # not a Response alias
        and not (getattr(binance_usdm_ws, name).__doc__ or "").strip()
    ]
    assert missing == []
