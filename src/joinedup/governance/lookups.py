"""Finding the things governance commands name (organisations, datasets, users, persons),
and the session handling shared by every governance service function."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joinedup.errors import InvalidInput, NotFound
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.governance import User
from joinedup.store.schema.identity import Person
from joinedup.store.uow import UnitOfWork

EngineOrSession = Engine | Session


@contextmanager
def session_scope(store: EngineOrSession) -> Iterator[Session]:
    """Use the caller's session (its transaction, no commit) or open and commit our own.

    Passing a Session lets a read path decide, read and audit in one transaction, so an
    audit entry exists exactly when the read does.
    """
    if isinstance(store, Session):
        yield store
        return
    with UnitOfWork(store) as uow:
        yield uow.session
        uow.commit()


def organisation_by_code(session: Session, code: str) -> Organisation:
    org = session.scalars(select(Organisation).where(Organisation.code == code)).one_or_none()
    if org is None:
        raise NotFound(
            f"No organisation with code {code!r}.", hint="List them with `joinedup status`."
        )
    return org


def dataset_by_code(session: Session, organisation: Organisation, code: str) -> Dataset:
    ds = session.scalars(
        select(Dataset).where(Dataset.organisation_id == organisation.id, Dataset.code == code)
    ).one_or_none()
    if ds is None:
        raise NotFound(f"Organisation {organisation.code} has no dataset {code!r}.")
    return ds


def user_by_username(session: Session, username: str, *, active_only: bool = True) -> User:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFound(f"No user {username!r}.", hint="List them with `joinedup user list`.")
    if active_only and not user.active:
        raise InvalidInput(f"User {username!r} is deactivated.")
    return user


def person_by_number(session: Session, person_number: str) -> Person:
    """The person with this number, following merges to the surviving person."""
    number = person_number.replace(" ", "").strip()
    person = session.scalars(select(Person).where(Person.person_number == number)).one_or_none()
    if person is None:
        raise NotFound(f"No person with number {number!r}.")
    seen = {person.id}
    while person.merged_into_id is not None:
        survivor = session.get(Person, person.merged_into_id)
        if survivor is None or survivor.id in seen:
            break
        seen.add(survivor.id)
        person = survivor
    return person


def person_ids_merged_into(session: Session, person_id: int) -> list[int]:
    """`person_id` and every person merged into it (directly or in a chain)."""
    found = [person_id]
    frontier = [person_id]
    while frontier:
        rows = session.scalars(select(Person.id).where(Person.merged_into_id.in_(frontier))).all()
        frontier = [r for r in rows if r not in found]
        found.extend(frontier)
    return found
