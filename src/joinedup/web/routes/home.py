"""The home page of each role, and the pages every user can read (accessibility)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from joinedup.web.deps import UserDep
from joinedup.web.routing import WebRoute
from joinedup.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/", name="home")
def home(request: Request, user: UserDep) -> Response:
    return render(request, "home.html")


@router.get("/accessibility", name="accessibility")
def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html")
