"""Clustering scored pairs into persons, with a guard against chaining.

Connected components over automatic links would let A~B and B~C join A and C even when A
and C plainly differ (twins sharing a mistyped record, a father and son of one name). The
guard looks inside every component of three or more records: when some pair in it scores
far below the threshold, or a person has said the two records are different people
(cannot-link), the component is rebuilt by *constrained* merging: links are taken strongest
first, and two groups only join when every pair across them clears the guard and no
cannot-link separates them. Links refused that way are returned so they can be reviewed.
Must-link decisions are applied first and always win over the model.

Pure: numpy arrays and Python, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def connected_components(n_nodes: int, left: IntArray, right: IntArray) -> IntArray:
    """Component label (the smallest node index in it) of every node 0..n_nodes-1."""
    labels = np.arange(n_nodes, dtype=np.int64)
    if len(left) == 0:
        return labels
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    while True:
        low = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        # Pointer jumping: follow labels to their roots so long chains converge quickly.
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(before, labels):
            return labels


@dataclass
class GuardResult:
    """The groups a component was cut into, and the links the guard refused."""

    groups: list[list[int]]
    refused: list[tuple[int, int, float]] = field(default_factory=list)
    conflicts: list[tuple[int, int]] = field(default_factory=list)  # must-links not applied


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def constrained_merge(
    nodes: Iterable[int],
    links: Iterable[tuple[int, int, float]],
    score: Callable[[int, int], float],
    guard: float,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
) -> GuardResult:
    """Merge `nodes` along `links` (a, b, probability), strongest first, without chaining.

    Two groups join only when every pair across them has `score(a, b) >= guard` and no
    cannot-link pair separates them. Must-link pairs are merged first (cannot-link still
    blocks them: a contradiction is reported as a conflict, not resolved silently). A record
    a person has must-linked is vouched for: its pairs are exempt from the score check (the
    person saw it differs), though cannot-links still hold.
    """
    members: dict[int, list[int]] = {n: [n] for n in nodes}
    group_of: dict[int, int] = {n: n for n in members}
    cannot = {_pair(a, b) for a, b in cannot_link}
    must = {_pair(a, b) for a, b in must_link}
    vouched = {x for pair in must for x in pair}
    result = GuardResult(groups=[])

    def blocked(ga: int, gb: int, check_scores: bool) -> bool:
        for x in members[ga]:
            for y in members[gb]:
                p = _pair(x, y)
                if p in cannot:
                    return True
                if check_scores and x not in vouched and y not in vouched and score(x, y) < guard:
                    return True
        return False

    def merge(ga: int, gb: int) -> None:
        if len(members[ga]) < len(members[gb]):
            ga, gb = gb, ga
        for x in members[gb]:
            group_of[x] = ga
        members[ga].extend(members.pop(gb))

    for a, b in sorted(must):
        ga, gb = group_of[a], group_of[b]
        if ga == gb:
            continue
        if blocked(ga, gb, check_scores=False):
            result.conflicts.append((a, b))
            continue
        merge(ga, gb)

    ordered = sorted(links, key=lambda e: (-e[2], min(e[0], e[1]), max(e[0], e[1])))
    for a, b, prob in ordered:
        ga, gb = group_of[a], group_of[b]
        if ga == gb:
            continue
        if blocked(ga, gb, check_scores=True):
            result.refused.append((*_pair(a, b), prob))
            continue
        merge(ga, gb)

    result.groups = sorted(sorted(m) for m in members.values())
    # A refused link whose ends were later joined another way is no longer a question.
    result.refused = [r for r in result.refused if group_of[r[0]] != group_of[r[1]]]
    return result


def join_by_must_links(
    cluster_of: dict[int, int],
    must_link: Iterable[tuple[int, int]],
    cannot_link: Iterable[tuple[int, int]] = (),
) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """Join whole clusters along must-link decisions.

    A person deciding "record a is record b" means their persons are one, so the clusters
    holding a and b merge (the model's clusters, guard applied, are the units). A must-link
    that would put a cannot-link pair into one cluster is not applied and is returned as a
    conflict. `cluster_of` maps record -> cluster key; returns cluster key -> new key (the
    smallest key of the merged set) for every cluster that changed, and the conflicts.
    """
    members: dict[int, set[int]] = {}
    for record, cluster in cluster_of.items():
        members.setdefault(cluster, set()).add(record)
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    group_records: dict[int, set[int]] = {}
    cannot = [(a, b) for a, b in cannot_link if a in cluster_of and b in cluster_of]
    conflicts: list[tuple[int, int]] = []
    for a, b in sorted(_pair(a, b) for a, b in must_link):
        if a not in cluster_of or b not in cluster_of:
            continue
        ra, rb = find(cluster_of[a]), find(cluster_of[b])
        if ra == rb:
            continue
        left = group_records.get(ra, members[ra])
        right = group_records.get(rb, members[rb])
        joined = left | right
        if any(x in joined and y in joined for x, y in cannot):
            conflicts.append((a, b))
            continue
        root, child = min(ra, rb), max(ra, rb)
        parent[child] = root
        group_records[root] = joined
    changed = {c: find(c) for c in list(parent) if find(c) != c}
    return changed, conflicts
