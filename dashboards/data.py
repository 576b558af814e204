"""What the site reads, in a few queries: metric values of the organisation, repositories and teams, the
registry, repositories, failed scans, the latest snapshot's debt findings and the hotspot rankings.

Only aggregated data: `metric_values` (groups smaller than privacy.min_group_size were never written by
the analyzers), `debt_findings` (rule, path, line, minutes) and the registry; never commits or people.
Everything here is untrusted text from repositories; the page writers escape it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from devmetrics.dashboards.queries import (
    Failure,
    MetricDefinition,
    Point,
    Repo,
    ScopeKey,
    Series,
    iso_date,
    number,
    read_repos,
)

if TYPE_CHECKING:
    from devmetrics.analyzers.targets import Target
    from devmetrics.config import Config
    from devmetrics.store import Store

ORG: ScopeKey = ("org", "all")
GROUP_KINDS = ("org", "repo", "team")
TOP_FINDINGS = 25
TOP_HOTSPOTS = 25
PAIR = " <-> "  # how hotspots names a file pair's scope


@dataclass(frozen=True)
class Row:
    """One stored value: a period (start and length) of a metric for a scope."""

    start: date
    length: str
    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Finding:
    rule: str
    repo: str  # identity
    path: str
    line: int
    minutes: float
    detail: str


@dataclass(frozen=True)
class HotFile:
    path: str
    score: float
    revisions: float
    complexity: float
    authors: float | None
    main_author_share: float | None
    n: int


@dataclass(frozen=True)
class Coupling:
    path: str
    coupled: str
    degree: float
    shared: int


@dataclass(frozen=True)
class SiteData:
    repos: tuple[Repo, ...]
    definitions: dict[str, MetricDefinition]
    values: dict[tuple[str, str, str, str], list[Row]]  # (metric, kind, scope id, period length) -> rows
    failures: tuple[Failure, ...]
    teams: tuple[str, ...]  # teams with figures
    configured_teams: tuple[str, ...]
    min_group_size: int
    pseudonymize: bool
    targets: tuple[Target, ...]
    findings: dict[str, list[Finding]]  # repository identity -> its latest snapshot's top findings
    hotspots: dict[str, list[HotFile]]
    coupling: dict[str, list[Coupling]]

    @property
    def has_values(self) -> bool:
        return bool(self.values)

    def rows(self, metric: str, scope: ScopeKey, length: str = "week") -> list[Row]:
        return self.values.get((metric, scope[0], scope[1], length), [])

    def latest(self, metric: str, scope: ScopeKey, length: str) -> Row | None:
        rows = self.rows(metric, scope, length)
        return rows[-1] if rows else None

    def series(self, metric: str, scope: ScopeKey, length: str = "week") -> Series | None:
        """A metric's values of one period length as the weekly-chart `Series` (rows without a value skipped)."""
        points = tuple(
            Point(row.start, row.value, row.low, row.high, row.n)
            for row in self.rows(metric, scope, length)
            if row.value is not None
        )
        return Series(metric, scope, points) if points else None

    def definition(self, metric: str) -> MetricDefinition:
        found = self.definitions.get(metric)
        return found if found is not None else MetricDefinition(metric, "", "", "neutral", "", "")

    def metrics_with(self, prefix: str) -> list[str]:
        """Registered metrics whose name starts with `prefix` and that have values."""
        names = {key[0] for key in self.values}
        return sorted(name for name in self.definitions if name.startswith(prefix) and name in names)

    @property
    def data_through(self) -> date | None:
        return max((repo.data_through for repo in self.repos if repo.data_through), default=None)

    def failed(self, repo: Repo) -> list[Failure]:
        return [failure for failure in self.failures if repo.matches(failure.target)]


def load_site_data(store: Store, config: Config) -> SiteData:
    from devmetrics.analyzers.targets import evaluate

    repos = read_repos(store)
    return SiteData(
        repos=repos,
        definitions=_definitions(store),
        values=_values(store),
        failures=tuple(Failure(*row) for row in store.failed_targets()),
        teams=tuple(
            str(row[0])
            for row in store.db.execute(
                "SELECT DISTINCT scope_id FROM metric_values WHERE scope_kind = 'team' ORDER BY scope_id"
            )
        ),
        configured_teams=tuple(team.name for team in config.teams),
        min_group_size=config.privacy.min_group_size,
        pseudonymize=config.privacy.pseudonymize,
        targets=tuple(evaluate(store, config)),
        findings=_findings(store),
        hotspots=_hotspots(store, [repo.identity for repo in repos]),
        coupling=_coupling(store, [repo.identity for repo in repos]),
    )


def _definitions(store: Store) -> dict[str, MetricDefinition]:
    cursor = store.db.execute("SELECT name, title, unit, direction, rollup, definition FROM metric_definitions")
    return {str(row[0]): MetricDefinition(*(str(column or "") for column in row)) for row in cursor}


def _values(store: Store) -> dict[tuple[str, str, str, str], list[Row]]:
    cursor = store.db.execute(
        "SELECT metric, scope_kind, scope_id, period_start, period_length, value, low, high, n FROM metric_values "
        "WHERE scope_kind IN (?, ?, ?) ORDER BY metric, scope_kind, scope_id, period_length, period_start",
        GROUP_KINDS,
    )
    values: defaultdict[tuple[str, str, str, str], list[Row]] = defaultdict(list)
    for metric, kind, scope_id, start, length, value, low, high, n in cursor:
        day = iso_date(start)
        if day is not None:
            values[(str(metric), str(kind), str(scope_id), str(length))].append(
                Row(day, str(length), number(value), number(low), number(high), int(n or 0))
            )
    return dict(values)


def _findings(store: Store) -> dict[str, list[Finding]]:
    """Each repository's most expensive findings (the table holds its latest snapshot's)."""
    cursor = store.db.execute(
        "SELECT p.identity, f.rule, f.path, f.line, f.minutes, f.detail FROM debt_findings f "
        "JOIN repos p ON p.id = f.repo_id ORDER BY p.identity, f.minutes DESC, f.path, f.line"
    )
    found: defaultdict[str, list[Finding]] = defaultdict(list)
    for identity, rule, path, line, minutes, detail in cursor:
        if len(found[identity]) < TOP_FINDINGS:
            found[str(identity)].append(Finding(str(rule), str(identity), str(path), int(line), float(minutes), detail))
    return dict(found)


def _split(scope_id: str, identities: Sequence[str]) -> tuple[str, str] | None:
    """`identity:path` into its parts; identities may hold colons, so the longest known prefix wins."""
    best = max((identity for identity in identities if scope_id.startswith(f"{identity}:")), key=len, default=None)
    return None if best is None else (best, scope_id[len(best) + 1 :])


def _hotspots(store: Store, identities: Sequence[str]) -> dict[str, list[HotFile]]:
    cursor = store.db.execute(
        "SELECT scope_id, metric, value, n FROM metric_values WHERE scope_kind = 'file' AND metric IN "
        "('hotspots.file_score', 'hotspots.file_revisions', 'hotspots.file_complexity', 'hotspots.file_authors', "
        "'hotspots.file_main_author_share')"
    )
    files: defaultdict[str, dict[str, Any]] = defaultdict(dict)
    for scope_id, metric, value, n in cursor:
        entry = files[str(scope_id)]
        entry[str(metric).removeprefix("hotspots.file_")] = number(value)
        if metric == "hotspots.file_score":
            entry["n"] = int(n or 0)
    by_repo: defaultdict[str, list[HotFile]] = defaultdict(list)
    for scope_id, entry in files.items():
        parts = _split(scope_id, identities)
        if parts is None or entry.get("score") is None:
            continue
        by_repo[parts[0]].append(
            HotFile(
                parts[1],
                entry["score"],
                entry.get("revisions") or 0.0,
                entry.get("complexity") or 0.0,
                entry.get("authors"),
                entry.get("main_author_share"),
                entry.get("n", 0),
            )
        )
    return {identity: sorted(hot, key=lambda f: (-f.score, f.path))[:TOP_HOTSPOTS] for identity, hot in by_repo.items()}


def _coupling(store: Store, identities: Sequence[str]) -> dict[str, list[Coupling]]:
    cursor = store.db.execute(
        "SELECT scope_id, value, n FROM metric_values WHERE scope_kind = 'file_pair' "
        "AND metric = 'hotspots.coupling_degree' AND value IS NOT NULL"
    )
    by_repo: defaultdict[str, list[Coupling]] = defaultdict(list)
    for scope_id, value, n in cursor:
        parts = _split(str(scope_id), identities)
        if parts is None or PAIR not in parts[1]:
            continue
        path, coupled = parts[1].split(PAIR, 1)
        by_repo[parts[0]].append(Coupling(path, coupled, float(value), int(n or 0)))
    return {
        identity: sorted(pairs, key=lambda p: (-p.degree, -p.shared, p.path))[:TOP_HOTSPOTS]
        for identity, pairs in by_repo.items()
    }
