"""The history stage end to end: real repositories, a real SQLite file, the real CLI."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from devmetrics.cli import main
from devmetrics.store import writer_lock
from tests.helpers import dump, query, run_cli, scalar
from tests.repo_builder import Change, CommitSpec, Person, build_repo, git, synthetic_history


def scan(*args: str) -> int:
    return main(["--quiet", "scan", "--only", "history", *args])


def rev_list(repo: Path, *refs: str) -> set[str]:
    return set(git(repo, "rev-list", *(refs or ("HEAD",))).decode().split())


def test_scan_stores_every_reachable_commit_with_git_numbers(history_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    assert scan(str(history_repo), "--db", str(db)) == 0
    expected = rev_list(history_repo)
    assert {row[0] for row in query(db, "SELECT sha FROM commits")} == expected
    assert {row[0] for row in query(db, "SELECT sha FROM reachable")} == expected
    # Per-commit totals equal git's own --shortstat-like numstat sums (first-parent diff for merges).
    numstat = git(
        history_repo, "log", "--format=@%H", "--numstat", "--diff-merges=first-parent", "--find-renames"
    ).decode()
    totals: Counter[str] = Counter()
    sha = ""
    for line in numstat.splitlines():
        if line.startswith("@"):
            sha = line[1:]
            totals[sha] += 0
        elif line.strip():
            added, deleted, _ = line.split("\t", 2)
            if added != "-":
                totals[sha] += int(added) + int(deleted)
    stored = dict(query(db, "SELECT sha, insertions + deletions FROM commits"))
    assert stored == dict(totals)


def test_small_repo_facts_are_exact(small_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    assert scan(str(small_repo), "--db", str(db)) == 0
    merges = query(db, "SELECT parents FROM commits WHERE is_merge = 1")
    assert len(merges) == 1 and len(str(merges[0][0]).split()) == 2
    renames = query(db, "SELECT old_path, path, similarity FROM file_changes WHERE change_type = 'R'")
    assert renames and all(int(str(row[2])) >= 50 for row in renames)
    binary = query(db, "SELECT added, deleted, old_blob, new_blob FROM file_changes WHERE is_binary = 1")
    assert binary and all(row[0] is None and row[1] is None and row[3] for row in binary)
    for sha, author_time, tz in query(db, "SELECT sha, author_time, author_tz FROM commits"):
        shown = git(small_repo, "show", "-s", "--format=%at %ad", "--date=raw", str(sha)).decode().split()
        assert int(shown[0]) == author_time
        sign = -1 if shown[2].startswith("-") else 1
        assert tz == sign * (int(shown[2][1:3]) * 60 + int(shown[2][3:5]))


def test_blob_shas_match_git_trees(small_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    scan(str(small_repo), "--db", str(db))
    for sha, path, blob in query(db, "SELECT sha, path, new_blob FROM file_changes WHERE new_blob IS NOT NULL"):
        assert git(small_repo, "rev-parse", f"{sha}:{path}").decode().strip() == blob


def test_trailers_are_read_as_git_interpret_trailers_reads_them(history_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    scan(str(history_repo), "--db", str(db))
    checked = 0
    for sha, message, trailers in query(db, "SELECT sha, message, trailers FROM commits ORDER BY sha LIMIT 120"):
        parsed = git(history_repo, "interpret-trailers", "--parse", stdin=str(message).encode()).decode()
        expected = [tuple(part.strip() for part in line.split(":", 1)) for line in parsed.splitlines()]
        assert [tuple(pair) for pair in json.loads(str(trailers))] == expected, sha
        checked += bool(expected)
    assert checked > 5


def test_mailmap_is_applied(history_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    scan(str(history_repo), "--db", str(db))
    ours = Counter(str(row[0]) for row in query(db, "SELECT author_email FROM commits"))
    theirs = Counter(git(history_repo, "log", "--format=%aE").decode().split())
    raw = Counter(git(history_repo, "log", "--format=%ae").decode().split())
    assert ours == theirs
    assert len(raw) > len(theirs), "the fixture must contain aliases that the mailmap merges"


def test_rescan_reads_only_new_commits(small_repo: Path, clone_of: Callable[[Path], Path], tmp_path: Path) -> None:
    repo = clone_of(small_repo)
    db = tmp_path / "d.db"
    assert scan(str(repo), "--db", str(db)) == 0
    before = scalar(db, "SELECT count(*) FROM commits")
    result = run_cli(["scan", str(repo), "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "unchanged" in result.stdout and "0 new commits" in result.stdout
    (repo / "new.txt").write_text("one\ntwo\n")
    git(repo, "add", "new.txt")
    git(repo, "commit", "-q", "-m", "add new")
    result = run_cli(["scan", str(repo), "--db", str(db)], cwd=tmp_path)
    assert "1 new commits" in result.stdout, result.stdout
    assert scalar(db, "SELECT count(*) FROM commits") == int(str(before)) + 1
    assert query(db, "SELECT items FROM scans WHERE stage = 'history' ORDER BY id") == [(5,), (0,), (1,)]


def test_force_push_keeps_facts_and_updates_reachable(
    history_repo: Path, clone_of: Callable[[Path], Path], tmp_path: Path
) -> None:
    repo = clone_of(history_repo)
    db = tmp_path / "d.db"
    scan(str(repo), "--db", str(db))
    commits_before = scalar(db, "SELECT count(*) FROM commits")
    week_total_before = scalar(
        db, "SELECT sum(value) FROM metric_values WHERE metric = 'history.commits' AND scope_kind = 'org'"
    )
    git(repo, "reset", "-q", "--hard", "HEAD~10")
    (repo / "rewritten.txt").write_text("new history\n")
    git(repo, "add", "rewritten.txt")
    git(repo, "commit", "-q", "-m", "rewritten")
    result = run_cli(["scan", str(repo), "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "history rewritten" in result.stdout
    assert {row[0] for row in query(db, "SELECT sha FROM reachable")} == rev_list(repo)
    assert scalar(db, "SELECT count(*) FROM commits") == int(str(commits_before)) + 1  # facts never deleted
    non_merge_reachable = len(git(repo, "rev-list", "--no-merges", "HEAD").decode().split())
    week_total = scalar(
        db, "SELECT sum(value) FROM metric_values WHERE metric = 'history.commits' AND scope_kind = 'org'"
    )
    assert week_total == non_merge_reachable != week_total_before
    assert "history rewritten" in str(
        scalar(db, "SELECT reason FROM scans WHERE stage = 'history' ORDER BY id DESC LIMIT 1")
    )


def test_all_refs_scans_every_branch(history_repo: Path, clone_of: Callable[[Path], Path], tmp_path: Path) -> None:
    repo = clone_of(history_repo)
    git(repo, "checkout", "-q", "-b", "side", "HEAD~3")
    (repo / "side.txt").write_text("side\n")
    git(repo, "add", "side.txt")
    git(repo, "commit", "-q", "-m", "side work")
    git(repo, "checkout", "-q", "main")
    db = tmp_path / "d.db"
    scan(str(repo), "--db", str(db))
    assert {row[0] for row in query(db, "SELECT sha FROM reachable")} == rev_list(repo)
    scan(str(repo), "--db", str(db), "--all-refs")
    assert {row[0] for row in query(db, "SELECT sha FROM reachable")} == rev_list(repo, "--all")


def test_bare_and_shallow_repositories(history_repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(history_repo), str(bare)], check=True)
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "7", f"file://{history_repo}", str(shallow)], check=True, capture_output=True
    )
    db = tmp_path / "d.db"
    result = run_cli(["scan", str(bare), str(shallow), "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "shallow: partial history" in result.stdout
    assert query(db, "SELECT is_bare, is_shallow FROM repos ORDER BY id") == [(1, 0), (0, 1)]
    shallow_id = scalar(db, "SELECT id FROM repos WHERE is_shallow = 1")
    assert scalar(db, "SELECT count(*) FROM reachable WHERE repo_id = ?", [shallow_id]) == len(rev_list(shallow))


def test_non_utf8_message_name_and_path_are_kept_exactly(tmp_path: Path) -> None:
    weird_path = b"data/caf\xe9-\xff.txt"
    repo = build_repo(
        tmp_path / "r",
        [
            CommitSpec(
                message=b"Latin-1 \xe9t\xe9 message\n\nbody \xff\n",
                author=Person(b"Jos\xe9", "jose@example.com"),
                time=1_650_000_000,
                changes=(Change(weird_path, b"x\n"),),
            ),
        ],
    )
    db = tmp_path / "d.db"
    assert scan(str(repo), "--db", str(db)) == 0
    ((message, message_raw, names_raw, name),) = query(
        db, "SELECT message, message_raw, names_raw, author_name FROM commits"
    )
    assert message_raw == b"Latin-1 \xe9t\xe9 message\n\nbody \xff\n"
    assert message == "Latin-1 \\xe9t\\xe9 message\n\nbody \\xff\n"
    assert isinstance(names_raw, bytes) and names_raw.split(b"\0")[0] == b"Jos\xe9"
    assert name == "Jos\\xe9"
    ((path, path_raw),) = query(db, "SELECT path, path_raw FROM file_changes")
    assert path_raw == weird_path and path == "data/caf\\xe9-\\xff.txt"


def test_parallel_scan_equals_inline_scan(history_repo: Path, tmp_path: Path) -> None:
    inline, pooled = tmp_path / "inline.db", tmp_path / "pooled.db"
    assert scan(str(history_repo), "--db", str(inline), "--workers", "1", "--chunk-size", "100") == 0
    assert scan(str(history_repo), "--db", str(pooled), "--workers", "2", "--chunk-size", "100") == 0
    assert dump(inline) == dump(pooled)


@pytest.mark.parametrize("fault", ["chunk-committed:1", "chunk-uncommitted:2", "before-finish:1"])
def test_killed_scan_resumes_to_the_same_database(history_repo: Path, tmp_path: Path, fault: str) -> None:
    reference, killed = tmp_path / "reference.db", tmp_path / "killed.db"
    args = ["scan", str(history_repo), "--chunk-size", "100", "--workers", "2"]
    assert run_cli([*args, "--db", str(reference)], cwd=tmp_path).returncode == 0
    crashed = run_cli([*args, "--db", str(killed)], cwd=tmp_path, env={"DEVMETRICS_FAULT": fault})
    assert crashed.returncode == -9, crashed.stderr
    partial = scalar(killed, "SELECT count(*) FROM commits")
    assert scalar(killed, "SELECT count(*) FROM reachable") == 0  # no half-made view of the history
    assert int(str(partial)) < len(rev_list(history_repo)) or fault == "before-finish:1"
    resumed = run_cli([*args, "--db", str(killed)], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert dump(killed) == dump(reference)


def test_second_scan_is_refused_while_one_writes(small_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    with writer_lock(db):
        result = run_cli(["scan", str(small_repo), "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 1
    assert "another devmetrics scan is writing this database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_one_bad_repository_does_not_stop_the_others(small_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    result = run_cli(["scan", str(tmp_path / "missing"), str(small_repo), "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 1
    assert "missing: no such folder" in result.stderr
    assert scalar(db, "SELECT count(*) FROM commits") == 5
    assert query(db, "SELECT target LIKE '%missing', stage, status FROM scans ORDER BY id") == [
        (1, "history", "failed"),
        (0, "history", "ok"),
        (0, "code", "ok"),
    ]


def test_url_is_mirrored_and_fetched_again(small_repo: Path, clone_of: Callable[[Path], Path], tmp_path: Path) -> None:
    origin = clone_of(small_repo)
    db = tmp_path / "d.db"
    url = f"file://{origin}"
    result = run_cli(["scan", url, "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".devmetrics-clones").is_dir()
    (origin / "later.txt").write_text("later\n")
    git(origin, "add", "later.txt")
    git(origin, "commit", "-q", "-m", "later")
    result = run_cli(["scan", url, "--db", str(db)], cwd=tmp_path)
    assert "1 new commits" in result.stdout, result.stdout + result.stderr
    assert scalar(db, "SELECT count(*) FROM repos") == 1


def test_weekly_metrics_match_git(history_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    scan(str(history_repo), "--db", str(db))
    from datetime import UTC, datetime, timedelta

    expected: Counter[str] = Counter()
    for stamp in git(history_repo, "log", "--no-merges", "--format=%at").decode().split():
        day = datetime.fromtimestamp(int(stamp), UTC).date()
        expected[(day - timedelta(days=day.weekday())).isoformat()] += 1
    stored = dict(
        query(
            db, "SELECT period_start, value FROM metric_values WHERE metric = 'history.commits' AND scope_kind = 'repo'"
        )
    )
    assert stored == {week: float(count) for week, count in expected.items()}
    from devmetrics.analyzers.registry import all_metrics

    assert scalar(db, "SELECT count(*) FROM metric_definitions") == len(all_metrics())


def test_large_synthetic_history_scans_in_chunks(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "big", synthetic_history(1500, seed=3), checkout=False)
    db = tmp_path / "d.db"
    assert scan(str(repo), "--db", str(db), "--chunk-size", "400") == 0
    assert scalar(db, "SELECT count(*) FROM commits") == len(rev_list(repo))


def test_no_analyze_defers_metrics_to_the_analyze_command(small_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    assert main(["--quiet", "scan", "--only", "history", "--no-analyze", str(small_repo), "--db", str(db)]) == 0
    assert scalar(db, "SELECT count(*) FROM metric_values") == 0
    result = run_cli(["analyze", "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "metric values updated" in result.stdout
    assert int(str(scalar(db, "SELECT count(*) FROM metric_values WHERE metric = 'history.commits'"))) > 0
    missing = run_cli(["analyze", "--db", str(tmp_path / "none.db")], cwd=tmp_path)
    assert missing.returncode == 1 and "no devmetrics database here" in missing.stderr
