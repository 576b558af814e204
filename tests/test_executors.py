"""Executors: the same scan on a local process pool, threads, inline, and a real Dask cluster."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from devmetrics.config import Config
from devmetrics.errors import DevmetricsError
from devmetrics.executors import InlineExecutor, make_executor
from devmetrics.scan import scan
from devmetrics.store import Store
from tests.helpers import dump


def scan_with(config: Config, repo: Path, db: Path) -> None:
    store = Store.open(db)
    try:
        summary = scan(store, [(str(repo), "")], config, stages=("history",))
    finally:
        store.close()
    assert not summary.failed


def config_for(executor: str, **scan_options: Any) -> Config:
    base = Config()
    return replace(base, scan=replace(base.scan, executor=executor, chunk_size=100, **scan_options))


def test_threads_and_inline_give_the_same_database(history_repo: Path, tmp_path: Path) -> None:
    scan_with(config_for("thread", workers=2), history_repo, tmp_path / "threads.db")
    scan_with(config_for("process", workers=1), history_repo, tmp_path / "inline.db")
    assert dump(tmp_path / "threads.db") == dump(tmp_path / "inline.db")


def test_a_single_task_runs_inline() -> None:
    assert isinstance(make_executor(config_for("process", workers=4), 1), InlineExecutor)


def test_dask_cluster_gives_the_same_database(history_repo: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        config = config_for("dask", dask_address=cluster.scheduler_address)
        scan_with(config, history_repo, tmp_path / "dask.db")
    scan_with(config_for("process", workers=1), history_repo, tmp_path / "inline.db")
    assert dump(tmp_path / "dask.db") == dump(tmp_path / "inline.db")


def test_dask_without_an_address_is_a_clear_error() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(DevmetricsError, match=r"needs scan\.dask_address"):
        make_executor(config_for("dask"), 4)


def test_unreachable_dask_scheduler_is_a_clear_error() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(DevmetricsError, match="cannot reach the Dask scheduler"):
        make_executor(config_for("dask", dask_address="tcp://127.0.0.1:9"), 4)


FORK_CHECK = """
import os, threading
from concurrent.futures import ProcessPoolExecutor
from devmetrics.config import Config, ScanConfig
from devmetrics.executors import make_executor, start_method
print(start_method(fork=True), start_method(fork=False))
pool = make_executor(Config(scan=ScanConfig(workers=2)), 2, fork=True)
assert isinstance(pool, ProcessPoolExecutor)
pids = {pool.submit(os.getpid).result() for _ in range(4)}
pool.shutdown()
assert pids and os.getpid() not in pids
stop = threading.Event()
threading.Thread(target=stop.wait).start()
print(start_method(fork=True))
stop.set()
"""


def test_workers_are_forked_only_when_asked_and_this_process_has_one_thread() -> None:
    """In a fresh process (this one may hold other tests' threads): fork, and a forked pool that works;
    forkserver when not asked, and when another thread runs (a copy would inherit its locks held)."""
    if sys.platform != "linux":
        pytest.skip("fork is used on Linux only")
    result = subprocess.run(
        [sys.executable, "-c", FORK_CHECK], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["fork", "forkserver", "forkserver"]
