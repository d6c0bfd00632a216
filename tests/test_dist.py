"""The wheel and the sdist: what they carry, their metadata, and ``twine check --strict``.

The sdist is the package and what describes it (README, LICENSE, CHANGELOG, build files); it
leaves every test out, because the tests need the repository around them (``tests/data``,
examples, docs, benchmarks). Both are built here from this checkout, without build isolation
(the ``dev`` extra carries setuptools, build and twine), from a copy of the checkout without
its build leftovers (an old ``*.egg-info`` would add its file list to the new sdist).
"""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest

import binance_usdm_ws
from binance_usdm_ws._core._transport import user_agent

ROOT = Path(__file__).resolve().parents[1]
VERSION = binance_usdm_ws.__version__
#: Files of the sdist beside the package and its egg-info.
SDIST_TOP = {
    "CHANGELOG.md",
    "LICENSE",
    "MANIFEST.in",
    "PKG-INFO",
    "README.md",
    "pyproject.toml",
    "setup.cfg",
}


def package_files() -> set[str]:
    """Every file of the package as the repository has it (sources and ``py.typed``)."""
    package = ROOT / "binance_usdm_ws"
    return {
        path.relative_to(ROOT).as_posix()
        for path in package.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and (path.suffix == ".py" or path.name == "py.typed")
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, src = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("src") / "checkout"
    leftovers = ("*.egg-info", "build", "dist", ".venv", ".git", "_build", "__pycache__", ".*cache")
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*leftovers))
    run = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out


def only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def wheel_metadata(dist: Path) -> Message:
    with zipfile.ZipFile(only(dist, "*.whl")) as wheel:
        text = wheel.read(f"binance_usdm_ws-{VERSION}.dist-info/METADATA").decode()
    return email.message_from_string(text)


def test_sdist_is_the_package_and_its_description_without_tests(dist: Path) -> None:
    sdist = only(dist, "*.tar.gz")
    assert sdist.name == f"binance_usdm_ws-{VERSION}.tar.gz"
    with tarfile.open(sdist) as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()}
    names = {n for n in names if not n.startswith("binance_usdm_ws.egg-info/")}
    assert not {n for n in names if n.startswith(("tests/", "benchmarks/", "examples/"))}
    assert names == SDIST_TOP | package_files()


def test_wheel_is_the_package_with_license_and_metadata(dist: Path) -> None:
    wheel = only(dist, "*.whl")
    assert wheel.name == f"binance_usdm_ws-{VERSION}-py3-none-any.whl"
    info = f"binance_usdm_ws-{VERSION}.dist-info"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        license_text = zf.read(f"{info}/licenses/LICENSE").decode()
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
    meta = ("METADATA", "WHEEL", "RECORD", "top_level.txt", "entry_points.txt")
    assert names == package_files() | {f"{info}/{n}" for n in meta} | {f"{info}/licenses/LICENSE"}
    assert "binance-usdm-ws = binance_usdm_ws.check:cli" in entry_points  # the check command
    assert license_text.startswith("MIT License")
    assert "binance_usdm_ws contributors" in license_text


def test_metadata_version_license_classifiers_and_urls(dist: Path) -> None:
    meta = wheel_metadata(dist)
    # One source for the version: the package's __version__, also in the User-Agent.
    assert meta["Version"] == VERSION
    assert f"binance-usdm-ws/{VERSION} " in user_agent()
    assert meta["License-Expression"] == "MIT"
    assert meta["License-File"] == "LICENSE"
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    # The Python running this suite is one the package says it supports.
    tested = f"Programming Language :: Python :: {sys.version_info[0]}.{sys.version_info[1]}"
    assert tested in classifiers
    for prefix in ("Development Status", "Intended Audience", "Operating System", "Topic"):
        assert any(c.startswith(prefix + " :: ") for c in classifiers), prefix
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert set(urls) == {"Documentation", "Source", "Changelog", "Issues"}
    assert all(u.startswith(urls["Source"]) for u in urls.values()), urls
    assert meta["Description-Content-Type"] == "text/markdown"


def test_twine_check_strict_passes(dist: Path) -> None:
    files = [str(p) for p in sorted(dist.iterdir())]
    run = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("PASSED") == 2, run.stdout
