"""Online registration: link, hold for review, or mint; never two numbers for one new
person under concurrent registrations (PostgreSQL, threads with their own indexes)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from joinedup.domain.person_number import is_valid_person_number
from joinedup.identity.batch_link import run_link
from joinedup.identity.clustering import Thresholds
from joinedup.identity.online.matcher import OnlineMatcher, forget_matchers, match_record
from joinedup.identity.register import register
from joinedup.store import create_store_engine
from joinedup.store.schema.identity import Person, PersonLink, ReviewItem
from joinedup.store.schema.records import SourceRecord
from linkage_fixtures import (
    ensure_datasets,
    fixed_model_settings,
    install_model,
    make_people,
    write_partnership,
)

LIMITS = Thresholds(upper=0.99, lower=0.70, guard=0.05)


def _matcher() -> OnlineMatcher:
    return OnlineMatcher(fixed_model_settings(), LIMITS)


def _known(engine: Engine) -> tuple[dict[str, Any], str]:
    """A stored record (with an NHS number) and its person's number."""
    with Session(engine) as session:
        row = session.execute(
            select(SourceRecord, Person.person_number)
            .join(PersonLink, PersonLink.source_record_id == SourceRecord.id)
            .join(Person, Person.id == PersonLink.person_id)
            .where(SourceRecord.nhs_number.is_not(None))
            .order_by(SourceRecord.id)
            .limit(1)
        ).first()
    assert row is not None
    rec = row[0]
    fields = {
        k: getattr(rec, k)
        for k in ("given_name", "family_name", "date_of_birth", "sex", "postcode", "nhs_number")
    }
    fields["address_line_1"] = rec.address_line_1
    fields["date_of_birth"] = rec.date_of_birth.isoformat()
    return fields, str(row[1])


def test_register_links_holds_or_mints(engine: Engine) -> None:
    # The process keeps one index per store URL; test stores reuse URLs and ids.
    forget_matchers()
    write_partnership(engine, make_people(25, seed=3), seed=4, error_rate=0.05)
    install_model(engine)
    run_link(engine, thresholds=LIMITS)
    matcher = _matcher()
    fields, number = _known(engine)

    linked = register(
        engine,
        {**fields, "organisation": "EDU", "dataset": "pupils", "local_id": "NEW1"},
        matcher=matcher,
    )
    assert linked.outcome == "linked" and linked.person_number == number
    assert linked.match_probability is not None and linked.match_probability >= LIMITS.upper
    again = register(
        engine,
        {**fields, "organisation": "EDU", "dataset": "pupils", "local_id": "NEW1"},
        matcher=matcher,
    )
    assert again.outcome == "existing" and again.person_number == number

    stranger = {
        "given_name": "Zebedee",
        "family_name": "Quartermaine",
        "date_of_birth": "1931-02-03",
        "postcode": "ZE1 0AA",
        "organisation": "EDU",
        "dataset": "pupils",
        "local_id": "NEW2",
    }
    created = register(engine, stranger, matcher=matcher)
    assert created.outcome == "created" and created.person_number != number
    assert is_valid_person_number(created.person_number)

    # Same names and date of birth, elsewhere, no identifier: probable but not certain.
    doubtful = {k: fields[k] for k in ("given_name", "family_name", "date_of_birth")}
    doubtful.update(postcode="ZZ9 9ZZ", address_line_1="1 Nowhere Lane")
    assert matcher.match(doubtful).decision == "review"
    held = register(
        engine,
        {**doubtful, "organisation": "NHS", "dataset": "patients", "local_id": "NEW3"},
        matcher=matcher,
    )
    assert held.outcome == "pending" and held.person_number not in (number,)
    assert held.review_item_ids
    with Session(engine) as session:
        status = session.execute(select(Person.status).where(Person.id == held.person_id)).scalar()
        item = session.execute(
            select(ReviewItem).where(ReviewItem.id == held.review_item_ids[0])
        ).scalar_one()
    assert status == "pending"
    assert held.record_id in (item.record_id_l, item.record_id_r)
    assert LIMITS.lower <= item.match_probability < LIMITS.upper
    assert item.details and item.details["contributions"]

    # The process-wide matcher (a fresh index from the store) sees all three registrations.
    forget_matchers()
    found = match_record(engine, {k: v for k, v in fields.items()})
    assert found.candidates[0].person_number == number


def _register_at_once(engine: Engine, person: dict[str, Any], round_no: int) -> list[Any]:
    """Three threads, each with its own index (as separate processes would have), register
    the same person in three datasets at the same moment."""
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)
    datasets = [("CSC", "cases"), ("NHS", "patients"), ("EDU", "pupils")]

    def worker(n: int) -> None:
        matcher = _matcher()
        matcher.refresh(engine)
        barrier.wait()
        try:
            record = {**person, "organisation": datasets[n][0], "dataset": datasets[n][1]}
            record["local_id"] = f"R{round_no}T{n}"
            results.append(register(engine, record, matcher=matcher))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_concurrent_registrations_of_one_new_person_mint_one_number(pg_url: str) -> None:
    engine = create_store_engine(pg_url, pool_size=8)
    try:
        ensure_datasets(engine)
        install_model(engine)
        people = [
            {
                "given_name": f"Concurrent{i}",
                "family_name": "Registrant",
                "date_of_birth": f"2001-03-{i + 1:02d}",
                "sex": "female",
                "postcode": "L1 8JQ",
                "nhs_number": nhs,
            }
            for i, nhs in enumerate(["9434765919", "4010232137", "9434765870", "9876543210"])
        ]
        for round_no, person in enumerate(people):
            results = _register_at_once(engine, person, round_no)
            assert len({r.person_number for r in results}) == 1
            assert sorted(r.outcome for r in results) == ["created", "linked", "linked"]
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Person)).scalar() == len(people)
    finally:
        engine.dispose()
