"""Audit reports by role: the subject report (everything done with one person's data) and
the access report (every decision about an organisation's records), for data owners and
partnership admins. Reading either is itself audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from joinedup.api.deps import EngineDep, PrincipalDep, require_roles
from joinedup.api.models import DEFAULT_LIMIT, Code, Cursor, Limit, PersonNumberPath
from joinedup.api.pagination import Page, decode_cursor, encode_cursor, page_after
from joinedup.api.problems import problem_responses
from joinedup.errors import InvalidInput
from joinedup.governance.reports import REPORT_ROLES, subject_report
from joinedup.views.governance_reports import organisation_accesses

router = APIRouter(tags=["audit"], responses=problem_responses(404))


class SubjectAccessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    actor: str
    organisation: str | None
    roles: list[str]
    purpose: str | None
    action: str
    decision: str | None
    agreements: list[str]
    break_glass: bool


class SubjectReportOut(BaseModel):
    person_number: str
    person_numbers: list[str] = Field(description="This number and any merged into it.")
    entries: Page[SubjectAccessOut]


class AccessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    actor: str
    actor_organisation: str | None
    roles: list[str]
    purpose: str | None
    action: str
    person_number: str | None
    allowed: bool = Field(description="Whether anything of your organisation's was shared.")
    detail: str = Field(description="The most detail shared from your organisation's datasets.")
    own_organisation: bool
    break_glass: bool
    agreements: list[str]
    datasets: int = Field(description="How many of your organisation's datasets were decided.")


@router.get(
    "/audit/persons/{number}",
    summary="Subject report: who touched this person's data, when, why, under what",
)
def get_subject_report(
    number: PersonNumberPath,
    principal: PrincipalDep,
    engine: EngineDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> SubjectReportOut:
    require_roles(principal, *REPORT_ROLES)
    report = subject_report(engine, number, actor=principal.username)
    entries = [SubjectAccessOut.model_validate(e) for e in report.entries]
    return SubjectReportOut(
        person_number=report.person_number,
        person_numbers=list(report.person_numbers),
        entries=page_after(entries, limit, cursor, key=lambda e: e.seq),
    )


@router.get(
    "/audit/accesses",
    summary="Access report: every decision about your organisation's records",
)
def get_access_report(
    principal: PrincipalDep,
    engine: EngineDep,
    organisation: Annotated[
        Code | None, Query(description="Partnership admins: whose report (default: yours).")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AccessOut]:
    """A page may hold fewer than `limit` items and still have a `next_cursor`: each page
    reads a bounded stretch of the log."""
    position = decode_cursor(cursor)
    after = position.get("seq") if position else None
    if position is not None and not isinstance(after, int):
        raise InvalidInput("The cursor is not one this API issued.")
    page = organisation_accesses(engine, principal, organisation, after_seq=after, limit=limit)
    return Page[AccessOut](
        items=[AccessOut.model_validate(a) for a in page.items],
        next_cursor=encode_cursor({"seq": page.next_after}) if page.next_after else None,
    )
