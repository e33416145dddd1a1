"""Governance over HTTP: agreements, consent, break-glass, audit reports and the partner
registry, each with its role checks; changes show at once in the known-to view."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from joinedup.api import create_app
from joinedup.config import Settings
from joinedup.store.schema.governance import AuditLogEntry
from joinedup.store.uow import transaction
from partnership_seed import AGREEMENTS, build_partnership

JUSTIFICATION = "Amy has gone missing and we need every contact who may know where she is now."


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    return build_partnership(engine)


@pytest.fixture
def client(engine):  # type: ignore[no-untyped-def]
    with TestClient(create_app(engine, Settings())) as c:
        yield c


def visible(client, world, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    body = client.get(
        f"/api/v1/persons/{world.person_number}",
        params={"purpose": "safeguarding"},
        headers=world.auth(username),
    ).json()
    return {i["organisation_code"]: i["detail"] for i in body["involvements"]}


def walk(client, url: str, headers: dict[str, str], limit: int) -> list[dict]:  # type: ignore[no-untyped-def]
    items, cursor = [], None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = client.get(url, params=params, headers=headers)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def test_agreements_list_pages_through_every_agreement(client, world) -> None:
    codes = [a["code"] for a in walk(client, "/api/v1/agreements", world.auth("teacher"), 2)]
    assert codes == sorted(AGREEMENTS)
    one = client.get("/api/v1/agreements/CSC-SCH", headers=world.auth("teacher")).json()
    assert one["versions"][0]["max_detail"] == "rag"
    assert one["versions"][0]["status"] == "active"
    bad = client.get("/api/v1/agreements", params={"cursor": "!!"}, headers=world.auth("teacher"))
    assert bad.status_code == 422


def test_agreement_lifecycle_changes_what_a_recipient_sees(client, world) -> None:
    body = {
        "code": "CSC-EMP",
        "provider": "CSC",
        "title": "CSC to Northshire Works",
        "datasets": ["cases"],
        "recipient_organisations": ["EMP"],
        "purposes": ["safeguarding"],
        "max_detail": "known_to",
        "finest_aggregation": "person",
        "legal_basis": "public_task",
        "valid_from": "2024-01-01",
    }
    denied = client.post("/api/v1/agreements", json=body, headers=world.auth("social"))
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")
    made = client.post("/api/v1/agreements", json=body, headers=world.auth("csc_owner"))
    assert made.status_code == 201 and made.json()["status"] == "draft"
    assert visible(client, world, "adviser") == {}
    # A partnership admin may draft and suspend, but only the provider's data owner approves.
    admin = client.post("/api/v1/agreements/CSC-EMP/approve", headers=world.auth("admin"))
    assert admin.status_code == 403
    approved = client.post("/api/v1/agreements/CSC-EMP/approve", headers=world.auth("csc_owner"))
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    assert visible(client, world, "adviser") == {"CSC": "known_to"}
    suspended = client.post(
        "/api/v1/agreements/CSC-EMP/suspend",
        json={"reason": "Review of the purposes."},
        headers=world.auth("admin"),
    )
    assert suspended.json()["status"] == "suspended"
    assert visible(client, world, "adviser") == {}
    again = client.post("/api/v1/agreements/CSC-EMP/approve", headers=world.auth("csc_owner"))
    assert again.status_code == 409
    assert client.get("/api/v1/agreements/NOPE", headers=world.auth("admin")).status_code == 404


def test_withdrawing_a_refusal_restores_sharing(client, world) -> None:
    assert "CSC" not in visible(client, world, "nurse")
    register = client.get(
        f"/api/v1/persons/{world.person_number}/consents", headers=world.auth("csc_owner")
    )
    assert register.status_code == 200
    (refusal,) = register.json()["items"]
    assert refusal["decision"] == "deny" and refusal["recipient"] == "NHS"
    withdrawn = client.post(
        f"/api/v1/consents/{refusal['id']}/withdraw",
        json={"reason": "Amy changed her mind."},
        headers=world.auth("social"),
    )
    assert withdrawn.status_code == 200
    assert visible(client, world, "nurse") == {"NHS": "full", "CSC": "known_to"}
    # Record a permit for housing's consent-based agreement with the school.
    permit = client.post(
        "/api/v1/consents",
        json={"decision": "permit", "person_number": world.person_number, "recipient": "SCH"},
        headers=world.auth("teacher"),
    )
    assert permit.status_code == 201
    assert visible(client, world, "teacher")["HSG"] == "known_to"


def test_consent_register_is_for_governance_roles_and_audited(client, world) -> None:
    url = f"/api/v1/persons/{world.person_number}/consents"
    assert client.get(url, headers=world.auth("teacher")).status_code == 403
    assert client.get(url, headers=world.auth("admin")).status_code == 200
    with transaction(world.engine) as session:
        actions = session.scalars(
            select(AuditLogEntry.action).where(AuditLogEntry.person_id == world.person_id)
        ).all()
    assert "consent.list" in actions
    both = client.post(
        "/api/v1/consents",
        json={
            "decision": "deny",
            "person_number": world.person_number,
            "record": {"organisation": "CSC", "dataset": "cases", "local_id": "x"},
        },
        headers=world.auth("social"),
    )
    assert both.status_code == 422


def test_break_glass_over_http(client, world) -> None:
    url = f"/api/v1/persons/{world.person_number}/break-glass"
    short = client.post(url, json={"justification": "urgent"}, headers=world.auth("adviser"))
    assert short.status_code == 422
    owner = client.post(url, json={"justification": JUSTIFICATION}, headers=world.auth("csc_owner"))
    assert owner.status_code == 403  # practitioners only
    grant = client.post(
        url,
        json={"justification": JUSTIFICATION, "detail": "known_to", "hours": 1},
        headers=world.auth("adviser"),
    )
    assert grant.status_code == 201 and grant.json()["detail"] == "known_to"
    assert visible(client, world, "adviser") == dict.fromkeys(
        ("CSC", "HSG", "NHS", "SCH"), "known_to"
    )


def test_subject_report_lists_each_view(client, world) -> None:
    visible(client, world, "teacher")
    visible(client, world, "adviser")
    url = f"/api/v1/audit/persons/{world.person_number}"
    assert client.get(url, headers=world.auth("teacher")).status_code == 403
    report = client.get(url, headers=world.auth("csc_owner"))
    assert report.status_code == 200
    views = [e for e in report.json()["entries"]["items"] if e["action"] == "policy.person_view"]
    assert [(e["actor"], e["decision"]) for e in views] == [
        ("teacher", "partial"),
        ("adviser", "denied"),
    ]
    assert views[0]["agreements"] == ["CSC-SCH v1"]


def test_access_report_shows_a_data_owner_who_saw_their_records(client, world) -> None:
    visible(client, world, "teacher")  # CSC at rag
    visible(client, world, "adviser")  # CSC withheld
    visible(client, world, "nurse")  # CSC refused; NHS own
    csc = walk(client, "/api/v1/audit/accesses", world.auth("csc_owner"), 2)
    assert [(a["actor"], a["allowed"], a["detail"]) for a in csc] == [
        ("teacher", True, "rag"),
        ("adviser", False, "none"),
        ("nurse", False, "none"),
    ]
    assert csc[0]["person_number"] == world.person_number
    assert csc[0]["agreements"] == ["CSC-SCH"] and csc[0]["actor_organisation"] == "SCH"
    nhs = walk(client, "/api/v1/audit/accesses", world.auth("nhs_owner"), 50)
    # Refused looks at NHS's records are listed too: the owner sees every attempt.
    assert [(a["actor"], a["allowed"], a["own_organisation"]) for a in nhs] == [
        ("teacher", False, False),
        ("adviser", False, False),
        ("nurse", True, True),
    ]
    other = client.get(
        "/api/v1/audit/accesses", params={"organisation": "NHS"}, headers=world.auth("csc_owner")
    )
    assert other.status_code == 403
    admin = client.get(
        "/api/v1/audit/accesses", params={"organisation": "NHS"}, headers=world.auth("admin")
    )
    assert [a["actor"] for a in admin.json()["items"]] == ["teacher", "adviser", "nurse"]
    assert client.get("/api/v1/audit/accesses", headers=world.auth("social")).status_code == 403


def test_organisations_and_datasets(client, world) -> None:
    orgs = walk(client, "/api/v1/organisations", world.auth("teacher"), 3)
    assert [o["code"] for o in orgs] == ["CSC", "EMP", "HSG", "NHS", "SCH"]
    new = {"code": "VCS", "name": "Northshire Voluntary Action"}
    assert (
        client.post("/api/v1/organisations", json=new, headers=world.auth("csc_owner")).status_code
        == 403
    )
    made = client.post("/api/v1/organisations", json=new, headers=world.auth("admin"))
    assert made.status_code == 201 and made.json()["code"] == "VCS"
    dup = client.post("/api/v1/organisations", json=new, headers=world.auth("admin"))
    assert dup.status_code == 409
    ds = {"code": "referrals", "name": "CSC referrals"}
    assert (
        client.post(
            "/api/v1/organisations/CSC/datasets", json=ds, headers=world.auth("nhs_owner")
        ).status_code
        == 403
    )
    made = client.post(
        "/api/v1/organisations/CSC/datasets", json=ds, headers=world.auth("csc_owner")
    )
    assert made.status_code == 201 and made.json()["has_mapping"] is False
    listed = client.get("/api/v1/organisations/CSC/datasets", headers=world.auth("teacher")).json()
    assert {d["code"]: d["records"] for d in listed["items"]} == {"cases": 1, "referrals": 0}
    everything = walk(client, "/api/v1/datasets", world.auth("teacher"), 2)
    assert len(everything) == 6
    missing = client.get("/api/v1/organisations/NOPE/datasets", headers=world.auth("teacher"))
    assert missing.status_code == 404
