"""Incremental linking: after an ingest, link only what changed, under the batch rules.

The records that are new, changed or closed since the last finished run, and the records of
must-link / cannot-link decisions taken since, are scored against the stored candidate
index (`feature_store`: every active record's features in `linkage_features`, candidates
fetched by the batch's blocking rules in SQL, comparison levels evaluated in bulk in DuckDB
with the batch's SQL, weights by the batch's arithmetic, tested equal) and among
themselves. The *affected region* is those records, the records they reach by an automatic
link, every record of the persons involved and their must-link partners, so a region is a
union of whole persons. Pairs among the region's other records are blocked and scored
within the region. Inside it the batch's steps run unchanged: automatic links at the upper
threshold (twins rule, cannot-links), the chaining guard with constrained merging
(`domain.match_clustering`), must-links joining clusters, and the greatest-overlap
takeover of person numbers (`domain.match_takeover`) with the batch's own person-history
writer. Records outside the region keep their persons untouched. Nothing reads every
record: the changed ones are found by `source_records.updated_at` (indexed), everything
else by record, by person or by blocking key.

`link(engine, full=None)` (`joinedup link run`): a full run the first time, after a new model
was trained, or with `full=True`; incremental after that.

Differences from a full re-run: a pair of two unchanged records is re-scored only when both
are in the region, so an unchanged record's links to records outside the region stay as the
run that made them decided (a chain the guard cut earlier is not re-examined unless a
changed record reaches it), and term-frequency shifts from the new records do not move old,
unaffected pairs; open review items outside the region are left as they are.
`benchmarks/incremental.py` measures the agreement.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from joinedup.domain.comparisons import COMPARISONS, auto_link_allowed
from joinedup.domain.match_clustering import constrained_merge, join_by_must_links
from joinedup.domain.match_scorer import ModelParams, PairScore, params_from_settings, score_pair
from joinedup.domain.match_takeover import take_over
from joinedup.errors import InvalidInput
from joinedup.identity import feature_store
from joinedup.identity.batch_link import (
    REVIEW_ITEM_COLUMNS,
    RunSummary,
    _create_persons,
    _record_changes,
    run_link,
    thresholds_from_settings,
)
from joinedup.identity.bulk import bulk_insert, delete_where_in, jsonb, timestamp
from joinedup.identity.bulk_scores import BulkScorer, Weigher, probability
from joinedup.identity.clustering import Thresholds
from joinedup.identity.model import load_model
from joinedup.identity.online.index import FeatureRow, to_features
from joinedup.identity.online.loader import FeatureBuilder
from joinedup.identity.online.matcher import _contributions
from joinedup.identity.person_changes import lock_identity
from joinedup.identity.record_source import LINKAGE_COLUMNS
from joinedup.store.schema.identity import LinkRun

Progress = Callable[[str], None]
MAX_EXPANSIONS = 20
CHUNK = 5000
BULK = 200_000
MAX_GUARD_PREFETCH = 2_000_000
COMPARISON_NAMES = tuple(c.name for c in COMPARISONS)
# A record written by a transaction that committed after a run started, with an earlier
# timestamp, is still found by the next run if it is younger than this and has no link.
OVERLAP = dt.timedelta(seconds=120)


@dataclass
class IncrementalSummary:
    run_id: int
    model_version: int
    kind: str = "incremental"
    records_changed: int = 0
    records_closed: int = 0
    decisions_applied: int = 0
    region_records: int = 0
    pairs_scored: int = 0
    auto_links: int = 0
    clusters: int = 0
    persons_created: int = 0
    persons_kept: int = 0
    persons_merged: int = 0
    persons_split: int = 0
    persons_retired: int = 0
    links_changed: int = 0
    review_items_opened: int = 0
    chains_cut: int = 0
    constraint_conflicts: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _LastRun:
    started_at: dt.datetime
    model_id: int | None


def link(
    engine: Engine,
    *,
    full: bool | None = None,
    model_version: int | None = None,
    thresholds: Thresholds | None = None,
    progress: Progress | None = None,
) -> RunSummary | IncrementalSummary:
    """`joinedup link run`: full the first time, after a new model, when a model version is
    named, or when asked; incremental otherwise."""
    if full is None:
        full = model_version is not None or full_run_needed(engine)
    if full:
        return run_link(
            engine, model_version=model_version, thresholds=thresholds, progress=progress
        )
    return run_incremental(engine, thresholds=thresholds, progress=progress)


def full_run_needed(engine: Engine) -> bool:
    """No finished run yet, a newer model than the last run's, or no stored features (a
    store linked before they existed)."""
    last = _last_run(engine)
    if last is None:
        return True
    if last.model_id != load_model(engine).id:
        return True
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT 1 FROM linkage_features LIMIT 1")).first()
        active = conn.execute(
            text("SELECT 1 FROM source_records WHERE status = 'active' LIMIT 1")
        ).first()
    return stored is None and active is not None


def _last_run(engine: Engine) -> _LastRun | None:
    with engine.connect() as conn:
        found = conn.execute(
            select(LinkRun.started_at, LinkRun.model_id)
            .where(LinkRun.status == "done")
            .order_by(LinkRun.id.desc())
            .limit(1)
        ).first()
    return None if found is None else _LastRun(found[0], found[1])


def _in_chunks(conn: Connection, sql: str, ids: Iterable[int]) -> list[Any]:
    """Rows of `sql` whose `IN :ids` conditions take the ids a chunk at a time (through the
    driver: compiling an expanding parameter list per statement cost seconds)."""
    values = sorted(set(ids))
    out: list[Any] = []
    uses = sql.count(":ids")
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            if conn.dialect.name == "postgresql":
                cur.execute(sql.replace("IN :ids", "= ANY(%(ids)s)"), {"ids": chunk})
            else:
                marks = "(" + ", ".join("?" * len(chunk)) + ")"
                cur.execute(sql.replace(":ids", marks), chunk * uses)
            out.extend(cur.fetchall())
    finally:
        cur.close()
    return out


class _Scorer:
    """Pair scores, computed once each, over the features fetched from the store so far
    (with the stored records' name frequencies, as the batch scores them).

    Pairs are scored in bulk (`prefetch`: comparison levels in DuckDB, `bulk_scores`);
    a pair not prefetched is scored alone in Python (`domain.match_scorer`, equal)."""

    def __init__(self, conn: Connection, params: ModelParams) -> None:
        self.conn = conn
        self.params = params
        self.weigher = Weigher(params)
        self.bulk = BulkScorer(params)
        self.tf = feature_store.TermFrequencyCache(conn)
        self.rows: dict[int, FeatureRow] = {}
        self.absent: set[int] = set()
        # (a, b) with a < b -> (match probability, comparison vector)
        self.cache: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {}
        # Pairs known to score below the lower threshold (their exact figure is not kept).
        self.below: set[tuple[int, int]] = set()
        self.allowed: dict[tuple[int, ...], bool] = {}  # the twins rule, by vector

    def close(self) -> None:
        self.bulk.close()

    def add(self, rows: Mapping[int, FeatureRow]) -> None:
        fresh = {r: row for r, row in rows.items() if r not in self.rows}
        self.rows.update(fresh)
        self.tf.learn(fresh.values())

    def load(self, ids: Iterable[int]) -> None:
        """Fetch the stored features of these records (closed ones have none)."""
        wanted = set(ids) - self.rows.keys() - self.absent
        if not wanted:
            return
        found = feature_store.read_rows(self.conn, wanted)
        self.add(found)
        self.absent |= wanted - found.keys()

    def __contains__(self, record_id: object) -> bool:
        return record_id in self.rows

    @property
    def pairs_scored(self) -> int:
        return len(self.cache) + len(self.below)

    def prefetch(self, pairs: Iterable[tuple[int, int]], at_least: float | None = None) -> None:
        """Score these pairs in bulk; with `at_least`, pairs below that probability are
        only remembered as such (DuckDB drops them before Python sees them)."""
        todo = sorted({(min(a, b), max(a, b)) for a, b in pairs} - self.cache.keys())
        if at_least is not None:
            todo = [pair for pair in todo if pair not in self.below]
        if not todo:
            return
        self.bulk.add_rows({i: self.rows[i] for pair in todo for i in pair})
        self.bulk.set_term_frequencies(self.tf)
        # A hair under the threshold: the SQL sum may differ from Python's in the last bits.
        min_weight = None if at_least is None else math.log2(at_least / (1 - at_least)) - 1e-6
        for start in range(0, len(todo), BULK):
            chunk = todo[start : start + BULK]
            kept = set()
            for row in self.bulk.vectors(chunk, min_weight):
                a, b, gammas = row[0], row[1], row[2:]
                weight = self.weigher.weight(gammas, self.rows[a], self.rows[b], self.tf)
                self.cache[(a, b)] = (probability(weight), gammas)
                kept.add((a, b))
            if at_least is not None:
                self.below.update(pair for pair in chunk if pair not in kept)
        self.below.difference_update(self.cache.keys())

    def pair(self, a: int, b: int) -> tuple[float, tuple[int, ...]]:
        key = (a, b) if a < b else (b, a)
        found = self.cache.get(key)
        if found is None:
            s = self.score(*key)
            found = (s.match_probability, tuple(c.gamma for c in s.contributions))
            self.cache[key] = found
        return found

    def probability(self, a: int, b: int) -> float:
        return self.pair(a, b)[0]

    def score(self, a: int, b: int) -> PairScore:
        """The full score with its explanation (per-comparison contributions)."""
        return score_pair(
            to_features(self.rows[a]), to_features(self.rows[b]), self.params, self.tf
        )

    def auto_ok(self, a: int, b: int) -> bool:
        gammas = self.pair(a, b)[1]
        allowed = self.allowed.get(gammas)
        if allowed is None:
            allowed = auto_link_allowed(dict(zip(COMPARISON_NAMES, gammas, strict=True)))
            self.allowed[gammas] = allowed
        return allowed

    def guard_score(self, a: int, b: int) -> float:
        return self.probability(a, b) if self.auto_ok(a, b) else 0.0


_CHANGED_SQL = (
    "SELECT s.id, s.status, l.person_id, "
    + ", ".join(f"s.{c}" for c in LINKAGE_COLUMNS)
    + " FROM source_records s LEFT JOIN person_links l ON l.source_record_id = s.id "
    "WHERE s.updated_at >= :early AND (s.updated_at >= :since "
    "OR (s.status = 'active' AND l.source_record_id IS NULL) "
    "OR (s.status <> 'active' AND l.source_record_id IS NOT NULL))"
)


def _changed_records(
    conn: Connection, since: dt.datetime
) -> tuple[dict[int, FeatureRow], dict[int, int], list[int]]:
    """Features of the active records new or changed since `since`, the closed records
    still linked (record -> person), and every record closed since."""
    builder = FeatureBuilder()
    changed: dict[int, FeatureRow] = {}
    closed: dict[int, int] = {}
    gone: list[int] = []
    params = {"early": timestamp(conn, since - OVERLAP), "since": timestamp(conn, since)}
    for row in conn.execute(text(_CHANGED_SQL), params):
        record = dict(row._mapping)
        record_id = int(record["id"])
        if record["status"] != "active":
            gone.append(record_id)
            if record["person_id"] is not None:
                closed[record_id] = int(record["person_id"])
            continue
        record["unique_id"] = record_id
        changed[record_id] = builder.row(record)
    return changed, closed, gone


def run_incremental(
    engine: Engine,
    *,
    thresholds: Thresholds | None = None,
    progress: Progress | None = None,
) -> IncrementalSummary:
    """Link the records changed since the last finished run; returns what changed."""
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    last = _last_run(engine)
    if last is None:
        raise InvalidInput(
            "No finished link run yet: the first run is a full one.",
            hint="joinedup link run --full",
        )
    limits = thresholds or thresholds_from_settings()
    model = load_model(engine)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        lock_identity(conn)
        clock: dict[str, float] = {}
        run_id = int(
            conn.execute(
                insert(LinkRun)
                .values(kind="incremental", status="running", started_at=now, model_id=model.id)
                .returning(LinkRun.id)
            ).scalar_one()
        )
        out = IncrementalSummary(run_id=run_id, model_version=model.version)
        out.timings = clock
        t0 = time.monotonic()
        say("reading new and changed records")
        changed_rows, closed, gone = _changed_records(conn, last.started_at)
        # The stored index follows the records: closed ones leave, changed ones are updated.
        feature_store.delete_rows(conn, gone)
        feature_store.write_rows(conn, changed_rows.values())
        out.records_changed, out.records_closed = len(changed_rows), len(closed)
        scorer = _Scorer(conn, params_from_settings(model.settings))
        scorer.add(changed_rows)
        # Decisions taken since the last run re-link their records too.
        decisions = conn.execute(
            text(
                "SELECT record_id_l, record_id_r FROM match_constraints WHERE created_at >= :since"
            ),
            {"since": timestamp(conn, last.started_at)},
        ).all()
        decided = {int(r) for pair in decisions for r in pair}
        out.decisions_applied = len(decisions)
        seeds = set(changed_rows) | decided
        clock["read"] = round(time.monotonic() - t0, 2)
        t0 = time.monotonic()
        say(f"scoring {len(changed_rows):,} changed records")
        region, prev_person, edges = _region(conn, scorer, sorted(seeds), closed, limits)
        out.region_records = len(region)
        out.pairs_scored = scorer.pairs_scored
        clock["score"] = round(time.monotonic() - t0, 2)
        t0 = time.monotonic()
        cluster_of, strength = _cluster(conn, scorer, region, edges, limits, out)
        clock["cluster"] = round(time.monotonic() - t0, 2)
        t0 = time.monotonic()
        say("assigning person numbers and writing")
        _write(conn, run_id, region, prev_person, closed, cluster_of, strength, now, out)
        out.review_items_opened = _review_items(conn, scorer, region, cluster_of, limits, run_id)
        scorer.close()
        clock["write"] = round(time.monotonic() - t0, 2)
        out.seconds = round(time.monotonic() - started, 2)
        conn.execute(
            update(LinkRun)
            .where(LinkRun.id == run_id)
            .values(status="done", finished_at=dt.datetime.now(dt.UTC), stats=asdict(out))
        )
    return out


def _region(
    conn: Connection,
    scorer: _Scorer,
    changed: list[int],
    closed: dict[int, int],
    limits: Thresholds,
) -> tuple[set[int], dict[int, int], dict[tuple[int, int], float]]:
    """The affected records, their previous persons, and the automatic-link candidates
    (pairs at or above the upper threshold that the twins rule allows) among them.

    The changed records are scored against every stored candidate; the records they
    reach by an automatic link, every record of the persons involved and their must-link
    partners join the region. Pairs among the region's other records are then scored
    within the region: their links to records outside it were settled by earlier runs."""
    scorer.load(changed)
    seeds = [r for r in changed if r in scorer]
    edges: dict[tuple[int, int], float] = {}
    reached = set(seeds)
    candidates = feature_store.candidate_pairs(conn, {a: scorer.rows[a] for a in seeds})
    scorer.load(b for found in candidates.values() for b in found)
    _score_edges(scorer, candidates, limits, edges, reached)

    prev_person: dict[int, int] = {}
    region: set[int] = set()
    persons_in: set[int] = set()
    extra_persons: set[int] = set(closed.values())
    frontier = reached
    for _ in range(MAX_EXPANSIONS):
        # Whole persons of the records reached so far, and their must-link partners.
        for rid, pid in _in_chunks(
            conn,
            "SELECT source_record_id, person_id FROM person_links WHERE source_record_id IN :ids",
            frontier,
        ):
            prev_person[int(rid)] = int(pid)
            extra_persons.add(int(pid))
        new_persons = extra_persons - persons_in
        persons_in |= new_persons
        extra_persons = set()
        members = {
            int(rid): int(pid)
            for rid, pid in _in_chunks(
                conn,
                "SELECT source_record_id, person_id FROM person_links WHERE person_id IN :ids",
                new_persons,
            )
        }
        prev_person.update(members)
        frontier |= {r for r in members if r not in closed}
        for a, b in _in_chunks(
            conn,
            "SELECT record_id_l, record_id_r FROM match_constraints "
            "WHERE kind = 'must_link' AND (record_id_l IN :ids OR record_id_r IN :ids)",
            frontier,
        ):
            frontier |= {int(a), int(b)}
        scorer.load(frontier)
        frontier = {r for r in frontier if r in scorer} - region
        if not frontier:
            break
        region |= frontier

    # Pairs among the rest of the region, blocked in DuckDB over the region's rows.
    scorer.bulk.add_rows({r: scorer.rows[r] for r in region})
    inside: dict[int, set[int]] = {}
    for a, b in scorer.bulk.pairs_within(region):
        inside.setdefault(a, set()).add(b)
    _score_edges(scorer, inside, limits, edges, set())
    return (
        region,
        prev_person,
        {k: p for k, p in edges.items() if k[0] in region and k[1] in region},
    )


def _score_edges(
    scorer: _Scorer,
    candidates: Mapping[int, set[int]],
    limits: Thresholds,
    edges: dict[tuple[int, int], float],
    reached: set[int],
) -> None:
    """Score the candidate pairs (only those at or above the lower threshold matter: links
    and review items) and keep the automatic-link ones; `reached` gains their records."""
    scorer.prefetch(
        ((a, b) for a, found in candidates.items() for b in found if b in scorer),
        at_least=limits.lower,
    )
    for a in sorted(candidates):
        for b in sorted(candidates[a]):
            key = (min(a, b), max(a, b))
            if b not in scorer or key in scorer.below or key in edges:
                continue
            p = scorer.probability(a, b)
            if p >= limits.upper and scorer.auto_ok(a, b):
                edges[key] = p
                reached.add(b)


def _cluster(
    conn: Connection,
    scorer: _Scorer,
    region: set[int],
    edges: dict[tuple[int, int], float],
    limits: Thresholds,
    out: IncrementalSummary,
) -> tuple[dict[int, int], dict[int, float]]:
    """The batch's clustering restricted to the region: record -> cluster key (the smallest
    record id in it), and each record's strongest accepted link."""
    # Looked up by one side and filtered here: the ids go in chunks, and a pair whose two
    # records fall in different chunks must still be found.
    constraints = {
        (int(a), int(b), str(k))
        for a, b, k in _in_chunks(
            conn,
            "SELECT record_id_l, record_id_r, kind FROM match_constraints "
            "WHERE record_id_l IN :ids",
            region,
        )
        if int(b) in region
    }
    cannot = {(a, b) for a, b, k in constraints if k == "cannot_link"}
    must = sorted((a, b) for a, b, k in constraints if k == "must_link")
    auto = {pair: p for pair, p in edges.items() if pair not in cannot}
    out.auto_links = len(auto)
    parent = {r: r for r in region}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in auto:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    components: dict[int, list[int]] = {}
    for r in region:
        components.setdefault(find(r), []).append(r)
    # The chaining guard needs every pair of a component of three or more: score them in
    # bulk (unless the components are so large that scoring lazily, stopping at the first
    # pair below the guard, is cheaper).
    within = sum(len(m) * (len(m) - 1) // 2 for m in components.values() if len(m) >= 3)
    if within <= MAX_GUARD_PREFETCH:
        scorer.prefetch(
            (x, y)
            for m in components.values()
            if len(m) >= 3
            for i, x in enumerate(m)
            for y in m[i + 1 :]
        )
    edges_of: dict[int, list[tuple[int, int, float]]] = {}
    for (a, b), p in auto.items():
        edges_of.setdefault(find(a), []).append((a, b, p))
    cluster_of: dict[int, int] = {}
    for members in components.values():
        members.sort()
        inside = set(members)
        has_cannot = any(a in inside and b in inside for a, b in cannot)
        bad = has_cannot
        if not bad and len(members) >= 3:
            bad = any(
                scorer.guard_score(x, y) < limits.guard
                for i, x in enumerate(members)
                for y in members[i + 1 :]
            )
        if not bad:
            for r in members:
                cluster_of[r] = members[0]
            continue
        out.chains_cut += 1
        links = edges_of.get(find(members[0]), [])
        result = constrained_merge(
            members,
            links,
            scorer.guard_score,
            limits.guard,
            cannot_link=[(a, b) for a, b in cannot if a in inside and b in inside],
        )
        out.constraint_conflicts += len(result.conflicts)
        for group in result.groups:
            for r in group:
                cluster_of[r] = min(group)
    changed, conflicts = join_by_must_links(cluster_of, must, sorted(cannot))
    out.constraint_conflicts += len(conflicts)
    for r, c in list(cluster_of.items()):
        cluster_of[r] = changed.get(c, c)
    strength: dict[int, float] = {}
    accepted = list(auto.items()) + [((min(a, b), max(a, b)), 1.0) for a, b in must]
    for (a, b), p in accepted:
        if cluster_of.get(a) == cluster_of.get(b) and a in cluster_of:
            strength[a] = max(strength.get(a, 0.0), p)
            strength[b] = max(strength.get(b, 0.0), p)
    out.clusters = len(set(cluster_of.values()))
    return cluster_of, strength


def _write(
    conn: Connection,
    run_id: int,
    region: set[int],
    prev_person: dict[int, int],
    closed: dict[int, int],
    cluster_of: dict[int, int],
    strength: dict[int, float],
    now: dt.datetime,
    out: IncrementalSummary,
) -> None:
    overlaps: dict[tuple[int, int], int] = {}
    for r in region:
        pid = prev_person.get(r)
        if pid is not None and r in cluster_of:
            key = (cluster_of[r], pid)
            overlaps[key] = overlaps.get(key, 0) + 1
    touched = set(prev_person.values()) | set(closed.values())
    active = {
        int(r[0])
        for r in _in_chunks(
            conn, "SELECT id FROM persons WHERE status = 'active' AND id IN :ids", touched
        )
    }
    plan = take_over(
        set(cluster_of.values()), [(c, p, n) for (c, p), n in overlaps.items()], active
    )
    out.persons_kept, out.persons_created = len(plan.kept), len(plan.new_clusters)
    out.persons_split, out.persons_merged = len(plan.split_from), len(plan.merged)
    out.persons_retired = len(plan.retired)
    new_person_of = _create_persons(conn, plan, run_id, now)
    _record_changes(conn, plan, new_person_of, run_id, now)
    person_of_cluster = {**plan.kept, **new_person_of}
    ts = timestamp(conn, now)
    rows = []
    gone = list(closed)
    for r in sorted(region):
        if r not in cluster_of:
            continue
        person = person_of_cluster[cluster_of[r]]
        p = strength.get(r, 1.0)
        if prev_person.get(r) == person:
            continue
        if r in prev_person:
            gone.append(r)
        rows.append((r, person, p, run_id, ts))
    delete_where_in(conn, "person_links", "source_record_id", gone)
    out.links_changed = bulk_insert(
        conn,
        "person_links",
        ("source_record_id", "person_id", "match_probability", "run_id", "linked_at"),
        rows,
    )


def _review_items(
    conn: Connection,
    scorer: _Scorer,
    region: set[int],
    cluster_of: dict[int, int],
    limits: Thresholds,
    run_id: int,
) -> int:
    """Open items for review-band pairs in the region that ended in different persons."""
    band = []
    for (a, b), (p, _) in list(scorer.cache.items()):
        if a not in region or b not in region or cluster_of.get(a) == cluster_of.get(b):
            continue
        if limits.lower <= p < limits.upper and scorer.auto_ok(a, b):
            band.append((a, b, scorer.score(a, b)))
    if not band:
        return 0
    known = {
        (int(a), int(b))
        for a, b in _in_chunks(
            conn,
            "SELECT record_id_l, record_id_r FROM review_items WHERE record_id_l IN :ids "
            "UNION SELECT record_id_l, record_id_r FROM match_constraints "
            "WHERE record_id_l IN :ids",
            {a for a, _, _ in band},
        )
    }
    now = timestamp(conn, dt.datetime.now(dt.UTC))
    fresh = [
        (
            "pair",
            a,
            b,
            s.match_probability,
            s.match_weight,
            jsonb({"contributions": list(_contributions(s))}),
            "open",
            run_id,
            now,
            now,
        )
        for a, b, s in band
        if (a, b) not in known
    ]
    return bulk_insert(
        conn,
        "review_items",
        REVIEW_ITEM_COLUMNS,
        fresh,
    )
