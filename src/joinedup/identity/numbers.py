"""Issuing and checking person numbers (`joinedup id new`, `joinedup id validate`).

Every number issued is recorded in `issued_person_numbers`, so no number is ever handed
out twice, even one reserved by hand and never given to a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from joinedup.domain.person_number import draw_person_numbers, explain_invalid
from joinedup.errors import InvalidInput
from joinedup.store.schema.identity import IssuedPersonNumber, Person
from joinedup.store.uow import transaction

MAX_AT_ONCE = 10_000


def issue_numbers(engine: Engine, count: int = 1, purpose: str = "reserved") -> list[str]:
    """Draw `count` new person numbers, record them as issued, return them."""
    if not 1 <= count <= MAX_AT_ONCE:
        raise InvalidInput(f"count must be between 1 and {MAX_AT_ONCE}")
    with transaction(engine) as session:
        issued = set(session.execute(select(IssuedPersonNumber.person_number)).scalars())
        issued |= set(session.execute(select(Person.person_number)).scalars())
        numbers = draw_person_numbers(count, exclude=issued)
        session.add_all(IssuedPersonNumber(person_number=n, purpose=purpose) for n in numbers)
    return numbers


@dataclass
class Validation:
    number: str
    valid: bool
    reason: str | None
    known: bool | None = None  # issued by this hub (None: store not consulted)


def validate_number(value: str, engine: Engine | None = None) -> Validation:
    """Whether `value` is a well-formed person number, and (with a store) whether it was
    issued here."""
    value = value.strip()
    reason = explain_invalid(value)
    result = Validation(number=value, valid=reason is None, reason=reason)
    if engine is not None and result.valid:
        with transaction(engine) as session:
            result.known = (
                session.get(IssuedPersonNumber, value) is not None
                or session.execute(select(Person.id).where(Person.person_number == value)).first()
                is not None
            )
    return result
