"""Fact records that collectors produce and the store writes (DESIGN §4).

Records are frozen, slotted dataclasses: cheap to pickle between worker processes and safe to share.
Text from repositories is untrusted; where git gives bytes that are not UTF-8, the text field holds a
readable rendering (invalid bytes as ``\\xNN``) and the ``*_raw`` field keeps the exact bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Column order of the `commits` and `file_changes` rows (after repo_id) that workers send to the writer:
# plain tuples pickle about four times faster than the records themselves.
COMMIT_COLUMNS = (
    "sha",
    "author_name",
    "author_email",
    "author_time",
    "author_tz",
    "committer_name",
    "committer_email",
    "committer_time",
    "committer_tz",
    "subject",
    "message",
    "trailers",
    "parents",
    "is_merge",
    "insertions",
    "deletions",
    "files",
    "message_raw",
    "names_raw",
)
FILE_CHANGE_COLUMNS = (
    "sha",
    "path",
    "old_path",
    "change_type",
    "added",
    "deleted",
    "is_binary",
    "old_blob",
    "new_blob",
    "old_mode",
    "new_mode",
    "similarity",
    "path_raw",
    "old_path_raw",
)


@dataclass(frozen=True, slots=True)
class FileChange:
    """One entry of a commit's diff (against its first parent; against the empty tree for a root)."""

    path: str
    old_path: str | None  # set for renames and copies
    change_type: str  # A added, M modified, D deleted, R renamed, C copied, T type changed
    added: int | None  # None for binary files
    deleted: int | None
    is_binary: bool
    old_blob: str | None  # None where the file did not exist before
    new_blob: str | None  # None where the file was deleted
    old_mode: str
    new_mode: str
    similarity: int | None  # rename/copy score in percent
    path_raw: bytes | None = None  # the exact bytes when the path is not valid UTF-8
    old_path_raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit as git records it, with mailmap applied to names and e-mails."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_time: int  # seconds since the epoch
    author_tz: int  # offset from UTC in minutes
    committer_name: str
    committer_email: str
    committer_time: int
    committer_tz: int
    subject: str
    message: str
    trailers: tuple[tuple[str, str], ...]  # as `git interpret-trailers --parse` reads them
    file_changes: tuple[FileChange, ...]
    message_raw: bytes | None = None  # the exact bytes when the message is not valid UTF-8
    names_raw: bytes | None = None  # NUL-joined author/committer name and e-mail bytes when not UTF-8

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def insertions(self) -> int:
        return sum(change.added or 0 for change in self.file_changes)

    @property
    def deletions(self) -> int:
        return sum(change.deleted or 0 for change in self.file_changes)

    def row(self) -> tuple[Any, ...]:
        """The commit as a `commits` row in COMMIT_COLUMNS order."""
        return (
            self.sha,
            self.author_name,
            self.author_email,
            self.author_time,
            self.author_tz,
            self.committer_name,
            self.committer_email,
            self.committer_time,
            self.committer_tz,
            self.subject,
            self.message,
            json.dumps(self.trailers, ensure_ascii=False),
            " ".join(self.parents),
            int(self.is_merge),
            self.insertions,
            self.deletions,
            len(self.file_changes),
            self.message_raw,
            self.names_raw,
        )

    def file_change_rows(self) -> list[tuple[Any, ...]]:
        """The commit's file changes as `file_changes` rows in FILE_CHANGE_COLUMNS order."""
        return [
            (
                self.sha,
                f.path,
                f.old_path,
                f.change_type,
                f.added,
                f.deleted,
                int(f.is_binary),
                f.old_blob,
                f.new_blob,
                f.old_mode,
                f.new_mode,
                f.similarity,
                f.path_raw,
                f.old_path_raw,
            )
            for f in self.file_changes
        ]


@dataclass(frozen=True, slots=True)
class CommitRows:
    """A chunk of commits as rows, the form in which workers hand them to the one writer."""

    commits: list[tuple[Any, ...]]
    file_changes: list[tuple[Any, ...]]

    @classmethod
    def of(cls, commits: list[Commit]) -> CommitRows:
        return cls([c.row() for c in commits], [row for c in commits for row in c.file_change_rows()])


@dataclass(frozen=True, slots=True)
class RepoRef:
    """Where a repository is and how devmetrics names it (DESIGN §4)."""

    identity: str  # normalised origin URL (host/owner/name) or the absolute path
    path: str  # absolute path of the git directory or work tree scanned
    name: str  # short display name
    remote_url: str | None  # origin URL with any credentials removed
    host: str | None  # e.g. github.com, when origin is a network URL
    owner_name: str | None  # e.g. octo/hello, when origin names one
    is_bare: bool
    is_shallow: bool
