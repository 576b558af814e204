"""Fact records that collectors produce and the store writes (DESIGN §4).

Records are frozen, slotted dataclasses: cheap to pickle between worker processes and safe to share.
Text from repositories is untrusted; where git gives bytes that are not UTF-8, the text field holds a
readable rendering (invalid bytes as ``\\xNN``) and the ``*_raw`` field keeps the exact bytes.
"""

from __future__ import annotations

from dataclasses import dataclass


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
