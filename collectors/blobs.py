"""File versions read from git objects, never from a working tree (DESIGN principle 4).

- :class:`CatFile`: one `git cat-file --batch` process answering blob requests, one at a time or streamed.
- :func:`list_tree`: the regular files of a revision, from `git ls-tree -r -z -l`.
- :func:`parse_attributes` and :class:`Attributes`: `.gitattributes` files read as blobs, answering
  which value an attribute has for a path, with git's precedence (deeper files and later lines win).

Bare repositories work the same: nothing here needs a work tree.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from queue import SimpleQueue
from typing import IO

from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

from devmetrics.collectors.git import decode_text
from devmetrics.collectors.gitcli import SAFE_OPTIONS, explain_git_failure, git_environment, run_git
from devmetrics.errors import DevmetricsError

REGULAR_MODES = ("100644", "100755")  # symlinks (120000) and submodules (160000) are not file versions
EXECUTABLE_MODE = "100755"
ATTRIBUTES_FILE = ".gitattributes"
REQUESTS_PER_FLUSH = 64  # requests written to cat-file between flushes of its input
_DONE = ""

# A value of an attribute for a path: True (set), False (unset, `-attr`), a string (`attr=value`) or
# None (unspecified: never mentioned, or reset with `!attr`).
AttributeValue = bool | str | None


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """A regular file of a revision, as `git ls-tree -l` lists it."""

    mode: str
    blob: str
    size: int
    path: str  # readable text; invalid UTF-8 bytes as \\xNN (see collectors.git.decode_text)
    path_raw: bytes | None = None  # the exact bytes when the path is not valid UTF-8

    @property
    def is_executable(self) -> bool:
        return self.mode == EXECUTABLE_MODE


# --- cat-file --batch ------------------------------------------------------------------------------------


class CatFile:
    """Blob contents from one long-lived `git cat-file --batch` process.

    `read` asks and answers one object at a time (one request, one answer: neither side can block the
    other). `read_many` streams: a writer thread feeds requests while this thread reads the answers,
    so git never waits for a round trip and the pipes cannot deadlock. Only one answer is held in
    memory at a time.
    """

    def __init__(self, repo_path: str, *, target: str | None = None) -> None:
        self.repo_path = repo_path
        self.target = target or repo_path
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, sha: str) -> bytes | None:
        """The content of object `sha`, or None when the repository does not have it."""
        process = self._started()
        assert process.stdin is not None
        try:
            process.stdin.write(_request(sha))
            process.stdin.flush()
        except BrokenPipeError:
            raise self._failure() from None
        return self._answer(sha)

    def read_many(self, shas: Iterable[str]) -> Generator[tuple[str, bytes | None], None, None]:
        """(sha, content or None when missing) for every sha, in the order given."""
        process = self._started()
        pending: SimpleQueue[str] = SimpleQueue()
        writer = threading.Thread(target=self._write_requests, args=(process, shas, pending), daemon=True)
        writer.start()
        finished = False
        try:
            while (sha := pending.get()) != _DONE:
                yield sha, self._answer(sha)
            finished = True
        finally:
            if not finished:  # abandoned midway: answers are still on the way, so this process is spent
                self.close()
            writer.join()

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError, ValueError):  # unsent requests: git is gone anyway
                        stream.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            # A file, not a pipe: git may write many warnings, and nobody reads a pipe until the end.
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
            try:
                self._process = subprocess.Popen(
                    ["git", "-C", self.repo_path, *SAFE_OPTIONS, "cat-file", "--batch"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self._stderr,
                    env=git_environment(),
                )
            except FileNotFoundError as error:
                raise DevmetricsError("git: not found on PATH; install git 2.31 or newer") from error
        return self._process

    def _write_requests(self, process: subprocess.Popen[bytes], shas: Iterable[str], pending: SimpleQueue[str]) -> None:
        stdin = process.stdin
        assert stdin is not None
        batch: list[str] = []
        try:
            for sha in shas:
                batch.append(sha)
                if len(batch) >= REQUESTS_PER_FLUSH:
                    _send(stdin, batch, pending)
                    batch = []
            _send(stdin, batch, pending)
        except (BrokenPipeError, ValueError):  # git died or the reader closed it; the reader reports why
            pass
        finally:
            pending.put(_DONE)

    def _answer(self, sha: str) -> bytes | None:
        stdout = self._started().stdout
        assert stdout is not None
        header = stdout.readline()
        if not header.endswith(b"\n"):
            raise self._failure()
        fields = header.split()
        if len(fields) != 3:  # "<name> missing" or "<name> ambiguous"
            return None
        size = int(fields[2])
        content = stdout.read(size)
        if len(content) != size or stdout.read(1) != b"\n":
            raise self._failure()
        return content

    def _failure(self) -> DevmetricsError:
        said = b""
        if self._stderr is not None:
            self._stderr.seek(0)
            said = self._stderr.read()
        self.close()
        return explain_git_failure(self.target, said.decode("utf-8", "replace") or "git cat-file stopped answering")


def _request(sha: str) -> bytes:
    if not sha or "\n" in sha:
        raise DevmetricsError(f"{sha!r}: not an object name")
    return sha.encode() + b"\n"


def _send(stdin: IO[bytes], batch: list[str], pending: SimpleQueue[str]) -> None:
    if not batch:
        return
    stdin.write(b"".join(_request(sha) for sha in batch))
    stdin.flush()
    for sha in batch:
        pending.put(sha)


# --- ls-tree -------------------------------------------------------------------------------------------


def list_tree(repo_path: str, revision: str, *, target: str | None = None) -> list[TreeEntry]:
    """The regular files (not symlinks, not submodules) of `revision`, in git's path order."""
    out = run_git(repo_path, ["ls-tree", "-r", "-z", "-l", "--full-tree", revision], target=target).stdout
    return list(parse_tree_listing(out))


def parse_tree_listing(out: bytes) -> Iterator[TreeEntry]:
    """Parse `git ls-tree -r -z -l` output: `<mode> <type> <object> <size>\\t<path>` NUL-terminated."""
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, sha, size = meta.decode().split()
        if kind != "blob" or mode not in REGULAR_MODES:
            continue
        text, raw = decode_text(path)
        yield TreeEntry(mode=mode, blob=sha, size=int(size), path=text, path_raw=raw)


# --- C-quoted paths ----------------------------------------------------------------------------------------

_C_ESCAPES = {
    ord("a"): 7,
    ord("b"): 8,
    ord("t"): 9,
    ord("n"): 10,
    ord("v"): 11,
    ord("f"): 12,
    ord("r"): 13,
    ord('"'): 34,
    ord("\\"): 92,
}


def unquote_c(value: bytes) -> bytes:
    """A path as git prints it: C-quoted (`"a\\tb\\303\\251"`) when it holds special bytes, else bare."""
    if len(value) < 2 or not value.startswith(b'"') or not value.endswith(b'"'):
        return value
    body, out, index = value[1:-1], bytearray(), 0
    while index < len(body):
        byte = body[index]
        if byte != 0x5C or index + 1 == len(body):
            out.append(byte)
            index += 1
            continue
        following = body[index + 1]
        if 0x30 <= following <= 0x37:  # three octal digits: one raw byte
            out.append(int(body[index + 1 : index + 4], 8))
            index += 4
        else:
            out.append(_C_ESCAPES.get(following, following))
            index += 2
    return bytes(out)


# --- .gitattributes ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttributeRule:
    """One line of a `.gitattributes` file: a pattern and the attributes it assigns, in order."""

    pattern: GitIgnoreBasicPattern
    anchored_prefix: bool  # the pattern ends in `/**`: everything below a folder
    assignments: tuple[tuple[str, AttributeValue], ...]

    def matches(self, relative_path: str) -> bool:
        regex = self.pattern.regex
        if regex is None:
            return False
        # gitattributes patterns, unlike gitignore ones, never match a file through a parent folder.
        if regex.fullmatch(relative_path) is not None:
            return True
        return self.anchored_prefix and regex.match(relative_path) is not None


@dataclass(frozen=True, slots=True)
class AttributesFile:
    """The rules of one `.gitattributes` file; `folder` is where it sits ("" for the root)."""

    folder: str
    rules: tuple[AttributeRule, ...]


def parse_attributes(folder: str, content: bytes) -> AttributesFile:
    """Parse a `.gitattributes` file as git does (see gitattributes(5)).

    Negative patterns and macro definitions are ignored (git refuses the first and allows the second
    only at the root, for attributes devmetrics does not read); a pattern ending in `/` matches no file.
    """
    rules = []
    for raw_line in content.splitlines():
        rule = _parse_attribute_line(raw_line.strip())
        if rule is not None:
            rules.append(rule)
    return AttributesFile(folder.strip("/"), tuple(rules))


def _parse_attribute_line(line: bytes) -> AttributeRule | None:
    if not line or line.startswith(b"#"):
        return None
    pattern_bytes, rest = _split_pattern(line)
    pattern = decode_text(pattern_bytes)[0]
    if not pattern or pattern.startswith(("!", "[attr]")) or pattern.endswith("/"):
        return None
    assignments = tuple(_assignment(token) for token in decode_text(rest)[0].split())
    compiled = GitIgnoreBasicPattern(pattern)
    return AttributeRule(compiled, pattern.endswith("/**"), assignments) if assignments else None


def _split_pattern(line: bytes) -> tuple[bytes, bytes]:
    if line.startswith(b'"'):
        index = 1
        while index < len(line):
            if line[index] == 0x5C:
                index += 2
                continue
            if line[index] == 0x22:
                return unquote_c(line[: index + 1]), line[index + 1 :]
            index += 1
    pattern, _, rest = line.replace(b"\t", b" ").partition(b" ")
    return pattern, rest


def _assignment(token: str) -> tuple[str, AttributeValue]:
    if token.startswith("-"):
        return token[1:], False
    if token.startswith("!"):
        return token[1:], None
    name, equals, value = token.partition("=")
    return (name, value) if equals else (name, True)


class Attributes:
    """The attributes of paths in one revision, from all its `.gitattributes` files."""

    def __init__(self, files: Sequence[AttributesFile]) -> None:
        # Git's precedence: a deeper file overrides a shallower one; in a file, a later line wins.
        self._files = sorted(files, key=lambda attributes: (attributes.folder.count("/"), attributes.folder != ""))

    def value(self, path: str, name: str) -> AttributeValue:
        """The value of attribute `name` for the file `path` (None when unspecified)."""
        result: AttributeValue = None
        for attributes in self._files:
            relative = _relative_to(path, attributes.folder)
            if relative is None:
                continue
            for rule in attributes.rules:
                for attribute, value in rule.assignments:
                    if attribute == name and rule.matches(relative):
                        result = value
        return result

    def __bool__(self) -> bool:
        return bool(self._files)


def _relative_to(path: str, folder: str) -> str | None:
    if not folder:
        return path
    prefix = folder + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def read_attributes(
    cat_file: CatFile, entries: Iterable[TreeEntry], cache: dict[tuple[str, str], AttributesFile] | None = None
) -> Attributes:
    """The `.gitattributes` files among `entries` (root and nested), read as blobs.

    `cache` maps (folder, blob) to parsed files, so revisions sharing a `.gitattributes` read it once.
    """
    known = {} if cache is None else cache
    sources = [
        (entry.path.rpartition("/")[0], entry.blob)
        for entry in entries
        if entry.path.rsplit("/", 1)[-1] == ATTRIBUTES_FILE
    ]
    unread = [key for key in sources if key not in known]
    contents = cat_file.read_many(blob for _, blob in unread)
    for key, (_sha, content) in zip(unread, contents, strict=True):
        known[key] = parse_attributes(key[0], content or b"")
    return Attributes([known[key] for key in sources])
