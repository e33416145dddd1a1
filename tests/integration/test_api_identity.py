"""Verification and the clerical review queue over HTTP, with role checks and audit; a
`same` decision merges two persons at once and the old number then redirects."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from joinedup.api import create_app
from joinedup.config import Settings
from joinedup.store.schema.governance import AuditLogEntry
from joinedup.store.schema.identity import ReviewItem
from joinedup.store.schema.records import SourceRecord
from joinedup.store.uow import transaction
from partnership_seed import build_partnership

AMY = {"given_name": "Amy", "family_name": "Example", "date_of_birth": "2012-03-04"}


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    return build_partnership(engine)


@pytest.fixture
def client(engine):  # type: ignore[no-untyped-def]
    with TestClient(create_app(engine, Settings())) as c:
        yield c


def test_verify_answers_match_no_match_unknown(client, world) -> None:
    def ask(number: str, who: str = "social", **changes: str):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/v1/verify",
            json={"person_number": number, **AMY, **changes},
            headers=world.auth(who),
        )

    assert ask(world.person_number).json()["result"] == "match"
    wrong = ask(world.person_number, date_of_birth="2012-04-03").json()
    assert wrong["result"] == "no_match" and "date of birth" in wrong["reason"]
    merged = ask(world.merged_number).json()
    assert merged["result"] == "match" and merged["redirected_from"] == world.merged_number
    assert merged["person_number"] == world.person_number
    assert ask("1234567890").json()["result"] == "unknown"
    assert ask(world.person_number, who="analyst").status_code == 403
    assert ask("12345").status_code == 422
    with transaction(world.engine) as session:
        answers = session.scalars(
            select(AuditLogEntry.decision).where(AuditLogEntry.action == "verify")
        ).all()
    assert answers == ["match", "no_match", "match", "unknown"]


def _review_item(world, local_l: str, local_r: str) -> int:  # type: ignore[no-untyped-def]
    with transaction(world.engine) as session:
        ids = dict(
            session.execute(
                select(SourceRecord.local_id, SourceRecord.id).where(
                    SourceRecord.local_id.in_([local_l, local_r])
                )
            ).all()
        )
        left, right = sorted((ids[local_l], ids[local_r]))
        item = ReviewItem(
            kind="pair",
            record_id_l=left,
            record_id_r=right,
            match_probability=0.8,
            match_weight=2.0,
            details={"contributions": [{"comparison": "date_of_birth", "level": "exact"}]},
        )
        session.add(item)
        session.flush()
        return int(item.id)


def test_review_queue_is_for_linkage_officers_and_decisions_update_persons(client, world) -> None:
    amy_csc = f"CSC-{world.person_number}"
    amy_sch = f"SCH-{world.person_number}"
    eddie = f"EMP-{world.other_number}"
    first = _review_item(world, amy_csc, eddie)
    second = _review_item(world, amy_sch, eddie)
    assert client.get("/api/v1/review-items", headers=world.auth("teacher")).status_code == 403
    listed = client.get("/api/v1/review-items", params={"limit": 1}, headers=world.auth("linker"))
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert [i["id"] for i in page["items"]] == [first] and page["next_cursor"]
    item = client.get(f"/api/v1/review-items/{first}", headers=world.auth("linker")).json()
    assert {item["left"]["given_name"], item["right"]["given_name"]} == {"Amy", "Eddie"}
    unsure = client.post(
        f"/api/v1/review-items/{first}/decision",
        json={"decision": "unsure"},
        headers=world.auth("linker"),
    )
    assert unsure.status_code == 422  # a note is required
    different = client.post(
        f"/api/v1/review-items/{first}/decision",
        json={"decision": "different", "note": "Different dates of birth."},
        headers=world.auth("linker"),
    )
    assert different.status_code == 200 and different.json()["status"] == "decided"
    again = client.post(
        f"/api/v1/review-items/{first}/decision",
        json={"decision": "same"},
        headers=world.auth("linker"),
    )
    assert again.status_code == 409
    nxt = client.get("/api/v1/review-items/next", headers=world.auth("linker")).json()
    assert nxt["id"] == second
    same = client.post(
        f"/api/v1/review-items/{second}/decision",
        json={"decision": "same", "note": "Checked with the school."},
        headers=world.auth("linker"),
    )
    assert same.status_code == 200
    assert client.get("/api/v1/review-items/next", headers=world.auth("linker")).json() is None
    # The two persons are one now: one number redirects to the other.
    view = client.get(
        f"/api/v1/persons/{world.other_number}",
        params={"purpose": "safeguarding"},
        headers=world.auth("adviser"),
    ).json()
    numbers = {view["person_number"], view["redirected_from"]}
    assert numbers == {world.person_number, world.other_number}
    assert "EMP" in {i["organisation_code"] for i in view["involvements"]}
    with transaction(world.engine) as session:
        actions = session.scalars(
            select(AuditLogEntry.action).where(AuditLogEntry.action.like("review.%"))
        ).all()
    assert actions.count("review.decide") == 2 and "review.show" in actions
