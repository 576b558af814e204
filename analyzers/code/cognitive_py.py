"""Cognitive complexity and nesting depth of Python functions, from the standard `ast`.

Cognitive complexity follows SonarSource's white paper (G. Ann Campbell, "Cognitive Complexity", v1.7):

- +1 plus the current nesting for `if`, ternary (`x if c else y`), `for`/`async for`, `while`, each `except`
  clause and `match` (a switch: one increment for the whole statement, not one per case);
- +1 without nesting for `elif` and for every `else` clause (of `if`, of loops, of `try`);
- +1 for each boolean operator node (`a and b and c` is one; `a and b or c` is two);
- +1 once when the function's body calls the function by its bare name (recursion);
- nesting grows inside the bodies of those structures, inside ternaries, lambdas and nested functions; it
  does not grow inside `try`, `finally`, `with` or class bodies; conditions are read at the structure's own
  level. A function nested in a decorator (its enclosing function holds only it and `return <name>`) adds no
  nesting, as SonarSource's Python analyser does.

Nested functions and lambdas count toward the function that encloses them (and nested functions are also
measured on their own). Comprehensions add nothing.

Where the `cognitive_complexity` package (which the tests compare against) differs, it departs from the
white paper: it counts `async for` and `match` as nothing, gives nothing for the `else` of a `try`, reads
`else:` holding a lone `if` as an elif, does not nest the body of an `if` that has an elif, nests elif
branches ever deeper, nests conditions inside their structure, does not look inside boolean expressions
(for ternaries and lambdas), and takes any function made of a def and a return for a decorator (SonarSource
asks for `return <name>`) but only at the top.

max_nesting is the deepest nesting of compound statements (if, for, while, try, with, match) in the
function's own body: a function with one `if` has 1; `elif`/`else`/`except`/`case` branches sit at their
statement's level; nested functions and classes are measured on their own and do not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.TryStar, ast.With, ast.AsyncWith, ast.Match)


def cognitive_complexity(function: FunctionNode) -> int:
    """SonarSource's cognitive complexity of `function` (see the module's documentation)."""
    counter = _Counter(function.name)
    counter.visit_all(function.body, 0, function)
    return counter.total + int(counter.recursive)


class _Counter:
    def __init__(self, name: str) -> None:
        self.name = name  # a call to this bare name is recursion
        self.total = 0
        self.recursive = False

    def visit_all(self, statements: Iterable[ast.AST], nesting: int, owner: FunctionNode | None) -> None:
        for statement in statements:
            self.visit(statement, nesting, owner)

    def visit(self, node: ast.AST, nesting: int, owner: FunctionNode | None) -> None:
        kind = type(node)
        if kind in _LEAVES:
            return
        if kind in _PLAIN:  # the most common nodes first, without pattern matching
            for child in _children(node):
                self.visit(child, nesting, owner)
            return
        match node:
            case ast.If():
                self._if(node, nesting, owner, is_elif=False)
            case ast.For() | ast.AsyncFor() | ast.While():
                self._loop(node, nesting, owner)
            case ast.Try() | ast.TryStar():
                self._try(node, nesting, owner)
            case ast.Match():
                self._match(node, nesting, owner)
            case ast.IfExp():
                self.total += 1 + nesting
                self.visit_all(_children(node), nesting + 1, owner)
            case ast.BoolOp():
                self.total += 1
                self.visit_all(node.values, nesting, owner)
            case ast.Lambda():
                self.visit_all(_children(node), nesting + 1, owner)
            case ast.FunctionDef() | ast.AsyncFunctionDef():
                level = nesting if _is_wrapper(owner, node) else nesting + 1
                self.visit_all(_children(node), level, node)
            case ast.ClassDef():
                self.visit_all(_children(node), nesting, None)
            case ast.Call(func=ast.Name(id=called)):
                self.recursive |= called == self.name
                self.visit_all(_children(node), nesting, owner)
            case _:
                self.visit_all(_children(node), nesting, owner)

    def _if(self, node: ast.If, nesting: int, owner: FunctionNode | None, *, is_elif: bool) -> None:
        self.total += 1 if is_elif else 1 + nesting
        self.visit(node.test, nesting, owner)
        self.visit_all(node.body, nesting + 1, owner)
        branch = elif_branch(node)
        if branch is None:
            self._else(node.orelse, nesting, owner)
        else:
            self._if(branch, nesting, owner, is_elif=True)

    def _else(self, body: list[ast.stmt], nesting: int, owner: FunctionNode | None) -> None:
        if body:
            self.total += 1
            self.visit_all(body, nesting + 1, owner)

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While, nesting: int, owner: FunctionNode | None) -> None:
        self.total += 1 + nesting
        heads: list[ast.expr] = [node.test] if isinstance(node, ast.While) else [node.target, node.iter]
        self.visit_all(heads, nesting, owner)
        self.visit_all(node.body, nesting + 1, owner)
        self._else(node.orelse, nesting, owner)

    def _try(self, node: ast.Try | ast.TryStar, nesting: int, owner: FunctionNode | None) -> None:
        self.visit_all(node.body, nesting, owner)
        for handler in node.handlers:
            self.total += 1 + nesting
            if handler.type is not None:
                self.visit(handler.type, nesting, owner)
            self.visit_all(handler.body, nesting + 1, owner)
        self._else(node.orelse, nesting, owner)
        self.visit_all(node.finalbody, nesting, owner)

    def _match(self, node: ast.Match, nesting: int, owner: FunctionNode | None) -> None:
        self.total += 1 + nesting
        self.visit(node.subject, nesting, owner)
        for case in node.cases:
            if case.guard is not None:
                self.visit(case.guard, nesting + 1, owner)
            self.visit_all(case.body, nesting + 1, owner)


# Nodes that hold nothing the count looks at (names, constants, contexts, operators), and common ones that
# only pass the visit on to their children: deciding these by type alone keeps the visit cheap.
_LEAVES = frozenset(
    {ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue, ast.Global}
    | {ast.Nonlocal, ast.alias}
    | set(ast.operator.__subclasses__())
    | set(ast.unaryop.__subclasses__())
    | set(ast.cmpop.__subclasses__())
    | set(ast.boolop.__subclasses__())
)
_PLAIN = frozenset(
    {ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Attribute, ast.Subscript, ast.Tuple}
    | {ast.List, ast.Dict, ast.Set, ast.Compare, ast.BinOp, ast.UnaryOp, ast.keyword, ast.arguments, ast.arg}
    | {ast.JoinedStr, ast.FormattedValue, ast.Starred, ast.Slice, ast.With, ast.AsyncWith, ast.withitem}
    | {ast.Raise, ast.Assert, ast.Delete, ast.Import, ast.ImportFrom, ast.Await, ast.Yield, ast.YieldFrom}
)


def _children(node: ast.AST) -> Iterator[ast.AST]:
    """`ast.iter_child_nodes`, without the generator of `ast.iter_fields` in between."""
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
        elif isinstance(value, ast.AST):
            yield value


def elif_branch(node: ast.If) -> ast.If | None:
    """The `if` of `node`'s `elif`, or None: an `elif` is a lone `if` in the else branch at the column of `node`
    itself (an `if` written inside `else:` is indented further)."""
    match node.orelse:
        case [ast.If() as branch] if branch.col_offset == node.col_offset:
            return branch
    return None


def _is_wrapper(owner: FunctionNode | None, inner: FunctionNode) -> bool:
    """True when `owner` is a decorator around `inner`: besides `inner` it holds only `return <name>`."""
    if owner is None:
        return False
    return all(statement is inner or _is_simple_return(statement) for statement in owner.body)


def _is_simple_return(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Return) and isinstance(statement.value, ast.Name)


def max_nesting(function: FunctionNode) -> int:
    """The deepest nesting of compound statements in `function`'s own body (see the module's documentation)."""
    return _depth(function.body)


def _depth(statements: Iterable[ast.stmt]) -> int:
    return max((_statement_depth(statement) for statement in statements), default=0)


def _statement_depth(statement: ast.stmt) -> int:
    if not isinstance(statement, _BLOCKS):
        return 0
    return 1 + max((_depth(branch) for branch in _branches(statement)), default=0)


def _branches(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists directly inside a compound statement; an elif chain's branches all belong to its if."""
    match statement:
        case ast.If():
            yield statement.body
            branch = elif_branch(statement)
            if branch is None:
                yield statement.orelse
            else:
                yield from _branches(branch)
        case ast.For() | ast.AsyncFor() | ast.While():
            yield statement.body
            yield statement.orelse
        case ast.Try() | ast.TryStar():
            yield statement.body
            yield from (handler.body for handler in statement.handlers)
            yield statement.orelse
            yield statement.finalbody
        case ast.With() | ast.AsyncWith():
            yield statement.body
        case ast.Match():
            yield from (case.body for case in statement.cases)
