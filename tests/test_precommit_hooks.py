"""The hooks run by the real pre-commit from this project's manifest, driving real `git commit`, `--amend`,
merges and `rebase -i --autosquash`.

`pre-commit try-repo` runs once on a clean clone of the committed project, to prove `.pre-commit-hooks.yaml`.
Then ONE session-wide installation: a `.pre-commit-config.yaml` naming that clone and its HEAD sha, so
pre-commit builds the hook environment from the project (pip from the local wheel mirror) once, in a shared
`PRE_COMMIT_HOME`; every test repository installs the three git hooks and reuses it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import query, run_cli
from tests.hook_helpers import branching, clean_env, init_repo, path_with_venv, run_git, write
from tests.repo_builder import git

PROJECT = Path(__file__).resolve().parents[1]
SIMPLE = branching("parse", 3)
COMPLEX = branching("parse", 14)
HOOK_IDS = ("devmetrics-debt-gate", "devmetrics-ai-trailer", "devmetrics-ai-trailer-check")

pytestmark = pytest.mark.timeout(600)


def _pre_commit(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="session")
def project_clone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clean clone of the project's committed state and its HEAD sha."""
    clone = tmp_path_factory.mktemp("project") / "devmetrics"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(PROJECT), str(clone)], env=clean_env(), check=True)
    return clone, git(clone, "rev-parse", "HEAD").decode().strip()


@pytest.fixture(scope="session")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    return clean_env({"PRE_COMMIT_HOME": str(home), "PATH": path_with_venv(), "GIT_EDITOR": "true"})


@pytest.fixture(scope="session")
def installed(
    project_clone: tuple[Path, str], hook_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The `.pre-commit-config.yaml` text; its hook environment is built here, once, and timed."""
    clone, sha = project_clone
    hooks = "".join(f"      - id: {hook}\n" for hook in HOOK_IDS)
    config = f"repos:\n  - repo: {clone}\n    rev: {sha}\n    hooks:\n{hooks}"
    seed = init_repo(tmp_path_factory.mktemp("seed") / "repo")
    (seed / ".pre-commit-config.yaml").write_text(config)
    started = time.perf_counter()
    result = _pre_commit(["install-hooks"], seed, hook_env)
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"\npre-commit built the hook environment from the project in {time.perf_counter() - started:.1f}s")
    return config


@pytest.fixture
def hooked(tmp_path: Path, installed: str, hook_env: dict[str, str]) -> Callable[[str], Path]:
    """hooked(policy): a new repository with the three hooks installed and hooks.ai_trailer = policy."""

    def make(policy: str) -> Path:
        repo = init_repo(tmp_path / f"repo-{policy}")
        (repo / ".pre-commit-config.yaml").write_text(installed)
        (repo / "devmetrics.toml").write_text(f'[hooks]\nai_trailer = "{policy}"\n')
        result = _pre_commit(
            ["install", "-t", "pre-commit", "-t", "prepare-commit-msg", "-t", "commit-msg"], repo, hook_env
        )
        assert result.returncode == 0, result.stderr
        git(repo, "add", ".pre-commit-config.yaml", "devmetrics.toml")
        return repo

    return make


def commit(
    repo: Path, env: dict[str, str], *args: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_git(repo, "commit", *args, env={**env, **(extra or {})}, check=False)


def message_of(repo: Path, revision: str = "HEAD") -> str:
    return git(repo, "log", "-1", "--format=%B", revision).decode()


def test_try_repo_runs_the_manifest_on_a_clean_checkout(
    project_clone: tuple[Path, str], hook_env: dict[str, str], tmp_path: Path
) -> None:
    clone, sha = project_clone
    repo = init_repo(tmp_path / "try")
    write(repo, "app.py", SIMPLE)
    git(repo, "add", "app.py")
    git(repo, "commit", "-q", "-m", "simple")
    write(repo, "app.py", COMPLEX)
    git(repo, "add", "app.py")
    result = _pre_commit(["try-repo", str(clone), "devmetrics-debt-gate", "--ref", sha], repo, hook_env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "devmetrics debt gate" in result.stdout and "cyclomatic: 4 -> 15 (limit 10)" in result.stdout


def test_worse_commit_is_refused_better_one_passes(hooked: Callable[[str], Path], hook_env: dict[str, str]) -> None:
    repo = hooked("suggest")
    write(repo, "app.py", SIMPLE)
    git(repo, "add", "app.py")
    assert commit(repo, hook_env, "-q", "-m", "simple").returncode == 0
    write(repo, "app.py", COMPLEX)
    git(repo, "add", "app.py")
    refused = commit(repo, hook_env, "-m", "worse")
    assert refused.returncode == 1
    said = refused.stdout + refused.stderr  # git shows hook output on stderr
    assert "app.py:1 parse" in said and "cyclomatic: 4 -> 15 (limit 10)" in said
    assert message_of(repo).strip() == "simple"
    skipped = commit(repo, hook_env, "-q", "-m", "worse, on purpose", extra={"SKIP": "devmetrics-debt-gate"})
    assert skipped.returncode == 0, skipped.stdout
    write(repo, "app.py", SIMPLE)
    git(repo, "add", "app.py")
    assert commit(repo, hook_env, "-q", "-m", "better").returncode == 0
    assert message_of(repo).strip() == "better"


def test_trailer_exactly_once_through_commit_and_amend(hooked: Callable[[str], Path], hook_env: dict[str, str]) -> None:
    repo = hooked("auto")
    agent = {"DEVMETRICS_AI_TOOL": "claude-code (opus-4.5)"}
    write(repo, "app.py", SIMPLE)
    git(repo, "add", "app.py")
    assert commit(repo, hook_env, "-q", "-m", "Add parse", extra=agent).returncode == 0
    assert message_of(repo).count("AI-Assisted: claude-code (opus-4.5)") == 1
    write(repo, "app.py", SIMPLE + "\nX = 1\n")
    git(repo, "add", "app.py")
    assert commit(repo, hook_env, "-q", "--amend", "--no-edit", extra=agent).returncode == 0
    assert commit(repo, hook_env, "-q", "--amend", "-m", "Add parse and X", extra=agent).returncode == 0
    assert message_of(repo).count("AI-Assisted") == 1


def test_require_refuses_a_message_without_trailer(hooked: Callable[[str], Path], hook_env: dict[str, str]) -> None:
    repo = hooked("require")
    refused = commit(repo, hook_env, "-m", "config")
    assert refused.returncode == 1 and '--trailer "AI-Assisted: no"' in refused.stderr + refused.stdout
    accepted = commit(repo, hook_env, "-q", "-m", "config", "--trailer", "AI-Assisted: no")
    assert accepted.returncode == 0 and message_of(repo).count("AI-Assisted: no") == 1


def test_merge_and_autosquash_rebase(hooked: Callable[[str], Path], hook_env: dict[str, str]) -> None:
    repo = hooked("require")
    write(repo, "app.py", SIMPLE)
    git(repo, "add", "app.py")
    assert commit(repo, hook_env, "-q", "-m", "base", "--trailer", "AI-Assisted: no").returncode == 0
    run_git(repo, "checkout", "-q", "-b", "topic", env=hook_env)
    write(repo, "app.py", COMPLEX)
    git(repo, "add", "app.py")
    worse = commit(
        repo, hook_env, "-q", "-m", "table", "--trailer", "AI-Assisted: aider", extra={"SKIP": "devmetrics-debt-gate"}
    )
    assert worse.returncode == 0
    run_git(repo, "checkout", "-q", "main", env=hook_env)
    write(repo, "other.py", "X = 1\n")
    git(repo, "add", "other.py")
    assert commit(repo, hook_env, "-q", "-m", "other", "--trailer", "AI-Assisted: no").returncode == 0
    merged = run_git(repo, "merge", "--no-ff", "topic", env=hook_env, check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr  # brought in unchanged; no trailer needed
    assert "AI-Assisted" not in message_of(repo)
    # a commit and its fixup, squashed by an autosquash rebase: one trailer in the result
    write(repo, "other.py", "X = 2\n")
    git(repo, "add", "other.py")
    assert commit(repo, hook_env, "-q", "-m", "Tune X", "--trailer", "AI-Assisted: codex").returncode == 0
    target = git(repo, "rev-parse", "HEAD").decode().strip()
    write(repo, "other.py", "X = 3\n")
    git(repo, "add", "other.py")
    assert commit(repo, hook_env, "-q", "--fixup", target).returncode == 0
    rebased = run_git(
        repo,
        "rebase",
        "-q",
        "-i",
        "--autosquash",
        "HEAD~2",
        env={**hook_env, "GIT_SEQUENCE_EDITOR": "true"},
        check=False,
    )
    assert rebased.returncode == 0, rebased.stderr
    assert message_of(repo).count("AI-Assisted: codex") == 1
    assert git(repo, "show", "HEAD:other.py").decode() == "X = 3\n"


def test_attribution_reads_what_the_hook_wrote(
    hooked: Callable[[str], Path], hook_env: dict[str, str], tmp_path: Path
) -> None:
    repo = hooked("auto")
    write(repo, "app.py", SIMPLE)
    git(repo, "add", "app.py")
    assert commit(repo, hook_env, "-q", "-m", "by an agent", extra={"CLAUDECODE": "1"}).returncode == 0
    assisted = git(repo, "rev-parse", "HEAD").decode().strip()
    write(repo, "b.py", "Y = 1\n")
    git(repo, "add", "b.py")
    assert commit(repo, hook_env, "-q", "-m", "by hand", "--trailer", "AI-Assisted: no").returncode == 0
    human = git(repo, "rev-parse", "HEAD").decode().strip()
    db = tmp_path / "scan.db"
    result = run_cli(["scan", str(repo), "--db", str(db), "--only", "history"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = dict((sha, (cls, tool)) for sha, cls, tool in query(db, "SELECT sha, class, tool FROM attributions"))
    assert rows[assisted] == ("ai-assisted", "claude-code")
    assert rows[human][0] == "human"
