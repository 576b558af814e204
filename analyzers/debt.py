"""Technical debt (DESIGN §5): findings per function and file, each with remediation minutes (SQALE-style),
summed per code snapshot into minutes, density per 1,000 code lines, debt ratio and an A–E rating, and the
reduction against the snapshot of a configured baseline date.

Findings are derived, not facts: they depend on the `[debt]` rules. They are computed from the stored blob
and function metrics of every snapshot revision, once per distinct file version (blob) and rules, except
duplicated blocks, which depend on every file of the snapshot. Paths a snapshot excludes never count.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import json
import struct
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from devmetrics.analyzers.code.records import DUPLICATE_WINDOW_LINES, STATUS_NOT_UTF8, STATUS_OK, STATUS_PARSE_ERROR
from devmetrics.errors import ConfigError
from devmetrics.metrics import MetricDef
from devmetrics.store import MetricValue

if TYPE_CHECKING:
    from devmetrics.config import Config, DebtConfig
    from devmetrics.store import Store

NAME = "debt"
VERSION = "1"
WEEK, MONTH = "week", "month"
ORG_ID = "all"
RATINGS = "ABCDE"
MEASURED_STATUSES = (STATUS_OK, STATUS_PARSE_ERROR, STATUS_NOT_UTF8)
BLOCK_PAIR = struct.Struct("<IQ")  # (first line, 64-bit hash) of one window, as blob_metrics.block_hashes packs it
BATCH = 400  # blobs per query: under SQLite's limit of bound parameters

SNAPSHOT_NOTE = (
    "Per code snapshot: the last commit of each week or month (code.snapshots) and HEAD, which counts for its "
    "own week or month (partial until it ends); the organisation adds up each repository's latest snapshot at "
    "or before the period. "
    "Paths a snapshot excludes do not count; n = files measured."
)
METRICS = (
    MetricDef(
        "debt.minutes",
        "Technical debt (minutes)",
        "minutes",
        "lower",
        "sum",
        f"Remediation minutes of every debt finding (rules and minutes: [debt] and the README). {SNAPSHOT_NOTE}",
    ),
    MetricDef(
        "debt.code_lines",
        "Code lines measured",
        "lines",
        "neutral",
        "sum",
        f"Code lines (neither blank nor comment-only) of the measured files. {SNAPSHOT_NOTE}",
    ),
    MetricDef(
        "debt.findings", "Debt findings", "findings", "lower", "sum", f"Number of debt findings. {SNAPSHOT_NOTE}"
    ),
    MetricDef(
        "debt.density",
        "Debt density",
        "minutes per 1,000 code lines",
        "lower",
        "ratio",
        f"Debt minutes per 1,000 code lines, rolled up as total minutes ÷ total code lines × 1,000. {SNAPSHOT_NOTE}",
    ),
    MetricDef(
        "debt.ratio",
        "Debt ratio",
        "fraction",
        "lower",
        "ratio",
        "Remediation minutes ÷ (debt.line_cost_minutes, 30 by default, × code lines): the share of the code's "
        f"development cost that fixing its debt would take (0.05 = 5%). {SNAPSHOT_NOTE}",
    ),
    MetricDef(
        "debt.rating",
        "Debt rating",
        "grade (1 = A … 5 = E)",
        "lower",
        "ratio",
        "The debt ratio on SonarQube's grid by default: A ≤ 5%, B ≤ 10%, C ≤ 20%, D ≤ 50%, E above "
        f"(debt.rating_a … debt.rating_d); stored as 1 (A) to 5 (E). {SNAPSHOT_NOTE}",
    ),
    MetricDef(
        "debt.reduction",
        "Debt reduction",
        "fraction",
        "higher",
        "ratio",
        "1 − debt density of the period ÷ debt density of the baseline, the last snapshot on or before "
        "debt.baseline_date; from the baseline's period on (0.5 = density halved). The organisation compares "
        "only repositories that have a baseline. No value without a baseline date, a snapshot on or before it, "
        "or debt in it.",
    ),
    MetricDef(
        "debt.baseline_density",
        "Debt density at the baseline",
        "minutes per 1,000 code lines",
        "neutral",
        "ratio",
        "Debt density of the baseline: the last snapshot on or before debt.baseline_date (for the organisation: "
        "of each repository that has one, summed); the period is the baseline snapshot's (the latest one's).",
    ),
)
METRIC_NAMES = tuple(metric.name for metric in METRICS)


# ----------------------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # cyclomatic, cognitive, long_function, nesting, parameters, maintainability, marker, duplication
    location: str  # the function's qualified name, the marker kind, "(file)" or "(block)"
    line: int
    minutes: float
    detail: str


@dataclass(frozen=True, slots=True)
class Limit:
    rule: str
    measure: str  # how the detail names what is measured
    limit: int
    minutes: float
    per_unit_over: float


def rules_hash(debt: DebtConfig) -> str:
    """Identifies the rules findings were made with: any change of `[debt]` changes it."""
    return hashlib.sha256(json.dumps(dataclasses.asdict(debt), sort_keys=True).encode()).hexdigest()[:16]


def rule_definitions(debt: DebtConfig) -> dict[str, str]:
    """What makes a finding of each rule and what it costs, with the configured numbers."""
    return {
        "cyclomatic": f"a function's cyclomatic complexity over {debt.max_cyclomatic}: "
        f"{debt.cyclomatic_minutes:g} min + {debt.cyclomatic_minutes_per_point:g} min per point over",
        "cognitive": f"a function's cognitive complexity over {debt.max_cognitive}: "
        f"{debt.cognitive_minutes:g} min + {debt.cognitive_minutes_per_point:g} min per point over",
        "long_function": f"a function longer than {debt.max_function_lines} lines: {debt.long_function_minutes:g} min",
        "nesting": f"control structures nested deeper than {debt.max_nesting} in a function: "
        f"{debt.nesting_minutes:g} min + {debt.nesting_minutes_per_level:g} min per level over",
        "parameters": f"a function with more than {debt.max_parameters} parameters: {debt.parameters_minutes:g} min",
        "maintainability": f"a file whose maintainability index is below {debt.min_maintainability:g} "
        f"(radon; Python only): {debt.maintainability_minutes:g} min",
        "marker": f"a {'/'.join(debt.markers)} comment: {debt.todo_minutes:g} min for TODO, "
        f"{debt.marker_minutes:g} min for the others",
        "duplication": f"a block of at least {DUPLICATE_WINDOW_LINES} normalised code lines that also occurs "
        "earlier in the snapshot (in path order; overlapping windows merged; one finding per extra occurrence): "
        f"{debt.duplication_minutes:g} min + {debt.duplication_minutes_per_line:g} min per line over "
        f"{DUPLICATE_WINDOW_LINES}",
    }


def rating_grid(debt: DebtConfig) -> tuple[float, float, float, float]:
    """The highest ratios rated A, B, C and D; refused when they are not in ascending order."""
    grid = (debt.rating_a, debt.rating_b, debt.rating_c, debt.rating_d)
    names = ("debt.rating_a", "debt.rating_b", "debt.rating_c", "debt.rating_d")
    for index in range(1, len(grid)):
        if grid[index] < grid[index - 1]:
            raise ConfigError(
                f"{names[index]} ({grid[index]:g}) must not be below {names[index - 1]} ({grid[index - 1]:g}): "
                "the rating grid goes from A up to D"
            )
    return grid


def rating(ratio: float, grid: Sequence[float]) -> int:
    """1 (A) to 5 (E): the first grade whose limit the ratio does not exceed."""
    for grade, limit in enumerate(grid, start=1):
        if ratio <= limit:
            return grade
    return len(grid) + 1


def rating_letter(grade: float | None) -> str | None:
    return None if grade is None else RATINGS[int(grade) - 1]


def function_limits(debt: DebtConfig) -> tuple[Limit, ...]:
    """In the order of `FunctionRow.measures`."""
    return (
        Limit(
            "cyclomatic",
            "cyclomatic complexity",
            debt.max_cyclomatic,
            debt.cyclomatic_minutes,
            debt.cyclomatic_minutes_per_point,
        ),
        Limit(
            "cognitive",
            "cognitive complexity",
            debt.max_cognitive,
            debt.cognitive_minutes,
            debt.cognitive_minutes_per_point,
        ),
        Limit("long_function", "lines", debt.max_function_lines, debt.long_function_minutes, 0.0),
        Limit("nesting", "nesting depth", debt.max_nesting, debt.nesting_minutes, debt.nesting_minutes_per_level),
        Limit("parameters", "parameters", debt.max_parameters, debt.parameters_minutes, 0.0),
    )


@dataclass(frozen=True, slots=True)
class FunctionRow:
    name: str
    line: int
    measures: tuple[int, int, int, int, int]  # cyclomatic, cognitive, length, max nesting, parameters


def function_findings(function: FunctionRow, limits: Sequence[Limit]) -> list[Finding]:
    findings = []
    for limit, value in zip(limits, function.measures, strict=True):
        if value > limit.limit:
            minutes = limit.minutes + limit.per_unit_over * (value - limit.limit)
            detail = f"{limit.measure} {value} > {limit.limit}"
            findings.append(Finding(limit.rule, function.name, function.line, minutes, detail))
    return findings


def marker_findings(markers_json: str, debt: DebtConfig) -> list[Finding]:
    """Findings of the debt markers stored as JSON [[line, kind, text], ...]."""
    wanted = {kind.upper() for kind in debt.markers}
    findings = []
    for line, kind, text in json.loads(markers_json or "[]"):
        kind = str(kind).upper()
        if kind in wanted:
            minutes = debt.todo_minutes if kind == "TODO" else debt.marker_minutes
            detail = f"{kind}: {text}" if text else kind
            findings.append(Finding("marker", kind, int(line), minutes, detail))
    return findings


def maintainability_findings(maintainability: float | None, debt: DebtConfig) -> list[Finding]:
    if maintainability is None or maintainability >= debt.min_maintainability:
        return []
    detail = f"maintainability index {maintainability:.1f} < {debt.min_maintainability:g}"
    return [Finding("maintainability", "(file)", 1, debt.maintainability_minutes, detail)]


# ----------------------------------------------------------------------------------------- duplication


@dataclass(frozen=True, slots=True)
class Windows:
    """The windows of one file version, in line order: window i covers normalised code lines i … i+9."""

    lines: tuple[int, ...]
    hashes: tuple[int, ...]


NO_WINDOWS = Windows((), ())


def decode_windows(packed: bytes | None) -> Windows:
    if not packed:
        return NO_WINDOWS
    usable = len(packed) - len(packed) % BLOCK_PAIR.size
    pairs = sorted(BLOCK_PAIR.iter_unpack(packed[:usable]))
    return Windows(tuple(line for line, _ in pairs), tuple(value for _, value in pairs))


def repeated_hashes(files: Iterable[Windows]) -> set[int]:
    counts: Counter[int] = Counter()
    for windows in files:
        counts.update(windows.hashes)
    return {value for value, count in counts.items() if count > 1}


def duplication_findings(
    files: Sequence[tuple[str, Windows]], debt: DebtConfig, repeated: set[int] | None = None
) -> list[tuple[str, Finding]]:
    """(path, finding) of every duplicated block of a snapshot whose `files` come in path order.

    A window whose hash occurs more than once in the snapshot (`repeated`, computed when not given) is
    duplicated; its first occurrence (in path, then line order) is the original and every other one an extra
    occurrence. Overlapping extra windows of a file merge into one block, and each block is one finding.
    """
    if repeated is None:
        repeated = repeated_hashes(windows for _, windows in files)
    if not repeated:
        return []
    originals: dict[int, tuple[str, int]] = {}
    findings: list[tuple[str, Finding]] = []
    for path, windows in files:
        if repeated.isdisjoint(windows.hashes):
            continue
        extra: list[int] = []
        for index, value in enumerate(windows.hashes):
            if value not in repeated:
                continue
            if value in originals:
                extra.append(index)
            else:
                originals[value] = (path, windows.lines[index])
        findings += [(path, block) for block in _blocks(windows, extra, originals, debt)]
    return findings


def _blocks(
    windows: Windows, extra: list[int], originals: dict[int, tuple[str, int]], debt: DebtConfig
) -> list[Finding]:
    blocks: list[Finding] = []
    start = 0
    while start < len(extra):
        end = start
        while end + 1 < len(extra) and extra[end + 1] < extra[end] + DUPLICATE_WINDOW_LINES:
            end += 1
        first, last = extra[start], extra[end]
        lines = last - first + DUPLICATE_WINDOW_LINES
        where, line = originals[windows.hashes[first]]
        minutes = debt.duplication_minutes + debt.duplication_minutes_per_line * (lines - DUPLICATE_WINDOW_LINES)
        detail = f"{lines} duplicated code lines, also at {where}:{line}"
        blocks.append(Finding("duplication", "(block)", windows.lines[first], minutes, detail))
        start = end + 1
    return blocks


# ----------------------------------------------------------------------------------------- file versions

BlobKey = tuple[str, str, str]  # (blob, language, analyzer version)


@dataclass(frozen=True, slots=True)
class BlobDebt:
    """What one file version contributes under one set of rules, except duplication."""

    code_lines: int
    findings: tuple[Finding, ...]
    windows: Windows
    minutes: float


class BlobCache:
    """Findings per file version under one set of rules (`rules`), so each distinct blob is read and judged
    once however many snapshots hold it."""

    def __init__(self, store: Store, debt: DebtConfig) -> None:
        self.store = store
        self.debt = debt
        self.rules = rules_hash(debt)
        self.limits = function_limits(debt)
        self._known: dict[BlobKey, BlobDebt] = {}

    def get(self, keys: Iterable[BlobKey]) -> dict[BlobKey, BlobDebt]:
        wanted = set(keys)
        missing = sorted(wanted - self._known.keys())
        for start in range(0, len(missing), BATCH):
            self._load(missing[start : start + BATCH])
        return {key: self._known[key] for key in wanted if key in self._known}

    def _load(self, keys: list[BlobKey]) -> None:
        functions = self._function_findings(keys)
        wanted = set(keys)
        for blob, language, version, lines_code, maintainability, markers, packed in self._blob_rows(keys):
            key = (blob, language, version)
            if key not in wanted:
                continue
            findings = functions.get(key, [])
            findings += maintainability_findings(maintainability, self.debt)
            findings += marker_findings(markers, self.debt)
            findings.sort(key=lambda finding: (finding.line, finding.rule, finding.location))
            minutes = sum(finding.minutes for finding in findings)
            self._known[key] = BlobDebt(lines_code, tuple(findings), decode_windows(packed), minutes)

    def _blob_rows(self, keys: list[BlobKey]) -> Iterator[tuple[Any, ...]]:
        blobs = sorted({blob for blob, _, _ in keys})
        yield from self.store.db.execute(
            "SELECT blob, language, analyzer_version, lines_code, maintainability, markers, block_hashes "  # noqa: S608
            f"FROM blob_metrics WHERE blob IN ({', '.join('?' * len(blobs))})",
            blobs,
        )

    def _function_findings(self, keys: list[BlobKey]) -> dict[BlobKey, list[Finding]]:
        blobs = sorted({blob for blob, _, _ in keys})
        # Only functions over some limit come back: most functions have no finding.
        cursor = self.store.db.execute(
            "SELECT blob, language, analyzer_version, qualified_name, start_line, cyclomatic, cognitive, length, "  # noqa: S608
            f"max_nesting, parameters FROM function_metrics WHERE blob IN ({', '.join('?' * len(blobs))}) "
            "AND (cyclomatic > ? OR cognitive > ? OR length > ? OR max_nesting > ? OR parameters > ?)",
            [*blobs, *(limit.limit for limit in self.limits)],
        )
        found: defaultdict[BlobKey, list[Finding]] = defaultdict(list)
        for blob, language, version, name, line, *measures in cursor:
            row = FunctionRow(name, line, (measures[0], measures[1], measures[2], measures[3], measures[4]))
            found[(blob, language, version)] += function_findings(row, self.limits)
        return found


# ----------------------------------------------------------------------------------------- snapshots


@dataclass(frozen=True, slots=True)
class Snapshot:
    repo_id: int
    revision: str
    analyzer_version: str
    committed_at: int
    period_start: str
    period_length: str


@dataclass(frozen=True, slots=True)
class Totals:
    files: int = 0
    code_lines: int = 0
    minutes: float = 0.0
    findings: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.files + other.files,
            self.code_lines + other.code_lines,
            self.minutes + other.minutes,
            self.findings + other.findings,
        )

    @property
    def density(self) -> float | None:
        return self.minutes * 1000 / self.code_lines if self.code_lines else None

    def ratio(self, line_cost: float) -> float | None:
        return self.minutes / (line_cost * self.code_lines) if self.code_lines else None


def utc_day(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, tz=UTC).date()


def period_of(day: date, length: str) -> str:
    """The first day of the week (Monday) or month holding `day`, as an ISO date."""
    start = day.replace(day=1) if length == MONTH else day - timedelta(days=day.weekday())
    return start.isoformat()


HISTORY_KINDS = {"weekly": WEEK, "monthly": MONTH, "commit": WEEK}  # commit: one of every commit's
KIND_HEAD = "head"  # the other kind the code stage records is "superseded": a former HEAD, left out


def head_period_length(config: Config) -> str:
    """HEAD counts for its own month when code.snapshots is monthly, else for its own week."""
    return MONTH if config.code.snapshots == "monthly" else WEEK


def place_snapshots(rows: Sequence[tuple[int, str, str, str, int, str]], head_length: str) -> list[Snapshot]:
    """Give one repository's snapshot revisions (repo id, revision, kind, period start, committed at, analyzer
    version) their periods: a weekly or monthly snapshot its own, HEAD the week or month of its commit date.
    Superseded former HEADs are left out; of two snapshots in one period the newer wins."""
    chosen: dict[tuple[str, str], Snapshot] = {}
    for repo_id, revision, kind, start, committed_at, version in rows:
        if kind == KIND_HEAD:
            length, start = head_length, period_of(utc_day(committed_at), head_length)
        elif kind in HISTORY_KINDS:
            length = HISTORY_KINDS[kind]
        else:
            continue
        snapshot = Snapshot(repo_id, revision, version, committed_at, start, length)
        held = chosen.get((length, start))
        if held is None or (held.committed_at, held.revision) < (committed_at, revision):
            chosen[(length, start)] = snapshot
    return sorted(chosen.values(), key=lambda s: (s.period_length, s.period_start))


@dataclass(frozen=True)
class _Repo:
    repo_id: int
    identity: str
    snapshots: tuple[Snapshot, ...]


def _repositories(store: Store, head_length: str) -> list[_Repo]:
    cursor = store.db.execute(
        "SELECT r.repo_id, p.identity, r.revision, r.kind, r.period_start, r.committed_at, r.analyzer_version "
        "FROM snapshot_revisions r JOIN repos p ON p.id = r.repo_id ORDER BY p.identity, r.committed_at, r.revision"
    )
    rows: defaultdict[tuple[int, str], list[tuple[int, str, str, str, int, str]]] = defaultdict(list)
    for repo_id, identity, revision, kind, start, committed_at, version in cursor:
        rows[(repo_id, identity)].append((repo_id, revision, kind, start, committed_at, version))
    return [
        _Repo(repo_id, identity, tuple(place_snapshots(found, head_length)))
        for (repo_id, identity), found in rows.items()
    ]


def _snapshot_files(store: Store, snapshot: Snapshot) -> list[tuple[str, BlobKey]]:
    """(path, file version) of the snapshot's measured files, in path order."""
    cursor = store.db.execute(
        "SELECT s.path, s.blob, s.language FROM snapshots s JOIN blob_metrics b ON b.blob = s.blob "  # noqa: S608
        "AND b.language = s.language AND b.analyzer_version = ? WHERE s.repo_id = ? AND s.revision = ? "
        f"AND s.excluded IS NULL AND b.status IN ({', '.join('?' * len(MEASURED_STATUSES))}) ORDER BY s.path",
        [snapshot.analyzer_version, snapshot.repo_id, snapshot.revision, *MEASURED_STATUSES],
    )
    return [(path, (blob, language, snapshot.analyzer_version)) for path, blob, language in cursor]


@dataclass
class Measured:
    totals: Totals
    files: list[tuple[str, BlobDebt]]
    duplicated: list[tuple[str, Finding]]

    def findings(self) -> list[tuple[str, Finding]]:
        return [(path, finding) for path, blob in self.files for finding in blob.findings] + self.duplicated


class SnapshotJudge:
    """Totals and findings of snapshots. Snapshots follow each other with few files changed, so the counts of
    window hashes move along with the changed files only, and a snapshot with the same files as the one
    before it is not judged again."""

    def __init__(self, store: Store, debt: DebtConfig) -> None:
        self.store = store
        self.debt = debt
        self.blobs = BlobCache(store, debt)
        self._last: tuple[tuple[tuple[str, BlobKey], ...], Measured] | None = None
        self._windows: dict[str, Windows] = {}  # path -> windows of the snapshot judged last
        self._counts: Counter[int] = Counter()
        self._repeated: set[int] = set()

    def measure(self, snapshot: Snapshot) -> Measured:
        files = tuple(_snapshot_files(self.store, snapshot))
        if self._last is not None and self._last[0] == files:
            return self._last[1]
        measured = self._measure(files)
        self._last = (files, measured)
        return measured

    def _measure(self, files: Sequence[tuple[str, BlobKey]]) -> Measured:
        blobs = self.blobs.get(key for _, key in files)
        present = [(path, blobs[key]) for path, key in files if key in blobs]
        self._move_counts({path: blob.windows for path, blob in present})
        duplicated = duplication_findings([(path, blob.windows) for path, blob in present], self.debt, self._repeated)
        totals = Totals(
            files=len(present),
            code_lines=sum(blob.code_lines for _, blob in present),
            minutes=sum(blob.minutes for _, blob in present) + sum(finding.minutes for _, finding in duplicated),
            findings=sum(len(blob.findings) for _, blob in present) + len(duplicated),
        )
        return Measured(totals, present, duplicated)

    def _move_counts(self, windows: dict[str, Windows]) -> None:
        """Make the hash counts those of `windows`, touching only the paths whose windows changed (the cache
        hands out one Windows object per blob, so an unchanged file is the same object)."""
        touched: set[int] = set()
        for path, held in self._windows.items():
            if windows.get(path) is not held:
                self._counts.subtract(held.hashes)
                touched.update(held.hashes)
        for path, new in windows.items():
            if self._windows.get(path) is not new:
                self._counts.update(new.hashes)
                touched.update(new.hashes)
        for value in touched:
            count = self._counts[value]
            if count > 1:
                self._repeated.add(value)
            else:
                self._repeated.discard(value)
                if count <= 0:
                    del self._counts[value]
        self._windows = windows


# ----------------------------------------------------------------------------------------- analysis


def inputs_hash(store: Store, config: Config) -> str:
    """Changes when a snapshot revision, its listing of paths, or the `[debt]` rules change."""
    head_length = head_period_length(config)
    digest = hashlib.sha256(f"{NAME}:{VERSION}:{rules_hash(config.debt)}:{head_length}".encode())
    revisions = store.db.execute(
        "SELECT p.identity, r.* FROM snapshot_revisions r JOIN repos p ON p.id = r.repo_id "
        "ORDER BY p.identity, r.revision"
    )
    for row in revisions:
        digest.update(f"\n{row!r}".encode())
    listings = store.db.execute(
        "SELECT repo_id, revision, count(*), count(excluded) FROM snapshots GROUP BY repo_id, revision "
        "ORDER BY repo_id, revision"
    )
    for row in listings:
        digest.update(f"\n{row!r}".encode())
    return digest.hexdigest()


def is_current(store: Store, config: Config) -> bool:
    """Whether the stored debt metrics were computed from the present inputs and rules."""
    return store.metric_inputs_hash(METRIC_NAMES[0]) == inputs_hash(store, config)


def analyze(store: Store, config: Config) -> int:
    digest = inputs_hash(store, config)
    if store.metric_inputs_hash(METRIC_NAMES[0]) == digest:
        return 0
    grid = rating_grid(config.debt)
    judge = SnapshotJudge(store, config.debt)
    series: dict[str, list[tuple[Snapshot, Totals]]] = {}
    latest: dict[int, tuple[Snapshot, Measured]] = {}
    for repo in _repositories(store, head_period_length(config)):
        points = []
        for snapshot in repo.snapshots:
            measured = judge.measure(snapshot)
            points.append((snapshot, measured.totals))
            held = latest.get(repo.repo_id)
            if held is None or held[0].committed_at <= snapshot.committed_at:
                latest[repo.repo_id] = (snapshot, measured)
        series[repo.identity] = points
    rows = _metric_rows(series, config.debt, grid)
    with store.transaction():
        _replace_findings(store, latest, judge.blobs.rules)
        return store.replace_metric_values(METRIC_NAMES, digest, rows)


def _replace_findings(store: Store, latest: dict[int, tuple[Snapshot, Measured]], rules: str) -> None:
    merged: dict[tuple[int, str, str, str, str, int], list[Any]] = {}
    for repo_id, (snapshot, measured) in latest.items():
        for path, finding in measured.findings():
            key = (repo_id, snapshot.revision, path, finding.rule, finding.location, finding.line)
            if key in merged:  # two markers of one kind on one line: one row, their minutes added
                merged[key][6] += finding.minutes
            else:
                merged[key] = [*key, finding.minutes, finding.detail, rules]
    store.db.execute("DELETE FROM debt_findings")
    store.db.conn.executemany(
        "INSERT INTO debt_findings (repo_id, revision, path, rule, location, line, minutes, detail, rules_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        merged.values(),
    )


def _metric_rows(
    series: dict[str, list[tuple[Snapshot, Totals]]], debt: DebtConfig, grid: Sequence[float]
) -> list[MetricValue]:
    rows: list[MetricValue] = []
    baseline_day = date.fromisoformat(debt.baseline_date) if debt.baseline_date else None
    for identity, points in series.items():
        for snapshot, totals in points:
            rows += _point_rows("repo", identity, snapshot.period_start, snapshot.period_length, totals, debt, grid)
        if baseline_day is not None:
            for length in (WEEK, MONTH):
                same_length = [point for point in points if point[0].period_length == length]
                rows += _reduction_rows("repo", identity, same_length, baseline_day)
    for length in (WEEK, MONTH):
        org = _org_series(series, length)
        for start, totals in org:
            rows += _point_rows("org", ORG_ID, start, length, totals, debt, grid)
        if baseline_day is not None:
            rows += _org_reduction_rows(series, length, baseline_day)
    return rows


def _point_rows(
    kind: str, scope: str, start: str, length: str, totals: Totals, debt: DebtConfig, grid: Sequence[float]
) -> list[MetricValue]:
    ratio = totals.ratio(debt.line_cost_minutes)
    values: dict[str, float | None] = {
        "debt.minutes": totals.minutes,
        "debt.code_lines": totals.code_lines,
        "debt.findings": totals.findings,
        "debt.density": totals.density,
        "debt.ratio": ratio,
        "debt.rating": None if ratio is None else rating(ratio, grid),
    }
    return [MetricValue(name, kind, scope, start, length, value, totals.files) for name, value in values.items()]


def _org_series(series: dict[str, list[tuple[Snapshot, Totals]]], length: str) -> list[tuple[str, Totals]]:
    """Per period, the sum of each repository's latest snapshot at or before it: debt is a stock, and a
    repository without a snapshot in a week (no commit) still holds the code of its last one."""
    per_repo = [
        [(snapshot.period_start, totals) for snapshot, totals in points if snapshot.period_length == length]
        for points in series.values()
    ]
    per_repo = [points for points in per_repo if points]
    starts = sorted({start for points in per_repo for start, _ in points})
    return [(start, _sum_at(per_repo, start)) for start in starts]


def _sum_at(per_repo: list[list[tuple[str, Totals]]], start: str) -> Totals:
    total = Totals()
    for points in per_repo:
        index = bisect.bisect_right([held for held, _ in points], start) - 1
        if index >= 0:
            total += points[index][1]
    return total


def _baseline(points: Sequence[tuple[Snapshot, Totals]], day: date) -> tuple[Snapshot, Totals] | None:
    """The last snapshot committed on or before `day` (UTC)."""
    before = [point for point in points if utc_day(point[0].committed_at) <= day]
    return max(before, key=lambda point: (point[0].committed_at, point[0].revision), default=None)


def _reduction(density: float | None, baseline_density: float | None) -> float | None:
    if density is None or not baseline_density:
        return None
    return 1 - density / baseline_density


def _reduction_rows(kind: str, scope: str, points: Sequence[tuple[Snapshot, Totals]], day: date) -> list[MetricValue]:
    """Baseline density and reduction rows of one scope, from snapshots of one period length."""
    found = _baseline(points, day)
    if found is None:
        return []
    base, base_totals = found
    rows = [
        MetricValue(
            "debt.baseline_density",
            kind,
            scope,
            base.period_start,
            base.period_length,
            base_totals.density,
            base_totals.files,
        )
    ]
    for snapshot, totals in points:
        if snapshot.period_start >= base.period_start:
            value = _reduction(totals.density, base_totals.density)
            rows.append(
                MetricValue(
                    "debt.reduction", kind, scope, snapshot.period_start, snapshot.period_length, value, totals.files
                )
            )
    return rows


def _org_reduction_rows(series: dict[str, list[tuple[Snapshot, Totals]]], length: str, day: date) -> list[MetricValue]:
    """The organisation's reduction over the repositories that have a baseline, from the latest of their
    baseline periods on, so that every repository is compared with its own baseline or later."""
    based: dict[str, list[tuple[Snapshot, Totals]]] = {}
    baselines: list[tuple[Snapshot, Totals]] = []
    for identity, points in series.items():
        same_length = [point for point in points if point[0].period_length == length]
        found = _baseline(same_length, day)
        if found is not None:
            based[identity] = same_length
            baselines.append(found)
    if not baselines:
        return []
    base_totals = sum((totals for _, totals in baselines), Totals())
    first = max(snapshot.period_start for snapshot, _ in baselines)
    rows = [MetricValue("debt.baseline_density", "org", ORG_ID, first, length, base_totals.density, base_totals.files)]
    for start, totals in _org_series(based, length):
        if start >= first:
            value = _reduction(totals.density, base_totals.density)
            rows.append(MetricValue("debt.reduction", "org", ORG_ID, start, length, value, totals.files))
    return rows


# ----------------------------------------------------------------------------------------- reading

NO_CODE_DATA = (
    "no code metrics in this database yet: run `devmetrics scan` (its code stage measures every snapshot), "
    "then ask again"
)
TEXT_TREND_PERIODS = 6


@dataclass(frozen=True)
class RepoInfo:
    repo_id: int
    identity: str
    name: str
    is_shallow: bool
    data_through: str | None  # ISO date of the newest reachable commit


def read_repos(store: Store) -> list[RepoInfo]:
    cursor = store.db.execute(
        "SELECT id, identity, name, is_shallow, data_through FROM repos ORDER BY lower(name), identity"
    )
    return [
        RepoInfo(repo_id, identity, name, bool(shallow), None if through is None else utc_day(through).isoformat())
        for repo_id, identity, name, shallow, through in cursor
    ]


def trust_signals(store: Store, repos: Sequence[RepoInfo]) -> dict[str, Any]:
    """What every answer carries (DESIGN §6): data through, partial histories and failed scans."""
    return {
        "data_through": max((repo.data_through for repo in repos if repo.data_through), default=None),
        "partial_history": [repo.name for repo in repos if repo.is_shallow],
        "failed": [
            {"target": target, "stage": stage, "reason": reason} for target, stage, reason in store.failed_targets()
        ],
    }


def has_code_data(store: Store) -> bool:
    return store.db.execute("SELECT 1 FROM snapshot_revisions LIMIT 1").fetchone() is not None


ScopeValues = dict[tuple[str, str], dict[str, tuple[float | None, int]]]  # (start, length) -> metric -> (value, n)


def _read_values(store: Store) -> dict[tuple[str, str], ScopeValues]:
    cursor = store.db.execute(
        f"SELECT metric, scope_kind, scope_id, period_start, period_length, value, n FROM metric_values "  # noqa: S608
        f"WHERE metric IN ({', '.join('?' * len(METRIC_NAMES))})",
        METRIC_NAMES,
    )
    values: defaultdict[tuple[str, str], ScopeValues] = defaultdict(lambda: defaultdict(dict))
    for metric, kind, scope, start, length, value, n in cursor:
        values[(kind, scope)][(start, length)][metric] = (value, n)
    return values


def report(store: Store, config: Config, *, top: int = 10, stale: bool = False) -> dict[str, Any]:
    """The answer of `devmetrics debt --json`, read from metric_values and debt_findings."""
    repos = read_repos(store)
    answer: dict[str, Any] = {
        "definitions": {metric.name: metric.definition for metric in METRICS},
        "rules": rule_definitions(config.debt),
        "rules_hash": rules_hash(config.debt),
        "baseline_date": config.debt.baseline_date or None,
        **trust_signals(store, repos),
        "stale": stale,
        "message": None,
        "org": None,
        "repositories": [],
    }
    if not has_code_data(store):
        answer["message"] = NO_CODE_DATA
        return answer
    values = _read_values(store)
    baseline = config.debt.baseline_date
    length = head_period_length(config)
    measured = [repo for repo in repos if ("repo", repo.identity) in values]
    org = _scope_answer(values.get(("org", ORG_ID), {}), baseline, length)
    org.update(name="all repositories", repositories=len(measured))
    org["top_findings"] = _top_findings(store, None, top)
    if baseline:
        without = [repo.name for repo in measured if not _baseline_rows(values[("repo", repo.identity)])]
        org["reduction"]["repositories_without_baseline"] = without
    answer["org"] = org
    for repo in measured:
        scope = _scope_answer(values[("repo", repo.identity)], baseline, length)
        scope.update(name=repo.name, identity=repo.identity, data_through=repo.data_through, shallow=repo.is_shallow)
        scope["top_findings"] = _top_findings(store, repo.repo_id, top)
        answer["repositories"].append(scope)
    return answer


def _scope_answer(values: ScopeValues, baseline: str, length: str) -> dict[str, Any]:
    """Trend and reduction in the current snapshot length (others remain from earlier code.snapshots)."""
    if any(held == length for _, held in values):
        values = {key: metrics for key, metrics in values.items() if key[1] == length}
    points = (_trend_point(start, length, metrics) for (start, length), metrics in sorted(values.items()))
    trend = [point for point in points if point is not None]
    return {
        "trend": trend,
        "latest": trend[-1] if trend else None,
        "reduction": _reduction_answer(values, baseline),
    }


def _trend_point(start: str, length: str, metrics: dict[str, tuple[float | None, int]]) -> dict[str, Any] | None:
    if "debt.minutes" not in metrics:  # a baseline or reduction row alone
        return None
    value = {name.removeprefix("debt."): held[0] for name, held in metrics.items()}
    return {
        "period_start": start,
        "period_length": length,
        "minutes": value["minutes"],
        "code_lines": _whole(value.get("code_lines")),
        "findings": _whole(value.get("findings")),
        "density": value.get("density"),
        "ratio": value.get("ratio"),
        "rating": rating_letter(value.get("rating")),
        "reduction": value.get("reduction"),
        "n": metrics["debt.minutes"][1],
    }


def _whole(value: float | None) -> int | None:
    """Counts are whole numbers; metric_values stores them as REAL."""
    return None if value is None else round(value)


def _baseline_rows(values: ScopeValues) -> list[tuple[str, str, float | None]]:
    return sorted(
        (start, length, metrics["debt.baseline_density"][0])
        for (start, length), metrics in values.items()
        if "debt.baseline_density" in metrics
    )


def _reduction_answer(values: ScopeValues, baseline: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"value": None, "baseline_date": baseline or None, "baseline": None, "now": None}
    rows = _baseline_rows(values)
    if not baseline:
        return {**answer, "reason": "no baseline configured: set debt.baseline_date"}
    if not rows:
        return {**answer, "reason": f"no snapshot on or before the baseline date {baseline}"}
    start, length, density = rows[-1]
    answer["baseline"] = {"period_start": start, "period_length": length, "density": density}
    if density is None:
        return {**answer, "reason": "the baseline snapshot has no measured code lines"}
    if density == 0:
        return {**answer, "reason": "the baseline has no debt (density 0): a reduction is undefined"}
    reductions = [
        (start, metrics["debt.reduction"])
        for (start, _length), metrics in sorted(values.items())
        if metrics.get("debt.reduction", (None, 0))[0] is not None
    ]
    if not reductions:
        return {**answer, "reason": "no snapshot since the baseline has measured code lines"}
    start, (value, n) = reductions[-1]
    # For the organisation the compared density is that of the repositories with a baseline only.
    answer["now"] = {"period_start": start, "density": density * (1 - (value or 0.0)), "n": n}
    return {**answer, "value": value, "reason": None}


def _top_findings(store: Store, repo_id: int | None, top: int) -> list[dict[str, Any]]:
    where = "" if repo_id is None else "WHERE d.repo_id = ?"
    cursor = store.db.execute(
        "SELECT p.name, d.revision, d.path, d.rule, d.location, d.line, d.minutes, d.detail FROM debt_findings d "  # noqa: S608
        f"JOIN repos p ON p.id = d.repo_id {where} ORDER BY d.minutes DESC, p.name, d.path, d.line, d.rule LIMIT ?",
        [top] if repo_id is None else [repo_id, top],
    )
    keys = ("repository", "revision", "path", "rule", "location", "line", "minutes", "detail")
    return [dict(zip(keys, row, strict=True)) for row in cursor]


def render_text(answer: dict[str, Any]) -> list[str]:
    """The answer as lines for a terminal."""
    lines = [f"Technical debt; data through {answer['data_through'] or 'unknown'}; rules {answer['rules_hash']}"]
    lines += _signal_lines(answer)
    if answer["message"]:
        return [*lines, answer["message"]]
    org = answer["org"]
    count = org["repositories"]
    lines += _scope_lines(f"Organisation ({count} {'repository' if count == 1 else 'repositories'})", org)
    for scope in answer["repositories"]:
        flag = " [partial history: shallow clone]" if scope["shallow"] else ""
        lines += _scope_lines(f"{scope['name']} (data through {scope['data_through']}){flag}", scope)
    lines += ["", "Top findings (minutes, rule, where, detail):"]
    lines += [
        f"  {finding['minutes']:8.1f}  {finding['rule']:<15} {finding['repository']}:{finding['path']}:"
        f"{finding['line']} {finding['location']}  {finding['detail']}"
        for finding in org["top_findings"]
    ] or ["  none"]
    return lines


def _signal_lines(answer: dict[str, Any]) -> list[str]:
    lines = []
    if answer["stale"]:
        lines.append("stale: a scan is writing the database; these figures were made before it")
    if answer["partial_history"]:
        lines.append(f"partial history (shallow clones): {', '.join(answer['partial_history'])}")
    lines += [f"FAILED scan: {f['target']} ({f['stage']}): {f['reason']}" for f in answer["failed"]]
    return lines


def _scope_lines(title: str, scope: dict[str, Any]) -> list[str]:
    lines = ["", title, "  period       minutes   density   ratio  rating  findings  files"]
    for point in scope["trend"][-TEXT_TREND_PERIODS:]:
        lines.append(
            f"  {point['period_start']}  {point['minutes']:8.1f}  {_number(point['density'], 8)}  "
            f"{_percent(point['ratio'])}  {point['rating'] or '-':<6}  {_number(point['findings'], 8, 0)}  {point['n']}"
        )
    earlier = len(scope["trend"]) - TEXT_TREND_PERIODS
    if earlier > 0:
        lines.append(f"  ({earlier} earlier periods in --json)")
    reduction = scope["reduction"]
    if reduction["value"] is None:
        lines.append(f"  reduction: no value ({reduction['reason']})")
    else:
        lines.append(
            f"  reduction since {reduction['baseline']['period_start']}: {reduction['value']:.1%} "
            f"(density {reduction['baseline']['density']:.1f} -> {reduction['now']['density']:.1f})"
        )
    if reduction.get("repositories_without_baseline"):
        lines.append(
            f"  left out of the reduction (no baseline): {', '.join(reduction['repositories_without_baseline'])}"
        )
    return lines


def _number(value: float | None, width: int, decimals: int = 1) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{decimals}f}"


def _percent(value: float | None) -> str:
    return f"{'-':>6}" if value is None else f"{value:6.1%}"
