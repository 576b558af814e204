"""The tree-sitter measuring engine: functions, code lines and comments of one source file.

``parse_source(source, language)`` parses with the grammar wheel of the language (one parser per language
and process) and walks the tree once, iteratively, driven by the node-type tables of ``languages.py``.
A tree with a syntax error keeps its lines and comments but yields no functions (their boundaries and
counts are not reliable) and names the first error in ``ParsedSource.error``.

Functions. Every function, method and constructor with a body is a unit; so are anonymous functions
where the language's reference tool reports them (JavaScript/TypeScript function expressions and arrow
functions, Go function literals). Lambdas of Python, Java, C++ and Rust belong to the function that
contains them (as radon, lizard and the cognitive complexity paper count them); outside any function they
are units of their own, except in Python (radon never lists a lambda). A unit's qualified name joins its
enclosing classes, impls, namespaces and functions with "."; an anonymous unit takes the name it is
assigned to, else ``<anonymous>@LINE``. Its metrics cover its own body only: a nested unit is measured
apart and adds nothing to its parent. Start lines skip leading annotations and decorators; end lines skip
trailing comments.

Cyclomatic complexity: 1 + decision points: if and else-if, loops, non-default case/match arms, catch
clauses, ternaries and each ``&&``/``||`` (``and``/``or``). ``else``, ``finally``, ``?.``, ``??`` and
Rust's ``?`` are not decisions. Python follows radon 6 exactly; Rust follows lizard for match arms; see
``languages.py`` for each language's details.

Cognitive complexity: SonarSource's definition (G. Ann Campbell, 2017). +1 plus the nesting level for
if, ternary, switch/match, loops and catch; +1 flat for else-if and else; +1 per run of like boolean
operators (parentheses are transparent, a negation starts a new run); +1 for goto and for break/continue
to a label. Nesting increases inside if/else branches, ternaries, switches, loops, catch blocks and
lambdas that belong to the unit. Recursion is not counted: telling a recursive call from a call to a
namesake needs name resolution a syntax tree does not have.

Max nesting: the deepest nesting of if/else chains, loops, switches, try (catch, else and finally
included) and Python ``with`` inside the unit; a body without them is 0.

Parameters: the declared parameters, as lizard counts them: Python's ``self``/``cls``, ``*args`` and
``**kwargs`` and Rust's ``self`` count; a Go receiver does not; Go's ``a, b int`` is two; C's ``(void)``
and ``...`` and Python's bare ``*`` and ``/`` markers are none. (lizard misses the parameters of
JavaScript/TypeScript arrow functions; they are counted here.)

Lines. A comment line holds non-blank comment text; a code line holds non-blank text outside comments; a
line with code and a trailing comment is both; a blank line inside a block comment is neither. A Python
statement that is only a string (a docstring, as radon's raw counts see it) is comment text, though not
one of ``comments`` (debt markers are read in comments only); other strings are code.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import cache
from importlib import metadata

import tree_sitter as ts
import tree_sitter_c
import tree_sitter_cpp
import tree_sitter_go
import tree_sitter_java
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_rust
import tree_sitter_typescript

from devmetrics.analyzers.code.languages import LANGUAGES, DefaultCase, LanguageSpec
from devmetrics.analyzers.code.records import FunctionMetrics, ParsedSource

SUPPORTED = ("python", "javascript", "typescript", "tsx", "go", "java", "rust", "c", "cpp")

GRAMMARS: dict[str, Callable[[], object]] = {
    "python": tree_sitter_python.language,
    "javascript": tree_sitter_javascript.language,
    "typescript": tree_sitter_typescript.language_typescript,
    "tsx": tree_sitter_typescript.language_tsx,
    "go": tree_sitter_go.language,
    "java": tree_sitter_java.language,
    "rust": tree_sitter_rust.language,
    "c": tree_sitter_c.language,
    "cpp": tree_sitter_cpp.language,
}

# Children of a control structure in these fields are its header (condition, iterable, subject): they
# sit at the structure's own nesting level, not inside it.
_HEADER_FIELDS = frozenset(
    {
        "alias",
        "communication",
        "condition",
        "increment",
        "init",
        "initializer",
        "kind",
        "left",
        "name",
        "operator",
        "parameters",
        "pattern",
        "resources",
        "right",
        "subject",
        "type",
        "update",
        "value",
    }
)
_FUNCTION_DECLARATORS = frozenset({"function_declarator", "abstract_function_declarator"})
_DECLARATOR_WRAPPERS = frozenset({"parenthesized_declarator", "reference_declarator", "attributed_declarator"})
_DECLARATOR_NAMES = frozenset(
    {
        "identifier",
        "field_identifier",
        "qualified_identifier",
        "destructor_name",
        "operator_name",
        "operator_cast",
        "template_function",
        "template_method",
        "type_identifier",
    }
)
_ASSIGNMENT_WRAPPERS = frozenset({"parenthesized_expression", "expression_list"})
_ASSIGNED_NAME = re.compile(r"[^\s(){}\[\],;=]+(\[[^\s\]]+\])?")  # a name, a member, `obj[key]`

_CC_OFF = 1  # inside a node whose content radon does not count (Python assert, decorator, parameters)
_ELSE_IF = 2  # an if reached as the else branch of another if

_Frame = tuple[ts.Node, "_Unit | None", int, int, int, tuple[str, ...]]
_Visit = Callable[["_Walker", _Frame], None]


def parse_source(source: bytes, language: str) -> ParsedSource:
    """Measure one source. Bad syntax does not raise: ``error`` says where, and ``functions`` is empty."""
    spec = _spec(language)
    tree = _parser(language).parse(source)
    root = tree.root_node
    walker = _Walker(spec, source)
    walker.walk(root)
    error = _first_error(root) if root.has_error else ""
    code_lines, comment_lines = _classify_lines(source, walker.comments + walker.docstrings)
    return ParsedSource(
        functions=() if error else tuple(unit.metrics() for unit in walker.units),
        code_lines=code_lines,
        comment_lines=comment_lines,
        comments=tuple((node.start_point.row + 1, _comment_text(source, node)) for node in walker.comments),
        error=error,
    )


@cache
def grammar_versions() -> str:
    """The tree-sitter runtime and grammar wheel versions, e.g. ``tree-sitter=0.26.1;python=0.25.0;…``."""
    parts = [f"tree-sitter={metadata.version('tree-sitter')}"]
    seen: set[str] = set()
    for language in SUPPORTED:
        distribution = LANGUAGES[language].distribution
        if distribution not in seen:
            seen.add(distribution)
            parts.append(f"{distribution.removeprefix('tree-sitter-')}={metadata.version(distribution)}")
    return ";".join(parts)


def _spec(language: str) -> LanguageSpec:
    if language not in LANGUAGES:
        raise ValueError(f"tree-sitter engine: unsupported language {language!r}; expected one of {SUPPORTED}")
    return LANGUAGES[language]


@cache
def _language(language: str) -> ts.Language:
    return ts.Language(GRAMMARS[language]())


class _Parsers(threading.local):
    """One parser per language and thread: a parser must not be used by two threads at once."""

    def __init__(self) -> None:
        self.by_language: dict[str, ts.Parser] = {}


_PARSERS = _Parsers()


def _parser(language: str) -> ts.Parser:
    parser = _PARSERS.by_language.get(language)
    if parser is None:
        parser = _PARSERS.by_language[language] = ts.Parser(_language(language))
    return parser


class _Unit:
    """A function being measured; the walker adds to it as it meets its decisions."""

    __slots__ = ("cognitive", "cyclomatic", "end_line", "max_nesting", "name", "parameters", "start_line")

    def __init__(self, name: str, start_line: int, end_line: int, parameters: int) -> None:
        self.name = name
        self.start_line = start_line
        self.end_line = end_line
        self.parameters = parameters
        self.cyclomatic = 1
        self.cognitive = 0
        self.max_nesting = 0

    def metrics(self) -> FunctionMetrics:
        return FunctionMetrics(
            qualified_name=self.name,
            start_line=self.start_line,
            end_line=self.end_line,
            cyclomatic=self.cyclomatic,
            cognitive=self.cognitive,
            length=self.end_line - self.start_line + 1,
            max_nesting=self.max_nesting,
            parameters=self.parameters,
        )


class _Walker:
    """One pass over a tree: units with their metrics, the comments and the docstrings.

    Each stack frame is (node, unit, nesting, depth, flags, scope): the unit the node counts for (None
    outside functions), the cognitive nesting level, the control-structure depth, _CC_OFF/_ELSE_IF, and
    the names enclosing the node.
    """

    def __init__(self, spec: LanguageSpec, source: bytes) -> None:
        self.spec = spec
        self.source = source
        self.visits = _visits(spec)
        self.units: list[_Unit] = []
        self.comments: list[ts.Node] = []
        self.docstrings: list[ts.Node] = []
        self.stack: list[_Frame] = []
        self.seen_operators: set[int] = set()  # boolean operators already counted as part of a run

    def walk(self, root: ts.Node) -> None:
        stack = self.stack
        visits = self.visits
        stack.append((root, None, 0, 0, 0, ()))
        while stack:
            frame = stack.pop()
            node = frame[0]
            visit = visits.get(node.type)
            if visit is not None:
                visit(self, frame)
            elif node.named_child_count:
                _, unit, nesting, depth, flags, scope = frame
                flags &= _CC_OFF
                stack.extend([(child, unit, nesting, depth, flags, scope) for child in reversed(node.named_children)])

    # Pushing children.

    def push_children(self, frame: _Frame, nesting: int, depth: int, flags: int) -> None:
        node, unit, _, _, _, scope = frame
        self.stack.extend([(child, unit, nesting, depth, flags, scope) for child in reversed(node.named_children)])

    def push_structure(self, frame: _Frame, body_nesting: int, body_depth: int) -> None:
        """Header children at the structure's own level, the rest (its body) at the levels given."""
        node, unit, nesting, depth, flags, scope = frame
        flags &= _CC_OFF
        frames: list[_Frame] = []
        for index, child in enumerate(node.named_children):
            if node.field_name_for_named_child(index) in _HEADER_FIELDS:
                frames.append((child, unit, nesting, depth, flags, scope))
            else:
                frames.append((child, unit, body_nesting, body_depth, flags, scope))
        self.stack.extend(reversed(frames))

    # Visits, one per role a node type plays (see _visits).

    def visit_comment(self, frame: _Frame) -> None:
        self.comments.append(frame[0])

    def visit_string_statement(self, frame: _Frame) -> None:
        node = frame[0]
        content = [child for child in node.named_children if child.type not in self.spec.comment_types]
        if len(content) == 1 and content[0].type in self.spec.docstring_string_types:
            self.docstrings.append(content[0])
        self.push_children(frame, frame[2], frame[3], frame[4] & _CC_OFF)

    def visit_function(self, frame: _Frame) -> None:
        node, _, nesting, depth, flags, scope = frame
        if node.child_by_field_name("body") is None:  # a declaration: overload, abstract or interface method
            self.push_children(frame, nesting, depth, flags & _CC_OFF)
            return
        name = self.function_name(node)
        start = _first_row(node, self.spec.annotation_types) + 1
        end = _last_row(node, self.spec.comment_types) + 1
        new_unit = _Unit(".".join((*scope, name)), start, end, self.parameter_count(node))
        self.units.append(new_unit)
        inner_scope = (*scope, name)
        self.stack.extend([(child, new_unit, 0, 0, 0, inner_scope) for child in reversed(node.named_children)])

    def visit_lambda(self, frame: _Frame) -> None:
        unit, nesting, depth, flags = frame[1], frame[2], frame[3], frame[4]
        if unit is None and self.spec.lambda_units_outside_functions:
            self.visit_function(frame)
        else:
            self.push_children(frame, nesting + 1, depth, flags & _CC_OFF)

    def visit_container(self, frame: _Frame) -> None:
        node, _, _, _, _, scope = frame
        name_node = node.child_by_field_name(self.spec.name_field(node.type))
        name = _clean_name(self.text(name_node)) if name_node is not None else self.assigned_name(node)
        inner_scope = (*scope, name) if name else scope
        self.stack.extend([(child, None, 0, 0, 0, inner_scope) for child in reversed(node.named_children)])

    def visit_if(self, frame: _Frame) -> None:
        node, unit, nesting, depth, flags, scope = frame
        else_if = bool(flags & _ELSE_IF) or node.type in self.spec.else_if_types
        if unit is not None:
            if not flags & _CC_OFF:
                unit.cyclomatic += 1
            unit.cognitive += 1 if else_if else 1 + nesting
            unit.max_nesting = max(unit.max_nesting, depth + 1)
        flags &= _CC_OFF
        frames: list[_Frame] = []
        for index, child in enumerate(node.named_children):
            field = node.field_name_for_named_child(index)
            if field == "alternative":
                frames.extend(self.else_frames(child, frame))
            elif field in _HEADER_FIELDS:
                frames.append((child, unit, nesting, depth, flags, scope))
            else:
                frames.append((child, unit, nesting + 1, depth + 1, flags, scope))
        self.stack.extend(reversed(frames))

    def else_frames(self, branch: ts.Node, chain: _Frame) -> list[_Frame]:
        """The frames of an if chain's alternative: another link of the chain, or an else body."""
        _, unit, nesting, depth, flags, scope = chain
        flags &= _CC_OFF
        spec = self.spec
        if branch.type in spec.if_types or branch.type in spec.else_if_types:
            return [(branch, unit, nesting, depth, flags | _ELSE_IF, scope)]
        if branch.type in spec.else_clause_types:
            content = [child for child in branch.named_children if child.type not in spec.comment_types]
            if len(content) == 1 and content[0].type in spec.if_types:
                return [
                    (child, unit, nesting, depth, flags | _ELSE_IF if child == content[0] else flags, scope)
                    for child in branch.named_children
                ]
            if unit is not None:
                unit.cognitive += 1
            return [(child, unit, nesting + 1, depth + 1, flags, scope) for child in branch.named_children]
        if unit is not None:
            unit.cognitive += 1
        return [(branch, unit, nesting + 1, depth + 1, flags, scope)]

    def visit_loop(self, frame: _Frame) -> None:
        unit, nesting, depth, flags = frame[1], frame[2], frame[3], frame[4]
        if unit is not None:
            if not flags & _CC_OFF and frame[0].type not in self.spec.unconditional_loop_types:
                unit.cyclomatic += 1
            unit.cognitive += 1 + nesting
            unit.max_nesting = max(unit.max_nesting, depth + 1)
        self.push_structure(frame, nesting + 1, depth + 1)

    def visit_switch(self, frame: _Frame) -> None:
        unit, nesting, depth = frame[1], frame[2], frame[3]
        if unit is not None:
            unit.cognitive += 1 + nesting
            unit.max_nesting = max(unit.max_nesting, depth + 1)
        self.push_structure(frame, nesting + 1, depth + 1)

    def visit_case(self, frame: _Frame) -> None:
        node, unit, nesting, depth, flags, _ = frame
        if unit is not None and not flags & _CC_OFF and not self.is_default_case(node):
            unit.cyclomatic += 1
        self.push_children(frame, nesting, depth, flags & _CC_OFF)

    def visit_try(self, frame: _Frame) -> None:
        unit, nesting, depth, flags = frame[1], frame[2], frame[3], frame[4]
        if unit is not None:
            unit.max_nesting = max(unit.max_nesting, depth + 1)
        self.push_children(frame, nesting, depth + 1, flags & _CC_OFF)

    def visit_catch(self, frame: _Frame) -> None:
        node, unit, nesting, depth, flags, _ = frame
        if unit is not None:
            if not flags & _CC_OFF and not self.is_uncounted_catch(node):
                unit.cyclomatic += 1
            unit.cognitive += 1 + nesting
        self.push_children(frame, nesting + 1, depth, flags & _CC_OFF)

    def visit_nesting_only(self, frame: _Frame) -> None:
        unit, nesting, depth, flags = frame[1], frame[2], frame[3], frame[4]
        if unit is not None:
            unit.max_nesting = max(unit.max_nesting, depth + 1)
        self.push_children(frame, nesting, depth + 1, flags & _CC_OFF)

    def visit_ternary(self, frame: _Frame) -> None:
        unit, nesting, depth, flags = frame[1], frame[2], frame[3], frame[4]
        if unit is not None:
            if not flags & _CC_OFF:
                unit.cyclomatic += 1
            unit.cognitive += 1 + nesting
        self.push_structure(frame, nesting + 1, depth)

    def visit_binary(self, frame: _Frame) -> None:
        node, unit, nesting, depth, flags, _ = frame
        if unit is not None and self.is_logical(node):
            if not flags & _CC_OFF:
                unit.cyclomatic += 1
            if node.id not in self.seen_operators:
                unit.cognitive += self.operator_runs(node)
        self.push_children(frame, nesting, depth, flags & _CC_OFF)

    def visit_goto(self, frame: _Frame) -> None:
        if frame[1] is not None:
            frame[1].cognitive += 1
        self.push_children(frame, frame[2], frame[3], frame[4] & _CC_OFF)

    def visit_jump(self, frame: _Frame) -> None:
        node, unit = frame[0], frame[1]
        if unit is not None and any(child.type in self.spec.label_types for child in node.named_children):
            unit.cognitive += 1
        self.push_children(frame, frame[2], frame[3], frame[4] & _CC_OFF)

    def visit_decision(self, frame: _Frame) -> None:
        node, unit, nesting, depth, flags, _ = frame
        if unit is not None and not flags & _CC_OFF and not self.is_excluded_decision(node):
            unit.cyclomatic += 1
        if node.type in self.spec.cyclomatic_opaque_types:
            flags |= _CC_OFF
        self.push_children(frame, nesting, depth, flags & _CC_OFF)

    def visit_guarded(self, frame: _Frame) -> None:
        node, unit, nesting, depth, flags, _ = frame
        if unit is not None and not flags & _CC_OFF:
            for node_type, field in self.spec.guarded_decisions:
                if node.type == node_type and node.child_by_field_name(field) is not None:
                    unit.cyclomatic += 1
        self.push_children(frame, nesting, depth, flags & _CC_OFF)

    def visit_else_decision(self, frame: _Frame) -> None:
        node, unit, nesting, depth, flags, _ = frame
        parent = node.parent
        if (
            unit is not None
            and not flags & _CC_OFF
            and parent is not None
            and parent.type in self.spec.else_decision_parents
            and not any(self.is_uncounted_catch(sibling) for sibling in parent.children)
        ):
            unit.cyclomatic += 1
        self.push_children(frame, nesting, depth, flags & _CC_OFF)

    def visit_opaque(self, frame: _Frame) -> None:
        self.push_children(frame, frame[2], frame[3], _CC_OFF)

    # Questions about nodes.

    def text(self, node: ts.Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def is_logical(self, node: ts.Node) -> bool:
        operator = node.child_by_field_name("operator")
        return operator is not None and operator.type in self.spec.logical_operators

    def logical_operand(self, node: ts.Node, field: str) -> ts.Node | None:
        """The operand in `field` if it continues a run of boolean operators (through parentheses)."""
        operand = node.child_by_field_name(field)
        while operand is not None and operand.type in self.spec.parenthesized_types:
            inner = [child for child in operand.named_children if child.type not in self.spec.comment_types]
            operand = inner[0] if len(inner) == 1 else None
        if operand is not None and operand.type in self.spec.binary_types and self.is_logical(operand):
            return operand
        return None

    def operator_runs(self, root: ts.Node) -> int:
        """Runs of like operators in the boolean expression under `root`, read left to right."""
        operators: list[str] = []
        pending: list[ts.Node] = []
        current: ts.Node | None = root
        while pending or current is not None:
            while current is not None:
                pending.append(current)
                current = self.logical_operand(current, "left")
            current = pending.pop()
            self.seen_operators.add(current.id)
            operator = current.child_by_field_name("operator")
            operators.append(operator.type if operator is not None else "")
            current = self.logical_operand(current, "right")
        return sum(1 for index, operator in enumerate(operators) if index == 0 or operator != operators[index - 1])

    def is_default_case(self, node: ts.Node) -> bool:
        spec = self.spec
        if spec.default_case is DefaultCase.LAST_ARM:
            sibling = node.next_named_sibling
            while sibling is not None and sibling.type in spec.comment_types:
                sibling = sibling.next_named_sibling
            return sibling is None
        if spec.default_case is DefaultCase.IRREFUTABLE:
            return _is_irrefutable_case(node) and not any(
                _is_irrefutable_case(earlier) for earlier in _earlier_siblings(node)
            )
        first = node.child(0)
        return node.type in spec.default_case_types or (first is not None and first.type == "default")

    def is_uncounted_catch(self, node: ts.Node) -> bool:
        marker = self.spec.uncounted_catch_marker
        return bool(marker) and node.type in self.spec.catch_types and any(c.type == marker for c in node.children)

    def is_excluded_decision(self, node: ts.Node) -> bool:
        parent = node.parent
        return parent is not None and (node.type, parent.type) in self.spec.decision_exclusions

    # Names and parameters.

    def function_name(self, node: ts.Node) -> str:
        spec = self.spec
        if spec.declarator_names and node.type not in spec.lambda_types:
            name_node, _ = _declarator(node)
            name = _clean_name(self.declarator_text(name_node)) if name_node is not None else ""
        else:
            name_node = node.child_by_field_name(spec.name_field(node.type))
            name = _clean_name(self.text(name_node)) if name_node is not None else self.assigned_name(node)
        if not name:
            name = f"<anonymous>@{node.start_point.row + 1}"
        receiver = node.child_by_field_name(spec.receiver_field) if spec.receiver_field else None
        receiver_type = _first_of_type(receiver, "type_identifier") if receiver is not None else None
        if receiver_type is not None:
            return f"{self.text(receiver_type)}.{name}"
        return name

    def declarator_text(self, node: ts.Node) -> str:
        """A C/C++ function name as written, a conversion operator as `operator T`."""
        if node.type == "operator_cast":
            cast_type = node.child_by_field_name("type")
            return f"operator {self.text(cast_type) if cast_type is not None else ''}"
        scope, name = node.child_by_field_name("scope"), node.child_by_field_name("name")
        if node.type == "qualified_identifier" and scope is not None and name is not None:
            return f"{self.text(scope)}::{self.declarator_text(name)}"
        return self.text(node)

    def assigned_name(self, node: ts.Node) -> str:
        """The variable or property an anonymous function or class is assigned to, or ""."""
        parent = node.parent
        while parent is not None and parent.type in _ASSIGNMENT_WRAPPERS and parent.named_child_count == 1:
            parent = parent.parent
        if parent is None:
            return ""
        for parent_type, field in self.spec.assignment_name_fields:
            if parent.type == parent_type:
                target = parent.child_by_field_name(field)
                if target is not None and target != node:
                    text = self.text(target).strip("'\"`")
                    return _clean_name(text) if _ASSIGNED_NAME.fullmatch(text) else ""
        return ""

    def parameter_count(self, node: ts.Node) -> int:
        spec = self.spec
        parameters = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
        if parameters is None and spec.declarator_names:
            _, parameters = _declarator(node)
        if parameters is None:
            return 0
        if parameters.child_count == 0:  # a lone identifier: `x => x`, `v -> v`
            return 1
        count = 0
        for child in parameters.named_children:
            if child.type in spec.comment_types or child.type in spec.parameter_exclude_types:
                continue
            if spec.void_parameter and self.is_void_parameter(child):
                continue
            count += max(1, len(child.children_by_field_name("name")))
        return count

    def is_void_parameter(self, node: ts.Node) -> bool:
        return node.child_by_field_name("declarator") is None and self.text(node).strip() == "void"


@cache
def _visits(spec: LanguageSpec) -> dict[str, _Visit]:
    """What the walker does on meeting each node type with a role in `spec`; other types just descend."""
    roles: list[tuple[frozenset[str], _Visit]] = [
        (spec.cyclomatic_opaque_types, _Walker.visit_opaque),
        (spec.binary_types, _Walker.visit_binary),
        (frozenset(node_type for node_type, _ in spec.guarded_decisions), _Walker.visit_guarded),
        (spec.decision_types, _Walker.visit_decision),
        (spec.else_clause_types if spec.else_decision_parents else frozenset(), _Walker.visit_else_decision),
        (spec.goto_types, _Walker.visit_goto),
        (spec.jump_types, _Walker.visit_jump),
        (spec.ternary_types, _Walker.visit_ternary),
        (spec.nesting_only_types, _Walker.visit_nesting_only),
        (spec.catch_types, _Walker.visit_catch),
        (spec.try_types, _Walker.visit_try),
        (spec.case_types, _Walker.visit_case),
        (spec.switch_types, _Walker.visit_switch),
        (spec.loop_types | spec.unconditional_loop_types, _Walker.visit_loop),
        (spec.if_types | spec.else_if_types, _Walker.visit_if),
        (spec.container_types, _Walker.visit_container),
        (spec.lambda_types, _Walker.visit_lambda),
        (spec.function_types, _Walker.visit_function),
        (spec.comment_types, _Walker.visit_comment),
        (spec.docstring_statement_types, _Walker.visit_string_statement),
    ]
    # Later roles win: a decision that is also opaque (Python assert) is handled as a decision.
    return {node_type: visit for types, visit in roles for node_type in types}


def _declarator(node: ts.Node) -> tuple[ts.Node | None, ts.Node | None]:
    """C/C++: the name and parameter list at the end of a function's declarator chain."""
    parameters: ts.Node | None = None
    current = node.child_by_field_name("declarator")
    while current is not None:
        if current.type in _FUNCTION_DECLARATORS:
            parameters = current.child_by_field_name("parameters")
        if current.type in _DECLARATOR_NAMES:
            if parameters is None:  # a conversion operator: `operator bool() const`
                declarator = _first_of_type(current, "abstract_function_declarator")
                parameters = declarator.child_by_field_name("parameters") if declarator is not None else None
            return current, parameters
        following = current.child_by_field_name("declarator")
        if following is None and current.type in _DECLARATOR_WRAPPERS and current.named_child_count:
            following = current.named_children[-1]
        current = following
    return None, parameters


def _is_irrefutable_case(node: ts.Node) -> bool:
    """Python `case _:` or `case name:` (with or without a guard): radon's fall-through case."""
    patterns = [child for child in node.named_children if child.type == "case_pattern"]
    if len(patterns) != 1:
        return False
    content = patterns[0].children
    if len(content) != 1:
        return False
    only = content[0]
    return only.type == "_" or (only.type == "dotted_name" and only.named_child_count == 1)


def _earlier_siblings(node: ts.Node) -> list[ts.Node]:
    siblings = []
    sibling = node.prev_named_sibling
    while sibling is not None:
        siblings.append(sibling)
        sibling = sibling.prev_named_sibling
    return siblings


def _first_of_type(node: ts.Node, node_type: str) -> ts.Node | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == node_type:
            return current
        stack.extend(reversed(current.children))
    return None


def _first_row(node: ts.Node, skipped: frozenset[str]) -> int:
    """The row of the node's first token that is not part of an annotation or decorator."""
    if not skipped:
        return node.start_point.row
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in skipped:
            continue
        if current.child_count == 0:
            return current.start_point.row
        stack.extend(reversed(current.children))
    return node.start_point.row


def _last_row(node: ts.Node, comment_types: frozenset[str]) -> int:
    """The row of the node's last token, trailing comments not included (Python blocks hold them)."""
    current = node
    while current.child_count:
        last: ts.Node | None = current.children[-1]
        while last is not None and last.type in comment_types:
            last = last.prev_sibling
        if last is None:
            break
        current = last
    row, column = current.end_point
    return row - 1 if column == 0 and row > current.start_point.row else row


def _clean_name(text: str) -> str:
    """`Foo<T>` -> `Foo`, `a::b` -> `a.b`, quotes and whitespace dropped; operator names kept whole."""
    parts = []
    for part in text.strip("'\"`").split("::"):
        if part.strip().startswith("operator"):
            parts.append(" ".join(part.split()))
        else:
            parts.append("".join(part.split("<", 1)[0].split()))
    return ".".join(part for part in parts if part)


def _first_error(root: ts.Node) -> str:
    """Where the first ERROR or MISSING node of the tree is, e.g. ``line 3: syntax error``."""
    node = root
    while True:
        for child in node.children:
            if child.is_missing:
                return f"line {child.start_point.row + 1}: missing {child.type!r}"
            if child.is_error:
                return f"line {child.start_point.row + 1}: syntax error"
            if child.has_error:
                node = child
                break
        else:
            return f"line {node.start_point.row + 1}: syntax error"


def _comment_text(source: bytes, comment: ts.Node) -> str:
    # Rust's line comments hold their newline.
    return source[comment.start_byte : comment.end_byte].rstrip(b"\r\n").decode("utf-8", "replace")


def _classify_lines(source: bytes, comments: list[ts.Node]) -> tuple[frozenset[int], frozenset[int]]:
    """(code lines, comment lines), 1-based, from the text and where the comments are."""
    comment_lines: set[int] = set()
    spans: dict[int, list[tuple[int, int]]] = {}  # row -> comment byte spans on that row
    for comment in comments:
        row, column = comment.start_point
        for offset, piece in enumerate(source[comment.start_byte : comment.end_byte].split(b"\n")):
            start = column if offset == 0 else 0
            spans.setdefault(row + offset, []).append((start, start + len(piece)))
            if piece.strip():
                comment_lines.add(row + offset + 1)
    code_lines = set()
    for row, line in enumerate(source.split(b"\n")):
        row_spans = spans.get(row)
        if row_spans is None:
            if line.strip():
                code_lines.add(row + 1)
        elif _outside_spans(line, row_spans).strip():
            code_lines.add(row + 1)
    return frozenset(code_lines), frozenset(comment_lines)


def _outside_spans(line: bytes, spans: list[tuple[int, int]]) -> bytes:
    pieces = []
    position = 0
    for start, end in sorted(spans):
        pieces.append(line[position:start])
        position = max(position, end)
    pieces.append(line[position:])
    return b"".join(pieces)
