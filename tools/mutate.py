"""Mutation testing of the critical modules (``make mutate``), one module at a time.

For each module below, mutmut plants small bugs (an operator flipped, a constant changed, a
call dropped...) one at a time and runs the tests that cover the mutated function; a mutant
no test catches ("survived") is a gap in the tests until shown to be equivalent.

Each module runs in its own scratch copy of the work tree (``.mutate/<name>/``), so runs never
touch the sources and several modules can run at once (``-j``). Not part of CI: a module takes
minutes. Usage::

    python tools/mutate.py                 # every module, one after the other
    python tools/mutate.py outcome redact  # some of them
    python tools/mutate.py -j 2 --children 1 outcome order_book
    python tools/mutate.py --children 1 --survivors outcome   # after adding tests

Prints, per module, killed / total and the surviving mutants (``mutmut show <name>`` in the
module's scratch copy shows the diff of one).

Why mutmut (3.x) rather than cosmic-ray: mutmut compiles every mutant of a module into one
copy behind a switch, learns from one test run which tests reach each function, and runs each
mutant in a forked worker with only those tests — no re-import, no collection per mutant —
so a module takes minutes on two cores. Results are kept between runs: a rerun redoes only
the functions whose code changed (``--fresh``: everything), and ``--survivors`` reruns the
survivors after new tests, updating the module's figure.
cosmic-ray rewrites the file on disk per mutant and runs the whole test command in a fresh
process each time (our socket tests cost seconds to collect and start), with parallelism only
through separately started HTTP workers. mutmut's limits, to keep in mind when reading its
figures: it mutates code inside functions only (module constants such as the outcome
module's ``WINDOW_MARGIN`` are pinned by tests but not mutated), and it also mutates message
strings, whose survivors are judged one by one. With ``--children 2`` a few mutants were seen
reported "survived" that a serial rerun (``--children 1``) killed: confirm survivors serially.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / ".mutate"
TEST_TIMEOUT = 30  # seconds a test may take under a mutant before it counts as caught (hung)
CAUGHT = ("killed", "timeout", "segfault")  # mutmut's verdicts for a mutant the tests caught

#: module name -> (source file, the tests that cover it)
MODULES: dict[str, tuple[str, list[str]]] = {
    "outcome": (
        "binance_usdm_ws/websocket_api/_outcome.py",
        ["tests/test_outcome.py", "tests/test_outcome_timing.py"],
    ),
    "order_book": (
        "binance_usdm_ws/websocket_streams/order_book/_book.py",
        ["tests/test_order_book.py", "tests/test_order_book_property.py"],
    ),
    "order_book_side": (
        "binance_usdm_ws/websocket_streams/order_book/_side.py",
        ["tests/test_order_book.py", "tests/test_order_book_property.py"],
    ),
    "snapshot_scheduler": (
        "binance_usdm_ws/websocket_streams/order_book/_scheduler.py",
        ["tests/test_order_book.py", "tests/test_order_book_property.py"],
    ),
    "order_book_feed": (
        "binance_usdm_ws/websocket_streams/order_book/_feed.py",
        ["tests/test_order_book.py", "tests/test_order_book_property.py"],
    ),
    "order_book_manager": (
        "binance_usdm_ws/websocket_streams/order_book/_manager.py",
        ["tests/test_order_book.py", "tests/test_order_book_property.py"],
    ),
    "redact": (
        "binance_usdm_ws/_core/_redact.py",
        ["tests/test_redact.py", "tests/test_secrets.py"],
    ),
    "signing": ("binance_usdm_ws/_core/_signing.py", ["tests/test_signing.py"]),
    "supervisor": (
        "binance_usdm_ws/_core/_supervisor.py",
        [
            "tests/test_stream_rotation.py",
            "tests/test_stream_gaps.py",
            "tests/test_sharding.py",
            "tests/test_streams.py",
            "tests/test_websocket_streams.py",
            "tests/test_stream_silence.py",
            "tests/test_resilience.py",  # the stream's reconnect backoff
            "tests/test_proxy_tls.py",  # stream sockets through a proxy
        ],
    ),
    "stream_delivery": (
        "binance_usdm_ws/_core/_stream_delivery.py",
        [
            "tests/test_stream_delivery.py",
            "tests/test_streams.py",
            "tests/test_websocket_streams.py",
            "tests/test_stream_gaps.py",
        ],
    ),
    "connection": (
        "binance_usdm_ws/_core/_connection.py",
        [
            "tests/test_connection.py",
            "tests/test_client.py",
            "tests/test_faults.py",
            "tests/test_resilience.py",
            "tests/test_sharding.py",
            "tests/test_closed_client.py",
            "tests/test_protocol.py",
            "tests/test_wire.py",
            "tests/test_frames.py",
            "tests/test_threads.py",
            # how a socket is opened (proxy, TLS options, the errors naming them)
            "tests/test_proxy_tls.py",
            "tests/test_tls_defaults.py",
            "tests/test_transport.py",
        ],
    ),
    "transport": (
        "binance_usdm_ws/_core/_transport.py",
        [
            "tests/test_proxy_tls.py",
            "tests/test_transport.py",
            "tests/test_tls_defaults.py",
            "tests/test_secrets.py",
        ],
    ),
}


def _copy_tree(dest: Path, source: str, fresh: bool) -> None:
    """Copy the work tree's files (tracked and new, not ignored) to ``dest``.

    Unless ``fresh``, mutmut's results in ``dest/mutants`` are kept: mutmut then reruns only
    the mutants of functions whose code changed (and those named on its command line). The
    copies of the files it does not mutate are dropped, so that it copies them again as they
    are now (it copies a file into ``mutants/`` only when it is missing there).
    """
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    mutants = dest / "mutants"
    if dest.exists() and (fresh or not mutants.exists()):
        shutil.rmtree(dest)
    elif mutants.exists():
        for path in (mutants / "binance_usdm_ws").rglob("*.py"):
            if path.relative_to(mutants).as_posix() != source:
                path.unlink()
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file() and not name.startswith(".mutate/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _config(source: str, tests: list[str]) -> str:
    present = [t for t in tests if (ROOT / t).exists()]
    lines = "\n    ".join(present)
    # Tests read the README, docs and examples: the scratch copy under mutants/ needs them.
    extra = "\n    ".join(
        p.name
        for p in sorted(ROOT.iterdir())
        if p.name in ("README.md", "docs", "examples", "benchmarks")
    )
    return (
        "\n[mutmut]\n"
        "source_paths = binance_usdm_ws\n"
        f"only_mutate = {source}\n"
        f"pytest_add_cli_args_test_selection =\n    {lines}\n"
        "pytest_add_cli_args = -p no:cacheprovider -p no:randomly -q\n"
        "use_git_change_detection = false\n"
        f"also_copy =\n    {extra}\n"
    )


def _end_deadlocked(parent: int, stop: threading.Event) -> None:
    """Kill mutmut's workers that have waited for minutes without using the CPU.

    A mutant that deadlocks (a lock never released) can outlive even the tests' own time
    limit, when the hang is in a fixture's teardown. mutmut records a worker killed by a signal
    as "segfault"; it was caught all the same: its tests did not pass.
    """
    while not stop.wait(20):
        listed = subprocess.run(
            ["ps", "-o", "pid=,ppid=,etimes=,times=", "--ppid", str(parent)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        for line in listed.splitlines():
            pid, ppid, elapsed, cpu = (int(v) for v in line.split())
            if ppid == parent and elapsed > 5 * TEST_TIMEOUT and cpu < 10:
                os.kill(pid, signal.SIGKILL)


def _verdicts_file(name: str) -> Path:
    return SCRATCH / f"{name}.verdicts.json"


def _load_verdicts(name: str, source_sha: str) -> dict[str, str]:
    """The verdicts kept from earlier runs of ``name``, if its source is unchanged since."""
    try:
        kept = json.loads(_verdicts_file(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return dict(kept["verdicts"]) if kept.get("source_sha") == source_sha else {}


def _mutmut_verdicts(work: Path, mutmut: str, env: dict[str, str]) -> dict[str, str]:
    out = subprocess.run(
        [mutmut, "results", "--all", "true"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    ).stdout
    status = {}
    for line in out.splitlines():
        if ":" in line:
            mutant, _, verdict = line.strip().rpartition(":")
            status[mutant.strip()] = verdict.strip()
    return status


def run_module(
    name: str,
    children: int,
    only: Optional[list[str]] = None,
    survivors_only: bool = False,
    fresh: bool = False,
) -> tuple[str, int, int, list[str]]:
    """Mutate one module; return (name, killed, total, survivors).

    Verdicts are kept in ``.mutate/<name>.verdicts.json`` while the module's source stays the
    same, so a rerun of some mutants (``--only``, ``--survivors``, after new tests) updates
    the module's figure instead of replacing it. A change to the source starts afresh.
    """
    source, tests = MODULES[name]
    work = SCRATCH / name
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    source_sha = hashlib.sha256((ROOT / source).read_bytes()).hexdigest()
    kept = _load_verdicts(name, source_sha)
    if survivors_only:
        only = [m for m, v in kept.items() if v not in CAUGHT and v != "not checked"]
        if not only:
            children = 0  # nothing to rerun: report what is kept
    if children > 0:  # 0: only report what the last run of this module found
        _copy_tree(work, source, fresh)
        cfg = work / "setup.cfg"
        # A mutant that deadlocks uses no CPU, so mutmut's CPU-time limit never ends it; the
        # tests' own wall-clock limit does. The slowest test of a module takes under 10 s.
        text = re.sub(r"(?m)^timeout = \d+$", f"timeout = {TEST_TIMEOUT}", cfg.read_text())
        cfg.write_text(text + _config(source, tests), encoding="utf-8")
        with open(work / "mutmut.log", "w", encoding="utf-8") as log:
            run = subprocess.Popen(
                [mutmut, "run", "--max-children", str(children), *(only or [])],
                cwd=work,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
            stop = threading.Event()
            threading.Thread(target=_end_deadlocked, args=(run.pid, stop), daemon=True).start()
            run.wait()
            stop.set()
    found = _mutmut_verdicts(work, mutmut, env) if work.exists() else {}
    notes = []
    tested = work / source
    if tested.exists() and hashlib.sha256(tested.read_bytes()).hexdigest() != source_sha:
        # A report (--children 0) of a scratch copy made before the source changed.
        kept, notes = {}, ["(these verdicts are for an older version of the source)"]
    # A mutant this run did not check keeps its earlier verdict; mutants that no longer
    # exist (the source changed) are dropped with the kept table.
    status = dict(kept)
    status.update({m: v for m, v in found.items() if v != "not checked" or m not in kept})
    if not notes:
        SCRATCH.mkdir(exist_ok=True)
        _verdicts_file(name).write_text(
            json.dumps({"source_sha": source_sha, "verdicts": status}, indent=0, sort_keys=True),
            encoding="utf-8",
        )
    # An interrupted run leaves mutants "not checked": they count neither way.
    checked = {m: v for m, v in status.items() if v != "not checked"}
    # A mutant that makes the tests hang ("timeout", or "segfault": killed by a signal, see
    # _end_deadlocked) was caught too.
    killed = sum(1 for v in checked.values() if v in CAUGHT)
    survivors = sorted(m for m, v in checked.items() if v not in CAUGHT)
    unchecked = len(status) - len(checked)
    if unchecked:
        notes.append(f"({unchecked} mutants not checked: the run was interrupted)")
    return name, killed, len(checked), notes + [f"{m}: {checked[m]}" for m in survivors]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], default=[])
    parser.add_argument("-j", "--jobs", type=int, default=1, help="modules at once")
    parser.add_argument(
        "--children", type=int, default=2, help="mutmut workers per module (0: report only)"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="GLOB",
        help="rerun only the mutants whose names match (e.g. '*_Side*'); the others keep "
        "their verdicts from earlier runs",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start from scratch: forget mutmut's results of earlier runs (after a mutmut "
        "upgrade, or when the test list of a module changed)",
    )
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="rerun only the mutants that survived earlier runs (after adding tests)",
    )
    args = parser.parse_args()
    names = args.modules or list(MODULES)
    total_killed = total = 0
    with ThreadPoolExecutor(args.jobs) as pool:
        for name, killed, count, survivors in pool.map(
            lambda n: run_module(n, args.children, args.only, args.survivors, args.fresh), names
        ):
            total_killed += killed
            total += count
            share = f"{100 * killed / count:.1f} %" if count else "-"
            print(f"== {name}: {killed} of {count} mutants killed ({share})", flush=True)
            for line in survivors:
                print(f"   {line}")
    if total:
        print(f"== all: {total_killed} of {total} killed ({100 * total_killed / total:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
