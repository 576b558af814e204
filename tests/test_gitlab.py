"""GitLab merge requests collected from a local fake API: merge requests, approvals, notes, versions,
commits, x-next-page pagination, RateLimit-* headers and incremental passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from devmetrics import host_scan
from devmetrics.config import Config, GitLabConfig, HostsConfig
from devmetrics.store import Store
from tests.helpers import query
from tests.host_fixtures import BASE_TIME, FAKE_TOKEN, FakeGitLab, gitlab_merge_request, gl_user


@pytest.fixture
def gitlab(host_server: HTTPServer) -> FakeGitLab:
    fake = FakeGitLab.start(host_server, max_per_page=2)  # a small page size: every list has several pages
    fake.add("team/backend/app", [gitlab_merge_request(n, BASE_TIME + 3600 * n) for n in range(1, 6)])
    return fake


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "devmetrics.db")
    yield opened
    opened.close()


def config_for(fake: FakeGitLab, *, projects: tuple[str, ...] = ("team/backend/app",), **kw: Any) -> Config:
    url = fake.api.base_url.removesuffix("/api/v4")
    return Config(gitlab=GitLabConfig(url=url, projects=projects, **kw), hosts=HostsConfig(concurrency=2))


def collect(store: Store, config: Config, slept: list[float] | None = None) -> host_scan.HostsRun:
    sleeps = slept if slept is not None else []
    return host_scan.run(
        store, [], config, run_id="t", env={"GITLAB_TOKEN": FAKE_TOKEN}, client_options={"sleep": sleeps.append}
    )


def test_merge_requests_and_their_reviews_fill_the_tables(store: Store, gitlab: FakeGitLab) -> None:
    result = collect(store, config_for(gitlab))
    assert [(o.target, o.status, o.pull_requests) for o in result.outcomes] == [("gitlab:team/backend/app", "ok", 5)]
    assert query(store.path, "SELECT identity, name, host, owner_name FROM repos") == [
        ("127.0.0.1/team/backend/app", "app", "127.0.0.1", "team/backend/app")
    ]
    updated = BASE_TIME + 2 * 3600
    assert query(
        store.path,
        "SELECT number, host, host_id, title, body, state, draft, author_login, author_type, head_ref, base_ref, "
        "merge_sha, merged_by, labels, additions, changed_files, commit_count, created_at, updated_at, merged_at, "
        "details_fetched FROM pull_requests WHERE number = 2",
    ) == [
        (2, "gitlab", "50002", "MR 2", "Generated with Claude Code", "merged", 0, "carol", "User", "topic-2", "main",
         f"{11:040x}", "dave", '["backend"]', None, 3, 4, updated - 7200, updated, updated - 10, 1)
    ]  # fmt: skip
    erin = gl_user("erin")["id"]
    assert query(
        store.path, "SELECT review_id, reviewer_login, state, submitted_at FROM reviews WHERE pr_number = 2"
    ) == [(f"approval:{erin}", "erin", "APPROVED", updated - 100)]
    assert query(
        store.path,
        "SELECT comment_id, author_login, author_type, kind, path, body_length FROM review_comments "
        "WHERE pr_number = 2 ORDER BY created_at",
    ) == [
        ("202", "erin", "User", "review", "app/model.rb", 11),
        ("203", "carol", "User", "issue", None, 5),
        ("206", "project_7_bot_x1", "Bot", "issue", None, 4),
    ]
    assert query(
        store.path, "SELECT event_id, event, actor_login FROM pr_events WHERE pr_number = 2 ORDER BY created_at"
    ) == [
        ("note:201", "review_requested", "carol"),
        ("version:21", "version", None),
        ("version:22", "version", None),
        ("merged", "merged", "dave"),
    ]
    shas = {row[0] for row in query(store.path, "SELECT sha FROM pr_commits WHERE pr_number = 2")}
    assert shas == {f"{2000:040x}", f"{2001:040x}", f"{2002:040x}", f"{11:040x}"}


def test_project_paths_are_url_encoded_and_lists_follow_x_next_page(store: Store, gitlab: FakeGitLab) -> None:
    collect(store, config_for(gitlab))
    listing = [uri for uri in gitlab.api.raw_uris if uri.split("?")[0].endswith("/merge_requests")]
    assert len(listing) == 3  # 5 merge requests, 2 a page
    assert all(uri.startswith("/api/v4/projects/team%2Fbackend%2Fapp/merge_requests?") for uri in listing)
    assert "order_by=updated_at" in listing[0] and "sort=asc" in listing[0] and "state=all" in listing[0]
    assert [uri.rsplit("page=", 1)[-1] for uri in listing[1:]] == ["2", "3"]
    notes = [uri for uri in gitlab.api.raw_uris if "/merge_requests/2/notes" in uri]
    assert len(notes) == 3  # 6 notes, 2 a page


def test_ratelimit_headers_make_the_collector_wait(store: Store, gitlab: FakeGitLab) -> None:
    clock = [float(BASE_TIME)]
    gitlab.api.extra_headers = lambda n: (
        {"RateLimit-Remaining": "0", "RateLimit-Reset": str(BASE_TIME + 45)}
        if n == 1
        else {"RateLimit-Remaining": "99"}
    )
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    host_scan.run(
        store, [], config_for(gitlab), run_id="t", env={"GITLAB_TOKEN": FAKE_TOKEN},
        client_options={"sleep": sleep, "clock": lambda: clock[0]},
    )  # fmt: skip
    assert slept == [45.0]
    assert query(store.path, "SELECT count(*) FROM pull_requests") == [(5,)]


def test_a_second_pass_asks_only_for_updates_since_the_watermark(store: Store, gitlab: FakeGitLab) -> None:
    config = config_for(gitlab)
    collect(store, config)
    gitlab.api.requests.clear()
    gitlab.api.raw_uris.clear()
    mr = gitlab.projects["team/backend/app"][1]
    mr.updated_at = BASE_TIME + 9 * 3600
    mr.approvers = []
    result = collect(store, config)
    assert result.outcomes[0].pull_requests == 1
    assert "updated_after=2023-11-15T02%3A13%3A20Z&" in gitlab.api.raw_uris[0]  # watermark - overlap, as ISO
    # Watermark = MR 5 at +5 h; minus the 1 h overlap = +4 h: MRs 4, 5 and the updated 1 are listed.
    assert not any("/merge_requests/4/" in path or "/merge_requests/5/" in path for path in gitlab.api.requests)
    assert query(store.path, "SELECT count(*) FROM reviews WHERE pr_number = 1") == [(0,)]
    assert query(store.path, "SELECT count(*) FROM pull_requests") == [(5,)]


def test_group_projects_are_listed_and_collected(store: Store, gitlab: FakeGitLab) -> None:
    gitlab.groups["team"] = ["team/backend/app", "team/web"]
    gitlab.add("team/web", [gitlab_merge_request(1, BASE_TIME)])
    result = collect(store, config_for(gitlab, projects=(), groups=("team",)))
    assert [(o.target, o.status, o.pull_requests) for o in result.outcomes] == [
        ("gitlab:team/backend/app", "ok", 5),
        ("gitlab:team/web", "ok", 1),
    ]


def test_a_missing_group_is_recorded_and_the_projects_go_on(store: Store, gitlab: FakeGitLab) -> None:
    result = collect(store, config_for(gitlab, groups=("nobody",)))
    assert [(o.target, o.status) for o in result.outcomes] == [
        ("gitlab:team/backend/app", "ok"),
        ("gitlab:nobody", "failed"),
    ]
    reason = query(store.path, "SELECT reason FROM scans WHERE target = 'gitlab:nobody'")[0][0]
    assert "/api/v4/groups/nobody/projects" in reason and "404 Not Found" in reason
