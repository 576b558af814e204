"""Snapshots over history: which revisions are measured, which of their files, and storing the results.

A snapshot is the list of code files of one revision (path, blob, language, why excluded). Metrics are
kept per blob (DESIGN principle 2): a blob met in many snapshots is measured once, by a worker that
reads it with its own `git cat-file --batch`; exclusions depend on the path and live in the snapshot.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pathspec
from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

from devmetrics.analyzers.code.records import STATUS_MINIFIED, STATUS_UNSUPPORTED, BlobMeasurement
from devmetrics.collectors.blobs import (
    ATTRIBUTES_FILE,
    Attributes,
    AttributesFile,
    CatFile,
    TreeEntry,
    read_attributes,
)
from devmetrics.collectors.trees import walk_trees
from devmetrics.config import CodeConfig
from devmetrics.errors import ConfigError

WEEK_SECONDS = 7 * 86_400
KIND_HEAD = "head"
KIND_COMMITS = "commits"  # the code.snapshots choice that measures every commit
KIND_COMMIT = "commit"  # the kind recorded for such a snapshot
KIND_SUPERSEDED = "superseded"  # recorded as HEAD once, no longer HEAD nor the last commit of its period
STATUS_ERROR = "error"  # the engine raised: recorded with the error, re-tried by the next analyzer version
SHEBANG_BYTES = 256
MASK64 = (1 << 64) - 1
BLOCK_HASH = struct.Struct("<IQ")  # (line, hash) of one duplicated-block window
TASK_MIN_BLOBS = 16  # fewer and a worker spends more time starting git than measuring
TASK_MAX_BLOBS = 300
TASK_SHARES = 2  # a task takes 1/(TASK_SHARES × workers) of the bytes still to measure


# --- which revisions -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Revision:
    sha: str
    kind: str  # head, weekly, monthly
    period_start: str  # ISO date: the Monday (UTC) of its week, or the first day of its month
    committed_at: int  # committer time, seconds since the epoch


def period_start(timestamp: int, period: str) -> datetime.date:
    """The UTC week (starting Monday) or month holding `timestamp`, as its first day."""
    day = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).date()
    if period == "month":
        return day.replace(day=1)
    return day - datetime.timedelta(days=day.weekday())


def pick_revisions(chain: Sequence[tuple[str, int]], snapshots: str, max_commits: int = 1) -> list[Revision]:
    """HEAD, then the last commit of every week (or month) of HEAD's first-parent chain, newest first; with
    `snapshots` = commits, HEAD and the commits after it, `max_commits` in all.

    `chain` is `git log --first-parent --format='%H %ct'` order: HEAD first. The last commit of a
    period is the first one met in that order, even when committer times go back and forth.
    """
    if not chain:
        return []
    period = "month" if snapshots == "monthly" else "week"
    head_sha, head_time = chain[0]
    head_period = period_start(head_time, period)
    picked = [Revision(head_sha, KIND_HEAD, head_period.isoformat(), head_time)]
    if snapshots == "head":
        return picked
    if snapshots == KIND_COMMITS:
        # Every commit is measured; in trends each counts for its week, where the newest one stands.
        return picked + [
            Revision(sha, KIND_COMMIT, period_start(committed_at, "week").isoformat(), committed_at)
            for sha, committed_at in chain[1:max_commits]
        ]
    seen = {head_period}
    for sha, committed_at in chain[1:]:
        start = period_start(committed_at, period)
        if start not in seen:
            seen.add(start)
            picked.append(Revision(sha, snapshots, start.isoformat(), committed_at))
    return picked


def within_window(revisions: Sequence[Revision], newest: int, history_weeks: int) -> list[Revision]:
    """HEAD and the revisions committed at most `history_weeks` weeks before `newest` (0: all)."""
    if history_weeks == 0:
        return list(revisions)
    cutoff = newest - history_weeks * WEEK_SECONDS
    return [r for r in revisions if r.kind == KIND_HEAD or r.committed_at >= cutoff]


def parse_chain(log: bytes) -> list[tuple[str, int]]:
    """`git log --format='%H %ct'` output as (sha, committer time) pairs."""
    pairs = []
    for line in log.decode().splitlines():
        sha, _, committed_at = line.partition(" ")
        pairs.append((sha, int(committed_at)))
    return pairs


# --- which files ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExclusionRules:
    """The path rules of snapshots; their hash is recorded with each snapshot, so a change re-lists it."""

    globs: tuple[str, ...]
    max_bytes: int
    languages: frozenset[str] = frozenset()  # empty: every language
    _spec: pathspec.PathSpec[GitIgnoreBasicPattern] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        globs = tuple(glob for glob in self.globs if glob.strip())
        object.__setattr__(self, "globs", globs)
        object.__setattr__(self, "_spec", pathspec.PathSpec(_compile_glob(glob) for glob in globs))

    @classmethod
    def of(cls, config: CodeConfig) -> ExclusionRules:
        from devmetrics.analyzers.code.detect import LANGUAGES

        unknown = sorted(set(config.languages) - LANGUAGES)
        if unknown:
            raise ConfigError(
                f"code.languages: {', '.join(map(repr, unknown))} not known; use some of {', '.join(sorted(LANGUAGES))}"
            )
        return cls(tuple(config.exclude), config.max_file_bytes, frozenset(config.languages))

    @property
    def rules_hash(self) -> str:
        rules: dict[str, object] = {"exclude": self.globs, "max_file_bytes": self.max_bytes}
        if self.languages:  # absent when unset: snapshots listed before the setting existed stay valid
            rules["languages"] = sorted(self.languages)
        text = json.dumps(rules, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def reason(self, entry: TreeEntry, attributes: Attributes, language: str) -> str | None:
        """Why the file is left out of code metrics, or None: its language, globs, linguist attributes, size."""
        if self.languages and language not in self.languages:
            return f"language:{language}"
        check = self._spec.check_file(entry.path)
        if check.include and check.index is not None:
            return f"glob:{self.globs[check.index]}"
        if attributes and _is_true(attributes.value(entry.path, "linguist-generated")):
            return "linguist-generated"
        if attributes and _is_true(attributes.value(entry.path, "linguist-vendored")):
            return "linguist-vendored"
        if entry.size > self.max_bytes:
            return "too_large"
        return None


def _compile_glob(glob: str) -> GitIgnoreBasicPattern:
    try:
        return GitIgnoreBasicPattern(glob)
    except ValueError as error:
        raise ConfigError(f"code.exclude: {glob!r} is not a valid glob ({error}); fix the pattern") from error


def _is_true(value: bool | str | None) -> bool:
    return value is True or value == "true"


@dataclass(frozen=True, slots=True)
class SnapshotFile:
    path: str
    path_raw: bytes | None
    blob: str
    language: str
    excluded: str | None
    size: int = 0  # bytes, as the tree lists them: how much measuring the blob costs, roughly


class SnapshotLister:
    """Lists the code files of revisions of one repository, with caches shared across its revisions.

    A file's entry in a snapshot depends only on its path, blob, mode and the revision's
    `.gitattributes` files, so each such combination is worked out once per repository.
    """

    def __init__(self, repo_path: str, target: str, cat_file: CatFile, rules: ExclusionRules) -> None:
        from devmetrics.analyzers.code import detect

        self._detect = detect.detect_language
        self.repo_path, self.target, self.cat_file, self.rules = repo_path, target, cat_file, rules
        self._attribute_files: dict[tuple[str, str], AttributesFile] = {}
        self._attribute_sets: dict[tuple[tuple[str, str], ...], tuple[int, Attributes]] = {}
        self._files: dict[tuple[str, bytes | None, str, str, int], SnapshotFile | None] = {}
        self._by_path: dict[str, str | None] = {}
        self._by_shebang: dict[tuple[str, str], str | None] = {}

    def list_many(self, chain: Sequence[str], revisions: Sequence[str]) -> Iterator[tuple[str, list[SnapshotFile]]]:
        """(revision, its code files) for each of `revisions`: commits of the first-parent `chain`
        (HEAD first), newest first."""
        for revision, entries in walk_trees(self.repo_path, chain, revisions, target=self.target):
            yield revision, self._snapshot(entries)

    def _snapshot(self, entries: Sequence[TreeEntry]) -> list[SnapshotFile]:
        attributes_id, attributes = self._attributes_of(entries)
        files = []
        known = self._files
        for entry in entries:
            key = (entry.path, entry.path_raw, entry.blob, entry.mode, attributes_id)
            if key in known:
                file = known[key]
            else:
                file = known[key] = self._file(entry, attributes)
            if file is not None:
                files.append(file)
        return files

    def _file(self, entry: TreeEntry, attributes: Attributes) -> SnapshotFile | None:
        language = self._language(entry)
        if language is None:
            return None
        return SnapshotFile(
            entry.path, entry.path_raw, entry.blob, language, self.rules.reason(entry, attributes, language), entry.size
        )

    def _attributes_of(self, entries: Sequence[TreeEntry]) -> tuple[int, Attributes]:
        sources = [entry for entry in entries if entry.path.rsplit("/", 1)[-1] == ATTRIBUTES_FILE]
        key = tuple((entry.path, entry.blob) for entry in sources)
        if key not in self._attribute_sets:
            attributes = read_attributes(self.cat_file, sources, self._attribute_files)
            self._attribute_sets[key] = (len(self._attribute_sets), attributes)
        return self._attribute_sets[key]

    def _language(self, entry: TreeEntry) -> str | None:
        if entry.path not in self._by_path:
            self._by_path[entry.path] = self._detect(entry.path, b"")
        language = self._by_path[entry.path]
        if language is not None or not _may_have_shebang(entry, self.rules.max_bytes):
            return language
        key = (entry.path, entry.blob)
        if key not in self._by_shebang:
            head = self.cat_file.read(entry.blob) or b""
            self._by_shebang[key] = self._detect(entry.path, head[:SHEBANG_BYTES])
        return self._by_shebang[key]


def _may_have_shebang(entry: TreeEntry, max_bytes: int) -> bool:
    """Scripts are executable or have no extension; reading every other file's head would cost a read of
    each data file of the repository."""
    name = entry.path.rsplit("/", 1)[-1]
    return (entry.is_executable or "." not in name) and 2 < entry.size <= max_bytes


# --- measuring (in workers: no database) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeasureItem:
    """A blob to measure: its key, a path it has (for the engine's messages) and its size in bytes."""

    blob: str
    language: str
    path: str
    size: int


@dataclass(frozen=True, slots=True)
class MeasureTask:
    """Blobs for one worker to read and measure: (blob, language, a path it has) each."""

    repo_path: str
    target: str
    items: tuple[tuple[str, str, str], ...]
    max_bytes: int


@dataclass(frozen=True, slots=True)
class MeasuredBlob:
    blob: str
    language: str  # the key it is stored under: the language the snapshot gave its path
    path: str
    measurement: BlobMeasurement | None  # None: the repository does not have the blob


def load_engines() -> None:
    """Import the measuring engines (a worker's first task would otherwise)."""
    import devmetrics.analyzers.code.measure  # noqa: F401


def measure_task(task: MeasureTask) -> list[MeasuredBlob]:
    """Read and measure the blobs of `task` with one `git cat-file --batch` of its own."""
    results = []
    with CatFile(task.repo_path, target=task.target) as cat_file:
        contents = cat_file.read_many(item[0] for item in task.items)
        for (blob, language, path), (_sha, content) in zip(task.items, contents, strict=True):
            measured = None if content is None else measure_content(content, path, language, task.max_bytes)
            results.append(MeasuredBlob(blob, language, path, measured))
    return results


def measure_content(content: bytes, path: str, language: str, max_bytes: int) -> BlobMeasurement:
    """The measurement of one file version; minified, unsupported and failing ones say so in `status`."""
    from devmetrics.analyzers.code.detect import is_minified
    from devmetrics.analyzers.code.measure import measure_blob, not_measured

    try:
        if is_minified(content, language):
            return not_measured(language, content, STATUS_MINIFIED, "minified")
        result = measure_blob(content, path, max_bytes=max_bytes)
    except Exception as error:  # one file the engine chokes on must not stop the repository's scan
        return not_measured(language, content, STATUS_ERROR, f"{type(error).__name__}: {error}"[:300])
    if result is None:
        return not_measured(language, content, STATUS_UNSUPPORTED, f"no engine for {language}")
    return result


def split_tasks(
    repo_path: str, target: str, items: Sequence[MeasureItem], workers: int, max_bytes: int
) -> list[MeasureTask]:
    """Tasks for `workers`, largest blobs first, each task a share of the bytes still left (guided
    self-scheduling): the big tasks come first and the last ones are small, so no worker is left
    measuring a large task alone at the end. Blobs over `max_bytes` are skipped unread, so they weigh 0.
    """
    cost = [0 if item.size > max_bytes else item.size for item in items]
    order = sorted(range(len(items)), key=lambda index: cost[index], reverse=True)
    left = sum(cost)
    tasks: list[MeasureTask] = []
    chunk: list[tuple[str, str, str]] = []
    budget = chunk_bytes = 0.0
    for index in order:
        if not chunk:
            # one worker has nothing to balance: the largest tasks, the fewest cat-file processes
            budget = left / (TASK_SHARES * workers) if workers > 1 else math.inf
        item = items[index]
        chunk.append((item.blob, item.language, item.path))
        chunk_bytes += cost[index]
        left -= cost[index]
        if len(chunk) >= TASK_MAX_BLOBS or (len(chunk) >= TASK_MIN_BLOBS and chunk_bytes >= budget):
            tasks.append(MeasureTask(repo_path, target, tuple(chunk), max_bytes))
            chunk, chunk_bytes = [], 0.0
    if chunk:
        tasks.append(MeasureTask(repo_path, target, tuple(chunk), max_bytes))
    return tasks


# --- rows ----------------------------------------------------------------------------------------------------


def blob_metric_row(item: MeasuredBlob, analyzer_version: str, measured_at: str) -> tuple[object, ...]:
    """A blob_metrics row (store.BLOB_METRIC_COLUMNS order) for a measured blob."""
    m = item.measurement
    assert m is not None
    cyclomatic = [function.cyclomatic for function in m.functions]
    return (
        item.blob,
        item.language,
        analyzer_version,
        m.engine,
        m.status,
        m.reason,
        m.lines_total,
        m.lines_code,
        m.lines_comment,
        m.lines_blank,
        len(m.functions),
        sum(cyclomatic),
        sum(function.cognitive for function in m.functions),
        max(cyclomatic, default=0),
        m.maintainability,
        m.halstead_volume,
        json.dumps([[marker.line, marker.kind, marker.text] for marker in m.markers], ensure_ascii=False),
        pack_block_hashes(m.block_hashes),
        measured_at,
    )


def function_metric_rows(item: MeasuredBlob, analyzer_version: str) -> list[tuple[object, ...]]:
    """function_metrics rows (store.FUNCTION_METRIC_COLUMNS order) of a measured blob."""
    assert item.measurement is not None
    return [
        (
            item.blob,
            item.language,
            analyzer_version,
            f.qualified_name,
            f.start_line,
            f.end_line,
            f.cyclomatic,
            f.cognitive,
            f.length,
            f.max_nesting,
            f.parameters,
        )
        for f in item.measurement.functions
    ]


def pack_block_hashes(block_hashes: Iterable[tuple[int, int]]) -> bytes:
    """(line, hash) pairs packed as little-endian uint32 + uint64; hashes are taken modulo 2**64."""
    return b"".join(BLOCK_HASH.pack(line, value & MASK64) for line, value in block_hashes)


def unpack_block_hashes(packed: bytes) -> list[tuple[int, int]]:
    return [(line, value) for line, value in BLOCK_HASH.iter_unpack(packed)]


def snapshot_rows(
    repo_id: int, revision: str, files: Iterable[SnapshotFile], minified: set[tuple[str, str]]
) -> list[tuple[object, ...]]:
    """snapshots rows (store.SNAPSHOT_COLUMNS order); a minified blob is excluded wherever it appears."""
    return [
        (
            repo_id,
            revision,
            f.path,
            f.blob,
            f.language,
            f.excluded or (STATUS_MINIFIED if (f.blob, f.language) in minified else None),
            f.path_raw,
        )
        for f in files
    ]
