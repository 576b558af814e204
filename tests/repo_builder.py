"""Fast, deterministic builder of real git repositories for tests.

One ``git fast-import`` process writes every commit of a repository, so thousands of commits take
seconds. :func:`build_repo` takes explicit :class:`CommitSpec` lists; :func:`synthetic_history`
generates realistic ones (authors with aliases and a ``.mailmap``, line edits, renames, deletions,
binary files, non-ASCII paths, merged topic branches).

fast-import never merges trees: a commit's tree is its first parent's tree plus its own file
commands, and ``merge_of`` only adds parents. A merge's ``changes`` must therefore bring in the
merged branch's work itself (``synthetic_history`` does this).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = [
    "FIXED_DATE",
    "FIXED_PERSON",
    "Change",
    "CommitSpec",
    "Person",
    "build_repo",
    "build_repo_with_shas",
    "git",
    "git_env",
    "quote_path",
    "small_history",
    "synthetic_history",
]


@dataclass(frozen=True)
class Person:
    """An identity as written in a commit header (bytes allowed for non-UTF-8 names)."""

    name: str | bytes
    email: str | bytes


@dataclass(frozen=True)
class Change:
    """One file command: write ``content`` at ``path`` (None deletes it), optionally renaming first."""

    path: str | bytes
    content: bytes | None = None
    rename_from: str | bytes | None = None
    mode: str = "100644"


@dataclass(frozen=True)
class CommitSpec:
    """One commit; ``parent``/``merge_of`` are indexes of earlier commits in the same list.

    ``time`` is the author time and, unless ``committer_time`` is given, the committer time too.
    The message gets a trailing newline when it has none, as ``git commit`` does.
    """

    message: str | bytes
    author: Person
    time: int
    committer: Person | None = None
    tz: str = "+0000"
    changes: tuple[Change, ...] = ()
    merge_of: tuple[int, ...] = ()
    branch: str = "main"
    parent: int | None = None
    committer_time: int | None = None


FIXED_PERSON = Person("Devmetrics Test", "test@devmetrics.invalid")
FIXED_DATE = "1600000000 +0000"

_KEEP_GIT_VARS = ("GIT_EXEC_PATH", "GIT_TRACE")


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for git with no user/system config, a fixed identity and fixed dates."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.startswith("GIT_") or k.startswith(_KEEP_GIT_VARS)}
    for key in ("GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "GITHUB_API_URL", "GITHUB_SERVER_URL"):
        env.pop(key, None)  # no test reaches a real code host; host tests pass their own
    name, email = str(FIXED_PERSON.name), str(FIXED_PERSON.email)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=email,
        GIT_AUTHOR_DATE=FIXED_DATE,
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=email,
        GIT_COMMITTER_DATE=FIXED_DATE,
        # Command-line level config: only init's default branch, so a plain `git init` in a test
        # neither prints the "master" hint nor differs between git versions.
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="init.defaultBranch",
        GIT_CONFIG_VALUE_0="main",
    )
    return env


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run ``git -C repo args`` in :func:`git_env` and return stdout; raise with stderr on failure."""
    proc = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, env=git_env(), check=False)
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace")
        raise RuntimeError(f"git {' '.join(args)} failed ({proc.returncode}): {detail}")
    return proc.stdout


# ---------------------------------------------------------------------------------------------------------
# fast-import stream
# ---------------------------------------------------------------------------------------------------------

_SAFE_PATH_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+@,=~%:")
_TZ_RE = re.compile(r"[+-][0-9]{4}")
_MODE_RE = re.compile(r"100644|100755|120000")


def _b(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def quote_path(path: str | bytes) -> bytes:
    """A path as fast-import reads it: bare when plain ASCII, else C-quoted with octal escapes."""
    raw = _b(path)
    if not raw or b"\0" in raw:
        raise ValueError(f"invalid path {raw!r}")
    if raw[0] != 0x22 and all(c in _SAFE_PATH_BYTES for c in raw):
        return raw
    out = bytearray(b'"')
    for c in raw:
        if c in (0x22, 0x5C):  # " and \
            out += b"\\" + bytes((c,))
        elif 0x20 <= c < 0x7F:
            out.append(c)
        else:
            out += b"\\%03o" % c
    out += b'"'
    return bytes(out)


def _ident(person: Person, when: int, tz: str) -> bytes:
    name, email = _b(person.name), _b(person.email)
    for part in (name, email):
        if any(c in part for c in b"<>\n\0"):
            raise ValueError(f"invalid identity part {part!r}")
    return b"%s <%s> %d %s" % (name, email, when, tz.encode())


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _commit_chunk(index: int, spec: CommitSpec, parent: int | None, branch_seen: bool) -> bytes:
    if not _TZ_RE.fullmatch(spec.tz):
        raise ValueError(f"commit {index}: bad tz {spec.tz!r}")
    ref = b"refs/heads/" + spec.branch.encode()
    parts: list[bytes] = []
    if parent is None and branch_seen:
        parts.append(b"reset %s\n" % ref)  # a new root on a branch fast-import already knows
    message = _b(spec.message)
    if not message.endswith(b"\n"):
        message += b"\n"
    committer = spec.committer or spec.author
    ctime = spec.time if spec.committer_time is None else spec.committer_time
    parts += [
        b"commit %s\nmark :%d\n" % (ref, index + 1),
        b"author %s\n" % _ident(spec.author, spec.time, spec.tz),
        b"committer %s\n" % _ident(committer, ctime, spec.tz),
        _data(message),
    ]
    if parent is not None:
        parts.append(b"from :%d\n" % (parent + 1))
    for other in spec.merge_of:
        if not 0 <= other < index or other == parent:
            raise ValueError(f"commit {index}: bad merge_of index {other}")
        parts.append(b"merge :%d\n" % (other + 1))
    for change in spec.changes:
        if not _MODE_RE.fullmatch(change.mode):
            raise ValueError(f"commit {index}: unsupported mode {change.mode!r}")
        path = quote_path(change.path)
        if change.rename_from is not None:
            parts.append(b"R %s %s\n" % (quote_path(change.rename_from), path))
            if change.content is not None:
                parts += [b"M %s inline %s\n" % (change.mode.encode(), path), _data(change.content)]
        elif change.content is None:
            parts.append(b"D %s\n" % path)
        else:
            parts += [b"M %s inline %s\n" % (change.mode.encode(), path), _data(change.content)]
    parts.append(b"\n")
    return b"".join(parts)


def _stream(commits: Sequence[CommitSpec]) -> Iterable[bytes]:
    last_on_branch: dict[str, int] = {}
    for index, spec in enumerate(commits):
        parent = spec.parent if spec.parent is not None else last_on_branch.get(spec.branch)
        if parent is not None and not 0 <= parent < index:
            raise ValueError(f"commit {index}: bad parent index {parent}")
        yield _commit_chunk(index, spec, parent, spec.branch in last_on_branch)
        last_on_branch[spec.branch] = index
    yield b"done\n"


def _fast_import(repo: Path, commits: Sequence[CommitSpec]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="repo-builder-") as tmp:
        marks, errors = Path(tmp, "marks"), Path(tmp, "stderr")
        with errors.open("wb") as err:
            proc = subprocess.Popen(
                ["git", "-C", str(repo), "fast-import", "--quiet", "--done", "--date-format=raw",
                 f"--export-marks={marks}"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, env=git_env(), bufsize=1 << 20,
            )  # fmt: skip
            stdin: IO[bytes] | None = proc.stdin
            assert stdin is not None
            try:
                for chunk in _stream(commits):
                    stdin.write(chunk)
                stdin.close()
            except BrokenPipeError:  # fast-import died; its stderr says why
                with contextlib.suppress(OSError):
                    stdin.close()
            except BaseException:
                proc.kill()
                with contextlib.suppress(OSError):
                    stdin.close()
                proc.wait()
                raise
            rc = proc.wait()
        if rc != 0:
            raise RuntimeError(f"git fast-import failed ({rc}): {errors.read_text(errors='replace')}")
        by_mark: dict[int, str] = {}
        for line in marks.read_text().splitlines():
            mark, sha = line.split()
            by_mark[int(mark[1:])] = sha
    return [by_mark[i + 1] for i in range(len(commits))]


def build_repo_with_shas(
    path: Path,
    commits: Sequence[CommitSpec],
    *,
    bare: bool = False,
    checkout: bool = True,
    prune_merged: bool = False,
) -> tuple[Path, list[str]]:
    """Like :func:`build_repo`, also returning the commit SHA of each spec, in list order."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main", "--template=", *(["--bare"] if bare else []))
    shas = _fast_import(path, commits) if commits else []
    git(path, "symbolic-ref", "HEAD", "refs/heads/main")
    has_main = any(spec.branch == "main" for spec in commits)
    if prune_merged and has_main:
        merged = git(path, "for-each-ref", "--merged=refs/heads/main", "--format=%(refname)", "refs/heads/")
        doomed = [ref for ref in merged.decode().splitlines() if ref != "refs/heads/main"]
        if doomed:
            git(path, "update-ref", "--stdin", stdin="".join(f"delete {r}\n" for r in doomed).encode())
    if not bare and checkout and has_main:
        git(path, "read-tree", "HEAD")
        git(path, "checkout-index", "-a", "-f", "-u")
    return path, shas


def build_repo(
    path: Path,
    commits: Sequence[CommitSpec],
    *,
    bare: bool = False,
    checkout: bool = True,
    prune_merged: bool = False,
) -> Path:
    """Create a repository at ``path`` holding ``commits``; HEAD is ``refs/heads/main``.

    ``checkout`` (non-bare only) fills index and work tree; ``prune_merged`` deletes branches
    other than main whose tips main contains, as a host does after merging a pull request.
    """
    return build_repo_with_shas(path, commits, bare=bare, checkout=checkout, prune_merged=prune_merged)[0]


# ---------------------------------------------------------------------------------------------------------
# A small hand-made history for exact assertions
# ---------------------------------------------------------------------------------------------------------

_SMALL_APP = "".join(f"def step_{i}(x):\n    return x + {i}\n\n" for i in range(10)).encode()
_SMALL_APP_2 = _SMALL_APP.replace(b"return x + 3\n", b"return x * 3\n") + b"def extra(x):\n    return -x\n"
_SMALL_APP_3 = _SMALL_APP_2.replace(b"def step_0(x):", b"def first_step(x):")
_SMALL_FEATURE = b'"""Feature module."""\n\n\ndef feature(a, b):\n    return a * b\n'
_SMALL_LOGO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 2


def small_history() -> list[CommitSpec]:
    """Five commits: add, modify + binary, side-branch commit, rename with edit, merge."""
    alice = Person("Alice Example", "alice@example.com")
    bob = Person("Bob Büilder", "bob@example.org")
    carol = Person("Carol Coder", "carol@example.net")
    return [
        CommitSpec(
            "Initial commit", alice, 1_600_000_000, tz="+0100",
            changes=(Change("README.md", b"# Demo\n\nA small project.\n"), Change("src/app.py", _SMALL_APP)),
        ),
        CommitSpec(
            "Multiply in step 3 and add logo\n\nThe logo is binary.\n\n"
            "Signed-off-by: Bob Büilder <bob@example.org>",
            bob, 1_600_086_400, committer=alice, committer_time=1_600_090_000, tz="-0500",
            changes=(Change("src/app.py", _SMALL_APP_2), Change("assets/logo.png", _SMALL_LOGO)),
        ),
        CommitSpec(
            "Add feature module", carol, 1_600_172_800, tz="+0530", branch="feature", parent=1,
            changes=(Change("src/feature.py", _SMALL_FEATURE),),
        ),
        CommitSpec(
            "Move app into core package", alice, 1_600_259_200, tz="+0100",
            changes=(Change("src/core/app.py", _SMALL_APP_3, rename_from="src/app.py"),),
        ),
        CommitSpec(
            "Merge branch 'feature'", bob, 1_600_345_600, tz="-0500", merge_of=(2,),
            changes=(Change("src/feature.py", _SMALL_FEATURE),),
        ),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Synthetic realistic histories
# ---------------------------------------------------------------------------------------------------------

_FIRST = ("Alice", "Bob", "Carol", "Dan", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
          "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yara")  # fmt: skip
_LAST = ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright",
         "Hughes", "Green", "Hall", "Wood", "Clarke", "Jackson")  # fmt: skip
_NON_ASCII_NAMES = ("José Álvarez", "Zoë Müller", "Łukasz Nowak", "田中 太郎", "Åsa Lindqvist",
                    "Chloé Dubois")  # fmt: skip
_TZS = ("+0000", "+0100", "+0200", "-0500", "-0800", "+0530", "+0900", "-0300", "+1000", "+0100", "-0400")
_WORDS = ("parser", "client", "cache", "config", "session", "router", "metric", "store", "queue", "worker",
          "token", "stream", "buffer", "report", "schema", "index", "event", "record", "batch", "filter",
          "retry", "limit", "export", "import", "render", "layout", "query", "commit", "review",
          "deploy")  # fmt: skip
_ACCENTED = ("café", "naïve", "Straße", "señal", "größe", "über", "日本語", "データ", "ключ", "λ-calculus")
_VARS = ("result", "value", "total", "count", "item", "data", "acc", "tmp")
_VERBS = ("Add", "Fix", "Update", "Refactor", "Remove", "Improve", "Handle", "Document", "Simplify",
          "Speed up", "Clean up", "Validate", "Log", "Cache", "Test")  # fmt: skip
_PREFIXES = ("", "", "", "", "feat: ", "fix: ", "docs: ", "refactor: ", "test: ", "chore: ", "perf: ")
_CODE_DIRS = {
    ".py": ("src/core", "src/api", "src/util", "tests", "tools"),
    ".js": ("web/js", "web/ui", "lib"),
}
_DOC_DIRS = ("docs", "docs/guide", "notes")
_SPECIAL_PATHS = ("docs/café/naïve.md", "src/日本.py", "docs/release notes.md", "web/ünï cödé/Straße.js")


@dataclass(frozen=True)
class _Author:
    main: Person
    alias: Person | None
    tz: str


_FOLD = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "Æ": "AE", "æ": "ae"})


def _ascii_slug(text: str) -> str:
    text = text.translate(_FOLD)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join(part.lower() for part in folded.split() if part)


def _make_authors(rng: random.Random, n: int, non_ascii: bool) -> list[_Author]:
    authors: list[_Author] = []
    seen: set[str] = set()
    for i in range(max(1, n)):
        if non_ascii and i % 4 == 3:
            name = _NON_ASCII_NAMES[(i // 4) % len(_NON_ASCII_NAMES)]
        else:
            name = f"{_FIRST[i % len(_FIRST)]} {_LAST[(i * 7 + i // len(_FIRST)) % len(_LAST)]}"
        while name in seen:
            name += " Jr"
        seen.add(name)
        slug = _ascii_slug(name) or f"dev{i}"
        person = Person(name, f"{slug}{i if slug.startswith('dev') else ''}@example.com")
        alias: Person | None = None
        if i % 4 == 1:  # every fourth author also commits under a second identity
            kind = (i // 4) % 3
            if kind == 0:
                alias = Person(name, f"{100 + i}+{slug.split('.')[0]}@users.noreply.example")
            elif kind == 1:
                alias = Person(slug.replace(".", ""), person.email)
            else:
                alias = Person(name.split()[0], f"{slug.split('.')[0]}@home.example")
        authors.append(_Author(person, alias, _TZS[rng.randrange(len(_TZS))]))
    return authors


def _mailmap(authors: Sequence[_Author]) -> bytes:
    lines = ["# Map alternative identities to one person."]
    for a in authors:
        if a.alias is None:
            continue
        if a.alias.email == a.main.email:
            lines.append(f"{a.main.name!s} <{a.main.email!s}>")
        else:
            lines.append(f"{a.main.name!s} <{a.main.email!s}> {a.alias.name!s} <{a.alias.email!s}>")
    return ("\n".join(lines) + "\n").encode()


_Content = list[str] | bytes


def _ext(path: str) -> str:
    dot = path.rfind(".")
    return path[dot:] if dot > path.rfind("/") else ""


class _Gen:
    """Mutable state of :func:`synthetic_history`; file contents are kept as lists of lines."""

    def __init__(self, rng: random.Random, non_ascii: bool) -> None:
        self.rng = rng
        self.non_ascii = non_ascii
        self.counter = 0

    # -- text -------------------------------------------------------------------------------------------
    def word(self) -> str:
        return self.rng.choice(_WORDS)

    def prose(self, n_words: int) -> str:
        rng = self.rng
        words = [rng.choice(_ACCENTED) if self.non_ascii and rng.random() < 0.06 else rng.choice(_WORDS)
                 for _ in range(n_words)]  # fmt: skip
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def statement(self, ind: str, js: bool) -> str:
        rng = self.rng
        v, n, w = rng.choice(_VARS), rng.randrange(1, 100), self.word()
        k = rng.randrange(9)
        if k == 0:
            s = f"{v} = a + {n}"
        elif k == 1:
            s = f"{v} = {w}_{self.word()}(a, {n})"
        elif k == 2:
            s = f"if (a > {n}) {{ {v} = a - b; }}" if js else f"if a > {n}: {v} = a - b"
        elif k == 3:
            s = f"for (let i = 0; i < {n}; i++) {{ {v} += i; }}" if js else f"for i in range({n}): {v} += i"
        elif k == 4:
            return f"{ind}{'//' if js else '#'} {self.prose(rng.randrange(3, 9))}"
        elif k == 5:
            s = f"{v} = a.filter((x) => x % {n});" if js else f"{v} = [x for x in range(a) if x % {n}]"
        elif k == 6:
            s = f"{v} = a ? b : {n}" if js else f"{v} = a if a else {n}"
        elif k == 7:
            text = rng.choice(_ACCENTED) if self.non_ascii and rng.random() < 0.3 else w
            s = f'{v} = "{text} {n}"'
        else:
            s = f"while (b > {n}) {{ b -= 1; }}" if js else f"while b > {n}: b -= 1"
        return f"{ind}{s}{';' if js and not s.endswith(('}', ';')) else ''}"

    def function(self, js: bool) -> list[str]:
        self.counter += 1
        name = f"{self.word()}_{self.word()}_{self.counter}"
        ind = "  " if js else "    "
        body = [self.statement(ind, js) for _ in range(self.rng.randrange(1, 7))]
        ret = f"{ind}return {self.rng.choice(_VARS[:4])}{';' if js else ''}"
        if js:
            return [f"function {name}(a, b) {{", f"{ind}let {', '.join(_VARS)};", *body, ret, "}", ""]
        return [f"def {name}(a, b):", *body, ret, "", ""]

    def new_code(self, js: bool) -> list[str]:
        if js:
            lines = ["'use strict';", "", f"const {self.word()}Module = require('./{self.word()}');", ""]
        else:
            lines = [f'"""{self.prose(6)}"""', "", "from __future__ import annotations", "", "import os"]
            lines += ["", ""]
        while len(lines) < 20 or self.rng.random() < 0.5:
            lines += self.function(js)
        return lines

    def new_doc(self) -> list[str]:
        lines = [f"# {self.prose(3)[:-1]}", ""]
        for _ in range(self.rng.randrange(4, 12)):
            lines += self.paragraph()
        return lines

    def paragraph(self) -> list[str]:
        rng = self.rng
        if rng.random() < 0.2:
            return [f"## {self.prose(rng.randrange(2, 5))[:-1]}", ""]
        if rng.random() < 0.3:
            return [f"- {self.prose(rng.randrange(3, 8))}" for _ in range(rng.randrange(2, 5))] + [""]
        return [self.prose(rng.randrange(6, 14)) for _ in range(rng.randrange(1, 4))] + [""]

    def binary(self) -> bytes:
        rng = self.rng
        return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(rng.randrange(200, 3000))

    def new_path(self, kind: str) -> str:
        self.counter += 1
        if kind in _CODE_DIRS:
            return f"{self.rng.choice(_CODE_DIRS[kind])}/{self.word()}_{self.counter}{kind}"
        if kind == ".md":
            return f"{self.rng.choice(_DOC_DIRS)}/{self.word()}-{self.counter}.md"
        return f"assets/{self.word()}_{self.counter}.png"

    def new_content(self, path: str) -> list[str]:
        ext = _ext(path)
        return self.new_code(ext == ".js") if ext in _CODE_DIRS else self.new_doc()

    # -- edits ------------------------------------------------------------------------------------------
    def edit(self, lines: list[str], path: str, hunks: int) -> None:
        """Insert, delete and change lines in place, keeping code files syntactically valid."""
        ext = _ext(path)
        for _ in range(hunks):
            if ext in _CODE_DIRS:
                self._edit_code(lines, ext == ".js")
            else:
                self._edit_doc(lines)

    def _edit_doc(self, lines: list[str]) -> None:
        rng = self.rng
        op = rng.random()
        big = len(lines) > 100
        at = rng.randrange(len(lines) + 1)
        if (op < 0.4 and not big) or len(lines) < 8:
            lines[at:at] = self.paragraph()
        elif op < 0.7:
            del lines[at : at + rng.randrange(1, 5)]
        else:
            for i in range(at, min(at + rng.randrange(1, 3), len(lines))):
                lines[i] = self.prose(rng.randrange(5, 12))

    def _edit_code(self, lines: list[str], js: bool) -> None:
        # Body lines (indented, never the `let`/`return` lines) can be inserted before, deleted or replaced
        # one at a time without breaking syntax; whole functions go before a `def`/`function` line or at end.
        rng = self.rng
        ind = "  " if js else "    "
        fixed = (f"{ind}return", f"{ind}let ")
        op = rng.random()
        big = len(lines) > 160
        start = rng.randrange(len(lines))
        body = next((i for i in range(start, len(lines)) if lines[i].startswith(ind)), None)
        if body is None:
            body = next((i for i in range(start) if lines[i].startswith(ind)), None)
        if body is None or (op < 0.12 and not big):
            at = next((i for i in range(start, len(lines)) if lines[i].startswith(("def ", "function "))),
                      len(lines))  # fmt: skip
            lines[at:at] = self.function(js)
        elif op < 0.5 and not big:
            if lines[body].startswith(fixed[1]):
                body += 1  # after a JS function's `let` line
            lines[body:body] = [self.statement(ind, js) for _ in range(rng.randrange(1, 5))]
        elif op < 0.75:
            for _ in range(rng.randrange(1, 4)):
                if body < len(lines) and lines[body].startswith(ind) and not lines[body].startswith(fixed):
                    del lines[body]
        else:
            for i in range(body, min(body + rng.randrange(1, 3), len(lines))):
                if lines[i].startswith(ind) and not lines[i].startswith(fixed):
                    lines[i] = self.statement(ind, js)

    # -- messages ---------------------------------------------------------------------------------------
    def message(self, subject: str | None, authors: Sequence[_Author], author: Person) -> str:
        rng = self.rng
        if subject is None:
            subject = f"{rng.choice(_PREFIXES)}{rng.choice(_VERBS)} {self.word()} {self.word()}"
            if rng.random() < 0.15:
                subject += f" (#{rng.randrange(1, 2000)})"
            if self.non_ascii and rng.random() < 0.03:
                subject += f" for {rng.choice(_ACCENTED)}"
        parts = [subject]
        if rng.random() < 0.35:
            parts.append("\n".join(self.prose(rng.randrange(6, 12)) for _ in range(rng.randrange(1, 4))))
        trailers: list[str] = []
        if rng.random() < 0.1:
            other = rng.choice(authors).main
            if other != author:
                trailers.append(f"Co-authored-by: {other.name!s} <{other.email!s}>")
        if rng.random() < 0.2:
            trailers.append(f"Signed-off-by: {author.name!s} <{author.email!s}>")
        if trailers:
            parts.append("\n".join(trailers))
        return "\n\n".join(parts) + "\n"


def _content_bytes(content: _Content) -> bytes:
    return content if isinstance(content, bytes) else ("\n".join(content) + "\n").encode()


def synthetic_history(
    n_commits: int,
    *,
    seed: int = 1,
    n_authors: int = 12,
    start: int = 1_600_000_000,
    span_days: int = 730,
    merge_every: int = 25,
    rename_every: int = 40,
    delete_every: int = 60,
    binary_every: int = 70,
    non_ascii: bool = True,
    mailmap: bool = True,
    files_per_commit: tuple[int, int] = (1, 6),
    n_files: int = 200,
) -> list[CommitSpec]:
    """A deterministic, realistic history of exactly ``n_commits`` commits, all reachable from main.

    Every ``*_every`` commits (0 disables) a topic branch, rename, deletion or binary change is due.
    A topic branch gets 2-3 commits interleaved with 1-2 main commits and is merged with a two-parent
    merge commit; main does not touch the branch's files meanwhile, so the merge is conflict-free.
    Author and committer times strictly increase along the list.
    """
    rng = random.Random(seed)
    gen = _Gen(rng, non_ascii)
    authors = _make_authors(rng, n_authors, non_ascii)
    cum_weights: list[float] = []
    total = 0.0
    for i in range(len(authors)):
        total += 1.0 / (1 + i) ** 0.9  # a few heavy committers, a long tail
        cum_weights.append(total)
    maintainers = authors[: max(1, min(2, len(authors)))]

    span = max(1, span_days * 86_400)
    times: list[int] = []
    for i in range(n_commits):
        t = start + (i * span) // max(1, n_commits) + rng.randrange(max(1, span // max(1, n_commits) // 2))
        times.append(max(t, times[-1] + 2) if times else t)

    files: dict[str, _Content] = {}  # main's tree
    protected = {".mailmap", "README.md", *_SPECIAL_PATHS}
    commits: list[CommitSpec] = []
    due = {"rename": False, "delete": False, "binary": False}
    plan: list[str] = []  # roles of upcoming commits while a topic branch is open: topic / main / merge
    topic_branch = ""
    topic_files: dict[str, _Content] = {}
    topic_reserved: set[str] = set()
    topic_author = authors[0]
    topic_last = -1
    topic_no = 0
    last_main = -1

    def pick_author() -> tuple[_Author, Person]:
        a = rng.choices(authors, cum_weights=cum_weights)[0]
        use_alias = a.alias is not None and rng.random() < 0.35
        return a, (a.alias if use_alias and a.alias is not None else a.main)

    def spec(
        i: int,
        message: str,
        author: _Author,
        person: Person,
        changes: list[Change],
        *,
        branch: str = "main",
        parent: int | None = None,
        merge_of: tuple[int, ...] = (),
        applied: bool = False,
    ) -> None:
        nonlocal last_main
        committer: Person | None = None
        time, ctime = times[i], None
        if applied and i > 0:
            m = rng.choice(maintainers)
            if m is not author:  # a maintainer applied the patch a little after it was written
                committer, ctime = m.main, times[i]
                time = times[i] - rng.randrange(1, times[i] - times[i - 1])
        if branch == "main":
            last_main = len(commits)
        commits.append(
            CommitSpec(message=message, author=person, time=time, committer=committer, committer_time=ctime,
                       tz=author.tz, changes=tuple(changes), branch=branch, parent=parent, merge_of=merge_of)
        )  # fmt: skip

    for i in range(n_commits):
        remaining = n_commits - i
        for key, every in (("rename", rename_every), ("delete", delete_every), ("binary", binary_every)):
            if every > 0 and i > 0 and i % every == 0:
                due[key] = True
        author, person = pick_author()

        # -- bootstrap commits ----------------------------------------------------------------------
        if i == 0:
            files["README.md"] = ["# Project", "", gen.prose(12), ""]
            changes = [Change("README.md", _content_bytes(files["README.md"]))]
            for kind in (".py", ".py", ".py", ".js", ".js", ".md"):
                path = gen.new_path(kind)
                files[path] = gen.new_content(path)
                changes.append(Change(path, _content_bytes(files[path])))
            if non_ascii and n_commits < 3:
                for path in _SPECIAL_PATHS:
                    files[path] = gen.new_content(path)
                    changes.append(Change(path, _content_bytes(files[path])))
            if mailmap and n_commits < 2:
                changes.append(Change(".mailmap", _mailmap(authors)))
            spec(i, "Initial commit\n", author, person, changes)
            continue
        if i == 1 and mailmap:
            files[".mailmap"] = _mailmap(authors)
            spec(i, "Add .mailmap\n", author, author.main, [Change(".mailmap", _mailmap(authors))])
            continue
        if i == 2 and non_ascii:
            changes = []
            for path in _SPECIAL_PATHS:
                files[path] = gen.new_content(path)
                changes.append(Change(path, _content_bytes(files[path])))
            spec(i, gen.message("Add localized docs and modules", authors, person), author, person, changes)
            continue

        # -- topic branches -------------------------------------------------------------------------
        if not plan and merge_every > 0 and i % merge_every == 0 and remaining >= 4:
            k = rng.choice((2, 3))
            m = rng.choice((1, 2))
            while k + m + 1 > remaining:
                m, k = (m - 1, k) if m > 1 else (m, k - 1)
            middle = ["topic"] * (k - 1) + ["main"] * m
            rng.shuffle(middle)
            plan = ["topic", *middle, "merge"]
            topic_no += 1
            topic_branch = f"topic/{gen.word()}-{topic_no}"
            topic_files = {}
            candidates = [p for p, c in files.items() if isinstance(c, list) and p not in protected]
            topic_reserved = set(rng.sample(candidates, min(len(candidates), rng.randrange(1, 3))))
            topic_author = authors[rng.randrange(len(authors))]
            topic_last = -1
        role = plan.pop(0) if plan else "main"

        if role == "topic":
            changes = []
            room = len(files) + len(topic_files) < n_files
            if (topic_last < 0 or rng.random() < 0.3) and (room or not topic_reserved):
                path = gen.new_path(rng.choice((".py", ".js", ".md")))
                topic_files[path] = gen.new_content(path)
                changes.append(Change(path, _content_bytes(topic_files[path])))
            for path in sorted(topic_reserved):
                if rng.random() < 0.7 or not changes:
                    content = topic_files.get(path, files[path])
                    assert isinstance(content, list)
                    lines = list(content)
                    gen.edit(lines, path, rng.randrange(1, 4))
                    topic_files[path] = lines
                    changes.append(Change(path, _content_bytes(lines)))
            if not changes:
                path = gen.new_path(".md")
                topic_files[path] = gen.new_content(path)
                changes.append(Change(path, _content_bytes(topic_files[path])))
            parent = last_main if topic_last < 0 else topic_last
            topic_last = len(commits)
            who = topic_author.main
            msg = gen.message(None, authors, who)
            spec(i, msg, topic_author, who, changes, branch=topic_branch, parent=parent)
            continue
        if role == "merge":
            m_author = rng.choice(maintainers)
            changes = [Change(p, _content_bytes(c)) for p, c in sorted(topic_files.items())]
            files.update(topic_files)
            if rng.random() < 0.5:
                msg = f"Merge branch '{topic_branch}'\n"
            else:
                login = _ascii_slug(str(topic_author.main.name)).split(".")[0] or "dev"
                msg = (f"Merge pull request #{100 + topic_no} from {login}/{topic_branch}\n\n"
                       f"{gen.prose(rng.randrange(4, 9))}\n")  # fmt: skip
            spec(i, msg, m_author, m_author.main, changes, merge_of=(topic_last,))
            topic_reserved = set()
            topic_files = {}
            continue

        # -- regular main commits -------------------------------------------------------------------
        movable: list[str] = []
        if due["rename"] or due["delete"]:
            movable = [p for p, c in files.items() if p not in protected and p not in topic_reserved
                       and isinstance(c, list) and len(c) >= 12]  # fmt: skip
        if due["rename"] and movable:
            due["rename"] = False
            old = rng.choice(movable)
            content = files.pop(old)
            assert isinstance(content, list)
            lines = list(content)
            for _ in range(rng.randrange(0, 3)):  # a small edit keeps similarity far above 50%
                j = rng.randrange(len(lines))
                lines[j] = lines[j] + " "
            new = gen.new_path(_ext(old))
            files[new] = lines
            msg = gen.message(f"Move {old.rsplit('/', 1)[-1]} to {new.rsplit('/', 1)[0]}", authors, person)
            spec(i, msg, author, person, [Change(new, _content_bytes(lines), rename_from=old)])
            continue
        if due["delete"] and len(movable) > 5:
            due["delete"] = False
            old = rng.choice(movable)
            del files[old]
            msg = gen.message(f"Remove obsolete {old.rsplit('/', 1)[-1]}", authors, person)
            spec(i, msg, author, person, [Change(old)])
            continue
        if due["binary"]:
            due["binary"] = False
            binaries = [p for p, c in files.items() if isinstance(c, bytes) and p != ".mailmap"]
            fresh = not binaries or (len(files) < n_files and rng.random() < 0.5)
            path = gen.new_path(".png") if fresh else rng.choice(binaries)
            data = gen.binary()
            files[path] = data
            spec(i, gen.message(f"Update {path.rsplit('/', 1)[-1]}", authors, person), author, person,
                 [Change(path, data)])  # fmt: skip
            continue

        n_touch = rng.randint(*files_per_commit)
        keys = list(files)
        chosen = [p for p in rng.sample(keys, min(len(keys), n_touch + 3))
                  if isinstance(files[p], list) and p not in topic_reserved][:n_touch]  # fmt: skip
        changes = []
        if len(files) < n_files and (rng.random() < 0.25 * (1 - len(files) / n_files) + 0.03 or not chosen):
            path = gen.new_path(rng.choice((".py", ".py", ".js", ".md")))
            files[path] = gen.new_content(path)
            changes.append(Change(path, _content_bytes(files[path])))
        for path in chosen:
            content = files[path]
            assert isinstance(content, list)
            gen.edit(content, path, rng.randrange(1, 4))
            changes.append(Change(path, _content_bytes(content)))
        spec(i, gen.message(None, authors, person), author, person, changes, applied=rng.random() < 0.1)
    return commits
