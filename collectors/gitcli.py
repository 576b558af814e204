"""Running git safely: one place that builds the environment, refuses dangerous targets and turns git's
failures into one-line user errors."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from devmetrics.errors import DevmetricsError

# Options that keep a scan read-only and independent of per-user diff settings that change numbers.
SAFE_OPTIONS = (
    "--no-optional-locks",
    "-c",
    "core.quotePath=false",
    "-c",
    "diff.external=",
    "-c",
    "log.showSignature=false",
    "-c",
    "protocol.ext.allow=never",
    "-c",
    "protocol.fd.allow=never",
)
DANGEROUS_TRANSPORT = re.compile(r"^(ext|fd)::|^[a-z][a-z0-9+.-]*::", re.IGNORECASE)
CORRUPTION_SIGNS = (
    "bad object",
    "object file",
    "is corrupt",
    "loose object",
    "packfile",
    "did not receive",
    "unable to read",
    "invalid object",
    "broken link",
    "bad tree object",
    "inflate",
    "missing blob",
    "missing tree",
    "could not parse commit",
    "hash mismatch",
)


def git_environment() -> dict[str, str]:
    """The environment git runs in: never prompts, never pages, messages in English for parsing."""
    env = dict(os.environ)
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "PAGER": "cat", "LC_ALL": "C", "LANGUAGE": "C"})
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


def refuse_dangerous_target(target: str) -> None:
    """Refuse a repository argument that git would read as an option or a command-running transport."""
    if target.startswith("-"):
        raise DevmetricsError(f"{target!r}: looks like an option, not a repository; prefix a path with ./")
    if DANGEROUS_TRANSPORT.match(target):
        raise DevmetricsError(f"{target!r}: transport not allowed (it can run commands); use a path or https URL")


def explain_git_failure(target: str, stderr: str) -> DevmetricsError:
    """One line that names the repository and what to do, from what git said."""
    said = " ".join(line.strip() for line in stderr.strip().splitlines() if line.strip())[:300] or "no message"
    lowered = said.lower()
    if "not a git repository" in lowered:
        return DevmetricsError(f"{target}: not a git repository; pass the folder of a clone or a bare repository")
    if "dubious ownership" in lowered:
        return DevmetricsError(
            f"{target}: git refuses a repository owned by another user; "
            f"run `git config --global --add safe.directory {target}`"
        )
    if "permission denied" in lowered:
        return DevmetricsError(f"{target}: permission denied reading the repository; check its file permissions")
    if any(sign in lowered for sign in CORRUPTION_SIGNS):
        return DevmetricsError(f"{target}: corrupt repository (git says: {said}); run `git fsck` and repair it")
    return DevmetricsError(f"{target}: git failed ({said})")


def run_git(
    repo: str | Path,
    args: Sequence[str],
    *,
    target: str | None = None,
    stdin: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git -C repo args` and return its output as bytes; failures become DevmetricsError."""
    command = ["git", "-C", str(repo), *SAFE_OPTIONS, *args]
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, env=git_environment(), check=False)
    except FileNotFoundError as error:
        raise DevmetricsError("git: not found on PATH; install git 2.31 or newer") from error
    if check and result.returncode != 0:
        raise explain_git_failure(target or str(repo), result.stderr.decode("utf-8", "replace"))
    return result
