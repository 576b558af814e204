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

MAX_BLOB_BYTES = 1 << 20


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
    block_hashes: tuple[int, ...] = ()  # hashes of normalised windows of code lines, for duplication
