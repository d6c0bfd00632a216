"""Without the ``testing`` extra, the local exchange says which extra to install."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Installed as sitecustomize: the interpreter then behaves as if websockets were not installed.
HIDE_WEBSOCKETS = """
import sys

class HideWebsockets:
    def find_spec(self, name, path=None, target=None):
        if name == "websockets" or name.startswith("websockets."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, HideWebsockets())
"""
HINT = 'pip install "binance-usdm-ws[testing]"'


def run_without_websockets(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sitecustomize.py").write_text(HIDE_WEBSOCKETS)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_command_line_names_the_extra(tmp_path):
    """``python -m binance_usdm_ws.testing`` exits 1 with the pip command, no traceback."""
    done = run_without_websockets(tmp_path, "-m", "binance_usdm_ws.testing")
    assert done.returncode == 1
    assert HINT in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "code,expected",
    [
        ("import binance_usdm_ws.testing", "MissingExtraError"),
        (
            "try:\n    import binance_usdm_ws.testing\nexcept ImportError as e:\n"
            "    print(type(e).__name__, e.name)",
            "MissingExtraError websockets",
        ),
        ("import binance_usdm_ws; print(binance_usdm_ws.Side.BUY)", "BUY"),
    ],
    ids=["import", "caught-as-ImportError", "core-needs-no-extra"],
)
def test_import_names_the_extra(tmp_path, code, expected):
    """Importing the local exchange raises an ImportError naming the extra; the SDK imports."""
    done = run_without_websockets(tmp_path, "-c", code)
    assert expected in done.stdout + done.stderr
    if expected == "MissingExtraError":
        assert done.returncode == 1 and HINT in done.stderr
    else:
        assert done.returncode == 0, done.stderr
