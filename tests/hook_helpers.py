"""Sources and repositories for the hook and CI gate tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.repo_builder import git, git_env

# Variables coding agents set: a test's git must not see the ones of the shell that runs the tests.
AGENT_VARIABLES = (
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "ANTHROPIC_MODEL",
    "AIDER_MODEL",
    "CURSOR_AGENT",
    "CODEX_SANDBOX",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "GEMINI_CLI",
    "GEMINI_MODEL",
    "OPENCODE",
    "DEVMETRICS_AI_TOOL",
)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """git_env() without agent variables, plus `extra`."""
    env = {key: value for key, value in git_env().items() if key not in AGENT_VARIABLES}
    env.update(extra or {})
    return env


def branching(name: str, branches: int, *, params: int = 1) -> str:
    """A Python function with `branches` if statements in a row: cyclomatic complexity branches + 1."""
    args = ", ".join(f"a{index}" for index in range(params))
    body = "".join(f"    if a0 == {index}:\n        return {index}\n" for index in range(branches))
    return f"def {name}({args}):\n{body}    return -1\n"


def branching_js(name: str, branches: int) -> str:
    body = "".join(f"  if (a === {index}) {{\n    return {index};\n  }}\n" for index in range(branches))
    return f"function {name}(a) {{\n{body}  return -1;\n}}\n"


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    return path


def write(repo: Path, name: str, content: str | bytes) -> None:
    file = repo / name
    file.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content, encoding="utf-8")


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


def run_git(
    repo: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """git in `repo` with the clean environment (hooks run: no --no-verify added)."""
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=clean_env(env), check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def venv_bin() -> Path:
    """The folder of this interpreter's console scripts (devmetrics-debt-gate, pre-commit, …)."""
    import sys

    return Path(sys.executable).parent


def path_with_venv() -> str:
    return f"{venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}"
