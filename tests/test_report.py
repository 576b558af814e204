"""The static HTML report (dashboards/report.py): files, escaping, trust signals, and drawing in Chromium."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from plotly.offline import get_plotlyjs

from devmetrics.dashboards.report import write_report
from devmetrics.errors import DevmetricsError
from devmetrics.store import Store
from tests.browser import chromium_browser, open_page, screenshot  # noqa: F401

EVIL = "</script><script>alert(1)</script><img src=x onerror=alert(2)><img src=y onerror=window.__xss=1>"
HOSTILE_UNIT = "lines</script><script>window.__xss=3</script><!--"
FIRST_WEEK = date(2024, 1, 1)
WEEKS = 30
API = "https://example.com/acme/api"
EVIL_IDENTITY = f"/src/{EVIL}"
DEFINITIONS = {
    "history.commits": ("Commits", "commits", "sum", "Non-merge commits per week, by author date."),
    "history.active_authors": (
        "Active authors",
        "authors",
        "distinct",
        "Distinct authors with a non-merge commit that week.",
    ),
    "history.changed_lines": (
        "Changed lines",
        "lines",
        "sum",
        "Insertions + deletions of non-merge commits; <vendored> & all.",
    ),
}
FAILED_REASON = "git: fatal: <b>not a git repository</b> & gone"


@dataclass(frozen=True)
class Week:
    start: date
    commits: int
    authors: int
    lines: int


def api_weeks() -> list[Week]:
    return [
        Week(FIRST_WEEK + timedelta(weeks=i), 5 + (i * 7) % 11, 2 + i % 4, (5 + (i * 7) % 11) * 37 + i)
        for i in range(WEEKS)
    ]


def evil_weeks() -> list[Week]:
    """A smaller repository with gaps: weeks without commits have no rows."""
    return [
        Week(FIRST_WEEK + timedelta(weeks=i), 2 + (i * 3) % 5, 1 + i % 2, (2 + (i * 3) % 5) * 11)
        for i in range(WEEKS)
        if i % 9
    ]


def org_weeks() -> list[Week]:
    by_start: dict[date, Week] = {}
    for week in [*api_weeks(), *evil_weeks()]:
        old = by_start.get(week.start, Week(week.start, 0, 0, 0))
        by_start[week.start] = Week(
            week.start, old.commits + week.commits, old.authors + week.authors, old.lines + week.lines
        )
    return [by_start[start] for start in sorted(by_start)]


def epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())


def insert_repo(store: Store, identity: str, name: str, *, shallow: bool, through: date) -> None:
    store.db.execute(
        "INSERT INTO repos (identity, name, path, is_shallow, data_through, first_seen_at) "
        "VALUES (?, ?, ?, ?, ?, '2024-08-01T00:00:00Z')",
        [identity, name, identity if identity.startswith("/") else f"/src/{name}", int(shallow), epoch(through)],
    )


def insert_definition(store: Store, name: str, title: str, unit: str, rollup: str, definition: str) -> None:
    store.db.execute(
        "INSERT INTO metric_definitions (name, title, unit, direction, rollup, analyzer, definition) "
        "VALUES (?, ?, ?, 'higher', ?, 'history', ?)",
        [name, title, unit, rollup, definition],
    )


def insert_weeks(store: Store, kind: str, scope_id: str, weeks: list[Week]) -> None:
    rows = [
        (metric, kind, scope_id, week.start.isoformat(), float(value), week.commits)
        for week in weeks
        for metric, value in (
            ("history.commits", week.commits),
            ("history.active_authors", week.authors),
            ("history.changed_lines", week.lines),
        )
    ]
    store.db.conn.executemany(
        "INSERT INTO metric_values (metric, scope_kind, scope_id, period_start, period_length, value, n, "
        "inputs_hash, computed_at) VALUES (?, ?, ?, ?, 'week', ?, ?, 'h', '2024-08-01T00:00:00Z')",
        rows,
    )


def insert_scan(store: Store, target: str, status: str, reason: str | None) -> None:
    store.db.execute(
        "INSERT INTO scans (run_id, target, stage, status, reason, started_at, devmetrics_version) "
        "VALUES ('run-1', ?, 'collect', ?, ?, '2024-08-01T00:00:00Z', '0.1.0')",
        [target, status, reason],
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Two repositories over 30 weeks (one shallow, one with a hostile name) and one failed scan."""
    store = Store.open(tmp_path / "x.db")
    insert_repo(store, API, "api", shallow=False, through=date(2024, 7, 26))
    insert_repo(store, EVIL_IDENTITY, EVIL, shallow=True, through=date(2024, 7, 20))
    for name, (title, unit, rollup, definition) in DEFINITIONS.items():
        insert_definition(store, name, title, unit, rollup, definition)
    insert_weeks(store, "repo", API, api_weeks())
    insert_weeks(store, "repo", EVIL_IDENTITY, evil_weeks())
    insert_weeks(store, "org", "all", org_weeks())
    insert_scan(store, API, "ok", None)
    insert_scan(store, "/src/broken", "failed", FAILED_REASON)
    return store


@pytest.fixture
def site(store: Store, tmp_path: Path) -> Path:
    write_report(store, tmp_path / "site")
    return tmp_path / "site" / "index.html"


def figures(page: str) -> list[dict[str, Any]]:
    blocks = re.findall(r'<script type="application/json" id="figure-\d+" data-figure-for="[^"]+">(.*?)</script>', page)
    return [json.loads(block) for block in blocks]


# --- files ------------------------------------------------------------------------------------------


def test_writes_index_one_plotly_and_report_js(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    written = write_report(store, out)
    assert written == [out / "index.html", out / "plotly.min.js", out / "report.js"]
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "plotly.min.js", "report.js"]
    assert (out / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count('<script src="plotly.min.js"></script>') == 1
    assert page.count('<script src="report.js"></script>') == 1
    assert "plotly.js v" not in page  # the library is not inlined
    assert (out / "index.html").stat().st_size < 60_000


def test_rewriting_keeps_unchanged_assets(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_report(store, out)
    before = (out / "plotly.min.js").stat().st_mtime_ns
    write_report(store, out, title="again")
    assert (out / "plotly.min.js").stat().st_mtime_ns == before
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "plotly.min.js", "report.js"]
    assert "<title>again</title>" in (out / "index.html").read_text(encoding="utf-8")


def test_single_file_inlines_everything(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "mail"
    assert write_report(store, out, single_file=True) == [out / "index.html"]
    assert [p.name for p in out.iterdir()] == ["index.html"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "plotly.js v" in page
    assert "<script src=" not in page
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]{44}' 'sha256-[A-Za-z0-9+/=]{44}';", html.unescape(page))


def test_output_folder_that_is_a_file_is_refused(store: Store, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DevmetricsError, match="is a file, not a folder"):
        write_report(store, tmp_path / "file")


def test_empty_store_says_what_to_do(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert write_report(Store.open(tmp_path / "x.db"), out) == [out / "index.html"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Run <code>devmetrics scan PATH</code> first" in page
    assert "<script" not in page
    assert 'data-ready="1"' in page
    assert not (out / "plotly.min.js").exists()


# --- content ----------------------------------------------------------------------------------------


def test_one_chart_per_metric_and_scope_with_range_controls(site: Path) -> None:
    page = site.read_text(encoding="utf-8")
    charts = figures(page)
    assert len(charts) == 3 * 3  # organisation + 2 repositories, 3 metrics each
    titles = [chart["layout"]["title"]["text"] for chart in charts]
    assert titles[:3] == ["Commits", "Active authors", "Changed lines"]
    for chart in charts:
        axis = chart["layout"]["xaxis"]
        assert axis["rangeslider"]["visible"] is True
        assert [b["label"] for b in axis["rangeselector"]["buttons"]] == ["3m", "6m", "1y", "YTD", "all"]
    org_commits = charts[0]["data"][0]
    assert org_commits["type"] == "bar"
    assert org_commits["x"][0] == "2024-01-01"
    assert org_commits["y"] == [week.commits for week in org_weeks()]
    assert charts[1]["data"][0]["type"] == "scatter"
    assert all(len(json.dumps(chart, separators=(",", ":"))) < 2_500 for chart in charts)  # no big template


def test_metrics_come_from_the_registry(store: Store, tmp_path: Path) -> None:
    insert_definition(store, "reviews.review_coverage", "", "share", "mean", "Merged PRs with a non-author review.")
    insert_definition(store, "debt.density", "Debt density", "minutes", "ratio", "Never computed: no chart.")
    store.db.execute(
        "INSERT INTO metric_values (metric, scope_kind, scope_id, period_start, period_length, value, low, high, "
        "n, inputs_hash, computed_at) VALUES ('reviews.review_coverage', 'org', 'all', '2024-07-22', 'week', "
        "0.75, 0.6, 0.9, 12, 'h', 'now')"
    )
    write_report(store, tmp_path / "site")
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    charts = figures(page)
    assert len(charts) == 10
    coverage = charts[3]["data"][0]
    assert charts[3]["layout"]["title"]["text"] == "Review coverage"
    assert coverage["error_y"]["array"] == [0.15] and coverage["error_y"]["arrayminus"] == [0.15]
    assert "Merged PRs with a non-author review." in page
    assert "Never computed" not in page


def test_trust_signals(site: Path) -> None:
    page = site.read_text(encoding="utf-8")
    for _title, _unit, _rollup, definition in DEFINITIONS.values():
        assert html.escape(definition) in page
    api_n = sum(week.commits for week in api_weeks())
    org_n = sum(week.commits for week in org_weeks())
    assert f"<dd>{api_n:,} over 30 weeks (2024-01-01 to 2024-07-22)</dd>" in page
    assert f"<dd>{org_n:,} over 30 weeks (2024-01-01 to 2024-07-22)</dd>" in page
    assert "<dt>Data through</dt><dd>2024-07-26</dd>" in page  # api, and the organisation (the max)
    assert "<dt>Data through</dt><dd>2024-07-20</dd>" in page  # the shallow repository
    assert "partial history (shallow clone)</span>" in page
    assert "partial history (shallow clone): 1 of 2 repositories" in page
    assert "<td>/src/broken</td><td>collect</td><td>" + html.escape(FAILED_REASON) + "</td>" in page
    assert page.count('<a href="#failures">1</a>') == 9  # every chart links the failed scans


def test_overview_is_per_repository(site: Path) -> None:
    page = site.read_text(encoding="utf-8")
    overview = page[page.index('id="overview"') : page.index('id="scope-org"')]
    last_12 = sum(week.commits for week in api_weeks()[-12:])
    authors = max(week.authors for week in api_weeks()[-12:])
    row = f'<td class="num">{last_12:,}</td><td class="num">{authors:,.0f}</td><td class="date">2024-07-26</td>'
    assert row in overview
    assert overview.count("<tr>") == 1 + 2 + 1  # head, two repositories, the organisation
    assert "The 12 weeks from 2024-05-06 to the week of 2024-07-22." in overview


def test_untrusted_text_is_escaped(site: Path) -> None:
    page = site.read_text(encoding="utf-8")
    assert EVIL not in page
    assert "<script>alert(1)</script><img src=x onerror=alert(2)>" not in page
    assert html.escape(EVIL) in page
    assert "<img" not in page and "<b>" not in page
    assert page.count("<script") == 9 + 2  # the figures' data blocks, plotly.min.js and report.js


def test_figure_json_cannot_end_the_script_element(store: Store, tmp_path: Path) -> None:
    store.db.execute("UPDATE metric_definitions SET unit = ? WHERE name = 'history.changed_lines'", [HOSTILE_UNIT])
    write_report(store, tmp_path / "site")
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "</script><script>window.__xss=3" not in page
    assert "<!--" not in page
    assert page.count("<script") == 9 + 2
    titles = {chart["layout"]["yaxis"]["title"]["text"] for chart in figures(page)}
    assert html.escape(HOSTILE_UNIT) in titles  # Plotly shows entities as text


def test_content_security_policy_allows_only_own_scripts(site: Path) -> None:
    page = site.read_text(encoding="utf-8")
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert policy is not None
    text = html.unescape(policy[1])
    assert "default-src 'none'" in text and "script-src 'self';" in text
    assert "unsafe-eval" not in text and "script-src 'unsafe-inline'" not in text


# --- in Chromium ------------------------------------------------------------------------------------


def draw(browser: Browser, index: Path, charts: int, shot: str, *, unit: str = "lines") -> None:
    """Open the page from file://, wait until every chart is drawn, and check it did nothing else."""
    with open_page(browser, index) as (page, log):
        page.wait_for_selector("body[data-ready]", timeout=60_000)
        assert page.evaluate("document.body.dataset.ready") == "1", page.inner_text("#report-error")
        drawn = page.locator(".js-plotly-plot").filter(has=page.locator(".main-svg"))
        assert drawn.count() == charts
        assert page.locator(".js-plotly-plot .rangeslider-container").count() == charts
        assert page.locator(".js-plotly-plot .rangeselector").count() == charts
        assert page.locator(".js-plotly-plot .point").count() > charts * 10
        assert page.locator("#chart-1 .gtitle").text_content() == "Commits"
        assert page.locator("#chart-3 .ytitle").text_content() == unit  # Plotly shows entities as text
        assert page.evaluate("window.__xss") is None
        assert page.locator("h2 >> text=/onerror=alert/").count() >= 1  # the name is shown, as text
        screenshot(page, shot)
    assert log.dialogs == []
    assert log.page_errors == []
    assert log.console_errors == []
    assert log.requests and all(url.startswith("file://") for url in log.requests), log.requests


@pytest.mark.browser
def test_report_draws_in_chromium(chromium_browser: Browser, site: Path) -> None:  # noqa: F811
    draw(chromium_browser, site, 9, "report.png")


@pytest.mark.browser
def test_single_file_report_draws_in_chromium(
    chromium_browser: Browser,  # noqa: F811
    store: Store,
    tmp_path: Path,
) -> None:
    store.db.execute("UPDATE metric_definitions SET unit = ? WHERE name = 'history.changed_lines'", [HOSTILE_UNIT])
    write_report(store, tmp_path / "mail", single_file=True)
    draw(chromium_browser, tmp_path / "mail" / "index.html", 9, "report-single-file.png", unit=HOSTILE_UNIT)


@pytest.mark.browser
def test_empty_report_opens_in_chromium(chromium_browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    write_report(Store.open(tmp_path / "x.db"), tmp_path / "site")
    with open_page(chromium_browser, tmp_path / "site" / "index.html") as (page, log):
        page.wait_for_selector('body[data-ready="1"]')
        assert "devmetrics scan PATH" in page.inner_text("main")
    assert log.console_errors == [] and log.page_errors == []


@pytest.mark.browser
def test_missing_plotly_is_explained(chromium_browser: Browser, site: Path) -> None:  # noqa: F811
    (site.parent / "plotly.min.js").unlink()
    with open_page(chromium_browser, site) as (page, _log):
        page.wait_for_selector('body[data-ready="error"]')
        assert "plotly.min.js" in page.inner_text("#report-error")
        assert page.locator("#report-error").is_visible()
