"""Hotspots: files ranked by commits in the window × complexity, ownership, per-function commits mapped
through each commit's own version of the file, code-maat's change coupling at and around its thresholds,
and `devmetrics hotspots`. Facts are written straight into a real store; expectations are computed by hand."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from devmetrics.analyzers import hotspots
from devmetrics.cli import main
from devmetrics.config import Config, HotspotsConfig
from tests.test_debt import DAY, Facts, epoch

NEWEST = "2024-03-31"  # the window of 90 days starts on 2024-01-01 at 12:00, as the commits do


class History(Facts):
    """Facts plus commits, file changes and hunks."""

    def commit(
        self,
        repo_id: int,
        sha: str,
        when: int,
        author: str,
        files: Mapping[str, str | None],
        *,
        merge: bool = False,
        renamed_from: dict[str, str] | None = None,
    ) -> None:
        """`files`: path -> the blob it has after the commit (None: deleted)."""
        renamed_from = renamed_from or {}
        with self.store.transaction():
            self.store.db.execute(
                "INSERT INTO commits (repo_id, sha, author_name, author_email, author_time, author_tz, "
                "committer_name, committer_email, committer_time, committer_tz, subject, message, trailers, "
                "parents, is_merge, insertions, deletions, files) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, 0, 's', 's', "
                "'[]', '', ?, 1, 1, ?)",
                [repo_id, sha, author.title(), f"{author}@example.com", when, author, f"{author}@example.com",
                 when, int(merge), len(files)],
            )  # fmt: skip
            self.store.db.conn.executemany(
                "INSERT INTO file_changes (repo_id, sha, path, old_path, change_type, added, deleted, is_binary, "
                "old_blob, new_blob, old_mode, new_mode) VALUES (?, ?, ?, ?, ?, 1, 1, 0, NULL, ?, '100644', '100644')",
                [
                    (repo_id, sha, path, renamed_from.get(path), _change_type(path, blob, renamed_from), blob)
                    for path, blob in files.items()
                ],
            )
            self.store.db.execute("INSERT INTO reachable (repo_id, sha) VALUES (?, ?)", [repo_id, sha])

    def hunk(self, repo_id: int, sha: str, path: str, new_start: int, new_lines: int) -> None:
        with self.store.transaction():
            self.store.db.execute(
                "INSERT INTO hunks (repo_id, sha, path, old_start, old_lines, new_start, new_lines) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [repo_id, sha, path, new_start, new_lines, new_start, new_lines],
            )

    def repo_values(self, metric: str) -> dict[str, tuple[float | None, int]]:
        cursor = self.store.db.execute(
            "SELECT scope_id, value, n FROM metric_values WHERE metric = ? ORDER BY scope_id", [metric]
        )
        return {scope: (value, n) for scope, value, n in cursor}


def _change_type(path: str, blob: str | None, renamed_from: dict[str, str]) -> str:
    if path in renamed_from:
        return "R"
    return "D" if blob is None else "M"


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    built = History(tmp_path / "x.db")
    yield built
    built.store.close()


APP = "example.com/o/app"


def ranked_repo(history: History) -> int:
    """HEAD: a.py (f 1-10 and g 12-30: complexity 3 + 5), b.py (no functions: 40 code lines), c.py (h: 2),
    vendor/v.py (excluded). In the window, 5 commits: a.py by x, x and y; b.py by z; c.py by y exactly at the
    window's start. Left out: a merge, and a commit one second before the window."""
    repo = history.repo("app", through=NEWEST)
    a_head = history.blob(
        "a-head", code_lines=30, functions=[("f", 1, 10, 3, 0, 10, 0, 0), ("g", 12, 30, 5, 0, 19, 0, 0)]
    )
    history.blob("a2", code_lines=20, functions=[("f", 1, 4, 1, 0, 4, 0, 0), ("g", 5, 20, 5, 0, 16, 0, 0)])
    b_head = history.blob("b-head", code_lines=40)
    c_head = history.blob("c-head", code_lines=5, functions=[("h", 1, 5, 2, 0, 5, 0, 0)])
    files = {"a.py": a_head, "b.py": b_head, "c.py": c_head}
    history.snapshot(repo, "c1", "head", NEWEST, files, {"vendor/v.py": "v"})
    start = epoch("2024-01-01")
    history.commit(repo, "c0", start - 1, "x", {"a.py": "a0", "b.py": "b0"})
    history.commit(repo, "c5", start, "y", {"c.py": c_head})
    history.commit(repo, "c4", epoch("2024-03-05"), "z", {"b.py": b_head})
    history.commit(repo, "c3", epoch("2024-03-10"), "y", {"a.py": "a3"})
    history.commit(repo, "c2", epoch("2024-03-20"), "x", {"a.py": "a2"})
    history.commit(repo, "m1", epoch("2024-03-25"), "w", {"a.py": "a2"}, merge=True)
    history.commit(repo, "c1", epoch(NEWEST), "x", {"a.py": a_head, "vendor/v.py": "v"})
    history.hunk(repo, "c1", "a.py", 40, 1)  # below every function
    history.hunk(repo, "c2", "a.py", 5, 2)  # g in c2's version (f at HEAD)
    history.hunk(repo, "c3", "a.py", 12, 1)  # c3's version was not measured: HEAD's g
    history.hunk(repo, "c3", "a.py", 3, 0)  # a deletion after line 3: strictly inside HEAD's f
    return repo


# ------------------------------------------------------------------------------------ files and ownership


def test_files_ranked_by_commits_times_complexity(history: History) -> None:
    ranked_repo(history)
    assert hotspots.analyze(history.store, Config()) > 0
    assert history.repo_values("hotspots.file_score") == {
        f"{APP}:a.py": (3 * 8, 3),
        f"{APP}:b.py": (1 * 40, 1),
        f"{APP}:c.py": (1 * 2, 1),
    }
    assert history.repo_values("hotspots.file_complexity") == {
        f"{APP}:a.py": (8, 2),
        f"{APP}:b.py": (40, 0),  # no functions: code lines, n = 0 functions
        f"{APP}:c.py": (2, 1),
    }
    assert history.repo_values("hotspots.window_commits") == {APP: (5, 5)}
    period = history.store.db.execute("SELECT DISTINCT period_start, period_length FROM metric_values").fetchall()
    assert period == [("2024-01-01", "90d")]


def test_ownership_share_and_author_count(history: History) -> None:
    ranked_repo(history)
    hotspots.analyze(history.store, Config())
    assert history.repo_values("hotspots.file_authors") == {
        f"{APP}:a.py": (2, 3),
        f"{APP}:b.py": (1, 1),
        f"{APP}:c.py": (1, 1),
    }
    shares = history.repo_values("hotspots.file_main_author_share")
    assert shares[f"{APP}:a.py"] == (2 / 3, 3)
    assert shares[f"{APP}:b.py"] == (1.0, 1)


def test_renames_in_the_window_are_followed(history: History) -> None:
    repo = history.repo()
    history.snapshot(repo, "r3", "head", NEWEST, {"new.py": history.blob("n", code_lines=10)})
    history.commit(repo, "r1", epoch("2024-03-01"), "x", {"old.py": "o1"})
    history.commit(repo, "r2", epoch("2024-03-02"), "x", {"new.py": "o1"}, renamed_from={"new.py": "old.py"})
    history.commit(repo, "r3", epoch(NEWEST), "y", {"new.py": "n"})
    hotspots.analyze(history.store, Config())
    assert history.repo_values("hotspots.file_revisions") == {f"{APP}:new.py": (3, 3)}


# ------------------------------------------------------------------------------------ functions


def test_function_commits_map_hunks_through_each_version(history: History) -> None:
    ranked_repo(history)
    hotspots.analyze(history.store, Config())
    assert history.repo_values("hotspots.function_revisions") == {
        f"{APP}:a.py:1:f": (1, 1),  # c3's deletion
        f"{APP}:a.py:12:g": (2, 2),  # c2 through its own version, c3 through HEAD's ranges
    }
    # c1 and c2 were mapped with their own version's ranges, c3 with HEAD's.
    assert history.repo_values("hotspots.function_mapping_exact") == {APP: (2 / 3, 3)}


@pytest.mark.parametrize(
    ("new_start", "new_lines", "touched"),
    [(9, 2, True), (11, 1, False), (1, 1, True), (0, 1, False), (4, 0, True), (10, 0, False), (1, 0, True)],
)
def test_hunk_ranges_against_a_function(new_start: int, new_lines: int, touched: bool) -> None:
    function = hotspots.FunctionRange("f", 1, 10)
    assert hotspots.hunk_touches(function, new_start, new_lines) is touched


# ------------------------------------------------------------------------------------ coupling


def coupled(change_sets: Sequence[Sequence[str]], **settings: Any) -> list[tuple[str, str, int, float]]:
    found = hotspots.change_coupling(change_sets, HotspotsConfig(**settings))
    return [(c.path, c.coupled, c.shared, round(c.degree, 2)) for c in found]


def test_coupling_needs_five_shared_commits() -> None:
    assert coupled([["a", "b"]] * 5) == [("a", "b", 5, 100.0)]
    assert coupled([["a", "b"]] * 4 + [["a"], ["b"]]) == []


def test_coupling_needs_an_average_of_five_commits() -> None:
    # Shared commits alone are allowed to be few here, to see the average's own threshold.
    assert coupled([["a", "b"]] * 4 + [["a"]], min_shared_revisions=1) == []  # average 4.5
    assert coupled([["a", "b"]] * 4 + [["a"], ["b"]], min_shared_revisions=1) == [("a", "b", 4, 80.0)]


def test_coupling_degree_of_exactly_thirty_percent_is_kept() -> None:
    sets = [["a", "b"]] * 6 + [["a"]] * 14 + [["b"]] * 14  # 6 shared ÷ 20 average = 30%
    assert coupled(sets) == [("a", "b", 6, 30.0)]
    assert coupled([*sets, ["a"]]) == []  # 6 ÷ 20.5 = 29.3%


def test_coupling_pairs_are_ranked_by_degree() -> None:
    sets = [["a", "b", "c"]] * 5 + [["c"]] * 5
    assert coupled(sets) == [("a", "b", 5, 100.0), ("a", "c", 5, 66.67), ("b", "c", 5, 66.67)]


@pytest.mark.parametrize(("size", "kept"), [(30, True), (31, False)])
def test_commits_over_thirty_files_are_ignored_for_coupling(history: History, size: int, kept: bool) -> None:
    repo = history.repo()
    history.snapshot(repo, "h", "head", NEWEST, {"a.py": history.blob("a", code_lines=3), "b.py": history.blob("b")})
    for day in range(4):
        history.commit(repo, f"s{day}", epoch(NEWEST) - (day + 1) * DAY, "x", {"a.py": "a", "b.py": "b"})
    big = {"a.py": "a", "b.py": "b"} | {f"gen/{index}.txt": "g" for index in range(size - 2)}
    history.commit(repo, "big", epoch(NEWEST), "x", big)
    hotspots.analyze(history.store, Config())
    expected = {f"{APP}:a.py <-> b.py": (100.0, 5)} if kept else {}
    assert history.repo_values("hotspots.coupling_degree") == expected
    assert history.repo_values("hotspots.file_revisions")[f"{APP}:a.py"] == (5, 5)  # hotspots count every commit


# ------------------------------------------------------------------------------------ recomputation


def test_recomputation_is_skipped_when_unchanged_and_redone_when_settings_change(history: History) -> None:
    ranked_repo(history)
    assert hotspots.analyze(history.store, Config()) > 0
    assert hotspots.analyze(history.store, Config()) == 0
    shorter = dataclasses.replace(Config(), hotspots=HotspotsConfig(window_days=20))
    assert not hotspots.is_current(history.store, shorter)
    assert hotspots.analyze(history.store, shorter) > 0
    assert set(history.repo_values("hotspots.file_revisions")) == {f"{APP}:a.py"}  # c2 (03-20) and c1


# ------------------------------------------------------------------------------------ the command


def hotspots_json(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["hotspots", "--db", str(db), "--json", *args]) == 0
    out = capsys.readouterr().out
    assert "@example.com" not in out and "Devmetrics" not in out  # people are never named
    answer: dict[str, Any] = json.loads(out)
    return answer


def test_hotspots_json_ranks_and_carries_the_trust_signals(
    history: History, capsys: pytest.CaptureFixture[str]
) -> None:
    ranked_repo(history)
    history.repo("lib", shallow=True, through="2024-04-02")
    with history.store.transaction():
        scan_id = history.store.start_scan("run1", "/src/gone", "history", "0")
        history.store.finish_scan(scan_id, "failed", reason="/src/gone: no such folder")

    answer = hotspots_json(history.path, "--top", "2", capsys=capsys)

    assert set(answer["definitions"]) == set(hotspots.METRIC_NAMES)
    assert answer["settings"] == dataclasses.asdict(HotspotsConfig())
    assert answer["data_through"] == "2024-04-02"
    assert answer["partial_history"] == ["lib"]
    assert answer["failed"] == [{"target": "/src/gone", "stage": "history", "reason": "/src/gone: no such folder"}]
    app, lib = answer["repositories"]
    assert app["window"] == {"start": "2024-01-01", "days": 90, "commits": 5, "n": 5}
    assert app["files"] == [
        {"rank": 1, "path": "b.py", "score": 40, "revisions": 1, "complexity": 40,
         "complexity_basis": "code lines", "functions": 0, "authors": 1, "main_author_share": 1.0},
        {"rank": 2, "path": "a.py", "score": 24, "revisions": 3, "complexity": 8,
         "complexity_basis": "cyclomatic", "functions": 2, "authors": 2, "main_author_share": pytest.approx(2 / 3)},
    ]  # fmt: skip
    assert app["functions"] == [
        {"rank": 1, "path": "a.py", "function": "g", "line": 12, "revisions": 2},
        {"rank": 2, "path": "a.py", "function": "f", "line": 1, "revisions": 1},
    ]
    assert app["function_mapping_exact"] == {"share": pytest.approx(2 / 3), "n": 3}
    assert app["coupling"] == []
    assert (lib["shallow"], lib["message"]) == (True, "no hotspots: no measured HEAD snapshot or no commits")


def test_hotspots_repo_option(history: History, capsys: pytest.CaptureFixture[str]) -> None:
    ranked_repo(history)
    history.repo("lib")
    answer = hotspots_json(history.path, "--repo", "app", capsys=capsys)
    assert [repo["name"] for repo in answer["repositories"]] == ["app"]
    assert main(["hotspots", "--db", str(history.path), "--repo", "nope"]) == 2
    assert "--repo nope: no such repository in the database (known: app, lib)" in capsys.readouterr().err


def test_coupling_pairs_in_the_json(history: History, capsys: pytest.CaptureFixture[str]) -> None:
    repo = history.repo()
    history.snapshot(repo, "h", "head", NEWEST, {"a.py": history.blob("a"), "b:c.py": history.blob("b")})
    for day in range(5):
        history.commit(repo, f"s{day}", epoch(NEWEST) - day * DAY, "x", {"a.py": "a", "b:c.py": "b"})
    history.commit(repo, "solo", epoch(NEWEST) - 9 * DAY, "x", {"a.py": "a"})
    (app,) = hotspots_json(history.path, capsys=capsys)["repositories"]
    assert app["coupling"] == [
        {"rank": 1, "path": "a.py", "coupled": "b:c.py", "degree": pytest.approx(200 * 5 / 11),
         "shared_revisions": 5, "average_revisions": 5.5}
    ]  # fmt: skip


def test_hotspots_text_output(history: History, capsys: pytest.CaptureFixture[str]) -> None:
    ranked_repo(history)
    assert main(["hotspots", "--db", str(history.path)]) == 0
    out = capsys.readouterr().out
    assert "5 commits since 2024-01-01" in out
    assert "      1         40      1      40     1   100%  b.py" in out
    assert "      1      2  a.py:12 g" in out
    assert "@example.com" not in out


def test_hotspots_without_code_data_or_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotspots", "--db", str(tmp_path / "missing.db")]) == 1
    assert "no devmetrics database here" in capsys.readouterr().err
    history = History(tmp_path / "x.db")
    history.repo()
    history.store.close()
    assert main(["hotspots", "--db", str(tmp_path / "x.db")]) == 0
    assert "run `devmetrics scan`" in capsys.readouterr().out
