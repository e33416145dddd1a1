"""The consent register: a person's permits and refusals, who recorded them, on what
evidence, for which recipient and purpose, and their withdrawal.

An entry is about a person (all their records) or about one source record (that record's
dataset only). Recipient `None` means any recipient, purpose `None` any purpose. Entries are
never deleted: withdrawing one records who withdrew it, when and why. How entries weigh in a
decision is the policy's business (`joinedup.domain.policy`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from joinedup.domain.policy import CONSENT_DECISIONS, PURPOSES, ConsentEntry
from joinedup.errors import Conflict, Forbidden, InvalidInput, NotFound
from joinedup.governance import audit
from joinedup.governance.lookups import (
    EngineOrSession,
    organisation_by_code,
    person_by_number,
    person_ids_merged_into,
    session_scope,
    user_by_username,
)
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.governance import Consent, User, UserRole
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import SourceRecord


@dataclass(frozen=True)
class RecordRef:
    """A source record named the way partners know it: organisation, dataset, local id."""

    organisation: str
    dataset: str
    local_id: str

    @classmethod
    def parse(cls, text: str) -> RecordRef:
        parts = text.split("/", 2)
        if len(parts) != 3 or not all(parts):
            raise InvalidInput(f"Name a record as ORG/DATASET/LOCAL_ID, not {text!r}.")
        return cls(*parts)


@dataclass(frozen=True)
class ConsentView:
    id: int
    decision: str
    subject: str  # "person 1234567890" or "record ORG/DATASET/LOCAL_ID"
    recipient: str  # organisation code or "any"
    purpose: str  # purpose or "any"
    evidence: str | None
    recorded_by: str
    recorded_at: dt.datetime
    valid_from: dt.date | None
    valid_to: dt.date | None
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str | None

    @property
    def status(self) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        today = dt.datetime.now(dt.UTC).date()
        if self.valid_to is not None and self.valid_to < today:
            return "expired"
        if self.valid_from is not None and self.valid_from > today:
            return "future"
        return "current"


def _record(session: Session, ref: RecordRef) -> SourceRecord:
    org = organisation_by_code(session, ref.organisation)
    found = session.scalars(
        select(SourceRecord)
        .join(Dataset, Dataset.id == SourceRecord.dataset_id)
        .where(
            Dataset.organisation_id == org.id,
            Dataset.code == ref.dataset,
            SourceRecord.local_id == ref.local_id,
        )
    ).one_or_none()
    if found is None:
        raise NotFound(f"No record {ref.organisation}/{ref.dataset}/{ref.local_id}.")
    return found


def _recorder(session: Session, actor: str) -> User:
    user = user_by_username(session, actor)
    if not session.scalars(select(UserRole.id).where(UserRole.user_id == user.id)).first():
        raise Forbidden(f"{actor!r} holds no role at any organisation and may not record consent.")
    return user


def record_consent(
    store: EngineOrSession,
    decision: str,
    *,
    actor: str,
    person_number: str | None = None,
    record: RecordRef | None = None,
    recipient: str | None = None,
    purpose: str | None = None,
    evidence: str | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> int:
    """Record a permit or a refusal; returns its id. `recipient`/`purpose` None = any."""
    if decision not in CONSENT_DECISIONS:
        raise InvalidInput(f"A consent decision is permit or deny, not {decision!r}.")
    if (person_number is None) == (record is None):
        raise InvalidInput("Record consent for a person number or for one record, not both.")
    if purpose is not None and purpose not in PURPOSES:
        raise InvalidInput(f"Unknown purpose {purpose!r}; purposes are {', '.join(PURPOSES)}.")
    if valid_from and valid_to and valid_to < valid_from:
        raise InvalidInput("The consent ends before it starts.")
    with session_scope(store) as session:
        user = _recorder(session, actor)
        person_id: int | None = None
        record_id: int | None = None
        audit_person: int | None = None
        if person_number is not None:
            person_id = person_by_number(session, person_number).id
        else:
            assert record is not None
            source = _record(session, record)
            record_id = source.id
            link = session.get(PersonLink, source.id)
            audit_person = link.person_id if link else None
        org_id = organisation_by_code(session, recipient).id if recipient else None
        row = Consent(
            person_id=person_id,
            source_record_id=record_id,
            recipient_organisation_id=org_id,
            purpose=purpose,
            decision=decision,
            evidence=evidence,
            recorded_by_user_id=user.id,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        session.add(row)
        session.flush()
        audit.append(
            session,
            audit.AuditEntry(
                action="consent.record",
                actor=user.username,
                actor_user_id=user.id,
                purpose=purpose,
                person_id=person_id if person_id is not None else audit_person,
                object_type="consent",
                object_id=str(row.id),
                decision=decision,
                details={"recipient": recipient or "any", "source_record_id": record_id},
            ),
        )
        return row.id


def withdraw_consent(store: EngineOrSession, consent_id: int, *, actor: str, reason: str) -> None:
    """Withdraw a permit or refusal (it stays on the register, marked withdrawn)."""
    if not reason.strip():
        raise InvalidInput("Say why the consent entry is withdrawn.")
    with session_scope(store) as session:
        user = _recorder(session, actor)
        row = session.get(Consent, consent_id)
        if row is None:
            raise NotFound(f"No consent entry {consent_id}.")
        if row.withdrawn_at is not None:
            raise Conflict(f"Consent entry {consent_id} was already withdrawn.")
        row.withdrawn_at = dt.datetime.now(dt.UTC)
        row.withdrawn_by_user_id = user.id
        row.withdrawal_reason = reason
        person_id = row.person_id
        if person_id is None and row.source_record_id is not None:
            link = session.get(PersonLink, row.source_record_id)
            person_id = link.person_id if link else None
        audit.append(
            session,
            audit.AuditEntry(
                action="consent.withdraw",
                actor=user.username,
                actor_user_id=user.id,
                purpose=row.purpose,
                person_id=person_id,
                object_type="consent",
                object_id=str(row.id),
                decision=row.decision,
                details={"reason": reason},
            ),
        )


def person_record_ids(session: Session, person_ids: Sequence[int]) -> list[int]:
    return list(
        session.scalars(
            select(PersonLink.source_record_id).where(PersonLink.person_id.in_(person_ids))
        )
    )


def _rows(session: Session, person_ids: Sequence[int], record_ids: Sequence[int]) -> list[Consent]:
    return list(
        session.scalars(
            select(Consent)
            .where(or_(Consent.person_id.in_(person_ids), Consent.source_record_id.in_(record_ids)))
            .order_by(Consent.id)
        )
    )


def load_consents(
    session: Session, person_ids: Sequence[int], record_ids: Sequence[int]
) -> list[ConsentEntry]:
    """The person's register entries as the policy needs them (record entries narrowed to
    their record's dataset)."""
    rows = _rows(session, person_ids, record_ids)
    record_dataset = dict(
        session.execute(
            select(SourceRecord.id, SourceRecord.dataset_id).where(
                SourceRecord.id.in_([r.source_record_id for r in rows if r.source_record_id])
            )
        ).all()
    )
    return [
        ConsentEntry(
            decision=r.decision,
            recipient_organisation_id=r.recipient_organisation_id,
            purpose=r.purpose,
            dataset_id=record_dataset.get(r.source_record_id) if r.source_record_id else None,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
            withdrawn=r.withdrawn_at is not None,
            consent_id=r.id,
        )
        for r in rows
    ]


def list_consents(store: EngineOrSession, person_number: str) -> list[ConsentView]:
    """The register for one person, including entries about any of their records."""
    with session_scope(store) as session:
        person = person_by_number(session, person_number)
        person_ids = person_ids_merged_into(session, person.id)
        rows = _rows(session, person_ids, person_record_ids(session, person_ids))
        out = []
        for r in rows:
            if r.person_id is not None:
                subject = f"person {session.get_one(Person, r.person_id).person_number}"
            else:
                rec = session.get_one(SourceRecord, r.source_record_id)
                ds = session.get_one(Dataset, rec.dataset_id)
                org = session.get_one(Organisation, ds.organisation_id)
                subject = f"record {org.code}/{ds.code}/{rec.local_id}"
            recipient = (
                session.get_one(Organisation, r.recipient_organisation_id).code
                if r.recipient_organisation_id
                else "any"
            )
            out.append(
                ConsentView(
                    id=r.id,
                    decision=r.decision,
                    subject=subject,
                    recipient=recipient,
                    purpose=r.purpose or "any",
                    evidence=r.evidence,
                    recorded_by=session.get_one(User, r.recorded_by_user_id).username,
                    recorded_at=r.recorded_at,
                    valid_from=r.valid_from,
                    valid_to=r.valid_to,
                    withdrawn_at=r.withdrawn_at,
                    withdrawal_reason=r.withdrawal_reason,
                )
            )
        return out
