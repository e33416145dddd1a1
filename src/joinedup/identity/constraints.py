"""Manual match decisions: must-link and cannot-link between two source records.

Every later run honours them: a must-link joins the two records whatever the model says; a
cannot-link keeps them in different persons (the chaining guard cuts any cluster that would
hold both). Records are named `ORGANISATION/DATASET/LOCAL_ID` or by their record id.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joinedup.errors import InvalidInput, NotFound
from joinedup.store.base import utcnow
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.identity import MatchConstraint
from joinedup.store.schema.records import SourceRecord
from joinedup.store.uow import transaction

KINDS = ("must_link", "cannot_link")


@dataclass
class ConstraintInfo:
    id: int
    kind: str
    record_id_l: int
    record_id_r: int
    reason: str | None


def find_record(session: Session, ref: str) -> int:
    """The id of the source record named `ORG/DATASET/LOCAL_ID` (or a numeric id)."""
    ref = ref.strip()
    if ref.isdigit():
        found = session.get(SourceRecord, int(ref))
        if found is None:
            raise NotFound(f"No source record with id {ref}")
        return int(found.id)
    parts = ref.split("/", 2)
    if len(parts) != 3:
        raise InvalidInput(
            f"{ref!r} does not name a record", hint="Use ORGANISATION/DATASET/LOCAL_ID."
        )
    rid = session.execute(
        select(SourceRecord.id)
        .join(Dataset, Dataset.id == SourceRecord.dataset_id)
        .join(Organisation, Organisation.id == Dataset.organisation_id)
        .where(
            Organisation.code == parts[0],
            Dataset.code == parts[1],
            SourceRecord.local_id == parts[2],
        )
    ).scalar()
    if rid is None:
        raise NotFound(f"No source record {ref}")
    return int(rid)


def add_constraint(
    engine: Engine,
    kind: str,
    record_a: str | int,
    record_b: str | int,
    *,
    reason: str | None = None,
    actor: str | None = None,
    review_item_id: int | None = None,
) -> ConstraintInfo:
    """Record (or replace) the decision about two records; later runs honour it."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}")
    with transaction(engine) as session:
        a, b = find_record(session, str(record_a)), find_record(session, str(record_b))
        if a == b:
            raise InvalidInput("A record cannot be constrained against itself.")
        lo, hi = min(a, b), max(a, b)
        row = session.execute(
            select(MatchConstraint).where(
                MatchConstraint.record_id_l == lo, MatchConstraint.record_id_r == hi
            )
        ).scalar()
        if row is None:
            row = MatchConstraint(record_id_l=lo, record_id_r=hi)
            session.add(row)
        row.kind, row.reason, row.actor = kind, reason, actor
        # When the current decision was taken: the next incremental run re-links from it.
        row.created_at = utcnow()
        row.review_item_id = review_item_id
        session.flush()
        return ConstraintInfo(int(row.id), kind, lo, hi, reason)
