"""Quarantined rows: what could not be used, kept whole with the reason, per batch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from joinedup.errors import NotFound
from joinedup.records.datasets import get_dataset
from joinedup.store import UnitOfWork
from joinedup.store.schema.records import IngestBatch, QuarantinedRow


@dataclass(frozen=True)
class QuarantinedRowInfo:
    batch_id: int
    file_name: str
    row_number: int
    local_id: str | None
    reason: str
    raw: str
    created_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["created_at"] = self.created_at.isoformat()
        return d


def list_quarantine(
    engine: Engine, org: str, dataset: str, *, batch_id: int | None = None, limit: int | None = 1000
) -> list[QuarantinedRowInfo]:
    """The quarantined rows of a dataset's latest batch (or of `batch_id`), in file order."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        _, ds = get_dataset(s, org, dataset)
        if batch_id is None:
            batch_id = s.scalar(
                select(IngestBatch.id)
                .where(IngestBatch.dataset_id == ds.id)
                .order_by(IngestBatch.id.desc())
                .limit(1)
            )
            if batch_id is None:
                return []
        batch = s.get(IngestBatch, batch_id)
        if batch is None or batch.dataset_id != ds.id:
            raise NotFound(f"Batch {batch_id} is not a batch of {org}/{dataset}.")
        query = (
            select(QuarantinedRow)
            .where(QuarantinedRow.batch_id == batch_id)
            .order_by(QuarantinedRow.row_number, QuarantinedRow.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [
            QuarantinedRowInfo(
                batch_id=q.batch_id,
                file_name=batch.file_name,
                row_number=q.row_number,
                local_id=q.local_id,
                reason=q.reason,
                raw=q.raw,
                created_at=q.created_at,
            )
            for q in s.scalars(query)
        ]
