"""The pages' content: overview (targets, headline figures), productivity, reviews, debt, repositories, and
the drill-down pages of one repository or team.

Every chart carries its trust signals: each metric's definition, n and the "data through" date. A section
without data says what to configure to fill it instead of drawing an empty chart. Review sections are
drawn from whatever `reviews.*` metrics the registry and the stored values hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from devmetrics.analyzers.targets import Target, Value, progress_text, ratio_series, trend_text
from devmetrics.dashboards.data import ORG, Row, SiteData
from devmetrics.dashboards.figures import PALETTE, Level, Line, figure_json, scatter_figure_json, time_figure_json
from devmetrics.dashboards.markup import Child, Markup, el, join, json_block, void
from devmetrics.dashboards.queries import ScopeKey
from devmetrics.dashboards.site import (
    Context,
    Flag,
    date_text,
    repo_flags,
    repo_page,
    team_page,
)

NO_DATA = "—"
PERCENT_UNITS = frozenset({"share", "fraction"})
RATE = "throughput.commits_per_dev_week"
MULTIPLIER = "throughput.multiplier"
COHORTS = (("", "all"), (".ai", "AI"), (".human", "human"))
CLASSES = (("", "all"), (".ai_authored", "ai-authored"), (".ai_assisted", "ai-assisted"), (".human", "human"))
HISTORY = ("history.commits", "history.active_authors", "history.changed_lines")
RECENT_WEEKS = 12
Z95 = 1.959963984540054

HOW_THROUGHPUT = (
    "No throughput figures here. Set throughput.baseline_start and throughput.baseline_end (the pre-adoption "
    "period) in devmetrics.toml and run devmetrics scan; groups of fewer than privacy.min_group_size people "
    "are hidden."
)
HOW_REVIEWS = (
    "No review data. Configure a code host — a [github] or [gitlab] section in devmetrics.toml and its token "
    "in the environment (tokens are never read from files) — then run devmetrics scan: pull requests and "
    "reviews fill this page."
)
HOW_CODE = "No code metrics. Run devmetrics scan (its code stage measures the code snapshots)."
HOW_REDUCTION = (
    "No debt reduction: set debt.baseline_date (a date before the changes began) and run devmetrics analyze."
)
HOW_HOTSPOTS = "No hotspots: run devmetrics scan (the code stage records the changed line ranges)."


def is_percent(unit: str) -> bool:
    return unit in PERCENT_UNITS


def number(value: float | None, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return NO_DATA
    if is_percent(unit):
        return f"{value:.1%}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def with_interval(value: float | None, low: float | None, high: float | None, unit: str) -> str:
    text = number(value, unit)
    if value is not None and low is not None and high is not None:
        text += f" ({number(low, unit)}–{number(high, unit)})"
    return text


def row_text(row: Row | None, unit: str) -> str:
    return NO_DATA if row is None else with_interval(row.value, row.low, row.high, unit)


def empty(text: str) -> Markup:
    return el("p", text, class_="box empty")


def section(title: str, *children: Child) -> Markup:
    """A titled part of a page (no id: in the single file, every page has the same parts)."""
    return el("section", el("h2", title), *children)


def points(rows: Sequence[Row]) -> list[tuple[date, float | None, float | None, float | None]]:
    return [(row.start, row.value, row.low, row.high) for row in rows if row.value is not None]


def chart(ctx: Context, figure: Markup, label: str, metrics: Sequence[str], n_text: str) -> Markup:
    """A chart's placeholder, its figure as a JSON data block, and its trust signals."""
    plot_id, figure_id = ctx.next_chart()
    return el(
        "article",
        el("div", id=plot_id, class_="plot", role="img", aria_label=label),
        json_block(figure_id, figure, data_figure_for=plot_id),
        trust(ctx, metrics, n_text),
        class_="chart",
    )


def trust(ctx: Context, metrics: Sequence[str], n_text: str) -> Markup:
    definitions = [
        el("p", el("strong", f"{ctx.data.definition(name).label}: "), ctx.data.definition(name).definition)
        for name in dict.fromkeys(metrics)
        if ctx.data.definition(name).definition
    ]
    facts: list[Child] = [
        el("dt", "n"),
        el("dd", n_text),
        el("dt", "Data through"),
        el("dd", date_text(ctx.data_through)),
    ]
    return el("div", *definitions, el("dl", *facts), class_="trust")


def n_of(rows: Sequence[Row], what: str) -> str:
    valued = [row for row in rows if row.value is not None]
    if not valued:
        return NO_DATA
    last = valued[-1]
    return f"{last.n:,} {what} in the latest period ({last.start.isoformat()}); {len(valued)} periods"


# --- overview ---------------------------------------------------------------------------------------------


def overview(ctx: Context) -> list[Markup]:
    return [targets_section(ctx), headlines(ctx), history_section(ctx)]


TARGETS_EXAMPLE = """[targets]
baseline_date = "2025-01-06"
productivity_multiplier = 10
productivity_multiplier_by = "2026-12-31"
debt_reduction = 0.5
debt_reduction_by = "2026-12-31"
review_coverage = 0.95"""


def targets_section(ctx: Context) -> Markup:
    targets = [target for target in ctx.data.targets if ctx.scope == ORG or _target_in_scope(target, ctx.scope)]
    if not targets:
        if ctx.scope != ORG:
            return Markup("")
        return section(
            "Targets",
            el("p", "No targets configured. Add goals to devmetrics.toml, for example:", class_="muted"),
            el("pre", TARGETS_EXAMPLE),
        )
    head = el(
        "tr",
        *(el("th", text) for text in ("Target", "Scope", "Current (95% CI)", "n", "Baseline", "Goal", "By")),
        el("th", "Progress"),
        el("th", "Trend"),
        el("th", "Projected"),
        el("th", "Status"),
    )
    rows = [_target_row(target, _scope_name(ctx.data, target)) for target in targets]
    charts = [_target_chart(ctx, target) for target in targets if target.series]
    return section(
        "Targets",
        el("table", el("thead", head), el("tbody", *rows), class_="targets"),
        el(
            "p",
            "Progress: the share of the way from the baseline value to the goal (above 100 % beyond it). Trend: "
            "least-squares slope per week over the latest periods. Projected: when the trend reaches the goal.",
            class_="muted",
        ),
        el("div", *charts, class_="charts") if charts else None,
    )


def _target_in_scope(target: Target, scope: ScopeKey) -> bool:
    return (target.goal.scope_kind, target.scope_id) == scope


def _scope_name(data: SiteData, target: Target) -> str:
    kind = target.goal.scope_kind
    if kind == "org":
        return "organisation"
    if kind == "repo":
        return f"repository {_repo_name(data, target.scope_id)}"
    return f"team {target.scope_id}"


def _target_row(target: Target, scope: str) -> Markup:
    unit = target.unit
    current = target.current
    progress = target.progress
    bar = None
    if progress is not None:
        bar = el("progress", progress_text(progress), value=f"{max(0.0, min(1.0, progress)):.3f}", max="1")
    status_class = "status " + target.status.replace(" ", "-")
    return el(
        "tr",
        el("td", target.goal.name or target.title),
        el("td", scope),
        el("td", NO_DATA if current is None else with_interval(current.value, current.low, current.high, unit)),
        el("td", NO_DATA if current is None else f"{current.n:,}", class_="num"),
        el("td", number(target.baseline, unit)),
        el("td", number(target.goal.goal, unit)),
        el("td", date_text(target.goal.by) if target.goal.by else NO_DATA, class_="date"),
        el("td", progress_text(progress), bar),
        el("td", trend_text({"per_week": target.trend, "periods": len(target.trend_values)}, unit)),
        el("td", date_text(target.projected) if target.projected else NO_DATA, class_="date"),
        el("td", el("span", target.status, class_=status_class), void("br"), el("small", target.reason)),
    )


def _target_chart(ctx: Context, target: Target) -> Markup:
    unit = target.unit
    name = target.goal.name or target.title
    series = [(v.period_start, v.value, v.low, v.high) for v in target.series]
    lines = [Line(name, series, PALETTE[0])]
    last = target.series[-1].period_start
    end = max(day for day in (last, target.goal.by, target.projected) if day is not None)
    levels = [Level(f"goal {number(target.goal.goal, unit)}", target.goal.goal, target.series[0].period_start, end)]
    if target.projected is not None and target.current is not None and target.trend_values:
        start = target.trend_values[-1].period_start
        projection = [(start, target.current.value, None, None), (target.projected, target.goal.goal, None, None)]
        lines.append(Line("projection at the current trend", projection, PALETTE[3], dash="dot", markers=False))
    if target.goal.by is not None:
        lines.append(Line("goal date", [(target.goal.by, target.goal.goal, None, None)], PALETTE[2]))
    figure = time_figure_json(f"{name}: {target.status}", unit, lines, levels=levels, percent=is_percent(unit))
    n_text = NO_DATA if target.current is None else f"{target.current.n:,} (current value)"
    metrics = [target.goal.metric] + ([RATE] if target.goal.metric == MULTIPLIER else [])
    return chart(ctx, figure, f"{name}: progress towards {number(target.goal.goal, unit)}", metrics, n_text)


@dataclass(frozen=True)
class Headline:
    title: str
    metric: str
    value: float | None
    low: float | None
    high: float | None
    n: str
    period: str
    missing: str


def headlines(ctx: Context) -> Markup:
    data, scope = ctx.data, ctx.scope
    found = [
        _latest_headline(data, scope, "Productivity multiplier", MULTIPLIER, ("window",), "developers", HOW_THROUGHPUT),
        _latest_headline(data, scope, "Debt reduction", "debt.reduction", ("week", "month"), "files", HOW_REDUCTION),
        _latest_headline(
            data, scope, "Review coverage", "reviews.coverage", ("window", "week", "month"), "PRs", HOW_REVIEWS
        ),
        _ai_share(data, scope),
    ]
    head = el("tr", *(el("th", text) for text in ("Figure", "Value (95% CI)", "n", "Period", "Definition")))
    rows = []
    for item in found:
        unit = data.definition(item.metric).unit
        value = with_interval(item.value, item.low, item.high, unit) if item.value is not None else item.missing
        rows.append(
            el(
                "tr",
                el("td", item.title),
                el("td", value, class_="num" if item.value is not None else "muted"),
                el("td", item.n, class_="num"),
                el("td", item.period),
                el("td", data.definition(item.metric).definition, class_="definition"),
            )
        )
    return section("Headline figures", el("table", el("thead", head), el("tbody", *rows)))


def _latest_headline(
    data: SiteData, scope: ScopeKey, title: str, metric: str, lengths: Sequence[str], what: str, missing: str
) -> Headline:
    for length in lengths:
        rows = [row for row in data.rows(metric, scope, length) if row.value is not None]
        if rows:
            row = rows[-1]
            period = f"{length} from {row.start.isoformat()}"
            return Headline(title, metric, row.value, row.low, row.high, f"{row.n:,} {what}", period, missing)
    return Headline(title, metric, None, None, None, NO_DATA, NO_DATA, missing)


def wilson(successes: float, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion."""
    share = successes / n
    centre = (share + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    spread = Z95 / (1 + Z95**2 / n) * math.sqrt(share * (1 - share) / n + Z95**2 / (4 * n * n))
    return max(0.0, centre - spread), min(1.0, centre + spread)


def _ai_share(data: SiteData, scope: ScopeKey) -> Headline:
    """The share of AI commits over the last weeks, pooled (n = commits), with a Wilson interval."""
    metric = "attribution.ai_share"
    rows = [row for row in data.rows(metric, scope) if row.value is not None]
    missing = "No attribution figures: run devmetrics scan."
    if not rows:
        return Headline("AI share of commits", metric, None, None, None, NO_DATA, NO_DATA, missing)
    start = rows[-1].start - timedelta(weeks=RECENT_WEEKS - 1)
    recent = [row for row in rows if row.start >= start]
    n = sum(row.n for row in recent)
    ai = sum((row.value or 0.0) * row.n for row in recent)
    if n == 0:
        return Headline("AI share of commits", metric, None, None, None, "0 commits", NO_DATA, missing)
    low, high = wilson(ai, n)
    period = f"{len(recent)} weeks from {recent[0].start.isoformat()} (95% Wilson interval over commits)"
    return Headline("AI share of commits", metric, ai / n, low, high, f"{n:,} commits", period, missing)


def history_section(ctx: Context) -> Markup:
    charts = []
    for metric in HISTORY:
        series = ctx.data.series(metric, ctx.scope)
        if series is not None:
            definition = ctx.data.definition(metric)
            charts.append(chart(ctx, figure_json(definition, series), definition.label, [metric], _total_n(series.n)))
    if not charts:
        return section("Activity", empty("No weekly history yet: run devmetrics scan PATH."))
    return section("Activity", el("div", *charts, class_="charts"))


def _total_n(n: int) -> str:
    return f"{n:,} over all weeks"


# --- productivity -------------------------------------------------------------------------------------------


def productivity(ctx: Context) -> list[Markup]:
    data, scope = ctx.data, ctx.scope
    if not any(data.rows(f"{RATE}{suffix}", scope) for suffix, _ in COHORTS) and not data.rows(
        MULTIPLIER, scope, "window"
    ):
        return [section("Productivity", empty(HOW_THROUGHPUT))]
    charts = [
        _cohort_chart(ctx),
        _multiplier_chart(ctx),
        _class_chart(ctx, "throughput.churn_21d", "Code churn within 21 days, by class", "added lines"),
        _class_chart(ctx, "throughput.revert_share", "Reverted within 21 days, by class", "commits"),
    ]
    drawn = [item for item in charts if item is not None]
    return [
        section(
            "Productivity",
            _window_table(ctx),
            el("div", *drawn, class_="charts") if drawn else empty(HOW_THROUGHPUT),
        )
    ]


def _cohort_chart(ctx: Context) -> Markup | None:
    lines: list[Line] = []
    metrics: list[str] = []
    n_rows: list[Row] = []
    for index, (suffix, label) in enumerate(COHORTS):
        rows = ctx.data.rows(f"{RATE}{suffix}", ctx.scope)
        if rows:
            lines.append(Line(label, points(rows), PALETTE[index]))
            metrics.append(f"{RATE}{suffix}")
            n_rows = n_rows or rows
    if not lines:
        return None
    levels = []
    base = ctx.data.latest(RATE, ctx.scope, "baseline")
    if base is not None and base.value is not None:
        end = max(point[0] for line in lines for point in line.points)
        label = f"baseline period (pre-adoption) {number(base.value)}"
        levels.append(Level(label, base.value, base.start, end, PALETTE[5], base.low, base.high))
    title = "Throughput per active developer-week, by cohort"
    figure = time_figure_json(title, "commits per developer-week", lines, levels=levels)
    return chart(ctx, figure, "Throughput by cohort", metrics, n_of(n_rows, "developers"))


def _multiplier_chart(ctx: Context) -> Markup | None:
    """Each week's and month's rate ÷ the baseline's, with bands; the window's multiplier and its interval."""
    data, scope = ctx.data, ctx.scope
    base = [row for row in data.rows(RATE, scope, "baseline") if row.value]
    window = data.latest(MULTIPLIER, scope, "window")
    weekly = data.rows(RATE, scope)
    if not base or base[-1].value is None or not weekly:
        return None
    rate = base[-1].value
    lines = []
    for index, length in enumerate(("week", "month")):
        values = [
            Value(r.start, r.length, r.value, r.low, r.high, r.n)
            for r in data.rows(RATE, scope, length)
            if r.value is not None
        ]
        ratios = ratio_series(values, rate)
        if ratios:
            ratio_points = [(v.period_start, v.value, v.low, v.high) for v in ratios]
            lines.append(Line(f"{length}ly rate ÷ baseline rate", ratio_points, PALETTE[index * 4]))
    first, last = weekly[0].start, weekly[-1].start
    levels = [Level("baseline = 1", 1.0, first, last)]
    if window is not None and window.value is not None:
        label = f"window multiplier {number(window.value)}"
        levels.append(Level(label, window.value, window.start, last, PALETTE[1], window.low, window.high))
    figure = time_figure_json("Productivity multiplier over time", "× baseline", lines, levels=levels)
    n_text = NO_DATA if window is None else f"{window.n:,} developers in the window"
    return chart(ctx, figure, "Productivity multiplier over time", [MULTIPLIER, RATE], n_text)


def _class_chart(ctx: Context, metric: str, title: str, what: str) -> Markup | None:
    lines: list[Line] = []
    metrics: list[str] = []
    n_rows: list[Row] = []
    for index, (suffix, label) in enumerate(CLASSES):
        rows = ctx.data.rows(f"{metric}{suffix}", ctx.scope)
        if rows:
            lines.append(Line(label, points(rows), PALETTE[index]))
            metrics.append(f"{metric}{suffix}")
            n_rows = n_rows or rows
    if not lines:
        return None
    figure = time_figure_json(title, "share", lines, percent=True)
    return chart(ctx, figure, title, metrics[:1], n_of(n_rows, what))


def _window_table(ctx: Context) -> Markup:
    """The window against the baseline, per cohort: value (95% CI) and n."""
    data, scope = ctx.data, ctx.scope
    names = [
        MULTIPLIER,
        "throughput.multiplier.within_author",
        *(f"{RATE}{suffix}" for suffix, _ in COHORTS),
        *(f"throughput.churn_21d{suffix}" for suffix, _ in CLASSES),
        *(f"throughput.revert_share{suffix}" for suffix, _ in CLASSES),
    ]
    rows = []
    for name in names:
        window, baseline = data.latest(name, scope, "window"), data.latest(name, scope, "baseline")
        if window is None and baseline is None:
            continue
        unit = data.definition(name).unit
        rows.append(
            el(
                "tr",
                el("td", data.definition(name).label),
                el("td", row_text(window, unit), class_="num"),
                el("td", NO_DATA if window is None else f"{window.n:,}", class_="num"),
                el("td", row_text(baseline, unit), class_="num"),
                el("td", NO_DATA if baseline is None else f"{baseline.n:,}", class_="num"),
            )
        )
    if not rows:
        return empty("No window or baseline figures: " + HOW_THROUGHPUT)
    head = el("tr", *(el("th", t) for t in ("Figure", "Window (95% CI)", "n", "Baseline (95% CI)", "n")))
    return el(
        "table",
        el("thead", head),
        el("tbody", *rows),
        el("caption", "n: developers, lines or commits, as each definition says."),
    )


# --- reviews --------------------------------------------------------------------------------------------------


def review_bases(data: SiteData) -> list[str]:
    names = data.metrics_with("reviews.")
    return sorted({name.removesuffix(".ai").removesuffix(".human") for name in names})


def reviews(ctx: Context) -> list[Markup]:
    data, scope = ctx.data, ctx.scope
    bases = review_bases(data)
    if not bases:
        return [section("Reviews", empty(HOW_REVIEWS))]
    charts: list[Markup] = []
    table_rows: list[Markup] = []
    for base in bases:
        lines: list[Line] = []
        metrics: list[str] = []
        n_rows: list[Row] = []
        cells: list[Child] = [el("td", data.definition(base).label)]
        for index, (suffix, label) in enumerate(COHORTS):
            name = f"{base}{suffix}"
            rows = data.rows(name, scope)
            if rows:
                lines.append(Line(label, points(rows), PALETTE[index]))
                metrics.append(name)
                n_rows = n_rows or rows
            window = data.latest(name, scope, "window")
            unit = data.definition(name).unit or data.definition(base).unit
            cells += [
                el("td", row_text(window, unit), class_="num"),
                el("td", NO_DATA if window is None else f"{window.n:,}", class_="num"),
            ]
        if lines:
            unit = data.definition(base).unit
            figure = time_figure_json(
                data.definition(base).label + ", by cohort", unit, lines, percent=is_percent(unit)
            )
            charts.append(chart(ctx, figure, data.definition(base).label, metrics or [base], n_of(n_rows, "PRs")))
        table_rows.append(el("tr", *cells))
    head = el(
        "tr", el("th", "Figure"), *(el("th", t) for _, label in COHORTS for t in (f"{label}, window (95% CI)", "n"))
    )
    body: list[Child] = [el("table", el("thead", head), el("tbody", *table_rows), el("caption", "n: pull requests."))]
    none_here = (
        f"No weekly review figures for this scope (hidden: fewer than {data.min_group_size} people, "
        "or no pull requests)."
    )
    body.append(el("div", *charts, class_="charts") if charts else empty(none_here))
    return [section("Reviews", *body)]


# --- debt -------------------------------------------------------------------------------------------------


def _lengthy(data: SiteData, metric: str, scope: ScopeKey) -> list[Row]:
    return data.rows(metric, scope, "week") or data.rows(metric, scope, "month")


def debt(ctx: Context) -> list[Markup]:
    data, scope = ctx.data, ctx.scope
    charts = []
    for metric, percent in (("debt.density", False), ("debt.rating", False), ("debt.reduction", True)):
        rows = _lengthy(data, metric, scope)
        if rows:
            definition = data.definition(metric)
            figure = time_figure_json(
                definition.label, definition.unit, [Line(definition.label, points(rows))], percent=percent
            )
            charts.append(chart(ctx, figure, definition.label, [metric], n_of(rows, "files measured")))
    parts: list[Child] = []
    if not charts:
        parts.append(empty(HOW_CODE))
    else:
        parts.append(el("div", *charts, class_="charts"))
        if not _lengthy(data, "debt.reduction", scope):
            parts.append(empty(HOW_REDUCTION))
    parts += [_findings(ctx), *_hotspots(ctx)]
    return [section("Debt", *parts)]


def _identities(ctx: Context) -> list[str]:
    if ctx.scope[0] == "repo":
        return [ctx.scope[1]]
    return [repo.identity for repo in ctx.data.repos] if ctx.scope == ORG else []


def _repo_name(data: SiteData, identity: str) -> str:
    return next((repo.name for repo in data.repos if repo.identity == identity), identity)


def _findings(ctx: Context) -> Markup:
    found = sorted(
        (finding for identity in _identities(ctx) for finding in ctx.data.findings.get(identity, [])),
        key=lambda f: (-f.minutes, f.repo, f.path, f.line),
    )[:25]
    if not found:
        return Markup("") if ctx.scope[0] == "team" else join([el("h3", "Top findings"), empty(HOW_CODE)])
    rows = [
        el(
            "tr",
            el("td", f.rule),
            el("td", _repo_name(ctx.data, f.repo)),
            el("td", f.path, class_="path"),
            el("td", f.line, class_="num"),
            el("td", f"{f.minutes:,.0f}", class_="num"),
            el("td", f.detail),
        )
        for f in found
    ]
    head = el("tr", *(el("th", t) for t in ("Rule", "Repository", "Path", "Line", "Minutes", "Detail")))
    return join([el("h3", "Top findings (latest snapshot)"), el("table", el("thead", head), el("tbody", *rows))])


def _hotspots(ctx: Context) -> list[Markup]:
    if ctx.scope[0] == "team":
        return []
    identities = _identities(ctx)
    files = sorted(
        ((identity, hot) for identity in identities for hot in ctx.data.hotspots.get(identity, [])),
        key=lambda item: (-item[1].score, item[0], item[1].path),
    )[:25]
    pairs = sorted(
        ((identity, pair) for identity in identities for pair in ctx.data.coupling.get(identity, [])),
        key=lambda item: (-item[1].degree, item[0], item[1].path),
    )[:25]
    parts = [el("h3", "Hotspots (churn × complexity)")]
    if not files:
        return [*parts, empty(HOW_HOTSPOTS)]
    labelled = [
        (hot.revisions, hot.complexity, f"{_repo_name(ctx.data, identity)}: {hot.path}") for identity, hot in files
    ]
    figure = scatter_figure_json(
        "Hotspots: commits in the window × complexity", "commits in the window", "complexity", labelled
    )
    parts.append(
        chart(ctx, figure, "Hotspots", ["hotspots.file_score", "hotspots.file_complexity"], f"{len(files)} files shown")
    )
    rows = [
        el(
            "tr",
            el("td", _repo_name(ctx.data, identity)),
            el("td", hot.path, class_="path"),
            el("td", number(hot.score), class_="num"),
            el("td", number(hot.revisions), class_="num"),
            el("td", number(hot.complexity), class_="num"),
            el("td", number(hot.authors), class_="num"),
            el("td", number(hot.main_author_share, "share"), class_="num"),
        )
        for identity, hot in files
    ]
    head = el(
        "tr",
        *(
            el("th", t)
            for t in ("Repository", "Path", "Score", "Commits", "Complexity", "Authors", "Main author's share")
        ),
    )
    parts.append(
        el(
            "table",
            el("thead", head),
            el("tbody", *rows),
            el("caption", "Ownership is shown as a share: no person is named."),
        )
    )
    if pairs:
        pair_rows = [
            el(
                "tr",
                el("td", _repo_name(ctx.data, identity)),
                el("td", pair.path, class_="path"),
                el("td", pair.coupled, class_="path"),
                el("td", f"{pair.degree:.0f} %", class_="num"),
                el("td", pair.shared, class_="num"),
            )
            for identity, pair in pairs
        ]
        head = el("tr", *(el("th", t) for t in ("Repository", "File", "Changes with", "Degree", "Shared commits")))
        parts += [el("h3", "Change coupling"), el("table", el("thead", head), el("tbody", *pair_rows))]
    return parts


# --- repositories and teams -----------------------------------------------------------------------------------


def repositories(ctx: Context) -> list[Markup]:
    data = ctx.data
    titles = (
        "Repository",
        f"Commits, last {RECENT_WEEKS} weeks",
        "Multiplier (95% CI)",
        "n",
        "Debt density",
        "Rating",
        "Review coverage",
        "Data through",
        "Flags",
    )
    head = el("tr", *(el("th", t) for t in titles))
    rows = []
    for repo in data.repos:
        scope = repo.scope
        commits = [row for row in data.rows("history.commits", scope) if row.value is not None]
        recent = _recent_total(commits)
        multiplier = data.latest(MULTIPLIER, scope, "window")
        density = _last(_lengthy(data, "debt.density", scope))
        rating = _last(_lengthy(data, "debt.rating", scope))
        coverage = data.latest("reviews.coverage", scope, "window")
        page = repo_page(repo)
        rows.append(
            el(
                "tr",
                el(
                    "td", el("a", repo.name, href=ctx.href(page)), void("br"), el("span", repo.identity, class_="muted")
                ),
                el("td", recent, class_="num"),
                el("td", row_text(multiplier, "ratio"), class_="num"),
                el("td", NO_DATA if multiplier is None else f"{multiplier.n:,}", class_="num"),
                el("td", number(None if density is None else density.value), class_="num"),
                el("td", _rating(None if rating is None else rating.value)),
                el("td", row_text(coverage, "share"), class_="num"),
                el("td", date_text(repo.data_through), class_="date"),
                el("td", *(flag.html() for flag in repo_flags(data, repo))),
            )
        )
    nothing = empty("No repositories scanned yet: run devmetrics scan PATH.")
    body: list[Child] = [el("table", el("thead", head), el("tbody", *rows)) if rows else nothing]
    return [section("Repositories", *body), teams(ctx)]


def _last(rows: Sequence[Row]) -> Row | None:
    return rows[-1] if rows else None


def _recent_total(rows: Sequence[Row]) -> str:
    if not rows:
        return NO_DATA
    start = rows[-1].start - timedelta(weeks=RECENT_WEEKS - 1)
    return f"{sum(row.value or 0.0 for row in rows if row.start >= start):,.0f}"


def _rating(grade: float | None) -> str:
    if grade is None:
        return NO_DATA
    return "ABCDE"[max(1, min(5, round(grade))) - 1]


def teams(ctx: Context) -> Markup:
    data = ctx.data
    shown = list(data.teams)
    hidden = [team for team in data.configured_teams if team not in shown]
    if not shown and not hidden:
        return section("Teams", empty("No teams configured: add [[teams]] tables (name, members) to devmetrics.toml."))
    items: list[Child] = [el("li", el("a", team, href=ctx.href(team_page(team)))) for team in shown]
    items += [el("li", team, " ", Flag(f"hidden: fewer than {data.min_group_size} people").html()) for team in hidden]
    return section("Teams", el("ul", *items, class_="teams"))


# --- drill-down pages -----------------------------------------------------------------------------------------


def repository(ctx: Context) -> list[Markup]:
    repo = next(repo for repo in ctx.data.repos if repo.scope == ctx.scope)
    flags = repo_flags(ctx.data, repo)
    head = el("p", *(flag.html() for flag in flags)) if flags else Markup("")
    return [
        head,
        targets_section(ctx),
        headlines(ctx),
        history_section(ctx),
        *productivity(ctx),
        *reviews(ctx),
        *debt(ctx),
    ]


def team(ctx: Context) -> list[Markup]:
    return [targets_section(ctx), headlines(ctx), *productivity(ctx), *reviews(ctx)]


def join_all(parts: Sequence[Markup]) -> Markup:
    return join(parts)
