"""Quality guardrails of throughput: code churn within 21 days and the share of commits later reverted.

**Churn.** A line added by a commit is *churned* when a later commit, by anyone, deletes or rewrites it
within 21 days (committer times). Lines are followed through the changed line ranges of `git log -U0`
(the `hunks` table): per path, the tracker keeps the current positions of the lines each commit added;
every later hunk deletes the lines its old side covers (a rewritten line is a deletion plus an
insertion in a `-U0` diff) and shifts the lines after it by `new_lines - old_lines`. Renames move the
lines to the new path. Commits are replayed in topological order, by committer time among commits that
do not depend on each other.

The approximation, chosen to understate churn rather than overstate it: positions are exact along a
linear history, but the hunks of commits on parallel branches refer to different versions of a file, so
replaying them in one order can misplace lines of a file edited on two branches at once. The tracker
checks every hunk against the file's known length; when a hunk reaches past the end, it stops following
the lines of that path: they stay in the denominator and are never counted as churned afterwards.
Replayed with no horizon over generated histories, the tracker leaves every commit exactly the lines
`git blame` gives it at HEAD (tests/test_guardrails.py).

`repository_churn` and `repository_revert_delays` read a repository's facts from the store.

**Reverts.** A commit is reverted when a later commit's message says `This reverts commit <sha>` (git's
own wording; an abbreviated sha of at least 7 digits is resolved when unique) or, failing that, its
subject is `Revert "<subject>"`, which names the most recent earlier commit with that subject.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devmetrics.store import Store

HORIZON_DAYS = 21
HORIZON_SECONDS = HORIZON_DAYS * 86_400
REVERTS_SHA = re.compile(r"This reverts commit ([0-9a-fA-F]{7,40})\b")
REVERT_SUBJECT = re.compile(r'^Revert "(?P<subject>.+)"$')
MIN_ABBREVIATION = 7


@dataclass(frozen=True, slots=True)
class HunkRange:
    """`@@ -old_start,old_lines +new_start,new_lines @@` of one file in one commit."""

    old_start: int
    old_lines: int
    new_start: int
    new_lines: int

    @property
    def old_end(self) -> int:
        """The last old line the hunk deletes; for a pure insertion, the line it inserts after."""
        return self.old_start + self.old_lines - 1 if self.old_lines else self.old_start

    @property
    def first_touched(self) -> int:
        """The first old line whose position the hunk changes: deleted, or right after an insertion."""
        return self.old_start if self.old_lines else self.old_start + 1

    @property
    def shift(self) -> int:
        return self.new_lines - self.old_lines


@dataclass(frozen=True)
class CommitEdits:
    """What one commit did to the lines of files, as the tracker needs it."""

    key: str
    time: int  # committer time, seconds since the epoch
    hunks: Mapping[str, Sequence[HunkRange]]  # path -> its hunks sorted by old_start
    renames: Mapping[str, str] = field(default_factory=dict)  # new path -> old path
    created: frozenset[str] = frozenset()  # paths the commit added (change type A)
    tracked_paths: frozenset[str] = frozenset()  # paths whose added lines are followed (counted commits)


@dataclass
class ChurnCount:
    added: int = 0  # lines added and followed
    churned: int = 0  # of these, lines deleted or rewritten within the horizon


@dataclass(frozen=True, slots=True)
class _Segment:
    start: int  # current position of the first line, 1-based
    end: int  # current position of the last line, inclusive
    origin: str  # key of the commit that added the lines


class LineTracker:
    """Follows lines added by commits through later hunks; feed commits in order with `apply`."""

    def __init__(self, horizon: int = HORIZON_SECONDS) -> None:
        self.horizon = horizon
        self.counts: dict[str, ChurnCount] = {}
        self._born: dict[str, int] = {}
        self._segments: dict[str, list[_Segment]] = {}
        self._lengths: dict[str, int] = {}  # line count of files created while tracked

    def apply(self, commit: CommitEdits) -> None:
        self._rename(commit.renames)
        for path, hunks in commit.hunks.items():
            self._edit(path, hunks, commit.time, created=path in commit.created)
            if path in commit.tracked_paths:
                self._add(path, hunks, commit)

    def _rename(self, renames: Mapping[str, str]) -> None:
        # Take every source first, so that a swap (a -> b, b -> a) in one commit moves both ways.
        moved = {new: (self._segments.pop(old, []), self._lengths.pop(old, None)) for new, old in renames.items()}
        for new, (segments, length) in moved.items():
            self._segments[new] = segments
            if length is not None:
                self._lengths[new] = length

    def _edit(self, path: str, hunks: Sequence[HunkRange], time: int, *, created: bool) -> None:
        if not self._consistent(path, hunks, created=created):
            self._segments.pop(path, None)  # lost track: these lines are never counted as churned
            self._lengths.pop(path, None)
        segments = self._segments.get(path, [])
        ends = [hunk.old_end for hunk in hunks]
        shifts = [0]
        for hunk in hunks:
            shifts.append(shifts[-1] + hunk.shift)
        carried: list[_Segment] = []
        for segment in segments:
            if time - self._born[segment.origin] > self.horizon:
                continue  # past the horizon: its fate no longer counts, and positions come from hunks alone
            pieces, deleted = _carry(segment, hunks, ends, shifts)
            carried.extend(pieces)
            self.counts[segment.origin].churned += deleted
        self._segments[path] = carried

    def _consistent(self, path: str, hunks: Sequence[HunkRange], *, created: bool) -> bool:
        """Update the known length of the file; False when a hunk reaches past its end."""
        if created:
            consistent = not self._segments.get(path)  # False: created where followed lines still live
            self._lengths[path] = sum(hunk.shift for hunk in hunks)
            return consistent
        length = self._lengths.get(path)
        if length is None:
            return True
        if any(hunk.old_end > length for hunk in hunks):
            return False
        self._lengths[path] = length + sum(hunk.shift for hunk in hunks)
        return True

    def _add(self, path: str, hunks: Sequence[HunkRange], commit: CommitEdits) -> None:
        count = self.counts.setdefault(commit.key, ChurnCount())
        self._born[commit.key] = commit.time
        segments = self._segments.setdefault(path, [])
        for hunk in hunks:
            if hunk.new_lines:
                segments.append(_Segment(hunk.new_start, hunk.new_start + hunk.new_lines - 1, commit.key))
                count.added += hunk.new_lines
        segments.sort(key=lambda segment: segment.start)


def _carry(
    segment: _Segment, hunks: Sequence[HunkRange], ends: Sequence[int], shifts: Sequence[int]
) -> tuple[list[_Segment], int]:
    """The pieces of `segment` that survive `hunks`, at their new positions, and how many lines were deleted.

    `ends[i]` is hunk i's old_end (non-decreasing: a commit's hunks of one file are disjoint and sorted),
    `shifts[i]` the total shift of the hunks before hunk i.
    """
    index = bisect.bisect_left(ends, segment.start)  # hunks ending before the segment only shift it
    position, shift, deleted = segment.start, shifts[index], 0
    pieces: list[_Segment] = []
    for hunk in hunks[index:]:
        if hunk.first_touched > segment.end:
            break
        if hunk.first_touched > position:
            pieces.append(_Segment(position + shift, hunk.first_touched - 1 + shift, segment.origin))
        if hunk.old_lines:
            deleted += min(hunk.old_end, segment.end) - max(hunk.old_start, position) + 1
            position = hunk.old_end + 1
        else:
            position = hunk.first_touched
        shift += hunk.shift
    if position <= segment.end:
        pieces.append(_Segment(position + shift, segment.end + shift, segment.origin))
    return pieces, deleted


def churn(commits: Iterable[CommitEdits], horizon: int = HORIZON_SECONDS) -> dict[str, ChurnCount]:
    """Lines added and churned within `horizon` seconds, per commit that added followed lines."""
    tracker = LineTracker(horizon)
    for commit in commits:
        tracker.apply(commit)
    return tracker.counts


def replay_order(commits: Mapping[str, tuple[int, Sequence[str]]]) -> list[str]:
    """Keys of `commits` (key -> (committer time, parent keys)) parents first, else oldest first.

    Parents outside the mapping are ignored; ties in time go by key, so the order is deterministic.
    """
    waiting = {key: sum(parent in commits for parent in parents) for key, (_, parents) in commits.items()}
    children: dict[str, list[str]] = {}
    for key, (_, parents) in commits.items():
        for parent in parents:
            if parent in commits:
                children.setdefault(parent, []).append(key)
    ready = [(commits[key][0], key) for key, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, key = heapq.heappop(ready)
        order.append(key)
        for child in children.get(key, ()):
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (commits[child][0], child))
    return order


@dataclass(frozen=True, slots=True)
class Message:
    """What revert detection reads of a commit."""

    sha: str
    time: int  # committer time
    subject: str
    message: str


def revert_delays(commits: Sequence[Message]) -> dict[str, int]:
    """sha -> seconds from the commit to its earliest revert, for every commit that some commit reverts."""
    by_sha = sorted(commit.sha.lower() for commit in commits)
    by_subject: dict[str, list[tuple[int, str]]] = {}
    times = {commit.sha.lower(): commit.time for commit in commits}
    for commit in commits:
        by_subject.setdefault(commit.subject, []).append((commit.time, commit.sha.lower()))
    for entries in by_subject.values():
        entries.sort()
    delays: dict[str, int] = {}
    for revert in commits:
        for target in _reverted_by(revert, by_sha, by_subject):
            if target != revert.sha.lower():
                delay = revert.time - times[target]
                delays[target] = min(delay, delays.get(target, delay))
    return delays


def _reverted_by(
    revert: Message, by_sha: Sequence[str], by_subject: Mapping[str, Sequence[tuple[int, str]]]
) -> list[str]:
    named = [_resolve(prefix.lower(), by_sha) for prefix in REVERTS_SHA.findall(revert.message)]
    found = [sha for sha in named if sha is not None]
    if found or named:
        return found
    match = REVERT_SUBJECT.match(revert.subject)
    if match is None:
        return []
    earlier = [sha for time, sha in by_subject.get(match["subject"], ()) if time <= revert.time]
    return earlier[-1:]


def _resolve(prefix: str, by_sha: Sequence[str]) -> str | None:
    """The one sha starting with `prefix`, or None when there is none or more than one."""
    index = bisect.bisect_left(by_sha, prefix)
    matches = by_sha[index : index + 2]
    if not matches or not matches[0].startswith(prefix):
        return None
    if len(matches) == 2 and matches[1].startswith(prefix):
        return None
    return matches[0]


# --- reading the store ------------------------------------------------------------------------------------


def repository_churn(
    store: Store, repo_id: int, follows: Callable[[str, str], bool], horizon: int = HORIZON_SECONDS
) -> dict[str, ChurnCount] | None:
    """Churn counts of every replayed commit of a repository (those since the first one with hunks), or None
    when it has no hunks. `follows(sha, path)` says whether the lines a commit added to a path count."""
    hunks: dict[str, dict[str, list[HunkRange]]] = defaultdict(lambda: defaultdict(list))
    rows = store.db.execute(
        "SELECT h.sha, h.path, h.old_start, h.old_lines, h.new_start, h.new_lines FROM hunks h "
        "JOIN reachable r ON r.repo_id = h.repo_id AND r.sha = h.sha WHERE h.repo_id = ?",
        [repo_id],
    )
    for sha, path, old_start, old_lines, new_start, new_lines in rows:
        hunks[sha][path].append(HunkRange(old_start, old_lines, new_start, new_lines))
    if not hunks:
        return None
    commits = _replayed_commits(store, repo_id, hunks)
    renames, created = _renames_and_creations(store, repo_id)
    edits = []
    for sha in replay_order(commits):
        by_path = {path: sorted(found, key=lambda hunk: hunk.old_start) for path, found in hunks.get(sha, {}).items()}
        tracked = frozenset(path for path in by_path if follows(sha, path))
        edits.append(
            CommitEdits(sha, commits[sha][0], by_path, renames.get(sha, {}), created.get(sha, frozenset()), tracked)
        )
    counts = churn(edits, horizon)
    return {sha: counts.get(sha, ChurnCount()) for sha in commits}


def _replayed_commits(store: Store, repo_id: int, hunks: Mapping[str, object]) -> dict[str, tuple[int, list[str]]]:
    """sha -> (committer time, parents) of the reachable non-merge commits since the first one with hunks:
    commits without hunks (pure renames) still move lines."""
    rows = store.db.execute(
        "SELECT c.sha, c.committer_time, c.parents FROM commits c JOIN reachable r ON r.repo_id = c.repo_id "
        "AND r.sha = c.sha WHERE c.repo_id = ? AND c.is_merge = 0",
        [repo_id],
    )
    commits = {sha: (time, parents.split()) for sha, time, parents in rows}
    first = min(commits[sha][0] for sha in hunks if sha in commits)
    return {sha: commit for sha, commit in commits.items() if commit[0] >= first}


def _renames_and_creations(store: Store, repo_id: int) -> tuple[dict[str, dict[str, str]], dict[str, frozenset[str]]]:
    renames: dict[str, dict[str, str]] = defaultdict(dict)
    created: dict[str, set[str]] = defaultdict(set)
    rows = store.db.execute(
        "SELECT sha, path, old_path, change_type FROM file_changes WHERE repo_id = ? AND change_type IN ('R', 'A')",
        [repo_id],
    )
    for sha, path, old_path, change_type in rows:
        if change_type == "R" and old_path:
            renames[sha][path] = old_path
        elif change_type == "A":
            created[sha].add(path)
    return dict(renames), {sha: frozenset(paths) for sha, paths in created.items()}


def repository_revert_delays(store: Store, repo_id: int) -> dict[str, int]:
    """sha -> seconds to its earliest revert, over the repository's reachable commits."""
    rows = store.db.execute(
        "SELECT c.sha, c.committer_time, c.subject, CASE WHEN c.subject LIKE 'Revert \"%' "
        "OR c.message LIKE '%This reverts commit %' THEN c.message ELSE '' END "
        "FROM commits c JOIN reachable r ON r.repo_id = c.repo_id AND r.sha = c.sha WHERE c.repo_id = ?",
        [repo_id],
    )
    return revert_delays([Message(sha, time, subject, message) for sha, time, subject, message in rows])
