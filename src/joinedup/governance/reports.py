"""The subject report: who looked at a person's data, when, why, and under which agreement.

Producing the report is itself a read of personal data, so it is audited too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from joinedup.errors import Forbidden
from joinedup.governance import audit
from joinedup.governance.lookups import (
    EngineOrSession,
    person_by_number,
    person_ids_merged_into,
    session_scope,
    user_by_username,
)
from joinedup.store.schema.governance import UserRole
from joinedup.store.schema.identity import Person

REPORT_ROLES = ("data_owner", "partnership_admin")


@dataclass(frozen=True)
class SubjectReport:
    person_number: str
    person_numbers: tuple[str, ...]  # this number and any merged into it
    entries: tuple[audit.SubjectAccess, ...]


def subject_report(
    store: EngineOrSession, person_number: str, *, actor: str | None = None
) -> SubjectReport:
    """Every audited action on the person (and persons merged into them), oldest first.

    `actor` must be a data owner or partnership admin; None is the server operator.
    """
    with session_scope(store) as session:
        user = None
        if actor is not None:
            user = user_by_username(session, actor)
            held = set(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
            if held.isdisjoint(REPORT_ROLES):
                raise Forbidden("Only a data owner or partnership admin may run a subject report.")
        person = person_by_number(session, person_number)
        ids = person_ids_merged_into(session, person.id)
        numbers = tuple(
            session.scalars(
                select(Person.person_number).where(Person.id.in_(ids)).order_by(Person.id)
            )
        )
        entries = tuple(audit.subject_entries(session, ids))
        audit.append(
            session,
            audit.AuditEntry(
                action="audit.subject_report",
                actor=user.username if user else audit.SYSTEM_ACTOR,
                actor_user_id=user.id if user else None,
                person_id=person.id,
                object_type="person",
                object_id=str(person.id),
                details={"entries": len(entries)},
            ),
        )
        return SubjectReport(person.person_number, numbers, entries)
