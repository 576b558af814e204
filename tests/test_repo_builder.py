"""The fast-import repository builder produces exactly the histories it is asked for."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.repo_builder import (
    FIXED_DATE,
    FIXED_PERSON,
    Change,
    CommitSpec,
    Person,
    build_repo,
    build_repo_with_shas,
    git,
    git_env,
    quote_path,
    synthetic_history,
)

Specs = tuple[CommitSpec, ...]
FORMAT = "%H%x00%an%x00%ae%x00%at%x00%ai%x00%cn%x00%ce%x00%ct%x00%ci%x00%P%x00%B%x1e"


def log_records(repo: Path, *revs: str) -> dict[str, list[str]]:
    out = git(repo, "log", f"--format={FORMAT}", *(revs or ("HEAD",))).decode()
    records = [r.lstrip("\n").split("\0") for r in out.split("\x1e") if r.strip()]
    return {r[0]: r[1:] for r in records}


def iso(when: int, tz: str) -> str:
    sign = -1 if tz[0] == "-" else 1
    offset = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5])))
    return datetime.fromtimestamp(when, offset).strftime("%Y-%m-%d %H:%M:%S %z")


def text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode()


def expect_header(spec: CommitSpec, parents: list[str]) -> list[str]:
    committer = spec.committer or spec.author
    ctime = spec.time if spec.committer_time is None else spec.committer_time
    message = text(spec.message)
    return [
        text(spec.author.name), text(spec.author.email), str(spec.time), iso(spec.time, spec.tz),
        text(committer.name), text(committer.email), str(ctime), iso(ctime, spec.tz),
        " ".join(parents), message if message.endswith("\n") else message + "\n",
    ]  # fmt: skip


def test_small_repo_is_exactly_its_specs(
    small_repo: Path, small_repo_specs: Specs, small_repo_shas: tuple[str, ...]
) -> None:
    assert git(small_repo, "rev-list", "--count", "HEAD").strip() == b"5"
    records = log_records(small_repo)
    assert set(records) == set(small_repo_shas)
    parent_indexes = [(), (0,), (1,), (1,), (3, 2)]  # 2 is on the side branch that 4 merges
    for index, (spec, sha) in enumerate(zip(small_repo_specs, small_repo_shas, strict=True)):
        parents = [small_repo_shas[i] for i in parent_indexes[index]]
        assert records[sha] == expect_header(spec, parents), index
    # committer differs from author where the spec says so
    second = records[small_repo_shas[1]]
    assert second[0] == "Bob Büilder" and second[4] == "Alice Example"
    assert git(small_repo, "symbolic-ref", "HEAD").strip() == b"refs/heads/main"
    assert git(small_repo, "status", "--porcelain") == b""


def test_synthetic_commits_keep_exact_identities_and_dates(tmp_path: Path) -> None:
    specs = synthetic_history(400, seed=11)
    repo, shas = build_repo_with_shas(tmp_path / "r", specs, checkout=False)
    records = log_records(repo)
    assert len(records) == len(specs)
    for spec, sha in zip(specs, shas, strict=True):
        assert records[sha][:8] == expect_header(spec, [])[:8]
        assert records[sha][9] == text(spec.message)


def test_history_repo_has_every_commit_on_main(history_repo: Path, history_repo_specs: Specs) -> None:
    count = len(history_repo_specs)
    assert count == 300
    assert int(git(history_repo, "rev-list", "--count", "HEAD")) == count
    assert int(git(history_repo, "rev-list", "--count", "--all")) == count
    branches = git(history_repo, "for-each-ref", "--format=%(refname)", "refs/heads/").split()
    assert branches == [b"refs/heads/main"]  # merged topic branches were pruned
    assert git(history_repo, "status", "--porcelain") == b""  # index and work tree match HEAD


def test_merges_have_two_parents_and_conflict_free_trees(history_repo: Path, history_repo_specs: Specs) -> None:
    lines = git(history_repo, "rev-list", "--merges", "--parents", "HEAD").decode().splitlines()
    assert len(lines) == sum(bool(spec.merge_of) for spec in history_repo_specs) >= 10
    assert all(len(line.split()) == 3 for line in lines)
    for line in lines:
        merge, first, second = line.split()
        # the tree fast-import was given equals what a real `git merge` makes, with no conflicts
        merged = git(history_repo, "merge-tree", "--write-tree", first, second).strip()
        assert merged == git(history_repo, "rev-parse", f"{merge}^{{tree}}").strip()


def test_renames_are_detected(small_repo: Path, history_repo: Path, history_repo_specs: Specs) -> None:
    out = git(small_repo, "log", "-M", "--name-status", "--format=").decode()
    assert re.search(r"^R\d+\tsrc/app\.py\tsrc/core/app\.py$", out, re.M)
    out = git(history_repo, "log", "-M", "--name-status", "--format=").decode()
    renames = [c for spec in history_repo_specs for c in spec.changes if c.rename_from is not None]
    assert len(renames) >= 5
    assert len(re.findall(r"^R\d+\t", out, re.M)) == len(renames)


AWKWARD_PATHS: list[str | bytes] = [
    "with space.txt", 'quo"te.txt', "back\\slash.txt", "tab\there.txt", "new\nline.txt", '"leading-quote',
    "trailing space ", "-dash.txt", "docs/café/naïve.md", "src/日本.py", "emoji/🙂.txt",
    b"raw/latin1-caf\xe9-\xff\xfe.bin", "plain/ascii_file-1.2+x@y,z=w~v%u:t.txt",
]  # fmt: skip


def test_awkward_paths_round_trip(tmp_path: Path) -> None:
    who = Person("Path Tester", "paths@example.com")
    first = tuple(Change(p, b"content of " + os.fsencode(p)) for p in AWKWARD_PATHS)
    specs = [
        CommitSpec("add awkward paths", who, 1_700_000_000, changes=first),
        CommitSpec("rename and delete awkward paths", who, 1_700_000_100, changes=(
            Change("moved/with space 2.txt", rename_from="with space.txt"),
            Change(b'moved/\xe9t\xe9 "x".bin', b"new", rename_from=b"raw/latin1-caf\xe9-\xff\xfe.bin"),
            Change("tab\there.txt"),
        )),
    ]  # fmt: skip
    repo = build_repo(tmp_path / "r", specs)
    listed = set(git(repo, "ls-tree", "-r", "-z", "--name-only", "HEAD~1").split(b"\0")) - {b""}
    assert listed == {p if isinstance(p, bytes) else p.encode() for p in AWKWARD_PATHS}
    listed = set(git(repo, "ls-tree", "-r", "-z", "--name-only", "HEAD").split(b"\0")) - {b""}
    assert b"moved/with space 2.txt" in listed and b'moved/\xe9t\xe9 "x".bin' in listed
    assert not listed & {b"with space.txt", b"tab\there.txt", b"raw/latin1-caf\xe9-\xff\xfe.bin"}
    for raw in listed:  # the work tree holds the same bytes under the same names
        name = os.fsdecode(raw)
        assert (repo / name).read_bytes() == git(repo, "cat-file", "blob", f"HEAD:{name}")
    assert git(repo, "status", "--porcelain") == b""


def test_quote_path() -> None:
    assert quote_path("src/app.py") == b"src/app.py"
    assert quote_path("a b") == b'"a b"'
    assert quote_path('a"b\\c') == b'"a\\"b\\\\c"'
    assert quote_path("café") == b'"caf\\303\\251"'
    assert quote_path(b"\xff\n") == b'"\\377\\012"'
    with pytest.raises(ValueError, match="invalid path"):
        quote_path(b"nul\0byte")


def test_binary_files_have_no_line_counts(small_repo: Path, history_repo: Path) -> None:
    numstat = git(small_repo, "log", "--numstat", "--format=").decode().splitlines()
    assert "-\t-\tassets/logo.png" in numstat
    numstat = git(history_repo, "log", "--numstat", "--format=").decode().splitlines()
    assert sum(line.startswith("-\t-\tassets/") for line in numstat) >= 3
    assert all(line.startswith("-\t-\tassets/") for line in numstat if line.startswith("-\t-"))


def test_bare_repository_and_clones(tmp_path: Path, small_repo_specs: Specs,
                                    small_repo: Path, clone_of: Callable[[Path], Path]) -> None:  # fmt: skip
    bare = build_repo(tmp_path / "bare.git", small_repo_specs, bare=True)
    assert git(bare, "rev-parse", "--is-bare-repository").strip() == b"true"
    assert (bare / "HEAD").is_file() and not (bare / ".git").exists() and not (bare / "README.md").exists()
    assert git(bare, "rev-parse", "HEAD") == git(small_repo, "rev-parse", "HEAD")  # same specs, same SHAs
    bare_clone = clone_of(bare)
    assert git(bare_clone, "rev-parse", "--is-bare-repository").strip() == b"true"
    work = clone_of(small_repo)
    assert git(work, "rev-parse", "--is-bare-repository").strip() == b"false"
    (work / "new.txt").write_text("new\n")
    git(work, "add", "new.txt")
    git(work, "commit", "-q", "-m", "only in the clone")
    assert git(work, "rev-parse", "HEAD~1") == git(small_repo, "rev-parse", "HEAD")
    assert int(git(small_repo, "rev-list", "--count", "--all")) == 5


def test_history_repo_content_is_realistic(history_repo: Path, history_repo_specs: Specs) -> None:
    tree = set(git(history_repo, "ls-tree", "-r", "-z", "--name-only", "HEAD").split(b"\0"))
    for path in ("docs/café/naïve.md", "src/日本.py", "docs/release notes.md", ".mailmap", "README.md"):
        assert path.encode() in tree
    for raw in tree:  # Python files stay valid through line edits, renames and merges
        if raw.endswith(b".py"):
            ast.parse((history_repo / os.fsdecode(raw)).read_bytes())
    shortstat = git(history_repo, "log", "--shortstat", "--no-merges", "--format=").decode()
    deleted = [int(n) for n in re.findall(r"(\d+) deletions?", shortstat)]
    assert len(deleted) > 150 and sum(deleted) > 1000  # edits delete lines, not only add them
    raw_ids = set(git(history_repo, "log", "--format=%an <%ae>").decode().splitlines())
    mapped = set(git(history_repo, "log", "--format=%aN <%aE>").decode().splitlines())
    assert len(mapped) < len(raw_ids)  # the .mailmap merges aliases
    messages = [text(spec.message) for spec in history_repo_specs]
    assert any("\nSigned-off-by: " in m for m in messages)
    assert any("\nCo-authored-by: " in m for m in messages)
    assert any(len(m.split("\n\n")) > 1 and "-by: " not in m for m in messages)  # plain bodies too


def test_synthetic_history_is_deterministic_and_ordered(tmp_path: Path) -> None:
    specs = synthetic_history(150, seed=5, span_days=30)
    assert specs == synthetic_history(150, seed=5, span_days=30)
    assert specs != synthetic_history(150, seed=6, span_days=30)
    authored = [s.time for s in specs]
    committed = [s.committer_time or s.time for s in specs]
    assert authored == sorted(set(authored)) and committed == sorted(set(committed))
    assert authored[0] >= 1_600_000_000 and committed[-1] < 1_600_000_000 + 31 * 86_400
    assert any(s.committer is not None and s.committer != s.author for s in specs)
    first = build_repo(tmp_path / "a", specs, checkout=False)
    second = build_repo(tmp_path / "b", specs, checkout=False)
    assert git(first, "rev-parse", "HEAD") == git(second, "rev-parse", "HEAD")


def test_two_thousand_commits_build_quickly(tmp_path: Path) -> None:
    started = time.perf_counter()
    specs = synthetic_history(2000, seed=2)
    repo = build_repo(tmp_path / "big", specs, checkout=False)
    elapsed = time.perf_counter() - started
    print(f"2,000 commits generated and imported in {elapsed:.2f}s")
    assert int(git(repo, "rev-list", "--count", "HEAD")) == 2000
    assert int(git(repo, "rev-list", "--count", "--merges", "HEAD")) >= 70
    git(repo, "fsck", "--no-progress", "--strict")


def test_low_level_parents_roots_and_messages(tmp_path: Path) -> None:
    who = Person("A", "a@example.com")
    specs = [
        CommitSpec("one", who, 1_600_000_000, changes=(Change("a.txt", b"1\n"),)),
        CommitSpec(b"two", who, 1_600_000_001, changes=(Change("a.txt", b"2\n"),)),
        CommitSpec("orphan", who, 1_600_000_002, branch="other", changes=(Change("o.txt", b"o\n"),)),
        CommitSpec("three off one\n\nbody\n", who, 1_600_000_003, parent=0, changes=(Change("a.txt"),)),
        CommitSpec("link", who, 1_600_000_004, changes=(Change("l", b"a.txt", mode="120000"),
                                                         Change("x.sh", b"#!/bin/sh\n", mode="100755"))),
    ]  # fmt: skip
    repo, shas = build_repo_with_shas(tmp_path / "r", specs)
    assert git(repo, "rev-parse", f"{shas[3]}^").decode().strip() == shas[0]
    assert git(repo, "rev-parse", "main").decode().strip() == shas[4]
    roots = git(repo, "rev-list", "--max-parents=0", "--all").decode().split()
    assert sorted(roots) == sorted([shas[0], shas[2]])
    assert git(repo, "cat-file", "commit", shas[1]).endswith(b"\n\ntwo\n")  # newline appended like git commit
    assert git(repo, "ls-tree", "HEAD").decode().split("\n")[0].startswith("120000 blob")
    assert (repo / "l").readlink() == Path("a.txt") and os.access(repo / "x.sh", os.X_OK)
    assert not (repo / "a.txt").exists()


def test_invalid_specs_are_rejected(tmp_path: Path) -> None:
    who = Person("A", "a@example.com")
    with pytest.raises(ValueError, match="bad parent"):
        build_repo(tmp_path / "p", [CommitSpec("x", who, 1, parent=0)])
    with pytest.raises(ValueError, match="bad merge_of"):
        build_repo(tmp_path / "m", [CommitSpec("x", who, 1), CommitSpec("y", who, 2, merge_of=(5,))])
    with pytest.raises(ValueError, match="bad tz"):
        build_repo(tmp_path / "t", [CommitSpec("x", who, 1, tz="UTC")])
    with pytest.raises(ValueError, match="invalid identity"):
        build_repo(tmp_path / "i", [CommitSpec("x", Person("A <b>", "a@example.com"), 1)])
    with pytest.raises(RuntimeError, match="Empty path component"):  # fast-import's own errors surface too
        build_repo(tmp_path / "f", [CommitSpec("x", who, 1, changes=(Change("a//b", b"x"),))])
    empty = build_repo(tmp_path / "e", [])
    assert git(empty, "symbolic-ref", "HEAD").strip() == b"refs/heads/main"


def test_every_git_call_sees_the_fixed_environment(tmp_path: Path) -> None:
    assert os.environ["GIT_CONFIG_GLOBAL"] == os.devnull == git_env()["GIT_CONFIG_GLOBAL"]
    ident = subprocess.run(["git", "var", "GIT_AUTHOR_IDENT"], capture_output=True, text=True, check=True)
    assert ident.stdout.strip() == f"{FIXED_PERSON.name!s} <{FIXED_PERSON.email!s}> {FIXED_DATE}"
    shas = []
    for name in ("a", "b"):
        subprocess.run(["git", "init", "-q", str(tmp_path / name)], check=True)
        commit = ["git", "-C", str(tmp_path / name), "commit", "-q", "--allow-empty", "-m", "x"]
        subprocess.run(commit, check=True)
        head = subprocess.run(["git", "-C", str(tmp_path / name), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True)  # fmt: skip
        shas.append(head.stdout)
    assert shas[0] == shas[1]
    show = ["git", "-C", str(tmp_path / "a"), "branch", "--show-current"]
    branch = subprocess.run(show, capture_output=True, text=True, check=True)
    assert branch.stdout.strip() == "main"
