"""Types shared by the API's request and response models: the governance vocabularies as
OpenAPI enums, and the query parameters of every paginated list."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

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

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (at most 500).")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page; omit for the first."),
]

__all__ = [
    "DEFAULT_LIMIT",
    "AggregationLabel",
    "Cursor",
    "DetailLabel",
    "LegalBasis",
    "Limit",
    "Purpose",
    "Role",
]
