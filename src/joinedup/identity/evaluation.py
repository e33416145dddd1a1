"""`joinedup link evaluate`: score the current links against a ground truth.

The truth is a CSV with `organisation,dataset,local_id,person_key` (what `joinedup synth`
writes as truth.csv). Metrics are pairwise: a pair of records is *predicted* when both are
linked to one person and *true* when both share a person_key. Also reported: the
false-merge rate (share of predicted persons holding records of more than one true person),
cluster counts, and the recall reached if every open review item were accepted.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import Engine

from joinedup.domain.match_clustering import connected_components
from joinedup.errors import InvalidInput
from joinedup.identity.bulk import read_arrow

TRUTH_COLUMNS = ("organisation", "dataset", "local_id", "person_key")


@dataclass
class Evaluation:
    records: int
    records_in_truth: int
    true_persons: int
    predicted_persons: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    false_merge_rate: float
    split_rate: float
    review_items: int
    review_share_of_records: float
    recall_with_review: float
    precision_with_review: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_truth(path: Path) -> pa.Table:
    """Read a truth CSV; fails clearly when columns are missing."""
    if not path.is_file():
        raise InvalidInput(f"No truth file at {path}")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in TRUTH_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(
                f"{path.name} lacks the column(s) {', '.join(missing)}",
                hint="A truth file has organisation,dataset,local_id,person_key.",
            )
        cols: dict[str, list[str]] = {c: [] for c in TRUTH_COLUMNS}
        for row in reader:
            for c in TRUTH_COLUMNS:
                cols[c].append(row[c])
    return pa.table(cols)


_LINKS = pa.schema(
    [
        ("record_id", pa.int64()),
        ("organisation", pa.string()),
        ("dataset", pa.string()),
        ("local_id", pa.string()),
        ("person_id", pa.int64()),
    ]
)
_REVIEW = pa.schema([("id_l", pa.int64()), ("id_r", pa.int64())])


def pairwise_metrics(
    con: duckdb.DuckDBPyConnection, table: str, predicted: str, truth: str
) -> tuple[int, int, int]:
    """(true pairs, predicted pairs, true positive pairs) of `table`'s two label columns."""

    def pairs(group: str) -> int:
        sql = f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM {table} GROUP BY {group})"
        return int(con.execute(sql).fetchall()[0][0])

    return pairs(truth), pairs(predicted), pairs(f"{predicted}, {truth}")


def evaluate(engine: Engine, truth_path: Path) -> Evaluation:
    """Compare the store's current person links with the truth file."""
    truth = read_truth(truth_path)
    with engine.connect() as conn:
        links = read_arrow(
            conn,
            "SELECT s.id, o.code, d.code, s.local_id, l.person_id FROM source_records s "
            "JOIN datasets d ON d.id = s.dataset_id "
            "JOIN organisations o ON o.id = d.organisation_id "
            "JOIN person_links l ON l.source_record_id = s.id WHERE s.status = 'active'",
            _LINKS,
        )
        review = read_arrow(
            conn,
            "SELECT record_id_l, record_id_r FROM review_items WHERE status = 'open'",
            _REVIEW,
        )
    if links.num_rows == 0:
        raise InvalidInput("No records are linked yet.", hint="Run joinedup link run first.")
    con = duckdb.connect()
    try:
        con.register("links", links)
        con.register("truth", truth)
        con.register("review", review)
        con.execute(
            "CREATE TABLE joined AS SELECT l.record_id, l.person_id, t.person_key "
            "FROM links l JOIN truth t USING (organisation, dataset, local_id)"
        )
        n_joined = int(con.execute("SELECT count(*) FROM joined").fetchall()[0][0])
        if n_joined == 0:
            raise InvalidInput(
                "No linked record matches a row of the truth file.",
                hint="Check that the truth file belongs to the loaded extracts.",
            )
        true_pairs, pred_pairs, tp = pairwise_metrics(con, "joined", "person_id", "person_key")
        stats = con.execute(
            "SELECT count(DISTINCT person_key), count(DISTINCT person_id) FROM joined"
        ).fetchall()[0]
        merged = con.execute(
            "SELECT avg(CASE WHEN k > 1 THEN 1.0 ELSE 0.0 END) FROM "
            "(SELECT person_id, count(DISTINCT person_key) AS k FROM joined GROUP BY person_id)"
        ).fetchall()[0][0]
        split = con.execute(
            "SELECT avg(CASE WHEN k > 1 THEN 1.0 ELSE 0.0 END) FROM "
            "(SELECT person_key, count(DISTINCT person_id) AS k FROM joined GROUP BY person_key)"
        ).fetchall()[0][0]
        # With review: persons joined along every open review pair, as if all were accepted.
        table = con.sql(
            "SELECT j.record_id, j.person_id, j.person_key, "
            "(row_number() OVER (ORDER BY j.record_id) - 1) AS idx FROM joined j"
        ).to_arrow_table()
        idx_of = dict(
            zip(
                table.column("record_id").to_pylist(),
                table.column("idx").to_pylist(),
                strict=True,
            )
        )
        person_idx: dict[int, int] = {}
        left: list[int] = []
        right: list[int] = []
        for rid, pid in zip(
            table.column("record_id").to_pylist(),
            table.column("person_id").to_pylist(),
            strict=True,
        ):
            first = person_idx.setdefault(pid, idx_of[rid])
            left.append(first)
            right.append(idx_of[rid])
        n_review = review.num_rows
        for a, b in zip(
            review.column("id_l").to_pylist(), review.column("id_r").to_pylist(), strict=True
        ):
            if a in idx_of and b in idx_of:
                left.append(idx_of[a])
                right.append(idx_of[b])
        labels = connected_components(
            table.num_rows, np.array(left, dtype=np.int64), np.array(right, dtype=np.int64)
        )
        con.register(
            "with_review",
            pa.table({"person_key": table.column("person_key"), "group_id": pa.array(labels)}),
        )
        _, pred_r, tp_r = pairwise_metrics(con, "with_review", "group_id", "person_key")
        n_records = int(con.execute("SELECT count(*) FROM links").fetchall()[0][0])
    finally:
        con.close()
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Evaluation(
        records=n_records,
        records_in_truth=n_joined,
        true_persons=int(stats[0]),
        predicted_persons=int(stats[1]),
        true_pairs=true_pairs,
        predicted_pairs=pred_pairs,
        true_positive_pairs=tp,
        precision=precision,
        recall=recall,
        f1=f1,
        false_merge_rate=float(merged or 0.0),
        split_rate=float(split or 0.0),
        review_items=n_review,
        review_share_of_records=n_review / n_records if n_records else 0.0,
        recall_with_review=tp_r / true_pairs if true_pairs else 1.0,
        precision_with_review=tp_r / pred_r if pred_r else 1.0,
    )
