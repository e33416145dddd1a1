"""Search, match, register and FHIR `$match` over HTTP with the real online matcher (the
fixed test model from linkage_fixtures) on both backends."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from joinedup.api import create_app
from joinedup.api.fhir import MATCH_GRADE_URL
from joinedup.config import Settings
from joinedup.identity.online.matcher import forget_matchers
from joinedup.store.schema.governance import AuditLogEntry
from joinedup.store.uow import transaction
from linkage_fixtures import install_model
from partnership_seed import PERSON, build_partnership

# In a store this small, agreeing names say little (they are frequent here): the query
# carries an identifier and the postcode too.
AMY = {
    "family_name": "Example",
    "given_name": "Amy",
    "date_of_birth": "2012-03-04",
    "postcode": "LS1 4AP",
    "nhs_number": "9434765919",
}


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    forget_matchers()  # the matcher is cached per store URL; each test has a new store
    world = build_partnership(engine)
    install_model(engine)
    yield world
    forget_matchers()


@pytest.fixture
def client(engine):  # type: ignore[no-untyped-def]
    with TestClient(create_app(engine, Settings())) as c:
        yield c


def test_search_finds_amy_and_shows_what_each_requester_may_see(client, world) -> None:
    teacher = client.post(
        "/api/v1/search", json={**AMY, "purpose": "safeguarding"}, headers=world.auth("teacher")
    )
    assert teacher.status_code == 200, teacher.text
    (hit,) = teacher.json()["results"]
    assert hit["person_number"] == world.person_number and hit["probability"] >= 0.9
    assert hit["summary"]["birth_dates"] == ["2012-03-04"]
    adviser = client.post(
        "/api/v1/search", json={**AMY, "purpose": "safeguarding"}, headers=world.auth("adviser")
    ).json()
    assert [r["person_number"] for r in adviser["results"]] == [world.person_number]
    assert adviser["results"][0]["summary"]["names"] == []
    fishing = client.post(
        "/api/v1/search",
        json={"family_name": "Example", "purpose": "safeguarding"},
        headers=world.auth("teacher"),
    )
    assert fishing.status_code == 422 and "enough to find one person" in fishing.json()["detail"]
    nobody = client.post(
        "/api/v1/search",
        json={"family_name": "Nobody", "date_of_birth": "1950-01-01", "purpose": "safeguarding"},
        headers=world.auth("teacher"),
    )
    assert nobody.json()["results"] == []


def test_match_gives_candidates_with_their_explanation(client, world) -> None:
    response = client.post("/api/v1/match", json=dict(PERSON_JSON), headers=world.auth("linker"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision"] == "link"
    best = body["candidates"][0]
    assert best["person_number"] == world.person_number and best["match_probability"] >= 0.99
    comparisons = {c["comparison"] for c in best["contributions"]}
    assert {"date_of_birth", "nhs_number"} <= comparisons
    assert client.post("/api/v1/match", json=AMY, headers=world.auth("analyst")).status_code == 403
    with transaction(world.engine) as session:
        entry = session.get(AuditLogEntry, body["audit_seq"])
        assert entry.action == "match" and entry.details["person_numbers"] == [world.person_number]
        assert "Example" not in str(entry.details)


PERSON_JSON = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in PERSON.items()}


def test_register_links_a_known_child_and_mints_a_new_one(client, world) -> None:
    known = client.post(
        "/api/v1/register",
        json={**PERSON_JSON, "organisation": "SCH", "dataset": "roll", "local_id": "SCH-NEW-1"},
        headers=world.auth("sch_owner"),
    )
    assert known.status_code == 201, known.text
    assert known.json()["outcome"] == "linked"
    assert known.json()["person_number"] == world.person_number
    new = client.post(
        "/api/v1/register",
        json={
            "given_name": "Zoe",
            "family_name": "Newcomer",
            "date_of_birth": "2015-07-08",
            "postcode": "LS6 2QQ",
            "organisation": "SCH",
            "dataset": "roll",
            "local_id": "SCH-NEW-2",
        },
        headers=world.auth("teacher"),
    )
    assert new.json()["outcome"] == "created"
    assert new.json()["person_number"] not in {world.person_number, world.other_number}
    other_org = client.post(
        "/api/v1/register",
        json={**PERSON_JSON, "organisation": "CSC", "dataset": "cases", "local_id": "X"},
        headers=world.auth("teacher"),
    )
    assert other_org.status_code == 403


def test_fhir_match_returns_a_searchset_with_grades(client, world) -> None:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "resource",
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [
                        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}
                    ],
                    "name": [{"family": "Example", "given": ["Amy"]}],
                    "birthDate": "2012-03-04",
                },
            },
            {"name": "count", "valueInteger": 3},
        ],
    }
    response = client.post(
        "/fhir/Patient/$match",
        params={"purpose": "safeguarding"},
        content=__import__("json").dumps(parameters),
        headers={**world.auth("social"), "Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset" and bundle.total == 1
    entry = bundle.entry[0]
    assert entry.resource.id == world.person_number
    assert str(entry.resource.birthDate) == "2012-03-04"  # CSC's own record: full
    assert entry.search.extension[0].url == MATCH_GRADE_URL
    assert entry.search.extension[0].valueCode == "certain"
    assert entry.fullUrl.endswith(f"/fhir/Patient/{world.person_number}")
    bad = client.post(
        "/fhir/Patient/$match",
        params={"purpose": "safeguarding"},
        json={"resourceType": "Patient"},
        headers=world.auth("social"),
    )
    assert bad.status_code == 422
    assert bad.json()["resourceType"] == "OperationOutcome"
    with transaction(world.engine) as session:
        actions = session.scalars(select(AuditLogEntry.action)).all()
    assert "search" in actions


def test_matching_routes_answer_503_while_the_index_builds_then_match(engine, world) -> None:
    """The served app builds the matcher's index in a background thread at start-up; until
    it is built the matching routes answer 503 with Retry-After, other routes answer."""
    import time

    app = create_app(engine, Settings(), warm_matcher=True)
    with TestClient(app) as client:
        ready = app.state.matcher_ready
        # Hold the "building" state for the test: wait for the real warm-up to finish, then
        # put the flag back to not-ready as a fresh start would have it.
        assert ready.wait(60), "the warm-up thread never finished"
        ready.clear()
        building = client.post("/api/v1/match", json=AMY, headers=world.auth("teacher"))
        assert building.status_code == 503, building.text
        assert int(building.headers["Retry-After"]) > 0
        assert building.headers["content-type"].startswith("application/problem+json")
        fhir = client.post(
            "/fhir/Patient/$match?purpose=safeguarding",
            json={"resourceType": "Parameters", "parameter": []},
            headers=world.auth("teacher"),
        )
        assert fhir.status_code == 503
        view = client.get(
            f"/api/v1/persons/{world.person_number}",
            params={"purpose": "safeguarding"},
            headers=world.auth("teacher"),
        )
        assert view.status_code == 200  # the rest of the API does not wait
        ready.set()
        t0 = time.monotonic()
        found = client.post("/api/v1/match", json=AMY, headers=world.auth("teacher"))
        assert found.status_code == 200, found.text
        assert found.json()["candidates"][0]["person_number"] == world.person_number
        assert time.monotonic() - t0 < 30
