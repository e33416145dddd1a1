"""Finding and registering persons: search (what the requester may see of each match),
match (the online matcher's candidates with their explanation) and register (one record
in, a person number out). All use the online matcher (`joinedup.identity.online`) and the
anti-fishing safeguards of `joinedup.views.search`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from joinedup.api.deps import EngineDep, MatcherReady, PrincipalDep, require_roles
from joinedup.api.models import Code, Purpose, ShortText
from joinedup.api.problems import problem_responses
from joinedup.api.routes.persons import DemographicSummaryOut
from joinedup.errors import Forbidden
from joinedup.identity.register import register as register_record
from joinedup.store.uow import UnitOfWork
from joinedup.views import search as service

router = APIRouter(tags=["matching"], responses=problem_responses(404, 409))

Identifier = Annotated[str, StringConstraints(max_length=16, pattern=r"^[A-Za-z0-9 ]*$")]
Line = Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\x00]*$")]


class PersonFieldsIn(BaseModel):
    """A person in the core record format (docs/data-definitions.md); give at least an
    identifier, or a family name and date of birth, or names and a postcode, or a given
    name, date of birth and postcode."""

    model_config = ConfigDict(extra="forbid")

    given_name: Line | None = None
    middle_names: Line | None = None
    family_name: Line | None = None
    previous_family_names: Line | None = None
    date_of_birth: dt.date | None = None
    sex: Literal["male", "female", "indeterminate", "unknown"] | None = None
    address_line_1: Line | None = None
    address_line_2: Line | None = None
    address_line_3: Line | None = None
    address_line_4: Line | None = None
    postcode: Identifier | None = None
    nhs_number: Identifier | None = None
    upn: Identifier | None = None
    uln: Identifier | None = None
    ni_number: Identifier | None = None
    email: Line | None = None
    phone: Annotated[str, StringConstraints(max_length=64, pattern=r"^[^\x00]*$")] | None = None

    def fields(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.model_dump(
                exclude={"purpose", "limit", "organisation", "dataset", "local_id"}
            ).items()
            if v not in (None, "")
        }


class SearchIn(PersonFieldsIn):
    purpose: Purpose
    limit: int = Field(default=service.RESULT_CAP, ge=1, le=service.RESULT_CAP)


class SearchResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    person_number: str
    person_status: str
    probability: float
    summary: DemographicSummaryOut


class SearchOut(BaseModel):
    results: list[SearchResultOut] = Field(
        description=f"At most {service.RESULT_CAP}, at or above the match threshold, best first."
    )
    audit_seq: int


class MatchIn(PersonFieldsIn):
    limit: int = Field(default=service.MATCH_CAP, ge=1, le=service.MATCH_CAP)


class ContributionOut(BaseModel):
    comparison: str
    level: str
    gamma: int
    weight: float


class MatchCandidateOut(BaseModel):
    person_number: str | None
    person_status: str | None
    match_probability: float
    match_weight: float
    auto_link_allowed: bool = Field(description="False when the twins rule forbids a link.")
    contributions: list[ContributionOut] = Field(description="The per-comparison weights.")


class MatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    decision: Literal["link", "review", "new"] = Field(
        description="What registering this record would do."
    )
    model_version: int
    thresholds: dict[str, float]
    candidates: list[MatchCandidateOut]
    audit_seq: int


class RegisterIn(PersonFieldsIn):
    organisation: Code = Field(description="Your organisation: the record joins its dataset.")
    dataset: Code
    local_id: ShortText


class RegistrationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    outcome: Literal["linked", "pending", "created", "existing"]
    person_number: str
    match_probability: float | None
    review_item_ids: list[int] = Field(description="Review items opened (outcome pending).")


@router.post(
    "/search",
    summary="Find a person by name, date of birth, postcode or identifiers (audited)",
    dependencies=[MatcherReady],
    responses=problem_responses(503),
)
def search(body: SearchIn, principal: PrincipalDep, engine: EngineDep) -> SearchOut:
    with UnitOfWork(engine) as uow:
        outcome = service.search(
            uow.session,
            principal,
            body.purpose,
            body.fields(),
            service.online_matcher(engine),
            limit=body.limit,
        )
        uow.commit()
    return SearchOut(
        results=[SearchResultOut.model_validate(r) for r in outcome.results],
        audit_seq=outcome.audit_seq,
    )


@router.post(
    "/match",
    summary="Candidate persons for one record, with probability and explanation (audited)",
    dependencies=[MatcherReady],
    responses=problem_responses(503),
)
def match(body: MatchIn, principal: PrincipalDep, engine: EngineDep) -> MatchOut:
    return MatchOut.model_validate(
        service.match(engine, principal, body.fields(), limit=body.limit)
    )


@router.post(
    "/register",
    status_code=201,
    summary="Register one record: linked to a person, held for review, or a new number",
    dependencies=[MatcherReady],
    responses=problem_responses(503),
)
def register(body: RegisterIn, principal: PrincipalDep, engine: EngineDep) -> RegistrationOut:
    require_roles(principal, "practitioner", "data_owner")
    if body.organisation != principal.organisation_code:
        raise Forbidden(f"Your token registers records of {principal.organisation_code} only.")
    service.check_fields(body.fields())
    record = {
        "organisation": body.organisation,
        "dataset": body.dataset,
        "local_id": body.local_id,
        **{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in body.fields().items()},
    }
    reg = register_record(engine, record, actor=f"api:{principal.username}")
    return RegistrationOut.model_validate(reg)
