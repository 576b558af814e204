"""Repositories given as URLs: kept as bare mirrors under `scan.clone_dir` and fetched on each scan."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from devmetrics.collectors.gitcli import refuse_dangerous_target, run_git
from devmetrics.errors import DevmetricsError

URL_LIKE = re.compile(r"^(?:https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
ALLOWED_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")


def is_url(target: str) -> bool:
    return bool(URL_LIKE.match(target))


def display_name(target: str) -> str:
    """`name` of `https://host/owner/name.git`: what a mirrored repository is called by default."""
    return target.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git") or target


def local_path(target: str, clone_dir: Path) -> str:
    """The local repository to read for `target`: itself for a path, a fresh bare mirror for a URL."""
    refuse_dangerous_target(target)
    if not is_url(target):
        return target
    if "://" in target and not target.lower().startswith(ALLOWED_SCHEMES):
        raise DevmetricsError(f"{target}: URL scheme not allowed; use https, ssh, git or file")
    clone_dir = clone_dir.resolve()
    name = re.sub(r"[^\w.-]+", "_", target.rstrip("/").rsplit("/", 1)[-1])[:60]
    destination = clone_dir / f"{name}-{hashlib.sha256(target.encode()).hexdigest()[:12]}.git"
    if destination.exists():
        run_git(
            destination,
            ["fetch", "--quiet", "--prune", "--tags", "origin", "+refs/heads/*:refs/heads/*"],
            target=target,
        )
    else:
        clone_dir.mkdir(parents=True, exist_ok=True)
        partial = destination.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)  # left by a clone that was killed
        run_git(clone_dir, ["clone", "--bare", "--quiet", "--", target, str(partial)], target=target)
        partial.rename(destination)  # a clone interrupted midway is never mistaken for a mirror
    return str(destination)
