"""Verification of person numbers and the clerical review queue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from joinedup.api.deps import EngineDep, PrincipalDep
from joinedup.api.models import (
    DEFAULT_LIMIT,
    Cursor,
    IdPath,
    Limit,
    LongText,
    PersonNumber,
    ShortText,
)
from joinedup.api.pagination import Page, page_after
from joinedup.api.problems import problem_responses
from joinedup.views import identity_work as service

router = APIRouter(tags=["identity"], responses=problem_responses(404, 409))


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_number: PersonNumber
    given_name: ShortText
    family_name: ShortText
    date_of_birth: dt.date


class VerificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    result: Literal["match", "no_match", "unknown"]
    reason: str
    number: str
    person_number: str | None = Field(description="The current number (differs after a merge).")
    redirected_from: str | None


class ReviewItemOut(BaseModel):
    """Both records side by side, the model's probability and the per-comparison weights."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    match_probability: float
    match_weight: float
    left: dict[str, Any]
    right: dict[str, Any]
    contributions: list[dict[str, Any]]
    reason: str | None
    decision: str | None
    note: str | None
    decided_by: str | None


class ReviewDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["same", "different", "unsure"]
    note: LongText | None = Field(default=None, description="Required when unsure.")


@router.post("/verify", summary="Does this person number belong to the person named? (audited)")
def verify(body: VerifyIn, principal: PrincipalDep, engine: EngineDep) -> VerificationOut:
    return VerificationOut.model_validate(
        service.verify_number(
            engine,
            principal,
            body.person_number,
            body.given_name,
            body.family_name,
            body.date_of_birth,
        )
    )


@router.get("/review-items", summary="The clerical review queue (linkage officers; audited)")
def list_review_items(
    principal: PrincipalDep,
    engine: EngineDep,
    status: Annotated[Literal["open", "decided", "superseded"], Query()] = "open",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ReviewItemOut]:
    """In id order for paging; `GET /review-items/next` gives the queue's head."""
    items = [
        ReviewItemOut.model_validate(i) for i in service.review_queue(engine, principal, status)
    ]
    return page_after(items, limit, cursor, key=lambda i: i.id)


@router.get("/review-items/next", summary="The next item to decide (null when none)")
def next_review_item(principal: PrincipalDep, engine: EngineDep) -> ReviewItemOut | None:
    items = service.review_queue(engine, principal, "open", 1)
    return ReviewItemOut.model_validate(items[0]) if items else None


@router.get("/review-items/{item_id}", summary="One review item")
def get_review_item(item_id: IdPath, principal: PrincipalDep, engine: EngineDep) -> ReviewItemOut:
    return ReviewItemOut.model_validate(service.review_item(engine, principal, item_id))


@router.post(
    "/review-items/{item_id}/decision",
    summary="Same person / not the same / unsure: becomes a constraint, persons update at once",
)
def decide_review_item(
    item_id: IdPath, body: ReviewDecisionIn, principal: PrincipalDep, engine: EngineDep
) -> ReviewItemOut:
    return ReviewItemOut.model_validate(
        service.decide_review_item(engine, principal, item_id, body.decision, body.note)
    )
