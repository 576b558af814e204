"""Throughput measured in merged pull requests where code-host data exists (DESIGN §5): crafted histories
in a real store, the multiplier hand-computed, and the fall-back to commits for groups without PR data."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from devmetrics.analyzers import throughput
from devmetrics.config import Config, PrivacyConfig, ThroughputConfig
from devmetrics.store import Store
from tests.helpers import query
from tests.pr_helpers import HOUR, HostRows

DAY = 24 * HOUR
BASELINE = ("2024-01-01", "2024-01-28")  # four Monday weeks
WINDOW_START = datetime.datetime(2024, 3, 4, tzinfo=datetime.UTC)  # four weeks, before the scan of 2024-06-01
DEVELOPERS = [f"dev{index}@example.com" for index in range(5)]


def config() -> Config:
    return Config(
        throughput=ThroughputConfig(*BASELINE, window_weeks=4, bootstrap_samples=300),
        privacy=PrivacyConfig(min_group_size=5),
    )


def week_time(start: datetime.datetime, week: int, hours: int = 10) -> int:
    return int((start + datetime.timedelta(weeks=week)).timestamp()) + hours * HOUR


def history(rows: HostRows, *, baseline_prs: int, window_prs: int, with_prs: bool = True) -> None:
    """Every developer commits once a week in the baseline and the window; PRs as asked, each holding one
    of its author's commits of that week (the first window PR of each developer is AI-assisted)."""
    baseline_start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    number = 0
    for person in DEVELOPERS:
        rows.person(person)
        for start, prs, period in ((baseline_start, baseline_prs, "b"), (WINDOW_START, window_prs, "w")):
            for week in range(4):
                when = week_time(start, week)
                cls = "ai-assisted" if period == "w" and week == 0 else "human"
                sha = rows.commit(f"{person}-{period}{week}", when, cls=cls, credited=person)
                for extra in range(prs if week == 0 else 0):
                    number += 1
                    if with_prs:
                        merged = when + (extra + 1) * DAY
                        rows.pr(number, author=f"login-{number}", created=when, merged=merged, commits=[sha])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "prs.db")


def scope(answer: dict[str, object], kind: str, scope_id: str) -> dict[str, object]:
    scopes = answer["scopes"]
    assert isinstance(scopes, list)
    return next(item for item in scopes if (item["kind"], item["id"]) == (kind, scope_id))


def test_with_pr_data_the_multiplier_counts_merged_pull_requests(store: Store) -> None:
    rows = HostRows(store)
    history(rows, baseline_prs=1, window_prs=3)
    answer = throughput.report(store, config())
    org = scope(answer, "org", "all")
    assert answer["measure"] == org["measure"] == throughput.MEASURE_PRS
    multiplier = org["multiplier"]
    assert isinstance(multiplier, dict)
    # Baseline: 5 PRs over 20 developer-weeks; window: 15 PRs over 20. Commits alone would say 1.0.
    assert multiplier["baseline_rate"] == pytest.approx(5 / 20)
    assert multiplier["window_rate"] == pytest.approx(15 / 20)
    assert multiplier["value"] == pytest.approx(3.0)
    assert multiplier["low"] == pytest.approx(3.0) == multiplier["high"]  # every developer tripled
    assert (multiplier["window_merged_prs"], multiplier["baseline_merged_prs"], multiplier["n"]) == (15, 5, 5)
    assert scope(answer, "repo", rows.identity)["measure"] == throughput.MEASURE_PRS
    assert "merged pull requests per active developer-week in the window" in throughput.render(answer)

    assert throughput.analyze(store, config()) > 0
    stored = dict(
        query(
            store.path,
            "SELECT metric, value FROM metric_values WHERE scope_kind = 'org' AND period_length = 'window' "
            "AND metric IN ('throughput.multiplier', 'throughput.prs_per_dev_week', 'throughput.prs_per_dev_week.ai')",
        )
    )
    assert stored["throughput.multiplier"] == pytest.approx(3.0)
    assert stored["throughput.prs_per_dev_week"] == pytest.approx(15 / 20)
    assert stored["throughput.prs_per_dev_week.ai"] == pytest.approx(15 / 20)  # every window PR holds an AI commit
    weekly = query(
        store.path,
        "SELECT period_start, value FROM metric_values WHERE metric = 'throughput.merged_prs' AND scope_kind = 'org' "
        "AND period_length = 'week' ORDER BY period_start",
    )
    assert weekly == [("2024-01-01", 5), ("2024-01-08", 0), ("2024-01-15", 0), ("2024-01-22", 0),
                      ("2024-03-04", 15), ("2024-03-11", 0), ("2024-03-18", 0), ("2024-03-25", 0)]  # fmt: skip


def test_a_group_with_a_repository_without_pr_data_counts_commits(store: Store) -> None:
    with_prs = HostRows(store, "github.com/acme/app")
    history(with_prs, baseline_prs=1, window_prs=3)
    without = HostRows(store, "example.org/git/lib")
    history(without, baseline_prs=1, window_prs=3, with_prs=False)
    answer = throughput.report(store, config())
    org = scope(answer, "org", "all")
    assert answer["measure"] == org["measure"] == throughput.MEASURE
    multiplier = org["multiplier"]
    assert isinstance(multiplier, dict)
    assert multiplier["value"] == pytest.approx(1.0)  # the same commits every week in both periods
    assert "window_merged_prs" not in multiplier
    app = scope(answer, "repo", "github.com/acme/app")
    assert app["measure"] == throughput.MEASURE_PRS
    assert isinstance(app["multiplier"], dict) and app["multiplier"]["value"] == pytest.approx(3.0)
    assert scope(answer, "repo", "example.org/git/lib")["measure"] == throughput.MEASURE


def test_pull_requests_of_people_not_active_in_the_period_do_not_count(store: Store) -> None:
    rows = HostRows(store)
    history(rows, baseline_prs=1, window_prs=1)
    outsider = "outsider@example.com"
    rows.person(outsider)
    late = rows.commit("outsider-early", week_time(datetime.datetime(2023, 10, 2, tzinfo=datetime.UTC), 0),
                       credited=outsider)  # fmt: skip
    rows.pr(99, author="someone", created=week_time(WINDOW_START, 1), merged=week_time(WINDOW_START, 1, 20),
            commits=[late])  # fmt: skip
    multiplier = scope(throughput.report(store, config()), "org", "all")["multiplier"]
    assert isinstance(multiplier, dict)
    assert multiplier["window_merged_prs"] == 5
