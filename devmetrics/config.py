"""Configuration: TOML read into typed, frozen dataclasses (DESIGN §6).

Sources, first found wins and files are never merged: an explicit ``--config FILE``; ``devmetrics.toml``
in the folder; the ``[tool.devmetrics]`` table of ``pyproject.toml`` in the folder; else defaults.

The dataclasses below are the schema. Each key is a field whose metadata holds ``doc`` (one line, shown
by the README and ``devmetrics config``) and optional constraints ``min``, ``max``, ``choices`` and
``nonempty``; :func:`setting` writes that metadata for keys with a default, ``field(metadata=...)`` for
tables and required keys. A field typed as a dataclass is a TOML table, one typed
``tuple[SomeDataclass, ...]`` an array of tables; leaves are ``str``, ``int`` or ``bool``. A new section
is therefore one new field on :class:`Config`: loading, validation, error messages,
:func:`effective_values` and :func:`config_reference` follow from the types and metadata.

Every refusal is a one-line :class:`ConfigError` naming the file, the dotted key and, when it can be
found, the line. tomllib reports no positions, so :func:`_key_lines` maps dotted keys to lines itself.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeGuard, TypeVar, get_args, get_origin, get_type_hints

from devmetrics.errors import ConfigError

_T = TypeVar("_T")

# Field metadata keys: the whole convention other modules and the README generator rely on.
DOC = "doc"  # one-line description of the key (required on every field)
MIN = "min"  # smallest accepted integer
MAX = "max"  # largest accepted integer
CHOICES = "choices"  # tuple of accepted strings
NONEMPTY = "nonempty"  # True: the empty string is refused
INTERNAL = "internal"  # True: set by the loader, never read from a file
DATE = "date"  # True: a string holding an ISO date (YYYY-MM-DD); a TOML date is accepted too

DEFAULT_ORIGIN = "default"
DEFAULT_SOURCE = "defaults"
CONFIG_FILE = "devmetrics.toml"
PYPROJECT_FILE = "pyproject.toml"
PYPROJECT_TABLE = "tool.devmetrics"


def setting(
    default: _T,
    doc: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[str, ...] = (),
    nonempty: bool = False,
    is_date: bool = False,
) -> _T:
    """A key with a default, its one-line description and its constraints."""
    metadata: dict[str, object] = {DOC: doc}
    if is_date:
        metadata[DATE] = True
    if minimum is not None:
        metadata[MIN] = minimum
    if maximum is not None:
        metadata[MAX] = maximum
    if choices:
        metadata[CHOICES] = choices
    if nonempty:
        metadata[NONEMPTY] = True
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class ScanConfig:
    db: str = setting("devmetrics.db", "database file, relative to the current folder", nonempty=True)
    chunk_size: int = setting(
        2000,
        "commits read by one git process and written in one transaction",
        minimum=100,
        maximum=100_000,
    )
    workers: int = setting(0, "worker processes; 0 = one per CPU core", minimum=0)
    executor: str = setting(
        "process",
        "where chunks are analysed: local processes, local threads or a Dask cluster",
        choices=("process", "thread", "dask"),
    )
    dask_address: str = setting("", 'Dask scheduler address, needed when executor = "dask", e.g. "tcp://10.0.0.5:8786"')
    all_refs: bool = setting(False, "scan every branch and tag instead of HEAD's history")
    detect_renames: bool = setting(True, "follow files across renames when reading diffs")
    rename_threshold: int = setting(
        50,
        "similarity percent from which a deleted and an added file count as a rename",
        minimum=1,
        maximum=100,
    )
    clone_dir: str = setting(
        ".devmetrics-clones", "folder where repositories given as URLs are mirrored (bare)", nonempty=True
    )


@dataclass(frozen=True)
class ReportConfig:
    out: str = setting("devmetrics-report", "output folder of `devmetrics report`", nonempty=True)
    title: str = setting("devmetrics", "title shown on every report page")


@dataclass(frozen=True)
class PrivacyConfig:
    min_group_size: int = setting(5, "figures for groups smaller than this are hidden", minimum=1)
    pseudonymize: bool = setting(False, "replace people's names by stable pseudonyms in every output")


DEFAULT_EXCLUDES = (
    "vendor/**",
    "**/vendor/**",
    "third_party/**",
    "**/third_party/**",
    "node_modules/**",
    "**/node_modules/**",
    "**/*.min.js",
    "**/*.min.css",
    "**/*.generated.*",
    "**/*_pb2.py",
)


@dataclass(frozen=True)
class CodeConfig:
    snapshots: str = setting(
        "weekly",
        "history revisions measured besides HEAD: the last commit of every week or month, every commit "
        "(the newest code.history_commits of HEAD's first-parent chain), or HEAD only",
        choices=("weekly", "monthly", "commits", "head"),
    )
    history_weeks: int = setting(104, "how far back history snapshots go, in weeks; 0 = the whole history", minimum=0)
    history_commits: int = setting(
        500,
        "with snapshots = commits: how many of the newest first-parent commits are measured, HEAD included",
        minimum=1,
    )
    exclude: tuple[str, ...] = setting(DEFAULT_EXCLUDES, "glob patterns of paths never measured (** spans folders)")
    languages: tuple[str, ...] = setting(
        (), 'languages measured, e.g. ["python", "go"]; files of others are excluded; empty = every language'
    )
    max_file_bytes: int = setting(1 << 20, "larger files are skipped with a recorded reason", minimum=1024)
    hunks_days: int = setting(
        365, "days of history whose changed line ranges (hunks) are read for hotspots and churn", minimum=1
    )


@dataclass(frozen=True)
class DebtConfig:
    baseline_date: str = setting(
        "", "debt reduction is measured against the last snapshot on or before this date; empty = none", is_date=True
    )
    max_cyclomatic: int = setting(10, "a function with a higher cyclomatic complexity is a finding", minimum=1)
    cyclomatic_minutes: float = setting(5.0, "remediation minutes of a cyclomatic complexity finding", minimum=0)
    cyclomatic_minutes_per_point: float = setting(
        1.0, "extra minutes per cyclomatic point over max_cyclomatic", minimum=0
    )
    max_cognitive: int = setting(15, "a function with a higher cognitive complexity is a finding", minimum=1)
    cognitive_minutes: float = setting(5.0, "remediation minutes of a cognitive complexity finding", minimum=0)
    cognitive_minutes_per_point: float = setting(1.0, "extra minutes per cognitive point over max_cognitive", minimum=0)
    max_function_lines: int = setting(60, "a longer function (lines from start to end) is a finding", minimum=1)
    long_function_minutes: float = setting(20.0, "remediation minutes of a long function", minimum=0)
    max_nesting: int = setting(4, "a function nesting control structures deeper than this is a finding", minimum=1)
    nesting_minutes: float = setting(10.0, "remediation minutes of a deep nesting finding", minimum=0)
    nesting_minutes_per_level: float = setting(5.0, "extra minutes per nesting level over max_nesting", minimum=0)
    max_parameters: int = setting(5, "a function with more parameters is a finding", minimum=0)
    parameters_minutes: float = setting(15.0, "remediation minutes of a too-many-parameters finding", minimum=0)
    min_maintainability: float = setting(
        10.0,
        "a file with a lower maintainability index (radon, Python only; below 10 is rank C) is a finding",
        minimum=0,
    )
    maintainability_minutes: float = setting(30.0, "remediation minutes of a low-maintainability file", minimum=0)
    markers: tuple[str, ...] = setting(("TODO", "FIXME", "HACK", "XXX"), "debt marker comments that are findings")
    marker_minutes: float = setting(10.0, "remediation minutes of a debt marker other than TODO", minimum=0)
    todo_minutes: float = setting(5.0, "remediation minutes of a TODO marker", minimum=0)
    duplication_minutes: float = setting(
        10.0, "remediation minutes of a duplicated block (10 or more code lines)", minimum=0
    )
    duplication_minutes_per_line: float = setting(
        1.0, "extra minutes per duplicated code line beyond the first 10 of a block", minimum=0
    )
    line_cost_minutes: float = setting(
        30.0, "minutes to develop one code line: the debt ratio's denominator (SonarQube: 30)", minimum=0.001
    )
    rating_a: float = setting(0.05, "highest debt ratio rated A (SonarQube: 0.05)", minimum=0)
    rating_b: float = setting(0.10, "highest debt ratio rated B (SonarQube: 0.1)", minimum=0)
    rating_c: float = setting(0.20, "highest debt ratio rated C (SonarQube: 0.2)", minimum=0)
    rating_d: float = setting(0.50, "highest debt ratio rated D; above is E (SonarQube: 0.5)", minimum=0)


@dataclass(frozen=True)
class HotspotsConfig:
    window_days: int = setting(90, "days of history, back from the newest commit, that hotspots count", minimum=1)
    min_revisions: int = setting(
        5, "change coupling: least average revisions of the two files (code-maat: 5)", minimum=1
    )
    min_shared_revisions: int = setting(
        5, "change coupling: least commits changing both files (code-maat: 5)", minimum=1
    )
    min_coupling: int = setting(30, "change coupling: least degree in percent (code-maat: 30)", minimum=0, maximum=100)
    max_changeset_files: int = setting(
        30, "change coupling: commits changing more files are ignored (code-maat: 30)", minimum=2
    )


@dataclass(frozen=True)
class RepoConfig:
    path: str = field(metadata={DOC: "local path or URL of the repository", NONEMPTY: True})
    name: str = setting("", "display name; empty = derived from the origin URL or the folder name")


@dataclass(frozen=True)
class ThroughputConfig:
    baseline_start: str = setting(
        "", "first day of the pre-adoption baseline of the multiplier; empty = none (no multiplier)", is_date=True
    )
    baseline_end: str = setting("", "last day of the pre-adoption baseline (inclusive)", is_date=True)
    window_weeks: int = setting(
        12, "weeks compared with the baseline: the most recent complete weeks with data", minimum=1, maximum=520
    )
    min_developers: int = setting(
        5, "fewer developers in a period than this and a ratio says 'insufficient data'", minimum=2
    )
    bootstrap_samples: int = setting(
        2000, "resamples of developers behind every 95% interval", minimum=200, maximum=100_000
    )
    seed: int = setting(0, "seed of the resampling: the same data and seed give the same intervals", minimum=0)


@dataclass(frozen=True)
class ReviewsConfig:
    window_weeks: int = setting(
        12, "weeks of the headline window: the last weeks up to the newest merge or commit", minimum=1, maximum=520
    )
    reading_lines_per_hour: int = setting(
        500,
        "an approval without comments sooner after the PR was ready than its changed lines at this reading "
        "rate is a rubber stamp",
        minimum=1,
    )
    large_diff_lines: int = setting(
        1000, "an approval without comments of a PR changing more lines than this is a rubber stamp", minimum=1
    )
    trailers: tuple[str, ...] = setting(
        ("Reviewed-by", "Acked-by", "Reviewed-on"),
        "commit trailers that are review evidence in git alone (keys compared without case)",
    )


ATTRIBUTION_CLASSES = ("ai-authored", "ai-assisted", "bot", "human")


@dataclass(frozen=True)
class AttributionRuleConfig:
    id: str = field(metadata={DOC: "rule id; the id of a built-in rule replaces that rule", NONEMPTY: True})
    field: str = field(
        metadata={
            DOC: "what the pattern reads: author, author_email, committer, committer_email, subject, body, branch, "
            "label, pr_body or trailer:<key>",
            NONEMPTY: True,
        }
    )
    # `field` above is now this class's key, so the factory is named in full below.
    pattern: str = dataclasses.field(
        metadata={DOC: "regular expression, case-insensitive; groups tool and model name them", NONEMPTY: True}
    )
    classification: str = dataclasses.field(metadata={DOC: "the class a match gives", CHOICES: ATTRIBUTION_CLASSES})
    tool: str = setting("", "tool id a match gives; empty = from the pattern's tool group or the matched text")
    confidence: float = setting(0.9, "how sure a match is; the strongest evidence decides", minimum=0, maximum=1)


@dataclass(frozen=True)
class AttributionConfig:
    disable: tuple[str, ...] = setting((), "ids of built-in rules to switch off (`devmetrics attribution --rules`)")
    rules: tuple[AttributionRuleConfig, ...] = setting((), "rules added, or replacing built-in ones of the same id")
    ai_era_start: str = setting(
        "2021-06-29",
        "commits committed before this date count as human with high confidence (AI tools did not exist)",
        is_date=True,
    )
    merge_limit: int = setting(
        500, "a merge bringing in more commits than this passes no label down (not a pull request)", minimum=1
    )


@dataclass(frozen=True)
class IdentityAliasConfig:
    emails: tuple[str, ...] = field(metadata={DOC: "e-mails of one person; the first one is the identity's key"})
    name: str = setting("", "display name; empty = the latest author name seen")


@dataclass(frozen=True)
class IdentitiesConfig:
    aliases: tuple[IdentityAliasConfig, ...] = setting(
        (), "e-mails that are one person, one [[identities.aliases]] each"
    )
    pseudonym_salt: str = setting(
        "", "salt of pseudonyms (keep it private; DEVMETRICS_PSEUDONYM_SALT in the environment wins)"
    )


@dataclass(frozen=True)
class TeamConfig:
    name: str = field(metadata={DOC: "team name", NONEMPTY: True})
    members: tuple[str, ...] = field(metadata={DOC: "e-mails or globs such as *@payments.example.com"})


@dataclass(frozen=True)
class ExclusionsConfig:
    ignore_revs_file: str = setting(
        ".git-blame-ignore-revs", "file in each repository listing commits to leave out; empty = none"
    )
    authors: tuple[str, ...] = setting((), "author e-mails or globs whose commits are left out")
    paths: tuple[str, ...] = setting((), "path globs; a commit changing only such paths is left out")
    repositories: tuple[str, ...] = setting((), "repository names, identities or globs left out")
    mass_change_lines: int = setting(
        5000, "a commit changing more lines is a mass change, left out; 0 = no limit", minimum=0
    )
    mass_change_files: int = setting(
        500, "a commit changing more files is a mass change, left out; 0 = no limit", minimum=0
    )


AI_TRAILER_POLICIES = ("require", "suggest", "auto", "off")


@dataclass(frozen=True)
class HooksConfig:
    debt_budget_minutes: float = setting(
        15.0,
        "debt gate: a commit may add at most this many debt minutes to one file (a ratchet; thresholds: [debt])",
        minimum=0,
    )
    ai_trailer: str = setting(
        "suggest",
        "AI-Assisted trailer policy: require (commit-msg fails without one), suggest (a commented hint), "
        "auto (detected agents and DEVMETRICS_AI_TOOL write it), off",
        choices=AI_TRAILER_POLICIES,
    )
    fail_on: str = setting(
        "worse",
        "`devmetrics ci-gate`: exit 1 when a function got worse past a threshold, or never",
        choices=("worse", "never"),
    )


@dataclass(frozen=True)
class GitHubConfig:
    api_url: str = setting(
        "https://api.github.com",
        "REST API root (GitHub Enterprise: https://HOST/api/v3); GITHUB_API_URL in the environment wins",
        nonempty=True,
    )
    server_url: str = setting(
        "https://github.com",
        "web address whose clones are collected from api_url; GITHUB_SERVER_URL in the environment wins",
        nonempty=True,
    )
    orgs: tuple[str, ...] = setting((), "organisations or users whose repositories are all collected")
    repos: tuple[str, ...] = setting((), 'repositories collected, "owner/name", whether cloned or not')


@dataclass(frozen=True)
class GitLabConfig:
    url: str = setting("https://gitlab.com", "GitLab address (self-managed: https://HOST)", nonempty=True)
    groups: tuple[str, ...] = setting((), "groups (full paths) whose projects, subgroups included, are collected")
    projects: tuple[str, ...] = setting((), 'projects collected, "group/name", whether cloned or not')


@dataclass(frozen=True)
class HostsConfig:
    overlap_minutes: int = setting(
        60, "an incremental pass re-reads pull requests updated this long before the stored watermark", minimum=0
    )
    concurrency: int = setting(4, "pull requests whose details are fetched at the same time", minimum=1, maximum=16)
    timeout_seconds: int = setting(30, "timeout of every HTTP request", minimum=1, maximum=600)
    retries: int = setting(
        5, "attempts of one request after server errors, timeouts, dropped connections or rate limits", minimum=1
    )


@dataclass(frozen=True)
class TargetGoalConfig:
    metric: str = field(
        metadata={DOC: "the metric the goal is about, as `devmetrics metrics` names it", NONEMPTY: True}
    )
    goal: float = field(metadata={DOC: "the value to reach"})
    by: str = setting("", "the date to reach it by; empty = no date (on track when the trend gets there)", is_date=True)
    direction: str = setting(
        "metric", "which way is better; metric = the metric's own direction", choices=("metric", "higher", "lower")
    )
    scope: str = setting("org", 'whose figure: "org", "repo:<name or identity>" or "team:<name>"', nonempty=True)
    name: str = setting("", "what the goal is called; empty = the metric's title")


@dataclass(frozen=True)
class TargetsConfig:
    baseline_date: str = setting(
        "",
        "the baseline: a goal's starting value is its metric's last period on or before this date; "
        "empty = the first period with a value",
        is_date=True,
    )
    trend_periods: int = setting(
        8, "the trend is a least-squares line over this many latest periods of the metric", minimum=2, maximum=520
    )
    trend_period: str = setting("week", "the periods the trend reads", choices=("week", "month"))
    productivity_multiplier: float = setting(
        0.0, "goal of throughput.multiplier (e.g. 10 for 10x); 0 = no such target", minimum=0
    )
    productivity_multiplier_by: str = setting("", "date to reach the multiplier goal by", is_date=True)
    debt_reduction: float = setting(0.0, "goal of debt.reduction (0.5 = density halved); 0 = no such target")
    debt_reduction_by: str = setting("", "date to reach the debt reduction goal by", is_date=True)
    review_coverage: float = setting(
        0.0, "goal of reviews.coverage (share of merged PRs reviewed); 0 = no such target", minimum=0, maximum=1
    )
    review_coverage_by: str = setting("", "date to reach the review coverage goal by", is_date=True)
    goals: tuple[TargetGoalConfig, ...] = setting((), "goals on any other metric, one [[targets.goals]] table each")


def _no_origins() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Config:
    scan: ScanConfig = field(default_factory=ScanConfig, metadata={DOC: "how `devmetrics scan` reads repositories"})
    report: ReportConfig = field(default_factory=ReportConfig, metadata={DOC: "the HTML report"})
    privacy: PrivacyConfig = field(
        default_factory=PrivacyConfig, metadata={DOC: "what outputs may reveal about people"}
    )
    code: CodeConfig = field(
        default_factory=CodeConfig, metadata={DOC: "code metrics over history (`scan --only code`)"}
    )
    debt: DebtConfig = field(
        default_factory=DebtConfig, metadata={DOC: "the technical debt model: findings, minutes, rating grid"}
    )
    hotspots: HotspotsConfig = field(
        default_factory=HotspotsConfig, metadata={DOC: "hotspots, ownership and change coupling"}
    )
    repos: tuple[RepoConfig, ...] = setting((), "repositories to scan, one [[repos]] table each")
    source: str = field(
        default=DEFAULT_SOURCE,
        metadata={INTERNAL: True, DOC: 'the file the configuration was read from, or "defaults"'},
    )
    # Provenance, not configuration: excluded from equality and hashing (a read-only mapping has no hash).
    origins: Mapping[str, str] = field(
        default_factory=_no_origins,
        compare=False,
        repr=False,
        metadata={INTERNAL: True, DOC: 'dotted key -> "default" or "<file>:<line>"'},
    )
    throughput: ThroughputConfig = field(
        default_factory=ThroughputConfig,
        metadata={DOC: "throughput and the productivity multiplier (`devmetrics throughput`)"},
    )
    attribution: AttributionConfig = field(
        default_factory=AttributionConfig, metadata={DOC: "AI attribution rules (`devmetrics attribution`)"}
    )
    identities: IdentitiesConfig = field(
        default_factory=IdentitiesConfig, metadata={DOC: "who is who: e-mail aliases and pseudonyms"}
    )
    teams: tuple[TeamConfig, ...] = setting((), "teams, one [[teams]] table each; figures per team")
    exclusions: ExclusionsConfig = field(
        default_factory=ExclusionsConfig, metadata={DOC: "commits left out of throughput and debt baselines, counted"}
    )
    reviews: ReviewsConfig = field(
        default_factory=ReviewsConfig, metadata={DOC: "review quality metrics (`devmetrics reviews`)"}
    )
    hooks: HooksConfig = field(
        default_factory=HooksConfig, metadata={DOC: "pre-commit hooks and the CI gate (`devmetrics ci-gate`)"}
    )
    github: GitHubConfig = field(
        default_factory=GitHubConfig, metadata={DOC: "GitHub pull requests (`scan` stage hosts); token: GITHUB_TOKEN"}
    )
    gitlab: GitLabConfig = field(
        default_factory=GitLabConfig, metadata={DOC: "GitLab merge requests (`scan` stage hosts); token: GITLAB_TOKEN"}
    )
    hosts: HostsConfig = field(
        default_factory=HostsConfig, metadata={DOC: "how code hosts are read: overlap, concurrency, retries"}
    )
    targets: TargetsConfig = field(
        default_factory=TargetsConfig,
        metadata={DOC: "the organisation's goals and their progress (`devmetrics targets`)"},
    )


# ----------------------------------------------------------------------------------------- public API


def load_config(path: Path | None = None, *, cwd: Path | None = None) -> Config:
    """Read the configuration from ``path``, else from ``cwd`` (default: the current folder)."""
    found = _explicit_file(path) if path is not None else _discovered_file(cwd if cwd is not None else Path())
    if found is None:
        return _with_provenance(Config(), DEFAULT_SOURCE, {})
    text = _read_text(found)
    document = _parse_toml(text, found.shown)
    reading = _Reading(found.shown, PYPROJECT_TABLE if found.is_pyproject else "", _key_lines(text))
    table = _pyproject_table(document, reading, found.explicit) if found.is_pyproject else document
    if table is None:
        return _with_provenance(Config(), DEFAULT_SOURCE, {})
    config = _read_table(Config, table, "", reading)
    return _with_provenance(config, found.shown, reading.origins)


def effective_values(config: Config) -> list[tuple[str, str, str, str]]:
    """(dotted key, value as a TOML literal, origin, doc) for every leaf key, defaults included."""
    return [
        (key, _literal(value), config.origins.get(key, DEFAULT_ORIGIN), _documentation(spec))
        for key, value, spec in _leaves(config, "")
    ]


def config_reference() -> list[tuple[str, str, str]]:
    """(dotted key, default as a TOML literal, doc) for every key of the schema.

    Entries of an array of tables appear as ``repos[].path``; a key without default shows ``(required)``.
    """
    return list(_reference(Config, ""))


# ----------------------------------------------------------------------------------------- schema walk


def _settings(cls: type[Any]) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(spec for spec in dataclasses.fields(cls) if not spec.metadata.get(INTERNAL))


def _is_table(hint: object) -> TypeGuard[type[Any]]:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _table_array_entry(hint: object) -> type[Any] | None:
    """The dataclass of a ``tuple[Dataclass, ...]`` hint (a TOML array of tables), else None."""
    if get_origin(hint) is not tuple:
        return None
    arguments = get_args(hint)
    if len(arguments) == 2 and arguments[1] is Ellipsis and _is_table(arguments[0]):
        return arguments[0]
    return None


def _is_required(spec: dataclasses.Field[Any]) -> bool:
    return spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING


def _default_literal(spec: dataclasses.Field[Any]) -> str:
    if spec.default is not dataclasses.MISSING:
        return _literal(spec.default)
    if spec.default_factory is not dataclasses.MISSING:
        return _literal(spec.default_factory())
    return "(required)"


def _leaves(instance: object, key: str) -> Iterator[tuple[str, object, dataclasses.Field[Any]]]:
    cls = type(instance)
    for spec in _settings(cls):
        hint = get_type_hints(cls)[spec.name]
        value = getattr(instance, spec.name)
        child = _join(key, spec.name)
        if _is_table(hint):
            yield from _leaves(value, child)
        elif _table_array_entry(hint) is not None and value:
            for index, entry in enumerate(value):
                yield from _leaves(entry, f"{child}[{index}]")
        else:
            yield child, value, spec


def _reference(cls: type[Any], key: str) -> Iterator[tuple[str, str, str]]:
    for spec in _settings(cls):
        hint = get_type_hints(cls)[spec.name]
        child = _join(key, spec.name)
        if _is_table(hint):
            yield from _reference(hint, child)
            continue
        yield child, _default_literal(spec), _documentation(spec)
        entry = _table_array_entry(hint)
        if entry is not None:
            yield from _reference(entry, f"{child}[]")


def _documentation(spec: dataclasses.Field[Any]) -> str:
    """The field's doc, followed by its constraints so that users read the accepted values too."""
    doc = spec.metadata.get(DOC)
    if not isinstance(doc, str) or not doc:
        raise TypeError(f"config field {spec.name!r} lacks metadata[{DOC!r}]")
    accepted = _accepted_values(spec.metadata)
    return f"{doc} ({accepted})" if accepted else doc


def _accepted_values(metadata: Mapping[str, Any]) -> str:
    if CHOICES in metadata:
        return "one of " + ", ".join(metadata[CHOICES])
    return _range_text(metadata.get(MIN), metadata.get(MAX))


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return ""


# ----------------------------------------------------------------------------------------- files


@dataclass(frozen=True)
class _FoundFile:
    path: Path
    shown: str  # how messages and origins name it
    is_pyproject: bool
    explicit: bool


def _explicit_file(path: Path) -> _FoundFile:
    return _FoundFile(path, str(path), path.name == PYPROJECT_FILE, explicit=True)


def _discovered_file(folder: Path) -> _FoundFile | None:
    for name in (CONFIG_FILE, PYPROJECT_FILE):
        candidate = folder / name
        if candidate.is_file():
            return _FoundFile(candidate, str(candidate), name == PYPROJECT_FILE, explicit=False)
    return None


def _read_text(found: _FoundFile) -> str:
    advice = "check the --config path" if found.explicit else "check its permissions"
    if found.path.is_dir():
        raise ConfigError(f"{found.shown}: is a folder, not a config file; {advice}")
    try:
        data = found.path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"{found.shown}: config file not found; {advice}") from None
    except OSError as error:
        problem = f"config file cannot be read ({error.strerror})"
        raise ConfigError(f"{found.shown}: {problem}; {advice}") from error
    return _decode(data, found.shown)


def _decode(data: bytes, shown: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise ConfigError(
            f"{shown}: not UTF-8 text (byte 0x{data[error.start]:02x} at line {line}, column {column}); "
            "save the file as UTF-8"
        ) from error
    # Editors on Windows may start the file with a byte-order mark, which tomllib refuses.
    return text.removeprefix("\ufeff")


def _parse_toml(text: str, shown: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{shown}: invalid TOML ({error}); fix the file") from error


def _pyproject_table(document: dict[str, Any], reading: _Reading, explicit: bool) -> dict[str, Any] | None:
    tool = document.get("tool")
    if not isinstance(tool, dict) or "devmetrics" not in tool:
        if explicit:
            raise ConfigError(f"{reading.shown}: no [{PYPROJECT_TABLE}] table; add one or check the --config path")
        return None
    table = tool["devmetrics"]
    if not isinstance(table, dict):
        raise _refuse(reading, "", f"must be a table, not {_describe(table)}")
    return table


def _with_provenance(config: Config, source: str, recorded: Mapping[str, str]) -> Config:
    origins = {key: recorded.get(key, DEFAULT_ORIGIN) for key, _value, _spec in _leaves(config, "")}
    return dataclasses.replace(config, source=source, origins=MappingProxyType(origins))


# ----------------------------------------------------------------------------------------- reading values


@dataclass
class _Reading:
    """One file being read: its name in messages, where its keys are, and where each value came from."""

    shown: str
    root: str  # dotted key of devmetrics' table inside the file: "" or "tool.devmetrics"
    lines: Mapping[str, int]  # dotted key as written in the file -> line
    origins: dict[str, str] = field(default_factory=dict)  # schema key -> "<file>:<line>"

    def file_key(self, key: str) -> str:
        """The schema key as the file spells it (``tool.devmetrics.scan.db`` in pyproject.toml)."""
        if self.root and key:
            return f"{self.root}.{key}"
        return self.root or key

    def where(self, key: str) -> str:
        """``file:line`` of the schema key, or of its nearest parent written in the file; else ``file``."""
        line = _line_of(self.lines, self.file_key(key))
        return f"{self.shown}:{line}" if line is not None else self.shown


def _refuse(reading: _Reading, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{reading.where(key)}: {reading.file_key(key)} {problem}")


def _read_table(cls: type[_T], table: Mapping[str, object], key: str, reading: _Reading) -> _T:
    settings = _settings(cls)
    _refuse_unknown_keys(table, [spec.name for spec in settings], key, reading)
    hints = get_type_hints(cls)
    values: dict[str, object] = {}
    for spec in settings:
        child = _join(key, spec.name)
        if spec.name in table:
            values[spec.name] = _read_value(hints[spec.name], spec, table[spec.name], child, reading)
        elif _is_required(spec):
            raise _refuse(reading, child, "is required")
    return cls(**values)


def _refuse_unknown_keys(table: Mapping[str, object], names: list[str], key: str, reading: _Reading) -> None:
    for name in table:
        if name not in names:
            unknown = reading.file_key(_join(key, name))
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {reading.file_key(_join(key, close[0]))}?" if close else ""
            raise ConfigError(f"{reading.where(_join(key, name))}: unknown key {unknown}{hint}")


def _read_value(hint: object, spec: dataclasses.Field[Any], value: object, key: str, reading: _Reading) -> object:
    if _is_table(hint):
        return _read_table(hint, _expect_table(value, key, reading), key, reading)
    entry = _table_array_entry(hint)
    if entry is not None:
        return _read_table_array(entry, value, key, reading)
    if _is_string_list(hint):
        checked: object = _read_string_list(value, key, reading)
    else:
        checked = _read_scalar(hint, spec, value, key, reading)
    reading.origins[key] = reading.where(key)
    return checked


def _is_string_list(hint: object) -> bool:
    return get_origin(hint) is tuple and get_args(hint) == (str, Ellipsis)


def _read_string_list(value: object, key: str, reading: _Reading) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _refuse(reading, key, f"must be an array of strings, not {_describe(value)}")
    return tuple(value)


def _expect_table(value: object, key: str, reading: _Reading) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _refuse(reading, key, f"must be a table, not {_describe(value)}")
    return value


def _read_table_array(entry: type[Any], value: object, key: str, reading: _Reading) -> tuple[Any, ...]:
    if not isinstance(value, list):
        expected = f"an array of tables ([[{reading.file_key(key)}]])"
        raise _refuse(reading, key, f"must be {expected}, not {_describe(value)}")
    reading.origins[key] = reading.where(key)
    return tuple(
        _read_table(entry, _expect_table(item, f"{key}[{index}]", reading), f"{key}[{index}]", reading)
        for index, item in enumerate(value)
    )


_EXPECTED: dict[type[Any], str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean (true or false)",
}


def _read_scalar(kind: object, spec: dataclasses.Field[Any], value: object, key: str, reading: _Reading) -> object:
    if not isinstance(kind, type) or kind not in _EXPECTED:
        raise TypeError(f"config field {spec.name!r} has unsupported type {kind!r}")
    if spec.metadata.get(DATE):
        value = _iso_date(value, key, reading)
    if not _has_kind(value, kind):
        raise _refuse(reading, key, f"must be {_EXPECTED[kind]}, not {_describe(value)}")
    if kind is float:
        value = float(value)  # type: ignore[arg-type]  # an integer is a fine number
    problem = _constraint_problem(spec.metadata, value)
    if problem:
        raise _refuse(reading, key, problem)
    return value


def _has_kind(value: object, kind: type[Any]) -> bool:
    # bool is a subclass of int: `1` is no boolean and `true` no integer; an integer is a fine float.
    accepted = (int, float) if kind is float else kind
    return isinstance(value, accepted) and isinstance(value, bool) == (kind is bool)


def _iso_date(value: object, key: str, reading: _Reading) -> object:
    """A TOML date or a "YYYY-MM-DD" string, as the string; the empty string means "not set"."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str) and value:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise _refuse(reading, key, f"must be a date like 2026-01-31, not {_describe(value)}") from None
    return value


def _constraint_problem(metadata: Mapping[str, Any], value: object) -> str:
    choices = metadata.get(CHOICES)
    if choices is not None and value not in choices:
        return f"must be one of {', '.join(choices)}, not {_literal(value)}"
    if metadata.get(NONEMPTY) and value == "":
        return "must not be empty"
    low, high = metadata.get(MIN), metadata.get(MAX)
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and ((low is not None and value < low) or (high is not None and value > high))
    ):
        return f"must be {_range_text(low, high)}, not {value}"
    return ""


# ----------------------------------------------------------------------------------------- TOML text

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHOWN_STRING_LENGTH = 40


def _join(key: str, name: str) -> str:
    """Append one key segment, quoted as TOML needs it."""
    segment = name if _BARE_KEY.fullmatch(name) else _literal(name)
    return f"{key}.{segment}" if key else segment


def _literal(value: object) -> str:
    """The value as a TOML literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(_escaped(char) for char in value) + '"'
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    raise TypeError(f"no TOML literal for {value!r}")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char < " " or char == "\x7f":
        return f"\\u{ord(char):04X}"
    return char


def _describe(value: object) -> str:
    """How a refused value is named in a message: its TOML type, then the value itself."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return f"boolean {_literal(value)}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value}"
    if isinstance(value, str):
        shortened = value if len(value) <= _SHOWN_STRING_LENGTH else value[:_SHOWN_STRING_LENGTH] + "..."
        return f"string {_literal(shortened)}"
    if isinstance(value, datetime.datetime):
        return f"date-time {value.isoformat()}"
    if isinstance(value, datetime.date):
        return f"date {value.isoformat()}"
    if isinstance(value, datetime.time):
        return f"time {value.isoformat()}"
    return type(value).__name__


# ----------------------------------------------------------------------------------------- key lines


def _line_of(lines: Mapping[str, int], key: str) -> int | None:
    while key:
        if key in lines:
            return lines[key]
        key = _parent(key)
    return None


def _parent(key: str) -> str:
    """``repos[1].path`` -> ``repos[1]`` -> ``repos`` -> ``""``."""
    return key[: key.rindex("[")] if key.endswith("]") else key.rpartition(".")[0]


@dataclass(frozen=True)
class _Open:
    """What is still open at the end of a line: a multi-line string's quote, brackets of arrays/tables."""

    quote: str = ""
    depth: int = 0

    @property
    def continues(self) -> bool:
        return bool(self.quote) or self.depth > 0


def _key_lines(text: str) -> dict[str, int]:
    """Map every dotted key of a valid TOML text (``repos[1].path``, tables too) to its first line.

    Keys inside inline tables are not mapped; callers fall back to the line of the nearest parent.
    """
    lines: dict[str, int] = {}
    arrays: dict[str, int] = {}  # array-of-tables key -> index of its latest entry
    table = ""
    still_open = _Open()
    # Not splitlines(): TOML ends lines only at "\n", while U+2028 and friends may sit inside strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if still_open.continues:
            still_open = _scan_value(line, still_open)
            continue
        stripped = line.lstrip(" \t")
        if stripped.startswith("["):
            table = _enter_header(stripped, arrays, lines, number) or table
        elif stripped and not stripped.startswith("#"):
            still_open = _record_key_value(stripped, table, lines, number)
    return lines


def _enter_header(line: str, arrays: dict[str, int], lines: dict[str, int], number: int) -> str | None:
    """Record a ``[table]`` or ``[[array]]`` header; return the dotted key of the table it opens."""
    is_array = line.startswith("[[")
    parsed = _parse_key(line, 2 if is_array else 1)
    if parsed is None:
        return None
    segments, _end = parsed
    if is_array:
        array = _join(_resolve(segments[:-1], arrays), segments[-1])
        arrays[array] = arrays.get(array, -1) + 1
        lines.setdefault(array, number)
        table = f"{array}[{arrays[array]}]"
    else:
        table = _resolve(segments, arrays)
    _remember_with_parents(lines, table, number)
    return table


def _resolve(segments: list[str], arrays: Mapping[str, int]) -> str:
    """Dotted key of a header path, where a name of an array of tables means its latest entry."""
    key = ""
    for segment in segments:
        key = _join(key, segment)
        if key in arrays:
            key = f"{key}[{arrays[key]}]"
    return key


def _remember_with_parents(lines: dict[str, int], key: str, number: int) -> None:
    while key and key not in lines:
        lines[key] = number
        key = _parent(key)


def _record_key_value(line: str, table: str, lines: dict[str, int], number: int) -> _Open:
    parsed = _parse_key(line, 0)
    if parsed is None:
        return _Open()
    segments, end = parsed
    key = table
    for segment in segments:
        key = _join(key, segment)
        lines.setdefault(key, number)
    value = line[end:].lstrip(" \t").removeprefix("=")
    return _scan_value(value, _Open())


def _parse_key(line: str, position: int) -> tuple[list[str], int] | None:
    """The segments of the dotted key starting at ``position``, and where it ends."""
    segments: list[str] = []
    while True:
        position = _skip_blanks(line, position)
        parsed = _key_segment(line, position)
        if parsed is None:
            return None
        segment, position = parsed
        segments.append(segment)
        position = _skip_blanks(line, position)
        if not line.startswith(".", position):
            return segments, position
        position += 1


def _skip_blanks(line: str, position: int) -> int:
    while position < len(line) and line[position] in " \t":
        position += 1
    return position


def _key_segment(line: str, position: int) -> tuple[str, int] | None:
    if line.startswith("'", position):
        end = line.find("'", position + 1)
        return (line[position + 1 : end], end + 1) if end > 0 else None
    if line.startswith('"', position):
        closed = _basic_string_end(line, position + 1)
        if closed is None:
            return None
        # A quoted key is a TOML basic string: let tomllib undo its escapes.
        name = tomllib.loads(f"key = {line[position:closed]}")["key"]
        return (name, closed) if isinstance(name, str) else None
    bare = _BARE_KEY.match(line, position)
    return (bare.group(), bare.end()) if bare else None


def _basic_string_end(line: str, position: int) -> int | None:
    """Position just after the closing quote of a one-line basic string whose content starts at position."""
    while position < len(line):
        if line[position] == "\\":
            position += 2
        elif line[position] == '"':
            return position + 1
        else:
            position += 1
    return None


def _scan_value(text: str, still_open: _Open) -> _Open:
    """Follow strings, comments and brackets through one line of a value."""
    quote, depth, position = still_open.quote, still_open.depth, 0
    while position < len(text):
        if quote:
            position, quote = _skip_string(text, position, quote)
            continue
        char = text[position]
        if char == "#":
            break
        if text.startswith(('"""', "'''"), position):
            quote = text[position : position + 3]
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        position += len(quote) if quote else 1
    return _Open(quote, depth)


def _skip_string(text: str, position: int, quote: str) -> tuple[int, str]:
    """Move past the end of an open string; return the position and the quote still open ("" if none)."""
    while position < len(text):
        if text[position] == "\\" and quote[0] == '"':
            position += 2
        elif text.startswith(quote, position):
            return _after_closing_quotes(text, position, quote), ""
        else:
            position += 1
    return position, quote


def _after_closing_quotes(text: str, position: int, quote: str) -> int:
    if len(quote) == 1:
        return position + 1
    # A multi-line string may end with one or two quotes of its content right before the closing three.
    end = position
    while end < len(text) and text[end] == quote[0] and end - position < 5:
        end += 1
    return end
