"""`devmetrics scan` with the hosts stage, end to end: a real git repository whose origin is on GitHub,
the real CLI in a subprocess, and GITHUB_API_URL pointing at a local fake API."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import CloneOf
from tests.helpers import query, run_cli
from tests.host_fixtures import BASE_TIME, FAKE_TOKEN, FakeGitHub, github_pull
from tests.repo_builder import git


def app_clone(clone_of: CloneOf, small_repo: Path) -> Path:
    repo = clone_of(small_repo)
    git(repo, "remote", "set-url", "origin", "https://github.com/acme/app.git")
    return repo


def test_scan_collects_pull_requests_of_a_github_clone(
    tmp_path: Path, host_server: HTTPServer, clone_of: CloneOf, small_repo: Path
) -> None:
    fake = FakeGitHub.start(host_server)
    fake.add("acme/app", [github_pull(n, BASE_TIME + 60 * n) for n in range(1, 4)])
    repo = app_clone(clone_of, small_repo)
    env = {"GITHUB_API_URL": fake.api.base_url, "GITHUB_TOKEN": FAKE_TOKEN}
    done = run_cli(["scan", str(repo), "--no-analyze"], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "3 pull requests new or updated" in done.stdout
    db = tmp_path / "devmetrics.db"
    assert query(db, "SELECT identity, owner_name FROM repos") == [("github.com/acme/app", "acme/app")]
    assert query(db, "SELECT count(*) FROM pull_requests WHERE repo_id = 1 AND details_fetched = 1") == [(3,)]
    assert query(db, "SELECT count(*) FROM reviews") == [(3,)]
    assert query(db, "SELECT count(*) FROM review_comments") == [(6,)]
    assert query(db, "SELECT count(*) FROM pr_events") == [(9,)]
    assert query(db, "SELECT count(*) FROM pr_commits") == [(9,)]
    assert query(db, "SELECT stage, status FROM scans ORDER BY id") == [
        ("history", "ok"),
        ("code", "ok"),
        ("hosts", "ok"),
    ]
    for path in tmp_path.glob("devmetrics.db*"):
        assert FAKE_TOKEN.encode() not in path.read_bytes()
    assert FAKE_TOKEN not in done.stdout + done.stderr

    fake.api.requests.clear()
    again = run_cli(["scan", str(repo), "--only", "hosts"], cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert len(fake.api.requests) == 1  # the list page, answered 304
    assert fake.api.not_modified == 1


def test_a_failing_repository_makes_exit_code_1_and_the_others_finish(
    tmp_path: Path, host_server: HTTPServer, clone_of: CloneOf, small_repo: Path
) -> None:
    fake = FakeGitHub.start(host_server)
    fake.add("acme/lib", [github_pull(1, BASE_TIME)])
    repo = app_clone(clone_of, small_repo)  # acme/app is unknown to the host: 404
    (tmp_path / "devmetrics.toml").write_text('[github]\nrepos = ["acme/lib"]\n')
    env = {"GITHUB_API_URL": fake.api.base_url, "GITHUB_TOKEN": FAKE_TOKEN}
    done = run_cli(["scan", str(repo), "--only", "hosts"], cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "/repos/acme/app/pulls" in done.stderr and "404 Not Found" in done.stderr
    assert FAKE_TOKEN not in done.stdout + done.stderr
    db = tmp_path / "devmetrics.db"
    assert query(db, "SELECT target, status FROM scans ORDER BY id") == [
        ("github:acme/app", "failed"),
        ("github:acme/lib", "ok"),
    ]
    # acme/lib was never cloned: it has a repository row named like a clone would be.
    assert query(db, "SELECT identity, path FROM repos ORDER BY id") == [
        ("github.com/acme/app", str(repo)),
        ("github.com/acme/lib", "https://github.com/acme/lib"),
    ]
    assert query(db, "SELECT count(*) FROM pull_requests") == [(1,)]


def test_configured_repositories_are_scanned_without_a_path(tmp_path: Path, host_server: HTTPServer) -> None:
    fake = FakeGitHub.start(host_server)
    fake.add("acme/lib", [github_pull(1, BASE_TIME), github_pull(2, BASE_TIME + 5)])
    (tmp_path / "devmetrics.toml").write_text('[github]\nrepos = ["acme/lib"]\n')
    env = {"GITHUB_API_URL": fake.api.base_url, "GITHUB_TOKEN": FAKE_TOKEN}
    done = run_cli(["scan"], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "lib: 2 pull requests new or updated" in done.stdout
    assert query(tmp_path / "devmetrics.db", "SELECT count(*) FROM pull_requests") == [(2,)]
    # A repository known only from its host (no commits) does not trouble the analyzers or the report.
    report = run_cli(["report", "--out", str(tmp_path / "site")], cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "site" / "index.html").exists()


def test_without_token_or_host_config_the_stage_makes_no_request(
    tmp_path: Path, host_server: HTTPServer, clone_of: CloneOf, small_repo: Path
) -> None:
    fake = FakeGitHub.start(host_server)
    repo = app_clone(clone_of, small_repo)
    done = run_cli(["scan", str(repo), "--no-analyze"], cwd=tmp_path, env={"GITHUB_API_URL": fake.api.base_url})
    assert done.returncode == 0, done.stderr
    assert fake.api.requests == []
    assert query(tmp_path / "devmetrics.db", "SELECT stage FROM scans ORDER BY id") == [("history",), ("code",)]


def test_a_malformed_repository_name_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "devmetrics.toml").write_text('[github]\nrepos = ["acme/app", "just-a-name"]\n')
    done = run_cli(["scan"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        'devmetrics: error: devmetrics.toml:2: github.repos: "just-a-name" is not "owner/name"; correct it'
    )
    assert not (tmp_path / "devmetrics.db").exists()


def test_without_httpx_a_requested_hosts_stage_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from devmetrics.config import Config, GitHubConfig
    from devmetrics.errors import DevmetricsError
    from devmetrics.scan import scan
    from devmetrics.store import Store

    for name in [module for module in sys.modules if module.startswith(("httpx", "devmetrics.host_scan"))]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("devmetrics.collectors.http", "devmetrics.collectors.github", "devmetrics.collectors.gitlab",
                 "devmetrics.collectors.hosts"):  # fmt: skip
        monkeypatch.delitem(sys.modules, name, raising=False)
    import devmetrics
    from devmetrics import collectors

    monkeypatch.delattr(devmetrics, "host_scan", raising=False)  # else `from devmetrics import host_scan` finds it
    for name in ("http", "github", "gitlab", "hosts"):
        monkeypatch.delattr(collectors, name, raising=False)
    monkeypatch.setitem(sys.modules, "httpx", None)  # as if the `hosts` extra were not installed
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # should anything still try: never a real host
    store = Store.open(tmp_path / "devmetrics.db")
    try:
        assert scan(store, [], Config(), stages=["hosts"], analyze=False).outcomes == []  # nothing asked: fine
        with pytest.raises(DevmetricsError, match=r"the hosts stage needs httpx: pip install 'devmetrics\[hosts\]'"):
            scan(store, [], Config(github=GitHubConfig(repos=("acme/app",))), stages=["hosts"], analyze=False)
    finally:
        store.close()


def test_collected_pull_requests_become_review_metrics(
    tmp_path: Path, host_server: HTTPServer, clone_of: CloneOf, small_repo: Path
) -> None:
    """The collector's rows are what the review analyzer reads: three merged, approved pull requests."""
    fake = FakeGitHub.start(host_server)
    fake.add("acme/app", [github_pull(n, BASE_TIME + 60 * n) for n in range(1, 4)])
    repo = app_clone(clone_of, small_repo)
    (tmp_path / "devmetrics.toml").write_text("[privacy]\nmin_group_size = 1\n")
    env = {"GITHUB_API_URL": fake.api.base_url, "GITHUB_TOKEN": FAKE_TOKEN}
    done = run_cli(["scan", str(repo)], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    db = tmp_path / "devmetrics.db"
    window = dict(
        query(
            db,
            "SELECT metric, value FROM metric_values WHERE scope_kind = 'repo' AND period_length = 'window' "
            "AND metric IN ('reviews.merged_prs', 'reviews.coverage', 'reviews.unreviewed_merge_rate')",
        )
    )
    assert window == {"reviews.merged_prs": 3, "reviews.coverage": 1.0, "reviews.unreviewed_merge_rate": 0.0}
    answer = run_cli(["reviews", "--json"], cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert FAKE_TOKEN not in answer.stdout
