"""Online registration: one record in, a person number out, in one locked transaction.

`register(engine, record)` stores the record as a source record of its dataset, matches it
against the candidate index and then:
- links it to the best person at or above the upper threshold (`linked`);
- between the thresholds, holds it on a new *pending* person with a provisional number and
  opens a review item against each candidate in the band (`pending`);
- below, mints a new person number (`created`).
The twins rule of the batch link applies (a pair that disagrees outright on given name or
date of birth and shares no identifier is neither linked nor reviewed).

Concurrency: the transaction starts with `person_changes.lock_identity` (a write on every
backend, plus PostgreSQL's advisory lock, the one the batch link's writer takes), then
refreshes the index from the store, so a registration always sees every registration
committed before it: two registrations of one new person never mint two numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from joinedup.errors import InvalidInput, NotFound
from joinedup.identity import feature_store
from joinedup.identity.online.matcher import MatchCandidate, OnlineMatcher, _clean, matcher_for
from joinedup.identity.person_changes import create_person, history, link_records, lock_identity
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.identity import Person, PersonLink, ReviewItem
from joinedup.store.schema.records import IngestBatch, SourceRecord

ONLINE_BATCH_FILE = "online registrations"
RECORD_FIELDS = (
    "given_name",
    "middle_names",
    "family_name",
    "previous_family_names",
    "date_of_birth",
    "sex",
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "address_line_4",
    "postcode",
    "nhs_number",
    "upn",
    "uln",
    "ni_number",
    "email",
    "phone",
)
WHERE_FIELDS = ("organisation", "dataset", "local_id")


@dataclass
class Registration:
    """What `register` did: linked | pending | created | existing."""

    outcome: str
    person_number: str
    person_id: int
    record_id: int
    match_probability: float | None = None
    review_item_ids: list[int] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _split(record: Mapping[str, Any]) -> tuple[tuple[str, str, str], dict[str, Any]]:
    missing = [k for k in WHERE_FIELDS if not record.get(k)]
    if missing:
        raise InvalidInput(
            f"A registration needs {', '.join(WHERE_FIELDS)}; missing: {', '.join(missing)}."
        )
    unknown = set(record) - set(RECORD_FIELDS) - set(WHERE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    fields = _clean({k: record.get(k) for k in RECORD_FIELDS})
    if not (fields.get("given_name") or fields.get("family_name")):
        raise InvalidInput("A registration needs at least a given or a family name.")
    where = (str(record["organisation"]), str(record["dataset"]), str(record["local_id"]))
    return where, fields


def _dataset_and_batch(conn: Connection, organisation: str, dataset: str) -> tuple[int, int]:
    ds_id = conn.execute(
        select(Dataset.id)
        .join(Organisation, Organisation.id == Dataset.organisation_id)
        .where(Organisation.code == organisation, Dataset.code == dataset)
    ).scalar()
    if ds_id is None:
        raise NotFound(f"No dataset {organisation}/{dataset}")
    batch_id = conn.execute(
        select(IngestBatch.id).where(
            IngestBatch.dataset_id == ds_id, IngestBatch.file_name == ONLINE_BATCH_FILE
        )
    ).scalar()
    if batch_id is None:
        batch_id = conn.execute(
            insert(IngestBatch)
            .values(
                dataset_id=ds_id,
                file_name=ONLINE_BATCH_FILE,
                content_hash=hashlib.sha256(ONLINE_BATCH_FILE.encode()).hexdigest(),
                snapshot="delta",
                status="done",
                started_at=dt.datetime.now(dt.UTC),
            )
            .returning(IngestBatch.id)
        ).scalar_one()
    return int(ds_id), int(batch_id)


def _existing(conn: Connection, ds_id: int, local_id: str) -> Registration | None:
    row = conn.execute(
        select(SourceRecord.id, Person.id, Person.person_number)
        .outerjoin(PersonLink, PersonLink.source_record_id == SourceRecord.id)
        .outerjoin(Person, Person.id == PersonLink.person_id)
        .where(SourceRecord.dataset_id == ds_id, SourceRecord.local_id == local_id)
    ).first()
    if row is None:
        return None
    if row[1] is None:
        raise InvalidInput(
            f"Record {local_id} is already in this dataset but not yet linked.",
            hint="Run joinedup link run first.",
        )
    return Registration("existing", str(row[2]), int(row[1]), int(row[0]))


def _insert_record(
    conn: Connection, ds_id: int, batch_id: int, local_id: str, fields: dict[str, Any]
) -> int:
    values = dict(fields)
    if values.get("date_of_birth"):
        values["date_of_birth"] = dt.date.fromisoformat(str(values["date_of_birth"])[:10])
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()
    return int(
        conn.execute(
            insert(SourceRecord)
            .values(
                dataset_id=ds_id,
                local_id=local_id,
                status="active",
                version=1,
                content_hash=digest,
                first_batch_id=batch_id,
                last_batch_id=batch_id,
                updated_at=dt.datetime.now(dt.UTC),
                **values,
            )
            .returning(SourceRecord.id)
        ).scalar_one()
    )


def _review_item(conn: Connection, record_id: int, candidate: MatchCandidate, reason: str) -> int:
    lo, hi = sorted((record_id, candidate.record_id))
    now = dt.datetime.now(dt.UTC)
    return int(
        conn.execute(
            insert(ReviewItem)
            .values(
                kind="pair",
                record_id_l=lo,
                record_id_r=hi,
                match_probability=candidate.match_probability,
                match_weight=candidate.match_weight,
                details={"contributions": list(candidate.contributions), "reason": reason},
                status="open",
                created_at=now,
                updated_at=now,
            )
            .returning(ReviewItem.id)
        ).scalar_one()
    )


def register(
    engine: Engine,
    record: Mapping[str, Any],
    *,
    actor: str | None = None,
    matcher: OnlineMatcher | None = None,
) -> Registration:
    """Register one record (core format plus organisation, dataset, local_id)."""
    (org, ds, local_id), fields = _split(record)
    online = matcher or matcher_for(engine)
    with engine.begin() as conn:
        lock_identity(conn)
        ds_id, batch_id = _dataset_and_batch(conn, org, ds)
        existing = _existing(conn, ds_id, local_id)
        if existing is not None:
            return existing
        # Under the lock: everything committed before us is in the index after this.
        online.refresh(engine)
        result = online.match(fields)
        record_id = _insert_record(conn, ds_id, batch_id, local_id, fields)
        # The stored candidate index (incremental runs) learns the record in the same commit.
        feature_store.write_rows(conn, [online.features({**fields, "unique_id": record_id})])
        limits = online.thresholds
        allowed = [c for c in result.candidates if c.auto_link_allowed and c.person_id > 0]
        reg: Registration
        if result.decision == "link":
            best = allowed[0]
            link_records(conn, [record_id], best.person_id, best.match_probability)
            number = str(
                conn.execute(
                    select(Person.person_number).where(Person.id == best.person_id)
                ).scalar_one()
            )
            reg = Registration("linked", number, best.person_id, record_id, best.match_probability)
        elif result.decision == "review":
            person_id, number = create_person(
                conn,
                status="pending",
                reason="online registration: possible match held for review",
                actor=actor,
            )
            link_records(conn, [record_id], person_id)
            band = [c for c in allowed if c.match_probability >= limits.lower]
            items = [
                _review_item(conn, record_id, c, "online registration in the review band")
                for c in band
            ]
            reg = Registration(
                "pending", number, person_id, record_id, band[0].match_probability, items
            )
        else:
            person_id, number = create_person(
                conn, status="active", reason="online registration: no match", actor=actor
            )
            link_records(conn, [record_id], person_id)
            reg = Registration("created", number, person_id, record_id)
        if reg.outcome == "linked":
            history(
                conn,
                reg.person_id,
                "record_added",
                reason="online registration",
                actor=actor,
                details={"record_id": record_id, "match_probability": reg.match_probability},
            )
        reg.candidates = [c.as_dict() for c in result.candidates]
    # Committed: the index learns the record now (other processes on their next refresh).
    online.add_record(record_id, fields, reg.person_id)
    with online.lock:
        online.state.number_of[reg.person_id] = reg.person_number
        online.state.status_of.setdefault(
            reg.person_id, "pending" if reg.outcome == "pending" else "active"
        )
    return reg
