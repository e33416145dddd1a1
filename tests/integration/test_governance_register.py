"""The consent register, notifications, subject reports and pseudonyms, on both backends."""

from __future__ import annotations

import datetime as dt
import hmac

import pytest
from governance_world import build_world, make_agreement
from sqlalchemy import select

from joinedup.errors import Conflict, Forbidden, InvalidInput, NotFound
from joinedup.governance import pdp
from joinedup.governance.auth import principal_for
from joinedup.governance.breakglass import request_break_glass
from joinedup.governance.consent import RecordRef, list_consents, record_consent, withdraw_consent
from joinedup.governance.notifications import list_notifications, mark_read
from joinedup.governance.pseudonymise import (
    create_project,
    list_projects,
    load_project,
    pseudonym,
    retire_project,
)
from joinedup.governance.reports import subject_report
from joinedup.store.schema.governance import PseudonymProject
from joinedup.store.uow import UnitOfWork


def test_register_lists_person_and_record_entries_with_withdrawal(engine) -> None:
    world = build_world(engine)
    first = record_consent(
        engine, "deny", actor="social", person_number=world.person_number,
        recipient="SCH", purpose="safeguarding", evidence="phone call 3 May",
        valid_from=dt.date(2025, 5, 3),
    )  # fmt: skip
    record_consent(
        engine, "permit", actor="emp_owner",
        record=RecordRef.parse(f"EMP/clients/{world.person_number}-clients"),
    )  # fmt: skip
    withdraw_consent(engine, first, actor="social", reason="recorded against the wrong school")
    views = list_consents(engine, world.person_number)
    assert [(v.decision, v.recipient, v.purpose, v.status) for v in views] == [
        ("deny", "SCH", "safeguarding", "withdrawn"),
        ("permit", "any", "any", "current"),
    ]
    assert views[0].recorded_by == "social" and views[0].evidence == "phone call 3 May"
    assert views[1].subject == f"record EMP/clients/{world.person_number}-clients"
    with pytest.raises(Conflict):
        withdraw_consent(engine, first, actor="social", reason="again")


BAD_ENTRIES = [
    ({"decision": "maybe"}, InvalidInput),
    ({"decision": "deny", "purpose": "gossip"}, InvalidInput),
    ({"decision": "deny", "recipient": "NOPE"}, NotFound),
    ({"decision": "deny", "person_number": None}, InvalidInput),
    (
        {"decision": "deny", "valid_from": dt.date(2025, 2, 1), "valid_to": dt.date(2025, 1, 1)},
        InvalidInput,
    ),
]


def test_bad_consent_entries_are_refused(engine) -> None:
    world = build_world(engine)
    for kwargs, error in BAD_ENTRIES:
        args = {"actor": "social", "person_number": world.person_number, **kwargs}
        decision = args.pop("decision")
        with pytest.raises(error):
            record_consent(engine, decision, **args)
    assert list_consents(engine, world.person_number) == []


def test_only_people_with_a_role_record_consent(engine) -> None:
    world = build_world(engine)
    from joinedup.governance.users import create_user

    create_user(engine, "visitor", "Visitor")
    with pytest.raises(Forbidden):
        record_consent(engine, "deny", actor="visitor", person_number=world.person_number)


def test_subject_report_says_who_looked_and_under_which_agreement(engine) -> None:
    world = build_world(engine)
    make_agreement(engine, "DSA-SAFE", "CSC", ["cases"], orgs=["SCH"])
    with UnitOfWork(engine) as uow:
        teacher = principal_for(uow.session, "teacher", None)
        nurse = principal_for(uow.session, "nurse", None)
    pdp.decide_for_person(engine, teacher, "safeguarding", world.person_id)
    pdp.decide_for_person(engine, nurse, "care_coordination", world.person_id)
    request_break_glass(
        engine,
        teacher,
        world.person_number,
        "Immediate risk reported by the school nurse this morning.",
    )
    pdp.decide_for_person(engine, teacher, "safeguarding", world.person_id)
    with pytest.raises(Forbidden):
        subject_report(engine, world.person_number, actor="teacher")
    report = subject_report(engine, world.person_number, actor="csc_owner")
    rows = [
        (e.actor, e.organisation, e.action, e.agreements, e.break_glass) for e in report.entries
    ]
    assert rows == [
        ("teacher", "SCH", "policy.person_view", ("DSA-SAFE v1",), False),
        ("nurse", "NHS", "policy.person_view", (), False),
        ("teacher", "SCH", "breakglass.request", (), True),
        ("teacher", "SCH", "policy.person_view", ("DSA-SAFE v1",), True),
    ]
    # Running the report is itself on the record.
    again = subject_report(engine, world.person_number)
    assert again.entries[-1].action == "audit.subject_report"


def test_notifications_are_read_by_the_role_they_address(engine) -> None:
    world = build_world(engine)
    with UnitOfWork(engine) as uow:
        teacher = principal_for(uow.session, "teacher", None)
    request_break_glass(
        engine,
        teacher,
        world.person_number,
        "Immediate risk reported by the school nurse this morning.",
    )
    (note,) = list_notifications(engine, "CSC", unread_only=True)
    with pytest.raises(Forbidden):
        mark_read(engine, note.id, actor="nhs_owner")
    mark_read(engine, note.id, actor="csc_owner")
    assert list_notifications(engine, "CSC", unread_only=True) == []
    assert len(list_notifications(engine, "CSC")) == 1


def test_pseudonyms_are_keyed_per_project(engine) -> None:
    build_world(engine)
    alpha = create_project(engine, "alpha", "NEET pathways", actor="analyst")
    beta = create_project(engine, "beta", "School moves")
    number = "1234567890"
    p1 = pseudonym(alpha, number)
    assert len(p1) == 64 and number not in p1
    # Stable: the stored key gives the same pseudonym later.
    assert pseudonym(load_project(engine, "alpha"), number) == p1
    assert pseudonym(load_project(engine, "alpha"), "123 456 7890") == p1
    # Keyed: another project's pseudonym is unrelated; the key is what makes it.
    assert pseudonym(beta, number) != p1
    with UnitOfWork(engine) as uow:
        key = uow.session.scalars(
            select(PseudonymProject.key).where(PseudonymProject.code == "alpha")
        ).one()
    assert len(key) == 32
    assert hmac.new(key, number.encode(), "sha256").hexdigest() == p1
    assert pseudonym(alpha, "1234567891") != p1
    with pytest.raises(Conflict):
        create_project(engine, "alpha", "again")
    retire_project(engine, "beta")
    with pytest.raises(Conflict, match="retired"):
        load_project(engine, "beta")
    assert [(p.code, p.retired_at is not None) for p in list_projects(engine)] == [
        ("alpha", False),
        ("beta", True),
    ]
    assert "key=" not in repr(alpha) and key.hex() not in repr(alpha)
