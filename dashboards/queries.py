"""The report's records (metric definitions, weekly series, repositories, failed scans) and the readers
they share with `data.py`, which loads everything a site shows.

Everything returned here is untrusted text from repositories or the database; the HTML and figure
writers escape it. Rows whose period start is not an ISO date are skipped (they cannot be placed on a
time axis, and skipping them keeps odd text out of the figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from devmetrics.store import Store

REPO_KIND = "repo"

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


def epoch_to_date(seconds: int | None) -> date | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC).date()


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


def iso_date(text: Any) -> date | None:
    if not isinstance(text, str) or len(text) != len("2024-01-01"):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def number(value: Any) -> float | None:
    return None if value is None else float(value)
