"""Python measured with radon's own visitors over one `ast.parse` and one tokenization.

radon re-parses for every metric (`cc_visit`, `mi_visit` and `h_visit` each call `ast.parse`; `raw.analyze`
re-tokenizes every statement once per line it spans, and `mi_visit` calls it again). Here the tree is parsed
once and feeds radon's ComplexityVisitor (per-function cyclomatic complexity, and the module total for MI)
and `h_visit_ast` (Halstead volume); MI is radon's `mi_compute` over those parts, as `mi_visit(code,
multi=True)` computes it. One tokenization (python_lines.py) gives the comments, which lines hold code,
comments and docstrings, and radon's raw counts.

Lines (see text.py for the definitions shared by every language): lines_total = radon's loc, lines_code =
sloc, lines_blank = blank, lines_comment = comment lines + docstring lines (radon's comments + multi + one-line
docstrings).

Functions are every `def` and `async def` at any depth, named like radon (`f`, `Class.method`) and, below
that, by their enclosing definitions (`outer.inner`, `Class.method.helper`, `Outer.Inner.method`). Lambdas
are not functions of their own: their complexity belongs to the function around them (as in radon).
start_line is the `def` line (as radon's), end_line the last line of the body. Parameters are all formal
parameters: positional-only, ordinary, `*args`, keyword-only and `**kwargs`, `self` and `cls` included.

When `ast.parse` or tokenization fails (syntax newer than this interpreter, e.g. PEP 695 on 3.11, or a real
syntax error), or the tree is too deep for radon's recursive visitors, the tree-sitter engine measures the
file instead; when it also finds an error the status is
parse_error, with the lines and markers still counted.
"""

from __future__ import annotations

import ast
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import replace

from radon.metrics import h_visit_ast, mi_compute
from radon.visitors import ComplexityVisitor

from devmetrics.analyzers.code import text, treesitter
from devmetrics.analyzers.code.cognitive_py import FunctionNode, cognitive_complexity, max_nesting
from devmetrics.analyzers.code.python_lines import PythonLines, RawCounts, scan_lines
from devmetrics.analyzers.code.records import (
    STATUS_OK,
    BlobMeasurement,
    FunctionMetrics,
)

LANGUAGE = "python"
ENGINE_RADON = "radon"


def measure(source: str) -> BlobMeasurement:
    """Measure one Python source (syntax errors and too deeply nested code included)."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return _fallback(source, _scan_or_none(source), _describe(error))
    try:
        lines = scan_lines(source, parses=True)
    except (tokenize.TokenError, SyntaxError) as error:
        return _fallback(source, None, f"tokenize: {_describe(error)}")
    try:
        return _measure_tree(source, tree, lines)
    except RecursionError:  # radon's visitors recurse per AST level: a 600-term expression is too deep
        return _fallback(source, lines, "nested too deeply for radon's visitors")


def parse(source: str) -> ast.Module:
    """`ast.parse`, silent: an invalid escape sequence warns (or, under `-W error`, fails) in old code."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def _scan_or_none(source: str) -> PythonLines | None:
    try:
        return scan_lines(source)
    except (tokenize.TokenError, SyntaxError):
        return None


def _describe(error: Exception) -> str:
    if isinstance(error, SyntaxError) and error.lineno is not None:
        return f"line {error.lineno}: {error.msg}"
    return str(error.args[0]) if error.args else type(error).__name__


def _measure_tree(source: str, tree: ast.Module, lines: PythonLines) -> BlobMeasurement:
    visitor = ComplexityVisitor.from_ast(tree)
    volume = halstead_volume(tree)
    known = _radon_complexities(visitor)
    return replace(
        _lines_only(source, lines, status=STATUS_OK, reason=""),
        functions=tuple(_function_metrics(name, node, known) for name, node in definitions(tree)),
        maintainability=maintainability(volume, int(visitor.total_complexity), lines.raw),
        halstead_volume=volume,
    )


def _lines_only(source: str, lines: PythonLines, *, status: str, reason: str) -> BlobMeasurement:
    """radon's line counts, the markers and the block hashes; no functions."""
    counts = lines.line_counts()
    return BlobMeasurement(
        language=LANGUAGE,
        engine=ENGINE_RADON,
        status=status,
        reason=reason,
        lines_total=counts.total,
        lines_code=counts.code,
        lines_comment=counts.comment,
        lines_blank=counts.blank,
        functions=(),
        markers=text.find_markers(lines.comments),
        maintainability=None,
        halstead_volume=None,
        block_hashes=text.block_hashes(text.split_lines(source), lines.code_lines, lines.comments),
    )


def _fallback(source: str, lines: PythonLines | None, reason: str) -> BlobMeasurement:
    """The tree-sitter engine's measurement, with radon's line counts when the source could be tokenized."""
    parsed = treesitter.parse_source(source.encode("utf-8", errors="surrogatepass"), LANGUAGE)
    measured = text.measurement_from_parsed(LANGUAGE, source, parsed)
    if parsed.error:
        measured = replace(measured, reason=f"{reason}; tree-sitter: {parsed.error}")
    if lines is None:
        return measured
    python_lines = _lines_only(source, lines, status=measured.status, reason=measured.reason)
    return replace(python_lines, engine=measured.engine, functions=measured.functions)


# Functions


def definitions(tree: ast.Module) -> Iterator[tuple[str, FunctionNode]]:
    """(qualified name, node) of every function definition, in source order."""
    yield from _definitions_in(tree, "")


def _definitions_in(node: ast.AST, prefix: str) -> Iterator[tuple[str, FunctionNode]]:
    for statement in _child_statements(node):
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            name = prefix + statement.name
            yield name, statement
            yield from _definitions_in(statement, name + ".")
        elif isinstance(statement, ast.ClassDef):
            yield from _definitions_in(statement, prefix + statement.name + ".")
        else:
            yield from _definitions_in(statement, prefix)


def _child_statements(node: ast.AST) -> Iterator[ast.stmt]:
    """The statements directly inside `node`, looking through except handlers and match cases."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            yield child
        elif isinstance(child, ast.excepthandler | ast.match_case):
            yield from _child_statements(child)


def _function_metrics(name: str, node: FunctionNode, known: dict[tuple[int, int], int]) -> FunctionMetrics:
    end_line = node.end_lineno or node.lineno
    cyclomatic = known.get((node.lineno, node.col_offset))
    return FunctionMetrics(
        qualified_name=name,
        start_line=node.lineno,
        end_line=end_line,
        cyclomatic=cyclomatic if cyclomatic is not None else cyclomatic_complexity(node),
        cognitive=cognitive_complexity(node),
        length=end_line - node.lineno + 1,
        max_nesting=max_nesting(node),
        parameters=parameter_count(node),
    )


def parameter_count(node: FunctionNode) -> int:
    arguments = node.args
    positional = len(arguments.posonlyargs) + len(arguments.args) + len(arguments.kwonlyargs)
    return positional + (arguments.vararg is not None) + (arguments.kwarg is not None)


# radon, typed


def _radon_complexities(visitor: ComplexityVisitor) -> dict[tuple[int, int], int]:
    """(line, column) → cyclomatic complexity of every function radon's visitor saw, closures included."""
    found: dict[tuple[int, int], int] = {}
    pending = list(visitor.functions)
    classes = list(visitor.classes)
    while classes:
        radon_class = classes.pop()
        pending.extend(radon_class.methods)
        classes.extend(radon_class.inner_classes)
    while pending:
        function = pending.pop()
        found[(int(function.lineno), int(function.col_offset))] = int(function.complexity)
        pending.extend(function.closures)
    return found


def cyclomatic_complexity(node: FunctionNode) -> int:
    """radon's cyclomatic complexity of one function (for those radon's module visit skips: functions of
    classes defined inside functions)."""
    visitor = ComplexityVisitor()
    visitor.visit(node)
    return int(visitor.functions[0].complexity)


def halstead_volume(tree: ast.Module) -> float:
    """radon's Halstead volume of the whole module (`h_visit(code).total.volume`)."""
    return float(h_visit_ast(tree).total.volume)


def maintainability(volume: float, complexity: int, raw: RawCounts) -> float:
    """radon's `mi_visit(code, multi=True)` from its parts."""
    comment_lines = raw.comments + raw.multi
    comment_percent = comment_lines / float(raw.sloc) * 100 if raw.sloc != 0 else 0
    return float(mi_compute(volume, complexity, raw.lloc, comment_percent))
