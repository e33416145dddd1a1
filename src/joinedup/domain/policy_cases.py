"""The policy decision table: worked cases with their expected outcome.

The same cases are checked by `tests/unit/test_policy_cases.py` and rendered into
`docs/policy.md` (by `joinedup.governance.policy_doc`), so the published table is always what
the code decides. Every case is about one source dataset in a small fixed partnership.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from joinedup.domain.levels import Aggregation, Detail
from joinedup.domain.policy import (
    AgreementTerms,
    BreakGlassGrant,
    ConsentEntry,
    Request,
    Requester,
    SourceDataset,
)

NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)
PERSON_ID = 7

# The partnership: organisation id -> name, and one dataset each.
ORGANISATIONS: dict[int, str] = {
    1: "Children's social care (CSC)",
    2: "Northgate Academy (SCH)",
    3: "Community health (NHS)",
    4: "Employment service (EMP)",
}
CSC_CASES = SourceDataset(1, 10)
SCH_ROLL = SourceDataset(2, 20)
NHS_CASELOAD = SourceDataset(3, 30)
EMP_CLIENTS = SourceDataset(4, 40)
DATASET_NAMES: dict[int, str] = {
    10: "CSC case list",
    20: "SCH school roll",
    30: "NHS caseload",
    40: "EMP client list",
}

SCHOOL_PRACTITIONER = Requester(2, 2, frozenset({"practitioner"}))
SCHOOL_DATA_OWNER = Requester(12, 2, frozenset({"data_owner"}))
NHS_PRACTITIONER = Requester(3, 3, frozenset({"practitioner"}))
CSC_PRACTITIONER = Requester(1, 1, frozenset({"practitioner"}))
EMP_ADVISER = Requester(4, 4, frozenset({"practitioner"}))
NHS_ANALYST = Requester(5, 3, frozenset({"analyst"}))

REQUESTER_NAMES: dict[Requester, str] = {
    SCHOOL_PRACTITIONER: "school practitioner",
    SCHOOL_DATA_OWNER: "school data owner",
    NHS_PRACTITIONER: "NHS practitioner",
    CSC_PRACTITIONER: "CSC practitioner",
    EMP_ADVISER: "employment adviser",
    NHS_ANALYST: "NHS analyst",
}

# CSC shares its case list with the school and NHS for safeguarding and care coordination.
DSA_SAFE = AgreementTerms(
    agreement_id=1,
    version=1,
    code="DSA-SAFE",
    provider_organisation_id=1,
    dataset_ids=frozenset({10}),
    recipient_organisation_ids=frozenset({2, 3}),
    recipient_roles=frozenset(),
    purposes=frozenset({"safeguarding", "care_coordination"}),
    max_detail=Detail.RAG,
    finest_aggregation=Aggregation.PERSON,
    legal_basis="public_task",
    status="active",
    valid_from=dt.date(2024, 4, 1),
    valid_to=dt.date(2027, 3, 31),
)
# The employment service shares with CSC, but only with the client's consent.
DSA_EMP = AgreementTerms(
    agreement_id=2,
    version=3,
    code="DSA-EMP",
    provider_organisation_id=4,
    dataset_ids=frozenset({40}),
    recipient_organisation_ids=frozenset({1}),
    recipient_roles=frozenset(),
    purposes=frozenset({"employment_support", "care_coordination"}),
    max_detail=Detail.CODED,
    finest_aggregation=Aggregation.PERSON,
    legal_basis="consent",
    status="active",
    valid_from=dt.date(2025, 1, 1),
)
# Every analyst in the partnership may have CSC counts by ward for service planning.
DSA_PLAN = AgreementTerms(
    agreement_id=3,
    version=1,
    code="DSA-PLAN",
    provider_organisation_id=1,
    dataset_ids=frozenset({10}),
    recipient_organisation_ids=frozenset(),
    recipient_roles=frozenset({"analyst"}),
    purposes=frozenset({"service_planning"}),
    max_detail=Detail.CODED,
    finest_aggregation=Aggregation.WARD,
    legal_basis="public_task",
    status="active",
    valid_from=dt.date(2024, 1, 1),
)

REFUSAL_ANY = ConsentEntry("deny", None, None, consent_id=1)
REFUSAL_SCHOOL_SAFEGUARDING = ConsentEntry("deny", 2, "safeguarding", consent_id=2)
REFUSAL_NHS = ConsentEntry("deny", 3, None, consent_id=3)
PERMIT_CSC = ConsentEntry("permit", 1, "employment_support", consent_id=4)

GRANT = BreakGlassGrant(
    grant_id=1,
    user_id=2,
    organisation_id=2,
    person_id=PERSON_ID,
    purpose="safeguarding",
    detail=Detail.FULL,
    granted_at=NOW - dt.timedelta(hours=1),
    expires_at=NOW + dt.timedelta(hours=3),
)


@dataclass(frozen=True)
class Expected:
    allowed: bool
    detail: Detail
    aggregation: Aggregation | None
    break_glass: bool = False
    reason: str = ""  # a phrase that must appear in one of the reasons


@dataclass(frozen=True)
class PolicyCase:
    """One row of the decision table."""

    title: str
    situation: str
    requester: Requester
    purpose: str
    request: Request
    agreements: tuple[AgreementTerms, ...]
    expected: Expected
    consents: tuple[ConsentEntry, ...] = ()
    break_glass: BreakGlassGrant | None = None
    now: dt.datetime = NOW


def _view(ds: SourceDataset, detail: Detail = Detail.FULL, kind: str = "person_view") -> Request:
    return Request(kind, (ds,), detail, Aggregation.PERSON, PERSON_ID)


def _counts(ds: SourceDataset, aggregation: Aggregation, detail: Detail = Detail.CODED) -> Request:
    return Request("aggregate", (ds,), detail, aggregation, None)


ALL = (DSA_SAFE, DSA_EMP, DSA_PLAN)

CASES: tuple[PolicyCase, ...] = (
    PolicyCase(
        "Own organisation",
        "no agreement at all; the person refused all sharing",
        CSC_PRACTITIONER,
        "care_coordination",
        _view(CSC_CASES),
        (),
        Expected(True, Detail.FULL, Aggregation.PERSON, reason="own record"),
        consents=(REFUSAL_ANY,),
    ),
    PolicyCase(
        "Shared, detail capped",
        "DSA-SAFE gives the school CSC records up to RAG",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        ALL,
        Expected(True, Detail.RAG, Aggregation.PERSON, reason="detail limited to rag"),
    ),
    PolicyCase(
        "Asked for less than allowed",
        "DSA-SAFE; only the known-to line is asked for",
        NHS_PRACTITIONER,
        "care_coordination",
        _view(CSC_CASES, Detail.KNOWN_TO),
        ALL,
        Expected(
            True, Detail.KNOWN_TO, Aggregation.PERSON, reason="shared under agreement DSA-SAFE"
        ),
    ),
    PolicyCase(
        "Event notification",
        "DSA-SAFE covers events about the person too",
        NHS_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES, Detail.RAG, kind="event"),
        ALL,
        Expected(True, Detail.RAG, Aggregation.PERSON, reason="DSA-SAFE"),
    ),
    PolicyCase(
        "Wrong purpose",
        "DSA-SAFE does not list research",
        SCHOOL_PRACTITIONER,
        "research",
        _view(CSC_CASES),
        ALL,
        Expected(
            False, Detail.NONE, None, reason="not shared under your agreements for the purpose"
        ),
    ),
    PolicyCase(
        "No agreement",
        "nothing shares CSC records with the employment service",
        EMP_ADVISER,
        "employment_support",
        _view(CSC_CASES),
        ALL,
        Expected(False, Detail.NONE, None, reason="not shared under your agreements"),
    ),
    PolicyCase(
        "Agreement suspended",
        "DSA-SAFE suspended by the CSC data owner",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        (replace(DSA_SAFE, status="suspended"),),
        Expected(False, Detail.NONE, None, reason="DSA-SAFE is suspended"),
    ),
    PolicyCase(
        "Agreement expired",
        "DSA-SAFE ended its validity on 2025-03-31",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        (replace(DSA_SAFE, valid_to=dt.date(2025, 3, 31)),),
        Expected(False, Detail.NONE, None, reason="expired"),
    ),
    PolicyCase(
        "Agreement not yet in force",
        "DSA-SAFE valid from 2025-09-01",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        (replace(DSA_SAFE, valid_from=dt.date(2025, 9, 1)),),
        Expected(False, Detail.NONE, None, reason="starts on 2025-09-01"),
    ),
    PolicyCase(
        "Refusal for everyone",
        "DSA-SAFE; the person refused sharing with any recipient, any purpose",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        ALL,
        Expected(False, Detail.NONE, None, reason="refused sharing with you"),
        consents=(REFUSAL_ANY,),
    ),
    PolicyCase(
        "Refusal for this recipient and purpose",
        "DSA-SAFE; the person refused the school, for safeguarding",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        ALL,
        Expected(False, Detail.NONE, None, reason="refused sharing with you"),
        consents=(REFUSAL_SCHOOL_SAFEGUARDING,),
    ),
    PolicyCase(
        "Refusal for another purpose",
        "DSA-SAFE; the refusal is for safeguarding, the request for care coordination",
        SCHOOL_PRACTITIONER,
        "care_coordination",
        _view(CSC_CASES),
        ALL,
        Expected(True, Detail.RAG, Aggregation.PERSON, reason="DSA-SAFE"),
        consents=(REFUSAL_SCHOOL_SAFEGUARDING,),
    ),
    PolicyCase(
        "Refusal for another recipient",
        "DSA-SAFE; the person refused NHS only",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        ALL,
        Expected(True, Detail.RAG, Aggregation.PERSON, reason="DSA-SAFE"),
        consents=(REFUSAL_NHS,),
    ),
    PolicyCase(
        "Refusal withdrawn",
        "DSA-SAFE; the refusal was withdrawn",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        ALL,
        Expected(True, Detail.RAG, Aggregation.PERSON, reason="DSA-SAFE"),
        consents=(replace(REFUSAL_ANY, withdrawn=True),),
    ),
    PolicyCase(
        "Consent basis, no permit",
        "DSA-EMP rests on consent; nothing recorded",
        CSC_PRACTITIONER,
        "employment_support",
        _view(EMP_CLIENTS),
        ALL,
        Expected(False, Detail.NONE, None, reason="consent required and not recorded"),
    ),
    PolicyCase(
        "Consent basis, permit recorded",
        "DSA-EMP; the person permitted CSC, employment support",
        CSC_PRACTITIONER,
        "employment_support",
        _view(EMP_CLIENTS),
        ALL,
        Expected(True, Detail.CODED, Aggregation.PERSON, reason="DSA-EMP v3"),
        consents=(PERMIT_CSC,),
    ),
    PolicyCase(
        "Consent basis, permit for another purpose",
        "DSA-EMP; the permit covers employment support, not care coordination",
        CSC_PRACTITIONER,
        "care_coordination",
        _view(EMP_CLIENTS),
        ALL,
        Expected(False, Detail.NONE, None, reason="consent required and not recorded"),
        consents=(PERMIT_CSC,),
    ),
    PolicyCase(
        "Consent permit expired",
        "DSA-EMP; the permit ran until 2025-05-31",
        CSC_PRACTITIONER,
        "employment_support",
        _view(EMP_CLIENTS),
        ALL,
        Expected(False, Detail.NONE, None, reason="consent required and not recorded"),
        consents=(replace(PERMIT_CSC, valid_to=dt.date(2025, 5, 31)),),
    ),
    PolicyCase(
        "Permit and refusal",
        "DSA-EMP; a permit and a blanket refusal: the refusal wins",
        CSC_PRACTITIONER,
        "employment_support",
        _view(EMP_CLIENTS),
        ALL,
        Expected(False, Detail.NONE, None, reason="refused sharing with you"),
        consents=(PERMIT_CSC, REFUSAL_ANY),
    ),
    PolicyCase(
        "Counts by ward",
        "DSA-PLAN gives every analyst CSC counts by ward",
        NHS_ANALYST,
        "service_planning",
        _counts(CSC_CASES, Aggregation.WARD),
        ALL,
        Expected(True, Detail.CODED, Aggregation.WARD, reason="DSA-PLAN"),
    ),
    PolicyCase(
        "Counts asked too fine",
        "DSA-PLAN; counts by postcode were asked",
        NHS_ANALYST,
        "service_planning",
        _counts(CSC_CASES, Aggregation.POSTCODE),
        ALL,
        Expected(True, Detail.CODED, Aggregation.WARD, reason="aggregation coarsened to ward"),
    ),
    PolicyCase(
        "Counts asked coarser",
        "DSA-PLAN; counts by district were asked",
        NHS_ANALYST,
        "service_planning",
        _counts(CSC_CASES, Aggregation.DISTRICT, Detail.KNOWN_TO),
        ALL,
        Expected(True, Detail.KNOWN_TO, Aggregation.DISTRICT, reason="DSA-PLAN"),
    ),
    PolicyCase(
        "Person view under an aggregate agreement",
        "DSA-PLAN allows ward counts only",
        NHS_ANALYST,
        "service_planning",
        _view(CSC_CASES),
        ALL,
        Expected(False, Detail.NONE, None, reason="only aggregates (ward or coarser)"),
    ),
    PolicyCase(
        "Break-glass over a refusal",
        "DSA-SAFE; blanket refusal; a valid break-glass grant",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        ALL,
        Expected(True, Detail.FULL, Aggregation.PERSON, break_glass=True, reason="break-glass"),
        consents=(REFUSAL_ANY,),
        break_glass=GRANT,
    ),
    PolicyCase(
        "Break-glass beyond the agreement",
        "DSA-SAFE gives RAG; the grant lifts it to full",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        ALL,
        Expected(True, Detail.FULL, Aggregation.PERSON, break_glass=True, reason="break-glass"),
        break_glass=GRANT,
    ),
    PolicyCase(
        "Break-glass without any agreement",
        "no agreement covers NHS records; a valid grant",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(NHS_CASELOAD),
        ALL,
        Expected(True, Detail.FULL, Aggregation.PERSON, break_glass=True, reason="break-glass"),
        break_glass=GRANT,
    ),
    PolicyCase(
        "Break-glass expired",
        "blanket refusal; the grant expired an hour ago",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(CSC_CASES),
        ALL,
        Expected(False, Detail.NONE, None, reason="grant has expired"),
        consents=(REFUSAL_ANY,),
        break_glass=replace(GRANT, expires_at=NOW - dt.timedelta(hours=1)),
    ),
    PolicyCase(
        "Break-glass for another purpose",
        "blanket refusal; a grant, but the request is for care coordination",
        SCHOOL_PRACTITIONER,
        "care_coordination",
        _view(CSC_CASES),
        ALL,
        Expected(False, Detail.NONE, None, reason="safeguarding only"),
        consents=(REFUSAL_ANY,),
        break_glass=GRANT,
    ),
    PolicyCase(
        "Break-glass by a non-practitioner",
        "blanket refusal; the school's data owner holds the grant",
        SCHOOL_DATA_OWNER,
        "safeguarding",
        _view(CSC_CASES),
        ALL,
        Expected(False, Detail.NONE, None, reason="for practitioners"),
        consents=(REFUSAL_ANY,),
        break_glass=replace(GRANT, user_id=12),
    ),
    PolicyCase(
        "Break-glass for an export",
        "no agreement covers NHS records; a grant does not cover exports",
        SCHOOL_PRACTITIONER,
        "safeguarding",
        _view(NHS_CASELOAD, kind="export"),
        ALL,
        Expected(False, Detail.NONE, None, reason="person views only"),
        break_glass=GRANT,
    ),
)
