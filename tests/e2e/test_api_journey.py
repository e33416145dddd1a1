"""End to end over HTTP against a real `joinedup serve` process, on SQLite and PostgreSQL:
each partner's data owner uploads an extract, the batch link assigns person numbers, a
refusal is recorded, and the known-to view with each requester's token shows exactly what
that requester may see.

Set-up that is not part of the journey (organisations, users, tokens, agreements) goes
through the services; the linkage model is the fixed test model (training needs far more
records than a journey holds).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fhir.resources.R4B.patient import Patient
from sqlalchemy import select

from api_server import serve
from joinedup.identity.batch_link import run_link
from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import SourceRecord
from joinedup.store.uow import transaction
from linkage_fixtures import install_model
from partnership_seed import (
    INVOLVEMENTS,
    ORGANISATIONS,
    Partnership,
    amy_local_id,
    build_partnership,
    extract_csv,
)

pytestmark = pytest.mark.slow

# What each requester may see of Amy for safeguarding (see partnership_seed's table).
EXPECTED = {
    "social": {"CSC": "full", "NHS": "coded", "SCH": "known_to"},
    "teacher": {"CSC": "rag", "SCH": "full"},
    "nurse": {"NHS": "full"},
    "adviser": {},
}
EXPECTED_WITHHELD = {
    "social": ["not shared under your agreements"],
    "teacher": ["consent required and not recorded", "not shared under your agreements"],
    "nurse": [
        "not shared under your agreements",
        "not shared under your agreements",
        "the person has refused sharing with you",
    ],
    "adviser": ["not shared under your agreements"] * 4,
}


@dataclass
class Journey:
    base_url: str
    world: Partnership


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def journey(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Journey]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('journey') / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_databases").create()
    engine = create_store_engine(url)
    ensure_schema(engine)
    world = build_partnership(engine, people=False)
    install_model(engine)
    with serve(url) as base_url:
        yield Journey(base_url, world)
    engine.dispose()


def test_upload_link_and_view_with_each_requester(journey: Journey) -> None:
    world, engine = journey.world, journey.world.engine
    with httpx.Client(base_url=journey.base_url, timeout=60) as http:
        # 1. Each data owner uploads their organisation's extract.
        for org, (_name, dataset) in ORGANISATIONS.items():
            response = http.post(
                f"/api/v1/organisations/{org}/datasets/{dataset}/uploads",
                files={"file": (f"{dataset}.csv", extract_csv(org).encode(), "text/csv")},
                data={"snapshot": "full"},
                headers=world.auth(f"{org.lower()}_owner"),
            )
            assert response.status_code == 201, response.text
            report = response.json()
            expected_rows = 2 if org in INVOLVEMENTS else 1
            assert (report["rows_in"], report["rows_loaded"]) == (expected_rows, expected_rows)
            assert report["rows_quarantined"] == 0, report

        # 2. The batch link (identity's service) gives Amy one person number.
        summary = run_link(engine)
        assert summary.records == 9
        with transaction(engine) as session:
            amy = set(
                session.scalars(
                    select(Person.person_number)
                    .join(PersonLink, PersonLink.person_id == Person.id)
                    .join(SourceRecord, SourceRecord.id == PersonLink.source_record_id)
                    .where(SourceRecord.local_id.in_([amy_local_id(o) for o in INVOLVEMENTS]))
                )
            )
            persons = session.scalar(select(Person.id).order_by(Person.id.desc()).limit(1))
        assert len(amy) == 1, "Amy's four records should be one person"
        number = amy.pop()
        assert persons is not None and persons >= 6  # Amy and five others

        # 3. Amy's refusal to share with NHS is recorded over the API.
        refusal = http.post(
            "/api/v1/consents",
            json={"decision": "deny", "person_number": number, "recipient": "NHS"},
            headers=world.auth("social"),
        )
        assert refusal.status_code == 201, refusal.text

        # 4. The known-to view, with each requester's token.
        for username, levels in EXPECTED.items():
            response = http.get(
                f"/api/v1/persons/{number}",
                params={"purpose": "safeguarding"},
                headers=world.auth(username),
            )
            assert response.status_code == 200, response.text
            body = response.json()
            got = {i["organisation_code"]: i["detail"] for i in body["involvements"]}
            assert got == levels, username
            assert sorted(w["reason"] for w in body["withheld"]) == EXPECTED_WITHHELD[username]
            assert body["person_number"] == number
        teacher = http.get(
            f"/api/v1/persons/{number}",
            params={"purpose": "safeguarding"},
            headers=world.auth("teacher"),
        ).json()
        csc = next(i for i in teacher["involvements"] if i["organisation_code"] == "CSC")
        assert (csc["rag"], csc["lead_practitioner"], csc["reason_codes"]) == (
            "red",
            "Sam Social",
            None,
        )
        analyst = http.get(
            f"/api/v1/persons/{number}",
            params={"purpose": "safeguarding"},
            headers=world.auth("analyst"),
        )
        assert analyst.status_code == 403

        # 5. The same person over FHIR, for a requester with full detail.
        fhir = http.get(
            f"/fhir/Patient/{number}",
            params={"purpose": "safeguarding"},
            headers=world.auth("social"),
        )
        assert fhir.headers["content-type"].startswith("application/fhir+json")
        patient = Patient.model_validate(fhir.json())
        assert str(patient.birthDate) == "2012-03-04"

        # 6. CSC's data owner sees every one of those looks at CSC's record.
        accesses = http.get(
            "/api/v1/audit/accesses", params={"limit": 100}, headers=world.auth("csc_owner")
        ).json()["items"]
        seen = [(a["actor"], a["allowed"]) for a in accesses if a["person_number"] == number]
        # The analyst was refused before any decision, so there is nothing of theirs to list.
        assert seen == [
            ("social", True),
            ("teacher", True),
            ("nurse", False),
            ("adviser", False),
            ("teacher", True),
            ("social", True),
        ]
