"""Code-host facts written straight into a real store, as the GitHub and GitLab collectors write them:
pull requests, reviews, review comments, timeline events and PR commits (with the commits, reachability,
attributions and identities the scan and the attribution analyzer would have stored)."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Sequence

from devmetrics.store import Store

UTC = datetime.UTC
HOUR = 3600
T0 = int(datetime.datetime(2024, 3, 4, tzinfo=UTC).timestamp())  # a Monday, 00:00 UTC


def sha_of(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()  # noqa: S324 (a test's stand-in for a commit id)


class HostRows:
    """Inserts for one repository of a real store; ids and numbers are the caller's."""

    def __init__(self, store: Store, identity: str = "github.com/acme/app") -> None:
        self.store = store
        self.identity = identity
        db = store.db
        db.execute(
            "INSERT INTO repos (identity, name, path, host, owner_name, first_seen_at, last_scanned_at, data_through) "
            "VALUES (?, ?, ?, 'github', ?, '2024-01-01T00:00:00Z', '2024-06-01T00:00:00Z', ?)",
            [identity, identity.rpartition("/")[2], f"/src/{identity}", identity.partition("/")[2], T0 + 400 * HOUR],
        )
        self.repo_id = int(db.execute("SELECT id FROM repos WHERE identity = ?", [identity]).fetchone()[0])
        self._events = 0
        self._reviews = 0
        self._comments = 0

    @classmethod
    def existing(cls, store: Store, identity: str) -> HostRows:
        """Rows for a repository a scan already stored."""
        rows = cls.__new__(cls)
        rows.store, rows.identity = store, identity
        rows.repo_id = int(store.db.execute("SELECT id FROM repos WHERE identity = ?", [identity]).fetchone()[0])
        rows._events = rows._reviews = rows._comments = 0
        return rows

    def person(self, key: str, *, team: str | None = None, kind: str = "person") -> None:
        self.store.db.execute(
            "INSERT INTO identities (key, display_name, kind, team, pseudonym) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [key, key.partition("@")[0].title(), kind, team, f"person-{sha_of(key)[:10]}"],
        )
        self.store.db.execute(
            "INSERT INTO identity_emails (email, identity) VALUES (?, ?) ON CONFLICT DO NOTHING", [key, key]
        )

    def commit(
        self,
        name: str,
        when: int,
        *,
        cls: str = "human",
        credited: str | None = None,
        subject: str | None = None,
        trailers: Sequence[tuple[str, str]] = (),
        merge: bool = False,
        committed: int | None = None,
    ) -> str:
        sha = sha_of(f"{self.identity}/{name}")
        subject = subject or name
        self.store.db.execute(
            "INSERT INTO commits (repo_id, sha, author_name, author_email, author_time, author_tz, committer_name, "
            "committer_email, committer_time, committer_tz, subject, message, trailers, parents, is_merge, "
            "insertions, deletions, files) VALUES (?, ?, 'A', 'a@example.com', ?, 0, 'A', 'a@example.com', ?, 0, ?, "
            "?, ?, '', ?, 1, 1, 1)",
            [self.repo_id, sha, when, committed or when, subject, subject + "\n", json.dumps(list(trailers)),
             int(merge)],
        )  # fmt: skip
        self.store.db.execute("INSERT INTO reachable (repo_id, sha) VALUES (?, ?)", [self.repo_id, sha])
        self.store.db.execute(
            "INSERT INTO attributions (repo_id, sha, class, confidence, evidence, author_identity, credited_to, "
            "rules_hash) VALUES (?, ?, ?, 0.9, '[]', ?, ?, 'test')",
            [self.repo_id, sha, cls, credited, credited],
        )
        return sha

    def pr(
        self,
        number: int,
        *,
        author: str = "alice",
        author_type: str = "User",
        created: int = T0,
        merged: int | None = T0 + 24 * HOUR,
        merged_by: str | None = "carol",
        draft: bool = False,
        lines: int | None = 100,
        labels: Sequence[str] = (),
        body: str = "",
        head_ref: str = "topic",
        head_sha: str | None = None,
        merge_sha: str | None = None,
        commits: Sequence[str] = (),
        state: str | None = None,
    ) -> int:
        added = None if lines is None else lines - lines // 4
        deleted = None if lines is None else lines // 4
        self.store.db.execute(
            "INSERT INTO pull_requests (repo_id, number, host, host_id, title, body, state, draft, author_login, "
            "author_type, head_ref, base_ref, head_sha, merge_sha, merged_by, labels, additions, deletions, "
            "changed_files, commit_count, created_at, updated_at, closed_at, merged_at, details_fetched) "
            "VALUES (?, ?, 'github', ?, ?, ?, ?, ?, ?, ?, ?, 'main', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self.repo_id, number, f"PR_{number}", f"PR {number}", body, state or ("merged" if merged else "open"),
             int(draft), author, author_type, head_ref, head_sha or sha_of(f"head-{number}"), merge_sha,
             merged_by if merged else None, json.dumps(list(labels)), added, deleted,
             None if lines is None else 3, len(commits) or None, created, merged or created, merged, merged,
             int(lines is not None)],
        )  # fmt: skip
        for sha in commits:
            self.store.db.execute(
                "INSERT INTO pr_commits (repo_id, pr_number, sha) VALUES (?, ?, ?)", [self.repo_id, number, sha]
            )
        return number

    def review(
        self,
        number: int,
        reviewer: str,
        when: int,
        state: str = "APPROVED",
        *,
        reviewer_type: str = "User",
        body: int = 0,
        commit_sha: str | None = None,
    ) -> str:
        self._reviews += 1
        review_id = f"R{self._reviews}"
        self.store.db.execute(
            "INSERT INTO reviews (repo_id, pr_number, review_id, reviewer_login, reviewer_type, state, submitted_at, "
            "commit_sha, body_length) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self.repo_id, number, review_id, reviewer, reviewer_type, state, when,
             commit_sha or sha_of(f"head-{number}"), body],
        )  # fmt: skip
        return review_id

    def comment(self, number: int, author: str, when: int, *, kind: str = "review", author_type: str = "User") -> None:
        self._comments += 1
        self.store.db.execute(
            "INSERT INTO review_comments (repo_id, pr_number, comment_id, author_login, author_type, kind, path, "
            "created_at, body_length) VALUES (?, ?, ?, ?, ?, ?, 'a.py', ?, 20)",
            [self.repo_id, number, f"C{self._comments}", author, author_type, kind, when],
        )

    def event(self, number: int, event: str, when: int, actor: str = "alice") -> None:
        self._events += 1
        self.store.db.execute(
            "INSERT INTO pr_events (repo_id, pr_number, event_id, event, actor_login, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [self.repo_id, number, f"E{self._events}", event, actor, when],
        )
