"""Small writes on persons shared by registration, review decisions, merge and split.

All take the caller's `Connection` (one transaction per service call) and go through
SQLAlchemy Core, so they behave the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from joinedup.domain.person_number import draw_person_number
from joinedup.store.schema.identity import (
    IdentityLock,
    IssuedPersonNumber,
    MatchConstraint,
    Person,
    PersonHistory,
    PersonLink,
)

# The batch link's writer takes the same advisory lock: a registration and a link run's
# write never interleave on PostgreSQL.
ADVISORY_LOCK = 4242001


def lock_identity(conn: Connection, name: str = "register") -> None:
    """Serialise identity writes: the first statement of the transaction is a write to
    `identity_locks` (SQLite's write lock; PostgreSQL's row lock), plus the advisory lock."""
    now = dt.datetime.now(dt.UTC)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        stmt: Any = pg_insert(IdentityLock).values(name=name, held_at=now)
    else:
        stmt = sqlite_insert(IdentityLock).values(name=name, held_at=now)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"held_at": stmt.excluded.held_at})
    )


def mint_number(conn: Connection) -> str:
    """A person number never issued before (not in `persons`, not reserved)."""
    while True:
        number = draw_person_number()
        taken = (
            conn.execute(select(Person.id).where(Person.person_number == number)).first()
            or conn.execute(
                select(IssuedPersonNumber.person_number).where(
                    IssuedPersonNumber.person_number == number
                )
            ).first()
        )
        if not taken:
            return number


def create_person(
    conn: Connection, *, status: str, reason: str, actor: str | None, other: int | None = None
) -> tuple[int, str]:
    """A new person with a fresh number and its `created` history; returns (id, number)."""
    number = mint_number(conn)
    now = dt.datetime.now(dt.UTC)
    person_id = conn.execute(
        insert(Person)
        .values(person_number=number, status=status, created_at=now)
        .returning(Person.id)
    ).scalar_one()
    history(conn, int(person_id), "created", reason=reason, actor=actor, other=other)
    return int(person_id), number


def history(
    conn: Connection,
    person_id: int,
    event: str,
    *,
    reason: str | None,
    actor: str | None,
    other: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(PersonHistory).values(
            person_id=person_id,
            event=event,
            other_person_id=other,
            reason=reason,
            actor=actor,
            details=details,
            at=dt.datetime.now(dt.UTC),
        )
    )


def link_records(
    conn: Connection, record_ids: Iterable[int], person_id: int, probability: float = 1.0
) -> None:
    """Point records at `person_id` (replacing any current link)."""
    now = dt.datetime.now(dt.UTC)
    for record_id in record_ids:
        done = conn.execute(
            update(PersonLink)
            .where(PersonLink.source_record_id == record_id)
            .values(person_id=person_id, match_probability=probability, linked_at=now)
        ).rowcount
        if not done:
            conn.execute(
                insert(PersonLink).values(
                    source_record_id=record_id,
                    person_id=person_id,
                    match_probability=probability,
                    linked_at=now,
                )
            )


def records_of(conn: Connection, person_id: int) -> list[int]:
    return [
        int(r)
        for r in conn.execute(
            select(PersonLink.source_record_id)
            .where(PersonLink.person_id == person_id)
            .order_by(PersonLink.source_record_id)
        ).scalars()
    ]


def merge_into(
    conn: Connection, loser: int, survivor: int, *, reason: str, actor: str | None
) -> None:
    """Move every record of `loser` to `survivor`; the loser's number redirects."""
    link_records(conn, records_of(conn, loser), survivor)
    conn.execute(
        update(Person).where(Person.id == loser).values(status="merged", merged_into_id=survivor)
    )
    conn.execute(
        update(Person).where(Person.merged_into_id == loser).values(merged_into_id=survivor)
    )
    history(conn, loser, "merged_into", reason=reason, actor=actor, other=survivor)
    history(conn, survivor, "absorbed", reason=reason, actor=actor, other=loser)


def person_of_record(conn: Connection, record_id: int) -> int | None:
    found = conn.execute(
        select(PersonLink.person_id).where(PersonLink.source_record_id == record_id)
    ).scalar()
    return int(found) if found is not None else None


def person_row(conn: Connection, person_id: int) -> Any:
    return conn.execute(select(Person).where(Person.id == person_id)).first()


def put_constraint(
    conn: Connection,
    record_a: int,
    record_b: int,
    kind: str,
    *,
    reason: str | None,
    actor: str | None,
    review_item_id: int | None = None,
) -> None:
    """Record (or replace) a must-link / cannot-link between two records; every later
    batch and incremental run honours it."""
    lo, hi = sorted((record_a, record_b))
    values = {
        "kind": kind,
        "reason": reason,
        "actor": actor,
        "review_item_id": review_item_id,
        "created_at": dt.datetime.now(dt.UTC),
    }
    done = conn.execute(
        update(MatchConstraint)
        .where(MatchConstraint.record_id_l == lo, MatchConstraint.record_id_r == hi)
        .values(**values)
    ).rowcount
    if not done:
        conn.execute(insert(MatchConstraint).values(record_id_l=lo, record_id_r=hi, **values))
