"""Stable person numbers: which new cluster takes over which existing person.

After every run the new clusters are matched to the persons of the previous run by the
number of records they share (greatest overlap first; on a tie the older person, then the
smaller cluster key, wins, so results never depend on ordering). Then:
- a cluster that took over a person keeps that person's number;
- a cluster that took over nobody gets a new person (if its records came from a person
  that kept its number elsewhere, that is a *split* from it);
- a person no cluster took over, whose records now sit in other clusters, is *merged* into
  the person holding most of its records (its number redirects there);
- a person left with no records at all is *retired* (its number is never reused).

Pure: plain Python over (cluster, person, count) rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Takeover:
    """The outcome: cluster -> existing person, new clusters, and what happened to persons."""

    kept: dict[int, int] = field(default_factory=dict)  # cluster -> person id
    new_clusters: list[int] = field(default_factory=list)
    split_from: dict[int, int] = field(default_factory=dict)  # new cluster -> person id
    merged: dict[int, int] = field(default_factory=dict)  # person -> surviving person id
    retired: list[int] = field(default_factory=list)


def take_over(
    clusters: Iterable[int],
    overlaps: Iterable[tuple[int, int, int]],
    previous_persons: Iterable[int],
) -> Takeover:
    """Match `clusters` to `previous_persons` given (cluster, person, shared records) rows.

    `previous_persons` are the persons active before the run (including any that now have
    no records); overlap rows name only those.
    """
    rows = sorted(overlaps, key=lambda r: (-r[2], r[1], r[0]))
    out = Takeover()
    person_used: set[int] = set()
    for cluster, person, _count in rows:
        if cluster in out.kept or person in person_used:
            continue
        out.kept[cluster] = person
        person_used.add(person)

    best_person_of_cluster: dict[int, int] = {}
    best_cluster_of_person: dict[int, int] = {}
    for cluster, person, _count in rows:  # rows are sorted: first seen is the largest
        best_person_of_cluster.setdefault(cluster, person)
        best_cluster_of_person.setdefault(person, cluster)

    for cluster in sorted(set(clusters)):
        if cluster in out.kept:
            continue
        out.new_clusters.append(cluster)
        if cluster in best_person_of_cluster:
            out.split_from[cluster] = best_person_of_cluster[cluster]

    for person in sorted(set(previous_persons)):
        if person in person_used:
            continue
        target = best_cluster_of_person.get(person)
        if target is None:
            out.retired.append(person)
        else:
            # Greedy matching guarantees the cluster holding most of an unmatched person's
            # records was already taken by another person when that row came up.
            out.merged[person] = out.kept[target]
    return out
