"""The files of many revisions of one first-parent chain, from a few git processes instead of one each.

Listing a tree costs a `git ls-tree` process and a parse of every entry; consecutive commits share
nearly all of them. :func:`walk_trees` lists the newest wanted revision with `git ls-tree`, then
steps back along the chain by undoing each commit's own changes (`git log --raw` against its first
parent, one process for a whole run of revisions); sizes of the file versions the walk meets are
asked of one `git cat-file --batch-check`. When two wanted revisions are far apart, a fresh
`ls-tree` is cheaper than undoing hundreds of commits, so the walk restarts there.

The result equals `list_tree` of every revision (tests/test_trees.py checks this on a generated
history with additions, deletions, mode and type changes, submodules and symlinks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from devmetrics.collectors.blobs import REGULAR_MODES, TreeEntry, list_tree
from devmetrics.collectors.git import decode_text
from devmetrics.collectors.gitcli import run_git
from devmetrics.errors import DevmetricsError

MAX_WALK = 200  # commits undone between two wanted revisions before a fresh ls-tree is cheaper
RUN_COMMITS = 2_000  # commits read by one `git log` (bounds the memory of one run's changes)
COMMIT_MARK = b"C"


@dataclass(frozen=True, slots=True)
class Change:
    """One path changed by a commit against its first parent, as `git log --raw` shows it."""

    path: bytes
    old_mode: str
    old_blob: str


def walk_trees(
    repo_path: str, chain: Sequence[str], wanted: Sequence[str], *, target: str | None = None
) -> Iterator[tuple[str, list[TreeEntry]]]:
    """(revision, its regular files in git's path order) for each of `wanted`, in the order given.

    `chain` is the first-parent chain, HEAD first; `wanted` are commits of it, newest first.
    """
    position = {sha: index for index, sha in enumerate(chain)}
    for sha in wanted:
        if sha not in position:
            raise DevmetricsError(f"{target or repo_path}: {sha} is not on the first-parent chain of HEAD")
    sizes: dict[str, int] = {}
    for run in _runs([position[sha] for sha in wanted]):
        yield from _walk_run(repo_path, chain, run, sizes, target or repo_path)


def _runs(positions: Sequence[int]) -> Iterator[list[int]]:
    """Wanted chain positions split where walking back would cost more than listing afresh."""
    run: list[int] = []
    for index in positions:
        if run and (index <= run[-1] or index - run[-1] > MAX_WALK or index - run[0] > RUN_COMMITS):
            yield run
            run = []
        run.append(index)
    if run:
        yield run


def _walk_run(
    repo_path: str, chain: Sequence[str], run: list[int], sizes: dict[str, int], target: str
) -> Iterator[tuple[str, list[TreeEntry]]]:
    first, last = run[0], run[-1]
    entries = {_raw_path(entry): entry for entry in list_tree(repo_path, chain[first], target=target)}
    sizes.update((entry.blob, entry.size) for entry in entries.values())
    yield chain[first], list(entries.values())
    if last == first:
        return
    changes = read_changes(repo_path, chain[first], last - first, target=target)
    if [sha for sha, _ in changes] != list(chain[first:last]):
        raise DevmetricsError(f"{target}: the history changed while it was read; run the scan again")
    old_blobs = {change.old_blob for _, commit in changes for change in commit if change.old_mode in REGULAR_MODES}
    _learn_sizes(repo_path, old_blobs, sizes, target)
    wanted = set(run[1:])
    for offset, (_sha, commit) in enumerate(changes, start=first + 1):
        for change in commit:  # undo the commit: its parent had the old side
            if change.old_mode in REGULAR_MODES:
                text, raw = decode_text(change.path)
                entries[change.path] = TreeEntry(change.old_mode, change.old_blob, sizes[change.old_blob], text, raw)
            else:
                entries.pop(change.path, None)
        if offset in wanted:
            yield chain[offset], [entries[path] for path in sorted(entries)]


def _raw_path(entry: TreeEntry) -> bytes:
    return entry.path_raw if entry.path_raw is not None else entry.path.encode()


def read_changes(repo_path: str, newest: str, count: int, *, target: str) -> list[tuple[str, list[Change]]]:
    """The changes of `count` first-parent commits from `newest` back, each against its first parent."""
    out = run_git(
        repo_path,
        [
            "log",
            "--first-parent",
            "--diff-merges=first-parent",
            "--raw",
            "-z",
            "--no-renames",
            "--no-abbrev",
            f"--format={COMMIT_MARK.decode()}%H",
            f"--max-count={count}",
            newest,
            "--",
        ],
        target=target,
    ).stdout
    return parse_changes(out)


def parse_changes(out: bytes) -> list[tuple[str, list[Change]]]:
    """Parse `git log --raw -z --format=C%H` output: a commit header, then `:meta` and path tokens."""
    commits: list[tuple[str, list[Change]]] = []
    tokens = iter(out.split(b"\0"))
    for token in tokens:
        token = token.lstrip(b"\n")
        if token.startswith(b":"):
            path = next(tokens)  # the path token is verbatim: it may hold newlines or start with ':'
            old_mode, _new_mode, old_blob, _new_blob, _status = token[1:].decode().split(" ")
            commits[-1][1].append(Change(path, old_mode, old_blob))
        elif token.startswith(COMMIT_MARK):
            commits.append((token[1:].decode(), []))
    return commits


def _learn_sizes(repo_path: str, blobs: set[str], sizes: dict[str, int], target: str) -> None:
    unknown = sorted(blobs - sizes.keys())
    if not unknown:
        return
    request = "".join(f"{blob}\n" for blob in unknown).encode()
    out = run_git(
        repo_path, ["cat-file", "--batch-check=%(objectname) %(objectsize)"], stdin=request, target=target
    ).stdout
    for line in out.decode().splitlines():
        name, _, size = line.partition(" ")
        # "<name> missing" (a partial clone): size unknown, 0 keeps the file listed; reading it says missing.
        sizes[name] = int(size) if size.isdigit() else 0
