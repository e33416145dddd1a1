"""Ingest one extract into one dataset, as one all-or-nothing batch.

`ingest_file` reads the file in batches of rows (`readers`), maps and validates each batch
column-wise in DuckDB (`transform_sql`), compares each record's content hash with the
store's, and writes only what is new or changed (`bulk_write`), all in one transaction (the
next chunk is read and transformed in a worker thread meanwhile, `prefetch`): a
failure or a killed process leaves the store as it was. Counts always add up:
rows_in = rows_loaded + rows_quarantined, and rows_loaded = new + changed + reopened +
unchanged.

Extract semantics:
- the same record again (same content hash) changes nothing;
- a changed record becomes a new version (`source_record_versions`, with batch, actor, time;
  a new record's first version is implied by the record until it changes, `versions`);
- `snapshot="full"`: active records missing from the file are closed (never deleted);
  `"delta"` only adds and changes. A closed record that comes back is reopened;
- a row without a local id, with one longer than 255 characters, or whose local id already
  appeared earlier in the same file is quarantined (the first occurrence is loaded);
- an invalid value never stops a row: it is kept as received, flagged, and left out of the
  typed columns.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import itertools
import math
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import structlog
from sqlalchemy import Connection, Engine, insert, select, update

from joinedup.domain.core_format import core_format
from joinedup.domain.mapping_spec import MappingSpec, identity_mapping
from joinedup.errors import InvalidInput
from joinedup.records import readers
from joinedup.records.bulk_write import BulkWriter, constant_columns, utc_now
from joinedup.records.datasets import ensure_dataset
from joinedup.records.mapping_file import mapping_hash, parse_mapping_text
from joinedup.records.organisations import get_organisation
from joinedup.records.prefetch import Prefetch, ordered_map
from joinedup.records.quality import QualityCounter, local_id_quality
from joinedup.records.sources import SourceFile, detect_encoding, detect_format, open_source
from joinedup.records.staging import StagedChunk, Stager, attached, copy_staged, file_sizes
from joinedup.records.transform_sql import Transform
from joinedup.records.versions import materialise, settle_first_versions
from joinedup.store import UnitOfWork
from joinedup.store.schema.core import Dataset
from joinedup.store.schema.records import DataQualityFieldStat, IngestBatch, SourceRecord

log = structlog.get_logger(__name__)

MAX_LOCAL_ID = 255
SNAPSHOTS = ("full", "delta")
Progress = Callable[[int], None]


@dataclass
class BatchReport:
    """What one ingest did. `rows_in == rows_loaded + rows_quarantined` always holds."""

    batch_id: int | None
    organisation: str
    dataset: str
    file_name: str
    status: str  # done | unchanged | failed
    snapshot: str
    source_format: str | None = None
    encoding: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_reopened: int = 0
    rows_closed: int = 0
    seconds: float = 0.0
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    quality: list[dict[str, Any]] = field(default_factory=list)
    mapping_registered: bool = False

    @property
    def ok(self) -> bool:
        """At least one row was loaded."""
        return self.rows_loaded > 0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(slots=True)
class _Existing:
    id: int
    content_hash: str
    version: int
    status: str


@dataclass
class _Run:
    """State of one batch while it is being loaded."""

    conn: Connection
    writer: BulkWriter
    batch_id: int
    dataset_id: int
    transform: Transform
    now_db: Any
    actor: str | None
    # local id -> content hash ('' for a closed record) as read at the start; each local id
    # is handled at most once per batch (a repeat is quarantined).
    existing: dict[str, str]
    seen: dict[str, int] = field(default_factory=dict)
    quarantine: list[tuple[int, str | None, str, str]] = field(
        default_factory=list
    )  # ordinal, lid, raw, reason
    counts: Counter[str] = field(default_factory=Counter)
    changed_ids: set[int] = field(default_factory=set)
    # New records staged in SQLite files (`staging`) and not yet copied, with the number
    # that turns each row's ordinal in the file into its id.
    stager: Stager | None = None
    staged: list[tuple[StagedChunk, int]] = field(default_factory=list)


def _resolve_columns(spec: MappingSpec, columns: Sequence[str]) -> tuple[MappingSpec, list[str]]:
    """Map the mapping's column names onto the file's, forgiving case and spacing; returns
    the adjusted mapping and the names that are still missing."""
    exact = set(columns)
    loose: dict[str, list[str]] = {}
    for c in columns:
        loose.setdefault(" ".join(c.lower().split()), []).append(c)
    rename: dict[str, str] = {}
    missing: list[str] = []
    for name in spec.source_columns:
        if name in exact:
            continue
        candidates = loose.get(" ".join(name.lower().split()), [])
        if len(candidates) == 1:
            rename[name] = candidates[0]
        else:
            missing.append(name)
    if not rename:
        return spec, sorted(missing)
    rules = tuple(
        dataclasses.replace(
            r,
            column=rename.get(r.column, r.column) if r.column else None,
            columns=tuple(rename.get(c, c) for c in r.columns),
        )
        for r in spec.rules
    )
    return dataclasses.replace(spec, rules=rules), sorted(missing)


def _open_table(src: SourceFile, spec: MappingSpec | None, workdir: Path) -> readers.TableSource:
    opts = spec.source if spec else None
    fmt = detect_format(src, opts.format if opts else None)
    if src.size == 0:
        raise InvalidInput(f"{src.name} is empty (0 bytes).")
    header_row = opts.header_row if opts else 1
    if fmt == "xlsx":
        return readers.read_xlsx(src, sheet=opts.sheet if opts else None, header_row=header_row)
    if fmt == "parquet":
        return readers.read_parquet(src)
    if fmt == "jsonl":
        return readers.read_jsonl(src)
    encoding = detect_encoding(src, opts.encoding if opts else None)
    return readers.read_csv(
        src,
        encoding=encoding,
        delimiter=opts.delimiter if opts else None,
        quote=opts.quote if opts else None,
        header_row=header_row,
        workdir=workdir,
    )


def _raw_row(batch: pa.RecordBatch, index: int, delimiter: str = ",") -> str:
    values = [batch.column(j)[index].as_py() for j in range(batch.num_columns)]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="").writerow(
        ["" if v is None else v for v in values]
    )
    return buf.getvalue()


def _load_existing(conn: Connection, dataset_id: int) -> dict[str, str]:
    """local id -> the content hash of each of the dataset's records, '' for a closed one.

    Two values a record, straight from the driver: a re-ingest compares every row with this,
    and a dataset may hold millions. The id, version and status of the few records that
    differ are looked up afterwards (`_known`)."""
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        param = "%s" if conn.dialect.name == "postgresql" else "?"
        cur.execute(
            "SELECT local_id, CASE WHEN status = 'active' THEN content_hash ELSE '' END "
            f"FROM source_records WHERE dataset_id = {param}",
            (dataset_id,),
        )
        return dict(cur.fetchall())
    finally:
        cur.close()


_LOOKUP_CHUNK = 500


def _known(run: _Run, lids: Sequence[str]) -> dict[str, _Existing]:
    """The stored id, content hash, version and status of these local ids' records."""
    out: dict[str, _Existing] = {}
    head = "SELECT local_id, id, content_hash, version, status FROM source_records "
    cur = run.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(lids), _LOOKUP_CHUNK):
            part = list(lids[start : start + _LOOKUP_CHUNK])
            if run.conn.dialect.name == "postgresql":
                sql = head + "WHERE dataset_id = %s AND local_id = ANY(%s)"
                cur.execute(sql, (run.dataset_id, part))
            else:
                marks = ", ".join("?" * len(part))
                sql = head + f"WHERE dataset_id = ? AND local_id IN ({marks})"
                cur.execute(sql, (run.dataset_id, *part))
            for lid, *rest in cur.fetchall():
                out[lid] = _Existing(*rest)
        return out
    finally:
        cur.close()


def _is_empty(conn: Connection, dataset_id: int) -> bool:
    """The dataset holds no record yet (its first load: every record will be new)."""
    found = conn.execute(
        select(SourceRecord.id).where(SourceRecord.dataset_id == dataset_id).limit(1)
    ).first()
    return found is None


_CORE_COLUMNS: list[str] = [f.name for f in core_format().fields if f.name != "local_id"] + [
    "identifiers",
    "attributes",
    "quality_flags",
]


@dataclass
class _Rows:
    """Rows of a chunk as the store takes them: a Python list per bound column, and the
    columns left out of the binding (empty throughout, or one value throughout)."""

    db_cols: list[str]
    same: dict[str, Any]
    values: list[list[Any]]
    lids: list[Any]
    hashes: list[Any]
    received: list[Any]
    flags: list[Any]


def _rows(sub: pa.Table, db_columns: Sequence[str]) -> _Rows:
    # Columns empty throughout this chunk are left to their default (NULL), and columns with
    # one value throughout (a service name, say) are written as a literal: neither is bound
    # row by row.
    constants = constant_columns(sub, db_columns)
    db_cols = [c for c in db_columns if c not in constants]
    same = {c: v for c, v in constants.items() if v is not None}
    return _Rows(
        db_cols,
        same,
        [sub.column(c).to_pylist() for c in db_cols],
        sub.column("local_id").to_pylist(),
        sub.column("_hash").to_pylist(),
        sub.column("_received").to_pylist(),
        sub.column("quality_flags").to_pylist(),
    )


_Chunk = tuple[pa.RecordBatch, int, pa.Table, "_Rows | StagedChunk | None"]


def _prepared(
    batches: Iterator[pa.RecordBatch], transform: Transform
) -> Iterator[tuple[pa.RecordBatch, int, pa.Table]]:
    """Each source batch with its offset in the file and its columns as the query reads them."""
    offset = 0
    for src_batch in batches:
        yield src_batch, offset, transform.prepare(src_batch, offset + 1)
        offset += src_batch.num_rows


def _transformed(
    prepared: Prefetch[tuple[pa.RecordBatch, int, pa.Table]],
    transform: Transform,
    workdir: Path,
    all_new: bool,
    stager: Stager | None,
) -> Iterator[_Chunk]:
    """Each source batch with its offset and its mapped, validated rows; when every record
    is expected to be new (the dataset was empty), also the rows staged in a SQLite file
    (`stager`, on SQLite) or as Python values, so the writing thread only copies or binds
    them. Two chunks are transformed at once, each in a DuckDB connection of its own (one
    thread each): the query is most of an ingest's work."""
    local = threading.local()
    connections: list[duckdb.DuckDBPyConnection] = []
    numbers = itertools.count()  # next() is atomic: each connection spills to its own folder

    def transform_one(item: tuple[pa.RecordBatch, int, pa.Table]) -> _Chunk:
        duck = getattr(local, "duck", None)
        if duck is None:
            spill = workdir / f"duckdb-{next(numbers)}"
            duck = duckdb.connect(config={"threads": 1, "temp_directory": str(spill)})
            duck.execute("SET enable_progress_bar = false")
            local.duck, local.views = duck, set()
            connections.append(duck)
        src_batch, offset, src = item
        # The query is long (tens of kilobytes), and parsing it was a GIL-holding cost per
        # chunk: each connection makes it a view once per width of the source batch.
        view = f"joinedup_transform_{src_batch.num_columns}"
        duck.register("src", src)
        try:
            if view not in local.views:
                sql = transform.sql(src_batch.num_columns)
                duck.execute(f"CREATE TEMP VIEW {view} AS {sql}")
                local.views.add(view)
            out = duck.sql(f"SELECT * FROM {view}").to_arrow_table()
        finally:
            duck.unregister("src")
        rows: _Rows | StagedChunk | None = None
        if stager is not None:
            rows = stager.stage(f"chunk_{offset}", out)
        elif all_new:
            rows = _rows(out, transform.db_columns)
        return src_batch, offset, out, rows

    try:
        yield from ordered_map(transform_one, prepared, workers=2, ahead=2)
    finally:
        prepared.close()
        for duck in connections:
            duck.close()
        if stager is not None:
            stager.close()


def _process(
    run: _Run,
    src_batch: pa.RecordBatch,
    offset: int,
    out: pa.Table,
    rows: _Rows | StagedChunk | None,
    counter: QualityCounter,
) -> None:
    lids = all_lids = out.column("local_id").to_pylist()
    # (Hashes are compared only with the records the dataset already holds.)
    hashes = out.column("_hash").to_pylist() if run.existing else []
    ordinals = out.column("_row").to_pylist()
    new_idx: list[int] = []
    differ: list[int] = []  # rows whose record exists and is closed or has changed
    usable = [True] * len(lids)
    if _all_usable(run, out, lids):
        # The usual chunk: every local id present, short and seen once; sorted out in C.
        run.seen.update(zip(lids, ordinals, strict=True))
        existing = run.existing
        if not existing:
            new_idx = list(range(len(lids)))
        else:
            get = existing.get
            # Unchanged records (the usual re-send) are skipped by one comprehension.
            # (A closed record's stored hash is '', which no row's hash equals.)
            todo = [
                i for i, known, h in zip(itertools.count(), map(get, lids), hashes) if known != h
            ]
            for i in todo:
                (new_idx if get(lids[i]) is None else differ).append(i)
            run.counts["unchanged"] += len(lids) - len(todo)
        lids = []  # nothing left to check row by row
    for i, lid in enumerate(lids):
        reason = None
        if lid is None:
            reason = "no local id"
            run.counts["no_id"] += 1
        elif len(lid) > MAX_LOCAL_ID:
            reason = f"local id longer than {MAX_LOCAL_ID} characters"
            run.counts["too_long"] += 1
        elif lid in run.seen:
            reason = f"duplicate local id: the same local id is on row {run.seen[lid]} of this file"
            run.counts["duplicates"] += 1
        if reason is not None:
            usable[i] = False
            ordinal = ordinals[i]
            run.quarantine.append(
                (
                    ordinal,
                    lid if lid and len(lid) <= MAX_LOCAL_ID else None,
                    _raw_row(src_batch, ordinal - offset - 1),
                    reason,
                )
            )
            continue
        run.seen[lid] = ordinals[i]
        known = run.existing.get(lid)
        if known is None:
            new_idx.append(i)
        elif known != hashes[i]:
            differ.append(i)
        else:
            run.counts["unchanged"] += 1
    changed: list[tuple[int, _Existing, str]] = []
    if differ:
        found = _known(run, [all_lids[i] for i in differ])
        for i in differ:
            known_row = found[all_lids[i]]
            changed.append((i, known_row, _change_kind(known_row)))
    if not all(usable):
        counter.add(out.filter(pa.array(usable)))
    else:
        counter.add(out)
    if new_idx:
        if len(new_idx) == out.num_rows and isinstance(rows, StagedChunk):
            # Ids in file order, as the ordinary way gives them: id = number + ordinal.
            ids = run.writer.allocate_ids("source_records", rows.rows)
            run.staged.append((rows, ids[0] - offset - 1))
            run.counts["new"] += rows.rows
        elif len(new_idx) == out.num_rows:
            _insert_new(
                run, rows if isinstance(rows, _Rows) else _rows(out, run.transform.db_columns)
            )
        else:
            _insert_new(run, _rows(out.take(new_idx), run.transform.db_columns))
    if changed:
        _update_changed(run, out.take([c[0] for c in changed]), changed)


def _change_kind(known: _Existing) -> str:
    return "reopened" if known.status != "active" else "changed"


def _all_usable(run: _Run, out: pa.Table, lids: list[str | None]) -> bool:
    """No row of the chunk needs quarantining for its local id."""
    col = out.column("local_id")
    if col.null_count or not lids:
        return False
    longest = pc.max(pc.utf8_length(col)).as_py()
    if longest is None or longest > MAX_LOCAL_ID:
        return False
    distinct = set(lids)
    return len(distinct) == len(lids) and run.seen.keys().isdisjoint(distinct)


def _new_record_values(run: _Run) -> dict[str, Any]:
    """The values every new record of the batch has, whichever way it is written."""
    return {
        "dataset_id": run.dataset_id,
        "status": "active",
        "version": 1,
        "first_batch_id": run.batch_id,
        "last_batch_id": run.batch_id,
        "updated_at": run.now_db,
    }


def _first_version_values(run: _Run) -> dict[str, Any]:
    """The values every first version the batch writes has (for a new record received
    otherwise than stored; the others' are implied by the record, `versions`)."""
    return {
        "version": 1,
        "batch_id": run.batch_id,
        "change": "new",
        "changed_by": run.actor,
        "created_at": run.now_db,
    }


def _insert_new(run: _Run, rows: _Rows) -> None:
    w = run.writer
    n = len(rows.lids)
    ids = w.allocate_ids("source_records", n)
    w.insert(
        "source_records",
        ["id", "local_id", "content_hash", *rows.db_cols],
        zip(ids, rows.lids, rows.hashes, *rows.values, strict=True),
        {**rows.same, **_new_record_values(run)},
    )
    # A new record received exactly as stored has no version row: its first version is
    # implied by the record (`joinedup.records.versions`). The others' first version holds
    # only the values received otherwise than stored.
    kept = [i for i, r in enumerate(rows.received) if r is not None]
    if kept:
        w.insert(
            "source_record_versions",
            ["source_record_id", "content_hash", "quality_flags", "received"],
            ((ids[i], rows.hashes[i], rows.flags[i], rows.received[i]) for i in kept),
            _first_version_values(run),
        )
    run.counts["new"] += n


def _copy_staged(run: _Run, names: dict[Path, str], *, every: bool = False) -> None:
    """Copy the staged new records whose files are complete (`every`: all of them, once
    every chunk has been read) into the store, with the first versions of those received
    otherwise than stored (the others' are implied by the record, `versions`)."""
    stager = run.stager
    if stager is None or not run.staged:
        return
    ready = run.staged if every else [c for c in run.staged if stager.closed(c[0])]
    if not ready:
        return
    db_cols = run.transform.db_columns
    record, version = _new_record_values(run), _first_version_values(run)

    def statements(chunk: StagedChunk, number: int, src: str) -> list[tuple[str, Sequence[Any]]]:
        values = ", ".join(chunk.value(c) for c in db_cols)
        out: list[tuple[str, Sequence[Any]]] = [
            (
                f"INSERT INTO source_records (id, local_id, content_hash, {', '.join(db_cols)}, "
                f"{', '.join(record)}) SELECT ? + _row, local_id, _hash, {values}, "
                f"{', '.join('?' * len(record))} FROM {src}",
                (number, *record.values()),
            )
        ]
        received = chunk.value("_received")
        if received != "NULL":
            out.append(
                (
                    "INSERT INTO source_record_versions (source_record_id, content_hash, "
                    f"quality_flags, received, {', '.join(version)}) SELECT ? + _row, _hash, "
                    f"{chunk.value('quality_flags')}, {received}, "
                    f"{', '.join('?' * len(version))} FROM {src} WHERE {received} IS NOT NULL",
                    (number, *version.values()),
                )
            )
        return out

    copy_staged(run.conn, names, ready, statements)
    run.staged = [c for c in run.staged if c not in ready]


def _update_changed(run: _Run, sub: pa.Table, changed: list[tuple[int, _Existing, str]]) -> None:
    w = run.writer
    db_cols = run.transform.db_columns
    values = [sub.column(c).to_pylist() for c in db_cols]
    hashes = sub.column("_hash").to_pylist()
    ids = [known.id for _, known, _ in changed]
    versions = [known.version + 1 for _, known, _ in changed]
    nulls = {c: None for c in _CORE_COLUMNS if c not in db_cols}
    # Versions that point at the stored fields get their own copy before those change.
    materialise(run.conn, ids)
    w.update_by_id(
        "source_records",
        ["content_hash", "version", *db_cols],
        zip(hashes, versions, *values, ids, strict=True),
        {
            **nulls,
            "status": "active",
            "closed_batch_id": None,
            "last_batch_id": run.batch_id,
            "updated_at": run.now_db,
        },
    )
    w.insert(
        "source_record_versions",
        ["source_record_id", "version", "content_hash", "received", "quality_flags", "change"],
        zip(
            ids,
            versions,
            hashes,
            sub.column("_received").to_pylist(),
            sub.column("quality_flags").to_pylist(),
            [change for _, _, change in changed],
            strict=True,
        ),
        {"batch_id": run.batch_id, "changed_by": run.actor, "created_at": run.now_db},
    )
    for _, _, change in changed:
        run.counts[change] += 1
    run.changed_ids.update(ids)


def _close_missing(run: _Run) -> int:
    existing = run.existing
    active_missing = [lid for lid in existing.keys() - run.seen.keys() if existing[lid]]
    to_close = sorted(
        (known.id, known.version)
        for known in _known(run, active_missing).values()
        if known.status == "active"
    )
    if not to_close:
        return 0
    # The closed version copies the current one, so an implied first version is written.
    settle_first_versions(run.conn, [rid for rid, _ in to_close])
    w = run.writer
    w.executemany(
        "INSERT INTO source_record_versions (source_record_id, version, batch_id, content_hash, "
        "record, received, quality_flags, change, changed_by, created_at) "
        "SELECT v.source_record_id, v.version + 1, ?, v.content_hash, v.record, v.received, "
        "v.quality_flags, "
        "'closed', ?, ? FROM source_record_versions v WHERE v.source_record_id = ? AND v.version = ?",
        [(run.batch_id, run.actor, run.now_db, rid, ver) for rid, ver in to_close],
    )
    w.executemany(
        "UPDATE source_records SET status = 'closed', closed_batch_id = ?, last_batch_id = ?, "
        "version = version + 1, updated_at = ? WHERE id = ?",
        [(run.batch_id, run.batch_id, run.now_db, rid) for rid, _ in to_close],
    )
    return len(to_close)


def _line_numbers(ordinals: list[int], header_line: int, reject_lines: list[int]) -> list[int]:
    """Estimated file lines of readable rows, given the rows before them that were rejected."""
    rejects = sorted(reject_lines)
    out = []
    for k in ordinals:
        line = header_line + k
        for r in rejects:
            if r <= line:
                line += 1
            else:
                break
        out.append(line)
    return out


def _reapply_corrections(run: _Run) -> int:
    """Accepted corrections survive a re-sent record that still carries the old value."""
    if not run.changed_ids:
        return 0
    from joinedup.records.challenges import reapply_corrections

    return reapply_corrections(run.conn, run.batch_id, run.changed_ids, run.actor, utc_now())


def ingest_file(
    engine: Engine,
    org_code: str,
    dataset_code: str,
    source: Path | str | BinaryIO,
    *,
    mapping: str | MappingSpec | None = None,
    snapshot: str = "delta",
    actor: str | None = None,
    progress: Progress | None = None,
    file_name: str | None = None,
    as_of: dt.date | None = None,
) -> BatchReport:
    """Load one extract (a path or a binary stream) into `org_code`/`dataset_code`.

    `mapping` (YAML text or a parsed spec) registers the dataset when it is new, and otherwise
    becomes the dataset's mapping; without it the dataset's stored mapping applies, or, for a
    file already in the core format, none is needed. Raises `InvalidInput` when the file
    cannot be read at all (after recording a failed batch); otherwise returns the report,
    whose status is `failed` when no row could be loaded."""
    if snapshot not in SNAPSHOTS:
        raise InvalidInput(f"snapshot must be 'full' or 'delta', not {snapshot!r}.")
    started = time.monotonic()
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    mapping_text: str | None = None
    spec: MappingSpec | None
    if isinstance(mapping, str):
        mapping_text, spec = mapping, parse_mapping_text(mapping)
    else:
        spec = mapping
    # Register the dataset (and a new mapping) first: that is not part of the batch.
    with UnitOfWork(engine) as uow:
        organisation = get_organisation(uow.session, org_code)
        ds = uow.session.scalars(
            select(Dataset).where(
                Dataset.organisation_id == organisation.id, Dataset.code == dataset_code
            )
        ).first()
        registered = ds is None
        if ds is None and spec is None:
            ds = ensure_dataset(uow.session, organisation, dataset_code)
        elif ds is None or (mapping_text is not None and mapping_text != ds.mapping_yaml):
            ds = ds or ensure_dataset(uow.session, organisation, dataset_code)
            if mapping_text is not None:
                ds.mapping_yaml = mapping_text
            assert spec is not None
            ds.format_version = str(spec.format_version)
            ds.name = ds.name or spec.dataset_name
        if spec is None and ds.mapping_yaml:
            mapping_text = ds.mapping_yaml
            spec = parse_mapping_text(
                ds.mapping_yaml, origin=f"the mapping of {org_code}/{dataset_code}"
            )
        dataset_id = ds.id
        uow.commit()
    report = BatchReport(
        batch_id=None,
        organisation=org_code,
        dataset=dataset_code,
        file_name=file_name or _display_name(source),
        status="failed",
        snapshot=snapshot,
        mapping_registered=registered and mapping_text is not None,
    )
    try:
        with (
            open_source(source, file_name) as src,
            tempfile.TemporaryDirectory(prefix="joinedup-ingest-") as tmp,
        ):
            report.file_name = src.name
            _run_batch(
                engine,
                src,
                spec,
                mapping_text,
                dataset_id,
                snapshot,
                actor,
                progress,
                as_of,
                Path(tmp),
                report,
            )
    except InvalidInput as exc:
        report.message = exc.message
        report.seconds = time.monotonic() - started
        report.batch_id = _record_failure(engine, dataset_id, report, actor, mapping_text)
        log.warning("ingest.failed", dataset=f"{org_code}/{dataset_code}", message=exc.message)
        raise
    report.seconds = time.monotonic() - started
    log.info(
        "ingest.done",
        dataset=f"{org_code}/{dataset_code}",
        batch=report.batch_id,
        rows_in=report.rows_in,
        loaded=report.rows_loaded,
        quarantined=report.rows_quarantined,
        seconds=round(report.seconds, 2),
    )
    return report


def _display_name(source: Path | str | BinaryIO) -> str:
    if isinstance(source, str | Path):
        return Path(source).name
    return Path(str(getattr(source, "name", None) or "upload")).name


def _record_failure(
    engine: Engine,
    dataset_id: int,
    report: BatchReport,
    actor: str | None,
    mapping_text: str | None,
) -> int:
    with UnitOfWork(engine) as uow:
        batch = IngestBatch(
            dataset_id=dataset_id,
            file_name=report.file_name[:512],
            content_hash="",
            snapshot=report.snapshot,
            status="failed",
            message=report.message,
            created_by=actor,
            finished_at=utc_now(),
            source_format=report.source_format,
            encoding=report.encoding,
            mapping_hash=mapping_hash(mapping_text),
            report={"warnings": report.warnings},
        )
        uow.session.add(batch)
        uow.session.flush()
        batch_id = batch.id
        uow.commit()
    return batch_id


def _stager(
    conn: Connection,
    workdir: Path,
    transform: Transform,
    src: SourceFile,
    first: pa.RecordBatch | None,
) -> Stager | None:
    """Staging for a first load on SQLite (`staging`): files of a few chunks each, sized
    from the file's size and its first chunk so that the files it needs can all be attached
    (the last takes what is left)."""
    if conn.dialect.name != "sqlite" or first is None or not first.num_rows:
        return None
    raw: Any = conn.connection.driver_connection
    max_files = max(1, raw.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED) - 1)
    bytes_per_row = max(1.0, first.nbytes / first.num_rows)
    chunks = math.ceil(src.size / bytes_per_row / max(first.num_rows, readers.BATCH_ROWS))
    return Stager(
        workdir,
        ["_row", "local_id", "_hash", "_received", *transform.db_columns],
        file_sizes(chunks, max_files),
        foldable=["_received", *transform.db_columns],
    )


@contextlib.contextmanager
def _bulk_settings(conn: Connection) -> Iterator[None]:
    """SQLite settings for the batch's connection, put back when the batch has ended.

    A 256 MiB page cache. Foreign keys are not checked: the batch writes only references
    it has just made (its dataset, its own batch row, the ids it allocated for its records),
    and the checks were 5% of a first load. PostgreSQL checks them as ever, and the test
    suite runs on both. Both pragmas must be set outside a transaction."""
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name != "sqlite" or raw.in_transaction:
        yield
        return
    raw.execute("PRAGMA cache_size = -262144")
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute("PRAGMA cache_size = -2000")


def _run_batch(
    engine: Engine,
    src: SourceFile,
    spec: MappingSpec | None,
    mapping_text: str | None,
    dataset_id: int,
    snapshot: str,
    actor: str | None,
    progress: Progress | None,
    as_of: dt.date,
    workdir: Path,
    report: BatchReport,
) -> None:
    table = _open_table(src, spec, workdir)
    report.source_format = table.format
    report.encoding = table.encoding
    report.warnings += src.warnings + table.warnings
    fmt = core_format(spec.format_version if spec else 1)
    # JSON Lines learn their columns as they read: look at the first batch before mapping.
    first = next(table.batches, None)
    table.batches = itertools.chain([first] if first is not None else [], table.batches)
    if spec is None:
        spec = identity_mapping(table.columns, fmt)
        if spec.rule("local_id") is None:
            raise InvalidInput(
                f"{src.name} has no local_id column, and the dataset has no mapping.",
                hint="Name the column local_id, or give a mapping with --mapping FILE "
                "(docs/mappings.md). The file's columns are: " + ", ".join(table.columns[:30]),
            )
    spec, missing = _resolve_columns(spec, table.columns)
    if missing and table.format != "jsonl":
        raise InvalidInput(
            f"{src.name} lacks column(s) the mapping uses: {', '.join(repr(m) for m in missing)}.",
            hint="The file's columns are: " + ", ".join(repr(c) for c in table.columns[:40]),
        )
    transform = Transform(spec, table.columns, fmt, as_of)
    counter = QualityCounter(transform.dq_fields, [f.name for f in fmt.fields if f.unique_expected])
    now = utc_now()
    with (
        engine.connect() as conn,
        _bulk_settings(conn),
        attached(conn) as staging_names,
        conn.begin(),
    ):
        batch_id = conn.execute(
            insert(IngestBatch)
            .values(
                dataset_id=dataset_id,
                file_name=src.name[:512],
                content_hash=src.sha256,
                snapshot=snapshot,
                status="running",
                created_by=actor,
                started_at=now,
                source_format=table.format,
                encoding=table.encoding,
                file_size=src.size,
                format_version=fmt.version,
                mapping_hash=mapping_hash(mapping_text),
            )
            .returning(IngestBatch.id)
        ).scalar_one()
        writer = BulkWriter(conn)
        # Three stages overlap: the CSV is read a chunk ahead of the transform, which runs a
        # chunk ahead of the writes; the dataset's existing records load meanwhile.
        all_new = _is_empty(conn, dataset_id)
        stager = _stager(conn, workdir, transform, src, first) if all_new else None
        chunks = Prefetch(
            _transformed(
                Prefetch(_prepared(table.batches, transform), name="ingest-read"),
                transform,
                workdir,
                all_new,
                stager,
            ),
            name="ingest-transform",
        )
        offset = 0
        try:
            run = _Run(
                conn=conn,
                writer=writer,
                batch_id=batch_id,
                dataset_id=dataset_id,
                transform=transform,
                now_db=writer.db_value("source_records", "updated_at", now),
                actor=actor,
                existing={} if all_new else _load_existing(conn, dataset_id),
                stager=stager,
            )
            for src_batch, offset, out, rows in chunks:
                _process(run, src_batch, offset, out, rows, counter)
                if stager is not None and not stager.done:
                    # (Once every chunk is staged, the rest is copied after the loop, while
                    # the quality figures are added up.)
                    _copy_staged(run, staging_names)
                offset += src_batch.num_rows
                log.info("ingest.chunk", batch=batch_id, rows=offset)
                if progress:
                    progress(src_batch.num_rows)
        finally:
            chunks.close()
        # The quality figures are added up (pyarrow, without the GIL) while the last staged
        # chunks are copied (SQLite, likewise).
        with ThreadPoolExecutor(1, thread_name_prefix="ingest-quality") as pool:
            quality_fields = pool.submit(counter.finish)
            _copy_staged(run, staging_names, every=True)
            fields = quality_fields.result()
        if table.finish:
            table.finish()
        if table.format == "jsonl":
            still_missing = [m for m in missing if m not in table.columns]
            if still_missing:
                report.warnings.append(
                    "No line has the key(s) the mapping uses: "
                    + ", ".join(repr(m) for m in still_missing)
                )
        readable = offset
        rejects = table.rejects
        c = run.counts
        loaded = c["new"] + c["changed"] + c["reopened"] + c["unchanged"]
        quarantined = len(rejects) + len(run.quarantine)
        rows_in = readable + len(rejects)
        assert rows_in == loaded + quarantined, (rows_in, loaded, quarantined)
        # Quarantine: unreadable rows, then readable rows that cannot be used.
        reject_lines = [r.line for r in rejects]
        lines = _line_numbers([q[0] for q in run.quarantine], table.header_line, reject_lines)
        q_rows = [(r.line, None, r.raw, r.reason) for r in rejects] + [
            (line, lid, raw_text, reason)
            for line, (_, lid, raw_text, reason) in zip(lines, run.quarantine, strict=True)
        ]
        if q_rows:
            writer.insert(
                "quarantined_rows",
                ["row_number", "local_id", "raw", "reason"],
                q_rows,
                {"batch_id": batch_id, "created_at": run.now_db},
            )
        closed = _close_missing(run) if snapshot == "full" and loaded > 0 else 0
        if snapshot == "full" and loaded == 0 and run.existing:
            report.warnings.append("No row could be loaded, so no record was closed.")
        corrected = _reapply_corrections(run)
        if corrected:
            report.warnings.append(
                f"{corrected} accepted correction(s) re-applied: the source still sends the old value."
            )
        fields.insert(
            0, local_id_quality(readable, c["no_id"], c["too_long"], c["duplicates"], loaded)
        )
        if fields and loaded:
            conn.execute(
                insert(DataQualityFieldStat),
                [
                    {
                        "batch_id": batch_id,
                        "field": fq.field,
                        "rows": fq.rows,
                        "present": fq.present,
                        "valid": fq.valid,
                        "distinct_values": fq.distinct,
                        "completeness": fq.completeness,
                        "validity": fq.validity,
                        "uniqueness": fq.uniqueness,
                        "problems": fq.problems or None,
                    }
                    for fq in fields
                ],
            )
        reasons = Counter(_reason_kind(r[3]) for r in q_rows)
        changed_any = c["new"] + c["changed"] + c["reopened"] + closed
        status = "failed" if loaded == 0 else ("done" if changed_any else "unchanged")
        message = None
        if loaded == 0:
            message = (
                f"No row could be loaded: {quarantined:,} row(s) quarantined."
                if quarantined
                else "The file has no data rows."
            )
        report.quality = [fq.as_dict() for fq in fields]
        report.quarantine_reasons = dict(reasons)
        report.batch_id = batch_id
        report.status = status
        report.message = message
        report.rows_in = rows_in
        report.rows_loaded = loaded
        report.rows_quarantined = quarantined
        report.rows_new = c["new"]
        report.rows_changed = c["changed"]
        report.rows_reopened = c["reopened"]
        report.rows_unchanged = c["unchanged"]
        report.rows_closed = closed
        conn.execute(
            update(IngestBatch)
            .where(IngestBatch.id == batch_id)
            .values(
                status=status,
                message=message,
                finished_at=utc_now(),
                rows_in=rows_in,
                rows_loaded=loaded,
                rows_quarantined=quarantined,
                rows_new=c["new"],
                rows_changed=c["changed"],
                rows_reopened=c["reopened"],
                rows_unchanged=c["unchanged"],
                rows_closed=closed,
                report={
                    "warnings": report.warnings,
                    "quarantine_reasons": report.quarantine_reasons,
                    "corrections_reapplied": corrected,
                    "attributes": [col for col in table.columns if col not in spec.source_columns],
                },
            )
        )


def _reason_kind(reason: str) -> str:
    """A quarantine reason without its row-specific details, for counting."""
    if reason.startswith("duplicate local id"):
        return "duplicate local id"
    if reason.startswith("expected") or "fields, found" in reason:
        return "wrong number of fields"
    return reason.split(":")[0]
