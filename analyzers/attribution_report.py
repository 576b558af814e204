"""What `devmetrics attribution` shows: counts by class and tool (never per person), exclusions per reason,
the evidence of one commit, the effective rules, and the trust signals of every reading (DESIGN §6)."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from devmetrics.analyzers.attribution import CLASS_DEFINITIONS, METRICS, RepoInfo, Settings, repositories
from devmetrics.analyzers.attribution_rules import CLASSES
from devmetrics.errors import EXIT_USAGE, DevmetricsError

if TYPE_CHECKING:
    from devmetrics.store import Store

MIN_PREFIX = 4
_HEX = re.compile(r"[0-9a-f]+")
# {join} and {where} are filled with constant SQL and placeholders, never with input.
SELECTED = """
    FROM attributions a
    JOIN commits c ON c.repo_id = a.repo_id AND c.sha = a.sha
    JOIN reachable r ON r.repo_id = a.repo_id AND r.sha = a.sha
    {join}
    WHERE c.is_merge = 0 AND a.repo_id IN ({where})
"""
PERSON_JOIN = "JOIN identities i ON i.key = a.credited_to AND i.kind = 'person'"
EXPLAINED = (
    "SELECT a.sha, p.name, c.subject, a.class, a.tool, a.model, a.confidence, a.evidence, a.excluded, "
    "a.author_identity, a.credited_to, c.is_merge FROM attributions a JOIN repos p ON p.id = a.repo_id "
    "JOIN commits c ON c.repo_id = a.repo_id AND c.sha = a.sha WHERE a.sha >= ? AND a.sha < ?"
)


def selected_repos(store: Store, name: str | None) -> list[RepoInfo]:
    repos = repositories(store)
    if name is None:
        return repos
    chosen = [repo for repo in repos if name in (repo.name, repo.identity, repo.path)]
    if not chosen:
        known = ", ".join(repo.name for repo in repos) or "none; run devmetrics scan first"
        raise DevmetricsError(
            f"--repo {name}: no such repository in the database (known: {known})", exit_code=EXIT_USAGE
        )
    return chosen


def summary(store: Store, settings: Settings, repo: str | None = None) -> dict[str, Any]:
    """Counts by class and by tool, exclusions per reason, and the trust signals, for the chosen repositories."""
    repos = selected_repos(store, repo)
    ids = [item.id for item in repos]
    where = ", ".join("?" * len(ids)) or "NULL"
    body = SELECTED.format(join="", where=where)
    counted = f"{body} AND a.excluded IS NULL"
    people_of = SELECTED.format(join=PERSON_JOIN, where=where)
    people = _one(store, f"SELECT count(DISTINCT i.key) {people_of} AND a.excluded IS NULL", ids)
    commits = _one(store, f"SELECT count(*) {counted}", ids)
    hidden = people < settings.min_group_size
    classes = dict.fromkeys(CLASSES, 0)
    tools: list[dict[str, Any]] = []
    if not hidden:
        for cls, count in store.db.execute(f"SELECT a.class, count(*) {counted} GROUP BY a.class", ids):
            classes[cls] = count
        query = f"SELECT a.class, a.tool, count(*) {counted} AND a.tool IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC, 2"
        tools = [{"class": cls, "tool": tool, "commits": count} for cls, tool, count in store.db.execute(query, ids)]
    excluded = dict(
        store.db.execute(
            f"SELECT a.excluded, count(*) {body} AND a.excluded IS NOT NULL GROUP BY 1 ORDER BY 1",
            ids,
        )
    )
    ai = classes["ai-authored"] + classes["ai-assisted"]
    denominator = ai + classes["human"]
    return {
        "repositories": [item.name for item in repos],
        "rules_hash": settings.rules_hash,
        "commits": commits,
        "people": people,
        "hidden": hidden,
        "hidden_reason": f"fewer than {settings.min_group_size} people (privacy.min_group_size)" if hidden else "",
        "classes": {} if hidden else classes,
        "ai_share": None if hidden or not denominator else round(ai / denominator, 4),
        "tools": tools,
        "excluded": excluded,
        "trust": trust_signals(store, repos, commits),
    }


def _one(store: Store, sql: str, params: list[int]) -> int:
    row = store.db.execute(sql, params).fetchone()
    return int(row[0] or 0) if row else 0


def trust_signals(store: Store, repos: list[RepoInfo], n: int) -> dict[str, Any]:
    ids = [repo.id for repo in repos]
    where = ", ".join("?" * len(ids)) or "NULL"
    through = store.db.execute(f"SELECT max(data_through) FROM repos WHERE id IN ({where})", ids).fetchone()[0]  # noqa: S608
    shallow = [
        row[0]
        for row in store.db.execute(f"SELECT name FROM repos WHERE is_shallow = 1 AND id IN ({where})", ids)  # noqa: S608
    ]
    return {
        "definitions": {
            "classes": CLASS_DEFINITIONS,
            "counted": "reachable non-merge commits; excluded commits are counted apart, per reason",
            "metrics": {metric.name: metric.definition for metric in METRICS},
        },
        "n": n,
        "data_through": _day(through),
        "shallow": shallow,
        "failed": [
            {"target": target, "stage": stage, "reason": reason} for target, stage, reason in store.failed_targets()
        ],
    }


def _day(epoch: int | None) -> str | None:
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch, datetime.UTC).date().isoformat()


def explain(store: Store, settings: Settings, prefix: str, repo: str | None, *, pseudonymize: bool) -> dict[str, Any]:
    """Class, tool, confidence, every evidence item and the exclusion of the one commit `prefix` names."""
    wanted = prefix.strip().lower()
    if len(wanted) < MIN_PREFIX or not _HEX.fullmatch(wanted):
        raise DevmetricsError(
            f"--explain {prefix}: give at least {MIN_PREFIX} hexadecimal characters of a commit", exit_code=EXIT_USAGE
        )
    ids = [item.id for item in selected_repos(store, repo)]
    where = ", ".join("?" * len(ids)) or "NULL"
    # Every SHA starting with the prefix sorts between it and the prefix followed by "g" (past "f").
    rows = store.db.execute(
        f"{EXPLAINED} AND a.repo_id IN ({where}) ORDER BY a.sha, p.name LIMIT 6", [wanted, wanted + "g", *ids]
    ).fetchall()
    if not rows:
        raise DevmetricsError(f"--explain {prefix}: no attributed commit starts with {wanted}")
    if len(rows) > 1:
        shown = ", ".join(f"{row[0][:12]} ({row[1]})" for row in rows[:5])
        advice = "pass --repo" if len({row[0] for row in rows}) == 1 else "give more characters"
        raise DevmetricsError(f"--explain {prefix}: ambiguous, it names {shown}; {advice}", exit_code=EXIT_USAGE)
    sha, name, subject, cls, tool, model, confidence, evidence, excluded, author, credited, is_merge = rows[0]
    return {
        "sha": sha,
        "repository": name,
        "subject": subject,
        "is_merge": bool(is_merge),
        "class": cls,
        "tool": tool,
        "model": model,
        "confidence": confidence,
        "evidence": json.loads(evidence),
        "excluded": excluded,
        "author": _shown_identity(store, author, pseudonymize),
        "credited_to": _shown_identity(store, credited, pseudonymize),
        "rules_hash": settings.rules_hash,
    }


def _shown_identity(store: Store, key: str | None, pseudonymize: bool) -> str | None:
    if key is None:
        return None
    row = store.db.execute("SELECT display_name, pseudonym, kind FROM identities WHERE key = ?", [key]).fetchone()
    if row is None:
        return None if pseudonymize else key
    display_name, pseudonym, _kind = row
    return str(pseudonym if pseudonymize else display_name)


def rules(settings: Settings) -> dict[str, Any]:
    return {"rules_hash": settings.rules_hash, "rules": [asdict(rule) for rule in settings.rules]}


# --- text -----------------------------------------------------------------------------------------------


def summary_lines(report: dict[str, Any]) -> list[str]:
    trust = report["trust"]
    lines = [
        f"{report['commits']} commits in {len(report['repositories'])} repositories "
        f"(reachable, non-merge; data through {trust['data_through'] or 'n/a'}; rules {report['rules_hash'][:12]})"
    ]
    if report["hidden"]:
        lines.append(f"classes and tools hidden: {report['hidden_reason']}")
    else:
        total = max(1, sum(report["classes"].values()))
        lines += [f"  {cls:<12} {count:>8}  {100 * count / total:5.1f}%" for cls, count in report["classes"].items()]
        share = report["ai_share"]
        lines.append(f"  AI share of non-bot commits: {'n/a' if share is None else f'{100 * share:.1f}%'}")
        if report["tools"]:
            lines.append("by tool:")
            lines += [f"  {item['tool']:<22} {item['class']:<12} {item['commits']:>8}" for item in report["tools"]]
    excluded = report["excluded"]
    total_excluded = sum(excluded.values())
    reasons = ", ".join(f"{reason} {count}" for reason, count in excluded.items())
    lines.append(f"excluded: {total_excluded}" + (f" ({reasons})" if reasons else ""))
    lines += [f"shallow clone (partial history): {name}" for name in trust["shallow"]]
    lines += [f"FAILED {item['target']} ({item['stage']}): {item['reason']}" for item in trust["failed"]]
    return lines


def explain_lines(report: dict[str, Any]) -> list[str]:
    tool = f", tool {report['tool']}" if report["tool"] else ""
    model = f" ({report['model']})" if report["model"] else ""
    lines = [
        f"{report['sha']} in {report['repository']}{' (merge)' if report['is_merge'] else ''}: {report['subject']}",
        f"class {report['class']}{tool}{model}, confidence {report['confidence']:.2f}",
        f"author {report['author'] or '-'}; credited to {report['credited_to'] or '-'}",
        f"excluded: {report['excluded'] or 'no'}",
    ]
    if not report["evidence"]:
        lines.append("evidence: none (human by default: no marker, and markers can be switched off)")
    for item in report["evidence"]:
        via = _via_text(str(item.get("via") or ""))
        lines.append(
            f"  {item['rule']}: {item['field']} matched {item['match']!r} -> {item['class']}"
            f"{' ' + item['tool'] if item.get('tool') else ''} ({item['confidence']:.2f}){via}"
        )
    return lines


def _via_text(via: str) -> str:
    """Where a label passed down came from: a merge commit, or a pull request (`pr:<number>`)."""
    if not via:
        return ""
    if via.startswith("pr:"):
        return f" (from pull request #{via[3:]})"
    return f" (from merge {via[:12]})"


def rules_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"rules hash {report['rules_hash']}"]
    lines += [
        f"{rule['id']:<32} {rule['field']:<28} {rule['cls']:<12} {rule['tool'] or '(from match)':<20} "
        f"{rule['confidence']:.2f}  {rule['pattern']}"
        for rule in report["rules"]
    ]
    return lines
