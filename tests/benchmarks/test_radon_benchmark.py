"""Python metrics of a large real tree against radon's command line (on demand:
`pytest tests/benchmarks/test_radon_benchmark.py -s`).

The tree is the running interpreter's standard library without its tests and its generated data tables
(about 600 files, 275,000 lines): real code of every shape, present on every machine. The tables
(`pydoc_data/topics.py`, the `encodings` codecs, `html/entities.py`, `_sysconfigdata_*`) are each one huge
literal, not code, and radon's raw counter is quadratic in a statement's length: with them, `radon raw`
alone had not finished after 11 minutes, which would make the baseline, not the comparison, the figure.

radon's CLI re-reads and re-tokenises every file for each metric family, so the baseline is `radon cc -s`,
`radon raw`, `radon mi` and `radon hal` over the same files, one after the other (all JSON); devmetrics'
Python engine measures the four families (and cognitive complexity, markers and duplicate-block hashes
besides) from one parse, in one process as radon does. Whole processes, alternating, medians of 3. Goal: at
least 4x faster. Every number radon reports (each function's cyclomatic complexity, lines, blank lines, code
lines, maintainability index, Halstead volume) must equal devmetrics' own for the same file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks.harness import alternate, median

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).resolve().parents[2]
RADON = Path(sys.executable).parent / "radon"
FAMILIES = (("cc", "-s"), ("raw",), ("mi",), ("hal",))
LEFT_OUT = {"test", "tests", "idle_test", "site-packages", "__pycache__", "pydoc_data", "encodings"}
GENERATED_TABLES = ("html/entities.py", "_sysconfigdata_")


def tree_files() -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return sorted(
        str(path)
        for path in stdlib.rglob("*.py")
        if not LEFT_OUT.intersection(path.relative_to(stdlib).parts)
        and not path.relative_to(stdlib).as_posix().startswith(GENERATED_TABLES)
    )


def time_radon(files: list[str], out: Path) -> float:
    started = time.perf_counter()
    for family in FAMILIES:
        with (out / f"{family[0]}.json").open("wb") as sink:
            subprocess.run([str(RADON), *family, "-j", *files], stdout=sink, check=True)
    return time.perf_counter() - started


def time_ours(listing: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.measure_tree", str(listing), str(out / "ours.json")],
        env=env,
        check=True,
    )
    return time.perf_counter() - started


def radon_functions(blocks: list[dict[str, Any]]) -> set[tuple[int, int]]:
    """(line, complexity) of every function, method and closure radon lists (classes are sums, left out)."""
    found: set[tuple[int, int]] = set()
    for block in blocks:
        if block.get("type") in ("function", "method"):
            found.add((block["lineno"], block["complexity"]))
        found |= radon_functions(block.get("closures", []) + block.get("methods", []))
    return found


def differences(out: Path) -> list[str]:
    ours = json.loads((out / "ours.json").read_text())
    radon = {family[0]: json.loads((out / f"{family[0]}.json").read_text()) for family in FAMILIES}
    wrong: list[str] = []
    for path, measured in ours.items():
        if measured["engine"] != "radon":
            continue  # syntax newer than this interpreter: measured by the tree-sitter fallback
        cc, raw, mi, hal = (radon[name].get(path) for name in ("cc", "raw", "mi", "hal"))
        if isinstance(cc, dict) or (isinstance(raw, dict) and "error" in raw):
            wrong.append(f"{path}: radon failed where devmetrics parsed")
            continue
        if not radon_functions(cc or []) <= {tuple(item) for item in measured["functions"]}:
            wrong.append(f"{path}: cyclomatic complexity differs")
        loc, sloc, blank, _comments = measured["lines"]
        if raw is None or (raw["loc"], raw["sloc"], raw["blank"]) != (loc, sloc, blank):
            wrong.append(f"{path}: raw counts differ ({raw} vs {measured['lines']})")
        if mi is None or abs(mi["mi"] - measured["mi"]) > 1e-6:
            wrong.append(f"{path}: maintainability index differs ({mi} vs {measured['mi']})")
        if hal is None or abs(hal["total"]["volume"] - measured["volume"]) > 1e-6:
            wrong.append(f"{path}: Halstead volume differs")
    return wrong


@pytest.mark.timeout(3600)
def test_four_families_against_radon_cli(tmp_path: Path) -> None:
    if not RADON.exists():
        pytest.skip(f"radon's command line is not installed beside {sys.executable}")
    files = tree_files()
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(files) + "\n")
    lines = sum(Path(path).read_bytes().count(b"\n") for path in files)
    ours, theirs, _ = alternate(lambda: time_ours(listing, tmp_path), lambda: time_radon(files, tmp_path), runs=3)
    wrong = differences(tmp_path)
    speedup = median(theirs) / median(ours)
    print(
        f"\n{len(files)} files, {lines:,} lines of the standard library: radon cc+raw+mi+hal median "
        f"{median(theirs):.2f} s, devmetrics (the four families and more, one parse) median {median(ours):.2f} s: "
        f"{speedup:.1f}x faster, goal >= 4; files whose numbers differ from radon's: {len(wrong)}"
    )
    assert not wrong, "\n".join(wrong[:20])
