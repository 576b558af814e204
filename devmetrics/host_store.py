"""Writes of code-host facts (tables of migration 0005_hosts) and the HTTP cache kept in the store.

`save_pull_request` replaces everything stored about one pull request in the caller's transaction: a pull
request updated on the host is read again and its reviews, comments, events and commits become exactly
what the host says now (keyed by the host's ids, so a re-run changes nothing).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from devmetrics.host_model import CachedResponse, PullRequestFacts
from devmetrics.store import BUSY_TIMEOUT_MS, Store, utc_now

PR_COLUMNS = (
    "repo_id, number, host, host_id, title, body, state, draft, author_login, author_type, head_ref, base_ref, "
    "head_sha, merge_sha, merged_by, labels, additions, deletions, changed_files, commit_count, created_at, "
    "updated_at, closed_at, merged_at, details_fetched"
)
REVIEW_COLUMNS = (
    "repo_id, pr_number, review_id, reviewer_login, reviewer_type, state, submitted_at, commit_sha, body_length"
)
COMMENT_COLUMNS = (
    "repo_id, pr_number, comment_id, review_id, author_login, author_type, kind, path, created_at, body_length"
)
EVENT_COLUMNS = "repo_id, pr_number, event_id, event, actor_login, created_at"
CHILD_TABLES = ("reviews", "review_comments", "pr_events", "pr_commits")


def _insert(table: str, columns: str) -> str:
    # Built from the constant names above, never from input.
    return f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({', '.join('?' * len(columns.split(',')))})"  # noqa: S608


def stored_updates(store: Store, repo_id: int) -> dict[int, tuple[int, bool]]:
    """number -> (updated_at, details fetched) of every stored pull request of the repository."""
    cursor = store.db.execute(
        "SELECT number, updated_at, details_fetched FROM pull_requests WHERE repo_id = ?", [repo_id]
    )
    return {int(row[0]): (int(row[1]), bool(row[2])) for row in cursor}


def save_pull_request(store: Store, repo_id: int, facts: PullRequestFacts) -> None:
    """Make the stored rows of one pull request equal `facts`. The caller owns the transaction."""
    conn = store.db.conn
    pr = facts.pull_request
    for table in CHILD_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE repo_id = ? AND pr_number = ?", [repo_id, pr.number])  # noqa: S608
    conn.execute(
        _insert("pull_requests", PR_COLUMNS),
        [
            repo_id,
            pr.number,
            pr.host,
            pr.host_id,
            pr.title,
            pr.body,
            pr.state,
            int(pr.draft),
            pr.author_login,
            pr.author_type,
            pr.head_ref,
            pr.base_ref,
            pr.head_sha,
            pr.merge_sha,
            pr.merged_by,
            json.dumps(list(pr.labels), ensure_ascii=False),
            pr.additions,
            pr.deletions,
            pr.changed_files,
            pr.commit_count,
            pr.created_at,
            pr.updated_at,
            pr.closed_at,
            pr.merged_at,
            int(pr.details_fetched),
        ],
    )
    conn.executemany(
        _insert("reviews", REVIEW_COLUMNS),
        (
            (
                repo_id,
                pr.number,
                r.review_id,
                r.reviewer_login,
                r.reviewer_type,
                r.state,
                r.submitted_at,
                r.commit_sha,
                r.body_length,
            )
            for r in facts.reviews
        ),
    )
    conn.executemany(
        _insert("review_comments", COMMENT_COLUMNS),
        (
            (
                repo_id,
                pr.number,
                c.comment_id,
                c.review_id,
                c.author_login,
                c.author_type,
                c.kind,
                c.path,
                c.created_at,
                c.body_length,
            )
            for c in facts.comments
        ),
    )
    conn.executemany(
        _insert("pr_events", EVENT_COLUMNS),
        ((repo_id, pr.number, e.event_id, e.event, e.actor_login, e.created_at) for e in facts.events),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO pr_commits (repo_id, pr_number, sha) VALUES (?, ?, ?)",
        ((repo_id, pr.number, sha) for sha in facts.commits),
    )


class StoreHttpCache:
    """The `http_cache` table through a connection of its own, shared by the collector's threads under a
    lock (the store's own connection belongs to the writing thread). Each entry commits at once."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.lock = threading.Lock()

    def get(self, url: str) -> CachedResponse | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT etag, last_modified, link, body FROM http_cache WHERE url = ?", [url]
            ).fetchone()
        if row is None:
            return None
        return CachedResponse(row[0], row[1], row[2], bytes(row[3]))

    def put(self, url: str, entry: CachedResponse) -> None:
        with self.lock:
            self.conn.execute(
                "INSERT INTO http_cache (url, etag, last_modified, link, body, fetched_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "link = excluded.link, body = excluded.body, fetched_at = excluded.fetched_at",
                [url, entry.etag, entry.last_modified, entry.link, entry.body, utc_now()],
            )

    def close(self) -> None:
        with self.lock:
            self.conn.close()
