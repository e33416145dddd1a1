"""Data quality: per-field completeness, validity and uniqueness, per batch and over time.

During ingest a `QualityCounter` adds up each Arrow batch column-wise (no per-row Python);
the per-field figures are stored in `dq_field_stats` with the batch. `dataset_quality`
is the service behind `joinedup dq report` and the web UI: the latest batch's fields, the
most common problems with examples, and the trend across batches.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, func, select

from joinedup.domain.validation import describe
from joinedup.records.datasets import get_dataset
from joinedup.store import UnitOfWork
from joinedup.store.schema.records import DataQualityFieldStat, IngestBatch, SourceRecord

EXAMPLES_PER_PROBLEM = 3
MAX_EXAMPLE_CHARS = 200


def _as_text(value: Any) -> Any:
    return ";".join(map(str, value)) if isinstance(value, list) else value


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_EXAMPLE_CHARS:
        return value[:MAX_EXAMPLE_CHARS] + f"… ({len(value):,} characters)"
    return value


@dataclass
class FieldQuality:
    field: str
    rows: int = 0
    present: int = 0
    invalid: int = 0
    distinct: int | None = None
    problems: dict[str, dict[str, Any]] = dc_field(default_factory=dict)

    @property
    def valid(self) -> int:
        return self.present - self.invalid

    @property
    def completeness(self) -> float:
        return self.present / self.rows if self.rows else 0.0

    @property
    def validity(self) -> float | None:
        return self.valid / self.present if self.present else None

    @property
    def uniqueness(self) -> float | None:
        if self.distinct is None or not self.valid:
            return None
        return self.distinct / self.valid

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "rows": self.rows,
            "present": self.present,
            "valid": self.valid,
            "distinct": self.distinct,
            "completeness": round(self.completeness, 6),
            "validity": None if self.validity is None else round(self.validity, 6),
            "uniqueness": None if self.uniqueness is None else round(self.uniqueness, 6),
            "problems": self.problems,
        }


class QualityCounter:
    """Adds up the quality of the usable rows of a batch, one Arrow table at a time."""

    def __init__(self, fields: list[str], unique_fields: list[str]) -> None:
        self.fields = {f: FieldQuality(f) for f in fields}
        self.unique_fields = [f for f in unique_fields if f in self.fields]
        self._unique_chunks: dict[str, list[pa.Array]] = defaultdict(list)
        self.rows = 0

    def add(self, table: pa.Table) -> None:
        n = table.num_rows
        if not n:
            return
        self.rows += n
        for name, fq in self.fields.items():
            fq.rows += n
            flags = table.column(f"q:{name}")
            typed = table.column(f"t:{name}" if name.startswith("identifier:") else name)
            # A value was received when it is valid (typed) or flagged (problem).
            present = pc.or_(pc.is_valid(typed), pc.is_valid(flags))
            fq.present += int(pc.sum(present).as_py() or 0)
            if flags.null_count == n:
                continue
            counts = pc.value_counts(flags.drop_null())
            for item in counts.to_pylist():
                code, count = item["values"], int(item["counts"])
                fq.invalid += count
                entry = fq.problems.setdefault(
                    code, {"count": 0, "description": describe(code), "examples": []}
                )
                entry["count"] += count
                need = EXAMPLES_PER_PROBLEM - len(entry["examples"])
                if need > 0:
                    idx = pc.indices_nonzero(pc.equal(flags, code)).slice(0, need)
                    # A flagged value is never what is stored, so it is in `_received`.
                    sample = table.take(idx).select(["_row", "local_id", "_received"]).to_pylist()
                    entry["examples"] += [
                        {
                            "row": s["_row"],
                            "local_id": s["local_id"],
                            "value": _short(_as_text(json.loads(s["_received"] or "{}").get(name))),
                        }
                        for s in sample
                    ]
        for name in self.unique_fields:
            self._unique_chunks[name].append(table.column(name).combine_chunks())

    def finish(self) -> list[FieldQuality]:
        for name in self.unique_fields:
            chunks = self._unique_chunks.get(name)
            if chunks:
                values = pa.chunked_array(chunks, type=pa.string()).drop_null()
                self.fields[name].distinct = int(pc.count_distinct(values).as_py())
            else:
                self.fields[name].distinct = 0
        return list(self.fields.values())


def local_id_quality(
    rows: int, no_id: int, too_long: int, duplicates: int, loaded: int
) -> FieldQuality:
    """The local id's figures: rows with one, too long ones, and duplicates in the file."""
    fq = FieldQuality("local_id", rows=rows, present=rows - no_id, invalid=too_long)
    fq.distinct = loaded
    if too_long:
        fq.problems["too_long"] = {
            "count": too_long,
            "description": "longer than 255 characters (row quarantined)",
            "examples": [],
        }
    if duplicates:
        fq.problems["duplicate"] = {
            "count": duplicates,
            "description": "the same local id on an earlier row of this file (row quarantined)",
            "examples": [],
        }
    return fq


def _stat_dict(s: DataQualityFieldStat) -> dict[str, Any]:
    return {
        "field": s.field,
        "rows": s.rows,
        "present": s.present,
        "valid": s.valid,
        "distinct": s.distinct_values,
        "completeness": s.completeness,
        "validity": s.validity,
        "uniqueness": s.uniqueness,
        "problems": s.problems or {},
    }


def _batch_dict(b: IngestBatch) -> dict[str, Any]:
    return {
        "id": b.id,
        "file_name": b.file_name,
        "started_at": b.started_at.isoformat() if b.started_at else None,
        "snapshot": b.snapshot,
        "status": b.status,
        "rows_in": b.rows_in,
        "rows_loaded": b.rows_loaded,
        "rows_quarantined": b.rows_quarantined,
        "rows_new": b.rows_new,
        "rows_changed": b.rows_changed,
        "rows_unchanged": b.rows_unchanged,
        "rows_closed": b.rows_closed,
        "rows_reopened": b.rows_reopened,
        "message": b.message,
    }


def dataset_quality(
    engine: Engine, org: str, dataset: str, *, batch_id: int | None = None, trend: int = 20
) -> dict[str, Any]:
    """The data-quality report of a dataset: one batch in detail (default: the latest that
    loaded rows), its top problems with examples, and the trend over the last `trend` batches."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        organisation, ds = get_dataset(s, org, dataset)
        batches = list(
            s.scalars(
                select(IngestBatch)
                .where(IngestBatch.dataset_id == ds.id)
                .order_by(IngestBatch.id.desc())
                .limit(trend)
            )
        )
        counts = dict(
            s.execute(
                select(SourceRecord.status, func.count())
                .where(SourceRecord.dataset_id == ds.id)
                .group_by(SourceRecord.status)
            ).all()
        )
        flagged = s.scalar(
            select(func.count()).where(
                SourceRecord.dataset_id == ds.id,
                SourceRecord.status == "active",
                SourceRecord.quality_flags.is_not(None),
            )
        )
        if batch_id is not None:
            chosen = s.get(IngestBatch, batch_id)
            if chosen is None or chosen.dataset_id != ds.id:
                from joinedup.errors import NotFound

                raise NotFound(f"Batch {batch_id} is not a batch of {org}/{dataset}.")
        else:
            chosen = next((b for b in batches if b.rows_loaded), None)
        all_ids = [b.id for b in batches]
        stats_rows = s.scalars(
            select(DataQualityFieldStat)
            .where(DataQualityFieldStat.batch_id.in_(all_ids + ([chosen.id] if chosen else [])))
            .order_by(DataQualityFieldStat.id)
        )
        by_batch: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for st in stats_rows:
            by_batch[st.batch_id].append(_stat_dict(st))
        chosen_dict = _batch_dict(chosen) if chosen else None
        batch_dicts = [_batch_dict(b) for b in reversed(batches)]
        dataset_name = ds.name
        org_code = organisation.code
        ds_code = ds.code
    fields = by_batch.get(chosen_dict["id"], []) if chosen_dict else []
    problems = []
    for f in fields:
        for code, entry in (f["problems"] or {}).items():
            problems.append(
                {
                    "field": f["field"],
                    "problem": code,
                    "description": entry.get("description", describe(code)),
                    "count": entry.get("count", 0),
                    "rate": entry.get("count", 0) / f["rows"] if f["rows"] else 0.0,
                    "examples": entry.get("examples", []),
                }
            )
    problems.sort(key=lambda p: -p["count"])
    trend_rows = []
    for bd in batch_dicts:
        fs = by_batch.get(bd["id"], [])
        comp = [f["completeness"] for f in fs if f["field"] != "local_id"]
        val = [f["validity"] for f in fs if f["validity"] is not None and f["field"] != "local_id"]
        trend_rows.append(
            {
                **bd,
                "completeness": sum(comp) / len(comp) if comp else None,
                "validity": sum(val) / len(val) if val else None,
                "problems": sum(
                    e.get("count", 0) for f in fs for e in (f["problems"] or {}).values()
                ),
            }
        )
    return {
        "organisation": org_code,
        "dataset": ds_code,
        "dataset_name": dataset_name,
        "records": {
            "active": counts.get("active", 0),
            "closed": counts.get("closed", 0),
            "active_with_problems": flagged or 0,
        },
        "batch": chosen_dict,
        "fields": fields,
        "top_problems": problems[:20],
        "trend": trend_rows,
    }
