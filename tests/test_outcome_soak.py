"""A short run of the outcome soak (``benchmarks/outcome_soak.py`` runs it for minutes)."""

from __future__ import annotations

from benchmarks.outcome_soak import soak


def test_orders_placed_equal_orders_believed_placed():
    """Every order's outcome is lost at random; the user's belief still matches the exchange."""
    result = soak(orders=12, seconds=60, seed=1, fault_share=0.6)
    assert result.unexpected == []
    assert result.faults >= 5 and result.not_placed >= 1 and result.resolved >= 1
    assert result.unknown_then_resolved >= 1  # a resolving query timed out too
    assert sorted(result.believed) == sorted(result.on_exchange)
    assert len(result.believed) + result.not_placed == result.orders
