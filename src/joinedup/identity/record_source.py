"""Reads the current source records the linkage needs from the store, fast, as Arrow.

No ORM objects: PostgreSQL streams the rows with COPY into a CSV that pyarrow parses;
SQLite goes through the raw DB-API cursor in large batches. Dates come back as ISO text and
are cast by DuckDB, so both backends give identical tables.
"""

from __future__ import annotations

import io
import tempfile

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Engine

LINKAGE_COLUMNS = (
    "given_name",
    "middle_names",
    "family_name",
    "previous_family_names",
    "date_of_birth",
    "sex",
    "address_line_1",
    "postcode",
    "nhs_number",
    "upn",
    "uln",
    "ni_number",
)

_SELECT = (
    "SELECT id, "
    + ", ".join(
        "CAST(date_of_birth AS VARCHAR(10)) AS date_of_birth" if c == "date_of_birth" else c
        for c in LINKAGE_COLUMNS
    )
    + " FROM source_records WHERE status = 'active' ORDER BY id"
)

SCHEMA = pa.schema([("id", pa.int64())] + [(c, pa.string()) for c in LINKAGE_COLUMNS])
BATCH_ROWS = 200_000


def read_linkage_records(engine: Engine) -> pa.Table:
    """Every active source record's id and linkage columns, as an Arrow table."""
    if engine.dialect.name == "postgresql":
        return _read_postgresql(engine)
    return _read_dbapi(engine)


def _read_dbapi(engine: Engine) -> pa.Table:
    batches: list[pa.RecordBatch] = []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(_SELECT)
        while True:
            rows = cur.fetchmany(BATCH_ROWS)
            if not rows:
                break
            columns = list(zip(*rows, strict=True))
            arrays = [pa.array(col, type=f.type) for col, f in zip(columns, SCHEMA, strict=True)]
            batches.append(pa.RecordBatch.from_arrays(arrays, schema=SCHEMA))
        cur.close()
    finally:
        raw.close()
    return pa.Table.from_batches(batches, schema=SCHEMA)


def _read_postgresql(engine: Engine) -> pa.Table:
    raw = engine.raw_connection()
    try:
        with tempfile.TemporaryFile() as spool:
            cur = raw.cursor()
            copy_sql = f"COPY ({_SELECT}) TO STDOUT WITH (FORMAT csv, HEADER true)"
            with cur.copy(copy_sql) as copy:
                for chunk in copy:
                    spool.write(chunk)
            cur.close()
            spool.seek(0)
            data = spool.read()
    finally:
        raw.close()
    convert = pacsv.ConvertOptions(
        column_types={f.name: f.type for f in SCHEMA},
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(block_size=1 << 24),
        convert_options=convert,
    ).select([f.name for f in SCHEMA])
