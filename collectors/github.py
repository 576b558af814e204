"""GitHub pull requests through the REST API: `fetch_*` generators of records, no store writes.

Incremental listing: `GET /repos/{o}/{r}/pulls?state=all&sort=updated&direction=desc` pages newest
first and stops at the first pull request updated before `since` (the stored watermark minus an overlap).
Each new or updated pull request is then read from its own endpoints: the pull request (size, merged_by),
reviews, review comments, conversation comments, the timeline and the commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from devmetrics.collectors.hostdata import (
    GITHUB_TOKEN_VARIABLES,
    epoch,
    github_account,
    github_requested,
    items_of,
    mapping,
    number,
    text,
    token_from,
)
from devmetrics.collectors.http import HttpCache, HttpClient, ca_bundle_from
from devmetrics.config import Config
from devmetrics.host_model import (
    REVIEW_STATES,
    PrEvent,
    PullRequest,
    PullRequestFacts,
    Review,
    ReviewComment,
)

HOST = "github"
TOKEN_VARIABLES = GITHUB_TOKEN_VARIABLES
PER_PAGE = 100
# Timeline events kept as pr_events (the review analyzers read these); the rest is in other tables.
TIMELINE_EVENTS = frozenset(
    {
        "ready_for_review",
        "convert_to_draft",
        "review_requested",
        "review_request_removed",
        "review_dismissed",
        "head_ref_force_pushed",
        "reopened",
        "merged",
        "closed",
    }
)


def api_url(config: Config, env: Mapping[str, str]) -> str:
    return (env.get("GITHUB_API_URL", "").strip() or config.github.api_url).rstrip("/")


def web_host(config: Config, env: Mapping[str, str]) -> str:
    """The host of clones whose pull requests this API serves (github.com, or an Enterprise host)."""
    server = env.get("GITHUB_SERVER_URL", "").strip() or config.github.server_url
    return (urlsplit(server).hostname or server).lower()


def is_active(config: Config, env: Mapping[str, str]) -> bool:
    """Collect only with a token or repositories named in the configuration: no network call otherwise."""
    return github_requested(config, env)


def make_client(config: Config, env: Mapping[str, str], cache: HttpCache | None, **options: Any) -> HttpClient:
    token, variable = token_from(env, TOKEN_VARIABLES)
    return HttpClient(
        api_url(config, env),
        auth_headers={"Authorization": f"Bearer {token}"} if token else {},
        token_env=variable,
        cache=cache,
        timeout=config.hosts.timeout_seconds,
        attempts=config.hosts.retries,
        headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
        max_connections=config.hosts.concurrency * 2,
        ca_bundle=ca_bundle_from(env),
        **options,
    )


def listed_repos(config: Config) -> tuple[str, ...]:
    """`owner/name` of the repositories the configuration names."""
    return config.github.repos


def owners(config: Config) -> tuple[str, ...]:
    """Organisations (or users) whose every repository is collected."""
    return config.github.orgs


def fetch_repositories(client: HttpClient, owner: str) -> Iterator[str]:
    """Repositories of an organisation, or of a user when no organisation has that name."""
    params: dict[str, str | int] = {"per_page": PER_PAGE, "type": "all"}
    first = client.get(client.url(f"orgs/{quote(owner, safe='')}/repos", params), missing_ok=True)
    if first is None:
        params = {"per_page": PER_PAGE, "type": "owner"}
        first = client.get(client.url(f"users/{quote(owner, safe='')}/repos", params))
    page = first
    while page is not None:
        for repo in items_of(page.data):
            full_name = text(repo.get("full_name"))
            if full_name:
                yield full_name
        page = client.get(page.next_url) if page.next_url else None


def fetch_listed(client: HttpClient, owner_name: str, since: int | None) -> Iterator[PullRequest]:
    """Pull requests as the list shows them, most recently updated first, down to `since` (inclusive)."""
    params: dict[str, str | int] = {"state": "all", "sort": "updated", "direction": "desc", "per_page": PER_PAGE}
    for page in client.pages(f"repos/{owner_name}/pulls", params):
        for item in items_of(page.data):
            pr = pull_request(item, details=False)
            if pr is None:
                continue
            if since is not None and pr.updated_at < since:
                return  # older than the watermark's overlap: stop paging
            yield pr


def fetch_facts(client: HttpClient, owner_name: str, listed: PullRequest) -> PullRequestFacts:
    """Everything about one pull request, from its own endpoints. A comment list the pull request counts
    as empty (`review_comments`, `comments` of its own endpoint) is not asked for."""
    n = listed.number
    base = f"repos/{owner_name}"
    page = client.get(client.url(f"{base}/pulls/{n}"))
    raw = mapping(page.data if page else None)
    detail = pull_request(raw, details=True) or listed
    paged = {"per_page": PER_PAGE}
    reviews = tuple(r for r in (review(item) for item in client.items(f"{base}/pulls/{n}/reviews", paged)) if r)
    comments: list[ReviewComment] = []
    for kind, count, path in (("review", "review_comments", "pulls"), ("issue", "comments", "issues")):
        if number(raw.get(count)) != 0:  # unknown counts are read
            items = client.items(f"{base}/{path}/{n}/comments", paged)
            comments += [c for c in (comment(item, kind) for item in items) if c]
    events = tuple(e for e in (event(item) for item in client.items(f"{base}/issues/{n}/timeline", paged)) if e)
    shas = [sha for sha in (text(item.get("sha")) for item in client.items(f"{base}/pulls/{n}/commits", paged)) if sha]
    if detail.merge_sha and detail.merge_sha not in shas:
        shas.append(detail.merge_sha)
    return PullRequestFacts(detail, reviews, tuple(comments), events, tuple(shas))


# --- payloads into records ---------------------------------------------------------------------------


def pull_request(item: Mapping[str, Any], *, details: bool) -> PullRequest | None:
    pr_number, created, updated = (
        number(item.get("number")),
        epoch(item.get("created_at")),
        epoch(item.get("updated_at")),
    )
    if pr_number is None or created is None or updated is None:
        return None
    merged_at = epoch(item.get("merged_at"))
    author_login, author_type = github_account(item.get("user"))
    head, base = mapping(item.get("head")), mapping(item.get("base"))
    merged_by, _ = github_account(item.get("merged_by")) if details else (None, None)
    return PullRequest(
        number=pr_number,
        host=HOST,
        host_id=text(item.get("node_id")) or str(item.get("id", pr_number)),
        title=text(item.get("title")) or "",
        body=text(item.get("body")) or "",
        state="merged" if merged_at is not None else ("open" if item.get("state") == "open" else "closed"),
        draft=item.get("draft") is True,
        author_login=author_login,
        author_type=author_type,
        head_ref=text(head.get("ref")),
        base_ref=text(base.get("ref")),
        head_sha=text(head.get("sha")),
        merge_sha=text(item.get("merge_commit_sha")) if merged_at is not None else None,
        merged_by=merged_by,
        labels=tuple(name for name in (text(label.get("name")) for label in items_of(item.get("labels"))) if name),
        additions=number(item.get("additions")) if details else None,
        deletions=number(item.get("deletions")) if details else None,
        changed_files=number(item.get("changed_files")) if details else None,
        commit_count=number(item.get("commits")) if details else None,
        created_at=created,
        updated_at=updated,
        closed_at=epoch(item.get("closed_at")),
        merged_at=merged_at,
        details_fetched=details,
    )


def review(item: Mapping[str, Any]) -> Review | None:
    state = text(item.get("state"))
    if state not in REVIEW_STATES or item.get("id") is None:  # PENDING: a draft only its author sees
        return None
    login, kind = github_account(item.get("user"))
    return Review(
        review_id=str(item["id"]),
        reviewer_login=login,
        reviewer_type=kind,
        state=state,
        submitted_at=epoch(item.get("submitted_at")),
        commit_sha=text(item.get("commit_id")),
        body_length=len(text(item.get("body")) or ""),
    )


def comment(item: Mapping[str, Any], kind: str) -> ReviewComment | None:
    created = epoch(item.get("created_at"))
    if created is None or item.get("id") is None:
        return None
    login, account_type = github_account(item.get("user"))
    review_id = item.get("pull_request_review_id") if kind == "review" else None
    return ReviewComment(
        comment_id=text(item.get("node_id")) or f"{kind}:{item['id']}",
        review_id=None if review_id is None else str(review_id),
        author_login=login,
        author_type=account_type,
        kind=kind,
        path=text(item.get("path")) if kind == "review" else None,
        created_at=created,
        body_length=len(text(item.get("body")) or ""),
    )


def event(item: Mapping[str, Any]) -> PrEvent | None:
    name, created = text(item.get("event")), epoch(item.get("created_at"))
    if name not in TIMELINE_EVENTS or created is None:
        return None
    login, _ = github_account(item.get("actor"))
    event_id = text(item.get("node_id")) or (str(item["id"]) if item.get("id") is not None else f"{name}:{created}")
    return PrEvent(event_id=event_id, event=name, actor_login=login, created_at=created)
