"""Attribution speed (on demand: `pytest tests/benchmarks/test_attribution_benchmark.py -s`).

Figures, each against a baseline measured in the same run:
- re-attributing 100,000 stored commits after a rule change ÷ a bare pass over the same rows (one SELECT of
  the commit columns attribution reads, one regex search of every message) — goal <= 3;
- re-attributing every commit of a 20,000-commit repository ÷ a fresh `scan --only history` of it (the scan
  itself includes the first attribution) — goal <= 0.10.
"""

from __future__ import annotations

import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from devmetrics.analyzers import attribution
from devmetrics.config import AttributionConfig, Config, PrivacyConfig
from devmetrics.model import CommitRows, RepoRef
from devmetrics.store import Store
from tests.benchmarks.harness import alternate, cached_repo, median, run

STORED_COMMITS = 100_000
SCANNED_COMMITS = 20_000
MERGE_SHARE = 0.04
START = 1_700_000_000
BARE_PATTERN = re.compile(r"^Co-Authored-By: Claude[^<\n]*<noreply@anthropic\.com>", re.IGNORECASE | re.MULTILINE)
HUMANS = [(f"Developer {i}", f"dev{i}@example.com") for i in range(60)]
AGENTS = [
    ("Copilot", "198982749+Copilot@users.noreply.github.com"),
    ("claude[bot]", "209825114+claude[bot]@users.noreply.github.com"),
    ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
]
TRAILERS = [
    ("Co-Authored-By", "Claude Opus 4.5 <noreply@anthropic.com>"),
    ("Co-authored-by", "Copilot <223556219+Copilot@users.noreply.github.com>"),
    ("Signed-off-by", "Developer 3 <dev3@example.com>"),
    ("AI-Assisted", "no"),
    ("Co-authored-by", "Developer 7 <dev7@example.com>"),
]
WORDS = ("fix", "the", "parser", "so", "that", "every", "commit", "keeps", "its", "trailers", "and", "report", "reads")


def synthetic_rows(count: int, seed: int = 11) -> tuple[list[tuple[object, ...]], list[str]]:
    """`commits` rows of a history with topic branches merged every so often, and its SHAs."""
    rng = random.Random(seed)
    rows: list[tuple[object, ...]] = []
    shas: list[str] = []
    main_tip = ""
    for index in range(count):
        sha = f"{index:040x}"
        when = START + index * 60
        is_merge = bool(main_tip) and rng.random() < MERGE_SHARE and index > 10
        if is_merge:
            side = shas[-1]  # the previous commit was made on the topic branch
            parents = f"{main_tip} {side}"
            subject = f"Merge pull request #{index} from someone/topic-{index}"
        else:
            parents = shas[-2] if shas and rng.random() < 0.3 and len(shas) > 1 else (shas[-1] if shas else "")
            subject = " ".join(rng.choices(WORDS, k=rng.randint(3, 8)))
        name, email = rng.choice(AGENTS) if rng.random() < 0.05 else rng.choice(HUMANS)
        body = [" ".join(rng.choices(WORDS, k=rng.randint(10, 40))) for _ in range(rng.randint(0, 2))]
        trailers = [rng.choice(TRAILERS) for _ in range(rng.choice((0, 0, 0, 1, 1, 2)))]
        message = "\n\n".join([subject, *body, *(["\n".join(f"{k}: {v}" for k, v in trailers)] if trailers else [])])
        rows.append(
            (sha, name, email, when, 0, name, email, when, 0, subject, message + "\n", json.dumps(trailers),
             parents, int(is_merge), rng.randint(1, 200), rng.randint(0, 100), rng.randint(1, 8), None, None)
        )  # fmt: skip
        shas.append(sha)
        if is_merge or rng.random() < 0.5:
            main_tip = sha
    return rows, shas


def store_with(rows: list[tuple[object, ...]], shas: list[str], folder: Path) -> Store:
    store = Store.open(folder / "bench.db")
    ref = RepoRef("bench/repo", str(folder / "repo"), "repo", None, None, None, False, False)
    with store.transaction():
        repo_id = store.upsert_repo(ref)
        store.write_commits(repo_id, CommitRows(rows, []))
        store.replace_reachable(repo_id, set(shas))
        store.set_sync_state(repo_id, "git", "history", {"tips": {"HEAD": shas[-1]}})
        store.mark_repo_scanned(repo_id, shas[-1])
    return store


def config_with(disable: tuple[str, ...]) -> Config:
    return Config(privacy=PrivacyConfig(min_group_size=1), attribution=AttributionConfig(disable=disable))


def bare_pass(store: Store) -> float:
    started = time.perf_counter()
    hits = 0
    cursor = store.db.execute(f"SELECT {attribution.COMMIT_COLUMNS} FROM commits WHERE repo_id = 1")  # noqa: S608
    for row in cursor:
        hits += BARE_PATTERN.search(row[7]) is not None
    return time.perf_counter() - started


def reattribution(store: Store, commits: int) -> Callable[[], float]:
    """Each call switches the rules, so every stored commit is attributed again."""
    configs = [config_with(()), config_with(("copilot.coauthor",))]
    turn = [0]

    def once() -> float:
        turn[0] += 1
        settings = attribution.Settings.of(configs[turn[0] % 2])
        started = time.perf_counter()
        written, _ = attribution.attribute(store, settings)
        elapsed = time.perf_counter() - started
        assert written == commits
        return elapsed

    return once


def test_reattribution_against_a_bare_pass_and_a_history_scan() -> None:
    rows, shas = synthetic_rows(STORED_COMMITS)
    with tempfile.TemporaryDirectory() as folder:
        store = store_with(rows, shas, Path(folder))
        attribution.analyze(store, config_with(()))
        times_attr, times_bare, ratios = alternate(
            reattribution(store, STORED_COMMITS), lambda: bare_pass(store), runs=5
        )
        store.close()

    repo = cached_repo(SCANNED_COMMITS)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "scan.db"
        scan = [sys.executable, "-m", "devmetrics", "--quiet", "scan", "--only", "history", str(repo), "--db", str(db)]
        scan_seconds = run(scan)
        scanned = Store.open(db)
        again = reattribution(scanned, SCANNED_COMMITS)
        attribute_seconds = median([again() for _ in range(3)])
        scanned.close()

    print("\nattribution benchmark (2 cores)")
    print(
        f"  re-attribution of {STORED_COMMITS:,} stored commits / bare SELECT + regex pass: median ratio "
        f"{median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}); attribution median "
        f"{median(times_attr):.2f} s, bare pass median {median(times_bare):.2f} s   goal <= 3"
    )
    print(
        f"  attribution of {SCANNED_COMMITS:,} commits / fresh history scan: {attribute_seconds / scan_seconds:.3f} "
        f"({attribute_seconds:.2f} s vs {scan_seconds:.2f} s)   goal <= 0.10"
    )
    assert median(ratios) <= 3
    assert attribute_seconds / scan_seconds <= 0.10
