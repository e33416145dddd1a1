"""Break-glass over HTTP: a practitioner safeguarding a person in an emergency asks for a
time-limited grant; the providers' data owners are told and review it afterwards."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from joinedup.api.deps import EngineDep, PrincipalDep
from joinedup.api.models import DetailLabel, LongText, PersonNumberPath
from joinedup.api.problems import problem_responses
from joinedup.governance.breakglass import MAX_HOURS, request_break_glass

router = APIRouter(tags=["break-glass"], responses=problem_responses(404))


class BreakGlassIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    justification: LongText = Field(
        description="What the risk is and why the agreements do not give enough (40+ chars)."
    )
    detail: DetailLabel = "full"
    hours: int = Field(default=4, ge=1, le=MAX_HOURS)


class BreakGlassOut(BaseModel):
    id: int
    person_number: str
    detail: str
    expires_at: dt.datetime


@router.post(
    "/persons/{number}/break-glass",
    status_code=201,
    summary="Emergency access to one person for safeguarding (practitioners; reviewed later)",
)
def break_glass(
    number: PersonNumberPath, body: BreakGlassIn, principal: PrincipalDep, engine: EngineDep
) -> BreakGlassOut:
    now = dt.datetime.now(dt.UTC)
    grant_id = request_break_glass(
        engine, principal, number, body.justification, detail=body.detail, hours=body.hours, now=now
    )
    return BreakGlassOut(
        id=grant_id,
        person_number=number,
        detail=body.detail,
        expires_at=now + dt.timedelta(hours=body.hours),
    )
