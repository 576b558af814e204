"""The static site (dashboards/report.py): pages and files, escaping, trust signals, sections drawn from the
registry, targets, and drawing in Chromium. Metric rows are inserted directly, as the analyzers write them."""

from __future__ import annotations

import hashlib
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

from devmetrics.analyzers import targets
from devmetrics.config import Config, PrivacyConfig, TargetsConfig, TeamConfig
from devmetrics.dashboards.report import write_report
from devmetrics.errors import DevmetricsError
from devmetrics.store import Store
from tests.browser import open_page, screenshot

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
    blocks = re.findall(
        r'<script type="application/json" id="figure-[a-z0-9-]+" data-figure-for="[^"]+">(.*?)</script>', page
    )
    return [json.loads(block) for block in blocks]


def pages(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.html"))}


TOP_PAGES = ["index.html", "productivity.html", "reviews.html", "debt.html", "repositories.html"]
DRILL_DOWN = re.compile(r"(repo|team)-[a-z0-9-]+-[0-9a-f]{8}\.html")


# --- files ------------------------------------------------------------------------------------------


def test_writes_every_page_one_plotly_and_report_js(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    written = write_report(store, out)
    names = [path.name for path in written]
    assert names[:5] == TOP_PAGES
    assert names[-2:] == ["plotly.min.js", "report.js"]
    drill = names[5:-2]
    assert len(drill) == 2 and all(DRILL_DOWN.fullmatch(name) for name in drill)
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert (out / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    for name, page in pages(out).items():
        assert page.count('<script src="plotly.min.js"></script>') == 1, name
        assert page.count('<script src="report.js"></script>') == 1, name
        assert "plotly.js v" not in page  # the library is written once, not inlined
        assert (out / name).stat().st_size < 100_000


def test_page_names_are_slugs_and_hashes_never_raw_names(store: Store, tmp_path: Path) -> None:
    insert_repo(store, "/other/api", "api", shallow=False, through=date(2024, 7, 1))  # the same name twice
    insert_weeks(store, "repo", "/other/api", api_weeks()[:3])
    out = tmp_path / "site"
    names = [path.name for path in write_report(store, out)]
    repos = sorted(name for name in names if name.startswith("repo-"))
    assert len(repos) == 3 and len(set(repos)) == 3
    assert [name for name in repos if name.startswith("repo-api-")] == sorted(
        f"repo-api-{hashlib.sha256(identity.encode()).hexdigest()[:8]}.html" for identity in (API, "/other/api")
    )
    evil = next(name for name in repos if not name.startswith("repo-api-"))
    assert re.fullmatch(r"repo-[a-z0-9-]{1,40}-[0-9a-f]{8}\.html", evil)
    listing = pages(out)["repositories.html"]
    for name in repos:
        assert f'href="{name}"' in listing


def test_rewriting_keeps_unchanged_assets_and_drops_stale_pages(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = {path.name for path in write_report(store, out)}
    before = (out / "plotly.min.js").stat().st_mtime_ns
    store.db.execute("DELETE FROM metric_values WHERE scope_id = ?", [EVIL_IDENTITY])
    store.db.execute("DELETE FROM repos WHERE identity = ?", [EVIL_IDENTITY])
    second = {path.name for path in write_report(store, out, title="again")}
    assert (out / "plotly.min.js").stat().st_mtime_ns == before
    assert len(first - second) == 1
    assert sorted(p.name for p in out.iterdir()) == sorted(second)
    assert "<title>again</title>" in (out / "index.html").read_text(encoding="utf-8")


def test_single_file_holds_every_page(store: Store, tmp_path: Path) -> None:
    site_names = [path.name for path in write_report(store, tmp_path / "site")]
    out = tmp_path / "mail"
    assert write_report(store, out, single_file=True) == [out / "index.html"]
    assert [p.name for p in out.iterdir()] == ["index.html"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "plotly.js v" in page
    assert "<script src=" not in page
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]{44}' 'sha256-[A-Za-z0-9+/=]{44}';", html.unescape(page))
    for name in site_names[:-2]:
        key = name.removesuffix(".html")
        assert f'id="page-{key}"' in page
    assert 'href="#page-productivity"' in page and 'href="productivity.html"' not in page
    charts = sum(len(figures(text)) for text in pages(tmp_path / "site").values())
    assert len(figures(page)) == charts
    assert f'data-charts="{charts}"' in page


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


def test_history_charts_with_range_controls(site: Path) -> None:
    index = site.read_text(encoding="utf-8")
    charts = figures(index)
    assert [chart["layout"]["title"]["text"] for chart in charts] == ["Commits", "Active authors", "Changed lines"]
    org_commits = charts[0]["data"][0]
    assert org_commits["type"] == "bar"
    assert org_commits["x"][0] == "2024-01-01"
    assert org_commits["y"] == [week.commits for week in org_weeks()]
    assert charts[1]["data"][0]["type"] == "scatter"
    for text in pages(site.parent).values():
        for chart in figures(text):
            axis = chart["layout"]["xaxis"]
            assert axis["rangeslider"]["visible"] is True
            assert [b["label"] for b in axis["rangeselector"]["buttons"]] == ["3m", "6m", "1y", "YTD", "all"]
            assert len(json.dumps(chart, separators=(",", ":"))) < 4_000  # no big template


def test_sections_without_data_say_what_to_configure(site: Path) -> None:
    site_pages = pages(site.parent)
    reviews = site_pages["reviews.html"]
    assert figures(reviews) == []
    assert "[github] or [gitlab]" in reviews and "token" in reviews
    productivity = site_pages["productivity.html"]
    assert figures(productivity) == [] and "throughput.baseline_start" in productivity
    debt = site_pages["debt.html"]
    assert figures(debt) == [] and "its code stage measures the code snapshots" in debt
    assert "No targets configured" in site_pages["index.html"]


def insert_rows(store: Store, metric: str, kind: str, scope: str, rows: list[tuple[str, str, float, int]]) -> None:
    store.db.conn.executemany(
        "INSERT INTO metric_values (metric, scope_kind, scope_id, period_start, period_length, value, low, high, "
        "n, inputs_hash, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'h', 'now')",
        [(metric, kind, scope, start, length, value, value * 0.8, value * 1.2, n) for start, length, value, n in rows],
    )


def test_review_sections_come_from_the_registry(store: Store, tmp_path: Path) -> None:
    for name, title, unit in (
        ("reviews.coverage", "Review coverage", "share"),
        ("reviews.coverage.ai", "Review coverage (AI)", "share"),
        ("reviews.brand_new_measure", "", "hours"),  # any reviews.* metric, even one unknown to the report
    ):
        insert_definition(store, name, title, unit, "ratio", f"Definition of {name} <b>bold</b>.")
        weeks = [((FIRST_WEEK + timedelta(weeks=i)).isoformat(), "week", 0.5 + i / 100, 10 + i) for i in range(6)]
        insert_rows(store, name, "org", "all", [*weeks, ("2024-02-05", "window", 0.7, 40)])
    insert_definition(store, "debt.density", "Debt density", "minutes", "ratio", "Never computed: no chart.")
    write_report(store, tmp_path / "site")
    reviews = (tmp_path / "site" / "reviews.html").read_text(encoding="utf-8")
    charts = figures(reviews)
    assert [chart["layout"]["title"]["text"] for chart in charts] == [
        "Brand new measure, by cohort",
        "Review coverage, by cohort",
    ]
    coverage = [trace for trace in charts[1]["data"] if trace.get("mode") == "lines+markers"]
    assert [trace["name"] for trace in coverage] == ["all", "AI"]
    assert coverage[0]["y"] == [0.5, 0.51, 0.52, 0.53, 0.54, 0.55]
    bands = [trace for trace in charts[1]["data"] if trace.get("fill") == "tonexty"]
    assert bands and bands[0]["y"] == [0.4, 0.408, 0.416, 0.424, 0.432, 0.44]
    assert "70.0% (56.0%–84.0%)" in reviews  # the window figure with its interval, and n
    assert "Definition of reviews.coverage &lt;b&gt;bold&lt;/b&gt;." in reviews
    assert "Never computed" not in (tmp_path / "site" / "debt.html").read_text(encoding="utf-8")
    assert "70.0% (56.0%–84.0%)" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")  # headline


def test_trust_signals_on_every_page(site: Path) -> None:
    site_pages = pages(site.parent)
    assert len(site_pages) == 7
    for name, page in site_pages.items():
        assert "<strong>Data through: </strong>" in page, name
        assert "hidden: fewer than 5 people" in page, name
        shallow = "partial history (shallow clone)</span>" in page
        assert shallow is not name.startswith("repo-api-"), name  # a repository's page flags only its own
        assert html.escape(FAILED_REASON) in page, name
    index = site_pages["index.html"]
    for _title, _unit, _rollup, definition in DEFINITIONS.values():
        assert html.escape(definition) in index
    org_n = sum(week.commits for week in org_weeks())
    assert f"<dd>{org_n:,} over all weeks</dd>" in index
    assert "<dt>Data through</dt><dd>2024-07-26</dd>" in index  # the organisation: the newest repository
    evil_page = next(page for name, page in site_pages.items() if name.startswith("repo-") and "api" not in name)
    assert "<dt>Data through</dt><dd>2024-07-20</dd>" in evil_page  # the shallow repository's own


def test_repositories_page_links_every_repository(site: Path) -> None:
    listing = pages(site.parent)["repositories.html"]
    last_12 = sum(week.commits for week in api_weeks()[-12:])
    assert f'<td class="num">{last_12:,}</td>' in listing
    assert listing.count("<tr>") == 1 + 2  # head, two repositories: never a row per person
    assert "No teams configured" in listing


def test_hidden_team_is_named_as_hidden(store: Store, tmp_path: Path) -> None:
    config = Config(teams=(TeamConfig(name="Payments", members=("*@pay.example",)),))
    insert_rows(store, "history.commits", "team", "Platform", [("2024-01-01", "week", 5.0, 5)])
    write_report(store, tmp_path / "site", config=config)
    listing = (tmp_path / "site" / "repositories.html").read_text(encoding="utf-8")
    assert '<li>Payments <span class="flag">hidden: fewer than 5 people</span></li>' in listing
    team = f"team-platform-{hashlib.sha256(b'Platform').hexdigest()[:8]}.html"
    assert f'<a href="{team}">Platform</a>' in listing
    assert (tmp_path / "site" / team).is_file()


def test_targets_on_the_overview_are_the_commands(store: Store, tmp_path: Path) -> None:
    insert_definition(store, "debt.reduction", "Debt reduction", "fraction", "ratio", "1 - density ÷ baseline.")
    store.db.execute("UPDATE metric_definitions SET direction = 'higher'")
    insert_rows(store, "debt.reduction", "org", "all",
                [((FIRST_WEEK + timedelta(weeks=i)).isoformat(), "week", i * 0.05, 30) for i in range(5)])  # fmt: skip
    config = Config(targets=TargetsConfig(debt_reduction=0.5, debt_reduction_by="2024-12-31"))
    write_report(store, tmp_path / "site", config=config)
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    answer = targets.report(store, config)["targets"][0]
    assert answer["status"] == "on track" and answer["projected_date"] == "2024-03-11"
    row = index[index.index('<table class="targets">') :]
    row = row[: row.index("</table>")]
    for text in ("20.0% (16.0%–24.0%)", "<td class=\"num\">30</td>", "0.0%", "50.0%", "2024-12-31", "40%",
                 "+5.00%/week over 5", "2024-03-11", ">on track<", "projected on time"):  # fmt: skip
        assert text in row, text
    chart = next(c for c in figures(index) if c["layout"]["title"]["text"] == "Debt reduction: on track")
    projection = next(trace for trace in chart["data"] if trace.get("name") == "projection at the current trend")
    assert projection["x"] == ["2024-01-29", "2024-03-11"] and projection["y"] == [0.2, 0.5]


def test_untrusted_text_is_escaped(site: Path) -> None:
    for name, page in pages(site.parent).items():
        assert EVIL not in page, name
        assert "<script>alert(1)</script><img src=x onerror=alert(2)>" not in page
        assert "<img" not in page and "<b>" not in page
        assert page.count("<script") == len(figures(page)) + 2  # the figures' data blocks and the two scripts
    listing = pages(site.parent)["repositories.html"]
    assert html.escape(EVIL) in listing


def test_figure_json_cannot_end_the_script_element(store: Store, tmp_path: Path) -> None:
    store.db.execute("UPDATE metric_definitions SET unit = ? WHERE name = 'history.changed_lines'", [HOSTILE_UNIT])
    write_report(store, tmp_path / "site")
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "</script><script>window.__xss=3" not in page
    assert "<!--" not in page
    assert page.count("<script") == 3 + 2
    titles = {chart["layout"]["yaxis"]["title"]["text"] for chart in figures(page)}
    assert html.escape(HOSTILE_UNIT) in titles  # Plotly shows entities as text


def test_content_security_policy_allows_only_own_scripts(site: Path) -> None:
    for page in pages(site.parent).values():
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
        assert drawn.count() == charts == int(page.evaluate("document.body.dataset.charts"))
        assert page.locator(".js-plotly-plot .rangeslider-container").count() == charts
        assert page.locator(".js-plotly-plot .rangeselector").count() == charts
        assert page.locator(".js-plotly-plot .point").count() > charts * 10
        assert page.locator("#chart-index-1 .gtitle").text_content() == "Commits"
        assert page.locator("#chart-index-3 .ytitle").text_content() == unit  # Plotly shows entities as text
        assert page.evaluate("window.__xss") is None
        screenshot(page, shot)
    assert log.dialogs == []
    assert log.page_errors == []
    assert log.console_errors == []
    assert log.requests and all(url.startswith("file://") for url in log.requests), log.requests


@pytest.mark.browser
def test_report_draws_in_chromium(chromium_browser: Browser, site: Path) -> None:
    draw(chromium_browser, site, 3, "report.png")


@pytest.mark.browser
def test_single_file_report_draws_in_chromium(chromium_browser: Browser, store: Store, tmp_path: Path) -> None:
    store.db.execute("UPDATE metric_definitions SET unit = ? WHERE name = 'history.changed_lines'", [HOSTILE_UNIT])
    write_report(store, tmp_path / "mail", single_file=True)
    draw(chromium_browser, tmp_path / "mail" / "index.html", 3 * 3, "report-single-file.png", unit=HOSTILE_UNIT)


@pytest.mark.browser
def test_empty_report_opens_in_chromium(chromium_browser: Browser, tmp_path: Path) -> None:
    write_report(Store.open(tmp_path / "x.db"), tmp_path / "site")
    with open_page(chromium_browser, tmp_path / "site" / "index.html") as (page, log):
        page.wait_for_selector('body[data-ready="1"]')
        assert "devmetrics scan PATH" in page.inner_text("main")
    assert log.console_errors == [] and log.page_errors == []


@pytest.mark.browser
def test_missing_plotly_is_explained(chromium_browser: Browser, site: Path) -> None:
    (site.parent / "plotly.min.js").unlink()
    with open_page(chromium_browser, site) as (page, _log):
        page.wait_for_selector('body[data-ready="error"]')
        assert "plotly.min.js" in page.inner_text("#report-error")
        assert page.locator("#report-error").is_visible()


def test_privacy_settings_are_stated(store: Store, tmp_path: Path) -> None:
    config = Config(privacy=PrivacyConfig(min_group_size=7, pseudonymize=True))
    write_report(store, tmp_path / "site", config=config)
    for name, page in pages(tmp_path / "site").items():
        assert "groups of fewer than 7 people are hidden (hidden: fewer than 7 people)" in page, name
        assert "privacy.pseudonymize is on" in page, name
