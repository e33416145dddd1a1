"""FHIR R4 for systems that speak it: joinedup's persons as `Patient` resources, errors as
`OperationOutcome`, and the `Patient/$match` plumbing (Parameters in, searchset Bundle out).

Responses are `application/fhir+json`. The mapping is plain dicts shaped to the R4 spec
(tests parse every response with `fhir.resources.R4B`); what a Patient shows follows the
known-to view's demographic summary, so the policy decision point governs it the same way.
"""

FHIR_MEDIA_TYPE = "application/fhir+json"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
MATCH_GRADE_URL = "http://hl7.org/fhir/StructureDefinition/match-grade"

__all__ = ["FHIR_MEDIA_TYPE", "MATCH_GRADE_URL", "NHS_NUMBER_SYSTEM"]
