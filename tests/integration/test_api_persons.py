"""`GET /api/v1/persons/{number}` over HTTP (TestClient): bearer tokens, the purpose, what
each requester sees, problem documents for every refusal."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from joinedup.api import create_app
from joinedup.config import Settings
from partnership_seed import build_partnership


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    return build_partnership(engine)


@pytest.fixture
def client(engine):  # type: ignore[no-untyped-def]
    with TestClient(create_app(engine, Settings())) as c:
        yield c


def get_view(
    client, world, username: str, number: str | None = None, purpose: str = "safeguarding"
):  # type: ignore[no-untyped-def]
    return client.get(
        f"/api/v1/persons/{number or world.person_number}",
        params={"purpose": purpose},
        headers=world.auth(username),
    )


def test_each_requester_sees_what_the_policy_allows(client, world) -> None:
    expected = {
        "social": ({"CSC": "full", "NHS": "coded", "SCH": "known_to"}, 1),
        "teacher": ({"CSC": "rag", "SCH": "full"}, 2),
        "nurse": ({"NHS": "full"}, 3),
        "adviser": ({}, 4),
    }
    for username, (levels, withheld) in expected.items():
        response = get_view(client, world, username)
        assert response.status_code == 200, response.text
        body = response.json()
        got = {i["organisation_code"]: i["detail"] for i in body["involvements"]}
        assert got == levels, username
        assert len(body["withheld"]) == withheld, username
        assert body["person_number"] == world.person_number
    teacher = get_view(client, world, "teacher").json()
    csc = next(i for i in teacher["involvements"] if i["organisation_code"] == "CSC")
    assert csc["rag"] == "red" and csc["reason_codes"] is None and csc["record"] is None
    assert csc["start"] == "2023-04" and csc["lead_contact"].startswith("sam.social@")
    nurse = get_view(client, world, "nurse").json()
    assert "the person has refused sharing with you" in {w["reason"] for w in nurse["withheld"]}


def test_merged_number_redirects(client, world) -> None:
    body = get_view(client, world, "social", world.merged_number).json()
    assert body["person_number"] == world.person_number
    assert body["redirected_from"] == world.merged_number


def test_the_purpose_is_required_and_checked(client, world) -> None:
    missing = client.get(f"/api/v1/persons/{world.person_number}", headers=world.auth("social"))
    wrong = get_view(client, world, "social", purpose="curiosity")
    for response in (missing, wrong):
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
    assert any("purpose" in e["loc"] for e in missing.json()["errors"])


def test_refusals_are_problem_documents(client, world) -> None:
    no_token = client.get(f"/api/v1/persons/{world.person_number}?purpose=safeguarding")
    assert no_token.status_code == 401
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
    bad_token = client.get(
        f"/api/v1/persons/{world.person_number}?purpose=safeguarding",
        headers={"Authorization": "Bearer jdu_not-a-real-token"},
    )
    assert bad_token.status_code == 401
    analyst = get_view(client, world, "analyst")
    assert analyst.status_code == 403
    assert analyst.headers["content-type"].startswith("application/problem+json")
    assert "practitioners and data owners" in analyst.json()["detail"]
    bad_check_digit = get_view(client, world, "social", "1234567890")
    assert bad_check_digit.status_code == 422
    assert "check digit" in bad_check_digit.json()["detail"]
    unknown = get_view(client, world, "social", world.person_number[:-1] + "x")
    assert unknown.status_code == 422  # the path pattern refuses it before the service


def test_unknown_person_is_404(client, world) -> None:
    from joinedup.domain.person_number import draw_person_numbers

    taken = {world.person_number, world.merged_number, world.other_number}
    response = get_view(client, world, "social", draw_person_numbers(1, exclude=taken)[0])
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def test_a_view_runs_six_statements_once_agreements_are_cached(client, world, engine) -> None:
    """The hot path's statement budget (docs/performance.md): the number 1, the decision's
    inputs 1, the records 1, the audit append 1 (PostgreSQL; SQLite claims the head,
    inserts and moves the head in three), and 2 for the consent register because this
    person has entries in it (a person without any skips them). Authentication adds 1 when
    the worker has not checked this token within the last second
    (`JOINEDUP_API_TOKEN_CACHE_SECONDS`), so it is counted apart."""
    from sqlalchemy import event

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    # Fills the terms cache; and token use is recorded at most once a minute: this did it.
    assert get_view(client, world, "social").status_code == 200
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = get_view(client, world, "social")
        assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    authentication = [s for s in statements if "api_tokens" in s]
    assert len(authentication) <= 1, authentication
    view = [s for s in statements if "api_tokens" not in s]
    expected = 6 if engine.dialect.name == "postgresql" else 8
    assert len(view) == expected, view
    assert response.json()["audit_seq"] > 0
