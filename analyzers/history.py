"""Weekly activity from the git history: commits, active authors and changed lines, per repository and
for the whole organisation. Reads reachable commits only, so a rewritten history drops out."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from devmetrics.metrics import MetricDef
from devmetrics.store import MetricValue

if TYPE_CHECKING:
    from devmetrics.config import Config
    from devmetrics.store import Store

NAME = "history"
VERSION = "1"
WEEK_NOTE = "Weeks start on Monday (UTC), by author date; commits reachable from the scanned refs."
METRICS = (
    MetricDef(
        "history.commits",
        "Commits per week",
        "commits",
        "neutral",
        "sum",
        f"Non-merge commits authored in the week. {WEEK_NOTE}",
    ),
    MetricDef(
        "history.active_authors",
        "Active authors per week",
        "authors",
        "neutral",
        "distinct",
        f"Distinct author e-mails (after .mailmap) with at least one non-merge commit in the week. {WEEK_NOTE}",
    ),
    MetricDef(
        "history.changed_lines",
        "Changed lines per week",
        "lines",
        "neutral",
        "sum",
        "Lines added plus lines deleted by non-merge commits in the week; binary files count 0. " + WEEK_NOTE,
    ),
)
# Monday of the author date's week, in SQLite's date arithmetic: back six days, then on to a Monday.
WEEK_OF = "date(c.author_time, 'unixepoch', '-6 days', 'weekday 1')"
# {scope} is filled with one of two constant column expressions, never with input.
WEEKLY = f"""
    SELECT {{scope}} AS scope_id, {WEEK_OF} AS week, count(*) AS commits,
           count(DISTINCT lower(c.author_email)) AS authors, sum(c.insertions + c.deletions) AS lines
    FROM commits c JOIN reachable r ON r.repo_id = c.repo_id AND r.sha = c.sha
    JOIN repos p ON p.id = c.repo_id
    WHERE c.is_merge = 0
    GROUP BY scope_id, week
"""  # noqa: S608


def inputs_hash(store: Store) -> str:
    """Changes exactly when a scan changed what is reachable in some repository."""
    digest = hashlib.sha256(f"{NAME}:{VERSION}".encode())
    rows = store.db.execute(
        "SELECT p.identity, s.state FROM sync_state s JOIN repos p ON p.id = s.repo_id "
        "WHERE s.source = 'git' AND s.category = 'history' ORDER BY p.identity"
    )
    for identity, state in rows:
        digest.update(f"\n{identity}\t{state}".encode())
    return digest.hexdigest()


def analyze(store: Store, config: Config) -> int:
    digest = inputs_hash(store)
    if store.metric_inputs_hash(METRICS[0].name) == digest:
        return 0
    rows: list[MetricValue] = []
    for scope_kind, scope in (("repo", "p.identity"), ("org", "'all'")):
        for scope_id, week, commits, authors, lines in store.db.execute(WEEKLY.format(scope=scope)):
            rows.append(MetricValue("history.commits", scope_kind, scope_id, week, "week", commits, commits))
            rows.append(MetricValue("history.active_authors", scope_kind, scope_id, week, "week", authors, authors))
            rows.append(MetricValue("history.changed_lines", scope_kind, scope_id, week, "week", lines, commits))
    return store.replace_metric_values([m.name for m in METRICS], digest, rows)
