"""Differential test against PyDriller, the reference mining library: for every non-merge commit, the same
files with the same added and deleted line counts. (PyDriller reports no files for merge commits; we
record their first-parent diff, which this test leaves out.)"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from devmetrics.cli import main
from tests.helpers import query
from tests.repo_builder import Change, CommitSpec, Person, build_repo, synthetic_history

pydriller = pytest.importorskip("pydriller")

FileKey = tuple[str, str | None, int, int]


def pydriller_files(repo: Path) -> dict[str, Counter[FileKey]]:
    result: dict[str, Counter[FileKey]] = {}
    for commit in pydriller.Repository(str(repo)).traverse_commits():
        if commit.merge:
            continue
        files: Counter[FileKey] = Counter()
        for modified in commit.modified_files:
            renamed = modified.change_type.name == "RENAME"
            path = modified.new_path or modified.old_path
            files[(path, modified.old_path if renamed else None, modified.added_lines, modified.deleted_lines)] += 1
        result[commit.hash] = files
    return result


def our_files(db: Path) -> dict[str, Counter[FileKey]]:
    result: dict[str, Counter[FileKey]] = {
        sha: Counter() for (sha,) in query(db, "SELECT sha FROM commits WHERE is_merge = 0")
    }
    rows = query(
        db,
        "SELECT f.sha, f.path, f.old_path, f.change_type, f.added, f.deleted FROM file_changes f "
        "JOIN commits c ON c.repo_id = f.repo_id AND c.sha = f.sha WHERE c.is_merge = 0",
    )
    for sha, path, old_path, change_type, added, deleted in rows:
        # PyDriller counts a binary file's patch lines: there are none.
        result[sha][(path, old_path if change_type == "R" else None, added or 0, deleted or 0)] += 1
    return result


def assert_same_as_pydriller(repo: Path, tmp_path: Path) -> int:
    db = tmp_path / "d.db"
    assert main(["--quiet", "scan", str(repo), "--db", str(db)]) == 0
    theirs, ours = pydriller_files(repo), our_files(db)
    assert ours.keys() == theirs.keys()
    differing = [sha for sha in theirs if theirs[sha] != ours[sha]]
    assert not differing, (
        f"{len(differing)} commits differ, first {differing[0]}: {theirs[differing[0]]} vs {ours[differing[0]]}"
    )
    return len(theirs)


def test_same_files_and_lines_as_pydriller_on_a_generated_history(history_repo: Path, tmp_path: Path) -> None:
    assert assert_same_as_pydriller(history_repo, tmp_path) > 250


@pytest.mark.parametrize("seed", [11, 12])
def test_same_as_pydriller_on_other_histories(seed: int, tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", synthetic_history(200, seed=seed, merge_every=9, rename_every=7))
    assert_same_as_pydriller(repo, tmp_path)


def test_same_as_pydriller_on_tricky_paths_and_contents(tmp_path: Path) -> None:
    ada = Person("Ada", "ada@example.com")
    text = "".join(f"line {i}\n" for i in range(40)).encode()
    specs = [
        CommitSpec(
            "add",
            ada,
            1_700_000_000,
            changes=(
                Change("docs/café/naïve.md", text),
                Change("with space/and 'quotes'.txt", b"a\nb\n"),
                Change("bin/blob.dat", bytes(range(256))),
                Change("crlf.txt", b"one\r\ntwo\r\nthree\r\n"),
                Change("no-newline.txt", b"last line without newline"),
            ),
        ),
        CommitSpec(
            "rename and edit",
            ada,
            1_700_000_100,
            changes=(
                Change(
                    "docs/日本/naïve.md", text.replace(b"line 3\n", b"line three\n"), rename_from="docs/café/naïve.md"
                ),
                Change("bin/blob.dat", bytes(range(255, -1, -1))),
                Change("crlf.txt", b"one\r\n2\r\nthree\r\n"),
                Change("no-newline.txt", b"last line without newline\nnow with more\n"),
            ),
        ),
        CommitSpec(
            "delete",
            ada,
            1_700_000_200,
            changes=(
                Change("with space/and 'quotes'.txt", None),
                Change("empty.txt", b""),
            ),
        ),
    ]
    repo = build_repo(tmp_path / "repo", specs)
    assert assert_same_as_pydriller(repo, tmp_path) == 3
