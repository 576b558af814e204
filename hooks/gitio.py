"""What the hooks and the CI gate ask git: the repository's folders, changed files with their blob shas
(`git diff --raw`), commits of a range and blob contents (`git cat-file --batch`). Never the working tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from devmetrics.collectors.blobs import CatFile
from devmetrics.collectors.gitcli import run_git

NULL_SHA = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@dataclass(frozen=True, slots=True)
class FileChange:
    """One changed path between two trees: status A, M, D, R (renamed), C (copied), T (type changed)."""

    status: str
    path: str  # the path after the change (the old path for a deletion)
    old_path: str | None  # the path before a rename or copy; same as path otherwise; None when added
    old_sha: str | None  # None when added
    new_sha: str | None  # None when deleted
    old_mode: str
    new_mode: str


def git_text(repo: Path | str, args: Sequence[str]) -> str:
    return run_git(repo, args).stdout.decode("utf-8", "replace").strip()


def toplevel(folder: Path | str = ".") -> Path:
    return Path(git_text(folder, ["rev-parse", "--show-toplevel"]))


def common_dir(repo: Path | str) -> Path:
    """`git rev-parse --git-common-dir`, absolute: shared by every worktree of the repository."""
    found = Path(git_text(repo, ["rev-parse", "--git-common-dir"]))
    return found if found.is_absolute() else (Path(repo) / found).resolve()


def git_path(repo: Path | str, name: str) -> Path:
    """`git rev-parse --git-path NAME` (MERGE_HEAD, rebase-merge, …), absolute."""
    found = Path(git_text(repo, ["rev-parse", "--git-path", name]))
    return found if found.is_absolute() else (Path(repo) / found).resolve()


def resolve(repo: Path | str, revision: str) -> str | None:
    """The commit sha `revision` names, or None when the repository has no such commit."""
    args = ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"]
    result = run_git(repo, args, check=False)
    return result.stdout.decode().strip() if result.returncode == 0 else None


def merge_heads(repo: Path | str) -> list[str]:
    """The commits being merged (MERGE_HEAD lines) while a merge is in progress, else []."""
    file = git_path(repo, "MERGE_HEAD")
    try:
        return [line.strip() for line in file.read_text().splitlines() if line.strip()]
    except OSError:
        return []


def parse_raw_diff(out: bytes) -> list[FileChange]:
    """`git diff --raw -z --no-abbrev` output as changes (paths decoded as UTF-8, bad bytes replaced)."""
    fields = out.split(b"\0")
    changes: list[FileChange] = []
    index = 0
    while index < len(fields) and fields[index].startswith(b":"):
        meta = fields[index][1:].decode().split()
        old_mode, new_mode, old_sha, new_sha, status = meta[0], meta[1], meta[2], meta[3], meta[4]
        kind = status[0]
        if kind in "RC":
            old_path = fields[index + 1].decode("utf-8", "replace")
            path = fields[index + 2].decode("utf-8", "replace")
            index += 3
        else:
            path = fields[index + 1].decode("utf-8", "replace")
            old_path = path
            index += 2
        changes.append(
            FileChange(
                kind,
                path,
                None if kind == "A" else old_path,
                None if old_sha == NULL_SHA else old_sha,
                None if new_sha == NULL_SHA else new_sha,
                old_mode,
                new_mode,
            )
        )
    return changes


RAW_DIFF = ("diff", "--raw", "-z", "--no-abbrev", "-M", "--no-ext-diff", "--no-textconv", "--ignore-submodules")


def staged_changes(repo: Path | str) -> list[FileChange]:
    """What the commit being made changes: the index against HEAD (an empty tree before the first commit)."""
    base = "HEAD" if resolve(repo, "HEAD") else EMPTY_TREE
    return parse_raw_diff(run_git(repo, [*RAW_DIFF, "--cached", base]).stdout)


def range_changes(repo: Path | str, base: str, head: str) -> list[FileChange]:
    return parse_raw_diff(run_git(repo, [*RAW_DIFF, base, head]).stdout)


def blob_sha(repo: Path | str, revision: str, path: str) -> str | None:
    """The blob at `path` in `revision`, or None when the path holds no regular file there."""
    out = run_git(repo, ["ls-tree", "-z", "--full-tree", revision, "--", path]).stdout
    for entry in out.split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob" and name.decode("utf-8", "replace") == path:
            return parts[2].decode()
    return None


class BlobReader:
    """Blob contents from one `git cat-file --batch` process, started on first use."""

    def __init__(self, repo: Path | str) -> None:
        self._cat = CatFile(str(repo))

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cat.close()

    def read_many(self, shas: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
        if not shas:
            return iter(())
        return iter(list(self._cat.read_many(shas)))

    def read(self, sha: str) -> bytes | None:
        return self._cat.read(sha)
