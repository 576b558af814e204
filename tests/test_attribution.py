"""Attribution on real repositories: every built-in rule, every tricky case of the AI-marker reference,
merges, configured rules, exclusions, the command and the metrics. Commits are made with `git commit`
(real trailers, real identities), scanned with the real CLI, and the attribution rows read back."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devmetrics.analyzers import attribution, merges
from devmetrics.analyzers.attribution_rules import (
    ASCII_TWINS,
    BUILTIN_RULES,
    RuleSet,
    ascii_twin,
    keyword_text,
    keywords_of,
)
from devmetrics.config import AttributionConfig, AttributionRuleConfig, Config, ExclusionsConfig, PrivacyConfig
from devmetrics.store import Store
from tests.attribution_helpers import HUMAN, START, GitRepo, Workspace, synthetic_history, synthetic_store
from tests.helpers import query
from tests.repo_builder import git

NOREPLY = "users.noreply.github.com"
MERGER = "Erin Merger <erin@example.com>"
REQUESTER = "Rae Requester <rae@example.com>"


@pytest.fixture
def space(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


# ------------------------------------------------------------------------------------ every built-in rule


@dataclass(frozen=True)
class Case:
    """One commit that the rule `rule` must attribute: its message paragraphs and identities, or a branch
    merged with `git merge --no-ff` (then the merge carries the rule's evidence)."""

    rule: str
    cls: str
    tool: str | None
    paragraphs: tuple[str, ...] = ()
    author: str = HUMAN
    committer: str | None = None
    branch: str = ""


def bot(login: str, number: int) -> str:
    return f"{login}[bot] <{number}+{login}[bot]@{NOREPLY}>"


CASES = (
    Case(
        "claude-code.coauthor",
        "ai-assisted",
        "claude-code",
        ("Fix the parser", "Co-Authored-By: Claude Sonnet 4.6 <noreply@anthropic.com>"),
    ),
    Case(
        "claude-code.footer",
        "ai-assisted",
        "claude-code",
        ("Tidy the loader", "🤖 Generated with [Claude Code](https://claude.com/claude-code)"),
    ),
    Case(
        "claude-code.session",
        "ai-assisted",
        "claude-code",
        ("Add retries", "Claude-Session: https://claude.ai/code/session_01AbCdEf"),
    ),
    Case(
        "claude-code-action.author",
        "ai-authored",
        "claude-code-action",
        ("Fix issue 12", f"Co-authored-by: {REQUESTER}"),
        author=bot("claude", 209825114),
    ),
    Case("claude-code-action.branch", "ai-authored", "claude-code-action", branch="claude/issue-42-20250612-0931"),
    Case("claude-code.web-branch", "ai-authored", "claude-code", branch="claude/fix-login-017jw8xq"),
    Case(
        "copilot-agent.author",
        "ai-authored",
        "copilot-agent",
        ("Fix flaky test",),
        author=f"Copilot <198982749+Copilot@{NOREPLY}>",
        committer="GitHub <noreply@github.com>",
    ),
    Case(
        "copilot-agent.coauthor",
        "ai-authored",
        "copilot-agent",
        ("Fix flaky test (#31)", f"Co-authored-by: copilot-swe-agent[bot] <198982749+Copilot@{NOREPLY}>"),
    ),
    Case("copilot-agent.branch", "ai-authored", "copilot-agent", branch="copilot/fix-typo-in-docs"),
    Case(
        "copilot.coauthor",
        "ai-assisted",
        "copilot",
        ("Rename helper", f"Co-authored-by: Copilot App <223556219+Copilot@{NOREPLY}>"),
    ),
    Case(
        "copilot-review.coauthor",
        "ai-assisted",
        "copilot-review",
        ("Update README.md", f"Co-authored-by: Copilot <175728472+Copilot@{NOREPLY}>"),
    ),
    Case(
        "copilot-autofix.coauthor",
        "ai-assisted",
        "copilot-autofix",
        (
            "Potential fix for code scanning alert no. 3",
            f"Co-authored-by: Copilot Autofix powered by AI <175728472+Copilot@{NOREPLY}>",
        ),
    ),
    Case(
        "aider.author",
        "ai-assisted",
        "aider",
        ("Add the CSV export",),
        author="Dana Developer (aider) <dana@example.com>",
        committer=HUMAN,
    ),
    Case(
        "aider.committer-only",
        "human",
        None,
        ("Update the docs",),
        committer="Dana Developer (aider) <dana@example.com>",
    ),
    Case("aider.subject", "ai-assisted", "aider", ("aider: Add a retry to the fetcher",)),
    Case("aider.chat-body", "ai-assisted", "aider", ("Add a retry", "# Aider chat conversation:", "USER: add a retry")),
    Case(
        "aider.coauthor",
        "ai-assisted",
        "aider",
        ("Add a retry", "Co-authored-by: aider (anthropic/claude-sonnet-4) <aider@aider.chat>"),
    ),
    Case(
        "cursor.coauthor",
        "ai-assisted",
        "cursor",
        ("Speed up search", "Co-authored-by: Cursor <cursoragent@cursor.com>"),
    ),
    Case("cursor.made-with", "ai-assisted", "cursor", ("Speed up search", "Made-with: Cursor")),
    Case(
        "cursor-agent.author",
        "ai-authored",
        "cursor-agent",
        ("Speed up search",),
        author="Cursor Agent <cursoragent@cursor.com>",
    ),
    Case("cursor-agent.branch", "ai-authored", "cursor-agent", branch="cursor/add-dark-mode-3f9a"),
    Case("codex.coauthor", "ai-assisted", "codex", ("Add tests", "Co-authored-by: Codex <noreply@openai.com>")),
    Case("codex.branch", "ai-authored", "codex", branch="codex/add-tests"),
    Case(
        "codex-connector.author",
        "ai-authored",
        "codex",
        ("Apply review suggestion",),
        author=bot("chatgpt-codex-connector", 199175422),
    ),
    Case(
        "devin.author",
        "ai-authored",
        "devin",
        ("Fix the build",),
        author=f"Devin AI <158243242+devin-ai-integration[bot]@{NOREPLY}>",
    ),
    Case(
        "devin.coauthor",
        "ai-assisted",
        "devin",
        ("Fix the build", f"Co-Authored-By: Devin <158243242+devin-ai-integration[bot]@{NOREPLY}>"),
    ),
    Case(
        "devin.footer",
        "ai-assisted",
        "devin",
        (
            "Fix the build",
            "Generated with [Devin](https://cli.devin.ai/docs)",
            "Signed-off-by: Dana Developer <dana@example.com>",
        ),
    ),
    Case("devin.branch", "ai-authored", "devin", branch="devin/1718291234-fix-tests"),
    Case("jules.author", "ai-authored", "jules", ("Upgrade the SDK",), author=bot("google-labs-jules", 161369871)),
    Case(
        "jules.coauthor",
        "ai-authored",
        "jules",
        ("Upgrade the SDK", f"Co-authored-by: google-labs-jules[bot] <161369871+google-labs-jules[bot]@{NOREPLY}>"),
    ),
    Case(
        "amp.thread",
        "ai-assisted",
        "amp",
        ("Cache tokens", "Amp-Thread-ID: https://ampcode.com/threads/T-0f3b2a1c-1111-2222-3333-444455556666"),
    ),
    Case("amp.coauthor", "ai-assisted", "amp", ("Cache tokens", "Co-authored-by: Amp <amp@ampcode.com>")),
    Case(
        "amp.thread-url",
        "ai-assisted",
        "amp",
        (
            "Cache tokens",
            "Worked out in https://ampcode.com/threads/T-0f3b2a1c-1111-2222-3333-444455556666 today.",
            "Reviewed locally.",
        ),
    ),
    Case("openhands.author", "ai-authored", "openhands", ("Fix lint",), author="openhands <openhands@all-hands.dev>"),
    Case(
        "openhands.coauthor",
        "ai-assisted",
        "openhands",
        ("Fix lint", "Co-authored-by: openhands <openhands@all-hands.dev>"),
    ),
    Case(
        "opencode.coauthor",
        "ai-assisted",
        "opencode",
        ("Port the CLI", "Co-Authored-By: opencode <noreply@opencode.ai>"),
    ),
    Case(
        "opencode.footer",
        "ai-assisted",
        "opencode",
        ("Port the CLI", "🤖 Generated with [opencode](https://opencode.ai)"),
    ),
    Case(
        "replit.agent",
        "ai-authored",
        "replit",
        ("Published your App", "Replit-Commit-Author: Agent\nReplit-Commit-Session-Id: 7c1d2e3f"),
    ),
    Case("replit.assistant", "ai-assisted", "replit", ("Improve layout", "Replit-Commit-Author: Assistant")),
    Case("replit.deployment", "bot", "replit", ("Deploy", "Replit-Commit-Author: Deployment")),
    Case("gemini.coauthor", "ai-assisted", "gemini", ("Add docs", "Co-authored-by: Gemini <noreply@google.com>")),
    Case(
        "gemini-code-assist.coauthor",
        "ai-assisted",
        "gemini-code-assist",
        ("Apply suggestion", f"Co-authored-by: gemini-code-assist[bot] <176961590+gemini-code-assist[bot]@{NOREPLY}>"),
    ),
    Case(
        "amazon-q.author",
        "ai-authored",
        "amazon-q",
        ("Implement feature",),
        author=bot("amazon-q-developer", 208079219),
    ),
    Case("sweep.author", "ai-authored", "sweep", ("Fix typo",), author=bot("sweep-ai", 128439645)),
    Case("sweep.branch", "ai-authored", "sweep", branch="sweep/fix-typo"),
    Case(
        "trailer.assisted-by",
        "ai-assisted",
        "claude",
        (
            "mm: fix a leak",
            "Assisted-by: Claude:claude-3-opus coccinelle sparse\nSigned-off-by: Dana Developer <dana@example.com>",
        ),
    ),
    Case(
        "trailer.generated-by",
        "ai-authored",
        "claude-code",
        ("Add a provider", "Generated-by: Claude Code (Claude Opus 4.6) following the guidelines"),
    ),
    Case(
        "trailer.ai-assisted", "ai-assisted", "claude-code", ("Add a provider", "AI-Assisted: Claude Code (Opus 4.5)")
    ),
    Case("trailer.ai-assisted-no", "human", None, ("Add a provider", "AI-Assisted: no")),
    Case(
        "trailer.co-authored-by-ai",
        "ai-assisted",
        "copilot",
        ("Add a provider", "Co-authored-by-AI: GitHub Copilot (GPT-4.1)"),
    ),
    Case("trailer.ai-tool", "ai-assisted", "windsurf", ("Add a provider", "AI-Tool: Windsurf")),
    Case(
        "trailer.co-developed-by-agent",
        "ai-assisted",
        "claude",
        ("mm: fix a leak", "Co-developed-by: Claude claude-3-opus\nSigned-off-by: Dana Developer <dana@example.com>"),
    ),
    Case(
        "text.disclosure-negative",
        "human",
        None,
        ("Fix the parser", "AI Disclosure: no AI was used.", "Tested on 3 repositories."),
    ),
    Case(
        "text.disclosure-positive",
        "ai-assisted",
        "codex",
        ("Fix the parser", "AI disclosure: Codex gpt-5.5 xhigh helped.", "Tested on 3 repositories."),
    ),
    Case(
        "bot.dependabot",
        "bot",
        "dependabot",
        ("Bump lodash from 4.17.20 to 4.17.21",),
        author=bot("dependabot", 49699333),
    ),
    Case("bot.renovate", "bot", "renovate", ("Update dependency pytest to v8",), author=bot("renovate", 29139614)),
    Case("bot.github-actions", "bot", "github-actions", ("Update snapshots",), author=bot("github-actions", 41898282)),
    Case(
        "bot.pre-commit-ci",
        "bot",
        "pre-commit-ci",
        ("[pre-commit.ci] auto fixes",),
        author=bot("pre-commit-ci", 66853113),
    ),
    Case(
        "bot.allcontributors",
        "bot",
        "allcontributors",
        ("Add dana as a contributor",),
        author=bot("allcontributors", 46447321),
    ),
    Case("bot.imgbot", "bot", "imgbot", ("[ImgBot] Optimize images",), author=bot("imgbot", 31301654)),
    Case(
        "bot.semantic-release",
        "bot",
        "semantic-release",
        ("chore(release): 1.2.0",),
        author="semantic-release-bot <semantic-release-bot@martynus.net>",
    ),
    Case("bot.github-app", "bot", "github-app", ("Merge queue update",), author=bot("mergify", 37929162)),
)

# Rules on pull-request fields: no pull-request data is stored yet, so they are shown on the texts a code
# host gives (and they never fire on git data alone).
PR_CASES = (
    ("cursor-agent.pr-body", "pr_body", "Started in https://cursor.com/agents/bc-1234abcd-aaaa", "cursor-agent"),
    ("cursor.pr-footer", "pr_body", "Summary\n\nMade with [Cursor](https://cursor.com)", "cursor"),
    ("codex.pr-body", "pr_body", "[Codex Task](https://chatgpt.com/codex/tasks/task_e_68a1b2c3d4)", "codex"),
    (
        "devin.pr-body",
        "pr_body",
        "Link to Devin run: https://app.devin.ai/sessions/0a1b2c3d\nRequested by: @dana",
        "devin",
    ),
    (
        "jules.pr-body",
        "pr_body",
        "PR created automatically by Jules for task [123](https://jules.google.com/task/123) started by @dana",
        "jules",
    ),
    ("amazon-q.label", "label", "Amazon Q development agent", "amazon-q"),
    ("sweep.label", "label", "sweep", "sweep"),
)


@pytest.fixture(scope="module")
def rule_cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, str]]:
    """One repository holding a commit for every case, scanned once: case rule id -> commit SHA."""
    workspace = Workspace(tmp_path_factory.mktemp("rules"))
    repo = workspace.repo()
    repo.commit("Initial commit", files={"README.md": "hello\n"})
    shas = {}
    for case in CASES:
        if case.branch:
            repo.branch(case.branch)
            repo.commit(f"Work on {case.branch}", files={f"{case.branch}.txt": "work\n"})
            repo.checkout("main")
            shas[case.rule] = repo.merge(case.branch)
        else:
            shas[case.rule] = repo.commit(*case.paragraphs, author=case.author, committer=case.committer)
    workspace.scan()
    return workspace, shas


@pytest.mark.parametrize("case", CASES, ids=[case.rule for case in CASES])
def test_every_builtin_rule_on_a_real_commit(rule_cases: tuple[Workspace, dict[str, str]], case: Case) -> None:
    workspace, shas = rule_cases

    row = workspace.row(shas[case.rule])

    assert case.rule in row.own_rules
    assert (row.cls, row.tool) == (case.cls, case.tool)


@pytest.mark.parametrize(("rule", "field", "text", "tool"), PR_CASES, ids=[case[0] for case in PR_CASES])
def test_pull_request_rules_on_code_host_texts(rule: str, field: str, text: str, tool: str) -> None:
    found = RuleSet(BUILTIN_RULES).match(field, text)

    assert [(item.rule, item.tool) for item in found] == [(rule, tool)]


def test_every_builtin_rule_has_a_case() -> None:
    covered = {case.rule for case in CASES} | {case[0] for case in PR_CASES}

    assert covered == {rule.id for rule in BUILTIN_RULES}


def test_branch_rules_pass_the_label_to_the_merged_commits(rule_cases: tuple[Workspace, dict[str, str]]) -> None:
    workspace, shas = rule_cases
    merge = shas["copilot-agent.branch"]
    branch_commit = git(workspace.repos[0].path, "rev-parse", f"{merge}^2").decode().strip()

    row = workspace.row(branch_commit)

    assert (row.cls, row.tool, row.inherited_from) == ("ai-authored", "copilot-agent", {merge})


def test_quick_keyword_tests_never_hide_a_match() -> None:
    """The keyword test that runs before the regexes agrees with running every rule, on every case text."""
    ruleset = RuleSet(BUILTIN_RULES)
    for name, compiled in ruleset.by_field.items():
        everything = tuple(range(len(compiled)))
        texts = [paragraph for case in CASES for paragraph in case.paragraphs] + [case[2] for case in PR_CASES]
        texts += [f"{case.author}" for case in CASES] + [case.branch for case in CASES if case.branch]
        for text in texts:
            assert ruleset.match(name, text) == ruleset.match_candidates(name, text, everything), (name, text)


MARKER_LINES = st.sampled_from(
    [
        "🤖 Generated with [Claude Code](https://claude.ai/code)",
        "Generated with [Devin](https://cli.devin.ai/docs)",
        "AI usage: none",
        "AI-Usage: Claude helped",
        "ai disclosure: no AI was used",
        "No AI was used",
        "# Aider chat conversation:",
        "see https://ampcode.com/threads/T-0f3b2a1c-1111-2222",
        "aider: do it",
        "Made with [Cursor](https://cursor.com)",
        "Über naïve façade",
        "  indented AI usage: yes",
        "No AI waſ used — thanks",  # the long s: a case-insensitive regex takes it for "s"
        "🤖 Generated with [Claude Code](https://claude.aı/code)",  # the dotless i
        "AI-Usage: none \u212aept",  # the Kelvin sign
    ]
)
PROSE = st.text(st.sampled_from("abcdefgAIUSE :-#[]()/\n"), max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.one_of(MARKER_LINES, PROSE), max_size=6), field=st.sampled_from(["body", "subject", "pr_body"])
)
def test_quick_tests_agree_with_every_rule_on_generated_texts(lines: list[str], field: str) -> None:
    ruleset = RuleSet(BUILTIN_RULES)
    text = "\n".join(lines)
    everything = tuple(range(len(ruleset.by_field[field])))

    assert ruleset.match(field, text) == ruleset.match_candidates(field, text, everything)


def test_keyword_texts_turn_letters_a_regex_folds_to_ascii_into_it() -> None:
    assert keyword_text("Abc") == "\nabc"
    assert keyword_text("No AI waſ used, \u212aelvin, \u0130, ı, Über") == "\nno ai was used, kelvin, i, i, über"
    assert [ascii_twin(char) for char in "\u017f\u212a\u0131\u0130éß—"] == ["s", "k", "i", "i", None, None, None]


def test_the_twin_pattern_finds_exactly_the_characters_with_an_ascii_twin() -> None:
    for char in [*map(chr, range(0x80, 0x2200)), "\u212a", "\u2c6f", "\uff41", "😀"]:
        assert (ASCII_TWINS.search(char) is not None) == (ascii_twin(char) is not None), hex(ord(char))


def test_non_ascii_texts_get_the_keyword_test() -> None:
    ruleset = RuleSet(BUILTIN_RULES)
    test = ruleset.quick_tests["body"]

    assert test.line_candidates("\n\nÜber naïve façade — nothing here") == ()
    assert test.line_candidates("\n\nÜber naïve\n\nNo AI waſ used") != ()


def test_keywords_are_read_from_patterns() -> None:
    assert keywords_of(r"^aider: ", 0) == frozenset({"\naider: "})  # a line start is a newline in front
    assert keywords_of(r"^(?:foo|bar)bazbazbaz", 0) == frozenset({"bazbazbaz"})
    assert keywords_of(r"^(?:foo|bar)baz", 0) == frozenset({"\nfoo", "\nbar"})  # a line start is rarer
    assert keywords_of(r"(?:foo|bar)!", 0) == frozenset({"foo", "bar"})
    assert keywords_of(r"^(?:foo|b)", 0) is None  # "b" is too short to be worth a keyword
    assert keywords_of(r".*", 0) is None


# ------------------------------------------------------------------------------------ tricky cases


def test_case_1_aider_committer_only_is_a_human_commit(space: Workspace) -> None:
    repo = space.repo()
    through_aider = repo.commit("Fix typo", committer="Dana Developer (aider) <dana@example.com>")
    placeholder_author = repo.commit("Add tests", author="Your Name (aider) <you@example.com>")
    placeholder_committer = repo.commit("Add docs", committer="Your Name (aider) <you@example.com>")
    space.scan()

    assert space.row(through_aider).cls == "human"
    assert space.row(through_aider).rules == ["aider.committer-only"]
    assert (space.row(placeholder_author).cls, space.row(placeholder_author).tool) == ("ai-assisted", "aider")
    assert space.row(placeholder_committer).cls == "human"


def test_case_2_aider_regimes_are_one_class(space: Workspace) -> None:
    repo = space.repo()
    prefix = repo.commit("aider: Add the export", when=1_690_000_000)  # 2023
    renamed = repo.commit("Add the import", author="Dana Developer (aider) <dana@example.com>", when=1_720_000_000)
    trailers = [
        repo.commit("Add a flag", f"Co-authored-by: aider (gpt-4o) <{email}>")
        for email in ("noreply@aider.dev", "noreply@aider.chat", "aider@aider.chat")
    ]
    space.scan()

    for sha in (prefix, renamed, *trailers):
        assert (space.row(sha).cls, space.row(sha).tool) == ("ai-assisted", "aider")
    assert space.row(trailers[0]).model == "gpt-4o"
    assert space.row(renamed).author_identity == "dana@example.com"  # the person, not a separate agent


def test_case_3_squash_merge_with_several_identities(space: Workspace) -> None:
    repo = space.repo()
    claude = "Co-authored-by: Claude <noreply@anthropic.com>"
    body = "* Add the parser\n\n* Fix the tests\n\n* Address review"
    trailers = f"{claude}\n{claude}\nCo-authored-by: Sam Pair <sam@example.com>\n"
    trailers += f"Co-authored-by: Copilot <223556219+Copilot@{NOREPLY}>"
    squash = repo.commit("Add the parser (#12)", body, "---------", trailers)
    agent_squash = repo.commit(
        "Fix flaky test (#13)",
        "* Initial plan\n\n* Fix the test",
        "---------",
        f"Co-authored-by: copilot-swe-agent[bot] <198982749+Copilot@{NOREPLY}>\nCo-authored-by: {REQUESTER}",
        author=MERGER,
    )
    space.scan()

    row = space.row(squash)
    assert (row.cls, row.tool) == ("ai-assisted", "claude-code")
    assert row.rules == ["claude-code.coauthor", "copilot.coauthor"]  # the repeated trailer counts once
    assert row.credited_to == "dana@example.com"
    agent = space.row(agent_squash)
    assert (agent.cls, agent.tool, agent.credited_to) == ("ai-authored", "copilot-agent", "erin@example.com")


def test_case_4_human_co_author_inside_an_agent_commit(space: Workspace) -> None:
    repo = space.repo()
    repo.commit("Initial commit")
    repo.branch("copilot/fix-flaky-test")
    agent = f"Copilot <198982749+Copilot@{NOREPLY}>"
    plan = repo.commit("Initial plan", author=agent, committer="GitHub <noreply@github.com>")
    fix = repo.commit(
        "Fix the flaky test", f"Co-authored-by: {REQUESTER}", author=agent, committer="GitHub <noreply@github.com>"
    )
    repo.checkout("main")
    merge = repo.merge(
        "copilot/fix-flaky-test", "Merge pull request #7 from octo/copilot/fix-flaky-test", author=MERGER
    )
    action = repo.commit(
        "Fix issue 9", "Co-authored-by: Trigger Person <trigger@example.com>", author=bot("claude", 41898282)
    )
    space.scan()

    assert (space.row(fix).cls, space.row(fix).credited_to) == ("ai-authored", "rae@example.com")
    assert (space.row(plan).cls, space.row(plan).credited_to) == ("ai-authored", "erin@example.com")
    assert space.row(plan).own_rules == ["copilot-agent.author"]  # its own evidence, not the merge's
    assert (space.row(merge).cls, space.row(merge).tool) == ("ai-authored", "copilot-agent")
    assert (space.row(action).cls, space.row(action).credited_to) == ("ai-authored", "trigger@example.com")
    kinds = dict(query(space.db, "SELECT key, kind FROM identities"))
    assert kinds["copilot@users.noreply.github.com"] == "agent"
    assert kinds["rae@example.com"] == kinds["erin@example.com"] == "person"


def test_case_5_three_copilot_ids_are_told_apart_by_email(space: Workspace) -> None:
    repo = space.repo()
    agent = repo.commit("Fix bug", author=f"Copilot <198982749+Copilot@{NOREPLY}>")
    review = repo.commit("Update README.md", f"Co-authored-by: Copilot <175728472+Copilot@{NOREPLY}>")
    ide = repo.commit("Refactor", f"Co-authored-by: Copilot <223556219+Copilot@{NOREPLY}>")
    space.scan()

    assert [space.row(sha).tool for sha in (agent, review, ide)] == ["copilot-agent", "copilot-review", "copilot"]
    assert [space.row(sha).cls for sha in (agent, review, ide)] == ["ai-authored", "ai-assisted", "ai-assisted"]


def test_case_6_an_authors_disclosure_outweighs_a_spurious_copilot_trailer(space: Workspace) -> None:
    repo = space.repo()
    spurious = f"Co-authored-by: Copilot <223556219+Copilot@{NOREPLY}>"
    with_trailer = repo.commit("Fix wording", f"AI-Assisted: no\n{spurious}")
    with_text = repo.commit("Fix wording", "No AI was used for this change.", spurious)
    claude = repo.commit(
        "Fix wording", "No AI was used for this change.", "Co-Authored-By: Claude <noreply@anthropic.com>"
    )
    space.scan()

    assert space.row(with_trailer).cls == "human"
    assert set(space.row(with_trailer).rules) == {"trailer.ai-assisted-no", "copilot.coauthor"}
    assert space.row(with_text).cls == "human"
    assert space.row(claude).cls == "ai-assisted"  # a Claude Code trailer is written by the tool that made it


def test_case_7_claude_bot_with_the_github_actions_id_is_not_a_plain_bot(space: Workspace) -> None:
    repo = space.repo()
    claude = repo.commit("Fix issue 3", author=bot("claude", 41898282))
    actions = repo.commit("Update snapshots", author=bot("github-actions", 41898282))
    space.scan()

    assert (space.row(claude).cls, space.row(claude).tool) == ("ai-authored", "claude-code-action")
    assert (space.row(actions).cls, space.row(actions).tool) == ("bot", "github-actions")


def test_case_8_a_merge_disclosure_passes_down_and_own_evidence_wins(space: Workspace) -> None:
    repo = space.repo()
    repo.commit("Initial commit")
    repo.branch("feature")
    plain = repo.commit("Add the parser")
    copilot = repo.commit("Add tests", f"Co-authored-by: Copilot <223556219+Copilot@{NOREPLY}>")
    declined = repo.commit("Add docs", "AI-Assisted: no")
    repo.checkout("main")
    merge = repo.merge("feature", "Merge branch 'feature'", "AI-Assisted: Claude Code", author=MERGER)
    space.scan()

    assert (space.row(merge).cls, space.row(merge).tool) == ("ai-assisted", "claude-code")
    inherited = space.row(plain)
    assert (inherited.cls, inherited.tool, inherited.inherited_from) == ("ai-assisted", "claude-code", {merge})
    assert (space.row(copilot).tool, space.row(copilot).inherited_from) == ("copilot", set())
    assert (space.row(declined).cls, space.row(declined).inherited_from) == ("human", set())


def test_case_8_an_unlabelled_merge_takes_the_label_of_what_it_brought_in(space: Workspace) -> None:
    repo = space.repo()
    repo.commit("Initial commit")
    repo.branch("feature")
    marked = repo.commit("Add the parser", "Co-Authored-By: Claude <noreply@anthropic.com>")
    unmarked = repo.commit("Fix a typo")
    repo.checkout("main")
    repo.commit("Meanwhile on main")
    merge = repo.merge("feature")
    space.scan()

    row = space.row(merge)
    assert (row.cls, row.tool, row.rules) == ("ai-assisted", "claude-code", ["merge.brought-in"])
    assert row.evidence[0]["match"] == "1 of 2 brought-in commits ai-assisted"
    assert space.row(unmarked).cls == "human"  # a roll-up is not passed back down
    assert space.row(marked).cls == "ai-assisted"


def test_case_8_the_innermost_labelled_merge_wins(space: Workspace) -> None:
    repo = space.repo()
    repo.commit("Initial commit")
    repo.branch("outer")
    outer_work = repo.commit("Outer work")
    repo.branch("inner")
    inner_work = repo.commit("Inner work")
    repo.checkout("outer")
    inner = repo.merge("inner", "Merge branch 'inner' into outer", "AI-Assisted: Cursor")
    repo.checkout("main")
    outer = repo.merge("outer", "Merge branch 'outer'", "AI-Assisted: Codex")
    space.scan()

    assert (space.row(inner_work).tool, space.row(inner_work).inherited_from) == ("cursor", {inner})
    assert (space.row(outer_work).tool, space.row(outer_work).inherited_from) == ("codex", {outer})
    assert space.row(inner).tool == "cursor"  # its own label stays


def test_case_8_a_merge_bringing_in_too_much_passes_nothing_down(space: Workspace) -> None:
    repo = space.repo()
    repo.commit("Initial commit")
    repo.branch("long-lived")
    work = [repo.commit(f"Step {step}") for step in range(3)]
    repo.checkout("main")
    repo.merge("long-lived", "Merge branch 'long-lived'", "AI-Assisted: Claude Code")
    space.write_config("\n[attribution]\nmerge_limit = 2\n")
    space.scan()

    assert [space.row(sha).cls for sha in work] == ["human"] * 3


def test_case_8_a_merge_of_main_into_a_branch_is_no_pull_request(space: Workspace) -> None:
    repo = space.repo()
    repo.commit("Initial commit")
    repo.branch("feature")
    work = repo.commit("Feature work")
    repo.checkout("main")
    main_work = repo.commit("Work on main")
    claude_on_main = repo.commit("More work on main", "Co-Authored-By: Claude <noreply@anthropic.com>")
    repo.checkout("feature")
    update = repo.merge("main", "Merge branch 'main' into feature", "AI-Assisted: Cursor")
    repo.checkout("main")
    pull_request = repo.merge("feature", "Merge pull request #3 from octo/feature")
    space.scan()

    assert (space.row(main_work).cls, space.row(main_work).inherited_from) == ("human", set())
    assert space.row(claude_on_main).tool == "claude-code"
    assert (space.row(update).tool, space.row(update).own_rules) == ("cursor", ["trailer.ai-assisted"])
    assert space.row(work).cls == "human"
    assert space.row(pull_request).cls == "human"  # it brought in the feature work and the update only


def test_case_9_free_text_disclosures(space: Workspace) -> None:
    repo = space.repo()
    none = repo.commit("Fix parser", "AI usage: none", "Tested by hand.")
    negative = repo.commit("Fix parser", "AI Disclosure: no AI was used.", "Tested by hand.")
    positive = repo.commit("Fix parser", "AI disclosure: Codex gpt-5.5 xhigh helped.", "Tested by hand.")
    mention = repo.commit("Fix parser", "Claude found and changed it.")
    space.scan()

    assert [space.row(sha).cls for sha in (none, negative)] == ["human", "human"]
    row = space.row(positive)
    assert (row.cls, row.tool, row.confidence) == ("ai-assisted", "codex", 0.4)  # weak evidence
    assert (space.row(mention).cls, space.row(mention).evidence) == ("human", [])  # mentions alone do not count


def test_case_10_mentions_of_products_and_people_are_not_markers(space: Workspace) -> None:
    repo = space.repo()
    shannon = repo.commit("Cite Claude Shannon", "Claude found the bound in 1948; Copilot and Cursor are products.")
    anthropic_person = repo.commit("Fix typo", author="Claude Dupont <claude@anthropic.com>")
    coauthor = repo.commit("Add entropy", "Co-authored-by: Claude Shannon <shannon@bell-labs.example>")
    codeveloper = repo.commit("Add entropy", "Co-developed-by: Claude Shannon <shannon@bell-labs.example>")
    repo.branch("cursor-style")
    repo.commit("Blink the text cursor")
    repo.checkout("main")
    cursor_merge = repo.merge("cursor-style")
    claude_md = repo.commit(
        "Add CLAUDE.md with our commit conventions",
        "Commits made with Claude Code end with:",
        "    Co-Authored-By: Claude <noreply@anthropic.com>",
        files={"CLAUDE.md": "End commits with:\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n"},
    )
    space.scan()

    for sha in (shannon, anthropic_person, coauthor, codeveloper, cursor_merge, claude_md):
        assert space.row(sha).cls == "human", space.row(sha)
    assert space.row(coauthor).credited_to == "dana@example.com"


def test_case_11_reverts_quote_markers_and_carry_their_own(space: Workspace) -> None:
    repo = space.repo()
    original = repo.commit("aider: Change the graph colours", files={"graph.py": "colour = 'red'\n"})
    human_revert = repo.revert(original)
    redo = repo.commit("aider: Change the graph colours again", files={"graph.py": "colour = 'blue'\n"})
    repo.git("revert", "--no-commit", redo)
    ai_revert = repo.commit(
        'Revert "aider: Change the graph colours again"',
        f"This reverts commit {redo}.",
        "Co-Authored-By: Claude <noreply@anthropic.com>",
    )
    space.scan()

    subject = git(repo.path, "log", "-1", "--format=%s", human_revert).decode().strip()
    assert subject == 'Revert "aider: Change the graph colours"'
    assert space.row(original).cls == "ai-assisted"
    assert space.row(human_revert).cls == "human"
    assert (space.row(ai_revert).cls, space.row(ai_revert).tool) == ("ai-assisted", "claude-code")


def test_case_12_markers_in_quoted_text_are_not_trailers(space: Workspace) -> None:
    repo = space.repo()
    quoted = repo.commit("Reply to review", "> Co-authored-by: Claude <noreply@anthropic.com>")
    indented_log = repo.commit(
        "Explain the bisect",
        "The culprit was:",
        "    commit 0123abcd\n    Co-authored-by: Claude <noreply@anthropic.com>",
    )
    mid_paragraph = repo.commit(
        "Document trailers", "Co-Authored-By: Claude <noreply@anthropic.com>", "is what Claude Code writes."
    )
    fenced = repo.commit(
        "Document the footer", "```\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n```", "See above."
    )
    space.scan()

    for sha in (quoted, indented_log, mid_paragraph, fenced):
        assert space.row(sha).cls == "human", space.row(sha)
        assert space.row(sha).evidence == []


def test_case_13_missing_markers_are_human_but_not_sure(space: Workspace) -> None:
    repo = space.repo()
    old = repo.commit("Add the parser", when=1_500_000_000)  # 2017: before any AI coding tool
    recent = repo.commit("Add the parser")  # 2025: markers may have been switched off
    space.scan()

    before = space.row(old)
    assert (before.cls, before.confidence, before.rules) == ("human", 0.95, ["default.before-ai-era"])
    assert (space.row(recent).cls, space.row(recent).confidence, space.row(recent).evidence) == ("human", 0.6, [])


def test_case_14_automation_is_bot_but_ai_review_bots_are_ai(space: Workspace) -> None:
    repo = space.repo()
    bots = [
        repo.commit("Bump x", author=bot(login, number))
        for login, number in (("dependabot", 49699333), ("renovate", 29139614), ("pre-commit-ci", 66853113))
    ]
    web_merge = repo.commit("Fix typo (#5)", committer="GitHub <noreply@github.com>")
    autofix = repo.commit(
        "Potential fix for code scanning alert no. 1",
        f"Co-authored-by: Copilot Autofix powered by AI <175728472+Copilot@{NOREPLY}>",
    )
    connector = repo.commit("Apply suggestion", author=bot("chatgpt-codex-connector", 199175422))
    space.scan()

    assert [space.row(sha).cls for sha in bots] == ["bot"] * 3
    assert space.row(web_merge).cls == "human"  # a web merge's committer says nothing about who wrote it
    assert space.row(autofix).cls == "ai-assisted"
    assert space.row(connector).cls == "ai-authored"
    kinds = dict(query(space.db, "SELECT key, kind FROM identities"))
    assert kinds["dependabot[bot]@users.noreply.github.com"] == "bot"
    assert kinds["noreply@github.com"] == "bot"


def test_case_15_eras_and_weeks_use_the_committer_date(space: Workspace) -> None:
    repo = space.repo()
    skewed = repo.commit("Fix clock", when=978_307_200, committed=START)  # authored "2001", committed 2025
    space.scan()

    row = space.row(skewed)
    assert (row.confidence, row.evidence) == (0.6, [])  # committed in the AI era
    weeks = query(space.db, "SELECT period_start FROM metric_values WHERE metric = 'attribution.human_commits'")
    assert weeks == [("2025-06-09",)] * 2  # org and repo, the week of the committer date


# ------------------------------------------------------------------------------------ configured rules


def scan_then_remove_the_repository(space: Workspace) -> dict[str, str]:
    repo = space.repo()
    shas = {
        "claude": repo.commit("Fix parser", "Co-Authored-By: Claude <noreply@anthropic.com>"),
        "mention": repo.commit("Fix parser", "Claude found and changed it."),
        "copilot": repo.commit("Refactor", f"Co-authored-by: Copilot <223556219+Copilot@{NOREPLY}>"),
    }
    space.scan()
    subprocess.run(["rm", "-rf", str(repo.path)], check=True)
    return shas


def attribution_json(space: Workspace, *args: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert space.cli("attribution", "--db", str(space.db), "--json", *args) == 0
    answer = json.loads(capsys.readouterr().out)
    assert isinstance(answer, dict)
    return answer


def test_rule_added_overridden_and_disabled_reattribute_without_git(
    space: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shas = scan_then_remove_the_repository(space)
    before = space.row(shas["claude"]).rules_hash
    space.write_config(
        """
[attribution]
disable = ["claude-code.coauthor"]

[[attribution.rules]]
id = "team.claude-mentions"
field = "body"
pattern = '^(?P<tool>Claude) (?:found|wrote|changed)\\b'
classification = "ai-assisted"
confidence = 0.3

[[attribution.rules]]
id = "copilot.coauthor"
field = "trailer:co-authored-by"
pattern = '^Copilot <'
classification = "human"
confidence = 0.5
"""
    )
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse_processes)  # re-attributing reads no git

    answer = attribution_json(space, capsys=capsys)

    assert space.row(shas["claude"]).cls == "human"
    mention = space.row(shas["mention"])
    assert (mention.cls, mention.tool, mention.rules) == ("ai-assisted", "claude", ["team.claude-mentions"])
    assert (space.row(shas["copilot"]).cls, space.row(shas["copilot"]).rules) == ("human", ["copilot.coauthor"])
    assert space.row(shas["claude"]).rules_hash != before
    assert answer["rules_hash"] == attribution.Settings.of(_loaded(space)).rules_hash
    hashes = query(space.db, "SELECT DISTINCT rules_hash FROM attributions")
    assert len(hashes) == 1


def _refuse_processes(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"a process was started: {args}")


def _loaded(space: Workspace) -> Config:
    from devmetrics.config import load_config

    return load_config(space.config_path)


def test_unchanged_rules_attribute_nothing_again(space: Workspace) -> None:
    repo = space.repo()
    repo.commit("Fix parser")
    space.scan()
    settings_now = attribution.Settings.of(_loaded(space))
    from devmetrics.store import Store

    store = Store.open(space.db)
    try:
        assert attribution.is_current(store, _loaded(space))
        assert attribution.attribute(store, settings_now)[0] == 0
        assert attribution.analyze(store, _loaded(space)) == 0
    finally:
        store.close()


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            '[[attribution.rules]]\nid = "x"\nfield = "subjet"\npattern = "a"\nclassification = "bot"\n',
            "attribution.rules[0].field must be one of author, author_email",
        ),
        (
            '[[attribution.rules]]\nid = "x"\nfield = "subject"\npattern = "a("\nclassification = "bot"\n',
            "attribution.rules[0].pattern is not a valid regular expression (missing ), unterminated subpattern",
        ),
        ('[attribution]\ndisable = ["claude-code.co-author"]\n', "did you mean claude-code.coauthor?"),
    ],
)
def test_bad_rules_are_refused_with_their_key_and_line(
    space: Workspace, capsys: pytest.CaptureFixture[str], rules: str, message: str
) -> None:
    space.repo().commit("Fix parser")
    space.scan()
    space.write_config("\n" + rules)
    capsys.readouterr()

    assert space.cli("attribution", "--db", str(space.db)) == 2
    error = capsys.readouterr().err
    assert message in error
    assert f"{space.config_path}:" in error


def test_rules_are_listed_with_their_hash(space: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    answer = attribution_json(space, "--rules", capsys=capsys)

    rules = answer["rules"]
    assert isinstance(rules, list)
    assert [rule["id"] for rule in rules] == [rule.id for rule in BUILTIN_RULES]
    assert answer["rules_hash"] == attribution.Settings.of(Config()).rules_hash


def test_the_rules_hash_follows_the_rules() -> None:
    default = attribution.Settings.of(Config()).rules_hash
    disabled = attribution.Settings.of(Config(attribution=AttributionConfig(disable=("aider.subject",)))).rules_hash

    assert default != disabled
    assert default == attribution.Settings.of(Config()).rules_hash


# ------------------------------------------------------------------------------------ incremental scans


def test_a_new_merge_labels_commits_stored_before(space: Workspace) -> None:
    repo = space.repo()
    repo.commit("Initial commit")
    repo.branch("feature")
    early = repo.commit("Early work on the feature")
    repo.checkout("main")
    space.scan(all_refs=True)
    assert space.row(early).cls == "human"

    merge = repo.merge("feature", "Merge branch 'feature'", "AI-Assisted: Amp", author=MERGER)
    space.scan(all_refs=True)

    assert (space.row(early).cls, space.row(early).tool, space.row(early).inherited_from) == (
        "ai-assisted",
        "amp",
        {merge},
    )


def test_merge_walk_agrees_with_git_rev_list(history_repo: Path) -> None:
    log = git(history_repo, "log", "--format=%H %P", "--reverse").decode().split("\n")
    parents = {line.split()[0]: tuple(line.split()[1:]) for line in log if line}
    generation = merges.generations(parents)
    merge_shas = [sha for sha, found in parents.items() if len(found) > 1]
    assert merge_shas

    head = git(history_repo, "rev-parse", "HEAD").decode().strip()
    line = merges.main_line(head, parents, 10_000)
    assert line.brought
    for sha in merge_shas:
        expected = sorted(git(history_repo, "rev-list", f"{sha}^1..{sha}^2").decode().split())
        assert sorted(merges.brought_in(sha, parents, generation, 10_000) or ()) == expected
        if sha in line.brought:
            assert sorted(line.brought[sha] or ()) == expected
        if len(expected) > 1:
            assert merges.brought_in(sha, parents, generation, len(expected) - 1) is None


def test_generations_do_not_depend_on_the_order_commits_are_listed() -> None:
    parents = {"c": ("b",), "b": ("a",), "a": (), "m": ("c", "x"), "x": ("a",)}

    assert merges.generations(parents) == {"a": 1, "b": 2, "c": 3, "x": 2, "m": 4}


# ------------------------------------------------------------------------------------ exclusions


def test_exclusions_are_kept_out_and_counted(space: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    repo = space.repo()
    reformat = repo.commit("Reformat everything", files={"src/a.py": "a = 1\n"})
    docs_only = repo.commit("Fix docs", files={"docs/guide.md": "guide\n"})
    mixed = repo.commit("Fix code and docs", files={"docs/more.md": "more\n", "src/b.py": "b = 2\n"})
    vendored = repo.commit("Vendor a library", author="Vendor Bot <vendor@tools.example.com>")
    mass = repo.commit("Import the old tree", files={f"old/{index}.txt": f"{index}\n" for index in range(4)})
    repo.commit("List ignored revisions", files={".git-blame-ignore-revs": f"# formatting\n{reformat}\n"})
    space.write_config(
        '\n[exclusions]\nauthors = ["*@tools.example.com"]\npaths = ["docs/**"]\nmass_change_files = 3\n'
    )
    space.scan()

    assert [space.row(sha).excluded for sha in (reformat, docs_only, mixed, vendored, mass)] == [
        "ignore-revs",
        "paths",
        None,
        "author",
        "mass-change",
    ]
    answer = attribution_json(space, capsys=capsys)
    assert answer["excluded"] == {"author": 1, "ignore-revs": 1, "mass-change": 1, "paths": 1}
    assert answer["commits"] == 2  # the mixed commit and the ignore-revs file's own commit
    excluded = query(
        space.db,
        "SELECT sum(value) FROM metric_values WHERE metric = 'attribution.excluded_commits' AND scope_kind = 'org'",
    )
    assert excluded == [(4.0,)]


def test_an_excluded_repository_is_counted_whole(space: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    kept, left_out = space.repo("kept"), space.repo("mirror-of-upstream")
    kept.commit("Fix parser")
    left_out.commit("Upstream work")
    left_out.commit("More upstream work")
    space.write_config('\n[exclusions]\nrepositories = ["mirror-*"]\n')
    space.scan()

    answer = attribution_json(space, capsys=capsys)

    assert (answer["commits"], answer["excluded"]) == (1, {"repository": 2})


# ------------------------------------------------------------------------------------ the command


def test_explain_shows_class_tool_confidence_and_evidence(space: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    repo = space.repo()
    sha = repo.commit("Fix parser", "Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>")
    space.scan()
    capsys.readouterr()

    assert space.cli("attribution", "--db", str(space.db), "--explain", sha[:8]) == 0
    out = capsys.readouterr().out
    assert f"{sha} in repo: Fix parser" in out
    assert "class ai-assisted, tool claude-code (Opus 4.5), confidence 0.95" in out
    assert "claude-code.coauthor: trailer:Co-Authored-By matched 'Claude Opus 4.5 <noreply@anthropic.com>'" in out
    answer = attribution_json(space, "--explain", sha[:10], capsys=capsys)
    assert (answer["class"], answer["excluded"], answer["credited_to"]) == ("ai-assisted", None, "Dana Developer")


def test_explain_refuses_unknown_short_and_ambiguous_prefixes(
    space: Workspace, capsys: pytest.CaptureFixture[str], clone_of: Callable[[Path], Path]
) -> None:
    repo = space.repo()
    sha = repo.commit("Fix parser")
    copy = clone_of(repo.path)
    space.scan(repo, GitRepo(copy))
    capsys.readouterr()

    assert space.cli("attribution", "--db", str(space.db), "--explain", "abc") == 2
    assert "at least 4 hexadecimal characters" in capsys.readouterr().err
    assert space.cli("attribution", "--db", str(space.db), "--explain", "ffffffffff") == 1
    assert space.cli("attribution", "--db", str(space.db), "--explain", sha[:7]) == 2
    error = capsys.readouterr().err
    assert "ambiguous" in error and "pass --repo" in error
    assert space.cli("attribution", "--db", str(space.db), "--explain", sha[:7], "--repo", "repo") == 0


def test_summary_counts_classes_and_tools_with_trust_signals(
    space: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = space.repo()
    repo.commit("Fix parser", "Co-Authored-By: Claude <noreply@anthropic.com>")
    repo.commit("Bump x", author=bot("dependabot", 49699333))
    repo.commit("Fix docs")
    space.scan()

    answer = attribution_json(space, capsys=capsys)

    assert answer["classes"] == {"ai-authored": 0, "ai-assisted": 1, "bot": 1, "human": 1}
    assert answer["tools"] == [
        {"class": "ai-assisted", "tool": "claude-code", "commits": 1},
        {"class": "bot", "tool": "dependabot", "commits": 1},
    ]
    assert answer["ai_share"] == 0.5
    trust = answer["trust"]
    assert isinstance(trust, dict)
    assert trust["n"] == 3 and trust["data_through"] == "2025-06-15"
    assert (trust["shallow"], trust["failed"]) == ([], [])
    assert set(trust["definitions"]["classes"]) == {"ai-authored", "ai-assisted", "bot", "human"}
    capsys.readouterr()
    assert space.cli("attribution", "--db", str(space.db)) == 0
    out = capsys.readouterr().out
    assert "3 commits in 1 repositories" in out and "claude-code" in out and "excluded: 0" in out


def test_small_groups_are_hidden(space: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    space.config = space.config.replace("min_group_size = 1", "min_group_size = 5")
    repo = space.repo()
    for number in range(4):
        repo.commit("Fix", author=f"Dev {number} <dev{number}@example.com>")
    space.scan()

    answer = attribution_json(space, capsys=capsys)

    assert (answer["hidden"], answer["classes"], answer["tools"], answer["people"]) == (True, {}, [], 4)
    assert query(space.db, "SELECT count(*) FROM metric_values WHERE metric LIKE 'attribution.%'") == [(0,)]


def test_repo_filter_and_unknown_repo(space: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = space.repo("first"), space.repo("second")
    first.commit("Fix parser")
    second.commit("Fix parser", "Co-Authored-By: Claude <noreply@anthropic.com>")
    second.commit("Fix docs")
    space.scan()

    answer = attribution_json(space, "--repo", "second", capsys=capsys)

    assert (answer["repositories"], answer["commits"]) == (["second"], 2)
    assert space.cli("attribution", "--db", str(space.db), "--repo", "third") == 2
    assert "no such repository" in capsys.readouterr().err


def test_metrics_per_week_and_class(space: Workspace) -> None:
    repo = space.repo()
    repo.commit("Fix parser", "Co-Authored-By: Claude <noreply@anthropic.com>")
    repo.commit("Fix docs", author=f"Copilot <198982749+Copilot@{NOREPLY}>")
    repo.commit("Fix tests")
    repo.commit("Bump x", author=bot("dependabot", 49699333))
    space.scan()

    values = dict(
        query(
            space.db,
            "SELECT metric, value FROM metric_values WHERE metric LIKE 'attribution.%' AND scope_kind = 'org'",
        )
    )

    assert values == {
        "attribution.ai_authored_commits": 1.0,
        "attribution.ai_assisted_commits": 1.0,
        "attribution.human_commits": 1.0,
        "attribution.bot_commits": 1.0,
        "attribution.excluded_commits": 0.0,
        "attribution.ai_share": pytest.approx(2 / 3),
    }
    definitions = dict(query(space.db, "SELECT name, analyzer FROM metric_definitions WHERE analyzer = 'attribution'"))
    assert set(definitions) == {metric.name for metric in attribution.METRICS}


# ------------------------------------------------------------------------------------ a change of rules alone

RULE_EDITS = {
    "ci-is-a-bot": AttributionRuleConfig("team.ci", "author", r"<ci@tools\.example>$", "bot", "ci", 0.9),
    "pair-is-an-agent": AttributionRuleConfig(
        "team.pair", "trailer:co-authored-by", r"<pat@pair\.example>$", "ai-assisted", "pair"
    ),
    "mentions": AttributionRuleConfig("team.mentions", "body", r"^Claude found", "ai-assisted", "", 0.3),
    "parser-is-human": AttributionRuleConfig("team.parser", "subject", r"\bparser\b", "human", "", 0.99),
    "topic-branches": AttributionRuleConfig("team.topic", "branch", r"^topic/", "ai-authored", "topic-agent", 0.9),
    "aider-committer": AttributionRuleConfig(
        "aider.committer-only", "committer", r"\(aider\) <", "ai-assisted", "aider", 0.99
    ),
    "weaker-claude": AttributionRuleConfig(
        "claude-code.coauthor",
        "trailer:co-authored-by",
        r"^Claude\b.*<noreply@anthropic\.com>$",
        "ai-assisted",
        "claude-code",
        0.5,
    ),
    "copilot-says-nothing": AttributionRuleConfig(
        "copilot.coauthor", "trailer:co-authored-by", r"^Copilot <", "human", "", 0.8
    ),
}
DISABLED = (
    "claude-code.coauthor",
    "copilot.coauthor",
    "aider.author",
    "aider.committer-only",
    "bot.github-app",
    "text.disclosure-negative",
    "claude-code-action.branch",
    "trailer.ai-assisted",
    "copilot-agent.author",
    "claude-code-action.author",
)
RULE_CONFIGS = st.builds(
    lambda edits, disabled: AttributionConfig(
        rules=tuple(RULE_EDITS[name] for name in edits),
        disable=tuple(name for name in disabled if name not in {RULE_EDITS[edit].id for edit in edits}),
    ),
    st.lists(st.sampled_from(sorted(RULE_EDITS)), max_size=3, unique=True),
    st.lists(st.sampled_from(DISABLED), max_size=3, unique=True),
)
STORED = "SELECT sha, class, tool, model, confidence, evidence, author_identity, credited_to, excluded, rules_hash"


def rows_of(store: Store) -> list[tuple[object, ...]]:
    return [
        *store.db.execute(f"{STORED} FROM attributions ORDER BY sha"),
        *store.db.execute("SELECT * FROM identities ORDER BY key"),
    ]


def with_rules(section: AttributionConfig) -> Config:
    return Config(
        privacy=PrivacyConfig(min_group_size=1), attribution=section, exclusions=ExclusionsConfig(ignore_revs_file="")
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), before=RULE_CONFIGS, after=RULE_CONFIGS, kept_merges=st.booleans())
def test_a_change_of_rules_gives_the_rows_a_full_attribution_gives(
    seed: int, before: AttributionConfig, after: AttributionConfig, kept_merges: bool
) -> None:
    """After a change of the rules alone only the commits it can touch are attributed again (the full
    pass is not run), and the rows are exactly those of attributing everything afresh with the new rules."""
    history = synthetic_history(600, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        changed = synthetic_store(*history, Path(folder) / "changed")
        fresh = synthetic_store(*history, Path(folder) / "fresh")
        try:
            attribution.analyze(changed, with_rules(before))
            if not kept_merges:  # what the merges brought in is worked out again
                changed.db.execute("DELETE FROM sync_state WHERE source = 'attribution' AND category = 'merges'")
            with mock.patch.object(attribution.RepoAttribution, "run", side_effect=AssertionError("a full pass")):
                attribution.analyze(changed, with_rules(after))
            attribution.analyze(fresh, with_rules(after))

            assert rows_of(changed) == rows_of(fresh)
        finally:
            changed.close()
            fresh.close()


def prose_lines(message: str) -> str:
    """prose_body's definition, line by line: drop fenced, quoted (`>`) and indented lines."""
    kept, fenced = [], False
    for line in message.lstrip("\n").partition("\n\n")[2].split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and not stripped.startswith(">") and not line.startswith(("\t", "    ")):
            kept.append(line)
    return "\n".join(kept)


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from(list("ab >`~-:\n\t\r\x0b\x0c\u3000\xa0")), max_size=40))
def test_prose_body_keeps_its_definition_on_the_fast_path(message: str) -> None:
    assert attribution.prose_body(message) == prose_lines(message)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-(10**10), 10**10), st.sampled_from([0, -1, -259_200, -259_201, 345_599, 345_600])))
def test_week_numbers_name_the_monday_sqlite_names(committer_time: int) -> None:
    """Weeks counted as integers in SQL and named in Python are the Mondays SQLite's date() gives."""
    number_sql = attribution.WEEK_NUMBER.replace("c.committer_time", "?1")
    with sqlite3.connect(":memory:") as conn:
        monday, number = conn.execute(
            f"SELECT date(?1, 'unixepoch', '-6 days', 'weekday 1'), {number_sql}", [committer_time]
        ).fetchone()

    assert attribution.week_name(number) == monday
