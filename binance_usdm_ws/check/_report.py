"""The check's findings: one row per thing measured, a table a person reads, JSON for an issue."""

from __future__ import annotations

import json
import platform
import shutil
import sys
import textwrap
from collections.abc import Iterable
from typing import Any, Literal, Optional

import attrs

from .._core._redact import mask_text

__all__ = ["FAILED", "NOT_VERIFIED", "OK", "SILENT", "CheckReport", "CheckRow", "Result"]

Result = Literal["ok", "silent", "failed", "not verified"]
OK: Result = "ok"
SILENT: Result = "silent"
FAILED: Result = "failed"
NOT_VERIFIED: Result = "not verified"


@attrs.define(frozen=True)
class CheckRow:
    """One line of the report.

    Attributes:
        section: ``"WS API"``, ``"market streams"`` or ``"user data"``.
        what: what was checked, e.g. ``btcusdt@markPrice@1s (/market)``.
        result: ``ok``, ``silent`` (acknowledged or connected, nothing delivered), ``failed``
            or ``not verified`` (nothing to observe, or not asked for).
        figure: the measurement, e.g. ``14 frames in 15.0 s, every 1.00 s (documented 1 s)``.
        hint: for a row that is not ``ok``: the likely cause and what to try.
        data: the figures as numbers, for ``--json``.
        required: whether the row counts for the verdict; an informational row (a user data
            URL form the SDK is not configured to use) is reported but never fails the run.
    """

    section: str
    what: str
    result: Result
    figure: str = ""
    hint: str = ""
    data: dict[str, Any] = attrs.field(factory=dict)
    required: bool = True

    @property
    def passed(self) -> bool:
        """Whether this row lets the check pass: ``ok``, ``not verified``, or informational."""
        return self.result in (OK, NOT_VERIFIED) or not self.required


@attrs.define
class CheckReport:
    """Everything a run found, in the order it was measured.

    Attributes:
        rows: the rows.
        target: the URLs checked (``api_url``, ``streams_url``) and the symbol.
        seconds: how long the run took.
    """

    rows: list[CheckRow] = attrs.field(factory=list)
    target: dict[str, Any] = attrs.field(factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when every required row is ``ok`` or ``not verified`` (exit status 0 then)."""
        return bool(self.rows) and all(row.passed for row in self.rows)

    def counts(self) -> dict[str, int]:
        """How many rows have each result."""
        out: dict[str, int] = {OK: 0, SILENT: 0, FAILED: 0, NOT_VERIFIED: 0}
        for row in self.rows:
            out[row.result] += 1
        return out

    def table(self, width: Optional[int] = None) -> str:
        """The report as a plain-text table (hints wrapped under their row), as wide as the
        terminal (100 to 160 columns) unless ``width`` is given."""
        if width is None:
            width = max(100, min(160, shutil.get_terminal_size((120, 24)).columns))
        return render_table(self.rows, width)

    def summary(self) -> str:
        """One line: the verdict and the counts."""
        c = self.counts()
        verdict = "PASSED" if self.passed else "FAILED"
        return (
            f"{verdict}: {c[OK]} ok, {c[SILENT]} silent, {c[FAILED]} failed, "
            f"{c[NOT_VERIFIED]} not verified ({self.seconds:.1f} s)"
        )

    def to_json(self) -> dict[str, Any]:
        """The report as data, with the SDK's and Python's versions (for pasting into an issue)."""
        from .. import __version__

        return {
            "tool": "binance-usdm-ws check",
            "sdk_version": __version__,
            "python": platform.python_version(),
            "platform": f"{platform.system()} {platform.machine()}",
            "target": self.target,
            "passed": self.passed,
            "counts": self.counts(),
            "seconds": round(self.seconds, 2),
            "rows": [attrs.asdict(row) for row in self.rows],
        }

    def dumps(self) -> str:
        """``to_json()`` as indented JSON text, secrets masked."""
        return mask_text(json.dumps(self.to_json(), indent=2, default=str))


_HEADERS = ("", "what", "result", "figure")
_MARKS: dict[str, str] = {OK: "✓", SILENT: "∅", FAILED: "✗", NOT_VERIFIED: "?"}
_ASCII_MARKS: dict[str, str] = {OK: "+", SILENT: "0", FAILED: "x", NOT_VERIFIED: "?"}


def _mark(result: str) -> str:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        _MARKS[result].encode(encoding)
    except (UnicodeEncodeError, LookupError, KeyError):
        return _ASCII_MARKS.get(result, " ")
    return _MARKS[result]


def render_table(rows: Iterable[CheckRow], width: int = 120) -> str:
    """Rows as a table grouped by section; a hint goes on the lines under its row."""
    rows = list(rows)
    what_w = min(max([len(r.what) for r in rows] + [4]), 48)
    res_w = max(len(r.result) for r in rows) if rows else 6
    fig_w = max(20, width - what_w - res_w - 8)
    out: list[str] = []
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            if out:
                out.append("")
            out.append(f"{section}")
            out.append("-" * min(width, what_w + res_w + fig_w + 8))
        figure = textwrap.wrap(row.figure, fig_w) or [""]
        what = row.what if len(row.what) <= what_w else row.what[: what_w - 1] + "…"
        out.append(f"{_mark(row.result)} {what:<{what_w}}  {row.result:<{res_w}}  {figure[0]}")
        indent = " " * (what_w + res_w + 6)
        out.extend(indent + line for line in figure[1:])
        hint = row.hint
        if not row.required and row.result not in (OK, NOT_VERIFIED):
            hint = f"informational (not the form you use): {hint}".strip()
        if hint:
            for line in textwrap.wrap(f"hint: {hint}", width - 4):
                out.append("    " + line)
    return mask_text("\n".join(out))
