"""Changed line ranges (hunks) of commits, from ONE `git log -U0` process over the analysis window.

A hunk is `@@ -old_start,old_lines +new_start,new_lines @@` of a file in a non-merge commit's diff
against its parent. Per-function hotspots and the attribution's churn map these ranges onto functions.
Content lines are skipped by counting them (never by looking at them), so no file content can be
mistaken for a header. Binary files and pure renames have no hunks.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from devmetrics.collectors.blobs import unquote_c
from devmetrics.collectors.git import decode_text
from devmetrics.collectors.gitcli import SAFE_OPTIONS, explain_git_failure, git_environment, run_git
from devmetrics.errors import DevmetricsError

COMMIT_MARK = b"\0"  # starts the line of each commit's sha: no diff line can start with NUL
HUNK_HEADER = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
DEV_NULL = b"/dev/null"


@dataclass(frozen=True, slots=True)
class Hunk:
    sha: str
    path: str  # the new path; the old path when the file was deleted
    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    path_raw: bytes | None = None  # the exact bytes when the path is not valid UTF-8


@dataclass(frozen=True, slots=True)
class HunkWindow:
    """Which commits to read: reachable from `tip`, not from `exclude`, committed at or after `since`."""

    tip: str
    since: int  # seconds since the epoch, compared with committer time as `git log --since` does
    exclude: tuple[str, ...] = ()
    detect_renames: bool = True
    rename_threshold: int = 50

    def log_args(self) -> list[str]:
        renames = [f"--find-renames={self.rename_threshold}%"] if self.detect_renames else ["--no-renames"]
        return [
            "log",
            "-U0",
            "--no-merges",
            "--root",
            "--format=%x00%H",  # COMMIT_MARK, then the sha
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "--no-relative",
            "--diff-algorithm=myers",
            *renames,
            *([f"--max-age={self.since}"] if self.since > 0 else []),
            self.tip,
            *(f"^{sha}" for sha in self.exclude),
            "--",
        ]


def read_hunks(repo_path: str, window: HunkWindow, *, target: str | None = None) -> Iterator[tuple[str, list[Hunk]]]:
    """(commit sha, its hunks) for every commit of the window, newest first, streamed from one git."""
    command = ["git", "-C", repo_path, *SAFE_OPTIONS, *window.log_args()]
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=git_environment())
        except FileNotFoundError as error:
            raise DevmetricsError("git: not found on PATH; install git 2.31 or newer") from error
        with process:
            assert process.stdout is not None
            yield from parse_patches(process.stdout)
            if process.wait() != 0:
                errors.seek(0)
                raise explain_git_failure(target or repo_path, errors.read().decode("utf-8", "replace"))


@dataclass
class _FileDiff:
    old_path: bytes | None = None
    new_path: bytes | None = None
    body_left: int = 0  # content lines of the current hunk still to skip


def parse_patches(lines: Iterable[bytes]) -> Iterator[tuple[str, list[Hunk]]]:
    """Parse `git log -U0 --format=%x00%H` output into (sha, hunks) per commit."""
    sha: str | None = None
    hunks: list[Hunk] = []
    current = _FileDiff()
    for line in lines:
        line = line.rstrip(b"\n")
        if current.body_left:
            if not line.startswith(b"\\"):  # "\ No newline at end of file" is not a content line
                current.body_left -= 1
            continue
        if line.startswith(COMMIT_MARK):
            if sha is not None:
                yield sha, hunks
            sha, hunks, current = line[1:].decode(), [], _FileDiff()
        elif line.startswith(b"diff --git "):
            current = _FileDiff()
        elif line.startswith(b"--- "):
            current.old_path = _diff_path(line[4:], b"a/")
        elif line.startswith(b"+++ "):
            current.new_path = _diff_path(line[4:], b"b/")
        elif line.startswith(b"@@ ") and sha is not None:
            hunk = _hunk(sha, current, line)
            current.body_left = hunk.old_lines + hunk.new_lines
            hunks.append(hunk)
    if sha is not None:
        yield sha, hunks


def _diff_path(value: bytes, prefix: bytes) -> bytes | None:
    # git ends the name with a TAB when it contains a space, so that patch(1) reads it whole.
    value = unquote_c(value.removesuffix(b"\t"))
    if value == DEV_NULL:
        return None
    return value.removeprefix(prefix)


def _hunk(sha: str, current: _FileDiff, header: bytes) -> Hunk:
    match = HUNK_HEADER.match(header)
    path = current.new_path if current.new_path is not None else current.old_path
    if match is None or path is None:
        raise DevmetricsError(f"commit {sha}: cannot read the hunk header {header[:80]!r}; report your git version")
    old_start, old_lines, new_start, new_lines = match.groups()
    text, raw = decode_text(path)
    return Hunk(
        sha=sha,
        path=text,
        old_start=int(old_start),
        old_lines=1 if old_lines is None else int(old_lines),
        new_start=int(new_start),
        new_lines=1 if new_lines is None else int(new_lines),
        path_raw=raw,
    )


def commit_exists(repo_path: str, sha: str) -> bool:
    """True when `sha` names a commit of the repository (a rewritten history may have dropped it)."""
    return run_git(repo_path, ["cat-file", "-e", f"{sha}^{{commit}}"], check=False).returncode == 0
