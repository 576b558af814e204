"""The `code` stage of a scan: snapshots over history, then the changed line ranges of the analysis window.

Per repository: pick HEAD and the last first-parent commit of every week (or month) in the window, list
each new one's code files, measure the blobs no earlier scan measured (in workers, a chunk of blobs
each, written one chunk per transaction by this process, the one writer), then store each snapshot
with its revision row in one transaction: the revision row marks a finished snapshot, so a killed
stage resumes with the revisions still missing and the blobs still unmeasured. Finally one
`git log -U0` over the window fills `hunks`, from where the previous pass stopped.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path

from devmetrics import __version__
from devmetrics.analyzers.code.records import STATUS_MINIFIED
from devmetrics.analyzers.code.snapshots import (
    KIND_HEAD,
    KIND_SUPERSEDED,
    ExclusionRules,
    MeasuredBlob,
    MeasureItem,
    MeasureTask,
    Revision,
    SnapshotFile,
    SnapshotLister,
    blob_metric_row,
    function_metric_rows,
    load_engines,
    measure_task,
    parse_chain,
    pick_revisions,
    snapshot_rows,
    split_tasks,
    within_window,
)
from devmetrics.collectors import git, mirror
from devmetrics.collectors.blobs import CatFile
from devmetrics.collectors.gitcli import run_git
from devmetrics.collectors.hunks import HunkWindow, commit_exists, read_hunks
from devmetrics.config import Config
from devmetrics.errors import DevmetricsError
from devmetrics.executors import make_executor, worker_count
from devmetrics.model import RepoRef
from devmetrics.scan import FAULT_ENV
from devmetrics.store import (
    Store,
    blobs_with_status,
    measured_keys,
    recorded_revisions,
    relabel_revision,
    replace_snapshot,
    utc_now,
    write_blob_metrics,
    write_hunks,
)

log = logging.getLogger("devmetrics.scan.code")
STAGE = "code"
BATCH_FILES = 100_000  # snapshot rows listed before their blobs are measured: bounds memory per batch
HUNK_BATCH_ROWS = 20_000
DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class CodeJob:
    """One repository for the stage: `local_path` is None when a URL still has to be mirrored."""

    target: str
    name: str = ""
    local_path: str | None = None


@dataclass
class CodeOutcome:
    """What the stage did for one repository, for the scan summary."""

    target: str
    name: str = ""
    status: str = "ok"  # ok, unchanged, failed
    revisions: int = 0  # snapshots listed and stored by this run
    revisions_kept: int = 0  # snapshots already stored for this analyzer version and these rules
    blobs_measured: int = 0
    blobs_reused: int = 0  # needed by a new snapshot, already measured
    blobs_missing: int = 0  # listed in a tree but absent from the repository (partial clone)
    excluded: dict[str, int] = field(default_factory=dict)  # reason -> distinct paths in new snapshots
    hunks: int = 0  # new hunks rows
    hunk_commits: int = 0  # commits read by the -U0 pass
    reason: str = ""
    seconds: float = 0.0


def run(
    store: Store,
    jobs: Sequence[CodeJob],
    config: Config,
    *,
    run_id: str,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[CodeOutcome]:
    """Run the stage for every job; a failing repository is recorded and the others go on."""
    from devmetrics.analyzers.code.measure import ANALYZER_VERSION

    rules = ExclusionRules.of(config.code)  # a bad glob is the configuration's error, not a repository's
    workers = _Workers(config, executor)
    context = _Context(store, config, rules, ANALYZER_VERSION, workers, progress)
    try:
        return [_scan_repository(context, job, run_id) for job in jobs]
    finally:
        workers.shutdown()


# --- one repository -----------------------------------------------------------------------------------------


@dataclass
class _Context:
    store: Store
    config: Config
    rules: ExclusionRules
    version: str
    workers: _Workers
    progress: Callable[[int, int], None] | None
    faults: Counter[str] = field(default_factory=Counter)
    minified: set[tuple[str, str]] | None = None


def _scan_repository(context: _Context, job: CodeJob, run_id: str) -> CodeOutcome:
    started = time.monotonic()
    store = context.store
    outcome = CodeOutcome(job.target)
    scan_id = store.start_scan(run_id, job.target, STAGE, __version__)
    repo_id: int | None = None
    try:
        local = job.local_path or mirror.local_path(job.target, _clone_dir(context.config))
        ref = git.inspect_repository(local, name=job.name or _default_name(job.target, local))
        outcome.name = ref.name
        with store.transaction():
            repo_id = store.upsert_repo(ref)
        recorded = recorded_revisions(store, repo_id)
        if not recorded:  # a first scan measures much: workers start while git runs
            context.workers.warm_up()
        chain = parse_chain(run_git(ref.path, ["log", "--first-parent", "--format=%H %ct", "HEAD"]).stdout)
        _update_snapshots(context, ref, repo_id, chain, recorded, outcome)
        _update_hunks(context, ref, repo_id, chain, outcome)
    except Exception as error:  # one repository's failure must not stop the others
        reason = str(error) if isinstance(error, DevmetricsError) else f"{job.target}: {error!r}"
        outcome.status, outcome.reason = "failed", reason
        log.error("%s", reason)
        with store.transaction():
            store.finish_scan(scan_id, "failed", repo_id=repo_id, reason=reason)
        return outcome
    if outcome.revisions == 0 and outcome.hunk_commits == 0:
        outcome.status = "unchanged"
    outcome.seconds = time.monotonic() - started
    note = "unchanged" if outcome.status == "unchanged" else None
    with store.transaction():
        store.finish_scan(scan_id, "ok", repo_id=repo_id, reason=note, items=outcome.blobs_measured)
    return outcome


def _clone_dir(config: Config) -> Path:
    return Path(config.scan.clone_dir)


def _default_name(target: str, local: str) -> str:
    return mirror.display_name(target) if local != target else ""


# --- snapshots ------------------------------------------------------------------------------------------------


def _update_snapshots(
    context: _Context,
    ref: RepoRef,
    repo_id: int,
    chain: list[tuple[str, int]],
    recorded: dict[str, tuple[str, str, str]],
    outcome: CodeOutcome,
) -> None:
    store, code, rules = context.store, context.config.code, context.rules
    picked = pick_revisions(chain, code.snapshots, code.history_commits)
    newest = max(committed_at for _, committed_at in chain)
    wanted = within_window(picked, newest, code.history_weeks)
    _relabel(store, repo_id, picked, recorded)
    current = (context.version, rules.rules_hash)
    todo = [r for r in wanted if r.sha not in recorded or recorded[r.sha][1:] != current]
    outcome.revisions_kept = len(wanted) - len(todo)
    if not todo:
        return
    if not recorded or len(todo) > 1:  # much to measure: workers start while the trees are listed
        context.workers.warm_up()
    if context.minified is None:
        context.minified = blobs_with_status(store, context.version, STATUS_MINIFIED)
    excluded: dict[str, set[str]] = {}
    with CatFile(ref.path, target=outcome.target) as cat_file:
        lister = SnapshotLister(ref.path, outcome.target, cat_file, rules)
        for batch in _batches(lister, [sha for sha, _ in chain], todo):
            _measure_batch(context, ref, batch, outcome)
            for revision, files in batch:
                _store_snapshot(context, repo_id, revision, files, rules.rules_hash)
                _count_exclusions(files, context.minified, excluded)
                outcome.revisions += 1
                if context.progress:
                    context.progress(outcome.revisions, len(todo))
    outcome.excluded = {reason: len(paths) for reason, paths in sorted(excluded.items())}


def _relabel(store: Store, repo_id: int, picked: Sequence[Revision], recorded: dict[str, tuple[str, str, str]]) -> None:
    """Keep `kind` true as HEAD moves: the new HEAD is `head`, an earlier HEAD becomes its period's
    pick or, when a later commit of its period took that place, `superseded`."""
    kinds = {revision.sha: revision.kind for revision in picked}
    changes = [
        (sha, kinds.get(sha, KIND_SUPERSEDED))
        for sha, (kind, _version, _rules) in recorded.items()
        if (kind == KIND_HEAD or sha in kinds) and kinds.get(sha, KIND_SUPERSEDED) != kind
    ]
    if changes:
        with store.transaction():
            for sha, kind in changes:
                relabel_revision(store, repo_id, sha, kind)


def _batches(
    lister: SnapshotLister, chain: Sequence[str], todo: Sequence[Revision]
) -> Iterator[list[tuple[Revision, list[SnapshotFile]]]]:
    """Listed revisions, in batches of about BATCH_FILES snapshot rows, HEAD first."""
    by_sha = {revision.sha: revision for revision in todo}
    batch: list[tuple[Revision, list[SnapshotFile]]] = []
    rows = 0
    for sha, files in lister.list_many(chain, [revision.sha for revision in todo]):
        batch.append((by_sha[sha], files))
        rows += len(files)
        if rows >= BATCH_FILES:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


def _measure_batch(
    context: _Context, ref: RepoRef, batch: Sequence[tuple[Revision, list[SnapshotFile]]], outcome: CodeOutcome
) -> None:
    needed: dict[tuple[str, str], SnapshotFile] = {}
    for _revision, files in batch:
        for f in files:
            if f.excluded is None:
                needed.setdefault((f.blob, f.language), f)
    known = measured_keys(context.store, context.version, needed)
    outcome.blobs_reused += len(known)
    items = [MeasureItem(f.blob, f.language, f.path, f.size) for key, f in needed.items() if key not in known]
    tasks = split_tasks(ref.path, outcome.target, items, context.workers.count, context.config.code.max_file_bytes)
    for measured in context.workers.results(tasks):
        _write_measurements(context, measured, outcome)


def _write_measurements(context: _Context, measured: list[MeasuredBlob], outcome: CodeOutcome) -> None:
    found = [item for item in measured if item.measurement is not None]
    now = utc_now()
    with context.store.transaction():
        write_blob_metrics(
            context.store,
            [blob_metric_row(item, context.version, now) for item in found],
            [row for item in found for row in function_metric_rows(item, context.version)],
        )
        _fault(context, "code-task-uncommitted")
    _fault(context, "code-task-committed")
    assert context.minified is not None
    context.minified.update(
        (item.blob, item.language)
        for item in found
        if item.measurement is not None and item.measurement.status == STATUS_MINIFIED
    )
    outcome.blobs_measured += len(found)
    outcome.blobs_missing += len(measured) - len(found)


def _store_snapshot(
    context: _Context, repo_id: int, revision: Revision, files: list[SnapshotFile], rules_hash: str
) -> None:
    assert context.minified is not None
    revision_row = (
        repo_id,
        revision.sha,
        revision.kind,
        revision.period_start,
        revision.committed_at,
        context.version,
        rules_hash,
    )
    with context.store.transaction():
        replace_snapshot(context.store, revision_row, snapshot_rows(repo_id, revision.sha, files, context.minified))
    _fault(context, "snapshot-committed")


def _count_exclusions(files: list[SnapshotFile], minified: set[tuple[str, str]], into: dict[str, set[str]]) -> None:
    for f in files:
        reason = f.excluded or (STATUS_MINIFIED if (f.blob, f.language) in minified else None)
        if reason is not None:
            into.setdefault(reason, set()).add(f.path)


# --- hunks ----------------------------------------------------------------------------------------------------


def _update_hunks(
    context: _Context, ref: RepoRef, repo_id: int, chain: list[tuple[str, int]], outcome: CodeOutcome
) -> None:
    """Read the hunks of the commits of the window that no earlier pass read; the sync state holds the
    tip and window start of the last complete pass."""
    store, config = context.store, context.config
    head = chain[0][0]
    since = max(committed_at for _, committed_at in chain) - config.code.hunks_days * DAY_SECONDS
    renames = [config.scan.detect_renames, config.scan.rename_threshold]
    state = store.sync_state(repo_id, "git", "hunks")
    exclude: tuple[str, ...] = ()
    if state and state.get("renames") == renames and int(state.get("since", since + 1)) <= since:
        if state.get("tip") == head:
            return
        if commit_exists(ref.path, str(state["tip"])):
            exclude = (str(state["tip"]),)
    window = HunkWindow(head, since, exclude, config.scan.detect_renames, config.scan.rename_threshold)
    rows: list[tuple[object, ...]] = []
    for sha, hunks in read_hunks(ref.path, window, target=outcome.target):
        outcome.hunk_commits += 1
        rows.extend(
            (repo_id, sha, h.path, h.old_start, h.old_lines, h.new_start, h.new_lines, h.path_raw) for h in hunks
        )
        if len(rows) >= HUNK_BATCH_ROWS:
            outcome.hunks += _write_hunk_rows(context, rows)
            rows = []
    with store.transaction():
        outcome.hunks += write_hunks(store, rows)
        store.set_sync_state(repo_id, "git", "hunks", {"tip": head, "since": since, "renames": renames})


def _write_hunk_rows(context: _Context, rows: list[tuple[object, ...]]) -> int:
    with context.store.transaction():
        added = write_hunks(context.store, rows)
    _fault(context, "hunks-committed")
    return added


# --- workers ------------------------------------------------------------------------------------------------


class _Workers:
    """The executor measuring tasks run on: made on first need, shared by every repository of the stage."""

    def __init__(self, config: Config, executor: Executor | None) -> None:
        self.config = config
        self.count = getattr(executor, "_max_workers", None) or worker_count(config)
        self._given = executor
        self._pool: Executor | None = executor

    def results(self, tasks: Sequence[MeasureTask]) -> Iterator[list[MeasuredBlob]]:
        """Each task's result in submission order, with a bounded number of tasks in flight."""
        if not tasks:
            return
        if len(tasks) == 1 and self._pool is None:  # no pool for a few blobs: starting one costs more
            yield measure_task(tasks[0])
            return
        if self._pool is None:
            self._pool = make_executor(self.config, len(tasks))  # a cat-file runs: no fork
        yield from _in_order(self._pool, tasks, ahead=2 * max(1, self.count))

    def warm_up(self) -> None:
        """Start the pool and have each worker load the engines now, not when the first task arrives.

        Called only where no git process of this one runs, so the workers may be forked copies of it.
        """
        if self._pool is not None or self.count <= 1:
            return
        self._pool = make_executor(self.config, self.count, fork=True)
        for _ in range(self.count):
            self._pool.submit(load_engines)

    def shutdown(self) -> None:
        if self._pool is not None and self._pool is not self._given:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None


def _in_order(pool: Executor, tasks: Sequence[MeasureTask], *, ahead: int) -> Iterator[list[MeasuredBlob]]:
    pending: deque[Future[list[MeasuredBlob]]] = deque()
    queue = iter(tasks)
    try:
        for task in queue:
            pending.append(pool.submit(measure_task, task))
            if len(pending) >= ahead:
                break
        while pending:
            result = pending.popleft().result()
            for task in queue:
                pending.append(pool.submit(measure_task, task))
                break
            yield result
    finally:
        for future in pending:  # the repository failed or the scan stops: drop what is still queued
            future.cancel()


def _fault(context: _Context, point: str) -> None:
    """Kill this process with SIGKILL at a named point, counted per point: DEVMETRICS_FAULT=point:count."""
    context.faults[point] += 1
    if os.environ.get(FAULT_ENV) == f"{point}:{context.faults[point]}":
        os.kill(os.getpid(), signal.SIGKILL)
