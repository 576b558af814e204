"""The report's content: the overview table, the failed scans, and a section of charts per scope.

Every chart carries its trust signals (DESIGN §6): the metric's definition, n, the "data through" date,
the partial-history flag of shallow clones and the failed scans. Figures are shown for the organisation
and per repository, never per person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from devmetrics.dashboards.figures import figure_json
from devmetrics.dashboards.markup import Child, Markup, el, join, json_block, void
from devmetrics.dashboards.queries import (
    ORG,
    MetricDefinition,
    Repo,
    ReportData,
    ScopeKey,
    Series,
    weeks_before,
)

OVERVIEW_WEEKS = 12
COMMITS = "history.commits"
ACTIVE_AUTHORS = "history.active_authors"
SHALLOW = "partial history (shallow clone)"
NO_DATA = "—"


@dataclass(frozen=True)
class Flag:
    text: str
    bad: bool = False

    def html(self) -> Markup:
        return el("span", self.text, class_="flag bad" if self.bad else "flag")


@dataclass(frozen=True)
class Scope:
    """The organisation or one repository: a section of the page."""

    key: ScopeKey
    anchor: str
    title: str
    subtitle: str | None
    data_through: date | None
    flags: tuple[Flag, ...]


def scopes(data: ReportData) -> list[Scope]:
    """The organisation first, then every repository, in name order."""
    return [_org_scope(data)] + [_repo_scope(data, index, repo) for index, repo in enumerate(data.repos, 1)]


def _org_scope(data: ReportData) -> Scope:
    through = max((repo.data_through for repo in data.repos if repo.data_through), default=None)
    shallow = sum(repo.is_shallow for repo in data.repos)
    flags = []
    if shallow:
        flags.append(Flag(f"{SHALLOW}: {shallow} of {len(data.repos)} repositories"))
    if data.failures:
        flags.append(Flag(f"{len(data.failures)} failed scan{'s' if len(data.failures) > 1 else ''}", bad=True))
    return Scope(ORG, "scope-org", "All repositories", "the organisation", through, tuple(flags))


def _repo_scope(data: ReportData, index: int, repo: Repo) -> Scope:
    return Scope(repo.scope, f"scope-{index}", repo.name, repo.identity, repo.data_through, _repo_flags(data, repo))


def _repo_flags(data: ReportData, repo: Repo) -> tuple[Flag, ...]:
    flags = [Flag(SHALLOW)] if repo.is_shallow else []
    flags += [Flag(f"last scan failed ({failure.stage})", bad=True) for failure in data.failed(repo)]
    return tuple(flags)


# --- header, failures, overview ----------------------------------------------------------------


def navigation(all_scopes: list[Scope]) -> Markup:
    links = [el("a", "Overview", href="#overview")]
    links += [el("a", scope.title, href=f"#{scope.anchor}") for scope in all_scopes]
    return el("nav", *links)


def failures_box(data: ReportData) -> Markup:
    """The repositories whose latest scan failed, with the stage and the reason."""
    if not data.failures:
        return Markup("")
    rows = [el("tr", el("td", f.target), el("td", f.stage), el("td", f.reason)) for f in data.failures]
    return el(
        "section",
        el("h2", f"Failed scans ({len(data.failures)})"),
        el("p", "The latest scan of these targets failed: their figures below are missing or out of date."),
        el(
            "table",
            el("thead", el("tr", el("th", "Target"), el("th", "Stage"), el("th", "Reason"))),
            el("tbody", *rows),
        ),
        class_="box failed",
        id="failures",
    )


def overview(data: ReportData, all_scopes: list[Scope]) -> Markup:
    """One row per repository (never per person), and the organisation's total."""
    latest = data.latest_week(COMMITS) or data.latest_week(ACTIVE_AUTHORS)
    start = None if latest is None else weeks_before(latest, OVERVIEW_WEEKS)
    head = el(
        "tr",
        el("th", "Repository"),
        el("th", f"Commits, last {OVERVIEW_WEEKS} weeks", class_="num"),
        el("th", "Active authors, busiest week", class_="num"),
        el("th", "Data through", class_="date"),
        el("th", "Flags"),
    )
    org, repos = all_scopes[0], all_scopes[1:]
    return el(
        "section",
        el("h2", "Overview"),
        el(
            "table",
            _window_caption(start, latest),
            el("thead", head),
            el("tbody", *(_overview_row(data, scope, start) for scope in repos)),
            el("tfoot", _overview_row(data, org, start)),
        ),
        class_="box",
        id="overview",
    )


def _overview_row(data: ReportData, scope: Scope, start: date | None) -> Markup:
    commits = data.get(COMMITS, scope.key)
    authors = data.get(ACTIVE_AUTHORS, scope.key)
    name: list[Child] = [el("a", scope.title, href=f"#{scope.anchor}")]
    if scope.subtitle and scope.subtitle != scope.title:
        name += [void("br"), el("span", scope.subtitle, class_="muted")]
    return el(
        "tr",
        el("td", *name),
        el("td", _window_total(commits, start), class_="num"),
        el("td", _window_peak(authors, start), class_="num"),
        el("td", _date(scope.data_through), class_="date"),
        el("td", *(flag.html() for flag in scope.flags)),
    )


def _window_caption(start: date | None, latest: date | None) -> Markup:
    if start is None or latest is None:
        return Markup("")
    return el(
        "caption",
        f"The {OVERVIEW_WEEKS} weeks from {start.isoformat()} to the week of {latest.isoformat()}. "
        "Active authors: people with at least one non-merge commit in a week; the busiest week of the twelve.",
    )


def _window_total(series: Series | None, start: date | None) -> str:
    if series is None or start is None:
        return NO_DATA
    return f"{series.total_since(start):,.0f}"


def _window_peak(series: Series | None, start: date | None) -> str:
    """Distinct people cannot be summed over weekly rows; the busiest week is an honest headline."""
    if series is None or start is None:
        return NO_DATA
    values = [point.value or 0.0 for point in series.points if point.week >= start]
    return f"{max(values, default=0.0):,.0f}"


def _date(day: date | None) -> str:
    return "unknown" if day is None else day.isoformat()


# --- charts ---------------------------------------------------------------------------------------


def scope_section(data: ReportData, scope: Scope, chart_ids: Iterator[int]) -> Markup:
    """The scope's heading, flags and one chart per metric that has values for it."""
    charts = [
        chart(metric, series, scope, data, next(chart_ids))
        for metric in data.metrics
        if (series := data.get(metric.name, scope.key)) is not None and series.points
    ]
    body = (
        el("div", *charts, class_="charts")
        if charts
        else el(
            "p",
            "No weekly metric values here yet: run ",
            el("code", "devmetrics scan PATH"),
            ".",
            class_="muted",
        )
    )
    return el(
        "section",
        el("h2", scope.title, el("small", scope.subtitle) if scope.subtitle != scope.title else None),
        el("p", *(flag.html() for flag in scope.flags)) if scope.flags else None,
        body,
        id=scope.anchor,
    )


def chart(metric: MetricDefinition, series: Series, scope: Scope, data: ReportData, number: int) -> Markup:
    """A chart's placeholder, its figure as a JSON data block, and its trust signals."""
    plot_id = f"chart-{number}"
    return el(
        "article",
        el("div", id=plot_id, class_="plot", role="img", aria_label=f"{metric.label}: {scope.title}"),
        json_block(f"figure-{number}", figure_json(metric, series), data_figure_for=plot_id),
        trust_signals(metric, series, scope, data),
        class_="chart",
    )


def trust_signals(metric: MetricDefinition, series: Series, scope: Scope, data: ReportData) -> Markup:
    first, last = series.points[0].week, series.points[-1].week
    weeks = len(series.points)
    facts: list[Child] = [
        el("dt", "n"),
        el(
            "dd",
            f"{series.n:,} over {weeks} week{'s' if weeks > 1 else ''} ({first.isoformat()} to {last.isoformat()})",
        ),
        el("dt", "Data through"),
        el("dd", _date(scope.data_through)),
        el("dt", "Unit"),
        el("dd", f"{metric.unit} ({_direction(metric.direction)})"),
    ]
    if data.failures:
        facts += [el("dt", "Failed scans"), el("dd", el("a", f"{len(data.failures)}", href="#failures"))]
    return el(
        "div",
        el("p", el("strong", "Definition: "), metric.definition, class_="definition"),
        el("dl", *facts),
        join(flag.html() for flag in scope.flags),
        class_="trust",
    )


def _direction(direction: str) -> str:
    return {"higher": "higher is better", "lower": "lower is better"}.get(direction, direction)
