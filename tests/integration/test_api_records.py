"""Uploads, data-quality reports, quarantine and challenges over HTTP (TestClient): the same
ingest as the CLI, role checks, and a challenge corrected by the record's owner."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from joinedup.api import create_app
from joinedup.config import Settings
from partnership_seed import build_partnership

HEADER = (
    "local_id,given_name,family_name,date_of_birth,sex,postcode,service,involvement_type,"
    "start_date,episode_status,rag,lead_practitioner,lead_contact,reason_codes\n"
)
ROWS = [
    "R1,Ben,Jones,2011-05-06,male,LS2 7AB,Early help,early_help,2024-02-01,open,amber,Ann Lead,ann@csc.example,N2;N3\n",
    "R2,Cara,Smith,2010-13-40,female,LS3 1AA,Early help,early_help,2024-03-01,open,green,Ann Lead,ann@csc.example,\n",
    ",No,Identifier,2012-01-01,female,,,,,,,,,\n",
]
URL = "/api/v1/organisations/CSC/datasets/referrals/uploads"


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    return build_partnership(engine)


@pytest.fixture
def client(engine):  # type: ignore[no-untyped-def]
    with TestClient(create_app(engine, Settings())) as c:
        yield c


def upload(client, world, username: str, text: str, snapshot: str = "delta"):  # type: ignore[no-untyped-def]
    return client.post(
        URL,
        files={"file": ("referrals.csv", text.encode(), "text/csv")},
        data={"snapshot": snapshot},
        headers=world.auth(username),
    )


def test_upload_returns_the_batch_report_and_counts_add_up(client, world) -> None:
    response = upload(client, world, "csc_owner", HEADER + "".join(ROWS))
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["status"] == "done" and report["file_name"] == "referrals.csv"
    assert (report["rows_in"], report["rows_loaded"], report["rows_quarantined"]) == (3, 2, 1)
    assert report["rows_in"] == report["rows_loaded"] + report["rows_quarantined"]
    assert report["rows_new"] == 2 and report["source_format"] == "csv"
    # The same file again changes nothing; a full snapshot without R2 closes it.
    again = upload(client, world, "csc_owner", HEADER + "".join(ROWS)).json()
    assert again["rows_new"] == 0 and again["rows_changed"] == 0
    full = upload(client, world, "csc_owner", HEADER + ROWS[0], snapshot="full").json()
    assert full["rows_closed"] == 1


def test_only_the_organisations_data_owner_uploads(client, world) -> None:
    for username in ("teacher", "social", "nhs_owner"):
        assert upload(client, world, username, HEADER + ROWS[0]).status_code == 403
    unreadable = upload(client, world, "csc_owner", "\x00\x01binary\x00" * 50)
    assert unreadable.status_code == 422
    assert unreadable.headers["content-type"].startswith("application/problem+json")
    bad_snapshot = upload(client, world, "csc_owner", HEADER + ROWS[0], snapshot="weekly")
    assert bad_snapshot.status_code == 422


def test_quality_report_and_quarantine(client, world) -> None:
    upload(client, world, "csc_owner", HEADER + "".join(ROWS))
    base = "/api/v1/organisations/CSC/datasets/referrals"
    report = client.get(f"{base}/quality", headers=world.auth("csc_owner"))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["records"]["active"] == 2
    dob = next(f for f in body["fields"] if f["field"] == "date_of_birth")
    assert dob["present"] == 2 and dob["valid"] == 1
    assert any(p["field"] == "date_of_birth" for p in body["top_problems"])
    rows = client.get(f"{base}/quarantine", headers=world.auth("csc_owner")).json()
    assert [r["row_number"] for r in rows["items"]] == [4]
    assert client.get(f"{base}/quality", headers=world.auth("teacher")).status_code == 403
    missing = client.get(
        "/api/v1/organisations/CSC/datasets/nope/quality", headers=world.auth("csc_owner")
    )
    assert missing.status_code == 404


def test_a_challenge_is_raised_decided_and_corrects_the_record(client, world) -> None:
    upload(client, world, "csc_owner", HEADER + "".join(ROWS))
    challenge = {
        "organisation": "CSC",
        "dataset": "referrals",
        "local_id": "R1",
        "field": "date_of_birth",
        "proposed_value": "2011-06-05",
        "reason": "Day and month swapped; our roll has the birth certificate date.",
    }
    raised = client.post("/api/v1/challenges", json=challenge, headers=world.auth("teacher"))
    assert raised.status_code == 201, raised.text
    cid = raised.json()["id"]
    assert raised.json()["current_value"] == "2011-05-06"
    mine = client.get(
        "/api/v1/challenges", params={"side": "raised"}, headers=world.auth("teacher")
    ).json()
    assert [c["id"] for c in mine["items"]] == [cid]
    assert client.get("/api/v1/challenges", headers=world.auth("teacher")).status_code == 403
    received = client.get("/api/v1/challenges", headers=world.auth("csc_owner")).json()
    assert [c["id"] for c in received["items"]] == [cid]
    # Only the holder decides.
    other = client.post(
        f"/api/v1/challenges/{cid}/decision",
        json={"decision": "accept"},
        headers=world.auth("nhs_owner"),
    )
    assert other.status_code == 403
    accepted = client.post(
        f"/api/v1/challenges/{cid}/decision",
        json={"decision": "accept", "reason": "Checked."},
        headers=world.auth("csc_owner"),
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["corrected_version"] == 2
    twice = client.post(
        f"/api/v1/challenges/{cid}/decision",
        json={"decision": "reject", "reason": "No."},
        headers=world.auth("csc_owner"),
    )
    assert twice.status_code == 409
    unknown = client.post(
        "/api/v1/challenges/999999/decision",
        json={"decision": "reject", "reason": "No."},
        headers=world.auth("csc_owner"),
    )
    assert unknown.status_code == 404
