"""FHIR R4 over HTTP: `Patient` read shows what the policy allows, errors are
OperationOutcome resources, and every response parses with fhir.resources (R4B)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from sqlalchemy import select

from joinedup.api import create_app
from joinedup.api.fhir import NHS_NUMBER_SYSTEM
from joinedup.config import Settings
from joinedup.governance.auth import principal_for
from joinedup.governance.breakglass import request_break_glass
from joinedup.store.schema.governance import AuditLogEntry
from joinedup.store.uow import UnitOfWork, transaction
from partnership_seed import build_partnership

PERSON_SYSTEM = "https://joinedup.invalid/Id/person-number"


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    return build_partnership(engine)


@pytest.fixture
def client(engine):  # type: ignore[no-untyped-def]
    with TestClient(create_app(engine, Settings())) as c:
        yield c


def read(client, world, username: str, number: str | None = None, purpose: str = "safeguarding"):  # type: ignore[no-untyped-def]
    return client.get(
        f"/fhir/Patient/{number or world.person_number}",
        params={"purpose": purpose},
        headers=world.auth(username),
    )


def patient(response) -> Patient:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    return Patient.model_validate(response.json())


def outcome(response, status: int) -> OperationOutcome:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    return OperationOutcome.model_validate(response.json())


def systems(p: Patient) -> dict[str, str]:
    return {i.system: i.value for i in p.identifier}


def test_full_view_gives_identifiers_name_birth_date_gender_address(client, world) -> None:
    p = patient(read(client, world, "social"))
    assert p.id == world.person_number
    assert systems(p)[PERSON_SYSTEM] == world.person_number
    assert systems(p)[NHS_NUMBER_SYSTEM] == "9434765919"
    assert (p.name[0].family, p.name[0].given) == ("Example", ["Amy"])
    assert str(p.birthDate) == "2012-03-04" and p.gender == "female"
    assert p.address[0].postalCode == "LS1 4AP"


def test_nothing_shared_gives_only_the_number(client, world) -> None:
    p = patient(read(client, world, "adviser"))
    assert systems(p) == {PERSON_SYSTEM: world.person_number}
    assert p.name is None and p.birthDate is None and p.gender is None and p.address is None


def test_rag_level_gives_name_and_year_of_birth(client, world) -> None:
    with UnitOfWork(world.engine) as uow:
        adviser = principal_for(uow.session, "adviser", None)
        uow.commit()
    request_break_glass(
        world.engine,
        adviser,
        world.person_number,
        "Amy has gone missing and we need every contact who may know where she is now.",
        detail="rag",
    )
    response = read(client, world, "adviser")
    p = patient(response)
    assert response.json()["birthDate"] == "2012"
    assert p.name[0].family == "Example" and p.gender is None and p.address is None
    assert NHS_NUMBER_SYSTEM not in systems(p)


def test_merged_number_gives_the_survivor_with_a_link(client, world) -> None:
    p = patient(read(client, world, "social", world.merged_number))
    assert p.id == world.person_number
    assert p.link[0].type == "replaces"
    assert p.link[0].other.reference == f"Patient/{world.merged_number}"


def test_identifier_base_is_configurable(engine, world) -> None:
    settings = Settings(fhir_identifier_base="https://id.northshire.example/joinedup/")
    with TestClient(create_app(engine, settings)) as client:
        p = patient(read(client, world, "social"))
    assert systems(p)["https://id.northshire.example/joinedup/person-number"] == world.person_number
    assert systems(p)["https://id.northshire.example/joinedup/upn"] == "A807825582632"


def test_reads_are_audited_as_fhir(client, world) -> None:
    read(client, world, "teacher")
    with transaction(world.engine) as session:
        entry = session.scalars(
            select(AuditLogEntry)
            .where(AuditLogEntry.action == "policy.person_view")
            .order_by(AuditLogEntry.seq.desc())
        ).first()
    assert entry is not None and entry.actor == "teacher"
    assert entry.details["view"] == "fhir_patient"


def test_errors_are_operation_outcomes(client, world) -> None:
    no_token = client.get(f"/fhir/Patient/{world.person_number}?purpose=safeguarding")
    assert outcome(no_token, 401).issue[0].code == "login"
    assert outcome(read(client, world, "analyst"), 403).issue[0].code == "forbidden"
    missing = client.get(f"/fhir/Patient/{world.person_number}", headers=world.auth("social"))
    assert outcome(missing, 422).issue[0].code == "invalid"
    assert outcome(read(client, world, "social", "1234567890"), 422).issue[0].diagnostics
    assert outcome(client.get("/fhir/Observation/1"), 404).issue[0].code == "not-found"


def test_capability_statement(client) -> None:
    response = client.get("/fhir/metadata")
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    assert statement.rest[0].resource[0].type == "Patient"
