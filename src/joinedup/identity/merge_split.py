"""Manual merge and split of persons, each with a reason, both recorded in person history.

A merge moves every record of the second person to the first (whose number stays; the
other number redirects) and records a must-link between them; a split moves the named
records to a new person and records cannot-links between them and the records left, so
every later batch or incremental run keeps the decision.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine

from joinedup.errors import Conflict, InvalidInput
from joinedup.identity.constraints import find_record
from joinedup.identity.person_changes import (
    create_person,
    history,
    link_records,
    lock_identity,
    merge_into,
    put_constraint,
    records_of,
)
from joinedup.identity.persons import resolve
from joinedup.store.uow import transaction


@dataclass
class PersonChange:
    action: str  # merged | split
    person_number: str
    other_number: str
    records_moved: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _need_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise InvalidInput("Give a reason: it is kept in both persons' history.")
    return reason.strip()


def merge_persons(
    engine: Engine, keep: str, absorb: str, *, reason: str, actor: str | None = None
) -> PersonChange:
    """Merge person `absorb` into person `keep` (numbers; merged numbers redirect)."""
    why = _need_reason(reason)
    with transaction(engine) as session:
        conn = session.connection()
        lock_identity(conn)
        survivor, _ = resolve(session, keep.strip())
        loser, _ = resolve(session, absorb.strip())
        if survivor.id == loser.id:
            raise Conflict(
                f"{keep} and {absorb} are already one person ({survivor.person_number})."
            )
        if "retired" in (survivor.status, loser.status):
            raise Conflict("A retired person cannot be merged.")
        kept_records, moved = records_of(conn, survivor.id), records_of(conn, loser.id)
        merge_into(conn, loser.id, survivor.id, reason=f"manual merge: {why}", actor=actor)
        if kept_records and moved:
            put_constraint(
                conn,
                kept_records[0],
                moved[0],
                "must_link",
                reason=f"manual merge: {why}",
                actor=actor,
            )
        return PersonChange("merged", survivor.person_number, loser.person_number, moved)


def split_person(
    engine: Engine,
    number: str,
    records: list[str],
    *,
    reason: str,
    actor: str | None = None,
) -> PersonChange:
    """Move `records` (ORG/DATASET/LOCAL_ID or ids) of person `number` to a new person."""
    why = _need_reason(reason)
    if not records:
        raise InvalidInput("Name the records to split off.")
    with transaction(engine) as session:
        conn = session.connection()
        lock_identity(conn)
        person, _ = resolve(session, number.strip())
        current = records_of(conn, person.id)
        moving = sorted({find_record(session, ref) for ref in records})
        strangers = [r for r in moving if r not in current]
        if strangers:
            raise InvalidInput(f"Records {strangers} are not linked to {person.person_number}.")
        staying = [r for r in current if r not in moving]
        if not staying:
            raise InvalidInput("A split must leave at least one record with the person.")
        new_id, new_number = create_person(
            conn, status="active", reason=f"manual split: {why}", actor=actor, other=person.id
        )
        link_records(conn, moving, new_id)
        history(
            conn,
            new_id,
            "split_from",
            reason=f"manual split: {why}",
            actor=actor,
            other=person.id,
            details={"records": moving},
        )
        history(
            conn,
            person.id,
            "split_to",
            reason=f"manual split: {why}",
            actor=actor,
            other=new_id,
            details={"records": moving},
        )
        for moved in moving:
            for stay in staying:
                put_constraint(
                    conn, moved, stay, "cannot_link", reason=f"manual split: {why}", actor=actor
                )
        for a, b in itertools.pairwise(moving):
            put_constraint(conn, a, b, "must_link", reason=f"manual split: {why}", actor=actor)
        return PersonChange("split", person.person_number, new_number, moving)
