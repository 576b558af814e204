"""Posting the CI gate's summary as ONE pull-request comment on GitHub, updated on every run.

Through the code hosts' HTTP layer (`devmetrics.collectors.http`: timeouts, proxies and CA bundles from the
environment, rate limits, retries, errors without the token). The earlier comment is found by the hidden
marker the Markdown starts with, then PATCHed; without one a new comment is POSTed. The token
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
from typing import TYPE_CHECKING

from devmetrics.errors import EXIT_USAGE, DevmetricsError

if TYPE_CHECKING:
    from devmetrics.collectors.http import HttpClient

DEFAULT_API = "https://api.github.com"
PER_PAGE = 100
MAX_COMMENTS = 3000  # a pull request with more comments than this gets a new one
TIMEOUT_SECONDS = 20.0
ATTEMPTS = 3


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
    from devmetrics.collectors.http import HttpClient, RefusedError, ca_bundle_from

    client = HttpClient(
        where.api,
        auth_headers={"Authorization": f"Bearer {token}"},
        token_env="GITHUB_TOKEN" if environ.get("GITHUB_TOKEN", "").strip() else "GH_TOKEN",
        headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
        timeout=TIMEOUT_SECONDS,
        attempts=ATTEMPTS,
        ca_bundle=ca_bundle_from(environ),
    )
    issue = f"repos/{where.repository}/issues"
    try:
        existing = _find(client, f"{issue}/{where.number}/comments", marker)
        if existing is None:
            client.send("POST", client.url(f"{issue}/{where.number}/comments"), {"body": body})
            action = "created"
        else:
            client.send("PATCH", client.url(f"{issue}/comments/{existing}"), {"body": body})
            action = "updated"
    except RefusedError as error:
        if error.status == 403:
            return Outcome(
                "skipped", f"PR comment skipped: GitHub answered 403 for #{where.number} (a read-only token?)"
            )
        raise DevmetricsError(
            f"PR comment on {where.repository}#{where.number}: {error}; check that the workflow grants "
            "`pull-requests: write`"
        ) from None
    finally:
        client.close()
    return Outcome(action, f"PR comment {action} on {where.repository}#{where.number}")


def _find(client: HttpClient, path: str, marker: str) -> int | None:
    """The id of the first comment whose body holds `marker`, paging through the pull request's comments."""
    for number, comment in enumerate(client.items(path, {"per_page": PER_PAGE})):
        if number >= MAX_COMMENTS:
            return None
        if marker in str(comment.get("body", "")) and isinstance(comment.get("id"), int):
            return int(comment["id"])
    return None
