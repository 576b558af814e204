"""Churn within 21 days on hand-made hunk sequences, and revert detection on hand-made messages."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from devmetrics.analyzers.guardrails import (
    HORIZON_SECONDS,
    ChurnCount,
    CommitEdits,
    HunkRange,
    Message,
    _carry,
    _Segment,
    churn,
    replay_order,
    repository_churn,
    revert_delays,
)
from devmetrics.cli import main
from devmetrics.store import Store
from tests.repo_builder import build_repo, git, synthetic_history

DAY = 86_400


def edits(
    key: str,
    day: float,
    hunks: Mapping[str, Sequence[tuple[int, int, int, int]]],
    *,
    tracked: bool = True,
    created: Sequence[str] = (),
    renames: Mapping[str, str] | None = None,
) -> CommitEdits:
    by_path = {path: [HunkRange(*ranges) for ranges in found] for path, found in hunks.items()}
    return CommitEdits(
        key,
        int(day * DAY),
        by_path,
        dict(renames or {}),
        frozenset(created),
        frozenset(by_path) if tracked else frozenset(),
    )


def test_carry_splits_shifts_and_deletes_through_several_hunks() -> None:
    # Old lines 1-20 of one commit; the next commit inserts 2 lines after line 2, replaces lines 5-7 by one
    # line and deletes line 15. Survivors: 1-2 stay, 3-4 -> 5-6, 8-14 stay (+2 - 2), 16-20 -> 15-19.
    hunks = [HunkRange(2, 0, 3, 2), HunkRange(5, 3, 7, 1), HunkRange(15, 1, 14, 0)]
    ends = [hunk.old_end for hunk in hunks]
    shifts = [0, 2, 0, -1]
    pieces, deleted = _carry(_Segment(1, 20, "a"), hunks, ends, shifts)
    assert [(piece.start, piece.end) for piece in pieces] == [(1, 2), (5, 6), (8, 14), (15, 19)]
    assert deleted == 4


def test_carry_leaves_a_segment_before_or_after_every_hunk() -> None:
    hunks = [HunkRange(10, 2, 10, 5)]
    assert _carry(_Segment(1, 9, "a"), hunks, [11], [0, 3]) == ([_Segment(1, 9, "a")], 0)
    assert _carry(_Segment(12, 14, "a"), hunks, [11], [0, 3]) == ([_Segment(15, 17, "a")], 0)


def test_rewrite_and_deletion_within_21_days_are_churn() -> None:
    counts = churn(
        [
            edits("a", 0, {"f.py": [(0, 0, 1, 10)]}, created=["f.py"]),
            # 5 days later: line 3 rewritten, lines 7-8 deleted, one line added at the end.
            edits("b", 5, {"f.py": [(3, 1, 3, 1), (7, 2, 6, 0), (10, 0, 9, 1)]}),
        ]
    )
    assert counts["a"] == ChurnCount(added=10, churned=3)
    assert counts["b"] == ChurnCount(added=2, churned=0)


def test_lines_are_followed_through_insertions_above_them() -> None:
    counts = churn(
        [
            edits("a", 0, {"f.py": [(0, 0, 1, 10)]}, created=["f.py"]),
            edits("b", 1, {"f.py": [(4, 0, 5, 5)]}),  # 5 lines after a's line 4: a's 5-10 move to 10-15
            edits("c", 2, {"f.py": [(12, 1, 12, 1)]}),  # rewrites a's original line 7
            edits("d", 3, {"f.py": [(0, 0, 1, 3)]}),  # 3 lines at the top: everything moves down 3
            edits("e", 4, {"f.py": [(8, 2, 7, 0)]}),  # deletes b's first two lines (now at 8-9)
        ]
    )
    assert counts["a"] == ChurnCount(added=10, churned=1)
    assert counts["b"] == ChurnCount(added=5, churned=2)
    assert counts["c"].churned == 0 and counts["d"].churned == 0


def test_changes_after_21_days_are_not_churn() -> None:
    counts = churn(
        [
            edits("a", 0, {"f.py": [(0, 0, 1, 4)]}, created=["f.py"]),
            edits("b", 21, {"f.py": [(1, 1, 1, 1)]}),  # exactly 21 days: still within the horizon
            edits("c", 21.5, {"f.py": [(2, 1, 2, 1)]}),  # later: not churn of a's lines
        ]
    )
    assert counts["a"] == ChurnCount(added=4, churned=1)
    assert HORIZON_SECONDS == 21 * DAY


def test_lines_follow_a_rename() -> None:
    counts = churn(
        [
            edits("a", 0, {"old.py": [(0, 0, 1, 5)]}, created=["old.py"]),
            edits("b", 1, {}, renames={"new.py": "old.py"}),  # a pure rename has no hunks
            edits("c", 2, {"new.py": [(2, 2, 2, 0)]}),
            edits("d", 3, {"old.py": [(0, 0, 1, 5)]}, created=["old.py"]),  # a new file at the old path
        ]
    )
    assert counts["a"] == ChurnCount(added=5, churned=2)
    assert counts["d"] == ChurnCount(added=5, churned=0)


def test_lines_of_untracked_commits_are_not_counted_but_their_hunks_move_lines() -> None:
    counts = churn(
        [
            edits("bot", 0, {"f.py": [(0, 0, 1, 3)]}, tracked=False, created=["f.py"]),
            edits("a", 1, {"f.py": [(3, 0, 4, 2)]}),  # a's lines 4-5
            edits("bot2", 2, {"f.py": [(0, 0, 1, 1)]}, tracked=False),  # moves them to 5-6
            edits("b", 3, {"f.py": [(6, 1, 6, 1)]}),
        ]
    )
    assert "bot" not in counts and "bot2" not in counts
    assert counts["a"] == ChurnCount(added=2, churned=1)


def test_a_hunk_past_the_end_of_the_file_stops_following_it_conservatively() -> None:
    counts = churn(
        [
            edits("a", 0, {"f.py": [(0, 0, 1, 5)]}, created=["f.py"]),
            # A branch's edit to a version of the file this replay never saw: line 40 of a 5-line file.
            edits("b", 1, {"f.py": [(40, 1, 40, 1)]}),
            edits("c", 2, {"f.py": [(1, 5, 1, 0)]}),  # would delete all of a's lines
        ]
    )
    assert counts["a"] == ChurnCount(added=5, churned=0)


def test_deleting_a_file_churns_its_young_lines() -> None:
    counts = churn(
        [
            edits("a", 0, {"f.py": [(0, 0, 1, 6)]}, created=["f.py"]),
            edits("b", 2, {"f.py": [(1, 6, 0, 0)]}),
        ]
    )
    assert counts["a"] == ChurnCount(added=6, churned=6)


def test_replay_order_puts_parents_first_then_time() -> None:
    commits = {"c": (100, ["b"]), "b": (200, ["a"]), "a": (150, []), "x": (120, []), "y": (120, ["gone"])}
    # b's clock is ahead of its child c; "gone" is not in the mapping (before the window).
    assert replay_order(commits) == ["x", "y", "a", "b", "c"]


def message(sha: str, day: float, subject: str, body: str = "") -> Message:
    return Message(sha, int(day * DAY), subject, f"{subject}\n\n{body}".strip() + "\n")


def test_reverts_by_sha_full_or_abbreviated() -> None:
    target = "a1b2c3d4" + "0" * 32
    other = "a1b2c3ff" + "1" * 32
    commits = [
        message(target, 0, "Add cache"),
        message(other, 1, "Add queue"),
        message("f" * 40, 3, 'Revert "Add cache"', f"This reverts commit {target}."),
        message("e" * 40, 4, "Undo the queue", "This reverts commit a1b2c3f."),
        message("d" * 40, 5, "Undo something", "This reverts commit a1b2c3."),  # too short to name a commit
    ]
    assert revert_delays(commits) == {target: 3 * DAY, other: 3 * DAY}


def test_an_ambiguous_or_unknown_sha_names_nothing_and_wins_over_the_subject() -> None:
    commits = [
        message("abcdef1" + "0" * 33, 0, "Add cache"),
        message("abcdef1" + "1" * 33, 1, "Add cache"),
        message("f" * 40, 2, 'Revert "Add cache"', "This reverts commit abcdef1."),
        message("e" * 40, 3, 'Revert "Add cache"', "This reverts commit 1234567890abcdef."),
    ]
    assert revert_delays(commits) == {}


def test_reverts_by_subject_name_the_latest_earlier_commit() -> None:
    first, second, revert, again = "1" * 40, "2" * 40, "3" * 40, "4" * 40
    commits = [
        message(first, 0, "Bump version"),
        message(second, 2, "Bump version"),
        message(revert, 3, 'Revert "Bump version"'),
        message(again, 10, 'Revert "Revert "Bump version""'),  # re-applies: reverts the revert
        message("5" * 40, 11, 'Revert "Never written"'),
    ]
    assert revert_delays(commits) == {second: DAY, revert: 7 * DAY}


def blamed_lines(repo: Path) -> Counter[str]:
    """Lines of HEAD per commit that wrote them, by `git blame`."""
    lines: Counter[str] = Counter()
    for path in git(repo, "ls-tree", "-r", "--name-only", "-z", "HEAD").decode().split("\0"):
        if not path:
            continue
        blame = subprocess.run(
            ["git", "-C", str(repo), "blame", "--porcelain", "HEAD", "--", path], capture_output=True, check=True
        ).stdout
        for line in blame.split(b"\n"):
            fields = line.split(b" ")
            if len(fields) >= 3 and len(fields[0]) == 40 and fields[1].isdigit() and fields[2].isdigit():
                lines[fields[0].decode()] += 1
    return lines


@pytest.mark.parametrize("merge_every", [0, 25], ids=["linear", "topic-branches"])
def test_the_tracker_agrees_with_git_blame_on_a_real_history(tmp_path: Path, merge_every: int) -> None:
    # With an unbounded horizon, a commit's lines never churned are exactly those `git blame` gives it at
    # HEAD: every position, rename and deletion of the replay is checked against git's own answer.
    specs = synthetic_history(200, seed=merge_every + 3, n_authors=5, start=1_704_067_200, span_days=200,
                              merge_every=merge_every, binary_every=0, non_ascii=False)  # fmt: skip
    repo = build_repo(tmp_path / "repo", specs, prune_merged=True)
    assert main(["-q", "scan", str(repo), "--db", str(tmp_path / "x.db")]) == 0
    store = Store.open(tmp_path / "x.db", create=False)
    try:
        counts = repository_churn(store, 1, lambda _sha, _path: True, horizon=10**12)
    finally:
        store.close()
    assert counts is not None and len(counts) > 150
    blamed = blamed_lines(repo)
    alive = {sha: count.added - count.churned for sha, count in counts.items()}
    assert alive == {sha: blamed.get(sha, 0) for sha in counts}
    assert sum(count.churned for count in counts.values()) > 500  # the history really rewrites lines
