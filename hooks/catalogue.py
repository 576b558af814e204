"""The CI and scheduling templates shipped as package data (`hooks/templates/`): listed, read and written by
`devmetrics templates`."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from devmetrics.errors import EXIT_USAGE, DevmetricsError


@dataclass(frozen=True)
class Template:
    name: str  # the file name in hooks/templates/
    target: str  # where it goes in a repository or on a host
    description: str


TEMPLATES = (
    Template(
        "github-pr-gate.yml",
        ".github/workflows/devmetrics-pr-gate.yml",
        "GitHub Actions: `devmetrics ci-gate` on every pull request (fetch-depth 0, step summary, one PR comment)",
    ),
    Template(
        "github-nightly-scan.yml",
        ".github/workflows/devmetrics-nightly.yml",
        "GitHub Actions: nightly incremental scan (database kept with actions/cache), report as an artifact",
    ),
    Template(
        "gitlab-ci.yml",
        ".gitlab-ci.yml",
        "GitLab CI: merge-request gate and a scheduled incremental scan with a cached database",
    ),
    Template("devmetrics-scan.cron", "/etc/cron.d/devmetrics-scan", "cron: nightly scan and report on a host"),
    Template(
        "devmetrics-scan.service", "/etc/systemd/system/devmetrics-scan.service", "systemd: the scan as a oneshot unit"
    ),
    Template(
        "devmetrics-scan.timer", "/etc/systemd/system/devmetrics-scan.timer", "systemd: the timer that runs it nightly"
    ),
    Template(
        "pre-commit-config.yaml",
        ".pre-commit-config.yaml",
        "pre-commit: the debt gate and the AI-Assisted trailer hooks",
    ),
)
BY_NAME = {template.name: template for template in TEMPLATES}


def read(name: str) -> str:
    if name not in BY_NAME:
        raise DevmetricsError(
            f"template {name!r}: no such template; `devmetrics templates` lists {', '.join(BY_NAME)}",
            exit_code=EXIT_USAGE,
        )
    return resources.files("devmetrics.hooks").joinpath("templates", name).read_text(encoding="utf-8")


def write(folder: Path, name: str | None = None) -> list[Path]:
    """Write one template (or all) into `folder`, under their file names; returns the files written."""
    chosen = [BY_NAME[name]] if name in BY_NAME else list(TEMPLATES) if name is None else []
    if name is not None and not chosen:
        read(name)  # raises the one-line error
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for template in chosen:
            path = folder / template.name
            path.write_text(read(template.name), encoding="utf-8")
            written.append(path)
    except OSError as error:
        raise DevmetricsError(f"{folder}: cannot write templates ({error.strerror})", exit_code=EXIT_USAGE) from error
    return written
