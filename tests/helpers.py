"""Running the real CLI and reading the store in tests."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.repo_builder import git_env


def run_cli(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m devmetrics ARGS` as a user would, in `cwd`."""
    full_env = git_env()
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "devmetrics", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def query(db: Path, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql, params))


def scalar(db: Path, sql: str, params: Sequence[object] = ()) -> object:
    rows = query(db, sql, params)
    return rows[0][0] if rows else None


# Tables compared between an interrupted-then-resumed scan and an uninterrupted one; columns that hold
# wall-clock times or run ids are left out.
COMPARED = {
    "repos": "identity, name, path, remote_url, host, owner_name, is_bare, is_shallow, head_sha, data_through",
    "commits": "*",
    "file_changes": "*",
    "reachable": "*",
    "sync_state": "repo_id, source, category, state",
    "metric_values": "metric, scope_kind, scope_id, period_start, period_length, value, low, high, n, inputs_hash",
    "metric_definitions": "*",
}


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The store's content, table by table, in rowid order where it exists (rowids must match too)."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    for table, columns in COMPARED.items():
        order = "rowid" if table not in ("reachable",) else "repo_id, sha"
        result[table] = query(db, f"SELECT {columns} FROM {table} ORDER BY {order}")  # noqa: S608
    return result
