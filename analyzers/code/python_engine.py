"""Python measured with radon's own visitors over one `ast.parse` and one tokenization.

radon re-parses for every metric (`cc_visit`, `mi_visit` and `h_visit` each call `ast.parse`; `raw.analyze`
re-tokenizes every statement once per line it spans, and `mi_visit` calls it again). Here the tree is parsed
once and feeds radon's ComplexityVisitor (per-function cyclomatic complexity, and the module total for MI)
and `h_visit_ast` (Halstead volume); MI is radon's `mi_compute` over those parts, as `mi_visit(code,
multi=True)` computes it. One `tokenize` pass gives the comments, which lines hold code, comments and
docstrings, and radon's raw counts: it forms the groups `raw.analyze` forms (logical lines, comment lines,
blank lines), so the numbers are radon's. Two rare shapes it cannot reproduce go through `radon.raw.analyze`
itself when the file has at most RADON_RAW_MAX_LINES lines: line breaks other than \n and \r\n (str.splitlines,
which radon uses, also breaks at form feeds and U+2028), and a backslash continued into a blank line.

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
import io
import tokenize
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from radon.metrics import h_visit_ast, mi_compute
from radon.raw import _logical, analyze
from radon.visitors import ComplexityVisitor

from devmetrics.analyzers.code import text, treesitter
from devmetrics.analyzers.code.cognitive_py import FunctionNode, cognitive_complexity, max_nesting
from devmetrics.analyzers.code.records import (
    STATUS_OK,
    BlobMeasurement,
    FunctionMetrics,
)

LANGUAGE = "python"
ENGINE_RADON = "radon"
_SKIPPED_TOKENS = frozenset({tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})
_LINE_END_TOKENS = frozenset({tokenize.NL, tokenize.NEWLINE})
_LOGICAL_SEPARATORS = frozenset({":", ";"})
_END_TOKEN = tokenize.TokenInfo(tokenize.ENDMARKER, "", (0, 0), (0, 0), "")
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


def measure(source: str) -> BlobMeasurement:
    """Measure one Python source (syntax errors and too deeply nested code included)."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return _fallback(source, _scan_or_none(source), _describe(error))
    try:
        lines = scan_lines(source)
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


# Lines: radon's raw counts from one tokenization


def scan_lines(source: str) -> PythonLines:
    """Tokenize once; raises tokenize.TokenError or SyntaxError when the source cannot be tokenized."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    physical = text.split_lines(source)
    scan = _LineScan([line.strip() for line in physical])
    scan.read(tokens)
    raw = scan.counts() if _has_plain_line_breaks(source, len(physical)) else None
    if raw is None and len(physical) <= RADON_RAW_MAX_LINES:
        raw = _radon_raw(source)
    return PythonLines(
        raw=raw if raw is not None else scan.unchecked_counts(),
        code_lines=frozenset(scan.code_lines),
        comment_lines=frozenset(scan.comment_lines | scan.docstring_lines),
        comments=tuple(scan.comments),
    )


def _has_plain_line_breaks(source: str, physical_lines: int) -> bool:
    """True when str.splitlines (which radon uses) agrees with the tokenizer on where lines end."""
    return len(source.splitlines()) == physical_lines


def _radon_raw(source: str) -> RawCounts:
    module = analyze(source)
    return RawCounts(*(int(value) for value in module))


class _LineScan:
    """radon.raw.analyze's classification, from one token stream.

    radon strips every line and tokenizes from each line that starts a group until the group tokenizes
    without error: a group is a logical line (with the blank and comment lines inside its brackets), a
    comment-only line, or a blank line. A group that is only a string is a docstring; one that is only a
    comment is a comment line; in every other group each non-empty line is a source line.
    """

    def __init__(self, stripped: Sequence[str]) -> None:
        self.stripped = stripped
        self.code_lines: set[int] = set()
        self.blank_lines: set[int] = set()
        self.comment_lines: set[int] = set()
        self.docstring_lines: set[int] = set()
        self.comments: list[tuple[int, str]] = []
        self.covered: set[int] = set()
        self.lloc = self.multi = self.single_comments = 0
        self.regrouped = False

    def read(self, tokens: Sequence[tokenize.TokenInfo]) -> None:
        group: list[tokenize.TokenInfo] = []
        for token in tokens:
            if token.type == tokenize.COMMENT:
                self.comments.append((token.start[0], token.string))
                self.comment_lines.add(token.start[0])
            if token.type in _SKIPPED_TOKENS or (not group and token.type in _LINE_END_TOKENS):
                continue
            if not group and token.type == tokenize.COMMENT:
                self._comment_line(token.start[0])
                continue
            group.append(token)
            if token.type == tokenize.NEWLINE:
                self._logical_line(group)
                group = []
        if group:
            self._logical_line(group)
        for number in range(1, len(self.stripped) + 1):
            if number not in self.covered:
                self._uncovered(number)

    def _comment_line(self, number: int) -> None:
        self.covered.add(number)
        self.single_comments += 1

    def _logical_line(self, group: list[tokenize.TokenInfo]) -> None:
        # One pass over the group (this runs for every statement of every file): its last line, whether it
        # holds a `:` or `;`, and whether it is a lone string.
        first = last = group[0].start[0]
        significant = 0
        lone_string = separated = False
        for token in group:
            kind = token.type
            if kind == tokenize.NEWLINE:
                continue
            end = token.end[0]
            if end > last:
                last = end
            if kind == tokenize.NL:
                continue
            significant += 1
            lone_string = kind == tokenize.STRING and significant == 1
            separated = separated or (kind == tokenize.OP and token.string in _LOGICAL_SEPARATORS)
        # A backslash continued into a blank line: radon's group then swallows the lines after it.
        self.regrouped |= group[-1].start[0] > last
        numbers = range(first, last + 1)
        self.covered.update(numbers)
        # radon's logical lines (`if x: y` is two, `a; b` two): its own `_logical`, when a `:` or `;` may
        # make the group more than one.
        self.lloc += int(_logical([*group, _END_TOKEN])) if separated else 1
        if lone_string:
            self._docstring(numbers)
        else:
            for number in numbers:
                self._classify(number)

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
