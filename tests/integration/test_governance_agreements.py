"""Agreements: drafting, approval by the provider's data owner only, versions, status."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace

import pytest
from governance_world import build_world
from sqlalchemy import select

from joinedup.domain.levels import Aggregation, Detail
from joinedup.errors import Conflict, Forbidden, InvalidInput
from joinedup.governance.agreements import (
    AgreementChange,
    agreement_history,
    approve_agreement,
    create_agreement,
    end_agreement,
    list_agreements,
    load_terms,
    resume_agreement,
    revise_agreement,
    suspend_agreement,
)
from joinedup.store.schema.governance import AuditLogEntry
from joinedup.store.uow import UnitOfWork

SAFE = AgreementChange(
    title="Safeguarding",
    datasets=("cases",),
    recipient_organisations=("SCH", "NHS"),
    recipient_roles=(),
    purposes=("safeguarding",),
    max_detail="rag",
    finest_aggregation="person",
    legal_basis="public_task",
    valid_from=dt.date(2024, 1, 1),
)


def _terms(engine):
    with UnitOfWork(engine) as uow:
        return load_terms(uow.session)


def test_draft_is_not_in_force_until_the_data_owner_approves(engine) -> None:
    build_world(engine)
    create_agreement(engine, "DSA-SAFE", "CSC", SAFE, actor="admin")
    assert _terms(engine) == []  # a draft is not loaded for decisions
    with pytest.raises(Forbidden, match="data owner"):
        approve_agreement(engine, "DSA-SAFE", actor="admin")  # admins draft, owners approve
    with pytest.raises(Forbidden):
        approve_agreement(engine, "DSA-SAFE", actor="nhs_owner")  # not the provider's owner
    assert approve_agreement(engine, "DSA-SAFE", actor="csc_owner") == 1
    (terms,) = _terms(engine)
    assert terms.code == "DSA-SAFE" and terms.status == "active"
    assert terms.max_detail == Detail.RAG and terms.finest_aggregation == Aggregation.PERSON
    assert terms.purposes == frozenset({"safeguarding"})
    assert len(terms.recipient_organisation_ids) == 2
    (view,) = list_agreements(engine)
    assert view.approved_by == "csc_owner" and view.status == "active"


def test_a_change_is_a_new_version_and_history_is_kept(engine) -> None:
    build_world(engine)
    create_agreement(engine, "DSA-SAFE", "CSC", SAFE, actor="csc_owner")
    approve_agreement(engine, "DSA-SAFE", actor="csc_owner")
    number = revise_agreement(
        engine,
        "DSA-SAFE",
        AgreementChange(max_detail="coded", change_note="coded reasons needed"),
        actor="csc_owner",
    )
    assert number == 2
    # Until approved, version 1 stays in force.
    (terms,) = _terms(engine)
    assert (terms.version, terms.max_detail) == (1, Detail.RAG)
    approve_agreement(engine, "DSA-SAFE", actor="csc_owner")
    (terms,) = _terms(engine)
    assert (terms.version, terms.max_detail) == (2, Detail.CODED)
    history = agreement_history(engine, "DSA-SAFE")
    assert [(v.version, v.status, v.max_detail) for v in history] == [
        (1, "superseded", "rag"),
        (2, "active", "coded"),
    ]
    assert history[1].change_note == "coded reasons needed"
    assert history[1].recipient_organisations == ("NHS", "SCH")  # carried over


def test_suspend_resume_end(engine) -> None:
    build_world(engine)
    create_agreement(engine, "DSA-SAFE", "CSC", SAFE, actor="csc_owner")
    approve_agreement(engine, "DSA-SAFE", actor="csc_owner")
    suspend_agreement(engine, "DSA-SAFE", actor="admin", reason="breach under investigation")
    assert [t.status for t in _terms(engine)] == ["suspended"]
    with pytest.raises(Forbidden):
        resume_agreement(engine, "DSA-SAFE", actor="admin")
    resume_agreement(engine, "DSA-SAFE", actor="csc_owner")
    assert [t.status for t in _terms(engine)] == ["active"]
    end_agreement(engine, "DSA-SAFE", actor="csc_owner", reason="service decommissioned")
    assert _terms(engine) == []
    with pytest.raises(Conflict):
        suspend_agreement(engine, "DSA-SAFE", actor="csc_owner", reason="again")
    with UnitOfWork(engine) as uow:
        actions = uow.session.scalars(
            select(AuditLogEntry.action)
            .where(AuditLogEntry.object_id == "DSA-SAFE")
            .order_by(AuditLogEntry.seq)
        ).all()
    assert actions == [
        "agreement.create",
        "agreement.approve",
        "agreement.suspended",
        "agreement.active",
        "agreement.ended",
    ]


BAD_TERMS = [
    (AgreementChange(purposes=("gossip",)), "Unknown purpose"),
    (AgreementChange(max_detail="none"), "shares nothing"),
    (AgreementChange(finest_aggregation="galaxy"), "unknown aggregation"),
    (AgreementChange(legal_basis="because"), "legal basis"),
    (AgreementChange(datasets=("roll",)), "no dataset"),  # SCH's dataset, not CSC's
    (AgreementChange(recipient_organisations=(), recipient_roles=()), "recipient"),
    (AgreementChange(recipient_organisations=("CSC",)), "own records"),
    (AgreementChange(recipient_roles=("wizard",)), "Unknown role"),
    (AgreementChange(valid_to=dt.date(2023, 1, 1)), "ends before"),
]


def test_bad_terms_are_refused(engine) -> None:
    # One store for all the cases: each refusal must leave nothing behind.
    build_world(engine)
    for change, message in BAD_TERMS:
        changed = {
            f.name: getattr(change, f.name)
            for f in fields(change)
            if getattr(change, f.name) is not None
        }
        with pytest.raises(InvalidInput, match=message):
            create_agreement(engine, "BAD", "CSC", replace(SAFE, **changed), actor="csc_owner")
    assert list_agreements(engine) == []


def test_only_one_draft_at_a_time(engine) -> None:
    build_world(engine)
    create_agreement(engine, "DSA-SAFE", "CSC", SAFE, actor="csc_owner")
    revise_agreement(
        engine, "DSA-SAFE", AgreementChange(title="Safeguarding v2"), actor="csc_owner"
    )
    history = agreement_history(engine, "DSA-SAFE")
    assert [v.status for v in history] == ["superseded", "draft"]
    approve_agreement(engine, "DSA-SAFE", actor="csc_owner")
    with pytest.raises(Conflict, match="no draft"):
        approve_agreement(engine, "DSA-SAFE", actor="csc_owner")
