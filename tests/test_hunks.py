"""Hunks from one `git log -U0` pass, checked against `git diff -U0` of each commit, file by file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from devmetrics.collectors.hunks import HunkWindow, parse_patches, read_hunks
from devmetrics.config import CodeConfig, Config, ScanConfig
from devmetrics.scan import scan
from devmetrics.store import Store
from tests.helpers import query
from tests.repo_builder import FIXED_PERSON, Change, CommitSpec, build_repo, git, synthetic_history
from tests.test_code_stage import Engine, available_engine

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
DAY = 86_400
START = 1_650_000_000
LINES = "".join(f"line {i}\n" for i in range(1, 21)).encode()
HunkKey = tuple[str, str, int, int, int, int]


def spec(day: int, *changes: Change, merge_of: tuple[int, ...] = (), branch: str = "main") -> CommitSpec:
    return CommitSpec(
        message=f"day {day}\n",
        author=FIXED_PERSON,
        time=START + day * DAY,
        changes=changes,
        merge_of=merge_of,
        branch=branch,
    )


def edited(content: bytes, **replacements: str) -> bytes:
    lines = content.decode().splitlines(keepends=True)
    for number, text in replacements.items():
        index = int(number.removeprefix("line"))
        lines[index - 1] = text
    return "".join(line for line in lines if line != "").encode()


def hand_made_history() -> list[CommitSpec]:
    a2 = edited(LINES, line2="two\n", line3="three\n", line5="") + b"appended\n"
    return [
        spec(0, Change("a.py", LINES), Change("b.py", b"b\n" * 5), Change("img.png", bytes(range(256)))),
        spec(1, Change("name with space.py", b"x\n"), Change('tab\tand"quote.py', b"y\n"), Change("ünï/ç.py", b"z\n")),
        spec(2, Change("a.py", a2), Change("b.py"), Change("c.py", b"new\nfile\n")),
        spec(3, Change("sub/a2.py", edited(a2, line10="ten\n"), rename_from="a.py"), Change("img.png", bytes(255))),
        spec(4, Change("empty.py", b""), Change("noeol.py", b"last line without newline")),
        spec(5, Change("noeol.py", b"last line changed, still none"), Change("name with space.py", b"x\nmore\n")),
        spec(6, Change("topic.py", b"topic\n"), branch="topic"),
        spec(7, Change("topic.py", b"topic\n"), merge_of=(6,)),
        spec(8, Change("sub/a2.py"), Change('tab\tand"quote.py', b"y\ny2\n"), Change("ünï/ç.py", b"z\nz2\n")),
    ]


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    yield from available_engine()


@pytest.fixture(scope="module")
def hunks_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_repo(tmp_path_factory.mktemp("hunks") / "repo", hand_made_history(), prune_merged=True)


def git_diff_hunks(repo: Path, sha: str) -> set[HunkKey]:
    """What `git diff -U0` shows for `sha` against its first parent, asked file by file."""
    parents = git(repo, "rev-list", "--parents", "-n1", sha).decode().split()[1:]
    base = parents[0] if parents else EMPTY_TREE
    statuses = git(repo, "diff", "--name-status", "-z", "-M", base, sha).split(b"\0")[:-1]
    expected: set[HunkKey] = set()
    index = 0
    while index < len(statuses):
        status = statuses[index].decode()
        paths = statuses[index + 1 : index + (3 if status[0] in "RC" else 2)]
        index += 1 + len(paths)
        shown = paths[-1] if status != "D" else paths[0]
        pathspec = [p.decode("utf-8", "surrogateescape") for p in paths]
        diff = git(repo, "diff", "-U0", "-M", "--no-color", base, sha, "--", *pathspec).decode("utf-8", "replace")
        for match in HEADER.finditer(diff):
            old_start, old_lines, new_start, new_lines = match.groups()
            expected.add(
                (
                    sha,
                    shown.decode(),
                    int(old_start),
                    1 if old_lines is None else int(old_lines),
                    int(new_start),
                    1 if new_lines is None else int(new_lines),
                )
            )
    return expected


def read_all(repo: Path, since: int = 0, exclude: tuple[str, ...] = ()) -> dict[str, set[HunkKey]]:
    head = git(repo, "rev-parse", "HEAD").decode().strip()
    return {
        sha: {(h.sha, h.path, h.old_start, h.old_lines, h.new_start, h.new_lines) for h in hunks}
        for sha, hunks in read_hunks(str(repo), HunkWindow(head, since, exclude))
    }


def test_hunks_equal_git_diff_per_commit(hunks_repo: Path) -> None:
    found = read_all(hunks_repo)
    non_merges = git(hunks_repo, "rev-list", "--no-merges", "HEAD").decode().split()
    assert sorted(found) == sorted(non_merges)
    for sha in non_merges:
        assert found[sha] == git_diff_hunks(hunks_repo, sha), sha
    every = set().union(*found.values())
    paths = {key[1] for key in every}
    assert {"sub/a2.py", 'tab\tand"quote.py', "name with space.py", "ünï/ç.py", "b.py"} <= paths
    assert "img.png" not in paths and "empty.py" not in paths  # binary and empty files have no hunks
    deleted = [key for key in every if key[1] == "b.py" and key[4] == 0]
    assert deleted == [(deleted[0][0], "b.py", 1, 5, 0, 0)]


def test_synthetic_history_hunks_equal_git_diff(history_repo: Path) -> None:
    found = read_all(history_repo)
    for sha in list(found)[:: max(1, len(found) // 40)]:  # a sample keeps the test quick
        assert found[sha] == git_diff_hunks(history_repo, sha), sha


def test_only_commits_inside_the_window(hunks_repo: Path) -> None:
    since = START + 4 * DAY
    found = read_all(hunks_repo, since=since)
    in_window = git(hunks_repo, "rev-list", "--no-merges", f"--max-age={since}", "HEAD").decode().split()
    assert sorted(found) == sorted(in_window) and len(in_window) == 4
    old_tip = git(hunks_repo, "rev-parse", "HEAD~2").decode().strip()
    assert set(read_all(hunks_repo, exclude=(old_tip,))) == set(
        git(hunks_repo, "rev-list", "--no-merges", f"{old_tip}..HEAD").decode().split()
    )


def test_content_lines_that_look_like_headers_are_skipped() -> None:
    patch = [
        b"\0" + b"a" * 40 + b"\n",
        b"\n",
        b"diff --git a/x b/x\n",
        b"--- a/x\n",
        b"+++ b/x\n",
        b"@@ -1,2 +1,2 @@\n",
        b"--- a/evil\n",
        b"-@@ -9 +9 @@\n",
        b"+++ b/evil\n",
        b"\\ No newline at end of file\n",
        b"+diff --git a/y b/y\n",
    ]
    ((sha, hunks),) = list(parse_patches(patch))
    assert sha == "a" * 40 and [(h.path, h.old_start, h.old_lines, h.new_lines) for h in hunks] == [("x", 1, 2, 2)]


def test_rescan_reads_only_new_commits(tmp_path: Path, engine: Engine) -> None:
    specs = synthetic_history(60, seed=11, span_days=60)
    repo = build_repo(tmp_path / "repo", specs[:50])
    config = Config(scan=ScanConfig(workers=1), code=CodeConfig(snapshots="head", hunks_days=30))
    store = Store.open(tmp_path / "d.db")
    first = scan(store, [(str(repo), "")], config, stages=("code",)).outcomes[0].code
    newest = int(git(repo, "log", "-1", "--format=%ct").decode())
    window = git(repo, "rev-list", "--no-merges", f"--max-age={newest - 30 * DAY}", "HEAD").decode().split()
    assert first is not None and first.hunk_commits == len(window) > 0
    again = scan(store, [(str(repo), "")], config, stages=("code",)).outcomes[0].code
    assert again is not None and again.hunk_commits == 0 and again.status == "unchanged"

    old_head = git(repo, "rev-parse", "HEAD").decode().strip()
    extended = build_repo(tmp_path / "extended", specs)
    git(repo, "fetch", "-q", str(extended), "main")
    git(repo, "update-ref", "refs/heads/main", "FETCH_HEAD")
    new = git(repo, "rev-list", "--no-merges", f"{old_head}..HEAD").decode().split()
    third = scan(store, [(str(repo), "")], config, stages=("code",)).outcomes[0].code
    assert third is not None and third.hunk_commits == len(new) > 0
    stored = {row[0] for row in query(tmp_path / "d.db", "SELECT DISTINCT sha FROM hunks")}
    newest = int(git(repo, "log", "-1", "--format=%ct").decode())
    fresh = set(git(repo, "rev-list", "--no-merges", f"--max-age={newest - 30 * DAY}", "HEAD").decode().split())
    with_hunks = {sha for sha in fresh | set(window) if git_diff_hunks(repo, sha)}
    assert stored == with_hunks
    store.close()


def test_wider_window_reads_older_commits_again(tmp_path: Path, engine: Engine) -> None:
    repo = build_repo(tmp_path / "repo", synthetic_history(40, seed=12, span_days=80))
    config = Config(scan=ScanConfig(workers=1), code=CodeConfig(snapshots="head", hunks_days=10))
    store = Store.open(tmp_path / "d.db")
    narrow = scan(store, [(str(repo), "")], config, stages=("code",)).outcomes[0].code
    wide_config = replace(config, code=replace(config.code, hunks_days=100))
    wide = scan(store, [(str(repo), "")], wide_config, stages=("code",)).outcomes[0].code
    assert narrow is not None and wide is not None
    assert wide.hunk_commits == len(git(repo, "rev-list", "--no-merges", "HEAD").decode().split()) > narrow.hunk_commits
    store.close()
