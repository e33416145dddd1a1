"""Seeding helpers for the known-to view and API tests: a small partnership whose sharing
rules give each requester a different view of one child.

Organisations, users, roles, tokens and agreements go through the governance services (as an
admin would set them up); persons and source records are written straight to the store
(the ingest and link services are tested elsewhere, and the e2e tests use them over HTTP).

The child, Amy Example, is known to CSC (children's social care), SCH (her school), NHS (a
community health service) and HSG (housing). EMP (employment support) does not know her.

| requester (role@org)  | CSC            | SCH           | NHS            | HSG                |
|-----------------------|----------------|---------------|----------------|--------------------|
| social (practitioner@CSC) | own: full  | known_to      | coded          | not shared         |
| teacher (practitioner@SCH)| rag        | own: full     | not shared     | consent required   |
| nurse (practitioner@NHS)  | refused    | not shared    | own: full      | not shared         |
| adviser (practitioner@EMP)| not shared | not shared    | not shared     | not shared         |

All for the purpose `safeguarding`; analyst@NHS may not use the view at all (403).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from joinedup.domain.person_number import draw_person_numbers
from joinedup.governance import agreements, consent, tokens, users
from joinedup.records.datasets import add_dataset
from joinedup.records.organisations import add_organisation
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import IngestBatch, SourceRecord
from joinedup.store.uow import transaction

ORGANISATIONS = {
    "CSC": ("Northshire Children's Services", "cases"),
    "SCH": ("Riverside Primary School", "roll"),
    "NHS": ("Northshire Community Health", "caseload"),
    "HSG": ("Northshire Homes", "tenancies"),
    "EMP": ("Northshire Works", "clients"),
}

# username -> (organisation, role)
USERS = {
    "social": ("CSC", "practitioner"),
    "teacher": ("SCH", "practitioner"),
    "nurse": ("NHS", "practitioner"),
    "adviser": ("EMP", "practitioner"),
    "analyst": ("NHS", "analyst"),
    "csc_owner": ("CSC", "data_owner"),
    "sch_owner": ("SCH", "data_owner"),
    "nhs_owner": ("NHS", "data_owner"),
    "hsg_owner": ("HSG", "data_owner"),
    "emp_owner": ("EMP", "data_owner"),
    "linker": ("CSC", "linkage_officer"),
    "admin": ("CSC", "partnership_admin"),
}

# code -> (provider, recipient organisation, max detail, legal basis)
AGREEMENTS = {
    "CSC-SCH": ("CSC", "SCH", "rag", "public_task"),
    "NHS-CSC": ("NHS", "CSC", "coded", "public_task"),
    "SCH-CSC": ("SCH", "CSC", "known_to", "public_task"),
    "CSC-NHS": ("CSC", "NHS", "known_to", "public_task"),
    "HSG-SCH": ("HSG", "SCH", "known_to", "consent"),
}

PERSON = {
    "given_name": "Amy",
    "family_name": "Example",
    "date_of_birth": dt.date(2012, 3, 4),
    "sex": "female",
    "address_line_1": "1 High Street",
    "address_line_2": "Northtown",
    "postcode": "LS1 4AP",
    "nhs_number": "9434765919",
}

# Amy's involvement with each provider: the typed columns of her source record there.
INVOLVEMENTS: dict[str, dict[str, Any]] = {
    "CSC": {
        "service": "Children's social care",
        "involvement_type": "child_protection",
        "start_date": dt.date(2023, 4, 12),
        "episode_status": "open",
        "rag": "red",
        "lead_practitioner": "Sam Social",
        "lead_contact": "sam.social@csc.example, 01632 960001",
        "reason_codes": ["N1", "neglect"],
        "outcome_codes": ["CP-PLAN"],
        "note": "Home visit 3 May: concerns about supervision.",
        "upn": "A807825582632",
    },
    "SCH": {
        "service": "Riverside Primary",
        "involvement_type": "enrolment",
        "start_date": dt.date(2019, 9, 4),
        "episode_status": "open",
        "rag": "amber",
        "lead_practitioner": "Tess Teacher",
        "lead_contact": "office@riverside.example",
        "reason_codes": ["ATT-LOW"],
        "note": "Attendance 86% this term.",
    },
    "NHS": {
        "service": "School nursing",
        "involvement_type": "episode",
        "start_date": dt.date(2024, 1, 10),
        "end_date": dt.date(2024, 6, 30),
        "episode_status": "closed",
        "rag": "green",
        "lead_practitioner": "Nina Nurse",
        "lead_contact": "school.nursing@nhs.example",
        "reason_codes": ["R45.8"],
        "outcome_codes": ["DISCHARGED"],
        "note": "Growth monitoring; no further action.",
    },
    "HSG": {
        "service": "Tenancy services",
        "involvement_type": "tenancy",
        "start_date": dt.date(2020, 2, 1),
        "episode_status": "open",
        "lead_practitioner": "Harry Housing",
        "lead_contact": "tenancy@homes.example",
    },
}


@dataclass
class Partnership:
    engine: Engine
    orgs: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    person_id: int = 0
    person_number: str = ""
    merged_number: str = ""  # an older number of Amy's, merged into person_number
    other_number: str = ""  # a person known only to EMP

    def auth(self, username: str) -> dict[str, str]:
        """The Authorization header of `username`'s API token."""
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def add_organisations(engine: Engine, orgs: dict[str, tuple[str, str]]) -> dict[str, int]:
    """Organisations and one dataset each (no mapping: their files are in the core format),
    through the records services."""
    out = {}
    for code, (name, ds_code) in orgs.items():
        out[code] = add_organisation(engine, code, name, kind="test").id
        add_dataset(engine, code, ds_code, name=f"{name} {ds_code}")
    return out


def add_users(store: Engine | Session, who: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Users with one role each, and an API token each; returns username -> secret."""
    secrets = {}
    for username, (org, role) in who.items():
        users.create_user(store, username, username.replace("_", " ").title())
        users.grant_role(store, username, org, role)
        secrets[username] = tokens.create_token(
            store, username, org, "tests", actor=username
        ).secret
    return secrets


def add_agreements(store: Engine | Session, which: dict[str, tuple[str, str, str, str]]) -> None:
    for code, (provider, recipient, detail, basis) in which.items():
        owner = f"{provider.lower()}_owner"
        agreements.create_agreement(
            store,
            code,
            provider,
            agreements.AgreementChange(
                title=f"{provider} to {recipient}",
                datasets=(ORGANISATIONS[provider][1],),
                recipient_organisations=(recipient,),
                purposes=("safeguarding", "education_support", "care_coordination"),
                max_detail=detail,
                finest_aggregation="person",
                legal_basis=basis,
                valid_from=dt.date(2020, 1, 1),
            ),
            actor=owner,
        )
        agreements.approve_agreement(store, code, actor=owner)


def add_person_records(
    engine: Engine,
    records: dict[str, dict[str, Any]],
    person: dict[str, Any],
    number: str | None = None,
) -> tuple[int, str]:
    """A person with one source record per organisation in `records` (org code -> the
    record's own columns, merged over the shared `person` demographics)."""
    number = number or draw_person_numbers(1)[0]
    with transaction(engine) as session:
        row = Person(person_number=number)
        session.add(row)
        session.flush()
        for org_code, own in records.items():
            ds = (
                session.query(Dataset)
                .join(Organisation, Organisation.id == Dataset.organisation_id)
                .filter(Organisation.code == org_code)
                .one()
            )
            batch = IngestBatch(dataset_id=ds.id, file_name="seed.csv", content_hash="0" * 64)
            session.add(batch)
            session.flush()
            local_id = f"{org_code}-{number}"
            record = SourceRecord(
                dataset_id=ds.id,
                local_id=local_id,
                content_hash=hashlib.sha256(local_id.encode()).hexdigest(),
                first_batch_id=batch.id,
                last_batch_id=batch.id,
                **{**person, **own},
            )
            session.add(record)
            session.flush()
            session.add(PersonLink(source_record_id=record.id, person_id=row.id))
        return row.id, number


def add_record_for(
    engine: Engine, org_code: str, person_number: str, local_id: str, fields: dict[str, Any]
) -> None:
    """One more record in `org_code`'s dataset, linked to exactly this person number (no
    redirect: a record still linked to a merged number)."""
    with transaction(engine) as session:
        person = session.query(Person).filter(Person.person_number == person_number).one()
        ds = (
            session.query(Dataset)
            .join(Organisation, Organisation.id == Dataset.organisation_id)
            .filter(Organisation.code == org_code)
            .one()
        )
        batch = IngestBatch(dataset_id=ds.id, file_name="seed.csv", content_hash="0" * 64)
        session.add(batch)
        session.flush()
        record = SourceRecord(
            dataset_id=ds.id,
            local_id=local_id,
            content_hash=hashlib.sha256(local_id.encode()).hexdigest(),
            first_batch_id=batch.id,
            last_batch_id=batch.id,
            **fields,
        )
        session.add(record)
        session.flush()
        session.add(PersonLink(source_record_id=record.id, person_id=person.id))


def add_merged_number(engine: Engine, survivor_id: int) -> str:
    """An older person number merged into `survivor_id` (it now redirects there)."""
    number = draw_person_numbers(1)[0]
    with transaction(engine) as session:
        session.add(Person(person_number=number, status="merged", merged_into_id=survivor_id))
    return number


def build_partnership(engine: Engine, *, people: bool = True) -> Partnership:
    """The partnership of the module docstring, ready for the known-to view.

    `people=False` sets up organisations, datasets, users, tokens and agreements only (the
    end-to-end tests upload and link the records themselves)."""
    world = Partnership(engine)
    world.orgs = add_organisations(engine, ORGANISATIONS)
    # One transaction for the governance set-up keeps each test's seeding quick.
    with transaction(engine) as session:
        world.tokens = add_users(session, USERS)
        add_agreements(session, AGREEMENTS)
    if not people:
        return world
    world.person_id, world.person_number = add_person_records(engine, INVOLVEMENTS, PERSON)
    world.merged_number = add_merged_number(engine, world.person_id)
    _, world.other_number = add_person_records(
        engine,
        {"EMP": {"service": "Works programme", "involvement_type": "programme"}},
        {"given_name": "Eddie", "family_name": "Other", "date_of_birth": dt.date(1990, 1, 1)},
    )
    refuse_nhs(engine, world.person_number)
    return world


def refuse_nhs(engine: Engine, person_number: str) -> None:
    """Amy refused sharing with NHS, for any purpose."""
    consent.record_consent(
        engine,
        "deny",
        actor="csc_owner",
        person_number=person_number,
        recipient="NHS",
        evidence="Told her social worker on 1 May 2024.",
    )


# One more person per extract, unrelated to Amy (so linking has something to keep apart).
OTHERS: dict[str, dict[str, Any]] = {
    "CSC": {"given_name": "Ben", "family_name": "Jones", "date_of_birth": dt.date(2011, 5, 6)},
    "SCH": {"given_name": "Cara", "family_name": "Smith", "date_of_birth": dt.date(2012, 8, 9)},
    "NHS": {"given_name": "Dev", "family_name": "Patel", "date_of_birth": dt.date(1988, 2, 3)},
    "HSG": {"given_name": "Erin", "family_name": "Walsh", "date_of_birth": dt.date(1979, 11, 30)},
    "EMP": {"given_name": "Finn", "family_name": "Doyle", "date_of_birth": dt.date(1995, 4, 17)},
}
EXTRACT_COLUMNS = (
    "local_id",
    *PERSON,
    "service",
    "involvement_type",
    "start_date",
    "end_date",
    "episode_status",
    "rag",
    "lead_practitioner",
    "lead_contact",
    "reason_codes",
    "outcome_codes",
    "note",
    "upn",
)


def amy_local_id(org_code: str) -> str:
    return f"{org_code}-AMY"


def extract_csv(org_code: str) -> str:
    """The organisation's extract in the core record format: Amy (when she is known there,
    with the same values the store seed writes) and one other person."""
    rows: list[dict[str, Any]] = []
    if org_code in INVOLVEMENTS:
        rows.append({"local_id": amy_local_id(org_code), **PERSON, **INVOLVEMENTS[org_code]})
    rows.append({"local_id": f"{org_code}-OTHER", **OTHERS[org_code], "postcode": "LS9 9ZZ"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXTRACT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: ";".join(v)
                if isinstance(v, list)
                else (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in row.items()
            }
        )
    return out.getvalue()
