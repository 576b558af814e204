"""The dashboard site end to end: generated repositories scanned with the real CLI (several repositories,
teams, AI-attributed commits, a baseline, targets), the site written by `devmetrics report`, and EVERY page
opened in headless Chromium: every chart drawn, no console error, nothing loaded from outside file://, and
no payload from a repository's name, paths, author or messages ever runs."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from devmetrics.analyzers import targets
from devmetrics.config import load_config
from devmetrics.store import Store
from tests.browser import open_page, screenshot
from tests.helpers import query, run_cli
from tests.site_helpers import (
    EVIL_PATH,
    EVIL_REPO,
    EVIL_TEAM,
    HIDDEN_TEAM,
    IMG,
    SCRIPT,
    add_review_figures,
    build_site_store,
)

FIGURE = re.compile(r'<script type="application/json" id="figure-[a-z0-9-]+" data-figure-for="[^"]+">')


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The scanned database, with review figures as the reviews analyzer writes them."""
    root = tmp_path_factory.mktemp("site")
    db = build_site_store(root)
    add_review_figures(db)
    yield db


@pytest.fixture(scope="module")
def site(scanned: Path) -> Path:
    result = run_cli(["report", "--db", str(scanned), "--out", "out"], cwd=scanned.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote ")
    return scanned.parent / "out"


@pytest.fixture(scope="module")
def single(scanned: Path) -> Path:
    result = run_cli(["report", "--db", str(scanned), "--out", "mail", "--single-file"], cwd=scanned.parent)
    assert result.returncode == 0, result.stderr
    return scanned.parent / "mail" / "index.html"


def site_pages(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.html"))}


def test_the_site_has_every_page(site: Path, scanned: Path) -> None:
    names = sorted(site_pages(site))
    top = ["debt.html", "index.html", "productivity.html", "repositories.html", "reviews.html"]
    assert [name for name in names if name in top] == top
    repos = [name for name in names if name.startswith("repo-")]
    teams = [name for name in names if name.startswith("team-")]
    assert len(repos) == 3 and len(teams) == 1  # the hidden team has no page
    assert sorted(path.name for path in site.iterdir() if not path.name.endswith(".html")) == [
        "plotly.min.js",
        "report.js",
    ]
    listing = site_pages(site)["repositories.html"]
    for name in [*repos, *teams]:
        assert f'href="{name}"' in listing
    assert f'<li>{HIDDEN_TEAM} <span class="flag">hidden: fewer than 3 people</span></li>' in listing


def test_pages_carry_aggregates_and_escaped_text_only(site: Path) -> None:
    for name, page in site_pages(site).items():
        for payload in (SCRIPT, IMG, EVIL_PATH, EVIL_REPO, EVIL_TEAM):
            assert payload not in page, (name, payload)
        assert "<img" not in page, name
        assert "window.pwned=3" not in page and "Eve" not in page, name  # the author is never shown
        assert "change 1" not in page, name  # nor a commit message
        assert page.count("<script") == len(FIGURE.findall(page)) + 2, name
    pages = site_pages(site)
    assert html.escape(EVIL_REPO) in pages["repositories.html"]
    assert html.escape(EVIL_TEAM) in pages["repositories.html"]
    assert html.escape(EVIL_PATH) in pages["debt.html"]  # the findings and hotspots name the path, escaped


def test_overview_shows_the_commands_targets_and_the_headlines(site: Path, scanned: Path) -> None:
    store = Store.open(scanned, create=False)
    try:
        answer = targets.report(store, load_config(scanned.parent / "devmetrics.toml"))
    finally:
        store.close()
    index = site_pages(site)["index.html"]
    table = index[index.index('<table class="targets">') : index.index("</table>")]
    rows = table.split("<tr>")[2:]
    assert len(rows) == len(answer["targets"]) == 4
    for row, target in zip(rows, answer["targets"], strict=True):
        assert html.escape(target["name"]) in row
        assert f">{target['status']}<" in row and html.escape(target["reason"]) in row
        assert (target["projected_date"] or "—") in row
    multiplier = answer["targets"][0]["current"]
    assert multiplier is not None and multiplier["low"] < multiplier["value"] < multiplier["high"]
    assert f"{multiplier['value']:,.3g} ({multiplier['low']:,.3g}–{multiplier['high']:,.3g})" in index
    for headline in ("Productivity multiplier", "Debt reduction", "Review coverage", "AI share of commits"):
        assert f"<td>{headline}</td>" in index
    assert "95% Wilson interval over commits" in index


def test_review_productivity_and_debt_sections_are_filled(site: Path, scanned: Path) -> None:
    pages = site_pages(site)
    reviews = pages["reviews.html"]
    # One chart per review metric (cohorts are lines of it) with weekly or monthly organisation rows: the
    # injected time to first review and coverage, and what the review analyzer found in git alone.
    drawn = {
        str(name).removesuffix(".ai").removesuffix(".human")
        for (name,) in query(
            scanned,
            "SELECT DISTINCT metric FROM metric_values WHERE metric LIKE 'reviews.%' AND scope_kind = 'org' "
            "AND period_length IN ('week', 'month')",
        )
    }
    assert {"reviews.time_to_first_review_hours", "reviews.coverage"} <= drawn
    assert len(FIGURE.findall(reviews)) == len(drawn)
    assert "Time to first review" in reviews and "&lt;b&gt;median&lt;/b&gt;" in reviews
    productivity = pages["productivity.html"]
    for title in ("by cohort", "Productivity multiplier over time", "Code churn within 21 days", "Reverted within"):
        assert title in productivity
    team = next(page for name, page in pages.items() if name.startswith("team-"))
    assert "Throughput per active developer-week, by cohort" in team and "Review coverage" in team
    debt = pages["debt.html"]
    assert "Top findings (latest snapshot)" in debt and "Hotspots (churn × complexity)" in debt
    assert "Main author&#x27;s share" in debt


def check_page(browser: Browser, path: Path, shot: str) -> int:
    """Open one page, wait for its ready marker, and check what it drew and did; return its charts."""
    expected = len(FIGURE.findall(path.read_text(encoding="utf-8")))
    with open_page(browser, path) as (page, log):
        page.wait_for_selector("body[data-ready]", timeout=90_000)
        assert page.evaluate("document.body.dataset.ready") == "1", page.inner_text("#report-error")
        assert int(page.evaluate("document.body.dataset.charts")) == expected
        drawn = page.locator(".js-plotly-plot").filter(has=page.locator(".main-svg"))
        assert drawn.count() == expected, path.name
        assert page.evaluate("typeof window.pwned") == "undefined", path.name
        screenshot(page, f"site/{shot}")
    assert log.dialogs == [], path.name
    assert log.page_errors == [], path.name
    assert log.console_errors == [], path.name
    assert log.blocked == [], path.name
    assert log.requests and all(url.startswith("file://") for url in log.requests), log.requests
    return expected


@pytest.mark.browser
def test_every_page_draws_in_chromium(chromium_browser: Browser, site: Path) -> None:
    drawn = {path.name: check_page(chromium_browser, path, path.stem + ".png") for path in sorted(site.glob("*.html"))}
    assert len(drawn) == 9
    assert all(count > 0 for name, count in drawn.items() if name != "repositories.html"), drawn


@pytest.mark.browser
def test_single_file_site_draws_in_chromium(chromium_browser: Browser, single: Path, site: Path) -> None:
    charts = check_page(chromium_browser, single, "single-file.png")
    assert charts == sum(len(FIGURE.findall(page)) for page in site_pages(site).values())


@pytest.mark.browser
def test_hostile_hover_labels_stay_text(chromium_browser: Browser, site: Path) -> None:
    evil = next(path for path in site.glob("repo-evil-*.html"))
    with open_page(chromium_browser, evil) as (page, log):
        page.wait_for_selector('body[data-ready="1"]', timeout=90_000)
        point = page.locator(".js-plotly-plot .scatterlayer .point").last
        point.scroll_into_view_if_needed()
        box = point.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the drag layer is on top
        page.wait_for_selector(".hoverlayer .hovertext", timeout=10_000)
        label = page.locator(".hoverlayer .hovertext").first.text_content() or ""
        assert "onerror=window.pwned=2" in label  # shown as text
        assert page.locator(".hoverlayer img").count() == 0
        assert page.evaluate("typeof window.pwned") == "undefined"
    assert log.dialogs == [] and log.page_errors == []


def test_report_rewrites_in_place(site: Path, scanned: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    (copy / "repo-gone-0123abcd.html").write_text("old")
    result = run_cli(["report", "--db", str(scanned), "--out", str(copy)], cwd=scanned.parent)
    assert result.returncode == 0, result.stderr
    assert not (copy / "repo-gone-0123abcd.html").exists()
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in site.iterdir())
