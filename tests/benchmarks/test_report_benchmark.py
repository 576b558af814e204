"""Writing the dashboard site for a large store (on demand: `pytest tests/benchmarks/test_report_benchmark.py -s`).

The store: 50 repositories, 200,000 commits (bulk INSERTs of commit facts) over two years, 8 teams, and the
metric values the analyzers write for such a history — every registered history, attribution, throughput
and debt metric per week (and month, window and baseline for throughput) for the organisation, each
repository and each team; reviews rows as the reviews analyzer writes them; per-file hotspots, coupling
and the latest snapshot's debt findings.

Figures, against a baseline measured in the same run:
- writing the site (every page, `plotly.min.js` written once) ÷ a bare pass over the same data (one SELECT of
  every metric value the site reads, serialised to JSON) — reported;
- each page's size without plotly.js — goal <= 1 MB each.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from devmetrics.analyzers.registry import all_metrics
from devmetrics.config import Config, PrivacyConfig, TeamConfig
from devmetrics.dashboards.report import write_report
from devmetrics.store import Store

REPOS = 50
COMMITS = 200_000
TEAMS = 8
WEEKS = 104
FILES_PER_REPO = 400
FINDINGS_PER_REPO = 600
FIRST = date(2024, 1, 1)
PAGE_GOAL = 1_000_000
TOP_PAGES = ("index.html", "productivity.html", "reviews.html", "debt.html", "repositories.html")
PERIODIC = ("history", "attribution", "throughput", "debt")
REVIEWS = ("coverage", "time_to_first_review_hours", "depth", "rubber_stamp_rate", "cycle_time_hours")


def _value(unit: str, rng: random.Random) -> float:
    if unit in {"share", "fraction"}:
        return rng.random()
    return rng.uniform(1, 500)


def synthesise(path: Path) -> Store:
    rng = random.Random(7)
    store = Store.open(path)
    db = store.db.conn
    identities = [f"git.example.com/acme/service-{i:02d}" for i in range(REPOS)]
    db.executemany(
        "INSERT INTO repos (id, identity, name, path, is_shallow, data_through, first_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, '2026-01-01T00:00:00Z')",
        [(i + 1, identity, f"service-{i:02d}", f"/src/service-{i:02d}", int(i % 17 == 0), 1_766_000_000)
         for i, identity in enumerate(identities)],
    )  # fmt: skip
    start = 1_704_067_200
    db.executemany(
        "INSERT INTO commits VALUES (?, ?, 'Dev', 'dev@example.com', ?, 0, 'Dev', 'dev@example.com', ?, 0, 's', 'm', "
        "'[]', '', 0, 3, 1, 1, NULL, NULL)",
        ((n % REPOS + 1, f"{n:040x}", start + n * 300, start + n * 300) for n in range(COMMITS)),
    )
    definitions = [(analyzer, metric) for analyzer, metric in all_metrics()]
    db.executemany(
        "INSERT INTO metric_definitions (name, title, unit, direction, rollup, analyzer, definition) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(m.name, m.title, m.unit, m.direction, m.rollup, a, m.definition) for a, m in definitions],
    )
    review_names = [f"reviews.{base}{suffix}" for base in REVIEWS for suffix in ("", ".ai", ".human")]
    db.executemany(
        "INSERT INTO metric_definitions (name, title, unit, direction, rollup, analyzer, definition) "
        "VALUES (?, ?, ?, 'higher', 'ratio', 'reviews', 'A review figure.')",
        [(name, name, "share" if "rate" in name or "coverage" in name else "hours") for name in review_names],
    )
    scopes = [("org", "all"), *(("repo", identity) for identity in identities),
              *(("team", f"team-{t}") for t in range(TEAMS))]  # fmt: skip
    periodic = [m for a, m in definitions if a in PERIODIC]
    rows: list[tuple[object, ...]] = []
    for kind, scope in scopes:
        for week in range(WEEKS):
            day = (FIRST + timedelta(weeks=week)).isoformat()
            for metric in periodic:
                value = _value(metric.unit, rng)
                rows.append(
                    (metric.name, kind, scope, day, "week", value, value * 0.8, value * 1.2, rng.randint(5, 40))
                )
            for name in review_names:
                value = _value("share" if "rate" in name or "coverage" in name else "hours", rng)
                rows.append((name, kind, scope, day, "week", value, value * 0.9, value * 1.1, rng.randint(5, 40)))
        for month in range(24):
            day = date(2024 + month // 12, month % 12 + 1, 1).isoformat()
            for metric in periodic:
                if metric.name.startswith("throughput."):
                    value = _value(metric.unit, rng)
                    rows.append((metric.name, kind, scope, day, "month", value, value * 0.9, value * 1.1, 30))
        for length, day in (("window", "2025-10-06"), ("baseline", "2024-01-01")):
            for metric in periodic:
                if metric.name.startswith("throughput."):
                    value = _value(metric.unit, rng)
                    rows.append((metric.name, kind, scope, day, length, value, value * 0.9, value * 1.1, 30))
        for name in review_names:
            rows.append((name, kind, scope, "2025-10-06", "window", 0.8, 0.7, 0.9, 120))
    for identity in identities:
        for f in range(FILES_PER_REPO):
            scope = f"{identity}:src/module_{f}/file_{f}.py"
            for part in ("file_score", "file_revisions", "file_complexity", "file_authors", "file_main_author_share"):
                rows.append(
                    (f"hotspots.{part}", "file", scope, "2025-10-01", "90d", rng.uniform(0, 300), None, None, 9)
                )
        for p in range(60):
            scope = f"{identity}:src/a_{p}.py <-> src/b_{p}.py"
            rows.append(("hotspots.coupling_degree", "file_pair", scope, "2025-10-01", "90d", rng.uniform(30, 100),
                         None, None, 7))  # fmt: skip
    db.executemany(
        "INSERT INTO metric_values (metric, scope_kind, scope_id, period_start, period_length, value, low, high, n, "
        "inputs_hash, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'bench', 'now')",
        rows,
    )
    db.executemany(
        "INSERT INTO debt_findings VALUES (?, 'head', ?, 'cyclomatic', ?, ?, ?, 'complexity 25 > 10', 'h')",
        ((r + 1, f"src/module_{f % 40}/file_{f}.py", f"f{f}", f, rng.uniform(5, 90))
         for r in range(REPOS) for f in range(FINDINGS_PER_REPO)),
    )  # fmt: skip
    db.commit()
    return store


def bare_pass(store: Store) -> float:
    """What any writer must do at least: read every value the site reads, and serialise it."""
    started = time.perf_counter()
    rows = store.db.execute(
        "SELECT metric, scope_kind, scope_id, period_start, period_length, value, low, high, n FROM metric_values"
    ).fetchall()
    json.dumps(rows)
    return time.perf_counter() - started


def test_report_benchmark() -> None:
    with tempfile.TemporaryDirectory(prefix="devmetrics-report-bench-") as folder:
        root = Path(folder)
        started = time.perf_counter()
        store = synthesise(root / "bench.db")
        built = time.perf_counter() - started
        values = store.db.execute("SELECT count(*) FROM metric_values").fetchone()[0]
        commits = store.db.execute("SELECT count(*) FROM commits").fetchone()[0]
        config = Config(
            privacy=PrivacyConfig(min_group_size=5),
            teams=tuple(TeamConfig(name=f"team-{t}", members=(f"*@t{t}.example",)) for t in range(TEAMS + 2)),
        )
        timings, bare, ratios = [], [], []
        for _ in range(3):
            started = time.perf_counter()
            written = write_report(store, root / "site", config=config)
            timings.append(time.perf_counter() - started)
            bare.append(bare_pass(store))
            ratios.append(timings[-1] / bare[-1])
        single_started = time.perf_counter()
        write_report(store, root / "mail", config=config, single_file=True)
        single = time.perf_counter() - single_started
        store.close()
        html_pages = [path for path in written if path.suffix == ".html"]
        sizes = {path.name: path.stat().st_size for path in html_pages}
        plotly_size = (root / "site" / "plotly.min.js").stat().st_size
        mail_size = (root / "mail" / "index.html").stat().st_size - plotly_size
        largest = sorted(sizes.items(), key=lambda item: -item[1])[:6]
        lines = [
            "",
            f"report benchmark: {commits:,} commits, {REPOS} repositories, {TEAMS} teams, {values:,} metric values "
            f"(store synthesised in {built:.1f} s)",
            f"  site: {len(html_pages)} pages written in {statistics.median(timings):.2f} s (median of 3; "
            f"{', '.join(f'{t:.2f}' for t in timings)})",
            f"  bare pass (read every value, serialise): {statistics.median(bare):.2f} s; "
            f"site ÷ bare = {statistics.median(ratios):.1f}",
            f"  single file: {single:.2f} s, {mail_size / 1e6:.2f} MB without plotly.js",
            f"  page sizes without plotly.js ({plotly_size / 1e6:.1f} MB, written once): max "
            f"{max(sizes.values()) / 1e3:.0f} kB, median {statistics.median(sizes.values()) / 1e3:.0f} kB, "
            f"total {sum(sizes.values()) / 1e6:.2f} MB; goal <= {PAGE_GOAL / 1e6:.0f} MB each: "
            f"{'met' if max(sizes.values()) <= PAGE_GOAL else 'NOT met'}",
            *(f"    {name}: {size / 1e3:.0f} kB" for name, size in largest),
            "  the site-wide pages:",
            *(f"    {name}: {sizes[name] / 1e3:.0f} kB" for name in TOP_PAGES),
        ]
        print("\n".join(lines), file=sys.stderr)
        assert len(html_pages) == 5 + REPOS + TEAMS
