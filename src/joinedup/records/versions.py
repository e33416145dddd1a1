"""A source record's versions as received, most of them kept as "the stored fields".

Most values arrive exactly as they are stored: valid and already in their normalised form.
So an ingest writes a version's `record` as NULL, and in `received` only the values that
were received otherwise than stored (an invalid value, a date in another format, an untidy
postcode; usually none). The record as received is then the record's stored fields
(`source_records`) rendered back into the core format, with `received` over them
(`version_record`): writing every value twice was more than half of a first load's bytes.

A new record received exactly as stored gets no version row at all: its first version is
implied by the record itself (version 1, its content hash and quality flags, its first
batch, and that batch's actor and time), as a system-versioned table keeps only what has
been superseded. `record_versions` and `current_version` give the implied version like any
other, and `settle_first_versions` writes its row, which `materialise` does first. Writing a
version row for every new record was a fifth of a first load's writes.

The rule that keeps this exact: before anything changes a record's stored fields or adds a
version (a changed or reopened record in an ingest, a closed one, an accepted correction),
that record's implied first version is written and its versions with a NULL `record` are
filled in (`materialise`; a close only settles, since it changes no stored field), so a
NULL always means "the stored fields as they are now", and a record with no version row has
never changed.

Ingest's transform computes `received` per row (`transform_sql`, `_received`);
`tests/integration/test_versions.py` loads the synthetic partnership into a store that keeps
a whole copy of every record and requires every version's record as received to be equal.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Select, exists, insert, literal, select

from joinedup.domain.core_format import IDENTIFIER_PREFIX, core_format
from joinedup.records.bulk_write import BulkWriter
from joinedup.store.schema.records import IngestBatch, SourceRecord, SourceRecordVersion

# Every field any format version defines: a later version only adds fields, and a record
# holds values only for the fields its dataset maps.
_FIELDS = [f.name for f in core_format().fields if f.name != "local_id"]
# The stored fields a record as received is rendered from, in `_from_values` order.
_COLUMNS = [SourceRecord.local_id, SourceRecord.identifiers, SourceRecord.attributes,
            *(SourceRecord.__table__.c[n] for n in _FIELDS)]  # fmt: skip
_CHUNK = 500


def _from_values(
    local_id: str, identifiers: Any, attributes: Any, values: Iterable[Any]
) -> dict[str, Any]:
    """The record as received of a version that points at the stored fields, before
    `received` goes over it: the stored fields (`_COLUMNS`) in the core format."""
    out: dict[str, Any] = {"local_id": local_id}
    for name, value in zip(_FIELDS, values, strict=True):
        if value is None:
            continue
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    for scheme, value in (identifiers or {}).items():
        if value is not None:
            out[IDENTIFIER_PREFIX + scheme] = value
    if attributes:
        out["attributes"] = attributes
    return out


def version_record(conn: Connection, version: Mapping[str, Any] | None) -> dict[str, Any]:
    """The record as received of `version` (a `source_record_versions` row as a mapping);
    {} for no version."""
    if version is None:
        return {}
    if version["record"] is not None:
        return dict(version["record"])
    row = conn.execute(
        select(*_COLUMNS).where(SourceRecord.id == version["source_record_id"])
    ).one()
    return _overlay(_from_values(row[0], row[1], row[2], row[3:]), version["received"])


def _overlay(record: dict[str, Any], received: Mapping[str, Any] | None) -> dict[str, Any]:
    for name, value in (received or {}).items():
        if value is None:
            record.pop(name, None)
        else:
            record[name] = value
    return record


# The columns of a version row, as `record_versions` and `current_version` return them.
_VERSION_KEYS = [c.name for c in SourceRecordVersion.__table__.columns]


def _implied_first_versions(record_ids: list[int]) -> Select[Any]:
    """The implied first versions of those of these records that have no version row, as
    rows of `source_record_versions` columns (pointing at the stored fields: no `record`,
    no `received`). The record and its first batch hold every value."""
    no_row = ~exists().where(SourceRecordVersion.source_record_id == SourceRecord.id)
    return (
        select(
            SourceRecord.id.label("source_record_id"),
            literal(1).label("version"),
            SourceRecord.first_batch_id.label("batch_id"),
            SourceRecord.content_hash,
            SourceRecord.quality_flags,
            literal("new").label("change"),
            IngestBatch.created_by.label("changed_by"),
            IngestBatch.started_at.label("created_at"),
        )
        .join(IngestBatch, IngestBatch.id == SourceRecord.first_batch_id)
        .where(SourceRecord.id.in_(record_ids), no_row)
    )


def record_versions(conn: Connection, record_id: int) -> list[dict[str, Any]]:
    """Every version of a record, oldest first, as `source_record_versions` rows (an
    implied first version has no `id`); pass one to `version_record` for its record."""
    rows = [
        dict(r)
        for r in conn.execute(
            select(SourceRecordVersion)
            .where(SourceRecordVersion.source_record_id == record_id)
            .order_by(SourceRecordVersion.version)
        ).mappings()
    ]
    if rows:
        return rows
    implied = conn.execute(_implied_first_versions([record_id])).mappings().first()
    return [dict.fromkeys(_VERSION_KEYS) | dict(implied)] if implied else []


def current_version(conn: Connection, record_id: int) -> dict[str, Any] | None:
    """The latest version of a record (None when there is no such record)."""
    versions = record_versions(conn, record_id)
    return versions[-1] if versions else None


def settle_first_versions(conn: Connection, record_ids: Iterable[int]) -> int:
    """Write the implied first version of those of these records that have no version row;
    call it before a record gets a second version. One INSERT ... SELECT per chunk. Returns
    how many were written."""
    ids = sorted(set(record_ids))
    written = 0
    for start in range(0, len(ids), _CHUNK):
        query = _implied_first_versions(ids[start : start + _CHUNK])
        cols = [c.name for c in query.selected_columns]
        result = conn.execute(insert(SourceRecordVersion).from_select(cols, query))
        written += max(result.rowcount or 0, 0)
    return written


def materialise(conn: Connection, record_ids: Iterable[int]) -> int:
    """Write the implied first versions of these records and fill in their versions that
    point at their stored fields (a NULL `record`); call it before the stored fields change.
    Returns how many were filled in.

    Rows as tuples and the update through the driver (`BulkWriter`): an ingest that
    changes every record of a dataset fills in a version per record."""
    ids = sorted(set(record_ids))
    settle_first_versions(conn, ids)
    writer = BulkWriter(conn)
    value = "CAST(? AS JSONB)" if writer.dialect == "postgresql" else "?"
    sql = f"UPDATE source_record_versions SET record = {value}, received = NULL WHERE id = ?"
    done = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = conn.execute(
            select(SourceRecordVersion.id, SourceRecordVersion.received, *_COLUMNS)
            .join(SourceRecord, SourceRecord.id == SourceRecordVersion.source_record_id)
            .where(
                SourceRecordVersion.source_record_id.in_(chunk),
                SourceRecordVersion.record.is_(None),
            )
        ).all()
        if not rows:
            continue
        # (version id, received, local_id, identifiers, attributes, *fields)
        filled = [
            (json.dumps(_overlay(_from_values(r[2], r[3], r[4], r[5:]), r[1])), r[0]) for r in rows
        ]
        writer.executemany(sql, filled)
        done += len(rows)
    return done
