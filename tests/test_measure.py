"""measure_blob, the scan's entry point: language detection, skipped blobs, markers, duplicated blocks."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from devmetrics.analyzers.code import treesitter
from devmetrics.analyzers.code.detect import detect_language, is_binary, is_minified
from devmetrics.analyzers.code.measure import ANALYZER_VERSION, measure_blob
from devmetrics.analyzers.code.records import (
    DUPLICATE_WINDOW_LINES,
    STATUS_BINARY,
    STATUS_MINIFIED,
    STATUS_OK,
    STATUS_PARSE_ERROR,
    STATUS_TOO_LARGE,
    BlobMeasurement,
)
from devmetrics.analyzers.code.text import block_hashes, count_lines, find_markers, split_lines, stable_hash


def measured(content: bytes, path: str, **options: int) -> BlobMeasurement:
    result = measure_blob(content, path, **options)
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("path", "head", "language"),
    [
        ("pkg/mod.py", b"", "python"),
        ("stubs/mod.pyi", b"", "python"),
        ("web/app.js", b"", "javascript"),
        ("web/app.mjs", b"", "javascript"),
        ("web/app.cjs", b"", "javascript"),
        ("web/App.jsx", b"", "javascript"),
        ("web/app.ts", b"", "typescript"),
        ("web/app.mts", b"", "typescript"),
        ("web/app.cts", b"", "typescript"),
        ("web/App.tsx", b"", "tsx"),
        ("cmd/main.go", b"", "go"),
        ("src/Main.java", b"", "java"),
        ("src/lib.rs", b"", "rust"),
        ("src/util.c", b"", "c"),
        ("include/util.h", b"", "c"),
        ("src/util.cc", b"", "cpp"),
        ("src/util.cpp", b"", "cpp"),
        ("src/util.cxx", b"", "cpp"),
        ("include/util.hpp", b"", "cpp"),
        ("include/util.hh", b"", "cpp"),
        ("include/util.hxx", b"", "cpp"),
        ("src/Legacy.C", b"", "cpp"),
        ("SRC/UPPER.PY", b"", "python"),
        ("bin/tool", b"#!/usr/bin/env python3\nimport sys\n", "python"),
        ("bin/tool", b"#!/usr/bin/python\n", "python"),
        ("bin/tool", b"#!/usr/bin/python3.11 -u\n", "python"),
        ("bin/tool.cgi", b"#!/usr/local/bin/pypy3\n", "python"),
        ("bin/tool", b"#!/usr/bin/env -S PYTHONWARNINGS=ignore python3 -X dev\n", "python"),
        ("bin/serve", b"#!/usr/bin/env node\n", "javascript"),
        ("bin/serve", b"#!/usr/local/bin/nodejs\n", "javascript"),
        ("bin/task", b"#!/usr/bin/env -S deno run --allow-read\n", "typescript"),
        ("bin/run", b"#!/bin/sh\necho hi\n", None),
        ("bin/run", b"#!\n", None),
        ("bin/run", b"print('no shebang')\n", None),
        ("README.md", b"#!/usr/bin/env python3\n", "python"),
        ("notes.txt", b"", None),
        ("Makefile", b"all:\n", None),
        ("web/style.css", b"", None),
    ],
)
def test_detect_language(path: str, head: bytes, language: str | None) -> None:
    assert detect_language(path, head) == language


def test_unsupported_path_is_not_measured() -> None:
    assert measure_blob(b"hello\n", "notes.txt") is None


def test_binary() -> None:
    assert is_binary(b"abc\0def")
    assert not is_binary(b"x" * 8000 + b"\0")
    result = measured(b"def f():\n    return 1\n\0\0", "mod.py")
    assert (result.status, result.engine, result.functions, result.lines_total) == (STATUS_BINARY, "none", (), 0)


def test_too_large_is_not_parsed() -> None:
    content = b"def f():\n    return 1\n" * 10
    result = measured(content, "mod.py", max_bytes=100)
    assert result.status == STATUS_TOO_LARGE
    assert result.reason == f"{len(content)} bytes, over the limit of 100"
    assert (result.engine, result.functions, result.lines_total, result.lines_code) == ("none", (), 20, 0)
    assert measured(content, "mod.py", max_bytes=len(content)).status == STATUS_OK


def test_minified_javascript_is_not_measured() -> None:
    bundle = b"!function(){" + b"var a=1;" * 400 + b"}();\n"
    assert is_minified(bundle, "javascript")
    assert is_minified(b"x\n" * 10 + b"y" * 3000 + b"\n" + b"z\n" * 10_000, "typescript") is False  # line 11
    assert is_minified(b"y" * 2500 + b"\n" + b"z\n" * 10_000, "typescript")  # a long line among the first five
    assert not is_minified(bundle, "python")
    assert not is_minified(b"function f() {\n  return 1;\n}\n", "javascript")
    assert not is_minified(b"", "javascript")
    result = measured(bundle, "dist/bundle.js")
    assert (result.status, result.functions) == (STATUS_MINIFIED, ())


def test_markers_only_in_comments_python() -> None:
    source = b'MESSAGE = "TODO: not a marker"\nx = 1  # TODO: a marker\n"""FIXME in a docstring"""\n'
    result = measured(source, "mod.py")
    assert [(marker.line, marker.kind, marker.text) for marker in result.markers] == [(2, "TODO", "a marker")]


def test_markers_only_in_comments_javascript() -> None:
    source = b'// TODO: x\nconst s = "TODO: not a marker";\n/* FIXME */\nlet t = `HACK ${s}`; // XXX - trailing\n'
    result = measured(source, "app.js")
    assert result.engine == "tree-sitter"
    assert [(marker.line, marker.kind, marker.text) for marker in result.markers] == [
        (1, "TODO", "x"),
        (3, "FIXME", ""),
        (4, "XXX", "trailing"),
    ]


def test_marker_rules() -> None:
    markers = find_markers(
        [
            (1, "# todo lowercase is prose; TODOs is another word"),
            (2, "/* first line\n * HACK: second line of a block comment */"),
            (5, "# FIXME: " + "x" * 300),
            (6, "# XXX:   spaced   "),
        ]
    )
    assert [(marker.line, marker.kind) for marker in markers] == [(3, "HACK"), (5, "FIXME"), (6, "XXX")]
    assert markers[0].text == "second line of a block comment"
    assert markers[1].text == "x" * 200
    assert markers[2].text == "spaced"


SHARED_BLOCK = "\n".join(f"    total = total + values[{index}] * {index}  # step {index}" for index in range(12))


def python_file(name: str, start: int) -> bytes:
    return f"def {name}(values):\n    total = {start}\n{SHARED_BLOCK}\n    return total * {start}\n".encode()


def test_block_hashes_find_a_duplicated_block() -> None:
    first = measured(python_file("alpha", 0), "a.py").block_hashes
    second = measured(b"import os\n\n\n" + python_file("beta", 1), "b.py").block_hashes
    shared = {digest for _, digest in first} & {digest for _, digest in second}
    assert len(shared) == 12 - DUPLICATE_WINDOW_LINES + 1  # the windows inside the 12 shared lines
    assert [line for line, digest in first if digest in shared] == [3, 4, 5]
    assert [line for line, digest in second if digest in shared] == [6, 7, 8]
    assert [line for line, _ in first] == [1, 2, 3, 4, 5, 6]  # 15 code lines; 1, 2 and 6 reach outside the block


def test_block_hashes_ignore_layout_comments_and_punctuation() -> None:
    code = [f"call({index}, value)" for index in range(DUPLICATE_WINDOW_LINES)]
    plain = block_hashes(code, frozenset(range(1, 11)), [])
    spaced = [f"  call( {index},   value )  // note {index}" for index in range(DUPLICATE_WINDOW_LINES)]
    comments = [(number, f"// note {number - 1}") for number in range(1, 11)]
    with_noise = [*spaced[:5], "});", "", "// only a comment", *spaced[5:]]
    noisy_code = frozenset({1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13})
    noisy_comments = [(n if n <= 5 else n + 3, text) for n, text in comments] + [(8, "// only a comment")]
    assert [digest for _, digest in block_hashes(with_noise, noisy_code, noisy_comments)] == [
        digest for _, digest in plain
    ]
    assert block_hashes(code[:-1], frozenset(range(1, 10)), []) == ()


def test_stable_hash_is_a_signed_64_bit_integer() -> None:
    assert stable_hash("x = 1") == stable_hash("x = 1")
    assert stable_hash("x = 1") != stable_hash("x = 2")
    assert -(2**63) <= stable_hash("x = 1") < 2**63


def test_line_counts_are_consistent() -> None:
    assert split_lines("a\r\nb\n\nc") == ["a", "b", "", "c"]
    assert split_lines("a\n") == ["a"]
    assert split_lines("") == []
    counts = count_lines(6, frozenset({1, 2, 3}), frozenset({3, 4}))
    assert (counts.total, counts.code, counts.comment, counts.blank) == (6, 3, 2, 2)


def test_analyzer_version_names_radon_and_the_grammars() -> None:
    assert ANALYZER_VERSION.startswith("code-1;radon=6.0.1;")
    assert ANALYZER_VERSION.endswith(treesitter.grammar_versions())


def test_javascript_end_to_end() -> None:
    source = b"""// Totals.
export function total(items) {
  let sum = 0;
  for (const item of items) {
    if (item.price > 0 && item.count) {
      sum += item.price * item.count; // TODO: rounding
    }
  }
  return sum;
}

const double = (x) => x * 2;
"""
    result = measured(source, "src/total.js")
    assert (result.language, result.engine, result.status) == ("javascript", "tree-sitter", STATUS_OK)
    assert [function.qualified_name for function in result.functions] == ["total", "double"]
    total = result.functions[0]
    assert (total.start_line, total.end_line, total.parameters, total.max_nesting) == (2, 10, 1, 2)
    assert total.cyclomatic == 4  # 1 + for + if + &&
    assert (result.lines_total, result.lines_code, result.lines_comment, result.lines_blank) == (12, 10, 2, 1)
    assert [(marker.line, marker.kind, marker.text) for marker in result.markers] == [(6, "TODO", "rounding")]
    assert (result.maintainability, result.halstead_volume) == (None, None)


def test_go_end_to_end_and_its_parse_errors() -> None:
    source = b"""package main

// Add adds. XXX: overflow
func Add(a, b int) int {
\tif a > 0 {
\t\treturn a + b
\t}
\treturn 0
}
"""
    result = measured(source, "main.go")
    assert (result.language, result.engine, result.status) == ("go", "tree-sitter", STATUS_OK)
    assert [(function.qualified_name, function.cyclomatic, function.parameters) for function in result.functions] == [
        ("Add", 2, 2)
    ]
    assert [marker.kind for marker in result.markers] == ["XXX"]
    broken = measured(b"package main\n\n// TODO: finish\nfunc Broken( {\n", "broken.go")
    assert (broken.status, broken.functions) == (STATUS_PARSE_ERROR, ())
    assert broken.reason
    assert [marker.line for marker in broken.markers] == [3]
    assert broken.lines_total == 4


def test_an_engine_failing_on_a_blob_gives_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(source: bytes, language: str) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(treesitter, "parse_source", fail)
    result = measured(b"function f() {\n\n  return 1;\n}\n", "a.js")
    assert (result.engine, result.status) == ("tree-sitter", STATUS_PARSE_ERROR)
    assert result.reason == "tree-sitter failed: RecursionError: maximum recursion depth exceeded"
    assert (result.lines_total, result.lines_code, result.lines_blank, result.functions) == (4, 3, 1, ())


def test_bom_is_dropped() -> None:
    result = measured(b"\xef\xbb\xbfdef f():\n    return 1\n", "mod.py")
    assert (result.status, [function.qualified_name for function in result.functions]) == (STATUS_OK, ["f"])


@settings(max_examples=60, deadline=None)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.text(alphabet="def ():\n\t if else for x in y#'\"\\{}[]=1;/*`", max_size=300).map(str.encode),
    ),
    path=st.sampled_from(["m.py", "a.js", "a.ts", "c.tsx", "m.go", "M.java", "l.rs", "u.c", "u.cpp"]),
)
def test_never_raises_for_content(content: bytes, path: str) -> None:
    result = measured(content, path)
    assert result.lines_total >= result.lines_code >= 0
    assert result.lines_total >= result.lines_blank >= 0
    assert result.status != STATUS_OK or not result.reason
