"""A source record's versions as received, most of them kept as "the stored fields".

Most values arrive exactly as they are stored: valid and already in their normalised form.
So an ingest writes a version's `record` as NULL, and in `received` only the values that
were received otherwise than stored (an invalid value, a date in another format, an untidy
postcode; usually none). The record as received is then the record's stored fields
(`source_records`) rendered back into the core format, with `received` over them
(`version_record`): writing every value twice was more than half of a first load's bytes.

The rule that keeps this exact: before anything changes a record's stored fields (a changed
or reopened record in an ingest, an accepted correction), that record's versions with a NULL
`record` are filled in (`materialise`), so a NULL always means "the stored fields as they are
now". Closing a record changes no stored field, so its `closed` version may point at them too.

Ingest's transform computes `received` per row (`transform_sql`, `_received`);
`tests/integration/test_versions.py` loads the synthetic partnership into a store that keeps
a whole copy of every record and requires every version's record as received to be equal.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from joinedup.domain.core_format import IDENTIFIER_PREFIX, core_format
from joinedup.records.bulk_write import BulkWriter
from joinedup.store.schema.records import SourceRecord, SourceRecordVersion

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


def materialise(conn: Connection, record_ids: Iterable[int]) -> int:
    """Fill in the versions of these records that point at their stored fields (a NULL
    `record`); call it before the stored fields change. Returns how many were filled in.

    Rows as tuples and the update through the driver (`BulkWriter`): an ingest that
    changes every record of a dataset fills in a version per record."""
    ids = sorted(set(record_ids))
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
