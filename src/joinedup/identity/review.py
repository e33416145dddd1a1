"""The clerical review queue: uncertain pairs put in front of a person, and their decisions.

Items come from the batch link (pairs in the review band, links the chaining guard cut) and
from online registrations held as pending. Each shows both records side by side with the
model's probability and the per-comparison weights. Decisions:
- `same`: a must-link, and the two persons are merged at once (an active person keeps its
  number over a pending one, else the older one);
- `different`: a cannot-link; if the two records are in one person, the right-hand record
  is split off at once; a pending person with no open item left becomes active;
- `unsure`: the note is kept and the item stays open (later in the queue).
Constraints are what every later batch and incremental run honours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.orm import Session

from joinedup.errors import Conflict, InvalidInput, NotFound
from joinedup.identity.person_changes import (
    create_person,
    history,
    link_records,
    lock_identity,
    merge_into,
    person_of_record,
    put_constraint,
)
from joinedup.identity.record_source import LINKAGE_COLUMNS
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.identity import Person, PersonLink, ReviewItem
from joinedup.store.schema.records import SourceRecord
from joinedup.store.uow import transaction

DECISIONS = ("same", "different", "unsure")
# A reviewer sees side by side exactly the fields the model compares.
SHOWN_FIELDS = LINKAGE_COLUMNS


@dataclass
class ReviewView:
    """One item: both records side by side, the probability and the explanation."""

    id: int
    kind: str
    status: str
    match_probability: float
    match_weight: float
    left: dict[str, Any]
    right: dict[str, Any]
    contributions: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    decision: str | None = None
    note: str | None = None
    decided_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _record(session: Session, record_id: int) -> dict[str, Any]:
    row = session.execute(
        select(SourceRecord, Organisation.code, Dataset.code, Person.person_number, Person.status)
        .join(Dataset, Dataset.id == SourceRecord.dataset_id)
        .join(Organisation, Organisation.id == Dataset.organisation_id)
        .outerjoin(PersonLink, PersonLink.source_record_id == SourceRecord.id)
        .outerjoin(Person, Person.id == PersonLink.person_id)
        .where(SourceRecord.id == record_id)
    ).first()
    if row is None:
        raise NotFound(f"No source record {record_id}")
    rec = row[0]
    out: dict[str, Any] = {
        "record_id": record_id,
        "record": f"{row[1]}/{row[2]}/{rec.local_id}",
        "person_number": row[3],
        "person_status": row[4],
    }
    for name in SHOWN_FIELDS:
        value = getattr(rec, name)
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _explain(session: Session, left: int, right: int) -> list[dict[str, Any]]:
    """Per-comparison weights from the online matcher (the batch's arithmetic) for items
    stored without them (links the chaining guard cut)."""
    from joinedup.identity.online.matcher import _contributions, matcher_for

    engine = session.get_bind()
    matcher = matcher_for(engine, max_age=0.0)  # type: ignore[arg-type]
    if left not in matcher.index or right not in matcher.index:
        return []
    return list(_contributions(matcher.score_records(left, right)))


def _view(session: Session, item: ReviewItem) -> ReviewView:
    details = item.details or {}
    contributions = list(details.get("contributions") or []) or _explain(
        session, int(item.record_id_l), int(item.record_id_r)
    )
    return ReviewView(
        id=int(item.id),
        kind=item.kind,
        status=item.status,
        match_probability=float(item.match_probability),
        match_weight=float(item.match_weight),
        left=_record(session, item.record_id_l),
        right=_record(session, item.record_id_r),
        contributions=contributions,
        reason=details.get("reason"),
        decision=item.decision,
        note=item.note,
        decided_by=item.decided_by,
    )


def list_items(engine: Engine, status: str = "open", limit: int = 50) -> list[ReviewView]:
    """Items of `status` (open, decided, superseded), in queue order."""
    if status not in ("open", "decided", "superseded"):
        raise InvalidInput("status is open, decided or superseded")
    with transaction(engine) as session:
        items = session.execute(
            select(ReviewItem)
            .where(ReviewItem.status == status)
            .order_by(
                ReviewItem.decision.is_not(None),
                ReviewItem.match_probability.desc(),
                ReviewItem.id,
            )
            .limit(max(1, min(limit, 1000)))
        ).scalars()
        return [_view(session, i) for i in items]


def next_item(engine: Engine) -> ReviewView | None:
    """The next open item: undecided before unsure, most probable first."""
    found = list_items(engine, "open", 1)
    return found[0] if found else None


def show_item(engine: Engine, item_id: int) -> ReviewView:
    with transaction(engine) as session:
        item = session.get(ReviewItem, item_id)
        if item is None:
            raise NotFound(f"No review item {item_id}")
        return _view(session, item)


def _survivor(conn: Connection, a: int, b: int) -> tuple[int, int]:
    status = {
        int(pid): str(st)
        for pid, st in conn.execute(
            select(Person.id, Person.status).where(Person.id.in_((a, b)))
        ).all()
    }
    # Active before pending, then the older person: (survivor, loser).
    ranked = sorted((a, b), key=lambda p: (status.get(p) != "active", p))
    return ranked[0], ranked[1]


def _confirm_pending(conn: Connection, person_id: int | None, actor: str | None) -> None:
    """A pending person with no open review item left is a new person after all."""
    if person_id is None:
        return
    status = conn.execute(select(Person.status).where(Person.id == person_id)).scalar()
    if status != "pending":
        return
    records = select(PersonLink.source_record_id).where(PersonLink.person_id == person_id)
    still_open = conn.execute(
        select(func.count())
        .select_from(ReviewItem)
        .where(
            ReviewItem.status == "open",
            (ReviewItem.record_id_l.in_(records)) | (ReviewItem.record_id_r.in_(records)),
        )
    ).scalar()
    if not still_open:
        conn.execute(update(Person).where(Person.id == person_id).values(status="active"))
        history(
            conn,
            person_id,
            "confirmed",
            reason="review: not the same as any candidate",
            actor=actor,
        )


def decide(
    engine: Engine,
    item_id: int,
    decision: str,
    *,
    note: str | None = None,
    actor: str | None = None,
) -> ReviewView:
    """Record a decision on an open item and update the persons at once."""
    if decision not in DECISIONS:
        raise InvalidInput(f"decision is one of {', '.join(DECISIONS)}")
    if decision == "unsure" and not (note and note.strip()):
        raise InvalidInput("Say why you are unsure (--note): the next reviewer reads it.")
    with transaction(engine) as session:
        conn = session.connection()
        lock_identity(conn)
        item = session.get(ReviewItem, item_id)
        if item is None:
            raise NotFound(f"No review item {item_id}")
        if item.status != "open":
            raise Conflict(f"Review item {item_id} is {item.status}, not open.")
        now = dt.datetime.now(dt.UTC)
        item.decision, item.note, item.decided_by = decision, note, actor
        item.decided_at, item.updated_at = now, now
        left, right = int(item.record_id_l), int(item.record_id_r)
        why = f"review item {item_id}: " + (note or decision)
        if decision != "unsure":
            item.status = "decided"
            kind = "must_link" if decision == "same" else "cannot_link"
            session.flush()
            put_constraint(conn, left, right, kind, reason=why, actor=actor, review_item_id=item_id)
            pl, pr = person_of_record(conn, left), person_of_record(conn, right)
            if decision == "same" and pl is not None and pr is not None and pl != pr:
                survivor, loser = _survivor(conn, pl, pr)
                merge_into(conn, loser, survivor, reason=f"same person ({why})", actor=actor)
            elif decision == "different" and pl is not None and pl == pr:
                new_id, _ = create_person(
                    conn, status="active", reason=f"split ({why})", actor=actor, other=pl
                )
                link_records(conn, [right], new_id)
                history(conn, new_id, "split_from", reason=why, actor=actor, other=pl)
                history(conn, pl, "split_to", reason=why, actor=actor, other=new_id)
            elif decision == "different":
                session.flush()
                _confirm_pending(conn, pl, actor)
                _confirm_pending(conn, pr, actor)
        session.flush()
        return _view(session, item)
