"""The `devmetrics` command: a thin click layer over the library (DESIGN §6).

Imports of heavy modules happen inside commands, so `devmetrics --help` and a no-op rescan stay fast.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import click

from devmetrics import __version__
from devmetrics.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, DevmetricsError

if TYPE_CHECKING:
    from devmetrics.config import Config
    from devmetrics.scan import ScanSummary
    from devmetrics.store import Store

log = logging.getLogger("devmetrics")


@dataclass
class AppContext:
    config_path: Path | None
    quiet: bool
    log_json: bool
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from devmetrics.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def db_path(self, given: Path | None) -> Path:
        return given if given is not None else Path(self.config.scan.db)


DB_OPTION = click.option(
    "--db",
    "db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Database file (default: scan.db from the config, else devmetrics.db here).",
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="devmetrics")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file (default: devmetrics.toml here, else [tool.devmetrics] in pyproject.toml).",
)
@click.option("-v", "--verbose", count=True, help="More detail; twice for debug output and tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("--log-json", is_flag=True, help="Log one JSON object a line on stderr, for machines.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int, quiet: bool, log_json: bool) -> None:
    """devmetrics: is AI-assisted work multiplying throughput, is review quality holding up, and is
    technical debt going down? Measured from git history, code hosts and CI."""
    from devmetrics import logs

    logs.configure(verbose=verbose, quiet=quiet, as_json=log_json)
    ctx.obj = AppContext(config_path=config_path, quiet=quiet, log_json=log_json)


@cli.command()
@click.argument("paths", nargs=-1)
@DB_OPTION
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(["history", "code", "hosts"]),
    help="Run only this stage (repeatable). Default: every stage available.",
)
@click.option("--all-refs", is_flag=True, default=None, help="Scan every branch and tag, not only HEAD's history.")
@click.option("--workers", type=click.IntRange(min=0), default=None, help="Worker processes (0: one per core).")
@click.option(
    "--chunk-size",
    type=click.IntRange(min=100, max=100_000),
    default=None,
    help="Commits read by one git process and written in one transaction.",
)
@click.option(
    "--no-analyze",
    is_flag=True,
    help="Store facts only; recompute metrics later with `devmetrics analyze` (for many scans in a row).",
)
@click.pass_obj
def scan(
    app: AppContext,
    paths: tuple[str, ...],
    db: Path | None,
    only: tuple[str, ...],
    all_refs: bool | None,
    workers: int | None,
    chunk_size: int | None,
    no_analyze: bool,
) -> int:
    """Mine repositories (paths or URLs) into the database, then recompute metrics.

    With no PATH, scans the [[repos]] of the configuration and the repositories named in [github] and
    [gitlab]. A second scan reads only new commits and pull requests updated since.
    Exit status 1 when any repository failed (the others are still scanned).
    """
    from dataclasses import replace

    from devmetrics.scan import AVAILABLE_STAGES
    from devmetrics.scan import scan as run_scan
    from devmetrics.store import Store, writer_lock

    config = app.config
    overrides: dict[str, Any] = {
        key: value
        for key, value in (("all_refs", all_refs), ("workers", workers), ("chunk_size", chunk_size))
        if value is not None
    }
    if overrides:
        config = replace(config, scan=replace(config.scan, **overrides))
    targets = [(path, "") for path in paths] or [(repo.path, repo.name) for repo in config.repos]
    from devmetrics.collectors.hostdata import check_names

    check_names(config)  # a malformed repository name is a configuration error, found before any work
    hosts_named = bool(config.github.orgs or config.github.repos or config.gitlab.groups or config.gitlab.projects)
    if not targets and not hosts_named:
        raise DevmetricsError(
            "name a repository to scan: devmetrics scan PATH (or list [[repos]] in devmetrics.toml)",
            exit_code=EXIT_USAGE,
        )
    unavailable = sorted(set(only) - set(AVAILABLE_STAGES))
    if unavailable:
        raise DevmetricsError(
            f"--only {unavailable[0]}: this stage is not part of this version yet; "
            f"available: {', '.join(AVAILABLE_STAGES)}",
            exit_code=EXIT_USAGE,
        )
    db_path = app.db_path(db)
    with writer_lock(db_path):
        store = Store.open(db_path)
        try:
            with _progress(app) as progress:
                summary = run_scan(
                    store, targets, config, stages=only or AVAILABLE_STAGES, progress=progress, analyze=not no_analyze
                )
        finally:
            store.close()
    _print_summary(summary, db_path, quiet=app.quiet)
    return EXIT_FAILED if summary.failed else EXIT_OK


class _progress:
    """A rich progress bar on an interactive stderr; nothing otherwise.

    Redrawn by the updates themselves, at most every REFRESH_SECONDS: rich's own refresh thread would keep
    the scan from forking its measuring workers (see executors.start_method).
    """

    REFRESH_SECONDS = 0.1

    def __init__(self, app: AppContext) -> None:
        self.enabled = sys.stderr.isatty() and not app.quiet and not app.log_json
        self.bar: Any = None
        self.task: Any = None
        self.drawn_at = 0.0

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
            auto_refresh=False,
        )
        self.bar.start()
        self.task = self.bar.add_task("scanning", total=None)
        return self.update

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        redraw = done == total or now - self.drawn_at >= self.REFRESH_SECONDS
        self.bar.update(self.task, completed=done, total=total, refresh=redraw)
        if redraw:
            self.drawn_at = now

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_summary(summary: ScanSummary, db_path: Path, *, quiet: bool) -> None:
    if quiet:  # failures were already logged as errors, one line each
        return
    for outcome in summary.outcomes:
        if outcome.status == "failed":
            click.echo(f"  FAILED     {outcome.target}")
            continue
        parts = []
        if outcome.reachable or outcome.commits_added:
            parts.append(f"{outcome.commits_added} new commits, {outcome.reachable} reachable")
        if outcome.hosts is not None and outcome.hosts.status == "ok":
            parts.append(f"{outcome.hosts.pull_requests} pull requests new or updated")
        if outcome.code is not None:
            code = outcome.code
            parts.append(
                f"{code.revisions} new snapshots ({code.revisions_kept} kept), {code.blobs_measured} files measured, "
                f"{code.blobs_reused} reused, {code.hunks} hunks"
            )
        flags = " (shallow: partial history)" if outcome.is_shallow else ""
        if outcome.unreachable_now:
            flags += f" (history rewritten: {outcome.unreachable_now} commits no longer reachable)"
        click.echo(
            f"  {outcome.status:<10} {outcome.name or outcome.target}: {'; '.join(parts) or 'nothing new'}{flags}"
        )
    ok = len(summary.outcomes) - len(summary.failed)
    click.echo(
        f"scanned {ok} of {len(summary.outcomes)} repositories into {db_path} in {summary.seconds:.1f} s; "
        f"{summary.metric_rows} metric values updated"
    )


@cli.command()
@DB_OPTION
@click.pass_obj
def analyze(app: AppContext, db: Path | None) -> int:
    """Recompute every metric from the stored facts (after `scan --no-analyze`, or a config change)."""
    import time

    from devmetrics.scan import analyze_all
    from devmetrics.store import Store, writer_lock

    db_path = app.db_path(db)
    started = time.monotonic()
    with writer_lock(db_path):
        store = Store.open(db_path, create=False)
        try:
            rows = analyze_all(store, app.config)
        finally:
            store.close()
    if not app.quiet:
        click.echo(f"{rows} metric values updated in {db_path} in {time.monotonic() - started:.1f} s")
    return EXIT_OK


@cli.command()
@DB_OPTION
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output folder (default: report.out from the config, else devmetrics-report).",
)
@click.option("--single-file", is_flag=True, help="Write one self-contained index.html (for e-mail).")
@click.pass_obj
def report(app: AppContext, db: Path | None, out: Path | None, single_file: bool) -> int:
    """Write the dashboard: a static site that works offline (open index.html)."""
    from devmetrics.store import Store

    try:
        from devmetrics.dashboards.report import write_report
    except ImportError as error:
        raise DevmetricsError(
            f"the dashboards need plotly ({error.name} missing): pip install 'devmetrics[dashboards]'"
        ) from error
    store = Store.open(app.db_path(db), create=False)
    try:
        target = out or Path(app.config.report.out)
        written = write_report(store, target, title=app.config.report.title, single_file=single_file, config=app.config)
    finally:
        store.close()
    if not app.quiet:
        click.echo(f"wrote {len(written)} files; open {target / 'index.html'}")
    return EXIT_OK


TOP_OPTION = click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many entries of each ranking to show.",
)


class _Refreshable(Protocol):
    def is_current(self, store: Store, config: Config) -> bool: ...

    def analyze(self, store: Store, config: Config) -> int: ...


def _open_current(app: AppContext, db: Path | None, analyzer: _Refreshable) -> tuple[Store, bool]:
    """The store, its analyzer's figures recomputed first when the inputs or the rules changed, and whether
    they are stale: a scan holding the writer lock leaves the stored figures as they are."""
    from devmetrics.store import Store

    path = app.db_path(db)
    store = Store.open(path, create=False)
    try:
        stale = not analyzer.is_current(store, app.config) and not _recompute(path, store, app.config, analyzer)
    except BaseException:
        store.close()
        raise
    return store, stale


def _recompute(path: Path, store: Store, config: Config, analyzer: _Refreshable) -> bool:
    """Recompute under the writer lock; False, leaving the figures as they are, when a scan holds it."""
    from devmetrics.store import writer_lock

    locked = False
    try:
        with writer_lock(path):
            locked = True
            analyzer.analyze(store, config)
    except DevmetricsError:
        if locked:
            raise
        return False
    return True


def _print_answer(answer: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    click.echo(json.dumps(answer, indent=2, ensure_ascii=False) if as_json else "\n".join(lines))


@cli.command()
@DB_OPTION
@JSON_OPTION
@TOP_OPTION
@click.pass_obj
def debt(app: AppContext, db: Path | None, as_json: bool, top: int) -> int:
    """Technical debt per code snapshot: minutes, density, ratio and A-E rating, the reduction against
    debt.baseline_date, and the top findings."""
    from devmetrics.analyzers import debt as debt_model

    store, stale = _open_current(app, db, debt_model)
    try:
        answer = debt_model.report(store, app.config, top=top, stale=stale)
    finally:
        store.close()
    _print_answer(answer, as_json, debt_model.render_text(answer))
    return EXIT_OK


@cli.command()
@DB_OPTION
@JSON_OPTION
@TOP_OPTION
@click.option("--repo", "repo", default=None, help="Only this repository (its name or identity).")
@click.pass_obj
def hotspots(app: AppContext, db: Path | None, as_json: bool, top: int, repo: str | None) -> int:
    """Hotspots per repository, ranked: files (commits in the window × complexity, with ownership),
    functions (commits touching them) and change coupling between files."""
    from devmetrics.analyzers import hotspots as hotspot_model

    store, stale = _open_current(app, db, hotspot_model)
    try:
        answer = hotspot_model.report(store, app.config, top=top, repo=repo, stale=stale)
    finally:
        store.close()
    _print_answer(answer, as_json, hotspot_model.render_text(answer))
    return EXIT_OK


@cli.command()
@DB_OPTION
@JSON_OPTION
@click.option(
    "--explain",
    "explain_sha",
    default=None,
    metavar="SHA",
    help="The class, tool, confidence and evidence of one commit (an unambiguous prefix is enough).",
)
@click.option("--repo", "repo", default=None, help="Only this repository (its name or identity).")
@click.option("--rules", "list_rules", is_flag=True, help="List the effective rules (built-in and configured).")
@click.pass_obj
def attribution(
    app: AppContext, db: Path | None, as_json: bool, explain_sha: str | None, repo: str | None, list_rules: bool
) -> int:
    """AI attribution: commits by class (ai-authored, ai-assisted, bot, human) and by tool, and the commits
    excluded per reason. Rules changed in the configuration re-attribute the stored commits first."""
    from devmetrics.analyzers import attribution as model
    from devmetrics.analyzers import attribution_report as view

    settings = model.Settings.of(app.config)
    if list_rules:
        listed = view.rules(settings)
        _print_answer(listed, as_json, view.rules_lines(listed))
        return EXIT_OK
    store, stale = _open_current(app, db, model)
    try:
        if explain_sha is not None:
            answer = view.explain(store, settings, explain_sha, repo, pseudonymize=app.config.privacy.pseudonymize)
            lines = view.explain_lines(answer)
        else:
            answer = view.summary(store, settings, repo)
            lines = view.summary_lines(answer)
    finally:
        store.close()
    answer["stale"] = stale
    if stale:
        lines.append("stale: a scan holds the database; these are the rows stored before the rules changed")
    _print_answer(answer, as_json, lines)
    return EXIT_OK


@cli.command()
@DB_OPTION
@JSON_OPTION
@click.option("--repo", "repo", default=None, help="Only this repository (its name or identity).")
@click.pass_obj
def reviews(app: AppContext, db: Path | None, as_json: bool, repo: str | None) -> int:
    """Review quality in the window, per organisation, repository and team, AI vs human: time to first
    review, coverage, depth, rubber stamps, self- and unreviewed merges, rework, PR size and cycle time."""
    from devmetrics.analyzers import reviews as review_model

    store, stale = _open_current(app, db, review_model)
    try:
        answer = review_model.report(store, app.config, repo=repo, stale=stale)
    finally:
        store.close()
    _print_answer(answer, as_json, [review_model.render(answer)])
    return EXIT_OK


@cli.command()
@JSON_OPTION
def metrics(as_json: bool) -> int:
    """List every metric: unit, which direction is better, roll-up rule and definition."""
    from devmetrics.analyzers.registry import all_metrics

    rows = [
        {
            "name": m.name,
            "title": m.title,
            "unit": m.unit,
            "direction": m.direction,
            "rollup": m.rollup,
            "analyzer": analyzer,
            "definition": m.definition,
        }
        for analyzer, m in all_metrics()
    ]
    if as_json:
        click.echo(json.dumps({"metrics": rows}, indent=2))
        return EXIT_OK
    for row in rows:
        click.echo(f"{row['name']}  [{row['unit']}, {row['direction']} is better, roll-up: {row['rollup']}]")
        click.echo(f"    {row['definition']}")
    return EXIT_OK


@cli.command("config")
@JSON_OPTION
@click.pass_obj
def config_command(app: AppContext, as_json: bool) -> int:
    """Print the effective configuration: every key, its value and where it came from."""
    from devmetrics.config import effective_values

    values = effective_values(app.config)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "source": app.config.source,
                    "values": [{"key": key, "value": value, "origin": origin} for key, value, origin, _doc in values],
                },
                indent=2,
            )
        )
        return EXIT_OK
    click.echo(f"# read from: {app.config.source}")
    width = max((len(key) for key, *_ in values), default=0)
    for key, value, origin, _doc in values:
        click.echo(f"{key:<{width}} = {value}    # {origin}")
    return EXIT_OK


def _baseline_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, str] | None:
    import datetime

    if value is None:
        return None
    start, colon, end = value.partition(":")
    try:
        if not colon or datetime.date.fromisoformat(end) < datetime.date.fromisoformat(start):
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"{value!r}: give START:END, two dates like 2025-01-06:2025-03-30") from None
    return start, end


@cli.command()
@DB_OPTION
@JSON_OPTION
@click.option(
    "--window",
    "window_weeks",
    type=click.IntRange(min=1, max=520),
    default=None,
    metavar="WEEKS",
    help="Compare the last WEEKS complete weeks with data (default: throughput.window_weeks).",
)
@click.option(
    "--baseline",
    "baseline",
    default=None,
    metavar="START:END",
    callback=_baseline_option,
    help="Pre-adoption baseline, two dates (default: throughput.baseline_start and baseline_end).",
)
@click.pass_obj
def throughput(
    app: AppContext, db: Path | None, as_json: bool, window_weeks: int | None, baseline: tuple[str, str] | None
) -> int:
    """The productivity multiplier (commits per active developer-week, window ÷ baseline) with its 95%
    interval and n, the within-author and AI vs non-AI views, and churn and reverts by class."""
    from devmetrics.analyzers import throughput as model
    from devmetrics.store import Store

    store = Store.open(app.db_path(db), create=False)
    try:
        answer = model.report(store, app.config, window_weeks=window_weeks, baseline=baseline)
    finally:
        store.close()
    click.echo(json.dumps(answer, indent=2, ensure_ascii=False) if as_json else model.render(answer))
    return EXIT_OK


@cli.command("ci-gate")
@click.option("--base", "base", required=True, metavar="REF", help="The branch the change goes into, e.g. origin/main.")
@click.option("--head", "head", default="HEAD", show_default=True, metavar="REF", help="The change's last commit.")
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path(), help="Repository.")
@JSON_OPTION
@click.option(
    "--fail-on",
    "fail_on",
    type=click.Choice(["worse", "never"]),
    default=None,
    help="Exit 1 when a function got worse past a [debt] threshold (worse), or never (default: hooks.fail_on).",
)
@click.option("--comment", is_flag=True, help="Post or update one comment on the GitHub pull request.")
@click.pass_obj
def ci_gate(
    app: AppContext, base: str, head: str, repo: Path, as_json: bool, fail_on: str | None, comment: bool
) -> int:
    """Debt delta, AI attribution and size of a pull request's range (merge-base of BASE and HEAD ... HEAD),
    as Markdown (also appended to $GITHUB_STEP_SUMMARY) or JSON; exit 1 when a function got worse."""
    import os

    from devmetrics.hooks import ci_gate as gate

    answer = gate.evaluate(repo, base, head, app.config, fail_on=fail_on)
    summary = os.environ.get("GITHUB_STEP_SUMMARY", "").strip()
    if summary:
        gate.append_step_summary(Path(summary), answer)
    if comment:
        from devmetrics.hooks import pr_comment

        body = gate.fitted_markdown(answer, gate.COMMENT_CAP)
        outcome = pr_comment.post_or_update(body, gate.MARKER, os.environ)
        answer["comment"] = outcome.action
        click.echo(f"devmetrics: {outcome.message}", err=True)
    click.echo(gate.to_json(answer) if as_json else gate.render_markdown(answer))
    return int(answer["exit_code"])


@cli.command()
@click.argument("name", required=False)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write the template(s) into this folder instead of listing them.",
)
def templates(name: str | None, out: Path | None) -> int:
    """List the CI and scheduling templates (GitHub Actions, GitLab CI, cron, systemd), print one, or write
    them (all, or NAME) into --out DIR."""
    from devmetrics.hooks import catalogue

    if out is not None:
        for written in catalogue.write(out, name):
            click.echo(str(written))
        return EXIT_OK
    if name is not None:
        click.echo(catalogue.read(name), nl=False)
        return EXIT_OK
    for entry in catalogue.TEMPLATES:
        click.echo(f"{entry.name:<28} {entry.description}")
    return EXIT_OK


@cli.command()
@DB_OPTION
@JSON_OPTION
@click.pass_obj
def targets(app: AppContext, db: Path | None, as_json: bool) -> int:
    """Progress towards the goals of [targets]: current value with its interval, baseline, progress, trend
    per week, projected date and status (met, on track, off track, no trend, insufficient data)."""
    from devmetrics.analyzers import targets as model
    from devmetrics.store import Store

    store = Store.open(app.db_path(db), create=False)
    try:
        answer = model.report(store, app.config)
    finally:
        store.close()
    _print_answer(answer, as_json, model.render_text(answer))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run a command and turn every outcome into an exit code (DESIGN §6)."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="devmetrics", standalone_mode=False)
    except DevmetricsError as error:
        log.debug("error", exc_info=True)
        click.echo(f"devmetrics: error: {error}", err=True)
        return error.exit_code
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except (click.Abort, KeyboardInterrupt):
        click.echo("devmetrics: interrupted; what was committed is kept, scan again to resume", err=True)
        return 130
    return int(result) if isinstance(result, int) else EXIT_OK
