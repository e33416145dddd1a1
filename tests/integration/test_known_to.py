"""The known-to view against a real store: each requester sees exactly what the policy
allows them, withheld datasets say why, merged numbers redirect, and every view is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from joinedup.domain.person_number import draw_person_numbers
from joinedup.errors import Forbidden, InvalidInput, NotFound
from joinedup.governance.auth import principal_for
from joinedup.governance.breakglass import request_break_glass
from joinedup.store.schema.governance import AuditLogEntry
from joinedup.store.uow import UnitOfWork, transaction
from joinedup.views.known_to import KnownToView, known_to
from partnership_seed import add_record_for, build_partnership


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    return build_partnership(engine)


def view_as(world, username: str, number: str | None = None, purpose: str = "safeguarding"):  # type: ignore[no-untyped-def]
    with UnitOfWork(world.engine) as uow:
        principal = principal_for(uow.session, username, None)
        view = known_to(uow.session, principal, purpose, number or world.person_number)
        uow.commit()
    return view


def by_org(view: KnownToView) -> dict[str, object]:
    return {i.organisation_code: i for i in view.involvements}


def reasons(view: KnownToView) -> list[str]:
    return [w.reason for w in view.withheld]


def test_own_organisation_sees_its_record_in_full_and_others_by_agreement(world) -> None:
    view = view_as(world, "social")
    lines = by_org(view)
    assert set(lines) == {"CSC", "NHS", "SCH"}
    csc, nhs, sch = lines["CSC"], lines["NHS"], lines["SCH"]
    # Own record: every field, dates to the day.
    assert csc.detail == "full" and csc.basis == "your organisation's own record"
    assert csc.start == "2023-04-12" and csc.note.startswith("Home visit")
    assert csc.record["local_id"].startswith("CSC-") and csc.record["upn"] == "A807825582632"
    # NHS shares coded detail with CSC: codes, RAG, dates to the month, no note.
    assert nhs.detail == "coded" and nhs.basis == "agreement NHS-CSC v1"
    assert (nhs.rag, nhs.reason_codes, nhs.outcome_codes) == ("green", ["R45.8"], ["DISCHARGED"])
    assert (nhs.start, nhs.end, nhs.dates_precision) == ("2024-01", "2024-06", "month")
    assert nhs.note is None and nhs.record is None
    # SCH shares known_to: the contact, no RAG, no codes.
    assert sch.detail == "known_to"
    assert sch.lead_contact == "office@riverside.example" and sch.lead_practitioner
    assert sch.rag is None and sch.reason_codes is None and sch.start == "2019-09"
    assert reasons(view) == ["not shared under your agreements"]  # HSG
    assert view.decision == "partial"
    # The summary is as detailed as the best source (the own record): full.
    assert view.summary.level == "full"
    assert view.summary.birth_dates == ["2012-03-04"]
    assert view.summary.identifiers["nhs_number"] == ["9434765919"]


def test_agreement_at_rag_shows_the_flag_but_no_codes(world) -> None:
    view = view_as(world, "teacher")
    lines = by_org(view)
    assert set(lines) == {"CSC", "SCH"}
    csc = lines["CSC"]
    assert csc.detail == "rag" and csc.rag == "red"
    assert csc.reason_codes is None and csc.outcome_codes is None and csc.note is None
    assert csc.lead_practitioner == "Sam Social"
    # HSG shares only with consent, which Amy has not given; NHS has no agreement with SCH.
    assert reasons(view) == [
        "consent required and not recorded",
        "not shared under your agreements",
    ]


def test_refusal_hides_the_details_and_says_why(world) -> None:
    view = view_as(world, "nurse")
    assert set(by_org(view)) == {"NHS"}
    assert "the person has refused sharing with you" in reasons(view)
    # Nothing of the refused record leaks into the summary or the lines.
    text = repr(view)
    assert "Sam Social" not in text and "child_protection" not in text


def test_no_agreement_shows_only_that_something_is_withheld(world) -> None:
    view = view_as(world, "adviser")
    assert view.involvements == []
    assert reasons(view) == ["not shared under your agreements"] * 4
    assert view.decision == "denied"
    # No name, birth date or organisation: the withheld lines do not say where.
    assert view.summary.level == "none" and view.summary.names == []
    assert view.summary.birth_dates == []
    # (Not the whole view: a random person number may well contain "2012".)
    text = repr((view.summary, view.involvements, view.withheld))
    for hidden in ("CSC", "SCH", "NHS", "HSG", "Amy", "2012"):
        assert hidden not in text


def test_demographics_follow_the_level_of_each_source(world) -> None:
    # Teacher: her own SCH record (full) and CSC's at rag: the summary is full.
    teacher = view_as(world, "teacher").summary
    assert teacher.level == "full" and teacher.sources == 2
    assert teacher.addresses[0].postcode == "LS1 4AP" and teacher.birth_dates == ["2012-03-04"]
    # Adviser with a break-glass grant at rag: names and the year of birth, nothing more.
    _break_glass(world, "adviser", "rag")
    adviser = view_as(world, "adviser").summary
    assert adviser.level == "rag" and adviser.sources == 4
    assert [(n.given, n.family) for n in adviser.names] == [("Amy", "Example")]
    assert adviser.birth_dates == ["2012"]
    assert adviser.sex == [] and adviser.postcode_districts == [] and adviser.addresses == []
    assert adviser.identifiers == {} and adviser.phones == []


def _break_glass(world, username: str, detail: str) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(world.engine) as uow:
        principal = principal_for(uow.session, username, None)
        uow.commit()
    request_break_glass(
        world.engine,
        principal,
        world.person_number,
        "Amy has gone missing and we need every contact who may know where she is now.",
        detail=detail,
    )


def test_break_glass_lifts_the_view_and_is_flagged(world) -> None:
    _break_glass(world, "adviser", "rag")
    view = view_as(world, "adviser")
    assert view.break_glass is True
    assert set(by_org(view)) == {"CSC", "SCH", "NHS", "HSG"}
    assert all(i.break_glass and i.detail == "rag" for i in view.involvements)
    assert by_org(view)["CSC"].basis == "break-glass"
    assert by_org(view)["CSC"].rag == "red" and by_org(view)["CSC"].reason_codes is None
    # Break-glass is for safeguarding only: another purpose gets the ordinary view.
    other = view_as(world, "adviser", purpose="employment_support")
    assert other.involvements == [] and other.break_glass is False


def test_merged_number_redirects_and_says_so(world) -> None:
    view = view_as(world, "social", number=world.merged_number)
    assert view.person_number == world.person_number
    assert view.redirected_from == world.merged_number
    assert world.merged_number in view.redirect_note and world.person_number in view.redirect_note
    assert len(view.involvements) == 3


def test_records_still_linked_to_a_merged_number_are_shown(world) -> None:
    add_record_for(
        world.engine,
        "CSC",
        world.merged_number,
        "CSC-OLD-1",
        {"service": "Early help", "involvement_type": "early_help", "given_name": "Amy"},
    )
    view = view_as(world, "social")
    csc = [i for i in view.involvements if i.organisation_code == "CSC"]
    assert sorted(i.service for i in csc) == ["Children's social care", "Early help"]


def test_every_view_is_audited_with_the_decision(world) -> None:
    before = _policy_entries(world)
    view = view_as(world, "teacher")
    after = _policy_entries(world)
    assert len(after) == len(before) + 1
    entry = after[-1]
    assert entry.seq == view.audit_seq
    assert entry.actor == "teacher" and entry.purpose == "safeguarding"
    assert entry.person_id == world.person_id and entry.decision == "partial"
    assert entry.details["view"] == "known_to"
    # The audit keeps the full reasons the view gives only in general terms.
    assert any("HSG-SCH" in " ".join(d["reasons"]) for d in entry.details["datasets"]) or any(
        "consent" in " ".join(d["reasons"]) for d in entry.details["datasets"]
    )


def _policy_entries(world) -> list[AuditLogEntry]:  # type: ignore[no-untyped-def]
    with transaction(world.engine) as session:
        return list(
            session.scalars(
                select(AuditLogEntry)
                .where(AuditLogEntry.action == "policy.person_view")
                .order_by(AuditLogEntry.seq)
            )
        )


def test_the_view_and_its_audit_entry_roll_back_together(world) -> None:
    before = len(_policy_entries(world))
    with UnitOfWork(world.engine) as uow:
        principal = principal_for(uow.session, "social", None)
        known_to(uow.session, principal, "safeguarding", world.person_number)
        uow.rollback()
    assert len(_policy_entries(world)) == before


def test_roles_without_person_work_are_refused(world) -> None:
    with pytest.raises(Forbidden):
        view_as(world, "analyst")
    with pytest.raises(Forbidden):
        view_as(world, "admin")


def test_bad_input_is_a_clear_error(world) -> None:
    with pytest.raises(InvalidInput, match="purpose"):
        view_as(world, "social", purpose="curiosity")
    with pytest.raises(InvalidInput, match="not a person number"):
        view_as(world, "social", number="123")
    taken = {world.person_number, world.merged_number, world.other_number}
    with pytest.raises(NotFound):
        view_as(world, "social", number=draw_person_numbers(1, exclude=taken)[0])
