"""Review evidence from git alone on a real repository made with `git commit` (merge and squash subjects,
GitLab's merge-request line, Reviewed-by/Acked-by/Reviewed-on trailers), and `devmetrics reviews` with and
without code-host data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devmetrics.analyzers import reviews
from devmetrics.store import Store
from tests.attribution_helpers import GitRepo, Workspace
from tests.helpers import query, run_cli
from tests.pr_helpers import HOUR, HostRows

RITA = "Rita Reviewer <rita@example.com>"


def git_only_history(space: Workspace) -> tuple[GitRepo, dict[str, str]]:
    repo = space.repo("app")
    shas = {"initial": repo.commit("Initial import", files={"a.txt": "1\n"})}
    repo.branch("topic")
    shas["topic"] = repo.commit("Topic work", f"Reviewed-by: {RITA}", files={"b.txt": "2\n"})
    repo.checkout("main")
    shas["merge"] = repo.merge("topic", "Merge pull request #7 from octo/topic")
    shas["squash"] = repo.commit("Add search (#12)", f"Acked-by: {RITA}", files={"c.txt": "3\n"})
    repo.branch("login")
    shas["login"] = repo.commit(
        "Fix login", "Reviewed-on: https://review.example.com/c/app/+/42", files={"d.txt": "4\n"}
    )
    repo.checkout("main")
    gitlab = ("Merge branch 'login' into 'main'", "Fix login", "See merge request acme/app!3")
    shas["gitlab"] = repo.merge("login", *gitlab)
    shas["plain"] = repo.commit("Tidy up", "Signed-off-by: Dana Developer <dana@example.com>", files={"a.txt": "5\n"})
    return repo, shas


def reviews_json(space: Workspace, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    assert space.cli("reviews", "--db", str(space.db), "--json", *extra) == 0
    answer: dict[str, Any] = json.loads(capsys.readouterr().out)
    return answer


def org_metric(answer: dict[str, Any], metric: str, cohort: str = "all") -> dict[str, Any]:
    org = next(scope for scope in answer["scopes"] if scope["kind"] == "org")
    figure: dict[str, Any] = org["metrics"][metric][cohort]
    return figure


def test_pr_numbers_from_subjects() -> None:
    assert reviews.pr_number("Merge pull request #123 from octo/topic", "") == "#123"
    assert reviews.pr_number("Add search (#12)", "") == "#12"
    assert reviews.pr_number("Merge branch 'x' into 'main'", "Merge\n\nSee merge request group/sub/project!12\n") == (
        "group/sub/project!12"
    )
    assert reviews.pr_number("Fix #12 in the parser", "") is None  # an issue mentioned, not a PR merged
    assert reviews.pr_number("Revert (#12) partly", "") is None


def test_git_alone_counts_prs_from_subjects_and_review_trailers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = Workspace(tmp_path)
    repo, _ = git_only_history(space)
    space.scan(repo)

    answer = reviews_json(space, capsys)

    assert answer["message"] == reviews.NO_REVIEW_DATA
    assert "[github]" in answer["message"] and "token" in answer["message"]
    assert [item["review_data"] for item in answer["repositories"]] == ["git only"]
    assert org_metric(answer, "reviews.merged_prs")["value"] == 3  # #7, #12 and acme/app!3
    trailers = org_metric(answer, "reviews.trailer_review_share")
    assert (trailers["value"], trailers["n"]) == (3 / 5, 5)  # five non-merge commits, three with trailers
    assert trailers["low"] < 0.6 < trailers["high"]
    assert org_metric(answer, "reviews.merged_prs", "human")["value"] == 3
    assert "reviews.coverage" not in next(s for s in answer["scopes"] if s["kind"] == "org")["metrics"]
    assert answer["data_through"] is not None and answer["failed"] == [] and answer["partial_history"] == []
    stored = query(
        space.db,
        "SELECT value, n FROM metric_values WHERE metric = 'reviews.trailer_review_share' AND scope_kind = 'repo' "
        "AND period_length = 'window'",
    )
    assert stored == [(0.6, 5)]


def test_configured_trailers_replace_the_default_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = Workspace(tmp_path)
    repo, _ = git_only_history(space)
    space.write_config('\n[reviews]\ntrailers = ["Signed-off-by"]\n')
    space.scan(repo)

    trailers = org_metric(reviews_json(space, capsys), "reviews.trailer_review_share")

    assert (trailers["value"], trailers["n"]) == (1 / 5, 5)


def test_pull_request_data_replaces_subjects_and_the_cli_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = Workspace(tmp_path)
    repo, shas = git_only_history(space)
    space.scan(repo)
    store = Store.open(space.db)
    try:
        identity = str(query(space.db, "SELECT identity FROM repos")[0][0])
        rows = HostRows.existing(store, identity)
        merged = int(query(space.db, "SELECT committer_time FROM commits WHERE sha = ?", [shas["merge"]])[0][0])
        rows.pr(7, author="dana", created=merged - 10 * HOUR, merged=merged, merge_sha=shas["merge"],
                commits=[shas["topic"]], merged_by="dana")  # fmt: skip
        rows.review(7, "rita", merged - 4 * HOUR)
    finally:
        store.close()

    answer = reviews_json(space, capsys)
    text = run_cli(["--config", str(space.config_path), "reviews", "--db", str(space.db)], cwd=tmp_path)

    assert answer["message"] is None
    assert [item["review_data"] for item in answer["repositories"]] == ["pull requests"]
    assert org_metric(answer, "reviews.merged_prs")["value"] == 1  # subjects no longer count
    assert org_metric(answer, "reviews.time_to_first_review_hours")["value"] == 6.0
    assert org_metric(answer, "reviews.self_merge_rate")["value"] == 1.0
    assert set(answer["definitions"]) == set(reviews.BASE_METRICS)
    assert text.returncode == 0, text.stderr
    assert "Time to first review [hours]:" in text.stdout
    assert "6.0 (95% CI 6.0 to 6.0), n = 1 PRs" in text.stdout
    assert "review data: app (pull requests)" in text.stdout
    assert "data through " in text.stdout


def test_reviews_repo_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = Workspace(tmp_path)
    repo, _ = git_only_history(space)
    space.scan(repo)

    answer = reviews_json(space, capsys, "--repo", "app")
    missing = run_cli(
        ["--config", str(space.config_path), "reviews", "--db", str(space.db), "--repo", "nope"], cwd=tmp_path
    )

    assert [scope["kind"] for scope in answer["scopes"]] == ["repo"]
    assert missing.returncode == 2
    assert "--repo nope: no such repository in the database (known: app)" in missing.stderr
