"""Review-metric speed (on demand: `pytest tests/benchmarks/test_reviews_benchmark.py -s`).

Figure, against a baseline measured in the same run: computing every review metric (3 repositories, 4 teams,
weeks, months, the window, two cohorts) of 20,000 merged PRs with 40,000 reviews, 60,000 comments, 40,000
events and 40,000 PR commits ÷ a bare pass reading the same rows (one SELECT of every host table and of the
commits joined with their attributions). Reported, not asserted.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

from devmetrics.analyzers import reviews
from devmetrics.config import Config, PrivacyConfig, ReviewsConfig
from devmetrics.store import Store
from tests.benchmarks.harness import alternate, median

PULL_REQUESTS = 20_000
AUTHORS = 60
START = 1_700_000_000
HOUR = 3600


def synthetic_host_store(folder: Path) -> Store:
    """Merged PRs over about two years, each with two commits, two reviews, three comments, two events."""
    rng = random.Random(3)
    store = Store.open(folder / "reviews.db")
    db = store.db
    with store.transaction():
        for number in range(3):
            db.execute(
                "INSERT INTO repos (identity, name, path, first_seen_at, data_through) VALUES (?, ?, ?, '', ?)",
                [f"github.com/acme/r{number}", f"r{number}", f"/src/r{number}", START + 800 * 24 * HOUR],
            )
        people = [f"dev{index}" for index in range(AUTHORS)]
        db.conn.executemany(
            "INSERT INTO identities (key, display_name, kind, team, pseudonym) VALUES (?, ?, 'person', ?, ?)",
            [(f"{p}@users.noreply.github.com", p, f"team{i % 4}", f"person-{i}") for i, p in enumerate(people)],
        )
        commits, attributions, links, prs, review_rows, comments, events = [], [], [], [], [], [], []
        for index in range(PULL_REQUESTS):
            repo_id = 1 + index % 3
            author = rng.choice(people)
            created = START + index * 3000
            merged = created + rng.randint(1, 200) * HOUR
            cls = rng.choice(("human", "human", "ai-assisted", "ai-authored"))
            shas = [f"{index:036x}{k:04x}" for k in range(2)]
            for k, sha in enumerate(shas):
                when = created - (2 - k) * HOUR
                commits.append((repo_id, sha, when, when))
                attributions.append((repo_id, sha, cls, f"{author}@users.noreply.github.com"))
                links.append((repo_id, index, sha))
            lines = rng.randint(1, 3000)
            prs.append((repo_id, index, str(index), author, shas[-1], json.dumps(["x"]), lines, lines // 3,
                        created, merged, merged))  # fmt: skip
            for k in range(2):
                reviewer = rng.choice(people)
                state = rng.choice(("APPROVED", "COMMENTED", "CHANGES_REQUESTED", "DISMISSED"))
                review_rows.append((repo_id, index, f"{index}-{k}", reviewer, state, created + (k + 1) * HOUR,
                                    shas[k], rng.choice((0, 30))))  # fmt: skip
            for k in range(3):
                comments.append((repo_id, index, f"{index}-{k}", rng.choice(people), created + HOUR + k))
            for k, event in enumerate(("ready_for_review", "head_ref_force_pushed")):
                events.append((repo_id, index, f"{index}-{k}", event, created + k * 2 * HOUR))
        conn = db.conn
        conn.executemany(
            "INSERT INTO commits (repo_id, sha, author_name, author_email, author_time, author_tz, committer_name, "
            "committer_email, committer_time, committer_tz, subject, message, trailers, parents, is_merge, "
            "insertions, deletions, files) VALUES (?, ?, 'A', 'a@x', ?, 0, 'A', 'a@x', ?, 0, 's', 's', '[]', '', 0, "
            "1, 1, 1)",
            commits,
        )
        conn.executemany("INSERT INTO reachable (repo_id, sha) VALUES (?, ?)", [row[:2] for row in commits])
        conn.executemany(
            "INSERT INTO attributions (repo_id, sha, class, confidence, evidence, author_identity, credited_to, "
            "rules_hash) VALUES (?, ?, ?, 0.9, '[]', ?, ?, 'b')",
            [(*row, row[3]) for row in attributions],
        )
        conn.executemany("INSERT INTO pr_commits (repo_id, pr_number, sha) VALUES (?, ?, ?)", links)
        conn.executemany(
            "INSERT INTO pull_requests (repo_id, number, host, host_id, title, body, state, draft, author_login, "
            "author_type, head_ref, head_sha, merged_by, labels, additions, deletions, created_at, updated_at, "
            "merged_at, details_fetched) VALUES (?, ?, 'github', ?, 't', '', 'merged', 0, ?, 'User', 'topic', ?, "
            "'lead', ?, ?, ?, ?, ?, ?, 1)",
            prs,
        )
        conn.executemany(
            "INSERT INTO reviews (repo_id, pr_number, review_id, reviewer_login, reviewer_type, state, submitted_at, "
            "commit_sha, body_length) VALUES (?, ?, ?, ?, 'User', ?, ?, ?, ?)",
            review_rows,
        )
        conn.executemany(
            "INSERT INTO review_comments (repo_id, pr_number, comment_id, author_login, author_type, kind, created_at, "
            "body_length) VALUES (?, ?, ?, ?, 'User', 'review', ?, 10)",
            comments,
        )
        conn.executemany(
            "INSERT INTO pr_events (repo_id, pr_number, event_id, event, created_at) VALUES (?, ?, ?, ?, ?)", events
        )
    return store


BARE_QUERIES = (
    "SELECT * FROM pull_requests",
    "SELECT * FROM reviews",
    "SELECT * FROM review_comments",
    "SELECT * FROM pr_events",
    "SELECT * FROM pr_commits",
    "SELECT c.*, a.* FROM commits c LEFT JOIN attributions a ON a.repo_id = c.repo_id AND a.sha = c.sha",
)


def bare_pass(store: Store) -> float:
    started = time.perf_counter()
    for query in BARE_QUERIES:
        for _ in store.db.execute(query):
            pass
    return time.perf_counter() - started


def test_review_metrics_against_a_bare_pass() -> None:
    configs = [
        Config(privacy=PrivacyConfig(min_group_size=5), reviews=ReviewsConfig(large_diff_lines=size))
        for size in (1000, 999)
    ]
    turn = [0]

    def analyse_once() -> float:
        turn[0] += 1  # alternate the settings, so that every run computes (the inputs hash differs)
        started = time.perf_counter()
        written = reviews.analyze(store, configs[turn[0] % 2])
        elapsed = time.perf_counter() - started
        assert written > 0
        return elapsed

    with tempfile.TemporaryDirectory() as folder:
        store = synthetic_host_store(Path(folder))
        times, bare, ratios = alternate(analyse_once, lambda: bare_pass(store), runs=3)
        rows = store.db.execute("SELECT count(*) FROM metric_values").fetchone()[0]
        store.close()
    sys.stdout.write(
        f"\nreview metrics of {PULL_REQUESTS:,} merged PRs: {median(times):.2f} s, {rows:,} metric rows; "
        f"bare pass over the same rows {median(bare):.2f} s; ratio {median(ratios):.1f} (reported, no goal)\n"
    )
