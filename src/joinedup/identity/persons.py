"""Looking up a person by number: redirects, current records, and history."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased

from joinedup.domain.person_number import explain_invalid
from joinedup.errors import InvalidInput, NotFound
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.identity import Person, PersonHistory, PersonLink
from joinedup.store.schema.records import SourceRecord
from joinedup.store.uow import transaction

MAX_REDIRECTS = 100


@dataclass
class PersonView:
    number: str
    status: str
    redirected_from: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve(session: Session, number: str) -> tuple[Person, str | None]:
    """The person a number stands for now, following merge redirects."""
    reason = explain_invalid(number)
    if reason:
        raise InvalidInput(f"{number!r} is not a person number: {reason}")
    person = session.execute(select(Person).where(Person.person_number == number)).scalar()
    if person is None:
        raise NotFound(f"No person has the number {number}")
    start = person
    for _ in range(MAX_REDIRECTS):
        if person.status != "merged" or person.merged_into_id is None:
            break
        person = session.get_one(Person, person.merged_into_id)
    return person, (start.person_number if person is not start else None)


def _history(session: Session, person_id: int) -> list[dict[str, Any]]:
    other = aliased(Person)
    rows = session.execute(
        select(PersonHistory, other.person_number)
        .outerjoin(other, other.id == PersonHistory.other_person_id)
        .where(PersonHistory.person_id == person_id)
        .order_by(PersonHistory.at, PersonHistory.id)
    ).all()
    return [
        {
            "at": h.at.isoformat(),
            "event": h.event,
            "other_person": other_number,
            "run_id": h.run_id,
            "reason": h.reason,
            "actor": h.actor,
        }
        for h, other_number in rows
    ]


def show_person(engine: Engine, number: str) -> PersonView:
    """A person's number, status, linked records and history (merged numbers redirect)."""
    with transaction(engine) as session:
        person, redirected_from = resolve(session, number.strip())
        rows = session.execute(
            select(
                Organisation.code,
                Dataset.code,
                SourceRecord.local_id,
                SourceRecord.given_name,
                SourceRecord.family_name,
                SourceRecord.date_of_birth,
                PersonLink.match_probability,
            )
            .join(SourceRecord, SourceRecord.id == PersonLink.source_record_id)
            .join(Dataset, Dataset.id == SourceRecord.dataset_id)
            .join(Organisation, Organisation.id == Dataset.organisation_id)
            .where(PersonLink.person_id == person.id)
            .order_by(Organisation.code, Dataset.code, SourceRecord.local_id)
        ).all()
        return PersonView(
            number=person.person_number,
            status=person.status,
            redirected_from=redirected_from,
            records=[
                {
                    "organisation": r[0],
                    "dataset": r[1],
                    "local_id": r[2],
                    "given_name": r[3],
                    "family_name": r[4],
                    "date_of_birth": r[5].isoformat() if r[5] else None,
                    "match_probability": round(float(r[6]), 6),
                }
                for r in rows
            ],
            history=_history(session, person.id),
        )


def person_history(engine: Engine, number: str) -> list[dict[str, Any]]:
    """The history of exactly this number (no redirect: a merged number's own story)."""
    with transaction(engine) as session:
        reason = explain_invalid(number.strip())
        if reason:
            raise InvalidInput(f"{number!r} is not a person number: {reason}")
        person = session.execute(
            select(Person).where(Person.person_number == number.strip())
        ).scalar()
        if person is None:
            raise NotFound(f"No person has the number {number}")
        return _history(session, person.id)
