"""The "who looked at our records" page: every policy decision that touched the
organisation's datasets — who, from where, for what purpose, what they could see and under what. Reading
the report is itself audited (the governance view does it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from joinedup.views.governance_reports import organisation_accesses
from joinedup.web.deps import DataOwnerDep, EngineDep
from joinedup.web.routing import WebRoute
from joinedup.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/audit", name="audit")
def audit(
    request: Request,
    user: DataOwnerDep,
    engine: EngineDep,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    page = organisation_accesses(engine, user.principal, after_seq=after, limit=50)
    return render(request, "owner/audit.html", {"page": page, "after": after})
