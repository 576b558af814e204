"""Targets: the organisation's goals, with progress, trend and a projected date (DESIGN §5).

Targets are computed on read from `metric_values` and `metric_definitions`, never stored: a goal is
configuration, not a fact, and changing a goal must not need a rescan. `devmetrics targets` (text and
`--json`) and every dashboard page call :func:`evaluate`, so they show the same figures.

For each goal: the current value with its interval and n (the metric's `window` row when it has one, else
its latest period), the value at the baseline (`targets.baseline_date`), progress from baseline to goal,
the trend (least-squares slope per week over the last `targets.trend_periods` weekly or monthly values),
the date the goal is reached at that trend, and a status.

The multiplier is one `window` row per scan; its series over time is each period's
`throughput.commits_per_dev_week` ÷ the baseline period's, and its baseline value is 1 by definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from devmetrics.analyzers.debt import read_repos, trust_signals
from devmetrics.errors import ConfigError

if TYPE_CHECKING:
    from devmetrics.config import Config
    from devmetrics.store import Store

MET = "met"
ON_TRACK = "on track"
OFF_TRACK = "off track"
NO_TREND = "no trend"
INSUFFICIENT = "insufficient data"
STATUSES = {
    MET: "the current value has reached the goal (at or above it when higher is better, at or below when lower)",
    ON_TRACK: "not reached yet; the trend reaches the goal on or before its date (or there is no date)",
    OFF_TRACK: "not reached, and the trend reaches it after its date, or never (flat or moving away)",
    NO_TREND: "not reached, and fewer than two periods to fit a trend on",
    INSUFFICIENT: "no current value (nothing computed yet, or hidden by privacy), or no direction to compare by",
}
MULTIPLIER = "throughput.multiplier"
RATE = "throughput.commits_per_dev_week"
WINDOW = "window"
MAX_WEEKS = 52 * 100  # a projection further out than a century is "never"
BUILT_IN = (
    ("productivity_multiplier", MULTIPLIER, "Productivity multiplier"),
    ("debt_reduction", "debt.reduction", "Debt reduction"),
    ("review_coverage", "reviews.coverage", "Review coverage"),
)
HOW_TO_FILL = {
    "throughput": "set throughput.baseline_start and throughput.baseline_end, then run devmetrics scan",
    "debt": "set debt.baseline_date and run devmetrics scan (the code stage measures the snapshots)",
    "reviews": "configure [github] or [gitlab] with a token in the environment, then run devmetrics scan",
    "hotspots": "run devmetrics scan (the code stage)",
}


@dataclass(frozen=True)
class Goal:
    """One configured goal."""

    key: str  # productivity_multiplier, debt_reduction, review_coverage or goals[N]
    name: str
    metric: str
    goal: float
    by: date | None
    direction: str  # higher, lower, or "metric": the metric's own
    scope_kind: str
    scope_ref: str  # as configured: a repository's name or identity, a team's name, "all"


@dataclass(frozen=True)
class Value:
    """One stored value of a metric."""

    period_start: date
    period_length: str
    value: float
    low: float | None
    high: float | None
    n: int

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "period_start": self.period_start.isoformat(),
            "period_length": self.period_length,
        }


@dataclass(frozen=True)
class Target:
    """A goal and where it stands."""

    goal: Goal
    title: str
    unit: str
    definition: str
    direction: str
    scope_id: str  # resolved: a repository's identity
    current: Value | None
    baseline: float | None
    baseline_period: date | None
    progress: float | None
    trend: float | None  # change per week
    trend_values: tuple[Value, ...]
    series: tuple[Value, ...]  # every value of the trend's period length, for charts
    projected: date | None
    status: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.goal.key,
            "name": self.goal.name or self.title,
            "metric": self.goal.metric,
            "scope": {"kind": self.goal.scope_kind, "id": self.scope_id},
            "unit": self.unit,
            "direction": self.direction,
            "goal": self.goal.goal,
            "by": None if self.goal.by is None else self.goal.by.isoformat(),
            "current": None if self.current is None else self.current.as_json(),
            "baseline": {
                "value": self.baseline,
                "period_start": None if self.baseline_period is None else self.baseline_period.isoformat(),
            },
            "progress": self.progress,
            "trend": {
                "per_week": self.trend,
                "periods": len(self.trend_values),
                "from": self.trend_values[0].period_start.isoformat() if self.trend_values else None,
                "to": self.trend_values[-1].period_start.isoformat() if self.trend_values else None,
            },
            "projected_date": None if self.projected is None else self.projected.isoformat(),
            "status": self.status,
            "reason": self.reason,
            "definition": self.definition,
        }


# --- configuration ------------------------------------------------------------------------------------


def goals_of(config: Config) -> list[Goal]:
    """The configured goals: the three named ones (when set), then every [[targets.goals]]."""
    targets = config.targets
    goals = []
    for key, metric, name in BUILT_IN:
        value = float(getattr(targets, key))
        if value:
            goals.append(Goal(key, name, metric, value, _day(getattr(targets, f"{key}_by")), "metric", "org", "all"))
    for index, entry in enumerate(targets.goals):
        key = f"targets.goals[{index}]"
        kind, ref = _scope(entry.scope, key)
        goals.append(Goal(key, entry.name, entry.metric, entry.goal, _day(entry.by), entry.direction, kind, ref))
    return goals


def _scope(text: str, key: str) -> tuple[str, str]:
    if text == "org":
        return "org", "all"
    kind, colon, ref = text.partition(":")
    if not colon or kind not in {"repo", "team"} or not ref.strip():
        raise ConfigError(f"{key}.scope = {text!r}: give org, repo:<name or identity> or team:<name>")
    return kind, ref.strip()


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


# --- the arithmetic -------------------------------------------------------------------------------------


def slope_per_week(values: tuple[Value, ...]) -> float | None:
    """Least-squares slope of value over time, in units per week; None with fewer than two distinct dates."""
    if len(values) < 2:
        return None
    origin = values[0].period_start
    xs = [(value.period_start - origin).days / 7 for value in values]
    ys = [value.value for value in values]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def is_met(current: float, goal: float, direction: str) -> bool:
    return current >= goal if direction == "higher" else current <= goal


def progress_of(current: float, baseline: float | None, goal: float, direction: str) -> float | None:
    """Share of the way from baseline to goal (1.0 = reached; above 1 beyond it, below 0 backwards);
    undefined without a baseline, or when the baseline already met the goal (equal to it, or beyond)."""
    if baseline is None or is_met(baseline, goal, direction):
        return None
    return (current - baseline) / (goal - baseline)


def projected_date(current: Value, as_of: date, slope: float, goal: float) -> date | None:
    """When the goal is reached moving at `slope` per week from the current value; None if never."""
    weeks = (goal - current.value) / slope if slope else -1.0
    if weeks < 0 or weeks > MAX_WEEKS:
        return None
    return as_of + timedelta(days=round(weeks * 7))


# --- reading and judging ----------------------------------------------------------------------------------


def evaluate(store: Store, config: Config) -> list[Target]:
    """Every configured goal, judged against the stored metric values."""
    definitions = {
        str(row[0]): (str(row[1]), str(row[2]), str(row[3]), str(row[4]))
        for row in store.db.execute("SELECT name, title, unit, direction, definition FROM metric_definitions")
    }
    repos = read_repos(store)
    return [_evaluate(store, config, goal, definitions, repos) for goal in goals_of(config)]


def _evaluate(
    store: Store,
    config: Config,
    goal: Goal,
    definitions: dict[str, tuple[str, str, str, str]],
    repos: list[Any],
) -> Target:
    title, unit, registered, definition = definitions.get(goal.metric, (goal.metric, "", "", ""))
    own = registered if registered in {"higher", "lower"} else ""
    direction = goal.direction if goal.direction in {"higher", "lower"} else own
    scope_id = goal.scope_ref
    if goal.scope_kind == "repo":
        scope_id = next((r.identity for r in repos if goal.scope_ref in {r.name, r.identity}), goal.scope_ref)
    length = config.targets.trend_period
    if goal.metric == MULTIPLIER:
        current, series, baseline, baseline_period = _multiplier(store, goal.scope_kind, scope_id, length)
    else:
        rows = _values(store, goal.metric, goal.scope_kind, scope_id)
        series = _series(rows, length)
        windows = [row for row in rows if row.period_length == WINDOW]
        current = windows[-1] if windows else (series[-1] if series else None)
        baseline, baseline_period = _baseline(series, config.targets.baseline_date)
    trend_values = series[-config.targets.trend_periods :]
    trend = slope_per_week(trend_values)
    target = Target(
        goal, goal.name or title, unit, definition, direction, scope_id, current, baseline, baseline_period,
        None, trend, trend_values, series, None, INSUFFICIENT, "",
    )  # fmt: skip
    return _judge(target)


def _judge(target: Target) -> Target:
    goal, current, direction = target.goal, target.current, target.direction
    if current is None:
        analyzer = goal.metric.split(".", 1)[0]
        how = HOW_TO_FILL.get(analyzer, "run devmetrics scan")
        scope = "the organisation" if goal.scope_kind == "org" else f"{goal.scope_kind} {target.scope_id}"
        return _with(
            target,
            status=INSUFFICIENT,
            reason=f"no value of {goal.metric} for {scope} yet ({how}; groups smaller than "
            "privacy.min_group_size are hidden)",
        )
    if direction not in {"higher", "lower"}:
        return _with(
            target, status=INSUFFICIENT, reason=f"{goal.metric} has no better direction: set direction in {goal.key}"
        )
    progress = progress_of(current.value, target.baseline, goal.goal, direction)
    note = ""
    if target.baseline is None:
        note = "; no baseline value, so no progress"
    elif progress is None:
        note = "; the baseline already met the goal, so progress is undefined"
    if is_met(current.value, goal.goal, direction):
        return _with(target, progress=progress, status=MET, reason=f"current value reached the goal{note}")
    if target.trend is None:
        periods = len(target.trend_values)
        return _with(
            target,
            progress=progress,
            status=NO_TREND,
            reason=f"{periods} period{'' if periods == 1 else 's'} with a value: a trend needs 2{note}",
        )
    as_of = target.trend_values[-1].period_start
    projected = projected_date(current, as_of, target.trend, goal.goal)
    if projected is None:
        moving = "flat" if target.trend == 0 else "moving away from the goal"
        far = target.trend != 0 and (goal.goal - current.value) / target.trend > 0
        why = "too slow to arrive within a century" if far else moving
        return _with(target, progress=progress, status=OFF_TRACK, reason=f"never reached: the trend is {why}{note}")
    if goal.by is None:
        return _with(target, progress=progress, projected=projected, status=ON_TRACK, reason=f"no date set{note}")
    if projected <= goal.by:
        return _with(target, progress=progress, projected=projected, status=ON_TRACK, reason=f"projected on time{note}")
    late = (projected - goal.by).days
    return _with(
        target, progress=progress, projected=projected, status=OFF_TRACK, reason=f"projected {late} days late{note}"
    )


def _with(target: Target, **changes: Any) -> Target:
    return replace(target, **changes)


def _values(store: Store, metric: str, kind: str, scope_id: str) -> list[Value]:
    cursor = store.db.execute(
        "SELECT period_start, period_length, value, low, high, n FROM metric_values WHERE metric = ? "
        "AND scope_kind = ? AND scope_id = ? AND value IS NOT NULL ORDER BY period_start, period_length",
        [metric, kind, scope_id],
    )
    values = []
    for start, length, value, low, high, n in cursor:
        day = _iso(start)
        if day is not None:
            values.append(Value(day, str(length), float(value), _float(low), _float(high), int(n or 0)))
    return values


def _series(rows: list[Value], length: str) -> tuple[Value, ...]:
    """The values of the preferred period length, else of the other one (debt may be monthly)."""
    for wanted in (length, "month" if length == "week" else "week"):
        chosen = tuple(row for row in rows if row.period_length == wanted)
        if chosen:
            return chosen
    return ()


def _baseline(series: tuple[Value, ...], baseline_date: str) -> tuple[float | None, date | None]:
    if not series:
        return None, None
    if baseline_date:
        day = date.fromisoformat(baseline_date)
        before = [value for value in series if value.period_start <= day]
        if not before:
            return None, None
        return before[-1].value, before[-1].period_start
    return series[0].value, series[0].period_start


def _multiplier(
    store: Store, kind: str, scope_id: str, length: str
) -> tuple[Value | None, tuple[Value, ...], float | None, date | None]:
    """The window's multiplier, and each period's rate ÷ the baseline period's rate as its series."""
    windows = [row for row in _values(store, MULTIPLIER, kind, scope_id) if row.period_length == WINDOW]
    rates = _values(store, RATE, kind, scope_id)
    base = [row for row in rates if row.period_length == "baseline"]
    if not base or not base[-1].value:
        return (windows[-1] if windows else None), (), None, None
    series = ratio_series(_series(rates, length), base[-1].value)
    return (windows[-1] if windows else None), series, 1.0, base[-1].period_start


def ratio_series(rates: Sequence[Value], baseline_rate: float) -> tuple[Value, ...]:
    """Each period's throughput ÷ the baseline's: the multiplier over time (the dashboards draw it too)."""
    return tuple(
        Value(
            row.period_start,
            row.period_length,
            row.value / baseline_rate,
            None if row.low is None else row.low / baseline_rate,
            None if row.high is None else row.high / baseline_rate,
            row.n,
        )
        for row in rates
    )


def _iso(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)) if len(str(text)) == 10 else None
    except ValueError:
        return None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# --- the command's answer ---------------------------------------------------------------------------------


def report(store: Store, config: Config) -> dict[str, Any]:
    """`devmetrics targets --json`: every goal, the settings, the status definitions and the trust signals."""
    targets = evaluate(store, config)
    return {
        "targets": [target.as_json() for target in targets],
        "settings": {
            "baseline_date": config.targets.baseline_date or None,
            "trend_periods": config.targets.trend_periods,
            "trend_period": config.targets.trend_period,
        },
        "statuses": STATUSES,
        "message": None if targets else "no targets configured: add a [targets] section (see the README)",
        **trust_signals(store, read_repos(store)),
    }


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit in {"share", "fraction"}:
        return f"{value:.1%}"
    return f"{value:,.4g}"


def value_text(current: dict[str, Any] | None, unit: str) -> str:
    """`value (low–high), n = N`, or a dash."""
    if current is None:
        return "—"
    text = number(current["value"], unit)
    if current["low"] is not None and current["high"] is not None:
        text += f" ({number(current['low'], unit)}–{number(current['high'], unit)})"
    return f"{text}, n = {current['n']:,}"


def progress_text(progress: float | None) -> str:
    return "undefined" if progress is None else f"{progress:.0%}"


def trend_text(trend: dict[str, Any], unit: str) -> str:
    if trend["per_week"] is None:
        return "—"
    per_week = trend["per_week"]
    shown = f"{per_week:+.2%}" if unit in {"share", "fraction"} else f"{per_week:+,.3g}"
    return f"{shown}/week over {trend['periods']}"


def render_text(answer: dict[str, Any]) -> list[str]:
    """A plain table: one line per goal, then its reason, then the trust signals."""
    if answer["message"]:
        return [answer["message"]]
    header = ("target", "scope", "current (95% CI), n", "baseline", "goal", "by", "progress", "trend", "projected")
    rows = []
    for target in answer["targets"]:
        unit = target["unit"]
        scope = target["scope"]["kind"] if target["scope"]["kind"] == "org" else "{kind}:{id}".format(**target["scope"])
        rows.append(
            (
                target["name"],
                scope,
                value_text(target["current"], unit),
                number(target["baseline"]["value"], unit),
                number(target["goal"], unit),
                target["by"] or "—",
                progress_text(target["progress"]),
                trend_text(target["trend"], unit),
                target["projected_date"] or "—",
            )
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]  # fmt: skip
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append("")
    for target in answer["targets"]:
        lines.append(f"{target['name']}: {target['status']} ({target['reason']})")
    lines.append("")
    lines.append(f"data through {answer['data_through'] or 'unknown'}")
    if answer["partial_history"]:
        lines.append(f"partial history (shallow clones): {', '.join(answer['partial_history'])}")
    for failed in answer["failed"]:
        lines.append(f"failed: {failed['target']} ({failed['stage']}): {failed['reason']}")
    return lines
