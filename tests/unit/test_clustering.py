"""Clustering: connected components, the chaining guard, constraints, number takeover."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from joinedup.domain.match_clustering import connected_components, constrained_merge
from joinedup.domain.match_takeover import take_over


def _groups(labels: np.ndarray) -> set[frozenset[int]]:
    out: dict[int, set[int]] = {}
    for i, lab in enumerate(labels.tolist()):
        out.setdefault(lab, set()).add(i)
    return {frozenset(g) for g in out.values()}


def test_connected_components_of_a_long_chain_and_islands() -> None:
    left = np.array([0, 1, 2, 3, 5], dtype=np.int64)
    right = np.array([1, 2, 3, 4, 6], dtype=np.int64)
    labels = connected_components(8, left, right)
    assert _groups(labels) == {frozenset({0, 1, 2, 3, 4}), frozenset({5, 6}), frozenset({7})}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=60))
def test_connected_components_match_a_reference_union_find(edges: list[tuple[int, int]]) -> None:
    parent = list(range(30))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    expected: dict[int, set[int]] = {}
    for i in range(30):
        expected.setdefault(find(i), set()).add(i)
    left = np.array([e[0] for e in edges], dtype=np.int64)
    right = np.array([e[1] for e in edges], dtype=np.int64)
    assert _groups(connected_components(30, left, right)) == {
        frozenset(g) for g in expected.values()
    }


def _scores(table: dict[tuple[int, int], float]):  # type: ignore[no-untyped-def]
    return lambda a, b: table.get((min(a, b), max(a, b)), 0.0)


def test_guard_cuts_a_chain_whose_ends_plainly_differ() -> None:
    # A~B and B~C are strong, but A and C score far below: twins joined through a record
    # with a missing given name. The weaker link is refused and goes to review.
    scores = {(1, 2): 0.999, (2, 3): 0.995, (1, 3): 0.001}
    result = constrained_merge(
        [1, 2, 3], [(1, 2, 0.999), (2, 3, 0.995)], _scores(scores), guard=0.5
    )
    assert result.groups == [[1, 2], [3]]
    assert result.refused == [(2, 3, 0.995)]


def test_guard_keeps_a_consistent_cluster_whole() -> None:
    scores = {(1, 2): 0.999, (2, 3): 0.995, (1, 3): 0.9}
    result = constrained_merge(
        [1, 2, 3], [(1, 2, 0.999), (2, 3, 0.995)], _scores(scores), guard=0.5
    )
    assert result.groups == [[1, 2, 3]]
    assert result.refused == []


def test_cannot_link_separates_even_strong_links() -> None:
    scores = {(1, 2): 0.999, (2, 3): 0.999, (1, 3): 0.999}
    result = constrained_merge(
        [1, 2, 3],
        [(1, 2, 0.999), (2, 3, 0.999), (1, 3, 0.999)],
        _scores(scores),
        guard=0.5,
        cannot_link=[(3, 1)],
    )
    assert [1, 3] not in result.groups
    assert not any({1, 3} <= set(g) for g in result.groups)
    assert sum(len(g) for g in result.groups) == 3


def test_must_link_wins_over_the_model_but_not_over_cannot_link() -> None:
    result = constrained_merge(
        [1, 2, 3], [], _scores({}), guard=0.5, must_link=[(1, 2), (2, 3)], cannot_link=[(1, 3)]
    )
    assert result.groups == [[1, 2], [3]]
    assert result.conflicts == [(2, 3)]


def test_takeover_on_unchanged_clusters_keeps_every_number() -> None:
    plan = take_over([10, 20, 30], [(10, 1, 3), (20, 2, 1), (30, 3, 2)], [1, 2, 3])
    assert plan.kept == {10: 1, 20: 2, 30: 3}
    assert not (plan.new_clusters or plan.merged or plan.retired or plan.split_from)


def test_takeover_merge_keeps_the_larger_overlap_and_redirects_the_other() -> None:
    # Cluster 10 now holds person 1's three records and person 2's two.
    plan = take_over([10], [(10, 1, 3), (10, 2, 2)], [1, 2])
    assert plan.kept == {10: 1}
    assert plan.merged == {2: 1}


def test_takeover_split_keeps_the_number_with_the_larger_part() -> None:
    plan = take_over([10, 20], [(10, 1, 1), (20, 1, 4)], [1])
    assert plan.kept == {20: 1}
    assert plan.new_clusters == [10]
    assert plan.split_from == {10: 1}


def test_takeover_ties_go_to_the_older_person() -> None:
    plan = take_over([10], [(10, 7, 2), (10, 4, 2)], [4, 7])
    assert plan.kept == {10: 4}
    assert plan.merged == {7: 4}


def test_takeover_retires_a_person_left_without_records_and_creates_new_ones() -> None:
    plan = take_over([10, 20], [(10, 1, 2)], [1, 2])
    assert plan.kept == {10: 1}
    assert plan.new_clusters == [20]
    assert plan.split_from == {}
    assert plan.retired == [2]


def test_records_a_person_vouched_for_are_exempt_from_the_guard() -> None:
    # 1 and 2 are identical; a person says 3 (very different on paper) is 1. Then 2 is 3 too.
    scores = {(1, 2): 0.999, (1, 3): 0.0, (2, 3): 0.0}
    result = constrained_merge(
        [1, 2, 3], [(1, 2, 0.999)], _scores(scores), guard=0.5, must_link=[(1, 3)]
    )
    assert result.groups == [[1, 2, 3]]


def test_must_links_join_whole_clusters_unless_a_cannot_link_forbids() -> None:
    from joinedup.domain.match_clustering import join_by_must_links

    cluster_of = {1: 1, 2: 1, 3: 3, 4: 3, 5: 5}
    changed, conflicts = join_by_must_links(cluster_of, [(2, 4)], [])
    assert changed == {3: 1} and conflicts == []
    changed, conflicts = join_by_must_links(cluster_of, [(2, 4), (4, 5)], [(1, 5)])
    assert changed == {3: 1} and conflicts == [(4, 5)]
