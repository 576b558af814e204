"""Measuring helpers for the on-demand benchmarks: alternating runs, medians, process-tree memory.

Benchmarks report ratios against a baseline measured in the same run, never absolute times.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.repo_builder import build_repo, git_env, synthetic_history

CACHE = Path(os.environ.get("DEVMETRICS_BENCH_CACHE", "/tmp/devmetrics-bench"))


def cached_repo(n_commits: int, seed: int = 5, **options: Any) -> Path:
    """A generated repository, built once and kept between benchmark runs (read-only)."""
    suffix = "-".join(f"{key}{value}" for key, value in sorted(options.items()))
    path = CACHE / f"repo-{n_commits}-{seed}{'-' + suffix if suffix else ''}"
    if not (path / "HEAD").exists() and not (path / ".git").exists():
        build_repo(path, synthetic_history(n_commits, seed=seed, **options), bare=True)
    return path


def timed_env() -> dict[str, str]:
    """The environment timed commands run in: git's test environment, and Python as installed.

    A development shell may set PYTHONDONTWRITEBYTECODE; an installed tool (and the baselines, installed
    by pip into their own environments) runs from cached bytecode, so timed commands may write it.
    """
    env = git_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(command: Sequence[str], *, env: Mapping[str, str] | None = None, stdout: int | None = None) -> float:
    """Wall seconds of one run of `command`; fails loudly when the command fails."""
    full_env = timed_env()
    full_env.update(env or {})
    started = time.perf_counter()
    subprocess.run(command, env=full_env, check=True, stdout=stdout or subprocess.DEVNULL)
    return time.perf_counter() - started


def alternate(
    a: Callable[[], float], b: Callable[[], float], runs: int = 5
) -> tuple[list[float], list[float], list[float]]:
    """Run a and b in turn `runs` times after one warm-up each: (a times, b times, a/b ratios pair by pair)."""
    a(), b()
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(a())
        times_b.append(b())
    return times_a, times_b, [x / y for x, y in zip(times_a, times_b, strict=True)]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for folder in Path("/proc").iterdir():
        entry = folder.name
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry)] = int(line.split()[1])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def peak_tree_memory_mib(command: Sequence[str], *, interval: float = 0.02) -> float:
    """Run `command` and sample the summed RSS of its whole process tree; the peak in MiB."""
    process = subprocess.Popen(command, env=timed_env(), stdout=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    done.set()
    sampler.join()
    assert process.returncode == 0
    return peak / 1024
