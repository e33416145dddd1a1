"""`joinedup link run`: score, cluster, keep person numbers stable, record what changed.

One run: read the active records, build features, score blocked pairs with the trained
model (Splink), cluster with the chaining guard and the manual constraints, then match the
new clusters to the existing persons (greatest overlap keeps the number), mint numbers for
new persons, redirect merged ones, and write links, person history, review items and the
stored features (`feature_store`, the candidate index of incremental runs) in one
transaction. A re-run on unchanged data changes nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, Engine, bindparam, text, update

from joinedup.domain import comparisons as cmp
from joinedup.domain.match_takeover import Takeover, take_over
from joinedup.domain.person_number import draw_person_numbers
from joinedup.errors import InvalidInput
from joinedup.identity import feature_store
from joinedup.identity.bulk import (
    allocate_ids,
    bulk_insert,
    delete_where_in,
    jsonb,
    read_arrow,
    timestamp,
)
from joinedup.identity.clustering import ClusterOutcome, Thresholds, cluster
from joinedup.identity.features import FEATURES_TABLE, build_features
from joinedup.identity.model import duckdb_connection, load_model
from joinedup.identity.record_source import read_linkage_records
from joinedup.identity.splink_engine import predict
from joinedup.store.schema.identity import LinkRun, Person
from joinedup.store.uow import transaction

Progress = Callable[[str], None]


@dataclass
class RunSummary:
    """What a run did, as stored in `link_runs.stats` and printed by the CLI."""

    run_id: int
    model_version: int
    records: int = 0
    pairs_scored: int = 0
    auto_links: int = 0
    clusters: int = 0
    persons_created: int = 0
    persons_kept: int = 0
    persons_merged: int = 0
    persons_split: int = 0
    persons_retired: int = 0
    links_changed: int = 0
    review_items_open: int = 0
    chains_cut: int = 0
    constraint_conflicts: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def thresholds_from_settings(
    upper: float | None = None, lower: float | None = None, guard: float | None = None
) -> Thresholds:
    from joinedup.config import get_settings

    settings = get_settings()
    t = Thresholds(
        upper=upper if upper is not None else settings.upper_threshold,
        lower=lower if lower is not None else settings.lower_threshold,
    )
    if guard is not None:
        t.guard = guard
    if not 0 < t.guard <= t.lower <= t.upper <= 1:
        raise InvalidInput(
            f"Thresholds must satisfy 0 < guard ({t.guard}) <= lower ({t.lower}) "
            f"<= upper ({t.upper}) <= 1."
        )
    return t


def _start_run(engine: Engine, model_id: int) -> int:
    with transaction(engine) as session:
        run = LinkRun(kind="full", model_id=model_id, status="running")
        session.add(run)
        session.flush()
        return int(run.id)


def _fail_run(engine: Engine, run_id: int, reason: str) -> None:
    with transaction(engine) as session:
        session.execute(
            update(LinkRun)
            .where(LinkRun.id == run_id)
            .values(status="failed", finished_at=dt.datetime.now(dt.UTC), stats={"error": reason})
        )


def run_link(
    engine: Engine,
    *,
    model_version: int | None = None,
    thresholds: Thresholds | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Link every active record and update persons; returns the run's summary."""
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    model = load_model(engine, model_version)
    limits = thresholds or thresholds_from_settings()
    run_id = _start_run(engine, model.id)
    summary = RunSummary(run_id=run_id, model_version=model.version)
    clock = _Clock(summary)
    con = duckdb_connection()
    try:
        with clock("read"):
            say("reading records")
            records = read_linkage_records(engine)
            summary.records = records.num_rows
        with clock("features"):
            say("building features")
            build_features(con, records)
            del records
            _load_store_state(engine, con)
        with clock("predict"):
            say("scoring pairs")
            linker = predict(con, FEATURES_TABLE, model.settings, limits.lower)
            summary.pairs_scored = int(
                con.execute("SELECT count(*) FROM predictions").fetchall()[0][0]
            )
        with clock("cluster"):
            say("clustering")
            outcome = cluster(con, linker, model.settings, limits)
            summary.auto_links = outcome.auto_links
            summary.clusters = outcome.n_clusters
            summary.chains_cut = outcome.components_cut
            summary.constraint_conflicts = len(outcome.conflicts)
        with clock("write"):
            say("assigning person numbers and writing")
            _write(engine, con, run_id, model.settings, limits, outcome, summary)
    except Exception as exc:
        _fail_run(engine, run_id, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        con.close()
    summary.seconds = time.monotonic() - started
    with transaction(engine) as session:
        session.execute(
            update(LinkRun)
            .where(LinkRun.id == run_id)
            .values(status="done", finished_at=dt.datetime.now(dt.UTC), stats=asdict(summary))
        )
    return summary


class _Clock:
    def __init__(self, summary: RunSummary) -> None:
        self.summary = summary

    def __call__(self, name: str) -> Any:
        from contextlib import contextmanager

        @contextmanager
        def timed() -> Iterator[None]:
            t0 = time.monotonic()
            yield
            self.summary.timings[name] = round(time.monotonic() - t0, 2)

        return timed()


_LINK_SCHEMA = pa.schema(
    [("source_record_id", pa.int64()), ("person_id", pa.int64()), ("p", pa.float64())]
)
_CONSTRAINT_SCHEMA = pa.schema([("id_l", pa.int64()), ("id_r", pa.int64()), ("kind", pa.string())])
_PERSON_SCHEMA = pa.schema([("id", pa.int64())])


def _load_store_state(engine: Engine, con: duckdb.DuckDBPyConnection) -> None:
    """Previous links, active persons and constraints, into DuckDB."""
    with engine.connect() as conn:
        tables = {
            "prev_links": read_arrow(
                conn,
                "SELECT source_record_id, person_id, match_probability FROM person_links",
                _LINK_SCHEMA,
            ),
            "constraints": read_arrow(
                conn,
                "SELECT record_id_l, record_id_r, kind FROM match_constraints",
                _CONSTRAINT_SCHEMA,
            ),
            "prev_persons": read_arrow(
                conn, "SELECT id FROM persons WHERE status = 'active'", _PERSON_SCHEMA
            ),
        }
    for name, table in tables.items():
        con.register(f"{name}_arrow", table)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")


def _write(
    engine: Engine,
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    settings: dict[str, Any],
    limits: Thresholds,
    outcome: ClusterOutcome,
    summary: RunSummary,
) -> None:
    overlaps = con.execute(
        "SELECT c.cluster_id, l.person_id, count(*) FROM clusters c "
        "JOIN prev_links l ON l.source_record_id = c.unique_id GROUP BY ALL"
    ).fetchall()
    cluster_ids = [
        int(r[0]) for r in con.execute("SELECT DISTINCT cluster_id FROM clusters").fetchall()
    ]
    prev_persons = [int(r[0]) for r in con.execute("SELECT id FROM prev_persons").fetchall()]
    plan = take_over(cluster_ids, overlaps, prev_persons)
    summary.persons_kept = len(plan.kept)
    summary.persons_created = len(plan.new_clusters)
    summary.persons_split = len(plan.split_from)
    summary.persons_merged = len(plan.merged)
    summary.persons_retired = len(plan.retired)
    now = dt.datetime.now(dt.UTC)

    with engine.begin() as conn:
        # Take the write lock first: on SQLite this makes the id allocation below safe; on
        # PostgreSQL the advisory lock keeps two runs from interleaving.
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
        conn.execute(update(LinkRun).where(LinkRun.id == run_id).values(status="writing"))
        new_person_of = _create_persons(conn, plan, run_id, now)
        _record_changes(conn, plan, new_person_of, run_id, now)
        mapping = [(c, p) for c, p in plan.kept.items()] + list(new_person_of.items())
        con.register(
            "cluster_person_arrow",
            pa.table(
                {
                    "cluster_id": pa.array([m[0] for m in mapping], type=pa.int64()),
                    "person_id": pa.array([m[1] for m in mapping], type=pa.int64()),
                }
            ),
        )
        con.execute(
            "CREATE OR REPLACE TABLE new_links AS SELECT c.unique_id, cp.person_id, "
            "c.link_probability AS p FROM clusters c JOIN cluster_person_arrow cp USING (cluster_id)"
        )
        con.unregister("cluster_person_arrow")
        summary.links_changed = _write_links(conn, con, run_id, now)
        summary.review_items_open = _write_review_items(
            conn, con, settings, limits, outcome, run_id, now
        )
        # The stored candidate index incremental runs and registrations work from.
        t0 = time.monotonic()
        feature_store.replace_all(conn, con, FEATURES_TABLE)
        summary.timings["store_features"] = round(time.monotonic() - t0, 2)


def _create_persons(
    conn: Connection, plan: Takeover, run_id: int, now: dt.datetime
) -> dict[int, int]:
    """Mint numbers for the new clusters; returns cluster -> new person id.

    Numbers are drawn against every number in `persons` (never deleted, so never reused)
    and every number reserved in `issued_person_numbers`."""
    if not plan.new_clusters:
        return {}
    numbers = _fresh_numbers(conn, len(plan.new_clusters))
    ids = allocate_ids(conn, "persons", len(numbers))
    ts = timestamp(conn, now)
    bulk_insert(
        conn,
        "persons",
        ("id", "person_number", "status", "created_at", "created_run_id"),
        ((pid, num, "active", ts, run_id) for pid, num in zip(ids, numbers, strict=True)),
    )
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('persons', 'id'), "
                "(SELECT max(id) FROM persons))"
            )
        )
    return dict(zip(plan.new_clusters, ids, strict=True))


def _fresh_numbers(conn: Connection, count: int) -> list[str]:
    """`count` numbers never issued: drawn, then looked up (both tables are indexed on the
    number), and the few already taken drawn again, so a run that mints a handful of
    persons does not read every number there is."""
    taken: set[str] = set()
    out: list[str] = []
    queries = [
        text(f"SELECT person_number FROM {table} WHERE person_number IN :numbers").bindparams(
            bindparam("numbers", expanding=True)
        )
        for table in ("persons", "issued_person_numbers")
    ]
    while len(out) < count:
        drawn = draw_person_numbers(count - len(out), exclude=taken | set(out))
        found: set[str] = set()
        for start in range(0, len(drawn), 5000):
            chunk = drawn[start : start + 5000]
            for query in queries:
                found |= {str(r[0]) for r in conn.execute(query, {"numbers": chunk})}
        taken |= found
        out.extend(n for n in drawn if n not in found)
    return out


def _record_changes(
    conn: Connection,
    plan: Takeover,
    new_person_of: dict[int, int],
    run_id: int,
    now: dt.datetime,
) -> None:
    """Person history for creations, splits, merges and retirements; redirects."""
    ts = timestamp(conn, now)
    history: list[tuple[Any, ...]] = []
    cols = ("person_id", "event", "other_person_id", "run_id", "reason", "actor", "details", "at")
    for cluster_id, person_id in new_person_of.items():
        origin = plan.split_from.get(cluster_id)
        if origin is None:
            history.append(
                (person_id, "created", None, run_id, "new cluster", "link run", None, ts)
            )
        else:
            reason = "split: a cluster that did not keep the number"
            history.append((person_id, "created", origin, run_id, reason, "link run", None, ts))
            history.append((person_id, "split_from", origin, run_id, reason, "link run", None, ts))
            history.append((origin, "split_to", person_id, run_id, reason, "link run", None, ts))
    for loser, survivor in sorted(plan.merged.items()):
        reason = "merge: its records joined a cluster that kept another number"
        history.append((loser, "merged_into", survivor, run_id, reason, "link run", None, ts))
        history.append((survivor, "absorbed", loser, run_id, reason, "link run", None, ts))
        conn.execute(
            update(Person)
            .where(Person.id == loser)
            .values(status="merged", merged_into_id=survivor)
        )
        # Numbers merged into the loser earlier now redirect straight to the survivor.
        conn.execute(
            update(Person).where(Person.merged_into_id == loser).values(merged_into_id=survivor)
        )
    for person in plan.retired:
        history.append(
            (person, "retired", None, run_id, "no current records", "link run", None, ts)
        )
        conn.execute(update(Person).where(Person.id == person).values(status="retired"))
    bulk_insert(conn, "person_history", cols, history)


def _write_links(
    conn: Connection, con: duckdb.DuckDBPyConnection, run_id: int, now: dt.datetime
) -> int:
    con.execute(
        """
        CREATE OR REPLACE TABLE link_changes AS
        SELECT n.unique_id, n.person_id, n.p, (o.source_record_id IS NOT NULL) AS existed
        FROM new_links n LEFT JOIN prev_links o ON o.source_record_id = n.unique_id
        WHERE o.source_record_id IS NULL OR o.person_id <> n.person_id
           OR abs(o.p - n.p) > 1e-9
        """
    )
    gone = [
        int(r[0])
        for r in con.execute(
            "SELECT source_record_id FROM prev_links WHERE source_record_id NOT IN "
            "(SELECT unique_id FROM new_links) UNION ALL "
            "SELECT unique_id FROM link_changes WHERE existed"
        ).fetchall()
    ]
    delete_where_in(conn, "person_links", "source_record_id", gone)
    # Rows come out of DuckDB ready to insert: no per-row Python conversion.
    ts = timestamp(conn, now)
    ts_text = ts if isinstance(ts, str) else ts.isoformat()
    rows = con.execute(
        "SELECT unique_id, person_id, p, ?::BIGINT, ?::VARCHAR FROM link_changes "
        "ORDER BY unique_id",
        [run_id, ts_text],
    )
    return bulk_insert(
        conn,
        "person_links",
        ("source_record_id", "person_id", "match_probability", "run_id", "linked_at"),
        _iter_rows(rows),
    )


def _iter_rows(result: duckdb.DuckDBPyConnection) -> Iterator[tuple[Any, ...]]:
    while True:
        batch = result.fetchmany(100_000)
        if not batch:
            return
        yield from batch


def _contributions(
    settings: dict[str, Any], weights: dict[str, float], adjustments: dict[str, float]
) -> list[dict[str, Any]]:
    """Per comparison: the level a pair reached and its match weight (the explanation).

    Splink reports each comparison's level weight (log2 m/u, which identifies the level)
    and, apart, the term-frequency adjustment; the contribution is their sum."""
    import math

    out = []
    for comp in settings["comparisons"]:
        name = comp["output_column_name"]
        weight = float(weights.get(name) or 0.0)
        label, best = "null", abs(weight)
        for level in comp["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or not m or not u:
                continue
            distance = abs(math.log2(m / u) - weight)
            if distance < best:
                label, best = level.get("label_for_charts", ""), distance
        total = weight + float(adjustments.get(name) or 0.0)
        out.append({"comparison": name, "level": label, "weight": round(total, 3)})
    return out


# The columns a link run fills when it opens review items (batch and incremental runs).
REVIEW_ITEM_COLUMNS = (
    "kind",
    "record_id_l",
    "record_id_r",
    "match_probability",
    "match_weight",
    "details",
    "status",
    "run_id",
    "created_at",
    "updated_at",
)


def _write_review_items(
    conn: Connection,
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    limits: Thresholds,
    outcome: ClusterOutcome,
    run_id: int,
    now: dt.datetime,
) -> int:
    """Open review items for pairs in the review band that ended in different clusters,
    and for links the chaining guard refused; items no longer raised are superseded."""
    mw_cols = [f"mw_{c.name}" for c in cmp.COMPARISONS]
    tf_cols = [f"tf_{c.name}" for c in cmp.COMPARISONS]
    n = len(cmp.COMPARISONS)
    band = con.execute(
        f"""
        SELECT p.id_l, p.id_r, p.match_probability, p.match_weight, {", ".join("p." + g for g in mw_cols + tf_cols)}
        FROM predictions p
        JOIN clusters a ON a.unique_id = p.id_l JOIN clusters b ON b.unique_id = p.id_r
        WHERE p.auto_ok AND p.match_probability >= {limits.lower}
          AND p.match_probability < {limits.upper}
          AND a.cluster_id <> b.cluster_id
          AND NOT EXISTS (SELECT 1 FROM constraints c WHERE c.id_l = p.id_l AND c.id_r = p.id_r)
        ORDER BY p.id_l, p.id_r
        """
    ).fetchall()
    items: dict[tuple[int, int], dict[str, Any]] = {}
    for row in band:
        weights = {c.name: row[4 + i] for i, c in enumerate(cmp.COMPARISONS)}
        adjustments = {c.name: row[4 + n + i] for i, c in enumerate(cmp.COMPARISONS)}
        items[(int(row[0]), int(row[1]))] = {
            "kind": "pair",
            "p": float(row[2]),
            "w": float(row[3]),
            "details": {"contributions": _contributions(settings, weights, adjustments)},
        }
    if outcome.refused:
        pair_weights: dict[tuple[int, int], tuple[float, float]] = {
            (int(a), int(b)): (float(p), float(w))
            for a, b, p, w in con.execute(
                "SELECT id_l, id_r, match_probability, match_weight FROM predictions "
                "WHERE match_probability >= ?",
                [limits.upper],
            ).fetchall()
        }
        for a, b, p, comp in outcome.refused:
            key = (min(a, b), max(a, b))
            if key in items:
                continue
            members = [
                int(r[0])
                for r in con.execute(
                    "SELECT unique_id FROM comp WHERE comp = ? ORDER BY unique_id", [comp]
                ).fetchall()
            ]
            items[key] = {
                "kind": "chain",
                "p": p,
                "w": pair_weights.get(key, (p, 0.0))[1],
                "details": {
                    "reason": "the chaining guard refused this link: some records it would "
                    "join score far below the threshold against each other",
                    "component_records": members,
                },
            }
    existing = {
        (int(r[1]), int(r[2])): int(r[0])
        for r in conn.execute(
            text("SELECT id, record_id_l, record_id_r FROM review_items WHERE status = 'open'")
        )
    }
    ts = timestamp(conn, now)
    stale = [item_id for pair, item_id in existing.items() if pair not in items]
    for start in range(0, len(stale), 1000):
        conn.execute(
            text(
                "UPDATE review_items SET status = 'superseded', updated_at = :ts WHERE id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ts": ts, "ids": stale[start : start + 1000]},
        )
    decided = {
        (int(r[0]), int(r[1]))
        for r in conn.execute(
            text("SELECT record_id_l, record_id_r FROM review_items WHERE status = 'decided'")
        )
    }
    fresh = []
    for pair, item in items.items():
        if pair in existing:
            conn.execute(
                text(
                    "UPDATE review_items SET match_probability = :p, match_weight = :w, "
                    "kind = :k, run_id = :run, updated_at = :ts WHERE id = :id"
                ),
                {
                    "p": item["p"],
                    "w": item["w"],
                    "k": item["kind"],
                    "run": run_id,
                    "ts": ts,
                    "id": existing[pair],
                },
            )
        elif pair not in decided:
            fresh.append(
                (
                    item["kind"],
                    pair[0],
                    pair[1],
                    item["p"],
                    item["w"],
                    jsonb(item["details"]),
                    "open",
                    run_id,
                    ts,
                    ts,
                )
            )
    bulk_insert(
        conn,
        "review_items",
        REVIEW_ITEM_COLUMNS,
        fresh,
    )
    return int(
        conn.execute(text("SELECT count(*) FROM review_items WHERE status = 'open'")).scalar() or 0
    )
