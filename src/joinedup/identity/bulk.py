"""Bulk reads and writes between the store and DuckDB/Python, without ORM objects.

Millions of links and history rows are written per run, so these go through the DB-API
directly: `executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL, always inside the
caller's transaction (a SQLAlchemy `Connection`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, text

CHUNK = 50_000


def _dbapi(conn: Connection) -> Any:
    return conn.connection.dbapi_connection


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def timestamp(conn: Connection, value: dt.datetime) -> Any:
    """A UTC timestamp as the backend's column type stores it (SQLite: naive text)."""
    if is_postgresql(conn):
        return value
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def jsonb(value: Any) -> Any:
    return None if value is None else json.dumps(value, default=str)


def read_arrow(conn: Connection, sql: str, schema: pa.Schema) -> pa.Table:
    """Run `sql` and return its rows as an Arrow table of `schema` (in batches)."""
    cur = _dbapi(conn).cursor()
    try:
        cur.execute(sql)
        batches = []
        while True:
            rows = cur.fetchmany(CHUNK * 4)
            if not rows:
                break
            cols = list(zip(*rows, strict=True))
            batches.append(
                pa.RecordBatch.from_arrays(
                    [pa.array(c, type=f.type) for c, f in zip(cols, schema, strict=True)],
                    schema=schema,
                )
            )
    finally:
        cur.close()
    return pa.Table.from_batches(batches, schema=schema)


def bulk_insert(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert `rows` (tuples in `columns` order); returns the number written."""
    count = 0
    cur = _dbapi(conn).cursor()
    try:
        if is_postgresql(conn):
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            # A large page cache keeps index inserts in memory during bulk loads.
            cur.execute("PRAGMA cache_size = -262144")
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= CHUNK:
                    cur.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
                count += len(batch)
    finally:
        cur.close()
    return count


def delete_where_in(conn: Connection, table: str, column: str, ids: Sequence[int]) -> None:
    """DELETE FROM table WHERE column IN ids, in chunks."""
    cur = _dbapi(conn).cursor()
    try:
        for start in range(0, len(ids), CHUNK):
            chunk = [int(i) for i in ids[start : start + CHUNK]]
            if is_postgresql(conn):
                cur.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", (chunk,))
            else:
                cur.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(i,) for i in chunk])
    finally:
        cur.close()


def allocate_ids(conn: Connection, table: str, n: int) -> list[int]:
    """n fresh primary keys for `table` (its sequence on PostgreSQL; past max(id) on SQLite,
    where the caller's write transaction already holds the database's write lock)."""
    if n == 0:
        return []
    if is_postgresql(conn):
        rows = conn.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": n},
        ).all()
        return sorted(int(r[0]) for r in rows)
    start = int(conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar() or 0)
    return list(range(start + 1, start + n + 1))
