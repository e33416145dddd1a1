"""`GET /persons/{number}`: the known-to view of one person, for one purpose."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from joinedup.api.deps import EngineDep, PrincipalDep
from joinedup.api.models import DetailLabel, PersonNumberPath, Purpose
from joinedup.api.problems import problem_responses
from joinedup.store.uow import UnitOfWork
from joinedup.views.known_to import known_to

router = APIRouter(tags=["persons"])


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PersonNameOut(_Out):
    given: str | None
    family: str | None
    middle: str | None = Field(default=None, description="At `full` only.")
    previous_family: str | None = Field(default=None, description="At `full` only.")


class AddressOut(_Out):
    lines: list[str]
    postcode: str | None
    uprn: str | None


class DemographicSummaryOut(_Out):
    """Who the person is, from the records the requester may see, each at its own level."""

    level: DetailLabel = Field(description="The highest detail any source was seen at.")
    sources: int = Field(description="Records the summary is drawn from.")
    names: list[PersonNameOut]
    birth_dates: list[str] = Field(
        description="`YYYY` (known_to, rag), `YYYY-MM` (coded) or `YYYY-MM-DD` (full)."
    )
    sex: list[str] = Field(description="From `coded`.")
    postcode_districts: list[str] = Field(description="Outward codes, from `coded`.")
    addresses: list[AddressOut] = Field(description="At `full` only.")
    identifiers: dict[str, list[str]] = Field(
        description="NHS number, UPN, ULN, NI number and others, at `full` only."
    )
    phones: list[str]
    emails: list[str]


class InvolvementOut(_Out):
    """One involvement with an organisation, at the detail the policy allows."""

    organisation_code: str
    organisation_name: str
    dataset_code: str
    detail: DetailLabel
    basis: str = Field(description="What it is shared under: own record, agreement, break-glass.")
    break_glass: bool
    in_latest_extract: bool = Field(description="False once the provider's extract dropped it.")
    service: str | None
    involvement_type: str | None
    start: str | None = Field(description="`YYYY-MM` below `full`, `YYYY-MM-DD` at `full`.")
    end: str | None
    dates_precision: Literal["month", "day"]
    status: str | None
    lead_practitioner: str | None
    lead_contact: str | None
    rag: str | None = Field(default=None, description="From `rag`.")
    reason_codes: list[str] | None = Field(default=None, description="From `coded`.")
    outcome_codes: list[str] | None = Field(default=None, description="From `coded`.")
    note: str | None = Field(default=None, description="At `full` only.")
    record: dict[str, Any] | None = Field(
        default=None, description="Every field of the source record, at `full` only."
    )


class WithheldOut(_Out):
    reason: str = Field(description="Why, in general terms; the organisation is not named.")


class KnownToOut(_Out):
    """The known-to view of one person."""

    person_number: str
    requested_number: str
    redirected_from: str | None
    redirect_note: str | None
    person_status: str
    purpose: Purpose
    decision: str = Field(description="allowed, partial or denied.")
    break_glass: bool
    audit_seq: int = Field(description="The audit entry recording this view.")
    summary: DemographicSummaryOut
    involvements: list[InvolvementOut]
    withheld: list[WithheldOut]


@router.get(
    "/persons/{number}",
    summary="Who else works with this person, and how to reach them (the known-to view)",
    responses=problem_responses(404),
)
def get_person(
    number: PersonNumberPath,
    purpose: Annotated[Purpose, Query(description="Why you are looking (audited).")],
    principal: PrincipalDep,
    engine: EngineDep,
) -> KnownToOut:
    """Every involvement with the person across the partnership, as far as the agreements,
    the person's consent and any break-glass grant allow for you and this purpose; each
    dataset you may not see is listed with the reason. Every call is audited."""
    with UnitOfWork(engine) as uow:
        view = known_to(uow.session, principal, purpose, number)
        uow.commit()
    return KnownToOut.model_validate(view)
