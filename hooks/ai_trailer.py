"""`devmetrics-ai-trailer`: records AI assistance where it happens, as the project's own commit trailer
`AI-Assisted: <tool>[ (<model>)]` or `AI-Assisted: no`, which the attribution analyzer reads.

Two stages (two hook ids in `.pre-commit-hooks.yaml`, one console script):
- `--stage prepare-commit-msg FILE [SOURCE [SHA]]` (before the editor): under `auto`, writes the trailer when an
  agent is detected; under `suggest` (and `auto` with nothing detected), adds a commented hint when an editor
  will open (no source, or a template); merges the duplicates of a squash message into one trailer.
- `--stage commit-msg FILE` (after the editor): removes the hint if it is still there, merges duplicates, writes
  the trailer under `auto`, and under `require` fails when the message has none, saying how to add it.

Policy: `hooks.ai_trailer` in the configuration, or `--policy`. Detection (`auto`): `DEVMETRICS_AI_TOOL=tool[ (model)]`
wins; else the environment variables coding agents set (`AGENT_VARIABLES`); else an AI trailer or co-author line
already in the message (an attribution rule gives the tool). The trailer is written with `git interpret-trailers
--if-exists doNothing`, so an `AI-Assisted` trailer already present (also `AI-Assisted: no`) is kept and never
duplicated. No trailer is needed, or written, for merges (their class comes from what they bring in) and for
`fixup!`/`squash!`/`amend!` commits (their message is folded into another commit's).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devmetrics.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, DevmetricsError

HOOK_ID = "devmetrics-ai-trailer"
TRAILER_KEY = "AI-Assisted"
OVERRIDE = "DEVMETRICS_AI_TOOL"
STAGES = ("prepare-commit-msg", "commit-msg")
POLICIES = ("require", "suggest", "auto", "off")
HINT_MARK = "# devmetrics-ai-trailer:"
HINT = (
    f"{HINT_MARK} say whether AI helped with this commit, as the last paragraph, e.g.\n"
    f"{HINT_MARK}   {TRAILER_KEY}: claude-code (opus-4.5)    or    {TRAILER_KEY}: no\n"
)
FOLDED_SUBJECT = re.compile(r"^(?:fixup|squash|amend)! ")
TRAILER_LINE = re.compile(rf"^{TRAILER_KEY}[ \t]*:[ \t]*(?P<value>.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
TOOL_VALUE = re.compile(r"^[^()\n:]+?(?:\s*\([^()\n]+\))?$")
NEGATIVE = re.compile(r"^(?:no|none|not used|n/?a|false)\b", re.IGNORECASE)

# Environment variables that coding agents set in the shells they run commands in: (variable, tool, the
# variable holding the model, if any). Documented in the README; DEVMETRICS_AI_TOOL overrides them all.
AGENT_VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("CLAUDECODE", "claude-code", "ANTHROPIC_MODEL"),
    ("CLAUDE_CODE_ENTRYPOINT", "claude-code", "ANTHROPIC_MODEL"),
    ("AIDER_MODEL", "aider", "AIDER_MODEL"),
    ("CURSOR_AGENT", "cursor", ""),
    ("CODEX_SANDBOX", "codex", ""),
    ("CODEX_SANDBOX_NETWORK_DISABLED", "codex", ""),
    ("GEMINI_CLI", "gemini-cli", "GEMINI_MODEL"),
    ("OPENCODE", "opencode", ""),
)


@dataclass(frozen=True, slots=True)
class Detected:
    value: str  # the trailer's value: "tool" or "tool (model)"
    source: str  # where it was found, for the message


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=HOOK_ID, description="Ensure an AI-Assisted trailer in commit messages.")
    parser.add_argument("--stage", choices=STAGES, required=True, help="the git hook this runs as")
    parser.add_argument("--policy", choices=POLICIES, default=None, help="default: hooks.ai_trailer of the config")
    parser.add_argument("--config", type=Path, default=None, help="devmetrics config file (default: discovered)")
    parser.add_argument("message_file", type=Path)
    parser.add_argument("source", nargs="?", default=os.environ.get("PRE_COMMIT_COMMIT_MSG_SOURCE", ""))
    parser.add_argument("sha", nargs="?", default="")
    args = parser.parse_args(argv)
    try:
        policy = args.policy or _configured_policy(args.config)
        lines, ok = run(args.stage, policy, args.message_file, args.source, os.environ, _merging())
    except DevmetricsError as error:
        print(f"{HOOK_ID}: error: {error}", file=sys.stderr)
        return error.exit_code
    if lines:
        print("\n".join(lines), file=sys.stdout if ok else sys.stderr)
    return EXIT_OK if ok else EXIT_FAILED


def _configured_policy(config_path: Path | None) -> str:
    from devmetrics.config import load_config

    return load_config(config_path).hooks.ai_trailer


def _merging() -> bool:
    result = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", "MERGE_HEAD"], capture_output=True, check=False, text=True
    )
    return result.returncode == 0


def run(
    stage: str, policy: str, file: Path, source: str, environ: Mapping[str, str], merging: bool
) -> tuple[list[str], bool]:
    """(lines to show, whether the commit may go on); rewrites `file` in place when needed."""
    if policy == "off":
        return [], True
    try:
        message = file.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as error:
        raise DevmetricsError(f"{file}: cannot read the commit message ({error.strerror})") from error
    original = message
    if stage == "commit-msg":
        message = remove_hint(message)
    exempt = source == "merge" or merging or is_folded(message)
    message = merge_duplicates(message)
    detected = detect(environ, message) if policy == "auto" and not exempt else None
    shown: list[str] = []
    if message != original:
        file.write_text(message, encoding="utf-8", errors="surrogateescape")
    if detected is not None and not has_trailer(message):
        add_trailer(file, detected.value)
        shown.append(f"{HOOK_ID}: added `{TRAILER_KEY}: {detected.value}` ({detected.source})")
        message = file.read_text(encoding="utf-8", errors="surrogateescape")
    if exempt or has_trailer(message):
        return shown, True
    if stage == "prepare-commit-msg":
        if policy in ("suggest", "auto", "require") and source in ("", "template"):
            file.write_text(_with_hint(message), encoding="utf-8", errors="surrogateescape")
        return shown, True
    if policy == "require":
        return [
            f"{HOOK_ID}: the commit message has no `{TRAILER_KEY}:` trailer (hooks.ai_trailer = require). "
            f'Add one as its last paragraph, e.g. `git commit --trailer "{TRAILER_KEY}: claude-code (opus-4.5)"` '
            f'or `--trailer "{TRAILER_KEY}: no"`; or set {OVERRIDE}="tool (model)" for the hook to write it.'
        ], False
    return shown, True


def is_folded(message: str) -> bool:
    """A `fixup!`, `squash!` or `amend!` commit: its message goes into another commit's."""
    first = next((line for line in message.splitlines() if line.strip() and not line.startswith("#")), "")
    return bool(FOLDED_SUBJECT.match(first))


def has_trailer(message: str) -> bool:
    from devmetrics.analyzers.trailers import parse_trailers

    return any(key.lower() == TRAILER_KEY.lower() for key, _ in parse_trailers(message))


def _uncommented(message: str) -> str:
    return "\n".join(line for line in message.split("\n") if not line.startswith("#"))


def merge_duplicates(message: str) -> str:
    """One `AI-Assisted` trailer where a squash message holds several (or one outside the trailer block): the
    first that names a tool, else the first `no`, moved into the last paragraph."""
    body = _uncommented(message)
    values = [found["value"] for found in TRAILER_LINE.finditer(body)]
    if not values or (len(values) == 1 and has_trailer(message)):
        return message
    chosen = next((value for value in values if value and not NEGATIVE.match(value)), values[0])
    kept = [line for line in message.split("\n") if line.startswith("#") or not TRAILER_LINE.match(line)]
    return _interpret(("\n".join(kept)).rstrip("\n") + "\n", chosen)


def detect(environ: Mapping[str, str], message: str) -> Detected | None:
    """The tool of an agent environment, the override, or an AI trailer of the message; None when none."""
    override = environ.get(OVERRIDE, "").strip()
    if override:
        if not TOOL_VALUE.match(override):
            raise DevmetricsError(
                f"{OVERRIDE}={override!r}: write tool[ (model)], e.g. {OVERRIDE}='claude-code (opus-4.5)'",
                exit_code=EXIT_USAGE,
            )
        return Detected(override, OVERRIDE)
    for variable, tool, model_variable in AGENT_VARIABLES:
        if environ.get(variable, "").strip():
            model = environ.get(model_variable, "").strip() if model_variable else ""
            model = re.sub(r"[()\n]", "", model)[:60]
            return Detected(f"{tool} ({model})" if model else tool, f"${variable} is set")
    return _from_trailers(message)


def _from_trailers(message: str) -> Detected | None:
    """An AI co-author or assistance trailer the attribution rules recognise (Co-authored-by: Claude …)."""
    from devmetrics.analyzers.attribution_rules import AI_CLASSES, RuleSet, effective_rules
    from devmetrics.analyzers.trailers import parse_trailers
    from devmetrics.config import AttributionConfig

    ruleset = RuleSet(effective_rules(AttributionConfig()))
    for key, value in parse_trailers(message):
        for evidence in ruleset.match_trailer(key, value):
            if evidence.cls in AI_CLASSES and evidence.tool:
                model = f" ({evidence.model})" if evidence.model else ""
                return Detected(f"{evidence.tool}{model}", f"the {key} trailer")
    return None


def remove_hint(message: str) -> str:
    return "".join(line for line in message.splitlines(keepends=True) if not line.startswith(HINT_MARK))


def _with_hint(message: str) -> str:
    if HINT_MARK in message:
        return message
    lines = message.splitlines(keepends=True)
    first_comment = next((i for i, line in enumerate(lines) if line.startswith("#")), len(lines))
    head = "".join(lines[:first_comment])
    if head and not head.endswith("\n"):
        head += "\n"
    return head + HINT + "".join(lines[first_comment:])


def add_trailer(file: Path, value: str) -> None:
    _git(["interpret-trailers", "--in-place", "--if-exists", "doNothing", "--if-missing", "add",
          "--trailer", f"{TRAILER_KEY}: {value}", str(file)])  # fmt: skip


def _interpret(message: str, value: str) -> str:
    args = [
        "interpret-trailers",
        "--if-exists",
        "doNothing",
        "--if-missing",
        "add",
        "--trailer",
        f"{TRAILER_KEY}: {value}",
    ]
    return _git(args, message)


def _git(args: list[str], stdin: str | None = None) -> str:
    try:
        result = subprocess.run(
            ["git", *args],
            input=None if stdin is None else stdin.encode("utf-8", "surrogateescape"),
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as error:
        raise DevmetricsError("git: not found on PATH; install git 2.32 or newer") from error
    if result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DevmetricsError(f"git {args[0]} failed: {said[0] if said else 'no message'}")
    return result.stdout.decode("utf-8", "surrogateescape")
