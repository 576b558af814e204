"""The git history collector: which commits a repository has, and their facts, read in chunks.

Every chunk is read by ONE `git log --no-walk=unsorted --stdin` process and parsed as a stream of
NUL-separated tokens; the working tree is never touched (bare repositories work the same).

Merge commits are recorded with their diff against the FIRST parent (`--diff-merges=first-parent`):
what the merge brought into the branch it was made on. Throughput metrics count non-merge commits only.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from devmetrics.collectors.gitcli import (
    explain_git_failure,
    git_environment,
    refuse_dangerous_target,
    run_git,
)
from devmetrics.errors import DevmetricsError
from devmetrics.model import Commit, CommitRows, FileChange, RepoRef

RECORD_START = b"\x1e"
TRAILER_SEPARATOR = "\x1f"
TRAILER_KEY_VALUE_SEPARATOR = "\x1d"
# Header fields of one commit, in order; the message (%B) is last so it may contain anything but NUL.
LOG_FORMAT = (
    "%x1e%H%x00%P%x00%aN%x00%aE%x00%ad%x00%cN%x00%cE%x00%cd%x00"
    "%(trailers:only,unfold,separator=%x1f,key_value_separator=%x1d)%x00%B"
)
HEADER_FIELDS = 10
NULL_SHA = "0" * 40
READ_BLOCK = 1 << 20


@dataclass(frozen=True)
class HistoryOptions:
    """How commits are read; part of the sync state, so a change is noticed."""

    detect_renames: bool = True
    rename_threshold: int = 50

    def diff_args(self) -> list[str]:
        renames = [f"--find-renames={self.rename_threshold}%"] if self.detect_renames else ["--no-renames"]
        return [
            "--raw",
            "--numstat",
            "--no-abbrev",
            "--root",
            "--diff-merges=first-parent",
            "--no-ext-diff",
            "--no-textconv",
            *renames,
        ]


@dataclass(frozen=True)
class ChunkTask:
    """A unit of work a worker can run with no database: read these commits of this repository."""

    repo_path: str
    target: str
    shas: tuple[str, ...]
    options: HistoryOptions


# --- repositories ---------------------------------------------------------------------------------


def inspect_repository(target: str, *, name: str = "") -> RepoRef:
    """Check that `target` is a readable git repository with commits and describe it."""
    refuse_dangerous_target(target)
    path = Path(target).expanduser()
    if not path.exists():
        raise DevmetricsError(f"{target}: no such folder; check the path")
    if not path.is_dir():
        raise DevmetricsError(f"{target}: not a folder; pass the folder of a git repository")
    try:
        next(path.iterdir(), None)
    except PermissionError as error:
        raise DevmetricsError(f"{target}: permission denied reading the folder; check its permissions") from error
    lines = (
        run_git(
            path,
            ["rev-parse", "--absolute-git-dir", "--is-bare-repository", "--is-shallow-repository"],
            target=target,
        )
        .stdout.decode("utf-8", "surrogateescape")
        .splitlines()
    )
    git_dir, is_bare, is_shallow = lines[0], lines[1] == "true", lines[2] == "true"
    if not is_bare:
        top = run_git(path, ["rev-parse", "--show-toplevel"], target=target).stdout
        root = top.decode("utf-8", "surrogateescape").strip()
    else:
        root = git_dir
    head = run_git(path, ["rev-parse", "--verify", "-q", "HEAD^{commit}"], target=target, check=False)
    if head.returncode != 0:
        raise _empty_or_corrupt(path, target)
    remote = run_git(path, ["config", "--get", "remote.origin.url"], target=target, check=False)
    origin = remote.stdout.decode("utf-8", "replace").strip() or None
    return describe_repository(root, origin, is_bare=is_bare, is_shallow=is_shallow, name=name)


def _empty_or_corrupt(path: Path, target: str) -> DevmetricsError:
    refs = run_git(path, ["for-each-ref", "--count=1"], target=target, check=False)
    if refs.returncode == 0 and not refs.stdout.strip():
        return DevmetricsError(f"{target}: empty repository (no commits yet); commit something, then scan")
    said = run_git(path, ["rev-parse", "--verify", "HEAD^{commit}"], target=target, check=False)
    error = explain_git_failure(target, said.stderr.decode("utf-8", "replace") or "HEAD does not resolve")
    if "corrupt" in str(error) or "git failed" in str(error):
        return DevmetricsError(
            f"{target}: corrupt repository or unborn HEAD (git says: "
            f"{said.stderr.decode('utf-8', 'replace').strip()[:200] or 'HEAD does not resolve'}); "
            "run `git fsck`, or check out a branch that has commits"
        )
    return error


def describe_repository(root: str, origin: str | None, *, is_bare: bool, is_shallow: bool, name: str = "") -> RepoRef:
    """Repository identity (DESIGN §4): the normalised origin URL when it is a network URL, else the path."""
    host, owner_name, clean_url = parse_remote(origin) if origin else (None, None, None)
    identity = f"{host}/{owner_name}" if host and owner_name else str(Path(root).resolve())
    default_name = (owner_name or "").rsplit("/", 1)[-1] or Path(root).name.removesuffix(".git") or root
    return RepoRef(
        identity=identity,
        path=root,
        name=name or default_name,
        remote_url=clean_url,
        host=host,
        owner_name=owner_name,
        is_bare=is_bare,
        is_shallow=is_shallow,
    )


SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>(?!/).+)$")


def parse_remote(url: str) -> tuple[str | None, str | None, str | None]:
    """(host, owner/name, URL without credentials) of a remote URL; (None, None, url) for local paths."""
    url = url.strip()
    match = SCP_LIKE.match(url)
    if "://" not in url and match:
        host, path = match["host"].lower(), match["path"]
        return host, _owner_name(path), f"{host}:{path}"
    parts = urlsplit(url)
    if parts.scheme in ("", "file") or not parts.hostname:
        return None, None, url
    host = parts.hostname.lower()
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    clean = parts._replace(netloc=netloc, query="", fragment="").geturl()
    return host, _owner_name(parts.path), clean


def _owner_name(path: str) -> str | None:
    cleaned = path.strip("/").removesuffix(".git").strip("/")
    return cleaned or None


# --- which commits ---------------------------------------------------------------------------------


def ref_tips(repo_path: str, target: str, *, all_refs: bool) -> dict[str, str]:
    """The refs a scan covers and the commit each points at: HEAD, or every branch and tag."""
    if not all_refs:
        head = run_git(repo_path, ["rev-parse", "--verify", "HEAD^{commit}"], target=target).stdout
        return {"HEAD": head.decode().strip()}
    listing = run_git(
        repo_path,
        [
            "for-each-ref",
            "--format=%(objecttype) %(objectname) %(*objectname) %(refname)",
            "refs/heads",
            "refs/tags",
            "refs/remotes",
        ],
        target=target,
    ).stdout.decode("utf-8", "surrogateescape")
    tips: dict[str, str] = {}
    for line in listing.splitlines():
        kind, sha, peeled, refname = line.split(" ", 3)
        commit = sha if kind == "commit" else peeled
        if commit and not refname.endswith("/HEAD"):
            tips[refname] = commit
    return tips


def reachable_commits(repo_path: str, target: str, tips: Sequence[str]) -> list[str]:
    """Every commit reachable from `tips`, oldest first (as `git rev-list --reverse` lists them)."""
    if not tips:
        return []
    out = run_git(
        repo_path, ["rev-list", "--reverse", "--stdin"], target=target, stdin="\n".join(tips).encode() + b"\n"
    ).stdout
    return out.decode().split()


# --- reading a chunk -----------------------------------------------------------------------------------


def read_chunk(task: ChunkTask) -> CommitRows:
    """Read the facts of `task.shas` with one git process; the worker function of a scan."""
    return CommitRows.of(list(read_commits(task.repo_path, task.shas, task.options, target=task.target)))


def read_commits(
    repo_path: str, shas: Sequence[str], options: HistoryOptions, *, target: str | None = None
) -> Iterator[Commit]:
    """Stream the commits `shas` in the order given, with their file changes."""
    if not shas:
        return
    command = [
        "git",
        "-C",
        repo_path,
        "--no-optional-locks",
        "-c",
        "diff.external=",
        "-c",
        "log.showSignature=false",
        "log",
        "--no-walk=unsorted",
        "--stdin",
        "-z",
        f"--format={LOG_FORMAT}",
        "--date=raw",
        *options.diff_args(),
    ]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=git_environment()
    ) as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        # rev-list input is small (41 bytes a commit): writing it all first cannot fill the pipe buffer
        # before git starts answering, because git reads all of --stdin before it writes anything.
        process.stdin.write(("\n".join(shas) + "\n").encode())
        process.stdin.close()
        yield from parse_log_stream(_tokens(process.stdout))
        stderr = process.stderr.read()
        if process.wait() != 0:
            raise explain_git_failure(target or repo_path, stderr.decode("utf-8", "replace"))


def _tokens(stream: object) -> Iterator[bytes]:
    """NUL-separated tokens of a binary stream, read in blocks."""
    read = stream.read  # type: ignore[attr-defined]
    pending = b""
    while block := read(READ_BLOCK):
        parts = (pending + block).split(b"\0")
        pending = parts.pop()
        yield from parts
    if pending:
        yield pending


def parse_log_stream(tokens: Iterator[bytes]) -> Iterator[Commit]:
    """Parse `git log -z --raw --numstat` output made with LOG_FORMAT into commits.

    Per commit: the header fields, then raw entries (`:modes shas status` then one or two paths), then
    numstat entries (`added<TAB>deleted<TAB>path`, or an empty path followed by old and new paths), both
    in the same diff-queue order, so they pair up by position.
    """
    header: list[bytes] | None = None
    raws: list[tuple[bytes, bytes, bytes | None]] = []
    stats: list[bytes] = []
    iterator = iter(tokens)
    for token in iterator:
        if header is not None and len(header) < HEADER_FIELDS:
            header.append(token)
            continue
        token = token.lstrip(b"\n")
        if token.startswith(RECORD_START):
            if header is not None:
                yield _build_commit(header, raws, stats)
            header, raws, stats = [token[1:]], [], []
        elif token.startswith(b":"):
            status = token.rsplit(b" ", 1)[-1]
            first = next(iterator)
            second = next(iterator) if status[:1] in (b"R", b"C") else None
            raws.append((token, first, second))
        elif token:
            if token.endswith(b"\t"):  # rename or copy: the paths follow as two tokens
                next(iterator)
                next(iterator)
            stats.append(token)
    if header is not None:
        yield _build_commit(header, raws, stats)


def _build_commit(header: list[bytes], raws: list[tuple[bytes, bytes, bytes | None]], stats: list[bytes]) -> Commit:
    if len(raws) != len(stats):
        raise DevmetricsError(
            f"commit {header[0].decode()}: git printed {len(raws)} raw and {len(stats)} numstat entries; "
            "report this with your git version"
        )
    sha, parents, a_name, a_email, a_date, c_name, c_email, c_date, trailers, message = header
    author_time, author_tz = _parse_raw_date(a_date)
    committer_time, committer_tz = _parse_raw_date(c_date)
    text_message, message_raw = decode_text(message)
    names = (a_name, a_email, c_name, c_email)
    decoded = [decode_text(value)[0] for value in names]
    names_raw = None if all(decode_text(value)[1] is None for value in names) else b"\0".join(names)
    return Commit(
        sha=sha.decode(),
        parents=tuple(parents.decode().split()),
        author_name=decoded[0],
        author_email=decoded[1],
        author_time=author_time,
        author_tz=author_tz,
        committer_name=decoded[2],
        committer_email=decoded[3],
        committer_time=committer_time,
        committer_tz=committer_tz,
        subject=subject_of(text_message),
        message=text_message,
        trailers=_parse_trailers(trailers),
        file_changes=tuple(_file_change(raw, stat) for raw, stat in zip(raws, stats, strict=True)),
        message_raw=message_raw,
        names_raw=names_raw,
    )


def _file_change(raw: tuple[bytes, bytes, bytes | None], stat: bytes) -> FileChange:
    meta, first, second = raw
    old_mode, new_mode, old_blob, new_blob, status = meta[1:].decode().split(" ")
    old_path, path = (first, second) if second is not None else (None, first)
    added_text, deleted_text = stat.split(b"\t", 2)[:2]
    is_binary = added_text == b"-"
    path_text, path_raw = decode_text(path)
    old_text, old_raw = decode_text(old_path) if old_path is not None else (None, None)
    return FileChange(
        path=path_text,
        old_path=old_text,
        change_type=status[0],
        added=None if is_binary else int(added_text),
        deleted=None if is_binary else int(deleted_text),
        is_binary=is_binary,
        old_blob=None if old_blob == NULL_SHA else old_blob,
        new_blob=None if new_blob == NULL_SHA else new_blob,
        old_mode=old_mode,
        new_mode=new_mode,
        similarity=int(status[1:]) if len(status) > 1 else None,
        path_raw=path_raw,
        old_path_raw=old_raw,
    )


def decode_text(value: bytes) -> tuple[str, bytes | None]:
    """Text for display and queries, plus the exact bytes when they are not valid UTF-8.

    The documented, reversible escape: invalid bytes read as `\\xNN` in the text column, and the
    `*_raw` column keeps the original bytes (NULL when the text is exact).
    """
    try:
        return value.decode("utf-8"), None
    except UnicodeDecodeError:
        return value.decode("utf-8", "backslashreplace"), value


def subject_of(message: str) -> str:
    """The subject as git's %s gives it: the first paragraph, its lines joined by spaces."""
    paragraph = message.lstrip("\n").split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def _parse_raw_date(value: bytes) -> tuple[int, int]:
    seconds, offset = value.split(b" ")
    sign = -1 if offset[:1] == b"-" else 1
    return int(seconds), sign * (int(offset[1:3]) * 60 + int(offset[3:5]))


def _parse_trailers(value: bytes) -> tuple[tuple[str, str], ...]:
    text = value.decode("utf-8", "backslashreplace")
    pairs: list[tuple[str, str]] = []
    for entry in text.split(TRAILER_SEPARATOR):
        if TRAILER_KEY_VALUE_SEPARATOR in entry:
            key, _, trailer_value = entry.partition(TRAILER_KEY_VALUE_SEPARATOR)
            pairs.append((key.strip(), trailer_value.strip()))
    return tuple(pairs)
