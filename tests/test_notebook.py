"""The quickstart notebook runs, cell by cell, in a real Jupyter kernel of this interpreter.

The kernel is this venv's Python (a kernelspec written to a temporary directory, whatever
Jupyter is installed elsewhere), and every Jupyter and IPython directory points into the
test's temporary directory: no global configuration is read and nothing is written to HOME.
A kernel runs an asyncio loop in its main thread, so this also proves the SDK works there.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import nbclient  # nbclient, nbformat and ipykernel: the `dev` extra
import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "notebooks" / "quickstart.ipynb"
KERNEL = "binance-usdm-ws-test"


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.fixture
def jupyter_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty Jupyter and IPython directories, and a kernelspec that runs this interpreter."""
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ]:
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # today's paths, without a warning
    monkeypatch.setenv("JUPYTER_NO_CONFIG", "1")  # no system or environment config either
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    spec = tmp_path / "data" / "kernels" / KERNEL  # JUPYTER_DATA_DIR is searched first
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "binance_usdm_ws tests", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return tmp_path


def execute(nb: Any, home: Path) -> None:
    """Run every cell of ``nb`` in the test kernel; raises ``CellExecutionError`` on the first
    cell that fails."""
    nbclient.NotebookClient(
        nb, kernel_name=KERNEL, timeout=120, resources={"metadata": {"path": str(home)}}
    ).execute()


def text_of(cell: Any) -> str:
    """The text a cell printed or displayed (stdout, stderr and plain-text results)."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def test_quickstart_notebook_runs_in_a_jupyter_kernel(jupyter_home):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # First, cells of the test's own: the SDK's calls below run under a running asyncio loop,
    # in this interpreter.
    probe = (
        "import asyncio\nprint('asyncio loop running:', asyncio.get_running_loop().is_running())"
    )
    nb.cells[:0] = [
        nbformat.v4.new_code_cell(probe),
        nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"),
    ]
    execute(nb, jupyter_home)

    outputs = [text_of(cell) for cell in nb.cells if cell.cell_type == "code"]
    everything = "\n".join(outputs)
    # The kernel was this interpreter, not another Python found on the machine.
    assert outputs[1] == sys.executable + "\n"
    assert outputs[0] == "asyncio loop running: True\n"
    assert "start:     200 listenKey" in everything
    assert "keepalive: 200" in everything
    assert "close:     200 {}" in everything
    assert "queried: status FILLED, executed 0.010" in everything
    assert "ORDER_TRADE_UPDATE notebook-order-1: NEW -> NEW" in everything
    assert "ORDER_TRADE_UPDATE notebook-order-1: TRADE -> FILLED" in everything
    assert "'ORDER_TRADE_UPDATE'" in everything and "'TRADE_LITE'" in everything
    assert "SDK threads left: []" in everything
    # No secret is shown whole: keys, secrets and listenKeys are long random alphanumerics.
    assert "listenKey " in everything and "API key: " in everything
    assert not re.search(r"\b(?=\w*\d)(?=\w*[A-Za-z])[A-Za-z0-9]{16,}\b", everything), everything
