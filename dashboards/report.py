"""The static HTML report: `index.html` and, next to it, one shared `plotly.min.js` and `report.js`.

The site works offline from file://. The page reads only metric values, the metric registry, repositories
and scans (DESIGN §4). It runs no inline script: figures travel as JSON data blocks that `report.js`
draws, so the Content-Security-Policy allows scripts from `'self'` only. Chromium matches `'self'`
against file:// pages (tested by tests/test_report.py); with `single_file` the page inlines both
scripts instead, and the policy allows exactly those two by their SHA-256 hashes.
"""

from __future__ import annotations

import itertools
import time
from datetime import date
from importlib import resources
from pathlib import Path

from plotly.offline import get_plotlyjs

from devmetrics import __version__
from devmetrics.dashboards.markup import (
    Markup,
    content_security_policy,
    el,
    inline_script,
    join,
    script_hash,
    void,
)
from devmetrics.dashboards.queries import ReportData, load_report_data
from devmetrics.dashboards.sections import failures_box, navigation, overview, scope_section, scopes
from devmetrics.errors import DevmetricsError
from devmetrics.store import Store

INDEX = "index.html"
PLOTLY_JS = "plotly.min.js"
REPORT_JS = "report.js"


def write_report(store: Store, out_dir: Path, *, title: str = "devmetrics", single_file: bool = False) -> list[Path]:
    """Write the report into `out_dir` (created if needed) and return the paths of its files.

    By default: `index.html`, `plotly.min.js` and `report.js`. With `single_file`, only an `index.html`
    that holds everything (about 5 MB, for e-mail). With no metric values in the store, only an
    `index.html` that says how to get some.
    """
    folder = _output_folder(out_dir)
    data = load_report_data(store)
    if not data.has_values:
        return [_write(folder / INDEX, _page(title, _empty_body(data, title), scripts=[], sources=["'none'"]))]
    body = _body(data, title, store.path.name)
    if single_file:
        sources = [_plotly_js(), _asset(REPORT_JS)]
        scripts = [inline_script(source) for source in sources]
        page = _page(title, body, scripts=scripts, sources=[script_hash(source) for source in sources])
        return [_write(folder / INDEX, page)]
    assets = [_write(folder / PLOTLY_JS, _plotly_js()), _write(folder / REPORT_JS, _asset(REPORT_JS))]
    scripts = [el("script", src=path.name) for path in assets]
    return [_write(folder / INDEX, _page(title, body, scripts=scripts, sources=["'self'"])), *assets]


def _body(data: ReportData, title: str, db_name: str) -> Markup:
    all_scopes = scopes(data)
    chart_ids = itertools.count(1)
    return join(
        [
            el(
                "header",
                el("h1", title),
                el("p", _summary(all_scopes[0].data_through, db_name), class_="muted"),
                navigation(all_scopes),
            ),
            el(
                "main",
                el("p", id="report-error", hidden=True),
                failures_box(data),
                overview(data, all_scopes),
                *(scope_section(data, scope, chart_ids) for scope in all_scopes),
            ),
            _footer(),
        ]
    )


def _summary(through: date | None, db_name: str) -> str:
    newest = "unknown" if through is None else through.isoformat()
    return f"Data through {newest} (the newest commit scanned). Generated {_now()} from {db_name}."


def _empty_body(data: ReportData, title: str) -> Markup:
    message = el(
        "p",
        "There are no metric values in this database yet. Run ",
        el("code", "devmetrics scan PATH"),
        " first (PATH: a repository or a folder of repositories), then ",
        el("code", "devmetrics report"),
        " again.",
        class_="box empty",
    )
    return join([el("header", el("h1", title)), el("main", message, failures_box(data)), _footer()])


def _footer() -> Markup:
    return el(
        "footer",
        el("noscript", "The charts need JavaScript; the tables and definitions are complete without it."),
        el("p", f"Figures are per repository and for the organisation, never per person. devmetrics {__version__}."),
    )


def _page(title: str, body: Markup, *, scripts: list[Markup], sources: list[str]) -> str:
    """The HTML document. Without scripts the page is ready at once (`data-ready` is set in the HTML);
    otherwise report.js sets it when every chart is drawn."""
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
    return "<!doctype html>\n" + el("html", head, el("body", body, *scripts, data_ready=ready), lang="en") + "\n"


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
