"""The CLI's contract: help everywhere, version, exit codes, and a README that documents it all."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from devmetrics.cli import cli, main
from devmetrics.config import config_reference

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"Usage: devmetrics {command}" in out
    assert (cli.commands[command].help or "").strip(), f"{command} has no help text"
    assert f"devmetrics {command}" in README, f"README does not document `devmetrics {command}`"


def test_every_option_of_every_command_is_in_the_readme() -> None:
    for name, command in cli.commands.items():
        for parameter in command.params:
            if isinstance(parameter, click.Option):
                longest = max(parameter.opts, key=len)
                assert longest in README, f"README does not mention {longest} of `devmetrics {name}`"


def test_every_config_key_is_documented() -> None:
    for key, default, _doc in config_reference():
        generic = re.sub(r"\[\d+\]", "", key)
        assert f"`{generic}`" in README, f"README does not document config key {generic}"
        del default


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from devmetrics import __version__

    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_metrics_lists_the_registry_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    names = {metric["name"] for metric in metrics}
    assert {"history.commits", "history.active_authors", "history.changed_lines"} <= names
    assert all(metric["definition"] and metric["direction"] in ("higher", "lower", "neutral") for metric in metrics)
    for metric in metrics:
        assert f"`{metric['name']}`" in README, f"README does not define {metric['name']}"


def test_config_shows_values_and_origins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "devmetrics.toml").write_text("[scan]\nchunk_size = 500\n")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"scan\.chunk_size\s+= 500\s+# devmetrics\.toml:2", out), out
    assert re.search(r"scan\.workers\s+= 0\s+# default", out), out
    assert main(["config", "--json"]) == 0
    values = {row["key"]: row for row in json.loads(capsys.readouterr().out)["values"]}
    assert values["scan.chunk_size"]["origin"] == "devmetrics.toml:2"


def test_log_json_writes_one_object_a_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--log-json", "scan", str(tmp_path / "missing"), "--db", str(tmp_path / "d.db")]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert entries and entries[0]["level"] == "error" and "no such folder" in entries[0]["message"]


def test_readme_reference_tables_are_current() -> None:
    from devmetrics.docs import render

    assert render(README) == README, "README is out of date: run `python -m devmetrics.docs README.md`"


def test_readme_quick_start_has_exactly_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick_start, re.DOTALL)
    assert len(commands) == 2 and all("\n" not in command for command in commands)
    assert "devmetrics scan" in commands[0] and "devmetrics report" in commands[0]
    assert "pytest" in commands[1] and "mypy" in commands[1] and "ruff" in commands[1]
    assert "<!-- test-command -->\n```sh\n" + commands[1] in README
