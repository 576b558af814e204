"""Review metrics hand-computed on crafted timelines written into a real store (drafts, bots, self-reviews,
dismissals, rubber stamps, self- and unreviewed merges, rework, cycle-time phases, cohorts, teams, privacy),
the intervals, the inputs-hash skip and `metric_values`."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest

from devmetrics.analyzers import reviews
from devmetrics.config import AttributionConfig, AttributionRuleConfig, Config, PrivacyConfig, ReviewsConfig
from devmetrics.store import Store
from tests.helpers import query
from tests.pr_helpers import HOUR, T0, HostRows

MINUTE = 60


def config_with(*, min_group_size: int = 1, **section: Any) -> Config:
    return dataclasses.replace(
        Config(), privacy=PrivacyConfig(min_group_size=min_group_size), reviews=ReviewsConfig(**section)
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "x.db")


def window(
    analysis: reviews.Analysis, metric: str, cohort: str = "all", kind: str = "org", scope: str = "all"
) -> reviews.Figure:
    found = next(item for item in analysis.scopes if (item.kind, item.id) == (kind, scope))
    return found.window[metric][cohort]


def value(analysis: reviews.Analysis, metric: str, **where: str) -> tuple[float | None, int]:
    figure = window(analysis, metric, **where)
    return figure.value, figure.n


# --- time to first review, bots, self-reviews, dismissals --------------------------------------------------


def test_draft_then_ready_starts_the_wait_at_ready(store: Store) -> None:
    rows = HostRows(store)
    rows.pr(1, draft=False)  # opened as a draft: its first toggle is ready_for_review
    rows.event(1, "ready_for_review", T0 + 10 * HOUR)
    rows.review(1, "bob", T0 + 12 * HOUR)  # 2 h after ready
    rows.pr(2)  # opened ready, made a draft, made ready again: ready is its creation
    rows.event(2, "convert_to_draft", T0 + 1 * HOUR)
    rows.event(2, "ready_for_review", T0 + 3 * HOUR)
    rows.review(2, "bob", T0 + 5 * HOUR)  # 5 h after creation
    rows.pr(3)
    rows.review(3, "bob", T0 + 9 * HOUR, "COMMENTED")

    analysis = reviews.analyse(store, config_with())

    assert value(analysis, "reviews.time_to_first_review_hours") == (5.0, 3)  # median of 2, 5, 9
    assert value(analysis, "reviews.pickup_hours") == (5.0, 3)


def test_a_review_of_the_draft_counts_as_an_immediate_pickup(store: Store) -> None:
    rows = HostRows(store)
    rows.pr(1)
    rows.event(1, "ready_for_review", T0 + 10 * HOUR)
    rows.review(1, "bob", T0 + 4 * HOUR, "COMMENTED")  # reviewed while still a draft

    analysis = reviews.analyse(store, config_with())

    assert value(analysis, "reviews.time_to_first_review_hours") == (0.0, 1)


def test_bot_and_self_reviews_do_not_count(store: Store) -> None:
    rows = HostRows(store)
    rows.pr(1, author="alice")
    rows.review(1, "dependabot[bot]", T0 + 1 * HOUR, reviewer_type="Bot")
    rows.review(1, "copilot-pull-request-reviewer", T0 + 1 * HOUR, "COMMENTED", reviewer_type="Bot")
    rows.review(1, "Alice", T0 + 2 * HOUR, "COMMENTED")  # the author, another spelling of the login
    rows.review(1, "bob", T0 + 4 * HOUR)
    rows.pr(2, author="alice")  # only bots and the author looked at it
    rows.review(2, "renovate[bot]", T0 + 1 * HOUR)
    rows.review(2, "alice", T0 + 2 * HOUR)
    rows.comment(2, "alice", T0 + 2 * HOUR, kind="issue")
    rows.comment(2, "github-actions[bot]", T0 + 3 * HOUR, kind="issue", author_type="Bot")

    analysis = reviews.analyse(store, config_with())

    assert value(analysis, "reviews.time_to_first_review_hours") == (4.0, 1)
    assert value(analysis, "reviews.coverage") == (0.5, 2)
    assert value(analysis, "reviews.unreviewed_merge_rate") == (0.5, 2)


def test_a_dismissed_review_shows_a_look_but_covers_nothing(store: Store) -> None:
    rows = HostRows(store)
    rows.pr(1)
    rows.review(1, "bob", T0 + 3 * HOUR, "DISMISSED")
    rows.pr(2)
    rows.review(2, "bob", T0 + 1 * HOUR, "DISMISSED")
    rows.review(2, "carol", T0 + 6 * HOUR, "APPROVED")

    analysis = reviews.analyse(store, config_with())

    assert value(analysis, "reviews.coverage") == (0.5, 2)  # PR 1 has only a dismissed review
    assert value(analysis, "reviews.unreviewed_merge_rate") == (0.0, 2)  # someone looked at both
    assert value(analysis, "reviews.time_to_first_review_hours") == (2.0, 2)  # median of 3 and 1
    assert value(analysis, "reviews.approval_hours") == (5.0, 1)  # PR 2: first review 1 h, approval 6 h


# --- rubber stamps, self-merges, unreviewed merges ---------------------------------------------------------


def test_rubber_stamps_against_reading_rate_and_large_diffs(store: Store) -> None:
    rows = HostRows(store)
    rows.pr(1, lines=250)  # 250 lines at 500 lines/hour: 30 minutes of reading
    rows.review(1, "bob", T0 + 10 * MINUTE)  # approved after 10 minutes, no comment: a rubber stamp
    rows.pr(2, lines=250)
    rows.review(2, "bob", T0 + 1 * HOUR)  # an hour: plausible reading
    rows.pr(3, lines=250)
    rows.review(3, "bob", T0 + 5 * MINUTE, body=40)  # fast, but with a review body
    rows.pr(4, lines=250)
    rows.comment(4, "bob", T0 + 3 * MINUTE)  # fast, but the approver commented inline before
    rows.review(4, "bob", T0 + 5 * MINUTE)
    rows.pr(5, lines=2000)  # over large_diff_lines: no comment means a stamp, however long it took
    rows.review(5, "bob", T0 + 10 * HOUR)
    rows.pr(6, lines=None)  # no details fetched: its size is unknown, left out
    rows.review(6, "bob", T0 + 1 * MINUTE)
    rows.pr(7, lines=250)  # no approval at all: left out
    rows.review(7, "bob", T0 + 1 * MINUTE, "CHANGES_REQUESTED")
    rows.pr(8, lines=250)  # a dismissed approval approves nothing
    rows.review(8, "bob", T0 + 1 * MINUTE, "DISMISSED")

    analysis = reviews.analyse(store, config_with())
    stricter = reviews.analyse(store, config_with(reading_lines_per_hour=100, large_diff_lines=5000))

    assert value(analysis, "reviews.rubber_stamp_rate") == (2 / 5, 5)  # PRs 1 and 5 of 1-5
    # 100 lines/hour: 250 lines take 2.5 h, so PR 2 is a stamp too; PR 5 (10 h for 2,000 lines at 20 h) also
    assert value(stricter, "reviews.rubber_stamp_rate") == (3 / 5, 5)


def test_self_merges_and_unreviewed_merges(store: Store) -> None:
    rows = HostRows(store)
    rows.pr(1, author="alice", merged_by="alice")  # self-merged, nobody looked
    rows.pr(2, author="alice", merged_by="ALICE")  # the same login
    rows.comment(2, "bob", T0 + HOUR, kind="issue")  # a conversation comment: not unreviewed, not covered
    rows.pr(3, author="alice", merged_by="carol")
    rows.review(3, "carol", T0 + HOUR)
    rows.pr(4, author="alice", merged_by=None)  # merger unknown: left out of the self-merge rate
    rows.pr(5, state="closed", merged=None)  # closed without merging: counted as not merged

    analysis = reviews.analyse(store, config_with())

    assert value(analysis, "reviews.merged_prs") == (4, 4)
    assert value(analysis, "reviews.self_merge_rate") == (2 / 3, 3)
    assert value(analysis, "reviews.unreviewed_merge_rate") == (2 / 4, 4)  # PRs 1 and 4
    assert value(analysis, "reviews.coverage") == (1 / 4, 4)
    assert analysis.facts.not_counted["pull requests not merged"] == 1


# --- rework after review -----------------------------------------------------------------------------------


def test_rework_after_the_first_review(store: Store) -> None:
    rows = HostRows(store)
    early = rows.commit("early", T0 - HOUR)
    late = rows.commit("late", T0 + 2 * HOUR, committed=T0 + 5 * HOUR)
    rows.pr(1, commits=[early, late])  # a commit committed after the first review
    rows.review(1, "bob", T0 + 3 * HOUR, "CHANGES_REQUESTED")
    rows.review(1, "bob", T0 + 6 * HOUR)
    rows.pr(2)  # force-pushed after the review
    rows.review(2, "bob", T0 + 3 * HOUR)
    rows.event(2, "head_ref_force_pushed", T0 + 4 * HOUR)
    rows.pr(3)  # a GitLab diff version after the review
    rows.review(3, "bob", T0 + 3 * HOUR)
    rows.event(3, "version", T0 + 4 * HOUR)
    rows.pr(4, head_sha="f" * 40)  # reviewed at another commit than the final head
    rows.review(4, "bob", T0 + 3 * HOUR, commit_sha="e" * 40)
    rows.pr(5, commits=[rows.commit("before", T0 - HOUR)])  # nothing changed after the review
    rows.review(5, "bob", T0 + 3 * HOUR)
    rows.event(5, "head_ref_force_pushed", T0 + 1 * HOUR)  # a force push BEFORE the review
    rows.pr(6)  # never reviewed: not in the denominator
    rows.event(6, "head_ref_force_pushed", T0 + 4 * HOUR)

    analysis = reviews.analyse(store, config_with())

    assert value(analysis, "reviews.rework_after_review") == (4 / 5, 5)


# --- cycle time and its phases ------------------------------------------------------------------------------


def test_cycle_time_phases(store: Store) -> None:
    rows = HostRows(store)
    first = rows.commit("first", T0)
    second = rows.commit("second", T0 + HOUR)
    squash = rows.commit("squash (#1)", T0 + 9 * HOUR)  # the merge commit's date is not the work's
    rows.pr(1, created=T0 + 2 * HOUR, merged=T0 + 9 * HOUR, commits=[first, second], merge_sha=squash)
    rows.review(1, "bob", T0 + 5 * HOUR, "COMMENTED")
    rows.review(1, "carol", T0 + 8 * HOUR)
    rows.pr(2, created=T0, merged=T0 + 30 * HOUR)  # no stored commit: no cycle time, no coding time
    rows.review(2, "bob", T0 + 10 * HOUR)

    analysis = reviews.analyse(store, config_with())

    assert value(analysis, "reviews.cycle_time_hours") == (9.0, 1)
    assert value(analysis, "reviews.coding_hours") == (2.0, 1)
    assert value(analysis, "reviews.pickup_hours") == (6.5, 2)  # 3 h and 10 h
    assert value(analysis, "reviews.approval_hours") == (1.5, 2)  # 3 h and 0 h (the first review approved)
    assert value(analysis, "reviews.merge_hours") == (10.5, 2)  # 1 h and 20 h


# --- depth and size -----------------------------------------------------------------------------------------


def test_depth_and_size_leave_out_prs_without_details(store: Store) -> None:
    rows = HostRows(store)
    rows.pr(1, lines=100, author="alice")
    rows.comment(1, "bob", T0 + HOUR)
    rows.comment(1, "carol", T0 + HOUR, kind="issue")
    rows.comment(1, "alice", T0 + HOUR)  # the author's reply
    rows.comment(1, "coderabbitai[bot]", T0 + HOUR, author_type="Bot")
    rows.pr(2, lines=300)
    rows.comment(2, "bob", T0 + HOUR)
    rows.pr(3, lines=None)  # no details: merged and counted, but no size
    rows.comment(3, "bob", T0 + HOUR)
    for number, lines in ((4, 10), (5, 20), (6, 1000)):
        rows.pr(number, lines=lines)

    analysis = reviews.analyse(store, config_with())

    assert value(analysis, "reviews.merged_prs") == (6, 6)
    depth = window(analysis, "reviews.depth")
    assert depth.value == pytest.approx(100 * 3 / 1430)  # 3 comments over 1,430 lines
    assert depth.n == 5
    assert depth.low is not None and depth.high is not None
    assert depth.low < 100 * 3 / 1430 < depth.high
    assert value(analysis, "reviews.pr_size_lines") == (100, 5)  # 10, 20, 100, 300, 1000
    assert value(analysis, "reviews.pr_size_p90_lines") == (1000, 5)  # nearest rank: ceil(4.5) = 5th


# --- cohorts, bots' PRs, teams, privacy -----------------------------------------------------------------------


def test_cohorts_by_pr_evidence_or_commits_and_bots_left_out(store: Store) -> None:
    rows = HostRows(store)
    rows.pr(1, author="copilot-swe-agent[bot]", author_type="Bot", head_ref="copilot/fix-tests")  # an agent
    rows.pr(2, author="alice", labels=["ai-generated"])  # a configured label rule
    assisted = rows.commit("with claude", T0, cls="ai-assisted", credited="dana@example.com")
    rows.pr(3, author="dana", commits=[assisted])  # no PR evidence: its commits decide
    rows.pr(4, author="dependabot[bot]", author_type="Bot", head_ref="dependabot/npm/lodash-4.17.21")
    rows.pr(5, author="alice")
    for number in (1, 2, 3, 5):
        rows.review(number, "bob", T0 + 2 * HOUR)
    rule = AttributionRuleConfig(id="acme.label", field="label", pattern="^ai-generated$", classification="ai-assisted")
    config = dataclasses.replace(config_with(), attribution=AttributionConfig(rules=(rule,)))

    analysis = reviews.analyse(store, config)

    assert value(analysis, "reviews.merged_prs", cohort="ai") == (3, 3)
    assert value(analysis, "reviews.merged_prs", cohort="human") == (1, 1)
    assert value(analysis, "reviews.merged_prs") == (4, 4)  # the bot's PR is its own cohort, left out
    assert analysis.facts.not_counted["bots' pull requests"] == 1
    assert value(analysis, "reviews.time_to_first_review_hours", cohort="ai") == (2.0, 3)
    stored = {row[0] for row in query(store.path, "SELECT metric FROM metric_values")}
    assert not stored  # analyse computes; analyze stores
    reviews.analyze(store, config)
    stored = {row[0] for row in query(store.path, "SELECT DISTINCT metric FROM metric_values")}
    assert {"reviews.merged_prs.ai", "reviews.merged_prs.human", "reviews.coverage.ai"} <= stored


def test_team_of_the_author_by_login_else_by_credited_commits(store: Store) -> None:
    rows = HostRows(store)
    rows.person("alice@users.noreply.github.com", team="payments")  # the login's GitHub noreply identity
    rows.person("bob@corp.example", team="search")
    work = rows.commit("search work", T0, credited="bob@corp.example")
    rows.pr(1, author="alice")
    rows.pr(2, author="bob-gh", commits=[work])  # no identity for the login: its commits' credited person
    rows.pr(3, author="stranger")  # no team at all
    for number in (1, 2, 3):
        rows.review(number, "carol", T0 + 4 * HOUR)

    analysis = reviews.analyse(store, config_with())

    assert value(analysis, "reviews.merged_prs", kind="team", scope="payments") == (1, 1)
    assert value(analysis, "reviews.merged_prs", kind="team", scope="search") == (1, 1)
    assert value(analysis, "reviews.merged_prs", kind="repo", scope="github.com/acme/app") == (3, 3)
    assert {scope.id for scope in analysis.scopes if scope.kind == "team"} == {"payments", "search"}


def test_privacy_hides_groups_and_cells_with_few_authors(store: Store) -> None:
    big = HostRows(store, "github.com/acme/big")
    for number, author in enumerate(("ann", "ben", "cat"), start=1):
        big.pr(number, author=author)
        big.review(number, "zed", T0 + HOUR)
    big.pr(4, author="ann", merged=T0 + 30 * 24 * HOUR)  # alone in a later week and month
    big.pr(5, author="ann", head_ref="copilot/fix-typo")  # the only AI PR: one author in the AI cohort
    small = HostRows(store, "github.com/acme/small")
    small.pr(1, author="dan")

    analysis = reviews.analyse(store, config_with(min_group_size=3))

    assert [(scope.kind, scope.id) for scope in analysis.scopes] == [("org", "all"), ("repo", "github.com/acme/big")]
    assert analysis.hidden_groups == {"repo": 1}
    assert query(store.path, "SELECT 1 FROM metric_values") == []  # analyse computes, analyze stores
    reviews.analyze(store, config_with(min_group_size=3))
    stored = query(
        store.path,
        "SELECT scope_kind, scope_id, period_start, period_length, value FROM metric_values "
        "WHERE metric = 'reviews.merged_prs' ORDER BY scope_kind, scope_id, period_length, period_start",
    )
    # the week and month of PR 4 have one author: no row; the small repository: no row at all
    assert ("repo", "github.com/acme/small") not in {(kind, scope) for kind, scope, *_ in stored}
    assert [row for row in stored if row[3] == "week"] == [
        ("org", "all", "2024-03-04", "week", 5.0),
        ("repo", "github.com/acme/big", "2024-03-04", "week", 4.0),
    ]
    assert analysis.hidden_cells > 0
    # the AI cohort has nobody: no figure; the human cohort has everyone
    org = next(scope for scope in analysis.scopes if scope.kind == "org")
    hidden = org.window["reviews.merged_prs"]["ai"]
    assert (hidden.value, hidden.reason) == (None, "hidden: fewer than privacy.min_group_size = 3 authors")
    assert window(analysis, "reviews.merged_prs", cohort="human").value == 5


# --- intervals ----------------------------------------------------------------------------------------------


def test_wilson_and_order_statistic_intervals() -> None:
    zero = reviews.wilson(0, 10)
    assert (zero.value, zero.low) == (0.0, 0.0)
    assert zero.high == pytest.approx(0.2775, abs=1e-4)
    half = reviews.wilson(5, 10)
    assert half.low == pytest.approx(0.2366, abs=1e-4)
    assert half.high == pytest.approx(0.7634, abs=1e-4)
    assert reviews.order_statistic_ranks(10, 0.5) == (2, 9)  # the textbook ranks for n = 10
    assert reviews.order_statistic_ranks(5, 0.5) == (1, 5)  # too few for 95%: the range
    lower, upper = reviews.order_statistic_ranks(100, 0.5)
    assert (lower, upper) == (40, 61)
    median = reviews.median_figure([float(v) for v in range(1, 11)])
    assert (median.value, median.low, median.high, median.n) == (5.5, 2.0, 9.0, 10)


@pytest.mark.parametrize("size", [6, 20, 75])
def test_order_statistic_interval_covers_at_least_95_percent(size: int) -> None:
    lower, upper = reviews.order_statistic_ranks(size, 0.5)
    # coverage of [x_(l), x_(u)] for the median: P(l <= B < u), B ~ Binomial(size, 1/2)
    coverage = sum(math.comb(size, k) for k in range(lower, upper)) / 2**size
    assert coverage >= 0.95


# --- the analyzer: storage and the inputs hash ---------------------------------------------------------------


def test_analyze_stores_rows_skips_unchanged_inputs_and_sees_new_reviews(store: Store) -> None:
    rows = HostRows(store)
    rows.pr(1)
    rows.review(1, "bob", T0 + 2 * HOUR)
    config = config_with()

    assert reviews.analyze(store, config) > 0
    assert reviews.is_current(store, config)
    assert reviews.analyze(store, config) == 0
    stored = query(
        store.path,
        "SELECT value, low, high, n FROM metric_values WHERE metric = 'reviews.time_to_first_review_hours' "
        "AND scope_kind = 'org' AND period_length = 'window'",
    )
    assert stored == [(2.0, 2.0, 2.0, 1)]
    rows.pr(2)
    rows.review(2, "bob", T0 + 6 * HOUR)

    assert not reviews.is_current(store, config)
    assert reviews.analyze(store, config) > 0
    stored = query(
        store.path,
        "SELECT value, n, period_start FROM metric_values WHERE metric = 'reviews.time_to_first_review_hours' "
        "AND scope_kind = 'org' AND period_length IN ('window', 'week', 'month') ORDER BY period_length",
    )
    assert stored == [(4.0, 2, "2024-03-01"), (4.0, 2, "2024-03-04"), (4.0, 2, "2023-12-18")]
    assert not reviews.is_current(store, config_with(large_diff_lines=10))
