"""The SQLite store: schema, migrations, the writer lock and bulk fact writes (DESIGN §4).

One file, plain SQLite made with sqlite-utils, so Datasette and `sqlite-utils` open it as is.
Facts are immutable and keyed naturally; writes are idempotent (`ON CONFLICT DO NOTHING`), so a chunk
written twice changes nothing. A chunk is one transaction: a scan killed at any point leaves the store
as it was after the last committed chunk.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from filelock import FileLock, Timeout
from sqlite_utils.migrations import Migrations

from devmetrics.errors import DevmetricsError
from devmetrics.model import COMMIT_COLUMNS, FILE_CHANGE_COLUMNS, CommitRows, RepoRef

APPLICATION_ID = 0x444D5452  # "DMTR": marks a file as a devmetrics database
MIGRATIONS = Migrations("devmetrics")
BUSY_TIMEOUT_MS = 5000


@MIGRATIONS(name="0001_history")
def _migration_history(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE repos (
            id INTEGER PRIMARY KEY,
            identity TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            path TEXT NOT NULL,
            remote_url TEXT,
            host TEXT,
            owner_name TEXT,
            is_bare INTEGER NOT NULL DEFAULT 0,
            is_shallow INTEGER NOT NULL DEFAULT 0,
            head_sha TEXT,
            data_through INTEGER,
            first_seen_at TEXT NOT NULL,
            last_scanned_at TEXT
        );
        CREATE TABLE commits (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            sha TEXT NOT NULL,
            author_name TEXT NOT NULL,
            author_email TEXT NOT NULL,
            author_time INTEGER NOT NULL,
            author_tz INTEGER NOT NULL,
            committer_name TEXT NOT NULL,
            committer_email TEXT NOT NULL,
            committer_time INTEGER NOT NULL,
            committer_tz INTEGER NOT NULL,
            subject TEXT NOT NULL,
            message TEXT NOT NULL,
            trailers TEXT NOT NULL,
            parents TEXT NOT NULL,
            is_merge INTEGER NOT NULL,
            insertions INTEGER NOT NULL,
            deletions INTEGER NOT NULL,
            files INTEGER NOT NULL,
            message_raw BLOB,
            names_raw BLOB,
            PRIMARY KEY (repo_id, sha)
        );
        CREATE INDEX commits_by_time ON commits (repo_id, author_time);
        CREATE TABLE file_changes (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            sha TEXT NOT NULL,
            path TEXT NOT NULL,
            old_path TEXT,
            change_type TEXT NOT NULL,
            added INTEGER,
            deleted INTEGER,
            is_binary INTEGER NOT NULL,
            old_blob TEXT,
            new_blob TEXT,
            old_mode TEXT NOT NULL,
            new_mode TEXT NOT NULL,
            similarity INTEGER,
            path_raw BLOB,
            old_path_raw BLOB,
            PRIMARY KEY (repo_id, sha, path)
        );
        CREATE TABLE reachable (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            sha TEXT NOT NULL,
            PRIMARY KEY (repo_id, sha)
        ) WITHOUT ROWID;
        CREATE TABLE sync_state (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            source TEXT NOT NULL,
            category TEXT NOT NULL,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (repo_id, source, category)
        );
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            target TEXT NOT NULL,
            repo_id INTEGER REFERENCES repos(id),
            stage TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            items INTEGER NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            devmetrics_version TEXT NOT NULL
        );
        CREATE INDEX scans_by_run ON scans (run_id);
        CREATE TABLE metric_values (
            metric TEXT NOT NULL,
            scope_kind TEXT NOT NULL,
            scope_id TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_length TEXT NOT NULL,
            value REAL,
            low REAL,
            high REAL,
            n INTEGER NOT NULL,
            inputs_hash TEXT NOT NULL,
            computed_at TEXT NOT NULL,
            PRIMARY KEY (metric, scope_kind, scope_id, period_start, period_length)
        );
        CREATE TABLE metric_definitions (
            name TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            unit TEXT NOT NULL,
            direction TEXT NOT NULL,
            rollup TEXT NOT NULL,
            analyzer TEXT NOT NULL,
            definition TEXT NOT NULL
        );
        """
    )


@MIGRATIONS(name="0002_code")
def _migration_code(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE blob_metrics (
            blob TEXT NOT NULL,
            language TEXT NOT NULL,
            analyzer_version TEXT NOT NULL,
            engine TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            lines_total INTEGER NOT NULL,
            lines_code INTEGER NOT NULL,
            lines_comment INTEGER NOT NULL,
            lines_blank INTEGER NOT NULL,
            functions INTEGER NOT NULL,
            cyclomatic_total INTEGER NOT NULL,
            cognitive_total INTEGER NOT NULL,
            max_cyclomatic INTEGER NOT NULL,
            maintainability REAL,
            halstead_volume REAL,
            markers TEXT NOT NULL,
            block_hashes BLOB,
            measured_at TEXT NOT NULL,
            PRIMARY KEY (blob, language, analyzer_version)
        );
        CREATE TABLE function_metrics (
            blob TEXT NOT NULL,
            language TEXT NOT NULL,
            analyzer_version TEXT NOT NULL,
            qualified_name TEXT NOT NULL,
            start_line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            cyclomatic INTEGER NOT NULL,
            cognitive INTEGER NOT NULL,
            length INTEGER NOT NULL,
            max_nesting INTEGER NOT NULL,
            parameters INTEGER NOT NULL,
            PRIMARY KEY (blob, language, analyzer_version, qualified_name, start_line)
        );
        CREATE TABLE snapshot_revisions (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            revision TEXT NOT NULL,
            kind TEXT NOT NULL,
            period_start TEXT NOT NULL,
            committed_at INTEGER NOT NULL,
            analyzer_version TEXT NOT NULL,
            PRIMARY KEY (repo_id, revision)
        );
        CREATE TABLE snapshots (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            revision TEXT NOT NULL,
            path TEXT NOT NULL,
            blob TEXT NOT NULL,
            language TEXT NOT NULL,
            excluded TEXT,
            PRIMARY KEY (repo_id, revision, path)
        );
        CREATE INDEX snapshots_by_blob ON snapshots (blob);
        CREATE TABLE hunks (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            sha TEXT NOT NULL,
            path TEXT NOT NULL,
            old_start INTEGER NOT NULL,
            old_lines INTEGER NOT NULL,
            new_start INTEGER NOT NULL,
            new_lines INTEGER NOT NULL,
            PRIMARY KEY (repo_id, sha, path, old_start, new_start)
        );
        CREATE TABLE debt_findings (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            revision TEXT NOT NULL,
            path TEXT NOT NULL,
            rule TEXT NOT NULL,
            location TEXT NOT NULL,
            line INTEGER NOT NULL,
            minutes REAL NOT NULL,
            detail TEXT NOT NULL,
            rules_hash TEXT NOT NULL,
            PRIMARY KEY (repo_id, revision, path, rule, location, line)
        );
        """
    )


@MIGRATIONS(name="0003_code_paths_and_rules")
def _migration_code_paths_and_rules(db: sqlite_utils.Database) -> None:
    # path_raw as in file_changes: the exact bytes of a path that is not valid UTF-8 (NULL otherwise).
    # rules_hash: the exclusion rules a snapshot was listed with; other rules make it listed again.
    db.executescript(
        """
        ALTER TABLE snapshots ADD COLUMN path_raw BLOB;
        ALTER TABLE hunks ADD COLUMN path_raw BLOB;
        ALTER TABLE snapshot_revisions ADD COLUMN rules_hash TEXT NOT NULL DEFAULT '';
        """
    )


@MIGRATIONS(name="0004_attribution")
def _migration_attribution(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE identities (
            key TEXT PRIMARY KEY,
            display_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            team TEXT,
            pseudonym TEXT NOT NULL
        );
        CREATE TABLE identity_emails (
            email TEXT PRIMARY KEY,
            identity TEXT NOT NULL REFERENCES identities(key)
        );
        CREATE TABLE attributions (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            sha TEXT NOT NULL,
            class TEXT NOT NULL,
            tool TEXT,
            model TEXT,
            confidence REAL NOT NULL,
            evidence TEXT NOT NULL,
            author_identity TEXT,
            credited_to TEXT,
            excluded TEXT,
            rules_hash TEXT NOT NULL,
            PRIMARY KEY (repo_id, sha)
        );
        CREATE INDEX attributions_by_class ON attributions (class);
        """
    )


@MIGRATIONS(name="0005_hosts")
def _migration_hosts(db: sqlite_utils.Database) -> None:
    # Code-host facts (GitHub pull requests, GitLab merge requests), keyed by (repo, number). Times are
    # epoch seconds (UTC) like the commits'; NULL when the host did not say. Logins are the host's; the
    # `*_type` columns hold the host's account type (User, Bot, Organization) so bots are told apart.
    # http_cache keeps the ETag, the body and the Link header of every GET (a 304 carries no Link).
    db.executescript(
        """
        CREATE TABLE pull_requests (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            number INTEGER NOT NULL,
            host TEXT NOT NULL,
            host_id TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            state TEXT NOT NULL,
            draft INTEGER NOT NULL,
            author_login TEXT,
            author_type TEXT,
            head_ref TEXT,
            base_ref TEXT,
            head_sha TEXT,
            merge_sha TEXT,
            merged_by TEXT,
            labels TEXT NOT NULL,
            additions INTEGER,
            deletions INTEGER,
            changed_files INTEGER,
            commit_count INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            closed_at INTEGER,
            merged_at INTEGER,
            details_fetched INTEGER NOT NULL,
            PRIMARY KEY (repo_id, number)
        );
        CREATE INDEX pull_requests_by_update ON pull_requests (repo_id, updated_at);
        CREATE TABLE reviews (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            pr_number INTEGER NOT NULL,
            review_id TEXT NOT NULL,
            reviewer_login TEXT,
            reviewer_type TEXT,
            state TEXT NOT NULL,
            submitted_at INTEGER,
            commit_sha TEXT,
            body_length INTEGER NOT NULL,
            PRIMARY KEY (repo_id, pr_number, review_id)
        );
        CREATE TABLE review_comments (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            pr_number INTEGER NOT NULL,
            comment_id TEXT NOT NULL,
            review_id TEXT,
            author_login TEXT,
            author_type TEXT,
            kind TEXT NOT NULL,
            path TEXT,
            created_at INTEGER NOT NULL,
            body_length INTEGER NOT NULL,
            PRIMARY KEY (repo_id, pr_number, comment_id)
        );
        CREATE TABLE pr_events (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            pr_number INTEGER NOT NULL,
            event_id TEXT NOT NULL,
            event TEXT NOT NULL,
            actor_login TEXT,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (repo_id, pr_number, event_id)
        );
        CREATE TABLE pr_commits (
            repo_id INTEGER NOT NULL REFERENCES repos(id),
            pr_number INTEGER NOT NULL,
            sha TEXT NOT NULL,
            PRIMARY KEY (repo_id, pr_number, sha)
        );
        CREATE INDEX pr_commits_by_sha ON pr_commits (repo_id, sha);
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            link TEXT,
            body BLOB NOT NULL,
            fetched_at TEXT NOT NULL
        );
        """
    )


@MIGRATIONS(name="0006_attribution_class_index")
def _migration_attribution_class_index(db: sqlite_utils.Database) -> None:
    # No query selects attributions by class alone; the index only slowed every attribution write.
    db.execute("DROP INDEX IF EXISTS attributions_by_class")


@MIGRATIONS(name="0007_snapshot_blob_index")
def _migration_snapshot_blob_index(db: sqlite_utils.Database) -> None:
    # Snapshots are read by revision and joined to blob_metrics on its own key; an index by blob, a
    # random key, made each snapshot write touch pages all over the file (about 3x the write cost).
    db.execute("DROP INDEX IF EXISTS snapshots_by_blob")


SCHEMA_VERSION = len(MIGRATIONS._migrations)

# Built from the constant column lists of the records, never from input.
INSERT_COMMIT = (
    f"INSERT INTO commits (repo_id, {', '.join(COMMIT_COLUMNS)}) "  # noqa: S608
    f"VALUES (?{', ?' * len(COMMIT_COLUMNS)}) ON CONFLICT DO NOTHING"
)
INSERT_FILE_CHANGE = (
    f"INSERT INTO file_changes (repo_id, {', '.join(FILE_CHANGE_COLUMNS)}) "  # noqa: S608
    f"VALUES (?{', ?' * len(FILE_CHANGE_COLUMNS)}) ON CONFLICT DO NOTHING"
)


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class MetricValue:
    """One row of `metric_values`: a metric's value for a scope and period, with its interval and n."""

    metric: str
    scope_kind: str  # org, repo, team
    scope_id: str
    period_start: str  # ISO date; "" for a metric that has no period
    period_length: str  # week, month, all
    value: float | None
    n: int
    low: float | None = None
    high: float | None = None


class Store:
    """A devmetrics database. Open it with `Store.open`; use `writer_lock` around scans."""

    def __init__(self, path: Path, db: sqlite_utils.Database) -> None:
        self.path = path
        self.db = db

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open (and, with `create`, create or migrate) the database at `path`."""
        if path.is_dir():
            raise DevmetricsError(f"{path}: is a folder, not a database file; pass --db FILE")
        exists = path.exists() and path.stat().st_size > 0
        if not exists and not create:
            raise DevmetricsError(f"{path}: no devmetrics database here; run `devmetrics scan` first")
        if not exists and not path.parent.exists():
            raise DevmetricsError(f"{path}: the folder {path.parent} does not exist; create it or pass --db")
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise DevmetricsError(
                f"{path}: not a devmetrics database ({error}); pass another --db or move the file away"
            ) from error
        if tables and app_id != APPLICATION_ID:
            conn.close()
            raise DevmetricsError(f"{path}: not a devmetrics database (it holds other tables); pass another --db")
        if version > SCHEMA_VERSION:
            conn.close()
            raise DevmetricsError(
                f"{path}: made by a newer devmetrics (schema {version}, this one knows {SCHEMA_VERSION}); "
                "upgrade devmetrics"
            )
        # In WAL mode, NORMAL never corrupts and a killed process loses nothing it committed; only a power
        # cut may lose the last transactions, which the next scan reads again.
        conn.execute("PRAGMA synchronous = NORMAL")
        store = cls(path, sqlite_utils.Database(conn))
        if version < SCHEMA_VERSION:
            if not create:
                raise DevmetricsError(f"{path}: schema {version} is out of date; run `devmetrics scan` to migrate")
            store._migrate()
        return store

    def _migrate(self) -> None:
        try:
            self.db.execute("PRAGMA journal_mode = WAL")  # NORMAL sync below is crash-safe in WAL mode
            self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            MIGRATIONS.apply(self.db)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.OperationalError as error:
            raise DevmetricsError(f"{self.path}: cannot write the database ({error})") from error

    def close(self) -> None:
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.atomic():
            yield

    # --- repositories -------------------------------------------------------------------------

    def upsert_repo(self, ref: RepoRef) -> int:
        now = utc_now()
        self.db.execute(
            "INSERT INTO repos (identity, name, path, remote_url, host, owner_name, is_bare, is_shallow, "
            "first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (identity) DO UPDATE SET "
            "name = excluded.name, path = excluded.path, remote_url = excluded.remote_url, "
            "host = excluded.host, owner_name = excluded.owner_name, is_bare = excluded.is_bare, "
            "is_shallow = excluded.is_shallow",
            [
                ref.identity,
                ref.name,
                ref.path,
                ref.remote_url,
                ref.host,
                ref.owner_name,
                int(ref.is_bare),
                int(ref.is_shallow),
                now,
            ],
        )
        row = self.db.execute("SELECT id FROM repos WHERE identity = ?", [ref.identity]).fetchone()
        return int(row[0])

    def mark_repo_scanned(self, repo_id: int, head_sha: str | None) -> None:
        self.db.execute(
            "UPDATE repos SET last_scanned_at = ?, head_sha = ?, data_through = "
            "(SELECT max(c.committer_time) FROM commits c JOIN reachable r "
            " ON r.repo_id = c.repo_id AND r.sha = c.sha WHERE c.repo_id = ?) WHERE id = ?",
            [utc_now(), head_sha, repo_id, repo_id],
        )

    # --- facts --------------------------------------------------------------------------------

    def stored_shas(self, repo_id: int) -> set[str]:
        cursor = self.db.execute("SELECT sha FROM commits WHERE repo_id = ?", [repo_id])
        return {row[0] for row in cursor}

    def write_commits(self, repo_id: int, rows: CommitRows) -> int:
        """Write a chunk's commits and file changes; returns how many commits were new. The caller owns
        the transaction."""
        conn = self.db.conn
        before = conn.total_changes
        conn.executemany(INSERT_COMMIT, ((repo_id, *row) for row in rows.commits))
        added = conn.total_changes - before
        conn.executemany(INSERT_FILE_CHANGE, ((repo_id, *row) for row in rows.file_changes))
        return added

    def reachable_shas(self, repo_id: int) -> set[str]:
        cursor = self.db.execute("SELECT sha FROM reachable WHERE repo_id = ?", [repo_id])
        return {row[0] for row in cursor}

    def replace_reachable(self, repo_id: int, shas: set[str]) -> tuple[int, int]:
        """Make `reachable` for the repository equal `shas`; returns (added, removed)."""
        current = self.reachable_shas(repo_id)
        gone = current - shas
        new = shas - current
        conn = self.db.conn
        conn.executemany("DELETE FROM reachable WHERE repo_id = ? AND sha = ?", ((repo_id, s) for s in gone))
        conn.executemany("INSERT INTO reachable (repo_id, sha) VALUES (?, ?)", ((repo_id, s) for s in new))
        return len(new), len(gone)

    # --- sync state and scans -----------------------------------------------------------------

    def sync_state(self, repo_id: int, source: str, category: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT state FROM sync_state WHERE repo_id = ? AND source = ? AND category = ?",
            [repo_id, source, category],
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def set_sync_state(self, repo_id: int, source: str, category: str, state: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO sync_state (repo_id, source, category, state, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            [repo_id, source, category, json.dumps(state, sort_keys=True), utc_now()],
        )

    def start_scan(self, run_id: str, target: str, stage: str, version: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO scans (run_id, target, stage, status, started_at, devmetrics_version) "
            "VALUES (?, ?, ?, 'running', ?, ?)",
            [run_id, target, stage, utc_now(), version],
        )
        return int(cursor.lastrowid or 0)

    def finish_scan(
        self, scan_id: int, status: str, *, repo_id: int | None = None, reason: str | None = None, items: int = 0
    ) -> None:
        self.db.execute(
            "UPDATE scans SET status = ?, repo_id = coalesce(?, repo_id), reason = ?, items = ?, "
            "finished_at = ? WHERE id = ?",
            [status, repo_id, reason, items, utc_now(), scan_id],
        )

    def failed_targets(self) -> list[tuple[str, str, str]]:
        """(target, stage, reason) of the latest scan of each target whose last attempt failed."""
        cursor = self.db.execute(
            "SELECT target, stage, reason FROM scans s WHERE status = 'failed' AND id = "
            "(SELECT max(id) FROM scans t WHERE t.target = s.target AND t.stage = s.stage) ORDER BY target"
        )
        return [(row[0], row[1], row[2] or "") for row in cursor]

    # --- metrics ------------------------------------------------------------------------------

    def replace_metric_values(self, metrics: Iterable[str], inputs_hash: str, rows: Iterable[MetricValue]) -> int:
        """Replace every stored value of `metrics` with `rows`, in one transaction."""
        names = sorted(set(metrics))
        now = utc_now()
        with self.db.atomic():
            self.db.conn.executemany("DELETE FROM metric_values WHERE metric = ?", ((name,) for name in names))
            before = self.db.conn.total_changes
            self.db.conn.executemany(
                "INSERT INTO metric_values (metric, scope_kind, scope_id, period_start, period_length, value, "
                "low, high, n, inputs_hash, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        r.metric,
                        r.scope_kind,
                        r.scope_id,
                        r.period_start,
                        r.period_length,
                        r.value,
                        r.low,
                        r.high,
                        r.n,
                        inputs_hash,
                        now,
                    )
                    for r in rows
                ),
            )
            return self.db.conn.total_changes - before

    def metric_inputs_hash(self, metric: str) -> str | None:
        row = self.db.execute("SELECT inputs_hash FROM metric_values WHERE metric = ? LIMIT 1", [metric]).fetchone()
        return None if row is None else str(row[0])


@contextmanager
def writer_lock(db_path: Path) -> Iterator[None]:
    """Hold the one-writer lock of a database; a second scan fails at once with a clear message."""
    lock = FileLock(f"{db_path}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout as error:
        raise DevmetricsError(
            f"{db_path}: another devmetrics scan is writing this database ({db_path}.lock); "
            "wait for it to finish or pass another --db"
        ) from error
    except OSError as error:
        raise DevmetricsError(f"{db_path}.lock: cannot create the lock file ({error.strerror})") from error
    try:
        yield
    finally:
        lock.release()


# --- code snapshots, blob metrics and hunks (rows built by devmetrics.analyzers.code) ----------------------

BLOB_METRIC_COLUMNS = (
    "blob, language, analyzer_version, engine, status, reason, lines_total, lines_code, lines_comment, "
    "lines_blank, functions, cyclomatic_total, cognitive_total, max_cyclomatic, maintainability, "
    "halstead_volume, markers, block_hashes, measured_at"
)
FUNCTION_METRIC_COLUMNS = (
    "blob, language, analyzer_version, qualified_name, start_line, end_line, cyclomatic, cognitive, length, "
    "max_nesting, parameters"
)
SNAPSHOT_COLUMNS = "repo_id, revision, path, blob, language, excluded, path_raw"
SNAPSHOT_REVISION_COLUMNS = "repo_id, revision, kind, period_start, committed_at, analyzer_version, rules_hash"
HUNK_COLUMNS = "repo_id, sha, path, old_start, old_lines, new_start, new_lines, path_raw"
# Built from the constant column lists above, never from input.
INSERT_BLOB_METRIC = (
    f"INSERT INTO blob_metrics ({BLOB_METRIC_COLUMNS}) VALUES ({', '.join('?' * 19)}) ON CONFLICT DO NOTHING"  # noqa: S608
)
INSERT_FUNCTION_METRIC = (
    f"INSERT INTO function_metrics ({FUNCTION_METRIC_COLUMNS}) VALUES ({', '.join('?' * 11)}) ON CONFLICT DO NOTHING"  # noqa: S608
)
INSERT_SNAPSHOT = f"INSERT INTO snapshots ({SNAPSHOT_COLUMNS}) VALUES ({', '.join('?' * 7)})"  # noqa: S608
UPSERT_SNAPSHOT_REVISION = (
    f"INSERT INTO snapshot_revisions ({SNAPSHOT_REVISION_COLUMNS}) VALUES ({', '.join('?' * 7)}) "  # noqa: S608
    "ON CONFLICT (repo_id, revision) DO UPDATE SET kind = excluded.kind, period_start = excluded.period_start, "
    "committed_at = excluded.committed_at, analyzer_version = excluded.analyzer_version, "
    "rules_hash = excluded.rules_hash"
)
INSERT_HUNK = f"INSERT INTO hunks ({HUNK_COLUMNS}) VALUES ({', '.join('?' * 8)}) ON CONFLICT DO NOTHING"  # noqa: S608
LOOKUP_BATCH = 500  # keys per query: under SQLite's limit of bound parameters


def write_blob_metrics(
    store: Store, blobs: Iterable[tuple[object, ...]], functions: Iterable[tuple[object, ...]]
) -> int:
    """Write blob_metrics and function_metrics rows (columns as listed above); returns new blob rows.
    Caller owns the transaction."""
    conn = store.db.conn
    before = conn.total_changes
    conn.executemany(INSERT_BLOB_METRIC, blobs)
    added = conn.total_changes - before
    conn.executemany(INSERT_FUNCTION_METRIC, functions)
    return added


def measured_keys(store: Store, analyzer_version: str, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those (blob, language) keys that blob_metrics already holds for `analyzer_version`."""
    wanted = sorted(set(keys))
    found: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), LOOKUP_BATCH):
        blobs = sorted({blob for blob, _ in wanted[start : start + LOOKUP_BATCH]})
        cursor = store.db.execute(
            f"SELECT blob, language FROM blob_metrics WHERE analyzer_version = ? "  # noqa: S608
            f"AND blob IN ({', '.join('?' * len(blobs))})",
            [analyzer_version, *blobs],
        )
        found.update((row[0], row[1]) for row in cursor)
    return found & set(wanted)


def blobs_with_status(store: Store, analyzer_version: str, status: str) -> set[tuple[str, str]]:
    """(blob, language) of every blob_metrics row of `analyzer_version` with this status."""
    cursor = store.db.execute(
        "SELECT blob, language FROM blob_metrics WHERE analyzer_version = ? AND status = ?", [analyzer_version, status]
    )
    return {(row[0], row[1]) for row in cursor}


def recorded_revisions(store: Store, repo_id: int) -> dict[str, tuple[str, str, str]]:
    """revision -> (kind, analyzer version, rules hash) of every snapshot recorded for the repository."""
    cursor = store.db.execute(
        "SELECT revision, kind, analyzer_version, rules_hash FROM snapshot_revisions WHERE repo_id = ?", [repo_id]
    )
    return {row[0]: (row[1], row[2], row[3]) for row in cursor}


def replace_snapshot(store: Store, revision: tuple[object, ...], rows: Iterable[tuple[object, ...]]) -> None:
    """Make the snapshot of one revision (a snapshot_revisions row) hold exactly `rows`. Snapshot rows are
    derived from git and the rules, not facts: a listing made with other rules replaces them. Caller owns
    the transaction, so the revision row (the mark of a finished snapshot) lands with its rows."""
    conn = store.db.conn
    conn.execute("DELETE FROM snapshots WHERE repo_id = ? AND revision = ?", [revision[0], revision[1]])
    conn.executemany(INSERT_SNAPSHOT, rows)
    conn.execute(UPSERT_SNAPSHOT_REVISION, revision)


def relabel_revision(store: Store, repo_id: int, revision: str, kind: str) -> None:
    store.db.execute(
        "UPDATE snapshot_revisions SET kind = ? WHERE repo_id = ? AND revision = ?", [kind, repo_id, revision]
    )


def write_hunks(store: Store, rows: Iterable[tuple[object, ...]]) -> int:
    """Write hunks rows (columns as HUNK_COLUMNS); returns how many were new. Caller owns the transaction."""
    conn = store.db.conn
    before = conn.total_changes
    conn.executemany(INSERT_HUNK, rows)
    return conn.total_changes - before
