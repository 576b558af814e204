"""Each bad input gets one clear line naming the thing and what to do, the documented exit code, and
leaves nothing half-written. All through the real CLI, as a user meets them."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import query, run_cli, scalar
from tests.repo_builder import git, git_env


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def scan_fails(target: str, tmp_path: Path, *, code: int = 1) -> str:
    db = tmp_path / "d.db"
    result = run_cli(["scan", target, "--db", str(db)], cwd=tmp_path)
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    line = one_line(result.stderr)
    if db.exists():  # the failure is recorded; no facts were written
        assert scalar(db, "SELECT count(*) FROM commits") == 0
        assert query(db, "SELECT status FROM scans") == [("failed",)]
    return line


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    line = scan_fails(str(tmp_path / "plain"), tmp_path)
    assert "plain: not a git repository; pass the folder of a clone" in line


def test_missing_path(tmp_path: Path) -> None:
    assert "nowhere: no such folder; check the path" in scan_fails(str(tmp_path / "nowhere"), tmp_path)


def test_a_file_is_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    assert "file.txt: not a folder" in scan_fails(str(tmp_path / "file.txt"), tmp_path)


def test_empty_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "empty")
    line = scan_fails(str(tmp_path / "empty"), tmp_path)
    assert "empty: empty repository (no commits yet)" in line


def test_corrupt_repository(small_repo: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(small_repo, broken)
    git(broken, "repack", "-q", "-a", "-d")  # a known layout: every object in one pack
    for pack in (broken / ".git" / "objects" / "pack").glob("*"):
        pack.unlink()  # the refs remain, the objects they name are gone
    line = scan_fails(str(broken), tmp_path)
    assert "broken: corrupt repository" in line and "git fsck" in line


def test_corrupt_object_found_while_reading_history(small_repo: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken2"
    shutil.copytree(small_repo, broken)
    git(broken, "repack", "-q", "-a", "-d")
    packs = list((broken / ".git" / "objects" / "pack").glob("*.pack"))
    # Keep the commits readable but lose the trees and blobs: HEAD resolves, the diff cannot be made.
    commits = git(broken, "rev-list", "HEAD").decode().split()
    bodies = {sha: git(broken, "cat-file", "commit", sha) for sha in commits}
    for pack in packs:
        pack.unlink()
        pack.with_suffix(".idx").unlink()
    loose = broken / ".git" / "objects"
    for sha, body in bodies.items():
        stored = git(broken, "hash-object", "-w", "-t", "commit", "--stdin", stdin=body).decode().strip()
        assert stored == sha
    assert (loose / commits[0][:2]).is_dir()
    line = scan_fails(str(broken), tmp_path)
    assert "broken2: corrupt repository" in line and "git fsck" in line


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_unreadable_path(small_repo: Path, tmp_path: Path) -> None:
    place = Path(os.environ.get("DEVMETRICS_TEST_SHARED_TMP", "/tmp")) / f"dm-unreadable-{os.getpid()}"
    shutil.rmtree(place, ignore_errors=True)
    place.mkdir(mode=0o755)
    try:
        repo = place / "locked"
        shutil.copytree(small_repo, repo)
        repo.chmod(0o000)
        command = [sys.executable, "-m", "devmetrics", "scan", str(repo), "--db", str(place / "d.db")]
        if os.geteuid() == 0:  # root reads everything: run the CLI as an unprivileged user instead
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
            place.chmod(0o777)
            probe = subprocess.run([*command[:4], sys.executable, "-c", "import devmetrics"], capture_output=True)
            if probe.returncode != 0:  # e.g. a checkout inside a folder only root may enter
                pytest.skip(f"an unprivileged user cannot run this checkout's Python: {probe.stderr[-200:]!r}")
        env = git_env()
        env["HOME"] = str(place)
        result = subprocess.run(command, cwd=place, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 1, result.stderr
        assert "locked: permission denied" in one_line(result.stderr)
    finally:
        (place / "locked").chmod(0o755)
        shutil.rmtree(place, ignore_errors=True)


@pytest.mark.parametrize("target", ["-c", "--upload-pack=touch /tmp/pwned", "ext::sh -c touch% /tmp/pwned"])
def test_option_like_and_dangerous_targets_are_refused(target: str, tmp_path: Path) -> None:
    result = run_cli(["scan", "--db", str(tmp_path / "d.db"), "--", target], cwd=tmp_path)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "looks like an option" in line or "transport not allowed" in line
    assert not Path("/tmp/pwned").exists()


def test_database_is_not_sqlite(small_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n" * 100)
    result = run_cli(["scan", str(small_repo), "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 1
    assert "notes.db: not a devmetrics database" in one_line(result.stderr)
    assert db.read_text().startswith("these are my notes")


def test_database_of_another_application(small_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    result = run_cli(["scan", str(small_repo), "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 1
    assert "other.db: not a devmetrics database (it holds other tables)" in one_line(result.stderr)
    assert query(db, "SELECT name FROM sqlite_master") == [("customers",)]


def test_database_from_a_newer_schema(small_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    assert run_cli(["scan", str(small_repo), "--db", str(db)], cwd=tmp_path).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    result = run_cli(["scan", str(small_repo), "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 1
    assert "made by a newer devmetrics (schema 999" in one_line(result.stderr)
    assert "upgrade devmetrics" in result.stderr


def test_report_without_a_database(tmp_path: Path) -> None:
    result = run_cli(["report", "--db", str(tmp_path / "none.db")], cwd=tmp_path)
    assert result.returncode == 1
    assert "none.db: no devmetrics database here; run `devmetrics scan` first" in one_line(result.stderr)
    assert not (tmp_path / "none.db").exists()


def test_bad_config_is_a_usage_error(small_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "devmetrics.toml").write_text("[scan]\nchunk_size = 'big'\n")
    result = run_cli(["scan", str(small_repo)], cwd=tmp_path)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "devmetrics.toml:2" in line and "scan.chunk_size" in line
    assert not (tmp_path / "devmetrics.db").exists()


def test_malformed_toml_is_a_usage_error(small_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "devmetrics.toml").write_text("[scan\nchunk_size = 5\n")
    result = run_cli(["scan", str(small_repo)], cwd=tmp_path)
    assert result.returncode == 2
    assert "devmetrics.toml" in one_line(result.stderr) and "invalid TOML" in result.stderr


def test_no_target_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["scan"], cwd=tmp_path)
    assert result.returncode == 2
    assert "name a repository to scan" in one_line(result.stderr)


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["scan", "--frobnicate"], cwd=tmp_path)
    assert result.returncode == 2
    assert "No such option" in result.stderr
