"""Targets (analyzers/targets.py): progress, trend, projection and status, and `devmetrics targets`."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest

from devmetrics.analyzers import targets
from devmetrics.config import Config, TargetGoalConfig, TargetsConfig
from devmetrics.errors import ConfigError
from devmetrics.store import Store
from tests.helpers import run_cli

MONDAY = date(2025, 1, 6)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "t.db")
    define(store, "debt.reduction", "Debt reduction", "fraction", "higher")
    define(store, "debt.density", "Debt density", "minutes per 1,000 code lines", "lower")
    define(store, "throughput.multiplier", "Productivity multiplier", "ratio", "higher")
    define(store, "reviews.coverage", "Review coverage", "share", "higher")
    define(store, "history.commits", "Commits per week", "commits", "neutral")
    yield store
    store.close()


def define(store: Store, name: str, title: str, unit: str, direction: str) -> None:
    store.db.execute(
        "INSERT INTO metric_definitions (name, title, unit, direction, rollup, analyzer, definition) "
        "VALUES (?, ?, ?, ?, 'ratio', ?, ?)",
        [name, title, unit, direction, name.split(".")[0], f"Definition of {name}."],
    )


def put(
    store: Store,
    metric: str,
    values: Sequence[float | None],
    *,
    length: str = "week",
    kind: str = "org",
    scope: str = "all",
    start: date = MONDAY,
    interval: float | None = None,
) -> None:
    step = timedelta(weeks=1) if length == "week" else timedelta(days=0)
    rows = []
    for index, value in enumerate(values):
        low = None if value is None or interval is None else value - interval
        high = None if value is None or interval is None else value + interval
        day = (start + step * index).isoformat()
        rows.append((metric, kind, scope, day, length, value, low, high, 10 + index))
    store.db.conn.executemany(
        "INSERT INTO metric_values (metric, scope_kind, scope_id, period_start, period_length, value, low, high, n, "
        "inputs_hash, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'h', 'now')",
        rows,
    )


def one(store: Store, **settings: object) -> targets.Target:
    results = targets.evaluate(store, Config(targets=TargetsConfig(**settings)))  # type: ignore[arg-type]
    assert len(results) == 1
    return results[0]


def test_projection_on_track(store: Store) -> None:
    put(store, "debt.reduction", [0.0, 0.05, 0.10, 0.15])
    target = one(store, debt_reduction=0.5, debt_reduction_by="2025-12-31")
    assert target.current is not None and target.current.value == pytest.approx(0.15)
    assert target.baseline == 0.0 and target.baseline_period == MONDAY
    assert target.progress == pytest.approx(0.3)
    assert target.trend == pytest.approx(0.05)
    # from 0.15 on 2025-01-27 at 0.05 a week: 7 weeks more
    assert target.projected == date(2025, 1, 27) + timedelta(weeks=7)
    assert target.status == targets.ON_TRACK
    assert target.reason == "projected on time"


def test_projection_after_the_date_is_off_track(store: Store) -> None:
    put(store, "debt.reduction", [0.0, 0.05, 0.10, 0.15])
    target = one(store, debt_reduction=0.5, debt_reduction_by="2025-02-28")
    assert target.projected == date(2025, 3, 17)
    assert target.status == targets.OFF_TRACK
    assert target.reason == "projected 17 days late"


def test_trend_reads_only_the_last_periods(store: Store) -> None:
    put(store, "debt.reduction", [0.0, 0.3, 0.3, 0.3, 0.3])
    target = one(store, debt_reduction=0.5, trend_periods=3)
    assert [v.value for v in target.trend_values] == [0.3, 0.3, 0.3]
    assert target.trend == 0.0
    assert target.status == targets.OFF_TRACK and target.projected is None
    assert target.reason == "never reached: the trend is flat"
    assert target.progress == pytest.approx(0.6)


def test_goal_already_met(store: Store) -> None:
    put(store, "debt.reduction", [0.0, 0.3, 0.55])
    target = one(store, debt_reduction=0.5, debt_reduction_by="2024-01-01")
    assert target.status == targets.MET
    assert target.progress == pytest.approx(1.1)  # can exceed 100 %
    assert target.projected is None


def test_no_data_says_what_to_configure(store: Store) -> None:
    target = one(store, debt_reduction=0.5)
    assert target.current is None and target.progress is None and target.trend is None
    assert target.status == targets.INSUFFICIENT
    assert "no value of debt.reduction for the organisation" in target.reason
    assert "debt.baseline_date" in target.reason


def test_review_coverage_without_review_data_names_the_code_hosts(store: Store) -> None:
    target = one(store, review_coverage=0.9)
    assert target.status == targets.INSUFFICIENT
    assert "[github] or [gitlab]" in target.reason


def test_baseline_equal_to_goal_has_no_progress_and_compares(store: Store) -> None:
    put(store, "reviews.coverage", [0.9, 0.8, 0.7])
    target = one(store, review_coverage=0.9)
    assert target.baseline == 0.9
    assert target.progress is None  # no division by zero
    assert target.status == targets.OFF_TRACK  # below the goal and falling
    assert "moving away from the goal" in target.reason
    assert "the baseline already met the goal, so progress is undefined" in target.reason
    put(store, "reviews.coverage", [0.95], start=MONDAY + timedelta(weeks=3))
    assert one(store, review_coverage=0.9).status == targets.MET


def test_wrong_direction_is_never_reached(store: Store) -> None:
    put(store, "debt.reduction", [0.2, 0.15, 0.1])
    target = one(store, debt_reduction=0.5, debt_reduction_by="2030-01-01")
    assert target.trend == pytest.approx(-0.05)
    assert target.progress == pytest.approx(-0.1 / 0.3)
    assert target.status == targets.OFF_TRACK and target.projected is None


def test_lower_is_better(store: Store) -> None:
    put(store, "debt.density", [40.0, 38.0, 36.0, 34.0], kind="repo", scope="example.com/acme/api")
    store.db.execute(
        "INSERT INTO repos (identity, name, path, first_seen_at) VALUES ('example.com/acme/api', 'api', '/x', 'now')"
    )
    goal = TargetGoalConfig(metric="debt.density", goal=20.0, by="2025-12-31", scope="repo:api")
    target = one(store, goals=(goal,))
    assert target.direction == "lower" and target.scope_id == "example.com/acme/api"
    assert target.trend == pytest.approx(-2.0)
    assert target.progress == pytest.approx(6 / 20)
    assert target.projected == date(2025, 1, 27) + timedelta(weeks=7)
    assert target.status == targets.ON_TRACK
    met = TargetGoalConfig(metric="debt.density", goal=35.0, scope="repo:api")
    assert one(store, goals=(met,)).status == targets.MET


def test_configured_direction_overrides_and_neutral_needs_one(store: Store) -> None:
    put(store, "history.commits", [10.0, 12.0, 14.0])
    neutral = one(store, goals=(TargetGoalConfig(metric="history.commits", goal=20.0),))
    assert neutral.status == targets.INSUFFICIENT and "set direction in targets.goals[0]" in neutral.reason
    lower = one(store, goals=(TargetGoalConfig(metric="history.commits", goal=20.0, direction="lower"),))
    assert lower.status == targets.MET


def test_one_value_has_no_trend(store: Store) -> None:
    put(store, "debt.reduction", [0.1])
    target = one(store, debt_reduction=0.5)
    assert target.status == targets.NO_TREND
    assert target.reason.startswith("1 period with a value: a trend needs 2")


def test_monthly_values_when_there_are_no_weekly_ones(store: Store) -> None:
    for index, day in enumerate(["2025-01-01", "2025-02-01", "2025-03-01"]):
        put(store, "debt.reduction", [0.1 * index], length="month", start=date.fromisoformat(day))
    target = one(store, debt_reduction=0.5)
    assert [v.period_length for v in target.trend_values] == ["month"] * 3
    expected = statistics.linear_regression([0, 31 / 7, 59 / 7], [0.0, 0.1, 0.2]).slope
    assert target.trend == pytest.approx(expected)


def test_baseline_date_picks_the_last_period_on_or_before_it(store: Store) -> None:
    put(store, "debt.density", [50.0, 40.0, 30.0, 25.0])
    goal = TargetGoalConfig(metric="debt.density", goal=20.0)
    target = one(store, baseline_date="2025-01-14", goals=(goal,))
    assert target.baseline == 40.0 and target.baseline_period == date(2025, 1, 13)
    assert target.progress == pytest.approx(15 / 20)


def test_multiplier_reads_the_window_and_rates_over_time(store: Store) -> None:
    put(store, "throughput.multiplier", [2.5], length="window", start=date(2025, 3, 3), interval=0.5)
    put(store, "throughput.commits_per_dev_week", [2.0], length="baseline", start=date(2024, 1, 1))
    put(store, "throughput.commits_per_dev_week", [2.0, 3.0, 4.0, 5.0], interval=1.0)
    target = one(store, productivity_multiplier=10, productivity_multiplier_by="2025-06-30")
    assert target.current is not None
    assert (target.current.value, target.current.low, target.current.high) == (2.5, 2.0, 3.0)
    assert target.baseline == 1.0 and target.baseline_period == date(2024, 1, 1)
    assert [v.value for v in target.series] == [1.0, 1.5, 2.0, 2.5]
    assert (target.series[0].low, target.series[0].high) == (0.5, 1.5)
    assert target.trend == pytest.approx(0.5)
    assert target.progress == pytest.approx(1.5 / 9)
    assert target.projected == date(2025, 1, 27) + timedelta(weeks=15)
    assert target.status == targets.ON_TRACK


def test_hidden_multiplier_is_insufficient_data(store: Store) -> None:
    put(store, "throughput.multiplier", [None], length="window")
    target = one(store, productivity_multiplier=10)
    assert target.status == targets.INSUFFICIENT
    assert "throughput.baseline_start" in target.reason and "privacy.min_group_size" in target.reason


def test_bad_scope_is_a_config_error(store: Store) -> None:
    with pytest.raises(ConfigError, match=r"targets.goals\[0\].scope = 'squad:x': give org"):
        one(store, goals=(TargetGoalConfig(metric="debt.density", goal=1.0, scope="squad:x"),))


def test_slope_and_projection_arithmetic() -> None:
    values = tuple(targets.Value(MONDAY + timedelta(weeks=i), "week", y, None, None, 1) for i, y in enumerate([1, 3]))
    assert targets.slope_per_week(values) == 2.0
    assert targets.slope_per_week(values[:1]) is None
    assert targets.projected_date(values[-1], MONDAY, 2.0, 7.0) == MONDAY + timedelta(weeks=2)
    assert targets.projected_date(values[-1], MONDAY, -2.0, 7.0) is None
    assert targets.projected_date(values[-1], MONDAY, 1e-9, 7.0) is None  # beyond a century
    assert targets.progress_of(5.0, 5.0, 5.0, "higher") is None
    assert targets.progress_of(80.0, 0.0, 1.0, "lower") is None  # the baseline was already beyond the goal
    assert targets.progress_of(3.0, 1.0, 5.0, "higher") == 0.5


CONFIG = """
[targets]
trend_periods = 4
debt_reduction = 0.5
debt_reduction_by = "2025-12-31"
productivity_multiplier = 10

[[targets.goals]]
metric = "debt.density"
goal = 20
name = "Density <20"
"""


def test_cli_prints_the_table_and_json(store: Store, tmp_path: Path) -> None:
    put(store, "debt.reduction", [0.0, 0.05, 0.10, 0.15])
    put(store, "debt.density", [40.0, 10.0])
    (tmp_path / "devmetrics.toml").write_text(CONFIG)
    text = run_cli(["targets", "--db", "t.db"], cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split()[:3] == ["target", "scope", "current"]
    assert any(line.startswith("Debt reduction") and "15.0%, n = 13" in line and "2025-03-17" in line for line in lines)
    assert "Debt reduction: on track (projected on time)" in text.stdout
    assert "Productivity multiplier: insufficient data (no value of throughput.multiplier" in text.stdout
    assert "Density <20: met (current value reached the goal)" in text.stdout
    answer = json.loads(run_cli(["targets", "--db", "t.db", "--json"], cwd=tmp_path).stdout)
    reduction = answer["targets"][1]
    assert reduction["current"] == {
        "value": 0.15, "low": None, "high": None, "n": 13, "period_start": "2025-01-27", "period_length": "week",
    }  # fmt: skip
    assert reduction["progress"] == pytest.approx(0.3) and reduction["trend"]["per_week"] == pytest.approx(0.05)
    assert reduction["trend"]["periods"] == 4 and reduction["projected_date"] == "2025-03-17"
    assert [t["key"] for t in answer["targets"]] == ["productivity_multiplier", "debt_reduction", "targets.goals[0]"]
    assert [t["status"] for t in answer["targets"]] == ["insufficient data", "on track", "met"]
    assert answer["statuses"]["off track"].startswith("not reached")
    assert set(answer) >= {"data_through", "partial_history", "failed", "settings"}


def test_cli_without_targets_and_with_a_bad_scope(store: Store, tmp_path: Path) -> None:
    empty = run_cli(["targets", "--db", "t.db"], cwd=tmp_path)
    assert empty.returncode == 0 and "no targets configured" in empty.stdout
    (tmp_path / "devmetrics.toml").write_text('[[targets.goals]]\nmetric = "x"\ngoal = 1\nscope = "repo:"\n')
    bad = run_cli(["targets", "--db", "t.db"], cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "devmetrics: error: targets.goals[0].scope = 'repo:': give org, repo:<name or identity> or team:<name>"
    )
