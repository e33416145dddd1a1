"""A first load's new records, staged from Arrow into SQLite files and copied in SQL.

On the embedded store, a first load's cost was mostly Python's: every value of every new
record turned into a Python object and bound one by one through `sqlite3` (about 200 ns a
value, holding the GIL), all in the one thread that may write. When a dataset is empty (its
first load: every usable row is a new record), the transform threads instead write each
chunk's rows, still Arrow, into staging SQLite files of a few chunks each with the ADBC SQLite
driver (bound column-wise in C, without the GIL). As each file is completed, the batch's
connection attaches it and copies its chunks with one `INSERT ... SELECT` each, in the batch's
transaction as before, while later chunks are still being transformed: a failed or killed
batch still leaves the store as it was, and a staging file is only ever a private scratch copy
in the batch's temporary folder.

The ADBC driver carries a SQLite library of its own. Two copies of SQLite must never have
the same file open at once (their POSIX locks do not know of each other), so a staging file
is closed by its writer before the batch's connection attaches it, and the driver never opens
the store.

A staged chunk is copied only when all its rows turn out usable (the usual chunk); a chunk
with a row to quarantine goes the ordinary way (`BulkWriter`). PostgreSQL takes `COPY`, which
has no such cost, and changed records are always updated the ordinary way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection

from joinedup.records.bulk_write import constant_columns, sql_literal

_ATTACHED_PREFIX = "joinedup_stage_"


@dataclass(frozen=True)
class StagedChunk:
    """One chunk's rows in a staging file: table `table` of `path`, rows in file order.
    Columns empty throughout the chunk, or holding one value throughout (a service's name,
    say), are not staged but kept here (`constants`) and copied as SQL literals."""

    path: Path
    table: str
    rows: int
    constants: tuple[tuple[str, Any], ...] = ()

    def value(self, column: str) -> str:
        """The SQL that copies `column`: its staged column, or its one value as a literal."""
        for name, value in self.constants:
            if name == column:
                return sql_literal(value)
        return '"' + column.replace('"', '""') + '"'


class Stager:
    """Staging files written one after another, a few chunks each, by one ADBC connection
    at a time (`stage` may be called from several threads; they take turns).

    File `i` is closed once it holds `sizes[i]` chunks, and only then may its chunks be
    copied (`closed`), so the writing thread copies early chunks while later ones are still
    being transformed. A SQLite connection can attach only so many files and none can be
    detached inside the batch's transaction, so there are at most `len(sizes)` files: the
    last takes every chunk left. `close` closes the file being written, after which every
    chunk may be copied.
    """

    def __init__(
        self,
        workdir: Path,
        columns: Sequence[str],
        sizes: Sequence[int],
        foldable: Sequence[str] = (),
    ) -> None:
        self.workdir = workdir
        self.columns = list(columns)
        self.foldable = [c for c in foldable if c in self.columns]
        self.sizes = [max(1, n) for n in sizes] or [1]
        self._lock = threading.Lock()
        self._con: Any = None
        self._path: Path | None = None
        self._in_file = 0
        self._files = 0
        self._closed: set[Path] = set()
        self._done = False

    def _open(self) -> tuple[Any, Path]:
        if self._con is None or self._path is None:
            import adbc_driver_sqlite.dbapi as adbc_sqlite

            path = self.workdir / f"stage-{self._files}.sqlite"
            con = adbc_sqlite.connect(str(path), autocommit=True)
            with con.cursor() as cur:
                # A scratch copy: a crash loses nothing that the store does not still have.
                cur.execute("PRAGMA journal_mode = OFF")
                cur.execute("PRAGMA synchronous = OFF")
            self._con, self._path = con, path
            self._files += 1
            self._in_file = 0
        return self._con, self._path

    def _close_file(self) -> None:
        if self._con is not None and self._path is not None:
            self._con.close()
            self._closed.add(self._path)
        self._con, self._path = None, None

    def stage(self, name: str, table: pa.Table) -> StagedChunk:
        """Write `table`'s staged columns as table `name` of the current staging file (those
        of `foldable` that are empty or one value throughout stay out, `StagedChunk`)."""
        constants = constant_columns(table, self.foldable)
        data = table.select([c for c in self.columns if c not in constants])
        with self._lock:
            con, path = self._open()
            with con.cursor() as cur:
                cur.adbc_ingest(name, data, mode="create")
            self._in_file += 1
            last = self._files >= len(self.sizes)
            if not last and self._in_file >= self.sizes[self._files - 1]:
                self._close_file()
        return StagedChunk(path, name, data.num_rows, tuple(constants.items()))

    def closed(self, chunk: StagedChunk) -> bool:
        """The chunk's file is complete and closed: it may be attached."""
        with self._lock:
            return chunk.path in self._closed

    @property
    def done(self) -> bool:
        """Every chunk has been staged and every file closed."""
        with self._lock:
            return self._done

    def close(self) -> None:
        with self._lock:
            self._done = True
            with contextlib.suppress(Exception):
                self._close_file()


def file_sizes(chunks: int, files: int) -> list[int]:
    """How many chunks each staging file takes, for an expected `chunks` chunks in at most
    `files` files: as even as can be, the larger first, so that the last file (copied only
    once every chunk has been read) is the smallest."""
    files = max(1, min(files, chunks))
    base, extra = divmod(max(chunks, 1), files)
    return [base + 1] * extra + [base] * (files - extra)


@contextlib.contextmanager
def attached(conn: Connection) -> Iterator[dict[Path, str]]:
    """Staging files attached to the batch's SQLite connection as they are needed (path ->
    schema name), detached once the batch's transaction has ended (a file read inside a
    transaction stays locked until it ends)."""
    names: dict[Path, str] = {}
    try:
        yield names
    finally:
        raw: Any = conn.connection.driver_connection
        for name in names.values():
            with contextlib.suppress(Exception):
                raw.execute(f"DETACH DATABASE {name}")


def copy_staged(
    conn: Connection,
    names: dict[Path, str],
    chunks: Sequence[tuple[StagedChunk, int]],
    statements: Callable[[StagedChunk, int, str], Sequence[tuple[str, Sequence[Any]]]],
) -> None:
    """Attach each chunk's file when first needed and run the chunk's statements
    (`statements(chunk, number, table)`: `number` is the one given with the chunk, `table`
    the chunk's table as the batch's connection names it), chunk by chunk, in order."""
    raw: Any = conn.connection.driver_connection
    for chunk, number in chunks:
        if chunk.path not in names:
            names[chunk.path] = f"{_ATTACHED_PREFIX}{len(names)}"
            raw.execute(f"ATTACH DATABASE ? AS {names[chunk.path]}", (str(chunk.path),))
        for sql, params in statements(chunk, number, f"{names[chunk.path]}.{chunk.table}"):
            raw.execute(sql, params)
