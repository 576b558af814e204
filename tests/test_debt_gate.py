"""The debt gate called as `main(argv)` in real repositories: staged blobs against HEAD, edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from devmetrics.hooks import debt_gate
from devmetrics.hooks.measured import BlobCache, analyzer_version, measure
from tests.helpers import run_cli
from tests.hook_helpers import branching, branching_js, commit_all, init_repo, run_git, venv_bin, write
from tests.repo_builder import git

SIMPLE = branching("parse", 3)  # cyclomatic 4
COMPLEX = branching("parse", 14)  # cyclomatic 15 > 10


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = init_repo(tmp_path / "repo")
    monkeypatch.chdir(path)
    return path


def gate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = debt_gate.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_worsened_function_is_refused_with_before_and_after(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "src/app.py", SIMPLE)
    commit_all(repo, "simple")
    write(repo, "src/app.py", COMPLEX)
    git(repo, "add", "src/app.py")
    code, out = gate(capsys)
    assert code == 1
    assert "src/app.py:1 parse" in out
    assert "cyclomatic: 4 -> 15 (limit 10)" in out
    assert "allow-debt reason=" in out and "SKIP=devmetrics-debt-gate" in out


def test_improved_function_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.py", COMPLEX)
    commit_all(repo, "complex")
    write(repo, "app.py", SIMPLE)
    git(repo, "add", "app.py")
    assert gate(capsys) == (0, "")


def test_over_threshold_already_and_not_worse_passes_but_worse_fails(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "app.py", COMPLEX + "\n\nVALUE = 1\n")
    commit_all(repo, "complex")
    write(repo, "app.py", COMPLEX + "\n\nVALUE = 2\n")
    git(repo, "add", "app.py")
    assert gate(capsys)[0] == 0
    write(repo, "app.py", branching("parse", 16))
    git(repo, "add", "app.py")
    code, out = gate(capsys)
    assert code == 1 and "cyclomatic: 15 -> 17 (limit 10)" in out


def test_the_index_is_judged_not_the_working_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.py", SIMPLE)
    commit_all(repo, "simple")
    write(repo, "app.py", COMPLEX)
    git(repo, "add", "app.py")
    write(repo, "app.py", SIMPLE)  # the working tree is clean again; the commit would still hold COMPLEX
    assert gate(capsys)[0] == 1
    write(repo, "app.py", COMPLEX)
    git(repo, "add", "app.py")
    git(repo, "reset", "-q", "app.py")  # staged nothing, working tree worse
    assert gate(capsys)[0] == 0


def test_new_files_are_judged_against_the_thresholds(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "first.py", SIMPLE)  # before the first commit: no HEAD
    git(repo, "add", "first.py")
    assert gate(capsys)[0] == 0
    commit_all(repo, "first")
    write(repo, "new.py", COMPLEX)
    git(repo, "add", "new.py")
    code, out = gate(capsys)
    assert code == 1 and "new.py:1 parse (new)" in out and "cyclomatic: new -> 15" in out


def test_renamed_file_is_compared_with_its_old_path(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "old.py", COMPLEX)
    commit_all(repo, "complex")
    git(repo, "mv", "old.py", "new.py")
    assert gate(capsys)[0] == 0  # the same debt under a new name is no new debt
    write(repo, "new.py", branching("parse", 15) + "# moved\n")
    git(repo, "add", "new.py")
    code, out = gate(capsys)
    assert code == 1 and "new.py:1 parse (renamed from old.py)" in out and "15 -> 16" in out


def test_deleted_files_have_nothing_to_judge(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "gone.py", COMPLEX)
    commit_all(repo, "complex")
    git(repo, "rm", "-q", "gone.py")
    assert gate(capsys) == (0, "")


def test_suppression_with_a_reason_passes_without_one_it_does_not(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "app.py", SIMPLE)
    commit_all(repo, "simple")
    write(repo, "app.py", "# devmetrics: allow-debt reason=generated dispatch table\n" + COMPLEX)
    git(repo, "add", "app.py")
    code, out = gate(capsys, "--budget", "1000")
    assert code == 0 and "allowed: app.py:2 parse (reason: generated dispatch table)" in out
    write(repo, "app.py", "# devmetrics: allow-debt\n" + COMPLEX)
    git(repo, "add", "app.py")
    code, out = gate(capsys, "--budget", "1000")
    assert code == 1 and "has no reason=" in out


def test_suppression_in_another_comment_syntax(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.js", branching_js("parse", 2))
    commit_all(repo, "simple")
    write(repo, "app.js", "/* devmetrics: allow-debt reason=parser table */\n" + branching_js("parse", 14))
    git(repo, "add", "app.js")
    code, out = gate(capsys, "--budget", "1000")
    assert code == 0 and "reason: parser table" in out


def test_other_languages_are_judged(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.js", branching_js("parse", 2))
    commit_all(repo, "simple")
    write(repo, "app.js", branching_js("parse", 14))
    git(repo, "add", "app.js")
    code, out = gate(capsys)
    assert code == 1 and "app.js:1 parse" in out and "cyclomatic: 3 -> 15" in out


def test_binary_and_unparsable_files_are_named_and_not_judged(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.py", COMPLEX)
    commit_all(repo, "complex")
    write(repo, "data.py", b"\x00\x01binary" * 50)
    write(repo, "app.py", "def parse(:\n    return (\n")
    git(repo, "add", "-A")
    code, out = gate(capsys)
    assert code == 0
    assert "data.py: not judged (binary" in out
    assert "app.py: not judged (parse_error" in out


def test_non_utf8_files_are_judged(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "latin.py", SIMPLE.encode() + b"NAME = '\xe9t\xe9'\n")
    commit_all(repo, "latin-1 bytes")
    write(repo, "latin.py", COMPLEX.encode() + b"NAME = '\xe9t\xe9'\n")
    git(repo, "add", "latin.py")
    code, out = gate(capsys)
    assert code == 1 and "latin.py:1 parse" in out


def test_debt_budget_per_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.py", SIMPLE)
    commit_all(repo, "simple")
    markers = "".join(f"# FIXME {index}\n" for index in range(3))  # 3 x 10 minutes
    write(repo, "app.py", SIMPLE + markers)
    git(repo, "add", "app.py")
    code, out = gate(capsys)
    assert code == 1 and "app.py: debt 0.0 -> 30.0 min (+30.0), over the budget of 15 min" in out
    assert gate(capsys, "--budget", "30")[0] == 0
    (repo / "devmetrics.toml").write_text("[hooks]\ndebt_budget_minutes = 40\n")
    assert gate(capsys)[0] == 0


def test_merge_in_progress_judges_only_what_the_merge_changed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.py", SIMPLE)
    write(repo, "other.py", "X = 1\n")
    commit_all(repo, "base")
    git(repo, "checkout", "-q", "-b", "topic")
    write(repo, "app.py", COMPLEX)  # worse, committed on the branch (its own gate judged it there)
    commit_all(repo, "worse on topic")
    git(repo, "checkout", "-q", "main")
    write(repo, "other.py", "X = 2\n")
    commit_all(repo, "main moves on")
    git(repo, "merge", "-q", "--no-commit", "--no-ff", "topic")
    assert (repo / ".git" / "MERGE_HEAD").exists()
    code, out = gate(capsys, "--budget", "1000")
    assert code == 0 and "merge in progress" in out
    write(repo, "app.py", branching("parse", 16))  # the resolution makes it worse still
    git(repo, "add", "app.py")
    code, out = gate(capsys, "--budget", "1000")
    assert code == 1 and "cyclomatic: 4 -> 17" in out


def test_cache_keeps_measured_blobs_under_the_git_common_dir(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.py", SIMPLE)
    commit_all(repo, "simple")
    write(repo, "app.py", COMPLEX)
    git(repo, "add", "app.py")
    first = gate(capsys)
    cached = list((repo / ".git" / "devmetrics" / "blobs").rglob("*.json"))
    assert len(cached) == 2
    cache = BlobCache(repo / ".git", analyzer_version())
    blob = git(repo, "rev-parse", ":app.py").decode().strip()
    found = cache.get(blob, "python")
    assert found is not None and found.functions[0].cyclomatic == 15
    assert gate(capsys) == first


def test_a_locked_or_foreign_database_is_ignored(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "devmetrics.db").write_bytes(b"not a database at all")
    write(repo, "app.py", COMPLEX)
    git(repo, "add", "app.py")
    assert gate(capsys)[0] == 1


def test_config_errors_are_one_line_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "devmetrics.toml").write_text("[hooks]\ndebt_budget = 3\n")
    code, out = gate(capsys)
    assert code == 2 and out.count("\n") == 1 and "hooks.debt_budget" in out


def test_as_a_git_hook_it_reads_the_index_git_commit_builds(repo: Path) -> None:
    """`git commit -a` and `git commit -- PATH` build a temporary index (GIT_INDEX_FILE): that one is judged."""
    script = repo / ".git" / "hooks" / "pre-commit"
    script.write_text(f"#!/bin/sh\nexec {venv_bin() / 'devmetrics-debt-gate'}\n")
    script.chmod(0o755)
    write(repo, "app.py", SIMPLE)
    assert run_git(repo, "add", "app.py").returncode == 0
    assert run_git(repo, "commit", "-q", "-m", "simple").returncode == 0
    write(repo, "app.py", COMPLEX)  # not staged: only the commit's own index holds it
    refused = run_git(repo, "commit", "-a", "-m", "worse", check=False)
    assert refused.returncode == 1 and "cyclomatic: 4 -> 15" in refused.stderr + refused.stdout
    refused = run_git(repo, "commit", "-m", "worse", "--", "app.py", check=False)
    assert refused.returncode == 1 and "cyclomatic: 4 -> 15" in refused.stderr + refused.stdout
    assert git(repo, "log", "--format=%s").decode().split() == ["simple"]


def test_the_scan_database_answers_for_blobs_the_cache_lacks(repo: Path, tmp_path: Path) -> None:
    write(repo, "app.py", COMPLEX)
    commit_all(repo, "complex")
    db = tmp_path / "scan.db"
    result = run_cli(["scan", str(repo), "--db", str(db)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    blob = git(repo, "rev-parse", "HEAD:app.py").decode().strip()
    cache = BlobCache(None, analyzer_version(), db)
    found = cache.get(blob, "python")
    assert cache.hits == 1 and found is not None
    assert found == measure(git(repo, "cat-file", "blob", blob), "app.py")
    assert BlobCache(None, "another analyzer version", db).get(blob, "python") is None
