"""Code metrics over the last N commits against `wily build` (on demand:
`pytest tests/benchmarks/test_wily_benchmark.py -s`).

wily analyses each revision of a repository by checking it out and running radon on the changed Python
files; devmetrics measures every commit's tree from git objects, each distinct file version once. Both
cover the same last N first-parent commits (N = 50 and 500) of one generated repository, each run from a
fresh clone and a fresh cache or database, timed as whole processes, alternating, medians of 5:
- `devmetrics scan --only code` with `code.snapshots = "commits"` and `code.languages = ["python"]` (the
  files wily measures; then the debt analysis) ÷ `wily build -n N` with radon's four metric families —
  goal: wily takes at least 5x as long. The same scan over every language devmetrics knows (here Python and
  JavaScript) is reported too.
wily pins an older radon, so it runs from its own virtual environment: `DEVMETRICS_WILY` names a wily
executable, else one is installed once under the benchmark cache (from the package registry); when neither
works the benchmark is skipped and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.benchmarks.harness import CACHE, alternate, cached_repo, median, run, timed_env
from tests.repo_builder import git

pytestmark = pytest.mark.benchmark

COMMITS = 5_000
SPAN_DAYS = 420
FILES = 600
OPERATORS = "cyclomatic,raw,maintainability,halstead"


def wily_executable() -> Path:
    given = os.environ.get("DEVMETRICS_WILY")
    if given:
        return Path(given)
    venv = CACHE / "wily-venv"
    executable = venv / "bin" / "wily"
    if not executable.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "wily"], check=True, capture_output=True)
        except subprocess.CalledProcessError as error:
            pytest.skip(f"wily could not be installed into {venv}: {error.stderr.decode(errors='replace')[-300:]}")
    return executable


def work_tree(origin: Path, folder: Path) -> Path:
    """A fresh clone with a work tree (wily checks revisions out into it)."""
    clone = folder / "clone"
    git(folder, "clone", "-q", str(origin), str(clone))
    return clone


def time_wily(wily: Path, origin: Path, commits: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        clone = work_tree(origin, Path(folder))
        cache = Path(folder) / "wily-cache"
        command = [str(wily), "--path", str(clone), "--cache", str(cache), "build", "-n", str(commits)]
        started = time.perf_counter()  # wily reports every revision on stderr: keep it out of the output
        subprocess.run([*command, "-o", OPERATORS, str(clone)], env=timed_env(), check=True, capture_output=True)
        return time.perf_counter() - started


def time_devmetrics(origin: Path, commits: int, *, python_only: bool = True) -> float:
    with tempfile.TemporaryDirectory() as folder:
        clone = work_tree(origin, Path(folder))
        config = Path(folder) / "devmetrics.toml"
        config.write_text(
            f'[code]\nsnapshots = "commits"\nhistory_commits = {commits}\nhistory_weeks = 0\nhunks_days = 1\n'
            + ('languages = ["python"]\n' if python_only else "")
        )
        command = [
            sys.executable,
            "-m",
            "devmetrics",
            "--quiet",
            "--config",
            str(config),
            "scan",
            "--only",
            "code",
            "--db",
            str(Path(folder) / "d.db"),
            str(clone),
        ]
        return run(command)


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("commits", [50, 500])
def test_commit_snapshots_against_wily_build(commits: int) -> None:
    wily = wily_executable()
    if shutil.which(str(wily)) is None and not wily.exists():
        pytest.skip(f"no wily at {wily}")
    origin = cached_repo(COMMITS, seed=9, span_days=SPAN_DAYS, n_files=FILES)
    ours, theirs, ratios = alternate(
        lambda: time_devmetrics(origin, commits), lambda: time_wily(wily, origin, commits), runs=5
    )
    speedup = median(theirs) / median(ours)
    every_language = median([time_devmetrics(origin, commits, python_only=False) for _ in range(3)])
    print(
        f"\nlast {commits} commits of a {COMMITS}-commit repository ({FILES} files): devmetrics median "
        f"{median(ours):.2f} s ({median(ours) / commits * 1000:.1f} ms per commit), wily build median "
        f"{median(theirs):.2f} s ({median(theirs) / commits * 1000:.1f} ms per commit): wily takes "
        f"{speedup:.1f}x as long (pairwise {', '.join(f'{1 / r:.1f}' for r in ratios)}), goal >= 5; "
        f"every language: devmetrics median of 3 {every_language:.2f} s, wily {median(theirs) / every_language:.1f}x"
    )
