"""The `devmetrics` command: a thin click layer over the library (DESIGN §6).

Imports of heavy modules happen inside commands, so `devmetrics --help` and a no-op rescan stay fast.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from devmetrics import __version__
from devmetrics.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, DevmetricsError

if TYPE_CHECKING:
    from devmetrics.config import Config
    from devmetrics.scan import ScanSummary

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
@click.pass_obj
def scan(
    app: AppContext,
    paths: tuple[str, ...],
    db: Path | None,
    only: tuple[str, ...],
    all_refs: bool | None,
    workers: int | None,
    chunk_size: int | None,
) -> int:
    """Mine repositories (paths or URLs) into the database, then recompute metrics.

    With no PATH, scans the [[repos]] of the configuration. A second scan reads only new commits.
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
    if not targets:
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
                summary = run_scan(store, targets, config, stages=only or AVAILABLE_STAGES, progress=progress)
        finally:
            store.close()
    _print_summary(summary, db_path, quiet=app.quiet)
    return EXIT_FAILED if summary.failed else EXIT_OK


class _progress:
    """A rich progress bar on an interactive stderr; nothing otherwise."""

    def __init__(self, app: AppContext) -> None:
        self.enabled = sys.stderr.isatty() and not app.quiet and not app.log_json
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress(
            "commits",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task("scan", total=None)
        return self.update

    def update(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_summary(summary: ScanSummary, db_path: Path, *, quiet: bool) -> None:
    if quiet:  # failures were already logged as errors, one line each
        return
    for outcome in summary.outcomes:
        flags = " (shallow: partial history)" if outcome.is_shallow else ""
        if outcome.unreachable_now:
            flags += f" (history rewritten: {outcome.unreachable_now} commits no longer reachable)"
        if outcome.status == "failed":
            click.echo(f"  FAILED     {outcome.target}")
        else:
            click.echo(
                f"  {outcome.status:<10} {outcome.name or outcome.target}: {outcome.commits_added} new commits, "
                f"{outcome.reachable} reachable{flags}"
            )
    ok = len(summary.outcomes) - len(summary.failed)
    click.echo(
        f"scanned {ok} of {len(summary.outcomes)} repositories into {db_path} in {summary.seconds:.1f} s; "
        f"{summary.metric_rows} metric values updated"
    )


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
        written = write_report(store, target, title=app.config.report.title, single_file=single_file)
    finally:
        store.close()
    if not app.quiet:
        click.echo(f"wrote {len(written)} files; open {target / 'index.html'}")
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
