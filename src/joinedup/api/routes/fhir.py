"""FHIR R4 endpoints under `/fhir`: the capability statement and `Patient` read.

`GET /fhir/Patient/{number}?purpose=...` is the known-to view's demographic summary as a
Patient, decided and audited through the policy decision point like every person view.
`POST /fhir/Patient/$match?purpose=...` runs the search service (the online matcher under
the anti-fishing safeguards) and answers a searchset Bundle with scores and match grades.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from joinedup import __version__
from joinedup.api.deps import EngineDep, MatcherReady, PrincipalDep, SettingsDep
from joinedup.api.fhir import FHIR_MEDIA_TYPE
from joinedup.api.fhir.match import MatchEntry, match_bundle, match_grade, parse_match_parameters
from joinedup.api.fhir.patient import patient_from_summary, patient_resource
from joinedup.api.models import PersonNumberPath, Purpose
from joinedup.api.problems import problem_responses
from joinedup.store.uow import UnitOfWork
from joinedup.views.known_to import known_to
from joinedup.views.search import online_matcher, search


class FhirJSONResponse(JSONResponse):
    media_type = FHIR_MEDIA_TYPE


class _Element(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Identifier(_Element):
    use: str | None = None
    system: str
    value: str


class HumanName(_Element):
    use: str | None = None
    family: str | None = None
    given: list[str] | None = None


class ContactPoint(_Element):
    system: Literal["phone", "email"]
    value: str


class Address(_Element):
    line: list[str] | None = None
    postalCode: str | None = None


class Reference(_Element):
    reference: str


class PatientLink(_Element):
    other: Reference
    type: Literal["replaced-by", "replaces", "refer", "seealso"]


class Patient(_Element):
    """A FHIR R4 Patient, with the elements joinedup fills."""

    resourceType: Literal["Patient"]
    id: str
    identifier: list[Identifier]
    active: bool
    name: list[HumanName] | None = None
    birthDate: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    gender: Literal["male", "female", "other", "unknown"] | None = None
    telecom: list[ContactPoint] | None = None
    address: list[Address] | None = None
    link: list[PatientLink] | None = None


class OperationOutcomeIssue(_Element):
    severity: Literal["fatal", "error", "warning", "information"]
    code: str
    details: dict[str, str] | None = None
    diagnostics: str | None = None


class OperationOutcome(_Element):
    """Errors on /fhir (instead of RFC 9457 problem documents)."""

    resourceType: Literal["OperationOutcome"]
    issue: list[OperationOutcomeIssue]


class CapabilityStatement(BaseModel):
    model_config = ConfigDict(extra="allow")

    resourceType: Literal["CapabilityStatement"]
    status: str
    date: str
    kind: str
    fhirVersion: str
    format: list[str]


class Extension(_Element):
    url: str
    valueCode: str


class BundleSearch(_Element):
    extension: list[Extension]
    mode: Literal["match"]
    score: float = Field(ge=0, le=1)


class BundleEntry(_Element):
    fullUrl: str
    resource: Patient
    search: BundleSearch


class Bundle(_Element):
    """A searchset Bundle: the `$match` result."""

    resourceType: Literal["Bundle"]
    type: Literal["searchset"]
    total: int
    entry: list[BundleEntry]


OUTCOME = {"model": OperationOutcome, "content": {FHIR_MEDIA_TYPE: {}}}
router = APIRouter(
    tags=["fhir"],
    default_response_class=FhirJSONResponse,
    responses={404: {**OUTCOME, "description": "No such person"}},
)


@router.get(
    "/metadata",
    summary="The FHIR capability statement",
    response_model=CapabilityStatement,
    response_model_exclude_none=True,
)
def metadata() -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": dt.date.today().isoformat(),
        "kind": "instance",
        "software": {"name": "joinedup", "version": __version__},
        "fhirVersion": "4.0.1",
        "format": [FHIR_MEDIA_TYPE],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Bearer API tokens; pass `purpose` (audited) on each read."
                },
                "resource": [{"type": "Patient", "interaction": [{"code": "read"}]}],
            }
        ],
    }


@router.get(
    "/Patient/{number}",
    summary="A person as a FHIR Patient, as far as the policy allows (audited)",
    response_model=Patient,
    response_model_exclude_none=True,
)
def read_patient(
    number: PersonNumberPath,
    purpose: Annotated[Purpose, Query(description="Why you are looking (audited).")],
    principal: PrincipalDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    with UnitOfWork(engine) as uow:
        view = known_to(uow.session, principal, purpose, number, channel="fhir_patient")
        uow.commit()
    return patient_resource(view, settings.fhir_identifier_base)


PARAMETERS_EXAMPLE = {
    "resourceType": "Parameters",
    "parameter": [
        {
            "name": "resource",
            "resource": {
                "resourceType": "Patient",
                "name": [{"family": "Example", "given": ["Amy"]}],
                "birthDate": "2012-03-04",
            },
        },
        {"name": "count", "valueInteger": 3},
    ],
}


@router.post(
    "/Patient/$match",
    summary="Find a person from a Patient (Parameters in, searchset Bundle out; audited)",
    dependencies=[MatcherReady],
    responses=problem_responses(503),
    response_model=Bundle,
    response_model_exclude_none=True,
)
def match_patient(
    request: Request,
    body: Annotated[
        dict[str, Any],
        Body(
            media_type=FHIR_MEDIA_TYPE,
            description="A Parameters resource: `resource` (a Patient), optionally `count` "
            "and `onlyCertainMatches`.",
            examples=[PARAMETERS_EXAMPLE],
        ),
    ],
    purpose: Annotated[Purpose, Query(description="Why you are looking (audited).")],
    principal: PrincipalDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Candidates at or above the lower linkage threshold, at most five, each a Patient
    showing only what the policy lets you see of that person; `search.score` is the match
    probability and the match-grade extension says `certain` (would be linked),
    `probable` or `possible` (the review band's upper or lower half)."""
    asked = parse_match_parameters(body)
    lower, upper = settings.lower_threshold, settings.upper_threshold
    with UnitOfWork(engine) as uow:
        outcome = search(
            uow.session,
            principal,
            purpose,
            asked.record,
            online_matcher(engine),
            threshold=lower,
            limit=asked.count,
        )
        uow.commit()
    base = settings.fhir_identifier_base
    entries = [
        MatchEntry(
            patient_from_summary(r.person_number, r.person_status == "active", r.summary, base),
            r.probability,
            match_grade(r.probability, lower, upper),
        )
        for r in outcome.results
    ]
    if asked.only_certain:
        entries = [e for e in entries if e.grade == "certain"]
    return match_bundle(entries, f"{str(request.base_url).rstrip('/')}/fhir")
