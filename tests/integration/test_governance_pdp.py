"""The policy decision point through the service layer, on SQLite and PostgreSQL: agreements,
consent and break-glass loaded from the store, and an audit entry for every decision."""

from __future__ import annotations

import datetime as dt

import pytest
from governance_world import USERS, add_person, build_world, make_agreement
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from joinedup.domain.levels import Aggregation, Detail
from joinedup.errors import Forbidden, InvalidInput
from joinedup.governance import audit, pdp
from joinedup.governance.agreements import end_agreement, load_terms, suspend_agreement
from joinedup.governance.auth import principal_for
from joinedup.governance.breakglass import (
    list_break_glass,
    request_break_glass,
    review_break_glass,
)
from joinedup.governance.consent import RecordRef, record_consent, withdraw_consent
from joinedup.governance.notifications import list_notifications
from joinedup.store.schema.core import Dataset
from joinedup.store.schema.governance import AuditLogEntry
from joinedup.store.schema.identity import Person
from joinedup.store.uow import UnitOfWork


def _principal(engine, username, org=None):
    with UnitOfWork(engine) as uow:
        return principal_for(uow.session, username, org)


def _entry(engine, seq) -> AuditLogEntry:
    with UnitOfWork(engine) as uow:
        row = uow.session.get_one(AuditLogEntry, seq)
        uow.session.expunge(row)
        return row


def _by_org(world, result):
    code = {v: k for k, v in world.orgs.items()}
    return {code[d.dataset.organisation_id]: d for d in result.decisions}


def test_decision_follows_the_agreements_and_is_audited(engine) -> None:
    world = build_world(engine)
    make_agreement(engine, "DSA-SAFE", "CSC", ["cases"], orgs=["SCH"])
    teacher = _principal(engine, "teacher")
    result = pdp.decide_for_person(engine, teacher, "safeguarding", world.person_id)
    by_org = _by_org(world, result)
    assert set(by_org) == {"CSC", "NHS", "EMP"}
    assert by_org["CSC"].allowed and by_org["CSC"].detail == Detail.RAG
    assert not by_org["NHS"].allowed and "not shared under your agreements" in by_org["NHS"].reasons
    assert result.summary == "partial"
    entry = _entry(engine, result.audit_seq)
    assert (entry.action, entry.actor, entry.person_id) == (
        "policy.person_view",
        "teacher",
        world.person_id,
    )
    assert (entry.purpose, entry.decision, entry.roles) == (
        "safeguarding",
        "partial",
        ["practitioner"],
    )
    assert entry.organisation_id == world.orgs["SCH"]
    with UnitOfWork(engine) as uow:
        (terms,) = load_terms(uow.session)
    assert entry.agreement_ids == [terms.agreement_id]
    allowed = [d for d in entry.details["datasets"] if d["allowed"]]
    assert allowed == [
        {
            "dataset_id": world.datasets["CSC"],
            "organisation_id": world.orgs["CSC"],
            "allowed": True,
            "detail": "rag",
            "aggregation": "person",
            "agreement_id": terms.agreement_id,
            "break_glass": False,
            "own_organisation": False,
            "reasons": [
                "shared under agreement DSA-SAFE v1",
                "detail limited to rag by agreement DSA-SAFE",
            ],
        }
    ]


def test_own_records_in_full_and_suspension_stops_sharing_at_once(engine) -> None:
    world = build_world(engine)
    make_agreement(engine, "DSA-SAFE", "CSC", ["cases"], orgs=["NHS"])
    nurse = _principal(engine, "nurse")
    by_org = _by_org(world, pdp.decide_for_person(engine, nurse, "safeguarding", world.person_id))
    assert by_org["NHS"].own_organisation and by_org["NHS"].detail == Detail.FULL
    assert by_org["CSC"].allowed
    suspend_agreement(engine, "DSA-SAFE", actor="csc_owner", reason="review")
    by_org = _by_org(world, pdp.decide_for_person(engine, nurse, "safeguarding", world.person_id))
    assert not by_org["CSC"].allowed
    assert "agreement DSA-SAFE is suspended" in by_org["CSC"].reasons[0]
    assert by_org["NHS"].allowed  # own records never depend on agreements


def test_refusal_blocks_and_withdrawal_restores(engine) -> None:
    world = build_world(engine)
    make_agreement(engine, "DSA-SAFE", "CSC", ["cases"], orgs=["SCH", "NHS"])
    refusal = record_consent(
        engine,
        "deny",
        actor="social",
        person_number=world.person_number,
        recipient="SCH",
        evidence="letter 2025-05-01",
    )
    teacher, nurse = _principal(engine, "teacher"), _principal(engine, "nurse")
    assert not _by_org(
        world, pdp.decide_for_person(engine, teacher, "safeguarding", world.person_id)
    )["CSC"].allowed
    # The refusal names the school only.
    assert _by_org(world, pdp.decide_for_person(engine, nurse, "safeguarding", world.person_id))[
        "CSC"
    ].allowed
    withdraw_consent(engine, refusal, actor="social", reason="client changed their mind")
    assert _by_org(world, pdp.decide_for_person(engine, teacher, "safeguarding", world.person_id))[
        "CSC"
    ].allowed


def test_a_refusal_on_one_record_covers_that_dataset_only(engine) -> None:
    world = build_world(engine)
    make_agreement(engine, "DSA-CSC", "CSC", ["cases"], orgs=["SCH"])
    make_agreement(engine, "DSA-EMP", "EMP", ["clients"], orgs=["SCH"])
    record_consent(
        engine,
        "deny",
        actor="emp_owner",
        record=RecordRef("EMP", "clients", f"{world.person_number}-clients"),
    )
    by_org = _by_org(
        world,
        pdp.decide_for_person(
            engine, _principal(engine, "teacher"), "safeguarding", world.person_id
        ),
    )
    assert by_org["CSC"].allowed
    assert not by_org["EMP"].allowed and by_org["EMP"].reasons == (
        "the person has refused sharing with you",
    )


def test_consent_basis_needs_a_permit(engine) -> None:
    world = build_world(engine)
    make_agreement(
        engine,
        "DSA-EMP",
        "EMP",
        ["clients"],
        orgs=["CSC"],
        purposes=["employment_support"],
        detail="coded",
        basis="consent",
    )
    social = _principal(engine, "social")
    decision = _by_org(
        world, pdp.decide_for_person(engine, social, "employment_support", world.person_id)
    )["EMP"]
    assert not decision.allowed and decision.reasons == ("consent required and not recorded",)
    record_consent(
        engine,
        "permit",
        actor="social",
        person_number=world.person_number,
        recipient="CSC",
        purpose="employment_support",
        evidence="signed form",
    )
    decision = _by_org(
        world, pdp.decide_for_person(engine, social, "employment_support", world.person_id)
    )["EMP"]
    assert decision.allowed and decision.detail == Detail.CODED


def test_break_glass_is_flagged_notified_and_reviewed(engine) -> None:
    world = build_world(engine)
    record_consent(engine, "deny", actor="social", person_number=world.person_number)
    teacher = _principal(engine, "teacher")
    with pytest.raises(InvalidInput, match="justification"):
        request_break_glass(engine, teacher, world.person_number, "urgent")
    with pytest.raises(Forbidden, match="practitioner"):
        request_break_glass(engine, _principal(engine, "analyst"), world.person_number, "x" * 60)
    grant_id = request_break_glass(
        engine, teacher, world.person_number,
        "Child disclosed harm at school today; need to know who else is involved before 5pm.",
        hours=2,
    )  # fmt: skip
    # Without the safeguarding purpose the grant does not apply.
    result = pdp.decide_for_person(engine, teacher, "care_coordination", world.person_id)
    assert not any(d.allowed for d in result.decisions)
    result = pdp.decide_for_person(engine, teacher, "safeguarding", world.person_id)
    assert all(d.allowed and d.break_glass and d.detail == Detail.FULL for d in result.decisions)
    entry = _entry(engine, result.audit_seq)
    assert entry.break_glass and entry.details["break_glass_grant"] == grant_id
    # Each provider's data owners are told, and the grant waits for review.
    for org in ("CSC", "NHS", "EMP"):
        (note,) = list_notifications(engine, org)
        assert note.kind == "break_glass" and note.role == "data_owner" and "teacher" in note.body
    assert list_notifications(engine, "SCH") == []
    (pending,) = list_break_glass(engine, pending_only=True, organisation_code="NHS")
    assert pending.id == grant_id and pending.notified == ("CSC", "EMP", "NHS")
    with pytest.raises(Forbidden):
        review_break_glass(engine, grant_id, actor="teacher", outcome="appropriate", note="me")
    review_break_glass(
        engine, grant_id, actor="nhs_owner", outcome="appropriate", note="Checked with DSL."
    )
    assert list_break_glass(engine, pending_only=True) == []
    # After expiry the refusal holds again.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    result = pdp.decide_for_person(engine, teacher, "safeguarding", world.person_id, now=later)
    assert not any(d.allowed for d in result.decisions)


def test_merged_person_is_decided_as_its_survivor_with_both_registers(engine) -> None:
    world = build_world(engine)
    make_agreement(engine, "DSA-SAFE", "CSC", ["cases"], orgs=["SCH"])
    with UnitOfWork(engine) as uow:
        s = uow.session
        old = add_person(s, [s.get_one(Dataset, world.datasets["SCH"])])
        old_id, old_number = old.id, old.person_number
        uow.commit()
    record_consent(engine, "deny", actor="social", person_number=old_number, recipient="SCH")
    with UnitOfWork(engine) as uow:
        uow.session.get_one(Person, old_id).merged_into_id = world.person_id
        uow.session.get_one(Person, old_id).status = "merged"
        uow.commit()
    result = pdp.decide_for_person(engine, _principal(engine, "teacher"), "safeguarding", old_id)
    assert result.person_id == world.person_id
    by_org = _by_org(world, result)
    assert set(by_org) == {"CSC", "NHS", "EMP", "SCH"}  # records of both
    assert by_org["SCH"].own_organisation
    assert not by_org["CSC"].allowed  # the refusal recorded on the merged number holds


def test_batch_decisions_write_one_entry_per_person(engine) -> None:
    world = build_world(engine)
    with UnitOfWork(engine) as uow:
        s = uow.session
        others = [add_person(s, [s.get_one(Dataset, world.datasets["CSC"])]).id for _ in range(3)]
        uow.commit()
    teacher = _principal(engine, "teacher")
    results = pdp.decide_for_persons(
        engine, teacher, "safeguarding", [world.person_id, *others], details={"view": "search"}
    )
    assert list(results) == [world.person_id, *others]
    seqs = [r.audit_seq for r in results.values()]
    assert len(set(seqs)) == 4
    for pid, result in results.items():
        entry = _entry(engine, result.audit_seq)
        assert entry.person_id == pid and entry.details["view"] == "search"


def test_aggregates_over_datasets(engine) -> None:
    world = build_world(engine)
    make_agreement(
        engine,
        "DSA-PLAN",
        "CSC",
        ["cases"],
        roles=["analyst"],
        purposes=["service_planning"],
        detail="coded",
        agg="ward",
    )
    analyst = _principal(engine, "analyst")
    result = pdp.decide_for_datasets(
        engine,
        analyst,
        "service_planning",
        [world.datasets["CSC"], world.datasets["EMP"]],
        aggregation="postcode",
    )
    csc, emp = result.decisions
    assert csc.allowed and csc.aggregation == Aggregation.WARD and csc.detail == Detail.CODED
    assert not emp.allowed
    entry = _entry(engine, result.audit_seq)
    assert (
        entry.action == "policy.aggregate"
        and entry.person_id is None
        and entry.decision == "partial"
    )


def test_the_decision_and_the_read_commit_together(engine) -> None:
    world = build_world(engine)
    teacher = _principal(engine, "teacher")
    before = audit.head(engine)
    with UnitOfWork(engine) as uow:
        pdp.decide_for_person(uow.session, teacher, "safeguarding", world.person_id)
        # the caller fails before committing: no read happened, no entry remains
    assert audit.head(engine) == before
    with UnitOfWork(engine) as uow:
        result = pdp.decide_for_person(uow.session, teacher, "safeguarding", world.person_id)
        uow.commit()
    assert audit.head(engine).seq == result.audit_seq


def test_unknown_purpose_or_kind_is_refused(engine) -> None:
    world = build_world(engine)
    teacher = _principal(engine, "teacher")
    with pytest.raises(InvalidInput, match="purpose"):
        pdp.decide_for_person(engine, teacher, "curiosity", world.person_id)
    with pytest.raises(InvalidInput, match="kind"):
        pdp.decide_for_person(engine, teacher, "safeguarding", world.person_id, kind="peek")


# ---- the acceptance property: every allowed read has its audit entry --------------------

PROVIDERS = {"CSC": "cases", "NHS": "caseload", "EMP": "clients"}
REQUESTERS = ["teacher", "nurse", "social", "analyst", "csc_owner"]
PURPOSES = ["safeguarding", "care_coordination", "service_planning"]
ORG_CODES = ["CSC", "SCH", "NHS", "EMP"]


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    """A person known to some partners, a requester, and agreements and consents that are
    often (not always) about that requester and purpose, so that grants are common."""
    requester = draw(st.sampled_from(REQUESTERS))
    home = USERS[requester][0]
    purpose = draw(st.sampled_from(PURPOSES))
    in_datasets = draw(st.lists(st.sampled_from(ORG_CODES), min_size=1, unique=True))
    providers = sorted(set(in_datasets) & set(PROVIDERS)) or sorted(PROVIDERS)
    agreements = []
    for _ in range(draw(st.integers(0, 4))):
        aimed = draw(st.sampled_from([True, True, True, False]))
        orgs = set(draw(st.lists(st.sampled_from(ORG_CODES), max_size=2, unique=True)))
        purposes = set(draw(st.lists(st.sampled_from(PURPOSES), min_size=1, unique=True)))
        if aimed:
            orgs.add(home)
            purposes.add(purpose)
        agreements.append(
            {
                "provider": draw(st.sampled_from(providers)),  # a holder of the person's records
                "orgs": sorted(orgs),
                "roles": draw(st.lists(st.sampled_from(["practitioner", "analyst"]), max_size=1)),
                "purposes": sorted(purposes),
                "detail": draw(st.sampled_from(["known_to", "rag", "coded", "full"])),
                "agg": draw(st.sampled_from(["person", "person", "ward"])),
                "basis": draw(st.sampled_from(["consent", "public_task", "legal_obligation"])),
            }
        )
    consents = [
        {
            "decision": draw(st.sampled_from(["permit", "deny"])),
            "recipient": draw(st.none() | st.just(home) | st.sampled_from(ORG_CODES)),
            "purpose": draw(st.none() | st.just(purpose) | st.sampled_from(PURPOSES)),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    return {
        "requester": requester,
        "purpose": purpose,
        "in_datasets": in_datasets,
        "agreements": agreements,
        "consents": consents,
        "detail": draw(st.sampled_from(list(Detail)[1:])),
        "kind": draw(st.sampled_from(["person_view", "person_view", "event", "export"])),
        "glass": draw(st.booleans()),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenarios())
def test_every_allowed_read_has_its_audit_entry(engine, scenario: dict) -> None:
    requester, purpose = scenario["requester"], scenario["purpose"]
    in_datasets, agreements, consents = (
        scenario["in_datasets"],
        scenario["agreements"],
        scenario["consents"],
    )
    detail, kind, glass = scenario["detail"], scenario["kind"], scenario["glass"]
    if not getattr(engine, "_world", None):
        engine._world = build_world(engine)
        engine._n = 0
    world = engine._world
    engine._n += 1
    with UnitOfWork(engine) as uow:
        s = uow.session
        person = add_person(s, [s.get_one(Dataset, world.datasets[c]) for c in in_datasets])
        person_id, number = person.id, person.person_number
        uow.commit()
    codes = []
    for i, spec in enumerate(agreements):
        orgs = [o for o in spec["orgs"] if o != spec["provider"]]
        if not orgs and not spec["roles"]:
            continue
        code = f"P{engine._n}-{i}"
        make_agreement(
            engine,
            code,
            spec["provider"],
            [PROVIDERS[spec["provider"]]],
            orgs=orgs,
            roles=spec["roles"],
            purposes=spec["purposes"],
            detail=spec["detail"],
            agg=spec["agg"],
            basis=spec["basis"],
        )
        codes.append((code, spec["provider"]))
    for spec in consents:
        record_consent(
            engine,
            spec["decision"],
            actor="social",
            person_number=number,
            recipient=spec["recipient"],
            purpose=spec["purpose"],
        )
    principal = _principal(engine, requester)
    if glass and principal.has("practitioner"):
        request_break_glass(
            engine,
            principal,
            number,
            "Immediate risk of harm reported by a neighbour this morning.",
        )
    with UnitOfWork(engine) as uow:
        count_before = uow.session.scalar(select(func.count()).select_from(AuditLogEntry))
    try:
        result = pdp.decide_for_person(
            engine, principal, purpose, person_id, kind=kind, detail=detail
        )
        with UnitOfWork(engine) as uow:
            s = uow.session
            assert s.scalar(select(func.count()).select_from(AuditLogEntry)) == count_before + 1
            entry = s.get_one(AuditLogEntry, result.audit_seq)
            live = {t.agreement_id: t for t in load_terms(s)}
            assert entry.person_id == person_id and entry.actor == requester
            assert entry.purpose == purpose and entry.action == f"policy.{kind}"
            assert entry.break_glass == result.break_glass
            audited = {d["dataset_id"]: d for d in entry.details["datasets"]}
            assert set(audited) == {d.dataset.dataset_id for d in result.decisions}
            for d in result.decisions:
                event(
                    "own"
                    if d.own_organisation
                    else "break-glass"
                    if d.break_glass
                    else "agreement"
                    if d.allowed
                    else "denied"
                )
            for d in result.allowed:
                line = audited[d.dataset.dataset_id]
                assert line["allowed"] and line["detail"] == d.detail.label
                assert d.detail <= detail
                if d.own_organisation or d.break_glass:
                    continue
                # A grant rests on an agreement in force in the store, within its terms.
                assert d.agreement_id in entry.agreement_ids
                terms = live[d.agreement_id]
                assert terms.status == "active" and d.detail <= terms.max_detail
                assert purpose in terms.purposes
    finally:
        for code, _provider in codes:
            end_agreement(engine, code, actor="admin", reason="end of example")
    assert audit.verify(engine).ok


def test_deciding_person_audits_when_the_read_is_done_and_not_if_it_fails(engine) -> None:
    world = build_world(engine)
    make_agreement(engine, "DSA-SAFE", "CSC", ["cases"], orgs=["SCH"])
    teacher = _principal(engine, "teacher")

    def entries() -> int:
        with UnitOfWork(engine) as uow:
            return uow.session.scalar(select(func.count()).select_from(AuditLogEntry)) or 0

    before = entries()
    with UnitOfWork(engine) as uow:
        with pdp.deciding_person(uow.session, teacher, "safeguarding", world.person_id) as p:
            assert p.decision.summary == "partial" and p.audit_seq == 0
            assert entries() == before  # nothing appended while the read runs
        assert p.audit_seq > 0 and p.decision.audit_seq == p.audit_seq
        uow.commit()
    entry = _entry(engine, p.audit_seq)
    assert (entry.action, entry.person_id, entry.decision) == (
        "policy.person_view",
        world.person_id,
        "partial",
    )
    with UnitOfWork(engine) as uow:
        with (
            pytest.raises(RuntimeError),
            pdp.deciding_person(uow.session, teacher, "safeguarding", world.person_id),
        ):
            raise RuntimeError("the read failed")
        uow.commit()
    assert entries() == before + 1
    assert audit.verify(engine).ok


def test_agreement_terms_cache_sees_a_change_made_through_another_engine(engine, db_url) -> None:
    """Terms are cached per process under the fingerprint of the versions in force, read in
    the decision's own query: a change made elsewhere (another worker: another engine and
    pool) applies from the next decision on."""
    from joinedup.store import create_store_engine

    world = build_world(engine)
    make_agreement(engine, "DSA-SAFE", "CSC", ["cases"], orgs=["SCH"])
    teacher = _principal(engine, "teacher")

    def csc_allowed() -> bool:
        result = pdp.decide_for_person(engine, teacher, "safeguarding", world.person_id)
        return _by_org(world, result)["CSC"].allowed

    assert csc_allowed() and csc_allowed()  # the second from the cache
    other = create_store_engine(db_url)
    try:
        suspend_agreement(other, "DSA-SAFE", actor="csc_owner", reason="review")
    finally:
        other.dispose()
    assert not csc_allowed()
