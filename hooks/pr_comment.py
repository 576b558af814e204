"""Posting the CI gate's summary as ONE pull-request comment on GitHub, updated on every run.

Kept small and on its own so that it can later go through the shared HTTP layer. The earlier comment is found
by the hidden marker the Markdown starts with, then PATCHed; without one a new comment is POSTed. The token
comes only from `GITHUB_TOKEN` or `GH_TOKEN` and is never printed; the API base from `GITHUB_API_URL`
(default https://api.github.com); repository and pull request number from `GITHUB_REPOSITORY` and the event
file `GITHUB_EVENT_PATH`. A fork's pull request gets a read-only token: when the event's head repository
differs from its base repository, or GitHub answers 403, the comment is skipped with a notice, not failed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devmetrics.errors import EXIT_USAGE, DevmetricsError

DEFAULT_API = "https://api.github.com"
PER_PAGE = 100
MAX_PAGES = 30
TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Target:
    api: str
    repository: str
    number: int
    fork: bool


@dataclass(frozen=True)
class Outcome:
    action: str  # created, updated or skipped
    message: str  # one line for the log; never holds the token


def target(environ: Mapping[str, str]) -> Target:
    """Where to comment, from the GitHub Actions environment; a one-line usage error when it is not there."""
    repository = environ.get("GITHUB_REPOSITORY", "").strip()
    event_path = environ.get("GITHUB_EVENT_PATH", "").strip()
    if not repository or not event_path:
        raise DevmetricsError(
            "--comment: GITHUB_REPOSITORY and GITHUB_EVENT_PATH are not set; run it in a GitHub Actions "
            "pull_request workflow",
            exit_code=EXIT_USAGE,
        )
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DevmetricsError(f"GITHUB_EVENT_PATH {event_path}: not a readable event file ({error})") from error
    pull = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(pull, dict) or not isinstance(pull.get("number"), int):
        raise DevmetricsError(
            "--comment: the workflow's event is not a pull request (no pull_request.number in GITHUB_EVENT_PATH)",
            exit_code=EXIT_USAGE,
        )
    head_repo = _full_name(pull.get("head"))
    base_repo = _full_name(pull.get("base")) or repository
    fork = head_repo is not None and head_repo != base_repo
    api = environ.get("GITHUB_API_URL", "").strip().rstrip("/") or DEFAULT_API
    return Target(api, repository, pull["number"], fork)


def _full_name(side: object) -> str | None:
    if isinstance(side, dict) and isinstance(side.get("repo"), dict):
        name = side["repo"].get("full_name")
        return name if isinstance(name, str) else None
    return None


def token_of(environ: Mapping[str, str]) -> str:
    token = environ.get("GITHUB_TOKEN", "").strip() or environ.get("GH_TOKEN", "").strip()
    if not token:
        raise DevmetricsError(
            "--comment needs a token in GITHUB_TOKEN or GH_TOKEN (env: GITHUB_TOKEN: ${{ github.token }})",
            exit_code=EXIT_USAGE,
        )
    return token


def post_or_update(body: str, marker: str, environ: Mapping[str, str]) -> Outcome:
    """Create or update the one comment holding `marker` on the pull request of the workflow's event."""
    where = target(environ)
    if where.fork:
        return Outcome("skipped", f"PR comment skipped: #{where.number} comes from a fork, whose token is read-only")
    token = token_of(environ)
    import httpx

    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "devmetrics-ci-gate",
    }
    timeout = httpx.Timeout(TIMEOUT_SECONDS, connect=10.0)
    issue = f"{where.api}/repos/{where.repository}/issues"
    try:
        with httpx.Client(headers=headers, timeout=timeout, trust_env=True, follow_redirects=False) as client:
            existing = _find(client, f"{issue}/{where.number}/comments", marker)
            if existing is None:
                response = client.post(f"{issue}/{where.number}/comments", json={"body": body})
                action = "created"
            else:
                response = client.patch(f"{issue}/comments/{existing}", json={"body": body})
                action = "updated"
    except _Forbidden:
        return Outcome("skipped", f"PR comment skipped: GitHub answered 403 for #{where.number} (a read-only token?)")
    except httpx.HTTPError as error:
        raise DevmetricsError(f"PR comment on {where.repository}#{where.number}: {type(error).__name__}") from None
    if response.status_code == 403:
        return Outcome("skipped", f"PR comment skipped: GitHub answered 403 for #{where.number} (a read-only token?)")
    if response.status_code >= 400:
        raise DevmetricsError(
            f"PR comment on {where.repository}#{where.number}: GitHub answered {response.status_code}; "
            "check that the workflow grants `pull-requests: write`"
        )
    return Outcome(action, f"PR comment {action} on {where.repository}#{where.number}")


class _Forbidden(Exception):
    pass


def _find(client: Any, url: str, marker: str) -> int | None:
    """The id of the first comment whose body holds `marker`, paging through the pull request's comments."""
    for page in range(1, MAX_PAGES + 1):
        response = client.get(url, params={"per_page": PER_PAGE, "page": page})
        if response.status_code == 403:
            raise _Forbidden
        if response.status_code >= 400:
            raise DevmetricsError(
                f"listing the comments of {url.rsplit('/repos/', 1)[-1]}: GitHub answered {response.status_code}"
            )
        comments = response.json()
        if not isinstance(comments, list):
            return None
        for comment in comments:
            if (
                isinstance(comment, dict)
                and marker in str(comment.get("body", ""))
                and isinstance(comment.get("id"), int)
            ):
                return int(comment["id"])
        if len(comments) < PER_PAGE:
            return None
    return None
