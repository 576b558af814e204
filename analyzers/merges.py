"""Which commits a merge brought in, computed from the stored parents alone (no git).

A merge brings in the commits reachable from its other parents but not from its first parent: what
`git rev-list M^1..M^2` lists. For the merges on the first-parent chain of HEAD (pull requests merged into
the main line) one pass does it for all: going up the chain from the root, everything seen so far is
exactly what the next merge's first parent reaches, so each merge brings in what its other parents reach
and was not seen yet (O(commits) in all). Other merges (inside branches, on other refs) are walked one by
one: like git, the walk paints both sides at once in generation order (a commit's generation is one more
than its highest parent's) and stops as soon as every commit still queued is reachable from the first
parent; it is bounded, and a merge that brings in more than a limit gets None. A merge of the main line
into a branch (keeping a branch up to date) is no pull request: callers leave it out.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

FIRST, OTHER = 1, 2  # paint colours: reachable from the first parent, from another parent
BOTH = FIRST | OTHER
MAX_VISITS_PER_LIMIT = 10  # a walk of one merge gives up (None) after 10 x limit commits

Parents = Mapping[str, tuple[str, ...]]


def first_parent_chain(head: str, parents: Parents) -> list[str]:
    """The commits from `head` down its first parents, oldest first (stops where the store ends)."""
    chain: list[str] = []
    seen: set[str] = set()
    sha: str | None = head
    while sha is not None and sha in parents and sha not in seen:
        seen.add(sha)
        chain.append(sha)
        sha = parents[sha][0] if parents[sha] else None
    chain.reverse()
    return chain


@dataclass(frozen=True)
class MainLine:
    """HEAD's first-parent chain and what each merge on it brought in (None: more than the limit)."""

    commits: frozenset[str]
    brought: Mapping[str, tuple[str, ...] | None]

    def merges_into_a_branch(self, merge: str, parents: Parents) -> bool:
        """A merge off the main line whose other parent is on it: main's work brought into a branch
        (a "back-merge"), not a pull request."""
        return merge not in self.commits and any(parent in self.commits for parent in parents.get(merge, ())[1:])


def main_line(head: str, parents: Parents, limit: int) -> MainLine:
    chain = first_parent_chain(head, parents)
    return MainLine(frozenset(chain), main_line_brought_in(chain, parents, limit))


def main_line_brought_in(chain: list[str], parents: Parents, limit: int) -> dict[str, tuple[str, ...] | None]:
    """For every merge of a first-parent chain (oldest first): the commits it brought in, None when more
    than `limit`."""
    seen: set[str] = set()
    brought: dict[str, tuple[str, ...] | None] = {}
    for commit in chain:
        seen.add(commit)
        found: list[str] = []
        stack = [parent for parent in parents[commit][1:] if parent in parents]
        while stack:
            sha = stack.pop()
            if sha in seen:
                continue
            seen.add(sha)
            found.append(sha)
            stack.extend(parent for parent in parents[sha] if parent in parents and parent not in seen)
        if len(parents[commit]) > 1:
            brought[commit] = tuple(found) if len(found) <= limit else None
    return brought


def generations(parents: Parents) -> dict[str, int]:
    """Generation number of every commit; parents missing from the store (shallow history) count as 0.
    One pass when `parents` lists parents before children (the order a scan stores commits in)."""
    generation: dict[str, int] = {}
    for sha, own_parents in parents.items():
        highest = 0
        for parent in own_parents:
            parent_generation = generation.get(parent)
            if parent_generation is None:
                if parent in parents:
                    break  # a parent comes later: the walk below handles this commit
            elif parent_generation > highest:
                highest = parent_generation
        else:
            generation[sha] = highest + 1
    for start in parents:
        if start in generation:
            continue
        stack = [start]
        while stack:
            sha = stack[-1]
            if sha in generation:
                stack.pop()
                continue
            known = [parent for parent in parents[sha] if parent in parents]
            waiting = [parent for parent in known if parent not in generation]
            if waiting:
                stack.extend(waiting)
                continue
            generation[sha] = 1 + max((generation[parent] for parent in known), default=0)
            stack.pop()
    return generation


def brought_in(merge: str, parents: Parents, generation: Mapping[str, int], limit: int) -> tuple[str, ...] | None:
    """The commits `merge` brought in (not itself), newest first; None when they are more than `limit`."""
    merge_parents = [parent for parent in parents.get(merge, ()) if parent in parents]
    if len(parents.get(merge, ())) < 2 or len(merge_parents) < 2:
        return ()
    colour: dict[str, int] = {}
    queue: list[tuple[int, str]] = []
    pending_other = 0  # queued commits painted OTHER only: while there are some, the walk goes on

    def paint(sha: str, paint_colour: int) -> None:
        nonlocal pending_other
        old = colour.get(sha, 0)
        new = old | paint_colour
        if new == old:
            return
        colour[sha] = new
        if old == 0:
            heapq.heappush(queue, (-generation[sha], sha))
            pending_other += new == OTHER
        elif old == OTHER:
            pending_other -= 1  # now reachable from the first parent too

    paint(merge_parents[0], FIRST)
    for parent in merge_parents[1:]:
        paint(parent, OTHER)
    found: list[str] = []
    visits = 0
    while queue and pending_other:
        _, sha = heapq.heappop(queue)
        visits += 1
        here = colour[sha]
        if here == OTHER:
            pending_other -= 1
            found.append(sha)
            if len(found) > limit:
                return None
        if visits > MAX_VISITS_PER_LIMIT * limit:
            return None
        for parent in parents[sha]:
            if parent in parents:
                paint(parent, here)
    return tuple(found)
