"""Debt gate latency (on demand: `pytest tests/benchmarks/test_gate_benchmark.py -s`).

A commit touching 20 Python files of 500 lines each. Figures, each against a baseline measured in the same
run (medians of alternating runs):
- the gate, cold (its blob cache emptied before each run: it parses both versions of every file, 40 blobs)
  ÷ `radon cc -s` plus `radon mi` on the 20 staged files — goal <= 2;
- the gate, warm (cache filled) ÷ the same radon runs — goal <= 1;
- pre-commit's own overhead, timed apart: `pre-commit run devmetrics-debt-gate` (a `repo: local`,
  `language: system` hook running this environment's console script) minus the gate run directly.
Wall-time ratios mean something only on an otherwise idle machine: check the load average first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.benchmarks.harness import alternate, median
from tests.hook_helpers import clean_env, init_repo
from tests.repo_builder import git

pytestmark = pytest.mark.benchmark

FILES = 20
FUNCTIONS_PER_FILE = 25  # 25 functions of 20 lines: 500 lines a file


def module(seed: int, extra_branch: bool) -> str:
    parts = [f'"""Generated module {seed}."""\n\n']
    for index in range(FUNCTIONS_PER_FILE):
        branch = (
            f"        if value == {seed + 99}:\n            total -= 1\n" if extra_branch and index % 5 == 0 else ""
        )
        body = (
            f"def handler_{index}(value, limit):\n"
            f"    total = {seed + index}\n"
            "    for step in range(limit):\n"
            "        if step % 3 == 0:\n"
            "            total += step\n"
            "        elif step % 3 == 1:\n"
            "            total -= value\n"
            f"{branch}"
            "        else:\n"
            "            total *= 2\n"
            "    while total > limit:\n"
            "        total //= 2\n"
            "    try:\n"
            "        total = int(total)\n"
            "    except ValueError:\n"
            "        total = 0\n"
            "    return total\n"
            "\n\n"
        )
        parts.append(body)
    text = "".join(parts)
    lines = text.count("\n")
    return text + "".join(f"# padding line {n}\n" for n in range(max(0, 500 - lines)))


def timed(command: Sequence[str], cwd: Path, env: dict[str, str], expect: int = 0) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    assert result.returncode == expect, result.stdout.decode() + result.stderr.decode()
    return seconds


@pytest.mark.timeout(1800)
def test_gate_latency_against_radon(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    for index in range(FILES):
        (repo / f"module_{index:02}.py").write_text(module(index, extra_branch=False))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    for index in range(FILES):
        (repo / f"module_{index:02}.py").write_text(module(index, extra_branch=True))
    git(repo, "add", "-A")
    assert all((repo / f"module_{index:02}.py").read_text().count("\n") >= 500 for index in range(FILES))

    bin_dir = Path(sys.executable).parent
    env = clean_env({"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    files = [f"module_{index:02}.py" for index in range(FILES)]
    gate_command = [str(bin_dir / "devmetrics-debt-gate")]
    cache = repo / ".git" / "devmetrics"

    def radon() -> float:
        return timed([str(bin_dir / "radon"), "cc", "-s", *files], repo, env) + timed(
            [str(bin_dir / "radon"), "mi", *files], repo, env
        )

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return timed(gate_command, repo, env)

    def warm() -> float:
        return timed(gate_command, repo, env)

    cold_times, radon_cold, cold_ratios = alternate(cold, radon)
    warm()  # fill the cache
    warm_times, radon_warm, warm_ratios = alternate(warm, radon)

    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: devmetrics-debt-gate\n        name: debt gate\n"
        f"        entry: {gate_command[0]}\n        language: system\n        pass_filenames: false\n"
        "        always_run: true\n"
    )
    git(repo, "add", ".pre-commit-config.yaml")
    hook_env = {**env, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    through: Callable[[], float] = lambda: timed(  # noqa: E731
        [sys.executable, "-m", "pre_commit", "run", "devmetrics-debt-gate"], repo, hook_env
    )
    through_times, direct_times, _ = alternate(through, warm)
    overhead = median(through_times) - median(direct_times)

    print(
        f"\nDebt gate, {FILES} Python files of 500 lines, both versions:"
        f"\n  radon cc -s + radon mi: {median(radon_cold):.3f}s (cold pairs), {median(radon_warm):.3f}s (warm pairs)"
        f"\n  gate cold: {median(cold_times):.3f}s  ratio {median(cold_ratios):.2f} (goal <= 2)"
        f"\n  gate warm: {median(warm_times):.3f}s  ratio {median(warm_ratios):.2f} (goal <= 1)"
        f"\n  pre-commit overhead: {overhead:.3f}s (pre-commit run {median(through_times):.3f}s, "
        f"direct {median(direct_times):.3f}s)"
    )
