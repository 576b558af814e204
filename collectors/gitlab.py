"""GitLab merge requests through the REST API (v4): `fetch_*` generators of records, no store writes.

Incremental listing: `GET /projects/{id}/merge_requests?updated_after=...&order_by=updated_at&sort=asc`
(project id = the URL-encoded path), every page. Each new or updated merge request is then read from its
own endpoints: the merge request (changes_count, merged_by), approvals, notes, versions and commits.
Pull request number = iid. Notes on the diff are `review` comments, other notes `issue` comments; system
notes become events where they say something the review metrics use (ready, draft, review requested,
reopened, closed, merged) and date approvals; every diff version pushed is a `version` event.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from devmetrics.collectors.hostdata import (
    GITLAB_TOKEN_VARIABLES,
    epoch,
    gitlab_account,
    gitlab_requested,
    iso,
    items_of,
    mapping,
    number,
    text,
    token_from,
)
from devmetrics.collectors.http import HttpCache, HttpClient, ca_bundle_from
from devmetrics.config import Config
from devmetrics.host_model import PrEvent, PullRequest, PullRequestFacts, Review, ReviewComment

HOST = "gitlab"
TOKEN_VARIABLES = GITLAB_TOKEN_VARIABLES
PER_PAGE = 100
STATES = {"opened": "open", "locked": "open", "closed": "closed", "merged": "merged"}
# System note text -> event name (GitLab writes these sentences; older versions say "Work In Progress").
SYSTEM_EVENTS = (
    (
        re.compile(r"^marked this merge request as \*\*ready\*\*|^unmarked as a \*\*work in progress\*\*", re.I),
        "ready_for_review",
    ),
    (
        re.compile(r"^marked this merge request as \*\*draft\*\*|^marked as a \*\*work in progress\*\*", re.I),
        "convert_to_draft",
    ),
    (re.compile(r"^requested review from ", re.I), "review_requested"),
    (re.compile(r"^removed review request for ", re.I), "review_request_removed"),
    (re.compile(r"^reopened\b", re.I), "reopened"),
    (re.compile(r"^closed\b", re.I), "closed"),
    (re.compile(r"^merged\b", re.I), "merged"),
)
APPROVED_NOTE = re.compile(r"^approved this merge request", re.I)


def api_url(config: Config, env: Mapping[str, str]) -> str:
    return f"{config.gitlab.url.rstrip('/')}/api/v4"


def web_host(config: Config, env: Mapping[str, str]) -> str:
    return (urlsplit(config.gitlab.url).hostname or config.gitlab.url).lower()


def is_active(config: Config, env: Mapping[str, str]) -> bool:
    """Collect only with a token or projects named in the configuration: no network call otherwise."""
    return gitlab_requested(config, env)


def make_client(config: Config, env: Mapping[str, str], cache: HttpCache | None, **options: Any) -> HttpClient:
    token, variable = token_from(env, TOKEN_VARIABLES)
    return HttpClient(
        api_url(config, env),
        auth_headers={"PRIVATE-TOKEN": token} if token else {},
        token_env=variable,
        cache=cache,
        timeout=config.hosts.timeout_seconds,
        attempts=config.hosts.retries,
        headers={"Accept": "application/json"},
        max_connections=config.hosts.concurrency * 2,
        ca_bundle=ca_bundle_from(env),
        **options,
    )


def project_id(path: str) -> str:
    return quote(path.strip("/"), safe="")


def listed_repos(config: Config) -> tuple[str, ...]:
    """Paths of the projects the configuration names."""
    return config.gitlab.projects


def owners(config: Config) -> tuple[str, ...]:
    """Groups whose every project (subgroups included) is collected."""
    return config.gitlab.groups


def fetch_repositories(client: HttpClient, group: str) -> Iterator[str]:
    """Paths of every project of a group, subgroups included."""
    params: dict[str, str | int] = {"include_subgroups": "true", "per_page": PER_PAGE, "order_by": "id", "sort": "asc"}
    for item in client.items(f"groups/{project_id(group)}/projects", params):
        path = text(item.get("path_with_namespace"))
        if path:
            yield path


def fetch_listed(client: HttpClient, owner_name: str, since: int | None) -> Iterator[PullRequest]:
    """Merge requests updated at or after `since` (all of them without one), least recently updated first."""
    params: dict[str, str | int] = {"order_by": "updated_at", "sort": "asc", "state": "all", "per_page": PER_PAGE}
    if since is not None:
        params = {"updated_after": iso(since), **params}
    for item in client.items(f"projects/{project_id(owner_name)}/merge_requests", params):
        pr = merge_request(item, details=False)
        if pr is not None:
            yield pr


def fetch_facts(client: HttpClient, owner_name: str, listed: PullRequest) -> PullRequestFacts:
    base = f"projects/{project_id(owner_name)}/merge_requests/{listed.number}"
    page = client.get(client.url(base))
    detail = merge_request(mapping(page.data if page else None), details=True) or listed
    approvals = client.get(client.url(f"{base}/approvals"))
    paged = {"per_page": PER_PAGE}
    notes = list(client.items(f"{base}/notes", {"sort": "asc", "order_by": "created_at", **paged}))
    versions = list(client.items(f"{base}/versions", paged))
    shas = [sha for sha in (text(item.get("id")) for item in client.items(f"{base}/commits", paged)) if sha]
    comments = tuple(c for c in (note_comment(note) for note in notes) if c)
    events = [e for e in (note_event(note) for note in notes) if e]
    events += [e for e in (version_event(version) for version in versions) if e]
    events += closing_events(detail, events)
    if detail.merge_sha and detail.merge_sha not in shas:
        shas.append(detail.merge_sha)
    detail = _with_commit_count(detail, len(shas) if detail.commit_count is None else detail.commit_count)
    reviews = approval_reviews(mapping(approvals.data if approvals else None), notes)
    return PullRequestFacts(detail, reviews, comments, tuple(events), tuple(shas))


def _with_commit_count(pr: PullRequest, count: int) -> PullRequest:
    from dataclasses import replace

    return replace(pr, commit_count=count)


# --- payloads into records ---------------------------------------------------------------------------


def merge_request(item: Mapping[str, Any], *, details: bool) -> PullRequest | None:
    iid, created, updated = number(item.get("iid")), epoch(item.get("created_at")), epoch(item.get("updated_at"))
    if iid is None or created is None or updated is None:
        return None
    state = STATES.get(text(item.get("state")) or "", "open")
    merged_at = epoch(item.get("merged_at"))
    if state == "merged" and merged_at is None:
        merged_at = updated  # very old merge requests lack merged_at
    author_login, author_type = gitlab_account(item.get("author"))
    merged_by, _ = gitlab_account(item.get("merge_user") or item.get("merged_by"))
    merge_sha = text(item.get("squash_commit_sha")) or text(item.get("merge_commit_sha"))
    changes = text(item.get("changes_count"))
    labels = item.get("labels")
    return PullRequest(
        number=iid,
        host=HOST,
        host_id=str(item.get("id", iid)),
        title=text(item.get("title")) or "",
        body=text(item.get("description")) or "",
        state=state,
        draft=item.get("draft") is True or item.get("work_in_progress") is True,
        author_login=author_login,
        author_type=author_type,
        head_ref=text(item.get("source_branch")),
        base_ref=text(item.get("target_branch")),
        head_sha=text(item.get("sha")),
        merge_sha=merge_sha if state == "merged" else None,
        merged_by=merged_by if state == "merged" else None,
        labels=tuple(
            name
            for name in (
                text(label) or text(mapping(label).get("name"))
                for label in (labels if isinstance(labels, list) else [])
            )
            if name
        ),
        additions=None,  # GitLab gives no line counts without reading every diff
        deletions=None,
        changed_files=int(changes.rstrip("+")) if details and changes and changes.rstrip("+").isdigit() else None,
        commit_count=None,
        created_at=created,
        updated_at=updated,
        closed_at=epoch(item.get("closed_at")) or (merged_at if state == "merged" else None),
        merged_at=merged_at if state == "merged" else None,
        details_fetched=details,
    )


def approval_reviews(approvals: Mapping[str, Any], notes: list[dict[str, Any]]) -> tuple[Review, ...]:
    """One APPROVED review per approver (`approval:<user id>`), dated by their latest approval note."""
    approved_at: dict[str, int] = {}
    for note in notes:
        body = text(note.get("body")) or ""
        login, _ = gitlab_account(note.get("author"))
        created = epoch(note.get("created_at"))
        if note.get("system") is True and APPROVED_NOTE.match(body) and login and created is not None:
            approved_at[login] = max(created, approved_at.get(login, created))
    reviews = []
    for entry in items_of(approvals.get("approved_by")):
        user = mapping(entry.get("user"))
        login, kind = gitlab_account(user)
        user_id = user.get("id")
        if user_id is None:
            continue
        when = epoch(entry.get("approved_at")) or (approved_at.get(login) if login else None)
        reviews.append(Review(f"approval:{user_id}", login, kind, "APPROVED", when, None, 0))
    return tuple(reviews)


def note_comment(note: Mapping[str, Any]) -> ReviewComment | None:
    created = epoch(note.get("created_at"))
    if note.get("system") is True or created is None or note.get("id") is None:
        return None
    login, kind = gitlab_account(note.get("author"))
    is_diff = note.get("type") == "DiffNote"
    position = mapping(note.get("position"))
    return ReviewComment(
        comment_id=str(note["id"]),
        review_id=None,
        author_login=login,
        author_type=kind,
        kind="review" if is_diff else "issue",
        path=(text(position.get("new_path")) or text(position.get("old_path"))) if is_diff else None,
        created_at=created,
        body_length=len(text(note.get("body")) or ""),
    )


def note_event(note: Mapping[str, Any]) -> PrEvent | None:
    created = epoch(note.get("created_at"))
    if note.get("system") is not True or created is None or note.get("id") is None:
        return None
    body = text(note.get("body")) or ""
    for pattern, name in SYSTEM_EVENTS:
        if pattern.match(body):
            login, _ = gitlab_account(note.get("author"))
            return PrEvent(f"note:{note['id']}", name, login, created)
    return None


def version_event(version: Mapping[str, Any]) -> PrEvent | None:
    created = epoch(version.get("created_at"))
    if created is None or version.get("id") is None:
        return None
    return PrEvent(f"version:{version['id']}", "version", None, created)


def closing_events(pr: PullRequest, events: list[PrEvent]) -> list[PrEvent]:
    """`merged`/`closed` events from the merge request's own times when no system note said so."""
    seen = {event.event for event in events}
    extra = []
    if pr.merged_at is not None and "merged" not in seen:
        extra.append(PrEvent("merged", "merged", pr.merged_by, pr.merged_at))
    if pr.state == "closed" and pr.closed_at is not None and "closed" not in seen:
        extra.append(PrEvent("closed", "closed", None, pr.closed_at))
    return extra
