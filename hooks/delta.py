"""The debt delta between two versions of a file: functions matched by qualified name, what got worse past a
threshold of `[debt]`, and the file's debt minutes before and after (the debt gate and `ci-gate` share it).

A function *fails* a measure (cyclomatic, cognitive, length, nesting, parameters) when it goes from at or
under the threshold to above it, or is above it already and gets worse; a new function fails when it is
above a threshold. Functions of the same qualified name in one file are paired in order of appearance.
A file's minutes are the debt model's findings for it (functions, maintainability, debt markers);
duplication is left out, as it depends on the whole snapshot.

An inline suppression, `devmetrics: allow-debt reason=<why>` in a comment on the function's first line or in
the comment/decorator lines right above it (any comment syntax), lets its failures pass; without a reason it
does not count and the gate says so.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from devmetrics.analyzers.code.records import FunctionMetrics
from devmetrics.analyzers.debt import (
    FunctionRow,
    Limit,
    function_findings,
    function_limits,
    maintainability_findings,
    marker_findings,
)
from devmetrics.config import DebtConfig
from devmetrics.hooks.measured import Measured

MEASURE_NAMES = ("cyclomatic", "cognitive", "length", "nesting", "parameters")
SUPPRESSION = re.compile(r"devmetrics:\s*allow-debt\b(?P<rest>[^\n]*)", re.IGNORECASE)
REASON = re.compile(r"reason\s*=\s*(?P<reason>\S[^\n]*?)\s*(?:\*/|-->|$)", re.IGNORECASE)
ABOVE_PREFIXES = ("#", "//", "/*", "*", "--", ";", "@", "<!--", "'''", '"""')
MAX_LINES_ABOVE = 12

ADDED, REMOVED, WORSENED, IMPROVED, UNCHANGED = "added", "removed", "worsened", "improved", "unchanged"


@dataclass(frozen=True, slots=True)
class Failure:
    measure: str  # one of MEASURE_NAMES
    before: int | None  # None for a new function
    after: int
    limit: int


@dataclass(frozen=True, slots=True)
class FunctionDelta:
    name: str
    line: int  # in the version after (before, for a removed function)
    before: tuple[int, int, int, int, int] | None
    after: tuple[int, int, int, int, int] | None
    minutes_before: float
    minutes_after: float
    failures: tuple[Failure, ...]
    suppressed: str | None = None  # the reason of a suppression comment that lets the failures pass
    unreasoned_suppression: bool = False  # a suppression comment without reason=, which does not count

    @property
    def kind(self) -> str:
        if self.before is None:
            return ADDED
        if self.after is None:
            return REMOVED
        if self.failures or self.minutes_after > self.minutes_before:
            return WORSENED
        if self.minutes_after < self.minutes_before:
            return IMPROVED
        return UNCHANGED

    @property
    def blocking(self) -> bool:
        return bool(self.failures) and self.suppressed is None


@dataclass(frozen=True, slots=True)
class FileDelta:
    path: str
    old_path: str | None
    language: str
    minutes_before: float
    minutes_after: float
    lines_before: int
    lines_after: int
    functions: tuple[FunctionDelta, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def minutes_change(self) -> float:
        return self.minutes_after - self.minutes_before

    @property
    def density_before(self) -> float | None:
        return self.minutes_before * 1000 / self.lines_before if self.lines_before else None

    @property
    def density_after(self) -> float | None:
        return self.minutes_after * 1000 / self.lines_after if self.lines_after else None


def measures(function: FunctionMetrics) -> tuple[int, int, int, int, int]:
    return (function.cyclomatic, function.cognitive, function.length, function.max_nesting, function.parameters)


def function_minutes(function: FunctionMetrics, limits: Sequence[Limit]) -> float:
    row = FunctionRow(function.qualified_name, function.start_line, measures(function))
    return sum(finding.minutes for finding in function_findings(row, limits))


def file_minutes(measured: Measured | None, debt: DebtConfig) -> float:
    """The file's debt minutes, duplication aside: functions, maintainability and debt markers."""
    if measured is None:
        return 0.0
    limits = function_limits(debt)
    minutes = sum(function_minutes(function, limits) for function in measured.functions)
    minutes += sum(finding.minutes for finding in maintainability_findings(measured.maintainability, debt))
    markers = json.dumps([[marker.line, marker.kind, marker.text] for marker in measured.markers])
    return minutes + sum(finding.minutes for finding in marker_findings(markers, debt))


def keyed(functions: Sequence[FunctionMetrics]) -> dict[tuple[str, int], FunctionMetrics]:
    """Functions by (qualified name, occurrence): the second `f` of a file is ("f", 1)."""
    seen: Counter[str] = Counter()
    result = {}
    for function in sorted(functions, key=lambda f: (f.start_line, f.end_line)):
        result[(function.qualified_name, seen[function.qualified_name])] = function
        seen[function.qualified_name] += 1
    return result


def failures(before: FunctionMetrics | None, after: FunctionMetrics, limits: Sequence[Limit]) -> tuple[Failure, ...]:
    found = []
    old = None if before is None else measures(before)
    for index, (limit, value) in enumerate(zip(limits, measures(after), strict=True)):
        if value <= limit.limit:
            continue
        previous = None if old is None else old[index]
        if previous is None or previous <= limit.limit or value > previous:
            found.append(Failure(MEASURE_NAMES[index], previous, value, limit.limit))
    return tuple(found)


def compare(
    path: str,
    old_path: str | None,
    before: Measured | None,
    after: Measured | None,
    debt: DebtConfig,
    *,
    merged: Sequence[Measured | None] = (),
) -> FileDelta:
    """The delta of one file. With `merged` (the versions of the commits a merge brings in), a function is
    judged only when the merge changed it: its version differs from HEAD's and from every merged one."""
    limits = function_limits(debt)
    old = keyed(before.functions) if before is not None else {}
    new = keyed(after.functions) if after is not None else {}
    others = [keyed(version.functions) for version in merged if version is not None]
    deltas = []
    for key, function in new.items():
        previous = old.get(key)
        if previous is not None and measures(previous) == measures(function):
            continue
        if any(key in other and measures(other[key]) == measures(function) for other in others):
            continue  # brought in unchanged by the merge: judged when it was committed on its branch
        deltas.append(
            FunctionDelta(
                key[0],
                function.start_line,
                None if previous is None else measures(previous),
                measures(function),
                0.0 if previous is None else function_minutes(previous, limits),
                function_minutes(function, limits),
                failures(previous, function, limits),
            )
        )
    for key, function in old.items():
        if key not in new:
            minutes = function_minutes(function, limits)
            deltas.append(FunctionDelta(key[0], function.start_line, measures(function), None, minutes, 0.0, ()))
    minutes_before = file_minutes(before, debt)
    if merged:
        minutes_before = max([minutes_before, *(file_minutes(version, debt) for version in merged)])
    version = after if after is not None else before
    language = version.language if version is not None else ""
    return FileDelta(
        path,
        old_path,
        language,
        minutes_before,
        file_minutes(after, debt),
        before.lines_code if before is not None else 0,
        after.lines_code if after is not None else 0,
        tuple(sorted(deltas, key=lambda delta: (delta.after is None, delta.line, delta.name))),
    )


def suppression(text_lines: Sequence[str], first_line: int) -> tuple[str | None, bool]:
    """(reason, False) when the function starting at `first_line` (1-based) carries a suppression with a
    reason; (None, True) when it carries one without a reason; (None, False) when it carries none."""
    candidates = []
    if 1 <= first_line <= len(text_lines):
        candidates.append(text_lines[first_line - 1])
    line = first_line - 2
    while line >= 0 and first_line - 2 - line < MAX_LINES_ABOVE:
        stripped = text_lines[line].strip()
        if not stripped or not stripped.startswith(ABOVE_PREFIXES):
            break
        candidates.append(stripped)
        line -= 1
    unreasoned = False
    for candidate in candidates:
        found = SUPPRESSION.search(candidate)
        if found is None:
            continue
        reason = REASON.search(found["rest"])
        if reason is not None and reason["reason"].strip():
            return reason["reason"].strip(), False
        unreasoned = True
    return None, unreasoned


def with_suppressions(delta: FileDelta, text: str) -> FileDelta:
    """The delta with the suppression comments of the version after (its `text`) applied."""
    lines = text.splitlines()
    functions = []
    for function in delta.functions:
        if function.failures:
            reason, unreasoned = suppression(lines, function.line)
            function = replace(function, suppressed=reason, unreasoned_suppression=unreasoned)
        functions.append(function)
    return replace(delta, functions=tuple(functions))
