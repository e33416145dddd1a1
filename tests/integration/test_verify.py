"""Verification answers match / no_match / unknown with a reason, and follows merged
numbers; manual merge and split keep their reasons in person history and persist."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from joinedup.domain.person_number import draw_person_number
from joinedup.errors import InvalidInput
from joinedup.identity.batch_link import run_link
from joinedup.identity.clustering import Thresholds
from joinedup.identity.merge_split import merge_persons, split_person
from joinedup.identity.online.matcher import forget_matchers
from joinedup.identity.persons import person_history, show_person
from joinedup.identity.verify import verify
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import SourceRecord
from linkage_fixtures import ensure_datasets, install_model, write_people

LIMITS = Thresholds(upper=0.99, lower=0.70, guard=0.05)
PEOPLE = [
    {
        "org": "CSC",
        "ds": "cases",
        "local_id": "A1",
        "given_name": "Margaret",
        "family_name": "Oyelaran",
        "date_of_birth": "1980-04-02",
        "postcode": "L8 1AB",
        "nhs_number": "9434765919",
    },
    {
        "org": "NHS",
        "ds": "patients",
        "local_id": "A2",
        "given_name": "Peggy",
        "family_name": "Oyelaran",
        "date_of_birth": "1980-04-02",
        "postcode": "L8 1AB",
        "nhs_number": "9434765919",
    },
    {
        "org": "EDU",
        "ds": "pupils",
        "local_id": "B1",
        "given_name": "Tomasz",
        "family_name": "Kowalczyk",
        "date_of_birth": "2009-11-23",
        "postcode": "L4 0TH",
    },
]


def _numbers(engine: Engine) -> tuple[str, str]:
    a = show_person_number(engine, "A1")
    b = show_person_number(engine, "B1")
    return a, b


def show_person_number(engine: Engine, local_id: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(Person.person_number)
                .join(PersonLink, PersonLink.person_id == Person.id)
                .join(SourceRecord, SourceRecord.id == PersonLink.source_record_id)
                .where(SourceRecord.local_id == local_id)
            ).scalar_one()
        )


def test_verify_and_merged_numbers(engine: Engine) -> None:
    # The process keeps one index per store URL; test stores reuse URLs and ids.
    forget_matchers()
    ensure_datasets(engine)
    write_people(engine, [dict(p) for p in PEOPLE])
    install_model(engine)
    run_link(engine, thresholds=LIMITS)
    margaret, tomasz = _numbers(engine)
    assert margaret != tomasz

    ok = verify(engine, margaret, "Margaret", "Oyelaran", "1980-04-02")
    assert ok.result == "match" and ok.redirected_from is None
    assert verify(engine, margaret, "peggy", "OYELARAN", "1980-04-02").result == "match"
    wrong = verify(engine, margaret, "Margaret", "Oyelaran", "1980-04-03")
    assert wrong.result == "no_match" and "date of birth" in wrong.reason
    other = verify(engine, tomasz, "Margaret", "Oyelaran", "1980-04-02")
    assert other.result == "no_match" and "given name" in other.reason
    assert verify(engine, "123", "A", "B", "2000-01-01").result == "unknown"
    unissued = verify(engine, draw_person_number(), "A", "B", "2000-01-01")
    assert unissued.result == "unknown" and "no person" in unissued.reason
    with pytest.raises(InvalidInput):
        verify(engine, margaret, "Margaret", "Oyelaran", "02/04/1980")

    # A manual merge (a reason is required) redirects the absorbed number.
    with pytest.raises(InvalidInput):
        merge_persons(engine, margaret, tomasz, reason=" ")
    change = merge_persons(engine, margaret, tomasz, reason="test merge", actor="clerk")
    assert change.person_number == margaret and change.other_number == tomasz
    redirected = verify(engine, tomasz, "Tomasz", "Kowalczyk", "2009-11-23")
    assert redirected.result == "match"
    assert redirected.redirected_from == tomasz and redirected.person_number == margaret
    assert f"merged into {margaret}" in redirected.reason
    assert any(
        e["event"] == "merged_into" and "test merge" in e["reason"] and e["actor"] == "clerk"
        for e in person_history(engine, tomasz)
    )

    # The merge persists through a batch run (a must-link), then a split undoes it.
    run_link(engine, thresholds=LIMITS)
    assert len(show_person(engine, margaret).records) == 3
    split = split_person(engine, margaret, ["EDU/pupils/B1"], reason="wrong merge", actor="clerk")
    assert split.records_moved and split.other_number not in (margaret, tomasz)
    run_link(engine, thresholds=LIMITS)
    assert len(show_person(engine, margaret).records) == 2
    assert show_person_number(engine, "B1") != margaret
    events = {(e["event"], e["reason"]) for e in person_history(engine, margaret)}
    assert ("split_to", "manual split: wrong merge") in events
    with engine.connect() as conn:
        status = conn.execute(select(Person.status).where(Person.person_number == tomasz)).scalar()
    assert status == "merged"
