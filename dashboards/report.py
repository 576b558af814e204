"""The static site: one page per view and per repository and team, one shared `plotly.min.js` and
`report.js`.

The site works offline from file://. Pages read only metric values, the metric registry, repositories,
scans and the latest snapshot's debt findings (DESIGN §4), through `dashboards/data.py`. They run no
inline script: figures travel as JSON data blocks that `report.js` draws, so the Content-Security-Policy
allows scripts from `'self'` only. Chromium matches `'self'` against file:// pages (tested by
tests/test_report.py); with `single_file` one page holds every page's sections and inlines both scripts,
and the policy allows exactly those two by their SHA-256 hashes.
"""

from __future__ import annotations

import re
import time
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from plotly.offline import get_plotlyjs

from devmetrics import __version__
from devmetrics.dashboards import pages
from devmetrics.dashboards.data import SiteData, load_site_data
from devmetrics.dashboards.markup import (
    Markup,
    content_security_policy,
    el,
    inline_script,
    join,
    script_hash,
    void,
)
from devmetrics.dashboards.site import Builder, Context, PageSpec, navigation, pages_of, trust_box
from devmetrics.errors import DevmetricsError

if TYPE_CHECKING:
    from devmetrics.config import Config
    from devmetrics.store import Store

INDEX = "index.html"
PLOTLY_JS = "plotly.min.js"
REPORT_JS = "report.js"
BUILDERS: dict[str, Builder] = {
    "index": pages.overview,
    "productivity": pages.productivity,
    "reviews": pages.reviews,
    "debt": pages.debt,
    "repositories": pages.repositories,
}
DRILL_DOWN = re.compile(r"(repo|team)-[a-z0-9-]+-[0-9a-f]{8}\.html")


def write_report(
    store: Store,
    out_dir: Path,
    *,
    title: str = "devmetrics",
    single_file: bool = False,
    config: Config | None = None,
) -> list[Path]:
    """Write the site into `out_dir` (created if needed) and return the paths of its files.

    By default: `index.html`, the other pages, `plotly.min.js` and `report.js`. With `single_file`, only
    an `index.html` that holds every page and both scripts (about 5 MB, for e-mail). With no metric
    values in the store, only an `index.html` that says how to get some.
    """
    from devmetrics.config import Config

    folder = _output_folder(out_dir)
    data = load_site_data(store, config if config is not None else Config())
    if not data.has_values:
        return [
            _write(folder / INDEX, _page(title, _empty_body(data, title), scripts=[], sources=["'none'"], charts=0))
        ]
    specs = pages_of(data)
    if single_file:
        sources = [_plotly_js(), _asset(REPORT_JS)]
        scripts = [inline_script(source) for source in sources]
        body, charts = _single_body(data, specs, title, store.path.name)
        page = _page(title, body, scripts=scripts, sources=[script_hash(source) for source in sources], charts=charts)
        return [_write(folder / INDEX, page)]
    assets = [_write(folder / PLOTLY_JS, _plotly_js()), _write(folder / REPORT_JS, _asset(REPORT_JS))]
    scripts = [el("script", src=path.name) for path in assets]
    written = []
    for spec in specs:
        ctx = Context(data, spec, single_file=False)
        body = _page_body(ctx, specs, title, store.path.name)
        full_title = title if spec.key == "index" else f"{spec.title} · {title}"
        page = _page(full_title, body, scripts=scripts, sources=["'self'"], charts=ctx.charts)
        written.append(_write(folder / spec.file, page))
    _remove_stale(folder, {path.name for path in written})
    return [*written, *assets]


def _builder(spec: PageSpec) -> Builder:
    if spec.key in BUILDERS:
        return BUILDERS[spec.key]
    return pages.repository if spec.key.startswith("repo-") else pages.team


def _heading(spec: PageSpec) -> Markup:
    subtitle = spec.subtitle if spec.subtitle and spec.subtitle != spec.title else None
    return el("h1", spec.title, el("small", subtitle) if subtitle else None)


def _page_body(ctx: Context, specs: list[PageSpec], title: str, db_name: str) -> Markup:
    sections = _builder(ctx.page)(ctx)
    return join(
        [
            el(
                "header",
                el("p", title, class_="site"),
                _heading(ctx.page),
                el("p", _summary(ctx.data.data_through, db_name), class_="muted"),
                navigation(ctx, specs),
            ),
            el("main", el("p", id="report-error", hidden=True), trust_box(ctx), *sections),
            _footer(),
        ]
    )


def _single_body(data: SiteData, specs: list[PageSpec], title: str, db_name: str) -> tuple[Markup, int]:
    parts = []
    charts = 0
    first = Context(data, specs[0], single_file=True)
    for spec in specs:
        ctx = Context(data, spec, single_file=True)
        sections = _builder(spec)(ctx)
        charts += ctx.charts
        parts.append(el("section", _heading(spec), trust_box(ctx), *sections, class_="page", id=f"page-{spec.key}"))
    header = el(
        "header",
        el("p", title, class_="site"),
        el("p", _summary(data.data_through, db_name), class_="muted"),
        navigation(first, specs),
    )
    body = join([header, el("main", el("p", id="report-error", hidden=True), *parts), _footer()])
    return body, charts


def _remove_stale(folder: Path, written: set[str]) -> None:
    """Pages of repositories or teams that are gone (renamed, no longer scanned) would mislead."""
    for path in folder.iterdir():
        if DRILL_DOWN.fullmatch(path.name) and path.name not in written:
            path.unlink(missing_ok=True)


def _summary(through: date | None, db_name: str) -> str:
    newest = "unknown" if through is None else through.isoformat()
    return f"Data through {newest} (the newest commit scanned). Generated {_now()} from {db_name}."


def _empty_body(data: SiteData, title: str) -> Markup:
    message = el(
        "p",
        "There are no metric values in this database yet. Run ",
        el("code", "devmetrics scan PATH"),
        " first (PATH: a repository or a folder of repositories), then ",
        el("code", "devmetrics report"),
        " again.",
        class_="box empty",
    )
    return join([el("header", el("h1", title)), el("main", message), _footer()])


def _footer() -> Markup:
    return el(
        "footer",
        el("noscript", "The charts need JavaScript; the tables and definitions are complete without it."),
        el(
            "p",
            f"Figures are for the organisation, repositories and teams, never per person. devmetrics {__version__}.",
        ),
    )


def _page(title: str, body: Markup, *, scripts: list[Markup], sources: list[str], charts: int) -> str:
    """The HTML document. Without scripts the page is ready at once (`data-ready` is set in the HTML);
    otherwise report.js sets it when every chart is drawn. `data-charts` says how many it draws."""
    head = el(
        "head",
        void("meta", charset="utf-8"),
        void("meta", http_equiv="Content-Security-Policy", content=content_security_policy(sources)),
        void("meta", name="referrer", content="no-referrer"),
        void("meta", name="viewport", content="width=device-width, initial-scale=1"),
        void("meta", name="generator", content=f"devmetrics {__version__}"),
        el("title", title),
        el("style", Markup(_asset("report.css"))),
    )
    ready = None if scripts else "1"
    body_element = el("body", body, *scripts, data_ready=ready, data_charts=charts)
    return "<!doctype html>\n" + el("html", head, body_element, lang="en") + "\n"


def _output_folder(out_dir: Path) -> Path:
    if out_dir.exists() and not out_dir.is_dir():
        raise DevmetricsError(f"{out_dir}: is a file, not a folder; pass another output folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DevmetricsError(f"{out_dir}: cannot create the report folder ({error.strerror})") from error
    return out_dir


def _write(path: Path, text: str) -> Path:
    """Replace `path` at once, so a browser never reads a half-written file; unchanged files are kept."""
    data = text.encode("utf-8")
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return path
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as error:
        raise DevmetricsError(f"{path}: cannot write the report ({error.strerror})") from error
    return path


def _asset(name: str) -> str:
    return (resources.files("devmetrics.dashboards") / "assets" / name).read_text(encoding="utf-8")


def _plotly_js() -> str:
    return str(get_plotlyjs())


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
