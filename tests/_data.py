"""Where the tests' recorded data lives: ``tests/data`` inside the repository (see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


def sample_event(name: str, **fields: Any) -> dict[str, Any]:
    """The recorded ``event.<name>.json`` with ``fields`` (wire keys) replaced: a whole event,
    every field its model requires included, for tests that need many distinct ones."""
    payload: dict[str, Any] = json.loads((DATA / f"event.{name}.json").read_text())
    payload.update(fields)
    return payload
