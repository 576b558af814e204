"""Attribution: every stored commit is `ai-authored`, `ai-assisted`, `bot` or `human` (DESIGN §5), with its
tool, model, confidence and evidence, the identity it is credited to and the exclusion that keeps it out.

Precedence, strongest first (the evidence of every matching rule is kept):
1. `ai-authored` evidence (an agent as author, an agent branch, an agent co-author, `Generated-by`): an
   agent wrote the change; a statement in the message does not undo that.
2. `ai-assisted` evidence (co-author trailers, `Assisted-by`, `AI-Assisted: <tool>`, free-text disclosures)
   against `human` disclosures (`AI-Assisted: no`, "no AI was used"): the more confident one wins, the
   disclosure on a tie. Co-author trailers can be added without the author's knowledge (VS Code adds
   `Co-authored-by: Copilot` from telemetry), so an explicit "no" outweighs a weak trailer.
3. `bot`: the author is non-AI automation (dependabot, renovate, github-actions, ...); a bot committer alone
   (GitHub's web-flow, a merge queue) says nothing.
4. `human` by default: no marker. Commits committed before `attribution.ai_era_start` are human with high
   confidence; later ones with less, because markers can be switched off (absence is not proof).

Merges and the commits they bring in (those reachable from the merge's other parents, not from its first):
- a merge's own evidence (a PR-level disclosure in its message, an agent branch in its subject) labels the
  merge and passes down to every brought-in commit that has no evidence of its own; a commit's own evidence
  always wins; the innermost labelled merge passes its label first;
- a merge without evidence of its own is labelled from what it brought in: ai-authored if any of those
  commits is, else ai-assisted if any is, else bot if all are; so a first-parent view keeps the labels;
- a merge that brought in more than `attribution.merge_limit` commits, or that merged the main line into a
  branch (keeping it up to date), is no pull request: it neither passes a label down nor takes one.
An agent-authored commit is credited to a human: its author when a person, else a human co-author, else its
committer when a person, else the author of the innermost merge that brought it in.

Rows carry a hash of the classifier, the effective rules, the settings that decide a row and the
repository's ignore-revs list; the repository's sync_state keeps the same hash with the rules themselves.
New commits are attributed when they arrive; a change of settings attributes every stored commit again; a
change of the rules alone only the commits it can touch (`RepoAttribution.run_rule_change`). None of this
reads git: the ignore-revs list is read once per scanned HEAD and kept.
"""

from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pathspec
from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

from devmetrics.analyzers import merges, pull_requests
from devmetrics.analyzers.attribution_rules import (
    AI_ASSISTED,
    AI_AUTHORED,
    AI_CLASSES,
    BOT,
    COMMIT_FIELDS,
    HUMAN,
    PR_FIELDS,
    TRAILER_PREFIX,
    Evidence,
    QuickTest,
    Rule,
    RuleSet,
    effective_rules,
    rules_hash,
)
from devmetrics.analyzers.identities import (
    AGENT,
    PERSON,
    IdentityBook,
    IdentityResolver,
    TeamMatcher,
    looks_automated,
    pseudonym_salt,
    split_person,
)
from devmetrics.analyzers.identities import BOT as BOT_KIND
from devmetrics.errors import ConfigError
from devmetrics.metrics import MetricDef
from devmetrics.store import LOOKUP_BATCH, MetricValue

if TYPE_CHECKING:
    from devmetrics.config import Config, ExclusionsConfig, IdentitiesConfig, TeamConfig
    from devmetrics.store import Store

NAME = "attribution"
VERSION = "1"
log = logging.getLogger("devmetrics.attribution")

WEEK_NOTE = (
    "Weeks start on Monday (UTC), by committer date (author dates can be years off); reachable non-merge "
    "commits, excluded ones left out; groups of fewer than privacy.min_group_size people are not shown."
)
METRICS = (
    MetricDef(
        "attribution.ai_authored_commits",
        "AI-authored commits per week",
        "commits",
        "neutral",
        "sum",
        f"Commits an AI agent wrote: agent author, agent branch or co-author, Generated-by trailer. {WEEK_NOTE}",
    ),
    MetricDef(
        "attribution.ai_assisted_commits",
        "AI-assisted commits per week",
        "commits",
        "neutral",
        "sum",
        "Commits a person wrote with AI help: AI co-author trailers, Assisted-by, AI-Assisted: <tool>, "
        f"tool footers, free-text disclosures. {WEEK_NOTE}",
    ),
    MetricDef(
        "attribution.human_commits",
        "Human commits per week",
        "commits",
        "neutral",
        "sum",
        f"Commits with no AI marker, or with a negative disclosure (AI-Assisted: no). {WEEK_NOTE}",
    ),
    MetricDef(
        "attribution.bot_commits",
        "Bot commits per week",
        "commits",
        "neutral",
        "sum",
        f"Commits authored by non-AI automation (dependabot, renovate, github-actions, ...). {WEEK_NOTE}",
    ),
    MetricDef(
        "attribution.ai_share",
        "Share of AI commits",
        "share",
        "neutral",
        "ratio",
        f"AI-authored plus AI-assisted commits divided by all commits but bots'; n is that denominator. {WEEK_NOTE}",
    ),
    MetricDef(
        "attribution.excluded_commits",
        "Excluded commits per week",
        "commits",
        "neutral",
        "sum",
        "Commits left out by [exclusions]: ignore-revs file, authors, paths, repositories, mass changes. "
        "Weeks by committer date; reachable non-merge commits.",
    ),
)
CLASS_METRICS = {
    AI_AUTHORED: "attribution.ai_authored_commits",
    AI_ASSISTED: "attribution.ai_assisted_commits",
    HUMAN: "attribution.human_commits",
    BOT: "attribution.bot_commits",
}
CLASS_DEFINITIONS = {
    AI_AUTHORED: "an AI agent wrote the change: agent author, agent branch or PR, agent co-author, Generated-by",
    AI_ASSISTED: "a person wrote it with AI help: AI co-author trailers, Assisted-by, AI-Assisted: <tool>",
    BOT: "non-AI automation (dependabot, renovate, github-actions, ...)",
    HUMAN: "no AI marker (markers can be switched off), or a negative disclosure",
}
BEFORE_ERA_CONFIDENCE = 0.95
UNMARKED_CONFIDENCE = 0.6
EXCLUSION_REASONS = ("repository", "ignore-revs", "author", "paths", "mass-change")
SYNC_SOURCE = "attribution"
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_MERGE_BRANCH = re.compile(
    r"^Merge (?:pull request #\d+ from [^/\s]+/(?P<pr>\S+)"
    r"|(?:remote-tracking )?branch '(?:(?:origin|upstream)/)?(?P<branch>[^']+)')"
)
ROW_COLUMNS = (
    "repo_id, sha, class, tool, model, confidence, evidence, author_identity, credited_to, excluded, rules_hash"
)
UPSERT_ROW = f"INSERT OR REPLACE INTO attributions ({ROW_COLUMNS}) VALUES ({', '.join('?' * 11)})"  # noqa: S608
COMMIT_COLUMNS = (
    "sha, author_name, author_email, committer_name, committer_email, committer_time, subject, message, trailers, "
    "is_merge, insertions, deletions, files"
)
STORED_VALUES = "class, tool, model, confidence, evidence, author_identity, credited_to, excluded"
STORED_ROWS = f"SELECT sha, {STORED_VALUES}, rules_hash FROM attributions WHERE repo_id = ?"  # noqa: S608
# A commit's facts, its parents, then its stored attribution values and their hash (NULL when it has none).
JOINED_ROWS = (
    f"SELECT {', '.join(f'c.{name.strip()}' for name in COMMIT_COLUMNS.split(','))}, c.parents, "  # noqa: S608
    f"{', '.join(f'a.{name.strip()}' for name in STORED_VALUES.split(','))}, a.rules_hash "
    "FROM commits c LEFT JOIN attributions a ON a.repo_id = c.repo_id AND a.sha = c.sha WHERE c.repo_id = ?"
)
UNJOINED_ROWS = (
    f"SELECT {COMMIT_COLUMNS}, parents, {', '.join(['NULL'] * len(STORED_VALUES.split(',')))}, NULL "  # noqa: S608
    "FROM commits WHERE repo_id = ?"
)
ANY_STORED = "SELECT 1 FROM attributions WHERE repo_id = ? LIMIT 1"
DAY_SECONDS = 86_400
COUNT_COMMITS = "SELECT count(*) FROM commits WHERE repo_id = ?"
COUNT_CURRENT = "SELECT count(*) FROM attributions WHERE repo_id = ? AND rules_hash = ?"
DIRTY_ROWS = (
    "SELECT c.sha, a.rules_hash FROM commits c LEFT JOIN attributions a ON a.repo_id = c.repo_id AND a.sha = c.sha "
    "WHERE c.repo_id = ?"
)
NO_EVIDENCE = "[]"
MAIN_REFS = ("HEAD", "refs/heads/main", "refs/heads/master", "refs/heads/trunk", "refs/remotes/origin/main")


# --- settings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Everything of the configuration that decides attribution rows, identities and metrics."""

    rules: tuple[Rule, ...]
    era_start: int
    merge_limit: int
    identities: IdentitiesConfig
    exclusions: ExclusionsConfig
    teams: tuple[TeamConfig, ...]
    min_group_size: int
    salt: str

    @classmethod
    def of(cls, config: Config) -> Settings:
        section = config.attribution
        era_start = 0  # no era: every unmarked commit is "human, not sure"
        if section.ai_era_start:
            day = datetime.date.fromisoformat(section.ai_era_start)
            era_start = int(datetime.datetime.combine(day, datetime.time(), datetime.UTC).timestamp())
        return cls(
            rules=effective_rules(section, config.origins),
            era_start=era_start,
            merge_limit=section.merge_limit,
            identities=config.identities,
            exclusions=config.exclusions,
            teams=config.teams,
            min_group_size=config.privacy.min_group_size,
            salt=pseudonym_salt(config.identities),
        )

    @cached_property
    def rules_hash(self) -> str:
        return rules_hash(self.rules)

    @cached_property
    def base_settings(self) -> str:
        """Hash of what decides a row besides the rules and a repository's ignore-revs list."""
        aliases = dataclasses.asdict(self.identities)["aliases"]
        parts = [NAME, VERSION, self.era_start, self.merge_limit, aliases, dataclasses.asdict(self.exclusions)]
        return _digest(parts)

    @cached_property
    def row_settings(self) -> str:
        return _digest([self.base_settings, self.rules_hash])

    def base_hash(self, ignore_revs: frozenset[str]) -> str:
        return _digest([self.base_settings, sorted(ignore_revs)])

    def row_hash(self, ignore_revs: frozenset[str]) -> str:
        return _digest([self.row_settings, sorted(ignore_revs)])

    def publish_hash(self, repo_states: Iterable[str]) -> str:
        """Hash of what decides identities and metrics: every repository's state, teams, salt, group size."""
        teams = [dataclasses.asdict(team) for team in self.teams]
        return _digest([self.row_settings, sorted(repo_states), teams, self.salt, self.min_group_size])


def _digest(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# --- decisions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    cls: str
    tool: str | None
    model: str | None
    confidence: float


def decide(evidence: Sequence[Evidence], default: Decision) -> Decision:
    """The class the evidence supports (see the module docstring for the precedence)."""
    best: dict[str, Evidence] = {}
    for item in evidence:
        current = best.get(item.cls)
        if current is None or item.confidence > current.confidence:
            best[item.cls] = item
    winner = best.get(AI_AUTHORED)
    if winner is None:
        human, assisted = best.get(HUMAN), best.get(AI_ASSISTED)
        if human is not None and assisted is not None:
            winner = human if human.confidence >= assisted.confidence else assisted
        else:
            winner = human or assisted or best.get(BOT)
    if winner is None:
        return default
    return Decision(winner.cls, None if winner.cls == HUMAN else winner.tool, winner.model, winner.confidence)


DERIVED_RULES = ("default.", "merge.")  # evidence the analyzer derives, not a rule's match


def has_own_label(evidence: Iterable[Evidence]) -> bool:
    """Whether a rule matched the commit itself (not a default, a roll-up or a label passed down)."""
    return any(not item.via and not item.rule.startswith(DERIVED_RULES) for item in evidence)


def has_label(evidence: Iterable[Evidence]) -> bool:
    return any(item.via or not item.rule.startswith(DERIVED_RULES) for item in evidence)


def merge_branch(subject: str) -> str:
    """The merged branch named by a merge commit's standard subject (GitHub, GitLab, git), else ""."""
    found = _MERGE_BRANCH.match(subject)
    return (found["pr"] or found["branch"] or "") if found else ""


# A line of the text starts with whitespace (what str.lstrip strips, newlines aside) or `>`, or the text
# holds a fence: only then can prose_body drop lines.
_MAY_DROP_LINES = re.compile(r"(?:^|\n)(?:[^\S\n]|>)|```|~~~")


def prose_body(message: str) -> str:
    """The message after its subject paragraph, without quoted (`>`), indented or fenced lines: text a person
    wrote there, not a quoted log, an example trailer or a code sample."""
    rest = message.lstrip("\n").partition("\n\n")[2]
    if not _MAY_DROP_LINES.search(rest):  # the common case: every line is prose, kept as it is
        return rest
    lines: list[str] = []
    fenced = False
    for line in rest.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and not stripped.startswith(">") and not line.startswith(("\t", "    ")):
            lines.append(line)
    return "\n".join(lines)


# --- one commit -----------------------------------------------------------------------------------------

BEFORE_ERA = Decision(HUMAN, None, None, BEFORE_ERA_CONFIDENCE)
UNMARKED = Decision(HUMAN, None, None, UNMARKED_CONFIDENCE)


@dataclass(slots=True)
class Draft:
    """A commit's attribution while a repository is being attributed."""

    sha: str
    is_merge: bool
    evidence: list[Evidence]
    decision: Decision
    author_identity: str
    credited_to: str | None
    excluded: str | None
    merge_author: str | None = None  # for a merge: its author's identity when a person (who merged)
    changed: bool = True
    stored: tuple[Any, ...] | None = None  # the values stored before, to write only what changed

    def values(self) -> tuple[object, ...]:
        """The row's columns from `class` to `excluded`, as stored (and as read back to compare)."""
        decision = self.decision
        return (
            decision.cls,
            decision.tool,
            decision.model,
            decision.confidence,
            evidence_json(tuple(self.evidence)),
            self.author_identity,
            self.credited_to,
            self.excluded,
        )


@functools.lru_cache(maxsize=1 << 16)
def evidence_json(evidence: tuple[Evidence, ...]) -> str:
    """The `evidence` column; the same few lists recur across many commits."""
    if not evidence:
        return NO_EVIDENCE
    return json.dumps([item.as_json() for item in evidence], ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class People:
    """What a commit's author and committer say, worked out once per (author, committer) pair."""

    evidence: tuple[Evidence, ...]
    author: str  # identity key
    author_is_person: bool
    committer: str | None  # identity key when the committer is a person


class Classifier:
    """Own evidence, decision and credit of single commits, from their stored facts. Values that repeat
    (identities, trailer lists) are worked out once; long texts get a keyword test before any regex."""

    def __init__(self, settings: Settings, resolver: IdentityResolver) -> None:
        self.ruleset = RuleSet(settings.rules)
        self.resolver = resolver
        self.era_start = settings.era_start
        self._persons: dict[tuple[str, str], bool] = {}
        self._people: dict[tuple[str, str, str, str], People] = {}
        self._trailers: dict[str, tuple[Evidence, ...]] = {}
        self._before_era: dict[int, Evidence] = {}
        self._fields = {name for name in (*COMMIT_FIELDS, *PR_FIELDS) if self.ruleset.has_field(name)}
        self._subject_test = self.ruleset.quick_tests.get("subject")
        self._body_test = self.ruleset.quick_tests.get("body")

    def evidence(self, row: Sequence[Any]) -> list[Evidence]:
        """Every rule match on the commit's own fields, each (rule, match) once."""
        _, a_name, a_email, c_name, c_email, _, subject, message, trailers, is_merge, *_ = row
        found = self.people(a_name, a_email, c_name, c_email).evidence
        if trailers != NO_EVIDENCE:
            found += self.trailer_evidence(trailers)
        if self._subject_test is not None:
            candidates = self._subject_test.candidates(subject)
            if candidates:
                found += self.ruleset.match_candidates("subject", subject, candidates)
        if self._body_test is not None:
            found += self.body_evidence(message)
        if is_merge and "branch" in self._fields:
            found += self.ruleset.match_remembered("branch", merge_branch(subject))
        return _unique(list(found)) if found else []

    def people(self, a_name: str, a_email: str, c_name: str, c_email: str) -> People:
        key = (a_name, a_email, c_name, c_email)
        found = self._people.get(key)
        if found is None:
            ruleset, fields = self.ruleset, self._fields
            evidence = ruleset.match_remembered("author", f"{a_name} <{a_email}>")
            if "author_email" in fields:
                evidence += ruleset.match_remembered("author_email", a_email)
            if "committer" in fields:
                evidence += ruleset.match_remembered("committer", f"{c_name} <{c_email}>")
            if "committer_email" in fields:
                evidence += ruleset.match_remembered("committer_email", c_email)
            committer = self.resolver.key(c_email, c_name) if self.is_person(c_name, c_email) else None
            author = self.resolver.key(a_email, a_name)
            found = self._people[key] = People(evidence, author, self.is_person(a_name, a_email), committer)
        return found

    def body_evidence(self, message: str) -> tuple[Evidence, ...]:
        """Rules are first tested on the whole text after the subject: keywords hold within a line and the
        prose is some of its lines, so a rule that cannot match the text cannot match the prose either."""
        subject_end = message.find("\n\n")
        if subject_end < 0 or self._body_test is None:
            return ()
        candidates = self._body_test.line_candidates(message[subject_end:])
        return self.ruleset.match_candidates("body", prose_body(message), candidates) if candidates else ()

    def trailer_evidence(self, trailers: str) -> tuple[Evidence, ...]:
        """Evidence of a commit's trailers (the stored JSON), computed once per distinct trailer list."""
        found = self._trailers.get(trailers)
        if found is None:
            items: list[Evidence] = []
            for key, value in json.loads(trailers):
                items += self.ruleset.match_trailer(key, value)
            found = self._trailers[trailers] = tuple(items)
        return found

    def default(self, committer_time: int) -> tuple[Decision, list[Evidence]]:
        """Human without evidence: sure before the AI era (by committer date: author dates can be years
        off), less so after it, because markers can be switched off."""
        if committer_time < self.era_start:
            day_number = committer_time // DAY_SECONDS  # commits share days: one Evidence per day
            item = self._before_era.get(day_number)
            if item is None:
                day = datetime.datetime.fromtimestamp(committer_time, datetime.UTC).date().isoformat()
                item = Evidence(
                    "default.before-ai-era", "committer_date", day, HUMAN, None, None, BEFORE_ERA_CONFIDENCE
                )
                self._before_era[day_number] = item
            return BEFORE_ERA, [item]
        return UNMARKED, []

    def draft(self, row: Sequence[Any]) -> Draft:
        sha, a_name, a_email, c_name, c_email, c_time, _, _, trailers, is_merge, *_ = row
        evidence = self.evidence(row)
        people = self.people(a_name, a_email, c_name, c_email)
        if evidence:
            decision = decide(evidence, UNMARKED)
        else:
            decision, evidence = self.default(c_time)
        credited = people.author if people.author_is_person else None
        if credited is None and decision.cls in AI_CLASSES:
            credited = self.human_coauthor(trailers) or people.committer
        merger = people.author if is_merge and people.author_is_person else None
        return Draft(sha, bool(is_merge), evidence, decision, people.author, credited, None, merger)

    def is_person(self, name: str, email: str) -> bool:
        """Not automation and not an agent, by convention and by the author rules."""
        key = (name, email)
        known = self._persons.get(key)
        if known is None:
            hits = self.ruleset.match_remembered("author", f"{name} <{email}>")
            known = not looks_automated(name, email) and not any(hit.cls in (AI_AUTHORED, BOT) for hit in hits)
            self._persons[key] = known
        return known

    def human_coauthor(self, trailers: str) -> str | None:
        """The first `Co-authored-by` that names a person (no AI or bot rule matches it)."""
        if trailers == NO_EVIDENCE:
            return None
        for key, value in json.loads(trailers):
            if key.lower() != "co-authored-by" or self.ruleset.match_trailer(key, value):
                continue
            person = split_person(value)
            if person is not None and self.is_person(*person):
                return self.resolver.key(person[1], person[0])
        return None

    def coauthor_kind(self, name: str, email: str) -> str:
        hits = self.ruleset.match_trailer("co-authored-by", f"{name} <{email}>")
        if any(hit.cls in AI_CLASSES for hit in hits):
            return AGENT
        return PERSON if self.is_person(name, email) else BOT_KIND

    def author_kind(self, name: str, email: str) -> str:
        hits = self.ruleset.match_remembered("author", f"{name} <{email}>")
        if any(hit.cls == AI_AUTHORED for hit in hits):
            return AGENT
        return PERSON if self.is_person(name, email) else BOT_KIND


def _keyword_filter(column: str, test: QuickTest) -> tuple[str, list[str]]:
    """SQL keeping the rows whose `column` could match: non-ASCII text (the keyword test does not apply),
    or text holding one of the keywords (SQLite's lower() folds ASCII only, as the test needs)."""
    if test.unexplained or not test.shortest:
        return "1", []
    non_ascii = f"length(CAST({column} AS BLOB)) != length({column})"
    holds = " OR ".join(f"instr(char(10) || lower({column}), ?) > 0" for _ in test.shortest)
    return f"{non_ascii} OR {holds}", list(test.shortest)


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    """Each (rule, match) once (squash merges repeat trailers), ordered by rule id: the order, and so the
    choice among equally confident items, does not depend on the order rules are listed in."""
    if len(evidence) < 2:
        return evidence
    unique = {(item.rule, item.field, item.match): item for item in reversed(evidence)}
    return [unique[key] for key in sorted(unique)]


# --- exclusions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepoInfo:
    id: int
    identity: str
    name: str
    path: str
    head_sha: str | None


class Exclusions:
    """Why a commit is kept out (of throughput and debt baselines), in the order of EXCLUSION_REASONS."""

    def __init__(self, config: ExclusionsConfig, repo: RepoInfo, ignore_revs: frozenset[str]) -> None:
        names = (repo.name, repo.identity, repo.path)
        self.whole_repository = any(fnmatch.fnmatchcase(name, glob) for name in names for glob in config.repositories)
        self.ignore_revs = ignore_revs
        self.authors = tuple(glob.strip().lower() for glob in config.authors if glob.strip())
        self.paths = _path_spec(config.paths)
        self.max_lines = config.mass_change_lines
        self.max_files = config.mass_change_files

    @property
    def needs_paths(self) -> bool:
        return self.paths is not None and not self.whole_repository

    def reason(self, row: Sequence[Any], author_key: str, paths: dict[str, list[str]]) -> str | None:
        """`row` holds COMMIT_COLUMNS: sha, author e-mail (2), is_merge (9), insertions, deletions, files."""
        if self.whole_repository:
            return "repository"
        if self.ignore_revs and row[0] in self.ignore_revs:
            return "ignore-revs"
        if self.authors and any(
            fnmatch.fnmatchcase(address, glob) for address in (row[2].lower(), author_key) for glob in self.authors
        ):
            return "author"
        if self.paths is not None and _all_match(self.paths, paths.get(row[0], [])):
            return "paths"
        if row[9]:
            return None  # a merge's diff is what its branch brought in, not one change
        if (self.max_lines and row[10] + row[11] > self.max_lines) or (self.max_files and row[12] > self.max_files):
            return "mass-change"
        return None


def _path_spec(globs: tuple[str, ...]) -> pathspec.PathSpec[GitIgnoreBasicPattern] | None:
    patterns = []
    for glob in globs:
        if not glob.strip():
            continue
        try:
            patterns.append(GitIgnoreBasicPattern(glob))
        except ValueError as error:
            raise ConfigError(f"exclusions.paths: {glob!r} is not a valid glob ({error}); fix the pattern") from error
    return pathspec.PathSpec(patterns) if patterns else None


def _all_match(spec: pathspec.PathSpec[GitIgnoreBasicPattern], paths: list[str]) -> bool:
    return bool(paths) and all(spec.match_file(path) for path in paths)


def parse_ignore_revs(text: str) -> frozenset[str]:
    """Full object names, one a line, `#` comments: the `.git-blame-ignore-revs` format."""
    shas = set()
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip().lower()
        if _SHA.fullmatch(name):
            shas.add(name)
    return frozenset(shas)


def cached_ignore_revs(store: Store, repo: RepoInfo, file_name: str) -> frozenset[str] | None:
    """The ignore-revs list read before at the repository's scanned HEAD; None when it must be read."""
    if not file_name or not repo.head_sha:
        return frozenset()
    cached = store.sync_state(repo.id, SYNC_SOURCE, "ignore-revs")
    if cached and cached.get("head") == repo.head_sha and cached.get("file") == file_name:
        return frozenset(cached.get("shas", []))
    return None


def ignore_revs(store: Store, repo: RepoInfo, file_name: str) -> frozenset[str]:
    """The repository's ignore-revs list at its scanned HEAD. Read with git once per HEAD and kept in
    sync_state, so re-attributing after a rule change runs no git (and works when the clone is gone)."""
    known = cached_ignore_revs(store, repo, file_name)
    if known is not None:
        return known
    cached = store.sync_state(repo.id, SYNC_SOURCE, "ignore-revs")
    if not Path(repo.path).exists():
        log.warning("%s: folder gone; using the ignore-revs list read before", repo.path)
        return frozenset(cached.get("shas", [])) if cached else frozenset()
    from devmetrics.collectors.gitcli import run_git

    result = run_git(repo.path, ["cat-file", "blob", f"{repo.head_sha}:{file_name}"], check=False)
    shas = parse_ignore_revs(result.stdout.decode("utf-8", "replace")) if result.returncode == 0 else frozenset()
    store.set_sync_state(
        repo.id, SYNC_SOURCE, "ignore-revs", {"head": repo.head_sha, "file": file_name, "shas": sorted(shas)}
    )
    return shas


# --- one repository -------------------------------------------------------------------------------------


@dataclass
class RepoAttribution:
    """Attributes the commits of one repository whose rows are missing or were made with other settings."""

    store: Store
    settings: Settings
    classifier: Classifier
    repo: RepoInfo
    row_hash: str
    exclusions: Exclusions
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    merge_shas: set[str] = field(default_factory=set)
    drafts: dict[str, Draft] = field(default_factory=dict)
    stored: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # sha -> stored values (class..excluded)
    brought: dict[str, tuple[str, ...]] = field(default_factory=dict)  # merge -> commits it brought in
    passed_over: set[str] = field(default_factory=set)  # merges that brought in more than the limit
    main_line: merges.MainLine | None = None  # HEAD's first-parent chain and its merges, worked out once
    pr_evidence: dict[str, list[Evidence]] = field(default_factory=dict)  # sha -> evidence its PRs pass to it
    pr_mergers: dict[str, str] = field(default_factory=dict)  # sha -> login of whoever merged its PR
    first_time: bool = False  # the repository had no attribution rows before this pass

    def run_rule_change(self, before: tuple[Rule, ...]) -> int:
        """After a change of the rules alone: attribute again only the commits whose rows can change and
        mark every other row as made with the new rules. Those are the commits with evidence of a removed
        or changed rule, those an added or changed rule matches, those whose credit depends on an identity
        a changed author or co-author rule describes, and every commit and merge tied to them through the
        merges that brought them in (see `_tied_to`). Returns how many commits were attributed again."""
        now = {rule.id: rule for rule in self.settings.rules}
        old = {rule.id: rule for rule in before}
        removed = tuple(rule for rule_id, rule in old.items() if now.get(rule_id) != rule)
        added = tuple(rule for rule_id, rule in now.items() if old.get(rule_id) != rule)
        affected = self._mentioning(removed) | self._matching(added) | self._identities_of(removed + added)
        if affected:
            reset, merges_again = self._tied_to(affected)
            dirty = sorted(reset)
            self._classify(dirty, self._paths(dirty) if self.exclusions.needs_paths else {})
            self._apply_merges(sorted(merges_again))
        self._write()
        return len(self.drafts)

    def _mentioning(self, rules: tuple[Rule, ...]) -> set[str]:
        """Commits whose stored evidence (their own, or passed down) holds one of these rules."""
        if not rules:
            return set()
        needles = [f'"rule":{json.dumps(rule.id, ensure_ascii=False)},' for rule in rules]
        clause = " OR ".join("instr(evidence, ?) > 0" for _ in needles)
        query = f"SELECT sha FROM attributions WHERE repo_id = ? AND ({clause})"  # noqa: S608
        return {row[0] for row in self.store.db.execute(query, [self.repo.id, *needles])}

    def _matching(self, rules: tuple[Rule, ...]) -> set[str]:
        """Commits one of these rules matches, reading only the columns their fields need (and, for texts,
        only the rows holding a keyword of the rules, found by SQLite)."""
        if not rules:
            return set()
        finder = Classifier(dataclasses.replace(self.settings, rules=rules), self.classifier.resolver)
        fields = {rule.field.lower() for rule in rules}
        tests: list[tuple[str, str, list[str], Callable[[tuple[Any, ...]], object]]] = []
        if fields & {"author", "author_email", "committer", "committer_email"}:
            columns = "author_name, author_email, committer_name, committer_email"
            tests.append((columns, "1", [], lambda row: finder.people(*row).evidence))
        keys = sorted({name.removeprefix(TRAILER_PREFIX) for name in fields if name.startswith(TRAILER_PREFIX)})
        if keys:
            where = " OR ".join("instr(lower(trailers), ?) > 0" for _ in keys)
            tests.append(("trailers", where, [f'"{key}"' for key in keys], lambda row: finder.trailer_evidence(row[0])))
        if "subject" in fields:
            where, words = _keyword_filter("subject", finder.ruleset.quick_tests["subject"])
            tests.append(("subject", where, words, lambda row: finder.ruleset.match("subject", row[0])))
        if "body" in fields:
            where, words = _keyword_filter("message", finder.ruleset.quick_tests["body"])
            tests.append(("message", where, words, lambda row: finder.body_evidence(row[0])))
        if "branch" in fields:
            tests.append(
                ("subject", "is_merge = 1", [], lambda row: finder.ruleset.match("branch", merge_branch(row[0])))
            )
        found: set[str] = set()
        for columns, where, words, test in tests:
            query = f"SELECT sha, {columns} FROM commits WHERE repo_id = ? AND ({where})"  # noqa: S608  # constant SQL
            found.update(row[0] for row in self.store.db.execute(query, [self.repo.id, *words]) if test(row[1:]))
        return found

    def _identities_of(self, rules: tuple[Rule, ...]) -> set[str]:
        """Commits whose committer or co-author an author rule among `rules` describes: whether those are
        persons decides who the commit is credited to. (Co-author rules are covered by their evidence.)"""
        author_rules = tuple(rule for rule in rules if rule.field == "author")
        if not author_rules:
            return set()
        finder = RuleSet(author_rules)
        found: set[str] = set()
        query = "SELECT sha, committer_name, committer_email, trailers FROM commits WHERE repo_id = ?"
        for sha, name, email, trailers in self.store.db.execute(query, [self.repo.id]):
            people = [(name, email)]
            if trailers != NO_EVIDENCE:
                coauthors = (
                    split_person(value) for key, value in json.loads(trailers) if key.lower() == "co-authored-by"
                )
                people += [person for person in coauthors if person is not None]
            if any(finder.match_remembered("author", f"{name} <{email}>") for name, email in people):
                found.add(sha)
        return found

    def _tied_to(self, affected: set[str]) -> tuple[set[str], set[str]]:
        """The commits to attribute again with `affected` and the merges whose labels to pass again: every
        merge bringing in one of those commits (or being one) and, in turn, every commit it brought in.
        Every merge touching a commit outside this set is untouched by the change, so that commit is too."""
        if not self._load_merge_sets():
            self._load_graph()
            self._bring_in(sorted(self.merge_shas))
            self._save_merge_sets()
        containing: dict[str, list[str]] = {}
        for merge, found in self.brought.items():
            for sha in found:
                containing.setdefault(sha, []).append(merge)
        reset, merges_again = set(affected), set()
        frontier = list(affected)
        while frontier:
            sha = frontier.pop()
            for merge in [*containing.get(sha, ()), *([sha] if sha in self.brought else [])]:
                if merge in merges_again:
                    continue
                merges_again.add(merge)
                for tied in (merge, *self.brought[merge]):
                    if tied not in reset:
                        reset.add(tied)
                        frontier.append(tied)
        return reset, merges_again

    def run(self, *, everything: bool) -> int:
        """Attribute the commits whose rows are missing or were made with other settings (`everything`:
        the settings changed, so all are); write the rows whose values changed and mark the others as made
        with these settings. Returns how many commits were attributed."""
        dirty = None if everything else self._dirty()
        if dirty is not None and not dirty:
            return 0
        paths = self._paths(dirty) if self.exclusions.needs_paths else {}
        attributed = self._classify(dirty, paths)
        dirty_merges = [sha for sha, draft in self.drafts.items() if draft.is_merge]
        if dirty is not None and dirty_merges:
            self._load_graph()
        self._apply_merges(dirty_merges)
        if dirty is None:  # every merge was worked out
            self._save_merge_sets()
        self._write()
        return attributed

    def _merge_sets_key(self) -> str:
        history = self.store.sync_state(self.repo.id, "git", "history")
        return _digest([history, self._main_tip(), self.settings.merge_limit])

    def _main_tip(self) -> str:
        """The tip of the main line: HEAD, or with every ref scanned, the usual default branches."""
        tips = (self.store.sync_state(self.repo.id, "git", "history") or {}).get("tips", {})
        for ref in MAIN_REFS:
            if isinstance(tips, dict) and isinstance(tips.get(ref), str):
                return str(tips[ref])
        return self.repo.head_sha or ""

    def _load_merge_sets(self) -> bool:
        """What every merge brought in, kept from the last pass that worked it out for the same history,
        HEAD and limit (a merge's ancestry never changes, so neither does what it brought in)."""
        kept = self.store.sync_state(self.repo.id, SYNC_SOURCE, "merges")
        if not kept or kept.get("key") != self._merge_sets_key():
            return False
        self.brought = {merge: tuple(found) for merge, found in kept["brought"].items()}
        self.passed_over = set(kept["passed_over"])
        return True

    def _save_merge_sets(self) -> None:
        kept = {"key": self._merge_sets_key(), "brought": self.brought, "passed_over": sorted(self.passed_over)}
        self.store.set_sync_state(self.repo.id, SYNC_SOURCE, "merges", kept)

    def _dirty(self) -> list[str] | None:
        """Commits without a row made with these settings; None when that is most of them (read all)."""
        # Two index counts decide the common cases (a new repository, a change of settings) without reading
        # every commit's row.
        total = self.store.db.execute(COUNT_COMMITS, [self.repo.id]).fetchone()[0]
        current = self.store.db.execute(COUNT_CURRENT, [self.repo.id, self.row_hash]).fetchone()[0]
        if (total - current) * 2 > total:
            return None
        total, dirty = 0, []
        for sha, row_hash in self.store.db.execute(DIRTY_ROWS, [self.repo.id]):
            total += 1
            if row_hash != self.row_hash:
                dirty.append(sha)
        return None if len(dirty) * 2 > total else dirty

    def _classify(self, dirty: list[str] | None, paths: dict[str, list[str]]) -> int:
        """Drafts of the dirty commits (all when `dirty` is None, reading the graph on the way)."""
        classifier, exclusions, row_hash = self.classifier, self.exclusions, self.row_hash
        attributed = 0
        for row in self._joined_rows(dirty):
            sha = row[0]
            if dirty is None:
                self.parents[sha] = tuple(row[13].split())
                if row[9]:
                    self.merge_shas.add(sha)
            stored = row[14:22] if row[22] is not None else None
            if dirty is None and row[22] == row_hash:
                self.stored[sha] = row[14:22]
                continue
            draft = classifier.draft(row)
            if self.pr_evidence or self.pr_mergers:
                self._apply_pull_request(draft)
            draft.excluded = exclusions.reason(row, draft.author_identity, paths)
            draft.stored = stored
            self.drafts[sha] = draft
            attributed += 1
        return attributed

    def _apply_pull_request(self, draft: Draft) -> None:
        """A commit without evidence of its own takes its pull request's (author, labels, body, head branch);
        agent work nobody is credited with yet goes to the person who merged the PR."""
        passed = self.pr_evidence.get(draft.sha)
        if passed and not has_own_label(draft.evidence):
            draft.evidence = _unique(list(passed))
            draft.decision = decide(draft.evidence, UNMARKED)
        merger = self.pr_mergers.get(draft.sha)
        if merger and draft.credited_to is None and draft.decision.cls == AI_AUTHORED:
            draft.credited_to = self.classifier.resolver.key(pull_requests.login_email(merger), merger)

    def _joined_rows(self, shas: list[str] | None) -> Iterator[tuple[Any, ...]]:
        if shas is None:
            stored = self.store.db.execute(ANY_STORED, [self.repo.id]).fetchone() is not None
            self.first_time = not stored
            # A repository attributed for the first time has no rows to join.
            yield from self.store.db.execute(JOINED_ROWS if stored else UNJOINED_ROWS, [self.repo.id])
            return
        for start in range(0, len(shas), LOOKUP_BATCH):
            batch = shas[start : start + LOOKUP_BATCH]
            yield from self.store.db.execute(
                f"{JOINED_ROWS} AND c.sha IN ({', '.join('?' * len(batch))})", [self.repo.id, *batch]
            )

    def _load_graph(self) -> None:
        cursor = self.store.db.execute("SELECT sha, parents, is_merge FROM commits WHERE repo_id = ?", [self.repo.id])
        for sha, parents, is_merge in cursor:
            self.parents[sha] = tuple(parents.split())
            if is_merge:
                self.merge_shas.add(sha)

    def _write(self) -> None:
        repo_id, row_hash = self.repo.id, self.row_hash
        rows = []
        for sha, draft in self.drafts.items():
            if draft.changed:
                values = draft.values()
                if values != draft.stored:
                    rows.append((repo_id, sha, *values, row_hash))
        conn = self.store.db.conn
        conn.executemany(UPSERT_ROW, rows)
        if self.first_time:  # every row was just written with these settings
            return
        # Rows whose values these settings did not change are marked as made with them, in one statement.
        conn.execute(
            "UPDATE attributions SET rules_hash = ? WHERE repo_id = ? AND rules_hash != ?",
            [row_hash, repo_id, row_hash],
        )

    def _paths(self, shas: list[str] | None) -> dict[str, list[str]]:
        wanted = None if shas is None else set(shas)
        paths: dict[str, list[str]] = {}
        for sha, path in self.store.db.execute("SELECT sha, path FROM file_changes WHERE repo_id = ?", [self.repo.id]):
            if wanted is None or sha in wanted:
                paths.setdefault(sha, []).append(path)
        return paths

    # --- merges ---------------------------------------------------------------------------------------

    def _bring_in(self, merge_shas: list[str]) -> None:
        """What each merge brought in, bounded by `attribution.merge_limit` (a bigger merge passes nothing):
        the merges of HEAD's main line in one pass, any other one by a walk of its own, except merges of
        the main line into a branch, which are no pull requests and pass nothing."""
        limit = self.settings.merge_limit
        if self.main_line is None:
            self.main_line = merges.main_line(self._main_tip(), self.parents, limit)
        line = self.main_line
        missing = [sha for sha in merge_shas if sha not in self.brought and sha not in self.passed_over]
        missing = [sha for sha in missing if not line.merges_into_a_branch(sha, self.parents)]
        walked = [sha for sha in missing if sha not in line.brought]
        generation = merges.generations(self.parents) if walked else {}
        for sha in missing:
            found = (
                line.brought[sha] if sha in line.brought else merges.brought_in(sha, self.parents, generation, limit)
            )
            if found is None:
                self.passed_over.add(sha)
                log.info("%s: merge %s brought in over %d commits; no label passed", self.repo.name, sha[:12], limit)
            else:
                self.brought[sha] = found

    def _apply_merges(self, merge_shas: list[str]) -> None:
        if not merge_shas:
            return
        self._bring_in(merge_shas)
        brought = {sha: self.brought[sha] for sha in merge_shas if sha in self.brought}
        innermost_first = sorted(brought, key=lambda sha: (len(brought[sha]), sha))
        self._load_targets({target for found in brought.values() for target in found})
        self._pass_labels_down(innermost_first, brought)
        self._credit_mergers(innermost_first, brought)
        self._label_from_brought_in(innermost_first, brought)

    def _load_targets(self, shas: set[str]) -> None:
        """Drafts of brought-in commits that were not attributed in this run, from their stored rows."""
        missing = sorted(sha for sha in shas if sha not in self.drafts and sha not in self.stored)
        for start in range(0, len(missing), LOOKUP_BATCH):
            batch = missing[start : start + LOOKUP_BATCH]
            query = f"{STORED_ROWS} AND sha IN ({', '.join('?' * len(batch))})"
            self.stored.update((row[0], row[1:9]) for row in self.store.db.execute(query, [self.repo.id, *batch]))
        for sha in shas:
            if sha in self.drafts or sha not in self.stored:
                continue
            values = self.stored[sha]
            cls, tool, model, confidence, evidence, author, credited, excluded = values
            items = [Evidence.from_json(item) for item in json.loads(evidence)]
            decision = Decision(cls, tool, model, confidence)
            draft = Draft(sha, sha in self.merge_shas, items, decision, author, credited, excluded, changed=False)
            draft.stored = values
            self.drafts[sha] = draft

    def _pass_labels_down(self, innermost_first: list[str], brought: dict[str, tuple[str, ...]]) -> None:
        for merge_sha in innermost_first:
            merge = self.drafts[merge_sha]
            if not has_own_label(merge.evidence) or merge.decision.cls == BOT:
                continue  # a bot that merged says nothing about who wrote the commits
            inherited = [dataclasses.replace(item, via=merge_sha) for item in merge.evidence if not item.via]
            for sha in brought[merge_sha]:
                target = self.drafts.get(sha)
                if target is None or has_label(target.evidence):
                    continue
                target.evidence = inherited  # it had derived evidence only: a default or a roll-up
                target.decision = merge.decision
                target.changed = True

    def _credit_mergers(self, innermost_first: list[str], brought: dict[str, tuple[str, ...]]) -> None:
        for merge_sha in innermost_first:
            merger = self.drafts[merge_sha].merge_author
            if merger is None:
                continue
            for sha in brought[merge_sha]:
                target = self.drafts.get(sha)
                if target is not None and target.decision.cls == AI_AUTHORED and target.credited_to is None:
                    target.credited_to = merger
                    target.changed = True

    def _label_from_brought_in(self, innermost_first: list[str], brought: dict[str, tuple[str, ...]]) -> None:
        for merge_sha in innermost_first:
            merge = self.drafts[merge_sha]
            if has_label(merge.evidence):
                continue
            commits = [
                self.drafts[sha] for sha in brought[merge_sha] if sha in self.drafts and not self.drafts[sha].is_merge
            ]
            rolled = _rolled_up(commits)
            if rolled is not None:
                merge.decision, item = rolled
                merge.evidence = [item]
                merge.changed = True


def _rolled_up(commits: list[Draft]) -> tuple[Decision, Evidence] | None:
    if not commits:
        return None
    for cls in (AI_AUTHORED, AI_ASSISTED):
        labelled = [draft for draft in commits if draft.decision.cls == cls]
        if labelled:
            return _rollup_decision(cls, labelled, len(commits))
    if all(draft.decision.cls == BOT for draft in commits):
        return _rollup_decision(BOT, commits, len(commits))
    return None


def _rollup_decision(cls: str, labelled: list[Draft], total: int) -> tuple[Decision, Evidence]:
    tools: dict[str, int] = {}
    for draft in labelled:
        if draft.decision.tool:
            tools[draft.decision.tool] = tools.get(draft.decision.tool, 0) + 1
    tool = max(sorted(tools), key=lambda name: tools[name]) if tools else None
    confidence = max(draft.decision.confidence for draft in labelled)
    text = f"{len(labelled)} of {total} brought-in commits {cls}"
    return Decision(cls, tool, None, confidence), Evidence(
        "merge.brought-in", "brought_in", text, cls, tool, None, confidence
    )


# --- the analyzer ---------------------------------------------------------------------------------------


def repositories(store: Store) -> list[RepoInfo]:
    cursor = store.db.execute("SELECT id, identity, name, path, head_sha FROM repos ORDER BY id")
    return [RepoInfo(*row) for row in cursor]


def _row_hash(store: Store, settings: Settings, repo: RepoInfo, revs: frozenset[str]) -> str:
    """The rows' hash: the settings, the ignore-revs list and, when the repository has pull requests, what
    attribution reads of them (so a new or changed PR attributes the repository's commits again)."""
    row_hash = settings.row_hash(revs)
    if pull_requests.has_pull_requests(store, repo.id):
        return _digest([row_hash, pull_requests.pr_digest(store, repo.id)])
    return row_hash


def _repo_state(store: Store, repo: RepoInfo, row_hash: str) -> str:
    history = store.sync_state(repo.id, "git", "history")
    return _digest([row_hash, history])


def attribute(store: Store, settings: Settings, classifier: Classifier | None = None) -> tuple[int, list[str]]:
    """Bring every repository's attribution rows up to date; (rows written, repository states). A classifier
    made for `settings` may be passed in (compiling the rules is the costly part of making one)."""
    classifier = classifier or Classifier(settings, IdentityResolver(settings.identities))
    written = 0
    states = []
    for repo in repositories(store):
        revs = ignore_revs(store, repo, settings.exclusions.ignore_revs_file)
        row_hash = _row_hash(store, settings, repo, revs)
        state = _repo_state(store, repo, row_hash)
        states.append(state)
        before = store.sync_state(repo.id, SYNC_SOURCE, "commits") or {}
        if before.get("state") == state:
            continue
        history = _digest([store.sync_state(repo.id, "git", "history")])
        base = settings.base_hash(revs)
        work = RepoAttribution(store, settings, classifier, repo, row_hash, Exclusions(settings.exclusions, repo, revs))
        prs = pull_requests.read_pull_requests(store, repo.id)
        work.pr_evidence = pull_requests.passed_evidence(classifier.ruleset, prs)
        work.pr_mergers = pull_requests.mergers(prs)
        with store.transaction():
            # With pull requests, a rule can match through a PR's fields: attribute everything again.
            same_base = before.get("base") == base and before.get("history") == history and not prs
            if same_base and "rules" in before:
                written += work.run_rule_change(tuple(Rule(**rule) for rule in before["rules"]))
            else:
                written += work.run(everything=before.get("row_hash") != row_hash)
            rules = [dataclasses.asdict(rule) for rule in settings.rules]
            after = {"state": state, "row_hash": row_hash, "base": base, "history": history, "rules": rules}
            store.set_sync_state(repo.id, SYNC_SOURCE, "commits", after)
    return written, states


def is_current(store: Store, config: Config) -> bool:
    """Whether the stored rows, identities and metrics were made from these facts and this configuration
    (reads no git: an ignore-revs list not read yet at the scanned HEAD means not current)."""
    settings = Settings.of(config)
    states = []
    for repo in repositories(store):
        revs = cached_ignore_revs(store, repo, settings.exclusions.ignore_revs_file)
        if revs is None:
            return False
        state = _repo_state(store, repo, _row_hash(store, settings, repo, revs))
        if (store.sync_state(repo.id, SYNC_SOURCE, "commits") or {}).get("state") != state:
            return False
        states.append(state)
    return _published(store) == settings.publish_hash(states)


def analyze(store: Store, config: Config) -> int:
    settings = Settings.of(config)
    classifier = Classifier(settings, IdentityResolver(settings.identities))
    written, states = attribute(store, settings, classifier)
    digest = settings.publish_hash(states)
    if not written and _published(store) == digest:
        return 0
    with store.transaction():
        write_identities(store, settings, classifier)
        _mark_published(store, digest)
    return written + store.replace_metric_values([m.name for m in METRICS], digest, metric_rows(store, settings))


def _published(store: Store) -> str | None:
    row = store.db.execute(
        "SELECT state FROM sync_state WHERE source = ? AND category = 'published' ORDER BY repo_id LIMIT 1",
        [SYNC_SOURCE],
    ).fetchone()
    return None if row is None else str(json.loads(row[0]).get("digest"))


def _mark_published(store: Store, digest: str) -> None:
    for repo in repositories(store):
        store.set_sync_state(repo.id, SYNC_SOURCE, "published", {"digest": digest})


# --- identities -----------------------------------------------------------------------------------------


def write_identities(store: Store, settings: Settings, classifier: Classifier) -> int:
    """Rebuild `identities` and `identity_emails` from every stored author, committer and co-author."""
    book = IdentityBook(classifier.resolver)
    for column in ("author", "committer"):
        cursor = store.db.execute(
            f"SELECT {column}_name, {column}_email, max(committer_time) FROM commits GROUP BY 1, 2"  # noqa: S608
        )
        for name, email, when in cursor:
            book.observe(name, email, when, classifier.author_kind(name, email))
    cursor = store.db.execute("SELECT trailers, committer_time FROM commits WHERE trailers LIKE '%co-authored-by%'")
    for trailers, when in cursor:
        for key, value in json.loads(trailers):
            person = split_person(value) if key.lower() == "co-authored-by" else None
            if person is not None:
                book.observe(person[0], person[1], when, classifier.coauthor_kind(*person))
    identities = book.identities(TeamMatcher(settings.teams), settings.salt)
    conn = store.db.conn
    conn.execute("DELETE FROM identity_emails")
    conn.execute("DELETE FROM identities")
    conn.executemany(
        "INSERT INTO identities (key, display_name, kind, team, pseudonym) VALUES (?, ?, ?, ?, ?)",
        [(i.key, i.display_name, i.kind, i.team, i.pseudonym) for i in identities],
    )
    conn.executemany("INSERT INTO identity_emails (email, identity) VALUES (?, ?)", sorted(book.emails.items()))
    return len(identities)


# --- metrics --------------------------------------------------------------------------------------------

# Weeks are counted in SQL as integers and named in Python: date() on every row costs more than the rest of
# the query. Monday-based week numbers from an origin far enough back that the division never truncates a
# negative number: 1970-01-01 was a Thursday, so Monday 1969-12-29 starts week WEEK_ORIGIN.
WEEK_SECONDS = 7 * DAY_SECONDS
WEEK_ORIGIN = 100_000  # weeks before 1969-12-29: about 1,900 years
WEEK_NUMBER = f"(c.committer_time + {3 * DAY_SECONDS + WEEK_ORIGIN * WEEK_SECONDS}) / {WEEK_SECONDS}"
# One pass over the reachable non-merge commits for every scope: (repository, team and kind of the credited
# identity, the identity, week, exclusion, class) counts, grouped before the small joins; the organisation,
# repository and team figures and their people are sums and unions of these groups.
WEEKLY = f"""
    SELECT p.identity, t.team, t.kind, g.credited_to, g.week, g.excluded, g.class, g.commits FROM (
        SELECT a.repo_id, a.credited_to, {WEEK_NUMBER} AS week, coalesce(a.excluded, '') AS excluded, a.class,
            count(*) AS commits
        FROM attributions a
        JOIN commits c ON c.repo_id = a.repo_id AND c.sha = a.sha
        JOIN reachable r ON r.repo_id = a.repo_id AND r.sha = a.sha
        WHERE c.is_merge = 0
        GROUP BY a.repo_id, a.credited_to, week, excluded, a.class
    ) g
    JOIN repos p ON p.id = g.repo_id
    LEFT JOIN identities t ON t.key = g.credited_to
"""  # noqa: S608


@functools.lru_cache(maxsize=4096)
def week_name(number: int) -> str:
    """The ISO date of the Monday starting week `number` of WEEK_NUMBER."""
    monday = datetime.date(1969, 12, 29) + datetime.timedelta(weeks=number - WEEK_ORIGIN)
    return monday.isoformat()


SCOPE_KINDS = ("org", "repo", "team")


def _scope_ids(repo: str, team: str | None) -> Iterator[tuple[str, str]]:
    """The (scope kind, scope id) groups a commit of `repo` credited to a member of `team` counts in."""
    yield "org", "all"
    yield "repo", repo
    if team is not None:
        yield "team", team


def metric_rows(store: Store, settings: Settings) -> list[MetricValue]:
    """Weekly commits per class, AI share and exclusions, per organisation, repository and team; groups of
    fewer than `privacy.min_group_size` people (persons credited with a commit not excluded) are left out."""
    people: dict[tuple[str, str], set[str]] = {}
    weeks: dict[tuple[str, str, str], dict[str, int]] = {}
    for repo, team, kind, credited, week_number, excluded, cls, count in store.db.execute(WEEKLY):
        name = "excluded" if excluded else cls
        week = week_name(week_number)
        for scope_kind, scope_id in _scope_ids(repo, team):
            counts = weeks.setdefault((scope_kind, scope_id, week), {})
            counts[name] = counts.get(name, 0) + count
            if kind == "person" and not excluded:
                people.setdefault((scope_kind, scope_id), set()).add(credited)
    rows: list[MetricValue] = []
    for (scope_kind, scope_id, week), counts in sorted(
        weeks.items(), key=lambda item: (SCOPE_KINDS.index(item[0][0]), item[0][1], item[0][2])
    ):
        if len(people.get((scope_kind, scope_id), ())) >= settings.min_group_size:
            rows += _week_rows(scope_kind, scope_id, week, counts)
    return rows


def _week_rows(scope_kind: str, scope_id: str, week: str, counts: dict[str, int]) -> list[MetricValue]:
    rows = [
        MetricValue(metric, scope_kind, scope_id, week, "week", counts.get(cls, 0), counts.get(cls, 0))
        for cls, metric in CLASS_METRICS.items()
    ]
    rows.append(
        MetricValue(
            "attribution.excluded_commits",
            scope_kind,
            scope_id,
            week,
            "week",
            counts.get("excluded", 0),
            counts.get("excluded", 0),
        )
    )
    ai = counts.get(AI_AUTHORED, 0) + counts.get(AI_ASSISTED, 0)
    denominator = ai + counts.get(HUMAN, 0)
    if denominator:
        rows.append(
            MetricValue("attribution.ai_share", scope_kind, scope_id, week, "week", ai / denominator, denominator)
        )
    return rows
