"""Identities: e-mail normalisation, aliases, kinds, teams, pseudonyms and the privacy of small groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devmetrics.analyzers.identities import (
    IdentityResolver,
    TeamMatcher,
    normalize_email,
    pseudonym,
    pseudonym_salt,
    split_person,
)
from devmetrics.config import IdentitiesConfig, IdentityAliasConfig, TeamConfig
from tests.attribution_helpers import Workspace
from tests.helpers import query

TEAMS = """
[[teams]]
name = "payments"
members = ["*@payments.example.com", "lead@example.com"]

[[teams]]
name = "search"
members = ["*@search.example.com"]
"""


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("Dana@Example.COM ", "dana@example.com"),
        ("12345+Octo@users.noreply.github.com", "octo@users.noreply.github.com"),
        ("octo@users.noreply.github.com", "octo@users.noreply.github.com"),
        ("41898282+claude[bot]@users.noreply.github.com", "claude[bot]@users.noreply.github.com"),
        ("noreply@github.com", "noreply@github.com"),
    ],
)
def test_emails_are_normalised(email: str, key: str) -> None:
    assert normalize_email(email) == key


def test_aliases_make_one_identity_keyed_by_the_first_email() -> None:
    resolver = IdentityResolver(
        IdentitiesConfig(aliases=(IdentityAliasConfig(emails=("dana@example.com", "dana@home.example"), name="Dana"),))
    )

    assert resolver.key("DANA@home.example") == "dana@example.com"
    assert resolver.key("other@example.com") == "other@example.com"
    assert resolver.key("", "No Mail") == "name:no mail"
    assert resolver.alias_names == {"dana@example.com": "Dana"}


def test_teams_match_emails_and_globs_in_order() -> None:
    teams = TeamMatcher(
        (TeamConfig("payments", ("*@payments.example.com", "lead@example.com")), TeamConfig("all", ("*",)))
    )

    assert teams.team_of(["ann@payments.example.com"]) == "payments"
    assert teams.team_of(["x@other.example", "Lead@Example.com"]) == "payments"
    assert teams.team_of(["x@other.example"]) == "all"
    assert TeamMatcher(()).team_of(["x@other.example"]) is None


def test_pseudonyms_are_stable_short_and_salted(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pseudonym("dana@example.com", "") == pseudonym("dana@example.com", "")
    assert pseudonym("dana@example.com", "a") != pseudonym("dana@example.com", "b")
    assert pseudonym("dana@example.com", "").startswith("person-") and len(pseudonym("x", "")) == 17
    monkeypatch.setenv("DEVMETRICS_PSEUDONYM_SALT", "from-env")
    assert pseudonym_salt(IdentitiesConfig(pseudonym_salt="from-file")) == "from-env"
    monkeypatch.delenv("DEVMETRICS_PSEUDONYM_SALT")
    assert pseudonym_salt(IdentitiesConfig(pseudonym_salt="from-file")) == "from-file"


def test_split_person() -> None:
    assert split_person("Dana Developer <dana@example.com>") == ("Dana Developer", "dana@example.com")
    assert split_person("no address") is None


def test_identities_table_from_real_commits(tmp_path: Path) -> None:
    space = Workspace(tmp_path)
    repo = space.repo()
    repo.commit("Fix", author="Octo Cat <12345+octo@users.noreply.github.com>")
    repo.commit("Fix", author="Octo Cat <octo@users.noreply.github.com>")
    repo.commit("Fix", author="Dana <dana@example.com>")
    repo.commit("Fix", author="Dana D. <dana@home.example>")
    repo.commit("Fix", author="claude[bot] <41898282+claude[bot]@users.noreply.github.com>")
    repo.commit("Bump", author="dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>")
    space.write_config('\n[[identities.aliases]]\nemails = ["dana@example.com", "dana@home.example"]\nname = "Dana"\n')
    space.scan()

    rows = {key: (name, kind) for key, name, kind in query(space.db, "SELECT key, display_name, kind FROM identities")}

    assert rows == {
        "octo@users.noreply.github.com": ("Octo Cat", "person"),
        "dana@example.com": ("Dana", "person"),
        "claude[bot]@users.noreply.github.com": ("claude[bot]", "agent"),
        "dependabot[bot]@users.noreply.github.com": ("dependabot[bot]", "bot"),
    }
    emails = dict(query(space.db, "SELECT email, identity FROM identity_emails"))
    assert emails["12345+octo@users.noreply.github.com"] == "octo@users.noreply.github.com"
    assert emails["dana@home.example"] == "dana@example.com"
    authors = {row[0] for row in query(space.db, "SELECT author_identity FROM attributions")}
    assert "dana@home.example" not in authors


def team_workspace(tmp_path: Path, payments: int, search: int, extra: str = "") -> Workspace:
    space = Workspace(tmp_path)
    repo = space.repo()
    for number in range(payments):
        repo.commit(
            "Fix",
            "Co-Authored-By: Claude <noreply@anthropic.com>",
            author=f"P{number} <p{number}@payments.example.com>",
        )
    for number in range(search):
        repo.commit("Fix", author=f"S{number} <s{number}@search.example.com>")
    space.write_config(TEAMS + extra)
    space.scan()
    return space


def test_team_metrics_only_for_groups_of_the_minimum_size(tmp_path: Path) -> None:
    space = team_workspace(tmp_path, payments=5, search=2)
    space.config_path.write_text(space.config_path.read_text().replace("min_group_size = 1", "min_group_size = 5"))
    assert space.cli("attribution", "--db", str(space.db)) == 0  # the group size changed: metrics again

    teams = query(
        space.db,
        "SELECT DISTINCT scope_id FROM metric_values WHERE scope_kind = 'team' AND metric LIKE 'attribution.%'",
    )
    assert teams == [("payments",)]
    values = dict(
        query(
            space.db,
            "SELECT metric, value FROM metric_values WHERE scope_kind = 'team' AND scope_id = 'payments'",
        )
    )
    assert values["attribution.ai_assisted_commits"] == 5
    assert values["attribution.ai_share"] == 1.0
    team_of = dict(query(space.db, "SELECT key, team FROM identities"))
    assert team_of["p0@payments.example.com"] == "payments" and team_of["s0@search.example.com"] == "search"


def test_agent_work_counts_for_the_team_of_the_credited_human(tmp_path: Path) -> None:
    space = Workspace(tmp_path)
    repo = space.repo()
    repo.commit(
        "Fix",
        "Co-authored-by: Ann <ann@payments.example.com>",
        author="Copilot <198982749+Copilot@users.noreply.github.com>",
    )
    space.write_config(TEAMS)
    space.scan()

    values = dict(
        query(
            space.db,
            "SELECT metric, value FROM metric_values WHERE scope_kind = 'team' AND metric LIKE 'attribution.%'",
        )
    )

    assert values["attribution.ai_authored_commits"] == 1


def test_pseudonymised_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = Workspace(tmp_path)
    sha = space.repo().commit("Fix", author="Dana Developer <dana@example.com>")
    space.config = space.config.replace("[privacy]\n", "[privacy]\npseudonymize = true\n")
    space.write_config('\n[identities]\npseudonym_salt = "s1"\n')
    space.scan()
    capsys.readouterr()

    assert space.cli("attribution", "--db", str(space.db), "--json", "--explain", sha[:8]) == 0
    answer = json.loads(capsys.readouterr().out)

    expected = pseudonym("dana@example.com", "s1")
    assert answer["author"] == answer["credited_to"] == expected
    assert "Dana" not in json.dumps(answer)
    stored = query(space.db, "SELECT pseudonym FROM identities WHERE key = 'dana@example.com'")
    assert stored == [(expected,)]
