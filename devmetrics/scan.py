"""Scan orchestration: plan chunks per repository, read them on an Executor, write them with one writer.

Workers need no database, so the same plan runs on a local process pool or a Dask cluster
(`distributed.Client(address).get_executor()`). Each chunk is written in one transaction; the
reachable set and the sync state move only after every chunk of a repository is stored, so a scan
killed at any point resumes from "what git has minus what is stored" and ends with the same rows.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from devmetrics import __version__
from devmetrics.config import Config
from devmetrics.errors import DevmetricsError
from devmetrics.executors import make_executor
from devmetrics.model import CommitRows, RepoRef
from devmetrics.store import Store

if TYPE_CHECKING:
    from devmetrics.analyzers.code.stage import CodeOutcome
    from devmetrics.collectors.git import ChunkTask, HistoryOptions
    from devmetrics.host_scan import HostOutcome

log = logging.getLogger("devmetrics.scan")
STAGES = ("history", "code", "hosts")
AVAILABLE_STAGES = ("history", "code", "hosts")
FAULT_ENV = "DEVMETRICS_FAULT"  # test-only fault injection, e.g. "chunk-committed:2"


@dataclass
class RepoOutcome:
    target: str
    name: str = ""
    status: str = "ok"  # ok, unchanged, failed
    commits_added: int = 0
    reachable: int = 0
    unreachable_now: int = 0  # commits a rewritten history dropped
    is_shallow: bool = False
    reason: str = ""
    seconds: float = 0.0
    local_path: str = ""  # the repository read: the target itself, or the mirror of a URL
    code: CodeOutcome | None = None  # the code stage's counts, when it ran
    hosts: HostOutcome | None = None  # the hosts stage's counts, when it collected this repository


@dataclass
class ScanSummary:
    run_id: str
    outcomes: list[RepoOutcome] = field(default_factory=list)
    metric_rows: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> list[RepoOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]


@dataclass
class _RepoPlan:
    target: str
    ref: RepoRef
    repo_id: int
    scan_id: int
    tips: dict[str, str]
    reachable: list[str]
    chunks: list[tuple[str, ...]]
    state: dict[str, object]
    outcome: RepoOutcome
    chunks_left: int = 0


def _fault(point: str, count: int) -> None:
    """Kill this process with SIGKILL at a named point: lets tests prove resumability exactly."""
    if os.environ.get(FAULT_ENV) == f"{point}:{count}":
        os.kill(os.getpid(), signal.SIGKILL)


def scan(
    store: Store,
    targets: Iterable[tuple[str, str]],
    config: Config,
    *,
    stages: Iterable[str] = AVAILABLE_STAGES,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    analyze: bool = True,
) -> ScanSummary:
    """Scan `targets` ((path or URL, display name) pairs) into `store`, then recompute metrics unless
    `analyze` is false (many single-repository scans followed by one `analyze_all`)."""
    from devmetrics.collectors import git, mirror

    started = time.monotonic()
    summary = ScanSummary(run_id=uuid.uuid4().hex[:12])
    wanted = set(stages)
    targets = list(targets)
    options = git.HistoryOptions(config.scan.detect_renames, config.scan.rename_threshold)
    plans: list[_RepoPlan] = []
    if "history" in wanted:
        for target, name in targets:
            outcome = RepoOutcome(target=target, name=name)
            summary.outcomes.append(outcome)
            scan_id = store.start_scan(summary.run_id, target, "history", __version__)
            try:
                local = outcome.local_path = mirror.local_path(target, Path(config.scan.clone_dir))
                plan = _plan(store, local, target, name, options, config, scan_id, outcome)
            except DevmetricsError as error:
                _fail(store, scan_id, outcome, str(error), None)
                log.error("%s", error)
                continue
            if plan is not None:
                plans.append(plan)
        _run_chunks(store, plans, options, config, progress, executor)
    if "code" in wanted:
        _run_code(store, targets, summary, config, progress, executor)
    if "hosts" in wanted:
        _run_hosts(store, targets, summary, config)
    if analyze:
        summary.metric_rows = analyze_all(store, config)
    summary.seconds = time.monotonic() - started
    return summary


def _run_code(
    store: Store,
    targets: list[tuple[str, str]],
    summary: ScanSummary,
    config: Config,
    progress: Callable[[int, int], None] | None,
    executor: Executor | None,
) -> None:
    """The code stage for every target whose history stage (when it ran) did not fail."""
    from devmetrics.analyzers.code import stage as code_stage

    outcomes = {outcome.target: outcome for outcome in summary.outcomes}
    code_only = set()
    jobs: list[tuple[RepoOutcome, code_stage.CodeJob]] = []
    for target, name in targets:
        outcome = outcomes.get(target)
        if outcome is None:  # --only code
            outcome = outcomes[target] = RepoOutcome(target=target, name=name)
            summary.outcomes.append(outcome)
            code_only.add(target)
        if outcome.status != "failed":
            jobs.append((outcome, code_stage.CodeJob(target, outcome.name, outcome.local_path or None)))
    results = code_stage.run(
        store, [job for _, job in jobs], config, run_id=summary.run_id, executor=executor, progress=progress
    )
    for (outcome, _job), result in zip(jobs, results, strict=True):
        outcome.code = result
        outcome.name = outcome.name or result.name
        outcome.seconds += result.seconds
        if result.status == "failed" or outcome.target in code_only:
            outcome.status, outcome.reason = result.status, result.reason


def _run_hosts(store: Store, targets: list[tuple[str, str]], summary: ScanSummary, config: Config) -> None:
    """The hosts stage: pull requests of the targets on an active code host and of configured repositories."""
    from devmetrics.collectors import git, mirror
    from devmetrics.collectors.hostdata import any_host_requested

    if not any_host_requested(config, os.environ):
        return  # no token and no configured repository: nothing to do, and no network call
    try:
        from devmetrics import host_scan
    except ModuleNotFoundError as error:
        if error.name != "httpx":
            raise
        raise DevmetricsError(
            "the hosts stage needs httpx: pip install 'devmetrics[hosts]' (or scan with --only history --only code)"
        ) from error
    outcomes = {outcome.target: outcome for outcome in summary.outcomes}
    scanned: list[host_scan.ScannedRepo] = []
    for target, name in targets:
        outcome = outcomes.get(target)
        if outcome is not None and outcome.status == "failed":
            continue
        if mirror.is_url(target):
            host, owner_name, _ = git.parse_remote(target)
            scanned.append(host_scan.ScannedRepo(target, host, owner_name, None))
            continue
        try:
            ref = git.inspect_repository(target, name=name)
        except DevmetricsError as error:  # only with --only hosts: the history stage reports it otherwise
            outcome = outcomes[target] = RepoOutcome(target=target, name=name, status="failed", reason=str(error))
            summary.outcomes.append(outcome)
            log.error("%s", error)
            continue
        scanned.append(host_scan.ScannedRepo(target, ref.host, ref.owner_name, ref))
    for repo in scanned:  # --only hosts: every target is reported, on a code host or not
        if repo.target not in outcomes:
            name = repo.ref.name if repo.ref else mirror.display_name(repo.target)
            outcome = outcomes[repo.target] = RepoOutcome(target=repo.target, name=name)
            summary.outcomes.append(outcome)
    for result in host_scan.run(store, scanned, config, run_id=summary.run_id).outcomes:
        outcome = outcomes.get(result.local_target or "")
        if outcome is None:
            outcome = RepoOutcome(target=result.target, name=result.name)
            summary.outcomes.append(outcome)
        outcome.hosts = result
        outcome.name = outcome.name or result.name
        outcome.seconds += result.seconds
        if result.status == "failed":
            outcome.status, outcome.reason = "failed", result.reason


def _plan(
    store: Store,
    local: str,
    target: str,
    name: str,
    options: HistoryOptions,
    config: Config,
    scan_id: int,
    outcome: RepoOutcome,
) -> _RepoPlan | None:
    from devmetrics.collectors import git as git_module

    started = time.monotonic()
    from devmetrics.collectors import mirror

    if local != target and not name:  # a mirror is named after its URL, not its cache folder
        name = mirror.display_name(target)
    ref = git_module.inspect_repository(local, name=name)
    outcome.name, outcome.is_shallow = ref.name, ref.is_shallow
    with store.transaction():
        repo_id = store.upsert_repo(ref)
    tips = git_module.ref_tips(ref.path, target, all_refs=config.scan.all_refs)
    state: dict[str, object] = {"tips": tips, "options": repr(options), "all_refs": config.scan.all_refs}
    if store.sync_state(repo_id, "git", "history") == state:
        outcome.status = "unchanged"
        outcome.reachable = len(store.reachable_shas(repo_id))
        outcome.seconds = time.monotonic() - started
        with store.transaction():
            store.mark_repo_scanned(repo_id, tips.get("HEAD") or _first(tips))
            store.finish_scan(scan_id, "ok", repo_id=repo_id, reason="unchanged")
        return None
    reachable = git_module.reachable_commits(ref.path, target, sorted(set(tips.values())))
    stored = store.stored_shas(repo_id)
    missing = [sha for sha in reachable if sha not in stored]
    size = config.scan.chunk_size
    chunks = [tuple(missing[i : i + size]) for i in range(0, len(missing), size)]
    outcome.seconds = time.monotonic() - started
    return _RepoPlan(target, ref, repo_id, scan_id, tips, reachable, chunks, state, outcome, len(chunks))


def _first(tips: dict[str, str]) -> str | None:
    return next(iter(tips.values()), None)


def _run_chunks(
    store: Store,
    plans: list[_RepoPlan],
    options: HistoryOptions,
    config: Config,
    progress: Callable[[int, int], None] | None,
    executor: Executor | None,
) -> None:
    from devmetrics.collectors import git as git_module

    tasks = [
        (plan, git_module.ChunkTask(plan.ref.path, plan.target, chunk, options))
        for plan in plans
        for chunk in plan.chunks
    ]
    total = sum(len(task.shas) for _, task in tasks)
    if progress:
        progress(0, total)
    for plan in plans:  # nothing new to read: only reachability may have changed
        if plan.chunks_left == 0:
            _finish_repo(store, plan)
    if not tasks:
        return
    own_executor = executor is None
    pool = executor or make_executor(config, len(tasks))
    failed: set[int] = set()
    written = 0
    try:
        for number, (plan, task, result) in enumerate(_ordered(pool, git_module.read_chunk, tasks), start=1):
            if plan.repo_id in failed:
                continue
            if isinstance(result, BaseException):
                failed.add(plan.repo_id)
                reason = str(result) if isinstance(result, DevmetricsError) else f"{plan.target}: {result!r}"
                _fail(store, plan.scan_id, plan.outcome, reason, plan.repo_id)
                log.error("%s", reason)
                continue
            _write_chunk(store, plan, result, number)
            written += len(task.shas)
            if progress:
                progress(written, total)
            if plan.chunks_left == 0:
                _finish_repo(store, plan)
    finally:
        if own_executor:
            pool.shutdown(wait=True, cancel_futures=True)


def _ordered(
    pool: Executor, function: Callable[[ChunkTask], CommitRows], tasks: list[tuple[_RepoPlan, ChunkTask]]
) -> Iterator[tuple[_RepoPlan, ChunkTask, CommitRows | BaseException]]:
    """Results in submission order, with a bounded number of chunks in flight (bounded memory)."""
    ahead = max(2, 2 * (getattr(pool, "_max_workers", None) or os.cpu_count() or 2))
    pending: deque[tuple[_RepoPlan, ChunkTask, Future[CommitRows]]] = deque()
    queue = iter(tasks)
    for plan, task in queue:
        pending.append((plan, task, pool.submit(function, task)))
        if len(pending) >= ahead:
            break
    while pending:
        plan, task, future = pending.popleft()
        try:
            result: CommitRows | BaseException = future.result()
        except Exception as error:  # one repository's failure must not stop the others
            result = error
        for next_plan, next_task in queue:
            pending.append((next_plan, next_task, pool.submit(function, next_task)))
            break
        yield plan, task, result


def _write_chunk(store: Store, plan: _RepoPlan, rows: CommitRows, number: int) -> None:
    with store.transaction():
        added = store.write_commits(plan.repo_id, rows)
        _fault("chunk-uncommitted", number)
    _fault("chunk-committed", number)
    plan.outcome.commits_added += added
    plan.chunks_left -= 1


def _finish_repo(store: Store, plan: _RepoPlan) -> None:
    _fault("before-finish", 1)
    with store.transaction():
        added, removed = store.replace_reachable(plan.repo_id, set(plan.reachable))
        store.set_sync_state(plan.repo_id, "git", "history", plan.state)
        store.mark_repo_scanned(plan.repo_id, plan.tips.get("HEAD") or _first(plan.tips))
        reason = f"history rewritten: {removed} commits no longer reachable" if removed else None
        store.finish_scan(plan.scan_id, "ok", repo_id=plan.repo_id, reason=reason, items=plan.outcome.commits_added)
    plan.outcome.reachable = len(plan.reachable)
    plan.outcome.unreachable_now = removed
    if removed:
        log.warning(
            "%s: history rewritten; %d commits are no longer reachable (kept, not counted)", plan.target, removed
        )
    del added


def _fail(store: Store, scan_id: int, outcome: RepoOutcome, reason: str, repo_id: int | None) -> None:
    outcome.status, outcome.reason = "failed", reason
    with store.transaction():
        store.finish_scan(scan_id, "failed", repo_id=repo_id, reason=reason)


def analyze_all(store: Store, config: Config) -> int:
    """Recompute every analyzer's metrics from the stored facts (each skips when its inputs are unchanged)."""
    from devmetrics.analyzers.registry import ANALYZERS, all_metrics

    with store.transaction():
        store.db.conn.executemany(
            "INSERT INTO metric_definitions (name, title, unit, direction, rollup, analyzer, definition) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET title = excluded.title, "
            "unit = excluded.unit, "
            "direction = excluded.direction, rollup = excluded.rollup, analyzer = excluded.analyzer, "
            "definition = excluded.definition",
            [(m.name, m.title, m.unit, m.direction, m.rollup, analyzer, m.definition) for analyzer, m in all_metrics()],
        )
    total = 0
    for name, analyzer in ANALYZERS.items():
        started = time.perf_counter()
        rows = analyzer.analyze(store, config)
        total += rows
        # `-v` shows where a scan's analysis time goes; the benchmarks read it from `--log-json`.
        log.info("analyzer %s: %d metric rows in %.3f s", name, rows, time.perf_counter() - started)
    return total
