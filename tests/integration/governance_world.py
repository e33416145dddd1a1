"""A small partnership in a real store for the governance tests: organisations, datasets,
persons with source records, users with roles. Written straight through the ORM, because
governance only refers to these by foreign key (their own services are tested elsewhere)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from joinedup.domain.person_number import draw_person_numbers
from joinedup.governance import users
from joinedup.governance.agreements import AgreementChange, approve_agreement, create_agreement
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import IngestBatch, SourceRecord
from joinedup.store.uow import UnitOfWork


def add_org(session: Session, code: str, name: str | None = None) -> Organisation:
    org = Organisation(code=code, name=name or code)
    session.add(org)
    session.flush()
    return org


def add_dataset(session: Session, org: Organisation, code: str) -> Dataset:
    ds = Dataset(organisation_id=org.id, code=code, name=f"{org.code} {code}")
    session.add(ds)
    session.flush()
    return ds


def add_person(session: Session, datasets: list[Dataset], number: str | None = None) -> Person:
    """A person with one source record in each of `datasets`."""
    number = number or draw_person_numbers(1)[0]
    person = Person(person_number=number)
    session.add(person)
    session.flush()
    for ds in datasets:
        add_record(session, ds, person, f"{number}-{ds.code}")
    return person


def add_record(session: Session, ds: Dataset, person: Person | None, local_id: str) -> SourceRecord:
    batch = IngestBatch(dataset_id=ds.id, file_name="test.csv", content_hash="0" * 64)
    session.add(batch)
    session.flush()
    record = SourceRecord(
        dataset_id=ds.id,
        local_id=local_id,
        content_hash=hashlib.sha256(local_id.encode()).hexdigest(),
        first_batch_id=batch.id,
        last_batch_id=batch.id,
        family_name="Test",
    )
    session.add(record)
    session.flush()
    if person is not None:
        session.add(PersonLink(source_record_id=record.id, person_id=person.id))
        session.flush()
    return record


@dataclass
class World:
    """CSC, SCH, NHS, EMP (one dataset each), a person known to CSC, NHS and EMP, and users:
    csc_owner (data_owner@CSC), nhs_owner (data_owner@NHS), emp_owner (data_owner@EMP),
    teacher (practitioner@SCH), nurse (practitioner@NHS), social (practitioner@CSC),
    analyst (analyst@NHS), admin (partnership_admin@CSC)."""

    engine: Engine
    orgs: dict[str, int] = field(default_factory=dict)
    datasets: dict[str, int] = field(default_factory=dict)
    person_id: int = 0
    person_number: str = ""


USERS = {
    "csc_owner": ("CSC", "data_owner"),
    "nhs_owner": ("NHS", "data_owner"),
    "emp_owner": ("EMP", "data_owner"),
    "teacher": ("SCH", "practitioner"),
    "nurse": ("NHS", "practitioner"),
    "social": ("CSC", "practitioner"),
    "analyst": ("NHS", "analyst"),
    "admin": ("CSC", "partnership_admin"),
}


def build_world(engine: Engine) -> World:
    world = World(engine)
    with UnitOfWork(engine) as uow:
        s = uow.session
        for code, ds_code in [
            ("CSC", "cases"),
            ("SCH", "roll"),
            ("NHS", "caseload"),
            ("EMP", "clients"),
        ]:
            org = add_org(s, code)
            world.orgs[code] = org.id
            world.datasets[code] = add_dataset(s, org, ds_code).id
        person = add_person(
            s, [s.get_one(Dataset, world.datasets[c]) for c in ("CSC", "NHS", "EMP")]
        )
        world.person_id, world.person_number = person.id, person.person_number
        uow.commit()
    for username, (org_code, role) in USERS.items():
        users.create_user(engine, username, username.title())
        users.grant_role(engine, username, org_code, role)
    return world


OWNERS = {"CSC": "csc_owner", "NHS": "nhs_owner", "EMP": "emp_owner"}


def make_agreement(
    engine: Engine,
    code: str,
    provider: str,
    datasets: list[str],
    *,
    orgs: tuple[str, ...] | list[str] = (),
    roles: tuple[str, ...] | list[str] = (),
    purposes: tuple[str, ...] | list[str] = ("safeguarding",),
    detail: str = "rag",
    agg: str = "person",
    basis: str = "public_task",
) -> None:
    """Draft (as the partnership admin) and approve (as the provider's data owner)."""
    create_agreement(
        engine,
        code,
        provider,
        AgreementChange(
            title=code,
            datasets=tuple(datasets),
            recipient_organisations=tuple(orgs),
            recipient_roles=tuple(roles),
            purposes=tuple(purposes),
            max_detail=detail,
            finest_aggregation=agg,
            legal_basis=basis,
            valid_from=dt.date(2024, 1, 1),
        ),
        actor="admin",
    )
    approve_agreement(engine, code, actor=OWNERS[provider])
