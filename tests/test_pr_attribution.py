"""PR-level attribution on real repositories made with `git commit` and scanned, with pull-request rows
written as the code-host collectors write them: an agent's PR labels its commits, a commit's own evidence
wins, label / branch / pr_body rules (built-in and configured) reach squash commits, a new PR re-attributes,
and agent work is credited to the PR's merger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devmetrics.analyzers import attribution
from devmetrics.config import load_config
from devmetrics.store import Store
from tests.attribution_helpers import GitRepo, Workspace
from tests.pr_helpers import HOUR, HostRows

DEVIN = "Devin AI <158243242+devin-ai-integration[bot]@users.noreply.github.com>"


def add_prs(space: Workspace, *prs: dict[str, object]) -> None:
    """Write pull requests for the workspace's one repository (as a collector would)."""
    store = Store.open(space.db)
    try:
        identity = str(store.db.execute("SELECT identity FROM repos").fetchone()[0])
        rows = HostRows.existing(store, identity)
        newest = int(store.db.execute("SELECT max(committer_time) FROM commits").fetchone()[0])
        for pr in prs:
            merged = store.db.execute("SELECT committer_time FROM commits WHERE sha = ?", [pr.get("merge_sha")])
            when = (merged.fetchone() or (newest,))[0]
            rows.pr(**({"created": when - 5 * HOUR, "merged": when} | pr))  # type: ignore[arg-type]
    finally:
        store.close()


def analyze(space: Workspace) -> None:
    assert space.cli("analyze", "--db", str(space.db)) == 0


@pytest.fixture
def agent_pr(tmp_path: Path) -> tuple[Workspace, GitRepo, dict[str, str]]:
    space = Workspace(tmp_path)
    repo = space.repo()
    shas = {"base": repo.commit("Initial import", files={"a.txt": "1\n"})}
    repo.branch("fix-flaky-test")
    shas["plain"] = repo.commit("Make the test wait for the server", files={"a.txt": "2\n"})
    shas["disclosed"] = repo.commit("Tidy the fixture", "AI-Assisted: no", files={"b.txt": "3\n"})
    repo.checkout("main")
    shas["merge"] = repo.merge("fix-flaky-test", "Merge pull request #5 from octo/fix-flaky-test")
    space.scan(repo)
    return space, repo, shas


def test_an_agent_pr_labels_its_commits_and_a_commits_own_evidence_wins(
    agent_pr: tuple[Workspace, GitRepo, dict[str, str]],
) -> None:
    space, _, shas = agent_pr
    assert space.row(shas["plain"]).cls == "human"  # before the PR is known
    config = load_config(space.config_path)
    store = Store.open(space.db)
    try:
        assert attribution.is_current(store, config)
        add_prs(space, {"number": 5, "author": "copilot-swe-agent[bot]", "author_type": "Bot",
                        "commits": [shas["plain"], shas["disclosed"]], "merge_sha": shas["merge"],
                        "merged_by": "dana", "head_ref": "fix-flaky-test"})  # fmt: skip
        assert not attribution.is_current(store, config)  # a new PR changes the inputs
    finally:
        store.close()

    analyze(space)

    plain = space.row(shas["plain"])
    assert (plain.cls, plain.tool) == ("ai-authored", "copilot-agent")
    assert plain.inherited_from == {"pr:5"}
    assert plain.rules == ["copilot-agent.author"]
    assert plain.credited_to == "dana@example.com"  # a person authored the commit: credit stays theirs
    disclosed = space.row(shas["disclosed"])
    assert (disclosed.cls, disclosed.inherited_from) == ("human", set())  # its own "AI-Assisted: no" wins
    merge = space.row(shas["merge"])
    assert (merge.cls, merge.inherited_from) == ("ai-authored", {"pr:5"})
    assert space.row(shas["base"]).cls == "human"  # not in the PR


def test_explain_names_the_pull_request_a_label_came_from(
    agent_pr: tuple[Workspace, GitRepo, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    space, _, shas = agent_pr
    add_prs(space, {"number": 5, "author": "claude[bot]", "author_type": "Bot", "commits": [shas["plain"]]})
    capsys.readouterr()

    assert space.cli("attribution", "--db", str(space.db), "--explain", shas["plain"][:10]) == 0

    out = capsys.readouterr().out
    assert "claude-code-action.author" in out and "(from pull request #5)" in out


def test_label_branch_and_pr_body_rules_reach_squash_commits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = Workspace(tmp_path)
    space.write_config(
        """
[[attribution.rules]]
id = "acme.ai-label"
field = "label"
pattern = '^ai-generated$'
classification = "ai-assisted"
tool = "acme-assistant"

[[attribution.rules]]
id = "acme.ai-branch"
field = "branch"
pattern = '^ai/[\\w.-]+$'
classification = "ai-authored"
tool = "acme-agent"

[[attribution.rules]]
id = "acme.pr-footer"
field = "pr_body"
pattern = '^Drafted with AcmeBot\\b'
classification = "ai-assisted"
tool = "acmebot"
"""
    )
    repo = space.repo()
    shas = {"base": repo.commit("Initial import", files={"a.txt": "1\n"})}
    shas["label"] = repo.commit("Speed up search (#8)", files={"a.txt": "2\n"})
    shas["branch"] = repo.commit("Cache the index (#9)", files={"a.txt": "3\n"})
    shas["body"] = repo.commit("Explain the cache (#10)", files={"a.txt": "4\n"})
    shas["unlabelled"] = repo.commit("Fix typo (#11)", files={"a.txt": "5\n"})
    shas["agent"] = repo.commit("Add retries (#12)", author=DEVIN, files={"a.txt": "6\n"})
    shas["configured-branch"] = repo.commit("Refactor the cache (#13)", files={"a.txt": "7\n"})
    space.scan(repo)
    add_prs(
        space,
        {"number": 8, "labels": ["ai-generated", "search"], "merge_sha": shas["label"]},
        {"number": 9, "head_ref": "codex/cache-the-index", "merge_sha": shas["branch"]},
        {"number": 10, "body": "Why:\nthe cache\n\nDrafted with AcmeBot v2", "merge_sha": shas["body"]},
        {"number": 11, "labels": ["bug"], "head_ref": "fix-typo", "merge_sha": shas["unlabelled"]},
        {"number": 12, "author": "devin-ai-integration[bot]", "author_type": "Bot", "merge_sha": shas["agent"],
         "merged_by": "erin"},
        {"number": 13, "head_ref": "ai/refactor-cache", "merge_sha": shas["configured-branch"]},
    )  # fmt: skip

    analyze(space)

    label, branch, body = space.row(shas["label"]), space.row(shas["branch"]), space.row(shas["body"])
    assert (label.cls, label.tool, label.rules) == ("ai-assisted", "acme-assistant", ["acme.ai-label"])
    assert (branch.cls, branch.tool, branch.rules) == ("ai-authored", "codex", ["codex.branch"])
    assert (body.cls, body.tool, body.rules) == ("ai-assisted", "acmebot", ["acme.pr-footer"])
    assert {label.inherited_from.pop(), branch.inherited_from.pop(), body.inherited_from.pop()} == {
        "pr:8",
        "pr:9",
        "pr:10",
    }
    configured = space.row(shas["configured-branch"])
    assert (configured.cls, configured.tool, configured.inherited_from) == ("ai-authored", "acme-agent", {"pr:13"})
    assert space.row(shas["unlabelled"]).cls == "human"
    agent = space.row(shas["agent"])
    assert (agent.cls, agent.tool, agent.inherited_from) == ("ai-authored", "devin", set())  # its own author
    assert "devin.author" in agent.own_rules
    assert agent.credited_to == "erin@users.noreply.github.com"  # nobody else: whoever merged the PR
    capsys.readouterr()
    assert space.cli("reviews", "--db", str(space.db), "--json") == 0
    answer = json.loads(capsys.readouterr().out)
    org = next(scope for scope in answer["scopes"] if scope["kind"] == "org")
    assert org["metrics"]["reviews.merged_prs"]["ai"]["value"] == 5  # PRs 8, 9, 10, 12 and 13
    assert org["metrics"]["reviews.merged_prs"]["human"]["value"] == 1


def test_prs_change_and_their_commits_follow(agent_pr: tuple[Workspace, GitRepo, dict[str, str]]) -> None:
    space, _, shas = agent_pr
    add_prs(space, {"number": 5, "labels": ["sweep"], "commits": [shas["plain"]]})
    analyze(space)
    assert (space.row(shas["plain"]).cls, space.row(shas["plain"]).tool) == ("ai-authored", "sweep")
    store = Store.open(space.db)
    try:
        store.db.execute("UPDATE pull_requests SET labels = '[]'")  # the label was removed on the host
    finally:
        store.close()

    analyze(space)

    assert (space.row(shas["plain"]).cls, space.row(shas["plain"]).inherited_from) == ("human", set())
