"""Review quality (DESIGN §5): are changes, AI-assisted ones above all, really reviewed? Into `metric_values`.

Read from the code-host facts (`pull_requests`, `reviews`, `review_comments`, `pr_events`, `pr_commits`) and,
for repositories without them, from git alone (PR numbers in merge and squash subjects, `Reviewed-by:`-style
trailers). The README's "Review quality" explains every definition to users; in short:

- A **merged PR** counts in the week and month of its merge. Bots' PRs (dependabot, renovate: the PR's
  class is bot) are their own cohort, left out of every figure and counted.
- A **review** counts when its reviewer is neither the PR's author nor a bot and it has a submission
  time. A DISMISSED review still shows that someone looked (first review, pickup, rework, unreviewed
  merge) but approves nothing and does not make a PR covered (coverage, approval, rubber stamps).
- **Ready**: the PR's creation, or, when it was opened as a draft, its first `ready_for_review` event.
- The cohort of a PR is its own attribution: the evidence of its author, labels, body and head branch,
  else the strongest class of its commits (ai-authored or ai-assisted: `.ai`; human: `.human`).

Intervals: shares carry the Wilson 95% interval over PRs (commits for the trailer share); medians and the
90th percentile the distribution-free order-statistic interval (ranks from the binomial distribution,
exact); review depth a delta-method interval over PRs. Privacy: a group (organisation, repository, team)
and each of its cells (cohort and period) is shown only with at least `privacy.min_group_size` distinct
authors behind it; hidden groups and cells are counted, and no figure is ever per person.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from devmetrics.analyzers import bootstrap, pull_requests
from devmetrics.analyzers.attribution import UNMARKED, decide
from devmetrics.analyzers.attribution import Settings as AttributionSettings
from devmetrics.analyzers.attribution_rules import AI_ASSISTED, AI_AUTHORED, BOT, RuleSet
from devmetrics.analyzers.identities import IdentityResolver
from devmetrics.errors import EXIT_USAGE, DevmetricsError
from devmetrics.metrics import MetricDef
from devmetrics.store import MetricValue

if TYPE_CHECKING:
    from devmetrics.config import Config
    from devmetrics.store import Store

NAME = "reviews"
VERSION = "1"
HOUR = 3600
AI, HUMAN_COHORT = "ai", "human"
COHORTS = (("", "all"), (".ai", AI), (".human", HUMAN_COHORT))
APPROVED, DISMISSED = "APPROVED", "DISMISSED"
PUSH_EVENTS = frozenset({"head_ref_force_pushed", "version"})  # a force push, a GitLab diff version
PR_SUBJECT = re.compile(r"^Merge pull request #(?P<merge>\d+) from |\(#(?P<squash>\d+)\)\s*$")
GITLAB_MERGE_REQUEST = re.compile(r"^See merge request (?P<project>\S+)!(?P<number>\d+)\s*$", re.MULTILINE)
NO_REVIEW_DATA = (
    "no pull-request data in this database: configure [github] or [gitlab] (with a token in the environment) "
    "and run `devmetrics scan`; until then the figures come from git alone (PR numbers in merge and squash "
    "subjects, Reviewed-by/Acked-by/Reviewed-on trailers)"
)

_MERGED = "Merged PRs (not bots'), by the week or month of their merge (waits too count where the PR was merged)."
_REVIEW = "A review counts when its reviewer is neither the author nor a bot."
_SHARE = "95% Wilson interval; n = PRs."
_MEDIAN = "Median; 95% order-statistic interval (exact binomial ranks; under 6 PRs the range, covering less); n = PRs."

METRIC_DEFS = (
    MetricDef(
        "reviews.merged_prs",
        "Merged pull requests",
        "pull requests",
        "neutral",
        "sum",
        "Merged PRs (bots' left out) by the week or month of their merge. For a repository without PR data: "
        "merge and squash commits whose subject names a PR ('Merge pull request #12 from …', '… (#12)', "
        "'See merge request group/project!12'), by committer date. n = PRs.",
    ),
    MetricDef(
        "reviews.time_to_first_review_hours",
        "Time to first review",
        "hours",
        "lower",
        "mean",
        "Hours from ready (creation, or the first ready_for_review of a PR opened as a draft) to the first "
        f"review (dismissed ones count; a review of the draft counts as 0). {_REVIEW} {_MEDIAN} {_MERGED}",
    ),
    MetricDef(
        "reviews.coverage",
        "Review coverage",
        "share",
        "higher",
        "ratio",
        f"Share of merged PRs with at least one review that was not dismissed. {_REVIEW} {_SHARE} {_MERGED}",
    ),
    MetricDef(
        "reviews.depth",
        "Review depth",
        "comments per 100 changed lines",
        "higher",
        "ratio",
        "Comments by reviewers (not the author, not bots: inline diff comments and conversation comments) per "
        "100 changed lines (additions + deletions), as a ratio of sums over merged PRs whose size is known; "
        f"95% delta-method interval over PRs; n = PRs. {_MERGED}",
    ),
    MetricDef(
        "reviews.rubber_stamp_rate",
        "Rubber-stamp rate",
        "share",
        "lower",
        "ratio",
        "Share of approved merged PRs whose first approval came with no comment from the approver (no review "
        "body, no inline or conversation comment up to the approval) and either sooner after ready than the "
        "changed lines take at reviews.reading_lines_per_hour (500), or on a diff over reviews.large_diff_lines "
        f"(1,000). Dismissed approvals do not count; PRs of unknown size are left out. {_SHARE} {_MERGED}",
    ),
    MetricDef(
        "reviews.self_merge_rate",
        "Self-merge rate",
        "share",
        "lower",
        "ratio",
        f"Share of merged PRs merged by their own author (PRs whose merger is unknown left out). {_SHARE} {_MERGED}",
    ),
    MetricDef(
        "reviews.unreviewed_merge_rate",
        "Unreviewed-merge rate",
        "share",
        "lower",
        "ratio",
        "Share of merged PRs with no review of any state and no comment by anyone but the author and bots. "
        f"{_SHARE} {_MERGED}",
    ),
    MetricDef(
        "reviews.rework_after_review",
        "Rework after review",
        "share",
        "neutral",
        "ratio",
        "Share of reviewed merged PRs changed after their first review: a commit of the PR committed later, a "
        "force push or a GitLab diff version after it, or a final head other than the commit first reviewed. "
        f"{_REVIEW} {_SHARE} {_MERGED}",
    ),
    MetricDef(
        "reviews.pr_size_lines",
        "PR size",
        "lines",
        "lower",
        "mean",
        f"Median changed lines (additions + deletions) of merged PRs whose size is known. {_MEDIAN} {_MERGED}",
    ),
    MetricDef(
        "reviews.pr_size_p90_lines",
        "PR size, 90th percentile",
        "lines",
        "lower",
        "max",
        "90th percentile (nearest rank) of the changed lines of merged PRs whose size is known; 95% "
        f"order-statistic interval; n = PRs. {_MERGED}",
    ),
    MetricDef(
        "reviews.cycle_time_hours",
        "Cycle time",
        "hours",
        "lower",
        "mean",
        "Hours from the PR's first commit (earliest author date of its stored commits) to its merge; PRs "
        f"without a stored commit left out. {_MEDIAN} {_MERGED}",
    ),
    MetricDef(
        "reviews.coding_hours",
        "Coding time",
        "hours",
        "lower",
        "mean",
        f"Cycle-time phase: hours from the first commit to ready (0 when ready came first). {_MEDIAN} {_MERGED}",
    ),
    MetricDef(
        "reviews.pickup_hours",
        "Pickup time",
        "hours",
        "lower",
        "mean",
        f"Cycle-time phase: hours from ready to the first review (as time to first review). {_MEDIAN} {_MERGED}",
    ),
    MetricDef(
        "reviews.approval_hours",
        "Approval time",
        "hours",
        "lower",
        "mean",
        f"Cycle-time phase: hours from the first review to the first approval (not dismissed). {_MEDIAN} {_MERGED}",
    ),
    MetricDef(
        "reviews.merge_hours",
        "Merge time",
        "hours",
        "lower",
        "mean",
        f"Cycle-time phase: hours from the first approval to the merge. {_MEDIAN} {_MERGED}",
    ),
    MetricDef(
        "reviews.trailer_review_share",
        "Commits with review trailers",
        "share",
        "higher",
        "ratio",
        "Git alone: share of counted commits (reachable, non-merge, attributed, not excluded, not bots') carrying "
        "a review trailer (reviews.trailers: Reviewed-by, Acked-by, Reviewed-on), by the week or month of their "
        "author date. 95% Wilson interval; n = commits.",
    ),
)
BASE_METRICS = tuple(metric.name for metric in METRIC_DEFS)
COHORT_NOTE = {
    AI: " Cohort .ai: PRs (commits) attributed ai-authored or ai-assisted.",
    HUMAN_COHORT: " Cohort .human: PRs (commits) attributed human.",
}


def _cohort_defs() -> tuple[MetricDef, ...]:
    found: list[MetricDef] = []
    for metric in METRIC_DEFS:
        found.append(metric)
        for suffix, cohort in COHORTS[1:]:
            found.append(
                MetricDef(
                    f"{metric.name}{suffix}",
                    f"{metric.title} ({cohort})",
                    metric.unit,
                    metric.direction,
                    metric.rollup,
                    metric.definition + COHORT_NOTE[cohort],
                )
            )
    return tuple(found)


METRICS = _cohort_defs()
METRIC_NAMES = tuple(metric.name for metric in METRICS)
DEFINITIONS = {metric.name: metric.definition for metric in METRIC_DEFS}


# --- settings and periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    window_weeks: int
    reading_lines_per_hour: int
    large_diff_lines: int
    trailers: tuple[str, ...]
    min_group_size: int

    @classmethod
    def of(cls, config: Config) -> Settings:
        section = config.reviews
        return cls(
            window_weeks=section.window_weeks,
            reading_lines_per_hour=section.reading_lines_per_hour,
            large_diff_lines=section.large_diff_lines,
            trailers=tuple(sorted({key.strip().lower() for key in section.trailers if key.strip()})),
            min_group_size=config.privacy.min_group_size,
        )


def utc_day(timestamp: int) -> datetime.date:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).date()


def week_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime.date
    end: datetime.date  # inclusive: a Sunday

    def holds(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def as_json(self, weeks: int) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "weeks": weeks}


def window_of(days: Iterable[datetime.date], weeks: int) -> Window | None:
    """The `weeks` Monday weeks ending with the week of the newest merge or counted commit."""
    newest = max(days, default=None)
    if newest is None:
        return None
    last = week_of(newest)
    return Window(last - datetime.timedelta(weeks=weeks - 1), last + datetime.timedelta(days=6))


# --- facts --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Review:
    login: str
    state: str
    at: int
    commit_sha: str | None
    has_body: bool


@dataclass(frozen=True, slots=True)
class Comment:
    login: str
    at: int


@dataclass(frozen=True, slots=True)
class PullRequest:
    """A merged PR, with the reviews and comments that count (not the author's, not bots')."""

    repo: str  # repository identity
    number: int
    author: str  # privacy key: the author's identity, else the credited person of its commits, else the login
    team: str | None
    cohort: str  # ai, human (bots' PRs are never built)
    merged_at: int
    self_merged: bool | None  # None: merger unknown
    ready: int | None  # None: never ready (still a draft)
    lines: int | None  # additions + deletions; None: details not fetched
    first_commit: int | None  # earliest author time of its stored commits
    head_sha: str | None
    reviews: tuple[Review, ...]  # by submission time, dismissed ones included
    comments: tuple[Comment, ...]  # by time, both kinds
    pushes: tuple[int, ...]  # times of commits, force pushes and GitLab versions

    @property
    def day(self) -> datetime.date:
        return utc_day(self.merged_at)

    @property
    def first_review(self) -> Review | None:
        return self.reviews[0] if self.reviews else None

    @property
    def first_approval(self) -> Review | None:
        return next((r for r in self.reviews if r.state == APPROVED), None)

    @property
    def covered(self) -> bool:
        return any(review.state != DISMISSED for review in self.reviews)

    @property
    def unreviewed(self) -> bool:
        return not self.reviews and not self.comments

    @property
    def reworked(self) -> bool | None:
        """Changed after the first review; None when it had no review."""
        first = self.first_review
        if first is None:
            return None
        if any(at > first.at for at in self.pushes):
            return True
        return bool(first.commit_sha and self.head_sha and first.commit_sha != self.head_sha)

    def rubber_stamped(self, settings: Settings) -> bool | None:
        """Whether the first approval was a rubber stamp; None without an approval or a known size."""
        approval = self.first_approval
        if approval is None or self.lines is None:
            return None
        commented = (
            approval.has_body
            or any(c.login == approval.login and c.at <= approval.at for c in self.comments)
            or any(r.login == approval.login and r.has_body and r.at <= approval.at for r in self.reviews)
        )
        if commented:
            return False
        if self.lines > settings.large_diff_lines:
            return True
        if self.ready is None:
            return False
        reading = self.lines / settings.reading_lines_per_hour * HOUR
        return approval.at - self.ready < reading

    def hours(self, start: int | None, end: int | None) -> float | None:
        if start is None or end is None:
            return None
        return max(0, end - start) / HOUR


@dataclass(frozen=True, slots=True)
class Measured:
    """What the metrics need of one merged PR, worked out once."""

    repo: str
    author: str
    team: str | None
    cohort: str
    day: datetime.date
    first_review_hours: float | None  # also the pickup phase
    covered: bool
    comments: int
    lines: int | None
    rubber_stamped: bool | None
    self_merged: bool | None
    unreviewed: bool
    reworked: bool | None
    cycle_hours: float | None
    coding_hours: float | None
    approval_hours: float | None
    merge_hours: float | None


def measure(pr: PullRequest, settings: Settings) -> Measured:
    first, approval = pr.first_review, pr.first_approval
    reviewed = None if first is None else first.at
    approved = None if approval is None else approval.at
    return Measured(
        repo=pr.repo,
        author=pr.author,
        team=pr.team,
        cohort=pr.cohort,
        day=pr.day,
        first_review_hours=pr.hours(pr.ready, reviewed),
        covered=pr.covered,
        comments=len(pr.comments),
        lines=pr.lines,
        rubber_stamped=pr.rubber_stamped(settings),
        self_merged=pr.self_merged,
        unreviewed=pr.unreviewed,
        reworked=pr.reworked,
        cycle_hours=pr.hours(pr.first_commit, pr.merged_at),
        coding_hours=pr.hours(pr.first_commit, pr.ready),
        approval_hours=pr.hours(reviewed, approved),
        merge_hours=pr.hours(approved, pr.merged_at),
    )


@dataclass(frozen=True, slots=True)
class GitItem:
    """A merge or squash commit naming a PR (repositories without PR data), or a counted commit."""

    repo: str
    author: str  # privacy key
    team: str | None
    cohort: str  # ai, human
    day: datetime.date
    reviewed: bool  # a counted commit carrying a review trailer (False for subject PRs)


@dataclass(frozen=True, slots=True)
class RepoInfo:
    id: int
    identity: str
    name: str
    is_shallow: bool
    data_through: int | None
    has_prs: bool


@dataclass
class Facts:
    repos: list[RepoInfo]
    prs: list[Measured]
    subject_prs: list[GitItem]
    commits: list[GitItem]
    not_counted: Counter[str]


def cohort_of(cls: str | None) -> str | None:
    if cls in (AI_AUTHORED, AI_ASSISTED):
        return AI
    if cls == BOT:
        return BOT
    return HUMAN_COHORT if cls is not None else None


def strongest(classes: Iterable[str]) -> str | None:
    """The class of a set of commits: ai-authored if any is, else ai-assisted, else bot if all are, else human."""
    found = set(classes)
    for cls in (AI_AUTHORED, AI_ASSISTED):
        if cls in found:
            return cls
    if found and found == {BOT}:
        return BOT
    return "human" if found else None


class Context:
    """What every repository's reading shares: identities, the attribution rules and the resolver."""

    def __init__(self, store: Store, config: Config) -> None:
        attribution = AttributionSettings.of(config)
        self.ruleset = RuleSet(attribution.rules)
        self.resolver = IdentityResolver(attribution.identities)
        self.identities: dict[str, tuple[str, str | None]] = {
            key: (kind, team) for key, kind, team in store.db.execute("SELECT key, kind, team FROM identities")
        }

    def person(self, key: str | None) -> tuple[str, str | None] | None:
        """(key, team) of an identity of kind person."""
        if key is None:
            return None
        found = self.identities.get(key)
        return (key, found[1]) if found is not None and found[0] == "person" else None

    def login(self, login: str) -> tuple[str, str | None] | None:
        return self.person(self.resolver.key(pull_requests.login_email(login), login))


def read_repos(store: Store) -> list[RepoInfo]:
    cursor = store.db.execute(
        "SELECT p.id, p.identity, p.name, p.is_shallow, p.data_through, "
        "EXISTS (SELECT 1 FROM pull_requests q WHERE q.repo_id = p.id) FROM repos p ORDER BY p.identity"
    )
    return [RepoInfo(row[0], row[1], row[2], bool(row[3]), row[4], bool(row[5])) for row in cursor]


def read_facts(store: Store, config: Config, settings: Settings) -> Facts:
    context = Context(store, config)
    facts = Facts(read_repos(store), [], [], [], Counter())
    for repo in facts.repos:
        commits = _commit_rows(store, repo.id)
        if repo.has_prs:
            _read_prs(store, context, repo, commits, facts, settings)
        else:
            _read_subject_prs(context, repo, commits, facts)
        _read_counted_commits(context, repo, commits, settings, facts)
    return facts


@dataclass(frozen=True, slots=True)
class _CommitRow:
    author_time: int
    committer_time: int
    subject: str
    message: str
    trailers: str
    is_merge: bool
    reachable: bool
    cls: str | None
    credited: str | None
    author_identity: str | None
    excluded: str | None


def _commit_rows(store: Store, repo_id: int) -> dict[str, _CommitRow]:
    cursor = store.db.execute(
        "SELECT c.sha, c.author_time, c.committer_time, c.subject, c.message, c.trailers, c.is_merge, "
        "r.sha IS NOT NULL, a.class, a.credited_to, a.author_identity, a.excluded FROM commits c "
        "LEFT JOIN reachable r ON r.repo_id = c.repo_id AND r.sha = c.sha "
        "LEFT JOIN attributions a ON a.repo_id = c.repo_id AND a.sha = c.sha WHERE c.repo_id = ?",
        [repo_id],
    )
    return {
        row[0]: _CommitRow(row[1], row[2], row[3], row[4], row[5], bool(row[6]), bool(row[7]), *row[8:])
        for row in cursor
    }


def _grouped(store: Store, query: str, repo_id: int) -> dict[int, list[tuple[Any, ...]]]:
    found: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in store.db.execute(query, [repo_id]):
        found[row[0]].append(tuple(row[1:]))
    return found


def _read_prs(
    store: Store, context: Context, repo: RepoInfo, commits: dict[str, _CommitRow], facts: Facts, settings: Settings
) -> None:
    prs = {pr.number: pr for pr in pull_requests.read_pull_requests(store, repo.id)}
    reviews = _grouped(
        store,
        "SELECT pr_number, reviewer_login, reviewer_type, state, submitted_at, commit_sha, body_length FROM reviews "
        "WHERE repo_id = ? ORDER BY pr_number, submitted_at, review_id",
        repo.id,
    )
    comments = _grouped(
        store,
        "SELECT pr_number, author_login, author_type, created_at FROM review_comments WHERE repo_id = ? "
        "ORDER BY pr_number, created_at, comment_id",
        repo.id,
    )
    events = _grouped(
        store,
        "SELECT pr_number, event, created_at FROM pr_events WHERE repo_id = ? ORDER BY pr_number, created_at",
        repo.id,
    )
    cursor = store.db.execute(
        "SELECT number, state, draft, author_login, author_type, merged_at, merged_by, created_at, additions, "
        "deletions, head_sha FROM pull_requests WHERE repo_id = ? ORDER BY number",
        [repo.id],
    )
    for number, state, draft, login, _login_type, merged_at, merged_by, created, added, deleted, head in cursor:
        if state != "merged" or merged_at is None:
            facts.not_counted["pull requests not merged"] += 1
            continue
        facts_pr = prs[number]
        known = [commits[sha] for sha in facts_pr.commits if sha in commits]
        cohort = _pr_cohort(context, facts_pr, known)
        if cohort == BOT:
            facts.not_counted["bots' pull requests"] += 1
            continue
        author, team = _pr_author(context, login or "", known)
        pr_events = events.get(number, [])
        ready = _ready(created, bool(draft), pr_events)
        author_login = (login or "").lower()
        counted_reviews = tuple(
            Review(who, review_state, at, commit_sha, bool(body))
            for who, kind, review_state, at, commit_sha, body in reviews.get(number, [])
            if _counts(who, kind, author_login) and at is not None
        )
        counted_comments = tuple(
            Comment(who, at) for who, kind, at in comments.get(number, []) if _counts(who, kind, author_login)
        )
        own = [commits[sha] for sha in facts_pr.commits if sha in commits and sha != facts_pr.merge_sha]
        pushes = tuple(
            sorted([*(row.committer_time for row in own), *(at for event, at in pr_events if event in PUSH_EVENTS)])
        )
        first_commit = min((row.author_time for row in own), default=None)
        pr = PullRequest(
            repo=repo.identity,
            number=number,
            author=author,
            team=team,
            cohort=cohort,
            merged_at=merged_at,
            self_merged=None if not merged_by else merged_by.lower() == author_login,
            ready=ready,
            lines=None if added is None or deleted is None else added + deleted,
            first_commit=first_commit,
            head_sha=head,
            reviews=counted_reviews,
            comments=counted_comments,
            pushes=pushes,
        )
        facts.prs.append(measure(pr, settings))


def _counts(who: str | None, kind: str | None, author_login: str) -> bool:
    """A review or comment counts when someone other than the PR's author, and not a bot, wrote it."""
    return bool(who) and str(who).lower() != author_login and not pull_requests.is_bot_account(who, kind)


def _ready(created: int, draft: bool, events: Sequence[tuple[Any, ...]]) -> int | None:
    """Creation, or the first ready_for_review of a PR opened as a draft (its first draft event is a
    ready_for_review, or it is a draft still); None for a draft never made ready."""
    toggles = [(event, at) for event, at in events if event in ("ready_for_review", "convert_to_draft")]
    if toggles and toggles[0][0] == "ready_for_review":
        return int(toggles[0][1])
    if draft and not toggles:
        return None
    return created


def _pr_cohort(context: Context, pr: pull_requests.PullRequestFacts, commits: Sequence[_CommitRow]) -> str:
    """The PR's own evidence decides; else the strongest class of its commits; a bot account's PR without
    AI evidence is a bot's."""
    evidence = pull_requests.pr_evidence(context.ruleset, pr)
    own = decide(evidence, UNMARKED).cls if evidence else None
    if own in (AI_AUTHORED, AI_ASSISTED):
        return AI
    if own == BOT:
        return BOT
    by_commits = strongest(row.cls for row in commits if row.cls is not None)
    if by_commits in (AI_AUTHORED, AI_ASSISTED):
        return AI
    if by_commits == BOT or pull_requests.is_bot_account(pr.author_login, pr.author_type):
        return BOT
    return HUMAN_COHORT


def _pr_author(context: Context, login: str, commits: Sequence[_CommitRow]) -> tuple[str, str | None]:
    """The author's identity (by the login's GitHub noreply e-mail) and team, else the person most of its
    commits are credited to, else the login itself (with no team)."""
    found = context.login(login) if login else None
    if found is not None:
        return found
    credited = Counter(row.credited for row in commits if context.person(row.credited) is not None)
    if credited:
        key = sorted(credited, key=lambda name: (-credited[name], name))[0]
        person = context.person(key)
        if person is not None:
            return person
    return f"login:{login.lower()}", None


def _item_person(context: Context, row: _CommitRow) -> tuple[str, str | None]:
    """(privacy key, team) of a commit: its credited person and their team, else its author's identity."""
    return context.person(row.credited) or (row.credited or row.author_identity or "", None)


def _read_subject_prs(context: Context, repo: RepoInfo, commits: dict[str, _CommitRow], facts: Facts) -> None:
    """PRs counted from subjects: merge commits (`Merge pull request #12 from …`), squash commits (`… (#12)`)
    and GitLab merges (`See merge request group/project!12`), reachable ones, each number once."""
    seen: set[str] = set()
    for sha in sorted(commits, key=lambda s: (commits[s].committer_time, s)):
        row = commits[sha]
        if not row.reachable:
            continue
        number = pr_number(row.subject, row.message)
        if number is None or number in seen:
            continue
        seen.add(number)
        cohort = cohort_of(row.cls) or HUMAN_COHORT
        if cohort == BOT:
            facts.not_counted["bots' pull requests (from subjects)"] += 1
            continue
        person, team = _item_person(context, row)
        facts.subject_prs.append(GitItem(repo.identity, person, team, cohort, utc_day(row.committer_time), False))


def pr_number(subject: str, message: str) -> str | None:
    """The PR a merge or squash commit names: `#12` (GitHub) or `group/project!12` (GitLab), else None."""
    found = PR_SUBJECT.search(subject)
    if found is not None:
        return f"#{found['merge'] or found['squash']}"
    gitlab = GITLAB_MERGE_REQUEST.search(message)
    return f"{gitlab['project']}!{gitlab['number']}" if gitlab is not None else None


def _read_counted_commits(
    context: Context, repo: RepoInfo, commits: dict[str, _CommitRow], settings: Settings, facts: Facts
) -> None:
    for row in commits.values():
        if not row.reachable or row.is_merge or row.cls is None or row.excluded is not None:
            continue
        cohort = cohort_of(row.cls)
        if cohort == BOT or cohort is None:
            continue
        person, team = _item_person(context, row)
        reviewed = _has_trailer(row, settings)
        facts.commits.append(GitItem(repo.identity, person, team, cohort, utc_day(row.author_time), reviewed))


def _has_trailer(row: _CommitRow, settings: Settings) -> bool:
    if row.trailers == "[]":
        return False
    return any(str(key).lower() in settings.trailers for key, _ in json.loads(row.trailers))


# --- figures ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A value with its 95% interval and n, or why it has none."""

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"value": self.value, "low": self.low, "high": self.high, "n": self.n}
        if self.reason is not None:
            found["reason"] = self.reason
        return found


def wilson(successes: int, trials: int) -> Figure:
    """A share with its Wilson score 95% interval (good coverage for small n and shares near 0 or 1)."""
    if trials <= 0:
        return Figure(None, 0)
    z = bootstrap.Z_95
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    spread = z / (1 + z * z / trials) * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return Figure(share, trials, max(0.0, centre - spread), min(1.0, centre + spread))


def _binomial_cdf(trials: int, probability: float) -> list[float]:
    """cdf[k] = P(X <= k) for X ~ Binomial(trials, probability), from log-probabilities (no overflow)."""
    odds = math.log(probability) - math.log1p(-probability)
    log_pmf = trials * math.log1p(-probability)  # k = 0
    total, cdf = 0.0, []
    for k in range(trials + 1):
        total += math.exp(log_pmf)
        cdf.append(min(total, 1.0))
        if k < trials:  # pmf(k + 1) = pmf(k) · (n - k) / (k + 1) · p / (1 - p)
            log_pmf += math.log((trials - k) / (k + 1)) + odds
    return cdf


@functools.lru_cache(maxsize=1 << 14)
def order_statistic_ranks(size: int, quantile: float, confidence: float = bootstrap.CONFIDENCE) -> tuple[int, int]:
    """1-based ranks (l, u) such that [x_(l), x_(u)] covers the population quantile with at least
    `confidence` (distribution-free: the number of observations below the quantile is binomial). When no
    rank is extreme enough (small n), the bound is the sample's minimum or maximum: the range, which then
    covers less than asked."""
    tail = (1 - confidence) / 2
    cdf = _binomial_cdf(size, quantile)
    lower = max((k for k in range(1, size + 1) if cdf[k - 1] <= tail), default=1)
    upper = min((k for k in range(1, size + 1) if cdf[k - 1] >= 1 - tail), default=size)
    return lower, upper


def median_figure(values: Sequence[float]) -> Figure:
    if not values:
        return Figure(None, 0)
    ordered = sorted(values)
    lower, upper = order_statistic_ranks(len(ordered), 0.5)
    return Figure(statistics.median(ordered), len(ordered), ordered[lower - 1], ordered[upper - 1])


def percentile_figure(values: Sequence[float], quantile: float) -> Figure:
    """The nearest-rank percentile with its order-statistic interval."""
    if not values:
        return Figure(None, 0)
    ordered = sorted(values)
    rank = max(1, math.ceil(quantile * len(ordered)))
    lower, upper = order_statistic_ranks(len(ordered), quantile)
    return Figure(ordered[rank - 1], len(ordered), ordered[lower - 1], ordered[upper - 1])


def depth_figure(units: Sequence[tuple[int, int]]) -> Figure:
    """Comments per 100 changed lines over PRs: a ratio of sums with a delta-method interval over PRs."""
    lines = sum(d for _, d in units)
    if not units or lines <= 0:
        return Figure(None, len(units))
    value = 100 * sum(c for c, _ in units) / lines
    interval = bootstrap.linearized_ratio_interval(units, share=False)
    if interval is None:
        return Figure(value, len(units))
    return Figure(value, len(units), 100 * interval[0], 100 * interval[1])


def _share(items: Iterable[bool | None]) -> Figure:
    known = [item for item in items if item is not None]
    return wilson(sum(known), len(known))


def pr_figures(prs: Sequence[Measured], subject_prs: int) -> dict[str, Figure]:
    """Every PR metric of one cell (scope, cohort, period)."""
    found: dict[str, Figure] = {}
    merged = len(prs) + subject_prs
    if merged:
        found["reviews.merged_prs"] = Figure(merged, merged)
    if not prs:
        return found
    sizes = [pr.lines for pr in prs if pr.lines is not None]

    def median_of(values: Iterable[float | None]) -> Figure:
        return median_figure([value for value in values if value is not None])

    waits = median_of(pr.first_review_hours for pr in prs)
    found["reviews.time_to_first_review_hours"] = waits
    found["reviews.coverage"] = _share(pr.covered for pr in prs)
    found["reviews.depth"] = depth_figure([(pr.comments, pr.lines) for pr in prs if pr.lines])
    found["reviews.rubber_stamp_rate"] = _share(pr.rubber_stamped for pr in prs)
    found["reviews.self_merge_rate"] = _share(pr.self_merged for pr in prs)
    found["reviews.unreviewed_merge_rate"] = _share(pr.unreviewed for pr in prs)
    found["reviews.rework_after_review"] = _share(pr.reworked for pr in prs)
    found["reviews.pr_size_lines"] = median_figure(sizes)
    found["reviews.pr_size_p90_lines"] = percentile_figure(sizes, 0.9)
    found["reviews.cycle_time_hours"] = median_of(pr.cycle_hours for pr in prs)
    found["reviews.coding_hours"] = median_of(pr.coding_hours for pr in prs)
    found["reviews.pickup_hours"] = waits
    found["reviews.approval_hours"] = median_of(pr.approval_hours for pr in prs)
    found["reviews.merge_hours"] = median_of(pr.merge_hours for pr in prs)
    return {metric: figure for metric, figure in found.items() if figure.value is not None}


@dataclass(frozen=True)
class Cell:
    """What one (scope, cohort, period) holds."""

    prs: tuple[Measured, ...] = ()
    subject_prs: tuple[GitItem, ...] = ()
    commits: tuple[GitItem, ...] = ()

    @property
    def people(self) -> int:
        return len({pr.author for pr in self.prs} | {item.author for item in (*self.subject_prs, *self.commits)})

    def figures(self) -> dict[str, Figure]:
        found = pr_figures(self.prs, len(self.subject_prs))
        if self.commits:
            found["reviews.trailer_review_share"] = wilson(sum(c.reviewed for c in self.commits), len(self.commits))
        return found

    def select(self, keep: Callable[[str, datetime.date], bool]) -> Cell:
        """The part whose (cohort, day) `keep` accepts."""
        return Cell(
            tuple(pr for pr in self.prs if keep(pr.cohort, pr.day)),
            tuple(item for item in self.subject_prs if keep(item.cohort, item.day)),
            tuple(item for item in self.commits if keep(item.cohort, item.day)),
        )

    def buckets(self, start_of: Callable[[datetime.date], datetime.date]) -> dict[datetime.date, Cell]:
        """The cell cut into periods (weeks or months), in one pass."""
        prs: dict[datetime.date, list[Measured]] = defaultdict(list)
        subject: dict[datetime.date, list[GitItem]] = defaultdict(list)
        commits: dict[datetime.date, list[GitItem]] = defaultdict(list)
        for pr in self.prs:
            prs[start_of(pr.day)].append(pr)
        for target, items in ((subject, self.subject_prs), (commits, self.commits)):
            for item in items:
                target[start_of(item.day)].append(item)
        starts = sorted({*prs, *subject, *commits})
        return {start: Cell(tuple(prs[start]), tuple(subject[start]), tuple(commits[start])) for start in starts}

    def days(self) -> set[datetime.date]:
        return {pr.day for pr in self.prs} | {item.day for item in (*self.subject_prs, *self.commits)}


# --- analysis ---------------------------------------------------------------------------------------------


@dataclass
class ScopeResult:
    kind: str  # org, repo, team
    id: str
    people: int
    window: dict[str, dict[str, Figure]]  # base metric -> cohort (all, ai, human) -> figure
    rows: list[MetricValue]


@dataclass
class Analysis:
    settings: Settings
    facts: Facts
    window: Window | None
    scopes: list[ScopeResult]
    hidden_groups: Counter[str]
    hidden_cells: int = 0


def scopes_of(facts: Facts) -> list[tuple[str, str, Cell]]:
    """("org", "all"), then every repository and every team, with their PRs and commits."""
    prs: dict[tuple[str, str], list[Measured]] = defaultdict(list)
    subject: dict[tuple[str, str], list[GitItem]] = defaultdict(list)
    commits: dict[tuple[str, str], list[GitItem]] = defaultdict(list)
    for target, items in ((prs, facts.prs), (subject, facts.subject_prs), (commits, facts.commits)):
        for item in items:
            for key in _scope_keys(item.repo, item.team):
                target[key].append(item)  # type: ignore[arg-type]  # each target holds its own item type
    order = {"org": 0, "repo": 1, "team": 2}
    keys = sorted({*prs, *subject, *commits}, key=lambda key: (order[key[0]], key[1]))
    return [(kind, scope_id, Cell(tuple(prs[(kind, scope_id)]), tuple(subject[(kind, scope_id)]),
             tuple(commits[(kind, scope_id)]))) for kind, scope_id in keys]  # fmt: skip


def _scope_keys(repo: str, team: str | None) -> list[tuple[str, str]]:
    return [("org", "all"), ("repo", repo), *([("team", team)] if team else [])]


def analyse(store: Store, config: Config) -> Analysis:
    settings = Settings.of(config)
    facts = read_facts(store, config, settings)
    everything = Cell(tuple(facts.prs), tuple(facts.subject_prs), tuple(facts.commits))
    window = window_of(everything.days(), settings.window_weeks)
    analysis = Analysis(settings, facts, window, [], Counter())
    for kind, scope_id, cell in scopes_of(facts):
        people = cell.people
        if people < settings.min_group_size:
            analysis.hidden_groups[kind] += 1
            continue
        analysis.scopes.append(_scope(kind, scope_id, cell, people, analysis))
    return analysis


def _hidden(settings: Settings) -> Figure:
    return Figure(None, 0, reason=f"hidden: fewer than privacy.min_group_size = {settings.min_group_size} authors")


def _scope(kind: str, scope_id: str, cell: Cell, people: int, analysis: Analysis) -> ScopeResult:
    settings = analysis.settings
    result = ScopeResult(kind, scope_id, people, {}, [])
    for length, start_of in (("week", week_of), ("month", month_of)):
        for start, period in cell.buckets(start_of).items():
            for suffix, cohort in COHORTS:
                part = period if cohort == "all" else period.select(_keeper(cohort, _always))
                if part.people == 0:
                    continue
                if part.people < settings.min_group_size:
                    analysis.hidden_cells += 1
                    continue
                result.rows += _rows(kind, scope_id, start.isoformat(), length, suffix, part.figures())
    window = analysis.window
    if window is None:
        return result
    in_window = cell.select(_keeper("all", window.holds))
    for suffix, cohort in COHORTS:
        part = in_window if cohort == "all" else in_window.select(_keeper(cohort, _always))
        if part.people == 0:
            figures: dict[str, Figure] = {}
        elif part.people < settings.min_group_size:
            analysis.hidden_cells += 1
            figures = {metric: _hidden(settings) for metric in BASE_METRICS}
        else:
            figures = part.figures()
            result.rows += _rows(kind, scope_id, window.start.isoformat(), "window", suffix, figures)
        for metric, figure in figures.items():
            result.window.setdefault(metric, {})[cohort] = figure
    return result


def _always(_day: datetime.date) -> bool:
    return True


def _keeper(cohort: str, when: Callable[[datetime.date], bool]) -> Callable[[str, datetime.date], bool]:
    if cohort == "all":
        return lambda _cohort, day: when(day)
    return lambda item_cohort, day: item_cohort == cohort and when(day)


def _rows(
    kind: str, scope_id: str, start: str, length: str, suffix: str, figures: dict[str, Figure]
) -> list[MetricValue]:
    return [
        MetricValue(f"{metric}{suffix}", kind, scope_id, start, length, figure.value, figure.n, figure.low, figure.high)
        for metric, figure in figures.items()
        if figure.value is not None
    ]


# --- the analyzer -----------------------------------------------------------------------------------------


def inputs_hash(store: Store, config: Config) -> str:
    """Changes when the PR facts, the history, attributions, identities, the rules or the settings do."""
    settings = Settings.of(config)
    rules = AttributionSettings.of(config).rules_hash
    digest = hashlib.sha256(f"{NAME}:{VERSION}:{rules}:{json.dumps(asdict(settings), sort_keys=True)}".encode())
    queries = (
        "SELECT * FROM pull_requests ORDER BY repo_id, number",
        "SELECT * FROM reviews ORDER BY repo_id, pr_number, review_id",
        "SELECT * FROM review_comments ORDER BY repo_id, pr_number, comment_id",
        "SELECT * FROM pr_events ORDER BY repo_id, pr_number, event_id",
        "SELECT * FROM pr_commits ORDER BY repo_id, pr_number, sha",
        "SELECT p.identity, s.state FROM sync_state s JOIN repos p ON p.id = s.repo_id "
        "WHERE s.source = 'git' AND s.category = 'history' ORDER BY p.identity",
        "SELECT repo_id, count(*) FROM reachable GROUP BY repo_id ORDER BY repo_id",
        "SELECT repo_id, sha, class, author_identity, credited_to, excluded FROM attributions ORDER BY repo_id, sha",
        "SELECT key, kind, team FROM identities ORDER BY key",
        "SELECT id, identity, data_through FROM repos ORDER BY id",
    )
    for query in queries:
        digest.update(b"\n--")
        for row in store.db.execute(query):
            digest.update(("\t".join(map(repr, row)) + "\n").encode())
    return digest.hexdigest()


def is_current(store: Store, config: Config) -> bool:
    """Whether the stored review metrics were computed from the present facts and settings."""
    return store.metric_inputs_hash(METRIC_NAMES[0]) == inputs_hash(store, config)


def analyze(store: Store, config: Config) -> int:
    digest = inputs_hash(store, config)
    if store.metric_inputs_hash(METRIC_NAMES[0]) == digest:
        return 0
    analysis = analyse(store, config)
    rows = [row for scope in analysis.scopes for row in scope.rows]
    if not any(row.metric == METRIC_NAMES[0] for row in rows):
        # Always one row, so that the inputs hash is stored and an unchanged rescan skips this work.
        start = analysis.window.start.isoformat() if analysis.window else ""
        rows.append(MetricValue(METRIC_NAMES[0], "org", "all", start, "window", None, 0))
    return store.replace_metric_values(METRIC_NAMES, digest, rows)


# --- the answer of `devmetrics reviews` -------------------------------------------------------------------


def _iso_time(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(store: Store, config: Config, *, repo: str | None = None, stale: bool = False) -> dict[str, Any]:
    """Computed from the facts with the analyzer's own code (no randomness), so it equals what the last
    analysis stored in metric_values."""
    analysis = analyse(store, config)
    repos = analysis.facts.repos
    chosen = _chosen(repos, repo)
    wanted = None if repo is None else {info.identity for info in chosen}
    names = {info.identity: info.name for info in repos}
    scopes = [scope for scope in analysis.scopes if wanted is None or (scope.kind == "repo" and scope.id in wanted)]
    settings = analysis.settings
    newest = max((info.data_through for info in chosen if info.data_through), default=None)
    return {
        "definitions": DEFINITIONS,
        "cohorts": {
            "all": "every merged PR but bots'",
            AI: COHORT_NOTE[AI].strip(),
            HUMAN_COHORT: COHORT_NOTE[HUMAN_COHORT].strip(),
        },
        "settings": asdict(settings) | {"trailers": list(settings.trailers)},
        "window": analysis.window.as_json(settings.window_weeks) if analysis.window else None,
        "scopes": [
            {
                "kind": scope.kind,
                "id": scope.id,
                "name": names.get(scope.id, scope.id) if scope.kind == "repo" else scope.id,
                "people": scope.people,
                "metrics": {
                    metric: {cohort: figure.as_json() for cohort, figure in by_cohort.items()}
                    for metric, by_cohort in scope.window.items()
                },
            }
            for scope in scopes
        ],
        "hidden_groups": dict(analysis.hidden_groups),
        "hidden_cells": analysis.hidden_cells,
        "not_counted": dict(sorted(analysis.facts.not_counted.items())),
        "repositories": [
            {
                "name": info.name,
                "identity": info.identity,
                "review_data": "pull requests" if info.has_prs else "git only",
                "data_through": _iso_time(info.data_through),
                "shallow": info.is_shallow,
            }
            for info in chosen
        ],
        "data_through": _iso_time(newest),
        "partial_history": [info.name for info in chosen if info.is_shallow],
        "failed": [
            {"target": target, "stage": stage, "reason": reason} for target, stage, reason in store.failed_targets()
        ],
        "message": None if any(info.has_prs for info in chosen) else NO_REVIEW_DATA,
        "stale": stale,
    }


def _chosen(repos: Sequence[RepoInfo], wanted: str | None) -> list[RepoInfo]:
    if wanted is None:
        return list(repos)
    chosen = [info for info in repos if wanted in (info.name, info.identity)]
    if not chosen:
        known = ", ".join(info.name for info in repos) or "none"
        raise DevmetricsError(
            f"--repo {wanted}: no such repository in the database (known: {known})", exit_code=EXIT_USAGE
        )
    return chosen


TITLES = {metric.name: metric.title for metric in METRIC_DEFS}
UNITS = {metric.name: metric.unit for metric in METRIC_DEFS}
_SCOPE_TITLES = {"org": "organisation", "repo": "repository", "team": "team"}


def _shown(metric: str, value: float) -> str:
    if UNITS[metric] == "share":
        return f"{value:.1%}"
    if UNITS[metric] in ("pull requests", "lines"):
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _number(metric: str, figure: dict[str, Any]) -> str:
    if figure["value"] is None:
        return str(figure.get("reason") or "no data")
    interval = ""
    if figure["low"] is not None:
        interval = f" (95% CI {_shown(metric, figure['low'])} to {_shown(metric, figure['high'])})"
    counted = "commits" if metric == "reviews.trailer_review_share" else "PRs"
    return f"{_shown(metric, figure['value'])}{interval}, n = {figure['n']:,} {counted}"


def render(answer: dict[str, Any]) -> str:
    """The window headline as text: every number with its interval and n, by cohort."""
    window = answer["window"]
    lines = []
    if answer["message"]:
        lines.append(answer["message"])
    lines.append(
        f"window: {window['start']} to {window['end']} ({window['weeks']} weeks to the newest merge or counted commit)"
        if window
        else "window: no merged pull request or counted commit yet"
    )
    for scope in answer["scopes"]:
        name = "" if scope["kind"] == "org" else f" {scope['name']}"
        lines += ["", f"{_SCOPE_TITLES[scope['kind']]}{name} ({scope['people']} authors)"]
        for metric in BASE_METRICS:
            by_cohort = scope["metrics"].get(metric)
            if not by_cohort:
                continue
            lines.append(f"  {TITLES[metric]} [{UNITS[metric]}]:")
            for cohort in ("all", AI, HUMAN_COHORT):
                if cohort in by_cohort:
                    lines.append(f"    {cohort:<6} {_number(metric, by_cohort[cohort])}")
    lines.append("")
    if answer["hidden_groups"]:
        groups = ", ".join(f"{count} {kind}" for kind, count in sorted(answer["hidden_groups"].items()))
        lines.append(f"hidden for privacy (fewer than {answer['settings']['min_group_size']} authors): {groups}")
    if answer["not_counted"]:
        lines.append("not counted: " + ", ".join(f"{count:,} {why}" for why, count in answer["not_counted"].items()))
    sources = ", ".join(f"{repo['name']} ({repo['review_data']})" for repo in answer["repositories"]) or "none"
    lines.append(f"review data: {sources}")
    failed = ", ".join(f"{item['target']} ({item['stage']}: {item['reason']})" for item in answer["failed"]) or "none"
    partial = ", ".join(answer["partial_history"]) or "none"
    lines.append(f"data through {answer['data_through'] or 'no data'}; partial history: {partial}; failed: {failed}")
    if answer["stale"]:
        lines.append("stale: a scan holds the database; these figures may predate its changes")
    return "\n".join(lines)
