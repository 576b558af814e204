"""`devmetrics ci-gate`: what a pull request does to debt, who (which class of author, which AI tool) wrote its
commits, and how big it is, for the range merge-base(base, head) … head, read from git alone.

- Debt delta: every changed source file's version at the merge base against its version at head (renamed files
  against their old path), as the debt gate compares them (`delta`): functions added, worsened, improved and
  removed; debt minutes and density per file and in total. A function that got worse past a `[debt]` threshold
  (and carries no `devmetrics: allow-debt reason=…` comment) fails the gate under `--fail-on worse`.
- AI attribution: the commits of the range classified one by one with the attribution classifier and the
  configured rules (no merge propagation: the range is one pull request).
- Size: commits (merges apart), files changed, lines added and deleted (`git diff --numstat`).

Outputs: Markdown (also appended to `$GITHUB_STEP_SUMMARY`, whose 1 MiB cap is kept by truncating tables
with a note), JSON, and the exit code. Everything taken from the repository is escaped for Markdown and HTML.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devmetrics.collectors.gitcli import run_git
from devmetrics.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, DevmetricsError
from devmetrics.hooks import delta as deltas
from devmetrics.hooks import gitio
from devmetrics.hooks.measured import BlobCache, Measured, analyzer_version, measure_all

if TYPE_CHECKING:
    from devmetrics.config import Config

MARKER = "<!-- devmetrics-ci-gate -->"
STEP_SUMMARY_CAP = 1024 * 1024  # GitHub refuses a step summary over 1 MiB
COMMENT_CAP = 65_000  # GitHub's comment body limit is 65,536 characters
FAIL_ON = ("worse", "never")
DEFINITIONS = {
    "worsened": "a function whose debt minutes rose, or that went from at or under a [debt] threshold (cyclomatic, "
    "cognitive, length, nesting, parameters) to above it, or was above one and got worse there; the gate fails on "
    "the latter unless an `allow-debt reason=` comment is on the function",
    "improved": "a function whose debt minutes fell and that crossed no threshold",
    "debt_minutes": "remediation minutes of the debt findings of the changed files (functions, maintainability, "
    "markers; duplication needs the whole snapshot and is left out), at the merge base and at head",
    "density": "debt minutes per 1,000 code lines of the changed files",
    "attribution": "each commit of the range classified by the attribution rules (ai-authored, ai-assisted, bot, "
    "human), without merge propagation; n = commits",
}


@dataclass(frozen=True)
class Range:
    base: str
    head: str
    base_sha: str
    head_sha: str
    merge_base: str


def resolve_range(repo: Path, base: str, head: str) -> Range:
    """The commits of the range, or a one-line usage error (exit 2) saying how to fetch what is missing."""
    branch = base.removeprefix("origin/")
    fetch = f"use `fetch-depth: 0` in actions/checkout, or run `git fetch origin {branch}`"
    base_sha = gitio.resolve(repo, base)
    if base_sha is None:
        raise DevmetricsError(
            f"base ref {base!r} is not in {repo} (a shallow checkout?): {fetch}", exit_code=EXIT_USAGE
        )
    head_sha = gitio.resolve(repo, head)
    if head_sha is None:
        raise DevmetricsError(
            f"head ref {head!r} is not in {repo}: check out the pull request's head", exit_code=EXIT_USAGE
        )
    found = run_git(repo, ["merge-base", base_sha, head_sha], check=False)
    if found.returncode != 0:
        raise DevmetricsError(
            f"{base} and {head} have no merge base in {repo} (the history is cut short?): {fetch}", exit_code=EXIT_USAGE
        )
    return Range(base, head, base_sha, head_sha, found.stdout.decode().strip())


def evaluate(repo: Path, base: str, head: str, config: Config, *, fail_on: str | None = None) -> dict[str, Any]:
    """The gate's answer (the `--json` document); `answer["exit_code"]` follows the policy."""
    policy = fail_on or config.hooks.fail_on
    if policy not in FAIL_ON:
        raise DevmetricsError(f"--fail-on {policy!r}: choose one of {', '.join(FAIL_ON)}", exit_code=EXIT_USAGE)
    repo = gitio.toplevel(repo)
    span = resolve_range(repo, base, head)
    files = _debt(repo, span, config)
    commits = _commits(repo, span, config)
    size = _size(repo, span, commits)
    blocking = [
        {"path": file.path, "function": function.name, "line": function.line, "failures": _failures(function)}
        for file in files
        for function in file.functions
        if function.blocking
    ]
    answer: dict[str, Any] = {
        "definitions": DEFINITIONS,
        "range": {
            "base": span.base,
            "head": span.head,
            "base_sha": span.base_sha,
            "head_sha": span.head_sha,
            "merge_base": span.merge_base,
        },
        "data_through": _commit_day(repo, span.head_sha),
        "partial_history": gitio.git_text(repo, ["rev-parse", "--is-shallow-repository"]) == "true",
        "fail_on": policy,
        "debt": _debt_answer(files),
        "blocking": blocking,
        "attribution": commits,
        "size": size,
    }
    answer["exit_code"] = EXIT_FAILED if blocking and policy == "worse" else EXIT_OK
    return answer


# --- debt -----------------------------------------------------------------------------------------------


def _debt(repo: Path, span: Range, config: Config) -> list[deltas.FileDelta]:
    from devmetrics.analyzers.code.detect import detect_language
    from devmetrics.analyzers.code.measure import decode

    changes = [
        change
        for change in gitio.range_changes(repo, span.merge_base, span.head_sha)
        if detect_language(change.path, b"") is not None
        and change.new_mode not in ("120000", "160000")
        and change.old_mode not in ("120000", "160000")
    ]
    wanted = []
    for change in changes:
        if change.new_sha:
            wanted.append((change.new_sha, change.path))
        if change.old_sha and change.old_path:
            wanted.append((change.old_sha, change.old_path))
    database = repo / config.scan.db
    cache = BlobCache(gitio.common_dir(repo), analyzer_version(), database if database.is_file() else None)
    files = []
    with gitio.BlobReader(repo) as reader:
        measured = measure_all(cache, wanted, reader.read_many)
        for change in changes:
            before = _usable(measured.get((change.old_sha, change.old_path or "")) if change.old_sha else None)
            after = _usable(measured.get((change.new_sha, change.path)) if change.new_sha else None)
            if before is None and after is None:
                continue
            old_path = change.old_path if change.status in "RC" else None
            found = deltas.compare(change.path, old_path, before, after, config.debt)
            if after is not None and any(function.failures for function in found.functions):
                content = reader.read(change.new_sha or "")
                if content is not None:
                    found = deltas.with_suppressions(found, decode(content, after.language)[0])
            files.append(found)
    return files


def _usable(measured: Measured | None) -> Measured | None:
    return measured if measured is not None and measured.judged else None


def _failures(function: deltas.FunctionDelta) -> list[dict[str, Any]]:
    return [{"measure": f.measure, "before": f.before, "after": f.after, "limit": f.limit} for f in function.failures]


KINDS = (deltas.ADDED, deltas.WORSENED, deltas.IMPROVED, deltas.REMOVED)


def _measures(values: tuple[int, ...] | None) -> dict[str, int] | None:
    return None if values is None else dict(zip(deltas.MEASURE_NAMES, values, strict=True))


def _density(minutes: float, lines: int) -> float | None:
    return round(minutes * 1000 / lines, 2) if lines else None


def _debt_answer(files: Sequence[deltas.FileDelta]) -> dict[str, Any]:
    kinds: Counter[str] = Counter(function.kind for file in files for function in file.functions)
    before = sum(file.minutes_before for file in files)
    after = sum(file.minutes_after for file in files)
    lines_before = sum(file.lines_before for file in files)
    lines_after = sum(file.lines_after for file in files)
    return {
        "functions": {kind: kinds.get(kind, 0) for kind in KINDS},
        "total": {
            "minutes_before": round(before, 1),
            "minutes_after": round(after, 1),
            "minutes_change": round(after - before, 1),
            "code_lines_before": lines_before,
            "code_lines_after": lines_after,
            "density_before": _density(before, lines_before),
            "density_after": _density(after, lines_after),
            "n": len(files),
        },
        "files": [
            {
                "path": file.path,
                "old_path": file.old_path,
                "language": file.language,
                "minutes_before": round(file.minutes_before, 1),
                "minutes_after": round(file.minutes_after, 1),
                "minutes_change": round(file.minutes_change, 1),
                "density_before": _density(file.minutes_before, file.lines_before),
                "density_after": _density(file.minutes_after, file.lines_after),
                "functions": [
                    {
                        "name": function.name,
                        "line": function.line,
                        "kind": function.kind,
                        "before": _measures(function.before),
                        "after": _measures(function.after),
                        "minutes_before": function.minutes_before,
                        "minutes_after": function.minutes_after,
                        "failures": _failures(function),
                        "allowed": function.suppressed,
                    }
                    for function in file.functions
                    if function.kind != deltas.UNCHANGED
                ],
            }
            for file in sorted(files, key=lambda file: (-abs(file.minutes_change), file.path))
        ],
    }


# --- commits --------------------------------------------------------------------------------------------


def _commits(repo: Path, span: Range, config: Config) -> dict[str, Any]:
    from devmetrics.analyzers.attribution import Classifier, Settings
    from devmetrics.analyzers.identities import IdentityResolver
    from devmetrics.collectors.git import HistoryOptions, read_commits

    shas = gitio.git_text(repo, ["rev-list", "--reverse", f"{span.merge_base}..{span.head_sha}"]).split()
    settings = Settings.of(config)
    classifier = Classifier(settings, IdentityResolver(settings.identities))
    classes: Counter[str] = Counter()
    tools: Counter[str] = Counter()
    listed = []
    merges = 0
    for commit in read_commits(str(repo), shas, HistoryOptions()):
        if commit.is_merge:
            merges += 1
            continue
        row = commit.row()
        # the Classifier reads COMMIT_COLUMNS order: sha, author, committer, time, subject, message, trailers, …
        decision = classifier.draft(
            (
                row[0],
                row[1],
                row[2],
                row[5],
                row[6],
                row[7],
                row[9],
                row[10],
                row[11],
                row[13],
                row[14],
                row[15],
                row[16],
            )
        ).decision
        classes[decision.cls] += 1
        if decision.tool:
            tools[decision.tool] += 1
        listed.append({"sha": commit.sha, "subject": commit.subject, "class": decision.cls, "tool": decision.tool})
    total = sum(classes.values())
    return {
        "n": total,
        "merges": merges,
        "classes": {cls: classes.get(cls, 0) for cls in ("ai-authored", "ai-assisted", "bot", "human")},
        "ai_share": round((classes["ai-authored"] + classes["ai-assisted"]) / total, 3) if total else None,
        "tools": dict(tools.most_common()),
        "commits": listed,
    }


def _size(repo: Path, span: Range, commits: dict[str, Any]) -> dict[str, Any]:
    out = run_git(repo, ["diff", "--numstat", "-z", "--no-ext-diff", "-M", span.merge_base, span.head_sha]).stdout
    added = deleted = files = 0
    tokens = out.split(b"\0")
    index = 0
    while index < len(tokens) and tokens[index]:
        counts = tokens[index].split(b"\t")
        files += 1
        if counts[0] != b"-":
            added += int(counts[0])
            deleted += int(counts[1])
        # a rename lists "added\tdeleted\t" followed by the old and the new path as two more tokens
        index += 3 if counts[2] == b"" else 1
    return {
        "commits": commits["n"],
        "merges": commits["merges"],
        "files": files,
        "lines_added": added,
        "lines_deleted": deleted,
    }


def _commit_day(repo: Path, sha: str) -> str:
    stamp = int(gitio.git_text(repo, ["show", "-s", "--format=%ct", sha]))
    return datetime.fromtimestamp(stamp, UTC).date().isoformat()


# --- Markdown -------------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def escape(text: object) -> str:
    """Repository text made inert in Markdown and HTML: specials backslash-escaped, <>& as entities, no
    @mentions, one line."""
    flat = " ".join(str(text).split())
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
    return html.escape(escaped, quote=False).replace("@", "@\u2060")


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _signed(value: float) -> str:
    return f"{value:+,.1f}"


def render_markdown(answer: dict[str, Any], *, max_rows: int | None = None) -> str:
    """The answer as Markdown; tables longer than `max_rows` are cut with a note."""
    debt, size, attribution, span = answer["debt"], answer["size"], answer["attribution"], answer["range"]
    blocking = answer["blocking"]
    if blocking:
        verdict = f"❌ {len(blocking)} function(s) got worse past a [debt] threshold"
        if answer["fail_on"] == "never":
            verdict += " (reported only: --fail-on never)"
    else:
        verdict = "✅ no function got worse past a [debt] threshold"
    total = debt["total"]
    functions = debt["functions"]
    lines = [
        MARKER,
        "## devmetrics: debt and AI attribution of this change",
        "",
        f"**{verdict}**",
        "",
        f"Range `{escape(span['base'])}` … `{escape(span['head'])}` (merge base `{span['merge_base'][:12]}`): "
        f"{size['commits']} commit(s) and {size['merges']} merge(s), {size['files']} file(s), "
        f"+{size['lines_added']:,} −{size['lines_deleted']:,} lines. Data through {answer['data_through']}"
        + ("; partial history (shallow clone)." if answer["partial_history"] else "."),
        "",
        "### Debt",
        "",
        "| | merge base | head | change |",
        "|---|---:|---:|---:|",
        f"| debt minutes | {_number(total['minutes_before'])} | {_number(total['minutes_after'])} | "
        f"{_signed(total['minutes_change'])} |",
        f"| density (min per 1,000 code lines) | {_number(total['density_before'])} | "
        f"{_number(total['density_after'])} | {_density_change(total['density_before'], total['density_after'])} |",
        "",
        f"Functions: {functions['added']} added, {functions['worsened']} worsened, {functions['improved']} improved, "
        f"{functions['removed']} removed; n = {total['n']} changed source file(s).",
    ]
    if blocking:
        lines += ["", "#### Functions that got worse past a threshold", ""]
        lines += ["| file | function | measure | before → after | limit |", "|---|---|---|---|---:|"]
        rows = [
            f"| {escape(item['path'])}:{item['line']} | {escape(item['function'])} | {failure['measure']} | "
            f"{'new' if failure['before'] is None else failure['before']} → {failure['after']} | {failure['limit']} |"
            for item in blocking
            for failure in item["failures"]
        ]
        lines += _cut(rows, max_rows, 5)
        advice = "Make them simpler, or mark deliberate debt with `devmetrics: allow-debt reason=<why>` above them."
        lines += ["", advice]
    if debt["files"]:
        lines += ["", "#### Files", "", "| file | minutes before | after | change | density before | after |"]
        lines.append("|---|---:|---:|---:|---:|---:|")
        rows = [
            f"| {escape(file['path'])}{' (from ' + escape(file['old_path']) + ')' if file['old_path'] else ''} | "
            f"{_number(file['minutes_before'])} | {_number(file['minutes_after'])} | "
            f"{_signed(file['minutes_change'])} | "
            f"{_number(file['density_before'])} | {_number(file['density_after'])} |"
            for file in debt["files"]
        ]
        lines += _cut(rows, max_rows, 6)
    lines += ["", "### AI attribution of the commits", ""]
    if attribution["n"]:
        lines += ["| class | commits | share |", "|---|---:|---:|"]
        lines += [
            f"| {cls} | {count} | {count / attribution['n']:.0%} |" for cls, count in attribution["classes"].items()
        ]
        if attribution["tools"]:
            lines += [
                "",
                "Tools: " + ", ".join(f"{escape(tool)} ({count})" for tool, count in attribution["tools"].items()),
            ]
    else:
        lines.append("No commits besides merges in the range.")
    if attribution["commits"]:
        lines += [
            "",
            "<details><summary>Commits</summary>",
            "",
            "| commit | subject | class | tool |",
            "|---|---|---|---|",
        ]
        rows = [
            f"| `{item['sha'][:12]}` | {escape(item['subject'])} | {item['class']} | {escape(item['tool'] or '–')} |"
            for item in attribution["commits"]
        ]
        lines += [*_cut(rows, max_rows, 4), "", "</details>"]
    lines += ["", "<details><summary>Definitions</summary>", ""]
    lines += [f"- **{name}**: {text}" for name, text in answer["definitions"].items()]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def _density_change(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return "–"
    return _signed(after - before)


def _cut(rows: list[str], max_rows: int | None, columns: int) -> list[str]:
    if max_rows is None or len(rows) <= max_rows:
        return rows
    note = f"… {len(rows) - max_rows} more row(s) not shown (size limit); `devmetrics ci-gate --json` has them all"
    return [*rows[:max_rows], "| " + note + " |" + " |" * (columns - 1)]


def fitted_markdown(answer: dict[str, Any], limit_bytes: int) -> str:
    """The Markdown, with tables cut until it fits in `limit_bytes` (UTF-8)."""
    text = render_markdown(answer)
    rows = max(len(answer["blocking"]) * 5, len(answer["debt"]["files"]), len(answer["attribution"]["commits"]))
    while len(text.encode()) > limit_bytes and rows > 0:
        rows //= 2
        text = render_markdown(answer, max_rows=rows)
    if len(text.encode()) > limit_bytes:
        text = text.encode()[:limit_bytes].decode("utf-8", "ignore")
    return text


def append_step_summary(path: Path, answer: dict[str, Any]) -> None:
    """Append the Markdown to GitHub's step summary file, keeping the whole file under its 1 MiB cap."""
    try:
        used = path.stat().st_size if path.exists() else 0
    except OSError:
        used = 0
    room = STEP_SUMMARY_CAP - used - 1
    if room <= len(MARKER) + 100:
        return
    text = fitted_markdown(answer, room)
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
    except OSError as error:
        raise DevmetricsError(f"{path}: cannot append the step summary ({error.strerror})") from error


def to_json(answer: dict[str, Any]) -> str:
    return json.dumps(answer, indent=2, ensure_ascii=False)
