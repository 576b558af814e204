"""Listing many revisions by walking back along the first-parent chain equals one ls-tree per revision."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from devmetrics.collectors import trees
from devmetrics.collectors.blobs import TreeEntry, list_tree
from devmetrics.collectors.trees import parse_changes, walk_trees
from devmetrics.errors import DevmetricsError
from tests.repo_builder import FIXED_PERSON, Change, CommitSpec, build_repo, git, synthetic_history

PATHS: tuple[str | bytes, ...] = (
    "src/app.py",
    "src/deep/er/module.py",
    "bin/tool",
    "docs/release notes.md",
    "src/日本/naïve café.py",
    b"data/caf\xe9-\xff.py",
    "tab\there.py",
    "line\nbreak.py",
    ":colon-first.py",
    "a-b.py",
    "a/b.py",
    "a0.py",
)


def random_history(seed: int, commits: int) -> list[CommitSpec]:
    """Additions, edits, deletions, renames, mode changes and file <-> symlink type changes."""
    rng = random.Random(seed)
    present: dict[str | bytes, str] = {}
    specs = []
    for index in range(commits):
        changes: list[Change] = []
        touched: set[str | bytes] = set()
        for _ in range(rng.randint(0, 3)):
            path = rng.choice(PATHS)
            if path in touched:
                continue
            touched.add(path)
            action = rng.random()
            if path not in present or action < 0.4:
                mode = rng.choice(("100644", "100644", "100755", "120000"))
                content = b"target.py" if mode == "120000" else f"v{index} {rng.random()}\n".encode()
                changes.append(Change(path, content, mode=mode))
                present[path] = mode
            elif action < 0.55:
                changes.append(Change(path, None))
                del present[path]
            elif action < 0.7:
                mode = "100755" if present[path] == "100644" else "100644"
                changes.append(Change(path, f"same {index}\n".encode(), mode=mode))
                present[path] = mode
            else:
                target = rng.choice([p for p in PATHS if p not in present and p not in touched] or [path])
                if target == path:
                    continue
                touched.add(target)
                changes.append(Change(target, None, rename_from=path, mode=present[path]))
                present[target] = present.pop(path)
        specs.append(
            CommitSpec(message=f"c{index}\n", author=FIXED_PERSON, time=1_650_000_000 + index, changes=tuple(changes))
        )
    return specs


@pytest.fixture(scope="module", params=["random", "synthetic"])
def chain_repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("trees")
    specs = random_history(7, 120) if request.param == "random" else synthetic_history(160, seed=3, n_files=40)
    repo = build_repo(folder / "repo", specs)
    # A submodule (a gitlink, mode 160000) comes and goes: never a file of any revision.
    head = git(repo, "rev-parse", "HEAD").decode().strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/lib")
    git(repo, "commit", "-q", "-m", "add a submodule")
    git(repo, "rm", "-q", "--cached", "vendor/lib")
    git(repo, "commit", "-q", "-m", "drop the submodule")
    chain = git(repo, "log", "--first-parent", "--format=%H", "HEAD").decode().split()
    return repo, chain


def listing(entries: list[TreeEntry]) -> list[tuple[str, str, int, str, bytes | None]]:
    return [(e.mode, e.blob, e.size, e.path, e.path_raw) for e in entries]


def test_every_revision_equals_its_ls_tree(chain_repo: tuple[Path, list[str]]) -> None:
    repo, chain = chain_repo
    walked = list(walk_trees(str(repo), chain, chain))
    assert [sha for sha, _ in walked] == chain
    for sha, entries in walked:
        assert listing(entries) == listing(list_tree(str(repo), sha)), sha


def test_sparse_revisions_restart_where_walking_back_costs_more(
    chain_repo: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, chain = chain_repo
    monkeypatch.setattr(trees, "MAX_WALK", 5)
    monkeypatch.setattr(trees, "RUN_COMMITS", 30)
    wanted = [chain[0], *chain[1:4], chain[9], chain[20], chain[23], *chain[60:100:7], chain[-1]]
    walked = dict(walk_trees(str(repo), chain, wanted))
    assert list(walked) == wanted
    for sha in wanted:
        assert listing(walked[sha]) == listing(list_tree(str(repo), sha)), sha


def test_a_revision_off_the_chain_is_refused(chain_repo: tuple[Path, list[str]]) -> None:
    repo, chain = chain_repo
    with pytest.raises(DevmetricsError, match="not on the first-parent chain"):
        list(walk_trees(str(repo), chain[1:], [chain[0]]))


def test_path_tokens_are_taken_verbatim() -> None:
    out = (
        b"C" + b"a" * 40 + b"\0\n:100644 000000 " + b"1" * 40 + b" " + b"0" * 40 + b" D\0:odd\nC-path\0"
        b"C" + b"b" * 40 + b"\0"
    )
    commits = parse_changes(out)
    assert [(sha[:1], [(c.path, c.old_mode) for c in changes]) for sha, changes in commits] == [
        ("a", [(b":odd\nC-path", "100644")]),
        ("b", []),
    ]
