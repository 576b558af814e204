"""Reading file versions from git objects: cat-file --batch, ls-tree listings and .gitattributes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devmetrics.collectors.blobs import (
    AttributeValue,
    CatFile,
    list_tree,
    parse_attributes,
    read_attributes,
    unquote_c,
)
from devmetrics.errors import DevmetricsError
from tests.repo_builder import FIXED_PERSON, Change, CommitSpec, build_repo, git, quote_path

BINARY = bytes(range(256)) * 4
LARGE = random.Random(5).randbytes(3 << 20)  # larger than any pipe buffer
WEIRD_PATHS: tuple[str | bytes, ...] = (
    "docs/release notes.md",
    "src/日本/naïve café.py",
    b"data/caf\xe9-\xff.txt",
    'quote"and\\back.py',
    "tab\there.py",
)


def commit(*changes: Change, time: int = 1_650_000_000) -> CommitSpec:
    return CommitSpec(message="files\n", author=FIXED_PERSON, time=time, changes=changes)


@pytest.fixture(scope="module")
def files_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    changes = [
        Change("text.py", b"def f():\n    return 1\n"),
        Change("image.png", BINARY),
        Change("empty.py", b""),
        Change("large.bin", LARGE),
        Change("bin/tool", b"#!/usr/bin/env python3\nprint(1)\n", mode="100755"),
        Change("link.py", b"text.py", mode="120000"),
        *(Change(path, f"content of {path!r}\n".encode()) for path in WEIRD_PATHS),
    ]
    return build_repo(tmp_path_factory.mktemp("blobs") / "repo", [commit(*changes)])


def blob_of(repo: Path, path: str | bytes) -> str:
    raw = path.encode() if isinstance(path, str) else path
    listing = git(repo, "ls-tree", "-z", "HEAD", "--", raw.decode("utf-8", "surrogateescape"))
    return listing.split(b"\t", 1)[0].split()[2].decode()


@pytest.mark.parametrize("path", ["text.py", "image.png", "empty.py", "large.bin"])
def test_read_returns_exact_bytes(files_repo: Path, path: str) -> None:
    sha = blob_of(files_repo, path)
    with CatFile(str(files_repo)) as cat_file:
        assert cat_file.read(sha) == git(files_repo, "cat-file", "blob", sha)


def test_read_many_streams_in_order_and_reports_missing(files_repo: Path) -> None:
    shas = [blob_of(files_repo, p) for p in ("large.bin", "text.py", "image.png", "empty.py")]
    missing = "0123456789abcdef0123456789abcdef01234567"
    wanted = [*shas, missing, shas[1], *shas * 20]
    with CatFile(str(files_repo)) as cat_file:
        answers = list(cat_file.read_many(iter(wanted)))
        assert [sha for sha, _ in answers] == wanted
        expected = {sha: git(files_repo, "cat-file", "blob", sha) for sha in shas}
        assert [content for _, content in answers] == [expected.get(sha) for sha in wanted]
        assert cat_file.read(missing) is None
        assert cat_file.read(shas[1]) == expected[shas[1]]  # still answering after a missing object


def test_abandoned_stream_leaves_a_working_reader(files_repo: Path) -> None:
    sha = blob_of(files_repo, "large.bin")
    with CatFile(str(files_repo)) as cat_file:
        stream = cat_file.read_many([sha] * 50)
        next(stream)
        stream.close()
        assert cat_file.read(sha) == LARGE


def test_bare_repository_and_bad_repository(files_repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(files_repo), str(bare))
    sha = blob_of(files_repo, "image.png")
    with CatFile(str(bare)) as cat_file:
        assert cat_file.read(sha) == BINARY
    (tmp_path / "plain").mkdir()
    with CatFile(str(tmp_path / "plain")) as cat_file, pytest.raises(DevmetricsError, match="not a git repository"):
        cat_file.read(sha)


def test_listing_keeps_paths_modes_and_sizes(files_repo: Path) -> None:
    entries = {entry.path: entry for entry in list_tree(str(files_repo), "HEAD")}
    assert "link.py" not in entries  # symlinks are not file versions
    assert entries["bin/tool"].is_executable and not entries["text.py"].is_executable
    assert entries["large.bin"].size == len(LARGE) and entries["empty.py"].size == 0
    weird = entries["data/caf\\xe9-\\xff.txt"]
    assert weird.path_raw == b"data/caf\xe9-\xff.txt"
    for path in WEIRD_PATHS:
        text = path if isinstance(path, str) else path.decode("utf-8", "backslashreplace")
        assert entries[text].blob == blob_of(files_repo, path)
    for entry in entries.values():
        assert entry.path_raw is None or entry.path == entry.path_raw.decode("utf-8", "backslashreplace")


def test_listing_skips_submodules(files_repo: Path, clone_of: object, tmp_path: Path) -> None:
    repo = tmp_path / "with-submodule"
    git(tmp_path, "clone", "-q", str(files_repo), str(repo))
    head = git(repo, "rev-parse", "HEAD").decode().strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/sub")
    tree = git(repo, "write-tree").decode().strip()
    with_submodule = git(repo, "commit-tree", tree, "-p", head, "-m", "submodule").decode().strip()
    paths = {entry.path for entry in list_tree(str(repo), with_submodule)}
    assert "vendor/sub" not in paths and "text.py" in paths


# --- .gitattributes -----------------------------------------------------------------------------------------

ROOT_ATTRIBUTES = b"""\
# comments and blank lines are ignored

*.gen.py linguist-generated
docs/** linguist-vendored
vendor linguist-vendored
build/ linguist-generated
!negated.py linguist-generated
src/**/*.py linguist-generated
src/keep.py -linguist-generated
src/other.py linguist-generated=false
src/deep/x.py -linguist-generated
**/fixtures/** linguist-vendored
a/**/b.py linguist-generated
"with space.py" linguist-generated linguist-vendored
reset.py linguist-generated
reset.py !linguist-generated
"""
SRC_ATTRIBUTES = b"""\
sub/*.py linguist-generated=true
manual.py !linguist-generated
/anchored.py linguist-vendored
"""
DEEP_ATTRIBUTES = b"x.py linguist-generated\n"
ATTRIBUTE_PATHS = (
    "model.gen.py",
    "lib/model.gen.py",
    "docs/guide/index.py",
    "vendor",
    "vendor/lib.py",
    "build/out.py",
    "negated.py",
    "src/a.py",
    "src/keep.py",
    "src/other.py",
    "src/sub/z.py",
    "src/sub/deeper/z.py",
    "src/manual.py",
    "src/anchored.py",
    "src/lib/anchored.py",
    "src/deep/x.py",
    "tests/fixtures/data.py",
    "fixtures/top.py",
    "a/b.py",
    "a/x/y/b.py",
    "with space.py",
    "reset.py",
    "plain.py",
)


@pytest.fixture(scope="module")
def attributes_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    changes = [
        Change(".gitattributes", ROOT_ATTRIBUTES),
        Change("src/.gitattributes", SRC_ATTRIBUTES),
        Change("src/deep/.gitattributes", DEEP_ATTRIBUTES),
        *(Change(path, b"x = 1\n") for path in ATTRIBUTE_PATHS if path != "vendor"),
        Change("vendor/lib.py", b"x = 1\n"),
    ]
    return build_repo(tmp_path_factory.mktemp("attributes") / "repo", [commit(*changes)])


def git_check_attr(repo: Path, paths: tuple[str, ...], name: str) -> dict[str, AttributeValue]:
    out = git(repo, "check-attr", "-z", name, "--", *paths).decode()
    fields = out.split("\0")[:-1]
    values: dict[str, AttributeValue] = {}
    for index in range(0, len(fields), 3):
        path, _attribute, info = fields[index : index + 3]
        values[path] = {"set": True, "unset": False, "unspecified": None}.get(info, info)
    return values


@pytest.mark.parametrize("name", ["linguist-generated", "linguist-vendored"])
def test_attributes_match_git_check_attr(attributes_repo: Path, name: str) -> None:
    with CatFile(str(attributes_repo)) as cat_file:
        attributes = read_attributes(cat_file, list_tree(str(attributes_repo), "HEAD"))
    paths = (*ATTRIBUTE_PATHS, "vendor/lib.py")
    expected = git_check_attr(attributes_repo, paths, name)
    assert {path: attributes.value(path, name) for path in paths} == expected


def test_attribute_states_and_precedence() -> None:
    root = parse_attributes("", ROOT_ATTRIBUTES)
    src = parse_attributes("src", SRC_ATTRIBUTES)
    deep = parse_attributes("src/deep", DEEP_ATTRIBUTES)
    from devmetrics.collectors.blobs import Attributes

    attributes = Attributes([deep, src, root])  # given in any order: deeper files win
    assert attributes.value("src/keep.py", "linguist-generated") is False
    assert attributes.value("src/other.py", "linguist-generated") == "false"
    assert attributes.value("src/deep/x.py", "linguist-generated") is True
    assert attributes.value("src/manual.py", "linguist-generated") is None
    assert attributes.value("src/sub/z.py", "linguist-generated") == "true"
    assert attributes.value("build/out.py", "linguist-generated") is None
    assert attributes.value("vendor/lib.py", "linguist-vendored") is None
    assert attributes.value("a/x/y/b.py", "linguist-generated") is True
    assert attributes.value("with space.py", "linguist-vendored") is True


def test_attributes_are_read_once_per_blob(attributes_repo: Path) -> None:
    cache: dict[tuple[str, str], object] = {}
    entries = list_tree(str(attributes_repo), "HEAD")
    with CatFile(str(attributes_repo)) as cat_file:
        read_attributes(cat_file, entries, cache)  # type: ignore[arg-type]
        assert len(cache) == 3
        cat_file.close()
        cat_file.repo_path = "/nonexistent"  # a second read would fail: everything comes from the cache
        read_attributes(cat_file, entries, cache)  # type: ignore[arg-type]


@given(st.binary(min_size=1, max_size=40).filter(lambda raw: b"\0" not in raw and raw[:1] != b'"'))
def test_unquote_reverses_git_quoting(raw: bytes) -> None:
    assert unquote_c(quote_path(raw)) == raw
