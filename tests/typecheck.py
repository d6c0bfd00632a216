"""Run ``mypy --strict`` on code a user would write, as a user would (tests only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def mypy(sources: dict[str, str], workdir: Path, cache: Path) -> list[str]:
    """Write ``sources`` (file name → code) into ``workdir`` and type-check them together.

    Returns mypy's message lines (``name.py:LINE: error: ...`` and ``note:`` lines), with the
    ``workdir`` prefix removed. The package is read from this repository (``MYPYPATH``).
    """
    for name, code in sources.items():
        (workdir / name).write_text(code)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--config-file",
            str(REPO / "setup.cfg"),
            "--cache-dir",
            str(cache),
            *sources,
        ],
        cwd=workdir,
        env={**os.environ, "MYPYPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    # 2, or anything on stderr: mypy itself failed (or is not installed: the ``dev`` extra)
    assert proc.returncode in (0, 1) and not proc.stderr.strip(), proc.stderr or proc.stdout
    return [line for line in proc.stdout.splitlines() if line.strip()]
