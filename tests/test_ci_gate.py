"""`devmetrics ci-gate` on real repositories with branches: Markdown, JSON, exit codes, missing base, the step
summary and its cap, and the one PR comment against a local HTTP server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from devmetrics.hooks.ci_gate import MARKER, STEP_SUMMARY_CAP
from tests.helpers import run_cli
from tests.hook_helpers import AGENT_VARIABLES, branching, init_repo, write
from tests.repo_builder import git

TOKEN = "ghp_secret-token-never-shown-123"
HOSTILE_SUBJECT = "Make <b>parse</b> *bigger* | see [x](javascript:alert(1)) @alice"


def commit(repo: Path, message: str, *trailers: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message, *(arg for t in trailers for arg in ("--trailer", t)))


@pytest.fixture(scope="module")
def pr_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: app.py (simple parse), util.py (complex tidy), old.py; feature: parse worse (AI-assisted), tidy
    better (human), new.py added, old.py deleted."""
    repo = init_repo(tmp_path_factory.mktemp("pr") / "repo")
    write(repo, "app.py", branching("parse", 3))
    write(repo, "util.py", branching("tidy", 14))
    write(repo, "old.py", branching("legacy", 2))
    commit(repo, "base", "AI-Assisted: no")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "app.py", branching("parse", 14))
    commit(repo, HOSTILE_SUBJECT, "AI-Assisted: claude-code (opus-4.5)")
    write(repo, "util.py", branching("tidy", 2))
    (repo / "old.py").unlink()
    write(repo, "src/new.py", branching("fresh", 1))
    commit(repo, "Tidy up", "AI-Assisted: no")
    git(repo, "checkout", "-q", "main")
    write(repo, "README", "main moves on\n")
    commit(repo, "docs")
    return repo


def gate(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {variable: "" for variable in AGENT_VARIABLES}
    clean.update({"GITHUB_STEP_SUMMARY": "", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    return run_cli(["ci-gate", *args], cwd=repo, env={**clean, **(env or {})})


def test_markdown_names_the_worse_function_and_escapes_repository_text(pr_repo: Path) -> None:
    result = gate(pr_repo, "--base", "main", "--head", "feature")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert out.startswith(MARKER)
    assert "| app\\.py:1 | parse | cyclomatic | 4 → 15 | 10 |" in out
    assert "Functions: 1 added, 1 worsened, 1 improved, 1 removed" in out
    assert "| ai-assisted | 1 | 50% |" in out and "| human | 1 | 50% |" in out
    assert "claude\\-code (1)" in out
    assert "&lt;b&gt;parse&lt;/b&gt;" in out and "<b>" not in out
    assert "\\*bigger\\* \\| see \\[x\\]\\(javascript:alert\\(1\\)\\)" in out
    assert "@alice" not in out and "@\u2060alice" in out
    assert "2 commit(s) and 0 merge(s), 4 file(s)" in out


def test_json_answer(pr_repo: Path) -> None:
    result = gate(pr_repo, "--base", "main", "--head", "feature", "--json")
    answer = json.loads(result.stdout)
    assert result.returncode == 1 and answer["exit_code"] == 1
    assert answer["debt"]["functions"] == {"added": 1, "worsened": 1, "improved": 1, "removed": 1}
    assert answer["blocking"] == [
        {
            "path": "app.py",
            "function": "parse",
            "line": 1,
            "failures": [{"measure": "cyclomatic", "before": 4, "after": 15, "limit": 10}],
        }
    ]
    total = answer["debt"]["total"]
    assert total["minutes_before"] == 10.0 and total["minutes_after"] == 10.0 and total["n"] == 4
    by_path = {file["path"]: file for file in answer["debt"]["files"]}
    assert by_path["util.py"]["minutes_change"] == -10.0 and by_path["app.py"]["minutes_change"] == 10.0
    assert answer["attribution"]["classes"] == {"ai-authored": 0, "ai-assisted": 1, "bot": 0, "human": 1}
    assert answer["attribution"]["tools"] == {"claude-code": 1}
    assert answer["size"] == {"commits": 2, "merges": 0, "files": 4, "lines_added": 26, "lines_deleted": 30}
    assert answer["range"]["merge_base"] == git(pr_repo, "merge-base", "main", "feature").decode().strip()
    assert answer["data_through"] and "definitions" in answer


def test_fail_on_never_reports_and_passes(pr_repo: Path) -> None:
    result = gate(pr_repo, "--base", "main", "--head", "feature", "--fail-on", "never")
    assert result.returncode == 0 and "(reported only: --fail-on never)" in result.stdout
    (pr_repo / "devmetrics.toml").write_text('[hooks]\nfail_on = "never"\n')
    try:
        assert gate(pr_repo, "--base", "main", "--head", "feature").returncode == 0
    finally:
        (pr_repo / "devmetrics.toml").unlink()


def test_a_suppressed_function_does_not_fail(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, "app.py", branching("parse", 3))
    commit(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "app.py", "# devmetrics: allow-debt reason=lookup table\n" + branching("parse", 14))
    commit(repo, "table")
    result = gate(repo, "--base", "main", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["blocking"] == []


def test_missing_base_is_one_line_exit_2(pr_repo: Path, tmp_path: Path) -> None:
    result = gate(pr_repo, "--base", "origin/release")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "fetch-depth: 0" in result.stderr and "git fetch origin release" in result.stderr
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "-b", "feature", pr_repo.as_uri(), str(shallow)],
        check=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull},
    )
    result = gate(shallow, "--base", "origin/main")
    assert result.returncode == 2 and "fetch-depth: 0" in result.stderr and result.stderr.count("\n") == 1


def test_step_summary_is_appended(pr_repo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# Earlier step\n")
    result = gate(pr_repo, "--base", "main", "--head", "feature", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 1
    text = summary.read_text()
    assert text.startswith("# Earlier step\n" + MARKER) and "| app\\.py:1 | parse |" in text


def test_step_summary_stays_under_its_cap(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "wide")
    write(repo, "keep.py", "X = 1\n")
    commit(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    for index in range(40):
        write(repo, f"pkg/module_with_a_long_name_{index:02}.py", branching(f"handler_{index}", 12))
    commit(repo, "many handlers")
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * (STEP_SUMMARY_CAP - 4000) + b"\n")
    result = gate(repo, "--base", "main", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 1
    assert summary.stat().st_size <= STEP_SUMMARY_CAP
    added = summary.read_bytes()[STEP_SUMMARY_CAP - 3999 :].decode()
    assert added.startswith(MARKER) and "more row(s) not shown" in added
    assert result.stdout.count("handler\\_") == 40  # the printed answer is whole


def event_file(tmp_path: Path, head_repo: str = "o/r") -> Path:
    event = {
        "pull_request": {
            "number": 5,
            "head": {"repo": {"full_name": head_repo}},
            "base": {"repo": {"full_name": "o/r"}},
        }
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return path


def github_env(httpserver: HTTPServer, event: Path) -> dict[str, str]:
    return {
        "GITHUB_API_URL": httpserver.url_for("/").rstrip("/"),
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_TOKEN": TOKEN,
    }


def authorized(request: Request) -> bool:
    return request.headers.get("Authorization") == f"Bearer {TOKEN}"


def test_comment_is_created_then_updated(pr_repo: Path, tmp_path: Path, httpserver: HTTPServer) -> None:
    posted: list[str] = []

    def post(request: Request) -> Response:
        assert authorized(request)
        posted.append(json.loads(request.data)["body"])
        return Response(json.dumps({"id": 99}), status=201, content_type="application/json")

    httpserver.expect_ordered_request("/repos/o/r/issues/5/comments", method="GET").respond_with_json(
        [{"id": 1, "body": "hi"}]
    )
    httpserver.expect_ordered_request("/repos/o/r/issues/5/comments", method="POST").respond_with_handler(post)
    env = github_env(httpserver, event_file(tmp_path))
    result = gate(pr_repo, "--base", "main", "--head", "feature", "--comment", "--fail-on", "never", env=env)
    assert result.returncode == 0, result.stderr
    assert "PR comment created on o/r#5" in result.stderr
    assert posted and posted[0].startswith(MARKER) and "parse" in posted[0]
    assert TOKEN not in result.stdout + result.stderr

    patched: list[str] = []

    def patch(request: Request) -> Response:
        assert authorized(request)
        patched.append(json.loads(request.data)["body"])
        return Response(json.dumps({"id": 99}), status=200, content_type="application/json")

    httpserver.clear()
    httpserver.expect_ordered_request("/repos/o/r/issues/5/comments", method="GET").respond_with_json(
        [{"id": 1, "body": "hi"}, {"id": 99, "body": f"{MARKER}\nold"}]
    )
    httpserver.expect_ordered_request("/repos/o/r/issues/comments/99", method="PATCH").respond_with_handler(patch)
    result = gate(pr_repo, "--base", "main", "--head", "feature", "--comment", env=env)
    assert result.returncode == 1  # the gate's own verdict: a function got worse
    assert "PR comment updated on o/r#5" in result.stderr and patched and patched[0].startswith(MARKER)
    assert TOKEN not in result.stdout + result.stderr
    httpserver.check_assertions()


def test_fork_pull_requests_skip_the_comment(pr_repo: Path, tmp_path: Path, httpserver: HTTPServer) -> None:
    env = github_env(httpserver, event_file(tmp_path, head_repo="someone/fork"))
    result = gate(pr_repo, "--base", "main", "--head", "feature", "--comment", "--fail-on", "never", env=env)
    assert result.returncode == 0 and "comes from a fork" in result.stderr
    assert httpserver.log == []


def test_a_403_answer_skips_the_comment(pr_repo: Path, tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/repos/o/r/issues/5/comments", method="GET").respond_with_json([])
    httpserver.expect_request("/repos/o/r/issues/5/comments", method="POST").respond_with_json(
        {"message": "Resource not accessible by integration"}, status=403
    )
    env = github_env(httpserver, event_file(tmp_path))
    result = gate(pr_repo, "--base", "main", "--head", "feature", "--comment", "--fail-on", "never", env=env)
    assert result.returncode == 0 and "GitHub answered 403" in result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_comment_without_token_is_a_usage_error(pr_repo: Path, tmp_path: Path, httpserver: HTTPServer) -> None:
    env = {**github_env(httpserver, event_file(tmp_path)), "GITHUB_TOKEN": "", "GH_TOKEN": ""}
    result = gate(pr_repo, "--base", "main", "--head", "feature", "--comment", env=env)
    assert result.returncode == 2 and "GITHUB_TOKEN or GH_TOKEN" in result.stderr
