"""Dependencies of page routes: the store, the signed-in user, the role a page is for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from joinedup.errors import Forbidden
from joinedup.web.auth import WebUser
from joinedup.web.navigation import role_label
from joinedup.web.page import page_context
from joinedup.web.routing import SignInRequired


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def signed_in_user(request: Request) -> WebUser:
    """The signed-in user (whatever their role); sends anyone else to the sign-in page."""
    user = page_context(request).user
    if user is None:
        raise SignInRequired()
    return user


def acting_user(request: Request) -> WebUser:
    """The signed-in user acting in a chosen role; sends them to choose one if they have not."""
    user = signed_in_user(request)
    if user.active is None:
        raise SignInRequired("choose_role")
    return user


def require_role(*roles: str) -> Callable[[Request], WebUser]:
    """A dependency that lets through only users acting in one of `roles`."""

    def check(request: Request) -> WebUser:
        user = acting_user(request)
        assert user.active is not None
        if user.active.role not in roles:
            allowed = " or ".join(role_label(r).lower() for r in roles)
            raise Forbidden(
                f"This page is for a {allowed}. You are acting as a "
                f"{role_label(user.active.role).lower()}.",
            )
        return user

    return check


EngineDep = Annotated[Engine, Depends(get_engine)]
UserDep = Annotated[WebUser, Depends(acting_user)]
SignedInDep = Annotated[WebUser, Depends(signed_in_user)]
PractitionerDep = Annotated[WebUser, Depends(require_role("practitioner"))]
DataOwnerDep = Annotated[WebUser, Depends(require_role("data_owner"))]
LinkageOfficerDep = Annotated[WebUser, Depends(require_role("linkage_officer"))]


def organisation_code(user: WebUser) -> str:
    """The code of the organisation the user is acting for."""
    assert user.active is not None
    return user.active.organisation_code
