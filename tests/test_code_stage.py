"""The code stage end to end: snapshots of real repositories, a real SQLite file and, where it matters,
the real CLI. The measuring engine is the real one when it is installed; until then a small fake with the
same API stands in (in this process only, so those runs use one worker)."""

from __future__ import annotations

import datetime
import hashlib
import subprocess
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from devmetrics.analyzers.code.records import (
    MAX_BLOB_BYTES,
    STATUS_BINARY,
    STATUS_OK,
    STATUS_PARSE_ERROR,
    STATUS_TOO_LARGE,
    BlobMeasurement,
    DebtMarker,
    FunctionMetrics,
)
from devmetrics.analyzers.code.snapshots import (
    TASK_MAX_BLOBS,
    TASK_MIN_BLOBS,
    MeasureItem,
    pick_revisions,
    split_tasks,
    unpack_block_hashes,
)
from devmetrics.analyzers.code.stage import CodeOutcome
from devmetrics.config import CodeConfig, Config, ScanConfig
from devmetrics.errors import ConfigError
from devmetrics.scan import scan
from devmetrics.store import Store
from tests.helpers import query, run_cli, scalar
from tests.repo_builder import FIXED_PERSON, Change, CommitSpec, build_repo, git, synthetic_history

ENGINE_MODULES = ("devmetrics.analyzers.code.measure", "devmetrics.analyzers.code.detect")


# --- the engine: real when installed, else a fake with the same API ---------------------------------------------


@dataclass(frozen=True)
class Engine:
    real: bool
    version: str
    workers: int  # a fake lives in this process only: one worker (inline) then

    def detect(self, path: str, head: bytes) -> str | None:
        from devmetrics.analyzers.code.detect import detect_language

        language: str | None = detect_language(path, head)
        return language


FAKE_VERSION = "fake-engine-1"
FAKE_LANGUAGES = {"py": "python", "js": "javascript", "ts": "typescript"}


def fake_detect_language(path: str, head: bytes) -> str | None:
    name = path.rsplit("/", 1)[-1]
    if "." in name:
        return FAKE_LANGUAGES.get(name.rsplit(".", 1)[-1])
    first = head.split(b"\n", 1)[0]
    return "python" if first.startswith(b"#!") and b"python" in first else None


def fake_is_minified(content: bytes, language: str) -> bool:
    return language == "javascript" and any(len(line) > 500 for line in content.splitlines())


def fake_measure_blob(content: bytes, path: str, *, max_bytes: int = MAX_BLOB_BYTES) -> BlobMeasurement | None:
    language = fake_detect_language(path, content[:256])
    if language is None:
        return None
    status, reason = STATUS_OK, ""
    if b"\0" in content[:8000]:
        status, reason = STATUS_BINARY, "NUL byte in the first 8000 bytes"
    elif len(content) > max_bytes:
        status, reason = STATUS_TOO_LARGE, f"{len(content)} bytes"
    elif language == "python":
        try:
            compile(content, path, "exec")
        except SyntaxError as error:
            status, reason = STATUS_PARSE_ERROR, f"line {error.lineno}: {error.msg}"
    lines = content.decode("utf-8", "replace").splitlines() if status != STATUS_BINARY else []
    functions = tuple(
        FunctionMetrics(line.split()[1].split("(")[0], number, number, 1, 0, 1, 0, 0)
        for number, line in enumerate(lines, start=1)
        if status == STATUS_OK and line.lstrip().startswith(("def ", "function "))
    )
    markers = tuple(
        DebtMarker(n, "TODO", line.split("TODO", 1)[1].strip()) for n, line in enumerate(lines, 1) if "TODO" in line
    )
    digest = int.from_bytes(hashlib.sha256(content).digest()[:8], "little")
    return BlobMeasurement(
        language=language,
        engine="fake",
        status=status,
        reason=reason,
        lines_total=len(lines),
        lines_code=sum(1 for line in lines if line.strip()),
        lines_comment=0,
        lines_blank=sum(1 for line in lines if not line.strip()),
        functions=functions,
        markers=markers,
        maintainability=None,
        halstead_volume=None,
        block_hashes=((1, digest),) if lines else (),
    )


def install_fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    measure = types.ModuleType(ENGINE_MODULES[0])
    measure.ANALYZER_VERSION = FAKE_VERSION  # type: ignore[attr-defined]
    measure.measure_blob = fake_measure_blob  # type: ignore[attr-defined]
    detect = types.ModuleType(ENGINE_MODULES[1])
    detect.detect_language = fake_detect_language  # type: ignore[attr-defined]
    detect.is_minified = fake_is_minified  # type: ignore[attr-defined]
    for module in (measure, detect):
        monkeypatch.setitem(sys.modules, module.__name__, module)


def real_engine_installed() -> bool:
    try:
        for name in ENGINE_MODULES:
            __import__(name)
    except ImportError:
        return False
    return True


def available_engine() -> Iterator[Engine]:
    """The real engine when installed, else the fake one installed for the duration."""
    if real_engine_installed():
        from devmetrics.analyzers.code.measure import ANALYZER_VERSION

        yield Engine(real=True, version=ANALYZER_VERSION, workers=2)
        return
    with pytest.MonkeyPatch.context() as monkeypatch:
        install_fake_engine(monkeypatch)
        yield Engine(real=False, version=FAKE_VERSION, workers=1)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    yield from available_engine()


def config_for(engine: Engine, **code: Any) -> Config:
    return Config(scan=ScanConfig(workers=engine.workers), code=CodeConfig(**code))


def scan_code(db: Path, repo: Path, config: Config) -> CodeOutcome:
    store = Store.open(db)
    try:
        summary = scan(store, [(str(repo), "")], config, stages=("code",))
    finally:
        store.close()
    (outcome,) = summary.outcomes
    assert outcome.code is not None
    return outcome.code


def first_parent_chain(repo: Path) -> list[tuple[str, int]]:
    out = git(repo, "log", "--first-parent", "--format=%H %ct", "HEAD").decode().split("\n")
    return [(line.split()[0], int(line.split()[1])) for line in out if line]


def week_of(timestamp: int) -> str:
    day = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).date()
    return (day - datetime.timedelta(days=day.weekday())).isoformat()


def spec(day: int, *changes: Change) -> CommitSpec:
    return CommitSpec(message=f"day {day}\n", author=FIXED_PERSON, time=1_650_000_000 + day * 86_400, changes=changes)


# --- a scanned synthetic history, shared by the read-only tests ----------------------------------------------


@dataclass(frozen=True)
class Scanned:
    repo: Path
    db: Path
    outcome: CodeOutcome


@pytest.fixture(scope="module")
def scanned(history_repo: Path, tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Scanned:
    db = tmp_path_factory.mktemp("code") / "d.db"
    outcome = scan_code(db, history_repo, config_for(engine, history_weeks=0))
    return Scanned(history_repo, db, outcome)


def test_weekly_revisions_are_the_last_first_parent_commit_of_each_week(scanned: Scanned) -> None:
    chain = first_parent_chain(scanned.repo)
    expected: dict[str, str] = {}
    for sha, committed_at in chain:  # newest first: the first commit met in a week is its last one
        expected.setdefault(week_of(committed_at), sha)
    stored = query(scanned.db, "SELECT period_start, revision, kind, committed_at FROM snapshot_revisions")
    assert {row[0]: row[1] for row in stored} == expected
    assert [row[1] for row in stored if row[2] == "head"] == [chain[0][0]]
    assert {row[2] for row in stored} == {"head", "weekly"}
    assert all(dict(chain)[row[1]] == row[3] for row in stored)
    assert scanned.outcome.revisions == len(expected) > 52


def test_history_window_and_monthly_snapshots(history_repo: Path, tmp_path: Path, engine: Engine) -> None:
    chain = first_parent_chain(history_repo)
    cutoff = chain[0][1] - 20 * 7 * 86_400
    weekly = {r.sha for r in pick_revisions(chain, "weekly") if r.committed_at >= cutoff or r.kind == "head"}
    scan_code(tmp_path / "w.db", history_repo, config_for(engine, history_weeks=20))
    assert {row[0] for row in query(tmp_path / "w.db", "SELECT revision FROM snapshot_revisions")} == weekly
    assert 19 <= len(weekly) <= 22

    months: dict[str, str] = {}
    for sha, committed_at in chain:
        months.setdefault(datetime.datetime.fromtimestamp(committed_at, tz=datetime.UTC).strftime("%Y-%m-01"), sha)
    scan_code(tmp_path / "m.db", history_repo, config_for(engine, snapshots="monthly", history_weeks=0))
    stored = query(tmp_path / "m.db", "SELECT period_start, revision FROM snapshot_revisions")
    assert dict(stored) == months

    scan_code(tmp_path / "h.db", history_repo, config_for(engine, snapshots="head"))
    assert query(tmp_path / "h.db", "SELECT revision, kind FROM snapshot_revisions") == [(chain[0][0], "head")]


def test_commit_snapshots_measure_the_newest_first_parent_commits(
    history_repo: Path, tmp_path: Path, engine: Engine
) -> None:
    chain = first_parent_chain(history_repo)
    db = tmp_path / "c.db"
    scan_code(db, history_repo, config_for(engine, snapshots="commits", history_commits=12, history_weeks=0))
    stored = query(db, "SELECT revision, kind, period_start, committed_at FROM snapshot_revisions")
    by_sha = {row[0]: row for row in stored}
    assert set(by_sha) == {sha for sha, _ in chain[:12]}
    assert by_sha[chain[0][0]][1] == "head"
    assert sorted(row[1] for row in stored) == ["commit"] * 11 + ["head"]
    assert all(row[2] == week_of(row[3]) for row in stored)
    # Each file version is measured once however many commits share it.
    distinct = scalar(db, "SELECT count(*) FROM (SELECT DISTINCT blob, language FROM snapshots)")
    assert scalar(db, "SELECT count(*) FROM blob_metrics") == distinct
    # In the debt trend every week keeps only its newest snapshot.
    weeks = {row[2] for row in stored}
    trend = query(
        db,
        "SELECT period_start FROM metric_values WHERE metric = 'debt.minutes' AND scope_kind = 'repo' "
        "AND period_length = 'week'",
    )
    assert {row[0] for row in trend} == weeks


def test_snapshot_blobs_are_the_blobs_of_the_trees(scanned: Scanned, engine: Engine) -> None:
    rows = query(scanned.db, "SELECT revision, path, blob FROM snapshots ORDER BY revision, path")
    asked = "".join(f"{revision}:{path}\n" for revision, path, _ in rows).encode()
    answers = git(scanned.repo, "cat-file", "--batch-check=%(objectname)", stdin=asked).decode().split()
    assert answers == [blob for _, _, blob in rows]
    for (revision,) in query(scanned.db, "SELECT revision FROM snapshot_revisions")[::10]:
        listed = git(scanned.repo, "ls-tree", "-r", "-z", "--name-only", revision).decode().split("\0")
        code = {path for path in listed if path and engine.detect(path, b"") is not None}
        stored = {row[0] for row in query(scanned.db, "SELECT path FROM snapshots WHERE revision = ?", [revision])}
        assert stored == code


def test_a_blob_met_in_many_snapshots_is_measured_once(scanned: Scanned, engine: Engine) -> None:
    distinct = scalar(scanned.db, "SELECT count(*) FROM (SELECT DISTINCT blob, language FROM snapshots)")
    snapshot_rows = scalar(scanned.db, "SELECT count(*) FROM snapshots")
    measured = scalar(scanned.db, "SELECT count(*) FROM blob_metrics WHERE analyzer_version = ?", [engine.version])
    assert measured == distinct == scanned.outcome.blobs_measured
    assert int(str(snapshot_rows)) > 5 * int(str(distinct))
    orphans = (
        "SELECT count(*) FROM function_metrics f LEFT JOIN blob_metrics b USING (blob, language, analyzer_version)"
    )
    assert scalar(scanned.db, orphans + " WHERE b.blob IS NULL") == 0
    assert int(str(scalar(scanned.db, "SELECT sum(functions) FROM blob_metrics"))) > 0
    assert scalar(scanned.db, "SELECT sum(functions) FROM blob_metrics") <= scalar(  # type: ignore[operator]
        scanned.db, "SELECT count(*) FROM function_metrics"
    ) + scalar(scanned.db, "SELECT count(*) FROM blob_metrics")


def test_markers_and_block_hashes_are_stored_readably(scanned: Scanned) -> None:
    for markers, packed in query(scanned.db, "SELECT markers, block_hashes FROM blob_metrics LIMIT 50"):
        assert isinstance(markers, str) and markers.startswith("[")
        for line, value in unpack_block_hashes(packed):
            assert line >= 1 and 0 <= value < 1 << 64


def test_rescan_measures_nothing_new(history_repo: Path, tmp_path: Path, engine: Engine) -> None:
    config = config_for(engine, history_weeks=30)
    db = tmp_path / "d.db"
    first = scan_code(db, history_repo, config)
    again = scan_code(db, history_repo, config)
    assert first.revisions > 0 and first.blobs_measured > 0
    assert (again.status, again.revisions, again.blobs_measured, again.hunk_commits) == ("unchanged", 0, 0, 0)
    assert again.revisions_kept == first.revisions


def test_new_commit_measures_only_new_blobs(tmp_path: Path, engine: Engine) -> None:
    specs = [
        spec(0, Change("a.py", b"def a():\n    return 1\n"), Change("b.js", b"function b() { return 2; }\n")),
        spec(1, Change("c.py", b"def c():\n    return 3\n")),
    ]
    repo = build_repo(tmp_path / "repo", specs)
    db = tmp_path / "d.db"
    scan_code(db, repo, config_for(engine))
    old_head = git(repo, "rev-parse", "HEAD").decode().strip()
    extended = build_repo(
        tmp_path / "extended",
        [*specs, spec(2, Change("a.py", b"def a():\n    return 10\n"), Change("d.js", b"function d() {}\n"))],
    )
    git(repo, "fetch", "-q", str(extended), "main")
    git(repo, "update-ref", "refs/heads/main", "FETCH_HEAD")
    second = scan_code(db, repo, config_for(engine))
    assert (second.revisions, second.blobs_measured, second.blobs_reused) == (1, 2, 2)
    kinds = dict(query(db, "SELECT revision, kind FROM snapshot_revisions"))
    assert kinds[old_head] == "superseded"  # the same week: the new HEAD is its last commit now
    assert kinds[git(repo, "rev-parse", "HEAD").decode().strip()] == "head"


EXCLUSION_SPECS = [
    spec(
        0,
        Change(".gitattributes", b"gen/** linguist-generated\nthird/** linguist-vendored\n"),
        Change("src/.gitattributes", b"generated_*.py linguist-generated\ngenerated_keep.py -linguist-generated\n"),
        Change("vendor/lib.py", b"x = 1\n"),
        Change("legacy/old.py", b"x = 2\n"),
        Change("gen/api.py", b"x = 3\n"),
        Change("third/thing.js", b"var x = 4;\n"),
        Change("src/generated_models.py", b"x = 5\n"),
        Change("src/generated_keep.py", b"x = 6\n"),
        Change("web/app.min.js", b"var x=7;\n"),
        Change("web/bundle.js", b"var a=1;" * 100 + b"\n"),
        Change("big.py", b"x = 8\n" * 400),
        Change("ok.py", b"def ok():\n    return 9\n"),
        Change("README.md", b"# not code\n"),
    )
]


def test_excluded_paths_carry_their_reason(tmp_path: Path, engine: Engine) -> None:
    repo = build_repo(tmp_path / "repo", EXCLUSION_SPECS)
    db = tmp_path / "d.db"
    config = config_for(engine, exclude=(*CodeConfig().exclude, "legacy/**"), max_file_bytes=1024)
    outcome = scan_code(db, repo, config)
    excluded = dict(query(db, "SELECT path, excluded FROM snapshots"))
    assert excluded == {
        "vendor/lib.py": "glob:**/vendor/**",  # the last matching pattern decides, as in .gitignore
        "legacy/old.py": "glob:legacy/**",
        "gen/api.py": "linguist-generated",
        "third/thing.js": "linguist-vendored",
        "src/generated_models.py": "linguist-generated",
        "src/generated_keep.py": None,
        "web/app.min.js": "glob:**/*.min.js",
        "web/bundle.js": "minified",
        "big.py": "too_large",
        "ok.py": None,
    }
    assert outcome.excluded == {
        "glob:**/*.min.js": 1,
        "glob:legacy/**": 1,
        "glob:**/vendor/**": 1,
        "linguist-generated": 2,
        "linguist-vendored": 1,
        "minified": 1,
        "too_large": 1,
    }
    measured = {row[0] for row in query(db, "SELECT s.path FROM snapshots s JOIN blob_metrics b USING (blob)")}
    assert measured == {"src/generated_keep.py", "ok.py", "web/bundle.js"}  # minified is known by reading it
    assert scalar(db, "SELECT status FROM blob_metrics JOIN snapshots USING (blob) WHERE path = 'web/bundle.js'") == (
        "minified"
    )


def test_new_exclusion_rules_list_snapshots_again(tmp_path: Path, engine: Engine) -> None:
    repo = build_repo(tmp_path / "repo", EXCLUSION_SPECS)
    db = tmp_path / "d.db"
    scan_code(db, repo, config_for(engine))
    again = scan_code(db, repo, config_for(engine, exclude=("ok.py",)))
    assert again.revisions == 1
    assert scalar(db, "SELECT excluded FROM snapshots WHERE path = 'ok.py'") == "glob:ok.py"
    assert scalar(db, "SELECT excluded FROM snapshots WHERE path = 'vendor/lib.py'") is None


def test_languages_setting_leaves_other_languages_out(tmp_path: Path, engine: Engine) -> None:
    repo = build_repo(tmp_path / "repo", EXCLUSION_SPECS)
    db = tmp_path / "d.db"
    outcome = scan_code(db, repo, config_for(engine, languages=("javascript",)))
    excluded = dict(query(db, "SELECT path, excluded FROM snapshots"))
    assert excluded["ok.py"] == "language:python"
    assert excluded["third/thing.js"] == "linguist-vendored"  # its language is measured: the next rule decides
    assert outcome.excluded["language:python"] == 7
    measured = {row[0] for row in query(db, "SELECT s.path FROM snapshots s JOIN blob_metrics b USING (blob)")}
    assert measured == {"web/bundle.js"}
    again = scan_code(db, repo, config_for(engine))  # the setting is part of the rules: listed again
    assert again.revisions == 1
    assert scalar(db, "SELECT excluded FROM snapshots WHERE path = 'ok.py'") is None


def test_unknown_language_is_a_configuration_error(tmp_path: Path, engine: Engine) -> None:
    repo = build_repo(tmp_path / "repo", EXCLUSION_SPECS)
    with pytest.raises(ConfigError, match=r"code.languages: 'cobol' not known; use some of .*python"):
        scan_code(tmp_path / "d.db", repo, config_for(engine, languages=("python", "cobol")))


def test_syntax_error_and_binary_file_are_recorded(tmp_path: Path, engine: Engine) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            spec(
                0,
                Change("broken.py", b"def f(:\n    return\n"),
                Change("binary.py", b"\x89PNG\r\n\x1a\n\x00\x00\x00" + bytes(range(256))),
                Change("fine.py", b"def fine():\n    return 1\n"),
                Change("bin/tool", b"#!/usr/bin/env python3\nprint('tool')\n", mode="100755"),
            )
        ],
    )
    db = tmp_path / "d.db"
    outcome = scan_code(db, repo, config_for(engine))
    assert outcome.status == "ok" and outcome.blobs_measured == 4
    rows = query(db, "SELECT s.path, b.status, b.reason FROM snapshots s JOIN blob_metrics b USING (blob, language)")
    statuses = {path: (status, reason) for path, status, reason in rows}
    assert statuses["broken.py"][0] == STATUS_PARSE_ERROR and statuses["broken.py"][1]
    assert statuses["binary.py"][0] == STATUS_BINARY and statuses["binary.py"][1]
    assert statuses["fine.py"] == (STATUS_OK, "")
    assert statuses["bin/tool"][0] == STATUS_OK  # an extensionless script, known by its shebang
    assert scalar(db, "SELECT language FROM snapshots WHERE path = 'bin/tool'") == "python"


def test_bare_repository_gives_the_same_snapshots(small_repo: Path, tmp_path: Path, engine: Engine) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(small_repo), str(bare))
    scan_code(tmp_path / "plain.db", small_repo, config_for(engine))
    outcome = scan_code(tmp_path / "bare.db", bare, config_for(engine))
    assert outcome.status == "ok" and outcome.revisions > 0
    compared = "SELECT revision, path, blob, language, excluded FROM snapshots ORDER BY revision, path"
    assert query(tmp_path / "bare.db", compared) == query(tmp_path / "plain.db", compared)
    assert query(tmp_path / "bare.db", "SELECT is_bare FROM repos") == [(1,)]


def test_scan_only_code_through_the_cli_on_a_repo_never_scanned(
    small_repo: Path, tmp_path: Path, engine: Engine
) -> None:
    if not engine.real:
        pytest.skip("the measuring engine (devmetrics.analyzers.code.measure) is not installed yet")
    db = tmp_path / "d.db"
    result = run_cli(["scan", "--only", "code", str(small_repo), "--db", str(db), "--workers", "2"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert scalar(db, "SELECT count(*) FROM commits") == 0
    assert query(db, "SELECT stage, status FROM scans") == [("code", "ok")]
    assert int(str(scalar(db, "SELECT count(*) FROM snapshots"))) > 0
    assert int(str(scalar(db, "SELECT count(*) FROM hunks"))) > 0
    default = run_cli(["scan", str(small_repo), "--db", str(tmp_path / "all.db")], cwd=tmp_path)
    assert default.returncode == 0, default.stderr
    assert query(tmp_path / "all.db", "SELECT stage FROM scans ORDER BY id") == [("history",), ("code",)]


def test_a_failing_repository_does_not_stop_the_others(small_repo: Path, tmp_path: Path, engine: Engine) -> None:
    store = Store.open(tmp_path / "d.db")
    summary = scan(
        store, [(str(tmp_path / "missing"), ""), (str(small_repo), "")], config_for(engine), stages=("code",)
    )
    store.close()
    assert [outcome.status for outcome in summary.outcomes] == ["failed", "ok"]
    assert "no such folder" in summary.outcomes[0].reason
    assert query(tmp_path / "d.db", "SELECT stage, status FROM scans ORDER BY id") == [
        ("code", "failed"),
        ("code", "ok"),
    ]


# --- a killed stage resumes ----------------------------------------------------------------------------------

CODE_TABLES = {
    "blob_metrics": "blob, language, analyzer_version, engine, status, reason, lines_total, lines_code, "
    "lines_comment, lines_blank, functions, cyclomatic_total, cognitive_total, max_cyclomatic, maintainability, "
    "halstead_volume, markers, block_hashes",
    "function_metrics": "*",
    "snapshot_revisions": "*",
    "snapshots": "*",
    "hunks": "*",
    "sync_state": "repo_id, source, category, state",
}


def code_dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    return {table: sorted(query(db, f"SELECT {columns} FROM {table}")) for table, columns in CODE_TABLES.items()}  # noqa: S608


def run_code_scan(engine: Engine, repo: Path, db: Path, cwd: Path, fault: str = "") -> subprocess.CompletedProcess[str]:
    """`devmetrics scan --only code` in a process of its own: the CLI with the real engine, else the same
    entry point with the fake engine installed first (inline, one worker)."""
    args = ["scan", "--only", "code", str(repo), "--db", str(db), "--workers", str(engine.workers)]
    env = {"DEVMETRICS_FAULT": fault} if fault else {}
    if engine.real:
        return run_cli(args, cwd=cwd, env=env)
    script = (
        "import sys, pytest; from tests.test_code_stage import install_fake_engine\n"
        "with pytest.MonkeyPatch.context() as mp:\n"
        "    install_fake_engine(mp)\n"
        "    mp.setattr('devmetrics.scan.AVAILABLE_STAGES', ('history', 'code'))\n"
        "    from devmetrics.cli import main\n"
        f"    sys.exit(main({args!r}))\n"
    )
    from tests.repo_builder import git_env

    full_env = {**git_env(), **env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("fault", ["code-task-uncommitted:1", "code-task-committed:2", "snapshot-committed:3"])
def test_killed_stage_resumes_to_the_same_rows(tmp_path: Path, engine: Engine, fault: str) -> None:
    repo = build_repo(tmp_path / "repo", synthetic_history(150, seed=4, span_days=150), checkout=False)
    reference, killed = tmp_path / "reference.db", tmp_path / "killed.db"
    assert run_code_scan(engine, repo, reference, tmp_path).returncode == 0
    crashed = run_code_scan(engine, repo, killed, tmp_path, fault)
    assert crashed.returncode == -9, crashed.stderr
    assert scalar(killed, "SELECT count(*) FROM sync_state") == 0  # the hunks pass never started
    resumed = run_code_scan(engine, repo, killed, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert code_dump(killed) == code_dump(reference)


def test_one_worker_and_two_forked_workers_give_the_same_rows(tmp_path: Path, engine: Engine) -> None:
    if not engine.real:
        pytest.skip("the fake engine lives in this process only")
    repo = build_repo(tmp_path / "repo", synthetic_history(120, seed=6, span_days=120), checkout=False)
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    # The CLI, single-threaded: its two workers are forked copies (executors.start_method)
    assert run_code_scan(replace(engine, workers=1), repo, one, tmp_path).returncode == 0
    assert run_code_scan(replace(engine, workers=2), repo, two, tmp_path).returncode == 0
    assert code_dump(two) == code_dump(one)
    assert int(str(scalar(two, "SELECT count(*) FROM blob_metrics"))) > 20


def measure_items(sizes: list[int]) -> list[MeasureItem]:
    return [MeasureItem(f"{index:040x}", "python", f"f{index}.py", size) for index, size in enumerate(sizes)]


def test_tasks_take_shrinking_shares_of_the_bytes_largest_blobs_first() -> None:
    sizes = [(index * 7919) % 20_000 + 100 for index in range(400)]
    tasks = split_tasks("repo", "repo", measure_items(sizes), 2, 1 << 20)
    blobs = [item[0] for task in tasks for item in task.items]
    assert sorted(blobs) == sorted(item.blob for item in measure_items(sizes))  # each blob once
    size_of = {item.blob: item.size for item in measure_items(sizes)}
    task_bytes = [sum(size_of[blob] for blob, _language, _path in task.items) for task in tasks]
    assert task_bytes[0] >= sum(sizes) / 4 - max(sizes)  # the first takes 1/(2 × workers) of everything
    assert task_bytes[-1] < task_bytes[0] / 4  # and the last ones are small
    assert all(len(task.items) >= TASK_MIN_BLOBS for task in tasks[:-1])
    firsts = [size_of[task.items[0][0]] for task in tasks]
    assert firsts == sorted(firsts, reverse=True)  # largest blobs first


def test_blobs_over_the_size_limit_weigh_nothing_and_one_worker_gets_few_tasks() -> None:
    items = measure_items([5_000] * 40 + [10_000_000] * 2)
    tasks = split_tasks("repo", "repo", items, 2, 1 << 20)
    assert {item[0] for item in tasks[-1].items} >= {items[-1].blob, items[-2].blob}  # skipped unread: last
    single = split_tasks("repo", "repo", measure_items([100] * (TASK_MAX_BLOBS + 1)), 1, 1 << 20)
    assert [len(task.items) for task in single] == [TASK_MAX_BLOBS, 1]
