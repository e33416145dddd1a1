"""The data owner's challenges inbox: partners' challenges to values in the organisation's
records, accepted (the value is corrected, citing the challenge) or rejected with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from joinedup.records.challenges import accept_challenge, list_challenges, reject_challenge
from joinedup.web.deps import DataOwnerDep, EngineDep, organisation_code
from joinedup.web.page import page_context
from joinedup.web.routing import WebRoute
from joinedup.web.templating import render, web_url

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _inbox(
    request: Request,
    engine: Engine,
    org: str,
    errors: dict[str, str] | None = None,
    failed: int | None = None,
    status: int = 200,
) -> Response:
    found = list_challenges(engine, org=org)
    return render(
        request,
        "owner/challenges.html",
        {
            "open": [c for c in found if c.status == "open"],
            "decided": [c for c in found if c.status != "open"],
            "errors": errors or {},
            "failed": failed,
        },
        status_code=status,
    )


@router.get("/challenges", name="challenges")
def challenges(request: Request, user: DataOwnerDep, engine: EngineDep) -> Response:
    return _inbox(request, engine, organisation_code(user))


@router.post("/challenges/{challenge_id}", name="challenge_decide")
def challenge_decide(
    request: Request,
    challenge_id: int,
    user: DataOwnerDep,
    engine: EngineDep,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    org = organisation_code(user)
    errors: dict[str, str] = {}
    if decision not in ("accept", "reject"):
        errors[f"decision-{challenge_id}"] = "Choose whether to accept or reject the challenge"
    elif decision == "reject" and not reason.strip():
        errors[f"reason-{challenge_id}"] = "Say why you reject the challenge"
    if errors:
        return _inbox(request, engine, org, errors, challenge_id, 422)
    actor = f"web:{user.username}"
    if decision == "accept":
        info = accept_challenge(
            engine, challenge_id, by_org=org, actor=actor, note=reason.strip() or None
        )
        message = (
            f"Challenge {challenge_id} accepted: {info.local_id}'s {info.field} is now "
            f"{info.proposed_value!r}."
        )
    else:
        reject_challenge(engine, challenge_id, by_org=org, reason=reason.strip(), actor=actor)
        message = f"Challenge {challenge_id} rejected. The partner who raised it can see why."
    page_context(request).session.flash(message)
    return RedirectResponse(web_url(request, "challenges"), status_code=303)
