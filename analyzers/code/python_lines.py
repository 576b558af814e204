"""radon's raw line counts of a Python source, from one tokenization.

radon's `raw.analyze` strips every line and tokenizes from each line that starts a group until the group
tokenizes without error: a group is a logical line (with the blank and comment lines inside its brackets),
a comment-only line, or a blank line. A group that is only a string is a docstring; one that is only a
comment is a comment line; in every other group each non-empty line is a source line. `scan_lines` forms
the same groups from one token stream, so the numbers are radon's, and also tells which lines hold code,
comments and docstrings, and the text of every comment.

Two token streams feed the same classification:
- `tokenize` (pure Python): any source, valid or not;
- for a source known to parse, on CPython 3.11, the interpreter's own C tokenizer (about 10x faster:
  `tokenize` is most of a file's measuring time). It yields no COMMENT or NL tokens, so comments are found
  as the first `#` of a line outside every string token. From 3.12 on, `tokenize` itself runs on the C
  tokenizer, so the pure stream is used there.

Two rare shapes neither stream can reproduce go through `radon.raw.analyze` itself when the file has at most
RADON_RAW_MAX_LINES lines: line breaks other than \\n and \\r\\n (str.splitlines, which radon uses, also breaks
at form feeds and U+2028), and a backslash continued into a blank line.
"""

from __future__ import annotations

import importlib
import io
import sys
import token
import tokenize
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, AnyStr

from radon.raw import _logical, analyze

from devmetrics.analyzers.code import text

_SKIPPED_TOKENS = frozenset({tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})
_LINE_END_TOKENS = frozenset({tokenize.NL, tokenize.NEWLINE})
_LOGICAL_SEPARATORS = frozenset({":", ";"})
_END_TOKEN = tokenize.TokenInfo(tokenize.ENDMARKER, "", (0, 0), (0, 0), "")
# The C tokenizer's exact operator types that radon's `_logical` looks for, as the (OP, text) it expects.
_SEPARATOR_TOKENS = {token.COLON: (tokenize.OP, ":"), token.SEMI: (tokenize.OP, ";")}
_NOT_IN_GROUPS = frozenset({token.INDENT, token.DEDENT, token.ENDMARKER, token.NL, token.COMMENT})
# radon.raw.analyze re-tokenizes a statement once per line it spans (quadratic: minutes for a large data
# literal); it is only called for the rare source the single pass cannot reproduce, and only when small.
RADON_RAW_MAX_LINES = 2000


@dataclass(frozen=True, slots=True)
class RawCounts:
    """radon.raw.analyze's numbers (its Module namedtuple), typed."""

    loc: int
    lloc: int
    sloc: int
    comments: int
    multi: int
    blank: int
    single_comments: int


@dataclass(frozen=True, slots=True)
class PythonLines:
    """What one tokenization tells about a Python source."""

    raw: RawCounts
    code_lines: frozenset[int]  # radon's source lines (sloc)
    comment_lines: frozenset[int]  # lines with a # comment, and docstring lines
    comments: tuple[tuple[int, str], ...]  # (line, text) of every # comment

    def line_counts(self) -> text.LineCounts:
        """radon's numbers under the definitions shared by every language (text.py)."""
        return text.LineCounts(
            total=self.raw.loc, code=self.raw.sloc, comment=len(self.comment_lines), blank=self.raw.blank
        )


def _c_tokenizer() -> Callable[[str], Iterable[tuple[Any, ...]]] | None:
    """CPython 3.11's `_tokenize.TokenizerIter(source)`: (text, type, line, end line, byte column, end byte
    column, line text) tuples. Its signature changed in 3.12, where `tokenize` uses it anyway."""
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
        return None
    try:
        iterator: Callable[[str], Iterable[tuple[Any, ...]]] = importlib.import_module("_tokenize").TokenizerIter
    except (ImportError, AttributeError):
        return None
    return iterator


_TOKENIZER_ITER = _c_tokenizer()


def scan_lines(source: str, *, parses: bool = False) -> PythonLines:
    """Tokenize once; raises tokenize.TokenError or SyntaxError when the source cannot be tokenized.
    `parses`: `ast.parse` accepted the source, so the C tokenizer may be used."""
    physical = text.split_lines(source)
    scan = _LineScan(physical)
    if parses and compiled_stream_applies(source):
        scan.read_compiled(source)
    else:
        scan.read(list(tokenize.generate_tokens(io.StringIO(source).readline)))
    raw = scan.counts() if _has_plain_line_breaks(source, len(physical)) else None
    if raw is None and len(physical) <= RADON_RAW_MAX_LINES:
        raw = _radon_raw(source)
    return PythonLines(
        raw=raw if raw is not None else scan.unchecked_counts(),
        code_lines=frozenset(scan.code_lines),
        comment_lines=frozenset(scan.comment_lines | scan.docstring_lines),
        comments=tuple(scan.comments),
    )


def compiled_stream_applies(source: str) -> bool:
    """The C tokenizer is there and reads the lines as `tokenize` does: it also ends a line at a lone \\r."""
    return _TOKENIZER_ITER is not None and ("\r" not in source or source.count("\r") == source.count("\r\n"))


def _has_plain_line_breaks(source: str, physical_lines: int) -> bool:
    """True when str.splitlines (which radon uses) agrees with the tokenizer on where lines end."""
    return len(source.splitlines()) == physical_lines


def _radon_raw(source: str) -> RawCounts:
    module = analyze(source)
    return RawCounts(*(int(value) for value in module))


@dataclass(slots=True)
class _Group:
    """One logical line of the C token stream."""

    first: int  # line of its first token
    column: int  # byte column of its first token
    last: int  # end line of its last token
    newline: int  # line of its NEWLINE token
    lone_string: bool  # its only token is a string
    tokens: list[tuple[int, str]]  # (type, text), as radon's `_logical` reads them
    separated: bool = False  # a : or ; is among them: radon's `_logical` counts its logical lines
    commented: bool = False  # a comment is inside it


class _LineScan:
    """radon.raw.analyze's classification (see the module docstring), from one token stream."""

    def __init__(self, physical: Sequence[str]) -> None:
        self.physical = physical
        self.stripped = [line.strip() for line in physical]
        self.code_lines: set[int] = set()
        self.blank_lines: set[int] = set()
        self.comment_lines: set[int] = set()
        self.docstring_lines: set[int] = set()
        self.comments: list[tuple[int, str]] = []
        self.covered: set[int] = set()
        self.lloc = self.multi = self.single_comments = 0
        self.regrouped = False

    # --- the tokenize stream

    def read(self, tokens: Sequence[tokenize.TokenInfo]) -> None:
        group: list[tokenize.TokenInfo] = []
        for item in tokens:
            if item.type == tokenize.COMMENT:
                self.comments.append((item.start[0], item.string))
                self.comment_lines.add(item.start[0])
            if item.type in _SKIPPED_TOKENS or (not group and item.type in _LINE_END_TOKENS):
                continue
            if not group and item.type == tokenize.COMMENT:
                self._comment_line(item.start[0])
                continue
            group.append(item)
            if item.type == tokenize.NEWLINE:
                self._logical_line(group)
                group = []
        if group:
            self._logical_line(group)
        self._finish()

    def _logical_line(self, group: list[tokenize.TokenInfo]) -> None:
        # One pass over the group (this runs for every statement of every file): its last line, whether it
        # holds a `:` or `;`, and whether it is a lone string.
        first = last = group[0].start[0]
        significant = 0
        lone_string = separated = False
        for item in group:
            kind = item.type
            if kind == tokenize.NEWLINE:
                continue
            end = item.end[0]
            if end > last:
                last = end
            if kind == tokenize.NL:
                continue
            significant += 1
            lone_string = kind == tokenize.STRING and significant == 1
            separated = separated or (kind == tokenize.OP and item.string in _LOGICAL_SEPARATORS)
        # radon's logical lines (`if x: y` is two, `a; b` two): its own `_logical`, when a `:` or `;` may
        # make the group more than one.
        lloc = int(_logical([*group, _END_TOKEN])) if separated else 1
        self._statement(first, last, group[-1].start[0], lone_string, lloc)

    # --- the C tokenizer's stream

    def read_compiled(self, source: str) -> None:
        """The same classification from the C tokenizer's tokens of a source that parses."""
        assert _TOKENIZER_ITER is not None
        hashed = {number for number, line in enumerate(self.physical, start=1) if "#" in line}
        strings: dict[int, list[tuple[int, int]]] = {}  # line holding a # -> byte spans of strings on it
        in_string: set[int] = set()  # lines holding a # that are wholly inside a string
        groups = list(self._compiled_groups(_TOKENIZER_ITER(source), hashed, strings, in_string))
        self._place_comments(self._compiled_comments(hashed, strings, in_string), groups)
        for group in groups:
            lloc = int(_logical([*group.tokens, _END_TOKEN])) if group.separated else 1
            lone_string = group.lone_string and not group.commented
            self._statement(group.first, group.last, group.newline, lone_string, lloc)
        self._finish()

    @staticmethod
    def _compiled_groups(
        stream: Iterable[tuple[Any, ...]],
        hashed: set[int],
        strings: dict[int, list[tuple[int, int]]],
        in_string: set[int],
    ) -> Iterator[_Group]:
        group: _Group | None = None
        for content, kind, line, end_line, column, end_column, _ in stream:
            if kind == token.NEWLINE:
                if group is not None:
                    group.newline = line
                    yield group
                    group = None
                continue
            if kind in _NOT_IN_GROUPS:
                continue
            if kind == token.STRING and (line in hashed or end_line in hashed or end_line - line > 1):
                _note_string(line, end_line, column, end_column, hashed, strings, in_string)
            if group is None:
                group = _Group(line, column, end_line, end_line, kind == token.STRING, [])
            else:
                group.last = end_line
                group.lone_string = False
            separator = _SEPARATOR_TOKENS.get(kind)
            if separator is None:
                group.tokens.append((kind, content))
            else:
                group.tokens.append(separator)
                group.separated = True
        if group is not None:  # no NEWLINE at the very end
            group.newline = group.last
            yield group

    def _compiled_comments(
        self, hashed: set[int], strings: dict[int, list[tuple[int, int]]], in_string: set[int]
    ) -> Iterator[tuple[int, int, str]]:
        """(line, byte column, text) of every comment: the first # of a line outside every string."""
        for number in sorted(hashed - in_string):
            line = self.physical[number - 1]
            spans = strings.get(number, ())
            if line.isascii():
                found = _first_outside(line, "#", spans)
                if found >= 0:
                    yield number, found, line[found:]
            else:
                encoded = line.encode("utf-8", errors="surrogatepass")
                found = _first_outside(encoded, b"#", spans)
                if found >= 0:
                    yield number, found, encoded[found:].decode("utf-8", errors="surrogatepass")

    def _place_comments(self, comments: Iterable[tuple[int, int, str]], groups: Sequence[_Group]) -> None:
        """A comment inside a group's lines (after its first token) belongs to it; any other is a comment
        line of its own."""
        index = 0
        for number, column, content in comments:
            self.comments.append((number, content))
            self.comment_lines.add(number)
            while index < len(groups) and groups[index].newline < number:
                index += 1
            group = groups[index] if index < len(groups) else None
            if group is not None and (group.first, group.column) < (number, column):
                group.commented = True
            else:
                self._comment_line(number)

    # --- shared

    def _statement(self, first: int, last: int, newline: int, lone_string: bool, lloc: int) -> None:
        # A backslash continued into a blank line: radon's group then swallows the lines after it.
        self.regrouped |= newline > last
        numbers = range(first, last + 1)
        self.covered.update(numbers)
        self.lloc += lloc
        if lone_string:
            self._docstring(numbers)
        else:
            for number in numbers:
                self._classify(number)

    def _comment_line(self, number: int) -> None:
        self.covered.add(number)
        self.single_comments += 1

    def _finish(self) -> None:
        for number in range(1, len(self.stripped) + 1):
            if number not in self.covered:
                self._uncovered(number)

    def _docstring(self, numbers: range) -> None:
        if len(numbers) == 1:
            self.single_comments += 1
            self.docstring_lines.add(numbers[0])
            return
        for number in numbers:
            if self.stripped[number - 1]:
                self.multi += 1
                self.docstring_lines.add(number)
            else:
                self.blank_lines.add(number)

    def _uncovered(self, number: int) -> None:
        """A line outside every group: blank, or (never in code that tokenizes) text radon would group."""
        self._classify(number)
        self.regrouped |= bool(self.stripped[number - 1])

    def _classify(self, number: int) -> None:
        if self.stripped[number - 1]:
            self.code_lines.add(number)
        else:
            self.blank_lines.add(number)

    def counts(self) -> RawCounts | None:
        """radon's numbers, or None when the groups are not the ones radon would have built."""
        counts = self.unchecked_counts()
        if self.regrouped or counts.loc != len(self.stripped):
            return None
        return counts

    def unchecked_counts(self) -> RawCounts:
        sloc, blank = len(self.code_lines), len(self.blank_lines)
        return RawCounts(
            loc=sloc + blank + self.multi + self.single_comments,
            lloc=self.lloc,
            sloc=sloc,
            comments=len(self.comment_lines),
            multi=self.multi,
            blank=blank,
            single_comments=self.single_comments,
        )


def _note_string(
    line: int,
    end_line: int,
    column: int,
    end_column: int,
    hashed: set[int],
    strings: dict[int, list[tuple[int, int]]],
    in_string: set[int],
) -> None:
    """Record where a string token lies on the lines holding a # (its byte span on its first and last line;
    the lines between are wholly inside it)."""
    if line == end_line:
        strings.setdefault(line, []).append((column, end_column))
        return
    if line in hashed:
        strings.setdefault(line, []).append((column, sys.maxsize))
    if end_line in hashed:
        strings.setdefault(end_line, []).append((0, end_column))
    if end_line - line > 1:
        in_string.update(number for number in range(line + 1, end_line) if number in hashed)


def _first_outside(line: AnyStr, mark: AnyStr, spans: Sequence[tuple[int, int]]) -> int:
    """Where `mark` first occurs in `line` outside the (start, end) spans, in order; -1 when it does not."""
    position = 0
    for start, end in spans:
        found = line.find(mark, position, start)
        if found >= 0:
            return found
        position = end
    return line.find(mark, position)
