"""Records of code-host facts: pull requests (GitHub) and merge requests (GitLab), their reviews, comments,
events and commits (DESIGN §4). Collectors yield them; `devmetrics.host_store` writes them.

Times are epoch seconds (UTC), None when the host did not say. Only the lengths of review and comment
bodies are kept; a pull request's own body is kept, because attribution rules read it.
"""

from __future__ import annotations

from dataclasses import dataclass

REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")
COMMENT_KINDS = ("review", "issue")  # inline diff comment; conversation comment or non-diff note


@dataclass(frozen=True, slots=True)
class PullRequest:
    """One `pull_requests` row (without repo_id)."""

    number: int
    host: str  # github, gitlab
    host_id: str  # GitHub node_id, GitLab global id
    title: str
    body: str
    state: str  # open, closed, merged
    draft: bool
    author_login: str | None
    author_type: str | None  # User, Bot, Organization
    head_ref: str | None
    base_ref: str | None
    head_sha: str | None
    merge_sha: str | None
    merged_by: str | None
    labels: tuple[str, ...]
    additions: int | None
    deletions: int | None
    changed_files: int | None
    commit_count: int | None
    created_at: int
    updated_at: int
    closed_at: int | None
    merged_at: int | None
    details_fetched: bool


@dataclass(frozen=True, slots=True)
class Review:
    review_id: str
    reviewer_login: str | None
    reviewer_type: str | None
    state: str  # one of REVIEW_STATES
    submitted_at: int | None
    commit_sha: str | None
    body_length: int


@dataclass(frozen=True, slots=True)
class ReviewComment:
    comment_id: str
    review_id: str | None
    author_login: str | None
    author_type: str | None
    kind: str  # one of COMMENT_KINDS
    path: str | None
    created_at: int
    body_length: int


@dataclass(frozen=True, slots=True)
class PrEvent:
    event_id: str
    event: str  # GitHub timeline names; GitLab adds `version` (a new diff version pushed)
    actor_login: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class PullRequestFacts:
    """Everything collected about one pull request; written (replacing what was stored) in one transaction."""

    pull_request: PullRequest
    reviews: tuple[Review, ...]
    comments: tuple[ReviewComment, ...]
    events: tuple[PrEvent, ...]
    commits: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HostRepo:
    """A repository (GitHub) or project (GitLab) on a code host."""

    host: str  # github, gitlab
    web_host: str  # e.g. github.com: the host part of the identity a clone would have
    owner_name: str  # e.g. acme/app, or group/subgroup/project

    @property
    def identity(self) -> str:
        return f"{self.web_host}/{self.owner_name}"

    @property
    def target(self) -> str:
        """How the `scans` table names this repository's host collection."""
        return f"{self.host}:{self.owner_name}"


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """An answer kept in `http_cache`: its validators, its Link header (a 304 carries none) and its body."""

    etag: str | None
    last_modified: str | None
    link: str | None  # the Link header (or one made from GitLab's x-next-page) the body came with
    body: bytes
