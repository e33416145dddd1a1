"""Scores many pairs of feature rows at once, for incremental linking.

The comparison levels are evaluated in DuckDB with the very SQL conditions of
`domain.comparisons` that Splink's batch evaluates (vectorised: a hundred thousand pairs in
well under a second, where the Python predicates take about 100 µs a pair); the weights
are then added up in Python with the arithmetic of `domain.match_scorer.score_pair`, in the
same order, so a pair gets the same probability as there (tested).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from joinedup.domain.comparisons import COMPARISONS, FEATURE_COLUMNS
from joinedup.domain.match_scorer import LevelParams, ModelParams
from joinedup.identity.online.index import RULES, TF_COLUMNS, FeatureRow

_LIST = pa.list_(pa.string())
_TYPES: dict[str, pa.DataType] = {
    "unique_id": pa.int64(),
    "given_formal": _LIST,
    "family_all": _LIST,
    "dob": pa.date32(),
    "dob_y": pa.int64(),
    "dob_m": pa.int64(),
    "dob_d": pa.int64(),
}
SCHEMA = pa.schema([(c, _TYPES.get(c, pa.string())) for c in FEATURE_COLUMNS])
_POS = {c: i for i, c in enumerate(FEATURE_COLUMNS)}


def _gamma_cases() -> list[str]:
    cases = []
    for comparison in COMPARISONS:
        n = len(comparison.levels)
        whens = []
        for i, level in enumerate(comparison.levels):
            gamma = -1 if level.is_null else n - 1 - i
            if level.sql.strip().upper() == "ELSE":
                whens.append(f"ELSE {gamma}")
            else:
                whens.append(f"WHEN {level.sql} THEN {gamma}")
        cases.append(f"CASE {' '.join(whens)} END")
    return cases


TF_TABLES = {c: f"tf_{c}" for c in TF_COLUMNS}


def _weight_sql(params: ModelParams) -> str:
    """The match weight of a comparison vector `g0, g1, ...` with the term-frequency
    columns `tf_<column>_l/_r` (`score_pair`'s arithmetic in SQL: used only to drop pairs
    far below the lower threshold, the exact figure is computed in Python)."""
    weigher = Weigher(params)
    terms = [repr(params.prior_weight)]
    for i, levels in enumerate(weigher.levels):
        whens = []
        for gamma in range(len(levels)):
            level = levels[len(levels) - 1 - gamma]
            expr = repr(level.weight)
            if level.tf_column and level.tf_weight:
                c = level.tf_column
                expr += (
                    f" + CASE WHEN tf_{c}_l IS NULL AND tf_{c}_r IS NULL THEN 0 ELSE "
                    f"{level.tf_weight!r} * (log2({weigher.exact_u[i]!r}) - log2(greatest("
                    f"coalesce(tf_{c}_l, 0), coalesce(tf_{c}_r, 0), {level.tf_minimum_u!r}))) END"
                )
            whens.append(f"WHEN {gamma} THEN {expr}")
        terms.append(f"(CASE g{i} {' '.join(whens)} ELSE 0 END)")
    return " + ".join(terms)


class BulkScorer:
    """A DuckDB connection holding the feature rows met so far and the names' term
    frequencies; gives comparison vectors for many pairs at once."""

    def __init__(self, params: ModelParams) -> None:
        self.params = params
        self.con = duckdb.connect()
        self.con.register("feats_arrow", SCHEMA.empty_table())
        self.con.execute("CREATE TABLE feats AS SELECT * FROM feats_arrow")
        self.con.unregister("feats_arrow")
        self.loaded: set[int] = set()
        self.weight_sql = _weight_sql(params)
        columns = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in FEATURE_COLUMNS[1:])
        tf_columns = ", ".join(
            f"t{i}l.f AS tf_{c}_l, t{i}r.f AS tf_{c}_r" for i, c in enumerate(TF_COLUMNS)
        )
        tf_joins = " ".join(
            f"LEFT JOIN {TF_TABLES[c]} t{i}l ON t{i}l.v = l.{c} "
            f"LEFT JOIN {TF_TABLES[c]} t{i}r ON t{i}r.v = r.{c}"
            for i, c in enumerate(TF_COLUMNS)
        )
        gammas = ", ".join(f"{case} AS g{i}" for i, case in enumerate(_gamma_cases()))
        self.vectors_sql = (
            f"WITH x AS (SELECT p.a, p.b, {columns}, {tf_columns} FROM pairs p "
            "JOIN feats l ON l.unique_id = p.a JOIN feats r ON r.unique_id = p.b "
            f"{tf_joins}), g AS (SELECT a, b, {', '.join(f'tf_{c}_l, tf_{c}_r' for c in TF_COLUMNS)}, "
            f"{gammas} FROM x) "
            f"SELECT a, b, {', '.join(f'g{i}' for i in range(len(COMPARISONS)))} FROM g"
        )

    def close(self) -> None:
        self.con.close()

    def add_rows(self, rows: Mapping[int, FeatureRow]) -> None:
        fresh = [row for record_id, row in rows.items() if record_id not in self.loaded]
        if not fresh:
            return
        columns = list(zip(*fresh, strict=True))
        table = pa.table(
            [pa.array(col, type=f.type) for col, f in zip(columns, SCHEMA, strict=True)],
            schema=SCHEMA,
        )
        self.con.register("feats_arrow", table)
        self.con.execute("INSERT INTO feats SELECT * FROM feats_arrow")
        self.con.unregister("feats_arrow")
        self.loaded.update(row[0] for row in fresh)

    def pairs_within(self, record_ids: Iterable[int]) -> list[tuple[int, int]]:
        """Every pair of these records (added first) that a prediction blocking rule
        joins: one hash join per rule in DuckDB."""
        ids = pa.table({"id": pa.array(sorted(set(record_ids)), type=pa.int64())})
        self.con.register("within_ids", ids)
        try:
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE within AS SELECT f.* FROM feats f "
                "JOIN within_ids w ON w.id = f.unique_id"
            )
        finally:
            self.con.unregister("within_ids")
        joins = [
            "SELECT l.unique_id AS a, r.unique_id AS b FROM within l JOIN within r ON "
            + " AND ".join(f"l.{c} = r.{c}" for c in rule)
            + " WHERE l.unique_id < r.unique_id"
            for rule in RULES
        ]
        rows = self.con.execute(" UNION ".join(joins)).fetchall()
        return [(int(a), int(b)) for a, b in rows]

    def set_term_frequencies(self, tf: Mapping[str, Mapping[Any, float]]) -> None:
        for column in TF_COLUMNS:
            values = tf.get(column, {})
            table = pa.table(
                {
                    "v": pa.array(list(values), type=pa.string()),
                    "f": pa.array(list(values.values()), type=pa.float64()),
                }
            )
            self.con.register("tf_arrow", table)
            self.con.execute(
                f"CREATE OR REPLACE TABLE {TF_TABLES[column]} AS SELECT * FROM tf_arrow"
            )
            self.con.unregister("tf_arrow")

    def vectors(
        self, pairs: Sequence[tuple[int, int]], min_weight: float | None = None
    ) -> list[tuple[Any, ...]]:
        """(a, b, gamma per comparison in `COMPARISONS` order) for each pair, leaving out
        the pairs whose match weight is below `min_weight`. Rows must be added first."""
        if not pairs:
            return []
        table = pa.table(
            {
                "a": pa.array([p[0] for p in pairs], type=pa.int64()),
                "b": pa.array([p[1] for p in pairs], type=pa.int64()),
            }
        )
        sql = self.vectors_sql
        if min_weight is not None:
            sql += f" WHERE {self.weight_sql} >= {min_weight!r}"
        self.con.register("pairs", table)
        try:
            return self.con.execute(sql).fetchall()
        finally:
            self.con.unregister("pairs")


class Weigher:
    """Match weight from a comparison vector: `score_pair`'s sum, term by term."""

    def __init__(self, params: ModelParams) -> None:
        self.prior = params.prior_weight
        self.levels: list[tuple[LevelParams, ...]] = [params.levels[c.name] for c in COMPARISONS]
        self.exact_u: list[float] = []
        for levels in self.levels:
            u = levels[0].u
            for level in levels:
                if level.tf_column:
                    u = level.u
                    break
            self.exact_u.append(u)
        self._plain: dict[tuple[int, ...], float] = {}

    def weight(
        self,
        gammas: tuple[int, ...],
        left: FeatureRow,
        right: FeatureRow,
        term_frequencies: Mapping[str, Mapping[Any, float]],
    ) -> float:
        plain = self._plain.get(gammas)
        if plain is not None:
            return plain
        total = self.prior
        adjusted = False
        for i, gamma in enumerate(gammas):
            if gamma < 0:
                continue
            levels = self.levels[i]
            level = levels[len(levels) - 1 - gamma]
            weight = level.weight
            if level.tf_column and level.tf_weight:
                adjusted = True
                table = term_frequencies.get(level.tf_column, {})
                position = _POS[level.tf_column]
                values = (left[position], right[position])
                freqs = [table.get(v) for v in values if v is not None]
                known = [f for f in freqs if f is not None]
                if known:
                    tf_u = max([*known, level.tf_minimum_u])
                    weight += level.tf_weight * (math.log2(self.exact_u[i]) - math.log2(tf_u))
            total += weight
        if not adjusted:
            # No term-frequency level reached: the weight depends on the vector alone.
            self._plain[gammas] = total
        return total


def probability(weight: float) -> float:
    return 2**weight / (1 + 2**weight) if weight < 1000 else 1.0
