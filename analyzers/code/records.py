"""What measuring one file version yields. Frozen records, shared by every engine."""

from __future__ import annotations

from dataclasses import dataclass

# Why a file version was not measured (BlobMeasurement.status).
STATUS_OK = "ok"
STATUS_PARSE_ERROR = "parse_error"  # measured what could be: lines and markers, no functions
STATUS_BINARY = "binary"
STATUS_TOO_LARGE = "too_large"  # over MAX_BLOB_BYTES
STATUS_UNSUPPORTED = "unsupported"  # no engine for the language
STATUS_NOT_UTF8 = "not_utf8"  # decoded with replacement characters; measured anyway
STATUS_MINIFIED = "minified"  # lines too long to be written by people; kept so it is never read again
ENGINE_NONE = "none"  # too large, binary, minified or unsupported: no engine read the blob

MAX_BLOB_BYTES = 1 << 20
DUPLICATE_WINDOW_LINES = 10  # a duplicated block is this many consecutive normalised code lines (as Sonar)


@dataclass(frozen=True, slots=True)
class FunctionMetrics:
    qualified_name: str  # Class.method, outer.inner, <lambda>@12 …
    start_line: int  # 1-based, inclusive
    end_line: int
    cyclomatic: int  # McCabe, as radon counts for Python; see each engine for its decision points
    cognitive: int  # SonarSource's cognitive complexity (2017 paper)
    length: int  # lines from start to end, inclusive
    max_nesting: int  # deepest nesting of control structures inside the function
    parameters: int


@dataclass(frozen=True, slots=True)
class DebtMarker:
    line: int
    kind: str  # TODO, FIXME, HACK, XXX
    text: str  # the comment text after the marker, trimmed to 200 characters


@dataclass(frozen=True, slots=True)
class BlobMeasurement:
    language: str  # python, javascript, typescript, tsx, go, java, rust, c, cpp
    engine: str  # radon or tree-sitter
    status: str
    reason: str  # empty when status is ok
    lines_total: int
    lines_code: int
    lines_comment: int
    lines_blank: int
    functions: tuple[FunctionMetrics, ...]
    markers: tuple[DebtMarker, ...]
    maintainability: float | None  # radon's MI (0-100), Python only
    halstead_volume: float | None  # Python only
    # (first line, hash) of every window of DUPLICATE_WINDOW_LINES consecutive normalised code lines
    # (whitespace stripped; blank and comment-only lines dropped): equal hashes are duplicated blocks.
    block_hashes: tuple[tuple[int, int], ...] = ()


class ParseFailure(Exception):
    """A source the engine cannot parse; the message says where (`line 12: unexpected token`)."""


@dataclass(frozen=True, slots=True)
class ParsedSource:
    """What the tree-sitter engine reads from one source: functions and where code and comments are."""

    functions: tuple[FunctionMetrics, ...]
    code_lines: frozenset[int]  # 1-based lines holding at least one non-comment token
    comment_lines: frozenset[int]  # 1-based lines holding comment text
    comments: tuple[tuple[int, str], ...]  # (first line, text) of every comment, for debt markers
    error: str  # "" for a clean tree; else where the first ERROR/MISSING node is, e.g. "line 3: syntax error"
