"""Data challenges: a partner challenges a value; the owner accepts (corrected, with
provenance) or rejects with a reason; nothing is lost."""

from __future__ import annotations

import datetime as dt

import pytest
from ingest_helpers import person, records, setup_org, versions, write_csv

from joinedup.errors import Conflict, Forbidden, InvalidInput, NotFound
from joinedup.records.challenges import (
    accept_challenge,
    list_challenges,
    raise_challenge,
    reject_challenge,
)
from joinedup.records.ingest import ingest_file


@pytest.fixture
def loaded(engine, tmp_path):  # type: ignore[no-untyped-def]
    setup_org(engine, "CSC")
    setup_org(engine, "NHS")
    rows = [person(1, date_of_birth="2012-04-03"), person(2)]
    ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "a.csv", rows))
    return engine


def test_accepted_challenge_corrects_the_value_with_provenance(loaded, tmp_path) -> None:
    engine = loaded
    ch = raise_challenge(
        engine,
        "CSC",
        "cases",
        "L0001",
        "date_of_birth",
        "2012-03-04",
        "Day and month swapped",
        by_org="NHS",
        actor="nurse",
    )
    assert (ch.status, ch.current_value, ch.raised_by_organisation) == ("open", "2012-04-03", "NHS")
    assert [c.id for c in list_challenges(engine, org="CSC", status="open")] == [ch.id]
    with pytest.raises(Forbidden, match="Only CSC"):
        accept_challenge(engine, ch.id, by_org="NHS")
    done = accept_challenge(engine, ch.id, by_org="CSC", actor="owner", note="checked")
    assert done.status == "accepted" and done.corrected_version == 2
    rec = records(engine)["L0001"]
    assert rec["date_of_birth"] == dt.date(2012, 3, 4) and rec["version"] == 2
    hist = versions(engine, rec["id"])
    assert [v["change"] for v in hist] == ["new", "corrected"]
    assert hist[1]["challenge_id"] == ch.id and hist[1]["changed_by"] == "owner"
    assert hist[0]["record"]["date_of_birth"] == "2012-04-03"  # the original is kept
    with pytest.raises(Conflict, match="already accepted"):
        reject_challenge(engine, ch.id, by_org="CSC", reason="too late")

    # The next extract still carries the old value: the correction is applied again.
    rows = [person(1, date_of_birth="2012-04-03", note="new note"), person(2)]
    report = ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "b.csv", rows))
    assert report.rows_changed == 1 and any("re-applied" in w for w in report.warnings)
    rec = records(engine)["L0001"]
    assert rec["date_of_birth"] == dt.date(2012, 3, 4) and rec["note"] == "new note"
    assert [v["change"] for v in versions(engine, rec["id"])] == [
        "new",
        "corrected",
        "changed",
        "corrected",
    ]


def test_rejected_challenge_leaves_the_record_and_keeps_the_reason(loaded) -> None:
    engine = loaded
    ch = raise_challenge(
        engine, "CSC", "cases", "L0002", "family_name", "Smyth", "Spelling", by_org="NHS"
    )
    with pytest.raises(InvalidInput, match="reason"):
        reject_challenge(engine, ch.id, by_org="CSC", reason=" ")
    out = reject_challenge(engine, ch.id, by_org="CSC", reason="Birth certificate says Smith2")
    assert out.status == "rejected" and out.decision_reason == "Birth certificate says Smith2"
    assert records(engine)["L0002"]["family_name"] == "Smith2"
    assert [c.status for c in list_challenges(engine, raised_by="NHS")] == ["rejected"]


def test_challenges_are_checked(loaded) -> None:
    engine = loaded
    with pytest.raises(InvalidInput, match="check digit does not match"):
        raise_challenge(
            engine, "CSC", "cases", "L0001", "nhs_number", "9434765918", "typo", by_org="NHS"
        )
    with pytest.raises(InvalidInput, match="not a field"):
        raise_challenge(engine, "CSC", "cases", "L0001", "shoe_size", "9", "x", by_org="NHS")
    with pytest.raises(NotFound, match="L9999"):
        raise_challenge(engine, "CSC", "cases", "L9999", "family_name", "X", "x", by_org="NHS")
    with pytest.raises(InvalidInput, match="already"):
        raise_challenge(
            engine, "CSC", "cases", "L0001", "family_name", "Smith1", "same", by_org="NHS"
        )
    with pytest.raises(InvalidInput, match="needs a reason"):
        raise_challenge(engine, "CSC", "cases", "L0001", "family_name", "X", "", by_org="NHS")


def test_identifier_challenge_updates_the_identifiers(engine, tmp_path) -> None:
    setup_org(engine, "CSC")
    setup_org(engine, "EDU")
    path = write_csv(tmp_path / "a.csv", [{"local_id": "A1", "identifier:MOSAIC": "111"}])
    ingest_file(engine, "CSC", "cases", path)
    ch = raise_challenge(
        engine, "CSC", "cases", "A1", "identifier:MOSAIC", "112", "Wrong ref", by_org="EDU"
    )
    accept_challenge(engine, ch.id, by_org="CSC")
    assert records(engine)["A1"]["identifiers"] == {"MOSAIC": "112"}
