"""Types shared by the API's request and response models: the governance vocabularies as
OpenAPI enums, and the query parameters of every paginated list."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import StringConstraints

from joinedup.api.pagination import DEFAULT_LIMIT, MAX_LIMIT

# Spelled out so the OpenAPI document lists them; tests check they match the domain's.
Purpose = Literal[
    "safeguarding",
    "care_coordination",
    "employment_support",
    "education_support",
    "housing_support",
    "service_planning",
    "research",
]
DetailLabel = Literal["none", "known_to", "rag", "coded", "full"]
AggregationLabel = Literal["person", "household", "street", "postcode", "ward", "district"]
Role = Literal[
    "practitioner", "data_owner", "linkage_officer", "analyst", "org_admin", "partnership_admin"
]
LegalBasis = Literal["consent", "public_task", "legal_obligation", "vital_interests"]

PERSON_NUMBER_PATTERN = r"^[0-9]{10}$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

# PostgreSQL text cannot hold NUL; refusing it here keeps such input a 422, not a 500.
_NO_NUL = r"^[^\x00]*$"
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN, max_length=64)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_NO_NUL)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=10_000, pattern=_NO_NUL)]
PersonNumber = Annotated[str, StringConstraints(pattern=PERSON_NUMBER_PATTERN)]
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, max_length=64)]
PersonNumberPath = Annotated[
    str,
    Path(
        pattern=PERSON_NUMBER_PATTERN,
        description="A person number (10 digits); a merged number redirects to its survivor.",
    ),
]

# Ids are 64-bit in the store; a bigger number cannot name anything (and would overflow).
MAX_ID = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (at most 500).")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page; omit for the first."),
]

__all__ = [
    "DEFAULT_LIMIT",
    "AggregationLabel",
    "Code",
    "CodePath",
    "Cursor",
    "DetailLabel",
    "IdPath",
    "LegalBasis",
    "Limit",
    "LongText",
    "PersonNumber",
    "PersonNumberPath",
    "Purpose",
    "Role",
    "ShortText",
]
