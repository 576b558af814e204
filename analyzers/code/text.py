"""Line counts, debt markers and duplicated-block hashes: the same definitions for every language.

An engine says which lines hold code and which hold comments; everything here follows from that:

- lines_total: physical lines (split at "\\n"; a final newline does not start another line).
- lines_code: lines holding at least one token that is not a comment.
- lines_comment: lines holding comment text, including a comment that trails code, so a line can count as
  code and as comment. Python docstrings are comment text (as in radon and Sonar).
- lines_blank: lines holding neither (whitespace only, or blank lines inside a multi-line comment/docstring).
  lines_total = lines_code + lines_blank + comment-only lines.

Debt markers are the words TODO, FIXME, HACK and XXX, upper case and whole words, in comment text only (never
in strings or code); one marker per comment line, the first on it.

Block hashes: the code lines are normalised (comments cut out, all whitespace removed; lines left empty or
holding only punctuation such as `});` are dropped); every window of DUPLICATE_WINDOW_LINES consecutive
normalised lines gives (original line of its first line, hash), the hash being the first 8 bytes of
BLAKE2b over the window's lines joined by "\\n", as a signed 64-bit integer so it fits an SQLite INTEGER.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import string
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass

from devmetrics.analyzers.code.records import (
    DUPLICATE_WINDOW_LINES,
    STATUS_OK,
    STATUS_PARSE_ERROR,
    BlobMeasurement,
    DebtMarker,
    ParsedSource,
)

ENGINE_TREE_SITTER = "tree-sitter"
MARKER_KINDS = ("TODO", "FIXME", "HACK", "XXX")
MARKER_TEXT_CHARS = 200
_MARKER = re.compile(r"\b(" + "|".join(MARKER_KINDS) + r")\b")
_MARKER_TEXT_LEAD = " \t:-–—"
_BLOCK_COMMENT_END = "*/"

Comment = tuple[int, str]  # (first line, text)


@dataclass(frozen=True, slots=True)
class LineCounts:
    total: int
    code: int
    comment: int
    blank: int


def split_lines(text: str) -> list[str]:
    """The physical lines of `text`, without their line ends."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def count_lines(total: int, code_lines: Set[int], comment_lines: Set[int]) -> LineCounts:
    """Counts for `total` lines of which `code_lines` hold code and `comment_lines` hold comment text."""
    code = sum(1 for line in code_lines if 1 <= line <= total)
    comment = sum(1 for line in comment_lines if 1 <= line <= total)
    either = sum(1 for line in code_lines | comment_lines if 1 <= line <= total)
    return LineCounts(total=total, code=code, comment=comment, blank=total - either)


def find_markers(comments: Iterable[Comment]) -> tuple[DebtMarker, ...]:
    """The debt markers in the comments, in line order."""
    markers = []
    for first_line, text in comments:
        for offset, line in enumerate(text.split("\n")):
            marker = _marker_on_line(first_line + offset, line)
            if marker is not None:
                markers.append(marker)
    markers.sort(key=lambda marker: marker.line)
    return tuple(markers)


def _marker_on_line(line_number: int, line: str) -> DebtMarker | None:
    found = _MARKER.search(line)
    if found is None:
        return None
    rest = line[found.end() :].strip()
    rest = rest.removesuffix(_BLOCK_COMMENT_END).strip().lstrip(_MARKER_TEXT_LEAD).strip()
    return DebtMarker(line=line_number, kind=found.group(1), text=rest[:MARKER_TEXT_CHARS])


def block_hashes(
    lines: Sequence[str], code_lines: Set[int], comments: Iterable[Comment]
) -> tuple[tuple[int, int], ...]:
    """(first line, hash) of every window of DUPLICATE_WINDOW_LINES consecutive normalised code lines."""
    code_text = _without_comments(lines, code_lines, comments)
    numbers: list[int] = []
    encoded: list[bytes] = []
    for number in sorted(code_text):
        normalised = _normalise(code_text[number])
        if _is_significant(normalised):
            numbers.append(number)
            encoded.append(normalised.encode("utf-8", errors="surrogatepass"))
    if len(encoded) < DUPLICATE_WINDOW_LINES:
        return ()
    # Each window is a slice of all kept lines joined by newlines: the bytes `stable_hash` would hash.
    joined = b"\n".join(encoded)
    starts = list(itertools.accumulate((len(line) + 1 for line in encoded), initial=0))
    return tuple(
        (numbers[first], _hash_bytes(joined[starts[first] : starts[first + DUPLICATE_WINDOW_LINES] - 1]))
        for first in range(len(encoded) - DUPLICATE_WINDOW_LINES + 1)
    )


def stable_hash(text: str) -> int:
    """A 64-bit hash of `text` that is the same in every process (unlike the salted built-in hash())."""
    return _hash_bytes(text.encode("utf-8", errors="surrogatepass"))


def _hash_bytes(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


def _without_comments(lines: Sequence[str], code_lines: Set[int], comments: Iterable[Comment]) -> dict[int, str]:
    """The text of each code line with the comments on it cut out."""
    code_text = {number: lines[number - 1] for number in code_lines if 1 <= number <= len(lines)}
    for first_line, text in comments:
        comment_lines = text.split("\n")
        _cut(code_text, first_line, comment_lines[0], from_end=True)
        if len(comment_lines) > 1:
            _cut(code_text, first_line + len(comment_lines) - 1, comment_lines[-1], from_end=False)
    return code_text


def _cut(code_text: dict[int, str], number: int, piece: str, *, from_end: bool) -> None:
    line = code_text.get(number)
    if line is None or not piece:
        return
    at = line.rfind(piece) if from_end else line.find(piece)
    if at >= 0:
        code_text[number] = line[:at] + line[at + len(piece) :]


def _normalise(line: str) -> str:
    return "".join(line.split())  # str.split's whitespace is exactly the regex \s


def _is_significant(normalised: str) -> bool:
    return bool(normalised.strip(string.punctuation))  # something other than punctuation


def measurement_from_parsed(language: str, text: str, parsed: ParsedSource) -> BlobMeasurement:
    """A tree-sitter measurement: what `parsed` says, with lines, markers and block hashes from the text."""
    lines = split_lines(text)
    counts = count_lines(len(lines), parsed.code_lines, parsed.comment_lines)
    return BlobMeasurement(
        language=language,
        engine=ENGINE_TREE_SITTER,
        status=STATUS_PARSE_ERROR if parsed.error else STATUS_OK,
        reason=parsed.error,
        lines_total=counts.total,
        lines_code=counts.code,
        lines_comment=counts.comment,
        lines_blank=counts.blank,
        functions=() if parsed.error else parsed.functions,
        markers=find_markers(parsed.comments),
        maintainability=None,
        halstead_volume=None,
        block_hashes=block_hashes(lines, parsed.code_lines, parsed.comments),
    )
