"""The stored candidate index: every active record's comparison features in
`linkage_features`, looked up by the blocking rules in SQL.

A full link run writes the table in bulk from the features it computed anyway; incremental
runs and registrations keep it current (features for new and changed records, rows of closed
records deleted). Incremental linking then never reads every record: it fetches the
candidates of the records it scores with one indexed join per blocking rule (a pair is a
candidate when any rule's columns are all equal and not NULL, exactly as Splink's blocking
decides it), and the names' term frequencies with an indexed GROUP BY over the same table,
so its scores equal the batch's for the same pair (tested).

Rows are feature tuples in `comparisons.FEATURE_COLUMNS` order (`online.index.FeatureRow`);
`unique_id` is the record id. List features are stored as JSON text, the date of birth as
ISO text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any, cast

import duckdb
from sqlalchemy import Connection, Table, bindparam, text

from joinedup.domain.comparisons import FEATURE_COLUMNS
from joinedup.identity.bulk import bulk_insert, delete_where_in, is_postgresql
from joinedup.identity.online.index import RULES, TF_COLUMNS, FeatureRow
from joinedup.store.schema.identity import LinkageFeatures

TABLE = "linkage_features"
STORED = ("record_id", *FEATURE_COLUMNS[1:])
LIST_COLUMNS = frozenset({"given_formal", "family_all"})
_POS = {c: i for i, c in enumerate(FEATURE_COLUMNS)}
_LIST_POS = frozenset(_POS[c] for c in LIST_COLUMNS)
_DOB_POS = _POS["dob"]
BLOCK_COLUMNS = tuple(sorted({c for rule in RULES for c in rule}))
KEYS_TABLE = "lf_keys"
CHUNK = 5000


# --- encoding -------------------------------------------------------------------------


def encode(row: FeatureRow) -> tuple[Any, ...]:
    """A feature tuple as a `linkage_features` row (record id first)."""
    out: list[Any] = []
    for i, value in enumerate(row):
        if value is None:
            out.append(None)
        elif i in _LIST_POS:
            out.append(json.dumps(list(value), ensure_ascii=False))
        elif i == _DOB_POS:
            out.append(value.isoformat() if isinstance(value, dt.date) else str(value)[:10])
        else:
            out.append(value)
    out[0] = int(row[0])
    return tuple(out)


@lru_cache(maxsize=200_000)
def _list(value: str) -> tuple[str, ...]:
    return tuple(json.loads(value))


@lru_cache(maxsize=100_000)
def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def decode(row: Iterable[Any]) -> FeatureRow:
    """A `linkage_features` row (in `STORED` order) as a feature tuple."""
    out = list(row)
    out[0] = int(out[0])
    for i in _LIST_POS:
        if out[i] is not None:
            out[i] = _list(out[i])
    dob = out[_DOB_POS]
    if dob is not None and not isinstance(dob, dt.date):
        out[_DOB_POS] = _date(str(dob)[:10])
    return tuple(out)


# --- writing --------------------------------------------------------------------------


def write_rows(conn: Connection, rows: Iterable[FeatureRow]) -> int:
    """Insert or replace the features of these records (their id is `row[0]`)."""
    encoded = [encode(r) for r in rows]
    delete_where_in(conn, TABLE, "record_id", [r[0] for r in encoded])
    return bulk_insert(conn, TABLE, STORED, encoded)


def delete_rows(conn: Connection, record_ids: Iterable[int]) -> None:
    delete_where_in(conn, TABLE, "record_id", sorted(set(record_ids)))


def _duckdb_select(features_table: str) -> str:
    columns = []
    for c in FEATURE_COLUMNS:
        if c == "unique_id":
            columns.append("unique_id::BIGINT")
        elif c in LIST_COLUMNS:
            columns.append(f"CASE WHEN {c} IS NOT NULL THEN to_json({c})::VARCHAR END")
        elif c == "dob":
            columns.append("strftime(dob, '%Y-%m-%d')")
        else:
            columns.append(c)
    return f"SELECT {', '.join(columns)} FROM {features_table} ORDER BY unique_id"


def replace_all(conn: Connection, con: duckdb.DuckDBPyConnection, features_table: str) -> int:
    """Replace the whole table with the batch's DuckDB feature table (a full run).

    The secondary indexes are dropped for the load and built afterwards: building an index
    once is several times cheaper than maintaining it row by row."""
    indexes = list(cast(Table, LinkageFeatures.__table__).indexes)
    for index in indexes:
        index.drop(conn, checkfirst=True)
    conn.execute(text(f"{'TRUNCATE' if is_postgresql(conn) else 'DELETE FROM'} {TABLE}"))
    result = con.execute(_duckdb_select(features_table))

    def batches() -> Iterator[tuple[Any, ...]]:
        while True:
            batch = result.fetchmany(100_000)
            if not batch:
                return
            yield from batch

    written = bulk_insert(conn, TABLE, STORED, batches())
    for index in indexes:
        index.create(conn, checkfirst=True)
    if is_postgresql(conn):
        conn.execute(text(f"ANALYZE {TABLE}"))
    return written


# --- reading --------------------------------------------------------------------------

_SELECT = "SELECT " + ", ".join(STORED) + f" FROM {TABLE}"


def read_rows(conn: Connection, record_ids: Iterable[int]) -> dict[int, FeatureRow]:
    """The stored features of these records (records without a row are left out)."""
    ids = sorted(set(record_ids))
    out: dict[int, FeatureRow] = {}
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            if is_postgresql(conn):
                cur.execute(_SELECT + " WHERE record_id = ANY(%s)", (chunk,))
            else:
                cur.execute(_SELECT + f" WHERE record_id IN ({', '.join('?' * len(chunk))})", chunk)
            for row in cur.fetchall():
                decoded = decode(row)
                out[decoded[0]] = decoded
    finally:
        cur.close()
    return out


def iter_all(conn: Connection, batch: int = 50_000) -> Iterator[FeatureRow]:
    """Every stored row (the online matcher's first load)."""
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(text(_SELECT))
    for row in result:
        yield decode(row)


def _rule_index(rule: tuple[str, ...]) -> str:
    """The index that answers a rule best: the longest leading run of the rule's columns,
    then one holding all of them (answered without reading the table)."""
    best: tuple[int, int, str] | None = None
    for index in cast(Table, LinkageFeatures.__table__).indexes:
        columns = [c.name for c in index.columns]
        prefix = 0
        while prefix < len(columns) and columns[prefix] in rule:
            prefix += 1
        if prefix == 0:
            continue
        key = (prefix, int(set(rule) <= set(columns)), str(index.name))
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        raise ValueError(f"no index of {TABLE} serves the blocking rule on {rule}")
    return best[2]


RULE_INDEX: dict[tuple[str, ...], str] = {rule: _rule_index(rule) for rule in RULES}


def _keys_table(conn: Connection) -> None:
    cols = ", ".join(
        f"{c} {'BIGINT' if c in ('dob_y', 'dob_m', 'dob_d') else 'TEXT'}" for c in BLOCK_COLUMNS
    )
    if is_postgresql(conn):
        conn.execute(
            text(
                f"CREATE TEMP TABLE IF NOT EXISTS {KEYS_TABLE} (record_id BIGINT, {cols}) "
                "ON COMMIT DROP"
            )
        )
    else:
        conn.execute(
            text(f"CREATE TEMP TABLE IF NOT EXISTS {KEYS_TABLE} (record_id INTEGER, {cols})")
        )
    conn.execute(text(f"DELETE FROM {KEYS_TABLE}"))


def candidate_pairs(conn: Connection, rows: Mapping[int, FeatureRow]) -> dict[int, set[int]]:
    """For each given record, the stored records some blocking rule pairs it with.

    One join per rule between a temporary table of the given records' blocking columns and
    `linkage_features`, each answered from the index that holds the rule's columns
    (`RULE_INDEX`). The keys table is the outer loop (SQLite's CROSS JOIN keeps that
    order)."""
    out: dict[int, set[int]] = {r: set() for r in rows}
    if not rows:
        return out
    _keys_table(conn)
    positions = [_POS[c] for c in BLOCK_COLUMNS]
    keys = []
    for record_id, row in rows.items():
        values = [row[p] for p in positions]
        keys.append(
            (
                record_id,
                *(v.isoformat() if isinstance(v, dt.date) else v for v in values),
            )
        )
    bulk_insert(conn, KEYS_TABLE, ("record_id", *BLOCK_COLUMNS), keys)
    if is_postgresql(conn):
        conn.execute(text(f"ANALYZE {KEYS_TABLE}"))
    # SQLite is told the index (its planner has no statistics to choose by); PostgreSQL's
    # planner has them (ANALYZE after every bulk load).
    sqlite = not is_postgresql(conn)
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for rule in RULES:
            condition = " AND ".join(f"f.{c} = k.{c}" for c in rule)
            hint = f" INDEXED BY {RULE_INDEX[rule]}" if sqlite else ""
            cur.execute(
                f"SELECT k.record_id, f.record_id FROM {KEYS_TABLE} k "
                f"CROSS JOIN {TABLE} f{hint} WHERE {condition} AND f.record_id <> k.record_id"
            )
            for a, b in cur.fetchall():
                out[a].add(b)
    finally:
        cur.close()
    return out


class TermFrequencyCache(Mapping[str, Mapping[Any, float]]):
    """The share of stored records with each name (Splink's tf tables over the batch),
    fetched for the values seen so far: `learn(rows)` before scoring them."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._freq: dict[str, dict[Any, float]] = {c: {} for c in TF_COLUMNS}
        # One count per column: each is answered from that column's index alone.
        self._totals = {
            c: int(conn.execute(text(f"SELECT count({c}) FROM {TABLE}")).scalar() or 0)
            for c in TF_COLUMNS
        }

    def learn(self, rows: Iterable[FeatureRow]) -> None:
        rows = list(rows)
        for column in TF_COLUMNS:
            known = self._freq[column]
            position = _POS[column]
            wanted = sorted({r[position] for r in rows if r[position] is not None} - set(known))
            total = self._totals[column]
            if not wanted or total <= 0:
                continue
            stmt = text(
                f"SELECT {column}, count(*) FROM {TABLE} WHERE {column} IN :vals GROUP BY {column}"
            ).bindparams(bindparam("vals", expanding=True))
            for start in range(0, len(wanted), CHUNK):
                for value, n in self._conn.execute(stmt, {"vals": wanted[start : start + CHUNK]}):
                    known[value] = int(n) / total

    def __getitem__(self, column: str) -> Mapping[Any, float]:
        return self._freq[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self._freq)

    def __len__(self) -> int:
        return len(self._freq)
