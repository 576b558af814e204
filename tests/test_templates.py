"""The CI and scheduling templates: each YAML parses and has the keys that matter, the systemd units are
well-formed, and `devmetrics templates` lists and writes them."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from devmetrics.hooks import catalogue
from tests.helpers import run_cli


def load(name: str) -> Any:
    return yaml.safe_load(catalogue.read(name))


def steps_of(workflow: Any) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_every_listed_template_is_shipped_and_every_shipped_file_listed() -> None:
    folder = Path(catalogue.__file__).parent / "templates"
    assert sorted(path.name for path in folder.iterdir()) == sorted(catalogue.BY_NAME)


def test_github_pr_gate() -> None:
    workflow = load("github-pr-gate.yml")
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    steps = steps_of(workflow)
    checkout = next(step for step in steps if str(step.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    gate = next(step for step in steps if "ci-gate" in str(step.get("run", "")))
    assert "devmetrics ci-gate --base origin/${{ github.base_ref }}" in gate["run"]
    assert gate["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert workflow["permissions"]["pull-requests"] == "write"


def test_github_nightly_scan() -> None:
    workflow = load("github-nightly-scan.yml")
    assert workflow[True]["schedule"][0]["cron"]
    assert workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    steps = steps_of(workflow)
    cache = next(step for step in steps if str(step.get("uses", "")).startswith("actions/cache"))
    assert cache["with"]["path"] == "devmetrics.db" and cache["with"]["restore-keys"].strip() == "devmetrics-db-"
    assert any("devmetrics scan" in str(step.get("run", "")) for step in steps)
    assert any("devmetrics report" in str(step.get("run", "")) for step in steps)
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "devmetrics-report"
    checkout = next(step for step in steps if str(step.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0


def test_gitlab_ci() -> None:
    pipeline = load("gitlab-ci.yml")
    assert pipeline["variables"]["GIT_DEPTH"] == "0"
    gate = pipeline["devmetrics-mr-gate"]
    assert gate["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert any("devmetrics ci-gate --base" in line for line in gate["script"])
    scan = pipeline["devmetrics-nightly-scan"]
    assert scan["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "schedule"'
    assert scan["cache"]["paths"] == ["devmetrics.db"] and scan["resource_group"]
    assert "devmetrics-report" in scan["artifacts"]["paths"]


def test_pre_commit_config_names_every_hook_of_the_manifest() -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text())
    config = load("pre-commit-config.yaml")
    assert [hook["id"] for hook in config["repos"][0]["hooks"]] == [hook["id"] for hook in manifest]


def test_cron_line_is_well_formed() -> None:
    entries = [line for line in catalogue.read("devmetrics-scan.cron").splitlines() if line and line[0].isdigit()]
    assert len(entries) == 1
    minute, hour, day, month, weekday, user, *command = entries[0].split()
    assert 0 <= int(minute) < 60 and 0 <= int(hour) < 24 and (day, month, weekday) == ("*", "*", "*")
    assert user == "devmetrics" and "devmetrics --log-json scan" in " ".join(command)


def parse_unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(catalogue.read(name))
    return parser


def test_systemd_units_parse() -> None:
    service = parse_unit("devmetrics-scan.service")
    assert service["Service"]["Type"] == "oneshot" and service["Service"]["ExecStart"].startswith("/")
    timer = parse_unit("devmetrics-scan.timer")
    assert timer["Timer"]["Unit"] == "devmetrics-scan.service" and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    catalogue.write(tmp_path, "devmetrics-scan.service")
    catalogue.write(tmp_path, "devmetrics-scan.timer")
    service = tmp_path / "devmetrics-scan.service"
    # the unit names a real program and a folder that exist here, so only the unit's form is judged
    text = service.read_text().replace("/usr/local/bin/devmetrics", shutil.which("true") or "/bin/true")
    service.write_text(text.replace("User=devmetrics", "User=root").replace("/srv/devmetrics", str(tmp_path)))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(service), str(tmp_path / "devmetrics-scan.timer")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "devmetrics-scan" not in result.stderr, result.stderr


def test_templates_command_lists_prints_and_writes(tmp_path: Path) -> None:
    listed = run_cli(["templates"], cwd=tmp_path)
    assert listed.returncode == 0 and all(name in listed.stdout for name in catalogue.BY_NAME)
    shown = run_cli(["templates", "devmetrics-scan.timer"], cwd=tmp_path)
    assert shown.stdout == catalogue.read("devmetrics-scan.timer")
    written = run_cli(["templates", "--out", str(tmp_path / "out")], cwd=tmp_path)
    assert written.returncode == 0
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(catalogue.BY_NAME)
    unknown = run_cli(["templates", "jenkins.groovy"], cwd=tmp_path)
    assert unknown.returncode == 2 and "no such template" in unknown.stderr and unknown.stderr.count("\n") == 1
