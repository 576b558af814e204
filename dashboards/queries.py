"""What the report reads: `metric_values`, `metric_definitions`, `repos` and `scans`, never raw facts.

Everything returned here is untrusted text from repositories or the database; the HTML and figure
writers escape it. Rows whose period start is not an ISO date are skipped (they cannot be placed on a
time axis, and skipping them keeps odd text out of the figures).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from devmetrics.store import Store

WEEK = "week"
ORG = ("org", "all")
REPO_KIND = "repo"
# Known metrics come first, in this order; any other metric with weekly values follows by name.
PREFERRED_ORDER = ("history.commits", "history.active_authors", "history.changed_lines")

ScopeKey = tuple[str, str]  # (scope_kind, scope_id)


@dataclass(frozen=True)
class MetricDefinition:
    """One row of `metric_definitions`."""

    name: str
    title: str
    unit: str
    direction: str
    rollup: str
    definition: str

    @property
    def label(self) -> str:
        """The human name: the registry's title, else made from the name (`history.active_authors` →
        `Active authors`)."""
        if self.title.strip():
            return self.title
        short = self.name.rsplit(".", 1)[-1].replace("_", " ").strip()
        return short[:1].upper() + short[1:] if short else self.name


@dataclass(frozen=True)
class Point:
    """One weekly value of a metric for a scope."""

    week: date
    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Series:
    """The weekly values of one metric for one scope, oldest first."""

    metric: str
    scope: ScopeKey
    points: tuple[Point, ...]

    @property
    def n(self) -> int:
        return sum(point.n for point in self.points)

    def total_since(self, start: date) -> float:
        return sum(point.value or 0.0 for point in self.points if point.week >= start)


@dataclass(frozen=True)
class Repo:
    """One row of `repos`, as the report shows it."""

    identity: str
    name: str
    path: str
    remote_url: str | None
    is_shallow: bool
    is_bare: bool
    data_through: date | None

    @property
    def scope(self) -> ScopeKey:
        return (REPO_KIND, self.identity)

    def matches(self, target: str) -> bool:
        """Whether a scan target (a path or URL as the user gave it) names this repository."""
        return target in {self.identity, self.path, self.name, self.remote_url}


@dataclass(frozen=True)
class Failure:
    """The latest, failed scan of a target: `Store.failed_targets()`."""

    target: str
    stage: str
    reason: str


@dataclass(frozen=True)
class ReportData:
    repos: tuple[Repo, ...]
    metrics: tuple[MetricDefinition, ...]
    series: dict[tuple[str, ScopeKey], Series]
    failures: tuple[Failure, ...]

    @property
    def has_values(self) -> bool:
        return bool(self.series)

    def get(self, metric: str, scope: ScopeKey) -> Series | None:
        return self.series.get((metric, scope))

    def latest_week(self, metric: str) -> date | None:
        weeks = [s.points[-1].week for (name, _), s in self.series.items() if name == metric and s.points]
        return max(weeks, default=None)

    def failed(self, repo: Repo) -> list[Failure]:
        return [failure for failure in self.failures if repo.matches(failure.target)]


def load_report_data(store: Store) -> ReportData:
    """Read everything the report shows, in four queries."""
    metrics = _metric_definitions(store)
    return ReportData(
        repos=read_repos(store),
        metrics=metrics,
        series=_weekly_series(store, {metric.name for metric in metrics}),
        failures=tuple(Failure(*row) for row in store.failed_targets()),
    )


def epoch_to_date(seconds: int | None) -> date | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC).date()


def weeks_before(week: date, weeks: int) -> date:
    """The first week of a window of `weeks` weeks that ends with `week`."""
    return week - timedelta(weeks=weeks - 1)


def read_repos(store: Store) -> tuple[Repo, ...]:
    cursor = store.db.execute(
        "SELECT identity, name, path, remote_url, is_shallow, is_bare, data_through FROM repos "
        "ORDER BY lower(name), identity"
    )
    return tuple(
        Repo(
            identity=str(identity),
            name=str(name),
            path=str(path),
            remote_url=None if remote is None else str(remote),
            is_shallow=bool(shallow),
            is_bare=bool(bare),
            data_through=epoch_to_date(None if through is None else int(through)),
        )
        for identity, name, path, remote, shallow, bare, through in cursor
    )


def _metric_definitions(store: Store) -> tuple[MetricDefinition, ...]:
    """The registered metrics that have weekly values for the organisation or a repository."""
    cursor = store.db.execute(
        "SELECT name, title, unit, direction, rollup, definition FROM metric_definitions d WHERE EXISTS "
        "(SELECT 1 FROM metric_values v WHERE v.metric = d.name AND v.period_length = ? "
        "AND v.scope_kind IN (?, ?))",
        [WEEK, ORG[0], REPO_KIND],
    )
    metrics = [MetricDefinition(*(str(column) for column in row)) for row in cursor]
    return tuple(sorted(metrics, key=_metric_order))


def _metric_order(metric: MetricDefinition) -> tuple[int, str]:
    known = metric.name in PREFERRED_ORDER
    return (PREFERRED_ORDER.index(metric.name) if known else len(PREFERRED_ORDER), metric.name)


def _weekly_series(store: Store, metrics: set[str]) -> dict[tuple[str, ScopeKey], Series]:
    cursor = store.db.execute(
        "SELECT metric, scope_kind, scope_id, period_start, value, low, high, n FROM metric_values "
        "WHERE period_length = ? AND scope_kind IN (?, ?) ORDER BY metric, scope_kind, scope_id, period_start",
        [WEEK, ORG[0], REPO_KIND],
    )
    points: defaultdict[tuple[str, ScopeKey], list[Point]] = defaultdict(list)
    for metric, kind, scope_id, start, value, low, high, n in cursor:
        week = iso_date(start)
        if metric in metrics and week is not None:
            points[(str(metric), (str(kind), str(scope_id)))].append(
                Point(week, number(value), number(low), number(high), int(n))
            )
    return {key: Series(key[0], key[1], tuple(rows)) for key, rows in points.items()}


def iso_date(text: Any) -> date | None:
    if not isinstance(text, str) or len(text) != len("2024-01-01"):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def number(value: Any) -> float | None:
    return None if value is None else float(value)
