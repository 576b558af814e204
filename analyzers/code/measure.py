"""Measure one file version: the entry point the scan's workers call.

`measure_blob(content, path)` decides, in this order:

1. the language, from the path (or the shebang); None (not measured at all) for other files;
2. too_large when the content is over `max_bytes` (nothing parsed);
3. binary when a NUL byte is in the first 8000 bytes;
4. minified (JavaScript/TypeScript bundles: lines too long to be written by people): status minified, not
   measured; a language without a tree-sitter grammar: status unsupported;
5. the text: UTF-8 (a BOM is dropped); a Python file declaring another encoding (PEP 263 `# coding:`) is
   decoded with it, as Python does; anything else is decoded as UTF-8 with replacement characters and
   measured all the same, with status not_utf8 and a reason saying where the first bad byte is;
6. Python through python_engine (radon, tree-sitter as the fallback), the other languages through tree-sitter.

A parse error gives status parse_error with the reason; lines and markers are still counted. Nothing in the
content makes it raise: an engine failing on a blob (RecursionError on absurdly nested code, or a bug)
gives parse_error with the error in the reason and the lines counted from the text alone.
"""

from __future__ import annotations

import io
import sys
import tokenize
from dataclasses import replace
from importlib.metadata import version

from devmetrics.analyzers.code import python_engine, text, treesitter
from devmetrics.analyzers.code.detect import detect_language, is_binary, is_minified
from devmetrics.analyzers.code.records import (
    ENGINE_NONE,
    MAX_BLOB_BYTES,
    STATUS_BINARY,
    STATUS_MINIFIED,
    STATUS_NOT_UTF8,
    STATUS_OK,
    STATUS_PARSE_ERROR,
    STATUS_TOO_LARGE,
    STATUS_UNSUPPORTED,
    BlobMeasurement,
)

# Not in records.py yet: minified bundles are skipped like binaries, with their own status.
HEAD_BYTES = 256  # enough for a shebang line


def _analyzer_version() -> str:
    # ast.parse reads more syntax on newer Pythons: a file tree-sitter measured on 3.11 goes to radon on 3.12.
    interpreter = f"{sys.implementation.name}={sys.version_info.major}.{sys.version_info.minor}"
    return f"code-1;radon={version('radon')};{interpreter};{treesitter.grammar_versions()}"


ANALYZER_VERSION: str = _analyzer_version()


def measure_blob(content: bytes, path: str, *, max_bytes: int = MAX_BLOB_BYTES) -> BlobMeasurement | None:
    """The measurement of one file version, or None when `path` is not in a supported language."""
    language = detect_language(path, content[:HEAD_BYTES])
    if language is None:
        return None
    if len(content) > max_bytes:
        reason = f"{len(content)} bytes, over the limit of {max_bytes}"
        return not_measured(language, content, STATUS_TOO_LARGE, reason)
    if is_binary(content):
        return not_measured(language, content, STATUS_BINARY, "a NUL byte in the first 8000 bytes")
    if is_minified(content, language):
        return not_measured(language, content, STATUS_MINIFIED, "minified: lines too long to be written by people")
    if language != python_engine.LANGUAGE and language not in treesitter.SUPPORTED:
        return not_measured(language, content, STATUS_UNSUPPORTED, f"no tree-sitter grammar for {language}")
    source, decode_problem = decode(content, language)
    measured = _measure_text(source, language)
    if not decode_problem:
        return measured
    if measured.status == STATUS_OK:
        return replace(measured, status=STATUS_NOT_UTF8, reason=decode_problem)
    return replace(measured, reason=f"{measured.reason}; {decode_problem}")


def decode(content: bytes, language: str) -> tuple[str, str]:
    """(text, "") for a cleanly decoded file; (text with replacement characters, why) otherwise."""
    encoding = _declared_python_encoding(content) if language == python_engine.LANGUAGE else "utf-8-sig"
    try:
        return content.decode(encoding), ""
    except (UnicodeDecodeError, LookupError) as error:
        where = f" at byte {error.start}" if isinstance(error, UnicodeDecodeError) else ""
        named = "UTF-8" if encoding == "utf-8-sig" else encoding
        problem = f"not valid {named}{where}; decoded as UTF-8 with replacement characters"
        return content.decode("utf-8", errors="replace"), problem


def _declared_python_encoding(content: bytes) -> str:
    """The encoding a Python file declares (PEP 263 cookie or BOM), utf-8-sig when it declares none."""
    try:
        declared, _ = tokenize.detect_encoding(io.BytesIO(content).readline)
    except SyntaxError:
        return "utf-8-sig"
    return "utf-8-sig" if declared == "utf-8" else declared


def _measure_text(source: str, language: str) -> BlobMeasurement:
    engine = python_engine.ENGINE_RADON if language == python_engine.LANGUAGE else text.ENGINE_TREE_SITTER
    try:
        if language == python_engine.LANGUAGE:
            return python_engine.measure(source)
        parsed = treesitter.parse_source(source.encode("utf-8"), language)
        return text.measurement_from_parsed(language, source, parsed)
    except Exception as error:  # a worker must survive any one blob; the reason records what failed
        return _lines_only(source, language, engine, f"{engine} failed: {type(error).__name__}: {error}")


def _lines_only(source: str, language: str, engine: str, reason: str) -> BlobMeasurement:
    """Counts from the text alone: every non-blank line is code; no comments, functions or markers."""
    lines = text.split_lines(source)
    code_lines = frozenset(number for number, line in enumerate(lines, start=1) if line.strip())
    counts = text.count_lines(len(lines), code_lines, frozenset())
    return BlobMeasurement(
        language=language,
        engine=engine,
        status=STATUS_PARSE_ERROR,
        reason=reason[:500],
        lines_total=counts.total,
        lines_code=counts.code,
        lines_comment=counts.comment,
        lines_blank=counts.blank,
        functions=(),
        markers=(),
        maintainability=None,
        halstead_volume=None,
    )


def not_measured(language: str, content: bytes, status: str, reason: str) -> BlobMeasurement:
    """A blob no engine read: only its physical lines are counted (none for a binary)."""
    lines = 0 if status == STATUS_BINARY else content.count(b"\n") + (not content.endswith(b"\n") and bool(content))
    return BlobMeasurement(
        language=language,
        engine=ENGINE_NONE,
        status=status,
        reason=reason,
        lines_total=lines,
        lines_code=0,
        lines_comment=0,
        lines_blank=0,
        functions=(),
        markers=(),
        maintainability=None,
        halstead_volume=None,
    )
