"""Executors that run chunk reads: in this process, on a local process pool, or on a Dask cluster.

All are `concurrent.futures.Executor`s, so the scan code is the same for each (DESIGN principle 5).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from devmetrics.config import Config
from devmetrics.errors import DevmetricsError

P = ParamSpec("P")
T = TypeVar("T")


class InlineExecutor(Executor):
    """Runs each task at once in the calling process: no start-up cost for a small scan."""

    _max_workers = 1

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the caller through the future, like a pool does
            future.set_exception(error)
        return future


PARENT_POLL_SECONDS = 0.5


def _process_alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (dead, not yet reaped by its parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pid was reused by another user's process
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc on this system: trust the signal check
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _exit_with_scan(scan_pid: int) -> None:
    """Worker initializer: end this worker when the scan that started it is gone (e.g. kill -9).

    A worker blocks on a queue whose writer end it holds itself, and the forkserver hands every worker
    its keep-alive pipe, so neither notices a dead scan: they would linger and keep its stdout open.
    """

    def watch() -> None:
        while _process_alive(scan_pid):
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="devmetrics-scan-watch", daemon=True).start()


def worker_count(config: Config) -> int:
    return config.scan.workers or os.cpu_count() or 1


def make_executor(config: Config, tasks: int, *, fork: bool = False) -> Executor:
    """The executor the configuration asks for; a single task always runs inline.

    A process pool's workers normally start from a fork server: a clean process, never a copy of one
    holding SQLite handles, child pipes or threads. `fork=True` is the caller's word that this process
    runs no child process whose pipes a copy would hold open; workers are then forked from this process
    when that is safe (Linux, one thread), ready in milliseconds instead of a fork server's ~0.2 s. They
    never touch the copied SQLite connection and leave with os._exit, so it is never closed twice.
    """
    kind = config.scan.executor
    workers = min(worker_count(config), max(tasks, 1))
    if kind == "dask":
        return _dask_executor(config.scan.dask_address)
    if workers <= 1:
        return InlineExecutor()
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers)
    context: Any = multiprocessing.get_context(start_method(fork=fork))
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_exit_with_scan, initargs=(os.getpid(),)
    )


def start_method(*, fork: bool) -> str:
    """fork where asked for and safe: on Linux (elsewhere system libraries break in a forked copy) and
    with no other thread, whose locks a copy would inherit held; otherwise forkserver."""
    if fork and sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "forkserver"


class DaskExecutor(Executor):
    """A Dask cluster as an Executor: the client's executor, and the client closed on shutdown."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._executor: Executor = client.get_executor()
        self._max_workers = max(1, len(client.scheduler_info().get("workers", {})))

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        # Dask's ClientExecutor knows no cancel_futures; pending chunks are simply not collected.
        self._executor.shutdown(wait=wait)
        self._client.close()


def _dask_executor(address: str) -> Executor:
    try:
        from distributed import Client
    except ImportError as error:
        raise DevmetricsError("scan.executor = \"dask\" needs Dask: pip install 'devmetrics[dask]'") from error
    if not address:
        raise DevmetricsError('scan.executor = "dask" needs scan.dask_address, e.g. tcp://scheduler:8786')
    try:
        client = Client(address, timeout="5s")  # type: ignore[no-untyped-call]
    except OSError as error:
        raise DevmetricsError(
            f"{address}: cannot reach the Dask scheduler ({error}); check scan.dask_address"
        ) from error
    return DaskExecutor(client)
