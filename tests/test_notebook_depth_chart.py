"""The depth-chart notebook runs in a real Jupyter kernel and draws a non-trivial chart.

Same kernel set-up as the quickstart notebook (``tests/test_notebook.py``): this venv's Python,
every Jupyter, IPython and matplotlib directory in the test's temporary directory. A cell of the
test's own, appended after the chart, saves the notebook's figure as a PNG into ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from .test_notebook import execute, jupyter_home, text_of  # noqa: F401  (a fixture)

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "notebooks" / "depth_chart.ipynb"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_depth_chart_notebook_draws_the_book(jupyter_home, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    (jupyter_home / "mpl").mkdir()
    monkeypatch.setenv("MPLCONFIGDIR", str(jupyter_home / "mpl"))
    image = jupyter_home / "depth_chart.png"
    nb = nbformat.read(NOTEBOOK, as_version=4)
    chart = next(i for i, c in enumerate(nb.cells) if "plt.subplots" in c.source)
    save = (
        f"fig.savefig({str(image)!r}, dpi=80)\n"
        "lines = ax.get_lines()\n"
        "print('lines:', len(lines), 'points:', [len(line.get_xdata()) for line in lines])"
    )
    nb.cells.insert(chart + 1, nbformat.v4.new_code_cell(save))
    execute(nb, jupyter_home)

    everything = "\n".join(text_of(cell) for cell in nb.cells if cell.cell_type == "code")
    assert "update id " in everything and "best bid Level(price=Decimal(" in everything
    assert "resyncs: 0" in everything
    shown = [
        out
        for out in nb.cells[chart].outputs
        if out.output_type == "display_data" and "image/png" in out.data
    ]
    assert shown  # the chart is displayed inline
    data = image.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000  # a real chart, not blank
    # Two step lines (bids, asks), each with one point per level of the book.
    points = next(line for line in everything.splitlines() if line.startswith("lines: "))
    assert points.startswith("lines: 2 ")
    counts = [int(n) for n in points.split("[")[1].rstrip("]").split(",")]
    assert all(n >= 40 for n in counts), points
