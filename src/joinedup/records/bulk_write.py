"""Bulk writes for ingest, on the batch's own connection and transaction.

Ingest writes hundreds of thousands of rows per batch, so it bypasses the ORM: SQLite gets
multi-row `INSERT ... VALUES (...), (...), ...` statements of up to 500 rows on the DB-API
cursor (values that are the same for every row are inlined as literals rather than bound
per row), PostgreSQL gets `COPY ... FROM STDIN`, and updates
on PostgreSQL go through a temporary table. Everything runs inside the caller's
transaction, so a failed or killed batch leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from joinedup.store.base import metadata

# Python's sqlite3 binds None through its slow adaptation path (a failed `__conform__`
# look-up per value); registering an adapter that returns None keeps the result identical
# (NULL) at half the cost, which matters when millions of optional fields are empty.
sqlite3.register_adapter(type(None), {}.get)  # type: ignore[arg-type]


def sql_literal(value: Any) -> str:
    """`value` (None, a bool, an int or text) as a SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def constant_columns(table: pa.Table, columns: Sequence[str]) -> dict[str, Any]:
    """Those of `columns` that hold no value (None) or one value throughout `table`, with it:
    such columns are written as SQL literals rather than bound or staged row by row."""
    n = table.num_rows
    out: dict[str, Any] = {}
    for name in columns:
        col = table.column(name)
        if col.null_count == n:
            out[name] = None
        elif col.null_count == 0:
            bounds = pc.min_max(col)
            low = bounds["min"].as_py()
            if low == bounds["max"].as_py():
                out[name] = low
    return out


_ROWS_PER_INSERT = 500


class BulkWriter:
    """Fast inserts and updates of many rows through the raw driver connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.raw: Any = conn.connection.driver_connection
        self._next_ids: dict[str, int] = {}
        self._tmp = itertools.count()

    def db_value(self, table: str, column: str, value: Any) -> Any:
        """`value` as the driver must receive it for `table.column` (e.g. a UTC timestamp)."""
        col = metadata.tables[table].c[column]
        processor = col.type._cached_bind_processor(self.conn.dialect)
        return processor(value) if processor else value

    def allocate_ids(self, table: str, n: int) -> Sequence[int]:
        """`n` fresh primary keys for `table`, so rows can be linked before they are written.

        SQLite: the batch already holds the write lock (its first statement was a write),
        so counting on from max(id) is safe. PostgreSQL: drawn from the table's sequence."""
        if n <= 0:
            return []
        cur = self.raw.cursor()
        try:
            if self.dialect == "postgresql":
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    (table, n),
                )
                return [int(r[0]) for r in cur.fetchall()]
            if table not in self._next_ids:
                cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                self._next_ids[table] = int(cur.fetchone()[0]) + 1
            start = self._next_ids[table]
            self._next_ids[table] = start + n
            return range(start, start + n)
        finally:
            cur.close()

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        constants: dict[str, Any] | None = None,
    ) -> None:
        """Insert `rows` (values for `columns`); `constants` are the same for every row."""
        constants = constants or {}
        names = [*columns, *constants]
        cur = self.raw.cursor()
        try:
            if self.dialect == "postgresql":
                tail = tuple(constants.values())
                with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row((*row, *tail))
                return
            one = (
                "("
                + ", ".join(["?"] * len(columns) + [sql_literal(v) for v in constants.values()])
                + ")"
            )
            head = f"INSERT INTO {table} ({', '.join(names)}) VALUES "
            # Many rows per statement: sqlite3's per-statement cost (reset, bind, releasing
            # and taking the GIL around each step) is then paid once per block rather than
            # once per row: a third less CPU for a million-row first load, and the other
            # ingest threads get the GIL less often in the way.
            per = max(1, min(_ROWS_PER_INSERT, self._max_variables() // max(1, len(columns))))
            block_sql = head + ", ".join([one] * per)
            it = iter(rows)
            while block := list(itertools.islice(it, per)):
                sql = block_sql if len(block) == per else head + ", ".join([one] * len(block))
                cur.execute(sql, list(itertools.chain.from_iterable(block)))
        finally:
            cur.close()

    def _max_variables(self) -> int:
        """How many `?` one SQLite statement may hold (32,766 unless compiled otherwise)."""
        try:
            return int(self.raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        except (AttributeError, sqlite3.Error):  # pragma: no cover - older Pythons
            return 999

    def update_by_id(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        constants: dict[str, Any] | None = None,
        types_from: str | None = None,
    ) -> None:
        """Update rows by id: each row is the values for `columns` followed by the id."""
        constants = constants or {}
        cur = self.raw.cursor()
        try:
            if self.dialect == "postgresql":
                tmp = f"_joinedup_upd_{next(self._tmp)}"
                source = types_from or table
                cur.execute(
                    f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS "
                    f"SELECT {', '.join(columns)}, id FROM {source} WITH NO DATA"
                )
                with cur.copy(f"COPY {tmp} ({', '.join(columns)}, id) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                sets = [f"{c} = u.{c}" for c in columns]
                sets += [f"{c} = {sql_literal(v)}" for c, v in constants.items()]
                cur.execute(
                    f"UPDATE {table} AS t SET {', '.join(sets)} FROM {tmp} AS u WHERE t.id = u.id"
                )
                cur.execute(f"DROP TABLE {tmp}")
                return
            sets = [f"{c} = ?" for c in columns]
            sets += [f"{c} = {sql_literal(v)}" for c, v in constants.items()]
            cur.executemany(f"UPDATE {table} SET {', '.join(sets)} WHERE id = ?", rows)
        finally:
            cur.close()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """A parameterised statement (`?` placeholders) once per row."""
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        cur = self.raw.cursor()
        try:
            cur.executemany(sql, list(rows))
        finally:
            cur.close()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
