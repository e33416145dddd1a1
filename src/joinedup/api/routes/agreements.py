"""Data-sharing agreements: list and read them (any requester), draft, revise, approve,
suspend, resume and end them (data owners and partnership admins; the governance service
checks that the requester may act for the provider)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from joinedup.api.deps import EngineDep, PrincipalDep, require_roles
from joinedup.api.models import (
    DEFAULT_LIMIT,
    AggregationLabel,
    Code,
    CodePath,
    Cursor,
    DetailLabel,
    LegalBasis,
    Limit,
    LongText,
    Purpose,
    Role,
    ShortText,
)
from joinedup.api.pagination import Page, page_after
from joinedup.api.problems import problem_responses
from joinedup.governance import agreements as service

router = APIRouter(tags=["agreements"], responses=problem_responses(404, 409))

WRITERS = ("data_owner", "partnership_admin")
Status = "draft|active|suspended|ended|superseded"


class AgreementOut(BaseModel):
    """One version of an agreement."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    provider: str
    version: int
    status: str
    title: str
    datasets: list[str]
    recipient_organisations: list[str]
    recipient_roles: list[str]
    purposes: list[str]
    max_detail: str
    finest_aggregation: str
    legal_basis: str
    valid_from: dt.date
    valid_to: dt.date | None
    created_at: dt.datetime
    created_by: str | None
    approved_at: dt.datetime | None
    approved_by: str | None
    status_reason: str | None
    change_note: str | None


class AgreementHistoryOut(BaseModel):
    code: str
    versions: list[AgreementOut] = Field(description="Every version, oldest first.")


class _Terms(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient_organisations: list[Code] | None = Field(
        default=None, max_length=100, description="Organisation codes receiving."
    )
    recipient_roles: list[Role] | None = Field(
        default=None, max_length=6, description="Everyone holding these roles receives."
    )
    valid_to: dt.date | None = None
    change_note: LongText | None = None


class AgreementCreateIn(_Terms):
    code: Code
    provider: Code = Field(description="The organisation whose datasets are shared.")
    title: ShortText
    datasets: list[Code] = Field(min_length=1, max_length=100, description="Provider datasets.")
    purposes: list[Purpose] = Field(min_length=1, max_length=7)
    max_detail: DetailLabel
    finest_aggregation: AggregationLabel
    legal_basis: LegalBasis
    valid_from: dt.date


class AgreementReviseIn(_Terms):
    """A new draft version: omitted terms keep the latest version's value."""

    title: ShortText | None = None
    datasets: list[Code] | None = Field(default=None, min_length=1, max_length=100)
    purposes: list[Purpose] | None = Field(default=None, min_length=1, max_length=7)
    max_detail: DetailLabel | None = None
    finest_aggregation: AggregationLabel | None = None
    legal_basis: LegalBasis | None = None
    valid_from: dt.date | None = None
    clear_valid_to: bool = False


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText


class OptionalReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText | None = None


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values is not None else None


def _change(body: AgreementCreateIn | AgreementReviseIn) -> service.AgreementChange:
    return service.AgreementChange(
        title=body.title,
        datasets=_tuple(body.datasets),
        recipient_organisations=_tuple(body.recipient_organisations),
        recipient_roles=_tuple(list(body.recipient_roles) if body.recipient_roles else None),
        purposes=_tuple(list(body.purposes) if body.purposes else None),
        max_detail=body.max_detail,
        finest_aggregation=body.finest_aggregation,
        legal_basis=body.legal_basis,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        clear_valid_to=getattr(body, "clear_valid_to", False),
        change_note=body.change_note,
    )


def _version(engine: EngineDep, code: str, number: int | None = None) -> AgreementOut:
    """Version `number` of the agreement (default: the latest)."""
    versions = service.agreement_history(engine, code)
    chosen = next((v for v in versions if v.version == number), versions[-1])
    return AgreementOut.model_validate(chosen)


@router.get("/agreements", summary="List agreements with the terms of their current version")
def list_agreements(
    principal: PrincipalDep,
    engine: EngineDep,
    provider: Annotated[Code | None, Query(description="Only this provider's.")] = None,
    status: Annotated[
        str | None, Query(pattern=f"^({Status})$", description="Only in this status.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AgreementOut]:
    views = service.list_agreements(engine, provider_code=provider, status=status)
    items = [AgreementOut.model_validate(v) for v in views]
    return page_after(items, limit, cursor, key=lambda a: a.code)


@router.get("/agreements/{code}", summary="Every version of one agreement")
def get_agreement(
    code: CodePath, principal: PrincipalDep, engine: EngineDep
) -> AgreementHistoryOut:
    versions = service.agreement_history(engine, code)
    return AgreementHistoryOut(
        code=code, versions=[AgreementOut.model_validate(v) for v in versions]
    )


@router.post("/agreements", status_code=201, summary="Draft a new agreement (version 1)")
def create_agreement(
    body: AgreementCreateIn, principal: PrincipalDep, engine: EngineDep
) -> AgreementOut:
    require_roles(principal, *WRITERS)
    service.create_agreement(
        engine, body.code, body.provider, _change(body), actor=principal.username
    )
    return _version(engine, body.code)


@router.post(
    "/agreements/{code}/versions",
    status_code=201,
    summary="Draft a new version from the latest, with the given terms changed",
)
def revise_agreement(
    code: CodePath, body: AgreementReviseIn, principal: PrincipalDep, engine: EngineDep
) -> AgreementOut:
    require_roles(principal, *WRITERS)
    number = service.revise_agreement(engine, code, _change(body), actor=principal.username)
    return _version(engine, code, number)


@router.post(
    "/agreements/{code}/approve",
    summary="Put the latest draft in force (a data owner of the provider only)",
)
def approve_agreement(code: CodePath, principal: PrincipalDep, engine: EngineDep) -> AgreementOut:
    require_roles(principal, "data_owner")
    number = service.approve_agreement(engine, code, actor=principal.username)
    return _version(engine, code, number)


@router.post("/agreements/{code}/suspend", summary="Stop sharing under the agreement at once")
def suspend_agreement(
    code: CodePath, body: ReasonIn, principal: PrincipalDep, engine: EngineDep
) -> AgreementOut:
    require_roles(principal, *WRITERS)
    number = service.suspend_agreement(engine, code, actor=principal.username, reason=body.reason)
    return _version(engine, code, number)


@router.post(
    "/agreements/{code}/resume", summary="Resume a suspended agreement (a data owner only)"
)
def resume_agreement(
    code: CodePath, body: OptionalReasonIn, principal: PrincipalDep, engine: EngineDep
) -> AgreementOut:
    require_roles(principal, "data_owner")
    number = service.resume_agreement(engine, code, actor=principal.username, reason=body.reason)
    return _version(engine, code, number)


@router.post("/agreements/{code}/end", summary="End the agreement for good")
def end_agreement(
    code: CodePath, body: ReasonIn, principal: PrincipalDep, engine: EngineDep
) -> AgreementOut:
    require_roles(principal, *WRITERS)
    number = service.end_agreement(engine, code, actor=principal.username, reason=body.reason)
    return _version(engine, code, number)
