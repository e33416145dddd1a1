"""The consent register over HTTP: record and withdraw a person's permits and refusals;
read a person's register (data owners and partnership admins, audited)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from joinedup.api.deps import EngineDep, PrincipalDep, require_roles
from joinedup.api.models import (
    DEFAULT_LIMIT,
    Code,
    Cursor,
    IdPath,
    Limit,
    LongText,
    PersonNumber,
    PersonNumberPath,
    Purpose,
    ShortText,
)
from joinedup.api.pagination import Page, page_after
from joinedup.api.problems import problem_responses
from joinedup.governance import consent as service
from joinedup.views.governance_reports import consent_register

router = APIRouter(tags=["consent"], responses=problem_responses(404, 409))

RECORDERS = ("practitioner", "data_owner", "partnership_admin")


class RecordRefIn(BaseModel):
    """A source record as partners know it."""

    model_config = ConfigDict(extra="forbid")

    organisation: Code
    dataset: Code
    local_id: ShortText


class ConsentIn(BaseModel):
    """A permit or refusal about a person (all their records) or about one record."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["permit", "deny"]
    person_number: PersonNumber | None = None
    record: RecordRefIn | None = None
    recipient: Code | None = Field(default=None, description="Organisation code; omit for any.")
    purpose: Purpose | None = Field(default=None, description="Omit for any purpose.")
    evidence: LongText | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> ConsentIn:
        if (self.person_number is None) == (self.record is None):
            raise ValueError("give a person_number or a record, not both")
        return self


class ConsentRecorded(BaseModel):
    id: int


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    decision: str
    status: str = Field(description="current, future, expired or withdrawn.")
    subject: str = Field(description="`person NUMBER` or `record ORG/DATASET/LOCAL_ID`.")
    recipient: str
    purpose: str
    evidence: str | None
    recorded_by: str
    recorded_at: dt.datetime
    valid_from: dt.date | None
    valid_to: dt.date | None
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str | None


@router.post("/consents", status_code=201, summary="Record a permit or a refusal")
def record_consent(body: ConsentIn, principal: PrincipalDep, engine: EngineDep) -> ConsentRecorded:
    require_roles(principal, *RECORDERS)
    record = (
        service.RecordRef(body.record.organisation, body.record.dataset, body.record.local_id)
        if body.record
        else None
    )
    consent_id = service.record_consent(
        engine,
        body.decision,
        actor=principal.username,
        person_number=body.person_number,
        record=record,
        recipient=body.recipient,
        purpose=body.purpose,
        evidence=body.evidence,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    return ConsentRecorded(id=consent_id)


@router.post(
    "/consents/{consent_id}/withdraw",
    summary="Withdraw a permit or refusal (it stays on the register, marked withdrawn)",
)
def withdraw_consent(
    consent_id: IdPath, body: WithdrawIn, principal: PrincipalDep, engine: EngineDep
) -> ConsentRecorded:
    require_roles(principal, *RECORDERS)
    service.withdraw_consent(engine, consent_id, actor=principal.username, reason=body.reason)
    return ConsentRecorded(id=consent_id)


@router.get(
    "/persons/{number}/consents",
    summary="A person's consent register (data owners and partnership admins; audited)",
)
def list_consents(
    number: PersonNumberPath,
    principal: PrincipalDep,
    engine: EngineDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ConsentOut]:
    entries = consent_register(engine, principal, number)
    items = [ConsentOut.model_validate(e) for e in entries]
    return page_after(items, limit, cursor, key=lambda c: c.id)
