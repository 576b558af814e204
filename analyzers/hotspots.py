"""Hotspots (DESIGN §5): where change meets complexity. Per file at HEAD: the commits of a recent window
that changed it × its complexity, and its ownership (main author's share, number of authors); per
function: the commits whose changed line ranges (hunks) touched it; between files: change coupling as
code-maat defines it (shared commits ÷ average commits of the pair, large change sets ignored).

Results live in `metric_values` with these scopes, so that dashboards read the top N of a repository:
file `<repo identity>:<path>`; function `<repo identity>:<path>:<start line at HEAD>:<qualified name>`;
file pair `<repo identity>:<path> <-> <path>`; repo `<repo identity>`. The period starts on the first day
of the window and its length is the window (`90d`). People are never named: only shares and counts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

from devmetrics.analyzers.code.records import STATUS_NOT_UTF8, STATUS_OK, STATUS_PARSE_ERROR
from devmetrics.analyzers.debt import NO_CODE_DATA, RepoInfo, has_code_data, read_repos, trust_signals, utc_day
from devmetrics.errors import EXIT_USAGE, DevmetricsError
from devmetrics.metrics import MetricDef
from devmetrics.store import MetricValue

if TYPE_CHECKING:
    from devmetrics.config import Config, HotspotsConfig
    from devmetrics.store import Store

NAME = "hotspots"
VERSION = "1"
DAY = 86400
PAIR = " <-> "
MEASURED_STATUSES = (STATUS_OK, STATUS_PARSE_ERROR, STATUS_NOT_UTF8)
PARSED_STATUSES = (STATUS_OK, STATUS_NOT_UTF8)  # their functions were read
BATCH = 400  # blobs per query: under SQLite's limit of bound parameters

WINDOW_NOTE = (
    "Window: the hotspots.window_days (90) days up to the repository's newest reachable commit, by author "
    "date; non-merge commits reachable from the scanned refs; files measured at HEAD (not excluded), renames "
    "in the window followed."
)
METRICS = (
    MetricDef(
        "hotspots.file_score",
        "Hotspot score",
        "revisions × complexity",
        "lower",
        "max",
        f"A file's commits in the window × its complexity at HEAD (hotspots.file_complexity). {WINDOW_NOTE} "
        "n = commits.",
    ),
    MetricDef(
        "hotspots.file_revisions",
        "Change frequency",
        "commits",
        "neutral",
        "sum",
        f"Commits in the window that changed the file. {WINDOW_NOTE}",
    ),
    MetricDef(
        "hotspots.file_complexity",
        "Complexity at HEAD",
        "points",
        "lower",
        "sum",
        "Sum of the cyclomatic complexity of the file's functions at HEAD; code lines when it has none. "
        "n = functions (0: the value is code lines).",
    ),
    MetricDef(
        "hotspots.file_authors",
        "Authors",
        "authors",
        "neutral",
        "distinct",
        f"Distinct author e-mails (after .mailmap) of the window's commits that changed the file. {WINDOW_NOTE} "
        "n = commits.",
    ),
    MetricDef(
        "hotspots.file_main_author_share",
        "Main author's share",
        "fraction",
        "neutral",
        "max",
        f"The share of the file's commits in the window made by its most frequent author (who is never named). "
        f"{WINDOW_NOTE} n = commits.",
    ),
    MetricDef(
        "hotspots.function_revisions",
        "Function change frequency",
        "commits",
        "neutral",
        "max",
        "Distinct commits of the window whose hunks (changed line ranges, new side) touch a function present at "
        "HEAD. A hunk's lines refer to the file as of its commit: they are matched with the functions measured "
        "in that version of the file and carried to HEAD by qualified name; when that version was not measured, "
        "HEAD's line ranges stand in (hotspots.function_mapping_exact says how often). A pure deletion touches "
        f"the function it sat strictly inside. Commits without recorded hunks (code.hunks_days) do not count. "
        f"{WINDOW_NOTE} n = commits.",
    ),
    MetricDef(
        "hotspots.function_mapping_exact",
        "Hunks mapped with their own version",
        "fraction",
        "higher",
        "ratio",
        "Of the (commit, file) pairs mapped onto functions, the share mapped with the function line ranges of "
        "the file as of that commit; the rest used HEAD's ranges. n = pairs.",
    ),
    MetricDef(
        "hotspots.coupling_degree",
        "Change coupling",
        "percent",
        "neutral",
        "max",
        "code-maat's logical coupling of two files: commits changing both ÷ the average of their commits × 100; "
        "commits changing more than hotspots.max_changeset_files (30) files are ignored; pairs need an average "
        "of hotspots.min_revisions (5) commits, hotspots.min_shared_revisions (5) shared ones and a degree of "
        f"hotspots.min_coupling (30) percent. {WINDOW_NOTE} n = shared commits.",
    ),
    MetricDef(
        "hotspots.window_commits",
        "Commits in the hotspot window",
        "commits",
        "neutral",
        "sum",
        f"Non-merge commits in the repository's hotspot window. {WINDOW_NOTE}",
    ),
)
METRIC_NAMES = tuple(metric.name for metric in METRICS)


# ----------------------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class HeadFile:
    path: str
    blob: str
    language: str
    functions: int
    cyclomatic: int
    code_lines: int

    @property
    def complexity(self) -> int:
        return self.cyclomatic if self.functions else self.code_lines


@dataclass(frozen=True, slots=True)
class FunctionRange:
    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Change:
    """One commit's change of one file, newest commits first."""

    sha: str
    author: str
    path: str  # as the commit names it
    old_path: str | None
    change_type: str
    blob: str | None


@dataclass(frozen=True, slots=True)
class Touch:
    sha: str
    author: str
    path: str  # as the commit names it: the path of its hunks
    head_path: str
    blob: str | None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class FileHotspot:
    path: str
    revisions: int
    complexity: int
    functions: int
    authors: int
    main_author_share: float

    @property
    def score(self) -> int:
        return self.revisions * self.complexity


@dataclass(frozen=True, slots=True)
class FunctionHotspot:
    path: str
    name: str
    line: int
    revisions: int


@dataclass(frozen=True, slots=True)
class Coupling:
    path: str
    coupled: str
    shared: int
    revisions_sum: int  # commits of the first plus commits of the second

    @property
    def degree(self) -> float:
        return 200 * self.shared / self.revisions_sum

    @property
    def average_revisions(self) -> float:
        return self.revisions_sum / 2


@dataclass(frozen=True)
class RepoHotspots:
    identity: str
    window_start: str
    commits: int
    files: tuple[FileHotspot, ...]
    functions: tuple[FunctionHotspot, ...]
    couplings: tuple[Coupling, ...]
    mapped_exact: int
    mapped_by_head: int


# ----------------------------------------------------------------------------------------- pure parts


def follow_renames(changes: Iterable[Change]) -> list[Touch]:
    """Give every change (newest commit first) the path its file has at HEAD: a rename in a commit makes
    older changes of the old path count for the new one."""
    head_names: dict[str, str] = {}
    touches = []
    for change in changes:
        head_path = head_names.get(change.path, change.path)
        deleted = change.change_type == "D"
        touches.append(Touch(change.sha, change.author, change.path, head_path, change.blob, deleted))
        if change.old_path and change.change_type.startswith("R"):
            head_names[change.old_path] = head_path
    return touches


def ownership(touches: Iterable[Touch]) -> dict[str, tuple[int, float]]:
    """head path -> (authors, main author's share of its commits)."""
    authors: defaultdict[str, dict[str, str]] = defaultdict(dict)  # head path -> sha -> author
    for touch in touches:
        authors[touch.head_path][touch.sha] = touch.author
    result = {}
    for path, by_sha in authors.items():
        counts = Counter(by_sha.values())
        result[path] = (len(counts), max(counts.values()) / len(by_sha))
    return result


def change_coupling(change_sets: Iterable[Sequence[str]], settings: HotspotsConfig) -> list[Coupling]:
    """code-maat's coupling over change sets (the files of one commit each; larger ones already dropped)."""
    revisions: Counter[str] = Counter()
    shared: Counter[tuple[str, str]] = Counter()
    for files in change_sets:
        entities = sorted(set(files))
        revisions.update(entities)
        shared.update(combinations(entities, 2))
    couplings = []
    for (path, coupled), together in shared.items():
        total = revisions[path] + revisions[coupled]
        if (
            total >= 2 * settings.min_revisions
            and together >= settings.min_shared_revisions
            and 200 * together >= settings.min_coupling * total
        ):
            couplings.append(Coupling(path, coupled, together, total))
    return sorted(couplings, key=lambda c: (-c.degree, -c.shared, c.path, c.coupled))


def hunk_touches(function: FunctionRange, new_start: int, new_lines: int) -> bool:
    """Whether a hunk's new-side range touches the function's lines. A pure deletion (no new lines) sits
    after line new_start; it touches the function only when strictly inside it."""
    if new_lines == 0:
        return function.start <= new_start < function.end
    return new_start <= function.end and new_start + new_lines - 1 >= function.start


@dataclass
class FunctionMapping:
    head: dict[str, list[FunctionRange]]  # head path -> functions at HEAD
    versions: dict[str, list[FunctionRange]]  # blob -> functions of that measured version
    revisions: defaultdict[tuple[str, FunctionRange], set[str]] = dataclasses.field(
        default_factory=lambda: defaultdict(set)
    )
    exact: int = 0
    by_head: int = 0

    def add(self, touch: Touch, hunks: Sequence[tuple[int, int]]) -> None:
        head = self.head.get(touch.head_path)
        if not head or not hunks or touch.deleted:
            return
        own = self.versions.get(touch.blob or "")
        if own is not None:
            names = {f.name for f in own if any(hunk_touches(f, start, lines) for start, lines in hunks)}
            targets = [f for f in head if f.name in names]
            self.exact += 1
        else:
            targets = [f for f in head if any(hunk_touches(f, start, lines) for start, lines in hunks)]
            self.by_head += 1
        for function in targets:
            self.revisions[(touch.head_path, function)].add(touch.sha)

    def hotspots(self) -> list[FunctionHotspot]:
        found = [
            FunctionHotspot(path, function.name, function.start, len(shas))
            for (path, function), shas in self.revisions.items()
        ]
        return sorted(found, key=lambda f: (-f.revisions, f.path, f.line, f.name))


# ----------------------------------------------------------------------------------------- reading facts


def _head_snapshot(store: Store, repo_id: int) -> tuple[str, str] | None:
    """(revision, analyzer version) of HEAD's snapshot; else of the newest snapshot."""
    row = store.db.execute(
        "SELECT r.revision, r.analyzer_version FROM snapshot_revisions r JOIN repos p ON p.id = r.repo_id "
        "WHERE r.repo_id = ? ORDER BY r.kind = 'head' DESC, r.revision = p.head_sha DESC, r.committed_at DESC, "
        "r.revision LIMIT 1",
        [repo_id],
    ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def _head_files(store: Store, repo_id: int, revision: str, version: str) -> dict[str, HeadFile]:
    cursor = store.db.execute(
        "SELECT s.path, s.blob, s.language, b.functions, b.cyclomatic_total, b.lines_code FROM snapshots s "  # noqa: S608
        "JOIN blob_metrics b ON b.blob = s.blob AND b.language = s.language AND b.analyzer_version = ? "
        "WHERE s.repo_id = ? AND s.revision = ? AND s.excluded IS NULL "
        f"AND b.status IN ({', '.join('?' * len(MEASURED_STATUSES))})",
        [version, repo_id, revision, *MEASURED_STATUSES],
    )
    return {row[0]: HeadFile(*row) for row in cursor}


def _functions_of(
    store: Store, version: str, keys: set[tuple[str, str]], statuses: Sequence[str] = PARSED_STATUSES
) -> dict[tuple[str, str], list[FunctionRange]]:
    """(blob, language) -> functions, for the keys whose blob was parsed (an empty list: no functions)."""
    found: dict[tuple[str, str], list[FunctionRange]] = {}
    blobs = sorted({blob for blob, _ in keys})
    for start in range(0, len(blobs), BATCH):
        batch = blobs[start : start + BATCH]
        marks = ", ".join("?" * len(batch))
        parsed = store.db.execute(
            f"SELECT blob, language FROM blob_metrics WHERE analyzer_version = ? AND blob IN ({marks}) "  # noqa: S608
            f"AND status IN ({', '.join('?' * len(statuses))})",
            [version, *batch, *statuses],
        )
        found.update({(blob, language): [] for blob, language in parsed if (blob, language) in keys})
        functions = store.db.execute(
            "SELECT blob, language, qualified_name, start_line, end_line FROM function_metrics "  # noqa: S608
            f"WHERE analyzer_version = ? AND blob IN ({marks}) ORDER BY blob, start_line, qualified_name",
            [version, *batch],
        )
        for blob, language, name, first, last in functions:
            if (blob, language) in found:
                found[(blob, language)].append(FunctionRange(name, first, last))
    return found


# The window's commits: reachable, not merges, authored at or after a time. Built from constants only.
IN_WINDOW = "JOIN reachable r ON r.repo_id = c.repo_id AND r.sha = c.sha WHERE c.repo_id = ? AND c.is_merge = 0 "
IN_WINDOW += "AND c.author_time >= ?"
WINDOW_CHANGES = (
    "SELECT c.sha, lower(c.author_email), f.path, f.old_path, f.change_type, f.new_blob FROM commits c "  # noqa: S608
    f"JOIN file_changes f ON f.repo_id = c.repo_id AND f.sha = c.sha {IN_WINDOW} "
    "ORDER BY c.author_time DESC, c.sha, f.path"
)
WINDOW_HUNKS = (
    "SELECT h.sha, h.path, h.new_start, h.new_lines FROM commits c "  # noqa: S608
    f"JOIN hunks h ON h.repo_id = c.repo_id AND h.sha = c.sha {IN_WINDOW}"
)
WINDOW_COMMITS = f"SELECT count(*) FROM commits c {IN_WINDOW}"  # noqa: S608


def _window_start(store: Store, repo_id: int, days: int) -> int | None:
    row = store.db.execute(
        "SELECT max(c.author_time) FROM commits c JOIN reachable r ON r.repo_id = c.repo_id AND r.sha = c.sha "
        "WHERE c.repo_id = ?",
        [repo_id],
    ).fetchone()
    return None if row[0] is None else int(row[0]) - days * DAY


def _window_changes(store: Store, repo_id: int, since: int) -> tuple[list[Change], dict[str, int]]:
    """The window's changes, newest commit first, and the number of files each commit changed."""
    changes = [Change(*row) for row in store.db.execute(WINDOW_CHANGES, [repo_id, since])]
    sizes = Counter(change.sha for change in changes)
    return changes, dict(sizes)


def _window_hunks(store: Store, repo_id: int, since: int) -> dict[tuple[str, str], list[tuple[int, int]]]:
    hunks: defaultdict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for sha, path, start, lines in store.db.execute(WINDOW_HUNKS, [repo_id, since]):
        hunks[(sha, path)].append((start, lines))
    return hunks


def _window_commits(store: Store, repo_id: int, since: int) -> int:
    return int(store.db.execute(WINDOW_COMMITS, [repo_id, since]).fetchone()[0])


# ----------------------------------------------------------------------------------------- analysis


def repo_hotspots(store: Store, repo_id: int, identity: str, settings: HotspotsConfig) -> RepoHotspots | None:
    """The hotspots of one repository, or None without a measured snapshot or commits."""
    head = _head_snapshot(store, repo_id)
    since = _window_start(store, repo_id, settings.window_days)
    if head is None or since is None:
        return None
    revision, version = head
    files = _head_files(store, repo_id, revision, version)
    changes, sizes = _window_changes(store, repo_id, since)
    touches = [touch for touch in follow_renames(changes) if touch.head_path in files]
    mapping = _function_mapping(store, version, files, touches)
    hunks = _window_hunks(store, repo_id, since)
    for touch in touches:
        mapping.add(touch, hunks.get((touch.sha, touch.path), []))
    change_sets: defaultdict[str, set[str]] = defaultdict(set)
    for touch in touches:
        if sizes[touch.sha] <= settings.max_changeset_files:
            change_sets[touch.sha].add(touch.head_path)
    return RepoHotspots(
        identity=identity,
        window_start=utc_day(since).isoformat(),
        commits=_window_commits(store, repo_id, since),
        files=tuple(_file_hotspots(files, touches)),
        functions=tuple(mapping.hotspots()),
        couplings=tuple(change_coupling((sorted(paths) for paths in change_sets.values()), settings)),
        mapped_exact=mapping.exact,
        mapped_by_head=mapping.by_head,
    )


def _function_mapping(
    store: Store, version: str, files: dict[str, HeadFile], touches: Sequence[Touch]
) -> FunctionMapping:
    head_keys = {(file.blob, file.language) for file in files.values()}
    head_functions = _functions_of(store, version, head_keys)
    head = {path: head_functions.get((file.blob, file.language), []) for path, file in files.items()}
    version_keys = {(touch.blob, files[touch.head_path].language) for touch in touches if touch.blob}
    versions = {blob: ranges for (blob, _), ranges in _functions_of(store, version, version_keys).items()}
    return FunctionMapping({path: ranges for path, ranges in head.items() if ranges}, versions)


def _file_hotspots(files: dict[str, HeadFile], touches: Sequence[Touch]) -> list[FileHotspot]:
    owners = ownership(touches)
    revisions: defaultdict[str, set[str]] = defaultdict(set)
    for touch in touches:
        revisions[touch.head_path].add(touch.sha)
    found = [
        FileHotspot(path, len(shas), files[path].complexity, files[path].functions, *owners[path])
        for path, shas in revisions.items()
    ]
    return sorted(found, key=lambda f: (-f.score, -f.revisions, f.path))


def inputs_hash(store: Store, config: Config) -> str:
    """Changes when the history, a snapshot, the recorded hunks or the `[hotspots]` settings change."""
    settings = json.dumps(dataclasses.asdict(config.hotspots), sort_keys=True)
    digest = hashlib.sha256(f"{NAME}:{VERSION}:{settings}".encode())
    queries = (
        "SELECT p.identity, p.head_sha, s.state FROM repos p LEFT JOIN sync_state s ON s.repo_id = p.id "
        "AND s.source = 'git' AND s.category = 'history' ORDER BY p.identity",
        "SELECT p.identity, r.* FROM snapshot_revisions r JOIN repos p ON p.id = r.repo_id "
        "ORDER BY p.identity, r.revision",
        "SELECT repo_id, revision, count(*), count(excluded) FROM snapshots GROUP BY repo_id, revision "
        "ORDER BY repo_id, revision",
        "SELECT repo_id, count(*) FROM hunks GROUP BY repo_id ORDER BY repo_id",
    )
    for query in queries:
        for row in store.db.execute(query):
            digest.update(f"\n{row!r}".encode())
    return digest.hexdigest()


def is_current(store: Store, config: Config) -> bool:
    return store.metric_inputs_hash(METRIC_NAMES[0]) == inputs_hash(store, config)


def analyze(store: Store, config: Config) -> int:
    digest = inputs_hash(store, config)
    if store.metric_inputs_hash(METRIC_NAMES[0]) == digest:
        return 0
    rows: list[MetricValue] = []
    for repo in read_repos(store):
        found = repo_hotspots(store, repo.repo_id, repo.identity, config.hotspots)
        if found is not None:
            rows += metric_rows(found, config.hotspots.window_days)
    return store.replace_metric_values(METRIC_NAMES, digest, rows)


def metric_rows(found: RepoHotspots, days: int) -> list[MetricValue]:
    def row(metric: str, kind: str, scope: str, value: float | None, n: int) -> MetricValue:
        return MetricValue(metric, kind, scope, found.window_start, f"{days}d", value, n)

    mapped = found.mapped_exact + found.mapped_by_head
    rows = [
        row("hotspots.window_commits", "repo", found.identity, found.commits, found.commits),
        row(
            "hotspots.function_mapping_exact",
            "repo",
            found.identity,
            found.mapped_exact / mapped if mapped else None,
            mapped,
        ),
    ]
    for file in found.files:
        scope = f"{found.identity}:{file.path}"
        rows += [
            row("hotspots.file_score", "file", scope, file.score, file.revisions),
            row("hotspots.file_revisions", "file", scope, file.revisions, file.revisions),
            row("hotspots.file_complexity", "file", scope, file.complexity, file.functions),
            row("hotspots.file_authors", "file", scope, file.authors, file.revisions),
            row("hotspots.file_main_author_share", "file", scope, file.main_author_share, file.revisions),
        ]
    for function in found.functions:
        scope = f"{found.identity}:{function.path}:{function.line}:{function.name}"
        rows.append(row("hotspots.function_revisions", "function", scope, function.revisions, function.revisions))
    for pair in found.couplings:
        scope = f"{found.identity}:{pair.path}{PAIR}{pair.coupled}"
        rows.append(row("hotspots.coupling_degree", "file_pair", scope, pair.degree, pair.shared))
    return rows


# ----------------------------------------------------------------------------------------- reading

TEXT_ROWS = 10
FUNCTION_TAIL = re.compile(r"(\d+):(.*)", re.DOTALL)
Row = tuple[str, str, str, str, str, float | None, int]  # metric, kind, scope tail, start, length, value, n


def report(
    store: Store, config: Config, *, top: int = 10, repo: str | None = None, stale: bool = False
) -> dict[str, Any]:
    """The answer of `devmetrics hotspots --json`, read from metric_values: ranked files, functions and
    coupled pairs per repository, with the trust signals."""
    repos = read_repos(store)
    answer: dict[str, Any] = {
        "definitions": {metric.name: metric.definition for metric in METRICS},
        "settings": dataclasses.asdict(config.hotspots),
        **trust_signals(store, repos),
        "stale": stale,
        "message": None,
        "repositories": [],
    }
    chosen = _chosen(repos, repo)
    if not has_code_data(store):
        answer["message"] = NO_CODE_DATA
        return answer
    rows = _rows_by_repo(store, [info.identity for info in repos])
    answer["repositories"] = [_repo_answer(info, rows.get(info.identity, []), top) for info in chosen]
    return answer


def _chosen(repos: Sequence[RepoInfo], wanted: str | None) -> list[RepoInfo]:
    if wanted is None:
        return list(repos)
    chosen = [info for info in repos if wanted in (info.name, info.identity)]
    if not chosen:
        known = ", ".join(info.name for info in repos) or "none"
        raise DevmetricsError(
            f"--repo {wanted}: no such repository in the database (known: {known})", exit_code=EXIT_USAGE
        )
    return chosen


def _rows_by_repo(store: Store, identities: Sequence[str]) -> dict[str, list[Row]]:
    longest_first = sorted(identities, key=len, reverse=True)
    cursor = store.db.execute(
        f"SELECT metric, scope_kind, scope_id, period_start, period_length, value, n FROM metric_values "  # noqa: S608
        f"WHERE metric IN ({', '.join('?' * len(METRIC_NAMES))})",
        METRIC_NAMES,
    )
    grouped: defaultdict[str, list[Row]] = defaultdict(list)
    for metric, kind, scope, start, length, value, n in cursor:
        if kind == "repo":
            grouped[scope].append((metric, kind, "", start, length, value, n))
            continue
        owner = next((identity for identity in longest_first if scope.startswith(f"{identity}:")), None)
        if owner is not None:
            grouped[owner].append((metric, kind, scope[len(owner) + 1 :], start, length, value, n))
    return grouped


def _repo_answer(info: RepoInfo, rows: Sequence[Row], top: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "name": info.name,
        "identity": info.identity,
        "data_through": info.data_through,
        "shallow": info.is_shallow,
        "message": "no hotspots: no measured HEAD snapshot or no commits",
        "window": None,
        "function_mapping_exact": None,
        "files": [],
        "functions": [],
        "coupling": [],
    }
    window = {row[0]: row for row in rows if row[1] == "repo"}
    if "hotspots.window_commits" not in window:
        return answer
    _, _, _, start, length, commits, _ = window["hotspots.window_commits"]
    exact = window.get("hotspots.function_mapping_exact")
    files = _file_entries(rows)
    paths = {entry["path"] for entry in files}
    return {
        **answer,
        "message": None,
        "window": {
            "start": start,
            "days": int(length.removesuffix("d")),
            "commits": _count(commits),
            "n": _count(commits),
        },
        "function_mapping_exact": None if exact is None else {"share": exact[5], "n": exact[6]},
        "files": _ranked(files[:top]),
        "functions": _ranked(_function_entries(rows, paths)[:top]),
        "coupling": _ranked(_coupling_entries(rows, paths)[:top]),
    }


def _count(value: float | None) -> int:
    """Counts and scores are whole numbers; metric_values stores them as REAL."""
    return 0 if value is None else round(value)


def _ranked(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"rank": rank, **entry} for rank, entry in enumerate(entries, start=1)]


def _file_entries(rows: Sequence[Row]) -> list[dict[str, Any]]:
    by_path: defaultdict[str, dict[str, tuple[float | None, int]]] = defaultdict(dict)
    for metric, kind, tail, _start, _length, value, n in rows:
        if kind == "file":
            by_path[tail][metric.removeprefix("hotspots.file_")] = (value, n)
    entries = [
        {
            "path": path,
            "score": _count(held["score"][0]),
            "revisions": _count(held["revisions"][0]),
            "complexity": _count(held["complexity"][0]),
            "complexity_basis": "cyclomatic" if held["complexity"][1] else "code lines",
            "functions": held["complexity"][1],
            "authors": _count(held["authors"][0]),
            "main_author_share": held["main_author_share"][0],
        }
        for path, held in by_path.items()
        if len(held) == 5
    ]
    return sorted(entries, key=lambda e: (-(e["score"] or 0), -(e["revisions"] or 0), e["path"]))


def _function_entries(rows: Sequence[Row], paths: set[str]) -> list[dict[str, Any]]:
    entries = []
    for metric, _kind, tail, _start, _length, value, _n in rows:
        if metric != "hotspots.function_revisions":
            continue
        split = _split_function(tail, paths)
        if split is not None:
            path, line, name = split
            entries.append({"path": path, "function": name, "line": line, "revisions": _count(value)})
    return sorted(entries, key=lambda e: (-(e["revisions"] or 0), e["path"], e["line"], e["function"]))


def _split_function(tail: str, paths: set[str]) -> tuple[str, int, str] | None:
    """`<path>:<line>:<name>` split with the known paths, so that colons in paths or names do no harm."""
    for path in sorted((p for p in paths if tail.startswith(f"{p}:")), key=len, reverse=True):
        match = FUNCTION_TAIL.fullmatch(tail, len(path) + 1)
        if match:
            return path, int(match[1]), match[2]
    return None


def _coupling_entries(rows: Sequence[Row], paths: set[str]) -> list[dict[str, Any]]:
    entries = []
    for metric, _kind, tail, _start, _length, value, n in rows:
        if metric != "hotspots.coupling_degree" or not value:
            continue
        path = next((p for p in paths if tail.startswith(p + PAIR) and tail[len(p) + len(PAIR) :] in paths), None)
        if path is not None:
            entries.append(
                {
                    "path": path,
                    "coupled": tail[len(path) + len(PAIR) :],
                    "degree": value,
                    "shared_revisions": n,
                    "average_revisions": round(n * 100 / value, 2),
                }
            )
    return sorted(entries, key=lambda e: (-e["degree"], -e["shared_revisions"], e["path"], e["coupled"]))


def render_text(answer: dict[str, Any]) -> list[str]:
    """The answer as lines for a terminal; people are never named."""
    lines = [
        f"Hotspots; data through {answer['data_through'] or 'unknown'}; window {answer['settings']['window_days']} days"
    ]
    if answer["stale"]:
        lines.append("stale: a scan is writing the database; these figures were made before it")
    if answer["partial_history"]:
        lines.append(f"partial history (shallow clones): {', '.join(answer['partial_history'])}")
    lines += [f"FAILED scan: {f['target']} ({f['stage']}): {f['reason']}" for f in answer["failed"]]
    if answer["message"]:
        return [*lines, answer["message"]]
    for scope in answer["repositories"]:
        lines += _repo_lines(scope)
    return lines


def _repo_lines(scope: dict[str, Any]) -> list[str]:
    flag = " [partial history: shallow clone]" if scope["shallow"] else ""
    lines = ["", f"{scope['name']} (data through {scope['data_through']}){flag}"]
    if scope["message"]:
        return [*lines, f"  {scope['message']}"]
    window = scope["window"]
    lines.append(f"  {window['commits']} commits since {window['start']}")
    lines.append("  Files: rank, score (commits × complexity), commits, complexity, authors, main author's share, path")
    lines += [
        f"    {e['rank']:>3}  {e['score']:>9.0f}  {e['revisions']:>5.0f}  {e['complexity']:>6.0f}  "
        f"{e['authors']:>4.0f}  {e['main_author_share']:>5.0%}  {e['path']}"
        for e in scope["files"]
    ] or ["    none"]
    lines.append("  Functions: rank, commits touching them, path:line function")
    lines += [
        f"    {e['rank']:>3}  {e['revisions']:>5.0f}  {e['path']}:{e['line']} {e['function']}"
        for e in scope["functions"]
    ] or ["    none"]
    lines.append("  Change coupling: rank, degree, shared commits, average commits, files")
    lines += [
        f"    {e['rank']:>3}  {e['degree']:>5.1f}%  {e['shared_revisions']:>5}  {e['average_revisions']:>6.1f}  "
        f"{e['path']} <-> {e['coupled']}"
        for e in scope["coupling"]
    ] or ["    none"]
    return lines
