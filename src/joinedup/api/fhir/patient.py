"""A person as a FHIR R4 `Patient`, showing only what the known-to view's summary shows.

- `identifier`: the person number (always: the requester named it) under
  `<fhir_identifier_base>/person-number`; at `full`, the NHS number under the NHS system and
  other identifiers under `<fhir_identifier_base>/<scheme>`.
- `name`: the names the visible sources give (from `known_to`).
- `birthDate`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` as the level allows (FHIR dates take all
  three); left out when the sources disagree, since a Patient has one birth date.
- `gender`: from `coded`, when the sources agree.
- `address`, `telecom`: at `full`.
- `link`: a merged number asked for is named with type `replaces`.
"""

from __future__ import annotations

from typing import Any

from joinedup.api.fhir import NHS_NUMBER_SYSTEM
from joinedup.views.detail_levels import DemographicSummary
from joinedup.views.known_to import KnownToView

# Core record format sex -> FHIR administrative gender.
GENDER = {"male": "male", "female": "female", "indeterminate": "other", "unknown": "unknown"}


def person_number_system(base: str) -> str:
    return f"{base.rstrip('/')}/person-number"


def identifier_system(base: str, scheme: str) -> str:
    if scheme == "nhs_number":
        return NHS_NUMBER_SYSTEM
    return f"{base.rstrip('/')}/{scheme.lower().replace('_', '-')}"


def patient_resource(view: KnownToView, identifier_base: str) -> dict[str, Any]:
    """The Patient for a known-to view (values absent from the view are left out)."""
    return patient_from_summary(
        view.person_number,
        view.person_status == "active",
        view.summary,
        identifier_base,
        redirected_from=view.redirected_from,
    )


def patient_from_summary(
    person_number: str,
    active: bool,
    summary: DemographicSummary,
    identifier_base: str,
    *,
    redirected_from: str | None = None,
) -> dict[str, Any]:
    """A Patient showing what `summary` shows (the policy already shaped it)."""
    identifiers: list[dict[str, Any]] = [
        {
            "use": "official",
            "system": person_number_system(identifier_base),
            "value": person_number,
        }
    ]
    for scheme, values in sorted(summary.identifiers.items()):
        for value in values:
            identifiers.append(
                {"system": identifier_system(identifier_base, scheme), "value": value}
            )
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": person_number,
        "identifier": identifiers,
        "active": active,
    }
    names: list[dict[str, Any]] = []
    for n in summary.names:
        given = [g for g in (n.given, *(n.middle or "").split()) if g]
        name: dict[str, Any] = {"family": n.family} if n.family else {}
        if given:
            name["given"] = given
        if name:
            names.append(name)
        if n.previous_family:
            names.append({"use": "old", "family": n.previous_family})
    if names:
        patient["name"] = names
    if len(summary.birth_dates) == 1:
        patient["birthDate"] = summary.birth_dates[0]
    genders = {GENDER.get(s, "unknown") for s in summary.sex}
    if len(genders) == 1:
        patient["gender"] = genders.pop()
    telecom = [{"system": "phone", "value": p} for p in summary.phones]
    telecom += [{"system": "email", "value": e} for e in summary.emails]
    if telecom:
        patient["telecom"] = telecom
    addresses = []
    for a in summary.addresses:
        address: dict[str, Any] = {}
        if a.lines:
            address["line"] = list(a.lines)
        if a.postcode:
            address["postalCode"] = a.postcode
        addresses.append(address)
    if addresses:
        patient["address"] = addresses
    if redirected_from:
        patient["link"] = [
            {"other": {"reference": f"Patient/{redirected_from}"}, "type": "replaces"}
        ]
    return patient
