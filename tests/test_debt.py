"""The debt model: findings and their minutes per rule, duplicated blocks, roll-ups, rating boundaries, the
reduction against a baseline, recomputation, and `devmetrics debt`. Code facts are written straight into a
real store, as the code stage writes them; expectations are computed by hand."""

from __future__ import annotations

import dataclasses
import json
import random
import struct
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from devmetrics.analyzers import debt
from devmetrics.cli import main
from devmetrics.config import Config, DebtConfig
from devmetrics.errors import ConfigError
from devmetrics.model import RepoRef
from devmetrics.store import Store, writer_lock

VERSION = "t1"
DAY = 86400
# (name, start, end, cyclomatic, cognitive, length, max nesting, parameters)
FunctionSpec = tuple[str, int, int, int, int, int, int, int]


def epoch(day: str, hour: int = 12) -> int:
    return int(datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).timestamp()) + hour * 3600


def monday(day: str) -> str:
    return debt.period_of(date.fromisoformat(day), "week")


class Facts:
    """Writes repositories, commits and code facts into a real store, as the scan's stages do."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = Store.open(path)

    def repo(self, name: str = "app", *, shallow: bool = False, through: str | None = "2024-01-20") -> int:
        ref = RepoRef(f"example.com/o/{name}", f"/src/{name}", name, None, None, None, False, shallow)
        with self.store.transaction():
            repo_id = self.store.upsert_repo(ref)
            self.store.db.execute(
                "UPDATE repos SET data_through = ? WHERE id = ?", [through and epoch(through), repo_id]
            )
        return repo_id

    def blob(
        self,
        blob: str,
        *,
        code_lines: int = 100,
        functions: Sequence[FunctionSpec] = (),
        markers: Sequence[tuple[int, str, str]] = (),
        maintainability: float | None = None,
        windows: Sequence[tuple[int, int]] = (),
        status: str = "ok",
        language: str = "python",
    ) -> str:
        packed = b"".join(struct.pack("<IQ", line, value) for line, value in windows) or None
        with self.store.transaction():
            self.store.db.execute(
                "INSERT INTO blob_metrics (blob, language, analyzer_version, engine, status, reason, lines_total, "
                "lines_code, lines_comment, lines_blank, functions, cyclomatic_total, cognitive_total, "
                "max_cyclomatic, maintainability, halstead_volume, markers, block_hashes, measured_at) "
                "VALUES (?, ?, ?, 'radon', ?, '', ?, ?, 0, 0, ?, ?, ?, ?, ?, NULL, ?, ?, '2024-01-01T00:00:00Z')",
                [
                    blob,
                    language,
                    VERSION,
                    status,
                    code_lines,
                    code_lines,
                    len(functions),
                    sum(f[3] for f in functions),
                    sum(f[4] for f in functions),
                    max((f[3] for f in functions), default=0),
                    maintainability,
                    json.dumps([list(marker) for marker in markers]),
                    packed,
                ],
            )
            self.store.db.conn.executemany(
                "INSERT INTO function_metrics (blob, language, analyzer_version, qualified_name, start_line, "
                "end_line, cyclomatic, cognitive, length, max_nesting, parameters) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(blob, language, VERSION, *function) for function in functions],
            )
        return blob

    def snapshot(
        self,
        repo_id: int,
        revision: str,
        kind: str,
        committed: str,
        files: dict[str, str],
        excluded: dict[str, str] | None = None,
    ) -> None:
        """`files`: path -> blob, measured; `excluded`: path -> blob, excluded by the rules."""
        period = "month" if kind == "monthly" else "week"
        start = debt.period_of(date.fromisoformat(committed), period)
        rows: list[tuple[str, str, str | None]] = [(path, blob, None) for path, blob in files.items()]
        rows += [(path, blob, "excluded by code.exclude") for path, blob in (excluded or {}).items()]
        with self.store.transaction():
            self.store.db.execute(
                "INSERT INTO snapshot_revisions (repo_id, revision, kind, period_start, committed_at, "
                "analyzer_version) VALUES (?, ?, ?, ?, ?, ?)",
                [repo_id, revision, kind, start, epoch(committed), VERSION],
            )
            self.store.db.conn.executemany(
                "INSERT INTO snapshots (repo_id, revision, path, blob, language, excluded) "
                "VALUES (?, ?, ?, ?, 'python', ?)",
                [(repo_id, revision, path, blob, reason) for path, blob, reason in rows],
            )

    def values(self, metric: str, kind: str = "repo") -> dict[str, tuple[float | None, int]]:
        cursor = self.store.db.execute(
            "SELECT period_start, value, n FROM metric_values WHERE metric = ? AND scope_kind = ? "
            "ORDER BY period_start",
            [metric, kind],
        )
        return {start: (value, n) for start, value, n in cursor}

    def findings(self) -> list[tuple[str, str, str, int, float]]:
        cursor = self.store.db.execute(
            "SELECT path, rule, location, line, minutes FROM debt_findings ORDER BY path, line, rule"
        )
        return [tuple(row) for row in cursor]


@pytest.fixture
def facts(tmp_path: Path) -> Iterator[Facts]:
    built = Facts(tmp_path / "x.db")
    yield built
    built.store.close()


def config_with(**debt_settings: Any) -> Config:
    return dataclasses.replace(Config(), debt=DebtConfig(**debt_settings))


def fixmes(count: int, first_line: int = 1) -> list[tuple[int, str, str]]:
    return [(first_line + index, "FIXME", "fix") for index in range(count)]


# ------------------------------------------------------------------------------------ rules


def test_every_rule_and_its_minutes(facts: Facts) -> None:
    repo = facts.repo()
    big: FunctionSpec = ("Parser.big", 10, 70, 14, 15, 61, 6, 6)
    hard: FunctionSpec = ("hard", 80, 95, 10, 16, 16, 4, 5)  # only cognitive is over its limit
    fine: FunctionSpec = ("fine", 96, 99, 1, 0, 4, 1, 0)
    markers = [(3, "TODO", "later"), (7, "FIXME", "broken"), (8, "HACK", ""), (9, "XXX", "x"), (11, "NOTE", "no")]
    blob = facts.blob("a1", functions=[big, hard, fine], markers=markers, maintainability=9.5)
    facts.snapshot(repo, "r1", "head", "2024-01-10", {"src/a.py": blob})

    assert debt.analyze(facts.store, Config()) > 0

    assert facts.findings() == [
        ("src/a.py", "maintainability", "(file)", 1, 30.0),
        ("src/a.py", "marker", "TODO", 3, 5.0),
        ("src/a.py", "marker", "FIXME", 7, 10.0),
        ("src/a.py", "marker", "HACK", 8, 10.0),
        ("src/a.py", "marker", "XXX", 9, 10.0),
        ("src/a.py", "cyclomatic", "Parser.big", 10, 5.0 + 4),
        ("src/a.py", "long_function", "Parser.big", 10, 20.0),
        ("src/a.py", "nesting", "Parser.big", 10, 10.0 + 2 * 5),
        ("src/a.py", "parameters", "Parser.big", 10, 15.0),
        ("src/a.py", "cognitive", "hard", 80, 5.0 + 1),
    ]
    total = 30 + 5 + 10 + 10 + 10 + 9 + 20 + 20 + 15 + 6
    week = "2024-01-08"
    assert facts.values("debt.minutes") == {week: (total, 1)}
    assert facts.values("debt.findings") == {week: (10, 1)}
    assert facts.values("debt.code_lines") == {week: (100, 1)}
    assert facts.values("debt.density") == {week: (total * 1000 / 100, 1)}
    assert facts.values("debt.ratio") == {week: (total / 3000, 1)}
    assert facts.values("debt.rating") == {week: (1, 1)}  # 135 ÷ (30 × 100) = 4.5%: A


def test_rule_details_name_the_measure_and_the_limit(facts: Facts) -> None:
    repo = facts.repo()
    blob = facts.blob("a1", functions=[("f", 1, 70, 12, 0, 70, 0, 0)], markers=[(2, "TODO", "tidy up")])
    facts.snapshot(repo, "r1", "head", "2024-01-10", {"a.py": blob})
    debt.analyze(facts.store, Config())
    details = {row[0]: row[1] for row in facts.store.db.execute("SELECT rule, detail FROM debt_findings")}
    assert details == {
        "cyclomatic": "cyclomatic complexity 12 > 10",
        "long_function": "lines 70 > 60",
        "marker": "TODO: tidy up",
    }


def test_configured_limits_and_minutes_are_used(facts: Facts) -> None:
    repo = facts.repo()
    blob = facts.blob("a1", functions=[("f", 1, 20, 8, 0, 20, 0, 0)], markers=[(2, "TODO", ""), (3, "FIXME", "")])
    facts.snapshot(repo, "r1", "head", "2024-01-10", {"a.py": blob})
    config = config_with(max_cyclomatic=6, cyclomatic_minutes=2.0, cyclomatic_minutes_per_point=3.0, markers=("TODO",))
    debt.analyze(facts.store, config)
    assert facts.findings() == [("a.py", "cyclomatic", "f", 1, 2.0 + 2 * 3.0), ("a.py", "marker", "TODO", 2, 5.0)]


# ------------------------------------------------------------------------------------ duplication


def test_duplicated_blocks_across_and_within_files(facts: Facts) -> None:
    repo = facts.repo()
    shared = [(1 + index, 1000 + index) for index in range(16)]  # 25 code lines: 16 windows
    a = facts.blob("a", code_lines=25, windows=shared)
    b = facts.blob("b", code_lines=25, windows=[(line + 4, value) for line, value in shared])
    # c: window 0 (X) and 1 (W) come back at windows 20 and 30; those two do not overlap: two blocks.
    c_windows = [(index + 1, 5000 + index) for index in range(40)]
    c_windows[20] = (21, 5000)
    c_windows[30] = (31, 5001)
    c = facts.blob("c", code_lines=49, windows=c_windows)
    e = facts.blob("e", code_lines=10, windows=[(3, 1000)])  # a third copy of a's first window
    facts.snapshot(repo, "r1", "head", "2024-01-10", {"a.py": a, "b.py": b, "c.py": c, "e.py": e}, {"f.py": a})

    debt.analyze(facts.store, Config())

    assert facts.findings() == [
        ("b.py", "duplication", "(block)", 5, 10.0 + 15),
        ("c.py", "duplication", "(block)", 21, 10.0),
        ("c.py", "duplication", "(block)", 31, 10.0),
        ("e.py", "duplication", "(block)", 3, 10.0),
    ]
    detail = facts.store.db.execute("SELECT detail FROM debt_findings WHERE path = 'b.py'").fetchone()[0]
    assert detail == "25 duplicated code lines, also at a.py:1"
    assert facts.values("debt.minutes") == {"2024-01-08": (55.0, 4)}
    assert facts.values("debt.code_lines") == {"2024-01-08": (25 + 25 + 49 + 10, 4)}


def test_duplication_follows_each_snapshot(facts: Facts) -> None:
    repo = facts.repo()
    windows = [(1 + index, 7000 + index) for index in range(3)]  # 12 code lines: 3 windows
    a = facts.blob("a", code_lines=12, windows=windows)
    b = facts.blob("b", code_lines=12, windows=windows)
    c = facts.blob("c", code_lines=12, windows=windows)
    facts.snapshot(repo, "w1", "weekly", "2024-01-05", {"a.py": a, "b.py": b})
    facts.snapshot(repo, "w2", "weekly", "2024-01-12", {"a.py": a})
    facts.snapshot(repo, "h", "head", "2024-01-17", {"a.py": a, "b.py": b, "c.py": c})
    debt.analyze(facts.store, Config())
    assert facts.values("debt.minutes") == {"2024-01-01": (12.0, 2), "2024-01-08": (0.0, 1), "2024-01-15": (24.0, 3)}


def test_counting_along_the_snapshots_equals_counting_each_afresh(facts: Facts) -> None:
    rng = random.Random(5)
    repo = facts.repo()
    pool = [
        facts.blob(f"v{index}", code_lines=20, windows=[(line, rng.randrange(30)) for line in range(1, 12)])
        for index in range(12)
    ]
    for week in range(8):
        files = {f"f{index}.py": rng.choice(pool) for index in range(rng.randrange(1, 6))}
        facts.snapshot(repo, f"w{week}", "weekly", f"2024-0{1 + week // 4}-{3 + 7 * (week % 4):02d}", files)
    debt.analyze(facts.store, Config())
    judge = debt.SnapshotJudge(facts.store, DebtConfig())
    rows = facts.store.db.execute(
        "SELECT repo_id, revision, kind, period_start, committed_at, analyzer_version FROM snapshot_revisions "
        "ORDER BY committed_at"
    )
    snapshots = debt.place_snapshots(list(rows), "week")
    assert any(debt.SnapshotJudge(facts.store, DebtConfig()).measure(s).duplicated for s in snapshots)
    for snapshot in snapshots:
        fresh = debt.SnapshotJudge(facts.store, DebtConfig()).measure(snapshot)
        assert judge.measure(snapshot).totals == fresh.totals


def test_overlapping_extra_windows_merge_into_one_block() -> None:
    windows = debt.Windows(tuple(range(1, 31)), tuple(range(30)))
    copy = debt.Windows(tuple(range(101, 131)), (*range(5), *range(100, 110), *range(15, 30)))
    found = debt.duplication_findings([("a.py", windows), ("b.py", copy)], DebtConfig())
    # b's windows 0-4 and 15-29 repeat a's: 15 - 4 = 11 >= 10, so they are two blocks (14 and 24 lines).
    assert [(path, f.line, f.minutes) for path, f in found] == [("b.py", 101, 10.0 + 4), ("b.py", 116, 10.0 + 14)]


def test_decode_windows_sorts_and_ignores_a_torn_tail() -> None:
    packed = struct.pack("<IQ", 9, 2) + struct.pack("<IQ", 3, 1) + b"\x01\x02"
    assert debt.decode_windows(packed) == debt.Windows((3, 9), (1, 2))
    assert debt.decode_windows(None) == debt.NO_WINDOWS


# ------------------------------------------------------------------------------------ exclusions and statuses


def test_excluded_paths_and_unmeasured_files_do_not_count(facts: Facts) -> None:
    repo = facts.repo()
    measured = facts.blob("m", code_lines=50, markers=fixmes(1))
    binary = facts.blob("bin", code_lines=0, status="binary")
    facts.snapshot(
        repo, "r1", "head", "2024-01-10", {"src/a.py": measured, "logo.png": binary}, {"vendor/a.py": measured}
    )
    debt.analyze(facts.store, Config())
    assert facts.findings() == [("src/a.py", "marker", "FIXME", 1, 10.0)]
    assert facts.values("debt.code_lines") == {"2024-01-08": (50, 1)}


# ------------------------------------------------------------------------------------ rating


@pytest.mark.parametrize(
    ("ratio", "grade"),
    [(0.0, 1), (0.05, 1), (0.0500001, 2), (0.1, 2), (0.2, 3), (0.2000001, 4), (0.5, 4), (0.5000001, 5), (3.0, 5)],
)
def test_rating_grid_boundaries(ratio: float, grade: int) -> None:
    assert debt.rating(ratio, debt.rating_grid(DebtConfig())) == grade


@pytest.mark.parametrize(
    ("fixme_count", "todo_count", "letter"), [(15, 0, "A"), (15, 1, "B"), (30, 0, "B"), (30, 1, "C")]
)
def test_exactly_five_and_ten_percent_through_the_store(
    facts: Facts, fixme_count: int, todo_count: int, letter: str
) -> None:
    repo = facts.repo()
    todos = [(100 + index, "TODO", "") for index in range(todo_count)]
    blob = facts.blob("a", code_lines=100, markers=[*fixmes(fixme_count), *todos])
    facts.snapshot(repo, "r1", "head", "2024-01-10", {"a.py": blob})
    debt.analyze(facts.store, Config())
    # 15 FIXMEs: 150 minutes ÷ (30 × 100 lines) = exactly 5%; a TODO more is 5.17%.
    ((grade, _n),) = facts.values("debt.rating").values()
    assert debt.rating_letter(grade) == letter


def test_configured_grid_and_refused_grid(facts: Facts) -> None:
    repo = facts.repo()
    facts.snapshot(repo, "r1", "head", "2024-01-10", {"a.py": facts.blob("a", code_lines=100, markers=fixmes(3))})
    debt.analyze(facts.store, config_with(rating_a=0.005, rating_b=0.01, rating_c=0.02, rating_d=0.05))
    assert facts.values("debt.rating") == {"2024-01-08": (2, 1)}  # 30 ÷ 3000 = 1%, exactly the B limit
    with pytest.raises(ConfigError, match=r"^debt.rating_c \(0.15\) must not be below debt.rating_b \(0.2\)"):
        debt.analyze(facts.store, config_with(rating_b=0.2, rating_c=0.15))


# ------------------------------------------------------------------------------------ periods, org, reduction


def trend_repo(facts: Facts, name: str = "app") -> int:
    """Weekly snapshots of 2024-01-01 and 2024-01-08, then HEAD in the week of 2024-01-15: densities 2000,
    1500 and 1000 minutes per 1,000 lines."""
    repo = facts.repo(name)
    facts.snapshot(repo, f"{name}-w1", "weekly", "2024-01-05", {"a.py": facts.blob(f"{name}1", markers=fixmes(20))})
    facts.snapshot(repo, f"{name}-w2", "weekly", "2024-01-12", {"a.py": facts.blob(f"{name}2", markers=fixmes(15))})
    facts.snapshot(repo, f"{name}-h", "head", "2024-01-17", {"a.py": facts.blob(f"{name}3", markers=fixmes(10))})
    return repo


def test_snapshot_periods_and_head_in_its_own_week(facts: Facts) -> None:
    trend_repo(facts)
    debt.analyze(facts.store, Config())
    assert facts.values("debt.density") == {
        "2024-01-01": (2000.0, 1),
        "2024-01-08": (1500.0, 1),
        "2024-01-15": (1000.0, 1),
    }
    assert facts.values("debt.minutes", "org") == {
        "2024-01-01": (200, 1),
        "2024-01-08": (150, 1),
        "2024-01-15": (100, 1),
    }
    # Only the latest snapshot's findings are kept, for `devmetrics debt` and the dashboards.
    assert {row[0] for row in facts.store.db.execute("SELECT DISTINCT revision FROM debt_findings")} == {"app-h"}


def test_superseded_former_head_is_left_out(facts: Facts) -> None:
    repo = trend_repo(facts)
    facts.snapshot(repo, "old-head", "superseded", "2024-01-09", {"a.py": facts.blob("x", markers=fixmes(90))})
    debt.analyze(facts.store, Config())
    assert facts.values("debt.minutes")["2024-01-08"] == (150, 1)


def test_monthly_snapshots_and_head_month(facts: Facts) -> None:
    repo = facts.repo()
    facts.snapshot(repo, "m1", "monthly", "2024-01-31", {"a.py": facts.blob("a", markers=fixmes(2))})
    facts.snapshot(repo, "h", "head", "2024-02-10", {"a.py": facts.blob("b", markers=fixmes(1))})
    debt.analyze(
        facts.store, dataclasses.replace(Config(), code=dataclasses.replace(Config().code, snapshots="monthly"))
    )
    rows = facts.store.db.execute(
        "SELECT period_start, period_length, value FROM metric_values WHERE metric = 'debt.minutes' "
        "AND scope_kind = 'repo' ORDER BY period_start"
    )
    assert list(rows) == [("2024-01-01", "month", 20.0), ("2024-02-01", "month", 10.0)]


def test_org_rolls_up_each_repository_latest_snapshot(facts: Facts) -> None:
    trend_repo(facts, "app")
    other = facts.repo("lib")
    facts.snapshot(other, "lib-h", "head", "2024-01-09", {"b.py": facts.blob("l1", code_lines=300, markers=fixmes(3))})
    debt.analyze(facts.store, Config())
    # Week of 01-15: app's HEAD (100 minutes, 100 lines) + lib's HEAD of the week before (30, 300), carried on.
    assert facts.values("debt.minutes", "org") == {
        "2024-01-01": (200, 1),
        "2024-01-08": (150 + 30, 2),
        "2024-01-15": (100 + 30, 2),
    }
    assert facts.values("debt.density", "org")["2024-01-15"] == (130 * 1000 / 400, 2)


def test_reduction_against_the_last_snapshot_on_or_before_the_baseline(facts: Facts) -> None:
    trend_repo(facts)
    debt.analyze(facts.store, config_with(baseline_date="2024-01-10"))
    assert facts.values("debt.baseline_density") == {"2024-01-01": (2000.0, 1)}
    assert facts.values("debt.reduction") == {"2024-01-01": (0.0, 1), "2024-01-08": (0.25, 1), "2024-01-15": (0.5, 1)}
    # A snapshot committed on the baseline day itself is the baseline.
    debt.analyze(facts.store, config_with(baseline_date="2024-01-12"))
    assert facts.values("debt.reduction") == {"2024-01-08": (0.0, 1), "2024-01-15": (1 - 1000 / 1500, 1)}


@pytest.mark.parametrize(
    ("baseline_date", "reason"),
    [("", "no baseline configured: set debt.baseline_date"), ("2023-12-01", "no snapshot on or before")],
)
def test_no_reduction_says_why(facts: Facts, baseline_date: str, reason: str) -> None:
    trend_repo(facts)
    config = config_with(baseline_date=baseline_date)
    debt.analyze(facts.store, config)
    assert facts.values("debt.reduction") == {}
    answer = debt.report(facts.store, config)
    for scope in (answer["org"], answer["repositories"][0]):
        assert scope["reduction"]["value"] is None
        assert scope["reduction"]["reason"].startswith(reason)


def test_org_reduction_leaves_out_repositories_without_baseline(facts: Facts) -> None:
    trend_repo(facts, "app")
    late = facts.repo("late")
    facts.snapshot(late, "late-h", "head", "2024-01-16", {"b.py": facts.blob("z", markers=fixmes(50))})
    config = config_with(baseline_date="2024-01-10")
    debt.analyze(facts.store, config)
    assert facts.values("debt.reduction", "org") == {
        "2024-01-01": (0.0, 1),
        "2024-01-08": (0.25, 1),
        "2024-01-15": (0.5, 1),
    }
    answer = debt.report(facts.store, config)
    assert answer["org"]["reduction"]["value"] == 0.5
    assert answer["org"]["reduction"]["repositories_without_baseline"] == ["late"]
    late_scope = next(scope for scope in answer["repositories"] if scope["name"] == "late")
    assert late_scope["reduction"]["reason"] == "no snapshot on or before the baseline date 2024-01-10"


def test_baseline_without_debt_has_no_reduction(facts: Facts) -> None:
    repo = facts.repo()
    facts.snapshot(repo, "w1", "weekly", "2024-01-05", {"a.py": facts.blob("clean")})
    facts.snapshot(repo, "h", "head", "2024-01-17", {"a.py": facts.blob("dirty", markers=fixmes(1))})
    config = config_with(baseline_date="2024-01-10")
    debt.analyze(facts.store, config)
    reduction = debt.report(facts.store, config)["repositories"][0]["reduction"]
    assert reduction["value"] is None and "no debt" in reduction["reason"]


# ------------------------------------------------------------------------------------ recomputation


def test_recomputation_is_skipped_when_unchanged_and_redone_when_rules_change(facts: Facts) -> None:
    repo = facts.repo()
    facts.snapshot(repo, "h", "head", "2024-01-10", {"a.py": facts.blob("a", functions=[("f", 1, 9, 12, 0, 9, 0, 0)])})
    assert debt.analyze(facts.store, Config()) > 0
    assert debt.is_current(facts.store, Config())
    assert debt.analyze(facts.store, Config()) == 0
    stricter = config_with(max_cyclomatic=5)
    assert not debt.is_current(facts.store, stricter)
    assert debt.analyze(facts.store, stricter) > 0
    assert facts.findings() == [("a.py", "cyclomatic", "f", 1, 5.0 + 7)]
    facts.snapshot(repo, "h2", "weekly", "2024-01-05", {"a.py": facts.blob("b")})
    assert debt.analyze(facts.store, stricter) > 0  # a new snapshot is a new input


# ------------------------------------------------------------------------------------ the command


def debt_json(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["debt", "--db", str(db), "--json", *args]) == 0
    answer: dict[str, Any] = json.loads(capsys.readouterr().out)
    return answer


def test_debt_json_carries_the_trust_signals(facts: Facts, capsys: pytest.CaptureFixture[str]) -> None:
    trend_repo(facts, "app")
    shallow = facts.repo("shallow", shallow=True, through="2024-01-25")
    facts.snapshot(shallow, "s-h", "head", "2024-01-16", {"s.py": facts.blob("s", code_lines=10, markers=fixmes(1))})
    with facts.store.transaction():
        scan_id = facts.store.start_scan("run1", "/src/broken", "history", "0")
        facts.store.finish_scan(scan_id, "failed", reason="/src/broken: not a git repository")

    answer = debt_json(facts.path, "--top", "2", capsys=capsys)  # computes: the store held no debt figures yet

    assert set(answer["definitions"]) == set(debt.METRIC_NAMES)
    assert answer["rules"]["duplication"].startswith("a block of at least 10 normalised code lines")
    assert answer["data_through"] == "2024-01-25"
    assert answer["partial_history"] == ["shallow"]
    assert answer["failed"] == [
        {"target": "/src/broken", "stage": "history", "reason": "/src/broken: not a git repository"}
    ]
    assert answer["stale"] is False and answer["message"] is None
    org = answer["org"]
    assert org["repositories"] == 2
    assert org["latest"] == {
        "period_start": "2024-01-15",
        "period_length": "week",
        "minutes": 110.0,
        "code_lines": 110.0,
        "findings": 11.0,
        "density": 1000.0,
        "ratio": pytest.approx(110 / 3300),
        "rating": "A",
        "reduction": None,
        "n": 2,
    }
    assert [len(scope["top_findings"]) for scope in answer["repositories"]] == [2, 1]
    assert len(org["top_findings"]) == 2
    assert org["top_findings"][0] == {
        "repository": "app",
        "revision": "app-h",
        "path": "a.py",
        "rule": "marker",
        "location": "FIXME",
        "line": 1,
        "minutes": 10.0,
        "detail": "FIXME: fix",
    }
    app = answer["repositories"][0]
    assert (app["name"], app["data_through"], app["shallow"]) == ("app", "2024-01-20", False)
    assert [point["period_start"] for point in app["trend"]] == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert answer["repositories"][1]["shallow"] is True


def test_debt_text_output(facts: Facts, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trend_repo(facts)
    config = tmp_path / "devmetrics.toml"
    config.write_text('[debt]\nbaseline_date = "2024-01-10"\n')
    assert main(["--config", str(config), "debt", "--db", str(facts.path)]) == 0
    out = capsys.readouterr().out
    assert "Organisation (1 repository)" in out
    assert "2024-01-15     100.0    1000.0    3.3%  A" in out
    assert "reduction since 2024-01-01: 50.0% (density 2000.0 -> 1000.0)" in out
    assert "FIXME: fix" in out


def test_debt_recomputes_when_the_config_changed(
    facts: Facts, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trend_repo(facts)
    debt.analyze(facts.store, Config())
    config = tmp_path / "devmetrics.toml"
    config.write_text("[debt]\nmarker_minutes = 1.0\n")
    assert main(["--config", str(config), "debt", "--db", str(facts.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["org"]["latest"]["minutes"] == 10.0


def test_debt_while_a_scan_writes_shows_stored_figures_as_stale(
    facts: Facts, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trend_repo(facts)
    debt.analyze(facts.store, Config())
    config = tmp_path / "devmetrics.toml"
    config.write_text("[debt]\nmarker_minutes = 1.0\n")
    with writer_lock(facts.path):
        assert main(["--config", str(config), "debt", "--db", str(facts.path), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["stale"] is True
    assert answer["org"]["latest"]["minutes"] == 100.0


def test_debt_without_code_data_says_to_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "x.db"
    Store.open(db).close()
    assert main(["debt", "--db", str(db)]) == 0
    assert "run `devmetrics scan`" in capsys.readouterr().out
    answer = debt_json(db, capsys=capsys)
    assert answer["message"] == debt.NO_CODE_DATA and answer["repositories"] == []


def test_debt_without_database_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["debt", "--db", str(tmp_path / "missing.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no devmetrics database here" in err


# ------------------------------------------------------------------------------------ end to end


def test_scan_then_debt_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("devmetrics.analyzers.code.stage")
    from devmetrics.scan import AVAILABLE_STAGES
    from tests.repo_builder import FIXED_PERSON, Change, CommitSpec, build_repo

    if "code" not in AVAILABLE_STAGES:
        pytest.skip("the code stage is not wired into `devmetrics scan` yet")

    source = "\n".join(["def work(a, b, c, d, e, f):", "    # TODO: split this", "    return a + b"]) + "\n"
    repo = build_repo(
        tmp_path / "repo",
        [CommitSpec("add work", FIXED_PERSON, epoch("2024-01-10"), changes=(Change("work.py", source.encode()),))],
    )
    db = tmp_path / "scan.db"
    assert main(["scan", str(repo), "--db", str(db)]) == 0
    capsys.readouterr()

    answer = debt_json(db, capsys=capsys)

    assert answer["message"] is None and answer["data_through"] == "2024-01-10"
    scope = answer["repositories"][0]
    found = {(f["rule"], f["path"], f["line"], f["minutes"]) for f in scope["top_findings"]}
    assert found == {("marker", "work.py", 2, 5.0), ("parameters", "work.py", 1, 15.0)}
    assert scope["latest"]["minutes"] == 20.0 and scope["latest"]["n"] == 1
