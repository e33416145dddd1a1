"""Turns scored pairs into clusters: automatic links, constraints and the chaining guard.

Works on DuckDB tables (`features`, `predictions`) and numpy arrays; only components that
the guard flags go through the per-component Python merge, so the cost stays proportional
to the doubtful part of the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from joinedup.domain.match_clustering import (
    connected_components,
    constrained_merge,
    join_by_must_links,
)
from joinedup.identity.splink_engine import score_within_clusters


@dataclass
class Thresholds:
    """upper: automatic link; lower: review band floor; guard: the least direct score any
    two records of one cluster may have (below it a cluster is cut)."""

    upper: float = 0.99
    lower: float = 0.70
    guard: float = 0.05


@dataclass
class ClusterOutcome:
    """Clusters are left in DuckDB table `clusters(unique_id, cluster_id, link_probability)`."""

    n_records: int = 0
    n_clusters: int = 0
    auto_links: int = 0
    components_checked: int = 0
    components_cut: int = 0
    refused: list[tuple[int, int, float, int]] = field(default_factory=list)  # + component
    conflicts: list[tuple[int, int]] = field(default_factory=list)


def _fetch_arrays(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, np.ndarray[Any, Any]]:
    table = con.sql(sql).to_arrow_table()
    return {name: table.column(name).to_numpy() for name in table.column_names}


def cluster(
    con: duckdb.DuckDBPyConnection,
    linker: Any,
    settings: dict[str, Any],
    thresholds: Thresholds,
) -> ClusterOutcome:
    """Cluster `features` records using `predictions` and `constraints(id_l, id_r, kind)`."""
    out = ClusterOutcome()
    con.execute(
        "CREATE OR REPLACE TABLE nodes AS "
        "SELECT unique_id, (row_number() OVER (ORDER BY unique_id) - 1)::BIGINT AS idx "
        "FROM features"
    )
    out.n_records = int(con.execute("SELECT count(*) FROM nodes").fetchall()[0][0])
    # Automatic links: above the upper threshold unless a person said "different people".
    # Must-links are applied afterwards, to whole clusters (see join_by_must_links).
    con.execute(
        f"""
        CREATE OR REPLACE TABLE auto_edges AS
        SELECT p.id_l, p.id_r, p.match_probability AS p FROM predictions p
        WHERE p.match_probability >= {thresholds.upper} AND p.auto_ok
          AND NOT EXISTS (SELECT 1 FROM constraints c
                          WHERE c.id_l = p.id_l AND c.id_r = p.id_r AND c.kind = 'cannot_link')
        """
    )
    edges = _fetch_arrays(
        con,
        "SELECT a.idx AS a, b.idx AS b FROM auto_edges e "
        "JOIN nodes a ON a.unique_id = e.id_l JOIN nodes b ON b.unique_id = e.id_r",
    )
    out.auto_links = len(edges["a"])
    labels = connected_components(out.n_records, edges["a"], edges["b"])
    con.register("labels_arrow", pa.table({"idx": np.arange(out.n_records), "comp": labels}))
    con.execute(
        "CREATE OR REPLACE TABLE comp AS SELECT n.unique_id, l.comp FROM nodes n "
        "JOIN labels_arrow l ON l.idx = n.idx"
    )
    con.unregister("labels_arrow")

    # Components worth a look: three or more records (a pair is its own direct evidence),
    # or any component holding both ends of a cannot-link.
    con.execute(
        """
        CREATE OR REPLACE TABLE big AS
        SELECT c.comp AS cluster_id, c.unique_id FROM comp c
        WHERE c.comp IN (SELECT comp FROM comp GROUP BY comp HAVING count(*) >= 3)
        """
    )
    out.components_checked = int(
        con.execute("SELECT count(DISTINCT cluster_id) FROM big").fetchall()[0][0]
    )
    con.execute("CREATE OR REPLACE TABLE within_scores (id_l BIGINT, id_r BIGINT, p DOUBLE)")
    if out.components_checked:
        score_within_clusters(con, linker, settings, "big", "within_raw")
        con.execute(
            "CREATE OR REPLACE TABLE within_scores AS "
            # A pair that may never be linked automatically (twins' signature) counts as
            # scoring nothing: a cluster holding it is cut.
            "SELECT id_l, id_r, CASE WHEN auto_ok THEN match_probability ELSE 0.0 END AS p "
            "FROM within_raw"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE bad_comps AS
        SELECT DISTINCT a.comp FROM within_scores w
        JOIN comp a ON a.unique_id = w.id_l
        WHERE w.p < {thresholds.guard}
        UNION
        SELECT a.comp FROM constraints c
        JOIN comp a ON a.unique_id = c.id_l JOIN comp b ON b.unique_id = c.id_r
        WHERE c.kind = 'cannot_link' AND a.comp = b.comp
        """
    )
    bad = [int(r[0]) for r in con.execute("SELECT comp FROM bad_comps ORDER BY comp").fetchall()]
    out.components_cut = len(bad)
    regrouped: list[tuple[int, int]] = []  # (unique_id, new cluster key)
    if bad:
        regrouped = _cut(con, bad, thresholds, out)
    con.register(
        "regrouped_arrow",
        pa.table(
            {
                "unique_id": np.array([r[0] for r in regrouped], dtype=np.int64),
                "cluster_key": np.array([r[1] for r in regrouped], dtype=np.int64),
            }
        ),
    )
    # Cluster key: the smallest record id in the cluster (stable across runs and backends).
    con.execute(
        """
        CREATE OR REPLACE TABLE clusters_raw AS
        SELECT c.unique_id,
               coalesce(r.cluster_key, min(c.unique_id) OVER (PARTITION BY c.comp)) AS cluster_id
        FROM comp c LEFT JOIN regrouped_arrow r USING (unique_id)
        """
    )
    con.unregister("regrouped_arrow")
    _apply_must_links(con, out)
    # A record's link strength: its strongest accepted link inside its cluster (1 alone).
    con.execute(
        """
        CREATE OR REPLACE TABLE clusters AS
        WITH edges AS (
            SELECT id_l, id_r, p FROM auto_edges
            UNION ALL
            SELECT id_l, id_r, 1.0 FROM constraints WHERE kind = 'must_link'
        ), inside AS (
            SELECT e.id_l, e.id_r, e.p FROM edges e
            JOIN clusters_raw a ON a.unique_id = e.id_l
            JOIN clusters_raw b ON b.unique_id = e.id_r
            WHERE a.cluster_id = b.cluster_id
        ), ends AS (
            SELECT id_l AS unique_id, p FROM inside UNION ALL SELECT id_r, p FROM inside
        )
        SELECT c.unique_id, c.cluster_id, coalesce(max(e.p), 1.0) AS link_probability
        FROM clusters_raw c LEFT JOIN ends e USING (unique_id)
        GROUP BY c.unique_id, c.cluster_id
        """
    )
    out.n_clusters = int(
        con.execute("SELECT count(DISTINCT cluster_id) FROM clusters").fetchall()[0][0]
    )
    return out


def _apply_must_links(con: duckdb.DuckDBPyConnection, out: ClusterOutcome) -> None:
    must = con.execute(
        "SELECT id_l, id_r FROM constraints WHERE kind = 'must_link' "
        "AND id_l IN (SELECT unique_id FROM clusters_raw) "
        "AND id_r IN (SELECT unique_id FROM clusters_raw)"
    ).fetchall()
    if not must:
        return
    cannot = con.execute("SELECT id_l, id_r FROM constraints WHERE kind = 'cannot_link'").fetchall()
    involved = {int(x) for pair in must + cannot for x in pair}
    con.register("involved_arrow", pa.table({"unique_id": pa.array(sorted(involved), pa.int64())}))
    # Every member of each involved cluster, so cannot-links anywhere in them are seen.
    rows = con.execute(
        "SELECT c.unique_id, c.cluster_id FROM clusters_raw c WHERE c.cluster_id IN "
        "(SELECT cluster_id FROM clusters_raw JOIN involved_arrow USING (unique_id))"
    ).fetchall()
    con.unregister("involved_arrow")
    cluster_of = {int(r): int(c) for r, c in rows}
    changed, conflicts = join_by_must_links(
        cluster_of,
        [(int(a), int(b)) for a, b in must],
        [(int(a), int(b)) for a, b in cannot],
    )
    out.conflicts.extend(conflicts)
    if not changed:
        return
    con.register(
        "moved_arrow",
        pa.table(
            {
                "old": pa.array(list(changed), pa.int64()),
                "new": pa.array(list(changed.values()), pa.int64()),
            }
        ),
    )
    con.execute(
        "CREATE OR REPLACE TABLE clusters_raw AS SELECT c.unique_id, "
        "coalesce(m.new, c.cluster_id) AS cluster_id FROM clusters_raw c "
        "LEFT JOIN moved_arrow m ON m.old = c.cluster_id"
    )
    con.unregister("moved_arrow")


def _cut(
    con: duckdb.DuckDBPyConnection, bad: list[int], thresholds: Thresholds, out: ClusterOutcome
) -> list[tuple[int, int]]:
    con.register("bad_arrow", pa.table({"comp": np.array(bad, dtype=np.int64)}))
    members = con.execute(
        "SELECT c.comp, c.unique_id FROM comp c JOIN bad_arrow b USING (comp) "
        "ORDER BY c.comp, c.unique_id"
    ).fetchall()
    links = con.execute(
        "SELECT a.comp, e.id_l, e.id_r, e.p FROM auto_edges e "
        "JOIN comp a ON a.unique_id = e.id_l JOIN bad_arrow b ON b.comp = a.comp"
    ).fetchall()
    scores = con.execute(
        "SELECT w.id_l, w.id_r, w.p FROM within_scores w "
        "JOIN comp a ON a.unique_id = w.id_l JOIN bad_arrow b ON b.comp = a.comp"
    ).fetchall()
    cons = con.execute(
        "SELECT a.comp, c.id_l, c.id_r, c.kind FROM constraints c "
        "JOIN comp a ON a.unique_id = c.id_l JOIN bad_arrow b ON b.comp = a.comp"
    ).fetchall()
    con.unregister("bad_arrow")
    score_of = {(int(a), int(b)): float(p) for a, b, p in scores}
    nodes_of: dict[int, list[int]] = {}
    for comp, uid in members:
        nodes_of.setdefault(int(comp), []).append(int(uid))
    links_of: dict[int, list[tuple[int, int, float]]] = {}
    for comp, a, b, p in links:
        links_of.setdefault(int(comp), []).append((int(a), int(b), float(p)))
    cannot_of: dict[int, list[tuple[int, int]]] = {}
    for comp, a, b, kind in cons:
        if kind == "cannot_link":
            cannot_of.setdefault(int(comp), []).append((int(a), int(b)))

    def score(a: int, b: int) -> float:
        return score_of.get((a, b) if a < b else (b, a), 0.0)

    regrouped: list[tuple[int, int]] = []
    for comp in bad:
        result = constrained_merge(
            nodes_of[comp],
            links_of.get(comp, []),
            score,
            thresholds.guard,
            cannot_link=cannot_of.get(comp, []),
        )
        for group in result.groups:
            key = min(group)
            regrouped.extend((uid, key) for uid in group)
        out.refused.extend((a, b, p, comp) for a, b, p in result.refused)
        out.conflicts.extend(result.conflicts)
    return regrouped
