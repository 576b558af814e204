"""`devmetrics-debt-gate`, the pre-commit hook that stops debt at the door: code a commit touches may not
get worse.

It compares the staged version (the index blob) of every changed source file, in every language devmetrics
measures, with its version in HEAD (read with `git cat-file --batch`, never from the working tree) and fails
when a function crosses or worsens past a `[debt]` threshold (see `delta`) or when a file's debt minutes grow
by more than `hooks.debt_budget_minutes`. New files have no version before: they are judged against the
thresholds. A renamed file is compared with its old path's version; a deleted file has nothing to judge;
binary, too large and unparsable versions are named and not judged. During a merge (MERGE_HEAD exists) only
functions the merge itself changed count (changes brought in unchanged were judged on their branch), and a
file's budget is measured from the larger of its HEAD and merged versions. Rebases are judged like commits.

Escapes: a `devmetrics: allow-debt reason=<why>` comment above a function, or pre-commit's
`SKIP=devmetrics-debt-gate git commit …`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from devmetrics.config import DebtConfig
from devmetrics.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, DevmetricsError
from devmetrics.hooks import delta as deltas
from devmetrics.hooks import gitio
from devmetrics.hooks.measured import BlobCache, Measured, analyzer_version, measure_all

HOOK_ID = "devmetrics-debt-gate"
SKIPPED_MODES = ("120000", "160000")  # symlinks and submodules hold no file version
ADVICE = (
    "What to do: make the function simpler (extract helpers, return early, flatten nested conditions, group "
    "parameters into an object); if the debt is deliberate, add a comment `devmetrics: allow-debt reason=<why>` "
    f"on or above its first line; to skip the gate once: SKIP={HOOK_ID} git commit ..."
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=HOOK_ID, description="Fail a commit that makes touched code worse.")
    parser.add_argument("filenames", nargs="*", help="only these staged paths (default: every staged change)")
    parser.add_argument("--config", type=Path, default=None, help="devmetrics config file (default: discovered)")
    parser.add_argument("--budget", type=float, default=None, help="debt minutes a file may gain (default: config)")
    args = parser.parse_args(argv)
    try:
        lines, failed = run(Path(), args.filenames, args.config, args.budget)
    except DevmetricsError as error:
        print(f"{HOOK_ID}: error: {error}", file=sys.stderr)
        return error.exit_code
    if lines:
        print("\n".join(lines))
    return EXIT_FAILED if failed else EXIT_OK


def run(folder: Path, only: Sequence[str], config_path: Path | None, budget: float | None) -> tuple[list[str], bool]:
    """(lines to print, whether the commit must be refused)."""
    from devmetrics.config import load_config

    repo = gitio.toplevel(folder)
    config = load_config(config_path, cwd=repo)
    if budget is None:
        budget = config.hooks.debt_budget_minutes
    elif budget < 0:
        raise DevmetricsError(f"--budget {budget:g}: give zero or more minutes", exit_code=EXIT_USAGE)
    changes = [change for change in gitio.staged_changes(repo) if not only or change.path in set(only)]
    merging = gitio.merge_heads(repo)
    database = repo / config.scan.db
    cache = BlobCache(gitio.common_dir(repo), analyzer_version(), database if database.is_file() else None)
    with gitio.BlobReader(repo) as reader:
        files = judge(repo, changes, merging, cache, reader, config.debt)
    return report(files, budget, merging)


def judge(
    repo: Path,
    changes: Sequence[gitio.FileChange],
    merging: Sequence[str],
    cache: BlobCache,
    reader: gitio.BlobReader,
    debt: DebtConfig,
) -> list[deltas.FileDelta]:
    Key = tuple[str, str]  # (blob sha, path)
    wanted: list[Key] = []
    judged: list[tuple[gitio.FileChange, Key, Key | None, list[Key | None]]] = []
    for change in changes:
        if change.new_sha is None or change.new_mode in SKIPPED_MODES or change.status == "D":
            continue
        if not _maybe_source(change):
            continue
        after_key = (change.new_sha, change.path)
        before_key = None
        if change.old_sha and change.old_path and change.old_mode not in SKIPPED_MODES:
            before_key = (change.old_sha, change.old_path)
        merged_keys: list[Key | None] = []
        for head in merging:
            sha = gitio.blob_sha(repo, head, change.path)
            merged_keys.append(None if sha is None else (sha, change.path))
        wanted += [after_key, *(key for key in (before_key, *merged_keys) if key is not None)]
        judged.append((change, after_key, before_key, merged_keys))
    measured = measure_all(cache, wanted, reader.read_many)
    files = []
    for change, after_key, before_key, merged_keys in judged:
        after = measured.get(after_key)
        if after is None:
            continue  # not a language devmetrics measures
        before = _lookup(measured, before_key)
        merged = [_lookup(measured, key) for key in merged_keys]
        files.append(_file_delta(change, before, after, merged, debt, reader))
    return files


def _maybe_source(change: gitio.FileChange) -> bool:
    """A path with a measured language's extension, or an executable (a script with a shebang, perhaps)."""
    from devmetrics.analyzers.code.detect import detect_language

    return detect_language(change.path, b"") is not None or change.new_mode == "100755"


def _lookup(measured: dict[tuple[str, str], Measured | None], key: tuple[str, str] | None) -> Measured | None:
    return None if key is None else measured.get(key)


def _file_delta(
    change: gitio.FileChange,
    before: Measured | None,
    after: Measured,
    merged: list[Measured | None],
    debt: DebtConfig,
    reader: gitio.BlobReader,
) -> deltas.FileDelta:
    old_path = change.old_path if change.status in "RC" else None
    if not after.judged:
        note = f"{change.path}: not judged ({after.status}: {after.reason or 'no functions read'})"
        return deltas.FileDelta(change.path, old_path, after.language, 0, 0, 0, 0, (), (note,))
    usable_before = before if before is not None and before.judged else None
    notes = []
    if before is not None and usable_before is None:
        notes.append(f"{change.path}: the version before is not measurable ({before.status}); judged as a new file")
    delta = deltas.compare(change.path, old_path, usable_before, after, debt, merged=merged if merged else ())
    if any(function.failures for function in delta.functions):
        content = reader.read(change.new_sha or "")
        if content is not None:
            from devmetrics.analyzers.code.measure import decode

            delta = deltas.with_suppressions(delta, decode(content, after.language)[0])
    return replace(delta, notes=tuple(notes))


def report(files: Sequence[deltas.FileDelta], budget: float, merging: Sequence[str]) -> tuple[list[str], bool]:
    lines: list[str] = []
    failing = 0
    over_budget = []
    for file in files:
        lines += [f"  note: {note}" for note in file.notes]
        for function in file.functions:
            if function.unreasoned_suppression:
                lines.append(
                    f"  note: {file.path}:{function.line} {function.name}: the allow-debt comment has no "
                    "reason=... and does not count; write `devmetrics: allow-debt reason=<why>`"
                )
            if function.failures and function.suppressed is not None:
                lines.append(f"  allowed: {file.path}:{function.line} {function.name} (reason: {function.suppressed})")
            if function.blocking:
                failing += 1
                lines += _function_lines(file, function)
        if file.minutes_change > budget:
            over_budget.append(file)
            lines.append(
                f"  {file.path}: debt {file.minutes_before:.1f} -> {file.minutes_after:.1f} min "
                f"(+{file.minutes_change:.1f}), "
                f"over the budget of {budget:g} min per file per commit (hooks.debt_budget_minutes)"
            )
    failed = bool(failing or over_budget)
    merge_note = (
        [f"  (merge in progress: only functions the merge changed are judged against HEAD {len(merging)} parent(s))"]
        if merging
        else []
    )
    if failed:
        header = (
            f"{HOOK_ID}: {failing} function(s) got worse past a [debt] threshold, "
            f"{len(over_budget)} file(s) over the debt budget ({len(files)} file(s) checked)"
        )
        return [header, *merge_note, *lines, ADVICE], True
    if lines or merge_note:
        return [f"{HOOK_ID}: passed ({len(files)} file(s) checked)", *merge_note, *lines], False
    return [], False


def _function_lines(file: deltas.FileDelta, function: deltas.FunctionDelta) -> list[str]:
    where = f"{file.path}:{function.line} {function.name}"
    if function.before is None:
        where += " (new)"
    elif file.old_path and file.old_path != file.path:
        where += f" (renamed from {file.old_path})"
    lines = [f"  {where}"]
    for failure in function.failures:
        before = "new" if failure.before is None else str(failure.before)
        lines.append(f"      {failure.measure}: {before} -> {failure.after} (limit {failure.limit})")
    return lines
