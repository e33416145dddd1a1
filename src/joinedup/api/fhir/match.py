"""`Patient/$match` plumbing: a `Parameters` resource in, the core record to match out; the
online matcher's candidates in, a `searchset` Bundle with `search.score` and the
match-grade extension out.

The matcher is the online matcher (`joinedup.identity.online`), run under the search
safeguards (`joinedup.views.search`) by the route in `joinedup.api.routes.fhir`. These
functions are pure and tested on their own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from joinedup.api.fhir import MATCH_GRADE_URL, NHS_NUMBER_SYSTEM
from joinedup.errors import InvalidInput

MAX_COUNT = 50
# FHIR administrative gender -> core record format sex.
SEX = {"male": "male", "female": "female", "other": "indeterminate", "unknown": "unknown"}


@dataclass(frozen=True)
class MatchRequest:
    """What `$match` was asked: one record in the core format, and the result limits."""

    record: dict[str, Any]
    count: int
    only_certain: bool


def parse_match_parameters(body: Any) -> MatchRequest:
    """Read the `resource`, `count` and `onlyCertainMatches` parameters of `$match`.

    The body is checked as an R4 `Parameters` resource (fhir.resources), so malformed input
    is refused with the validator's own words.
    """
    from fhir.resources.R4B.parameters import Parameters

    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise InvalidInput("$match takes a Parameters resource.")
    try:
        Parameters.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"Not a valid Parameters resource: {where}: {first['msg']}") from exc
    patient: dict[str, Any] | None = None
    count, only_certain = 10, False
    for parameter in body.get("parameter") or []:
        name = parameter.get("name")
        if name == "resource":
            patient = parameter.get("resource")
        elif name == "count" and isinstance(parameter.get("valueInteger"), int):
            count = parameter["valueInteger"]
        elif name == "onlyCertainMatches" and isinstance(parameter.get("valueBoolean"), bool):
            only_certain = parameter["valueBoolean"]
    if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
        raise InvalidInput("$match needs a `resource` parameter holding a Patient.")
    if not 1 <= count <= MAX_COUNT:
        raise InvalidInput(f"`count` is between 1 and {MAX_COUNT}.")
    return MatchRequest(patient_to_core_record(patient), count, only_certain)


def patient_to_core_record(patient: dict[str, Any]) -> dict[str, Any]:
    """The core record format fields a Patient gives (the first official or usual name, the
    first address; the NHS number from its identifier system)."""
    record: dict[str, Any] = {}
    names = patient.get("name") or []
    name = next(
        (n for n in names if n.get("use") in ("official", "usual")), names[0] if names else None
    )
    if name:
        given = list(name.get("given") or [])
        if given:
            record["given_name"] = given[0]
        if len(given) > 1:
            record["middle_names"] = " ".join(given[1:])
        if name.get("family"):
            record["family_name"] = name["family"]
    birth = patient.get("birthDate")
    # A partial or invalid date cannot be matched on exactly; it is left out.
    if isinstance(birth, str) and len(birth) == 10:
        with contextlib.suppress(ValueError):
            record["date_of_birth"] = dt.date.fromisoformat(birth)
    if patient.get("gender") in SEX:
        record["sex"] = SEX[patient["gender"]]
    addresses = patient.get("address") or []
    if addresses:
        address = addresses[0]
        for i, line in enumerate((address.get("line") or [])[:4], start=1):
            record[f"address_line_{i}"] = line
        if address.get("postalCode"):
            record["postcode"] = address["postalCode"]
    for identifier in patient.get("identifier") or []:
        if identifier.get("system") == NHS_NUMBER_SYSTEM and identifier.get("value"):
            record["nhs_number"] = str(identifier["value"]).replace(" ", "")
    return record


def match_grade(probability: float, lower: float, upper: float) -> str:
    """The FHIR match grade of a probability, on the linkage thresholds: at or above the upper
    threshold the link would be made (`certain`); the review band splits into `probable`
    (upper half) and `possible`; below the lower threshold, `certainly-not`."""
    if probability >= upper:
        return "certain"
    if probability >= (lower + upper) / 2:
        return "probable"
    if probability >= lower:
        return "possible"
    return "certainly-not"


@dataclass(frozen=True)
class MatchEntry:
    """One candidate: its Patient resource (already shaped by the policy) and its score."""

    patient: dict[str, Any]
    probability: float
    grade: str


def match_bundle(entries: Sequence[MatchEntry], base_url: str) -> dict[str, Any]:
    """A `searchset` Bundle of the candidates, best first."""
    ordered = sorted(entries, key=lambda e: -e.probability)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(ordered),
        "entry": [
            {
                "fullUrl": f"{base_url.rstrip('/')}/Patient/{e.patient['id']}",
                "resource": e.patient,
                "search": {
                    "extension": [{"url": MATCH_GRADE_URL, "valueCode": e.grade}],
                    "mode": "match",
                    "score": round(min(max(e.probability, 0.0), 1.0), 6),
                },
            }
            for e in ordered
        ],
    }
