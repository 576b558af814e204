"""What each tree-sitter grammar calls the things the measuring engine counts.

One frozen :class:`LanguageSpec` per language; the generic walker in ``treesitter.py`` reads nothing else
about a language. Node types are the grammar's own names (``tests/test_treesitter.py`` checks every one of
them exists in its grammar). Where a language departs from the common definitions, its spec says why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class DefaultCase(Enum):
    """Which arm of a switch/match is the fall-through one that adds no cyclomatic decision."""

    KEYWORD = "keyword"  # a `default` label (C, C++, Java, JavaScript, TypeScript, Go)
    IRREFUTABLE = "irrefutable"  # `case _` or a bare capture `case x` (Python, as radon)
    LAST_ARM = "last_arm"  # a match with n arms is n-1 decisions (Rust, as lizard)


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """The node types of one grammar, sorted by the role they play in the metrics."""

    name: str
    distribution: str  # the grammar wheel, for grammar_versions()
    comment_types: frozenset[str]

    # Units and names.
    function_types: frozenset[str]  # measured as functions of their own (only when they have a body)
    lambda_types: frozenset[str] = frozenset()  # folded into the enclosing function
    lambda_units_outside_functions: bool = True  # a lambda outside any function is a unit of its own
    container_types: frozenset[str] = frozenset()  # classes, impls, namespaces: prefixes of qualified names
    name_fields: tuple[tuple[str, str], ...] = ()  # (node type, field holding its name) where not "name"
    declarator_names: bool = False  # C/C++: the name and parameters sit in the declarator chain
    receiver_field: str = ""  # Go: methods are qualified by their receiver's type
    assignment_name_fields: tuple[tuple[str, str], ...] = ()  # (parent type, field) naming an assigned function
    annotation_types: frozenset[str] = frozenset()  # skipped when finding a function's first line

    # Lines: a statement that is nothing but a string (a Python docstring) is comment text, not code, though
    # not a comment for debt markers.
    docstring_statement_types: frozenset[str] = frozenset()
    docstring_string_types: frozenset[str] = frozenset()

    # Parameters.
    parameter_exclude_types: frozenset[str] = frozenset()  # named children of the list that are not parameters
    void_parameter: bool = False  # C/C++: `f(void)` has no parameters

    # Branches: cyclomatic +1 each; cognitive +1 plus nesting (if) or +1 flat (else if, else).
    if_types: frozenset[str] = frozenset()
    else_if_types: frozenset[str] = frozenset()  # a separate else-if node (Python elif)
    else_clause_types: frozenset[str] = frozenset()  # the wrapper around an else branch, if the grammar has one
    ternary_types: frozenset[str] = frozenset()

    # Loops: cyclomatic +1, cognitive +1 plus nesting, nesting +1.
    loop_types: frozenset[str] = frozenset()
    unconditional_loop_types: frozenset[str] = frozenset()  # Rust `loop`: no decision, still a loop to read

    # Switch/match: cognitive +1 plus nesting for the whole switch; cyclomatic +1 per non-default case.
    switch_types: frozenset[str] = frozenset()
    case_types: frozenset[str] = frozenset()
    default_case_types: frozenset[str] = frozenset()
    default_case: DefaultCase = DefaultCase.KEYWORD

    # Exceptions: try nests (max_nesting only); each catch is cyclomatic +1, cognitive +1 plus nesting.
    try_types: frozenset[str] = frozenset()
    catch_types: frozenset[str] = frozenset()
    nesting_only_types: frozenset[str] = frozenset()  # Python `with`: deepens max_nesting, nothing else

    # Boolean operators: cyclomatic +1 each; cognitive +1 per run of like operators.
    binary_types: frozenset[str] = frozenset()
    logical_operators: frozenset[str] = frozenset({"&&", "||"})
    parenthesized_types: frozenset[str] = frozenset()  # transparent when reading a run of operators

    # Jumps: cognitive +1 for goto and for break/continue to a label.
    goto_types: frozenset[str] = frozenset()
    jump_types: frozenset[str] = frozenset()
    label_types: frozenset[str] = frozenset()

    # Cyclomatic-only details (Python follows radon, Rust follows lizard).
    decision_types: frozenset[str] = frozenset()  # +1 each, nothing for cognitive
    decision_exclusions: tuple[tuple[str, str], ...] = ()  # (decision type, parent type) that does not count
    guarded_decisions: tuple[tuple[str, str], ...] = ()  # (node type, field): +1 when the field is present
    else_decision_parents: frozenset[str] = frozenset()  # an else of these statements is a decision
    cyclomatic_opaque_types: frozenset[str] = frozenset()  # nothing inside these counts for cyclomatic
    uncounted_catch_marker: str = ""  # a catch holding this token is not counted (radon skips except*)

    def name_field(self, node_type: str) -> str:
        """The field that names a function or container of this type."""
        for candidate, field in self.name_fields:
            if candidate == node_type:
                return field
        return "name"


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


# Python follows radon 6 (`radon.complexity.cc_visit`) exactly for cyclomatic complexity:
# +1 for if/elif, conditional expressions, for/while (+1 more for their `else`), each except clause
# (+1 for a try's `else`; `try/except*` counts nothing, radon does not visit ast.TryStar), each
# comprehension `for` and `if`, each `and`/`or` operator, each `case` but one irrefutable `case _`/
# `case x`, and `assert`. `with`, `finally`, match guards and lambdas add nothing of their own; nothing
# inside an assert, a decorator or a def's parameter list counts. Lambdas are never functions (radon does
# not list them, even outside a def): their decisions count in the enclosing function. Parameters are
# counted as lizard counts them: `self`, `cls`, `*args` and `**kwargs` included, the bare `*` and `/`
# markers not. Docstrings (any statement that is only a string, as radon's raw counts) are comment lines.
# lizard differs: it also counts `finally`, match guards and `case _`, and not `assert` or an `else` of a
# loop or try.
PYTHON = LanguageSpec(
    name="python",
    distribution="tree-sitter-python",
    comment_types=_types("comment"),
    function_types=_types("function_definition"),
    lambda_types=_types("lambda"),
    lambda_units_outside_functions=False,
    container_types=_types("class_definition"),
    docstring_statement_types=_types("expression_statement"),
    docstring_string_types=_types("string", "concatenated_string"),
    parameter_exclude_types=_types("keyword_separator", "positional_separator"),
    if_types=_types("if_statement"),
    else_if_types=_types("elif_clause"),
    else_clause_types=_types("else_clause"),
    ternary_types=_types("conditional_expression"),
    loop_types=_types("for_statement", "while_statement"),
    switch_types=_types("match_statement"),
    case_types=_types("case_clause"),
    default_case=DefaultCase.IRREFUTABLE,
    try_types=_types("try_statement"),
    catch_types=_types("except_clause"),
    nesting_only_types=_types("with_statement"),
    binary_types=_types("boolean_operator"),
    logical_operators=_types("and", "or"),
    parenthesized_types=_types("parenthesized_expression"),
    decision_types=_types("for_in_clause", "if_clause", "assert_statement"),
    decision_exclusions=(("if_clause", "case_clause"),),
    else_decision_parents=_types("for_statement", "while_statement", "try_statement"),
    cyclomatic_opaque_types=_types("assert_statement", "decorator", "parameters"),
    uncounted_catch_marker="*",
)

# JavaScript: every function, method, function expression and arrow function is its own unit (as
# lizard reports them). `??`, `?.` and the logical assignments `||=`, `&&=`, `??=` are not decisions
# (lizard counts `??`, `||=` and `??=`). Parameters: one per formal parameter, a destructuring pattern
# counts as one (lizard counts none for arrow functions).
JAVASCRIPT = LanguageSpec(
    name="javascript",
    distribution="tree-sitter-javascript",
    comment_types=_types("comment", "html_comment"),
    function_types=_types(
        "function_declaration",
        "function_expression",
        "generator_function_declaration",
        "generator_function",
        "arrow_function",
        "method_definition",
    ),
    container_types=_types("class_declaration", "class"),
    assignment_name_fields=(
        ("variable_declarator", "name"),
        ("assignment_expression", "left"),
        ("pair", "key"),
        ("field_definition", "property"),
    ),
    annotation_types=_types("decorator"),
    if_types=_types("if_statement"),
    else_clause_types=_types("else_clause"),
    ternary_types=_types("ternary_expression"),
    loop_types=_types("for_statement", "for_in_statement", "while_statement", "do_statement"),
    switch_types=_types("switch_statement"),
    case_types=_types("switch_case", "switch_default"),
    default_case_types=_types("switch_default"),
    try_types=_types("try_statement"),
    catch_types=_types("catch_clause"),
    binary_types=_types("binary_expression"),
    parenthesized_types=_types("parenthesized_expression"),
    jump_types=_types("break_statement", "continue_statement"),
    label_types=_types("statement_identifier"),
)

# TypeScript and TSX: JavaScript plus namespaces and abstract classes; signatures without a body
# (overloads, interface and abstract methods) are not functions.
TYPESCRIPT = replace(
    JAVASCRIPT,
    name="typescript",
    distribution="tree-sitter-typescript",
    container_types=_types("class_declaration", "abstract_class_declaration", "class", "internal_module", "module"),
    assignment_name_fields=(
        ("variable_declarator", "name"),
        ("assignment_expression", "left"),
        ("pair", "key"),
        ("public_field_definition", "name"),
    ),
)
TSX = replace(TYPESCRIPT, name="tsx")

# Go: methods are named Receiver.Method; function literals are their own units (as lizard). Every `for`
# is a decision, `for {}` included (lizard counts the keyword); `select` and type-switch cases count like
# switch cases. Parameters: one per declared name (`a, b int` is two).
GO = LanguageSpec(
    name="go",
    distribution="tree-sitter-go",
    comment_types=_types("comment"),
    function_types=_types("function_declaration", "method_declaration", "func_literal"),
    receiver_field="receiver",
    assignment_name_fields=(("var_spec", "name"), ("short_var_declaration", "left"), ("assignment_statement", "left")),
    if_types=_types("if_statement"),
    loop_types=_types("for_statement"),
    switch_types=_types("expression_switch_statement", "type_switch_statement", "select_statement"),
    case_types=_types("expression_case", "type_case", "communication_case", "default_case"),
    default_case_types=_types("default_case"),
    binary_types=_types("binary_expression"),
    parenthesized_types=_types("parenthesized_expression"),
    goto_types=_types("goto_statement"),
    jump_types=_types("break_statement", "continue_statement"),
    label_types=_types("label_name"),
)

# Java: lambdas belong to their method, as in the cognitive complexity paper and lizard; methods of an
# anonymous class are units named after the method around them. `case a, b ->` is one decision, as
# lizard counts the `case` keyword. Parameters: formal and varargs parameters.
JAVA = LanguageSpec(
    name="java",
    distribution="tree-sitter-java",
    comment_types=_types("line_comment", "block_comment"),
    function_types=_types("method_declaration", "constructor_declaration", "compact_constructor_declaration"),
    lambda_types=_types("lambda_expression"),
    container_types=_types(
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
    ),
    assignment_name_fields=(("variable_declarator", "name"), ("assignment_expression", "left")),
    annotation_types=_types("marker_annotation", "annotation"),
    if_types=_types("if_statement"),
    ternary_types=_types("ternary_expression"),
    loop_types=_types("for_statement", "enhanced_for_statement", "while_statement", "do_statement"),
    switch_types=_types("switch_expression"),
    case_types=_types("switch_label"),
    try_types=_types("try_statement", "try_with_resources_statement"),
    catch_types=_types("catch_clause"),
    binary_types=_types("binary_expression"),
    parenthesized_types=_types("parenthesized_expression"),
    jump_types=_types("break_statement", "continue_statement"),
    label_types=_types("identifier"),
)

# Rust: closures belong to their function (as lizard). A match with n arms is n-1 decisions and a match
# guard is one more (lizard counts arms after the first and the guard's `if`); `let … else` is a
# decision. Unlike lizard, the `?` operator and `where` clauses are not decisions. `loop` is cognitive +1
# but no decision. Functions in impls and traits are Type.method; `self` counts as a parameter.
RUST = LanguageSpec(
    name="rust",
    distribution="tree-sitter-rust",
    comment_types=_types("line_comment", "block_comment"),
    function_types=_types("function_item"),
    lambda_types=_types("closure_expression"),
    container_types=_types("impl_item", "trait_item", "mod_item"),
    name_fields=(("impl_item", "type"),),
    assignment_name_fields=(("let_declaration", "pattern"), ("assignment_expression", "left")),
    parameter_exclude_types=_types("attribute_item"),
    if_types=_types("if_expression"),
    else_clause_types=_types("else_clause"),
    loop_types=_types("for_expression", "while_expression"),
    unconditional_loop_types=_types("loop_expression"),
    switch_types=_types("match_expression"),
    case_types=_types("match_arm"),
    default_case=DefaultCase.LAST_ARM,
    binary_types=_types("binary_expression"),
    parenthesized_types=_types("parenthesized_expression"),
    jump_types=_types("break_expression", "continue_expression"),
    label_types=_types("label"),
    guarded_decisions=(("match_pattern", "condition"), ("let_declaration", "alternative")),
)

# C: `f(void)` has no parameters; `...` is not a parameter (as lizard).
C = LanguageSpec(
    name="c",
    distribution="tree-sitter-c",
    comment_types=_types("comment"),
    function_types=_types("function_definition"),
    declarator_names=True,
    assignment_name_fields=(("init_declarator", "declarator"),),
    parameter_exclude_types=_types("variadic_parameter"),
    void_parameter=True,
    if_types=_types("if_statement"),
    else_clause_types=_types("else_clause"),
    ternary_types=_types("conditional_expression"),
    loop_types=_types("for_statement", "while_statement", "do_statement"),
    switch_types=_types("switch_statement"),
    case_types=_types("case_statement"),
    binary_types=_types("binary_expression"),
    parenthesized_types=_types("parenthesized_expression"),
    goto_types=_types("goto_statement"),
)

# C++: C plus classes, namespaces and try/catch; `Foo::bar` defined outside its class is Foo.bar. Lambdas
# belong to their function (as lizard).
CPP = LanguageSpec(
    name="cpp",
    distribution="tree-sitter-cpp",
    comment_types=_types("comment"),
    function_types=_types("function_definition"),
    lambda_types=_types("lambda_expression"),
    container_types=_types("class_specifier", "struct_specifier", "union_specifier", "namespace_definition"),
    declarator_names=True,
    assignment_name_fields=(("init_declarator", "declarator"),),
    annotation_types=_types("attribute_declaration"),
    void_parameter=True,
    if_types=_types("if_statement"),
    else_clause_types=_types("else_clause"),
    ternary_types=_types("conditional_expression"),
    loop_types=_types("for_statement", "for_range_loop", "while_statement", "do_statement"),
    switch_types=_types("switch_statement"),
    case_types=_types("case_statement"),
    try_types=_types("try_statement"),
    catch_types=_types("catch_clause"),
    binary_types=_types("binary_expression"),
    logical_operators=_types("&&", "||", "and", "or"),
    parenthesized_types=_types("parenthesized_expression"),
    goto_types=_types("goto_statement"),
)

LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec for spec in (PYTHON, JAVASCRIPT, TYPESCRIPT, TSX, GO, JAVA, RUST, C, CPP)
}
