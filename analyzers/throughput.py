"""Throughput and the productivity multiplier (DESIGN §5), with quality guardrails, into `metric_values`.

Definitions (the README's "Throughput and the productivity multiplier" explains them to users):

- A **counted commit** is reachable, not a merge, has an attribution that is not excluded, is of class
  ai-authored, ai-assisted or human (bots are their own class and never counted), and is credited to an
  identity of kind person (agent-authored work is credited to the human who requested or merged it).
- An **active developer-week** is a person with at least one counted commit credited to them in the week
  (weeks start on Monday, UTC, by author date).
- **Throughput** is merged pull requests per active developer-week for a group whose every repository has
  pull-request data from a code host, else counted commits per active developer-week; the measure is named
  next to every number. A merged PR counts for its author (by the login's identity, else the person most
  of its commits are credited to: `analyzers/reviews.py` reads it) when that person is active in the period.
- The **productivity multiplier** is throughput in the window (the last `window_weeks` complete weeks
  with data) ÷ throughput in the configured pre-adoption baseline, with a 95% bootstrap interval that
  resamples developers (`devmetrics.analyzers.bootstrap.rate_ratio`).

Every period is a range of days: a commit belongs to it by its author date, and its developer-weeks are
the distinct (person, week) pairs of its commits, so a week cut by a period's edge counts in both parts.
Privacy: a group (organisation, repository, team) is shown only when at least `privacy.min_group_size`
people have counted commits in it, and each of its figures only when that many people were active in the
figure's period (a week with one active person would describe that person). No figure is per person, so
no name is ever shown.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from devmetrics.analyzers import bootstrap
from devmetrics.analyzers.guardrails import (
    HORIZON_DAYS,
    HORIZON_SECONDS,
    ChurnCount,
    repository_churn,
    repository_revert_delays,
)
from devmetrics.metrics import MetricDef
from devmetrics.store import MetricValue

if TYPE_CHECKING:
    from devmetrics.config import Config
    from devmetrics.store import Store

NAME = "throughput"
VERSION = "2"
MEASURE = "commits per active developer-week"
MEASURE_PRS = "merged pull requests per active developer-week"
INSUFFICIENT = "insufficient data"
COUNTED_CLASSES = ("ai-authored", "ai-assisted", "human")
AI_CLASSES = frozenset({"ai-authored", "ai-assisted"})
SUFFIX = {"ai-authored": "ai_authored", "ai-assisted": "ai_assisted", "human": "human"}

# Dependency lock files: machine-written, and their size says nothing about the work done.
LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "pnpm-lock.yaml",
        "go.sum",
        "packages.lock.json",
        "gradle.lockfile",
        "conda-lock.yml",
        "Package.resolved",
    }
)
LOCK_SUFFIX = ".lock"  # yarn.lock, poetry.lock, Cargo.lock, Gemfile.lock, composer.lock, uv.lock, pdm.lock, …
# Data, not code: bulk or machine-written records. YAML and XML stay counted: people write them as
# configuration (CI pipelines, manifests, build files).
DATA_EXTENSIONS = frozenset({".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".geojson", ".svg", ".snap", ".ipynb"})

_PERIOD_NOTE = "Weeks start on Monday (UTC), by author date."
_COUNTED = (
    "Counted commits are reachable, non-merge, attributed and not excluded, of class ai-authored, "
    "ai-assisted or human (never bot), and credited to a person."
)
_EFFECTIVE = (
    "Effective changed lines: lines added plus deleted, leaving out binary files, dependency lock files "
    "(package-lock.json, yarn.lock, poetry.lock, Cargo.lock, go.sum, any *.lock …), data files (.csv .tsv "
    ".json .jsonl .ndjson .geojson .svg .snap .ipynb) and paths matching code.exclude (vendored, generated)."
)
_INTERVAL = (
    "Window and baseline values carry a 95% percentile bootstrap interval resampling developers; week and "
    "month values a delta-method interval over developers when at least throughput.min_developers contributed."
)
_CHURN = (
    f"Share of the lines added by counted commits that a later commit (anyone's) deleted or rewrote within "
    f"{HORIZON_DAYS} days (committer time), followed through the stored line ranges (hunks); commits younger "
    f"than {HORIZON_DAYS} days at data-through are left out until their horizon has passed. n = added lines."
)
_REVERT = (
    f"Share of counted commits reverted within {HORIZON_DAYS} days: a later commit says 'This reverts commit "
    f"<sha>' or its subject is 'Revert \"<subject>\"'. Commits younger than {HORIZON_DAYS} days at "
    "data-through are left out. n = commits."
)


def _by_class(name: str, title: str, unit: str, direction: str, rollup: str, definition: str) -> list[MetricDef]:
    """The metric over every counted class, then one metric per class (name.ai_authored, …)."""
    metrics = [MetricDef(name, title, unit, direction, rollup, definition)]
    for cls, suffix in SUFFIX.items():
        metrics.append(
            MetricDef(
                f"{name}.{suffix}", f"{title} ({cls})", unit, direction, rollup, f"{definition} Class {cls} only."
            )
        )
    return metrics


METRICS = (
    MetricDef(
        "throughput.multiplier",
        "Productivity multiplier",
        "ratio",
        "higher",
        "ratio",
        "Throughput per active developer-week in the window (the last throughput.window_weeks complete weeks with "
        "data) ÷ the same in the pre-adoption baseline (throughput.baseline_start to baseline_end); throughput is "
        "merged pull requests where every repository of the group has code-host PR data, else counted commits "
        "(the measure is named with the figure). 95% interval: percentile bootstrap resampling developers (pairs "
        "for people active in both periods), with small-sample "
        "corrections (n - 1 draws, t-stretch). n = developers "
        "active in the window; empty when fewer than throughput.min_developers in either period. " + _COUNTED,
    ),
    MetricDef(
        "throughput.multiplier.within_author",
        "Within-author multiplier",
        "ratio",
        "higher",
        "ratio",
        "Geometric mean over people active in both the window and the baseline of their own throughput (merged PRs "
        "or commits, as the multiplier) per active developer-week in the window ÷ in the baseline; 95% percentile "
        "bootstrap interval resampling them. n = people active in both periods.",
    ),
    MetricDef(
        "throughput.active_developers",
        "Active developers",
        "developers",
        "neutral",
        "distinct",
        f"People with at least one counted commit credited to them in the period. {_COUNTED} {_PERIOD_NOTE}",
    ),
    *_by_class(
        "throughput.commits",
        "Counted commits",
        "commits",
        "neutral",
        "sum",
        f"Counted commits authored in the period. {_COUNTED} n = active developers. {_PERIOD_NOTE}",
    ),
    *_by_class(
        "throughput.changed_lines",
        "Effective changed lines",
        "lines",
        "neutral",
        "sum",
        f"{_EFFECTIVE} Over counted commits of the period; n = active developers.",
    ),
    MetricDef(
        "throughput.commits_per_dev_week",
        "Commits per active developer-week",
        "commits per developer-week",
        "higher",
        "ratio",
        "Counted commits ÷ active developer-weeks (distinct person and week pairs) of the period; periods: week, "
        f"month, window, baseline. n = active developers. {_INTERVAL} {_PERIOD_NOTE}",
    ),
    MetricDef(
        "throughput.commits_per_dev_week.ai",
        "AI-attributed commits per active developer-week",
        "commits per developer-week",
        "neutral",
        "ratio",
        "Counted commits of class ai-authored or ai-assisted ÷ ALL active developer-weeks of the period: with "
        "the .human figure it splits throughput (ai + human = total), so it shows how much of the work is "
        f"AI-attributed, not how fast AI work is. n = active developers. {_INTERVAL}",
    ),
    MetricDef(
        "throughput.commits_per_dev_week.human",
        "Human commits per active developer-week",
        "commits per developer-week",
        "neutral",
        "ratio",
        f"Counted commits of class human ÷ ALL active developer-weeks of the period. n = active developers. "
        f"{_INTERVAL}",
    ),
    MetricDef(
        "throughput.merged_prs",
        "Merged pull requests",
        "pull requests",
        "neutral",
        "sum",
        "Merged pull requests (code-host data) of the period by its active developers, by merge date: a PR counts "
        "for its author's identity, else the person most of its commits are credited to; bots' PRs never count. "
        f"Only for groups whose every repository has PR data. n = active developers. {_PERIOD_NOTE}",
    ),
    MetricDef(
        "throughput.merged_prs.ai",
        "Merged AI-attributed pull requests",
        "pull requests",
        "neutral",
        "sum",
        "Merged pull requests of the period attributed ai-authored or ai-assisted (their own evidence or their "
        "commits'). n = active developers.",
    ),
    MetricDef(
        "throughput.merged_prs.human",
        "Merged human pull requests",
        "pull requests",
        "neutral",
        "sum",
        "Merged pull requests of the period attributed human. n = active developers.",
    ),
    MetricDef(
        "throughput.prs_per_dev_week",
        "Merged pull requests per active developer-week",
        "pull requests per developer-week",
        "higher",
        "ratio",
        "Merged pull requests (throughput.merged_prs) ÷ active developer-weeks of the period; periods: week, "
        f"month, window, baseline. Only for groups whose every repository has PR data. n = active developers. "
        f"{_INTERVAL}",
    ),
    MetricDef(
        "throughput.prs_per_dev_week.ai",
        "AI-attributed merged pull requests per active developer-week",
        "pull requests per developer-week",
        "neutral",
        "ratio",
        "Merged AI-attributed pull requests ÷ ALL active developer-weeks of the period (ai + human = total). "
        f"n = active developers. {_INTERVAL}",
    ),
    MetricDef(
        "throughput.prs_per_dev_week.human",
        "Human merged pull requests per active developer-week",
        "pull requests per developer-week",
        "neutral",
        "ratio",
        f"Merged human pull requests ÷ ALL active developer-weeks of the period. n = active developers. {_INTERVAL}",
    ),
    *_by_class("throughput.churn_21d", "Code churn within 21 days", "share", "lower", "ratio", _CHURN),
    *_by_class("throughput.revert_share", "Reverted within 21 days", "share", "lower", "ratio", _REVERT),
)
METRIC_NAMES = tuple(metric.name for metric in METRICS)
DEFINITIONS = {metric.name: metric.definition for metric in METRICS}

Units = list[tuple[int, int]]


# --- settings and periods ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    length: str  # week, month, window, baseline

    def holds(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def as_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": (self.end - self.start).days + 1}


@dataclass(frozen=True)
class Settings:
    window_weeks: int
    baseline_start: str
    baseline_end: str
    min_developers: int
    min_group_size: int
    samples: int
    seed: int
    exclude: tuple[str, ...]

    @classmethod
    def of(
        cls, config: Config, *, window_weeks: int | None = None, baseline: tuple[str, str] | None = None
    ) -> Settings:
        section = config.throughput
        start, end = baseline if baseline is not None else (section.baseline_start, section.baseline_end)
        return cls(
            window_weeks=window_weeks if window_weeks is not None else section.window_weeks,
            baseline_start=start,
            baseline_end=end,
            min_developers=section.min_developers,
            min_group_size=config.privacy.min_group_size,
            samples=section.bootstrap_samples,
            seed=section.seed,
            exclude=tuple(config.code.exclude),
        )

    def baseline(self) -> Period | str:
        """The baseline period, or why there is none."""
        if not self.baseline_start or not self.baseline_end:
            return f"{INSUFFICIENT}: configure throughput.baseline_start/baseline_end"
        start = datetime.date.fromisoformat(self.baseline_start)
        end = datetime.date.fromisoformat(self.baseline_end)
        if end < start:
            return f"{INSUFFICIENT}: the baseline ends ({end}) before it starts ({start})"
        return Period(start, end, "baseline")


def week_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def utc_day(timestamp: int) -> datetime.date:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).date()


# --- facts --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One counted commit, with what the metrics need of it."""

    repo: str  # the repository's identity
    sha: str
    developer: str  # identity key of the person credited
    team: str | None
    cls: str  # ai-authored, ai-assisted, human
    day: datetime.date  # author date, UTC
    lines: int  # effective changed lines
    churn: ChurnCount | None  # None: not followed (no hunks) or younger than the horizon at data-through
    reverted: bool | None  # None: younger than the horizon at data-through

    @property
    def week(self) -> datetime.date:
        return week_of(self.day)


@dataclass(frozen=True, slots=True)
class RepoInfo:
    id: int
    identity: str
    name: str
    is_shallow: bool
    data_through: int | None
    last_scanned_at: str | None


@dataclass(frozen=True, slots=True)
class MergedPr:
    """One merged pull request of a code host, with what throughput needs of it."""

    repo: str  # the repository's identity
    developer: str  # identity key of its author (or the person its commits are credited to)
    team: str | None
    ai: bool  # attributed ai-authored or ai-assisted
    day: datetime.date  # merge date, UTC


@dataclass
class PullRequestData:
    repos: frozenset[str] = frozenset()  # identities of the repositories with code-host PR data
    merged: list[MergedPr] = field(default_factory=list)


@dataclass
class Facts:
    changes: list[Change]
    not_counted: Counter[str]  # why reachable non-merge commits were left out
    lines_excluded: Counter[str]  # effective-lines exclusions: lines by reason, binary files by count
    repos: list[RepoInfo]
    followed_repos: int  # repositories with stored line ranges (hunks)
    prs: PullRequestData = field(default_factory=PullRequestData)


def read_pull_requests(store: Store, config: Config) -> PullRequestData:
    """Merged pull requests as the review analyzer reads them (author, team, cohort), when any is stored."""
    if store.db.execute("SELECT 1 FROM pull_requests WHERE state = 'merged' LIMIT 1").fetchone() is None:
        return PullRequestData()
    from devmetrics.analyzers import reviews

    facts = reviews.read_facts(store, config, reviews.Settings.of(config))
    return PullRequestData(
        frozenset(repo.identity for repo in facts.repos if repo.has_prs),
        [MergedPr(pr.repo, pr.author, pr.team, pr.cohort == reviews.AI, pr.day) for pr in facts.prs],
    )


class EffectivePaths:
    """Which paths count towards effective changed lines (and churn): why one does not, else None."""

    def __init__(self, globs: Sequence[str]) -> None:
        import pathspec
        from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

        self._spec = pathspec.PathSpec(GitIgnoreBasicPattern(glob) for glob in globs if glob.strip())
        self._reasons: dict[str, str | None] = {}

    def reason(self, path: str) -> str | None:
        if path not in self._reasons:
            self._reasons[path] = self._classify(path)
        return self._reasons[path]

    def _classify(self, path: str) -> str | None:
        name = path.rpartition("/")[2]
        if name in LOCK_FILES or name.endswith(LOCK_SUFFIX):
            return "lock file"
        dot = name.rfind(".")
        if dot > 0 and name[dot:].lower() in DATA_EXTENSIONS:
            return "data file"
        if self._spec.match_file(path):
            return "code.exclude"
        return None


_COMMITS = """
    SELECT c.repo_id, c.sha, c.author_time, c.committer_time, a.class, a.credited_to, a.excluded, i.kind, i.team
    FROM commits c
    JOIN reachable r ON r.repo_id = c.repo_id AND r.sha = c.sha
    LEFT JOIN attributions a ON a.repo_id = c.repo_id AND a.sha = c.sha
    LEFT JOIN identities i ON i.key = a.credited_to
    WHERE c.is_merge = 0
"""
_FILE_CHANGES = """
    SELECT f.repo_id, f.sha, f.path, f.added, f.deleted, f.is_binary
    FROM file_changes f
    JOIN reachable r ON r.repo_id = f.repo_id AND r.sha = f.sha
    JOIN commits c ON c.repo_id = f.repo_id AND c.sha = f.sha
    WHERE c.is_merge = 0
"""


@dataclass(frozen=True, slots=True)
class _Counted:
    sha: str
    developer: str
    team: str | None
    cls: str
    author_time: int
    committer_time: int


def read_repos(store: Store) -> list[RepoInfo]:
    cursor = store.db.execute(
        "SELECT p.id, p.identity, p.name, p.is_shallow, coalesce(p.data_through, "
        "(SELECT max(c.committer_time) FROM commits c JOIN reachable r ON r.repo_id = c.repo_id AND r.sha = c.sha "
        "WHERE c.repo_id = p.id)), p.last_scanned_at FROM repos p ORDER BY p.identity"
    )
    return [RepoInfo(row[0], row[1], row[2], bool(row[3]), row[4], row[5]) for row in cursor]


def read_facts(store: Store, settings: Settings) -> Facts:
    repos = read_repos(store)
    counted, not_counted = _counted_commits(store)
    paths = EffectivePaths(settings.exclude)
    lines, lines_excluded = _effective_lines(store, counted, paths)
    changes: list[Change] = []
    followed = 0
    for repo in repos:
        in_repo = counted.get(repo.id, {})
        if not in_repo:
            continue
        through = repo.data_through or 0
        churned = repository_churn(store, repo.id, _follows(in_repo, paths))
        followed += churned is not None
        delays = repository_revert_delays(store, repo.id)
        for sha, commit in in_repo.items():
            matured = commit.committer_time + HORIZON_SECONDS <= through
            delay = delays.get(sha)
            changes.append(
                Change(
                    repo=repo.identity,
                    sha=sha,
                    developer=commit.developer,
                    team=commit.team,
                    cls=commit.cls,
                    day=utc_day(commit.author_time),
                    lines=lines.get((repo.id, sha), 0),
                    churn=churned.get(sha) if churned is not None and matured else None,
                    reverted=(delay is not None and delay <= HORIZON_SECONDS) if matured else None,
                )
            )
    return Facts(changes, not_counted, lines_excluded, repos, followed)


def _follows(counted: Collection[str], paths: EffectivePaths) -> Callable[[str, str], bool]:
    """Whether the lines a commit added to a path are followed for churn: counted commits, effective paths."""
    return lambda sha, path: sha in counted and paths.reason(path) is None


def _counted_commits(store: Store) -> tuple[dict[int, dict[str, _Counted]], Counter[str]]:
    counted: dict[int, dict[str, _Counted]] = defaultdict(dict)
    not_counted: Counter[str] = Counter()
    for repo_id, sha, author_time, committer_time, cls, credited, excluded, kind, team in store.db.execute(_COMMITS):
        if cls is None:
            not_counted["not attributed yet"] += 1
        elif excluded is not None:
            not_counted[f"excluded: {excluded}"] += 1
        elif cls == "bot":
            not_counted["bot"] += 1
        elif cls not in COUNTED_CLASSES:
            not_counted[f"class {cls}"] += 1
        elif credited is None or kind != "person":
            not_counted["not credited to a person"] += 1
        else:
            counted[repo_id][sha] = _Counted(sha, credited, team, cls, author_time, committer_time)
    return counted, not_counted


def _effective_lines(
    store: Store, counted: dict[int, dict[str, _Counted]], paths: EffectivePaths
) -> tuple[dict[tuple[int, str], int], Counter[str]]:
    lines: Counter[tuple[int, str]] = Counter()
    excluded: Counter[str] = Counter()
    for repo_id, sha, path, added, deleted, is_binary in store.db.execute(_FILE_CHANGES):
        if sha not in counted.get(repo_id, {}):
            continue
        if is_binary or added is None:
            excluded["binary files"] += 1
            continue
        reason = paths.reason(path)
        if reason is None:
            lines[(repo_id, sha)] += added + (deleted or 0)
        else:
            excluded[f"{reason} lines"] += added + (deleted or 0)
    return dict(lines), excluded


# --- figures ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A ratio with its 95% interval and n, or the reason it has no value."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int = 0
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "reason": self.reason,
        } | self.detail


def _insufficient(why: str, n: int = 0, **detail: Any) -> Figure:
    return Figure(n=n, reason=f"{INSUFFICIENT}: {why}", detail=detail)


def _developers(count: int) -> str:
    return f"{count} developer" if count == 1 else f"{count} developers"


def _fewer(settings: Settings) -> str:
    return f"fewer than throughput.min_developers = {settings.min_developers}"


class Group:
    """Counted commits of one scope in one period, seen per developer (the unit of every interval)."""

    def __init__(self, changes: Sequence[Change], prs: Sequence[MergedPr] | None = None) -> None:
        self.changes = changes
        self.weeks: dict[str, set[datetime.date]] = defaultdict(set)
        for change in changes:
            self.weeks[change.developer].add(change.week)
        self.developers = sorted(self.weeks)
        # None: the group's throughput is commits; else its merged PRs, of its active developers only
        self.prs = None if prs is None else [pr for pr in prs if pr.developer in self.weeks]

    @property
    def measure(self) -> str:
        return MEASURE if self.prs is None else MEASURE_PRS

    def throughput_by_developer(self) -> Counter[str]:
        """What the multiplier counts per developer: merged PRs where the group has them, else commits."""
        if self.prs is None:
            return self.commits_by_developer(COUNTED_CLASSES)
        return Counter(pr.developer for pr in self.prs)

    def pr_rate(self, metric: str, ai: bool | None) -> Ratio:
        """Merged PRs (all, AI or human ones) ÷ active weeks, over every developer."""
        prs = Counter(pr.developer for pr in self.prs or () if ai is None or pr.ai == ai)
        units = [(prs[developer], len(self.weeks[developer])) for developer in self.developers]
        return Ratio(metric, units, "developers", sum(prs.values()), "no merged pull requests")

    @property
    def developer_weeks(self) -> int:
        return sum(len(weeks) for weeks in self.weeks.values())

    def commits_by_developer(self, classes: Collection[str]) -> Counter[str]:
        return Counter(change.developer for change in self.changes if change.cls in classes)

    def rate(self, metric: str, classes: Collection[str]) -> Ratio:
        """Commits of `classes` ÷ active weeks, over every developer, so that the denominator is shared."""
        commits = self.commits_by_developer(classes)
        units = [(commits[developer], len(self.weeks[developer])) for developer in self.developers]
        return Ratio(metric, units, "developers", sum(commits.values()), "no counted commits")

    def churn(self, metric: str, classes: Collection[str]) -> Ratio:
        """Churned ÷ added lines, over developers who added lines that were followed for 21 days."""
        units: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        trials = 0
        for change in self.changes:
            if change.cls in classes and change.churn is not None and change.churn.added:
                units[change.developer][0] += change.churn.churned
                units[change.developer][1] += change.churn.added
                trials += 1
        why = f"no {_label(classes)} lines followed for {HORIZON_DAYS} days through stored line ranges (hunks)"
        return Ratio(metric, [(c, a) for c, a in units.values()], "lines", trials, why, share=True)

    def reverts(self, metric: str, classes: Collection[str]) -> Ratio:
        """Reverted ÷ commits, over developers with commits at least 21 days old at data-through."""
        units: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for change in self.changes:
            if change.cls in classes and change.reverted is not None:
                units[change.developer][0] += change.reverted
                units[change.developer][1] += 1
        pairs = [(r, c) for r, c in units.values()]
        why = f"no {_label(classes)} commits {HORIZON_DAYS} days old at data-through"
        return Ratio(metric, pairs, "commits", sum(c for _, c in pairs), why, share=True)


@dataclass(frozen=True)
class Ratio:
    """A ratio metric over developers: (numerator, denominator) per developer, and what its n counts."""

    metric: str
    units: Units
    n_counts: str  # developers, lines or commits
    trials: int  # commits behind the figure: the trials of a share that is 0 or 1
    empty: str  # why there is no value when no developer has data
    share: bool = False

    @property
    def n(self) -> int:
        return len(self.units) if self.n_counts == "developers" else sum(d for _, d in self.units)

    @property
    def value(self) -> float | None:
        denominator = sum(d for _, d in self.units)
        return sum(n for n, _ in self.units) / denominator if denominator else None

    def edge_interval(self) -> tuple[float, float] | None:
        """For a share of exactly 0 or 1, where resampling shows no spread, the Clopper-Pearson interval
        over the commits behind it (as if independent: the data cannot show their correlation)."""
        if not self.share or self.value not in (0.0, 1.0):
            return None
        return bootstrap.clopper_pearson_edge(self.value == 1.0, self.trials)


def _label(classes: Collection[str]) -> str:
    return "counted" if len(classes) > 1 else next(iter(classes))


_SPLITS: tuple[tuple[str, Collection[str]], ...] = (
    ("", COUNTED_CLASSES),
    *((f".{suffix}", (cls,)) for cls, suffix in SUFFIX.items()),
)


def ratios(group: Group) -> list[Ratio]:
    found = [
        group.rate("throughput.commits_per_dev_week", COUNTED_CLASSES),
        group.rate("throughput.commits_per_dev_week.ai", AI_CLASSES),
        group.rate("throughput.commits_per_dev_week.human", ("human",)),
    ]
    if group.prs is not None:
        found += [
            group.pr_rate("throughput.prs_per_dev_week", None),
            group.pr_rate("throughput.prs_per_dev_week.ai", True),
            group.pr_rate("throughput.prs_per_dev_week.human", False),
        ]
    for suffix, classes in _SPLITS:
        found.append(group.churn(f"throughput.churn_21d{suffix}", classes))
        found.append(group.reverts(f"throughput.revert_share{suffix}", classes))
    return found


def bootstrap_figure(ratio: Ratio, settings: Settings, rng: random.Random, period: str) -> Figure:
    """The ratio with a bootstrap interval, or insufficient data with fewer developers than required."""
    if not ratio.units:
        return _insufficient(f"{ratio.empty} in the {period}")
    if len(ratio.units) < settings.min_developers:
        return _insufficient(f"{_developers(len(ratio.units))} with data in the {period}, {_fewer(settings)}", ratio.n)
    estimate = bootstrap.ratio_of_sums(ratio.units, samples=settings.samples, rng=rng, share=ratio.share)
    low, high = ratio.edge_interval() or (estimate.low, estimate.high)
    return Figure(estimate.value, low, high, ratio.n, detail={"n_counts": ratio.n_counts})


def multiplier_figure(window: Group, baseline: Group, settings: Settings, rng: random.Random) -> Figure:
    """Throughput in the window ÷ in the baseline, per active developer-week, resampling developers."""
    in_window, in_baseline = window.throughput_by_developer(), baseline.throughput_by_developer()
    detail: dict[str, Any] = {
        "measure": window.measure,
        "n_baseline": len(baseline.developers),
        "window_commits": len(window.changes),
        "window_developer_weeks": window.developer_weeks,
        "baseline_commits": len(baseline.changes),
        "baseline_developer_weeks": baseline.developer_weeks,
    }
    if window.prs is not None:
        detail["window_merged_prs"] = sum(in_window.values())
        detail["baseline_merged_prs"] = sum(in_baseline.values())
    for label, group in (("window", window), ("baseline", baseline)):
        if len(group.developers) < settings.min_developers:
            why = f"{_developers(len(group.developers))} active in the {label}, {_fewer(settings)}"
            return _insufficient(why, len(window.developers), **detail)
    developers = paired_units(window, baseline)
    estimate = bootstrap.rate_ratio(developers, samples=settings.samples, rng=rng)
    detail["window_rate"] = sum(in_window.values()) / window.developer_weeks
    detail["baseline_rate"] = sum(in_baseline.values()) / baseline.developer_weeks
    return Figure(estimate.value, estimate.low, estimate.high, len(window.developers), detail=detail)


def paired_units(window: Group, baseline: Group) -> list[tuple[int, int, int, int]]:
    """(window throughput, window weeks, baseline throughput, baseline weeks) per developer of either period;
    throughput is merged PRs where the groups have them, else commits."""
    in_window = window.throughput_by_developer()
    in_baseline = baseline.throughput_by_developer()
    people = sorted(set(window.developers) | set(baseline.developers))
    return [
        (in_window[p], len(window.weeks.get(p, ())), in_baseline[p], len(baseline.weeks.get(p, ()))) for p in people
    ]


def within_author_figure(window: Group, baseline: Group, settings: Settings, rng: random.Random) -> Figure:
    """Geometric mean of each person's window rate ÷ baseline rate, over people active in both periods."""
    both = [(cw, ww, cb, wb) for cw, ww, cb, wb in paired_units(window, baseline) if ww and wb]
    if len(both) < settings.min_developers:
        return _insufficient(
            f"{_developers(len(both))} active in both the window and the baseline, {_fewer(settings)}", len(both)
        )
    estimate = bootstrap.geometric_mean(
        [(cw / ww) / (cb / wb) for cw, ww, cb, wb in both], samples=settings.samples, rng=rng
    )
    return Figure(estimate.value, estimate.low, estimate.high, len(both))


# --- analysis ---------------------------------------------------------------------------------------------


@dataclass
class ScopeResult:
    kind: str  # org, repo, team
    id: str
    developers: int
    measure: str  # what throughput counts in this group: merged PRs or commits
    multiplier: Figure
    within_author: Figure
    window: dict[str, Figure]  # ratio metric -> figure over the window
    baseline: dict[str, Figure]  # ratio metric -> figure over the baseline
    rows: list[MetricValue]


@dataclass
class Analysis:
    settings: Settings
    facts: Facts
    window: Period | None
    baseline: Period | None
    baseline_reason: str | None
    scopes: list[ScopeResult]
    hidden: Counter[str]  # scope kind -> groups hidden for privacy


def analyse(store: Store, settings: Settings, prs: PullRequestData | None = None) -> Analysis:
    facts = read_facts(store, settings)
    facts.prs = prs or PullRequestData()
    baseline = settings.baseline()
    window = window_of(facts.changes, settings.window_weeks, _scanned_on(facts.repos))
    if isinstance(baseline, Period) and window is not None and baseline.end >= window.start:
        baseline = (
            f"{INSUFFICIENT}: the baseline ({baseline.start} to {baseline.end}) overlaps the window "
            f"({window.start} to {window.end}); end the baseline earlier or shorten throughput.window_weeks"
        )
    result = Analysis(
        settings,
        facts,
        window,
        baseline if isinstance(baseline, Period) else None,
        baseline if isinstance(baseline, str) else None,
        [],
        Counter(),
    )
    for kind, scope_id, changes in scopes_of(facts.changes):
        people = len({change.developer for change in changes})
        if people < settings.min_group_size:
            result.hidden[kind] += 1
            continue
        result.scopes.append(_scope(kind, scope_id, changes, _scope_prs(kind, scope_id, changes, facts.prs), result))
    return result


def _scope_prs(kind: str, scope_id: str, changes: Sequence[Change], prs: PullRequestData) -> list[MergedPr] | None:
    """The group's merged PRs when every repository of its counted commits has PR data, else None (commits)."""
    repos = {change.repo for change in changes}
    if not repos or not repos <= prs.repos:
        return None
    if kind == "repo":
        return [pr for pr in prs.merged if pr.repo == scope_id]
    if kind == "team":
        return [pr for pr in prs.merged if pr.team == scope_id and pr.repo in repos]
    return [pr for pr in prs.merged if pr.repo in repos]


def _scanned_on(repos: Sequence[RepoInfo]) -> datetime.date | None:
    stamps = [repo.last_scanned_at for repo in repos if repo.last_scanned_at]
    return datetime.date.fromisoformat(max(stamps)[:10]) if stamps else None


def window_of(changes: Sequence[Change], weeks: int, scanned_on: datetime.date | None) -> Period | None:
    """The last `weeks` weeks ending with the newest complete week that has counted commits.

    A week is complete when the last scan happened after it ended; without a scan date, every week is.
    """
    complete = [
        change.week
        for change in changes
        if scanned_on is None or change.week + datetime.timedelta(days=7) <= scanned_on
    ]
    if not complete:
        return None
    newest = max(complete)
    return Period(newest - datetime.timedelta(weeks=weeks - 1), newest + datetime.timedelta(days=6), "window")


def scopes_of(changes: Sequence[Change]) -> list[tuple[str, str, list[Change]]]:
    """("org", "all"), then every repository and every team, with their counted commits."""
    by_repo: dict[str, list[Change]] = defaultdict(list)
    by_team: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        by_repo[change.repo].append(change)
        if change.team:
            by_team[change.team].append(change)
    found = [("org", "all", list(changes))]
    found += [("repo", repo, by_repo[repo]) for repo in sorted(by_repo)]
    found += [("team", team, by_team[team]) for team in sorted(by_team)]
    return found


def _scope(
    kind: str, scope_id: str, changes: Sequence[Change], prs: list[MergedPr] | None, analysis: Analysis
) -> ScopeResult:
    settings = analysis.settings
    people = len({change.developer for change in changes})

    def rng(metric: str, length: str) -> random.Random:
        # One stream per figure, named by what it measures: a figure does not depend on which others exist.
        return random.Random(f"{settings.seed}/{kind}/{scope_id}/{metric}/{length}")

    def figures(group: Group, period: Period) -> dict[str, Figure]:
        return {
            r.metric: bootstrap_figure(r, settings, rng(r.metric, period.length), period.length) for r in ratios(group)
        }

    def in_period(period: Period) -> Group:
        return Group(
            [change for change in changes if period.holds(change.day)],
            None if prs is None else [pr for pr in prs if period.holds(pr.day)],
        )

    no_window = _insufficient("no complete week with counted commits")
    measure = MEASURE if prs is None else MEASURE_PRS
    rows = periodic_rows(kind, scope_id, changes, settings, prs)
    result = ScopeResult(kind, scope_id, people, measure, no_window, no_window, {}, {}, rows)
    if analysis.window is None:
        return result
    window = in_period(analysis.window)
    hidden = _hidden(window, analysis.window, settings)
    if hidden is not None:
        result.multiplier = result.within_author = hidden
        return result
    result.window = figures(window, analysis.window)
    result.rows += _figure_rows(kind, scope_id, analysis.window, result.window)
    if analysis.baseline is None:
        result.multiplier = result.within_author = Figure(n=len(window.developers), reason=analysis.baseline_reason)
    else:
        baseline = in_period(analysis.baseline)
        hidden = _hidden(baseline, analysis.baseline, settings)
        if hidden is not None:
            result.multiplier = result.within_author = hidden
            return result
        result.baseline = figures(baseline, analysis.baseline)
        result.rows += _figure_rows(kind, scope_id, analysis.baseline, result.baseline)
        result.multiplier = multiplier_figure(window, baseline, settings, rng("throughput.multiplier", "window"))
        result.within_author = within_author_figure(
            window, baseline, settings, rng("throughput.multiplier.within_author", "window")
        )
    multipliers = {
        "throughput.multiplier": result.multiplier,
        "throughput.multiplier.within_author": result.within_author,
    }
    result.rows += _figure_rows(kind, scope_id, analysis.window, multipliers)
    return result


def _hidden(group: Group, period: Period, settings: Settings) -> Figure | None:
    """A figure saying why a period is not shown, when fewer than privacy.min_group_size people are in it."""
    if len(group.developers) >= settings.min_group_size:
        return None
    return Figure(
        reason=f"hidden: fewer than privacy.min_group_size = {settings.min_group_size} people active in the "
        f"{period.length}"
    )


def _figure_rows(kind: str, scope_id: str, period: Period, figures: dict[str, Figure]) -> list[MetricValue]:
    start = period.start.isoformat()
    return [
        MetricValue(metric, kind, scope_id, start, period.length, figure.value, figure.n, figure.low, figure.high)
        for metric, figure in figures.items()
    ]


def periodic_rows(
    kind: str, scope_id: str, changes: Sequence[Change], settings: Settings, prs: Sequence[MergedPr] | None = None
) -> list[MetricValue]:
    """Counts and ratios of every week and month with at least privacy.min_group_size active developers,
    with delta-method intervals over developers."""
    rows: list[MetricValue] = []
    for length, start_of in (("week", week_of), ("month", month_of)):
        by_period: dict[datetime.date, list[Change]] = defaultdict(list)
        for change in changes:
            by_period[start_of(change.day)].append(change)
        prs_by_period: dict[datetime.date, list[MergedPr]] = defaultdict(list)
        for pr in prs or ():
            prs_by_period[start_of(pr.day)].append(pr)
        for start, members in sorted(by_period.items()):
            group = Group(members, None if prs is None else prs_by_period.get(start, []))
            if len(group.developers) >= settings.min_group_size:  # else the row could describe one person
                rows += _period_rows(kind, scope_id, start.isoformat(), length, group, settings)
    return rows


def _period_rows(
    kind: str, scope_id: str, start: str, length: str, group: Group, settings: Settings
) -> list[MetricValue]:
    developers = len(group.developers)

    def row(metric: str, value: float | None, n: int, interval: tuple[float, float] | None = None) -> MetricValue:
        low, high = interval if interval is not None else (None, None)
        return MetricValue(metric, kind, scope_id, start, length, value, n, low, high)

    rows = [row("throughput.active_developers", developers, developers)]
    for suffix, classes in _SPLITS:
        members = [change for change in group.changes if change.cls in classes]
        rows.append(row(f"throughput.commits{suffix}", len(members), developers))
        rows.append(row(f"throughput.changed_lines{suffix}", sum(change.lines for change in members), developers))
    if group.prs is not None:
        for suffix, ai in (("", None), (".ai", True), (".human", False)):
            merged = sum(1 for pr in group.prs if ai is None or pr.ai == ai)
            rows.append(row(f"throughput.merged_prs{suffix}", merged, developers))
    for ratio in ratios(group):
        if ratio.value is None:
            continue  # nothing to divide: no followed lines or no commits old enough, so no row
        interval = None
        if len(ratio.units) >= settings.min_developers:
            interval = ratio.edge_interval() or bootstrap.linearized_ratio_interval(ratio.units, share=ratio.share)
        rows.append(row(ratio.metric, ratio.value, ratio.n, interval))
    return rows


# --- the analyzer -----------------------------------------------------------------------------------------


def inputs_hash(store: Store, settings: Settings) -> str:
    """Changes when the history, attributions, identities, hunks, settings or the newest complete week do."""
    digest = hashlib.sha256(f"{NAME}:{VERSION}:{json.dumps(asdict(settings), sort_keys=True)}".encode())
    queries = (
        "SELECT p.identity, s.state FROM sync_state s JOIN repos p ON p.id = s.repo_id "
        "WHERE s.source = 'git' AND s.category = 'history' ORDER BY p.identity",
        "SELECT repo_id, sha, class, credited_to, excluded FROM attributions ORDER BY repo_id, sha",
        "SELECT key, kind, team FROM identities ORDER BY key",
        "SELECT repo_id, count(*) FROM hunks GROUP BY repo_id ORDER BY repo_id",
        "SELECT id, data_through FROM repos ORDER BY id",
        "SELECT repo_id, number, state, merged_at, author_login, updated_at FROM pull_requests "
        "ORDER BY repo_id, number",
        "SELECT repo_id, pr_number, sha FROM pr_commits ORDER BY repo_id, pr_number, sha",
    )
    for query in queries:
        digest.update(b"\n--")
        for row in store.db.execute(query):
            digest.update(("\t".join(map(str, row)) + "\n").encode())
    scanned_on = _scanned_on(read_repos(store))
    digest.update(f"\nweek of last scan: {week_of(scanned_on) if scanned_on else None}".encode())
    return digest.hexdigest()


def analyze(store: Store, config: Config) -> int:
    settings = Settings.of(config)
    digest = inputs_hash(store, settings)
    if store.metric_inputs_hash("throughput.multiplier") == digest:
        return 0
    analysis = analyse(store, settings, read_pull_requests(store, config))
    rows = [row for scope in analysis.scopes for row in scope.rows]
    if not any(row.metric == "throughput.multiplier" for row in rows):
        # Always one row, so that the inputs hash is stored and an unchanged rescan skips this work.
        start = analysis.window.start.isoformat() if analysis.window else ""
        rows.append(MetricValue("throughput.multiplier", "org", "all", start, "window", None, 0))
    return store.replace_metric_values(METRIC_NAMES, digest, rows)


# --- the answer of `devmetrics throughput` ----------------------------------------------------------------


def report(
    store: Store, config: Config, *, window_weeks: int | None = None, baseline: tuple[str, str] | None = None
) -> dict[str, Any]:
    """Computed from the facts with the analyzer's own code and seed, so without overrides it equals what
    the last scan stored; --window and --baseline overrides cannot be read from stored values."""
    settings = Settings.of(config, window_weeks=window_weeks, baseline=baseline)
    analysis = analyse(store, settings, read_pull_requests(store, config))
    repos = analysis.facts.repos
    newest = max((repo.data_through for repo in repos if repo.data_through), default=None)
    org = next((scope for scope in analysis.scopes if scope.kind == "org"), None)
    return {
        "measure": org.measure if org is not None else MEASURE,
        "window": analysis.window.as_json() | {"weeks": settings.window_weeks} if analysis.window else None,
        "baseline": analysis.baseline.as_json() if analysis.baseline else None,
        "baseline_reason": analysis.baseline_reason,
        "scopes": [_scope_json(scope) for scope in analysis.scopes],
        "hidden_groups": dict(analysis.hidden),
        "not_counted": dict(sorted(analysis.facts.not_counted.items())),
        "lines_excluded": dict(sorted(analysis.facts.lines_excluded.items())),
        "line_ranges": {"repositories_with_hunks": analysis.facts.followed_repos, "repositories": len(repos)},
        "settings": {
            "window_weeks": settings.window_weeks,
            "min_developers": settings.min_developers,
            "min_group_size": settings.min_group_size,
            "bootstrap_samples": settings.samples,
            "seed": settings.seed,
            "confidence": bootstrap.CONFIDENCE,
            "horizon_days": HORIZON_DAYS,
        },
        "definitions": DEFINITIONS,
        "data_through": _iso_time(newest),
        "partial_history": [repo.name for repo in repos if repo.is_shallow],
        "failed": [
            {"target": target, "stage": stage, "reason": reason} for target, stage, reason in store.failed_targets()
        ],
    }


def _iso_time(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _split(figures: dict[str, Figure], base: str) -> dict[str, Any]:
    found = {"all": figures[base].as_json()} if base in figures else {}
    for cls, suffix in SUFFIX.items():
        if f"{base}.{suffix}" in figures:
            found[cls] = figures[f"{base}.{suffix}"].as_json()
    return found


def _scope_json(scope: ScopeResult) -> dict[str, Any]:
    window, baseline = scope.window, scope.baseline
    return {
        "kind": scope.kind,
        "id": scope.id,
        "developers": scope.developers,
        "measure": scope.measure,
        "multiplier": scope.multiplier.as_json(),
        "within_author": scope.within_author.as_json(),
        "ai_vs_human": {
            label: window[metric].as_json()
            for label, metric in (
                ("all", "throughput.commits_per_dev_week"),
                ("ai", "throughput.commits_per_dev_week.ai"),
                ("human", "throughput.commits_per_dev_week.human"),
            )
            if metric in window
        },
        "guardrails": {
            "window": {
                "churn_21d": _split(window, "throughput.churn_21d"),
                "revert_share": _split(window, "throughput.revert_share"),
            },
            "baseline": {
                "churn_21d": _split(baseline, "throughput.churn_21d"),
                "revert_share": _split(baseline, "throughput.revert_share"),
            },
        },
    }


def render(answer: dict[str, Any]) -> str:
    """The report as text: every number with its interval and n, or why there is none."""
    window, baseline = answer["window"], answer["baseline"]
    lines = [
        f"measure: {answer['measure']}",
        f"window: {window['start']} to {window['end']} ({window['weeks']} weeks)" if window else "window: none",
        f"baseline: {baseline['start']} to {baseline['end']}" if baseline else f"baseline: {answer['baseline_reason']}",
    ]
    for scope in answer["scopes"]:
        lines += _render_scope(scope)
    if not answer["scopes"]:
        lines.append(f"{INSUFFICIENT}: no group has {answer['settings']['min_group_size']} people with counted commits")
    lines += _render_trust(answer)
    return "\n".join(lines)


def _number(figure: dict[str, Any], *, percent: bool = False, unit: str = "", n_counts: str = "") -> str:
    """`value (95% CI low to high), n = N things`, or the reason there is no value."""
    if figure["value"] is None:
        return str(figure["reason"])
    shown: Callable[[float], str] = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.2f}{unit}")
    interval = f" (95% CI {shown(figure['low'])} to {shown(figure['high'])})" if figure["low"] is not None else ""
    counted = n_counts or figure.get("n_counts", "")
    return f"{shown(figure['value'])}{interval}, n = {figure['n']:,} {counted}".rstrip()


_SCOPE_TITLES = {"org": "organisation", "repo": "repository", "team": "team"}
_GUARDRAILS = (("churn_21d", "churn within 21 days"), ("revert_share", "reverted within 21 days"))


def _render_scope(scope: dict[str, Any]) -> list[str]:
    name = "" if scope["kind"] == "org" else f" {scope['id']}"
    multiplier = scope["multiplier"]
    lines = ["", f"{_SCOPE_TITLES[scope['kind']]}{name} ({scope['developers']} people)"]
    text = _number(multiplier, unit="x", n_counts="developers in the window")
    if multiplier["value"] is not None:
        text += f", {multiplier['n_baseline']:,} in the baseline"
    lines.append(f"  productivity multiplier: {text}")
    if multiplier["value"] is not None:
        lines.append(
            f"    {multiplier['window_rate']:.2f} {scope['measure']} in the window, {multiplier['baseline_rate']:.2f} "
            "in the baseline"
        )
    within = _number(scope["within_author"], unit="x", n_counts="developers active in both periods")
    lines.append(f"  within-author (geometric mean): {within}")
    split = scope["ai_vs_human"]
    if split:
        lines.append(f"  AI vs non-AI in the window, {MEASURE} (AI + human = all):")
        for label, title in (("ai", "AI-attributed"), ("human", "human"), ("all", "all")):
            lines.append(f"    {title:<14} {_number(split[label])}")
    for period in ("window", "baseline"):
        for metric, title in _GUARDRAILS:
            lines += _render_split(f"{title}, {period}", scope["guardrails"][period][metric])
    return lines


def _render_split(title: str, by_class: dict[str, dict[str, Any]]) -> list[str]:
    if not by_class:
        return []
    if all(figure["value"] is None for figure in by_class.values()):
        return [f"  {title}: {by_class['all']['reason']}"]  # no class has a value: say why once
    return [f"  {title}:"] + [f"    {cls:<14} {_number(figure, percent=True)}" for cls, figure in by_class.items()]


def _render_trust(answer: dict[str, Any]) -> list[str]:
    lines = [""]
    hidden = answer["hidden_groups"]
    if hidden:
        groups = ", ".join(f"{count} {kind}" for kind, count in sorted(hidden.items()))
        lines.append(f"hidden for privacy (fewer than {answer['settings']['min_group_size']} people): {groups}")
    if answer["not_counted"]:
        lines.append("not counted: " + ", ".join(f"{count:,} {why}" for why, count in answer["not_counted"].items()))
    if answer["lines_excluded"]:
        lines.append(
            "left out of changed lines: "
            + ", ".join(f"{count:,} {why}" for why, count in answer["lines_excluded"].items())
        )
    ranges = answer["line_ranges"]
    followed = f"{ranges['repositories_with_hunks']} of {ranges['repositories']}"
    lines.append(f"line ranges (for churn) stored for {followed} repositories")
    failed = ", ".join(f"{item['target']} ({item['stage']}: {item['reason']})" for item in answer["failed"]) or "none"
    partial = ", ".join(answer["partial_history"]) or "none"
    lines.append(f"data through {answer['data_through'] or 'no data'}; partial history: {partial}; failed: {failed}")
    return lines
