"""History stage speed (on demand: `pytest tests/benchmarks/test_history_benchmark.py -s`).

Figures, each against a baseline measured in the same run:
- `scan --only history` wall time ÷ ONE raw `git log` producing the same output with the same flags
  (renames, mailmap, first-parent merge diffs) to /dev/null — goal <= 1.0;
- per-commit cost of PyDriller's `traverse_commits()` reading every file's added/deleted lines ÷ ours — goal >= 20;
- a no-op rescan, whole process — goal < 0.5 s;
- peak memory of the whole process tree at 20,000 commits ÷ at 5,000 — goal <= 1.2.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pytest

from devmetrics.collectors.git import LOG_FORMAT, HistoryOptions
from tests.benchmarks.harness import alternate, cached_repo, median, peak_tree_memory_mib, run

pydriller = pytest.importorskip("pydriller")
COMMITS = 20_000
PYDRILLER_SAMPLE = 1_500


def scan_command(repo: Path, db: Path, *, analyze: bool = False) -> list[str]:
    """The history stage alone; the analyzers are timed apart (`devmetrics analyze`)."""
    command = [sys.executable, "-m", "devmetrics", "--quiet", "scan", "--only", "history", str(repo), "--db", str(db)]
    return command if analyze else [*command, "--no-analyze"]


def fresh_scan(repo: Path) -> float:
    with tempfile.TemporaryDirectory() as folder:
        return run(scan_command(repo, Path(folder) / "d.db"))


def raw_git_log(repo: Path) -> float:
    command = [
        "git",
        "-C",
        str(repo),
        "log",
        "HEAD",
        "-z",
        f"--format={LOG_FORMAT}",
        "--date=raw",
        *HistoryOptions().diff_args(),
    ]
    return run(command)


def test_history_scan_against_git_pydriller_and_itself() -> None:
    repo = cached_repo(COMMITS)
    times_scan, times_git, ratios = alternate(lambda: fresh_scan(repo), lambda: raw_git_log(repo), runs=5)
    per_commit_ours = median(times_scan) / COMMITS

    started = time.perf_counter()
    walked = 0
    for commit in pydriller.Repository(str(repo), order="reverse").traverse_commits():
        for modified in commit.modified_files:
            _ = modified.added_lines + modified.deleted_lines
        walked += 1
        if walked == PYDRILLER_SAMPLE:
            break
    per_commit_pydriller = (time.perf_counter() - started) / walked

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "d.db"
        mining = run(scan_command(repo, db))
        analysis = run([sys.executable, "-m", "devmetrics", "--quiet", "analyze", "--db", str(db)])
        noop = [run(scan_command(repo, db, analyze=True)) for _ in range(5)]

    small = cached_repo(5_000)
    with tempfile.TemporaryDirectory() as folder:
        peak_small = peak_tree_memory_mib(scan_command(small, Path(folder) / "a.db"))
        peak_large = peak_tree_memory_mib(scan_command(repo, Path(folder) / "b.db"))

    print(f"\nhistory benchmark on {COMMITS} commits (2 cores)")
    print(
        f"  scan / one raw git log: median ratio {median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); scan median {median(times_scan):.2f} s, "
        f"git log median {median(times_git):.2f} s   goal <= 1.0"
    )
    print(
        f"  PyDriller per commit / ours: {per_commit_pydriller / per_commit_ours:.1f}x "
        f"({per_commit_pydriller * 1e3:.2f} ms vs {per_commit_ours * 1e3:.3f} ms over {walked} commits)   goal >= 20"
    )
    print(f"  analyzers after a fresh scan (`devmetrics analyze`): {analysis:.2f} s = {analysis / mining:.2f} x mining")
    print(f"  no-op rescan: median {median(noop):.3f} s (max {max(noop):.3f})   goal < 0.5 s")
    print(
        f"  peak tree memory: {peak_large:.0f} MiB at 20,000 vs {peak_small:.0f} MiB at 5,000, "
        f"ratio {peak_large / peak_small:.2f}   goal <= 1.2"
    )
