"""The site's structure: which pages exist, their file names, links between them, and what every page
shares (header, navigation, trust signals, failed scans, privacy note).

File names never hold a repository's or team's raw name: a safe ASCII slug of it and a short hash of its
identity (`repo-api-3f2a9c1b.html`). With `single_file`, pages become sections of one document and links
become anchors (`#page-repo-api-3f2a9c1b`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from devmetrics.dashboards.data import SiteData
from devmetrics.dashboards.markup import Child, Markup, el, join
from devmetrics.dashboards.queries import Repo, ScopeKey

SHALLOW = "partial history (shallow clone)"


@dataclass(frozen=True)
class Flag:
    text: str
    bad: bool = False

    def html(self) -> Markup:
        return el("span", self.text, class_="flag bad" if self.bad else "flag")


@dataclass(frozen=True)
class PageSpec:
    """One page: its key (also its anchor in single-file mode), file name, title and, for drill-down
    pages, the scope it shows."""

    key: str
    file: str
    title: str
    scope: ScopeKey | None = None
    subtitle: str | None = None
    top: bool = False  # listed in the navigation


def slug(text: str, limit: int = 40) -> str:
    """Lower-case ASCII letters, digits and dashes only: safe in any file system and URL."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return cleaned[:limit].strip("-") or "x"


def short_hash(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def repo_page(repo: Repo) -> PageSpec:
    key = f"repo-{slug(repo.name)}-{short_hash(repo.identity)}"
    return PageSpec(key, f"{key}.html", repo.name, repo.scope, repo.identity)


def team_page(team: str) -> PageSpec:
    key = f"team-{slug(team)}-{short_hash(team)}"
    return PageSpec(key, f"{key}.html", team, ("team", team), "team")


OVERVIEW = PageSpec("index", "index.html", "Overview", ("org", "all"), top=True)
PRODUCTIVITY = PageSpec("productivity", "productivity.html", "Productivity", ("org", "all"), top=True)
REVIEWS = PageSpec("reviews", "reviews.html", "Reviews", ("org", "all"), top=True)
DEBT = PageSpec("debt", "debt.html", "Debt", ("org", "all"), top=True)
REPOSITORIES = PageSpec("repositories", "repositories.html", "Repositories", top=True)


def pages_of(data: SiteData) -> list[PageSpec]:
    return [
        OVERVIEW,
        PRODUCTIVITY,
        REVIEWS,
        DEBT,
        REPOSITORIES,
        *(repo_page(repo) for repo in data.repos),
        *(team_page(team) for team in data.teams),
    ]


@dataclass
class Context:
    """What a page builder needs: the data, how to link to a page, and the page's chart numbering."""

    data: SiteData
    page: PageSpec
    single_file: bool
    _numbers: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))
    charts: int = 0

    def href(self, page: PageSpec) -> str:
        return f"#page-{page.key}" if self.single_file else page.file

    def next_chart(self) -> tuple[str, str]:
        """Ids of the next chart's placeholder and figure block, unique in the whole site."""
        number = next(self._numbers)
        self.charts += 1
        return f"chart-{self.page.key}-{number}", f"figure-{self.page.key}-{number}"

    @property
    def scope(self) -> ScopeKey:
        return self.page.scope or ("org", "all")

    @property
    def data_through(self) -> date | None:
        if self.scope[0] == "repo":
            repo = next((r for r in self.data.repos if r.identity == self.scope[1]), None)
            return None if repo is None else repo.data_through
        return self.data.data_through


Builder = Callable[[Context], list[Markup]]


def navigation(ctx: Context, pages: list[PageSpec]) -> Markup:
    links = [
        el("a", page.title, href=ctx.href(page), aria_current="page" if page.key == ctx.page.key else None)
        for page in pages
        if page.top
    ]
    return el("nav", *links)


def date_text(day: date | None) -> str:
    return "unknown" if day is None else day.isoformat()


def repo_flags(data: SiteData, repo: Repo) -> list[Flag]:
    flags = [Flag(SHALLOW)] if repo.is_shallow else []
    flags += [Flag(f"last scan failed ({failure.stage})", bad=True) for failure in data.failed(repo)]
    return flags


def trust_box(ctx: Context) -> Markup:
    """Every page's trust signals (DESIGN §6): data through, partial histories, failed scans, privacy."""
    data = ctx.data
    shallow = [repo for repo in data.repos if repo.is_shallow]
    if ctx.scope[0] == "repo":
        shallow = [repo for repo in shallow if repo.identity == ctx.scope[1]]
    items: list[Child] = [
        el("li", el("strong", "Data through: "), date_text(ctx.data_through), " (the newest commit scanned)."),
    ]
    if shallow:
        items.append(
            el(
                "li",
                Flag(SHALLOW).html(),
                f"{len(shallow)} of {len(data.repos)} repositories: ",
                join((repo.name for repo in shallow), ", "),
                ". Their figures miss the history before the clone's depth.",
            )
        )
    if data.failures:
        items.append(
            el(
                "li",
                Flag(f"{len(data.failures)} failed scan{'s' if len(data.failures) > 1 else ''}", bad=True).html(),
                "Their figures are missing or out of date: ",
                join((f"{failure.target} ({failure.stage}): {failure.reason}" for failure in data.failures), "; "),
            )
        )
    privacy = (
        f"Figures are for the organisation, repositories and teams, never per person; groups of fewer than "
        f"{data.min_group_size} people are hidden (hidden: fewer than {data.min_group_size} people). "
        "No page names a person; hotspot ownership is a share."
    )
    if data.pseudonymize:
        privacy += " privacy.pseudonymize is on: the outputs that name people use pseudonyms."
    items.append(el("li", el("strong", "Privacy: "), privacy))
    return el("section", el("ul", *items), class_="box trust-box", aria_label="Trust signals")
