"""Stable person numbers through re-runs, merges, splits and manual decisions, and the
chaining guard, on SQLite and PostgreSQL (a fixed model: no training needed)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from joinedup.domain.person_number import is_valid_person_number
from joinedup.identity.batch_link import run_link
from joinedup.identity.clustering import Thresholds
from joinedup.identity.constraints import add_constraint
from joinedup.identity.numbers import issue_numbers, validate_number
from joinedup.identity.persons import person_history, show_person
from joinedup.store.schema.identity import (
    Person,
    PersonHistory,
    PersonLink,
    ReviewItem,
)
from joinedup.store.schema.records import SourceRecord
from linkage_fixtures import ensure_datasets, install_model, write_people

LIMITS = Thresholds(upper=0.99, lower=0.70, guard=0.05)

AMELIA = dict(
    given_name="Amelia",
    family_name="Jones",
    date_of_birth="2010-05-06",
    sex="female",
    postcode="L1 1AA",
    address_line_1="1 High Street",
)
SAM_A = dict(
    given_name="Samuel",
    family_name="Wood",
    date_of_birth="2000-01-01",
    sex="male",
    postcode="L5 5AB",
    address_line_1="5 Mill Road",
)
SAM_B = dict(
    given_name="Sam",
    family_name="Wood",
    date_of_birth="2001-11-21",
    sex="male",
    postcode="M1 1AA",
    address_line_1="9 Park Avenue",
)
TAYLOR = dict(
    family_name="Taylor",
    date_of_birth="2012-02-03",
    sex="male",
    postcode="L9 9ZZ",
    address_line_1="77 Church Lane",
)


def _people() -> list[dict[str, Any]]:
    return [
        {"org": "CSC", "ds": "cases", "local_id": "A1", **AMELIA, "nhs_number": "9434765919"},
        {"org": "NHS", "ds": "patients", "local_id": "A2", **AMELIA, "nhs_number": "9434765919"},
        {"org": "EDU", "ds": "pupils", "local_id": "A3", **AMELIA, "upn": "A123456789012"},
        {"org": "CSC", "ds": "cases", "local_id": "S1", **SAM_A},
        {"org": "EDU", "ds": "pupils", "local_id": "S2", **SAM_A},
        {"org": "EMP", "ds": "clients", "local_id": "S3", **SAM_B},
        {
            "org": "CSC",
            "ds": "cases",
            "local_id": "O1",
            "given_name": "Oliver",
            "family_name": "Brown",
            "date_of_birth": "1985-07-08",
            "sex": "male",
            "postcode": "L3 3CC",
        },
    ]


def _setup(engine: Engine) -> dict[str, int]:
    ensure_datasets(engine)
    install_model(engine)
    return write_people(engine, _people())


def _numbers(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(PersonLink.source_record_id, Person.person_number).join(
                Person, Person.id == PersonLink.person_id
            )
        ).all()
    return {int(r[0]): r[1] for r in rows}


def _history_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(PersonHistory.id)).all())


def test_first_run_gives_valid_numbers_and_rerun_changes_nothing(engine: Engine) -> None:
    ids = _setup(engine)
    first = run_link(engine, thresholds=LIMITS)
    numbers = _numbers(engine)
    assert set(numbers) == set(ids.values())
    assert all(is_valid_person_number(n) for n in numbers.values())
    assert numbers[ids["A1"]] == numbers[ids["A2"]] == numbers[ids["A3"]]
    assert numbers[ids["S1"]] == numbers[ids["S2"]] != numbers[ids["S3"]]
    assert first.persons_created == len(set(numbers.values())) == 4
    assert all(validate_number(n, engine).known for n in numbers.values())
    reserved = issue_numbers(engine, 50)
    assert not set(reserved) & set(numbers.values())

    history_before = _history_count(engine)
    again = run_link(engine, thresholds=LIMITS)
    assert _numbers(engine) == numbers
    assert again.links_changed == again.persons_created == again.persons_merged == 0
    assert _history_count(engine) == history_before


def test_must_link_merges_and_the_larger_person_keeps_its_number(engine: Engine) -> None:
    ids = _setup(engine)
    run_link(engine, thresholds=LIMITS)
    before = _numbers(engine)
    survivor, loser = before[ids["S1"]], before[ids["S3"]]
    add_constraint(
        engine,
        "must_link",
        "EMP/clients/S3",
        "CSC/cases/S1",
        reason="same Sam",
        actor="linkage officer",
    )
    summary = run_link(engine, thresholds=LIMITS)
    after = _numbers(engine)
    assert summary.persons_merged == 1
    assert after[ids["S3"]] == after[ids["S1"]] == survivor
    view = show_person(engine, loser)  # the merged number redirects
    assert view.number == survivor and view.redirected_from == loser
    assert {r["local_id"] for r in view.records} == {"S1", "S2", "S3"}
    events = {(e["event"], e["other_person"]) for e in person_history(engine, loser)}
    assert ("merged_into", survivor) in events
    assert ("absorbed", loser) in {(e["event"], e["other_person"]) for e in view.history}
    # The decision holds in every later run.
    later = run_link(engine, thresholds=LIMITS)
    assert _numbers(engine) == after and later.links_changed == 0


def test_cannot_link_splits_and_the_larger_part_keeps_the_number(engine: Engine) -> None:
    ids = _setup(engine)
    run_link(engine, thresholds=LIMITS)
    before = _numbers(engine)
    amelia = before[ids["A1"]]
    add_constraint(engine, "cannot_link", ids["A1"], ids["A3"], reason="different children")
    summary = run_link(engine, thresholds=LIMITS)
    after = _numbers(engine)
    assert summary.persons_split == 1
    assert after[ids["A1"]] != after[ids["A3"]]
    # A1 and A2 share an NHS number and stay together with the old number (2 of 3 records).
    assert after[ids["A1"]] == after[ids["A2"]] == amelia
    new_number = after[ids["A3"]]
    events = {(e["event"], e["other_person"]) for e in person_history(engine, new_number)}
    assert ("split_from", amelia) in events
    assert ("split_to", new_number) in {
        (e["event"], e["other_person"]) for e in person_history(engine, amelia)
    }
    later = run_link(engine, thresholds=LIMITS)
    assert _numbers(engine) == after and later.links_changed == 0


def test_a_person_whose_records_all_close_is_retired_never_reused(engine: Engine) -> None:
    ids = _setup(engine)
    run_link(engine, thresholds=LIMITS)
    oliver = _numbers(engine)[ids["O1"]]
    with engine.begin() as conn:
        conn.execute(
            update(SourceRecord).where(SourceRecord.id == ids["O1"]).values(status="closed")
        )
    summary = run_link(engine, thresholds=LIMITS)
    assert summary.persons_retired == 1
    assert oliver not in _numbers(engine).values()
    with engine.connect() as conn:
        status = conn.execute(select(Person.status).where(Person.person_number == oliver)).scalar()
    assert status == "retired"


def test_chaining_guard_keeps_twins_apart_and_raises_a_review(engine: Engine) -> None:
    ensure_datasets(engine)
    install_model(engine)
    ids = write_people(
        engine,
        [
            {"org": "CSC", "ds": "cases", "local_id": "T1", "given_name": "Jack", **TAYLOR},
            {"org": "NHS", "ds": "patients", "local_id": "T2", "given_name": None, **TAYLOR},
            {"org": "EDU", "ds": "pupils", "local_id": "T3", "given_name": "Harry", **TAYLOR},
        ],
    )
    summary = run_link(engine, thresholds=LIMITS)
    numbers = _numbers(engine)
    # T2 (no given name) links strongly to both twins; the twins must not end up together.
    assert numbers[ids["T1"]] != numbers[ids["T3"]]
    assert summary.chains_cut == 1
    with engine.connect() as conn:
        items = conn.execute(
            select(
                ReviewItem.kind, ReviewItem.record_id_l, ReviewItem.record_id_r, ReviewItem.status
            )
        ).all()
    assert ("chain", *sorted((ids["T2"], ids["T3"])), "open") in [tuple(i) for i in items] or (
        "chain",
        *sorted((ids["T1"], ids["T2"])),
        "open",
    ) in [tuple(i) for i in items]
    # Stable on re-run, and the review item is not duplicated.
    run_link(engine, thresholds=LIMITS)
    assert _numbers(engine) == numbers
    with engine.connect() as conn:
        assert len(
            conn.execute(select(ReviewItem.id).where(ReviewItem.status == "open")).all()
        ) == len([i for i in items if i[3] == "open"])


@pytest.mark.parametrize("bad", ["123", "0123456789", "1234567890"])
def test_show_person_rejects_malformed_numbers(engine: Engine, bad: str) -> None:
    from joinedup.errors import InvalidInput

    with pytest.raises(InvalidInput):
        show_person(engine, bad)
