"""GitHub pull requests collected from a local fake API into a real store: every table, incremental
passes, a missing repository, an interrupted pass resumed, organisations, and no network without a host."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from devmetrics import host_scan
from devmetrics.config import Config, GitHubConfig, HostsConfig
from devmetrics.store import Store
from tests.helpers import query
from tests.host_fixtures import BASE_TIME, FAKE_TOKEN, FakeGitHub, github_pull

HOST_TABLES = {
    "pull_requests": "number",
    "reviews": "pr_number, review_id",
    "review_comments": "pr_number, comment_id",
    "pr_events": "pr_number, event_id",
    "pr_commits": "pr_number, sha",
}


@pytest.fixture
def github(host_server: HTTPServer) -> FakeGitHub:
    fake = FakeGitHub.start(host_server)
    fake.add("acme/app", [github_pull(n, BASE_TIME + 3600 * n, reviews=1 + n % 2) for n in range(1, 8)])
    return fake


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "devmetrics.db")
    yield opened
    opened.close()


def config_for(*repos: str, **hosts: Any) -> Config:
    return Config(github=GitHubConfig(repos=tuple(repos)), hosts=HostsConfig(**{"concurrency": 3, **hosts}))


def env_for(fake: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_API_URL": fake.api.base_url, "GITHUB_TOKEN": FAKE_TOKEN}


def collect(store: Store, fake: FakeGitHub, config: Config, slept: list[float] | None = None) -> host_scan.HostsRun:
    sleeps = slept if slept is not None else []
    return host_scan.run(store, [], config, run_id="test", env=env_for(fake), client_options={"sleep": sleeps.append})


def host_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    return {table: query(db, f"SELECT * FROM {table} ORDER BY {order}") for table, order in HOST_TABLES.items()}  # noqa: S608


def test_a_first_pass_fills_every_table(store: Store, github: FakeGitHub) -> None:
    result = collect(store, github, config_for("acme/app"))
    assert [(o.target, o.status, o.pull_requests) for o in result.outcomes] == [("github:acme/app", "ok", 7)]
    assert result.stats["github"].requests == github.minimum_requests("acme/app")
    repo = query(store.path, "SELECT id, identity, name, host, owner_name FROM repos")
    assert repo == [(1, "github.com/acme/app", "app", "github.com", "acme/app")]
    pr = query(
        store.path,
        "SELECT number, host, host_id, title, state, draft, author_login, author_type, head_ref, base_ref, merge_sha, "
        "merged_by, labels, additions, deletions, changed_files, commit_count, created_at, updated_at, merged_at, "
        "details_fetched FROM pull_requests WHERE number = 3",
    )
    updated = BASE_TIME + 3 * 3600
    assert pr == [
        (3, "github", "PR_3", "Change 3", "merged", 0, "alice", "User", "feature/3", "main", f"{3:040x}",
         "maintainer", "[]", 30, 3, 4, 2, updated - 86_400, updated, updated - 60, 1)
    ]  # fmt: skip
    reviews = query(store.path, "SELECT review_id, reviewer_login, state, body_length FROM reviews WHERE pr_number = 3")
    assert reviews == [("300", "bob", "COMMENTED", 10), ("301", "bob", "APPROVED", 0)]
    comments = query(
        store.path, "SELECT comment_id, review_id, author_type, kind, path, body_length FROM review_comments "
        "WHERE pr_number = 3 ORDER BY kind DESC",
    )  # fmt: skip
    assert comments == [
        ("PRRC_300", "300", "User", "review", "src/file0.py", 9),
        ("IC_3", None, "Bot", "issue", None, 9),
    ]
    events = query(store.path, "SELECT event, actor_login FROM pr_events WHERE pr_number = 3 ORDER BY created_at")
    assert events == [("review_requested", "alice"), ("ready_for_review", "alice"), ("merged", "maintainer")]
    commits = {row[0] for row in query(store.path, "SELECT sha FROM pr_commits WHERE pr_number = 3")}
    assert commits == {f"{3000:040x}", f"{3001:040x}", f"{3:040x}"}  # the PR's commits and its merge commit
    scans = query(store.path, "SELECT target, stage, status, items FROM scans")
    assert scans == [("github:acme/app", "hosts", "ok", 7)]
    state = json.loads(str(query(store.path, "SELECT state FROM sync_state WHERE source = 'github'")[0][0]))
    assert state == {"watermark": BASE_TIME + 7 * 3600}


def test_an_unchanged_repository_costs_one_conditional_request(store: Store, github: FakeGitHub) -> None:
    config = config_for("acme/app")
    collect(store, github, config)
    before = host_rows(store.path)
    github.api.requests.clear()
    again = collect(store, github, config)
    assert again.outcomes[0].pull_requests == 0
    assert len(github.api.requests) == 1 and again.stats["github"].not_modified == 1
    assert host_rows(store.path) == before


def test_an_updated_pull_request_is_read_again_and_its_rows_replaced(store: Store, github: FakeGitHub) -> None:
    config = config_for("acme/app")
    collect(store, github, config)
    pull = github.repos["acme/app"][2]
    pull.updated_at = BASE_TIME + 10 * 3600
    pull.reviews = pull.reviews[:1]  # one review was dismissed and is gone
    pull.reviews[0] = {**pull.reviews[0], "state": "DISMISSED"}
    pull.labels = ("ai-assisted",)
    github.api.requests.clear()
    result = collect(store, github, config)
    assert result.outcomes[0].pull_requests == 1
    assert not any("/pulls/1/" in path or "/pulls/3/" in path for path in github.api.requests)
    assert query(store.path, "SELECT review_id, state FROM reviews WHERE pr_number = 2") == [("200", "DISMISSED")]
    assert query(store.path, "SELECT labels, updated_at FROM pull_requests WHERE number = 2") == [
        ('["ai-assisted"]', BASE_TIME + 10 * 3600)
    ]
    assert query(store.path, "SELECT count(*) FROM pull_requests") == [(7,)]


def test_listing_stops_at_the_watermark_minus_the_overlap(store: Store, host_server: HTTPServer) -> None:
    fake = FakeGitHub.start(host_server)
    fake.add("acme/big", [github_pull(n, BASE_TIME + 60 * n, reviews=0, comments=0) for n in range(1, 121)])
    config = config_for("acme/big", overlap_minutes=60)
    collect(store, fake, config)
    fake.repos["acme/big"][5].updated_at = BASE_TIME + 60 * 400  # an old pull request updated today
    # Page 1 now holds 5, then 120 down to 22; the watermark is 120's time, so everything below 60 is
    # older than watermark - 1 h: the pass stops inside page 1.
    fake.api.requests.clear()
    collect(store, fake, config)
    listing = [path for path in fake.api.requests if path.startswith("/repos/acme/big/pulls?")]
    assert len(listing) == 1  # page 1 reaches back past watermark - 1 h: page 2 is never asked for
    assert {path.split("?")[0] for path in fake.api.requests} - {"/repos/acme/big/pulls"} == {
        "/repos/acme/big/pulls/5",
        "/repos/acme/big/pulls/5/reviews",
        "/repos/acme/big/issues/5/comments",
        "/repos/acme/big/issues/5/timeline",
        "/repos/acme/big/pulls/5/commits",
    }  # no /pulls/5/comments: the pull request counts no review comments


def test_a_missing_repository_is_recorded_and_the_others_finish(store: Store, github: FakeGitHub) -> None:
    github.add("acme/lib", [github_pull(1, BASE_TIME)])
    result = collect(store, github, config_for("acme/app", "acme/gone", "acme/lib"))
    assert [(o.target, o.status) for o in result.outcomes] == [
        ("github:acme/app", "ok"),
        ("github:acme/gone", "failed"),
        ("github:acme/lib", "ok"),
    ]
    failed = query(store.path, "SELECT target, status, reason FROM scans WHERE status != 'ok'")
    assert len(failed) == 1 and failed[0][:2] == ("github:acme/gone", "failed")
    assert "/repos/acme/gone/pulls" in failed[0][2] and "404 Not Found" in failed[0][2]
    counts = query(store.path, "SELECT r.owner_name, count(p.number) FROM repos r LEFT JOIN pull_requests p "
                   "ON p.repo_id = r.id GROUP BY r.id ORDER BY r.id")  # fmt: skip
    assert counts == [("acme/app", 7), ("acme/gone", 0), ("acme/lib", 1)]


def test_an_interrupted_pass_resumes_without_duplicates_or_gaps(
    tmp_path: Path, store: Store, host_server: HTTPServer
) -> None:
    fake = FakeGitHub.start(host_server)
    fake.add("acme/app", [github_pull(n, BASE_TIME + 3600 * n, reviews=2, comments=2) for n in range(1, 31)])
    config = config_for("acme/app", retries=2)
    fake.api.fail_after = 40  # the list, then a few pull requests, then the server breaks down
    slept: list[float] = []
    broken = collect(store, fake, config, slept)
    assert broken.outcomes[0].status == "failed" and "gave up after 2 attempts" in broken.outcomes[0].reason
    stored_first = query(store.path, "SELECT count(*) FROM pull_requests")[0][0]
    assert 0 < stored_first < 30
    assert query(store.path, "SELECT count(*) FROM sync_state")[0][0] == 0  # the watermark did not move
    fake.api.fail_after = None
    fake.api.requests.clear()
    resumed = collect(store, fake, config)
    assert resumed.outcomes[0].status == "ok"
    assert resumed.outcomes[0].pull_requests == 30 - stored_first  # what was stored is not fetched again
    clean = Store.open(tmp_path / "clean.db")
    try:
        collect(clean, fake, config)
    finally:
        clean.close()
    assert host_rows(store.path) == host_rows(tmp_path / "clean.db")
    assert query(store.path, "SELECT state FROM sync_state") == query(
        tmp_path / "clean.db", "SELECT state FROM sync_state"
    )


def test_organisation_repositories_are_listed_and_collected(store: Store, github: FakeGitHub) -> None:
    github.orgs["acme"] = ["acme/app", "acme/lib"]
    github.add("acme/lib", [github_pull(1, BASE_TIME)])
    config = replace(config_for(), github=GitHubConfig(orgs=("acme",)))
    result = collect(store, github, config)
    assert [(o.target, o.status, o.pull_requests) for o in result.outcomes] == [
        ("github:acme/app", "ok", 7),
        ("github:acme/lib", "ok", 1),
    ]
    assert query(store.path, "SELECT target, reason FROM scans WHERE target = 'github:acme'") == [
        ("github:acme", "2 repositories listed")
    ]


def test_no_token_and_no_configured_host_makes_no_request(store: Store, github: FakeGitHub) -> None:
    scanned = [host_scan.ScannedRepo("/some/clone", "github.com", "acme/app", None)]
    result = host_scan.run(store, scanned, Config(), run_id="t", env={"GITHUB_API_URL": github.api.base_url})
    assert result.outcomes == [] and result.stats == {}
    assert github.api.requests == []
    assert query(store.path, "SELECT count(*) FROM repos") == [(0,)]


def test_a_scanned_clone_on_github_is_matched_to_its_repository(store: Store, github: FakeGitHub) -> None:
    scanned = [
        host_scan.ScannedRepo("/clones/app", "github.com", "acme/app", None),
        host_scan.ScannedRepo("/clones/other", "gitlab.example.com", "team/x", None),
    ]
    result = host_scan.run(store, scanned, Config(), run_id="t", env=env_for(github))
    assert [(o.target, o.local_target, o.pull_requests) for o in result.outcomes] == [
        ("github:acme/app", "/clones/app", 7)
    ]
    assert not any("team" in path for path in github.api.requests)


def test_comment_lists_counted_empty_are_not_requested(store: Store, host_server: HTTPServer) -> None:
    fake = FakeGitHub.start(host_server)
    quiet = github_pull(1, BASE_TIME, comments=0)
    quiet.issue_comments = []
    fake.add("acme/quiet", [quiet, github_pull(2, BASE_TIME + 60)])
    result = collect(store, fake, config_for("acme/quiet"))
    paths = {path.split("?")[0] for path in fake.api.requests}
    assert "/repos/acme/quiet/pulls/1/comments" not in paths and "/repos/acme/quiet/issues/1/comments" not in paths
    assert {"/repos/acme/quiet/pulls/2/comments", "/repos/acme/quiet/issues/2/comments"} <= paths
    assert result.stats["github"].requests == fake.minimum_requests("acme/quiet") - 2
    assert query(store.path, "SELECT pr_number, count(*) FROM review_comments GROUP BY pr_number") == [(2, 2)]


def test_github_enterprise_api_and_server_urls(store: Store, host_server: HTTPServer) -> None:
    fake = FakeGitHub.start(host_server, prefix="/api/v3")
    fake.add("platform/api", [github_pull(1, BASE_TIME)])
    env = {"GITHUB_API_URL": fake.api.base_url, "GITHUB_SERVER_URL": "https://GHE.example.com/", "GH_TOKEN": FAKE_TOKEN}
    scanned = [
        host_scan.ScannedRepo("/clones/api", "ghe.example.com", "platform/api", None),
        host_scan.ScannedRepo("/clones/oss", "github.com", "octo/oss", None),  # not served by this API
    ]
    result = host_scan.run(store, scanned, Config(), run_id="t", env=env)
    assert [(o.target, o.status, o.pull_requests) for o in result.outcomes] == [("github:platform/api", "ok", 1)]
    assert all(path.startswith("/api/v3/repos/platform/api/") for path in fake.api.requests)
    assert query(store.path, "SELECT identity FROM repos") == [("ghe.example.com/platform/api",)]


def test_a_401_names_the_variable_the_token_came_from(store: Store, host_server: HTTPServer) -> None:
    fake = FakeGitHub.start(host_server, token="the-right-one")
    fake.add("acme/app", [github_pull(1, BASE_TIME)])
    env = {"GITHUB_API_URL": fake.api.base_url, "GH_TOKEN": FAKE_TOKEN}
    result = host_scan.run(store, [], config_for("acme/app"), run_id="t", env=env)
    assert result.outcomes[0].reason.endswith("401 Unauthorized (Bad credentials); check GH_TOKEN")
    without = host_scan.run(store, [], config_for("acme/app"), run_id="t", env={"GITHUB_API_URL": fake.api.base_url})
    assert without.outcomes[0].reason.endswith(
        "401 Unauthorized (Bad credentials); set GITHUB_TOKEN in the environment"
    )
    for path in store.path.parent.glob("devmetrics.db*"):
        assert FAKE_TOKEN.encode() not in path.read_bytes()
