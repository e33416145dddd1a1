"""Search safeguards against a real store: the minimum fields, the threshold, the result
cap, the audit of every search, and results shaped by the policy.

The fuzzy scorer is issue 5's online matcher, which does not exist yet; these tests pass a
stand-in that scores exact agreement on the given fields as 1.0 and one other person as 0.5,
so that what is tested is the safeguards around the matcher, not its scores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.errors import Forbidden, InvalidInput
from joinedup.governance.auth import principal_for
from joinedup.store.schema.governance import AuditLogEntry
from joinedup.store.schema.identity import PersonLink
from joinedup.store.schema.records import SourceRecord
from joinedup.store.uow import UnitOfWork, transaction
from joinedup.views.search import RESULT_CAP, Candidate, search
from partnership_seed import build_partnership

AMY = {"family_name": "Example", "date_of_birth": dt.date(2012, 3, 4)}


def stand_in_matcher(session: Session, record: Mapping[str, Any], limit: int) -> list[Candidate]:
    """Exact agreement on every given field scores 1.0; every other person 0.5."""
    rows = session.execute(
        select(PersonLink.person_id, SourceRecord).join(
            SourceRecord, SourceRecord.id == PersonLink.source_record_id
        )
    ).all()
    scores: dict[int, float] = {}
    for person_id, rec in rows:
        exact = all(getattr(rec, k) == v for k, v in record.items())
        scores[person_id] = max(scores.get(person_id, 0.0), 1.0 if exact else 0.5)
    return sorted((Candidate(p, s) for p, s in scores.items()), key=lambda c: -c.probability)


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    return build_partnership(engine)


def run(world, username: str, query: dict[str, Any], **kwargs: Any):  # type: ignore[no-untyped-def]
    with UnitOfWork(world.engine) as uow:
        principal = principal_for(uow.session, username, None)
        outcome = search(uow.session, principal, "safeguarding", query, stand_in_matcher, **kwargs)
        uow.commit()
    return outcome


def test_results_above_the_threshold_with_what_the_requester_may_see(world) -> None:
    teacher = run(world, "teacher", AMY)
    assert [r.person_number for r in teacher.results] == [world.person_number]
    assert teacher.results[0].probability == 1.0
    assert teacher.results[0].summary.birth_dates == ["2012-03-04"]  # her own record: full
    adviser = run(world, "adviser", AMY)
    # Found, but nothing of Amy's records is shared with EMP: no name, no birth date.
    assert [r.person_number for r in adviser.results] == [world.person_number]
    assert adviser.results[0].summary.names == [] and adviser.results[0].summary.level == "none"
    # A lower threshold lets the 0.5 candidates through, still capped.
    loose = run(world, "teacher", AMY, threshold=0.4, limit=50)
    assert len(loose.results) == 2 <= RESULT_CAP
    assert loose.results[0].person_number == world.person_number


@pytest.mark.parametrize(
    "query",
    [
        {"family_name": "Example"},
        {"date_of_birth": dt.date(2012, 3, 4)},
        {"postcode": "LS1 4AP"},
        {"given_name": "Amy", "family_name": "Example"},
        {"given_name": "Amy", "postcode": "LS1 4AP"},
    ],
)
def test_too_few_fields_are_refused(world, query: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="enough to find one person"):
        run(world, "teacher", query)


def test_an_identifier_alone_is_enough(world) -> None:
    found = run(world, "social", {"nhs_number": "9434765919"})
    assert [r.person_number for r in found.results] == [world.person_number]


def test_every_search_is_audited_without_the_values(world) -> None:
    outcome = run(world, "teacher", {**AMY, "given_name": "Nobody"})
    assert outcome.results == []
    with transaction(world.engine) as session:
        entry = session.get(AuditLogEntry, outcome.audit_seq)
        assert entry is not None and entry.action == "search" and entry.actor == "teacher"
        assert entry.details["fields"] == ["date_of_birth", "family_name", "given_name"]
        assert entry.details["results"] == 0
        assert "Example" not in str(entry.details) and "Nobody" not in str(entry.details)
    found = run(world, "teacher", AMY)
    with transaction(world.engine) as session:
        (policy_seq,) = session.get(AuditLogEntry, found.audit_seq).details["policy_entries"]
        decision = session.get(AuditLogEntry, policy_seq)
        assert decision.person_id == world.person_id and decision.details["view"] == "search"


def test_search_is_for_people_work(world) -> None:
    with pytest.raises(Forbidden):
        run(world, "analyst", AMY)
    with pytest.raises(InvalidInput, match="Unknown search fields"):
        run(world, "teacher", {**AMY, "shoe_size": 9})
