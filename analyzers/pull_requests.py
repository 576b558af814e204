"""Pull-request facts as attribution and review metrics read them: a PR's own evidence (its author, labels,
body and head branch matched by the attribution rules) and which commits belong to it.

A PR's evidence comes from the rules of four fields: `author` (the PR author's login written as a commit
author, `login <login@users.noreply.github.com>`, with the numeric id GitHub gives the known agents, so the
commit-author rules of `copilot-swe-agent[bot]`, `claude[bot]`, `devin-ai-integration[bot]` … match it),
`label` (each label name), `pr_body` (the description; `^`/`$` anchor at line ends) and `branch` (the head
branch: `copilot/…`, `claude/…`, `codex/…`, `cursor/…`). A PR's commits are those `pr_commits` lists and its
`merge_sha` (the merge or squash commit).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devmetrics.analyzers.attribution_rules import BOT, Evidence, RuleSet

if TYPE_CHECKING:
    from devmetrics.store import Store

NOREPLY = "users.noreply.github.com"
# GitHub's numeric ids of agent accounts whose commit e-mails carry them (`id+login@users.noreply…`):
# the PR author's login gets the same e-mail its commits would, so one author rule covers both.
KNOWN_ACCOUNT_IDS = {
    "copilot": 198982749,
    "copilot-swe-agent[bot]": 198982749,
    "claude[bot]": 41898282,
    "devin-ai-integration[bot]": 158243242,
}
PR_VIA_PREFIX = "pr:"  # the `via` of evidence a PR passed to its commits: "pr:<number>"


@dataclass(frozen=True, slots=True)
class PullRequestFacts:
    """What attribution reads of one pull request."""

    number: int
    author_login: str | None
    author_type: str | None
    labels: tuple[str, ...]
    body: str
    head_ref: str | None
    merge_sha: str | None
    merged_by: str | None
    commits: tuple[str, ...]  # pr_commits shas, then the merge sha when it is not among them


def author_text(login: str) -> str:
    """The PR author as a commit author would be written, so that the `author` rules apply."""
    known = KNOWN_ACCOUNT_IDS.get(login.lower())
    email = f"{known}+{login}@{NOREPLY}" if known is not None else f"{login}@{NOREPLY}"
    return f"{login} <{email}>"


def is_bot_account(login: str | None, account_type: str | None) -> bool:
    """A code-host account that is automation or an app: type Bot, or a `[bot]` login."""
    return account_type == "Bot" or (login or "").lower().endswith("[bot]")


def read_pull_requests(store: Store, repo_id: int) -> list[PullRequestFacts]:
    """Every stored PR of a repository with its commits, in number order."""
    db = store.db
    commits: dict[int, list[str]] = {}
    cursor = db.execute("SELECT pr_number, sha FROM pr_commits WHERE repo_id = ? ORDER BY pr_number, sha", [repo_id])
    for number, sha in cursor:
        commits.setdefault(number, []).append(sha)
    found = []
    cursor = db.execute(
        "SELECT number, author_login, author_type, labels, body, head_ref, merge_sha, merged_by FROM pull_requests "
        "WHERE repo_id = ? ORDER BY number",
        [repo_id],
    )
    for number, login, kind, labels, body, head_ref, merge_sha, merged_by in cursor:
        shas = list(commits.get(number, []))
        if merge_sha and merge_sha not in shas:
            shas.append(merge_sha)
        found.append(
            PullRequestFacts(
                number, login, kind, _labels(labels), body or "", head_ref, merge_sha, merged_by, tuple(shas)
            )
        )
    return found


def _labels(text: str | None) -> tuple[str, ...]:
    try:
        names = json.loads(text or "[]")
    except json.JSONDecodeError:
        return ()
    return tuple(str(name) for name in names) if isinstance(names, list) else ()


def pr_evidence(ruleset: RuleSet, pr: PullRequestFacts) -> list[Evidence]:
    """Every rule match on the PR's own fields, each (rule, match) once, ordered by rule id."""
    found: list[Evidence] = []
    if pr.author_login:
        found += ruleset.match_remembered("author", author_text(pr.author_login))
    for label in pr.labels:
        found += ruleset.match_remembered("label", label)
    if pr.body:
        found += ruleset.match("pr_body", pr.body)
    if pr.head_ref:
        found += ruleset.match_remembered("branch", pr.head_ref)
    unique = {(item.rule, item.field, item.match): item for item in found}
    return [unique[key] for key in sorted(unique)]


def passed_evidence(ruleset: RuleSet, prs: Iterable[PullRequestFacts]) -> dict[str, list[Evidence]]:
    """sha -> the evidence its PRs pass to it (`via` "pr:<number>"). Bot evidence is not passed (a bot
    that opened a PR says nothing about who wrote a commit pushed to it); a commit in several PRs gets the
    evidence of each."""
    passed: dict[str, list[Evidence]] = {}
    for pr in prs:
        items = [item for item in pr_evidence(ruleset, pr) if item.cls != BOT]
        if not items:
            continue
        via = f"{PR_VIA_PREFIX}{pr.number}"
        inherited = [_with_via(item, via) for item in items]
        for sha in pr.commits:
            passed.setdefault(sha, []).extend(inherited)
    return passed


def mergers(prs: Iterable[PullRequestFacts]) -> dict[str, str]:
    """sha -> the login of the person who merged its PR (bots left out): whom agent work is credited to."""
    found: dict[str, str] = {}
    for pr in prs:
        if pr.merged_by and not is_bot_account(pr.merged_by, None):
            for sha in pr.commits:
                found.setdefault(sha, pr.merged_by)
    return found


def login_email(login: str) -> str:
    """The GitHub noreply e-mail of a login: the identity key its commits made on GitHub get."""
    return f"{login}@{NOREPLY}"


def _with_via(item: Evidence, via: str) -> Evidence:
    return Evidence(item.rule, item.field, item.match, item.cls, item.tool, item.model, item.confidence, via)


def pr_digest(store: Store, repo_id: int) -> str:
    """Changes when what attribution reads of the repository's PRs changes (a new PR, a label, a commit)."""
    db = store.db
    digest = hashlib.sha256()
    queries = (
        "SELECT number, author_login, author_type, labels, body, head_ref, merge_sha, merged_by FROM pull_requests "
        "WHERE repo_id = ? ORDER BY number",
        "SELECT pr_number, sha FROM pr_commits WHERE repo_id = ? ORDER BY pr_number, sha",
    )
    for query in queries:
        digest.update(b"\n--")
        for row in db.execute(query, [repo_id]):
            digest.update((json.dumps(list(row), ensure_ascii=False) + "\n").encode())
    return digest.hexdigest()


def has_pull_requests(store: Store, repo_id: int) -> bool:
    return store.db.execute("SELECT 1 FROM pull_requests WHERE repo_id = ? LIMIT 1", [repo_id]).fetchone() is not None
