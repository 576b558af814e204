"""Throughput, the productivity multiplier and the guardrails, hand-computed on rows written into a real
store; privacy; the CLI; and one seeded end-to-end case on a real generated git repository."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devmetrics.analyzers import throughput
from devmetrics.cli import main
from devmetrics.config import Config, PrivacyConfig, ThroughputConfig
from devmetrics.store import Store

UTC = datetime.UTC
DAY = 86_400


def sha_of(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()  # noqa: S324 (a test's stand-in for a commit id)


def stamp(day: datetime.date, hour: int = 12) -> int:
    return int(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp())


class Rows:
    """Writes facts as the collectors and the attribution analyzer would."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def repo(self, identity: str = "example.com/org/app", *, scanned: str | None = "2024-03-20T00:00:00Z") -> int:
        self.store.db.execute(
            "INSERT INTO repos (identity, name, path, first_seen_at, last_scanned_at) VALUES (?, ?, ?, ?, ?)",
            [identity, identity.rpartition("/")[2], f"/src/{identity}", "2024-01-01T00:00:00Z", scanned],
        )
        return int(self.store.db.execute("SELECT id FROM repos WHERE identity = ?", [identity]).fetchone()[0])

    def identity(self, key: str, *, kind: str = "person", team: str | None = None) -> None:
        self.store.db.execute(
            "INSERT INTO identities (key, display_name, kind, team, pseudonym) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [key, key.title(), kind, team, f"person-{hashlib.sha1(key.encode()).hexdigest()[:6]}"],  # noqa: S324
        )

    def commit(
        self,
        repo_id: int,
        name: str,
        day: datetime.date,
        credited: str | None,
        cls: str | None = "human",
        *,
        excluded: str | None = None,
        subject: str | None = None,
        body: str = "",
        merge: bool = False,
        reachable: bool = True,
        hour: int = 12,
    ) -> str:
        sha = sha_of(name)
        when = stamp(day, hour)
        subject = subject or name
        self.store.db.execute(
            "INSERT INTO commits (repo_id, sha, author_name, author_email, author_time, author_tz, committer_name, "
            "committer_email, committer_time, committer_tz, subject, message, trailers, parents, is_merge, "
            "insertions, deletions, files) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, 0, ?, ?, '[]', '', ?, 0, 0, 0)",
            [repo_id, sha, "A", "a@example.com", when, "A", "a@example.com", when, subject,
             f"{subject}\n\n{body}".strip() + "\n", int(merge)],
        )  # fmt: skip
        if reachable:
            self.store.db.execute("INSERT INTO reachable (repo_id, sha) VALUES (?, ?)", [repo_id, sha])
        if cls is not None:
            self.store.db.execute(
                "INSERT INTO attributions (repo_id, sha, class, confidence, evidence, credited_to, excluded, "
                "rules_hash) VALUES (?, ?, ?, 1.0, '[]', ?, ?, 'r1')",
                [repo_id, sha, cls, credited, excluded],
            )
        return sha

    def file(
        self,
        repo_id: int,
        sha: str,
        path: str,
        added: int | None,
        deleted: int | None,
        *,
        change: str = "M",
        old_path: str | None = None,
    ) -> None:
        self.store.db.execute(
            "INSERT INTO file_changes (repo_id, sha, path, old_path, change_type, added, deleted, is_binary, "
            "old_mode, new_mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '100644', '100644')",
            [repo_id, sha, path, old_path, change, added, deleted, int(added is None)],
        )

    def hunk(self, repo_id: int, sha: str, path: str, old: tuple[int, int], new: tuple[int, int]) -> None:
        self.store.db.execute(
            "INSERT INTO hunks (repo_id, sha, path, old_start, old_lines, new_start, new_lines) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [repo_id, sha, path, *old, *new],
        )

    def data_through(self, repo_id: int, day: datetime.date) -> None:
        self.store.db.execute("UPDATE repos SET data_through = ? WHERE id = ?", [stamp(day), repo_id])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "x.db")
    yield opened
    opened.close()


def config_with(*, min_group_size: int = 2, **section: Any) -> Config:
    values: dict[str, Any] = {"min_developers": 2, "bootstrap_samples": 400} | section
    return dataclasses.replace(
        Config(),
        throughput=ThroughputConfig(**values),
        privacy=PrivacyConfig(min_group_size=min_group_size),
    )


def metric_rows(store: Store, metric: str, **where: str) -> list[tuple[Any, ...]]:
    clauses = "".join(f" AND {key} = ?" for key in where)
    return list(
        store.db.execute(
            f"SELECT scope_kind, scope_id, period_start, period_length, value, n, low, high FROM metric_values "  # noqa: S608
            f"WHERE metric = ?{clauses} ORDER BY scope_kind, scope_id, period_length, period_start",
            [metric, *where.values()],
        )
    )


def value_of(store: Store, metric: str, scope: str, start: str, length: str) -> tuple[float | None, int]:
    rows = metric_rows(store, metric, scope_kind=scope, period_start=start, period_length=length)
    assert len(rows) == 1, (metric, scope, start, length, rows)
    return rows[0][4], rows[0][5]


# --------------------------------------------------------------------------------------- hand-computed


def week(day: str, offset: int = 0) -> datetime.date:
    return datetime.date.fromisoformat(day) + datetime.timedelta(days=offset)


def seed_team(rows: Rows) -> int:
    """Three people. Baseline (Jan 2024): a 3 commits in 2 weeks, b 1 in 1 week: 4 / 3 per developer-week.
    Window (the 2 complete weeks Mar 4-17): a 6 in 2 weeks (2 by an agent, credited to a), b 2 in 1 week,
    c 1 (ai-assisted) in 1 week: 9 / 4. Multiplier (9/4) / (4/3) = 27/16. Plus what is never counted."""
    repo = rows.repo()
    for person in ("a", "b", "c"):
        rows.identity(person)
    rows.identity("claude", kind="agent")
    rows.identity("dependabot", kind="bot")
    for name, day in (("base-a1", "2024-01-02"), ("base-a2", "2024-01-02"), ("base-a3", "2024-01-09")):
        rows.commit(repo, name, week(day), "a")
    rows.commit(repo, "base-b1", week("2024-01-03"), "b")
    first = rows.commit(repo, "win-a1", week("2024-03-05"), "a")
    rows.commit(repo, "win-a2", week("2024-03-05"), "a")
    rows.commit(repo, "win-a3", week("2024-03-05"), "a", "ai-authored")
    for name in ("win-a4", "win-a5"):
        rows.commit(repo, name, week("2024-03-12"), "a")
    rows.commit(repo, "win-a6", week("2024-03-12"), "a", "ai-authored")
    rows.commit(repo, "win-b1", week("2024-03-13"), "b")
    rows.commit(repo, "win-b2", week("2024-03-13"), "b")
    rows.commit(repo, "win-c1", week("2024-03-06"), "c", "ai-assisted")
    rows.commit(repo, "late-a1", week("2024-03-19"), "a")  # its week had not ended at the last scan
    # Never counted: a bot, an excluded mass change, an agent nobody is credited for, a merge, an
    # unreachable commit, a commit not attributed yet.
    rows.commit(repo, "bot", week("2024-03-05"), "dependabot", "bot")
    rows.commit(repo, "mass", week("2024-03-05"), "a", excluded="mass change")
    rows.commit(repo, "orphan-agent", week("2024-03-05"), "claude", "ai-authored")
    rows.commit(repo, "merge", week("2024-03-05"), "a", merge=True)
    rows.commit(repo, "rewritten-away", week("2024-03-05"), "a", reachable=False)
    rows.commit(repo, "unattributed", week("2024-03-05"), None, None)
    rows.file(repo, first, "src/x.py", 10, 2)
    rows.file(repo, first, "package-lock.json", 500, 0)
    rows.file(repo, first, "data/rows.csv", 100, 0)
    rows.file(repo, first, "vendor/lib.js", 50, 0)
    rows.file(repo, first, "logo.png", None, None)
    return repo


def test_hand_computed_throughput_and_multiplier(store: Store) -> None:
    seed_team(Rows(store))
    config = config_with(baseline_start="2024-01-01", baseline_end="2024-01-28", window_weeks=2)
    assert throughput.analyze(store, config) > 0

    multiplier = metric_rows(store, "throughput.multiplier", scope_kind="org")
    assert len(multiplier) == 1
    _kind, _scope, start, length, value, n, low, high = multiplier[0]
    assert (start, length, n) == ("2024-03-04", "window", 3)
    assert value == pytest.approx(27 / 16)
    assert low <= value <= high
    assert value_of(store, "throughput.commits_per_dev_week", "org", "2024-03-04", "window") == (9 / 4, 3)
    assert value_of(store, "throughput.commits_per_dev_week", "org", "2024-01-01", "baseline") == (4 / 3, 2)
    # Both people active in both periods doubled their own rate: a 3 -> 1.5 ... a (6/2)/(3/2), b (2/1)/(1/1).
    within = metric_rows(store, "throughput.multiplier.within_author", scope_kind="org")[0]
    assert within[4:] == pytest.approx((2.0, 2, 2.0, 2.0))
    # AI vs non-AI: the two parts share the window's 4 developer-weeks and add up to 9 / 4.
    assert value_of(store, "throughput.commits_per_dev_week.ai", "org", "2024-03-04", "window") == (3 / 4, 3)
    assert value_of(store, "throughput.commits_per_dev_week.human", "org", "2024-03-04", "window") == (6 / 4, 3)


def test_weekly_and_monthly_rows(store: Store) -> None:
    seed_team(Rows(store))
    throughput.analyze(store, config_with())
    expected = {
        "throughput.active_developers": (2, 2),
        "throughput.commits": (4, 2),
        "throughput.commits.ai_authored": (1, 2),
        "throughput.commits.ai_assisted": (1, 2),
        "throughput.commits.human": (2, 2),
        "throughput.changed_lines": (12, 2),  # src/x.py only: not the lock, data, vendored or binary files
        "throughput.commits_per_dev_week": (2.0, 2),
    }
    for metric, wanted in expected.items():
        assert value_of(store, metric, "org", "2024-03-04", "week") == wanted, metric
    # March: 10 commits (the late one too) in 5 developer-weeks (a 3, b 1, c 1); January: 4 in 3.
    assert value_of(store, "throughput.commits_per_dev_week", "org", "2024-03-01", "month") == (2.0, 3)
    assert value_of(store, "throughput.commits_per_dev_week", "org", "2024-01-01", "month") == (4 / 3, 2)
    assert value_of(store, "throughput.commits", "repo", "2024-03-01", "month") == (10, 3)
    # Never a row per person.
    people = {"a", "b", "c", "claude", "dependabot"}
    assert not [row for row in store.db.execute("SELECT scope_id FROM metric_values") if row[0] in people]


def test_report_counts_what_it_left_out(store: Store) -> None:
    seed_team(Rows(store))
    config = config_with(baseline_start="2024-01-01", baseline_end="2024-01-28", window_weeks=2)
    answer = throughput.report(store, config)
    assert answer["measure"] == "commits per active developer-week"
    assert answer["window"] == {"start": "2024-03-04", "end": "2024-03-17", "days": 14, "weeks": 2}
    assert answer["not_counted"] == {
        "bot": 1,
        "excluded: mass change": 1,
        "not attributed yet": 1,
        "not credited to a person": 1,
    }
    assert answer["lines_excluded"] == {
        "binary files": 1,
        "code.exclude lines": 50,
        "data file lines": 100,
        "lock file lines": 500,
    }
    org = answer["scopes"][0]
    assert (org["kind"], org["id"], org["developers"]) == ("org", "all", 3)
    assert org["multiplier"]["value"] == pytest.approx(27 / 16)
    assert org["multiplier"]["n"] == 3 and org["multiplier"]["n_baseline"] == 2
    assert org["multiplier"]["window_rate"] == 9 / 4 and org["multiplier"]["baseline_rate"] == 4 / 3
    # What the scan stored is what the command shows: same code, same seed.
    throughput.analyze(store, config)
    stored = metric_rows(store, "throughput.multiplier", scope_kind="org")[0]
    assert (stored[6], stored[7]) == (org["multiplier"]["low"], org["multiplier"]["high"])


def test_insufficient_data_is_said_never_a_number(store: Store) -> None:
    seed_team(Rows(store))
    no_baseline = throughput.report(store, config_with())
    figure = no_baseline["scopes"][0]["multiplier"]
    assert figure["value"] is None and figure["low"] is None
    assert figure["reason"] == "insufficient data: configure throughput.baseline_start/baseline_end"
    too_few = throughput.report(store, config_with(baseline_start="2024-01-01", baseline_end="2024-01-28",
                                                   window_weeks=2, min_developers=3))  # fmt: skip
    figure = too_few["scopes"][0]["multiplier"]
    assert figure["value"] is None
    assert figure["reason"] == (
        "insufficient data: 2 developers active in the baseline, fewer than throughput.min_developers = 3"
    )
    overlapping = throughput.report(store, config_with(baseline_start="2024-01-01", baseline_end="2024-03-10"))
    assert overlapping["scopes"][0]["multiplier"]["reason"].startswith("insufficient data: the baseline (2024-01-01")
    throughput.analyze(store, config_with(window_weeks=2))
    assert metric_rows(store, "throughput.multiplier") == [
        ("org", "all", "2024-03-04", "window", None, 3, None, None),
        ("repo", "example.com/org/app", "2024-03-04", "window", None, 3, None, None),
    ]


def test_unchanged_inputs_skip_the_work(store: Store) -> None:
    rows = Rows(store)
    repo = seed_team(rows)
    config = config_with(baseline_start="2024-01-01", baseline_end="2024-01-28", window_weeks=2)
    assert throughput.analyze(store, config) > 0
    assert throughput.analyze(store, config) == 0
    rows.commit(repo, "new", week("2024-03-14"), "c")
    assert throughput.analyze(store, config) > 0
    assert throughput.analyze(store, dataclasses.replace(config, throughput=ThroughputConfig(seed=3))) > 0


# --------------------------------------------------------------------------------------- guardrails


def test_churn_and_reverts_by_class(store: Store) -> None:
    rows = Rows(store)
    repo = rows.repo()
    for person in ("a", "b"):
        rows.identity(person)
    monday = week("2024-02-05")
    first = rows.commit(repo, "add a.py", monday, "a")
    rows.file(repo, first, "src/a.py", 10, 0, change="A")
    rows.hunk(repo, first, "src/a.py", (0, 0), (1, 10))
    rewrite = rows.commit(repo, "tweak a.py", week("2024-02-07"), "b", "ai-assisted")
    rows.file(repo, rewrite, "src/a.py", 2, 2)
    rows.hunk(repo, rewrite, "src/a.py", (3, 2), (3, 2))
    thing = rows.commit(repo, "Add thing", week("2024-02-08"), "a")
    rows.file(repo, thing, "src/t.py", 4, 0, change="A")
    rows.hunk(repo, thing, "src/t.py", (0, 0), (1, 4))
    revert = rows.commit(repo, "revert", week("2024-02-15"), "b", subject='Revert "Add thing"',
                         body=f"This reverts commit {thing}.")  # fmt: skip
    rows.file(repo, revert, "src/t.py", 0, 4, change="D")
    rows.hunk(repo, revert, "src/t.py", (1, 4), (0, 0))
    young = rows.commit(repo, "young", week("2024-03-06"), "a")  # under 21 days old at data-through
    rows.file(repo, young, "src/a.py", 1, 0)
    rows.hunk(repo, young, "src/a.py", (10, 0), (11, 1))
    rows.data_through(repo, week("2024-03-16"))
    throughput.analyze(store, config_with(window_weeks=6))

    def at(metric: str, start: str = "2024-02-05") -> tuple[float | None, int]:
        return value_of(store, metric, "org", start, "week")

    # a's 10 lines lost 2 to b's rewrite; all 4 lines of "Add thing" were reverted: 6 of 14 human lines.
    assert at("throughput.churn_21d.human") == (6 / 14, 14)
    assert at("throughput.churn_21d.ai_assisted") == (0.0, 2)
    assert at("throughput.churn_21d") == (6 / 16, 16)
    assert at("throughput.revert_share.human") == (0.5, 2)
    assert at("throughput.revert_share.ai_assisted") == (0.0, 1)
    # The revert's week had one person in it: a row would describe them, so there is none.
    assert not metric_rows(store, "throughput.revert_share", period_start="2024-02-12", period_length="week")
    assert value_of(store, "throughput.revert_share.human", "org", "2024-02-01", "month") == (1 / 3, 3)
    assert not metric_rows(store, "throughput.revert_share", period_start="2024-03-04", period_length="week")

    answer = throughput.report(store, config_with(window_weeks=6))
    guardrails = answer["scopes"][0]["guardrails"]["window"]
    assert guardrails["churn_21d"]["all"]["value"] == pytest.approx(6 / 16)
    assert guardrails["churn_21d"]["all"]["n"] == 16
    assert guardrails["churn_21d"]["human"]["reason"] == (
        "insufficient data: 1 developer with data in the window, fewer than throughput.min_developers = 2"
    )
    assert guardrails["revert_share"]["all"]["value"] == pytest.approx(1 / 4)
    assert answer["line_ranges"] == {"repositories_with_hunks": 1, "repositories": 1}


def test_without_hunks_churn_says_so(store: Store) -> None:
    seed_team(Rows(store))
    answer = throughput.report(store, config_with(window_weeks=2))
    churn = answer["scopes"][0]["guardrails"]["window"]["churn_21d"]["all"]
    assert churn["value"] is None
    assert churn["reason"] == (
        "insufficient data: no counted lines followed for 21 days through stored line ranges (hunks) in the window"
    )
    assert "line ranges (for churn) stored for 0 of 1 repositories" in throughput.render(answer)


def test_effective_paths() -> None:
    paths = throughput.EffectivePaths(Config().code.exclude)
    assert paths.reason("src/app.py") is None
    assert paths.reason("deploy/values.yaml") is None  # configuration people write is counted
    assert paths.reason("web/yarn.lock") == "lock file"
    assert paths.reason("go.sum") == "lock file"
    assert paths.reason("fixtures/users.JSON") == "data file"
    assert paths.reason("notebooks/eda.ipynb") == "data file"
    assert paths.reason("third_party/zlib/inflate.c") == "code.exclude"
    assert paths.reason("web/node_modules/x/index.js") == "code.exclude"
    assert paths.reason("static/app.min.js") == "code.exclude"


# --------------------------------------------------------------------------------------- privacy


def seed_two_teams(rows: Rows) -> None:
    """Team core has 5 people, team web 3; everyone commits in two weeks, then core0 alone in a third."""
    repo = rows.repo()
    for team, size in (("core", 5), ("web", 3)):
        for index in range(size):
            person = f"{team}{index}"
            rows.identity(person, team=team)
            for day in ("2024-03-05", "2024-03-12"):
                rows.commit(repo, f"{person}-{day}", week(day), person)
    rows.commit(repo, "alone", week("2024-02-27"), "core0")


def test_a_team_of_three_is_hidden_and_a_team_of_five_shown(store: Store) -> None:
    seed_two_teams(Rows(store))
    throughput.analyze(store, config_with(min_group_size=5))
    teams = {row[1] for row in metric_rows(store, "throughput.commits", scope_kind="team")}
    assert teams == {"core"}
    assert value_of(store, "throughput.commits", "team", "2024-03-04", "week") == (5, 5)
    # A week with one active person is a figure about that person: no row, in any scope.
    assert not metric_rows(store, "throughput.commits", period_start="2024-02-26")
    answer = throughput.report(store, config_with(min_group_size=5))
    assert [(scope["kind"], scope["id"]) for scope in answer["scopes"]] == [
        ("org", "all"),
        ("repo", "example.com/org/app"),
        ("team", "core"),
    ]
    assert answer["hidden_groups"] == {"team": 1}
    assert "hidden for privacy (fewer than 5 people): 1 team" in throughput.render(answer)
    assert "web" not in json.dumps(answer)

    throughput.analyze(store, config_with(min_group_size=3))
    assert {row[1] for row in metric_rows(store, "throughput.commits", scope_kind="team")} == {"core", "web"}


def test_a_baseline_with_too_few_people_hides_the_multiplier(store: Store) -> None:
    seed_two_teams(Rows(store))
    config = config_with(min_group_size=5, baseline_start="2024-02-26", baseline_end="2024-03-03", window_weeks=2)
    org = throughput.report(store, config)["scopes"][0]
    assert org["multiplier"] == {
        "value": None,
        "low": None,
        "high": None,
        "n": 0,
        "reason": "hidden: fewer than privacy.min_group_size = 5 people active in the baseline",
    }
    assert org["guardrails"]["baseline"] == {"churn_21d": {}, "revert_share": {}}
    throughput.analyze(store, config)
    assert not metric_rows(store, "throughput.commits_per_dev_week", period_length="baseline")


def test_a_small_organisation_is_hidden_too(store: Store) -> None:
    seed_two_teams(Rows(store))
    answer = throughput.report(store, config_with(min_group_size=9))
    assert answer["scopes"] == []
    assert answer["hidden_groups"] == {"org": 1, "repo": 1, "team": 2}
    assert "insufficient data: no group has 9 people with counted commits" in throughput.render(answer)


# --------------------------------------------------------------------------------------- the command


def test_cli_prints_the_multiplier_with_its_interval_and_json_trust_signals(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_team(Rows(store))
    store.db.execute("INSERT INTO scans (run_id, target, stage, status, reason, started_at, devmetrics_version) "
                     "VALUES ('r', '/src/gone', 'history', 'failed', 'not a git repository', 'now', '0')")  # fmt: skip
    config = tmp_path / "devmetrics.toml"
    config.write_text("[throughput]\nmin_developers = 2\nbootstrap_samples = 300\n[privacy]\nmin_group_size = 2\n")
    db = str(store.path)

    assert main(["--config", str(config), "throughput", "--db", db, "--baseline", "2024-01-01:2024-01-28",
                 "--window", "2"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(
        r"productivity multiplier: 1\.69x \(95% CI \d\.\d\dx to \d\.\d\dx\), n = 3 developers in the window", out
    ), out
    assert "commits per active developer-week" in out
    assert "within-author (geometric mean): 2.00x" in out
    assert "failed: /src/gone (history: not a git repository)" in out

    assert main(["--config", str(config), "throughput", "--db", db, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["scopes"][0]["multiplier"]["reason"] == (
        "insufficient data: configure throughput.baseline_start/baseline_end"
    )
    assert set(answer) >= {"definitions", "data_through", "partial_history", "failed", "settings", "measure"}
    assert answer["definitions"]["throughput.multiplier"].startswith("Throughput per active developer-week")
    assert answer["failed"] == [{"target": "/src/gone", "stage": "history", "reason": "not a git repository"}]
    assert answer["data_through"] == "2024-03-19T12:00:00Z"

    assert main(["throughput", "--db", db, "--baseline", "2024-02-01:2024-01-01"]) == 2
    assert "give START:END" in capsys.readouterr().err


# --------------------------------------------------------------------------------------- end to end


E2E_BASELINE = ("2024-01-01", "2024-03-31")
E2E_CONFIG = f"""
[throughput]
baseline_start = "{E2E_BASELINE[0]}"
baseline_end = "{E2E_BASELINE[1]}"
bootstrap_samples = 500

[privacy]
min_group_size = 3
"""
CLAUDE = "Claude <noreply@anthropic.com>"


def git_oracle(repo: Path, excluded: set[str], periods: dict[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Per period, from git's own log (mailmap applied): commits, AI-trailer commits and each person's weeks."""
    from tests.repo_builder import git

    found: dict[str, dict[str, Any]] = {name: {"commits": 0, "ai": 0, "weeks": {}} for name in periods}
    log = git(repo, "log", "--no-merges", "--use-mailmap",
              "--format=%H%x09%aE%x09%at%x09%(trailers:key=Co-authored-by,valueonly,separator=%x2C)")  # fmt: skip
    for line in log.decode().splitlines():
        if not line.strip():
            continue
        sha, email, when, co_authors = line.split("\t")
        if sha in excluded:
            continue
        day = datetime.datetime.fromtimestamp(int(when), tz=UTC).date()
        for name, (first, last) in periods.items():
            if first <= day.isoformat() <= last:
                monday = (day - datetime.timedelta(days=day.weekday())).isoformat()
                found[name]["weeks"].setdefault(email, set()).add(monday)
                found[name]["commits"] += 1
                found[name]["ai"] += CLAUDE in co_authors
    for period in found.values():
        period["developer_weeks"] = sum(len(weeks) for weeks in period["weeks"].values())
    return found


def test_end_to_end_on_a_generated_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("devmetrics.analyzers.attribution")
    from tests.repo_builder import build_repo, synthetic_history

    start = 1_704_067_200  # 2024-01-01, a Monday
    adoption = start + 26 * 7 * DAY  # from July on, every third commit carries an AI co-author trailer
    specs = []
    for index, spec in enumerate(synthetic_history(400, seed=5, n_authors=8, start=start, span_days=364)):
        if spec.time >= adoption and index % 3 == 0 and not spec.merge_of:
            spec = dataclasses.replace(spec, message=f"{str(spec.message).rstrip()}\n\nCo-authored-by: {CLAUDE}\n")
        specs.append(spec)
    repo = build_repo(tmp_path / "repo", specs, prune_merged=True)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "devmetrics.toml").write_text(E2E_CONFIG)
    assert main(["scan", str(repo), "--db", "e2e.db"]) == 0

    store = Store.open(tmp_path / "e2e.db", create=False)
    try:
        excluded = {row[0] for row in store.db.execute("SELECT sha FROM attributions WHERE excluded IS NOT NULL")}
        config = Config(throughput=ThroughputConfig(*E2E_BASELINE, bootstrap_samples=500),
                        privacy=PrivacyConfig(min_group_size=3))  # fmt: skip
        answer = throughput.report(store, config)
        stored = metric_rows(store, "throughput.multiplier", scope_kind="org")
    finally:
        store.close()
    window = answer["window"]
    oracle = git_oracle(repo, excluded, {"window": (window["start"], window["end"]), "baseline": E2E_BASELINE})
    rate = {name: period["commits"] / period["developer_weeks"] for name, period in oracle.items()}

    org = answer["scopes"][0]
    multiplier = org["multiplier"]
    assert multiplier["value"] == pytest.approx(rate["window"] / rate["baseline"])
    assert multiplier["n"] == len(oracle["window"]["weeks"])
    assert multiplier["n_baseline"] == len(oracle["baseline"]["weeks"])
    assert multiplier["low"] < multiplier["value"] < multiplier["high"]
    assert stored[0][4] == pytest.approx(multiplier["value"])  # the scan stored what the command shows
    split = org["ai_vs_human"]
    assert split["ai"]["value"] == pytest.approx(oracle["window"]["ai"] / oracle["window"]["developer_weeks"])
    assert split["ai"]["value"] + split["human"]["value"] == pytest.approx(split["all"]["value"])
    assert org["guardrails"]["window"]["revert_share"]["all"]["value"] == 0.0  # nothing in it reverts anything
