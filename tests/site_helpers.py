"""Generated repositories scanned into one database, for the dashboard site tests: three repositories
(one whose name, paths, author and messages carry script payloads), two teams (one hidden by privacy,
one with a hostile name), AI-attributed commits after an adoption date, a throughput baseline, a debt
baseline and targets. Review figures are added as the reviews analyzer writes them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from devmetrics.cli import main
from devmetrics.store import Store
from tests.repo_builder import Change, CommitSpec, Person, build_repo, synthetic_history

DAY = 86_400
START = 1_704_067_200  # 2024-01-01, a Monday
ADOPTION = START + 26 * 7 * DAY  # from July on, every third commit carries an AI co-author trailer
CLAUDE = "Claude <noreply@anthropic.com>"
# Each payload sets window.pwned (or opens a dialog) if it ever runs.
SCRIPT = "<script>window.pwned=1;alert(1)</script>"
IMG = "<img src=x onerror=window.pwned=2;alert(2)>"
EVIL_REPO = f"evil{IMG}"
EVIL_PATH = f"src/{SCRIPT}{IMG}.py"
EVIL_TEAM = f"Core {IMG}"
# git refuses `<` and `>` in identities, so the author's payload is an attribute break-out and entities.
AUTHOR = 'Eve" onmouseover="window.pwned=3" &lt;script&gt;window.pwned=4&lt;/script&gt;'
HIDDEN_TEAM = "Mobile"
REVIEW_METRICS = {
    "reviews.coverage": ("Review coverage", "share", "higher", "Merged PRs with at least one non-author review."),
    "reviews.time_to_first_review_hours": (
        "Time to first review",
        "hours",
        "lower",
        "Hours from ready for review to the first non-author review <b>median</b>.",
    ),
}

CONFIG = f"""
[scan]
executor = "thread"
workers = 1

[privacy]
min_group_size = 3

[throughput]
baseline_start = "2024-01-01"
baseline_end = "2024-03-31"
bootstrap_samples = 200

[debt]
baseline_date = "2024-03-31"

[targets]
trend_periods = 8
productivity_multiplier = 2
productivity_multiplier_by = "2026-12-31"
debt_reduction = 0.5
debt_reduction_by = "2025-06-30"
review_coverage = 0.95

[[targets.goals]]
metric = "debt.density"
goal = 1
scope = "repo:api"
name = "API debt density"

[[teams]]
name = "{EVIL_TEAM}"
members = ["*@example.com"]

[[teams]]
name = "{HIDDEN_TEAM}"
members = ["nobody@nowhere.invalid"]
"""


def ai_history(n: int, seed: int) -> list[CommitSpec]:
    specs = []
    for index, spec in enumerate(synthetic_history(n, seed=seed, n_authors=8, start=START, span_days=364)):
        if spec.time >= ADOPTION and index % 3 == 0 and not spec.merge_of:
            spec = dataclasses.replace(spec, message=f"{str(spec.message).rstrip()}\n\nCo-authored-by: {CLAUDE}\n")
        specs.append(spec)
    return specs


def evil_history() -> list[CommitSpec]:
    """Payloads in the author's name, the messages and a path; a file with debt markers and branches."""
    people = [Person(f"{AUTHOR} {i}", f"evil{i}@example.com") for i in range(4)]
    body = "".join(f"    if x > {i}:\n        x -= {i}  # TODO {SCRIPT} fix\n" for i in range(14))
    specs = []
    for i in range(40):
        content = f"def f(x):\n{body}    return x + {i}\n".encode()
        specs.append(
            CommitSpec(
                message=f"{SCRIPT} change {i}\n\n{IMG}\n",
                author=people[i % 4],
                time=START + i * 7 * DAY + 3600,
                changes=(Change(EVIL_PATH, content), Change("README.md", f"{IMG} {i}\n".encode())),
            )
        )
    return specs


def build_site_store(root: Path) -> Path:
    """Scan the three repositories with the real CLI; return the database's path."""
    root.mkdir(parents=True, exist_ok=True)
    repos = [
        build_repo(root / "api", ai_history(260, seed=5), prune_merged=True),
        build_repo(root / "web", ai_history(200, seed=7), prune_merged=True),
        build_repo(root / EVIL_REPO, evil_history()),
    ]
    (root / "devmetrics.toml").write_text(CONFIG)
    db = root / "site.db"
    cwd = Path.cwd()
    try:
        import os

        os.chdir(root)
        code = main(["-q", "scan", *(str(repo) for repo in repos), "--db", str(db)])
    finally:
        os.chdir(cwd)
    assert code == 0
    return db


def add_review_figures(db: Path) -> None:
    """Review rows and definitions as the reviews analyzer writes them: org, a repository and a team;
    week and window periods; cohorts .ai and .human."""
    store = Store.open(db, create=False)
    try:
        api = store.db.execute("SELECT identity FROM repos WHERE name = 'api'").fetchone()[0]
        rows: list[tuple[object, ...]] = []
        for base, (title, unit, direction, definition) in REVIEW_METRICS.items():
            for suffix, label in (("", ""), (".ai", " (AI)"), (".human", " (human)")):
                name = base + suffix
                store.db.execute(
                    "INSERT OR REPLACE INTO metric_definitions (name, title, unit, direction, rollup, analyzer, "
                    "definition) VALUES (?, ?, ?, ?, 'ratio', 'reviews', ?)",
                    [name, title + label, unit, direction, definition],
                )
                for kind, scope in (("org", "all"), ("repo", api), ("team", EVIL_TEAM)):
                    for week in range(20):
                        value = (0.6 + week * 0.01) if unit == "share" else 30.0 - week
                        day = f"2024-{8 + week // 5:02d}-{1 + (week % 5) * 6:02d}"
                        rows.append((name, kind, scope, day, "week", value, value * 0.9, value * 1.1, 12 + week))
                    rows.append((name, kind, scope, "2024-09-30", "window", 0.8 if unit == "share" else 12.0,
                                 None, None, 40))  # fmt: skip
        store.db.conn.executemany(
            "INSERT OR REPLACE INTO metric_values (metric, scope_kind, scope_id, period_start, period_length, value, "
            "low, high, n, inputs_hash, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'reviews-test', 'now')",
            rows,
        )
        store.db.conn.commit()
    finally:
        store.close()
