"""Shared fixtures: a deterministic git environment and session-wide repositories built by fast-import.

``history_repo`` and ``small_repo`` are shared by every test of the session: treat them as read-only and
use ``clone_of`` for a private, writable copy.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.browser import chromium_browser  # noqa: F401  (one Chromium for the whole session)
from tests.repo_builder import (
    CommitSpec,
    build_repo,
    build_repo_with_shas,
    git,
    git_env,
    small_history,
    synthetic_history,
)

HISTORY_COMMITS = 300
HOST_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "GITHUB_API_URL", "GITHUB_SERVER_URL")
HISTORY_SEED = 7

CloneOf = Callable[[Path], Path]
Specs = tuple[CommitSpec, ...]


@pytest.fixture(autouse=True, scope="session")
def _deterministic_git_environment() -> Iterator[None]:
    """No user/system git config, a fixed identity and fixed dates for every git any test runs."""
    env = git_env()
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("GIT_") and key not in env:
                mp.delenv(key)
        for key, value in env.items():
            if key.startswith("GIT_"):
                mp.setenv(key, value)
        for key in HOST_VARIABLES:  # code-host tests set their own; no test may reach a real host
            mp.delenv(key, raising=False)
        yield


@pytest.fixture(scope="session")
def history_repo_specs() -> Specs:
    """The specs of ``history_repo``, in import order."""
    return tuple(synthetic_history(HISTORY_COMMITS, seed=HISTORY_SEED))


@pytest.fixture(scope="session")
def history_repo(tmp_path_factory: pytest.TempPathFactory, history_repo_specs: Specs) -> Path:
    """~300 commits with merges, renames, deletions, binaries, non-ASCII paths and a .mailmap; only main."""
    return build_repo(tmp_path_factory.mktemp("history") / "repo", history_repo_specs, prune_merged=True)


@pytest.fixture(scope="session")
def _small_repo_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[str, ...]]:
    path, shas = build_repo_with_shas(tmp_path_factory.mktemp("small") / "repo", small_history())
    return path, tuple(shas)


@pytest.fixture(scope="session")
def small_repo(_small_repo_built: tuple[Path, tuple[str, ...]]) -> Path:
    """Five hand-made commits (see ``small_history``): add, modify + binary, branch, rename, merge."""
    return _small_repo_built[0]


@pytest.fixture(scope="session")
def small_repo_shas(_small_repo_built: tuple[Path, tuple[str, ...]]) -> tuple[str, ...]:
    """Commit SHAs of ``small_repo``, index-aligned with ``small_repo_specs``."""
    return _small_repo_built[1]


@pytest.fixture(scope="session")
def small_repo_specs() -> Specs:
    """The specs ``small_repo`` was built from."""
    return tuple(small_history())


@pytest.fixture
def clone_of(tmp_path: Path) -> CloneOf:
    """``clone_of(path)``: a private clone in tmp_path (bare when the source is bare)."""
    counter = itertools.count()

    def clone(source: Path) -> Path:
        bare = git(source, "rev-parse", "--is-bare-repository").strip() == b"true"
        target = tmp_path / f"clone-{next(counter)}-{source.name}"
        command = ["git", "clone", "--local", "--no-hardlinks", "-q", *(["--bare"] if bare else [])]
        subprocess.run([*command, str(source), str(target)], check=True, env=git_env(), capture_output=True)
        return target

    return clone


@pytest.fixture
def host_server() -> Iterator[HTTPServer]:
    """A local HTTP server on 127.0.0.1 for fake code-host APIs; threaded, so it keeps connections alive."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()
